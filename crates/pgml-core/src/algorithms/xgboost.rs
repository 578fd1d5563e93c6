//! `xgboost`: gradient-boosted trees, trained by XGBoost (Debian's libxgboost) and evaluated in
//! Rust (`trees`). Hyperparameter names and defaults are XGBoost's. The training glue here
//! (`fit`) also serves `random_forest`, XGBoost's random-forest mode.

use serde::{Deserialize, Serialize};

use super::params::{float, int, INF, NTHREAD};
use super::trees::TreeEnsemble;
use super::{wrong_labels, Fitted, Labels, Learner, Predictor};
use crate::hyperparams::{DefaultValue, Hyperparams, Kind, Param};
use crate::{Error, Matrix, Result, Task};

#[derive(Debug, Clone, Copy)]
pub struct Xgboost;

pub(super) const RANDOM_STATE: Param =
    int("random_state", 0, i32::MAX as i64, DefaultValue::Int(0));

/// XGBoost's names; aliases (eta/learning_rate, lambda/reg_lambda, alpha/reg_alpha) default to
/// "none" so that giving both is caught.
const PARAMS: &[Param] = &[
    int("n_estimators", 1, 100_000, DefaultValue::Int(100)),
    int("max_depth", 0, 64, DefaultValue::Int(6)),
    float("learning_rate", 0.0, 1.0, false, DefaultValue::Null),
    float("eta", 0.0, 1.0, false, DefaultValue::Null),
    float("subsample", 0.0, 1.0, true, DefaultValue::Float(1.0)),
    float("colsample_bytree", 0.0, 1.0, true, DefaultValue::Float(1.0)),
    float(
        "colsample_bylevel",
        0.0,
        1.0,
        true,
        DefaultValue::Float(1.0),
    ),
    float("colsample_bynode", 0.0, 1.0, true, DefaultValue::Float(1.0)),
    float(
        "min_child_weight",
        0.0,
        INF,
        false,
        DefaultValue::Float(1.0),
    ),
    float("gamma", 0.0, INF, false, DefaultValue::Float(0.0)),
    float("lambda", 0.0, INF, false, DefaultValue::Null),
    float("reg_lambda", 0.0, INF, false, DefaultValue::Null),
    float("alpha", 0.0, INF, false, DefaultValue::Null),
    float("reg_alpha", 0.0, INF, false, DefaultValue::Null),
    int("max_bin", 2, 65_536, DefaultValue::Int(256)),
    Param {
        name: "tree_method",
        kind: Kind::Choice(&["hist", "approx", "exact", "auto"]),
        default: DefaultValue::Str("hist"),
    },
    NTHREAD,
    RANDOM_STATE,
];

/// What boosting and the random-forest mode both set.
#[derive(Debug, Clone, PartialEq)]
pub struct Common {
    /// 0 means one thread here; the extension has already replaced 0 by its cap.
    pub nthread: i64,
    pub random_state: i64,
    pub max_bin: i64,
    pub min_child_weight: f64,
    pub subsample: f64,
}

impl Common {
    pub(super) fn read(params: &Hyperparams) -> Result<Common> {
        Ok(Common {
            nthread: params.int("nthread")?,
            random_state: params.int("random_state")?,
            max_bin: params.int("max_bin")?,
            min_child_weight: params.float("min_child_weight")?,
            subsample: params.float("subsample")?,
        })
    }

    /// XGBoost's parameters for these, in the order they are set.
    pub(super) fn booster_params(&self) -> Vec<(&'static str, String)> {
        vec![
            ("nthread", self.nthread.max(1).to_string()),
            ("seed", self.random_state.to_string()),
            ("max_bin", self.max_bin.to_string()),
            ("min_child_weight", self.min_child_weight.to_string()),
            ("subsample", self.subsample.to_string()),
            ("verbosity", "0".into()),
        ]
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    pub common: Common,
    pub n_estimators: usize,
    pub max_depth: i64,
    pub learning_rate: f64,
    pub reg_lambda: f64,
    pub reg_alpha: f64,
    pub gamma: f64,
    pub colsample_bytree: f64,
    pub colsample_bylevel: f64,
    pub colsample_bynode: f64,
    pub tree_method: String,
}

/// One of two alias names, or the default; both given is an error.
fn alias(params: &Hyperparams, a: &str, b: &str, default: f64) -> Result<f64> {
    match (params.opt_float(a)?, params.opt_float(b)?) {
        (Some(_), Some(_)) => Err(Error::invalid_with_hint(
            format!("hyperparameters {a} and {b} are the same; give only one"),
            format!("{a} and {b} are two names of one hyperparameter"),
        )),
        (Some(v), None) | (None, Some(v)) => Ok(v),
        (None, None) => Ok(default),
    }
}

impl Learner for Xgboost {
    type Options = Options;

    fn name(&self) -> &'static str {
        "xgboost"
    }

    fn tasks(&self) -> &'static [Task] {
        &[Task::Regression, Task::Classification]
    }

    fn estimator_name(&self, task: Task) -> &'static str {
        match task {
            Task::Classification => "XGBClassifier",
            _ => "XGBRegressor",
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
            learning_rate: alias(params, "learning_rate", "eta", 0.3)?,
            reg_lambda: alias(params, "lambda", "reg_lambda", 1.0)?,
            reg_alpha: alias(params, "alpha", "reg_alpha", 0.0)?,
            gamma: params.float("gamma")?,
            colsample_bytree: params.float("colsample_bytree")?,
            colsample_bylevel: params.float("colsample_bylevel")?,
            colsample_bynode: params.float("colsample_bynode")?,
            tree_method: params.str("tree_method")?.to_string(),
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
        if matches!(labels, Labels::None) {
            return Err(wrong_labels(self.name(), task));
        }
        let mut params = o.common.booster_params();
        params.extend([
            ("tree_method", o.tree_method.clone()),
            ("max_depth", o.max_depth.to_string()),
            ("learning_rate", o.learning_rate.to_string()),
            ("reg_lambda", o.reg_lambda.to_string()),
            ("reg_alpha", o.reg_alpha.to_string()),
            ("gamma", o.gamma.to_string()),
            ("colsample_bytree", o.colsample_bytree.to_string()),
            ("colsample_bylevel", o.colsample_bylevel.to_string()),
            ("colsample_bynode", o.colsample_bynode.to_string()),
        ]);
        let config = BoosterConfig {
            rounds: o.n_estimators,
            params,
        };
        Ok(Fitted::XgboostTrees(fit(
            x,
            labels,
            &config,
            check_interrupts,
        )?))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct XgboostModel {
    pub ensemble: TreeEnsemble,
    /// XGBoost's own JSON model, for export (`xgboost.Booster().load_model(...)` reads it). Not part
    /// of the serialized model: it is stored as a file of its own (see `Model::native_files`), so
    /// that loading a model for predict reads only the compact trees.
    #[serde(skip)]
    pub native_json: Vec<u8>,
}

impl Predictor for XgboostModel {
    fn num_features(&self) -> usize {
        self.ensemble.num_features
    }
    fn predict(&self, x: &[f32]) -> Option<f32> {
        Some(self.ensemble.predict(x))
    }
    fn predict_proba(&self, x: &[f32]) -> Option<Vec<f32>> {
        self.ensemble.predict_proba(x)
    }
    fn native_files(&self) -> Vec<(&'static str, &[u8])> {
        if self.native_json.is_empty() {
            Vec::new()
        } else {
            vec![("xgboost.json", self.native_json.as_slice())]
        }
    }
}

/// The parameters handed to XGBoost, by XGBoost's names.
#[derive(Debug, Clone, PartialEq)]
pub struct BoosterConfig {
    /// Boosting rounds (one tree per class each), or 1 in random-forest mode.
    pub rounds: usize,
    pub params: Vec<(&'static str, String)>,
}

/// How many rows of the training set the Rust evaluator is checked against XGBoost on.
const SELF_CHECK_ROWS: usize = 256;

pub fn fit(
    x: &Matrix,
    labels: Labels<'_>,
    opts: &BoosterConfig,
    check_interrupts: &dyn Fn(),
) -> Result<XgboostModel> {
    let (n, p) = (x.rows(), x.cols());
    let xgb = |e: pgml_xgboost::Error| Error::bad_data(e.to_string(), "check the hyperparameters");
    let row_major: Vec<f32> = (0..n)
        .flat_map(|i| (0..p).map(move |j| (i, j)))
        .map(|(i, j)| x.get(i, j))
        .collect();
    let mut train = pgml_xgboost::DMatrix::from_dense(&row_major, n, p).map_err(xgb)?;
    let objective: Vec<(&str, String)> = match labels {
        Labels::Values(y) => {
            train.set_labels(y).map_err(xgb)?;
            vec![("objective", "reg:squarederror".into())]
        }
        Labels::Classes { codes, num_classes } => {
            let y: Vec<f32> = codes.iter().map(|&c| c as f32).collect();
            train.set_labels(&y).map_err(xgb)?;
            if num_classes == 2 {
                vec![("objective", "binary:logistic".into())]
            } else {
                vec![
                    ("objective", "multi:softprob".into()),
                    ("num_class", num_classes.to_string()),
                ]
            }
        }
        Labels::None => {
            return Err(Error::not_supported(
                "tree ensembles need a label",
                "use kmeans for clustering and pca for decomposition",
            ))
        }
    };
    let mut booster = pgml_xgboost::Booster::new(&train).map_err(xgb)?;
    for (k, v) in objective
        .iter()
        .map(|(k, v)| (*k, v))
        .chain(opts.params.iter().map(|(k, v)| (*k, v)))
    {
        booster.set_param(k, v).map_err(xgb)?;
    }
    for round in 0..opts.rounds {
        check_interrupts();
        booster.update(round, &train).map_err(xgb)?;
    }
    let native_json = booster.save_json().map_err(xgb)?;
    let ensemble = TreeEnsemble::from_xgboost_json(&native_json)?;

    // The Rust evaluator must give XGBoost's own answers: checked on the first rows, every time.
    let rows = n.min(SELF_CHECK_ROWS);
    let sample = pgml_xgboost::DMatrix::from_dense(&row_major[..rows * p], rows, p).map_err(xgb)?;
    let theirs = booster.predict(&sample).map_err(xgb)?;
    let width = theirs.len() / rows.max(1);
    for i in 0..rows {
        let ours = ensemble.xgboost_output(&row_major[i * p..(i + 1) * p]);
        let want = &theirs[i * width..(i + 1) * width];
        let close = ours.len() == want.len()
            && ours
                .iter()
                .zip(want)
                .all(|(a, b)| (a - b).abs() <= 1e-4 * b.abs().max(1.0));
        if !close {
            return Err(Error::BadModel {
                message: format!(
                    "pgml's tree evaluator disagrees with XGBoost on training row {i}: {ours:?} vs {want:?}"
                ),
                newer_format: false,
            });
        }
    }
    Ok(XgboostModel {
        ensemble,
        native_json,
    })
}
