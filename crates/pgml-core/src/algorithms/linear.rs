//! `linear`: LinearRegression (minimum-norm least squares) for regression, LogisticRegression
//! (L-BFGS, binary or multinomial) for classification.

use super::params::{float, int, max_iter, FIT_INTERCEPT, INF, TOL};
use super::sgd::params::{boolean, choice};
use super::{least_squares, logistic, wrong_labels, Fitted, Labels, Learner};
use crate::hyperparams::{DefaultValue, Hyperparams, Kind, Param};
use crate::{Error, Matrix, Result, Task};

#[derive(Debug, Clone, Copy)]
pub struct Linear;

const REGRESSION: &[Param] = &[FIT_INTERCEPT];
const CLASSIFICATION: &[Param] = &[
    float("C", 0.0, INF, true, DefaultValue::Float(1.0)),
    Param {
        name: "penalty",
        kind: Kind::Choice(&["l2", "none", "l1", "elasticnet"]),
        default: DefaultValue::Str("l2"),
    },
    FIT_INTERCEPT,
    max_iter(100),
    TOL,
    // LogisticRegression's other parameters, with scikit-learn's defaults (see `options`).
    choice("solver", SOLVERS, "lbfgs"),
    boolean("dual", false),
    float(
        "intercept_scaling",
        0.0,
        INF,
        true,
        DefaultValue::Float(1.0),
    ),
    Param {
        name: "class_weight",
        kind: Kind::ClassWeight(&["none", "balanced"]),
        default: DefaultValue::Str("none"),
    },
    int("random_state", 0, i64::MAX, DefaultValue::Null),
    choice(
        "multi_class",
        &["deprecated", "auto", "multinomial", "ovr"],
        "deprecated",
    ),
    int("verbose", 0, i64::MAX, DefaultValue::Int(0)),
    boolean("warm_start", false),
    int("n_jobs", -1024, 1024, DefaultValue::Null),
    float("l1_ratio", 0.0, 1.0, false, DefaultValue::Null),
];

const SOLVERS: &[&str] = &[
    "lbfgs",
    "newton-cg",
    "newton-cholesky",
    "sag",
    "saga",
    "liblinear",
];

/// scikit-learn's LogisticRegression parameters that pgml's L-BFGS cannot honour: refused (0A000)
/// rather than trained as something else. The smooth solvers (lbfgs, newton-cg,
/// newton-cholesky, sag, saga) minimize the same strictly convex objective for penalty l2 or
/// none, so they reach the same optimum pgml's L-BFGS does: accepted.
fn check_classification(params: &Hyperparams) -> Result<()> {
    let refuse = |what: String, hint: &str| Err(Error::not_supported(what, hint));
    let penalty = params.str("penalty")?;
    if penalty == "l1" || penalty == "elasticnet" {
        return refuse(
            format!(
                "penalty {penalty} (a proximal solver such as saga) is not supported by pgml yet"
            ),
            "use penalty 'l2' or 'none', or algorithm lasso / elastic_net for sparse regression",
        );
    }
    if params.str("solver")? == "liblinear" {
        return refuse(
            "solver liblinear (one-vs-rest with a penalized intercept) is not supported by pgml yet".into(),
            "use solver 'lbfgs', 'newton-cg', 'newton-cholesky', 'sag' or 'saga': they reach the same optimum as pgml's L-BFGS",
        );
    }
    if params.bool("dual")? {
        return Err(Error::invalid_with_hint(
            "hyperparameter dual true needs solver liblinear",
            "use dual false",
        ));
    }
    if params.str("multi_class")? == "ovr" {
        return refuse(
            "multi_class ovr for linear classification is not supported by pgml yet".into(),
            "use multi_class 'auto' or 'multinomial' (one softmax model)",
        );
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq)]
pub enum Options {
    Regression { fit_intercept: bool },
    Classification(logistic::Options),
}

impl Learner for Linear {
    type Options = Options;

    fn name(&self) -> &'static str {
        "linear"
    }

    fn tasks(&self) -> &'static [Task] {
        &[Task::Regression, Task::Classification]
    }

    fn estimator_name(&self, task: Task) -> &'static str {
        match task {
            Task::Classification => "LogisticRegression",
            _ => "LinearRegression",
        }
    }

    fn params(&self, task: Task) -> &'static [Param] {
        match task {
            Task::Classification => CLASSIFICATION,
            _ => REGRESSION,
        }
    }

    fn options(&self, task: Task, params: &Hyperparams) -> Result<Options> {
        let fit_intercept = params.bool("fit_intercept")?;
        Ok(match task {
            Task::Classification => Options::Classification({
                check_classification(params)?;
                logistic::Options {
                    // No penalty is an infinitely weak one.
                    c: if params.str("penalty")? == "none" {
                        f64::INFINITY
                    } else {
                        params.float("C")?
                    },
                    fit_intercept,
                    max_iter: params.usize("max_iter")?,
                    tol: params.float("tol")?,
                    class_weight: params.class_weight("class_weight")?,
                }
            }),
            _ => Options::Regression { fit_intercept },
        })
    }

    fn fit(
        &self,
        task: Task,
        options: &Options,
        x: &Matrix,
        labels: Labels<'_>,
        check_interrupts: &dyn Fn(),
    ) -> Result<Fitted> {
        match (options, labels) {
            (Options::Regression { fit_intercept }, Labels::Values(y)) => Ok(Fitted::Linear(
                least_squares::fit_least_squares(x, y, 0.0, *fit_intercept, check_interrupts),
            )),
            (Options::Classification(o), Labels::Classes { codes, num_classes }) => Ok(
                Fitted::Logistic(logistic::fit(x, codes, num_classes, o, check_interrupts)?),
            ),
            _ => Err(wrong_labels(self.name(), task)),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::algorithms::Algorithm;
    use crate::{Error, Task};

    /// scikit-learn's solvers that reach the same optimum are accepted; what pgml cannot honour
    /// is refused with 0A000 naming it.
    #[test]
    fn logistic_regression_parameters() {
        let linear = Algorithm::parse("linear").unwrap();
        let c = Task::Classification;
        for solver in ["lbfgs", "newton-cg", "newton-cholesky", "sag", "saga"] {
            assert!(linear.resolve(c, &json!({ "solver": solver })).is_ok());
        }
        for (hp, named) in [
            (json!({"penalty": "l1"}), "penalty l1"),
            (
                json!({"penalty": "elasticnet", "l1_ratio": 0.5}),
                "penalty elasticnet",
            ),
            (json!({"solver": "liblinear"}), "solver liblinear"),
            (json!({"multi_class": "ovr"}), "multi_class ovr"),
        ] {
            let e = linear.resolve(c, &hp).unwrap_err();
            assert!(matches!(e, Error::NotSupported { .. }), "{hp}: {e}");
            assert!(e.to_string().contains(named), "{e}");
        }
        assert!(matches!(
            linear.resolve(c, &json!({"dual": true})),
            Err(Error::InvalidParameter { .. })
        ));
    }
}
