//! `huber`: scikit-learn's HuberRegressor: minimizes over the weights, intercept and scale σ
//! Σ_i (σ + H_ε(r_i/σ)·σ) + alpha·‖w‖² (Owen's concomitant scale, jointly convex), by L-BFGS
//! with σ kept positive, from scikit-learn's start (zeros, σ = 1). scikit-learn runs L-BFGS-B on
//! the same objective and gradient, so both approach the same optimum.

use super::params::{float, int, FIT_INTERCEPT, INF};
use super::sgd::params::boolean;
use super::{wrong_labels, Fitted, Labels, Learner, LinearModel, LinearOutput};
use crate::hyperparams::{DefaultValue, Hyperparams, Param};
use crate::{Matrix, Result, Task};

#[derive(Debug, Clone, Copy)]
pub struct Huber;

const PARAMS: &[Param] = &[
    float("epsilon", 1.0, INF, false, DefaultValue::Float(1.35)),
    int("max_iter", 0, 1_000_000, DefaultValue::Int(100)),
    float("alpha", 0.0, INF, false, DefaultValue::Float(1e-4)),
    // Accepted, no effect: every train starts from scikit-learn's start.
    boolean("warm_start", false),
    FIT_INTERCEPT,
    float("tol", 0.0, INF, false, DefaultValue::Float(1e-5)),
];

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    pub epsilon: f64,
    pub max_iter: usize,
    pub alpha: f64,
    pub fit_intercept: bool,
    pub tol: f64,
}

impl Learner for Huber {
    type Options = Options;

    fn name(&self) -> &'static str {
        "huber"
    }

    fn tasks(&self) -> &'static [Task] {
        &[Task::Regression]
    }

    fn estimator_name(&self, _task: Task) -> &'static str {
        "HuberRegressor"
    }

    fn params(&self, _task: Task) -> &'static [Param] {
        PARAMS
    }

    fn options(&self, _task: Task, h: &Hyperparams) -> Result<Options> {
        Ok(Options {
            epsilon: h.float("epsilon")?,
            max_iter: h.usize("max_iter")?,
            alpha: h.float("alpha")?,
            fit_intercept: h.bool("fit_intercept")?,
            tol: h.float("tol")?,
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

/// Smallest scale, as scikit-learn's bound (10 machine epsilons).
const MIN_SIGMA: f64 = 10.0 * f64::EPSILON;

/// The objective and its gradient at theta = (w, b, σ).
fn eval(cols: &[Vec<f64>], y: &[f64], o: &Options, theta: &[f64], grad: &mut [f64]) -> f64 {
    let p = cols.len();
    let (b, sigma) = (theta[p], theta[p + 1]);
    let mut r: Vec<f64> = y.iter().map(|&v| v - b).collect();
    for (c, &w) in cols.iter().zip(theta) {
        for (ri, &v) in r.iter_mut().zip(c) {
            *ri -= w * v;
        }
    }
    let n = y.len() as f64;
    let eps = o.epsilon;
    let mut loss = n * sigma;
    let mut gs = n;
    // d loss / d r_i.
    let d: Vec<f64> = r
        .iter()
        .map(|&ri| {
            if ri.abs() > eps * sigma {
                loss += 2.0 * eps * ri.abs() - sigma * eps * eps;
                gs -= eps * eps;
                2.0 * eps * ri.signum()
            } else {
                loss += ri * ri / sigma;
                gs -= ri * ri / (sigma * sigma);
                2.0 * ri / sigma
            }
        })
        .collect();
    for (j, c) in cols.iter().enumerate() {
        let g: f64 = c.iter().zip(&d).map(|(v, di)| v * di).sum();
        grad[j] = -g + 2.0 * o.alpha * theta[j];
        loss += o.alpha * theta[j] * theta[j];
    }
    grad[p] = if o.fit_intercept {
        -d.iter().sum::<f64>()
    } else {
        0.0
    };
    grad[p + 1] = gs;
    loss
}

pub fn fit(x: &Matrix, y: &[f32], o: &Options, check_interrupts: &dyn Fn()) -> LinearModel {
    let p = x.cols();
    let cols: Vec<Vec<f64>> = (0..p)
        .map(|j| x.col(j).iter().map(|&v| f64::from(v)).collect())
        .collect();
    let y: Vec<f64> = y.iter().map(|&v| f64::from(v)).collect();
    let d = p + 2;
    let mut theta = vec![0.0; d];
    theta[p + 1] = 1.0;
    let mut g = vec![0.0; d];
    let mut f = eval(&cols, &y, o, &theta, &mut g);
    let mut s_hist: Vec<Vec<f64>> = Vec::new();
    let mut y_hist: Vec<Vec<f64>> = Vec::new();
    let mut g_new = vec![0.0; d];
    for _ in 0..o.max_iter {
        check_interrupts();
        if g.iter().fold(0.0f64, |a, v| a.max(v.abs())) <= o.tol {
            break;
        }
        // Two-loop recursion: direction = −H·g.
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
            let bcoef = rho * dot(yv, &q);
            q.iter_mut()
                .zip(s)
                .for_each(|(qi, si)| *qi += (a - bcoef) * si);
        }
        let mut dir: Vec<f64> = q.iter().map(|v| -v).collect();
        if dot(&g, &dir) >= 0.0 {
            dir = g.iter().map(|v| -v).collect();
            s_hist.clear();
            y_hist.clear();
        }
        // Backtracking (Armijo), σ kept above its bound.
        let slope = dot(&g, &dir);
        let mut step = 1.0;
        let mut accepted = None;
        for _ in 0..60 {
            let mut cand: Vec<f64> = theta
                .iter()
                .zip(&dir)
                .map(|(t, di)| t + step * di)
                .collect();
            cand[p + 1] = cand[p + 1].max(MIN_SIGMA);
            let fc = eval(&cols, &y, o, &cand, &mut g_new);
            if fc <= f + 1e-4 * step * slope.min(0.0) {
                accepted = Some((cand, fc));
                break;
            }
            step *= 0.5;
        }
        let Some((cand, fc)) = accepted else { break };
        let s: Vec<f64> = cand.iter().zip(&theta).map(|(a, b)| a - b).collect();
        let yv: Vec<f64> = g_new.iter().zip(&g).map(|(a, b)| a - b).collect();
        if dot(&s, &yv) > 1e-12 {
            s_hist.push(s);
            y_hist.push(yv);
            if s_hist.len() > 10 {
                s_hist.remove(0);
                y_hist.remove(0);
            }
        }
        let converged = (f - fc).abs() <= 2.2e-9 * f.abs().max(fc.abs()).max(1.0);
        theta = cand;
        f = fc;
        g.copy_from_slice(&g_new);
        if converged {
            break;
        }
    }
    LinearModel {
        p,
        coef: theta[..p].to_vec(),
        intercept: vec![theta[p]],
        output: LinearOutput::Value,
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outlier_does_not_pull_the_line() {
        let rows: Vec<Vec<f32>> = (0..50).map(|i| vec![i as f32 / 10.0]).collect();
        let mut y: Vec<f32> = rows.iter().map(|r| 2.0 * r[0] + 1.0).collect();
        y[10] = 1000.0;
        let o = Options {
            epsilon: 1.35,
            max_iter: 1000,
            alpha: 1e-4,
            fit_intercept: true,
            tol: 1e-8,
        };
        let m = fit(&Matrix::from_rows(&rows).unwrap(), &y, &o, &|| {});
        assert!((m.coef[0] - 2.0).abs() < 0.05, "{:?}", m.coef);
    }
}
