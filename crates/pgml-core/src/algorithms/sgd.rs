//! Stochastic gradient descent on linear models, shared by `stochastic_gradient_descent`
//! (SGDRegressor / SGDClassifier), `perceptron` (Perceptron) and `passive_aggressive`
//! (PassiveAggressiveRegressor / PassiveAggressiveClassifier): in scikit-learn these are one
//! Cython loop (`_plain_sgd`) with different losses and step rules, and so they are here.
//!
//! The loop follows scikit-learn's step by step (loss gradients, the `optimal` / `invscaling` /
//! `adaptive` schedules, the passive-aggressive steps PA-I / PA-II, the L2 shrink before the step,
//! Tsuruoka's cumulative L1 truncation after it, averaging, and the stopping rule on the epoch's
//! summed loss or on a held-out validation score), so the same hyperparameters give the same kind
//! of model. Classification is one-vs-rest on ±1 targets, one binary model per class (one for two
//! classes), each with its own seed drawn from `random_state`, as scikit-learn does.

use serde::{Deserialize, Serialize};

use super::Predictor;
use crate::hyperparams::ClassWeight;
use crate::split::SplitMix64;
use crate::{Error, Matrix, Result};

/// A loss of the score `p` against the target `y` (±1 for classification).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Loss {
    /// max(0, threshold − y·p): `hinge` (threshold 1) and `perceptron` (threshold 0).
    Hinge(f64),
    SquaredHinge,
    Log,
    ModifiedHuber,
    SquaredError,
    Huber(f64),
    EpsilonInsensitive(f64),
    SquaredEpsilonInsensitive(f64),
}

impl Loss {
    /// scikit-learn's name → loss; `epsilon` is used by the losses that have one.
    pub fn parse(name: &str, epsilon: f64) -> Option<Loss> {
        Some(match name {
            "hinge" => Loss::Hinge(1.0),
            "perceptron" => Loss::Hinge(0.0),
            "squared_hinge" => Loss::SquaredHinge,
            "log_loss" => Loss::Log,
            "modified_huber" => Loss::ModifiedHuber,
            "squared_error" => Loss::SquaredError,
            "huber" => Loss::Huber(epsilon),
            "epsilon_insensitive" => Loss::EpsilonInsensitive(epsilon),
            "squared_epsilon_insensitive" => Loss::SquaredEpsilonInsensitive(epsilon),
            _ => return None,
        })
    }

    fn loss(self, p: f64, y: f64) -> f64 {
        match self {
            Loss::Hinge(t) => (t - p * y).max(0.0),
            Loss::SquaredHinge => (1.0 - p * y).max(0.0).powi(2),
            Loss::Log => {
                let z = p * y;
                if z > 18.0 {
                    (-z).exp()
                } else if z < -18.0 {
                    -z
                } else {
                    (-z).exp().ln_1p()
                }
            }
            Loss::ModifiedHuber => {
                let z = p * y;
                if z >= 1.0 {
                    0.0
                } else if z >= -1.0 {
                    (1.0 - z).powi(2)
                } else {
                    -4.0 * z
                }
            }
            Loss::SquaredError => 0.5 * (p - y).powi(2),
            Loss::Huber(c) => {
                let r = (p - y).abs();
                if r <= c {
                    0.5 * r * r
                } else {
                    c * r - 0.5 * c * c
                }
            }
            Loss::EpsilonInsensitive(e) => ((y - p).abs() - e).max(0.0),
            Loss::SquaredEpsilonInsensitive(e) => ((y - p).abs() - e).max(0.0).powi(2),
        }
    }

    /// d loss / d p.
    fn dloss(self, p: f64, y: f64) -> f64 {
        match self {
            Loss::Hinge(t) => {
                if p * y <= t {
                    -y
                } else {
                    0.0
                }
            }
            Loss::SquaredHinge => {
                let z = 1.0 - p * y;
                if z > 0.0 {
                    -2.0 * y * z
                } else {
                    0.0
                }
            }
            Loss::Log => {
                let z = p * y;
                if z > 18.0 {
                    -y * (-z).exp()
                } else if z < -18.0 {
                    -y
                } else {
                    -y / (z.exp() + 1.0)
                }
            }
            Loss::ModifiedHuber => {
                let z = p * y;
                if z >= 1.0 {
                    0.0
                } else if z >= -1.0 {
                    -2.0 * (1.0 - z) * y
                } else {
                    -4.0 * y
                }
            }
            Loss::SquaredError => p - y,
            Loss::Huber(c) => {
                let r = p - y;
                if r.abs() <= c {
                    r
                } else if r > 0.0 {
                    c
                } else {
                    -c
                }
            }
            Loss::EpsilonInsensitive(e) => {
                if y - p > e {
                    -1.0
                } else if p - y > e {
                    1.0
                } else {
                    0.0
                }
            }
            Loss::SquaredEpsilonInsensitive(e) => {
                let z = y - p;
                if z > e {
                    -2.0 * (z - e)
                } else if z < -e {
                    2.0 * (-z - e)
                } else {
                    0.0
                }
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Penalty {
    None,
    L2,
    L1,
    ElasticNet,
}

impl Penalty {
    pub fn parse(name: &str) -> Option<Penalty> {
        Some(match name {
            "none" => Penalty::None,
            "l2" => Penalty::L2,
            "l1" => Penalty::L1,
            "elasticnet" => Penalty::ElasticNet,
            _ => return None,
        })
    }
}

/// The step size rule (`learning_rate`), or a passive-aggressive step with its `C`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Schedule {
    Constant,
    Optimal,
    InvScaling,
    Adaptive,
    Pa1(f64),
    Pa2(f64),
}

impl Schedule {
    pub fn parse(name: &str) -> Option<Schedule> {
        Some(match name {
            "constant" => Schedule::Constant,
            "optimal" => Schedule::Optimal,
            "invscaling" => Schedule::InvScaling,
            "adaptive" => Schedule::Adaptive,
            _ => return None,
        })
    }
}

/// Everything the loop needs, already checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    pub loss: Loss,
    pub penalty: Penalty,
    pub alpha: f64,
    pub l1_ratio: f64,
    pub fit_intercept: bool,
    pub max_iter: usize,
    pub tol: f64,
    pub shuffle: bool,
    pub seed: u64,
    pub schedule: Schedule,
    pub eta0: f64,
    pub power_t: f64,
    pub early_stopping: bool,
    pub validation_fraction: f64,
    pub n_iter_no_change: usize,
    /// 0: no averaging; t: average the weights from the t-th update on (true is 1).
    pub average: u64,
    /// Classification: 'balanced' or given per class; scales the update of a class's rows.
    pub class_weight: Option<ClassWeight>,
    /// One-vs-rest classes fitted side by side (`nthread`; the extension caps it by
    /// `pgml.training_threads`). 0 or 1: one at a time on the calling thread.
    pub threads: usize,
}

/// What a classifier answers as probabilities: only the log and modified Huber losses have them
/// (scikit-learn raises for the others). Stored by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "&'static str", try_from = "String")]
pub enum Proba {
    None,
    Log,
    ModifiedHuber,
}

impl From<Proba> for &'static str {
    fn from(p: Proba) -> &'static str {
        match p {
            Proba::None => "none",
            Proba::Log => "log",
            Proba::ModifiedHuber => "modified_huber",
        }
    }
}

impl TryFrom<String> for Proba {
    type Error = String;
    fn try_from(s: String) -> std::result::Result<Proba, String> {
        match s.as_str() {
            "none" => Ok(Proba::None),
            "log" => Ok(Proba::Log),
            "modified_huber" => Ok(Proba::ModifiedHuber),
            _ => Err(format!("unknown probability rule \"{s}\"")),
        }
    }
}

/// One-vs-rest linear classifier: one score per class (one for two classes, positive for class
/// 1), the class of the highest score, and scikit-learn's probabilities where the loss has them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OvrLinearModel {
    pub p: usize,
    pub num_classes: usize,
    pub coef: Vec<f64>,
    pub intercept: Vec<f64>,
    pub proba: Proba,
}

impl OvrLinearModel {
    fn scores(&self, x: &[f32]) -> Vec<f64> {
        self.intercept
            .iter()
            .enumerate()
            .map(|(c, b)| {
                b + self.coef[c * self.p..(c + 1) * self.p]
                    .iter()
                    .zip(x)
                    .map(|(w, &v)| w * f64::from(v))
                    .sum::<f64>()
            })
            .collect()
    }
}

impl Predictor for OvrLinearModel {
    fn num_features(&self) -> usize {
        self.p
    }

    fn predict(&self, x: &[f32]) -> Option<f32> {
        let s = self.scores(x);
        if s.len() == 1 {
            return Some(f32::from(u8::from(s[0] > 0.0)));
        }
        let mut best = 0;
        for c in 1..s.len() {
            if s[c] > s[best] {
                best = c;
            }
        }
        Some(best as f32)
    }

    fn predict_proba(&self, x: &[f32]) -> Option<Vec<f32>> {
        let s = self.scores(x);
        let each: Vec<f64> = match self.proba {
            Proba::None => return None,
            Proba::Log => s.iter().map(|&v| sigmoid(v)).collect(),
            Proba::ModifiedHuber => s
                .iter()
                .map(|&v| (v.clamp(-1.0, 1.0) + 1.0) / 2.0)
                .collect(),
        };
        if each.len() == 1 {
            return Some(vec![(1.0 - each[0]) as f32, each[0] as f32]);
        }
        // One-vs-rest scores normalized to sum to one (uniform where all are zero), as
        // scikit-learn's `_predict_proba_lr` and modified Huber's `predict_proba`.
        let sum: f64 = each.iter().sum();
        let k = each.len() as f64;
        Some(
            each.iter()
                .map(|&v| if sum > 0.0 { v / sum } else { 1.0 / k } as f32)
                .collect(),
        )
    }
}

fn sigmoid(s: f64) -> f64 {
    if s >= 0.0 {
        1.0 / (1.0 + (-s).exp())
    } else {
        let e = s.exp();
        e / (1.0 + e)
    }
}

/// The training rows, row-major. Kept in f32 (each value widened to f64 exactly where it is
/// used, as scikit-learn's float64 copy holds it): a random row is then 80 bytes instead of 160 for
/// 20 features, and the epoch's random walk over the rows, not the arithmetic, is what an epoch
/// waits for on a large table.
struct Rows {
    p: usize,
    data: Vec<f32>,
}

impl Rows {
    fn new(x: &Matrix) -> Rows {
        let (n, p) = (x.rows(), x.cols());
        let mut data = vec![0.0; n * p];
        for j in 0..p {
            for (i, &v) in x.col(j).iter().enumerate() {
                data[i * p + j] = v;
            }
        }
        Rows { p, data }
    }

    fn row(&self, i: usize) -> &[f32] {
        &self.data[i * self.p..(i + 1) * self.p]
    }
}

/// Σ aⱼ·xⱼ in f64, four running sums (the loop's latency, not its work, bounds a small p).
fn dot(a: &[f64], x: &[f32]) -> f64 {
    let mut s = [0.0f64; 4];
    let (a4, a_rest) = a.split_at(a.len() - a.len() % 4);
    let x = &x[..a.len()];
    let (x4, x_rest) = x.split_at(a4.len());
    for (a, x) in a4.chunks_exact(4).zip(x4.chunks_exact(4)) {
        s[0] += a[0] * f64::from(x[0]);
        s[1] += a[1] * f64::from(x[1]);
        s[2] += a[2] * f64::from(x[2]);
        s[3] += a[3] * f64::from(x[3]);
    }
    let mut tail = 0.0;
    for (a, &x) in a_rest.iter().zip(x_rest) {
        tail += a * f64::from(x);
    }
    (s[0] + s[1]) + (s[2] + s[3]) + tail
}

/// Σ xⱼ² (the passive-aggressive steps' ‖x‖²).
fn squared_norm(x: &[f32]) -> f64 {
    x.iter().map(|&v| f64::from(v) * f64::from(v)).sum()
}

/// The weights as scikit-learn's `WeightVector` keeps them: w = scale · data, so the L2 shrink
/// every sample costs one multiplication instead of one per feature (scikit-learn's `scale`,
/// `add` and `reset_wscale`, with its 1e-9 threshold).
struct Weights {
    data: Vec<f64>,
    scale: f64,
}

impl Weights {
    fn new(p: usize) -> Weights {
        Weights {
            data: vec![0.0; p],
            scale: 1.0,
        }
    }

    #[inline]
    fn dot(&self, x: &[f32]) -> f64 {
        dot(&self.data, x) * self.scale
    }

    /// w *= c.
    #[inline]
    fn shrink(&mut self, c: f64) {
        self.scale *= c;
        if self.scale < 1e-9 {
            self.reset_scale();
        }
    }

    fn reset_scale(&mut self) {
        let scale = self.scale;
        self.data.iter_mut().for_each(|v| *v *= scale);
        self.scale = 1.0;
    }

    /// w += c·x.
    #[inline]
    fn add(&mut self, x: &[f32], c: f64) {
        let c = c / self.scale;
        for (w, &v) in self.data.iter_mut().zip(x) {
            *w += f64::from(v) * c;
        }
    }

    /// wⱼ itself.
    #[inline]
    fn get(&self, j: usize) -> f64 {
        self.data[j] * self.scale
    }

    fn values(&self) -> Vec<f64> {
        self.data.iter().map(|v| v * self.scale).collect()
    }
}

/// Samples between interrupt checks inside an epoch (an epoch of a large table can take longer
/// than the ~100 ms a cancel should wait).
const CHECK_EVERY: usize = 1 << 16;

/// Rows held out for early stopping (`validation_fraction`, at least one), and the others.
fn validation_split(n: usize, o: &Options) -> Result<Vec<bool>> {
    let mut mask = vec![false; n];
    if !o.early_stopping {
        return Ok(mask);
    }
    let held = (o.validation_fraction * n as f64).ceil() as usize;
    if held == 0 || held >= n {
        return Err(Error::bad_data(
            format!(
                "validation_fraction {} of {n} training rows leaves no rows to validate on or to train on",
                o.validation_fraction
            ),
            "use early_stopping false, another validation_fraction or more rows",
        ));
    }
    let mut order: Vec<usize> = (0..n).collect();
    SplitMix64(o.seed ^ 0x5EED_7A11_DA7E).shuffle(&mut order);
    for &i in &order[..held] {
        mask[i] = true;
    }
    Ok(mask)
}

/// One binary (or regression) model: scikit-learn's `_plain_sgd` on dense rows.
#[allow(clippy::too_many_arguments)] // the loop's own inputs, as scikit-learn passes them
fn plain_sgd(
    rows: &Rows,
    y: &[f64],
    validation: &[bool],
    classification: bool,
    weight_pos: f64,
    weight_neg: f64,
    seed: u64,
    o: &Options,
    should_stop: &dyn Fn() -> bool,
) -> Result<(Vec<f64>, f64)> {
    let p = rows.p;
    let train: Vec<usize> = (0..y.len()).filter(|&i| !validation[i]).collect();
    let held: Vec<usize> = (0..y.len()).filter(|&i| validation[i]).collect();
    let mut order = train.clone();
    let mut rng = SplitMix64(seed);
    let mut w = Weights::new(p);
    let mut b = 0.0;
    let averaging = o.average > 0;
    let mut avg_w = vec![0.0; if averaging { p } else { 0 }];
    let mut avg_b = 0.0;
    // Cumulative L1 penalty (Tsuruoka et al. 2009): u is what each weight could have lost so far,
    // q what it did lose.
    let l1 = matches!(o.penalty, Penalty::L1 | Penalty::ElasticNet);
    let l2 = matches!(o.penalty, Penalty::L2 | Penalty::ElasticNet);
    let mut q = vec![0.0; if l1 { p } else { 0 }];
    let mut u = 0.0;
    let mut eta = o.eta0;
    let optimal_init = if o.schedule == Schedule::Optimal {
        let typw = (1.0 / o.alpha.sqrt()).sqrt();
        let initial_eta0 = typw / o.loss.dloss(-typw, 1.0).max(1.0);
        1.0 / (initial_eta0 * o.alpha)
    } else {
        0.0
    };
    let is_hinge = matches!(o.loss, Loss::Hinge(_));
    let mut t: f64 = 1.0;
    let mut best_loss = f64::INFINITY;
    let mut best_score = f64::NEG_INFINITY;
    let mut no_improvement = 0usize;
    let train_count = train.len() as f64;
    for epoch in 0..o.max_iter {
        if should_stop() {
            return Err(stopped());
        }
        if o.shuffle {
            rng.shuffle(&mut order);
        }
        let mut sumloss = 0.0;
        for (k, &i) in order.iter().enumerate() {
            if k % CHECK_EVERY == CHECK_EVERY - 1 && should_stop() {
                return Err(stopped());
            }
            let x = rows.row(i);
            let yi = y[i];
            let score = w.dot(x) + b;
            match o.schedule {
                Schedule::Optimal => eta = 1.0 / (o.alpha * (optimal_init + t - 1.0)),
                Schedule::InvScaling => eta = o.eta0 / t.powf(o.power_t),
                _ => {}
            }
            if !o.early_stopping {
                sumloss += o.loss.loss(score, yi);
            }
            let class_weight = if yi > 0.0 { weight_pos } else { weight_neg };
            let mut update = match o.schedule {
                Schedule::Pa1(c) | Schedule::Pa2(c) => {
                    let norm = squared_norm(x);
                    let l = o.loss.loss(score, yi);
                    let step = if let Schedule::Pa1(_) = o.schedule {
                        if norm == 0.0 {
                            0.0
                        } else {
                            c.min(l / norm)
                        }
                    } else {
                        l / (norm + 0.5 / c)
                    };
                    if is_hinge {
                        step * yi
                    } else if yi - score < 0.0 {
                        -step
                    } else {
                        step
                    }
                }
                _ => -eta * o.loss.dloss(score, yi).clamp(-1e12, 1e12),
            };
            update *= class_weight;
            if l2 {
                w.shrink((1.0 - (1.0 - o.l1_ratio) * eta * o.alpha).max(0.0));
            }
            if update != 0.0 {
                w.add(x, update);
                if o.fit_intercept {
                    b += update;
                }
            }
            if averaging && o.average as f64 <= t {
                let count = t - o.average as f64 + 1.0;
                for (j, a) in avg_w.iter_mut().enumerate() {
                    *a += (w.get(j) - *a) / count;
                }
                avg_b += (b - avg_b) / count;
            }
            if l1 {
                // scikit-learn's l1penalty on the scaled weights.
                u += o.l1_ratio * eta * o.alpha;
                let scale = w.scale;
                for (wj, qj) in w.data.iter_mut().zip(q.iter_mut()) {
                    let z = *wj;
                    if scale * z > 0.0 {
                        *wj = (z - (u + *qj) / scale).max(0.0);
                    } else if scale * z < 0.0 {
                        *wj = (z + (u - *qj) / scale).min(0.0);
                    }
                    *qj += scale * (*wj - z);
                }
            }
            t += 1.0;
        }
        if !w.data.iter().all(|v| v.is_finite()) || !w.scale.is_finite() || !b.is_finite() {
            return Err(Error::bad_data(
                format!(
                    "floating-point overflow in stochastic gradient descent at epoch {}",
                    epoch + 1
                ),
                "scale the features (e.g. preprocess with scale: standard), or lower eta0 or alpha",
            ));
        }
        if o.early_stopping {
            let current = w.values();
            let (vw, vb) = if averaging && o.average as f64 <= t - 1.0 {
                (&avg_w, avg_b)
            } else {
                (&current, b)
            };
            let score = validation_score(rows, y, &held, vw, vb, classification);
            if score < best_score + o.tol {
                no_improvement += 1;
            } else {
                no_improvement = 0;
            }
            best_score = best_score.max(score);
        } else {
            if sumloss > best_loss - o.tol * train_count {
                no_improvement += 1;
            } else {
                no_improvement = 0;
            }
            best_loss = best_loss.min(sumloss);
        }
        if no_improvement >= o.n_iter_no_change {
            if o.schedule == Schedule::Adaptive && eta > 1e-6 {
                eta /= 5.0;
                no_improvement = 0;
            } else {
                break;
            }
        }
    }
    // scikit-learn keeps the averaged weights once averaging has started.
    if averaging && o.average as f64 <= t - 1.0 {
        Ok((avg_w, avg_b))
    } else {
        Ok((w.values(), b))
    }
}

/// A worker told to stop (another failed, or the caller's cancel check unwound): never what a
/// user sees, since the cancel itself is reported on the calling thread.
fn stopped() -> Error {
    Error::invalid("training was stopped")
}

/// Accuracy (classification, ±1 targets) or R² (regression) on the held-out rows.
fn validation_score(
    rows: &Rows,
    y: &[f64],
    held: &[usize],
    w: &[f64],
    b: f64,
    classification: bool,
) -> f64 {
    let pred: Vec<f64> = held.iter().map(|&i| dot(w, rows.row(i)) + b).collect();
    let n = held.len() as f64;
    if classification {
        held.iter()
            .zip(&pred)
            .filter(|(&i, &s)| (s > 0.0) == (y[i] > 0.0))
            .count() as f64
            / n
    } else {
        let mean = held.iter().map(|&i| y[i]).sum::<f64>() / n;
        let ss_res: f64 = held
            .iter()
            .zip(&pred)
            .map(|(&i, s)| (y[i] - s).powi(2))
            .sum();
        let ss_tot: f64 = held.iter().map(|&i| (y[i] - mean).powi(2)).sum();
        if ss_tot > 0.0 {
            1.0 - ss_res / ss_tot
        } else {
            0.0
        }
    }
}

/// Regression: one model on the values.
pub fn fit_regressor(
    x: &Matrix,
    y: &[f32],
    o: &Options,
    check_interrupts: &dyn Fn(),
) -> Result<super::LinearModel> {
    let rows = Rows::new(x);
    let y: Vec<f64> = y.iter().map(|&v| f64::from(v)).collect();
    let validation = validation_split(y.len(), o)?;
    let (coef, b) = plain_sgd(&rows, &y, &validation, false, 1.0, 1.0, o.seed, o, &|| {
        check_interrupts();
        false
    })?;
    Ok(super::LinearModel {
        p: x.cols(),
        coef,
        intercept: vec![b],
        output: super::LinearOutput::Value,
    })
}

/// Classification: one-vs-rest (one model for two classes).
pub fn fit_classifier(
    x: &Matrix,
    codes: &[u32],
    num_classes: usize,
    o: &Options,
    proba: Proba,
    check_interrupts: &dyn Fn(),
) -> Result<OvrLinearModel> {
    if num_classes < 2 {
        return Err(Error::bad_data(
            "classification needs at least two classes in the training data",
            "check the label column, or use a larger training set",
        ));
    }
    let n = codes.len();
    let rows = Rows::new(x);
    // class_weight 'balanced': n / (k · count of the class); or as given per class.
    let mut counts = vec![0usize; num_classes];
    for &c in codes {
        counts[c as usize] += 1;
    }
    let given = match &o.class_weight {
        Some(cw) => cw.per_class(num_classes)?,
        None => None,
    };
    let balanced = o.class_weight == Some(ClassWeight::Balanced);
    let weight = |c: usize| match given {
        Some(w) => w[c],
        None if balanced && counts[c] > 0 => n as f64 / (num_classes as f64 * counts[c] as f64),
        None => 1.0,
    };
    let validation = validation_split(n, o)?;
    let models = if num_classes == 2 { 1 } else { num_classes };
    // Each class's seed is drawn in class order, so the model is the same whatever the threads.
    let mut seeds = SplitMix64(o.seed);
    let seeds: Vec<u64> = (0..models)
        .map(|_| {
            if num_classes == 2 {
                o.seed
            } else {
                seeds.next_u64()
            }
        })
        .collect();
    // One binary model: class m against the rest (class 1 against 0 for two classes).
    let binary = |m: usize, should_stop: &dyn Fn() -> bool| {
        let positive = if num_classes == 2 { 1 } else { m };
        let y: Vec<f64> = codes
            .iter()
            .map(|&c| if c as usize == positive { 1.0 } else { -1.0 })
            .collect();
        let (weight_pos, weight_neg) = if num_classes == 2 {
            (weight(1), weight(0))
        } else {
            (weight(m), 1.0)
        };
        plain_sgd(
            &rows,
            &y,
            &validation,
            true,
            weight_pos,
            weight_neg,
            seeds[m],
            o,
            should_stop,
        )
    };
    let fitted = one_vs_rest(models, o.threads, &binary, check_interrupts)?;
    let mut coef = Vec::with_capacity(models * x.cols());
    let mut intercept = Vec::with_capacity(models);
    for (w, b) in fitted {
        coef.extend(w);
        intercept.push(b);
    }
    Ok(OvrLinearModel {
        p: x.cols(),
        num_classes,
        coef,
        intercept,
        proba,
    })
}

/// One one-vs-rest model: `(class, should_stop) → (weights, intercept)`.
type BinaryFit<'a> = dyn Fn(usize, &dyn Fn() -> bool) -> Result<(Vec<f64>, f64)> + Sync + 'a;

/// How often the thread waiting for one-vs-rest workers runs the cancel check.
const WAIT_CHECK: std::time::Duration = std::time::Duration::from_millis(50);

/// Fits `models` binary models, `binary(m, should_stop)`, on at most `threads` scoped threads (as
/// scikit-learn's `n_jobs` runs one-vs-rest classes in parallel), in class order. The calling
/// thread runs the cancel check (PostgreSQL's must run there) between waits; a cancel unwinding
/// out of it, or a failed class, stops the workers at their next check.
fn one_vs_rest(
    models: usize,
    threads: usize,
    binary: &BinaryFit<'_>,
    check_interrupts: &dyn Fn(),
) -> Result<Vec<(Vec<f64>, f64)>> {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::mpsc;

    let threads = threads.clamp(1, models.max(1));
    if threads == 1 {
        let stop = || {
            check_interrupts();
            false
        };
        return (0..models).map(|m| binary(m, &stop)).collect();
    }
    struct StopOnDrop<'a>(&'a AtomicBool);
    impl Drop for StopOnDrop<'_> {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Relaxed);
        }
    }
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let (send, receive) = mpsc::channel::<(usize, Result<(Vec<f64>, f64)>)>();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let send = send.clone();
            let (next, stop) = (&next, &stop);
            scope.spawn(move || loop {
                let m = next.fetch_add(1, Ordering::Relaxed);
                if m >= models || stop.load(Ordering::Relaxed) {
                    return;
                }
                let fitted = binary(m, &|| stop.load(Ordering::Relaxed));
                if send.send((m, fitted)).is_err() {
                    return;
                }
            });
        }
        drop(send);
        let _stop_workers = StopOnDrop(&stop);
        let mut out: Vec<Option<(Vec<f64>, f64)>> = (0..models).map(|_| None).collect();
        let mut done = 0;
        while done < models {
            check_interrupts();
            match receive.recv_timeout(WAIT_CHECK) {
                Ok((m, fitted)) => {
                    out[m] = Some(fitted?);
                    done += 1;
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                // Every worker is gone: one panicked (the scope re-raises it on join).
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        out.into_iter().map(|f| f.ok_or_else(stopped)).collect()
    })
}

/// Hyperparameters the three SGD-family learners share, with scikit-learn's names and defaults.
pub(super) mod params {
    use super::super::params::{float, int, INF};
    use crate::hyperparams::{DefaultValue, Kind, Param};

    pub const fn choice(
        name: &'static str,
        options: &'static [&'static str],
        default: &'static str,
    ) -> Param {
        Param {
            name,
            kind: Kind::Choice(options),
            default: DefaultValue::Str(default),
        }
    }

    pub const fn boolean(name: &'static str, default: bool) -> Param {
        Param {
            name,
            kind: Kind::Bool,
            default: DefaultValue::Bool(default),
        }
    }

    pub const PENALTIES: &[&str] = &["l2", "l1", "elasticnet", "none"];
    pub const CLASSIFIER_LOSSES: &[&str] = &[
        "hinge",
        "log_loss",
        "modified_huber",
        "squared_hinge",
        "perceptron",
        "squared_error",
        "huber",
        "epsilon_insensitive",
        "squared_epsilon_insensitive",
    ];
    pub const REGRESSOR_LOSSES: &[&str] = &[
        "squared_error",
        "huber",
        "epsilon_insensitive",
        "squared_epsilon_insensitive",
    ];
    pub const LEARNING_RATES: &[&str] = &["optimal", "constant", "invscaling", "adaptive"];

    pub const SGD_ALPHA: Param = float("alpha", 0.0, INF, false, DefaultValue::Float(1e-4));
    pub const L1_RATIO: Param = float("l1_ratio", 0.0, 1.0, false, DefaultValue::Float(0.15));
    pub const MAX_ITER: Param = int("max_iter", 1, 1_000_000, DefaultValue::Int(1000));
    /// Any real, as scikit-learn's; a very negative tol never stops early (scikit-learn's None).
    pub const TOL: Param = float("tol", -INF, INF, false, DefaultValue::Float(1e-3));
    pub const SHUFFLE: Param = boolean("shuffle", true);
    /// Accepted, no effect: pgml does not print training progress.
    pub const VERBOSE: Param = int("verbose", 0, i64::MAX, DefaultValue::Int(0));
    pub const EPSILON: Param = float("epsilon", 0.0, INF, false, DefaultValue::Float(0.1));
    /// Accepted, no effect: one-vs-rest models train one after another.
    pub const N_JOBS: Param = int("n_jobs", -1024, 1024, DefaultValue::Null);
    /// null (scikit-learn's default, a fresh seed) is 0 here, so a retrain gives the same model.
    pub const RANDOM_STATE: Param = int("random_state", 0, i64::MAX, DefaultValue::Null);
    pub const EARLY_STOPPING: Param = boolean("early_stopping", false);
    pub const VALIDATION_FRACTION: Param = float(
        "validation_fraction",
        0.0,
        1.0,
        true,
        DefaultValue::Float(0.1),
    );
    pub const N_ITER_NO_CHANGE: Param = int("n_iter_no_change", 1, 1_000_000, DefaultValue::Int(5));
    pub const CLASS_WEIGHT: Param = Param {
        name: "class_weight",
        kind: Kind::ClassWeight(&["none", "balanced"]),
        default: DefaultValue::Str("none"),
    };
    /// Accepted, no effect: every train starts from zero weights.
    pub const WARM_START: Param = boolean("warm_start", false);
    /// 0 is scikit-learn's false; n averages from the n-th update on (true is 1).
    pub const AVERAGE: Param = int("average", 0, i64::MAX, DefaultValue::Int(0));
}

/// The options every SGD-family learner reads the same way; the caller sets loss, penalty,
/// schedule, averaging, class weights and the rest its table declares.
pub(super) fn common_options(
    h: &crate::hyperparams::Hyperparams,
    loss: Loss,
    schedule: Schedule,
) -> Result<Options> {
    let validation_fraction = h.float("validation_fraction")?;
    if validation_fraction >= 1.0 {
        return Err(Error::invalid(format!(
            "hyperparameter validation_fraction must be a number greater than 0 and less than 1, got {validation_fraction}"
        )));
    }
    Ok(Options {
        loss,
        penalty: Penalty::None,
        alpha: 1e-4,
        l1_ratio: 0.15,
        fit_intercept: h.bool("fit_intercept")?,
        max_iter: h.usize("max_iter")?,
        tol: h.float("tol")?,
        shuffle: h.bool("shuffle")?,
        seed: h.opt_int("random_state")?.unwrap_or(0).unsigned_abs(),
        schedule,
        eta0: 1.0,
        power_t: 0.5,
        early_stopping: h.bool("early_stopping")?,
        validation_fraction,
        n_iter_no_change: h.usize("n_iter_no_change")?,
        average: 0,
        class_weight: None,
        threads: 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(loss: Loss, schedule: Schedule) -> Options {
        Options {
            loss,
            penalty: Penalty::L2,
            alpha: 1e-4,
            l1_ratio: 0.15,
            fit_intercept: true,
            max_iter: 1000,
            tol: 1e-3,
            shuffle: true,
            seed: 0,
            schedule,
            eta0: 0.01,
            power_t: 0.25,
            early_stopping: false,
            validation_fraction: 0.1,
            n_iter_no_change: 5,
            average: 0,
            class_weight: None,
            threads: 1,
        }
    }

    fn line() -> (Matrix, Vec<f32>) {
        let rows: Vec<Vec<f32>> = (0..200)
            .map(|i| vec![(i % 10) as f32 / 10.0, ((i * 7) % 13) as f32 / 13.0])
            .collect();
        let y = rows.iter().map(|r| 3.0 * r[0] - 2.0 * r[1] + 1.0).collect();
        (Matrix::from_rows(&rows).unwrap(), y)
    }

    #[test]
    fn regression_finds_the_line() {
        let (x, y) = line();
        for loss in [Loss::SquaredError, Loss::Huber(1.0)] {
            let o = Options {
                tol: 1e-6,
                ..options(loss, Schedule::InvScaling)
            };
            let m = fit_regressor(&x, &y, &o, &|| {}).unwrap();
            assert!((m.coef[0] - 3.0).abs() < 0.2, "{loss:?} {:?}", m.coef);
            assert!(
                (m.intercept[0] - 1.0).abs() < 0.2,
                "{loss:?} {:?}",
                m.intercept
            );
        }
    }

    #[test]
    fn classifiers_separate_and_give_probabilities() {
        let (x, y) = line();
        let codes: Vec<u32> = y.iter().map(|&v| u32::from(v > 1.5)).collect();
        for (loss, proba) in [
            (Loss::Hinge(1.0), Proba::None),
            (Loss::Log, Proba::Log),
            (Loss::ModifiedHuber, Proba::ModifiedHuber),
        ] {
            let o = options(loss, Schedule::Optimal);
            let m = fit_classifier(&x, &codes, 2, &o, proba, &|| {}).unwrap();
            let right = (0..x.rows())
                .filter(|&i| m.predict(&x.row(i)) == Some(codes[i] as f32))
                .count();
            assert!(right >= 180, "{loss:?}: {right}/200");
            match m.predict_proba(&x.row(0)) {
                Some(p) => assert!((p[0] + p[1] - 1.0).abs() < 1e-6),
                None => assert_eq!(proba, Proba::None),
            }
        }
    }

    /// One-vs-rest classes fitted on several threads give the model one thread gives (each
    /// class's seed is drawn in class order), and a cancel stops the workers.
    #[test]
    fn one_vs_rest_threads_do_not_change_the_model() {
        let (x, y) = line();
        let codes: Vec<u32> = y.iter().map(|&v| (v.max(0.0) as u32).min(3)).collect();
        let fit = |threads: usize| {
            let o = Options {
                threads,
                ..options(Loss::Hinge(1.0), Schedule::Optimal)
            };
            fit_classifier(&x, &codes, 4, &o, Proba::None, &|| {}).unwrap()
        };
        let one = fit(1);
        assert_eq!(one.intercept.len(), 4);
        assert_eq!(one, fit(2));
        assert_eq!(one, fit(3));
        assert_eq!(one, fit(8));
        // A cancel (the check unwinding on the calling thread) stops every worker.
        let o = Options {
            threads: 2,
            max_iter: 1_000_000,
            tol: f64::NEG_INFINITY,
            ..options(Loss::Hinge(1.0), Schedule::Optimal)
        };
        let cancelled = std::panic::catch_unwind(|| {
            fit_classifier(&x, &codes, 4, &o, Proba::None, &|| panic!("cancel"))
        });
        assert!(cancelled.is_err());
    }

    #[test]
    fn l1_zeroes_a_useless_feature() {
        let rows: Vec<Vec<f32>> = (0..300)
            .map(|i| vec![(i % 10) as f32 / 10.0, ((i * 7) % 13) as f32 / 13.0])
            .collect();
        let y: Vec<f32> = rows.iter().map(|r| 2.0 * r[0]).collect();
        let o = Options {
            penalty: Penalty::L1,
            alpha: 0.01,
            ..options(Loss::SquaredError, Schedule::InvScaling)
        };
        let m = fit_regressor(&Matrix::from_rows(&rows).unwrap(), &y, &o, &|| {}).unwrap();
        assert!(m.coef[1].abs() < 0.05, "{:?}", m.coef);
    }

    #[test]
    fn overflow_is_an_error_naming_the_cure() {
        let rows: Vec<Vec<f32>> = (0..50).map(|i| vec![i as f32 * 1e30]).collect();
        let y: Vec<f32> = (0..50).map(|i| i as f32).collect();
        let o = Options {
            eta0: 1e300,
            penalty: Penalty::None,
            ..options(Loss::SquaredError, Schedule::Constant)
        };
        let e = fit_regressor(&Matrix::from_rows(&rows).unwrap(), &y, &o, &|| {}).unwrap_err();
        assert!(e.hint().unwrap().contains("scale"), "{e}");
    }

    /// Stored data: the probability rule by name, and the model round-trips.
    #[test]
    fn the_model_round_trips_with_its_rule_stored_by_name() {
        assert_eq!(postcard::to_stdvec(&Proba::Log).unwrap(), b"\x03log");
        let m = OvrLinearModel {
            p: 2,
            num_classes: 3,
            coef: vec![1.0, 0.0, 0.0, 1.0, -1.0, -1.0],
            intercept: vec![0.0, 0.0, 0.5],
            proba: Proba::ModifiedHuber,
        };
        let back: OvrLinearModel = postcard::from_bytes(&postcard::to_stdvec(&m).unwrap()).unwrap();
        assert_eq!(back, m);
        assert_eq!(m.predict(&[2.0, 1.0]), Some(0.0));
        let p = m.predict_proba(&[2.0, 1.0]).unwrap();
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-6, "{p:?}");
    }
}
