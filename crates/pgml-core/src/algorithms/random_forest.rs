//! `random_forest`: scikit-learn's RandomForestRegressor / RandomForestClassifier: `n_estimators`
//! CART trees (`cart`), each on a bootstrap draw of the rows (the draws are sample weights) with
//! `max_features` candidate features per split; predictions are the mean of the trees' leaves
//! (class probabilities for classification). Same parameters and defaults as scikit-learn, plus
//! `nthread`. Models of 0.2.0's `random_forest` (XGBoost's random-forest mode) stay what they
//! were: see `xgboost_random_forest.rs`.

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
pub struct RandomForest;

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
    bootstrap(true),
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
    bootstrap(true),
    OOB_SCORE,
    max_samples(DefaultValue::Null),
    CLASS_WEIGHT,
    NTHREAD,
    RANDOM_STATE,
];

impl Learner for RandomForest {
    type Options = ForestOptions;

    fn name(&self) -> &'static str {
        "random_forest"
    }

    fn tasks(&self) -> &'static [Task] {
        &[Task::Regression, Task::Classification]
    }

    fn estimator_name(&self, task: Task) -> &'static str {
        match task {
            Task::Classification => "RandomForestClassifier",
            _ => "RandomForestRegressor",
        }
    }

    fn params(&self, task: Task) -> &'static [Param] {
        match task {
            Task::Classification => CLASSIFICATION,
            _ => REGRESSION,
        }
    }

    fn options(&self, task: Task, params: &Hyperparams) -> Result<ForestOptions> {
        ForestOptions::read(task, params, Splitter::Best)
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
