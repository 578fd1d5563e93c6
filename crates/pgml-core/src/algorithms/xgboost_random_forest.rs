//! `xgboost_random_forest`: XGBoost's random-forest mode (XGBRFRegressor / XGBRFClassifier): the
//! average of `n_estimators` trees (grown a few at a time so that a cancel is heard, and merged
//! into one XGBoost model: `xgboost::fit_forest`), each on a row subsample and a per-split feature
//! subsample (scikit-learn's max_features), with plain-average leaves. This is what
//! `random_forest` trained in 0.2.0; models stored then (algorithm `random_forest`, estimator
//! XGBRF*, kind `xgboost_trees`) keep predicting with these trees, while `random_forest` now
//! trains scikit-learn's forest (`random_forest.rs`).

use super::params::{float, int, INF, NTHREAD};
use super::xgboost::{self, Common, RANDOM_STATE};
use super::{wrong_labels, Fitted, Labels, Learner};
use crate::hyperparams::{DefaultValue, Hyperparams, Param};
use crate::{Matrix, Result, Task};

#[derive(Debug, Clone, Copy)]
pub struct XgboostRandomForest;

const PARAMS: &[Param] = &[
    int("n_estimators", 1, 100_000, DefaultValue::Int(100)),
    int("max_depth", 0, 64, DefaultValue::Int(0)),
    float("max_features", 0.0, 1.0, true, DefaultValue::Null),
    float("subsample", 0.0, 1.0, true, DefaultValue::Float(0.632)),
    float(
        "min_child_weight",
        0.0,
        INF,
        false,
        DefaultValue::Float(0.0),
    ),
    int("max_bin", 2, 65_536, DefaultValue::Int(256)),
    NTHREAD,
    RANDOM_STATE,
];

#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    pub common: Common,
    pub n_estimators: usize,
    /// 0: unlimited.
    pub max_depth: i64,
    /// The fraction of features each split considers; None: scikit-learn's default for the task.
    pub max_features: Option<f64>,
}

impl Learner for XgboostRandomForest {
    type Options = Options;

    fn name(&self) -> &'static str {
        "xgboost_random_forest"
    }

    fn tasks(&self) -> &'static [Task] {
        &[Task::Regression, Task::Classification]
    }

    fn estimator_name(&self, task: Task) -> &'static str {
        match task {
            Task::Classification => "XGBRFClassifier",
            _ => "XGBRFRegressor",
        }
    }

    fn params(&self, _task: Task) -> &'static [Param] {
        PARAMS
    }

    fn options(&self, _task: Task, params: &Hyperparams) -> Result<Options> {
        Ok(Options {
            common: Common::read(params)?,
            n_estimators: params.usize("n_estimators")?,
            max_depth: params.int("max_depth")?,
            max_features: params.opt_float("max_features")?,
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
        let classification = match labels {
            Labels::Values(_) => false,
            Labels::Classes { .. } => true,
            Labels::None => return Err(wrong_labels(self.name(), task)),
        };
        let p = x.cols();
        // scikit-learn's max_features: sqrt(p) of the features for classification, all for regression.
        let max_features = o.max_features.unwrap_or(if classification {
            ((p as f64).sqrt().floor().max(1.0) / p.max(1) as f64).min(1.0)
        } else {
            1.0
        });
        let mut params = o.common.booster_params();
        params.extend([
            ("tree_method", "hist".to_string()),
            ("learning_rate", "1".to_string()),
            // Leaves are plain averages, as in scikit-learn's forests: no L2 shrinkage.
            ("reg_lambda", "0".to_string()),
            ("colsample_bynode", max_features.to_string()),
            ("max_depth", o.max_depth.to_string()),
            // Unlimited depth (scikit-learn's default) needs XGBoost's loss-guided growth.
            (
                "grow_policy",
                if o.max_depth == 0 {
                    "lossguide"
                } else {
                    "depthwise"
                }
                .to_string(),
            ),
        ]);
        Ok(Fitted::XgboostTrees(xgboost::fit_forest(
            x,
            labels,
            &params,
            o.n_estimators,
            o.common.random_state,
            check_interrupts,
        )?))
    }
}
