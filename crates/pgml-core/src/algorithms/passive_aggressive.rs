//! `passive_aggressive`: PassiveAggressiveRegressor and PassiveAggressiveClassifier (Crammer et
//! al. 2006), scikit-learn's SGD loop with the PA-I step (loss 'hinge' / 'epsilon_insensitive')
//! or the PA-II step (the squared losses) and no penalty (see `sgd.rs`).

use super::params::{float, FIT_INTERCEPT, INF};
use super::sgd::params::*;
use super::sgd::{self, Loss, Proba, Schedule};
use super::{wrong_labels, Fitted, Labels, Learner};
use crate::hyperparams::{DefaultValue, Hyperparams, Param};
use crate::{Matrix, Result, Task};

#[derive(Debug, Clone, Copy)]
pub struct PassiveAggressive;

const C: Param = float("C", 0.0, INF, true, DefaultValue::Float(1.0));

const REGRESSION: &[Param] = &[
    C,
    FIT_INTERCEPT,
    MAX_ITER,
    TOL,
    EARLY_STOPPING,
    VALIDATION_FRACTION,
    N_ITER_NO_CHANGE,
    SHUFFLE,
    VERBOSE,
    choice(
        "loss",
        &["epsilon_insensitive", "squared_epsilon_insensitive"],
        "epsilon_insensitive",
    ),
    EPSILON,
    RANDOM_STATE,
    WARM_START,
    AVERAGE,
];

const CLASSIFICATION: &[Param] = &[
    C,
    FIT_INTERCEPT,
    MAX_ITER,
    TOL,
    EARLY_STOPPING,
    VALIDATION_FRACTION,
    N_ITER_NO_CHANGE,
    SHUFFLE,
    VERBOSE,
    choice("loss", &["hinge", "squared_hinge"], "hinge"),
    N_JOBS,
    RANDOM_STATE,
    WARM_START,
    CLASS_WEIGHT,
    AVERAGE,
];

impl Learner for PassiveAggressive {
    type Options = sgd::Options;

    fn name(&self) -> &'static str {
        "passive_aggressive"
    }

    fn tasks(&self) -> &'static [Task] {
        &[Task::Regression, Task::Classification]
    }

    fn estimator_name(&self, task: Task) -> &'static str {
        match task {
            Task::Classification => "PassiveAggressiveClassifier",
            _ => "PassiveAggressiveRegressor",
        }
    }

    fn params(&self, task: Task) -> &'static [Param] {
        match task {
            Task::Classification => CLASSIFICATION,
            _ => REGRESSION,
        }
    }

    fn options(&self, task: Task, h: &Hyperparams) -> Result<sgd::Options> {
        let c = h.float("C")?;
        // The loss names choose the step; the loss itself is the hinge (classification) or the
        // epsilon-insensitive loss (regression), as in scikit-learn.
        let squared = h.str("loss")?.starts_with("squared");
        let schedule = if squared {
            Schedule::Pa2(c)
        } else {
            Schedule::Pa1(c)
        };
        let loss = match task {
            Task::Classification => Loss::Hinge(1.0),
            _ => Loss::EpsilonInsensitive(h.float("epsilon")?),
        };
        let mut o = sgd::common_options(h, loss, schedule)?;
        o.alpha = 1.0;
        o.average = h.int("average")?.unsigned_abs();
        if task == Task::Classification {
            o.class_weight = h.class_weight("class_weight")?;
        }
        Ok(o)
    }

    fn fit(
        &self,
        task: Task,
        o: &sgd::Options,
        x: &Matrix,
        labels: Labels<'_>,
        check_interrupts: &dyn Fn(),
    ) -> Result<Fitted> {
        match labels {
            Labels::Values(y) => Ok(Fitted::Linear(sgd::fit_regressor(
                x,
                y,
                o,
                check_interrupts,
            )?)),
            Labels::Classes { codes, num_classes } => Ok(Fitted::OvrLinear(sgd::fit_classifier(
                x,
                codes,
                num_classes,
                o,
                Proba::None,
                check_interrupts,
            )?)),
            Labels::None => Err(wrong_labels(self.name(), task)),
        }
    }
}
