//! `xgboost`: gradient-boosted trees, trained by XGBoost (Debian's libxgboost) and evaluated in
//! Rust (`trees`). Hyperparameter names and defaults are XGBoost's. The training glue here
//! (`fit`) also serves `random_forest`, XGBoost's random-forest mode.

use serde::{Deserialize, Serialize};

use super::params::{choice, float, int, INF, NTHREAD};
use super::trees::TreeEnsemble;
use super::{wrong_labels, Fitted, Labels, Learner, Predictor};
use crate::hyperparams::{DefaultValue, Hyperparams, Kind, Param};
use crate::{Error, Matrix, Result, Task};

#[derive(Debug, Clone, Copy)]
pub struct Xgboost;

pub(super) const RANDOM_STATE: Param =
    int("random_state", 0, i32::MAX as i64, DefaultValue::Int(0));

/// The objectives of XGBoost 1.7 that fit a regression; `reg:linear` is its old name of
/// reg:squarederror.
pub const REGRESSION_OBJECTIVES: &[&str] = &[
    "reg:squarederror",
    "reg:squaredlogerror",
    "reg:logistic",
    "reg:pseudohubererror",
    "reg:absoluteerror",
    "count:poisson",
    "reg:gamma",
    "reg:tweedie",
    "reg:linear",
];

/// The objectives of XGBoost 1.7 that fit a classification (binary:* need two classes).
pub const CLASSIFICATION_OBJECTIVES: &[&str] = &[
    "binary:logistic",
    "binary:logitraw",
    "binary:hinge",
    "multi:softprob",
    "multi:softmax",
];

const ALL_OBJECTIVES: &[&str] = &[
    "reg:squarederror",
    "reg:squaredlogerror",
    "reg:logistic",
    "reg:pseudohubererror",
    "reg:absoluteerror",
    "count:poisson",
    "reg:gamma",
    "reg:tweedie",
    "reg:linear",
    "binary:logistic",
    "binary:logitraw",
    "binary:hinge",
    "multi:softprob",
    "multi:softmax",
];

/// XGBoost 1.7's evaluation metrics (a name may end in `@<number>` or `-` where XGBoost allows).
const EVAL_METRICS: &[&str] = &[
    "rmse",
    "rmsle",
    "mae",
    "mape",
    "mphe",
    "logloss",
    "error",
    "merror",
    "mlogloss",
    "auc",
    "aucpr",
    "ndcg",
    "map",
    "pre",
    "poisson-nloglik",
    "gamma-nloglik",
    "cox-nloglik",
    "gamma-deviance",
    "tweedie-nloglik",
    "aft-nloglik",
    "interval-regression-accuracy",
];

const fn text(name: &'static str, what: &'static str) -> Param {
    Param {
        name,
        kind: Kind::Text { what },
        default: DefaultValue::Null,
    }
}

const fn flag(name: &'static str, default: bool) -> Param {
    Param {
        name,
        kind: Kind::Bool,
        default: DefaultValue::Bool(default),
    }
}

/// XGBoost's names (its scikit-learn wrapper's and its native ones); aliases
/// (eta/learning_rate, lambda/reg_lambda, alpha/reg_alpha, seed/random_state, n_jobs/nthread,
/// num_boost_round/n_estimators) default to "none" so that giving both is caught.
const PARAMS: &[Param] = &[
    int("n_estimators", 1, 100_000, DefaultValue::Int(100)),
    int("num_boost_round", 1, 100_000, DefaultValue::Null),
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
    choice(
        "tree_method",
        &["hist", "approx", "exact", "auto"],
        DefaultValue::Str("hist"),
    ),
    choice("objective", ALL_OBJECTIVES, DefaultValue::Null),
    text(
        "eval_metric",
        "an XGBoost metric name (rmse, mae, logloss, error, auc, ...) or a list of them",
    ),
    int("early_stopping_rounds", 1, 100_000, DefaultValue::Null),
    float(
        "validation_fraction",
        0.0,
        0.5,
        true,
        DefaultValue::Float(0.1),
    ),
    float("base_score", -INF, INF, false, DefaultValue::Null),
    float("scale_pos_weight", 0.0, INF, true, DefaultValue::Float(1.0)),
    float("max_delta_step", 0.0, INF, false, DefaultValue::Float(0.0)),
    choice(
        "grow_policy",
        &["depthwise", "lossguide"],
        DefaultValue::Str("depthwise"),
    ),
    int("max_leaves", 0, 1 << 24, DefaultValue::Int(0)),
    int("num_parallel_tree", 1, 1000, DefaultValue::Int(1)),
    choice("booster", &["gbtree", "dart", "gblinear"], DefaultValue::Str("gbtree")),
    float("rate_drop", 0.0, 1.0, false, DefaultValue::Float(0.0)),
    flag("one_drop", false),
    float("skip_drop", 0.0, 1.0, false, DefaultValue::Float(0.0)),
    choice(
        "sample_type",
        &["uniform", "weighted"],
        DefaultValue::Str("uniform"),
    ),
    choice(
        "normalize_type",
        &["tree", "forest"],
        DefaultValue::Str("tree"),
    ),
    float(
        "tweedie_variance_power",
        1.0,
        2.0,
        true,
        DefaultValue::Float(1.5),
    ),
    float("huber_slope", 0.0, INF, true, DefaultValue::Float(1.0)),
    text(
        "monotone_constraints",
        "XGBoost's constraint text such as \"(1,0,-1)\" or a list of 1, 0, -1 per feature",
    ),
    text(
        "interaction_constraints",
        "XGBoost's constraint text such as \"[[0, 1], [2, 3]]\" or a list of lists of feature indexes",
    ),
    choice(
        "sampling_method",
        &["uniform", "gradient_based"],
        DefaultValue::Str("uniform"),
    ),
    flag("seed_per_iteration", false),
    // Accepted for PostgresML's and XGBoost's habits; they cannot change the fitted model here.
    int("verbosity", 0, 3, DefaultValue::Int(0)),
    flag("validate_parameters", true),
    flag("disable_default_eval_metric", false),
    flag("use_label_encoder", false),
    flag("enable_categorical", false),
    int("max_cat_to_onehot", 1, i32::MAX as i64, DefaultValue::Null),
    int("max_cat_threshold", 1, i32::MAX as i64, DefaultValue::Null),
    choice(
        "importance_type",
        &["gain", "weight", "cover", "total_gain", "total_cover"],
        DefaultValue::Str("gain"),
    ),
    choice(
        "predictor",
        &["auto", "cpu_predictor", "gpu_predictor"],
        DefaultValue::Str("auto"),
    ),
    int("gpu_id", -1, 1024, DefaultValue::Int(-1)),
    int("n_jobs", 0, 1024, DefaultValue::Null),
    int("seed", 0, i32::MAX as i64, DefaultValue::Null),
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
    /// The objective asked for (None: chosen from the labels), by XGBoost's name.
    pub objective: Option<String>,
    pub early_stopping: Option<EarlyStopping>,
    pub importance_type: String,
    /// Everything else handed to XGBoost as it is, by XGBoost's names.
    pub booster_params: Vec<(&'static str, String)>,
}

/// Stops boosting when the last eval_metric on a validation part of the training rows has not
/// improved for `rounds` rounds; the model keeps the rounds up to the best one.
#[derive(Debug, Clone, PartialEq)]
pub struct EarlyStopping {
    pub rounds: usize,
    pub validation_fraction: f64,
}

/// One of two alias names, or the default; both given is an error.
fn alias(params: &Hyperparams, a: &str, b: &str, default: f64) -> Result<f64> {
    match (params.opt_float(a)?, params.opt_float(b)?) {
        (Some(_), Some(_)) => Err(both(a, b)),
        (Some(v), None) | (None, Some(v)) => Ok(v),
        (None, None) => Ok(default),
    }
}

fn both(a: &str, b: &str) -> Error {
    Error::invalid_with_hint(
        format!("hyperparameters {a} and {b} are the same; give only one"),
        format!("{a} and {b} are two names of one hyperparameter"),
    )
}

/// An alias (`alias`, default none) of a whole-number parameter with a default (`name`): the
/// alias when given, unless `name` was also set to another value.
fn int_alias(params: &Hyperparams, name: &str, default: i64, alias: &str) -> Result<i64> {
    let value = params.int(name)?;
    match params.opt_int(alias)? {
        Some(v) if value != default && value != v => Err(both(name, alias)),
        Some(v) => Ok(v),
        None => Ok(value),
    }
}

/// `eval_metric` as XGBoost's list of metric names, each checked against XGBoost 1.7's.
fn eval_metrics(given: Option<&str>) -> Result<Vec<String>> {
    let Some(given) = given else {
        return Ok(Vec::new());
    };
    let names: Vec<String> = if given.trim_start().starts_with('[') {
        serde_json::from_str::<Vec<String>>(given).map_err(|_| {
            Error::invalid(format!(
                "hyperparameter eval_metric must be a metric name or a list of names, got {given}"
            ))
        })?
    } else {
        vec![given.to_string()]
    };
    for name in &names {
        let base = name
            .split('@')
            .next()
            .unwrap_or_default()
            .trim_end_matches('-');
        let suffix_ok = name
            .split_once('@')
            .is_none_or(|(_, n)| !n.is_empty() && n.trim_end_matches('-').parse::<f64>().is_ok());
        if !EVAL_METRICS.contains(&base) || !suffix_ok {
            return Err(Error::invalid_with_hint(
                format!("unknown XGBoost eval_metric \"{name}\""),
                format!("XGBoost 1.7's metrics: {}", EVAL_METRICS.join(", ")),
            ));
        }
    }
    if names.is_empty() {
        return Err(Error::invalid(
            "hyperparameter eval_metric is an empty list",
        ));
    }
    Ok(names)
}

/// XGBoost's constraint text: a JSON list is handed on in XGBoost's own syntax.
fn constraint(name: &str, given: Option<&str>) -> Result<Option<String>> {
    let Some(v) = given else {
        return Ok(None);
    };
    let ok = v
        .chars()
        .all(|c| c.is_ascii_digit() || "()[], -".contains(c));
    if !ok {
        return Err(Error::invalid_with_hint(
            format!("hyperparameter {name} must list feature numbers, got {v:?}"),
            "for example \"(1,0,-1)\" or [1, 0, -1] for monotone_constraints, \
             [[0, 1], [2, 3]] for interaction_constraints",
        ));
    }
    // XGBoost reads monotone_constraints as a tuple: "(1,0,-1)".
    let v = if name == "monotone_constraints" && v.trim_start().starts_with('[') {
        format!(
            "({})",
            v.trim().trim_start_matches('[').trim_end_matches(']')
        )
    } else {
        v.to_string()
    };
    Ok(Some(v))
}

fn not_here(name: &str, value: &str, instead: &str) -> Error {
    Error::not_supported(
        format!("XGBoost's {name} = {value} is not available in pgml"),
        instead,
    )
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

    fn options(&self, task: Task, params: &Hyperparams) -> Result<Options> {
        let mut common = Common::read(params)?;
        common.random_state = int_alias(params, "random_state", 0, "seed")?;
        common.nthread = int_alias(params, "nthread", 0, "n_jobs")?;
        let n_estimators = int_alias(params, "n_estimators", 100, "num_boost_round")?;

        let objective = match params.opt_str("objective")? {
            Some("reg:linear") => Some("reg:squarederror".to_string()),
            Some(o) => {
                let fits = match task {
                    Task::Classification => CLASSIFICATION_OBJECTIVES.contains(&o),
                    _ => REGRESSION_OBJECTIVES.contains(&o),
                };
                if !fits {
                    let list = match task {
                        Task::Classification => CLASSIFICATION_OBJECTIVES,
                        _ => REGRESSION_OBJECTIVES,
                    };
                    return Err(Error::invalid_with_hint(
                        format!("XGBoost objective {o} does not fit a {task} task"),
                        format!("{task} objectives: {}", list.join(", ")),
                    ));
                }
                Some(o.to_string())
            }
            None => None,
        };

        let booster = params.str("booster")?;
        if booster == "gblinear" {
            return Err(not_here(
                "booster",
                "gblinear",
                "use booster gbtree or dart, or the linear algorithms (linear, ridge, lasso, elastic_net)",
            ));
        }
        if params.str("sampling_method")? == "gradient_based" {
            return Err(not_here(
                "sampling_method",
                "gradient_based",
                "XGBoost supports it on GPUs only; use uniform",
            ));
        }
        if params.str("predictor")? == "gpu_predictor" || params.int("gpu_id")? >= 0 {
            return Err(not_here(
                "GPU",
                "predictor/gpu_id",
                "pgml trains on the CPU; leave predictor and gpu_id out",
            ));
        }
        if params.bool("enable_categorical")? {
            return Err(not_here(
                "enable_categorical",
                "true",
                "text columns are encoded by pgml: see preprocess (one_hot, ordinal, target)",
            ));
        }
        let grow_policy = params.str("grow_policy")?;
        let tree_method = params.str("tree_method")?;
        if grow_policy == "lossguide" && tree_method == "exact" {
            return Err(Error::invalid_with_hint(
                "grow_policy lossguide needs tree_method hist or approx",
                "set tree_method to hist (the default)",
            ));
        }

        let metrics = eval_metrics(params.opt_str("eval_metric")?)?;
        let early_stopping = params
            .opt_int("early_stopping_rounds")?
            .map(|r| -> Result<EarlyStopping> {
                Ok(EarlyStopping {
                    rounds: usize::try_from(r).unwrap_or(1),
                    validation_fraction: params.float("validation_fraction")?,
                })
            })
            .transpose()?;

        let mut p: Vec<(&'static str, String)> = vec![
            ("booster", booster.to_string()),
            ("tree_method", tree_method.to_string()),
            ("max_depth", params.int("max_depth")?.to_string()),
            (
                "learning_rate",
                alias(params, "learning_rate", "eta", 0.3)?.to_string(),
            ),
            (
                "reg_lambda",
                alias(params, "lambda", "reg_lambda", 1.0)?.to_string(),
            ),
            (
                "reg_alpha",
                alias(params, "alpha", "reg_alpha", 0.0)?.to_string(),
            ),
            ("gamma", params.float("gamma")?.to_string()),
            (
                "colsample_bytree",
                params.float("colsample_bytree")?.to_string(),
            ),
            (
                "colsample_bylevel",
                params.float("colsample_bylevel")?.to_string(),
            ),
            (
                "colsample_bynode",
                params.float("colsample_bynode")?.to_string(),
            ),
            (
                "scale_pos_weight",
                params.float("scale_pos_weight")?.to_string(),
            ),
            (
                "max_delta_step",
                params.float("max_delta_step")?.to_string(),
            ),
            ("grow_policy", grow_policy.to_string()),
            ("max_leaves", params.int("max_leaves")?.to_string()),
            (
                "num_parallel_tree",
                params.int("num_parallel_tree")?.to_string(),
            ),
            (
                "tweedie_variance_power",
                params.float("tweedie_variance_power")?.to_string(),
            ),
            ("huber_slope", params.float("huber_slope")?.to_string()),
            (
                "seed_per_iteration",
                u8::from(params.bool("seed_per_iteration")?).to_string(),
            ),
        ];
        if booster == "dart" {
            p.extend([
                ("rate_drop", params.float("rate_drop")?.to_string()),
                ("one_drop", u8::from(params.bool("one_drop")?).to_string()),
                ("skip_drop", params.float("skip_drop")?.to_string()),
                ("sample_type", params.str("sample_type")?.to_string()),
                ("normalize_type", params.str("normalize_type")?.to_string()),
            ]);
        }
        if let Some(b) = params.opt_float("base_score")? {
            p.push(("base_score", b.to_string()));
        }
        for name in ["monotone_constraints", "interaction_constraints"] {
            if let Some(c) = constraint(name, params.opt_str(name)?)? {
                p.push((name, c));
            }
        }
        for m in metrics {
            p.push(("eval_metric", m));
        }
        Ok(Options {
            common,
            n_estimators: usize::try_from(n_estimators).unwrap_or(1),
            objective,
            early_stopping,
            importance_type: params.str("importance_type")?.to_string(),
            booster_params: p,
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
        params.extend(o.booster_params.iter().cloned());
        let config = BoosterConfig {
            rounds: o.n_estimators,
            params,
            objective: o.objective.clone(),
            early_stopping: o.early_stopping.clone(),
            importance_type: o.importance_type.clone(),
            seed: o.common.random_state,
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
    /// Known at train time only (stored in the catalog then): XGBoost's importances by
    /// `importance_type`, and early stopping's best round and score.
    #[serde(skip)]
    pub feature_importances: Option<Vec<f64>>,
    #[serde(skip)]
    pub fit_metrics: crate::metrics::Metrics,
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
    fn feature_importances(&self) -> Option<Vec<f64>> {
        self.feature_importances.clone()
    }
    fn fit_metrics(&self) -> crate::metrics::Metrics {
        self.fit_metrics.clone()
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
    /// Boosting rounds (one tree per class each).
    pub rounds: usize,
    pub params: Vec<(&'static str, String)>,
    /// XGBoost's objective name; None: reg:squarederror, binary:logistic or multi:softprob by
    /// the labels.
    pub objective: Option<String>,
    pub early_stopping: Option<EarlyStopping>,
    pub importance_type: String,
    /// Draws the validation rows of early stopping.
    pub seed: i64,
}

/// How many rows of the training set the Rust evaluator is checked against XGBoost on.
const SELF_CHECK_ROWS: usize = 256;

fn xgb(e: pgml_xgboost::Error) -> Error {
    Error::bad_data(e.to_string(), "check the hyperparameters")
}

/// The training matrix (in XGBoost's own form) with its labels, the objective, and the first
/// training rows row-major, for the self-check.
struct Prepared {
    row_major: Vec<f32>,
    train: pgml_xgboost::DMatrix,
    objective: Vec<(&'static str, String)>,
}

/// How XGBoost holds the training matrix, from the booster's parameters: `tree_method` hist (the
/// default) trains on a QuantileDMatrix read in place from pgml's column-major matrix (one byte a
/// value); the other tree methods need XGBoost's CSR copy (8 bytes a value) of a row-major copy.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Storage {
    Quantile { max_bin: usize, nthread: usize },
    Rows,
}

impl Storage {
    fn of(params: &[(&'static str, String)]) -> Storage {
        // The last value of a name wins, as XGBoost applies them in order.
        let get = |name: &str| {
            params
                .iter()
                .rev()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.as_str())
        };
        let number = |name: &str, default: usize| {
            get(name)
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(default)
        };
        match get("tree_method") {
            Some("hist") => Storage::Quantile {
                max_bin: number("max_bin", 256),
                nthread: number("nthread", 1),
            },
            _ => Storage::Rows,
        }
    }
}

/// The first `rows` rows of `x`, row-major.
fn first_rows(x: &Matrix, rows: usize) -> Vec<f32> {
    let rows = rows.min(x.rows());
    (0..rows)
        .flat_map(|i| (0..x.cols()).map(move |j| (i, j)))
        .map(|(i, j)| x.get(i, j))
        .collect()
}

fn prepare(
    x: &Matrix,
    labels: Labels<'_>,
    objective: Option<&str>,
    storage: Storage,
) -> Result<Prepared> {
    let (n, p) = (x.rows(), x.cols());
    let class_values: Vec<f32>;
    let (y, objective): (&[f32], Vec<(&str, String)>) = match labels {
        Labels::Values(y) => (
            y,
            vec![(
                "objective",
                objective.unwrap_or("reg:squarederror").to_string(),
            )],
        ),
        Labels::Classes { codes, num_classes } => {
            class_values = codes.iter().map(|&c| c as f32).collect();
            let objective = match objective {
                Some(o) if o.starts_with("binary:") && num_classes != 2 => {
                    return Err(Error::invalid_with_hint(
                        format!("XGBoost objective {o} needs two classes; the label has {num_classes}"),
                        "use multi:softprob (the default for more than two classes) or multi:softmax",
                    ))
                }
                Some(o) if o.starts_with("multi:") => vec![
                    ("objective", o.to_string()),
                    ("num_class", num_classes.to_string()),
                ],
                Some(o) => vec![("objective", o.to_string())],
                None if num_classes == 2 => vec![("objective", "binary:logistic".into())],
                None => vec![
                    ("objective", "multi:softprob".into()),
                    ("num_class", num_classes.to_string()),
                ],
            };
            (&class_values, objective)
        }
        Labels::None => {
            return Err(Error::not_supported(
                "tree ensembles need a label",
                "use kmeans for clustering and pca for decomposition",
            ))
        }
    };
    let train = match storage {
        Storage::Quantile { max_bin, nthread } => pgml_xgboost::DMatrix::quantile_from_columns(
            x.as_column_major(),
            n,
            p,
            y,
            max_bin,
            nthread,
        )
        .map_err(xgb)?,
        Storage::Rows => {
            // XGBoost copies the rows into its own CSR matrix; this copy lives only until then.
            let row_major = first_rows(x, n);
            let mut train = pgml_xgboost::DMatrix::from_dense(&row_major, n, p).map_err(xgb)?;
            drop(row_major);
            train.set_labels(y).map_err(xgb)?;
            train
        }
    };
    Ok(Prepared {
        row_major: first_rows(x, SELF_CHECK_ROWS),
        train,
        objective,
    })
}

fn booster(
    prepared: &Prepared,
    params: &[(&'static str, String)],
) -> Result<pgml_xgboost::Booster> {
    let mut booster = pgml_xgboost::Booster::new(&prepared.train).map_err(xgb)?;
    for (k, v) in prepared.objective.iter().chain(params) {
        booster.set_param(k, v).map_err(xgb)?;
    }
    Ok(booster)
}

pub fn fit(
    x: &Matrix,
    labels: Labels<'_>,
    opts: &BoosterConfig,
    check_interrupts: &dyn Fn(),
) -> Result<XgboostModel> {
    let Some(stopping) = &opts.early_stopping else {
        let storage = Storage::of(&opts.params);
        let prepared = prepare(x, labels, opts.objective.as_deref(), storage)?;
        let mut booster = booster(&prepared, &opts.params)?;
        for round in 0..opts.rounds {
            check_interrupts();
            booster.update(round, &prepared.train).map_err(xgb)?;
            check_first_round(&booster, round, opts.rounds)?;
        }
        let native_json = booster.save_json().map_err(xgb)?;
        let mut model = checked(x.cols(), &prepared, &booster, native_json)?;
        model.feature_importances = Some(importances(&model, &opts.importance_type)?);
        return Ok(model);
    };

    // Early stopping: a validation part of the training rows (never the test split), drawn
    // with the model's seed; the model is trained on the rest.
    let n = x.rows();
    let valid_rows = ((n as f64 * stopping.validation_fraction).ceil() as usize).max(1);
    if n < valid_rows + 2 {
        return Err(Error::bad_data(
            format!(
                "{n} training rows are too few to hold out a validation part for early stopping"
            ),
            "train on more rows or leave early_stopping_rounds out",
        ));
    }
    let mut order: Vec<usize> = (0..n).collect();
    let mut rng = crate::split::SplitMix64(opts.seed as u64 ^ 0x5eed_ea51);
    for i in (1..n).rev() {
        order.swap(i, (rng.next_u64() % (i as u64 + 1)) as usize);
    }
    let (valid_idx, train_idx) = order.split_at(valid_rows);
    let (mut train_idx, mut valid_idx) = (train_idx.to_vec(), valid_idx.to_vec());
    train_idx.sort_unstable();
    valid_idx.sort_unstable();
    let p = x.cols();
    let x_train = x.select_rows(&train_idx);
    let x_valid = x.select_rows(&valid_idx);
    let (train_labels, valid_labels) = split_labels(labels, &train_idx, &valid_idx);
    let prepared = prepare(
        &x_train,
        train_labels.as_labels(labels),
        opts.objective.as_deref(),
        Storage::of(&opts.params),
    )?;
    drop(x_train);
    // Only predicted on: a plain matrix (a QuantileDMatrix would need the training one's bins).
    let valid = prepare(
        &x_valid,
        valid_labels.as_labels(labels),
        opts.objective.as_deref(),
        Storage::Rows,
    )?;
    let mut booster =
        pgml_xgboost::Booster::with_cache(&[&prepared.train, &valid.train]).map_err(xgb)?;
    for (k, v) in prepared.objective.iter().chain(&opts.params) {
        booster.set_param(k, v).map_err(xgb)?;
    }
    let (mut best_round, mut best_score, mut metric) = (0usize, f64::NAN, String::new());
    for round in 0..opts.rounds {
        check_interrupts();
        booster.update(round, &prepared.train).map_err(xgb)?;
        check_first_round(&booster, round, opts.rounds)?;
        let line = booster
            .eval(round, &[(&valid.train, "validation")])
            .map_err(xgb)?;
        let (name, score) = last_metric(&line).ok_or_else(|| {
            Error::bad_data(
                format!("XGBoost's evaluation line {line:?} has no metric"),
                "check eval_metric",
            )
        })?;
        let better = best_score.is_nan()
            || if maximized(&name) {
                score > best_score
            } else {
                score < best_score
            };
        if better {
            (best_round, best_score, metric) = (round, score, name);
        } else if round - best_round >= stopping.rounds {
            break;
        }
    }
    let kept = booster.slice(0, best_round + 1).map_err(xgb)?;
    let native_json = kept.save_json().map_err(xgb)?;
    let mut model = checked(p, &prepared, &kept, native_json)?;
    model.feature_importances = Some(importances(&model, &opts.importance_type)?);
    model
        .fit_metrics
        .insert("best_iteration".into(), best_round as f64);
    model
        .fit_metrics
        .insert(format!("validation_{metric}"), best_score);
    Ok(model)
}

/// The size of the model projected from its first round, refused before memory runs out.
fn check_first_round(booster: &pgml_xgboost::Booster, round: usize, rounds: usize) -> Result<()> {
    if round == 0 && rounds > 1 {
        let first = booster.save_json().map_err(xgb)?.len() as f64;
        check_projected_size(first, rounds, &format!("{rounds} boosting rounds"))?;
    }
    Ok(())
}

/// The last metric of an evaluation line `[3]\tvalidation-rmse:0.52\tvalidation-mae:0.4`
/// (the one XGBoost's early stopping watches), as (name, value).
fn last_metric(line: &str) -> Option<(String, f64)> {
    let last = line.split('\t').skip(1).last()?;
    let (name, value) = last.rsplit_once(':')?;
    let name = name.strip_prefix("validation-").unwrap_or(name);
    Some((name.to_string(), value.trim().parse().ok()?))
}

/// Metrics where more is better (XGBoost's early stopping maximizes them).
fn maximized(metric: &str) -> bool {
    [
        "auc",
        "aucpr",
        "map",
        "ndcg",
        "pre",
        "interval-regression-accuracy",
    ]
    .iter()
    .any(|m| metric == *m || metric.starts_with(&format!("{m}@")))
}

/// Labels of a row subset, owned.
enum OwnedLabels {
    Values(Vec<f32>),
    Codes(Vec<u32>),
}

impl OwnedLabels {
    fn as_labels<'a>(&'a self, like: Labels<'_>) -> Labels<'a> {
        match (self, like) {
            (OwnedLabels::Codes(codes), Labels::Classes { num_classes, .. }) => {
                Labels::Classes { codes, num_classes }
            }
            (OwnedLabels::Values(v), _) => Labels::Values(v),
            (OwnedLabels::Codes(_), _) => Labels::None,
        }
    }
}

fn split_labels(labels: Labels<'_>, a: &[usize], b: &[usize]) -> (OwnedLabels, OwnedLabels) {
    match labels {
        Labels::Classes { codes, .. } => (
            OwnedLabels::Codes(a.iter().map(|&i| codes[i]).collect()),
            OwnedLabels::Codes(b.iter().map(|&i| codes[i]).collect()),
        ),
        Labels::Values(y) => (
            OwnedLabels::Values(a.iter().map(|&i| y[i]).collect()),
            OwnedLabels::Values(b.iter().map(|&i| y[i]).collect()),
        ),
        Labels::None => (
            OwnedLabels::Values(Vec::new()),
            OwnedLabels::Values(Vec::new()),
        ),
    }
}

/// The model's feature importances of XGBoost's `importance_type`, summing to 1.
fn importances(model: &XgboostModel, importance_type: &str) -> Result<Vec<f64>> {
    super::trees::xgboost_importances(
        &model.native_json,
        model.ensemble.num_features,
        importance_type,
    )
}

/// The most XGBoost JSON a model may grow to (projected from its first trees, before the rest are
/// grown). Reading it into pgml's trees takes several times its size at the peak of a train: beyond
/// this a train takes many gigabytes of memory in the backend.
pub const MAX_MODEL_JSON_BYTES: usize = 1 << 30;

/// Refuses a model of `units` rounds or trees, `per_unit` bytes of XGBoost JSON each, that would
/// outgrow [`MAX_MODEL_JSON_BYTES`]; `what` names it in the message.
fn check_projected_size(per_unit: f64, units: usize, what: &str) -> Result<()> {
    let projected = per_unit * units as f64;
    if projected <= MAX_MODEL_JSON_BYTES as f64 {
        return Ok(());
    }
    Err(Error::too_large(
        format!(
            "{what} on this data would take about {:.1} GB",
            projected / 1e9
        ),
        format!(
            "lower n_estimators ({} fits), set a smaller max_depth, or train on fewer rows",
            ((MAX_MODEL_JSON_BYTES as f64 / per_unit.max(1.0)) as usize).max(1)
        ),
    ))
}

/// Seconds of training between two checks for a query cancel.
const FOREST_CHUNK_SECONDS: f64 = 0.25;

/// XGBoost's random-forest mode (one round of `trees` parallel trees), grown a few trees at a time:
/// XGBoost cannot be interrupted inside a round, so one round of 100 000 trees ignored a cancel for
/// minutes. Each chunk is a forest of its own (seeded `seed + chunk`); the chunks are merged into
/// one XGBoost model whose trees each count in proportion, exactly the average of all trees that
/// one round would give (XGBoost scales a round's leaves by 1 / its number of parallel trees). The
/// size of the model is projected from the first chunk and refused before memory runs out.
pub fn fit_forest(
    x: &Matrix,
    labels: Labels<'_>,
    params: &[(&'static str, String)],
    trees: usize,
    seed: i64,
    check_interrupts: &dyn Fn(),
) -> Result<XgboostModel> {
    let prepared = prepare(x, labels, None, Storage::of(params))?;
    let mut chunks: Vec<(usize, Vec<u8>)> = Vec::new();
    let (mut grown, mut chunk) = (0usize, 1usize);
    while grown < trees {
        check_interrupts();
        let k = chunk.min(trees - grown);
        let mut p = params.to_vec();
        p.retain(|(name, _)| *name != "num_parallel_tree" && *name != "seed");
        p.push(("num_parallel_tree", k.to_string()));
        p.push(("seed", seed.saturating_add(chunks.len() as i64).to_string()));
        let started = std::time::Instant::now();
        let mut b = booster(&prepared, &p)?;
        b.update(0, &prepared.train).map_err(xgb)?;
        let json = b.save_json().map_err(xgb)?;
        let seconds = started.elapsed().as_secs_f64();
        if chunks.is_empty() {
            check_projected_size(
                json.len() as f64 / k as f64,
                trees,
                &format!("a forest of {trees} trees"),
            )?;
        }
        grown += k;
        chunks.push((k, json));
        // Aim at FOREST_CHUNK_SECONDS per chunk from the time per tree so far.
        let per_tree = (seconds / k as f64).max(1e-6);
        chunk = ((FOREST_CHUNK_SECONDS / per_tree) as usize).clamp(1, 1000);
    }
    let native_json = merge_forests(chunks, trees)?;
    let merged = pgml_xgboost::Booster::load(&native_json).map_err(xgb)?;
    checked(x.cols(), &prepared, &merged, native_json)
}

/// One XGBoost JSON model holding every chunk's trees, each chunk's leaves weighted by its share
/// of the trees.
fn merge_forests(chunks: Vec<(usize, Vec<u8>)>, total: usize) -> Result<Vec<u8>> {
    let bad = |what: &str| Error::BadModel {
        message: format!("merging XGBoost forests: {what}"),
        newer_format: false,
    };
    let mut merged: Option<serde_json::Value> = None;
    let mut trees: Vec<serde_json::Value> = Vec::new();
    let mut info: Vec<serde_json::Value> = Vec::new();
    for (k, json) in chunks {
        let mut j: serde_json::Value =
            serde_json::from_slice(&json).map_err(|e| bad(&e.to_string()))?;
        drop(json);
        let weight = k as f64 / total as f64;
        let model = &mut j["learner"]["gradient_booster"]["model"];
        let chunk_trees = model["trees"]
            .as_array_mut()
            .ok_or_else(|| bad("no trees"))?;
        for t in chunk_trees.iter_mut() {
            let leaves: Vec<usize> = t["left_children"]
                .as_array()
                .ok_or_else(|| bad("left_children"))?
                .iter()
                .enumerate()
                .filter(|(_, c)| c.as_i64() == Some(-1))
                .map(|(i, _)| i)
                .collect();
            for key in ["split_conditions", "base_weights"] {
                let values = t[key].as_array_mut().ok_or_else(|| bad(key))?;
                for &i in &leaves {
                    let v = values.get(i).and_then(serde_json::Value::as_f64);
                    if let (Some(v), Some(slot)) = (v, values.get_mut(i)) {
                        *slot = serde_json::json!(v * weight);
                    }
                }
            }
            t["id"] = serde_json::json!(trees.len());
            trees.push(t.take());
        }
        info.extend(
            model["tree_info"]
                .as_array()
                .ok_or_else(|| bad("tree_info"))?
                .iter()
                .cloned(),
        );
        merged.get_or_insert(j);
    }
    let mut merged = merged.ok_or_else(|| bad("no chunks"))?;
    let model = &mut merged["learner"]["gradient_booster"]["model"];
    let count = trees.len();
    model["trees"] = serde_json::Value::Array(trees);
    model["tree_info"] = serde_json::Value::Array(info);
    model["gbtree_model_param"]["num_trees"] = serde_json::json!(count.to_string());
    model["gbtree_model_param"]["num_parallel_tree"] = serde_json::json!(total.to_string());
    serde_json::to_vec(&merged).map_err(|e| bad(&e.to_string()))
}

/// The model, once the Rust evaluator was checked to give XGBoost's own answers on the first
/// training rows (every time a model is trained).
fn checked(
    p: usize,
    prepared: &Prepared,
    booster: &pgml_xgboost::Booster,
    native_json: Vec<u8>,
) -> Result<XgboostModel> {
    let ensemble = TreeEnsemble::from_xgboost_json(&native_json)?;
    let rows = prepared.row_major.len() / p.max(1);
    let sample =
        pgml_xgboost::DMatrix::from_dense(&prepared.row_major[..rows * p], rows, p).map_err(xgb)?;
    let theirs = booster.predict(&sample).map_err(xgb)?;
    let width = theirs.len() / rows.max(1);
    // XGBoost adds its trees' outputs in f32, one after another: its own rounding grows with the
    // number of trees (0.1 on a margin of 77 after 100 000 trees), so the tolerance does too.
    let tolerance = 1e-4 + 1e-7 * ensemble.trees.len() as f32;
    for i in 0..rows {
        let ours = ensemble.xgboost_output(&prepared.row_major[i * p..(i + 1) * p]);
        let want = &theirs[i * width..(i + 1) * width];
        let close = ours.len() == want.len()
            && ours
                .iter()
                .zip(want)
                .all(|(a, b)| (a - b).abs() <= tolerance * b.abs().max(1.0));
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
        feature_importances: None,
        fit_metrics: crate::metrics::Metrics::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::split::SplitMix64;

    fn data(n: usize) -> (Matrix, Vec<f32>) {
        let mut rng = SplitMix64(7);
        let cols: Vec<f32> = (0..n * 3).map(|_| rng.unit() as f32).collect();
        let x = Matrix::from_columns(n, 3, cols).unwrap();
        let y = (0..n)
            .map(|i| 3.0 * x.get(i, 0) - x.get(i, 1) + x.get(i, 2) * x.get(i, 0))
            .collect();
        (x, y)
    }

    fn forest_params() -> Vec<(&'static str, String)> {
        vec![
            ("nthread", "1".into()),
            ("tree_method", "hist".into()),
            ("learning_rate", "1".into()),
            ("reg_lambda", "0".into()),
            ("subsample", "0.632".into()),
            ("colsample_bynode", "0.8".into()),
            ("max_depth", "4".into()),
        ]
    }

    /// A merged forest is exactly the tree-count-weighted average of its chunks, as XGBoost
    /// itself computes it from the merged model.
    #[test]
    fn merged_chunks_average_their_trees() {
        let (x, y) = data(300);
        let prepared =
            prepare(&x, Labels::Values(&y), None, Storage::of(&forest_params())).unwrap();
        let mut chunks = Vec::new();
        let mut outputs = Vec::new();
        for (k, seed) in [(3usize, 1), (2, 2)] {
            let mut p = forest_params();
            p.push(("num_parallel_tree", k.to_string()));
            p.push(("seed", seed.to_string()));
            let mut b = booster(&prepared, &p).unwrap();
            b.update(0, &prepared.train).unwrap();
            outputs.push(b.predict(&prepared.train).unwrap());
            chunks.push((k, b.save_json().unwrap()));
        }
        let merged = merge_forests(chunks, 5).unwrap();
        let m = pgml_xgboost::Booster::load(&merged).unwrap();
        let got = m.predict(&prepared.train).unwrap();
        let base = 0.5; // XGBoost 1.7's base_score for reg:squarederror
        for i in 0..got.len() {
            let want = base + 0.6 * (outputs[0][i] - base) + 0.4 * (outputs[1][i] - base);
            assert!(
                (got[i] - want).abs() < 1e-4,
                "row {i}: {} vs {want}",
                got[i]
            );
        }
        let ensemble = TreeEnsemble::from_xgboost_json(&merged).unwrap();
        assert_eq!(ensemble.trees.len(), 5);
    }

    /// XGBoost's bins of pgml's column-major matrix read in place (what `hist` trains on) give
    /// the very model its CSR copy of the rows gives: same cuts, same trees, same JSON. With
    /// 4000 distinct values a feature, the bins come from XGBoost's quantile sketch.
    #[test]
    fn hist_on_the_matrix_in_place_trains_the_model_of_a_row_copy() {
        let (x, y) = data(4000);
        let codes: Vec<u32> = y.iter().map(|&v| u32::from(v > 1.0)).collect();
        let mut params = forest_params();
        params.retain(|(n, _)| *n != "num_parallel_tree");
        params.push(("max_bin", "64".into()));
        params.push(("nthread", "2".into()));
        for labels in [
            Labels::Values(&y),
            Labels::Classes {
                codes: &codes,
                num_classes: 2,
            },
        ] {
            let storage = Storage::of(&params);
            assert_eq!(
                storage,
                Storage::Quantile {
                    max_bin: 64,
                    nthread: 2
                }
            );
            let mut models = Vec::new();
            for storage in [storage, Storage::Rows] {
                let prepared = prepare(&x, labels, None, storage).unwrap();
                let mut b = booster(&prepared, &params).unwrap();
                for round in 0..5 {
                    b.update(round, &prepared.train).unwrap();
                }
                models.push(b.save_json().unwrap());
            }
            assert!(
                models[0] == models[1],
                "the two matrices gave different models"
            );
        }
        assert_eq!(
            Storage::of(&[
                ("tree_method", "hist".into()),
                ("tree_method", "exact".into())
            ]),
            Storage::Rows
        );
    }

    /// The forest is grown in chunks with a cancel check before each, and refused before it
    /// outgrows memory.
    #[test]
    fn forests_check_for_cancel_between_chunks_and_refuse_what_cannot_fit() {
        let (x, y) = data(400);
        let calls = std::cell::Cell::new(0);
        let model = fit_forest(&x, Labels::Values(&y), &forest_params(), 50, 0, &|| {
            calls.set(calls.get() + 1)
        })
        .unwrap();
        assert_eq!(model.ensemble.trees.len(), 50);
        assert!(calls.get() >= 2, "{} checks", calls.get());
        let err = fit_forest(
            &x,
            Labels::Values(&y),
            &forest_params(),
            100_000_000,
            0,
            &|| {},
        )
        .unwrap_err();
        assert!(matches!(err, Error::TooLarge { .. }), "{err:?}");
    }

    fn train_with(
        task: Task,
        num_classes: usize,
        hp: serde_json::Value,
    ) -> Result<super::super::Estimator> {
        let (x, y) = data(600);
        // Labels in (0, 1) fit every regression objective (gamma and poisson need them
        // positive, reg:logistic in [0, 1]); classes from the same signal.
        let max = y.iter().copied().fold(f32::MIN, f32::max) + 1.0;
        let y: Vec<f32> = y.iter().map(|v| (v + 1.0) / (max + 1.0)).collect();
        let codes: Vec<u32> = y
            .iter()
            .map(|v| ((v * num_classes as f32) as u32).min(num_classes.max(1) as u32 - 1))
            .collect();
        let a = super::super::Algorithm::parse("xgboost")?;
        let mut hp = hp;
        hp["nthread"] = serde_json::json!(1);
        let params = a.resolve(task, &hp)?;
        let labels = match task {
            Task::Classification => Labels::Classes {
                codes: &codes,
                num_classes,
            },
            _ => Labels::Values(&y),
        };
        a.fit(task, &params, &x, labels, &|| {})
    }

    /// Every objective trains, and pgml's evaluator gives XGBoost's own answers for it (checked
    /// on the training rows at every train: a mismatch fails the train).
    #[test]
    fn every_objective_is_evaluated_as_xgboost_does() {
        for o in REGRESSION_OBJECTIVES {
            let e = train_with(
                Task::Regression,
                0,
                serde_json::json!({"objective": o, "n_estimators": 15}),
            )
            .unwrap_or_else(|e| panic!("{o}: {e}"));
            assert!(e.predict(&[0.5, 0.5, 0.5]).unwrap().is_finite(), "{o}");
        }
        for (o, classes) in [
            ("binary:logistic", 2),
            ("binary:logitraw", 2),
            ("binary:hinge", 2),
            ("multi:softprob", 3),
            ("multi:softmax", 3),
            ("multi:softprob", 2),
        ] {
            let e = train_with(
                Task::Classification,
                classes,
                serde_json::json!({"objective": o, "n_estimators": 15}),
            )
            .unwrap_or_else(|e| panic!("{o}: {e}"));
            let p = e.predict_proba(&[0.2, 0.9, 0.1]).unwrap();
            assert_eq!(p.len(), classes, "{o}");
            assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-5, "{o}: {p:?}");
        }
    }

    #[test]
    fn dart_trees_are_weighted_as_xgboost_weighs_them() {
        for task in [Task::Regression, Task::Classification] {
            train_with(
                task,
                3,
                serde_json::json!({"booster": "dart", "rate_drop": 0.3, "n_estimators": 20}),
            )
            .unwrap_or_else(|e| panic!("{task}: {e}"));
        }
    }

    #[test]
    fn early_stopping_keeps_the_best_round_on_a_validation_part() {
        let e = train_with(
            Task::Regression,
            0,
            serde_json::json!({"n_estimators": 2000, "learning_rate": 0.5, "eval_metric": ["mae", "rmse"],
                               "early_stopping_rounds": 5}),
        )
        .unwrap();
        let m = e.fit_metrics();
        let best = m["best_iteration"] as usize;
        assert!(best < 1990, "{m:?}");
        assert!(m["validation_rmse"] > 0.0, "{m:?}");
        let Fitted::XgboostTrees(t) = e.fitted() else {
            panic!("not XGBoost trees");
        };
        assert_eq!(t.ensemble.trees.len(), best + 1);
        // Maximised metrics stop too.
        let e = train_with(
            Task::Classification,
            2,
            serde_json::json!({"n_estimators": 2000, "eval_metric": "auc", "early_stopping_rounds": 3}),
        )
        .unwrap();
        assert!(e.fit_metrics()["validation_auc"] > 0.5);
    }

    #[test]
    fn importances_of_each_type_sum_to_one() {
        for t in ["gain", "weight", "cover", "total_gain", "total_cover"] {
            let e = train_with(
                Task::Regression,
                0,
                serde_json::json!({"importance_type": t, "n_estimators": 10}),
            )
            .unwrap();
            let imp = e.feature_importances().unwrap();
            assert_eq!(imp.len(), 3);
            assert!((imp.iter().sum::<f64>() - 1.0).abs() < 1e-9, "{t}: {imp:?}");
            assert!(imp[0] > 0.0, "{t}: {imp:?}");
        }
    }

    #[test]
    fn xgboost_options_that_do_not_fit_are_refused() {
        let refused = |task, classes, hp: serde_json::Value, needle: &str| {
            let e = train_with(task, classes, hp.clone()).unwrap_err();
            assert!(e.to_string().contains(needle), "{hp}: {e}");
        };
        refused(
            Task::Regression,
            0,
            serde_json::json!({"objective": "binary:logistic"}),
            "does not fit a regression",
        );
        refused(
            Task::Classification,
            3,
            serde_json::json!({"objective": "binary:logistic"}),
            "needs two classes",
        );
        refused(
            Task::Regression,
            0,
            serde_json::json!({"eval_metric": "rmse2"}),
            "unknown XGBoost eval_metric",
        );
        refused(
            Task::Regression,
            0,
            serde_json::json!({"booster": "gblinear"}),
            "not available in pgml",
        );
        refused(
            Task::Regression,
            0,
            serde_json::json!({"eta": 0.1, "learning_rate": 0.2}),
            "give only one",
        );
        refused(
            Task::Regression,
            0,
            serde_json::json!({"n_estimators": 10, "num_boost_round": 20}),
            "give only one",
        );
        refused(
            Task::Regression,
            0,
            serde_json::json!({"monotone_constraints": "(1); DROP"}),
            "must list feature numbers",
        );
        refused(
            Task::Regression,
            0,
            serde_json::json!({"objective": "rank:pairwise"}),
            "must be one of",
        );
        // Accepted: PostgresML's habits and XGBoost's other names.
        for hp in [
            serde_json::json!({"eval_metric": "rmse"}),
            serde_json::json!({"num_boost_round": 5, "seed": 3, "verbosity": 1}),
            serde_json::json!({"monotone_constraints": [1, 0, -1], "max_leaves": 8,
                               "grow_policy": "lossguide"}),
            serde_json::json!({"interaction_constraints": [[0, 1], [2]]}),
            serde_json::json!({"objective": "reg:linear", "base_score": 0.3}),
        ] {
            train_with(Task::Regression, 0, hp.clone()).unwrap_or_else(|e| panic!("{hp}: {e}"));
        }
    }

    #[test]
    fn evaluation_lines_are_read_as_xgboost_writes_them() {
        assert_eq!(
            last_metric("[3]\tvalidation-mae:0.25\tvalidation-rmse:0.5"),
            Some(("rmse".into(), 0.5))
        );
        assert_eq!(
            last_metric("[0]\tvalidation-error@0.7:0.125"),
            Some(("error@0.7".into(), 0.125))
        );
        assert!(maximized("auc") && maximized("ndcg@5") && !maximized("rmse"));
    }
}
