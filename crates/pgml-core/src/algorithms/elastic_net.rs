//! `elastic_net`: ElasticNet by coordinate descent (scikit-learn's objective:
//! 1/(2n)·‖y − Xw‖² + alpha·l1_ratio·‖w‖₁ + alpha·(1 − l1_ratio)/2·‖w‖²). `lasso` is the same fit
//! with l1_ratio 1.

use super::params::{float, max_iter, ALPHA, FIT_INTERCEPT, TOL};
use super::{least_squares, wrong_labels, Fitted, Labels, Learner};
use crate::hyperparams::{DefaultValue, Hyperparams, Param};
use crate::{Matrix, Result, Task};

#[derive(Debug, Clone, Copy)]
pub struct ElasticNet;

const PARAMS: &[Param] = &[
    ALPHA,
    float("l1_ratio", 0.0, 1.0, false, DefaultValue::Float(0.5)),
    FIT_INTERCEPT,
    max_iter(1000),
    TOL,
];

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    pub alpha: f64,
    pub l1_ratio: f64,
    pub fit_intercept: bool,
    pub max_iter: usize,
    pub tol: f64,
}

impl Options {
    /// Everything but l1_ratio, which lasso fixes.
    pub(super) fn read(params: &Hyperparams, l1_ratio: f64) -> Result<Options> {
        Ok(Options {
            alpha: params.float("alpha")?,
            l1_ratio,
            fit_intercept: params.bool("fit_intercept")?,
            max_iter: params.usize("max_iter")?,
            tol: params.float("tol")?,
        })
    }
}

/// The coordinate-descent fit both algorithms share.
pub(super) fn fit(
    algorithm: &str,
    task: Task,
    o: &Options,
    x: &Matrix,
    labels: Labels<'_>,
    check_interrupts: &dyn Fn(),
) -> Result<Fitted> {
    match labels {
        Labels::Values(y) => Ok(Fitted::Linear(least_squares::fit_coordinate_descent(
            x,
            y,
            o.alpha,
            o.l1_ratio,
            o.fit_intercept,
            o.max_iter,
            o.tol,
            check_interrupts,
        ))),
        _ => Err(wrong_labels(algorithm, task)),
    }
}

impl Learner for ElasticNet {
    type Options = Options;

    fn name(&self) -> &'static str {
        "elastic_net"
    }

    fn tasks(&self) -> &'static [Task] {
        &[Task::Regression]
    }

    fn estimator_name(&self, _task: Task) -> &'static str {
        "ElasticNet"
    }

    fn params(&self, _task: Task) -> &'static [Param] {
        PARAMS
    }

    fn options(&self, _task: Task, params: &Hyperparams) -> Result<Options> {
        Options::read(params, params.float("l1_ratio")?)
    }

    fn fit(
        &self,
        task: Task,
        o: &Options,
        x: &Matrix,
        labels: Labels<'_>,
        check_interrupts: &dyn Fn(),
    ) -> Result<Fitted> {
        fit(self.name(), task, o, x, labels, check_interrupts)
    }
}
