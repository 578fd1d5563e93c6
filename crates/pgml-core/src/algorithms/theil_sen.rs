//! `theil_sen`: scikit-learn's TheilSenRegressor: least squares on many subsets of
//! `n_subsamples` rows (default features + 1 with the intercept: each an exact fit), and the
//! model is the spatial (L1) median of their weight vectors, by scikit-learn's modified Weiszfeld
//! iteration from the mean, stopped when a step moves less than `tol` or after `max_iter`. When
//! all C(n, n_subsamples) subsets are at most `max_subpopulation`, every one is used (in
//! lexicographic order: deterministic, as scikit-learn's); otherwise `max_subpopulation` random
//! subsets are drawn (pgml's own draws, seeded by `random_state`). The subsets' weights are held
//! in memory (8·(features + 1) bytes each), so a `max_subpopulation` that would need more than
//! 1 GB is refused before anything is allocated.

use super::params::{float, int, FIT_INTERCEPT, INF};
use super::sgd::params::boolean;
use super::{wrong_labels, Fitted, Labels, Learner, LinearModel, LinearOutput};
use crate::hyperparams::{DefaultValue, Hyperparams, Param};
use crate::linalg::{cholesky_solve, solve_psd, Sym};
use crate::split::SplitMix64;
use crate::{Error, Matrix, Result, Task};

#[derive(Debug, Clone, Copy)]
pub struct TheilSen;

/// Memory for the subsets' weights at most (f64 values).
const MAX_WEIGHT_VALUES: f64 = 125_000_000.0;

const PARAMS: &[Param] = &[
    FIT_INTERCEPT,
    // Accepted, no effect: the training data is always copied out of PostgreSQL.
    boolean("copy_X", true),
    float(
        "max_subpopulation",
        0.0,
        INF,
        true,
        DefaultValue::Float(1e4),
    ),
    int("n_subsamples", 1, i64::MAX, DefaultValue::Null),
    int("max_iter", 1, 1_000_000, DefaultValue::Int(300)),
    float("tol", 0.0, INF, false, DefaultValue::Float(1e-3)),
    int("random_state", 0, i64::MAX, DefaultValue::Null),
    // Accepted, no effect: the subsets are solved one after another.
    int("n_jobs", -1024, 1024, DefaultValue::Null),
    // Accepted, no effect.
    boolean("verbose", false),
];

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    pub fit_intercept: bool,
    pub max_subpopulation: f64,
    pub n_subsamples: Option<usize>,
    pub max_iter: usize,
    pub tol: f64,
    pub seed: u64,
}

impl Learner for TheilSen {
    type Options = Options;

    fn name(&self) -> &'static str {
        "theil_sen"
    }

    fn tasks(&self) -> &'static [Task] {
        &[Task::Regression]
    }

    fn estimator_name(&self, _task: Task) -> &'static str {
        "TheilSenRegressor"
    }

    fn params(&self, _task: Task) -> &'static [Param] {
        PARAMS
    }

    fn options(&self, _task: Task, h: &Hyperparams) -> Result<Options> {
        Ok(Options {
            fit_intercept: h.bool("fit_intercept")?,
            max_subpopulation: h.float("max_subpopulation")?,
            n_subsamples: h
                .opt_int("n_subsamples")?
                .map(|v| usize::try_from(v).unwrap_or(usize::MAX)),
            max_iter: h.usize("max_iter")?,
            tol: h.float("tol")?,
            seed: h.opt_int("random_state")?.unwrap_or(0).unsigned_abs(),
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

/// C(n, k) as a float, rounded (scipy's `binom`, then `np.rint`).
fn binom(n: usize, k: usize) -> f64 {
    let k = k.min(n - k);
    let mut c = 1.0f64;
    for i in 0..k {
        c = c * (n - i) as f64 / (i + 1) as f64;
    }
    c.round()
}

/// The subsets' sizes, checked as scikit-learn checks them.
fn subparams(n: usize, p: usize, o: &Options) -> Result<(usize, usize)> {
    let d = p + usize::from(o.fit_intercept);
    let k = match o.n_subsamples {
        Some(k) => {
            if k > n {
                return Err(Error::invalid(format!(
                    "n_subsamples {k} of theil_sen is more than the {n} training rows"
                )));
            }
            if n >= p && d > k {
                return Err(Error::invalid_with_hint(
                    format!("n_subsamples {k} of theil_sen is below the {d} weights to fit"),
                    format!("use n_subsamples from {d} to {n}"),
                ));
            }
            if n < p && k != n {
                return Err(Error::invalid(format!(
                    "n_subsamples of theil_sen must be the {n} training rows when there are fewer rows than features"
                )));
            }
            k
        }
        None => d.min(n),
    };
    let all = binom(n, k).max(1.0);
    let count = o.max_subpopulation.min(all);
    if count * d as f64 > MAX_WEIGHT_VALUES {
        return Err(Error::too_large(
            format!(
                "theil_sen would hold {count:.0} subsets' weights ({:.0} MB)",
                count * d as f64 * 8.0 / 1e6
            ),
            format!(
                "lower hyperparameter max_subpopulation to at most {:.0}",
                (MAX_WEIGHT_VALUES / d as f64).floor()
            ),
        ));
    }
    Ok((k, count as usize))
}

/// Minimum-norm least squares of one subset: [1, x] w = y.
fn lstsq(x: &Matrix, y: &[f32], rows: &[usize], fit_intercept: bool) -> Vec<f64> {
    let p = x.cols();
    let d = p + usize::from(fit_intercept);
    let mut a = Vec::with_capacity(rows.len() * d);
    for &i in rows {
        if fit_intercept {
            a.push(1.0);
        }
        a.extend((0..p).map(|j| f64::from(x.get(i, j))));
    }
    let mut g = Sym::zeros(d);
    let mut b = vec![0.0; d];
    for (r, &i) in rows.iter().enumerate() {
        let row = &a[r * d..(r + 1) * d];
        for u in 0..d {
            b[u] += row[u] * f64::from(y[i]);
            for v in 0..=u {
                g.a[u * d + v] += row[u] * row[v];
            }
        }
    }
    for u in 0..d {
        for v in 0..u {
            g.a[v * d + u] = g.a[u * d + v];
        }
    }
    cholesky_solve(&g, &b).unwrap_or_else(|| solve_psd(&g, &b))
}

/// scikit-learn's spatial median: modified Weiszfeld steps from the mean.
fn spatial_median(w: &[f64], d: usize, o: &Options, check_interrupts: &dyn Fn()) -> Vec<f64> {
    let m = w.len() / d;
    if d == 1 {
        let mut v = w.to_vec();
        v.sort_by(f64::total_cmp);
        let med = if m % 2 == 1 {
            v[m / 2]
        } else {
            (v[m / 2 - 1] + v[m / 2]) / 2.0
        };
        return vec![med];
    }
    let tol = o.tol * o.tol;
    let mut old: Vec<f64> = (0..d)
        .map(|j| (0..m).map(|i| w[i * d + j]).sum::<f64>() / m as f64)
        .collect();
    let mut new = old.clone();
    for _ in 0..o.max_iter {
        check_interrupts();
        let mut quotient = vec![0.0; d];
        let mut weighted = vec![0.0; d];
        let mut inv_sum = 0.0;
        let mut at_a_point = false;
        for i in 0..m {
            let row = &w[i * d..(i + 1) * d];
            let norm = row
                .iter()
                .zip(&old)
                .map(|(a, b)| (a - b) * (a - b))
                .sum::<f64>()
                .sqrt();
            if norm < f64::EPSILON {
                at_a_point = true;
                continue;
            }
            for j in 0..d {
                quotient[j] += (row[j] - old[j]) / norm;
                weighted[j] += row[j] / norm;
            }
            inv_sum += 1.0 / norm;
        }
        let mut quotient_norm = quotient.iter().map(|v| v * v).sum::<f64>().sqrt();
        let direction: Vec<f64> = if quotient_norm > f64::EPSILON {
            weighted.iter().map(|v| v / inv_sum).collect()
        } else {
            quotient_norm = 1.0;
            vec![1.0; d]
        };
        let is_in = if at_a_point { 1.0 } else { 0.0 };
        let a = (1.0 - is_in / quotient_norm).max(0.0);
        let b = (is_in / quotient_norm).min(1.0);
        new = direction
            .iter()
            .zip(&old)
            .map(|(dj, oj)| a * dj + b * oj)
            .collect();
        let moved: f64 = old.iter().zip(&new).map(|(a, b)| (a - b) * (a - b)).sum();
        if moved < tol {
            break;
        }
        old.clone_from(&new);
    }
    new
}

pub fn fit(x: &Matrix, y: &[f32], o: &Options, check_interrupts: &dyn Fn()) -> Result<LinearModel> {
    let (n, p) = (x.rows(), x.cols());
    let (k, count) = subparams(n, p, o)?;
    let d = p + usize::from(o.fit_intercept);
    let mut weights = Vec::with_capacity(count * d);
    let all = binom(n, k).max(1.0);
    if (count as f64) >= all {
        // Every combination, in lexicographic order.
        let mut c: Vec<usize> = (0..k).collect();
        loop {
            if weights.len() % (1024 * d) == 0 {
                check_interrupts();
            }
            weights.extend(lstsq(x, y, &c, o.fit_intercept));
            let Some(i) = (0..k).rev().find(|&i| c[i] != i + n - k) else {
                break;
            };
            c[i] += 1;
            for j in i + 1..k {
                c[j] = c[j - 1] + 1;
            }
        }
    } else {
        let mut rng = SplitMix64(o.seed);
        let mut pool: Vec<usize> = (0..n).collect();
        for s in 0..count {
            if s % 1024 == 0 {
                check_interrupts();
            }
            for t in 0..k {
                let j = t + rng.below(n - t);
                pool.swap(t, j);
            }
            weights.extend(lstsq(x, y, &pool[..k], o.fit_intercept));
        }
    }
    let median = spatial_median(&weights, d, o, check_interrupts);
    let (intercept, coef) = if o.fit_intercept {
        (median[0], median[1..].to_vec())
    } else {
        (0.0, median)
    };
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

    fn options() -> Options {
        Options {
            fit_intercept: true,
            max_subpopulation: 1e4,
            n_subsamples: None,
            max_iter: 300,
            tol: 1e-6,
            seed: 0,
        }
    }

    /// A third of the rows corrupted: the median of the pairwise lines is the clean line.
    #[test]
    fn resists_outliers_and_bounds_its_memory() {
        let rows: Vec<Vec<f32>> = (0..60)
            .map(|i| vec![i as f32 / 10.0, ((i * 7) % 11) as f32])
            .collect();
        let mut y: Vec<f32> = rows.iter().map(|r| 2.0 * r[0] - r[1] + 1.0).collect();
        for i in (0..60).step_by(5) {
            y[i] -= 300.0;
        }
        let x = Matrix::from_rows(&rows).unwrap();
        let m = fit(&x, &y, &options(), &|| {}).unwrap();
        assert!(
            (m.coef[0] - 2.0).abs() < 0.05 && (m.coef[1] + 1.0).abs() < 0.05,
            "{m:?}"
        );
        let huge = Options {
            max_subpopulation: 1e12,
            n_subsamples: Some(30),
            ..options()
        };
        let e = fit(&x, &y, &huge, &|| {}).unwrap_err();
        assert!(matches!(e, Error::TooLarge { .. }), "{e}");
        assert!(e.hint().unwrap().contains("max_subpopulation"), "{e:?}");
        let few = Options {
            n_subsamples: Some(2),
            ..options()
        };
        assert!(fit(&x, &y, &few, &|| {})
            .unwrap_err()
            .to_string()
            .contains("below the 3 weights"));
    }

    #[test]
    fn binomials() {
        assert_eq!(binom(15, 4), 1365.0);
        assert_eq!(binom(5, 0), 1.0);
        assert!(binom(331, 11) > 1e4);
    }
}
