//! `ransac`: scikit-learn's RANSACRegressor over LinearRegression: up to `max_trials` times, fit
//! least squares to `min_samples` rows drawn without replacement, count the rows whose loss
//! (`absolute_error` or `squared_error`) is within `residual_threshold` (default: the median
//! absolute deviation of y), keep the set with the most inliers (ties: the higher r2 on them),
//! shrink the number of trials to what `stop_probability` needs, stop early at `stop_n_inliers`
//! or `stop_score`, and finally fit least squares to the best inliers. The same rules as
//! scikit-learn's, in the same order; the draws are pgml's own (seeded by `random_state`), so
//! single runs differ from scikit-learn's as two of its seeds do.

use super::least_squares::fit_least_squares;
use super::params::{float, int, INF};
use super::sgd::params::choice;
use super::{wrong_labels, Fitted, Labels, Learner, LinearModel};
use crate::hyperparams::{Amount, DefaultValue, Hyperparams, Kind, Param};
use crate::split::SplitMix64;
use crate::{Error, Matrix, Result, Task};

#[derive(Debug, Clone, Copy)]
pub struct Ransac;

const PARAMS: &[Param] = &[
    // The only estimator pgml fits inside RANSAC (scikit-learn's default, None).
    Param {
        name: "estimator",
        kind: Kind::Choice(&["LinearRegression"]),
        default: DefaultValue::Null,
    },
    Param {
        name: "min_samples",
        kind: Kind::CountOrFraction {
            min: 1,
            max: i64::MAX,
            fraction_below_one: true,
            names: &[],
        },
        default: DefaultValue::Null,
    },
    float("residual_threshold", 0.0, INF, false, DefaultValue::Null),
    int("max_trials", 0, 100_000_000, DefaultValue::Int(100)),
    float("max_skips", 0.0, INF, false, DefaultValue::Float(INF)),
    float("stop_n_inliers", 0.0, INF, false, DefaultValue::Float(INF)),
    float("stop_score", -INF, INF, false, DefaultValue::Float(INF)),
    float(
        "stop_probability",
        0.0,
        1.0,
        false,
        DefaultValue::Float(0.99),
    ),
    choice(
        "loss",
        &["absolute_error", "squared_error"],
        "absolute_error",
    ),
    int("random_state", 0, i64::MAX, DefaultValue::Null),
];

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MinSamples {
    /// features + 1.
    Default,
    Count(usize),
    Fraction(f64),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    pub min_samples: MinSamples,
    pub residual_threshold: Option<f64>,
    pub max_trials: u64,
    pub max_skips: f64,
    pub stop_n_inliers: f64,
    pub stop_score: f64,
    pub stop_probability: f64,
    pub squared: bool,
    pub seed: u64,
}

impl Learner for Ransac {
    type Options = Options;

    fn name(&self) -> &'static str {
        "ransac"
    }

    fn tasks(&self) -> &'static [Task] {
        &[Task::Regression]
    }

    fn estimator_name(&self, _task: Task) -> &'static str {
        "RANSACRegressor"
    }

    fn params(&self, _task: Task) -> &'static [Param] {
        PARAMS
    }

    fn options(&self, _task: Task, h: &Hyperparams) -> Result<Options> {
        let min_samples = match h.amount("min_samples")? {
            None => MinSamples::Default,
            Some(Amount::Count(c)) => MinSamples::Count(usize::try_from(c).unwrap_or(usize::MAX)),
            Some(Amount::Fraction(f)) => MinSamples::Fraction(f),
            Some(Amount::Named(n)) => {
                return Err(Error::invalid(format!(
                "hyperparameter min_samples of ransac must be a count or a fraction, got \"{n}\""
            )))
            }
        };
        Ok(Options {
            min_samples,
            residual_threshold: h.opt_float("residual_threshold")?,
            max_trials: h.int("max_trials")?.unsigned_abs(),
            max_skips: h.float("max_skips")?,
            stop_n_inliers: h.float("stop_n_inliers")?,
            stop_score: h.float("stop_score")?,
            stop_probability: h.float("stop_probability")?,
            squared: h.str("loss")? == "squared_error",
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

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        0.0
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// r2 of `m` on the rows `idx` (scikit-learn's r2_score: 1 for a perfect fit of constant
/// targets, 0 for an imperfect one).
fn r2(m: &LinearModel, x: &Matrix, y: &[f32], idx: &[usize]) -> f64 {
    let k = idx.len().max(1) as f64;
    let mean = idx.iter().map(|&i| f64::from(y[i])).sum::<f64>() / k;
    let (mut ss_res, mut ss_tot) = (0.0, 0.0);
    for &i in idx {
        let t = f64::from(y[i]);
        let r = t - f64::from(m.predict(&x.row(i)));
        ss_res += r * r;
        ss_tot += (t - mean) * (t - mean);
    }
    if ss_tot == 0.0 {
        if ss_res == 0.0 {
            1.0
        } else {
            0.0
        }
    } else {
        1.0 - ss_res / ss_tot
    }
}

/// scikit-learn's `_dynamic_max_trials`: trials enough to draw one all-inlier sample with
/// `probability`.
fn dynamic_max_trials(inliers: usize, n: usize, min_samples: usize, probability: f64) -> f64 {
    let ratio = inliers as f64 / n as f64;
    let nom = (1.0 - probability).max(f64::EPSILON);
    let denom = (1.0 - ratio.powi(min_samples as i32)).max(f64::EPSILON);
    if nom == 1.0 {
        0.0
    } else if denom == 1.0 {
        f64::INFINITY
    } else {
        (nom.ln() / denom.ln()).ceil().abs()
    }
}

pub fn fit(x: &Matrix, y: &[f32], o: &Options, check_interrupts: &dyn Fn()) -> Result<LinearModel> {
    let mut models = fit_joint(x, &[y.to_vec()], o, check_interrupts)?;
    models
        .pop()
        .ok_or_else(|| Error::invalid("ransac: no target to fit"))
}

/// Several targets with one consensus set, as scikit-learn's RANSACRegressor fits a 2-D y: a
/// row's loss is summed over the targets, the default threshold is the median absolute deviation
/// of all target values together, a candidate's score is its r2 averaged over the targets, and the
/// final least squares fit (one linear model per target) uses the shared inliers.
pub fn fit_joint(
    x: &Matrix,
    ys: &[Vec<f32>],
    o: &Options,
    check_interrupts: &dyn Fn(),
) -> Result<Vec<LinearModel>> {
    let n = x.rows();
    let min_samples = match o.min_samples {
        MinSamples::Default => x.cols() + 1,
        MinSamples::Count(c) => c,
        MinSamples::Fraction(f) => (f * n as f64).ceil() as usize,
    };
    if min_samples > n {
        return Err(Error::invalid_with_hint(
            format!("min_samples {min_samples} of ransac is more than the {n} training rows"),
            "use a smaller min_samples, or a fraction such as 0.5",
        ));
    }
    let threshold = o.residual_threshold.unwrap_or_else(|| {
        let mut v: Vec<f64> = ys.iter().flatten().map(|&t| f64::from(t)).collect();
        let m = median(&mut v);
        let mut dev: Vec<f64> = v.iter().map(|t| (t - m).abs()).collect();
        median(&mut dev)
    });
    let mut rng = SplitMix64(o.seed);
    let mut pool: Vec<usize> = (0..n).collect();
    let mut best: Option<(usize, f64, Vec<usize>)> = None;
    let mut n_inliers_best = 1usize;
    let mut skips = 0.0f64;
    let mut max_trials = o.max_trials as f64;
    let mut trials = 0.0f64;
    while trials < max_trials {
        trials += 1.0;
        check_interrupts();
        if skips > o.max_skips {
            break;
        }
        // A partial Fisher-Yates shuffle: min_samples distinct rows.
        for k in 0..min_samples {
            let j = k + rng.below(n - k);
            pool.swap(k, j);
        }
        let subset = &pool[..min_samples];
        let xs = x.select_rows(subset);
        let ms: Vec<LinearModel> = ys
            .iter()
            .map(|y| fit_least_squares(&xs, &pick(y, subset), 0.0, true, &|| {}))
            .collect();
        let inliers: Vec<usize> = (0..n)
            .filter(|&i| {
                let row = x.row(i);
                let loss: f64 = ms
                    .iter()
                    .zip(ys)
                    .map(|(m, y)| {
                        let r = f64::from(y[i]) - f64::from(m.predict(&row));
                        if o.squared {
                            r * r
                        } else {
                            r.abs()
                        }
                    })
                    .sum();
                loss <= threshold
            })
            .collect();
        if inliers.len() < n_inliers_best {
            skips += 1.0;
            continue;
        }
        let score = ms
            .iter()
            .zip(ys)
            .map(|(m, y)| r2(m, x, y, &inliers))
            .sum::<f64>()
            / ys.len().max(1) as f64;
        if let Some((count, best_score, _)) = &best {
            if inliers.len() == *count && score < *best_score {
                continue;
            }
        }
        n_inliers_best = inliers.len();
        best = Some((inliers.len(), score, inliers));
        max_trials = max_trials.min(dynamic_max_trials(
            n_inliers_best,
            n,
            min_samples,
            o.stop_probability,
        ));
        if n_inliers_best as f64 >= o.stop_n_inliers || score >= o.stop_score {
            break;
        }
    }
    let Some((_, _, inliers)) = best else {
        return Err(Error::bad_data(
            "ransac found no consensus set: every trial was skipped",
            "raise max_trials or residual_threshold, or lower min_samples",
        ));
    };
    let xs = x.select_rows(&inliers);
    Ok(ys
        .iter()
        .map(|y| fit_least_squares(&xs, &pick(y, &inliers), 0.0, true, check_interrupts))
        .collect())
}

fn pick(y: &[f32], idx: &[usize]) -> Vec<f32> {
    idx.iter().map(|&i| y[i]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Gross outliers are left out of the final fit: the line is the inliers' line.
    #[test]
    fn outliers_do_not_move_the_line() {
        let rows: Vec<Vec<f32>> = (0..100).map(|i| vec![i as f32 / 10.0]).collect();
        let mut y: Vec<f32> = rows.iter().map(|r| 2.0 * r[0] + 1.0).collect();
        for i in (0..100).step_by(7) {
            y[i] += 500.0;
        }
        let o = Options {
            min_samples: MinSamples::Default,
            residual_threshold: None,
            max_trials: 100,
            max_skips: f64::INFINITY,
            stop_n_inliers: f64::INFINITY,
            stop_score: f64::INFINITY,
            stop_probability: 0.99,
            squared: false,
            seed: 3,
        };
        let m = fit(&Matrix::from_rows(&rows).unwrap(), &y, &o, &|| {}).unwrap();
        assert!((m.coef[0] - 2.0).abs() < 1e-4, "{m:?}");
        assert!((m.intercept[0] - 1.0).abs() < 1e-3, "{m:?}");
        let too_many = Options {
            min_samples: MinSamples::Count(101),
            ..o
        };
        let e = fit(&Matrix::from_rows(&rows).unwrap(), &y, &too_many, &|| {}).unwrap_err();
        assert!(
            e.to_string().contains("more than the 100 training rows"),
            "{e}"
        );
    }
}
