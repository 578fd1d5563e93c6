//! `svm`: SVC and SVR, libsvm's C-SVC and ε-SVR (see `svm_solver.rs`).

use super::params::{float, int, INF};
use super::sgd::params::{boolean, choice};
use super::svm_solver::{self, Gamma, KernelKind};
use super::{wrong_labels, Fitted, Labels, Learner};
use crate::hyperparams::{DefaultValue, Hyperparams, Kind, Param};
use crate::{Error, Matrix, Result, Task};

#[derive(Debug, Clone, Copy)]
pub struct Svm;

pub(super) const KERNEL: Param = choice("kernel", KernelKind::NAMES, "rbf");
/// scikit-learn allows 0 (a constant kernel); pgml refuses it as the input error it almost
/// always is.
pub(super) const DEGREE: Param = int("degree", 1, 100, DefaultValue::Int(3));
pub(super) const GAMMA: Param = Param {
    name: "gamma",
    kind: Kind::NumberOrName {
        min: 0.0,
        names: &["scale", "auto"],
    },
    default: DefaultValue::Str("scale"),
};
pub(super) const COEF0: Param = float("coef0", -INF, INF, false, DefaultValue::Float(0.0));
pub(super) const C: Param = float("C", 0.0, INF, true, DefaultValue::Float(1.0));
pub(super) const TOL: Param = float("tol", 0.0, INF, true, DefaultValue::Float(1e-3));
/// libsvm's shrinking heuristic: less time, the same optimum to `tol`.
pub(super) const SHRINKING: Param = boolean("shrinking", true);
/// The kernel-row cache in MB, as libsvm's.
pub(super) const CACHE_SIZE: Param =
    float("cache_size", 0.0, INF, true, DefaultValue::Float(200.0));
/// Accepted, no effect.
pub(super) const VERBOSE: Param = boolean("verbose", false);
/// -1: no limit.
pub(super) const MAX_ITER: Param = int("max_iter", -1, i64::MAX, DefaultValue::Int(-1));
pub(super) const PROBABILITY: Param = boolean("probability", false);
pub(super) const CLASS_WEIGHT: Param = Param {
    name: "class_weight",
    kind: Kind::ClassWeight(&["none", "balanced"]),
    default: DefaultValue::Str("none"),
};
/// Accepted: shapes scikit-learn's decision_function, which pgml does not expose; predict votes
/// one-vs-one either way.
pub(super) const DECISION_FUNCTION_SHAPE: Param =
    choice("decision_function_shape", &["ovr", "ovo"], "ovr");
pub(super) const BREAK_TIES: Param = boolean("break_ties", false);
/// The shuffle of the folds that calibrate probabilities (null is 0).
pub(super) const RANDOM_STATE: Param = int("random_state", 0, i64::MAX, DefaultValue::Null);

const REGRESSION: &[Param] = &[
    KERNEL,
    DEGREE,
    GAMMA,
    COEF0,
    TOL,
    C,
    float("epsilon", 0.0, INF, false, DefaultValue::Float(0.1)),
    SHRINKING,
    CACHE_SIZE,
    VERBOSE,
    MAX_ITER,
];

const CLASSIFICATION: &[Param] = &[
    C,
    KERNEL,
    DEGREE,
    GAMMA,
    COEF0,
    SHRINKING,
    PROBABILITY,
    TOL,
    CACHE_SIZE,
    CLASS_WEIGHT,
    VERBOSE,
    MAX_ITER,
    DECISION_FUNCTION_SHAPE,
    BREAK_TIES,
    RANDOM_STATE,
];

/// The options `svm` and `nu_svm` read the same way; the caller sets C, ν and ε.
pub(super) fn common_options(task: Task, h: &Hyperparams) -> Result<svm_solver::Options> {
    let kernel = h.str("kernel")?;
    let gamma = match h.float_or_name("gamma")? {
        Ok(g) => Gamma::Value(g),
        Err("auto") => Gamma::Auto,
        Err(_) => Gamma::Scale,
    };
    let classification = task == Task::Classification;
    let max_iter = h.int("max_iter")?;
    Ok(svm_solver::Options {
        kernel: KernelKind::parse(kernel)
            .ok_or_else(|| Error::invalid(format!("unknown kernel {kernel}")))?,
        gamma,
        coef0: h.float("coef0")?,
        degree: u32::try_from(h.int("degree")?)
            .map_err(|_| Error::invalid("hyperparameter degree is out of range"))?,
        c: 1.0,
        nu: None,
        epsilon: 0.0,
        tol: h.float("tol")?,
        max_iter: u64::try_from(max_iter).ok(),
        cache_mb: h.float("cache_size")?,
        shrinking: h.bool("shrinking")?,
        class_weight: if classification {
            h.class_weight("class_weight")?
        } else {
            None
        },
        break_ties: classification && h.bool("break_ties")?,
        probability: classification && h.bool("probability")?,
        seed: if classification {
            h.opt_int("random_state")?.unwrap_or(0).unsigned_abs()
        } else {
            0
        },
    })
}

impl Learner for Svm {
    type Options = svm_solver::Options;

    fn name(&self) -> &'static str {
        "svm"
    }

    fn tasks(&self) -> &'static [Task] {
        &[Task::Regression, Task::Classification]
    }

    fn estimator_name(&self, task: Task) -> &'static str {
        match task {
            Task::Classification => "SVC",
            _ => "SVR",
        }
    }

    fn params(&self, task: Task) -> &'static [Param] {
        match task {
            Task::Classification => CLASSIFICATION,
            _ => REGRESSION,
        }
    }

    fn options(&self, task: Task, h: &Hyperparams) -> Result<svm_solver::Options> {
        let mut o = common_options(task, h)?;
        o.c = h.float("C")?;
        if task == Task::Regression {
            o.epsilon = h.float("epsilon")?;
        }
        Ok(o)
    }

    fn fit(
        &self,
        task: Task,
        o: &svm_solver::Options,
        x: &Matrix,
        labels: Labels<'_>,
        check_interrupts: &dyn Fn(),
    ) -> Result<Fitted> {
        fit(self.name(), task, o, x, labels, check_interrupts)
    }
}

pub(super) fn fit(
    name: &str,
    task: Task,
    o: &svm_solver::Options,
    x: &Matrix,
    labels: Labels<'_>,
    check_interrupts: &dyn Fn(),
) -> Result<Fitted> {
    match labels {
        Labels::Values(y) => Ok(Fitted::Svm(svm_solver::fit_regressor(
            x,
            y,
            o,
            check_interrupts,
        )?)),
        Labels::Classes { codes, num_classes } => {
            let (svm, platt) = svm_solver::fit_classifier_with_probability(
                x,
                codes,
                num_classes,
                o,
                check_interrupts,
            )?;
            Ok(match platt {
                // A model of its own kind: the stored layout of plain SVMs does not change.
                Some((prob_a, prob_b)) => Fitted::SvmProbability(svm_solver::SvmProbabilityModel {
                    svm,
                    prob_a,
                    prob_b,
                }),
                None => Fitted::Svm(svm),
            })
        }
        Labels::None => Err(wrong_labels(name, task)),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::algorithms::Algorithm;
    use crate::Task;

    /// Bad inputs name the accepted values.
    #[test]
    fn bad_inputs_name_what_is_accepted() {
        let msg = |name: &str, task: Task, hp: serde_json::Value| {
            Algorithm::parse(name)
                .unwrap()
                .resolve(task, &hp)
                .unwrap_err()
                .to_string()
        };
        let c = Task::Classification;
        assert_eq!(
            msg("svm", c, json!({"kernel": "precomputed"})),
            "hyperparameter kernel of svm must be one of linear, poly, rbf, sigmoid, got \"precomputed\""
        );
        assert!(msg("svm", c, json!({"C": -1})).contains("greater than 0"));
        assert!(msg("svm", c, json!({"degree": 0})).contains("from 1 to 100"));
        assert_eq!(
            msg("svm", c, json!({"gamma": "big"})),
            "hyperparameter gamma of svm must be one of scale, auto or a number greater than 0, got \"big\""
        );
        assert!(msg("svm", c, json!({"gamma": 0})).contains("greater than 0"));
        assert!(msg("nu_svm", c, json!({"nu": 1.5})).contains("at most 1"));
        assert!(msg("nu_svm", c, json!({"nu": 0})).contains("greater than 0"));
        assert!(Algorithm::parse("svm")
            .unwrap()
            .resolve(c, &json!({"probability": true}))
            .is_ok());
        let ok = Algorithm::parse("svm")
            .unwrap()
            .resolve(Task::Regression, &json!({"gamma": 0.5, "kernel": "poly"}));
        assert!(ok.is_ok());
    }
}
