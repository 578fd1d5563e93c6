//! `quantile`: scikit-learn's QuantileRegressor: minimizes
//! (1/n)·Σ ρ_q(y_i − x_i·w − b) + alpha·‖w‖₁ (ρ_q the pinball loss; the intercept is not
//! penalized), a linear program. scikit-learn hands it to HiGHS; pgml solves it exactly with its
//! own primal-dual interior-point method (Mehrotra's predictor-corrector) on the problem's dual,
//! as Portnoy and Koenker's Frisch–Newton algorithm does: max yᵀa subject to X̃ᵀa = (1 − q)·X̃ᵀ1,
//! 0 ≤ a ≤ 1, whose Newton steps are (features + 1)-square systems, so a step costs n·p², never
//! n². The L1 penalty enters as 2·p pseudo-rows (±n·alpha on one feature, target 0): their
//! pinball losses sum to n·alpha·|w_j|. The weights are the multipliers of the equality
//! constraints at the optimum, reached to a relative duality gap of 1e-12. Where the optimum is
//! not unique (e.g. an even number of rows around a median), HiGHS returns a vertex and the
//! interior point a point between optimal vertices: both are optimal, with the same loss.

use super::params::{float, INF};
use super::sgd::params::{boolean, choice};
use super::{wrong_labels, Fitted, Labels, Learner, LinearModel, LinearOutput};
use crate::hyperparams::{DefaultValue, Hyperparams, Param};
use crate::linalg::{cholesky_solve, solve_psd, Sym};
use crate::{Error, Matrix, Result, Task};

#[derive(Debug, Clone, Copy)]
pub struct Quantile;

/// scikit-learn's solver names: every one reaches the same optimum; pgml always runs its interior
/// point.
const SOLVERS: &[&str] = &[
    "highs",
    "highs-ds",
    "highs-ipm",
    "interior-point",
    "revised simplex",
];

const PARAMS: &[Param] = &[
    float("quantile", 0.0, 1.0, true, DefaultValue::Float(0.5)),
    float("alpha", 0.0, INF, false, DefaultValue::Float(1.0)),
    boolean("fit_intercept", true),
    choice("solver", SOLVERS, "highs"),
];

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    pub quantile: f64,
    pub alpha: f64,
    pub fit_intercept: bool,
}

impl Learner for Quantile {
    type Options = Options;

    fn name(&self) -> &'static str {
        "quantile"
    }

    fn tasks(&self) -> &'static [Task] {
        &[Task::Regression]
    }

    fn estimator_name(&self, _task: Task) -> &'static str {
        "QuantileRegressor"
    }

    fn params(&self, _task: Task) -> &'static [Param] {
        PARAMS
    }

    fn options(&self, _task: Task, h: &Hyperparams) -> Result<Options> {
        let quantile = h.float("quantile")?;
        if quantile >= 1.0 {
            return Err(Error::invalid(format!(
                "hyperparameter quantile of quantile must be a number greater than 0 and less than 1, got {quantile}"
            )));
        }
        Ok(Options {
            quantile,
            alpha: h.float("alpha")?,
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
            Labels::Values(y) => Ok(Fitted::Linear(fit(x, y, o, check_interrupts)?)),
            _ => Err(wrong_labels(self.name(), task)),
        }
    }
}

/// The rows of the LP: X̃ (intercept column first when fitted) and y, with the penalty's
/// pseudo-rows appended; column-major for the n·d² products.
struct Lp {
    /// d columns of length m.
    cols: Vec<Vec<f64>>,
    y: Vec<f64>,
}

impl Lp {
    fn new(x: &Matrix, y: &[f32], o: &Options) -> Lp {
        let (n, p) = (x.rows(), x.cols());
        let penalty = if o.alpha > 0.0 { 2 * p } else { 0 };
        let scale = n as f64 * o.alpha;
        let mut cols = Vec::new();
        if o.fit_intercept {
            let mut c = vec![1.0; n];
            c.resize(n + penalty, 0.0);
            cols.push(c);
        }
        for j in 0..p {
            let mut c: Vec<f64> = x.col(j).iter().map(|&v| f64::from(v)).collect();
            c.resize(n + penalty, 0.0);
            if penalty > 0 {
                c[n + 2 * j] = scale;
                c[n + 2 * j + 1] = -scale;
            }
            cols.push(c);
        }
        let mut t: Vec<f64> = y.iter().map(|&v| f64::from(v)).collect();
        t.resize(n + penalty, 0.0);
        Lp { cols, y: t }
    }

    /// A v (d values) for v of length m.
    fn a(&self, v: &[f64]) -> Vec<f64> {
        self.cols
            .iter()
            .map(|c| c.iter().zip(v).map(|(a, b)| a * b).sum())
            .collect()
    }

    /// Aᵀ u (m values) for u of length d.
    fn at(&self, u: &[f64]) -> Vec<f64> {
        let mut out = vec![0.0; self.y.len()];
        for (c, &uj) in self.cols.iter().zip(u) {
            for (o, &v) in out.iter_mut().zip(c) {
                *o += uj * v;
            }
        }
        out
    }

    /// A diag(dg) Aᵀ.
    fn weighted_gram(&self, dg: &[f64]) -> Sym {
        let d = self.cols.len();
        let mut g = Sym::zeros(d);
        for a in 0..d {
            let wa: Vec<f64> = self.cols[a].iter().zip(dg).map(|(v, w)| v * w).collect();
            for b in 0..=a {
                let v: f64 = wa.iter().zip(&self.cols[b]).map(|(u, w)| u * w).sum();
                g.a[a * d + b] = v;
                g.a[b * d + a] = v;
            }
        }
        g
    }
}

fn solve(m: &Sym, b: &[f64]) -> Vec<f64> {
    cholesky_solve(m, b).unwrap_or_else(|| solve_psd(m, b))
}

/// Largest step in (0, 1] keeping v + t·dv ≥ 0.
fn max_step(v: &[f64], dv: &[f64]) -> f64 {
    v.iter()
        .zip(dv)
        .filter(|(_, &d)| d < 0.0)
        .map(|(&x, &d)| -x / d)
        .fold(1.0, f64::min)
}

pub fn fit(x: &Matrix, y: &[f32], o: &Options, check_interrupts: &dyn Fn()) -> Result<LinearModel> {
    let p = x.cols();
    let lp = Lp::new(x, y, o);
    let m = lp.y.len();
    let q = o.quantile;
    // min cᵀx, A x = b, 0 ≤ x ≤ 1; s = 1 − x; dual A'λ + z − w = c.
    let c: Vec<f64> = lp.y.iter().map(|v| -v).collect();
    let mut xv = vec![1.0 - q; m];
    let b = lp.a(&xv);
    let mut s = vec![q; m];
    let mut lambda = solve(&lp.weighted_gram(&vec![1.0; m]), &lp.a(&c));
    let r0: Vec<f64> = c
        .iter()
        .zip(lp.at(&lambda))
        .map(|(ci, ai)| ci - ai)
        .collect();
    let shift = 0.1 * r0.iter().map(|v| v.abs()).sum::<f64>() / m.max(1) as f64 + 1e-8;
    let mut z: Vec<f64> = r0.iter().map(|&r| r.max(0.0) + shift).collect();
    let mut w: Vec<f64> = r0.iter().map(|&r| (-r).max(0.0) + shift).collect();
    let b_norm = b.iter().map(|v| v * v).sum::<f64>().sqrt();
    let mut converged = false;
    for _ in 0..500 {
        check_interrupts();
        let atl = lp.at(&lambda);
        let rp: Vec<f64> = b.iter().zip(lp.a(&xv)).map(|(bi, ai)| bi - ai).collect();
        let rd: Vec<f64> = (0..m).map(|i| c[i] - atl[i] - z[i] + w[i]).collect();
        let gap: f64 = (0..m).map(|i| xv[i] * z[i] + s[i] * w[i]).sum();
        let primal_obj: f64 = c.iter().zip(&xv).map(|(a, b)| a * b).sum();
        let rp_norm = rp.iter().map(|v| v * v).sum::<f64>().sqrt();
        let rd_norm = rd.iter().map(|v| v * v).sum::<f64>().sqrt();
        if gap <= 1e-12 * (1.0 + primal_obj.abs())
            && rp_norm <= 1e-9 * (1.0 + b_norm)
            && rd_norm <= 1e-9 * (1.0 + c.iter().map(|v| v * v).sum::<f64>().sqrt())
        {
            converged = true;
            break;
        }
        let dg: Vec<f64> = (0..m).map(|i| 1.0 / (z[i] / xv[i] + w[i] / s[i])).collect();
        let gram = lp.weighted_gram(&dg);
        // One Newton direction for complementarity targets rxz (x·z) and rsw (s·w).
        let direction = |rxz: &[f64], rsw: &[f64]| {
            let rhat: Vec<f64> = (0..m)
                .map(|i| rd[i] - rxz[i] / xv[i] + rsw[i] / s[i])
                .collect();
            let drh: Vec<f64> = dg.iter().zip(&rhat).map(|(a, b)| a * b).collect();
            let rhs: Vec<f64> = rp.iter().zip(lp.a(&drh)).map(|(a, b)| a + b).collect();
            let dl = solve(&gram, &rhs);
            let atdl = lp.at(&dl);
            let dx: Vec<f64> = (0..m).map(|i| dg[i] * (atdl[i] - rhat[i])).collect();
            let dz: Vec<f64> = (0..m).map(|i| (rxz[i] - z[i] * dx[i]) / xv[i]).collect();
            let dw: Vec<f64> = (0..m).map(|i| (rsw[i] + w[i] * dx[i]) / s[i]).collect();
            (dx, dl, dz, dw)
        };
        let steps = |dx: &[f64], dz: &[f64], dw: &[f64]| {
            let neg_dx: Vec<f64> = dx.iter().map(|v| -v).collect();
            let tp = max_step(&xv, dx).min(max_step(&s, &neg_dx));
            let td = max_step(&z, dz).min(max_step(&w, dw));
            (tp, td)
        };
        // Predictor (affine scaling).
        let rxz: Vec<f64> = (0..m).map(|i| -xv[i] * z[i]).collect();
        let rsw: Vec<f64> = (0..m).map(|i| -s[i] * w[i]).collect();
        let (dx, _, dz, dw) = direction(&rxz, &rsw);
        let (tp, td) = steps(&dx, &dz, &dw);
        let mu = gap / (2 * m) as f64;
        let gap_aff: f64 = (0..m)
            .map(|i| {
                (xv[i] + tp * dx[i]) * (z[i] + td * dz[i])
                    + (s[i] - tp * dx[i]) * (w[i] + td * dw[i])
            })
            .sum();
        let sigma = (gap_aff / gap).powi(3).clamp(0.0, 1.0);
        // Corrector: centering and the predictor's second-order terms.
        let rxz: Vec<f64> = (0..m)
            .map(|i| sigma * mu - xv[i] * z[i] - dx[i] * dz[i])
            .collect();
        let rsw: Vec<f64> = (0..m)
            .map(|i| sigma * mu - s[i] * w[i] + dx[i] * dw[i])
            .collect();
        let (dx, dl, dz, dw) = direction(&rxz, &rsw);
        let (tp, td) = steps(&dx, &dz, &dw);
        let (tp, td) = ((0.99995 * tp).min(1.0), (0.99995 * td).min(1.0));
        for i in 0..m {
            xv[i] += tp * dx[i];
            s[i] -= tp * dx[i];
            z[i] += td * dz[i];
            w[i] += td * dw[i];
        }
        for (l, dl) in lambda.iter_mut().zip(&dl) {
            *l += td * dl;
        }
    }
    if !converged {
        return Err(Error::bad_data(
            "quantile: the interior-point solver did not converge in 500 iterations",
            "scale the features (preprocess) or lower alpha",
        ));
    }
    // The weights are −λ.
    let beta: Vec<f64> = lambda.iter().map(|v| -v).collect();
    let (intercept, coef) = if o.fit_intercept {
        (beta[0], beta[1..].to_vec())
    } else {
        (0.0, beta)
    };
    debug_assert_eq!(coef.len(), p);
    Ok(LinearModel {
        p,
        coef,
        intercept: vec![intercept],
        output: LinearOutput::Value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn objective(m: &LinearModel, x: &Matrix, y: &[f32], o: &Options) -> f64 {
        let n = x.rows() as f64;
        let loss: f64 = (0..x.rows())
            .map(|i| {
                let r = f64::from(y[i]) - f64::from(m.predict(&x.row(i)));
                if r >= 0.0 {
                    o.quantile * r
                } else {
                    (o.quantile - 1.0) * r
                }
            })
            .sum();
        loss / n + o.alpha * m.coef.iter().map(|v| v.abs()).sum::<f64>()
    }

    /// The solution is optimal: no small move of any weight lowers the objective; and the
    /// median line ignores an outlier.
    #[test]
    fn reaches_the_optimum() {
        let rows: Vec<Vec<f32>> = (0..41)
            .map(|i| vec![i as f32 / 4.0, ((i * 7) % 5) as f32])
            .collect();
        let mut y: Vec<f32> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| 2.0 * r[0] - r[1] + 1.0 + ((i * 13) % 7) as f32 * 0.1)
            .collect();
        y[3] += 1000.0;
        let x = Matrix::from_rows(&rows).unwrap();
        for (quantile, alpha) in [(0.5, 0.0), (0.2, 0.0), (0.9, 0.05)] {
            let o = Options {
                quantile,
                alpha,
                fit_intercept: true,
            };
            let m = fit(&x, &y, &o, &|| {}).unwrap();
            let best = objective(&m, &x, &y, &o);
            for j in 0..3 {
                for delta in [-1e-4, 1e-4] {
                    let mut moved = m.clone();
                    if j < 2 {
                        moved.coef[j] += delta;
                    } else {
                        moved.intercept[0] += delta;
                    }
                    assert!(
                        objective(&moved, &x, &y, &o) >= best - 1e-9,
                        "q {quantile}: moving {j} by {delta} improves on {m:?}"
                    );
                }
            }
            if alpha == 0.0 && quantile == 0.5 {
                assert!((m.coef[0] - 2.0).abs() < 0.2, "{m:?}");
            }
        }
    }
}
