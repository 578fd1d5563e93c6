//! `stochastic_gradient_descent`: SGDRegressor and SGDClassifier (see `sgd.rs` for the loop).

use super::params::{FIT_INTERCEPT, NTHREAD};
use super::sgd::params::*;
use super::sgd::{self, Loss, Penalty, Proba, Schedule};
use super::{wrong_labels, Fitted, Labels, Learner};
use crate::hyperparams::{DefaultValue, Hyperparams, Param};
use crate::{Error, Matrix, Result, Task};

#[derive(Debug, Clone, Copy)]
pub struct StochasticGradientDescent;

const REGRESSION: &[Param] = &[
    choice("loss", REGRESSOR_LOSSES, "squared_error"),
    choice("penalty", PENALTIES, "l2"),
    SGD_ALPHA,
    L1_RATIO,
    FIT_INTERCEPT,
    MAX_ITER,
    TOL,
    SHUFFLE,
    VERBOSE,
    EPSILON,
    RANDOM_STATE,
    choice("learning_rate", LEARNING_RATES, "invscaling"),
    super::params::float(
        "eta0",
        0.0,
        super::params::INF,
        false,
        DefaultValue::Float(0.01),
    ),
    super::params::float(
        "power_t",
        -super::params::INF,
        super::params::INF,
        false,
        DefaultValue::Float(0.25),
    ),
    EARLY_STOPPING,
    VALIDATION_FRACTION,
    N_ITER_NO_CHANGE,
    WARM_START,
    AVERAGE,
];

const CLASSIFICATION: &[Param] = &[
    choice("loss", CLASSIFIER_LOSSES, "hinge"),
    choice("penalty", PENALTIES, "l2"),
    SGD_ALPHA,
    L1_RATIO,
    FIT_INTERCEPT,
    MAX_ITER,
    TOL,
    SHUFFLE,
    VERBOSE,
    EPSILON,
    N_JOBS,
    NTHREAD,
    RANDOM_STATE,
    choice("learning_rate", LEARNING_RATES, "optimal"),
    super::params::float(
        "eta0",
        0.0,
        super::params::INF,
        false,
        DefaultValue::Float(0.0),
    ),
    super::params::float(
        "power_t",
        -super::params::INF,
        super::params::INF,
        false,
        DefaultValue::Float(0.5),
    ),
    EARLY_STOPPING,
    VALIDATION_FRACTION,
    N_ITER_NO_CHANGE,
    CLASS_WEIGHT,
    WARM_START,
    AVERAGE,
];

#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    pub sgd: sgd::Options,
    pub proba: Proba,
}

impl Learner for StochasticGradientDescent {
    type Options = Options;

    fn name(&self) -> &'static str {
        "stochastic_gradient_descent"
    }

    fn tasks(&self) -> &'static [Task] {
        &[Task::Regression, Task::Classification]
    }

    fn estimator_name(&self, task: Task) -> &'static str {
        match task {
            Task::Classification => "SGDClassifier",
            _ => "SGDRegressor",
        }
    }

    fn params(&self, task: Task) -> &'static [Param] {
        match task {
            Task::Classification => CLASSIFICATION,
            _ => REGRESSION,
        }
    }

    fn options(&self, task: Task, h: &Hyperparams) -> Result<Options> {
        let name = h.str("loss")?;
        // The table limits the names; a miss here would be a table/parser mismatch.
        let loss = Loss::parse(name, h.float("epsilon")?)
            .ok_or_else(|| Error::invalid(format!("unknown loss {name}")))?;
        let rate = h.str("learning_rate")?;
        let schedule = Schedule::parse(rate)
            .ok_or_else(|| Error::invalid(format!("unknown learning_rate {rate}")))?;
        let penalty = h.str("penalty")?;
        let mut o = sgd::common_options(h, loss, schedule)?;
        o.penalty = Penalty::parse(penalty)
            .ok_or_else(|| Error::invalid(format!("unknown penalty {penalty}")))?;
        o.alpha = h.float("alpha")?;
        o.l1_ratio = h.float("l1_ratio")?;
        o.eta0 = h.float("eta0")?;
        o.power_t = h.float("power_t")?;
        o.average = h.int("average")?.unsigned_abs();
        if task == Task::Classification {
            o.class_weight = h.class_weight("class_weight")?;
            o.threads = h.usize("nthread")?;
        }
        check_schedule(&o)?;
        Ok(Options {
            sgd: o,
            proba: match loss {
                Loss::Log => Proba::Log,
                Loss::ModifiedHuber => Proba::ModifiedHuber,
                _ => Proba::None,
            },
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
            Labels::Values(y) => Ok(Fitted::Linear(sgd::fit_regressor(
                x,
                y,
                &o.sgd,
                check_interrupts,
            )?)),
            Labels::Classes { codes, num_classes } => Ok(Fitted::OvrLinear(sgd::fit_classifier(
                x,
                codes,
                num_classes,
                &o.sgd,
                o.proba,
                check_interrupts,
            )?)),
            Labels::None => Err(wrong_labels(self.name(), task)),
        }
    }
}

/// scikit-learn's own checks: the optimal schedule divides by alpha, the others step by eta0.
pub(super) fn check_schedule(o: &sgd::Options) -> Result<()> {
    if o.schedule == Schedule::Optimal && o.alpha == 0.0 {
        return Err(Error::invalid_with_hint(
            "hyperparameter alpha must be greater than 0 with learning_rate 'optimal'",
            "give alpha > 0, or learning_rate 'constant', 'invscaling' or 'adaptive' with eta0 > 0",
        ));
    }
    if o.schedule != Schedule::Optimal && o.eta0 <= 0.0 {
        return Err(Error::invalid_with_hint(
            "hyperparameter eta0 must be greater than 0 with learning_rate 'constant', 'invscaling' or 'adaptive'",
            "give eta0 > 0 (for example 0.01), or learning_rate 'optimal'",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::algorithms::Algorithm;
    use crate::Task;

    #[test]
    fn bad_inputs_name_what_is_accepted() {
        let msg = |task: Task, hp: serde_json::Value| {
            Algorithm::parse("stochastic_gradient_descent")
                .unwrap()
                .resolve(task, &hp)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            msg(Task::Regression, json!({"loss": "hinge"})),
            "hyperparameter loss of stochastic_gradient_descent must be one of squared_error, huber, epsilon_insensitive, squared_epsilon_insensitive, got \"hinge\""
        );
        assert!(msg(Task::Classification, json!({"penalty": "l3"}))
            .contains("l2, l1, elasticnet, none"));
        assert!(
            msg(Task::Classification, json!({"alpha": 0})).contains("alpha must be greater than 0")
        );
        assert!(msg(Task::Regression, json!({"eta0": 0})).contains("eta0 must be greater than 0"));
        assert!(msg(Task::Regression, json!({"validation_fraction": 1})).contains("less than 1"));
    }
}
