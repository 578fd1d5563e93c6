//! `perceptron`: scikit-learn's Perceptron, which is SGD with the perceptron loss (hinge at 0),
//! a constant step eta0 and no penalty by default (see `sgd.rs`).

use super::params::FIT_INTERCEPT;
use super::sgd::params::*;
use super::sgd::{self, Loss, Penalty, Proba, Schedule};
use super::{wrong_labels, Fitted, Labels, Learner};
use crate::hyperparams::{DefaultValue, Hyperparams, Param};
use crate::{Error, Matrix, Result, Task};

#[derive(Debug, Clone, Copy)]
pub struct Perceptron;

const CLASSIFICATION: &[Param] = &[
    choice("penalty", PENALTIES, "none"),
    SGD_ALPHA,
    L1_RATIO,
    FIT_INTERCEPT,
    MAX_ITER,
    TOL,
    SHUFFLE,
    VERBOSE,
    super::params::float(
        "eta0",
        0.0,
        super::params::INF,
        true,
        DefaultValue::Float(1.0),
    ),
    N_JOBS,
    // Perceptron's own default is 0.
    super::params::int("random_state", 0, i64::MAX, DefaultValue::Int(0)),
    EARLY_STOPPING,
    VALIDATION_FRACTION,
    N_ITER_NO_CHANGE,
    CLASS_WEIGHT,
    WARM_START,
];

impl Learner for Perceptron {
    type Options = sgd::Options;

    fn name(&self) -> &'static str {
        "perceptron"
    }

    fn tasks(&self) -> &'static [Task] {
        &[Task::Classification]
    }

    fn estimator_name(&self, _task: Task) -> &'static str {
        "Perceptron"
    }

    fn params(&self, _task: Task) -> &'static [Param] {
        CLASSIFICATION
    }

    fn options(&self, _task: Task, h: &Hyperparams) -> Result<sgd::Options> {
        let mut o = sgd::common_options(h, Loss::Hinge(0.0), Schedule::Constant)?;
        let penalty = h.str("penalty")?;
        o.penalty = Penalty::parse(penalty)
            .ok_or_else(|| Error::invalid(format!("unknown penalty {penalty}")))?;
        o.alpha = h.float("alpha")?;
        o.l1_ratio = h.float("l1_ratio")?;
        o.eta0 = h.float("eta0")?;
        o.class_weight = h.class_weight("class_weight")?;
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
            Labels::Classes { codes, num_classes } => Ok(Fitted::OvrLinear(sgd::fit_classifier(
                x,
                codes,
                num_classes,
                o,
                Proba::None,
                check_interrupts,
            )?)),
            _ => Err(wrong_labels(self.name(), task)),
        }
    }
}
