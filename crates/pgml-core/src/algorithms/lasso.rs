//! `lasso`: Lasso, which is ElasticNet's coordinate descent with l1_ratio 1 (see `elastic_net`).

use super::elastic_net::{self, Options};
use super::params::{max_iter, ALPHA, FIT_INTERCEPT, TOL};
use super::{Fitted, Labels, Learner};
use crate::hyperparams::{Hyperparams, Param};
use crate::{Matrix, Result, Task};

#[derive(Debug, Clone, Copy)]
pub struct Lasso;

const PARAMS: &[Param] = &[ALPHA, FIT_INTERCEPT, max_iter(1000), TOL];

impl Learner for Lasso {
    type Options = Options;

    fn name(&self) -> &'static str {
        "lasso"
    }

    fn tasks(&self) -> &'static [Task] {
        &[Task::Regression]
    }

    fn estimator_name(&self, _task: Task) -> &'static str {
        "Lasso"
    }

    fn params(&self, _task: Task) -> &'static [Param] {
        PARAMS
    }

    fn options(&self, _task: Task, params: &Hyperparams) -> Result<Options> {
        Options::read(params, 1.0)
    }

    fn fit(
        &self,
        task: Task,
        o: &Options,
        x: &Matrix,
        labels: Labels<'_>,
        check_interrupts: &dyn Fn(),
    ) -> Result<Fitted> {
        elastic_net::fit(self.name(), task, o, x, labels, check_interrupts)
    }
}
