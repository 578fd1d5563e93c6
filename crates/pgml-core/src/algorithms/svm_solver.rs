//! Kernel support vector machines as libsvm trains them (the library scikit-learn's SVC, SVR,
//! NuSVC and NuSVR wrap): SMO on the dual with libsvm's second-order working-set selection
//! (Fan, Chen and Lin 2005), its ν-variant, its bias (`rho`) rules, one-vs-one multi-class with
//! voting, and scikit-learn's `gamma='scale'`. Shared by the `svm` and `nu_svm` algorithms.
//!
//! Q rows are cached up to `cache_size` MB (scikit-learn's meaning); nothing n×n is ever
//! allocated. The SMO solver itself, with libsvm's shrinking, is `svm_dual.rs`.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::svm_dual::{self, Dual, Settings, SvcQ, SvrQ};
use super::Predictor;
use crate::hyperparams::ClassWeight;
use crate::{Error, Matrix, Result};

/// Stored by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "&'static str", try_from = "String")]
pub enum KernelKind {
    Linear,
    Poly,
    Rbf,
    Sigmoid,
}

impl From<KernelKind> for &'static str {
    fn from(k: KernelKind) -> &'static str {
        match k {
            KernelKind::Linear => "linear",
            KernelKind::Poly => "poly",
            KernelKind::Rbf => "rbf",
            KernelKind::Sigmoid => "sigmoid",
        }
    }
}

impl TryFrom<String> for KernelKind {
    type Error = String;
    fn try_from(s: String) -> std::result::Result<KernelKind, String> {
        KernelKind::parse(&s).ok_or_else(|| format!("unknown kernel \"{s}\""))
    }
}

impl KernelKind {
    pub const NAMES: &'static [&'static str] = &["linear", "poly", "rbf", "sigmoid"];

    pub fn parse(s: &str) -> Option<KernelKind> {
        Some(match s {
            "linear" => KernelKind::Linear,
            "poly" => KernelKind::Poly,
            "rbf" => KernelKind::Rbf,
            "sigmoid" => KernelKind::Sigmoid,
            _ => return None,
        })
    }
}

/// A kernel with its parameters (gamma already resolved from 'scale' / 'auto').
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Kernel {
    pub kind: KernelKind,
    pub gamma: f64,
    pub coef0: f64,
    pub degree: u32,
}

impl Kernel {
    /// `dot` is x·z, `sq` is ‖x‖² + ‖z‖² (rbf only).
    pub(super) fn eval(&self, dot: f64, sq: f64) -> f64 {
        match self.kind {
            KernelKind::Linear => dot,
            KernelKind::Poly => (self.gamma * dot + self.coef0).powi(self.degree as i32),
            KernelKind::Rbf => (-self.gamma * (sq - 2.0 * dot)).exp(),
            KernelKind::Sigmoid => (self.gamma * dot + self.coef0).tanh(),
        }
    }
}

/// How gamma is chosen: scikit-learn's 'scale' (1 / (p · Var(X))), 'auto' (1 / p) or a value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Gamma {
    Scale,
    Auto,
    Value(f64),
}

impl Gamma {
    fn resolve(self, x: &Matrix) -> f64 {
        let p = x.cols().max(1) as f64;
        match self {
            Gamma::Value(g) => g,
            Gamma::Auto => 1.0 / p,
            Gamma::Scale => {
                let n = (x.rows() * x.cols()).max(1) as f64;
                let mut sum = 0.0;
                let mut sq = 0.0;
                for j in 0..x.cols() {
                    for &v in x.col(j) {
                        sum += f64::from(v);
                        sq += f64::from(v) * f64::from(v);
                    }
                }
                let mean = sum / n;
                let var = (sq / n - mean * mean).max(0.0);
                if var > 0.0 {
                    1.0 / (p * var)
                } else {
                    1.0
                }
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    pub kernel: KernelKind,
    pub gamma: Gamma,
    pub coef0: f64,
    pub degree: u32,
    /// C (C-SVC, ε-SVR, ν-SVR).
    pub c: f64,
    /// ν (ν-SVC, ν-SVR), or None for the C / ε formulations.
    pub nu: Option<f64>,
    /// ε of ε-SVR.
    pub epsilon: f64,
    pub tol: f64,
    /// None: no limit (scikit-learn's -1).
    pub max_iter: Option<u64>,
    pub cache_mb: f64,
    /// libsvm's shrinking heuristic (the same optimum, to `tol`, in less time).
    pub shrinking: bool,
    /// libsvm's weighted C: C · the class's weight, 'balanced' or given per class.
    pub class_weight: Option<ClassWeight>,
    pub break_ties: bool,
    /// Platt scaling of each pair's decision (libsvm's `probability`), fitted on 5-fold
    /// cross-validated decision values.
    pub probability: bool,
    /// The folds' shuffle (scikit-learn's `random_state`; null is 0).
    pub seed: u64,
}

/// Training rows, row-major f64, with their squared norms.
pub(super) struct Rows {
    p: usize,
    x: Vec<f64>,
    pub(super) sq: Vec<f64>,
}

impl Rows {
    pub(super) fn new(x: &Matrix, idx: &[usize]) -> Rows {
        let p = x.cols();
        let mut data = vec![0.0; idx.len() * p];
        for j in 0..p {
            let col = x.col(j);
            for (r, &i) in idx.iter().enumerate() {
                data[r * p + j] = f64::from(col[i]);
            }
        }
        let sq = data
            .chunks(p.max(1))
            .map(|r| r.iter().map(|v| v * v).sum())
            .collect();
        Rows { p, x: data, sq }
    }

    pub(super) fn len(&self) -> usize {
        self.sq.len()
    }

    pub(super) fn p(&self) -> usize {
        self.p
    }

    /// All rows, row-major.
    pub(super) fn data(&self) -> &[f64] {
        &self.x
    }

    pub(super) fn row(&self, i: usize) -> &[f64] {
        &self.x[i * self.p..(i + 1) * self.p]
    }

    /// K(x_i, x_i).
    pub(super) fn self_kernel(&self, kernel: Kernel, i: usize) -> f64 {
        kernel.eval(self.sq[i], 2.0 * self.sq[i])
    }
}

pub(super) fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// One binary decision function (or the regression function): Σ coef·K(sv, x) − rho over its
/// support vectors (indices into the model's shared list).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub sv: Vec<u32>,
    pub coef: Vec<f64>,
    pub rho: f64,
}

/// A trained SVC / NuSVC (one decision per pair of classes i < j, positive for i) or SVR / NuSVR
/// (one decision, the value).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SvmModel {
    pub p: usize,
    pub kernel: Kernel,
    /// Support vectors, row-major.
    pub support: Vec<f32>,
    /// 0 for regression.
    pub num_classes: usize,
    pub decisions: Vec<Decision>,
    pub break_ties: bool,
}

impl SvmModel {
    fn decision_values(&self, x: &[f32]) -> Vec<f64> {
        let xs: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
        let xsq: f64 = xs.iter().map(|v| v * v).sum();
        let k: Vec<f64> = self
            .support
            .chunks(self.p.max(1))
            .map(|s| {
                let s: Vec<f64> = s.iter().map(|&v| f64::from(v)).collect();
                let ssq: f64 = s.iter().map(|v| v * v).sum();
                self.kernel.eval(dot(&s, &xs), ssq + xsq)
            })
            .collect();
        self.decisions
            .iter()
            .map(|d| {
                d.sv.iter()
                    .zip(&d.coef)
                    .map(|(&s, c)| c * k[s as usize])
                    .sum::<f64>()
                    - d.rho
            })
            .collect()
    }
}

impl Predictor for SvmModel {
    fn num_features(&self) -> usize {
        self.p
    }

    fn predict(&self, x: &[f32]) -> Option<f32> {
        let dec = self.decision_values(x);
        if self.num_classes == 0 {
            return Some(dec[0] as f32);
        }
        let k = self.num_classes;
        let mut votes = vec![0.0f64; k];
        let mut confidence = vec![0.0f64; k];
        let mut d = 0;
        for i in 0..k {
            for j in i + 1..k {
                if dec[d] > 0.0 {
                    votes[i] += 1.0;
                } else {
                    votes[j] += 1.0;
                }
                confidence[i] += dec[d];
                confidence[j] -= dec[d];
                d += 1;
            }
        }
        if self.break_ties && k > 2 {
            // scikit-learn's one-vs-rest decision: votes plus confidences squashed below 1/3.
            for c in 0..k {
                votes[c] += confidence[c] / (3.0 * (confidence[c].abs() + 1.0));
            }
        }
        // The first class with the most votes, as libsvm.
        let mut best = 0;
        for c in 1..k {
            if votes[c] > votes[best] {
                best = c;
            }
        }
        Some(best as f32)
    }
}

/// Support vectors collected across sub-problems, each data row once.
struct Support {
    index: HashMap<usize, u32>,
    rows: Vec<f32>,
}

impl Support {
    fn add(&mut self, x: &Matrix, row: usize) -> u32 {
        if let Some(&i) = self.index.get(&row) {
            return i;
        }
        let i = self.index.len() as u32;
        self.index.insert(row, i);
        self.rows.extend((0..x.cols()).map(|j| x.get(row, j)));
        i
    }
}

fn kernel_of(o: &Options, x: &Matrix) -> Kernel {
    Kernel {
        kind: o.kernel,
        gamma: o.gamma.resolve(x),
        coef0: o.coef0,
        degree: o.degree,
    }
}

/// SVC (`nu` None) or NuSVC: one-vs-one over the classes.
pub fn fit_classifier(
    x: &Matrix,
    codes: &[u32],
    num_classes: usize,
    o: &Options,
    check_interrupts: &dyn Fn(),
) -> Result<SvmModel> {
    fit_classifier_with_probability(x, codes, num_classes, o, check_interrupts).map(|(m, _)| m)
}

/// SVC or NuSVC, and with `o.probability` the Platt parameters (A, B) of each pair.
#[allow(clippy::type_complexity)] // the model and its optional calibration
pub fn fit_classifier_with_probability(
    x: &Matrix,
    codes: &[u32],
    num_classes: usize,
    o: &Options,
    check_interrupts: &dyn Fn(),
) -> Result<(SvmModel, Option<(Vec<f64>, Vec<f64>)>)> {
    if num_classes < 2 {
        return Err(Error::bad_data(
            "classification needs at least two classes in the training data",
            "check the label column, or use a larger training set",
        ));
    }
    let kernel = kernel_of(o, x);
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); num_classes];
    for (i, &c) in codes.iter().enumerate() {
        members[c as usize].push(i);
    }
    let n = codes.len() as f64;
    let given = match &o.class_weight {
        Some(cw) => cw.per_class(num_classes)?,
        None => None,
    };
    let balanced = o.class_weight == Some(ClassWeight::Balanced);
    let weight = |c: usize| match given {
        Some(w) => w[c],
        None if balanced && !members[c].is_empty() => {
            n / (num_classes as f64 * members[c].len() as f64)
        }
        None => 1.0,
    };
    let mut support = Support {
        index: HashMap::new(),
        rows: Vec::new(),
    };
    let mut decisions = Vec::new();
    let (mut prob_a, mut prob_b) = (Vec::new(), Vec::new());
    for a in 0..num_classes {
        for b in a + 1..num_classes {
            let idx: Vec<usize> = members[a].iter().chain(&members[b]).copied().collect();
            let y: Vec<f64> = (0..idx.len())
                .map(|t| if t < members[a].len() { 1.0 } else { -1.0 })
                .collect();
            let (na, nb) = (members[a].len() as f64, members[b].len() as f64);
            if let Some(nu) = o.nu {
                if nu * (na + nb) / 2.0 > na.min(nb) {
                    return Err(Error::bad_data(
                        format!(
                            "nu {nu} is infeasible for classes of {} and {} training rows",
                            na, nb
                        ),
                        format!(
                            "nu must be at most 2·min/(sum) = {:.4} here; use a smaller nu",
                            2.0 * na.min(nb) / (na + nb)
                        ),
                    ));
                }
            }
            let (cp, cn) = (o.c * weight(a), o.c * weight(b));
            if o.probability {
                let (pa, pb) = platt_pair(x, &idx, &y, cp, cn, kernel, o, check_interrupts);
                prob_a.push(pa);
                prob_b.push(pb);
            }
            let (coef, rho) = solve_binary(x, &idx, &y, cp, cn, kernel, o, check_interrupts);
            let mut d = Decision {
                sv: Vec::new(),
                coef: Vec::new(),
                rho,
            };
            for (t, &c) in coef.iter().enumerate() {
                if c != 0.0 {
                    d.sv.push(support.add(x, idx[t]));
                    d.coef.push(c);
                }
            }
            decisions.push(d);
        }
    }
    let model = SvmModel {
        p: x.cols(),
        kernel,
        support: support.rows,
        num_classes,
        decisions,
        break_ties: o.break_ties,
    };
    Ok((model, o.probability.then_some((prob_a, prob_b))))
}

/// One binary C-SVC (upper bounds cp / cn) or ν-SVC over the rows `idx` of x, labels ±1:
/// the coefficients y·α per row and rho.
#[allow(clippy::too_many_arguments)] // the sub-problem and its solver settings
fn solve_binary(
    x: &Matrix,
    idx: &[usize],
    y: &[f64],
    cp: f64,
    cn: f64,
    kernel: Kernel,
    o: &Options,
    check_interrupts: &dyn Fn(),
) -> (Vec<f64>, f64) {
    let rows = Rows::new(x, idx);
    let mut q = SvcQ::new(&rows, kernel, y, o.cache_mb);
    let settings = settings(o);
    match o.nu {
        None => {
            let dual = Dual {
                y: y.to_vec(),
                linear: vec![-1.0; y.len()],
                upper: y.iter().map(|&v| if v > 0.0 { cp } else { cn }).collect(),
                alpha: vec![0.0; y.len()],
                nu: false,
            };
            let s = svm_dual::solve(&mut q, dual, settings, check_interrupts);
            let coef: Vec<f64> = s.alpha.iter().zip(y).map(|(a, y)| a * y).collect();
            (coef, s.rho)
        }
        Some(nu) => {
            let na = y.iter().filter(|&&v| v > 0.0).count() as f64;
            let nb = y.len() as f64 - na;
            // libsvm's start: ν·l/2 of weight on each side, filled in order.
            let (mut sum_pos, mut sum_neg) = (nu * (na + nb) / 2.0, nu * (na + nb) / 2.0);
            let alpha0: Vec<f64> = y
                .iter()
                .map(|&v| {
                    let s = if v > 0.0 { &mut sum_pos } else { &mut sum_neg };
                    let a = s.min(1.0);
                    *s -= a;
                    a
                })
                .collect();
            let dual = Dual {
                y: y.to_vec(),
                linear: vec![0.0; y.len()],
                upper: vec![1.0; y.len()],
                alpha: alpha0,
                nu: true,
            };
            let s = svm_dual::solve(&mut q, dual, settings, check_interrupts);
            let coef: Vec<f64> = s.alpha.iter().zip(y).map(|(a, y)| a * y / s.r).collect();
            (coef, s.rho / s.r)
        }
    }
}

fn settings(o: &Options) -> Settings {
    Settings {
        tol: o.tol,
        max_iter: o.max_iter,
        shrinking: o.shrinking,
    }
}

/// libsvm's `svm_binary_svc_probability`: decision values of each row from a model trained on
/// the other four of five folds (rows shuffled with the seed), then Platt's sigmoid fitted to
/// them (`sigmoid_train`). The folds train with the pair's own bounds (C times the class weights).
#[allow(clippy::too_many_arguments)] // the sub-problem and its solver settings
fn platt_pair(
    x: &Matrix,
    idx: &[usize],
    y: &[f64],
    cp: f64,
    cn: f64,
    kernel: Kernel,
    o: &Options,
    check_interrupts: &dyn Fn(),
) -> (f64, f64) {
    const FOLDS: usize = 5;
    let l = idx.len();
    let mut perm: Vec<usize> = (0..l).collect();
    let mut rng = crate::split::SplitMix64(o.seed);
    rng.shuffle(&mut perm);
    let mut dec = vec![0.0; l];
    for f in 0..FOLDS {
        let (begin, end) = (f * l / FOLDS, (f + 1) * l / FOLDS);
        let train: Vec<usize> = perm[..begin].iter().chain(&perm[end..]).copied().collect();
        let pos = train.iter().filter(|&&t| y[t] > 0.0).count();
        let neg = train.len() - pos;
        let fixed = match (pos, neg) {
            (0, 0) => Some(0.0),
            (_, 0) => Some(1.0),
            (0, _) => Some(-1.0),
            _ => None,
        };
        if let Some(v) = fixed {
            for &t in &perm[begin..end] {
                dec[t] = v;
            }
            continue;
        }
        let sub_idx: Vec<usize> = train.iter().map(|&t| idx[t]).collect();
        let sub_y: Vec<f64> = train.iter().map(|&t| y[t]).collect();
        let (coef, rho) = solve_binary(x, &sub_idx, &sub_y, cp, cn, kernel, o, check_interrupts);
        let support: Vec<(Vec<f64>, f64)> = sub_idx
            .iter()
            .zip(&coef)
            .filter(|(_, &c)| c != 0.0)
            .map(|(&r, &c)| ((0..x.cols()).map(|j| f64::from(x.get(r, j))).collect(), c))
            .collect();
        for &t in &perm[begin..end] {
            let xt: Vec<f64> = (0..x.cols()).map(|j| f64::from(x.get(idx[t], j))).collect();
            let xsq: f64 = xt.iter().map(|v| v * v).sum();
            dec[t] = support
                .iter()
                .map(|(s, c)| {
                    let ssq: f64 = s.iter().map(|v| v * v).sum();
                    c * kernel.eval(dot(s, &xt), ssq + xsq)
                })
                .sum::<f64>()
                - rho;
        }
    }
    sigmoid_train(&dec, y)
}

/// Platt's sigmoid 1 / (1 + exp(A·f + B)) fitted to decision values f and labels ±1 by Newton's
/// method with a backtracking line search (Lin, Lin and Weng's version, as libsvm).
fn sigmoid_train(dec: &[f64], labels: &[f64]) -> (f64, f64) {
    let prior1 = labels.iter().filter(|&&v| v > 0.0).count() as f64;
    let prior0 = labels.len() as f64 - prior1;
    let (hi, lo) = ((prior1 + 1.0) / (prior1 + 2.0), 1.0 / (prior0 + 2.0));
    let t: Vec<f64> = labels
        .iter()
        .map(|&v| if v > 0.0 { hi } else { lo })
        .collect();
    let objective = |a: f64, b: f64| -> f64 {
        dec.iter()
            .zip(&t)
            .map(|(&d, &ti)| {
                let f = d * a + b;
                if f >= 0.0 {
                    ti * f + (-f).exp().ln_1p()
                } else {
                    (ti - 1.0) * f + f.exp().ln_1p()
                }
            })
            .sum()
    };
    let (mut a, mut b) = (0.0, ((prior0 + 1.0) / (prior1 + 1.0)).ln());
    let mut fval = objective(a, b);
    for _ in 0..100 {
        let (mut h11, mut h22, mut h21, mut g1, mut g2) = (1e-12, 1e-12, 0.0, 0.0, 0.0);
        for (&d, &ti) in dec.iter().zip(&t) {
            let f = d * a + b;
            let (p, q) = if f >= 0.0 {
                let e = (-f).exp();
                (e / (1.0 + e), 1.0 / (1.0 + e))
            } else {
                let e = f.exp();
                (1.0 / (1.0 + e), e / (1.0 + e))
            };
            let d2 = p * q;
            h11 += d * d * d2;
            h22 += d2;
            h21 += d * d2;
            let d1 = ti - p;
            g1 += d * d1;
            g2 += d1;
        }
        if g1.abs() < 1e-5 && g2.abs() < 1e-5 {
            break;
        }
        let det = h11 * h22 - h21 * h21;
        let da = -(h22 * g1 - h21 * g2) / det;
        let db = -(-h21 * g1 + h11 * g2) / det;
        let gd = g1 * da + g2 * db;
        let mut step = 1.0;
        while step >= 1e-10 {
            let (na, nb) = (a + step * da, b + step * db);
            let nf = objective(na, nb);
            if nf < fval + 1e-4 * step * gd {
                a = na;
                b = nb;
                fval = nf;
                break;
            }
            step /= 2.0;
        }
        if step < 1e-10 {
            break;
        }
    }
    (a, b)
}

/// libsvm's pairwise coupling (Wu, Lin and Weng's second method): class probabilities from the
/// pairwise ones r[i][j] (row-major k×k).
fn multiclass_probability(k: usize, r: &[f64]) -> Vec<f64> {
    let mut q = vec![0.0; k * k];
    for t in 0..k {
        for j in 0..k {
            if j != t {
                q[t * k + t] += r[j * k + t] * r[j * k + t];
                q[t * k + j] = -r[j * k + t] * r[t * k + j];
            }
        }
    }
    let mut p = vec![1.0 / k as f64; k];
    let mut qp = vec![0.0; k];
    let eps = 0.005 / k as f64;
    for _ in 0..100.max(k) {
        let mut pqp = 0.0;
        for t in 0..k {
            qp[t] = (0..k).map(|j| q[t * k + j] * p[j]).sum();
            pqp += p[t] * qp[t];
        }
        let max_error = qp.iter().map(|v| (v - pqp).abs()).fold(0.0, f64::max);
        if max_error < eps {
            break;
        }
        for t in 0..k {
            let diff = (-qp[t] + pqp) / q[t * k + t];
            p[t] += diff;
            pqp = (pqp + diff * (diff * q[t * k + t] + 2.0 * qp[t])) / (1.0 + diff) / (1.0 + diff);
            for j in 0..k {
                qp[j] = (qp[j] + diff * q[t * k + j]) / (1.0 + diff);
                p[j] /= 1.0 + diff;
            }
        }
    }
    p
}

/// An SVC / NuSVC trained with `probability`: the model and libsvm's Platt parameters per pair.
/// Predict is the model's one-vs-one vote (as scikit-learn's, which may disagree with the
/// probabilities' argmax).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SvmProbabilityModel {
    pub svm: SvmModel,
    pub prob_a: Vec<f64>,
    pub prob_b: Vec<f64>,
}

impl Predictor for SvmProbabilityModel {
    fn num_features(&self) -> usize {
        self.svm.p
    }

    fn predict(&self, x: &[f32]) -> Option<f32> {
        self.svm.predict(x)
    }

    fn predict_proba(&self, x: &[f32]) -> Option<Vec<f32>> {
        let dec = self.svm.decision_values(x);
        let k = self.svm.num_classes;
        let min_prob = 1e-7;
        let mut r = vec![0.0; k * k];
        let mut d = 0;
        for i in 0..k {
            for j in i + 1..k {
                let f = dec[d] * self.prob_a[d] + self.prob_b[d];
                let s = if f >= 0.0 {
                    (-f).exp() / (1.0 + (-f).exp())
                } else {
                    1.0 / (1.0 + f.exp())
                };
                let v = s.clamp(min_prob, 1.0 - min_prob);
                r[i * k + j] = v;
                r[j * k + i] = 1.0 - v;
                d += 1;
            }
        }
        let p = if k == 2 {
            vec![r[1], r[k]]
        } else {
            multiclass_probability(k, &r)
        };
        Some(p.into_iter().map(|v| v as f32).collect())
    }
}

/// SVR (`nu` None: ε-SVR) or NuSVR.
pub fn fit_regressor(
    x: &Matrix,
    y: &[f32],
    o: &Options,
    check_interrupts: &dyn Fn(),
) -> Result<SvmModel> {
    let kernel = kernel_of(o, x);
    let n = y.len();
    let all: Vec<usize> = (0..n).collect();
    let rows = Rows::new(x, &all);
    let mut q = SvrQ::new(&rows, kernel, o.cache_mb);
    // Two variables per row: α (sign +1) and α* (sign −1).
    let sign: Vec<f64> = (0..2 * n).map(|t| if t < n { 1.0 } else { -1.0 }).collect();
    let z: Vec<f64> = y.iter().map(|&v| f64::from(v)).collect();
    let dual = match o.nu {
        None => Dual {
            y: sign,
            linear: (0..2 * n)
                .map(|t| {
                    if t < n {
                        o.epsilon - z[t]
                    } else {
                        o.epsilon + z[t - n]
                    }
                })
                .collect(),
            upper: vec![o.c; 2 * n],
            alpha: vec![0.0; 2 * n],
            nu: false,
        },
        Some(nu) => {
            let mut sum = o.c * nu * n as f64 / 2.0;
            let mut alpha0 = vec![0.0; 2 * n];
            for i in 0..n {
                let a = sum.min(o.c);
                alpha0[i] = a;
                alpha0[i + n] = a;
                sum -= a;
            }
            Dual {
                y: sign,
                linear: (0..2 * n)
                    .map(|t| if t < n { -z[t] } else { z[t - n] })
                    .collect(),
                upper: vec![o.c; 2 * n],
                alpha: alpha0,
                nu: true,
            }
        }
    };
    let s = svm_dual::solve(&mut q, dual, settings(o), check_interrupts);
    let (alpha, rho) = (s.alpha, s.rho);
    let mut support = Support {
        index: HashMap::new(),
        rows: Vec::new(),
    };
    let mut d = Decision {
        sv: Vec::new(),
        coef: Vec::new(),
        rho,
    };
    for i in 0..n {
        let c = alpha[i] - alpha[i + n];
        if c != 0.0 {
            d.sv.push(support.add(x, i));
            d.coef.push(c);
        }
    }
    Ok(SvmModel {
        p: x.cols(),
        kernel,
        support: support.rows,
        num_classes: 0,
        decisions: vec![d],
        break_ties: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> Options {
        Options {
            kernel: KernelKind::Rbf,
            gamma: Gamma::Scale,
            coef0: 0.0,
            degree: 3,
            c: 1.0,
            nu: None,
            epsilon: 0.1,
            tol: 1e-3,
            max_iter: None,
            cache_mb: 200.0,
            shrinking: true,
            class_weight: None,
            break_ties: false,
            probability: false,
            seed: 0,
        }
    }

    /// libsvm's probability estimates: Platt's sigmoid on cross-validated decision values,
    /// coupled across pairs; they sum to 1 and favour the true class on separated data.
    #[test]
    fn platt_probabilities_are_calibrated_and_coupled() {
        let mut rng = crate::split::SplitMix64(5);
        let rows: Vec<Vec<f32>> = (0..150)
            .map(|i| {
                let c = (i % 3) as f32;
                vec![c * 2.0 + rng.unit() as f32, c + rng.unit() as f32]
            })
            .collect();
        let codes: Vec<u32> = (0..150).map(|i| (i % 3) as u32).collect();
        let x = Matrix::from_rows(&rows).unwrap();
        let o = Options {
            probability: true,
            ..options()
        };
        let (svm, platt) = fit_classifier_with_probability(&x, &codes, 3, &o, &|| {}).unwrap();
        let (prob_a, prob_b) = platt.unwrap();
        assert_eq!(prob_a.len(), 3);
        // A negative slope: a larger decision value means the pair's first class.
        assert!(prob_a.iter().all(|&a| a < 0.0), "{prob_a:?}");
        let m = SvmProbabilityModel {
            svm,
            prob_a,
            prob_b,
        };
        let mut log_loss = 0.0;
        for (i, r) in rows.iter().enumerate() {
            let p = m.predict_proba(r).unwrap();
            assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-4, "{p:?}");
            log_loss -= f64::from(p[codes[i] as usize]).ln();
        }
        assert!(log_loss / 150.0 < 0.3, "{}", log_loss / 150.0);
        // Two classes: the pair's sigmoid directly.
        let binary: Vec<u32> = codes.iter().map(|&c| u32::from(c > 0)).collect();
        let (svm, platt) = fit_classifier_with_probability(&x, &binary, 2, &o, &|| {}).unwrap();
        let (prob_a, prob_b) = platt.unwrap();
        let m = SvmProbabilityModel {
            svm,
            prob_a,
            prob_b,
        };
        let p = m.predict_proba(&[0.5, 0.5]).unwrap();
        assert!(p[0] > 0.8 && (p[0] + p[1] - 1.0).abs() < 1e-6, "{p:?}");
        // Pairwise coupling of consistent pairwise probabilities recovers them.
        let r = [0.0, 0.75, 0.6, 0.25, 0.0, 1.0 / 3.0, 0.4, 2.0 / 3.0, 0.0];
        let p = multiclass_probability(3, &r);
        assert!(
            (p[0] - 0.5).abs() < 0.01 && (p[1] - 1.0 / 6.0).abs() < 0.01,
            "{p:?}"
        );
    }

    #[test]
    fn rings_need_the_rbf_kernel() {
        let rows: Vec<Vec<f32>> = (0..120)
            .map(|i| {
                let a = i as f32 * 0.37;
                let r = if i % 2 == 0 { 1.0 } else { 3.0 };
                vec![r * a.cos(), r * a.sin()]
            })
            .collect();
        let codes: Vec<u32> = (0..120).map(|i| (i % 2) as u32).collect();
        let x = Matrix::from_rows(&rows).unwrap();
        for nu in [None, Some(0.5)] {
            let m = fit_classifier(&x, &codes, 2, &Options { nu, ..options() }, &|| {}).unwrap();
            let right = (0..120)
                .filter(|&i| m.predict(&rows[i]) == Some(codes[i] as f32))
                .count();
            assert_eq!(right, 120, "nu {nu:?}");
        }
    }

    #[test]
    fn regression_follows_a_curve() {
        let rows: Vec<Vec<f32>> = (0..100).map(|i| vec![i as f32 / 10.0]).collect();
        let y: Vec<f32> = rows.iter().map(|r| r[0].sin()).collect();
        let x = Matrix::from_rows(&rows).unwrap();
        for nu in [None, Some(0.5)] {
            let o = Options {
                nu,
                c: 10.0,
                ..options()
            };
            let m = fit_regressor(&x, &y, &o, &|| {}).unwrap();
            for (r, v) in rows.iter().zip(&y) {
                let p = m.predict(r).unwrap();
                assert!((p - v).abs() < 0.2, "nu {nu:?} at {}: {p} vs {v}", r[0]);
            }
        }
    }

    #[test]
    fn an_infeasible_nu_names_the_limit() {
        let x = Matrix::from_rows(&[vec![0.0], vec![1.0], vec![2.0], vec![3.0]]).unwrap();
        let o = Options {
            nu: Some(0.9),
            ..options()
        };
        let e = fit_classifier(&x, &[0, 1, 1, 1], 2, &o, &|| {}).unwrap_err();
        assert!(e.to_string().contains("nu 0.9 is infeasible"), "{e}");
    }

    #[test]
    fn the_model_round_trips_with_its_kernel_by_name() {
        let k = Kernel {
            kind: KernelKind::Poly,
            gamma: 0.5,
            coef0: 1.0,
            degree: 2,
        };
        assert!(postcard::to_stdvec(&k.kind).unwrap().ends_with(b"poly"));
        let m = SvmModel {
            p: 1,
            kernel: k,
            support: vec![1.0, -1.0],
            num_classes: 2,
            decisions: vec![Decision {
                sv: vec![0, 1],
                coef: vec![1.0, -1.0],
                rho: 0.0,
            }],
            break_ties: false,
        };
        let back: SvmModel = postcard::from_bytes(&postcard::to_stdvec(&m).unwrap()).unwrap();
        assert_eq!(back, m);
        assert_eq!(m.predict(&[2.0]), Some(0.0));
        assert_eq!(m.predict(&[-2.0]), Some(1.0));
    }
}
