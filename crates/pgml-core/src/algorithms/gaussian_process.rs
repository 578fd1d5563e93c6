//! `gaussian_process`: scikit-learn's GaussianProcessRegressor. The kernel is a text
//! hyperparameter in scikit-learn's own syntax (see `gp_kernel.rs`); the default is
//! scikit-learn's, `ConstantKernel(1.0, "fixed") * RBF(1.0, "fixed")`. Its non-fixed
//! hyperparameters (in log space, within their bounds) maximize the log marginal likelihood
//! −½·yᵀ(K + alpha·I)⁻¹y − Σ log L_ii − n/2·log 2π, by L-BFGS projected onto the bounds from the
//! kernel's values and then from `n_restarts_optimizer` starts drawn uniformly in the log bounds
//! (pgml's draws, seeded by `random_state`), keeping the best, as scikit-learn does with
//! fmin_l_bfgs_b; pgml's gradient is by central differences in log space rather than analytic.
//! The fit is the Cholesky factor of K + alpha·I and the dual coefficients; `normalize_y`
//! standardizes the targets first. Prediction is the posterior mean.
//!
//! K is n×n, and the fit holds it and its factor: more than `max_train_rows` rows (pgml's, 5000
//! by default: 400 MB) are refused (54000) before anything is allocated, naming the limit and
//! that override. Classification (GaussianProcessClassifier) is `gaussian_process_classifier.rs`.

use serde::{Deserialize, Serialize};

use super::gp_kernel::{self, Kernel};
use super::params::{float, int, INF};
use super::sgd::params::{boolean, choice};
use super::{wrong_labels, Fitted, Labels, Learner, Predictor};
use crate::hyperparams::{DefaultValue, Hyperparams, Kind, Param};
use crate::split::SplitMix64;
use crate::{Error, Matrix, Result, Task};

#[derive(Debug, Clone, Copy)]
pub struct GaussianProcess;

const MAX_TRAIN_ROWS: i64 = 5_000;

const PARAMS: &[Param] = &[
    Param {
        name: "kernel",
        kind: Kind::Text {
            what:
                "a kernel in scikit-learn's syntax, such as \"1.0 * RBF(1.0) + WhiteKernel(1.0)\"",
        },
        default: DefaultValue::Null,
    },
    float("alpha", 0.0, INF, false, DefaultValue::Float(1e-10)),
    choice("optimizer", &["fmin_l_bfgs_b", "none"], "fmin_l_bfgs_b"),
    int("n_restarts_optimizer", 0, 1000, DefaultValue::Int(0)),
    boolean("normalize_y", false),
    // Accepted, no effect: the training rows are always copied into the model.
    boolean("copy_X_train", true),
    // Accepted, no effect: scikit-learn uses it only to sample the prior before a fit.
    int("n_targets", 1, i64::MAX, DefaultValue::Null),
    int("random_state", 0, i64::MAX, DefaultValue::Null),
    int(
        "max_train_rows",
        1,
        1_000_000,
        DefaultValue::Int(MAX_TRAIN_ROWS),
    ),
];

/// GaussianProcessClassifier's parameters (scikit-learn's names and defaults; no `alpha` or
/// `normalize_y`: the likelihood is the logistic's).
const CLASSIFIER_PARAMS: &[Param] = &[
    Param {
        name: "kernel",
        kind: Kind::Text {
            what: "a kernel in scikit-learn's syntax, such as \"1.0 * RBF(1.0)\"",
        },
        default: DefaultValue::Null,
    },
    choice("optimizer", &["fmin_l_bfgs_b", "none"], "fmin_l_bfgs_b"),
    int("n_restarts_optimizer", 0, 1000, DefaultValue::Int(0)),
    int("max_iter_predict", 1, 1_000_000, DefaultValue::Int(100)),
    // Accepted, no effect: each fit starts the Newton iterations from f = 0.
    boolean("warm_start", false),
    // Accepted, no effect: the training rows are always copied into the model.
    boolean("copy_X_train", true),
    int("random_state", 0, i64::MAX, DefaultValue::Null),
    choice("multi_class", &["one_vs_rest", "one_vs_one"], "one_vs_rest"),
    // Accepted, no effect: pgml fits the one-vs-rest classifiers one after another.
    int("n_jobs", i64::MIN, i64::MAX, DefaultValue::Null),
    int(
        "max_train_rows",
        1,
        1_000_000,
        DefaultValue::Int(MAX_TRAIN_ROWS),
    ),
];

#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    pub kernel: Kernel,
    pub alpha: f64,
    pub optimize: bool,
    pub n_restarts: usize,
    pub normalize_y: bool,
    pub seed: u64,
    pub max_train_rows: usize,
    /// Classification: Newton steps to the posterior mode.
    pub max_iter_predict: usize,
}

fn default_kernel() -> Kernel {
    // Parsing a constant text cannot fail; the test below holds it.
    gp_kernel::parse("ConstantKernel(1.0, \"fixed\") * RBF(1.0, \"fixed\")").unwrap_or(
        Kernel::Constant(gp_kernel::Hyper {
            value: vec![1.0],
            bounds: None,
        }),
    )
}

impl Learner for GaussianProcess {
    type Options = Options;

    fn name(&self) -> &'static str {
        "gaussian_process"
    }

    fn tasks(&self) -> &'static [Task] {
        &[Task::Regression, Task::Classification]
    }

    fn estimator_name(&self, task: Task) -> &'static str {
        match task {
            Task::Classification => "GaussianProcessClassifier",
            _ => "GaussianProcessRegressor",
        }
    }

    fn params(&self, task: Task) -> &'static [Param] {
        match task {
            Task::Classification => CLASSIFIER_PARAMS,
            _ => PARAMS,
        }
    }

    fn options(&self, task: Task, h: &Hyperparams) -> Result<Options> {
        if task == Task::Classification && h.str("multi_class")? == "one_vs_one" {
            return Err(Error::not_supported(
                "gaussian_process classification with multi_class 'one_vs_one' is not implemented",
                "use multi_class 'one_vs_rest' (the default)",
            ));
        }
        let kernel = match h.opt_str("kernel")? {
            Some(text) => gp_kernel::parse(text)?,
            None => default_kernel(),
        };
        // Restarts with nothing to optimize do nothing, as in scikit-learn.
        let n_restarts = h.usize("n_restarts_optimizer")?;
        Ok(Options {
            kernel,
            alpha: match task {
                Task::Classification => 0.0,
                _ => h.float("alpha")?,
            },
            optimize: h.str("optimizer")? != "none",
            n_restarts,
            normalize_y: task != Task::Classification && h.bool("normalize_y")?,
            seed: h.opt_int("random_state")?.unwrap_or(0).unsigned_abs(),
            max_train_rows: h.usize("max_train_rows")?,
            max_iter_predict: match task {
                Task::Classification => h.usize("max_iter_predict")?,
                _ => 100,
            },
        })
    }

    fn fit(
        &self,
        task: Task,
        o: &Options,
        x: &Matrix,
        labels: Labels<'_>,
        check_interrupts: &dyn Fn(),
    ) -> Result<Fitted> {
        match labels {
            Labels::Values(y) => Ok(Fitted::GaussianProcess(fit(x, y, o, check_interrupts)?)),
            Labels::Classes { codes, num_classes } => Ok(Fitted::GaussianProcessClassifier(
                super::gaussian_process_classifier::fit(
                    x,
                    codes,
                    num_classes,
                    o,
                    o.max_iter_predict,
                    check_interrupts,
                )?,
            )),
            _ => Err(wrong_labels(self.name(), task)),
        }
    }
}

/// A fitted GaussianProcessRegressor: the training rows, the kernel with its fitted
/// hyperparameters, the dual coefficients and the targets' scaling.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GaussianProcessModel {
    pub p: usize,
    /// Row-major training rows.
    pub rows: Vec<f32>,
    pub kernel: Kernel,
    pub dual_coef: Vec<f64>,
    pub y_mean: f64,
    pub y_std: f64,
}

impl Predictor for GaussianProcessModel {
    fn num_features(&self) -> usize {
        self.p
    }

    fn predict(&self, x: &[f32]) -> Option<f32> {
        let x: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
        let mut row = vec![0.0; self.p];
        let mut sum = 0.0;
        for (r, c) in self.rows.chunks(self.p.max(1)).zip(&self.dual_coef) {
            for (d, &v) in row.iter_mut().zip(r) {
                *d = f64::from(v);
            }
            sum += c * self.kernel.eval(&row, &x, false);
        }
        Some((sum * self.y_std + self.y_mean) as f32)
    }
}

/// Rows that `cholesky` and the classifier's forward substitution work on together.
pub(super) const ROW_BLOCK: usize = 4;

/// `(Σₖ a₀[k]·b[k], …)` for four rows `a` against one `b`, each sum taken over k in increasing
/// order from −0.0 as `Iterator::sum` takes it, so each result has exactly the bits of
/// `a[r].iter().zip(b).map(|(x, y)| x * y).sum()`. One such sum waits on its previous addition
/// at every step; four independent ones keep the floating-point units busy and read `b` once.
#[inline]
pub(super) fn dot4(a: [&[f64]; ROW_BLOCK], b: &[f64]) -> [f64; ROW_BLOCK] {
    let mut s = [-0.0f64; ROW_BLOCK];
    for ((((&x0, &x1), &x2), &x3), &y) in a[0].iter().zip(a[1]).zip(a[2]).zip(a[3]).zip(b) {
        s[0] += x0 * y;
        s[1] += x1 * y;
        s[2] += x2 * y;
        s[3] += x3 * y;
    }
    s
}

/// Lower Cholesky factor of a row-major n×n matrix, in place; false if not positive definite.
/// The upper triangle is left as it was.
///
/// Row by row (Cholesky–Banachiewicz): L[i][j] = (A[i][j] − Σₖ₍ₖ₍ⱼ₎ L[i][k]·L[j][k]) / L[j][j],
/// every sum over k in increasing order, so the factor does not depend on the order in which
/// its entries are computed. Blocks of `ROW_BLOCK` rows take their sums against each earlier
/// row together (`dot4`): the sums alone waited on one addition at a time, and for n in the
/// thousands (a classifier's Laplace step on digits) this was most of a fit.
pub(super) fn cholesky(a: &mut [f64], n: usize, check_interrupts: &dyn Fn()) -> bool {
    let mut i0 = 0;
    while i0 < n {
        if i0 % 64 == 0 {
            check_interrupts();
        }
        let rows = ROW_BLOCK.min(n - i0);
        let (done, block) = a.split_at_mut(i0 * n);
        // Columns left of the block: every earlier row is finished.
        if rows == ROW_BLOCK {
            for j in 0..i0 {
                let lj = &done[j * n..j * n + j + 1];
                let (r0, rest) = block.split_at_mut(n);
                let (r1, rest) = rest.split_at_mut(n);
                let (r2, r3) = rest.split_at_mut(n);
                let s = dot4([&r0[..j], &r1[..j], &r2[..j], &r3[..j]], &lj[..j]);
                for (row, s) in [r0, r1, r2, &mut r3[..n]].into_iter().zip(s) {
                    row[j] = (row[j] - s) / lj[j];
                }
            }
        } else {
            for r in 0..rows {
                let row = &mut block[r * n..(r + 1) * n];
                for j in 0..i0 {
                    let lj = &done[j * n..j * n + j + 1];
                    let s: f64 = row[..j].iter().zip(lj).map(|(x, y)| x * y).sum();
                    row[j] = (row[j] - s) / lj[j];
                }
            }
        }
        // The block's own triangle, one entry at a time, each diagonal before the rows below
        // use it.
        for r in 0..rows {
            let (above, row) = block.split_at_mut(r * n);
            let row = &mut row[..n];
            let i = i0 + r;
            for j in i0..i {
                let lj = &above[(j - i0) * n..(j - i0) * n + j + 1];
                let s: f64 = row[..j].iter().zip(lj).map(|(x, y)| x * y).sum();
                row[j] = (row[j] - s) / lj[j];
            }
            let d = row[i] - row[..i].iter().map(|v| v * v).sum::<f64>();
            if d <= 0.0 || !d.is_finite() {
                return false;
            }
            row[i] = d.sqrt();
        }
        i0 += rows;
    }
    true
}

/// Solves L Lᵀ x = b with the factor from `cholesky`.
pub(super) fn cho_solve(l: &[f64], n: usize, b: &[f64]) -> Vec<f64> {
    let mut z = b.to_vec();
    for i in 0..n {
        let s: f64 = l[i * n..i * n + i].iter().zip(&z).map(|(a, b)| a * b).sum();
        z[i] = (z[i] - s) / l[i * n + i];
    }
    for i in (0..n).rev() {
        let s: f64 = (i + 1..n).map(|k| l[k * n + i] * z[k]).sum();
        z[i] = (z[i] - s) / l[i * n + i];
    }
    z
}

/// The Cholesky factor of K + alpha·I (row-major, lower) and the dual coefficients.
/// The factor and each target's dual coefficients.
type Factor = (Vec<f64>, Vec<Vec<f64>>);

struct Problem<'a> {
    rows: Vec<Vec<f64>>,
    /// One column per target (several for `pgml.train_joint`), each normalized as asked.
    ys: Vec<Vec<f64>>,
    alpha: f64,
    check_interrupts: &'a dyn Fn(),
}

impl Problem<'_> {
    fn gram(&self, kernel: &Kernel) -> Vec<f64> {
        let n = self.rows.len();
        let mut k = vec![0.0; n * n];
        for i in 0..n {
            if i % 256 == 0 {
                (self.check_interrupts)();
            }
            for j in 0..=i {
                let v = kernel.eval(&self.rows[i], &self.rows[j], i == j);
                k[i * n + j] = v;
                k[j * n + i] = v;
            }
            k[i * n + i] += self.alpha;
        }
        k
    }

    /// The log marginal likelihood (summed over the targets, as scikit-learn sums
    /// `log_likelihood_dims` for a 2-D y: one kernel for all targets) and, when K is positive
    /// definite, the factor and dual coefficients.
    fn lml(&self, kernel: &Kernel) -> (f64, Option<Factor>) {
        let n = self.rows.len();
        let mut k = self.gram(kernel);
        if !cholesky(&mut k, n, self.check_interrupts) {
            return (f64::NEG_INFINITY, None);
        }
        let logdet: f64 = (0..n).map(|i| k[i * n + i].ln()).sum();
        let mut v = 0.0;
        let mut duals = Vec::with_capacity(self.ys.len());
        for y in &self.ys {
            let dual = cho_solve(&k, n, y);
            let fit = -0.5 * y.iter().zip(&dual).map(|(a, b)| a * b).sum::<f64>();
            v += fit - logdet - 0.5 * n as f64 * (2.0 * std::f64::consts::PI).ln();
            duals.push(dual);
        }
        (v, Some((k, duals)))
    }
}

/// Minimizes `f` over the box `bounds` from `start`: L-BFGS steps projected onto the box, the
/// gradient by central differences, stopping at scipy's defaults for fmin_l_bfgs_b (projected
/// gradient below 1e-5, or a relative decrease below 2.2e-9).
pub(super) fn minimize(
    f: &dyn Fn(&[f64]) -> f64,
    start: &[f64],
    bounds: &[(f64, f64)],
) -> (Vec<f64>, f64) {
    let d = start.len();
    let project = |x: &mut Vec<f64>| {
        for (v, (lo, hi)) in x.iter_mut().zip(bounds) {
            *v = v.clamp(*lo, *hi);
        }
    };
    let grad = |x: &[f64]| -> Vec<f64> {
        (0..d)
            .map(|j| {
                let h = 1e-5 * x[j].abs().max(1.0);
                let (mut a, mut b) = (x.to_vec(), x.to_vec());
                a[j] = (x[j] + h).min(bounds[j].1);
                b[j] = (x[j] - h).max(bounds[j].0);
                let span = a[j] - b[j];
                if span <= 0.0 {
                    0.0
                } else {
                    (f(&a) - f(&b)) / span
                }
            })
            .collect()
    };
    let mut x = start.to_vec();
    project(&mut x);
    let mut fx = f(&x);
    let mut g = grad(&x);
    let mut s_hist: Vec<Vec<f64>> = Vec::new();
    let mut y_hist: Vec<Vec<f64>> = Vec::new();
    for _ in 0..200 {
        // Projected gradient: what a step along −g could still move within the box.
        let pg = x
            .iter()
            .zip(&g)
            .zip(bounds)
            .map(|((&xi, &gi), &(lo, hi))| ((xi - gi).clamp(lo, hi) - xi).abs())
            .fold(0.0f64, f64::max);
        if pg <= 1e-5 || !fx.is_finite() {
            break;
        }
        let mut q = g.clone();
        let mut alphas = Vec::new();
        for (s, yv) in s_hist.iter().zip(&y_hist).rev() {
            let rho = 1.0 / dot(yv, s);
            let a = rho * dot(s, &q);
            q.iter_mut().zip(yv).for_each(|(qi, yi)| *qi -= a * yi);
            alphas.push((rho, a));
        }
        let scale = match (s_hist.last(), y_hist.last()) {
            (Some(s), Some(yv)) => dot(s, yv) / dot(yv, yv),
            _ => 1.0 / dot(&g, &g).sqrt().max(1e-12),
        };
        q.iter_mut().for_each(|v| *v *= scale);
        for ((s, yv), (rho, a)) in s_hist.iter().zip(&y_hist).zip(alphas.into_iter().rev()) {
            let b = rho * dot(yv, &q);
            q.iter_mut().zip(s).for_each(|(qi, si)| *qi += (a - b) * si);
        }
        let mut dir: Vec<f64> = q.iter().map(|v| -v).collect();
        if dot(&g, &dir) >= 0.0 {
            dir = g.iter().map(|v| -v).collect();
            s_hist.clear();
            y_hist.clear();
        }
        let mut t = 1.0;
        let mut accepted = None;
        for _ in 0..40 {
            let mut cand: Vec<f64> = x.iter().zip(&dir).map(|(a, b)| a + t * b).collect();
            project(&mut cand);
            let fc = f(&cand);
            let moved: f64 = cand
                .iter()
                .zip(&x)
                .zip(&g)
                .map(|((c, a), gi)| (c - a) * gi)
                .sum();
            if fc.is_finite() && fc <= fx + 1e-4 * moved.min(0.0) {
                accepted = Some((cand, fc));
                break;
            }
            t *= 0.5;
        }
        let Some((cand, fc)) = accepted else { break };
        let gc = grad(&cand);
        let s: Vec<f64> = cand.iter().zip(&x).map(|(a, b)| a - b).collect();
        let yv: Vec<f64> = gc.iter().zip(&g).map(|(a, b)| a - b).collect();
        if dot(&s, &yv) > 1e-12 {
            s_hist.push(s);
            y_hist.push(yv);
            if s_hist.len() > 10 {
                s_hist.remove(0);
                y_hist.remove(0);
            }
        }
        let converged = (fx - fc) <= 2.2e-9 * fx.abs().max(fc.abs()).max(1.0);
        x = cand;
        fx = fc;
        g = gc;
        if converged {
            break;
        }
    }
    (x, fx)
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

pub fn fit(
    x: &Matrix,
    y: &[f32],
    o: &Options,
    check_interrupts: &dyn Fn(),
) -> Result<GaussianProcessModel> {
    let mut models = fit_joint(x, &[y.to_vec()], o, check_interrupts)?;
    models
        .pop()
        .ok_or_else(|| Error::invalid("gaussian_process: no target to fit"))
}

/// Several targets with one kernel: its hyperparameters maximize the log marginal likelihood
/// summed over the targets, as scikit-learn's GaussianProcessRegressor does for a 2-D y; each
/// target gets its own dual coefficients (and normalization). One model per target, sharing the
/// kernel.
pub fn fit_joint(
    x: &Matrix,
    ys: &[Vec<f32>],
    o: &Options,
    check_interrupts: &dyn Fn(),
) -> Result<Vec<GaussianProcessModel>> {
    let (n, p) = (x.rows(), x.cols());
    check_rows(n, o)?;
    o.kernel.check(p)?;
    fit_checked(x, ys, o, check_interrupts)
}

/// Refuses a training set whose n×n matrices exceed `max_train_rows`, before allocating them.
pub(super) fn check_rows(n: usize, o: &Options) -> Result<()> {
    if n > o.max_train_rows {
        return Err(Error::too_large(
            format!(
                "gaussian_process needs n×n matrices: {n} training rows exceed the limit of {} ({:.1} MB)",
                o.max_train_rows,
                16.0 * (o.max_train_rows as f64).powi(2) / 1e6
            ),
            format!(
                "raise hyperparameter max_train_rows to at least {n} if the server has {:.1} MB to spare, or train on fewer rows",
                16.0 * (n as f64).powi(2) / 1e6
            ),
        ));
    }
    Ok(())
}

fn fit_checked(
    x: &Matrix,
    ys: &[Vec<f32>],
    o: &Options,
    check_interrupts: &dyn Fn(),
) -> Result<Vec<GaussianProcessModel>> {
    let (n, p) = (x.rows(), x.cols());
    let nf = n.max(1) as f64;
    // Per target: (mean, std) and the normalized values.
    let scaled: Vec<((f64, f64), Vec<f64>)> = ys
        .iter()
        .map(|y| {
            let yv: Vec<f64> = y.iter().map(|&v| f64::from(v)).collect();
            let (y_mean, y_std) = if o.normalize_y {
                let m = yv.iter().sum::<f64>() / nf;
                let s = (yv.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / nf).sqrt();
                // scikit-learn's _handle_zeros_in_scale: a constant target keeps scale 1.
                (m, if s < 10.0 * f64::EPSILON { 1.0 } else { s })
            } else {
                (0.0, 1.0)
            };
            let z = yv.iter().map(|v| (v - y_mean) / y_std).collect();
            ((y_mean, y_std), z)
        })
        .collect();
    let problem = Problem {
        rows: (0..n)
            .map(|i| x.row(i).into_iter().map(f64::from).collect())
            .collect(),
        ys: scaled.iter().map(|(_, z)| z.clone()).collect(),
        alpha: o.alpha,
        check_interrupts,
    };
    let mut kernel = o.kernel.clone();
    let mut theta = Vec::new();
    kernel.theta(&mut theta);
    if o.optimize && !theta.is_empty() {
        let bounds: Vec<(f64, f64)> = theta.iter().map(|(_, b)| *b).collect();
        let objective = |t: &[f64]| -> f64 {
            let mut k = o.kernel.clone();
            k.set_theta(t);
            -problem.lml(&k).0
        };
        let start: Vec<f64> = theta.iter().map(|(v, _)| *v).collect();
        let mut best = minimize(&objective, &start, &bounds);
        let mut rng = SplitMix64(o.seed);
        for _ in 0..o.n_restarts {
            let s: Vec<f64> = bounds
                .iter()
                .map(|(lo, hi)| lo + (hi - lo) * rng.unit())
                .collect();
            let candidate = minimize(&objective, &s, &bounds);
            if candidate.1 < best.1 {
                best = candidate;
            }
        }
        kernel.set_theta(&best.0);
    }
    let (_, factor) = problem.lml(&kernel);
    let Some((_, duals)) = factor else {
        return Err(Error::bad_data(
            "gaussian_process: the kernel matrix plus alpha·I is not positive definite",
            "raise hyperparameter alpha (e.g. 1e-6), or add a WhiteKernel to the kernel",
        ));
    };
    let rows: Vec<f32> = (0..n).flat_map(|i| x.row(i)).collect();
    Ok(duals
        .into_iter()
        .zip(&scaled)
        .map(|(dual_coef, &((y_mean, y_std), _))| GaussianProcessModel {
            p,
            rows: rows.clone(),
            kernel: kernel.clone(),
            dual_coef,
            y_mean,
            y_std,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The column-by-column factorization `cholesky` had before it worked in row blocks.
    fn plain_cholesky(a: &mut [f64], n: usize) -> bool {
        for j in 0..n {
            let row_j = &mut a[j * n..(j + 1) * n];
            let d = row_j[j] - row_j[..j].iter().map(|v| v * v).sum::<f64>();
            if d <= 0.0 || !d.is_finite() {
                return false;
            }
            let d = d.sqrt();
            row_j[j] = d;
            let lj = row_j[..j].to_vec();
            for i in j + 1..n {
                let row_i = &mut a[i * n..(i + 1) * n];
                let s: f64 = row_i[..j].iter().zip(&lj).map(|(x, y)| x * y).sum();
                row_i[j] = (row_i[j] - s) / d;
            }
        }
        true
    }

    /// The blocked factorization gives the bits of the plain one, for every size around the
    /// block's, and refuses the same matrices.
    #[test]
    fn blocked_cholesky_is_the_plain_one_bit_for_bit() {
        let mut rng = SplitMix64(3);
        for n in 0..=13 {
            // Symmetric, off the diagonal uniform in (−1, 1) or an exact zero of either sign (a
            // sum's start value shows only on them), the diagonal `diagonal`: positive definite
            // for n − 1 (diagonally dominant), often not for the smaller ones.
            let mut a = vec![0.0; n * n];
            for i in 0..n {
                for j in 0..i {
                    let v = match rng.unit() {
                        u if u < 0.3 => 0.0,
                        u if u < 0.6 => -0.0,
                        _ => rng.unit() * 2.0 - 1.0,
                    };
                    a[i * n + j] = v;
                    a[j * n + i] = v;
                }
            }
            for diagonal in [n as f64 - 1.0, 1.0, 0.5] {
                for i in 0..n {
                    a[i * n + i] = diagonal + rng.unit() * 1e-3;
                }
                let (mut plain, mut blocked) = (a.clone(), a.clone());
                let plain_ok = plain_cholesky(&mut plain, n);
                let ok = cholesky(&mut blocked, n, &|| {});
                assert_eq!(ok, plain_ok, "n = {n}, diagonal {diagonal}");
                if ok {
                    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                    assert_eq!(bits(&blocked), bits(&plain), "n = {n}, diagonal {diagonal}");
                }
            }
        }
    }

    fn options(kernel: &str) -> Options {
        Options {
            kernel: gp_kernel::parse(kernel).unwrap(),
            alpha: 1e-10,
            optimize: true,
            n_restarts: 0,
            normalize_y: false,
            seed: 0,
            max_train_rows: 5000,
            max_iter_predict: 100,
        }
    }

    #[test]
    fn the_default_kernel_parses() {
        let k = default_kernel();
        let mut theta = Vec::new();
        k.theta(&mut theta);
        assert!(theta.is_empty(), "both hyperparameters are fixed");
        assert!(matches!(k, Kernel::Product(..)));
    }

    /// With a white-noise term the optimizer finds the noise level of noisy data and the fit
    /// follows the curve between training points.
    #[test]
    fn learns_length_scale_and_noise() {
        let mut rng = SplitMix64(1);
        let rows: Vec<Vec<f32>> = (0..60).map(|i| vec![i as f32 / 6.0]).collect();
        let y: Vec<f32> = rows
            .iter()
            .map(|r| r[0].sin() + (rng.unit() as f32 - 0.5) * 0.2)
            .collect();
        let x = Matrix::from_rows(&rows).unwrap();
        let o = Options {
            n_restarts: 2,
            normalize_y: true,
            ..options("1.0 * RBF(1.0) + WhiteKernel(0.5)")
        };
        let m = fit(&x, &y, &o, &|| {}).unwrap();
        let Kernel::Sum(_, white) = &m.kernel else {
            panic!("{:?}", m.kernel)
        };
        let Kernel::White(noise) = white.as_ref() else {
            panic!()
        };
        // Uniform noise of width 0.2 has variance 0.0033; normalized by y's std (~0.7).
        assert!(noise.value[0] > 1e-3 && noise.value[0] < 0.05, "{noise:?}");
        let p = m.predict(&[2.05]).unwrap();
        assert!((p - 2.05f32.sin()).abs() < 0.1, "{p}");
        let fixed = fit(&x, &y, &options("RBF(1.0, \"fixed\")"), &|| {}).unwrap();
        assert!(fixed.predict(&[1.0]).unwrap().is_finite());
    }

    #[test]
    fn too_many_rows_are_refused_before_allocating() {
        let x = Matrix::from_rows(&vec![vec![1.0]; 11]).unwrap();
        let o = Options {
            max_train_rows: 10,
            max_iter_predict: 100,
            ..options("RBF(1.0)")
        };
        let e = fit(&x, &[0.0; 11], &o, &|| {}).unwrap_err();
        assert!(matches!(e, Error::TooLarge { .. }), "{e:?}");
        assert!(e.hint().unwrap().contains("max_train_rows"));
    }
}
