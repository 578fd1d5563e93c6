//! `bayesian_ridge`: scikit-learn's BayesianRidge: Gaussian prior on the weights with precision
//! lambda, noise precision alpha, both with Gamma hyperpriors, re-estimated (MacKay's updates)
//! until the coefficients move less than `tol`. The posterior mean is computed through the
//! eigen-decomposition of the p×p Gram matrix (scikit-learn uses the SVD of X: the same
//! eigenvalues and directions), so each iteration costs p², not n·p.

use super::params::{float, int, FIT_INTERCEPT, INF};
use super::sgd::params::boolean;
use super::{wrong_labels, Fitted, Labels, Learner, LinearModel, LinearOutput};
use crate::hyperparams::{DefaultValue, Hyperparams, Param};
use crate::linalg::{symmetric_eigen, Sym};
use crate::{Matrix, Result, Task};

#[derive(Debug, Clone, Copy)]
pub struct BayesianRidge;

const GAMMA_PRIOR: DefaultValue = DefaultValue::Float(1e-6);

const PARAMS: &[Param] = &[
    int("max_iter", 1, 1_000_000, DefaultValue::Int(300)),
    float("tol", 0.0, INF, false, DefaultValue::Float(1e-3)),
    float("alpha_1", 0.0, INF, false, GAMMA_PRIOR),
    float("alpha_2", 0.0, INF, false, GAMMA_PRIOR),
    float("lambda_1", 0.0, INF, false, GAMMA_PRIOR),
    float("lambda_2", 0.0, INF, false, GAMMA_PRIOR),
    float("alpha_init", 0.0, INF, true, DefaultValue::Null),
    float("lambda_init", 0.0, INF, true, DefaultValue::Null),
    // Accepted, no effect: the log marginal likelihood per iteration is not kept.
    boolean("compute_score", false),
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
    pub alpha_init: Option<f64>,
    pub lambda_init: Option<f64>,
    pub fit_intercept: bool,
}

impl Learner for BayesianRidge {
    type Options = Options;

    fn name(&self) -> &'static str {
        "bayesian_ridge"
    }

    fn tasks(&self) -> &'static [Task] {
        &[Task::Regression]
    }

    fn estimator_name(&self, _task: Task) -> &'static str {
        "BayesianRidge"
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
            alpha_init: h.opt_float("alpha_init")?,
            lambda_init: h.opt_float("lambda_init")?,
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
    let mut gram = Sym::zeros(p);
    for a in 0..p {
        check_interrupts();
        for b in 0..=a {
            let v: f64 = cols[a].iter().zip(&cols[b]).map(|(u, w)| u * w).sum();
            gram.a[a * p + b] = v;
            gram.a[b * p + a] = v;
        }
    }
    let xty: Vec<f64> = cols
        .iter()
        .map(|c| c.iter().zip(&yc).map(|(u, w)| u * w).sum())
        .collect();
    let e = symmetric_eigen(&gram);
    let eigen: Vec<f64> = e.values.iter().map(|&v| v.max(0.0)).collect();
    // Vᵀ Xᵀy: the target in the eigenbasis.
    let vty: Vec<f64> = (0..p)
        .map(|k| (0..p).map(|r| e.vectors[r * p + k] * xty[r]).sum())
        .collect();
    let coef_for = |alpha: f64, lambda: f64| -> Vec<f64> {
        let mut w = vec![0.0; p];
        for k in 0..p {
            let s = vty[k] / (eigen[k] + lambda / alpha);
            for (r, wr) in w.iter_mut().enumerate() {
                *wr += e.vectors[r * p + k] * s;
            }
        }
        w
    };
    let rss = |w: &[f64]| -> f64 {
        let mut resid = yc.clone();
        for (c, &wj) in cols.iter().zip(w) {
            for (r, &v) in resid.iter_mut().zip(c) {
                *r -= wj * v;
            }
        }
        resid.iter().map(|r| r * r).sum()
    };
    let var_y = yc.iter().map(|v| v * v).sum::<f64>() / nf;
    let mut alpha = o.alpha_init.unwrap_or(1.0 / (var_y + f64::EPSILON));
    let mut lambda = o.lambda_init.unwrap_or(1.0);
    let mut old: Option<Vec<f64>> = None;
    for _ in 0..o.max_iter {
        check_interrupts();
        let w = coef_for(alpha, lambda);
        let r = rss(&w);
        let gamma: f64 = eigen
            .iter()
            .map(|&ev| alpha * ev / (lambda + alpha * ev))
            .sum();
        lambda =
            (gamma + 2.0 * o.lambda_1) / (w.iter().map(|v| v * v).sum::<f64>() + 2.0 * o.lambda_2);
        alpha = (nf - gamma + 2.0 * o.alpha_1) / (r + 2.0 * o.alpha_2);
        if let Some(prev) = &old {
            if prev.iter().zip(&w).map(|(a, b)| (a - b).abs()).sum::<f64>() < o.tol {
                break;
            }
        }
        old = Some(w);
    }
    let coef = coef_for(alpha, lambda);
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

    #[test]
    fn recovers_a_noisy_line() {
        let rows: Vec<Vec<f32>> = (0..200)
            .map(|i| vec![(i % 10) as f32, ((i * 7) % 13) as f32])
            .collect();
        let y: Vec<f32> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| 3.0 * r[0] - r[1] + 5.0 + ((i * 31 % 17) as f32 - 8.0) * 0.05)
            .collect();
        let o = Options {
            max_iter: 300,
            tol: 1e-3,
            alpha_1: 1e-6,
            alpha_2: 1e-6,
            lambda_1: 1e-6,
            lambda_2: 1e-6,
            alpha_init: None,
            lambda_init: None,
            fit_intercept: true,
        };
        let m = fit(&Matrix::from_rows(&rows).unwrap(), &y, &o, &|| {});
        assert!(
            (m.coef[0] - 3.0).abs() < 0.01 && (m.coef[1] + 1.0).abs() < 0.01,
            "{:?}",
            m.coef
        );
        assert!((m.intercept[0] - 5.0).abs() < 0.1, "{:?}", m.intercept);
    }
}
