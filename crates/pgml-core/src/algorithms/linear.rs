//! `linear`: LinearRegression (minimum-norm least squares) for regression, LogisticRegression
//! (L-BFGS, binary or multinomial) for classification.

use super::params::{float, max_iter, FIT_INTERCEPT, INF, TOL};
use super::{least_squares, logistic, wrong_labels, Fitted, Labels, Learner};
use crate::hyperparams::{DefaultValue, Hyperparams, Kind, Param};
use crate::{Matrix, Result, Task};

#[derive(Debug, Clone, Copy)]
pub struct Linear;

const REGRESSION: &[Param] = &[FIT_INTERCEPT];
const CLASSIFICATION: &[Param] = &[
    float("C", 0.0, INF, true, DefaultValue::Float(1.0)),
    Param {
        name: "penalty",
        kind: Kind::Choice(&["l2", "none"]),
        default: DefaultValue::Str("l2"),
    },
    FIT_INTERCEPT,
    max_iter(100),
    TOL,
];

#[derive(Debug, Clone, Copy, PartialEq)]
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
            Task::Classification => Options::Classification(logistic::Options {
                // No penalty is an infinitely weak one.
                c: if params.str("penalty")? == "none" {
                    f64::INFINITY
                } else {
                    params.float("C")?
                },
                fit_intercept,
                max_iter: params.usize("max_iter")?,
                tol: params.float("tol")?,
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
                Fitted::Logistic(logistic::fit(x, codes, num_classes, *o, check_interrupts)?),
            ),
            _ => Err(wrong_labels(self.name(), task)),
        }
    }
}
