//! `automatic_relevance_determination`: scikit-learn's ARDRegression: a Gaussian prior on each
//! weight with its own precision λ_j, noise precision α, Gamma hyperpriors, MacKay's evidence
//! updates as scikit-learn runs them: each iteration Σ = pinv(diag(λ) + α·XᵀX) over the weights
//! still kept, w = α·Σ·Xᵀy, then the γ-based updates of λ and α; a weight whose λ exceeds
//! `threshold_lambda` is pruned (set to 0 for good). Stops when the weights move less than `tol`
//! (L1) between iterations, and refits the posterior mean once more at the end, as scikit-learn.
//! Σ is the pseudo-inverse of a p×p matrix through its eigen-decomposition (scipy's `pinvh` with
//! its cutoff); scikit-learn switches to the Woodbury form when rows < features, which is the
//! same matrix.

use super::params::{float, int, FIT_INTERCEPT, INF};
use super::sgd::params::boolean;
use super::{wrong_labels, Fitted, Labels, Learner, LinearModel, LinearOutput};
use crate::hyperparams::{DefaultValue, Hyperparams, Param};
use crate::linalg::{symmetric_eigen, Sym};
use crate::{Matrix, Result, Task};

#[derive(Debug, Clone, Copy)]
pub struct AutomaticRelevanceDetermination;

const GAMMA_PRIOR: DefaultValue = DefaultValue::Float(1e-6);

const PARAMS: &[Param] = &[
    int("max_iter", 1, 1_000_000, DefaultValue::Int(300)),
    float("tol", 0.0, INF, false, DefaultValue::Float(1e-3)),
    float("alpha_1", 0.0, INF, false, GAMMA_PRIOR),
    float("alpha_2", 0.0, INF, false, GAMMA_PRIOR),
    float("lambda_1", 0.0, INF, false, GAMMA_PRIOR),
    float("lambda_2", 0.0, INF, false, GAMMA_PRIOR),
    // Accepted, no effect: the log marginal likelihood per iteration is not kept.
    boolean("compute_score", false),
    float("threshold_lambda", 0.0, INF, true, DefaultValue::Float(1e4)),
    FIT_INTERCEPT,
    // Accepted, no effect: the training data is always copied out of PostgreSQL.
    boolean("copy_X", true),
    // Accepted, no effect.
    boolean("verbose", false),
];

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    pub max_iter: usize,
    pub tol: f64,
    pub alpha_1: f64,
    pub alpha_2: f64,
    pub lambda_1: f64,
    pub lambda_2: f64,
    pub threshold_lambda: f64,
    pub fit_intercept: bool,
}

impl Learner for AutomaticRelevanceDetermination {
    type Options = Options;

    fn name(&self) -> &'static str {
        "automatic_relevance_determination"
    }

    fn tasks(&self) -> &'static [Task] {
        &[Task::Regression]
    }

    fn estimator_name(&self, _task: Task) -> &'static str {
        "ARDRegression"
    }

    fn params(&self, _task: Task) -> &'static [Param] {
        PARAMS
    }

    fn options(&self, _task: Task, h: &Hyperparams) -> Result<Options> {
        Ok(Options {
            max_iter: h.usize("max_iter")?,
            tol: h.float("tol")?,
            alpha_1: h.float("alpha_1")?,
            alpha_2: h.float("alpha_2")?,
            lambda_1: h.float("lambda_1")?,
            lambda_2: h.float("lambda_2")?,
            threshold_lambda: h.float("threshold_lambda")?,
            fit_intercept: h.bool("fit_intercept")?,
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
            Labels::Values(y) => Ok(Fitted::Linear(fit(x, y, o, check_interrupts))),
            _ => Err(wrong_labels(self.name(), task)),
        }
    }
}

/// scipy's `pinvh`: the pseudo-inverse of a symmetric matrix, eigenvalues at or below
/// max|λ|·size·ε dropped.
fn pinvh(m: &Sym) -> Vec<f64> {
    let k = m.p;
    let e = symmetric_eigen(m);
    let max = e.values.iter().fold(0.0f64, |a, v| a.max(v.abs()));
    let cutoff = max * k as f64 * f64::EPSILON;
    let mut inv = vec![0.0; k * k];
    for (c, &lambda) in e.values.iter().enumerate() {
        if lambda.abs() <= cutoff {
            continue;
        }
        for r in 0..k {
            let vr = e.vectors[r * k + c] / lambda;
            for s in 0..k {
                inv[r * k + s] += vr * e.vectors[s * k + c];
            }
        }
    }
    inv
}

pub fn fit(x: &Matrix, y: &[f32], o: &Options, check_interrupts: &dyn Fn()) -> LinearModel {
    let (n, p) = (x.rows(), x.cols());
    let nf = n.max(1) as f64;
    let mean = |c: &[f32]| c.iter().map(|&v| f64::from(v)).sum::<f64>() / nf;
    let x_off: Vec<f64> = (0..p)
        .map(|j| if o.fit_intercept { mean(x.col(j)) } else { 0.0 })
        .collect();
    let y_off = if o.fit_intercept { mean(y) } else { 0.0 };
    let cols: Vec<Vec<f64>> = (0..p)
        .map(|j| x.col(j).iter().map(|&v| f64::from(v) - x_off[j]).collect())
        .collect();
    let yc: Vec<f64> = y.iter().map(|&v| f64::from(v) - y_off).collect();
    let mut gram = vec![0.0; p * p];
    for a in 0..p {
        check_interrupts();
        for b in 0..=a {
            let v: f64 = cols[a].iter().zip(&cols[b]).map(|(u, w)| u * w).sum();
            gram[a * p + b] = v;
            gram[b * p + a] = v;
        }
    }
    let xty: Vec<f64> = cols
        .iter()
        .map(|c| c.iter().zip(&yc).map(|(u, w)| u * w).sum())
        .collect();
    // np.var(y) of the centered targets (the mean of their squares when centered).
    let y_mean = yc.iter().sum::<f64>() / nf;
    let var_y = yc.iter().map(|v| (v - y_mean) * (v - y_mean)).sum::<f64>() / nf;
    let mut alpha = 1.0 / (var_y + f64::EPSILON);
    let mut lambda = vec![1.0; p];
    let mut keep = vec![true; p];
    let mut coef = vec![0.0; p];
    let mut coef_old: Option<Vec<f64>> = None;
    // Σ over the kept weights, and the posterior mean from it.
    let sigma_and_coef = |alpha: f64, lambda: &[f64], keep: &[bool], coef: &mut [f64]| {
        let kept: Vec<usize> = (0..p).filter(|&j| keep[j]).collect();
        let k = kept.len();
        let mut m = Sym::zeros(k);
        for (a, &ja) in kept.iter().enumerate() {
            for (b, &jb) in kept.iter().enumerate() {
                m.a[a * k + b] = alpha * gram[ja * p + jb];
            }
            m.a[a * k + a] += lambda[ja];
        }
        let sigma = pinvh(&m);
        for (a, &ja) in kept.iter().enumerate() {
            coef[ja] = alpha
                * kept
                    .iter()
                    .enumerate()
                    .map(|(b, &jb)| sigma[a * k + b] * xty[jb])
                    .sum::<f64>();
        }
        (kept, sigma)
    };
    for iter in 0..o.max_iter {
        check_interrupts();
        let (kept, sigma) = sigma_and_coef(alpha, &lambda, &keep, &mut coef);
        let k = kept.len();
        let mut resid = yc.clone();
        for (c, &w) in cols.iter().zip(&coef) {
            if w != 0.0 {
                for (r, &v) in resid.iter_mut().zip(c) {
                    *r -= w * v;
                }
            }
        }
        let rmse: f64 = resid.iter().map(|r| r * r).sum();
        let mut gamma_sum = 0.0;
        for (a, &j) in kept.iter().enumerate() {
            let gamma = 1.0 - lambda[j] * sigma[a * k + a];
            gamma_sum += gamma;
            lambda[j] = (gamma + 2.0 * o.lambda_1) / (coef[j] * coef[j] + 2.0 * o.lambda_2);
        }
        alpha = (nf - gamma_sum + 2.0 * o.alpha_1) / (rmse + 2.0 * o.alpha_2);
        for j in 0..p {
            keep[j] = lambda[j] < o.threshold_lambda;
            if !keep[j] {
                coef[j] = 0.0;
            }
        }
        if iter > 0 {
            if let Some(old) = &coef_old {
                if old
                    .iter()
                    .zip(&coef)
                    .map(|(a, b)| (a - b).abs())
                    .sum::<f64>()
                    < o.tol
                {
                    break;
                }
            }
        }
        coef_old = Some(coef.clone());
        if !keep.iter().any(|&k| k) {
            break;
        }
    }
    if keep.iter().any(|&k| k) {
        sigma_and_coef(alpha, &lambda, &keep, &mut coef);
    }
    let intercept = y_off - coef.iter().zip(&x_off).map(|(w, m)| w * m).sum::<f64>();
    LinearModel {
        p,
        coef,
        intercept: vec![intercept],
        output: LinearOutput::Value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A feature the target does not depend on is pruned to exactly 0; the others are found.
    #[test]
    fn prunes_an_irrelevant_feature() {
        let mut rng = crate::split::SplitMix64(7);
        let rows: Vec<Vec<f32>> = (0..200)
            .map(|_| (0..3).map(|_| rng.unit() as f32 * 10.0).collect())
            .collect();
        let y: Vec<f32> = rows
            .iter()
            .map(|r| 3.0 * r[0] - r[1] + 5.0 + (rng.unit() as f32 - 0.5) * 0.1)
            .collect();
        let o = Options {
            max_iter: 300,
            tol: 1e-3,
            alpha_1: 1e-6,
            alpha_2: 1e-6,
            lambda_1: 1e-6,
            lambda_2: 1e-6,
            threshold_lambda: 1e4,
            fit_intercept: true,
        };
        let m = fit(&Matrix::from_rows(&rows).unwrap(), &y, &o, &|| {});
        assert!(
            (m.coef[0] - 3.0).abs() < 0.01 && (m.coef[1] + 1.0).abs() < 0.01,
            "{:?}",
            m.coef
        );
        assert_eq!(m.coef[2], 0.0, "{:?}", m.coef);
    }
}
