//! `nu_svm`: NuSVC and NuSVR, libsvm's ν-SVC and ν-SVR (see `svm_solver.rs`).

use super::params::float;
use super::svm::{
    BREAK_TIES, C, CACHE_SIZE, CLASS_WEIGHT, COEF0, DECISION_FUNCTION_SHAPE, DEGREE, GAMMA, KERNEL,
    MAX_ITER, PROBABILITY, RANDOM_STATE, SHRINKING, TOL, VERBOSE,
};
use super::svm_solver;
use super::{Fitted, Labels, Learner};
use crate::hyperparams::{DefaultValue, Hyperparams, Param};
use crate::{Matrix, Result, Task};

#[derive(Debug, Clone, Copy)]
pub struct NuSvm;

/// (0, 1]: a bound on the fraction of margin errors and of support vectors.
const NU: Param = float("nu", 0.0, 1.0, true, DefaultValue::Float(0.5));

const REGRESSION: &[Param] = &[
    NU, C, KERNEL, DEGREE, GAMMA, COEF0, SHRINKING, TOL, CACHE_SIZE, VERBOSE, MAX_ITER,
];

const CLASSIFICATION: &[Param] = &[
    NU,
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

impl Learner for NuSvm {
    type Options = svm_solver::Options;

    fn name(&self) -> &'static str {
        "nu_svm"
    }

    fn tasks(&self) -> &'static [Task] {
        &[Task::Regression, Task::Classification]
    }

    fn estimator_name(&self, task: Task) -> &'static str {
        match task {
            Task::Classification => "NuSVC",
            _ => "NuSVR",
        }
    }

    fn params(&self, task: Task) -> &'static [Param] {
        match task {
            Task::Classification => CLASSIFICATION,
            _ => REGRESSION,
        }
    }

    fn options(&self, task: Task, h: &Hyperparams) -> Result<svm_solver::Options> {
        let mut o = super::svm::common_options(task, h)?;
        o.nu = Some(h.float("nu")?);
        if task == Task::Regression {
            o.c = h.float("C")?;
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
        super::svm::fit(self.name(), task, o, x, labels, check_interrupts)
    }
}
