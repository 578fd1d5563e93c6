//! `ridge`: Ridge (minimizes ‖y − Xw‖² + alpha·‖w‖²) for regression and RidgeClassifier (one
//! ridge regression per class on ±1 targets; no probabilities) for classification.

use super::params::{ALPHA, FIT_INTERCEPT};
use super::{least_squares, wrong_labels, Fitted, Labels, Learner};
use crate::hyperparams::{Hyperparams, Param};
use crate::{Matrix, Result, Task};

#[derive(Debug, Clone, Copy)]
pub struct Ridge;

const PARAMS: &[Param] = &[ALPHA, FIT_INTERCEPT];

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    pub alpha: f64,
    pub fit_intercept: bool,
}

impl Learner for Ridge {
    type Options = Options;

    fn name(&self) -> &'static str {
        "ridge"
    }

    fn tasks(&self) -> &'static [Task] {
        &[Task::Regression, Task::Classification]
    }

    fn estimator_name(&self, task: Task) -> &'static str {
        match task {
            Task::Classification => "RidgeClassifier",
            _ => "Ridge",
        }
    }

    fn params(&self, _task: Task) -> &'static [Param] {
        PARAMS
    }

    fn options(&self, _task: Task, params: &Hyperparams) -> Result<Options> {
        Ok(Options {
            alpha: params.float("alpha")?,
            fit_intercept: params.bool("fit_intercept")?,
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
            Labels::Values(y) => Ok(Fitted::Linear(least_squares::fit_least_squares(
                x,
                y,
                o.alpha,
                o.fit_intercept,
                check_interrupts,
            ))),
            Labels::Classes { codes, num_classes } => {
                Ok(Fitted::Linear(least_squares::fit_ridge_classifier(
                    x,
                    codes,
                    num_classes,
                    o.alpha,
                    o.fit_intercept,
                    check_interrupts,
                )))
            }
            Labels::None => Err(wrong_labels(self.name(), task)),
        }
    }
}
