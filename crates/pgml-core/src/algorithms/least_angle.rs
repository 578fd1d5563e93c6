//! `least_angle` (Lars) and `lasso_least_angle` (LassoLars): scikit-learn's least-angle path on
//! the Gram matrix (see `lars.rs`); Lars stops after `n_nonzero_coefs` steps, LassoLars at
//! `alpha` (the lasso's coefficients there, exactly as scikit-learn's path algorithm gives them).

use super::lars::{self, PathOptions};
use super::params::{float, int, FIT_INTERCEPT, INF};
use super::sgd::params::boolean;
use super::{wrong_labels, Fitted, Labels, Learner, LinearModel, LinearOutput};
use crate::hyperparams::{DefaultValue, Hyperparams, Kind, Param};
use crate::split::SplitMix64;
use crate::{Matrix, Result, Task};

#[derive(Debug, Clone, Copy)]
pub struct LeastAngle;

#[derive(Debug, Clone, Copy)]
pub struct LassoLeastAngle;

/// Accepted, no effect: pgml always works on the Gram matrix; with X instead scikit-learn takes
/// the same steps.
const PRECOMPUTE: Param = Param {
    name: "precompute",
    kind: Kind::BoolOrName(&["auto"]),
    default: DefaultValue::Str("auto"),
};
const EPS: Param = float("eps", 0.0, INF, true, DefaultValue::Float(f64::EPSILON));
/// Accepted, no effect: pgml prints no progress.
const VERBOSE: Param = boolean("verbose", false);
/// Accepted, no effect: the training data is always copied out of PostgreSQL.
const COPY_X: Param = boolean("copy_X", true);
/// Accepted, no effect: the coefficients at the end of the path are the model either way.
const FIT_PATH: Param = boolean("fit_path", true);
/// Uniform noise in [0, jitter) added to the targets (scikit-learn's remedy for ties).
const JITTER: Param = float("jitter", 0.0, INF, true, DefaultValue::Null);
/// The jitter's seed; null is 0 here, so a retrain gives the same model.
const RANDOM_STATE: Param = int("random_state", 0, i64::MAX, DefaultValue::Null);

const LARS: &[Param] = &[
    FIT_INTERCEPT,
    VERBOSE,
    PRECOMPUTE,
    int("n_nonzero_coefs", 1, 1_000_000, DefaultValue::Int(500)),
    EPS,
    COPY_X,
    FIT_PATH,
    JITTER,
    RANDOM_STATE,
];

const LASSO_LARS: &[Param] = &[
    float("alpha", 0.0, INF, false, DefaultValue::Float(1.0)),
    FIT_INTERCEPT,
    VERBOSE,
    PRECOMPUTE,
    int("max_iter", 1, 1_000_000, DefaultValue::Int(500)),
    EPS,
    COPY_X,
    FIT_PATH,
    boolean("positive", false),
    JITTER,
    RANDOM_STATE,
];

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    pub path: PathOptions,
    pub fit_intercept: bool,
    pub jitter: Option<f64>,
    pub seed: u64,
}

fn common(h: &Hyperparams, path: PathOptions) -> Result<Options> {
    Ok(Options {
        path,
        fit_intercept: h.bool("fit_intercept")?,
        jitter: h.opt_float("jitter")?,
        seed: h.opt_int("random_state")?.unwrap_or(0).unsigned_abs(),
    })
}

impl Learner for LeastAngle {
    type Options = Options;

    fn name(&self) -> &'static str {
        "least_angle"
    }

    fn tasks(&self) -> &'static [Task] {
        &[Task::Regression]
    }

    fn estimator_name(&self, _task: Task) -> &'static str {
        "Lars"
    }

    fn params(&self, _task: Task) -> &'static [Param] {
        LARS
    }

    fn options(&self, _task: Task, h: &Hyperparams) -> Result<Options> {
        common(
            h,
            PathOptions {
                max_iter: h.usize("n_nonzero_coefs")?,
                alpha_min: 0.0,
                lasso: false,
                positive: false,
                eps: h.float("eps")?,
            },
        )
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

impl Learner for LassoLeastAngle {
    type Options = Options;

    fn name(&self) -> &'static str {
        "lasso_least_angle"
    }

    fn tasks(&self) -> &'static [Task] {
        &[Task::Regression]
    }

    fn estimator_name(&self, _task: Task) -> &'static str {
        "LassoLars"
    }

    fn params(&self, _task: Task) -> &'static [Param] {
        LASSO_LARS
    }

    fn options(&self, _task: Task, h: &Hyperparams) -> Result<Options> {
        common(
            h,
            PathOptions {
                max_iter: h.usize("max_iter")?,
                alpha_min: h.float("alpha")?,
                lasso: true,
                positive: h.bool("positive")?,
                eps: h.float("eps")?,
            },
        )
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
    let mut y: Vec<f64> = y.iter().map(|&v| f64::from(v)).collect();
    if let Some(j) = o.jitter {
        let mut rng = SplitMix64(o.seed);
        y.iter_mut().for_each(|v| *v += j * rng.unit());
    }
    let c = lars::center(x, &y, o.fit_intercept);
    let (g, xy) = lars::gram(&c, check_interrupts);
    let coef = lars::path(&g, &xy, x.rows(), &o.path, check_interrupts);
    let intercept = c.y_offset
        - coef
            .iter()
            .zip(&c.x_offset)
            .map(|(w, m)| w * m)
            .sum::<f64>();
    LinearModel {
        p: x.cols(),
        coef,
        intercept: vec![intercept],
        output: LinearOutput::Value,
    }
}
