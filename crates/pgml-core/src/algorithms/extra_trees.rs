//! `extra_trees`: scikit-learn's ExtraTreesRegressor / ExtraTreesClassifier: like
//! `random_forest`, but each candidate feature gets one threshold drawn uniformly between its
//! smallest and largest value in the node (the best of those is kept), and by default every tree
//! sees all rows (`bootstrap` false). Same parameters and defaults as scikit-learn, plus `nthread`.

use super::cart::Splitter;
use super::forest::{
    self, bootstrap, max_samples, ForestOptions, CLASS_WEIGHT, CRITERION_CLASSIFICATION,
    CRITERION_REGRESSION, MAX_DEPTH, MAX_FEATURES_ALL, MAX_FEATURES_SQRT, MAX_LEAF_NODES,
    MIN_IMPURITY_DECREASE, MIN_SAMPLES_LEAF, MIN_SAMPLES_SPLIT, MIN_WEIGHT_FRACTION_LEAF,
    N_ESTIMATORS_100, OOB_SCORE,
};
use super::params::NTHREAD;
use super::xgboost::RANDOM_STATE;
use super::{Fitted, Labels, Learner};
use crate::hyperparams::{DefaultValue, Hyperparams, Param};
use crate::{Matrix, Result, Task};

#[derive(Debug, Clone, Copy)]
pub struct ExtraTrees;

const REGRESSION: &[Param] = &[
    N_ESTIMATORS_100,
    CRITERION_REGRESSION,
    MAX_DEPTH,
    MIN_SAMPLES_SPLIT,
    MIN_SAMPLES_LEAF,
    MIN_WEIGHT_FRACTION_LEAF,
    MAX_FEATURES_ALL,
    MAX_LEAF_NODES,
    MIN_IMPURITY_DECREASE,
    bootstrap(false),
    OOB_SCORE,
    max_samples(DefaultValue::Null),
    NTHREAD,
    RANDOM_STATE,
];

const CLASSIFICATION: &[Param] = &[
    N_ESTIMATORS_100,
    CRITERION_CLASSIFICATION,
    MAX_DEPTH,
    MIN_SAMPLES_SPLIT,
    MIN_SAMPLES_LEAF,
    MIN_WEIGHT_FRACTION_LEAF,
    MAX_FEATURES_SQRT,
    MAX_LEAF_NODES,
    MIN_IMPURITY_DECREASE,
    bootstrap(false),
    OOB_SCORE,
    max_samples(DefaultValue::Null),
    CLASS_WEIGHT,
    NTHREAD,
    RANDOM_STATE,
];

impl Learner for ExtraTrees {
    type Options = ForestOptions;

    fn name(&self) -> &'static str {
        "extra_trees"
    }

    fn tasks(&self) -> &'static [Task] {
        &[Task::Regression, Task::Classification]
    }

    fn estimator_name(&self, task: Task) -> &'static str {
        match task {
            Task::Classification => "ExtraTreesClassifier",
            _ => "ExtraTreesRegressor",
        }
    }

    fn params(&self, task: Task) -> &'static [Param] {
        match task {
            Task::Classification => CLASSIFICATION,
            _ => REGRESSION,
        }
    }

    fn options(&self, task: Task, params: &Hyperparams) -> Result<ForestOptions> {
        ForestOptions::read(task, params, Splitter::Random)
    }

    fn fit(
        &self,
        task: Task,
        o: &ForestOptions,
        x: &Matrix,
        labels: Labels<'_>,
        check_interrupts: &dyn Fn(),
    ) -> Result<Fitted> {
        forest::fit(self.name(), task, o, x, labels, check_interrupts).map(Fitted::Forest)
    }
}
