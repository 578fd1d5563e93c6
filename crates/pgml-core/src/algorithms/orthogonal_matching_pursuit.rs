//! `orthogonal_matching_pursuit`: scikit-learn's OrthogonalMatchingPursuit: add, one at a time,
//! the feature most correlated with the residual, refit least squares on the chosen ones, until
//! `n_nonzero_coefs` are chosen (default max(⌊p/10⌋, 1)) or the squared residual is at most `tol`.
//! Worked on the p×p Gram matrix of the centered data, as scikit-learn's `precompute='auto'` does
//! when there are more rows than features (the same steps either way).

use super::params::{float, int, FIT_INTERCEPT, INF};
use super::sgd::params::choice;
use super::{wrong_labels, Fitted, Labels, Learner, LinearModel, LinearOutput};
use crate::hyperparams::{DefaultValue, Hyperparams, Param};
use crate::linalg::{solve_psd, Sym};
use crate::{Error, Matrix, Result, Task};

#[derive(Debug, Clone, Copy)]
pub struct OrthogonalMatchingPursuit;

const PARAMS: &[Param] = &[
    int("n_nonzero_coefs", 1, 1_000_000, DefaultValue::Null),
    float("tol", 0.0, INF, false, DefaultValue::Null),
    FIT_INTERCEPT,
    // Accepted: pgml always works on the Gram matrix, which gives the same steps.
    choice("precompute", &["auto"], "auto"),
];

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    pub n_nonzero_coefs: Option<usize>,
    pub tol: Option<f64>,
    pub fit_intercept: bool,
}

impl Learner for OrthogonalMatchingPursuit {
    type Options = Options;

    fn name(&self) -> &'static str {
        "orthogonal_matching_pursuit"
    }

    fn tasks(&self) -> &'static [Task] {
        &[Task::Regression]
    }

    fn estimator_name(&self, _task: Task) -> &'static str {
        "OrthogonalMatchingPursuit"
    }

    fn params(&self, _task: Task) -> &'static [Param] {
        PARAMS
    }

    fn options(&self, _task: Task, h: &Hyperparams) -> Result<Options> {
        Ok(Options {
            n_nonzero_coefs: h
                .opt_int("n_nonzero_coefs")?
                .map(|v| usize::try_from(v).unwrap_or(usize::MAX)),
            tol: h.opt_float("tol")?,
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

pub fn fit(x: &Matrix, y: &[f32], o: &Options, check_interrupts: &dyn Fn()) -> Result<LinearModel> {
    let (n, p) = (x.rows(), x.cols());
    if let (None, Some(k)) = (o.tol, o.n_nonzero_coefs) {
        if k > p {
            return Err(Error::invalid_with_hint(
                format!("hyperparameter n_nonzero_coefs {k} is more than the {p} features"),
                format!("use n_nonzero_coefs from 1 to {p}, or tol"),
            ));
        }
    }
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
    let yty: f64 = yc.iter().map(|v| v * v).sum();
    // With tol given it alone stops the pursuit, as in scikit-learn.
    let max_active = match (o.tol, o.n_nonzero_coefs) {
        (Some(_), _) => p,
        (None, Some(k)) => k,
        (None, None) => (p / 10).max(1).min(p),
    };
    let mut active: Vec<usize> = Vec::new();
    let mut w_active: Vec<f64> = Vec::new();
    let mut corr = xty.clone();
    while active.len() < max_active {
        check_interrupts();
        if let Some(tol) = o.tol {
            let residual = yty
                - w_active
                    .iter()
                    .zip(&active)
                    .map(|(w, &j)| w * xty[j])
                    .sum::<f64>();
            if residual <= tol {
                break;
            }
        }
        let next = (0..p)
            .filter(|j| !active.contains(j))
            .max_by(|&a, &b| corr[a].abs().total_cmp(&corr[b].abs()));
        // No feature left, or only ones dependent on the chosen (scikit-learn stops there too).
        let Some(j) = next.filter(|&j| corr[j].abs() > 1e-12 * yty.sqrt().max(1.0)) else {
            break;
        };
        active.push(j);
        let k = active.len();
        let mut sub = Sym::zeros(k);
        for (r, &a) in active.iter().enumerate() {
            for (c, &b) in active.iter().enumerate() {
                sub.a[r * k + c] = gram[a * p + b];
            }
        }
        let rhs: Vec<f64> = active.iter().map(|&a| xty[a]).collect();
        w_active = solve_psd(&sub, &rhs);
        for (t, c) in corr.iter_mut().enumerate() {
            *c = xty[t]
                - active
                    .iter()
                    .zip(&w_active)
                    .map(|(&a, w)| gram[t * p + a] * w)
                    .sum::<f64>();
        }
    }
    let mut coef = vec![0.0; p];
    for (&j, &w) in active.iter().zip(&w_active) {
        coef[j] = w;
    }
    let intercept = y_off - coef.iter().zip(&x_off).map(|(w, m)| w * m).sum::<f64>();
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

    #[test]
    fn picks_the_features_that_matter() {
        let rows: Vec<Vec<f32>> = (0..100)
            .map(|i| {
                vec![
                    (i % 10) as f32,
                    ((i * 7) % 13) as f32,
                    ((i * 3) % 11) as f32,
                ]
            })
            .collect();
        let y: Vec<f32> = rows.iter().map(|r| 4.0 * r[1] + 1.0).collect();
        let x = Matrix::from_rows(&rows).unwrap();
        let o = Options {
            n_nonzero_coefs: None,
            tol: None,
            fit_intercept: true,
        };
        let m = fit(&x, &y, &o, &|| {}).unwrap();
        assert_eq!(m.coef.iter().filter(|&&c| c != 0.0).count(), 1);
        assert!((m.coef[1] - 4.0).abs() < 1e-9 && (m.intercept[0] - 1.0).abs() < 1e-9);
        let m = fit(
            &x,
            &y,
            &Options {
                n_nonzero_coefs: Some(3),
                ..o
            },
            &|| {},
        )
        .unwrap();
        assert!((m.coef[1] - 4.0).abs() < 1e-9, "{:?}", m.coef);
        let four = Options {
            n_nonzero_coefs: Some(4),
            ..o
        };
        assert!(fit(&x, &y, &four, &|| {}).is_err());
    }
}
