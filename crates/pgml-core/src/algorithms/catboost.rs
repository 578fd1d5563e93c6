//! `catboost`: pgml's own implementation of CatBoost's algorithm (not the CatBoost library, which
//! cannot be trained from Rust offline), with CatBoost's parameter names and defaults.
//!
//! What it does, as CatBoost 1.2 does on a CPU with its defaults (`boosting_type` Plain,
//! `grow_policy` SymmetricTree): features are quantized once (`catboost_borders`, GreedyLogSum
//! with `border_count` borders); then `iterations` oblivious trees of `depth` levels, each level
//! one (feature, border) split shared by every node of the level, chosen by the Cosine score
//! (or L2) of the gradients under a bootstrap (MVS with `subsample` for RMSE and Logloss,
//! Bayesian with `bagging_temperature` for MultiClass), with normal noise of
//! `random_strength` × the gradients' spread, shrinking as the model grows
//! (NormalWithModelSizeDecrease). Leaves are Newton (or gradient) steps with `l2_leaf_reg`,
//! `leaf_estimation_iterations` of them, times `learning_rate`, which CatBoost's rule chooses
//! from the rows and iterations when not given. One tree per iteration, also for MultiClass:
//! its leaves hold one value per class, the Newton step solving the full softmax Hessian.
//!
//! Categorical (text) columns, which the matrix marks, are split by equality (one-hot) or become
//! ordered target statistics (`catboost_ctr`). With an eval part of the training rows
//! (`eval_fraction`, `early_stopping_rounds`, `od_*`, `use_best_model`) the loss on it is watched
//! tree by tree. Combinations of categorical features (`max_ctr_complexity`, 4 from 200
//! iterations as in CatBoost) are built greedily per tree from what the tree already splits on
//! (`catboost_ctr::Combination`). A level's candidate splits are scored on up to `nthread`
//! scoped threads (capped by `pgml.training_threads`; `thread_count` may ask for fewer), the
//! noise drawn afterwards on the calling thread so the model does not depend on the number of
//! threads. Not implemented (refused): ordered boosting (`boosting_type` Ordered),
//! Depthwise/Lossguide trees; not done: the leaf step's backtracking. Prediction is the oblivious-tree lookup: `depth` comparisons give the
//! leaf's index.

use serde::{Deserialize, Serialize};

use super::boosting::{sigmoid, softmax, Output};
use super::catboost_borders::{self, NanMode};
use super::catboost_ctr::{self, CategoricalInput, Combination, Ctr, CtrTypes};
use super::params::{choice, float, int, INF, NTHREAD};
use super::{Fitted, Labels, Learner, Predictor};
use crate::hyperparams::{DefaultValue, Hyperparams, Kind, Param};
use crate::split::SplitMix64;
use crate::{Error, Matrix, Result, Task};

#[derive(Debug, Clone, Copy)]
pub struct CatBoost;

/// CatBoost's own limit on `depth` for symmetric trees: 2^16 leaves per tree.
pub const MAX_DEPTH: i64 = 16;
/// The most the fitted trees may take in memory; refused before training, as for the forests.
pub const MAX_MODEL_BYTES: usize = super::forest::MAX_FOREST_BYTES;

const fn boolean(name: &'static str, default: DefaultValue) -> Param {
    Param {
        name,
        kind: Kind::Bool,
        default,
    }
}

const ITERATIONS: Param = int("iterations", 1, 1_000_000, DefaultValue::Int(1000));

macro_rules! params {
    ($losses:expr) => {
        &[
            choice("loss_function", $losses, DefaultValue::Null),
            ITERATIONS,
            int("n_estimators", 1, 1_000_000, DefaultValue::Null),
            int("num_boost_round", 1, 1_000_000, DefaultValue::Null),
            int("num_trees", 1, 1_000_000, DefaultValue::Null),
            float("learning_rate", 0.0, INF, true, DefaultValue::Null),
            float("eta", 0.0, INF, true, DefaultValue::Null),
            int("depth", 1, MAX_DEPTH, DefaultValue::Int(6)),
            int("max_depth", 1, MAX_DEPTH, DefaultValue::Null),
            float("l2_leaf_reg", 0.0, INF, false, DefaultValue::Float(3.0)),
            float("reg_lambda", 0.0, INF, false, DefaultValue::Null),
            int("border_count", 1, 65_535, DefaultValue::Int(254)),
            int("max_bin", 1, 65_535, DefaultValue::Null),
            choice(
                "feature_border_type",
                &["GreedyLogSum"],
                DefaultValue::Str("GreedyLogSum"),
            ),
            float("random_strength", 0.0, INF, false, DefaultValue::Float(1.0)),
            choice(
                "bootstrap_type",
                &["Bayesian", "Bernoulli", "MVS", "No"],
                DefaultValue::Null,
            ),
            float("bagging_temperature", 0.0, INF, false, DefaultValue::Null),
            float("subsample", 0.0, 1.0, true, DefaultValue::Null),
            float("rsm", 0.0, 1.0, true, DefaultValue::Float(1.0)),
            int("random_seed", 0, i64::MAX, DefaultValue::Null),
            int("random_state", 0, i64::MAX, DefaultValue::Null),
            choice(
                "leaf_estimation_method",
                &["Newton", "Gradient"],
                DefaultValue::Null,
            ),
            int("leaf_estimation_iterations", 1, 100, DefaultValue::Null),
            choice(
                "score_function",
                &["Cosine", "L2"],
                DefaultValue::Str("Cosine"),
            ),
            boolean("boost_from_average", DefaultValue::Null),
            choice(
                "nan_mode",
                &["Min", "Max", "Forbidden"],
                DefaultValue::Str("Min"),
            ),
            choice(
                "grow_policy",
                &["SymmetricTree"],
                DefaultValue::Str("SymmetricTree"),
            ),
            choice(
                "boosting_type",
                &["Plain", "Ordered"],
                DefaultValue::Str("Plain"),
            ),
            int("one_hot_max_size", 0, 255, DefaultValue::Int(2)),
            int("max_ctr_complexity", 1, 16, DefaultValue::Null),
            Param {
                name: "simple_ctr",
                kind: Kind::Json,
                default: DefaultValue::Null,
            },
            Param {
                name: "combinations_ctr",
                kind: Kind::Json,
                default: DefaultValue::Null,
            },
            int("permutation_count", 1, 16, DefaultValue::Int(4)),
            float("eval_fraction", 0.0, 0.9, true, DefaultValue::Null),
            choice("od_type", &["IncToDec", "Iter"], DefaultValue::Null),
            int("od_wait", 1, 1_000_000, DefaultValue::Null),
            int("early_stopping_rounds", 1, 1_000_000, DefaultValue::Null),
            boolean("use_best_model", DefaultValue::Null),
            // Accepted for CatBoost's scripts; they change nothing in the model.
            Param {
                name: "verbose",
                kind: Kind::Json,
                default: DefaultValue::Null,
            },
            boolean("silent", DefaultValue::Null),
            choice(
                "logging_level",
                &["Silent", "Verbose", "Info", "Debug"],
                DefaultValue::Null,
            ),
            int("thread_count", -1, 1024, DefaultValue::Int(-1)),
            boolean("allow_writing_files", DefaultValue::Bool(true)),
            // pgml's thread count, which the extension caps by pgml.training_threads
            // (thread_count may only ask for fewer).
            NTHREAD,
        ]
    };
}

const REGRESSION: &[Param] = params!(&["RMSE"]);
const CLASSIFICATION: &[Param] = params!(&["Logloss", "MultiClass"]);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loss {
    Rmse,
    Logloss,
    MultiClass,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Bootstrap {
    No,
    Bayesian { temperature: f64 },
    Bernoulli { subsample: f64 },
    Mvs { subsample: f64 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScoreFunction {
    Cosine,
    L2,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// None: by the number of classes (Logloss for two, MultiClass above).
    pub loss: Option<Loss>,
    pub iterations: usize,
    /// None: CatBoost's automatic choice from the rows and iterations.
    pub learning_rate: Option<f64>,
    pub depth: usize,
    pub l2_leaf_reg: f64,
    pub border_count: usize,
    pub random_strength: f64,
    /// None: MVS (subsample 0.8) for RMSE and Logloss, Bayesian (temperature 1) for MultiClass.
    pub bootstrap: Option<Bootstrap>,
    pub rsm: f64,
    pub random_seed: u64,
    /// None: Newton.
    pub newton: bool,
    /// None: by loss (RMSE 1, Logloss 10, MultiClass 1).
    pub leaf_estimation_iterations: Option<usize>,
    pub score_function: ScoreFunction,
    /// None: true for RMSE, false otherwise.
    pub boost_from_average: Option<bool>,
    pub nan_mode: NanMode,
    /// Categorical inputs with at most this many categories are split by equality (one-hot);
    /// larger ones become CTR features.
    pub one_hot_max_size: usize,
    /// Random permutations of the ordered target statistics that choose the splits in turn.
    pub permutation_count: usize,
    /// The part of the training rows held out of the fit to watch the loss on (None: none).
    pub eval_fraction: Option<f64>,
    /// Stop after this many trees without a lower loss on the held-out part (None: never).
    pub od_wait: Option<usize>,
    /// Keep the trees up to the best iteration on the held-out part.
    pub use_best_model: bool,
    /// The most inputs a combination of categorical features joins (1: no combinations).
    pub max_ctr_complexity: usize,
    pub simple_ctr: CtrTypes,
    pub combinations_ctr: CtrTypes,
    /// Threads scoring a level's candidate splits.
    pub threads: usize,
}

/// CatBoost's `max_ctr_complexity` when not given: 4, but 1 below 200 iterations (what
/// CatBoost 1.2.10 reports with `get_all_params()`).
fn default_ctr_complexity(iterations: usize) -> usize {
    if iterations < 200 {
        1
    } else {
        4
    }
}

/// `simple_ctr` / `combinations_ctr`: a description or a list of them, CatBoost's format
/// `CtrType[:Key=Value]...`. pgml builds Borders (priors 0/1, 0.5/1, 1/1: any of them) and
/// Counter (prior 0/1) with CatBoost's default quantization; other types and settings are
/// refused with 0A000.
fn ctr_types(name: &str, value: Option<&serde_json::Value>) -> Result<CtrTypes> {
    let Some(value) = value else {
        return Ok(CtrTypes::DEFAULT);
    };
    let hint = "pgml's catboost builds Borders (Prior 0/1, 0.5/1, 1/1) and Counter (Prior 0/1), CtrBorderCount=15, CtrBorderType=Uniform, TargetBorderCount=1, TargetBorderType=MinEntropy; e.g. [\"Borders\", \"Counter\"]";
    let items: Vec<&serde_json::Value> = match value {
        serde_json::Value::Array(a) => a.iter().collect(),
        v => vec![v],
    };
    let mut types = CtrTypes {
        priors: [false; 3],
        counter: false,
    };
    for item in items {
        let Some(text) = item.as_str() else {
            return Err(Error::invalid_with_hint(
                format!(
                    "hyperparameter {name} must be a CTR description or a list of them, got {item}"
                ),
                hint,
            ));
        };
        let mut parts = text.split(':');
        let kind = parts.next().unwrap_or_default();
        let mut priors = [false; 3];
        for part in parts {
            let (key, v) = part.split_once('=').unwrap_or((part, ""));
            let fine = match key {
                "CtrBorderCount" => v == "15",
                "CtrBorderType" => v == "Uniform",
                "TargetBorderCount" => v == "1",
                "TargetBorderType" => v == "MinEntropy",
                "Prior" => {
                    let at = match (kind, v) {
                        ("Borders" | "Counter", "0/1" | "0") => Some(0),
                        ("Borders", "0.5/1" | "0.5") => Some(1),
                        ("Borders", "1/1" | "1") => Some(2),
                        _ => None,
                    };
                    match at {
                        Some(i) => {
                            priors[i] = true;
                            true
                        }
                        None => false,
                    }
                }
                _ => false,
            };
            if !fine {
                return Err(Error::not_supported(
                    format!(
                        "{name} setting {part} in {text:?} is not supported by pgml's catboost"
                    ),
                    hint,
                ));
            }
        }
        match kind {
            "Borders" => {
                let any = priors.iter().any(|&p| p);
                for (t, p) in types.priors.iter_mut().zip(priors) {
                    *t |= p || !any;
                }
            }
            "Counter" => types.counter = true,
            "Buckets" | "BinarizedTargetMeanValue" | "FloatTargetMeanValue" | "FeatureFreq" => {
                return Err(Error::not_supported(
                    format!("{name} type {kind} is not supported by pgml's catboost"),
                    hint,
                ))
            }
            _ => {
                return Err(Error::invalid_with_hint(
                    format!("{name} type {kind:?} is not a CatBoost CTR type"),
                    hint,
                ))
            }
        }
    }
    if types
        == (CtrTypes {
            priors: [false; 3],
            counter: false,
        })
    {
        return Err(Error::invalid_with_hint(
            format!("hyperparameter {name} is empty"),
            hint,
        ));
    }
    Ok(types)
}

fn same(names: &[&str], a: &str, b: &str) -> Error {
    Error::invalid_with_hint(
        format!("hyperparameters {a} and {b} are the same; give only one"),
        format!(
            "{} are names of one hyperparameter of catboost",
            names.join(", ")
        ),
    )
}

/// A parameter with a default (`names[0]`) and aliases (default none): the one given; two given
/// (or the main one set to another value than an alias) is an error.
fn aliased<T: Copy + PartialEq>(
    names: &[&str],
    default: T,
    read: impl Fn(&str) -> Result<Option<T>>,
) -> Result<T> {
    let main = read(names[0])?;
    let mut found: Option<(&str, T)> = None;
    for &name in &names[1..] {
        if let Some(v) = read(name)? {
            if let Some((first, _)) = found {
                return Err(same(names, first, name));
            }
            found = Some((name, v));
        }
    }
    match (main, found) {
        (Some(m), Some((name, v))) if m != default && m != v => Err(same(names, names[0], name)),
        (_, Some((_, v))) => Ok(v),
        (Some(m), None) => Ok(m),
        (None, None) => Ok(default),
    }
}

/// The overfitting detector's patience: `early_stopping_rounds`, or `od_wait` with `od_type`
/// Iter (its default when `od_wait` is given); CatBoost's IncToDec needs `od_pval`, which pgml
/// does not implement, so it is accepted only as CatBoost's default without a threshold: no
/// detector.
fn early_stopping(params: &Hyperparams) -> Result<Option<usize>> {
    let rounds = params.opt_int("early_stopping_rounds")?;
    let wait = params.opt_int("od_wait")?;
    let hint = "early_stopping_rounds (or od_type Iter with od_wait) stops after that many trees without a lower loss on the eval_fraction part";
    let patience = match (params.opt_str("od_type")?, rounds, wait) {
        (_, Some(r), Some(w)) if r != w => {
            return Err(Error::invalid_with_hint(
                format!("hyperparameters early_stopping_rounds ({r}) and od_wait ({w}) disagree"),
                hint,
            ))
        }
        (Some("IncToDec"), Some(_), _) | (Some("IncToDec"), _, Some(_)) => {
            return Err(Error::invalid_with_hint(
                "od_type IncToDec needs od_pval, which pgml's catboost does not implement",
                hint,
            ))
        }
        (Some("Iter"), None, None) => Some(20),
        (_, Some(r), _) | (_, None, Some(r)) => Some(r),
        _ => None,
    };
    Ok(patience.map(|v| usize::try_from(v).unwrap_or(20)))
}

impl Learner for CatBoost {
    type Options = Options;

    fn name(&self) -> &'static str {
        "catboost"
    }

    fn tasks(&self) -> &'static [Task] {
        &[Task::Regression, Task::Classification]
    }

    fn estimator_name(&self, task: Task) -> &'static str {
        match task {
            Task::Classification => "CatBoostClassifier",
            _ => "CatBoostRegressor",
        }
    }

    fn params(&self, task: Task) -> &'static [Param] {
        match task {
            Task::Classification => CLASSIFICATION,
            _ => REGRESSION,
        }
    }

    fn options(&self, task: Task, params: &Hyperparams) -> Result<Options> {
        let loss = match params.opt_str("loss_function")? {
            Some("RMSE") => Some(Loss::Rmse),
            Some("Logloss") => Some(Loss::Logloss),
            Some("MultiClass") => Some(Loss::MultiClass),
            _ if task == Task::Regression => Some(Loss::Rmse),
            _ => None,
        };
        let iterations = aliased(
            &["iterations", "n_estimators", "num_boost_round", "num_trees"],
            1000,
            |n| params.opt_int(n),
        )?;
        let learning_rate = match (params.opt_float("learning_rate")?, params.opt_float("eta")?) {
            (Some(_), Some(_)) => {
                return Err(same(&["learning_rate", "eta"], "learning_rate", "eta"))
            }
            (a, b) => a.or(b),
        };
        let depth = aliased(&["depth", "max_depth"], 6, |n| params.opt_int(n))?;
        let l2_leaf_reg = aliased(&["l2_leaf_reg", "reg_lambda"], 3.0, |n| params.opt_float(n))?;
        let border_count = aliased(&["border_count", "max_bin"], 254, |n| params.opt_int(n))?;
        let random_seed = aliased(&["random_seed", "random_state"], 0, |n| params.opt_int(n))?;
        let temperature = params.opt_float("bagging_temperature")?;
        let subsample = params.opt_float("subsample")?;
        let bootstrap = match (params.opt_str("bootstrap_type")?, temperature, subsample) {
            (Some("Bayesian") | None, Some(_), Some(_)) => {
                return Err(Error::invalid_with_hint(
                    "hyperparameters bagging_temperature and subsample exclude each other",
                    "bagging_temperature is for bootstrap_type Bayesian, subsample for MVS and Bernoulli",
                ))
            }
            (Some("Bayesian") | None, Some(t), None) => Some(Bootstrap::Bayesian { temperature: t }),
            (Some("Bayesian"), None, Some(_)) | (Some("MVS" | "Bernoulli" | "No"), Some(_), _) => {
                return Err(Error::invalid_with_hint(
                    format!(
                        "hyperparameter {} does not apply to bootstrap_type {}",
                        if temperature.is_some() { "bagging_temperature" } else { "subsample" },
                        params.str("bootstrap_type")?
                    ),
                    "bagging_temperature is for bootstrap_type Bayesian, subsample for MVS and Bernoulli",
                ))
            }
            (Some("Bayesian"), None, None) => Some(Bootstrap::Bayesian { temperature: 1.0 }),
            (Some("MVS"), None, s) => Some(Bootstrap::Mvs { subsample: s.unwrap_or(0.8) }),
            (None, None, Some(s)) => Some(Bootstrap::Mvs { subsample: s }),
            (Some("Bernoulli"), None, s) => Some(Bootstrap::Bernoulli { subsample: s.unwrap_or(0.66) }),
            (Some("No"), None, Some(_)) => {
                return Err(Error::invalid_with_hint(
                    "hyperparameter subsample does not apply to bootstrap_type No",
                    "bagging_temperature is for bootstrap_type Bayesian, subsample for MVS and Bernoulli",
                ))
            }
            (Some("No"), None, None) => Some(Bootstrap::No),
            _ => None,
        };
        if params.opt_bool("boost_from_average")? == Some(true) && loss == Some(Loss::MultiClass) {
            return Err(Error::invalid_with_hint(
                "hyperparameter boost_from_average is not available for loss_function MultiClass",
                "leave boost_from_average out, or use it with RMSE or Logloss",
            ));
        }
        if params.str("boosting_type")? == "Ordered" {
            return Err(Error::not_supported(
                "boosting_type Ordered is not implemented by pgml's catboost",
                "use boosting_type Plain, CatBoost 1.2's default on a CPU",
            ));
        }
        let stopping = early_stopping(params)?;
        let use_best_model = params.opt_bool("use_best_model")?;
        let eval_fraction = params.opt_float("eval_fraction")?;
        // A held-out part exists when it is asked for, or needed: the detector and
        // use_best_model watch the loss on it (10% of the training rows unless given).
        let eval_fraction =
            if eval_fraction.is_some() || stopping.is_some() || use_best_model == Some(true) {
                Some(eval_fraction.unwrap_or(0.1))
            } else {
                None
            };
        let iterations_used = usize::try_from(iterations).unwrap_or(1);
        let max_ctr_complexity = match params.opt_int("max_ctr_complexity")? {
            Some(v) => usize::try_from(v).unwrap_or(1),
            None => default_ctr_complexity(iterations_used),
        };
        // thread_count (-1: all) may only lower nthread, which the extension has capped.
        let nthread = params.usize("nthread")?.max(1);
        let threads = match params.int("thread_count")? {
            c if c > 0 => nthread.min(usize::try_from(c).unwrap_or(1)),
            0 => {
                return Err(Error::invalid_with_hint(
                    "hyperparameter thread_count must be -1 (all) or at least 1, got 0",
                    "leave thread_count out to use pgml.training_threads",
                ))
            }
            _ => nthread,
        };
        Ok(Options {
            max_ctr_complexity,
            simple_ctr: ctr_types("simple_ctr", params.json("simple_ctr")?)?,
            combinations_ctr: ctr_types("combinations_ctr", params.json("combinations_ctr")?)?,
            threads,
            one_hot_max_size: usize::try_from(params.int("one_hot_max_size")?).unwrap_or(2),
            permutation_count: usize::try_from(params.int("permutation_count")?).unwrap_or(4),
            eval_fraction,
            od_wait: stopping,
            use_best_model: use_best_model.unwrap_or(eval_fraction.is_some()),
            loss,
            iterations: usize::try_from(iterations).unwrap_or(1),
            learning_rate,
            depth: usize::try_from(depth).unwrap_or(6),
            l2_leaf_reg,
            border_count: usize::try_from(border_count).unwrap_or(254),
            random_strength: params.float("random_strength")?,
            bootstrap,
            rsm: params.float("rsm")?,
            random_seed: random_seed as u64,
            newton: params.opt_str("leaf_estimation_method")? != Some("Gradient"),
            leaf_estimation_iterations: params
                .opt_int("leaf_estimation_iterations")?
                .map(|v| usize::try_from(v).unwrap_or(1)),
            score_function: if params.str("score_function")? == "L2" {
                ScoreFunction::L2
            } else {
                ScoreFunction::Cosine
            },
            boost_from_average: params.opt_bool("boost_from_average")?,
            nan_mode: NanMode::parse(params.str("nan_mode")?).unwrap_or(NanMode::Min),
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
        let target = match labels {
            Labels::Values(y) => Target::Values(y),
            Labels::Classes { codes, num_classes } => {
                if num_classes < 2 {
                    return Err(Error::bad_data(
                        "catboost needs at least two classes",
                        "check the labels",
                    ));
                }
                Target::Classes {
                    codes,
                    k: num_classes,
                }
            }
            Labels::None => return Err(super::wrong_labels(self.name(), task)),
        };
        let (n, p) = (x.rows(), x.cols());
        if n == 0 || p == 0 {
            return Err(Error::bad_data(
                "a tree needs at least one row and one feature",
                "check the relation and the features",
            ));
        }
        if n > u32::MAX as usize {
            return Err(Error::bad_data(
                format!("{n} training rows are more than catboost handles (4294967295)"),
                "train on a sample",
            ));
        }
        let loss = match (target, o.loss) {
            (Target::Values(_), _) => Loss::Rmse,
            (Target::Classes { k, .. }, Some(Loss::Logloss)) if k > 2 => {
                return Err(Error::bad_data(
                    format!("loss_function Logloss needs two classes, the labels have {k}"),
                    "use loss_function MultiClass, or leave loss_function out",
                ))
            }
            (Target::Classes { .. }, Some(Loss::Logloss)) => Loss::Logloss,
            (Target::Classes { .. }, Some(Loss::MultiClass)) => Loss::MultiClass,
            (Target::Classes { k, .. }, _) => {
                if k == 2 {
                    Loss::Logloss
                } else {
                    Loss::MultiClass
                }
            }
        };
        if o.nan_mode == NanMode::Forbidden && (0..p).any(|j| x.col(j).iter().any(|v| v.is_nan())) {
            return Err(Error::bad_data(
                "a feature has missing values and nan_mode is Forbidden",
                "use nan_mode Min or Max, or impute the missing values",
            ));
        }
        let held_out = match o.eval_fraction {
            Some(fraction) => Some(hold_out(n, fraction, o.random_seed)?),
            None => None,
        };
        let model = match held_out {
            None => boost(x, target, None, loss, o, check_interrupts)?,
            Some((fit_rows, eval_rows)) => {
                let pick = |rows: &[usize]| -> (Vec<f32>, Vec<u32>) {
                    match target {
                        Target::Values(y) => (rows.iter().map(|&i| y[i]).collect(), Vec::new()),
                        Target::Classes { codes, .. } => {
                            (Vec::new(), rows.iter().map(|&i| codes[i]).collect())
                        }
                    }
                };
                let (fit_values, fit_codes) = pick(&fit_rows);
                let (eval_values, eval_codes) = pick(&eval_rows);
                let of = |values, codes| match target {
                    Target::Values(_) => Target::Values(values),
                    Target::Classes { k, .. } => Target::Classes { codes, k },
                };
                let eval_x = x.select_rows(&eval_rows);
                boost(
                    &x.select_rows(&fit_rows),
                    of(&fit_values, &fit_codes),
                    Some((&eval_x, of(&eval_values, &eval_codes))),
                    loss,
                    o,
                    check_interrupts,
                )?
            }
        };
        Ok(Fitted::CatBoost(model))
    }
}

#[derive(Debug, Clone, Copy)]
enum Target<'a> {
    Values(&'a [f32]),
    Classes { codes: &'a [u32], k: usize },
}

/// CatBoost's automatic learning rate (when none is given) for `loss` with `rows` training rows
/// and `iterations` trees: exp(size · ln rows + intercept) · (iterations / 1000)^slope, at most
/// 0.5, rounded to 6 decimals. The coefficients reproduce CatBoost 1.2.10's choice (read with
/// `get_all_params()` on 72 fits: 50 to 20 000 rows, 300 to 2000 iterations) within its
/// rounding; see benches/catboost_accuracy.py.
pub fn auto_learning_rate(loss: Loss, rows: usize, iterations: usize) -> f64 {
    let (slope, size, intercept) = match loss {
        Loss::Rmse => (-0.813, 0.158, -4.287),
        Loss::Logloss => (-0.917, 0.427, -7.525),
        Loss::MultiClass => (-0.845, 0.051, -2.889),
    };
    let lr = (size * (rows.max(1) as f64).ln() + intercept).exp()
        * (iterations.max(1) as f64 / 1000.0).powf(slope);
    (lr.min(0.5) * 1e6).round() / 1e6
}

/// Mixed into `random_seed` for the rows held out as the eval part, and for the permutation of
/// the ordered target statistics, so neither repeats the trees' draws.
const EVAL_SALT: u64 = 0x0e7a_1f4a_c710_0001;
const CTR_SALT: u64 = 0x0c7b_9e12_5a11_0002;

/// The rows of the eval part (a seeded `fraction` of the training rows, at least one) and the
/// rest, which the trees are fitted on.
fn hold_out(n: usize, fraction: f64, seed: u64) -> Result<(Vec<usize>, Vec<usize>)> {
    if n < 2 {
        return Err(Error::bad_data(
            format!("eval_fraction needs at least two training rows, got {n}"),
            "leave eval_fraction, od_wait, early_stopping_rounds and use_best_model out",
        ));
    }
    let held = ((n as f64 * fraction).round() as usize).clamp(1, n - 1);
    let mut rows: Vec<usize> = (0..n).collect();
    SplitMix64(seed ^ EVAL_SALT).shuffle(&mut rows);
    let mut eval = rows[..held].to_vec();
    let mut fit = rows[held..].to_vec();
    eval.sort_unstable();
    fit.sort_unstable();
    Ok((fit, eval))
}

/// One column the trees split on: a number's bins (`bin > border`), a CTR's bins (the same), or
/// a one-hot categorical input (`bin == value`).
struct Column {
    /// The split feature stored in the trees (see [`CatBoostModel`]).
    feature: u32,
    equality: bool,
    /// Threshold columns: the stored border of each border index. Equality columns: the
    /// stored category code of each value index.
    borders: Vec<f32>,
}

/// A combination considered while a tree is built (CatBoost's projection): categorical inputs
/// (indices into `Quantized::categorical`), number columns cut at a border index and one-hot
/// columns at a value index, each list ascending so that equal combinations compare equal.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Projection {
    cats: Vec<u32>,
    thresholds: Vec<(u32, u32)>,
    equals: Vec<(u32, u32)>,
}

impl Projection {
    fn len(&self) -> usize {
        self.cats.len() + self.thresholds.len() + self.equals.len()
    }

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn with_cat(&self, c: u32) -> Option<Projection> {
        let at = self.cats.binary_search(&c).err()?;
        let mut p = self.clone();
        p.cats.insert(at, c);
        Some(p)
    }
}

/// The quantized training data: each column's borders and each row's bin (column-major).
struct Quantized {
    columns: Vec<Column>,
    bins: Vec<u16>,
    /// Per column, the rows in ascending bin order (column-major, like `bins`).
    order: Vec<u32>,
    n: usize,
    categorical: Vec<CategoricalInput>,
    ctrs: Vec<Ctr>,
    /// Columns before the CTRs (numbers and one-hot inputs), the same in every fold.
    base: usize,
    /// CTR bins per permutation: fold 0 (the averaging fold) sets the leaf values, folds 1.. (the
    /// learn folds, `permutation_count` of them) choose the trees' splits in turn.
    folds: usize,
    /// Per fold, the random permutation of the rows that its ordered statistics follow (one per
    /// fold for every CTR, simple or combined, as in CatBoost).
    perms: Vec<Vec<u32>>,
    /// Per categorical input, each row's category code (u32::MAX: missing); empty for one-hot
    /// inputs, which combinations join as equality splits.
    codes: Vec<Vec<u32>>,
    /// The binarized target of the Borders CTRs, and its number of borders.
    levels: Vec<u16>,
    target_borders: usize,
}

impl Quantized {
    fn new(x: &Matrix, target: Target<'_>, loss: Loss, o: &Options) -> Quantized {
        let n = x.rows();
        let p = x.cols();
        let (levels, target_borders) = match target {
            Target::Values(y) => catboost_ctr::target_levels(Some(y), None, 0),
            Target::Classes { codes, k } if loss == Loss::MultiClass => {
                catboost_ctr::target_levels(None, Some(codes), k)
            }
            Target::Classes { codes, .. } => catboost_ctr::target_levels(None, Some(codes), 2),
        };
        let mut rng = SplitMix64(o.random_seed ^ CTR_SALT);
        let folds = o.permutation_count + 1;
        let perms: Vec<Vec<u32>> = (0..folds)
            .map(|_| {
                let mut order: Vec<u32> = (0..n as u32).collect();
                rng.shuffle(&mut order);
                order
            })
            .collect();
        let mut columns = Vec::with_capacity(p);
        let mut bins: Vec<u16> = Vec::with_capacity(n * p);
        let mut categorical = Vec::new();
        let mut codes = Vec::new();
        let mut ctrs = Vec::new();
        let mut ctr_columns: Vec<(Ctr, Vec<Vec<u16>>)> = Vec::new();
        for j in 0..p {
            let col = x.col(j);
            let Some(k) = x.categorical(j) else {
                let b = catboost_borders::borders(col, o.border_count, o.nan_mode);
                bins.extend(
                    col.iter()
                        .map(|&v| catboost_borders::bin(&b, o.nan_mode.replace(v)) as u16),
                );
                columns.push(Column {
                    feature: j as u32,
                    equality: false,
                    borders: b,
                });
                continue;
            };
            let mut present: Vec<usize> = col
                .iter()
                .filter_map(|&v| catboost_ctr::code(v, k))
                .collect();
            present.sort_unstable();
            present.dedup();
            let one_hot = present.len() <= o.one_hot_max_size;
            let table = catboost_ctr::table(j, k, one_hot, col, &levels, target_borders);
            let index = categorical.len() as u32;
            if one_hot {
                // Value index v is the v-th code present; the rest (none in training) get one past.
                bins.extend(col.iter().map(|&v| {
                    catboost_ctr::code(v, k)
                        .and_then(|c| present.binary_search(&c).ok())
                        .unwrap_or(present.len()) as u16
                }));
                columns.push(Column {
                    feature: j as u32,
                    equality: true,
                    borders: present.iter().map(|&c| c as f32).collect(),
                });
                codes.push(Vec::new());
            } else {
                let own = catboost_ctr::ctrs_of_types(index, target_borders, o.simple_ctr);
                let mut per_fold: Vec<Vec<Vec<u16>>> = vec![Vec::with_capacity(folds); own.len()];
                for perm in &perms {
                    let ordered = catboost_ctr::ordered_bins(&table, &own, col, &levels, perm);
                    for (c, b) in per_fold.iter_mut().zip(ordered) {
                        c.push(b);
                    }
                }
                ctr_columns.extend(own.into_iter().zip(per_fold));
                codes.push(
                    col.iter()
                        .map(|&v| catboost_ctr::code(v, k).map_or(u32::MAX, |c| c as u32))
                        .collect(),
                );
            }
            categorical.push(table);
        }
        // CTR columns after the inputs: their stored feature is num_features + their index;
        // their bins fold by fold.
        let base = columns.len();
        for fold in 0..folds {
            for (_, b) in &ctr_columns {
                bins.extend_from_slice(&b[fold]);
            }
        }
        for (c, _) in ctr_columns {
            columns.push(Column {
                feature: (p + ctrs.len()) as u32,
                equality: false,
                borders: (0..catboost_ctr::CTR_BINS - 1).map(|b| b as f32).collect(),
            });
            ctrs.push(c);
        }
        let mut order = Vec::with_capacity(bins.len());
        for j in 0..bins.len() / n.max(1) {
            let col = &bins[j * n..(j + 1) * n];
            let mut rows: Vec<u32> = (0..n as u32).collect();
            rows.sort_by_key(|&i| col[i as usize]);
            order.extend(rows);
        }
        Quantized {
            columns,
            bins,
            order,
            n,
            categorical,
            ctrs,
            base,
            folds,
            perms,
            codes,
            levels,
            target_borders,
        }
    }

    /// Where column `j`'s bins (and row order) sit for `fold`.
    fn at(&self, j: usize, fold: usize) -> usize {
        let at = if j < self.base {
            j
        } else {
            self.base + fold * (self.columns.len() - self.base) + (j - self.base)
        };
        at * self.n
    }

    fn col(&self, j: usize, fold: usize) -> &[u16] {
        let at = self.at(j, fold);
        &self.bins[at..at + self.n]
    }

    fn order(&self, j: usize, fold: usize) -> &[u32] {
        let at = self.at(j, fold);
        &self.order[at..at + self.n]
    }

    /// Whether a row in `bin` of column `j` goes right of split index `border`.
    fn right(&self, j: usize, bin: u16, border: usize) -> bool {
        if self.columns[j].equality {
            usize::from(bin) == border
        } else {
            usize::from(bin) > border
        }
    }

    /// The projection a CTR column stands for (its categorical input alone).
    fn projection_of(&self, j: usize) -> Option<Projection> {
        let c = self.ctrs.get(j.checked_sub(self.base)?)?;
        Some(Projection {
            cats: vec![c.categorical],
            ..Projection::default()
        })
    }

    /// Each training row's key of `proj` (the same as [`CatBoostModel::combination_key`] gives
    /// for the row's raw values).
    fn keys(&self, proj: &Projection) -> Vec<Option<u64>> {
        let n = self.n;
        (0..n)
            .map(|i| {
                catboost_ctr::key(
                    proj.cats.iter().map(|&c| {
                        let v = self.codes[c as usize][i];
                        (v != u32::MAX).then_some(v as usize)
                    }),
                    proj.thresholds
                        .iter()
                        .map(|&(j, b)| usize::from(self.bins[j as usize * n + i]) > b as usize)
                        .chain(proj.equals.iter().map(|&(j, v)| {
                            usize::from(self.bins[j as usize * n + i]) == v as usize
                        })),
                )
            })
            .collect()
    }

    /// What a model keeps of `proj`: its parts as stored features, and its statistics.
    fn combination(&self, proj: &Projection, keys: &catboost_ctr::DenseKeys) -> Combination {
        let (k, counts, above) = keys.table();
        let part = |&(j, b): &(u32, u32)| {
            let c = &self.columns[j as usize];
            (c.feature, c.borders[b as usize])
        };
        Combination {
            categorical: proj.cats.clone(),
            thresholds: proj.thresholds.iter().map(part).collect(),
            equals: proj.equals.iter().map(part).collect(),
            keys: k,
            counts,
            above,
            target_borders: self.target_borders as u32,
            max_count: keys.max_count,
        }
    }
}

/// The rows in ascending bin order (a counting sort: CTR bins are few).
fn bin_order(col: &[u16], bins: usize) -> Vec<u32> {
    let mut start = vec![0usize; bins + 1];
    for &b in col {
        start[usize::from(b) + 1] += 1;
    }
    for b in 0..bins {
        start[b + 1] += start[b];
    }
    let mut order = vec![0u32; col.len()];
    for (i, &b) in col.iter().enumerate() {
        order[start[usize::from(b)]] = i as u32;
        start[usize::from(b)] += 1;
    }
    order
}

/// The CTR columns of one combination on the tree's learn fold, with what the averaging fold
/// and the model need later.
struct TreeCtrs {
    proj: Projection,
    keys: catboost_ctr::DenseKeys,
    ctrs: Vec<Ctr>,
    bins: Vec<Vec<u16>>,
    order: Vec<Vec<u32>>,
}

impl TreeCtrs {
    fn new(q: &Quantized, proj: Projection, types: CtrTypes, fold: usize) -> TreeCtrs {
        let keys = catboost_ctr::DenseKeys::new(&q.keys(&proj), &q.levels, q.target_borders);
        let ctrs = catboost_ctr::ctrs_of_types(0, q.target_borders, types);
        let bins = keys.ordered_bins(&ctrs, &q.levels, &q.perms[fold]);
        let order = bins
            .iter()
            .map(|b| bin_order(b, catboost_ctr::CTR_BINS))
            .collect();
        TreeCtrs {
            proj,
            keys,
            ctrs,
            bins,
            order,
        }
    }
}

/// The loss's first derivatives (CatBoost's sign: the direction that lowers the loss) of every
/// row at `approx` (row-major, `dims` per row).
fn derivatives(loss: Loss, target: Target<'_>, approx: &[f64], dims: usize, der: &mut [f64]) {
    match (loss, target) {
        (_, Target::Values(y)) => {
            for (i, d) in der.iter_mut().enumerate() {
                *d = f64::from(y[i]) - approx[i];
            }
        }
        (Loss::MultiClass, Target::Classes { codes, .. }) => {
            let mut p = vec![0.0; dims];
            for (i, &c) in codes.iter().enumerate() {
                p.copy_from_slice(&approx[i * dims..(i + 1) * dims]);
                softmax(&mut p);
                for (k, &pk) in p.iter().enumerate() {
                    der[i * dims + k] = f64::from(u8::from(c as usize == k)) - pk;
                }
            }
        }
        (_, Target::Classes { codes, .. }) => {
            for (i, &c) in codes.iter().enumerate() {
                der[i] = f64::from(u8::from(c == 1)) - sigmoid(approx[i]);
            }
        }
    }
}

/// The bootstrap weights of one tree (0 leaves a row out of it).
fn bootstrap_weights(
    bootstrap: Bootstrap,
    der: &[f64],
    dims: usize,
    rng: &mut SplitMix64,
    w: &mut [f64],
) {
    match bootstrap {
        Bootstrap::No => w.iter_mut().for_each(|v| *v = 1.0),
        Bootstrap::Bayesian { temperature } => {
            for v in w.iter_mut() {
                // u in (0, 1]: -ln u is an exponential variable.
                let u = 1.0 - rng.unit();
                *v = if temperature == 0.0 {
                    1.0
                } else {
                    (-u.ln()).powf(temperature)
                };
            }
        }
        Bootstrap::Bernoulli { subsample } => {
            for v in w.iter_mut() {
                *v = f64::from(u8::from(rng.unit() < subsample));
            }
        }
        Bootstrap::Mvs { subsample } => mvs(der, dims, subsample, rng, w),
    }
}

/// Minimal variance sampling: row i is kept with probability min(1, s_i / μ), where s_i is
/// sqrt(|gradient|² + λ) with λ the squared mean gradient norm, and μ is set so that
/// `subsample` of the rows are kept on average; a kept row weighs 1 / its probability.
fn mvs(der: &[f64], dims: usize, subsample: f64, rng: &mut SplitMix64, w: &mut [f64]) {
    let n = w.len();
    let norms: Vec<f64> = (0..n)
        .map(|i| {
            der[i * dims..(i + 1) * dims]
                .iter()
                .map(|d| d * d)
                .sum::<f64>()
                .sqrt()
        })
        .collect();
    let mean = norms.iter().sum::<f64>() / n as f64;
    let lambda = mean * mean;
    let scores: Vec<f64> = norms.iter().map(|g| (g * g + lambda).sqrt()).collect();
    let mut sorted = scores.clone();
    sorted.sort_unstable_by(|a, b| b.total_cmp(a));
    let expected = subsample * n as f64;
    // The largest k scores are kept surely; μ spreads the rest over expected − k rows.
    let mut rest: f64 = sorted.iter().sum();
    let mut mu = f64::INFINITY;
    for (k, &s) in sorted.iter().enumerate() {
        let left = expected - k as f64;
        if left <= 0.0 {
            break;
        }
        let candidate = rest / left;
        if s <= candidate {
            mu = candidate;
            break;
        }
        rest -= s;
    }
    for (v, &s) in w.iter_mut().zip(&scores) {
        let p = if mu.is_finite() && mu > 0.0 {
            (s / mu).min(1.0)
        } else {
            1.0
        };
        *v = if p >= 1.0 {
            1.0
        } else if p > 0.0 && rng.unit() < p {
            1.0 / p
        } else {
            0.0
        };
    }
}

fn normal(rng: &mut SplitMix64) -> f64 {
    let u = 1.0 - rng.unit();
    let v = rng.unit();
    (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
}

/// Solves `a · x = b` for a symmetric positive definite `a` (m × m, row-major) by Cholesky; None
/// when it is not positive definite.
fn solve_spd(a: &mut [f64], b: &mut [f64], m: usize) -> Option<()> {
    for j in 0..m {
        let mut d = a[j * m + j];
        for k in 0..j {
            d -= a[j * m + k] * a[j * m + k];
        }
        if d <= 0.0 || !d.is_finite() {
            return None;
        }
        let d = d.sqrt();
        a[j * m + j] = d;
        for i in j + 1..m {
            let mut s = a[i * m + j];
            for k in 0..j {
                s -= a[i * m + k] * a[j * m + k];
            }
            a[i * m + j] = s / d;
        }
    }
    for i in 0..m {
        let mut s = b[i];
        for k in 0..i {
            s -= a[i * m + k] * b[k];
        }
        b[i] = s / a[i * m + i];
    }
    for i in (0..m).rev() {
        let mut s = b[i];
        for k in i + 1..m {
            s -= a[k * m + i] * b[k];
        }
        b[i] = s / a[i * m + i];
    }
    Some(())
}

/// One side of a leaf's share of the split score: Σ avg · sum and Σ avg² · weight over the
/// outputs, avg = sum / (weight + l2) (CatBoost's Cosine numerator and denominator; L2 uses the
/// numerator alone). `stats` is (weight, weighted derivative sums...).
#[inline]
fn side_terms(stats: &[f64], l2: f64) -> (f64, f64) {
    let w = stats[0];
    if w <= 1e-12 {
        return (0.0, 0.0);
    }
    let (mut num, mut den) = (0.0, 0.0);
    for &sum in &stats[1..] {
        let avg = sum / (w + l2);
        num += avg * sum;
        den += avg * avg * w;
    }
    (num, den)
}

/// What a level's split is on: a column of [`Quantized`], or a CTR of a combination built for
/// this tree (index into the tree's [`TreeCtrs`], then into its CTRs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SplitOn {
    Column(usize),
    Combined(usize, usize),
}

struct Split {
    on: SplitOn,
    border: usize,
}

/// What every candidate of one level is scored against: the leaves' sums and shares of the
/// score, and each sampled row's leaf and statistics.
struct Level<'a> {
    leaves: usize,
    stride: usize,
    l2: f64,
    n: usize,
    totals: &'a [f64],
    base_share: &'a [f64],
    base_sums: (f64, f64),
    leaf: &'a [u32],
    position: &'a [u32],
    active: &'a [u32],
    stats: &'a [f64],
    score_function: ScoreFunction,
}

/// One scoring thread's buffers.
#[derive(Default)]
struct Buffers {
    prefix: Vec<f64>,
    share: Vec<f64>,
    dirty_mark: Vec<bool>,
    dirty: Vec<usize>,
    hist: Vec<f64>,
    right: Vec<f64>,
    num: Vec<f64>,
    den: Vec<f64>,
}

/// One candidate column to score: its bins, its rows in bin order, its number of borders, and
/// whether it splits by equality.
struct Candidate<'a> {
    col: &'a [u16],
    rows: &'a [u32],
    borders: usize,
    equality: bool,
}

/// The score (before noise) of every border of one candidate.
fn score_candidate(level: &Level<'_>, buf: &mut Buffers, c: &Candidate<'_>) -> Vec<f64> {
    let (leaves, stride, l2) = (level.leaves, level.stride, level.l2);
    let borders = c.borders;
    buf.prefix.resize(leaves * stride, 0.0);
    buf.share.resize(2 * leaves, 0.0);
    buf.dirty_mark.resize(leaves, false);
    buf.right.resize(stride, 0.0);
    buf.num.clear();
    buf.num.resize(borders, 0.0);
    buf.den.clear();
    buf.den.resize(borders, 0.0);
    let Buffers {
        prefix,
        share,
        dirty_mark,
        dirty,
        hist,
        right,
        num,
        den,
    } = buf;
    let (col, leaf, stats) = (c.col, level.leaf, level.stats);
    if c.equality {
        // One-hot: value v's rows of each leaf go right, the rest left.
        hist.clear();
        hist.resize(borders * leaves * stride, 0.0);
        for (&i, row) in level.active.iter().zip(stats.chunks_exact(stride)) {
            let v = usize::from(col[i as usize]);
            if v < borders {
                let at = (v * leaves + leaf[i as usize] as usize) * stride;
                for (h, s) in hist[at..at + stride].iter_mut().zip(row) {
                    *h += s;
                }
            }
        }
        for v in 0..borders {
            let (mut sn, mut sd) = (0.0, 0.0);
            for l in 0..leaves {
                let at = (v * leaves + l) * stride;
                let inside = &hist[at..at + stride];
                let total = &level.totals[l * stride..(l + 1) * stride];
                for (r, (t, s)) in right.iter_mut().zip(total.iter().zip(inside)) {
                    *r = t - s;
                }
                let (a, b) = side_terms(inside, l2);
                let (c, d) = side_terms(right, l2);
                sn += a + c;
                sd += b + d;
            }
            num[v] = sn;
            den[v] = sd;
        }
    } else {
        // One sweep over the rows in bin order: after bin b, each leaf's rows at or below
        // border b are its left side. Only the leaves with rows in a bin change their share of
        // the score there, so a bin costs its rows, not every leaf.
        prefix.iter_mut().for_each(|v| *v = 0.0);
        share.copy_from_slice(level.base_share);
        let (mut sum_num, mut sum_den) = level.base_sums;
        let rows = c.rows;
        let n = level.n;
        let mut k = 0;
        for bin in 0..borders {
            while k < n && usize::from(col[rows[k] as usize]) == bin {
                let i = rows[k] as usize;
                k += 1;
                let at = level.position[i];
                if at == u32::MAX {
                    continue;
                }
                let l = leaf[i] as usize;
                let row = &stats[at as usize * stride..(at as usize + 1) * stride];
                for (s, v) in prefix[l * stride..(l + 1) * stride].iter_mut().zip(row) {
                    *s += v;
                }
                if !dirty_mark[l] {
                    dirty_mark[l] = true;
                    dirty.push(l);
                }
            }
            for &l in dirty.iter() {
                dirty_mark[l] = false;
                let left = &prefix[l * stride..(l + 1) * stride];
                let total = &level.totals[l * stride..(l + 1) * stride];
                for (r, (t, s)) in right.iter_mut().zip(total.iter().zip(left)) {
                    *r = t - s;
                }
                let (ln, ld) = side_terms(left, l2);
                let (rn, rd) = side_terms(right, l2);
                sum_num += ln + rn - share[2 * l];
                sum_den += ld + rd - share[2 * l + 1];
                share[2 * l] = ln + rn;
                share[2 * l + 1] = ld + rd;
            }
            dirty.clear();
            num[bin] = sum_num;
            den[bin] = sum_den;
        }
    }
    (0..borders)
        .map(|b| match level.score_function {
            ScoreFunction::Cosine if den[b] > 0.0 => num[b] / den[b].sqrt(),
            ScoreFunction::Cosine => 0.0,
            ScoreFunction::L2 => num[b],
        })
        .collect()
}

/// Rows × candidates below which a level is scored on the calling thread alone: a thread
/// costs tens of microseconds to start, a candidate's sweep about a nanosecond per row.
const PARALLEL_WORK: usize = 1 << 16;

/// Scores every candidate, on up to `threads` scoped threads (contiguous shares of the
/// candidates; the calling thread takes the first). The scores do not depend on the number of
/// threads: each candidate is scored whole by one thread.
fn score_all(
    level: &Level<'_>,
    buffers: &mut [Buffers],
    candidates: &[Candidate<'_>],
    threads: usize,
) -> Vec<Vec<f64>> {
    let threads = if level.active.len() * candidates.len() < PARALLEL_WORK {
        1
    } else {
        threads
            .clamp(1, buffers.len().max(1))
            .min(candidates.len().max(1))
    };
    if threads <= 1 || buffers.len() < 2 {
        let buf = &mut buffers[0];
        return candidates
            .iter()
            .map(|c| score_candidate(level, buf, c))
            .collect();
    }
    let per = candidates.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let mut shares = candidates.chunks(per).zip(buffers.iter_mut());
        let first = shares.next();
        let handles: Vec<_> = shares
            .map(|(share, buf)| {
                scope.spawn(move || {
                    share
                        .iter()
                        .map(|c| score_candidate(level, buf, c))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut out: Vec<Vec<f64>> = match first {
            Some((share, buf)) => share
                .iter()
                .map(|c| score_candidate(level, buf, c))
                .collect(),
            None => Vec::new(),
        };
        for h in handles {
            match h.join() {
                Ok(scores) => out.extend(scores),
                // A panic in a scoring thread is a broken invariant: pass it on.
                Err(e) => std::panic::resume_unwind(e),
            }
        }
        out
    })
}

/// The loss of raw scores `approx` (`dims` per row) on `target`: RMSE, Logloss or MultiClass's
/// mean log loss, CatBoost's eval metrics for its three losses.
fn loss_value(loss: Loss, target: Target<'_>, approx: &[f64], dims: usize) -> f64 {
    let mut total = 0.0;
    let mut p = vec![0.0; dims];
    let n = match target {
        Target::Values(y) => {
            for (i, &v) in y.iter().enumerate() {
                total += (f64::from(v) - approx[i]).powi(2);
            }
            return (total / y.len().max(1) as f64).sqrt();
        }
        Target::Classes { codes, .. } => {
            for (i, &c) in codes.iter().enumerate() {
                let prob = if loss == Loss::MultiClass {
                    p.copy_from_slice(&approx[i * dims..(i + 1) * dims]);
                    softmax(&mut p);
                    p[c as usize]
                } else {
                    let q = sigmoid(approx[i]);
                    if c == 1 {
                        q
                    } else {
                        1.0 - q
                    }
                };
                total -= prob.max(1e-15).ln();
            }
            codes.len()
        }
    };
    total / n.max(1) as f64
}

#[allow(clippy::too_many_lines)] // one boosting loop, read top to bottom
fn boost(
    x: &Matrix,
    target: Target<'_>,
    eval: Option<(&Matrix, Target<'_>)>,
    loss: Loss,
    o: &Options,
    check_interrupts: &dyn Fn(),
) -> Result<CatBoostModel> {
    let (n, p) = (x.rows(), x.cols());
    let (dims, num_classes, output) = match (loss, target) {
        (Loss::MultiClass, Target::Classes { k, .. }) => (k, k, Output::Softmax),
        (_, Target::Classes { k, .. }) => (1, k, Output::Logistic),
        _ => (1, 0, Output::Identity),
    };
    let leaves_max = 1usize << o.depth;
    let model_bytes = o.iterations as f64 * (leaves_max * (dims + 1) * 8 + o.depth * 8 + 64) as f64;
    if model_bytes > MAX_MODEL_BYTES as f64 {
        return Err(Error::too_large(
            format!(
                "the model would not fit in memory: {} trees of depth {} with {dims} values per leaf take {} MiB (at most {} MiB)",
                o.iterations,
                o.depth,
                (model_bytes / f64::from(1 << 20)) as u64,
                MAX_MODEL_BYTES >> 20
            ),
            "lower iterations or depth",
        ));
    }
    let quantized = Quantized::new(x, target, loss, o);
    check_interrupts();
    let columns = quantized.columns.len();
    let learning_rate = o
        .learning_rate
        .unwrap_or_else(|| auto_learning_rate(loss, n, o.iterations));
    let bootstrap = o.bootstrap.unwrap_or(match loss {
        Loss::MultiClass => Bootstrap::Bayesian { temperature: 1.0 },
        _ => Bootstrap::Mvs { subsample: 0.8 },
    });
    let leaf_iterations = o.leaf_estimation_iterations.unwrap_or(match loss {
        Loss::Logloss if o.newton => 10,
        Loss::Logloss => 40,
        _ => 1,
    });
    let boost_from_average = o.boost_from_average.unwrap_or(loss == Loss::Rmse);
    let baseline: Vec<f64> = match target {
        Target::Values(y) if boost_from_average => {
            vec![y.iter().map(|&v| f64::from(v)).sum::<f64>() / n as f64]
        }
        Target::Classes { codes, .. } if boost_from_average && dims == 1 => {
            let ones = codes.iter().filter(|&&c| c == 1).count() as f64;
            let p1 = (ones / n as f64).clamp(1e-15, 1.0 - 1e-15);
            vec![(p1 / (1.0 - p1)).ln()]
        }
        _ => vec![0.0; dims],
    };
    let mut approx: Vec<f64> = (0..n).flat_map(|_| baseline.iter().copied()).collect();
    let mut der = vec![0.0; n * dims];
    let mut weights = vec![1.0; n];
    let mut leaf = vec![0u32; n];
    let mut rng = SplitMix64(o.random_seed ^ 0x00ca_7b00_57ed_5eed);
    let mut position = vec![u32::MAX; n];
    let mut totals: Vec<f64> = Vec::new();
    let mut base_share: Vec<f64> = Vec::new();
    let threads = o.threads.max(1);
    let mut buffers: Vec<Buffers> = (0..threads).map(|_| Buffers::default()).collect();
    // Combinations are joined to categorical inputs with CTRs only (CatBoost: not one-hot).
    let combinable: Vec<u32> = (0..quantized.categorical.len() as u32)
        .filter(|&c| !quantized.categorical[c as usize].one_hot)
        .collect();
    let combine = o.max_ctr_complexity > 1 && !combinable.is_empty();
    let mut model = CatBoostModel {
        num_features: p,
        num_classes,
        output,
        nan_mode: o.nan_mode,
        baseline: baseline.clone(),
        trees: Vec::with_capacity(o.iterations),
        categorical: quantized.categorical.clone(),
        ctrs: quantized.ctrs.clone(),
        best_iteration: None,
        combinations: Vec::new(),
        combination_ctrs: Vec::new(),
    };
    // The eval part: its rows with their CTR bins from all fitted rows' statistics (as at
    // predict; recomputed when the trees add a combination), and its raw scores, tree by tree.
    let mut watched = eval.map(|(xe, te)| {
        let rows: Vec<Vec<f32>> = (0..xe.rows()).map(|i| xe.row(i)).collect();
        let ctr_bins: Vec<Vec<f32>> = rows.iter().map(|r| model.ctr_bins(r)).collect();
        let approx: Vec<f64> = (0..xe.rows())
            .flat_map(|_| baseline.iter().copied())
            .collect();
        (rows, ctr_bins, te, approx)
    });
    let mut best: Option<(usize, f64)> = None;
    let features_per_level = ((o.rsm * columns as f64).ceil() as usize).clamp(1, columns.max(1));
    let mut feature_order: Vec<usize> = (0..columns).collect();
    for iteration in 0..o.iterations {
        check_interrupts();
        derivatives(loss, target, &approx, dims, &mut der);
        bootstrap_weights(bootstrap, &der, dims, &mut rng, &mut weights);
        position.iter_mut().for_each(|v| *v = u32::MAX);
        let active: Vec<u32> = (0..n as u32)
            .filter(|&i| weights[i as usize] > 0.0)
            .collect();
        let total_weight: f64 = active.iter().map(|&i| weights[i as usize]).sum();
        // Each sampled row's (weight, weight × derivatives), in sample order: what every
        // histogram adds up, computed once per tree.
        let stride = dims + 1;
        let stats: Vec<f64> = active
            .iter()
            .flat_map(|&i| {
                let i = i as usize;
                let w = weights[i];
                std::iter::once(w).chain(der[i * dims..(i + 1) * dims].iter().map(move |d| w * d))
            })
            .collect();
        for (j, &i) in active.iter().enumerate() {
            position[i as usize] = j as u32;
        }
        // CatBoost scales l2_leaf_reg by the mean weight of the rows.
        let l2 = o.l2_leaf_reg * total_weight / n as f64;
        let der_spread = (der.iter().map(|d| d * d).sum::<f64>() / n as f64).sqrt();
        let model_left = ((n as f64).ln() - iteration as f64 * learning_rate).exp();
        let score_sd = o.random_strength * der_spread * model_left / (1.0 + model_left);
        leaf.iter_mut().for_each(|l| *l = 0);
        // The learn fold whose CTR bins choose this tree's splits (no CTRs: no draw, so models
        // without text columns are as before).
        let fold = if quantized.ctrs.is_empty() && !combine {
            0
        } else {
            1 + (rng.next_u64() % (quantized.folds as u64 - 1).max(1)) as usize
        };
        let mut splits: Vec<Split> = Vec::with_capacity(o.depth);
        // This tree's combinations (CatBoost's tree CTRs), built as its levels call for them.
        let mut tree_ctrs: Vec<TreeCtrs> = Vec::new();
        for level in 0..o.depth {
            check_interrupts();
            let leaves = 1usize << level;
            if features_per_level < columns {
                rng.shuffle(&mut feature_order);
            }
            // Each leaf's sums, and its share of the score with every row on the right.
            totals.clear();
            totals.resize(leaves * stride, 0.0);
            for (&i, row) in active.iter().zip(stats.chunks_exact(stride)) {
                let l = leaf[i as usize] as usize;
                for (t, v) in totals[l * stride..(l + 1) * stride].iter_mut().zip(row) {
                    *t += v;
                }
            }
            base_share.clear();
            let mut base_sums = (0.0, 0.0);
            for l in 0..leaves {
                let terms = side_terms(&totals[l * stride..(l + 1) * stride], l2);
                base_share.extend([terms.0, terms.1]);
                base_sums.0 += terms.0;
                base_sums.1 += terms.1;
            }
            // Combinations for this level: every combinable input joined to the tree's number
            // and one-hot splits together, and to each of its CTR splits' combination (CatBoost's
            // greedy construction), at most max_ctr_complexity parts.
            if combine && !splits.is_empty() {
                let mut bases: Vec<Projection> = Vec::new();
                let mut plain = Projection::default();
                for s in &splits {
                    match s.on {
                        SplitOn::Column(j) if j < quantized.base => {
                            if quantized.columns[j].equality {
                                plain.equals.push((j as u32, s.border as u32));
                            } else {
                                plain.thresholds.push((j as u32, s.border as u32));
                            }
                        }
                        SplitOn::Column(j) => bases.extend(quantized.projection_of(j)),
                        SplitOn::Combined(t, _) => bases.push(tree_ctrs[t].proj.clone()),
                    }
                }
                plain.thresholds.sort_unstable();
                plain.thresholds.dedup();
                plain.equals.sort_unstable();
                plain.equals.dedup();
                if !plain.is_empty() {
                    bases.push(plain);
                }
                let mut wanted: Vec<Projection> = Vec::new();
                for b in &bases {
                    for &c in &combinable {
                        if o.rsm < 1.0 && rng.unit() > o.rsm {
                            continue;
                        }
                        if let Some(proj) = b.with_cat(c) {
                            if proj.len() <= o.max_ctr_complexity && !wanted.contains(&proj) {
                                wanted.push(proj);
                            }
                        }
                    }
                }
                for proj in wanted {
                    if !tree_ctrs.iter().any(|t| t.proj == proj) {
                        tree_ctrs.push(TreeCtrs::new(&quantized, proj, o.combinations_ctr, fold));
                    }
                }
            }
            let mut on: Vec<SplitOn> = Vec::new();
            let mut candidates: Vec<Candidate<'_>> = Vec::new();
            for &f in &feature_order[..features_per_level.min(columns)] {
                let borders = quantized.columns[f].borders.len();
                if borders == 0 {
                    continue;
                }
                on.push(SplitOn::Column(f));
                candidates.push(Candidate {
                    col: quantized.col(f, fold),
                    rows: quantized.order(f, fold),
                    borders,
                    equality: quantized.columns[f].equality,
                });
            }
            for (t, tc) in tree_ctrs.iter().enumerate() {
                for (c, (bins, order)) in tc.bins.iter().zip(&tc.order).enumerate() {
                    on.push(SplitOn::Combined(t, c));
                    candidates.push(Candidate {
                        col: bins,
                        rows: order,
                        borders: catboost_ctr::CTR_BINS - 1,
                        equality: false,
                    });
                }
            }
            let scores = score_all(
                &Level {
                    leaves,
                    stride,
                    l2,
                    n,
                    totals: &totals,
                    base_share: &base_share,
                    base_sums,
                    leaf: &leaf,
                    position: &position,
                    active: &active,
                    stats: &stats,
                    score_function: o.score_function,
                },
                &mut buffers,
                &candidates,
                threads,
            );
            // The noise is drawn here, in candidate order, so the model does not depend on
            // the number of threads.
            let mut best_split: Option<(f64, Split)> = None;
            for (&what, scores) in on.iter().zip(&scores) {
                for (b, &score) in scores.iter().enumerate() {
                    let score = if score_sd > 0.0 {
                        score + score_sd * normal(&mut rng)
                    } else {
                        score
                    };
                    if best_split.as_ref().is_none_or(|(s, _)| score > *s) {
                        best_split = Some((
                            score,
                            Split {
                                on: what,
                                border: b,
                            },
                        ));
                    }
                }
            }
            let Some((_, split)) = best_split else { break };
            match split.on {
                SplitOn::Column(j) => {
                    for (l, &bin) in leaf.iter_mut().zip(quantized.col(j, fold)) {
                        if quantized.right(j, bin, split.border) {
                            *l |= 1 << level;
                        }
                    }
                }
                SplitOn::Combined(t, c) => {
                    for (l, &bin) in leaf.iter_mut().zip(&tree_ctrs[t].bins[c]) {
                        if usize::from(bin) > split.border {
                            *l |= 1 << level;
                        }
                    }
                }
            }
            splits.push(split);
        }
        let is_ctr = |s: &Split| match s.on {
            SplitOn::Column(j) => j >= quantized.base,
            SplitOn::Combined(..) => true,
        };
        if fold != 0 && splits.iter().any(is_ctr) {
            // The leaves' values come from the averaging fold's CTR bins.
            leaf.iter_mut().for_each(|l| *l = 0);
            for (level, split) in splits.iter().enumerate() {
                let averaging: Vec<u16>;
                let (col, equality) = match split.on {
                    SplitOn::Column(j) => (quantized.col(j, 0), quantized.columns[j].equality),
                    SplitOn::Combined(t, c) => {
                        let tc = &tree_ctrs[t];
                        averaging = tc
                            .keys
                            .ordered_bins(&tc.ctrs[c..=c], &quantized.levels, &quantized.perms[0])
                            .pop()
                            .unwrap_or_default();
                        (&averaging[..], false)
                    }
                };
                for (l, &bin) in leaf.iter_mut().zip(col) {
                    let right = if equality {
                        usize::from(bin) == split.border
                    } else {
                        usize::from(bin) > split.border
                    };
                    if right {
                        *l |= 1 << level;
                    }
                }
            }
        }
        let leaf_count = 1usize << splits.len();
        let values = leaf_values(
            loss,
            target,
            &approx,
            &leaf,
            &weights,
            &active,
            leaf_count,
            dims,
            l2,
            o.newton,
            leaf_iterations,
        );
        let values: Vec<f64> = values.iter().map(|v| v * learning_rate).collect();
        let mut leaf_weights = vec![0.0; leaf_count];
        for (i, &l) in leaf.iter().enumerate() {
            leaf_weights[l as usize] += 1.0;
            for c in 0..dims {
                approx[i * dims + c] += values[l as usize * dims + c];
            }
        }
        let combined_before = model.combination_ctrs.len();
        let features: Vec<u32> = splits
            .iter()
            .map(|s| match s.on {
                SplitOn::Column(j) => quantized.columns[j].feature,
                SplitOn::Combined(t, c) => {
                    let tc = &tree_ctrs[t];
                    let stored = quantized.combination(&tc.proj, &tc.keys);
                    let index = model.add_combined_ctr(stored, &tc.ctrs[c]);
                    (p + model.ctrs.len() + index) as u32
                }
            })
            .collect();
        model.trees.push(ObliviousTree {
            features,
            borders: splits
                .iter()
                .map(|s| match s.on {
                    SplitOn::Column(j) => quantized.columns[j].borders[s.border],
                    SplitOn::Combined(..) => s.border as f32,
                })
                .collect(),
            leaf_values: values,
            leaf_weights,
        });
        if let Some((rows, ctr_bins, te, eval_approx)) = watched.as_mut() {
            if model.combination_ctrs.len() != combined_before {
                *ctr_bins = rows.iter().map(|r| model.ctr_bins(r)).collect();
            }
            if let Some(tree) = model.trees.last() {
                for (i, (row, bins)) in rows.iter().zip(ctr_bins.iter()).enumerate() {
                    let l = model.leaf(tree, row, bins);
                    for c in 0..dims {
                        eval_approx[i * dims + c] += tree.leaf_values[l * dims + c];
                    }
                }
            }
            let value = loss_value(loss, *te, eval_approx, dims);
            if best.is_none_or(|(_, b)| value < b) {
                best = Some((iteration, value));
            }
            if let (Some(wait), Some((at, _))) = (o.od_wait, best) {
                if iteration - at >= wait {
                    break;
                }
            }
        }
    }
    if let Some((at, _)) = best {
        if o.use_best_model {
            model.trees.truncate(at + 1);
        }
        model.best_iteration = Some(at as u32);
    }
    Ok(model)
}
/// Each leaf's step (before the learning rate): `iterations` Newton steps
/// Σ der / (−Σ der2 + l2) (MultiClass: the full Hessian's system), or gradient steps
/// Σ der / (Σ w + l2), of the bootstrap-weighted rows.
#[allow(clippy::too_many_arguments)]
fn leaf_values(
    loss: Loss,
    target: Target<'_>,
    approx: &[f64],
    leaf: &[u32],
    weights: &[f64],
    active: &[u32],
    leaves: usize,
    dims: usize,
    l2: f64,
    newton: bool,
    iterations: usize,
) -> Vec<f64> {
    let mut delta = vec![0.0; leaves * dims];
    let mut sum_der = vec![0.0; leaves * dims];
    let mut sum_w = vec![0.0; leaves];
    let mut sum_hess = vec![0.0; leaves * dims * dims];
    let mut p = vec![0.0; dims];
    for _ in 0..iterations {
        sum_der.iter_mut().for_each(|v| *v = 0.0);
        sum_w.iter_mut().for_each(|v| *v = 0.0);
        sum_hess.iter_mut().for_each(|v| *v = 0.0);
        for &i in active {
            let i = i as usize;
            let (l, w) = (leaf[i] as usize, weights[i]);
            sum_w[l] += w;
            match (loss, target) {
                (_, Target::Values(y)) => {
                    sum_der[l] += w * (f64::from(y[i]) - approx[i] - delta[l]);
                    sum_hess[l] += w;
                }
                (Loss::MultiClass, Target::Classes { codes, .. }) => {
                    for c in 0..dims {
                        p[c] = approx[i * dims + c] + delta[l * dims + c];
                    }
                    softmax(&mut p);
                    let h = &mut sum_hess[l * dims * dims..(l + 1) * dims * dims];
                    for a in 0..dims {
                        let y = f64::from(u8::from(codes[i] as usize == a));
                        sum_der[l * dims + a] += w * (y - p[a]);
                        for b in 0..dims {
                            let kron = if a == b { p[a] } else { 0.0 };
                            h[a * dims + b] += w * (kron - p[a] * p[b]);
                        }
                    }
                }
                (_, Target::Classes { codes, .. }) => {
                    let q = sigmoid(approx[i] + delta[l]);
                    sum_der[l] += w * (f64::from(u8::from(codes[i] == 1)) - q);
                    sum_hess[l] += w * q * (1.0 - q);
                }
            }
        }
        for l in 0..leaves {
            if sum_w[l] <= 0.0 {
                continue;
            }
            if !newton {
                for c in 0..dims {
                    delta[l * dims + c] += sum_der[l * dims + c] / (sum_w[l] + l2);
                }
            } else if dims == 1 {
                let denominator = sum_hess[l] + l2;
                if denominator > 0.0 {
                    delta[l] += sum_der[l] / denominator;
                }
            } else {
                let h = &mut sum_hess[l * dims * dims..(l + 1) * dims * dims];
                for c in 0..dims {
                    h[c * dims + c] += l2;
                }
                let mut step = sum_der[l * dims..(l + 1) * dims].to_vec();
                if solve_spd(h, &mut step, dims).is_some() {
                    for c in 0..dims {
                        delta[l * dims + c] += step[c];
                    }
                }
            }
        }
    }
    delta
}

/// One symmetric tree: level d splits on `features[d]` at `borders[d]`; a row on the right sets
/// bit d of the leaf's index. Feature f below the model's `num_features` is input f: a number
/// goes right above the border, a one-hot categorical input when its code equals the border.
/// Feature `num_features + c` is the model's CTR c: right when its bin is above the border.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObliviousTree {
    pub features: Vec<u32>,
    pub borders: Vec<f32>,
    /// Leaf-major: `2^depth × outputs` values, already times the learning rate.
    pub leaf_values: Vec<f64>,
    /// Training rows per leaf (for the feature importances).
    pub leaf_weights: Vec<f64>,
}

/// A fitted CatBoost-algorithm model: the baseline, then the trees' leaves added up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "StoredCatBoost")]
pub struct CatBoostModel {
    pub num_features: usize,
    /// 0 for regression.
    pub num_classes: usize,
    pub output: Output,
    pub nan_mode: NanMode,
    /// The starting raw score per output.
    pub baseline: Vec<f64>,
    pub trees: Vec<ObliviousTree>,
    /// The categorical inputs, with the statistics of every training row.
    pub categorical: Vec<CategoricalInput>,
    /// The CTR features the trees may split on.
    pub ctrs: Vec<Ctr>,
    /// With an eval part: the iteration (from 0) of the lowest loss on it.
    pub best_iteration: Option<u32>,
    /// The combinations the trees split on a CTR of (`max_ctr_complexity`), with their
    /// statistics.
    pub combinations: Vec<Combination>,
    /// The CTR features of the combinations (`categorical` indexes `combinations`): split
    /// feature `num_features + ctrs.len() + c` is CTR c.
    pub combination_ctrs: Vec<Ctr>,
}

/// A field added to the stored layout after models were written without it: those end before
/// it, and read it as its default (empty). Damaged bytes are still refused: anything left over
/// fails `exactly`, and a tree naming a combination the model lacks fails the checks below.
struct Added<T>(T);

impl<'de, T: Deserialize<'de> + Default> Deserialize<'de> for Added<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        Ok(Added(T::deserialize(d).unwrap_or_default()))
    }
}

#[derive(Deserialize)]
struct StoredCatBoost {
    num_features: usize,
    num_classes: usize,
    output: Output,
    nan_mode: NanMode,
    baseline: Vec<f64>,
    trees: Vec<ObliviousTree>,
    categorical: Vec<CategoricalInput>,
    ctrs: Vec<Ctr>,
    best_iteration: Option<u32>,
    combinations: Added<Vec<Combination>>,
    combination_ctrs: Added<Vec<Ctr>>,
}

impl TryFrom<StoredCatBoost> for CatBoostModel {
    type Error = String;
    fn try_from(s: StoredCatBoost) -> std::result::Result<Self, String> {
        let outputs = s.baseline.len();
        let consistent = match s.output {
            Output::Identity => s.num_classes == 0 && outputs == 1,
            Output::Logistic => s.num_classes == 2 && outputs == 1,
            Output::Softmax => s.num_classes >= 2 && outputs == s.num_classes,
            _ => false,
        };
        if !consistent {
            return Err("catboost model with inconsistent outputs".into());
        }
        for c in &s.categorical {
            if c.input as usize >= s.num_features
                || c.above.len() != c.counts.len() * c.target_borders as usize
            {
                return Err("catboost categorical statistics are inconsistent".into());
            }
        }
        for c in &s.ctrs {
            match s.categorical.get(c.categorical as usize) {
                Some(t) if c.target_border < t.target_borders && !t.one_hot => {}
                _ => return Err("catboost CTR is inconsistent".into()),
            }
        }
        let (combinations, combination_ctrs) = (s.combinations.0, s.combination_ctrs.0);
        for c in &combinations {
            let b = c.target_borders as usize;
            if c.keys.len() != c.counts.len()
                || c.above.len() != c.keys.len() * b
                || c.keys.windows(2).any(|w| w[0] >= w[1])
                || c.categorical
                    .iter()
                    .any(|&i| s.categorical.get(i as usize).is_none_or(|t| t.one_hot))
                || c.thresholds
                    .iter()
                    .chain(&c.equals)
                    .any(|&(f, _)| f as usize >= s.num_features)
            {
                return Err("catboost combination is inconsistent".into());
            }
        }
        for c in &combination_ctrs {
            match combinations.get(c.categorical as usize) {
                Some(t) if c.target_border < t.target_borders.max(1) => {}
                _ => return Err("catboost combination CTR is inconsistent".into()),
            }
        }
        let split_features = s.num_features + s.ctrs.len() + combination_ctrs.len();
        for (i, t) in s.trees.iter().enumerate() {
            let depth = t.features.len();
            if depth > MAX_DEPTH as usize
                || t.borders.len() != depth
                || t.leaf_values.len() != (1usize << depth) * outputs
                || t.leaf_weights.len() != 1usize << depth
                || t.features.iter().any(|&f| f as usize >= split_features)
            {
                return Err(format!("catboost tree {i} is inconsistent"));
            }
        }
        Ok(CatBoostModel {
            num_features: s.num_features,
            num_classes: s.num_classes,
            output: s.output,
            nan_mode: s.nan_mode,
            baseline: s.baseline,
            trees: s.trees,
            categorical: s.categorical,
            ctrs: s.ctrs,
            best_iteration: s.best_iteration,
            combinations,
            combination_ctrs,
        })
    }
}

impl CatBoostModel {
    /// The bins of the model's CTRs (simple, then combined) for one row, from the stored
    /// statistics.
    fn ctr_bins(&self, x: &[f32]) -> Vec<f32> {
        let mut out: Vec<f32> = self
            .ctrs
            .iter()
            .map(|c| {
                let t = &self.categorical[c.categorical as usize];
                let v = x.get(t.input as usize).copied().unwrap_or(f32::NAN);
                f32::from(c.predict_bin(t, v))
            })
            .collect();
        if !self.combination_ctrs.is_empty() {
            let keys: Vec<Option<u64>> = self
                .combinations
                .iter()
                .map(|c| self.combination_key(c, x))
                .collect();
            out.extend(self.combination_ctrs.iter().map(|c| {
                let i = c.categorical as usize;
                f32::from(self.combinations[i].predict_bin(c, keys[i]))
            }));
        }
        out
    }

    /// A row's key of a combination: its category codes, then whether each number is above its
    /// border and each one-hot input equals its code (as training computes it from the bins).
    fn combination_key(&self, c: &Combination, x: &[f32]) -> Option<u64> {
        let value = |f: u32| x.get(f as usize).copied().unwrap_or(f32::NAN);
        catboost_ctr::key(
            c.categorical.iter().map(|&i| {
                let t = &self.categorical[i as usize];
                catboost_ctr::code(value(t.input), t.counts.len())
            }),
            c.thresholds
                .iter()
                .map(|&(f, b)| self.nan_mode.replace(value(f)) > b)
                .chain(c.equals.iter().map(|&(f, v)| value(f) == v)),
        )
    }

    /// Adds a combination's CTR (unless the model has it) and returns its index in
    /// `combination_ctrs`.
    fn add_combined_ctr(&mut self, combination: Combination, ctr: &Ctr) -> usize {
        let same = |a: &Combination| {
            a.categorical == combination.categorical
                && a.thresholds == combination.thresholds
                && a.equals == combination.equals
        };
        let at = match self.combinations.iter().position(same) {
            Some(at) => at,
            None => {
                self.combinations.push(combination);
                self.combinations.len() - 1
            }
        };
        let ctr = Ctr {
            categorical: at as u32,
            ..ctr.clone()
        };
        match self.combination_ctrs.iter().position(|c| *c == ctr) {
            Some(i) => i,
            None => {
                self.combination_ctrs.push(ctr);
                self.combination_ctrs.len() - 1
            }
        }
    }

    fn one_hot(&self, input: usize) -> bool {
        self.categorical
            .iter()
            .any(|c| c.one_hot && c.input as usize == input)
    }

    /// The leaf of `tree` a row falls in (`ctr_bins` from [`CatBoostModel::ctr_bins`]).
    fn leaf(&self, tree: &ObliviousTree, x: &[f32], ctr_bins: &[f32]) -> usize {
        let p = self.num_features;
        let mut index = 0usize;
        for (d, (&f, &b)) in tree.features.iter().zip(&tree.borders).enumerate() {
            let f = f as usize;
            let right = if f >= p {
                ctr_bins.get(f - p).is_some_and(|&v| v > b)
            } else if self.one_hot(f) {
                x.get(f) == Some(&b)
            } else {
                self.nan_mode.replace(x.get(f).copied().unwrap_or(f32::NAN)) > b
            };
            index |= usize::from(right) << d;
        }
        index
    }

    fn raw(&self, x: &[f32]) -> Vec<f64> {
        let mut raw = self.baseline.clone();
        let ctr_bins = self.ctr_bins(x);
        for t in &self.trees {
            self.add_tree(t, x, &ctr_bins, &mut raw);
        }
        raw
    }

    /// The inputs a split feature stands for (a CTR: its categorical input; a combination's:
    /// every input it joins).
    fn inputs_of(&self, feature: u32) -> Vec<usize> {
        let f = feature as usize;
        let Some(c) = f.checked_sub(self.num_features) else {
            return vec![f];
        };
        if let Some(ctr) = self.ctrs.get(c) {
            return vec![self.categorical[ctr.categorical as usize].input as usize];
        }
        let Some(ctr) = self.combination_ctrs.get(c - self.ctrs.len()) else {
            return Vec::new();
        };
        let comb = &self.combinations[ctr.categorical as usize];
        comb.categorical
            .iter()
            .map(|&i| self.categorical[i as usize].input as usize)
            .chain(
                comb.thresholds
                    .iter()
                    .chain(&comb.equals)
                    .map(|&(f, _)| f as usize),
            )
            .collect()
    }

    /// Adds `t`'s leaf values to `raw` (`ctr_bins` from [`CatBoostModel::ctr_bins`]).
    fn add_tree(&self, t: &ObliviousTree, x: &[f32], ctr_bins: &[f32], raw: &mut [f64]) {
        let m = self.baseline.len();
        let index = self.leaf(t, x, ctr_bins);
        if let Some(values) = t.leaf_values.get(index * m..(index + 1) * m) {
            for (r, v) in raw.iter_mut().zip(values) {
                *r += v;
            }
        }
    }
}

/// One tree per iteration, each adding to every output.
impl crate::plots::Staged for CatBoostModel {
    fn output(&self) -> Output {
        self.output
    }

    fn start(&self) -> &[f64] {
        &self.baseline
    }

    fn stages(&self) -> usize {
        self.trees.len()
    }

    fn add_stage(&self, stage: usize, x: &[f32], raw: &mut [f64]) {
        if let Some(t) = self.trees.get(stage) {
            self.add_tree(t, x, &self.ctr_bins(x), raw);
        }
    }
}

impl Predictor for CatBoostModel {
    fn num_features(&self) -> usize {
        self.num_features
    }

    fn predict(&self, x: &[f32]) -> Option<f32> {
        Some(self.output.predict(&self.raw(x)))
    }

    fn predict_proba(&self, x: &[f32]) -> Option<Vec<f32>> {
        self.output.proba(&self.raw(x))
    }

    /// CatBoost's PredictionValuesChange: each tree is folded from its last level up; a split
    /// joining leaves of weights w₁, w₂ and values v₁, v₂ into their weighted mean v̄ adds
    /// w₁(v₁ − v̄)² + w₂(v₂ − v̄)² (summed over the outputs) to its feature, and a CTR's share
    /// goes to its categorical input. Normalized to sum to 1 (CatBoost's to 100).
    fn feature_importances(&self) -> Option<Vec<f64>> {
        let m = self.baseline.len();
        let mut importance = vec![0.0; self.num_features];
        for t in &self.trees {
            let mut values = t.leaf_values.clone();
            let mut weights = t.leaf_weights.clone();
            for d in (0..t.features.len()).rev() {
                let half = 1usize << d;
                let mut effect = 0.0;
                for l in 0..half {
                    let (a, b) = (l, l | half);
                    let (wa, wb) = (weights[a], weights[b]);
                    let w = wa + wb;
                    for c in 0..m {
                        let (va, vb) = (values[a * m + c], values[b * m + c]);
                        let mean = if w > 0.0 {
                            (wa * va + wb * vb) / w
                        } else {
                            0.0
                        };
                        effect += wa * (va - mean).powi(2) + wb * (vb - mean).powi(2);
                        values[l * m + c] = mean;
                    }
                    weights[l] = w;
                }
                // A combination's share is split evenly between the inputs it joins.
                let inputs = self.inputs_of(t.features[d]);
                for &i in &inputs {
                    importance[i] += effect / inputs.len() as f64;
                }
            }
        }
        let total: f64 = importance.iter().sum();
        (total > 0.0).then(|| importance.iter().map(|v| v / total).collect())
    }

    fn fit_metrics(&self) -> crate::metrics::Metrics {
        let mut metrics = crate::metrics::Metrics::new();
        if let Some(best) = self.best_iteration {
            metrics.insert("best_iteration".into(), f64::from(best));
            metrics.insert("tree_count".into(), self.trees.len() as f64);
        }
        metrics
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::{Algorithm, Estimator};
    use super::*;

    fn data(n: usize, seed: u64) -> (Matrix, Vec<u32>, Vec<f32>) {
        let mut rng = SplitMix64(seed);
        let rows: Vec<Vec<f32>> = (0..n)
            .map(|_| (0..5).map(|_| rng.unit() as f32).collect())
            .collect();
        let codes = rows
            .iter()
            .map(|r| u32::from(r[0] > 0.3) + u32::from(r[1] > 0.6))
            .collect();
        let y = rows
            .iter()
            .map(|r| 4.0 * r[0] + 2.0 * r[1] * r[2] + 1.0 + 0.05 * rng.unit() as f32)
            .collect();
        (Matrix::from_rows(&rows).unwrap(), codes, y)
    }

    fn fit(hp: serde_json::Value, task: Task, x: &Matrix, labels: Labels<'_>) -> Estimator {
        let a = Algorithm::parse("catboost").unwrap();
        let params = a.resolve(task, &hp).unwrap();
        a.fit(task, &params, x, labels, &|| {}).unwrap()
    }

    fn r2(m: &Estimator, x: &Matrix, y: &[f32]) -> f64 {
        let pred: Vec<f32> = (0..x.rows())
            .map(|i| m.predict(&x.row(i)).unwrap())
            .collect();
        crate::metrics::regression(y, &pred)["r2"]
    }

    fn round_trip(m: &Estimator) {
        let bytes = m.fitted().to_bytes().unwrap();
        let back = Fitted::from_bytes(m.fitted().kind(), &bytes)
            .unwrap()
            .unwrap();
        assert_eq!(&back, m.fitted());
    }

    #[test]
    fn the_automatic_learning_rate_is_catboosts() {
        // Values CatBoost 1.2.10 chose (get_all_params) for the toy sets with 1000 iterations.
        assert_eq!(auto_learning_rate(Loss::Rmse, 442, 1000), 0.035988);
        assert_eq!(auto_learning_rate(Loss::Logloss, 569, 1000), 0.008098);
        assert_eq!(auto_learning_rate(Loss::MultiClass, 150, 1000), 0.07183);
        assert_eq!(auto_learning_rate(Loss::Rmse, 100, 10), 0.5);
    }

    #[test]
    fn regression_fits_held_out_rows() {
        let (x, _, y) = data(2000, 1);
        let (xt, _, yt) = data(500, 2);
        for hp in [
            json!({"iterations": 200}),
            json!({"n_estimators": 200, "learning_rate": 0.3, "depth": 4, "bootstrap_type": "Bayesian"}),
            json!({"iterations": 100, "border_count": 16, "leaf_estimation_method": "Gradient", "score_function": "L2", "rsm": 0.5, "bootstrap_type": "No", "random_strength": 0}),
            json!({"iterations": 100, "bootstrap_type": "Bernoulli", "subsample": 0.5, "l2_leaf_reg": 10, "verbose": false, "thread_count": 2}),
        ] {
            let m = fit(hp.clone(), Task::Regression, &x, Labels::Values(&y));
            let score = r2(&m, &xt, &yt);
            assert!(score > 0.95, "{hp}: r2 {score}");
            assert!(m.predict_proba(&xt.row(0)).is_none());
            round_trip(&m);
        }
    }

    #[test]
    fn one_tree_is_an_oblivious_tree_of_newton_steps() {
        // One feature, two values: one split; RMSE leaves (sum of residuals) / (count + 3) times
        // the learning rate, from the mean.
        let rows: Vec<Vec<f32>> = (0..40)
            .map(|i| vec![f32::from(u8::from(i >= 20))])
            .collect();
        let x = Matrix::from_rows(&rows).unwrap();
        let y: Vec<f32> = (0..40).map(|i| if i >= 20 { 3.0 } else { 1.0 }).collect();
        let m = fit(
            json!({"iterations": 1, "depth": 1, "learning_rate": 0.5, "bootstrap_type": "No", "random_strength": 0}),
            Task::Regression,
            &x,
            Labels::Values(&y),
        );
        let step = 0.5 * 20.0 / 23.0;
        assert!((f64::from(m.predict(&[0.0]).unwrap()) - (2.0 - step)).abs() < 1e-5);
        assert!((f64::from(m.predict(&[1.0]).unwrap()) - (2.0 + step)).abs() < 1e-5);
        // Missing values sort below every value (nan_mode Min).
        assert_eq!(m.predict(&[f32::NAN]), m.predict(&[0.0]));
        let Fitted::CatBoost(c) = m.fitted() else {
            panic!()
        };
        assert_eq!(c.trees[0].borders, [0.5]);
    }

    #[test]
    fn classifiers_fit_and_give_probabilities() {
        let (x, codes, _) = data(2000, 4);
        let binary: Vec<u32> = codes.iter().map(|&c| u32::from(c > 0)).collect();
        for (hp, codes, k) in [
            (json!({"iterations": 100}), &codes, 3),
            (json!({"iterations": 100}), &binary, 2),
            (
                json!({"iterations": 100, "loss_function": "MultiClass"}),
                &binary,
                2,
            ),
            (
                json!({"iterations": 100, "bagging_temperature": 0, "boost_from_average": true}),
                &binary,
                2,
            ),
        ] {
            let m = fit(
                hp.clone(),
                Task::Classification,
                &x,
                Labels::Classes {
                    codes,
                    num_classes: k,
                },
            );
            let right = (0..2000)
                .filter(|&i| m.predict(&x.row(i)) == Some(codes[i] as f32))
                .count();
            assert!(right > 1940, "{hp}: {right}");
            let p = m.predict_proba(&x.row(0)).unwrap();
            assert_eq!(p.len(), k);
            assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-5);
            round_trip(&m);
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_model() {
        let (x, _, y) = data(300, 5);
        let hp = json!({"iterations": 20, "random_seed": 7});
        let a = fit(hp.clone(), Task::Regression, &x, Labels::Values(&y));
        let b = fit(hp, Task::Regression, &x, Labels::Values(&y));
        assert_eq!(a.fitted(), b.fitted());
        let c = fit(
            json!({"iterations": 20, "random_state": 8}),
            Task::Regression,
            &x,
            Labels::Values(&y),
        );
        assert_ne!(a.fitted(), c.fitted());
    }

    #[test]
    fn bad_hyperparameters_are_named() {
        let a = Algorithm::parse("catboost").unwrap();
        let msg = |task, hp: serde_json::Value| a.resolve(task, &hp).unwrap_err().to_string();
        assert!(msg(Task::Regression, json!({"depth": 20})).contains("from 1 to 16"));
        assert!(msg(Task::Regression, json!({"iterations": 1e9})).contains("from 1 to 1000000"));
        assert!(msg(Task::Regression, json!({"learning_rate": 0})).contains("greater than 0"));
        assert!(msg(Task::Regression, json!({"l2_leaf_reg": -1})).contains("at least 0"));
        assert!(msg(Task::Regression, json!({"loss_function": "Logloss"})).contains("one of RMSE"));
        assert!(msg(
            Task::Classification,
            json!({"loss_function": "CrossEntropy"})
        )
        .contains("one of Logloss, MultiClass"));
        assert!(msg(
            Task::Regression,
            json!({"iterations": 5, "n_estimators": 10})
        )
        .contains("give only one"));
        assert!(msg(
            Task::Regression,
            json!({"n_estimators": 5, "num_trees": 10})
        )
        .contains("give only one"));
        assert!(msg(
            Task::Regression,
            json!({"bootstrap_type": "MVS", "bagging_temperature": 1})
        )
        .contains("does not apply"));
        assert!(
            msg(Task::Regression, json!({"boosting_type": "Ordered"})).contains("not implemented")
        );
        assert!(matches!(
            a.resolve(Task::Regression, &json!({"boosting_type": "Ordered"}))
                .unwrap_err(),
            Error::NotSupported { .. }
        ));
        assert!(msg(Task::Regression, json!({"max_ctr_complexity": 0})).contains("from 1 to 16"));
        assert!(msg(Task::Regression, json!({"thread_count": 0})).contains("thread_count"));
        for (hp, text) in [
            (
                json!({"simple_ctr": ["Buckets"]}),
                "type Buckets is not supported",
            ),
            (
                json!({"combinations_ctr": "Borders:Prior=0.3/1"}),
                "Prior=0.3/1",
            ),
            (
                json!({"simple_ctr": "Counter:CtrBorderCount=31"}),
                "CtrBorderCount=31",
            ),
        ] {
            let e = a.resolve(Task::Regression, &hp).unwrap_err();
            assert!(matches!(e, Error::NotSupported { .. }), "{hp}: {e}");
            assert!(e.to_string().contains(text), "{hp}: {e}");
        }
        assert!(msg(Task::Regression, json!({"simple_ctr": ["Nope"]}))
            .contains("not a CatBoost CTR type"));
        assert!(msg(Task::Regression, json!({"simple_ctr": [1]})).contains("a CTR description"));
        assert!(msg(Task::Regression, json!({"simple_ctr": []})).contains("is empty"));
        assert!(msg(
            Task::Regression,
            json!({"od_type": "IncToDec", "od_wait": 5})
        )
        .contains("od_pval"));
        assert!(msg(
            Task::Regression,
            json!({"early_stopping_rounds": 5, "od_wait": 6})
        )
        .contains("disagree"));
        assert!(msg(Task::Regression, json!({"eval_fraction": 0.95})).contains("0.9"));
        assert!(msg(Task::Regression, json!({"one_hot_max_size": 256})).contains("from 0 to 255"));
        assert!(msg(Task::Regression, json!({"od_wait": "10"})).contains("a whole number"));
        assert!(msg(
            Task::Classification,
            json!({"loss_function": "MultiClass", "boost_from_average": true})
        )
        .contains("not available"));
        let (x, codes, _) = data(50, 6);
        let params = a
            .resolve(Task::Classification, &json!({"loss_function": "Logloss"}))
            .unwrap();
        let e = a
            .fit(
                Task::Classification,
                &params,
                &x,
                Labels::Classes {
                    codes: &codes,
                    num_classes: 3,
                },
                &|| {},
            )
            .unwrap_err();
        assert!(e.to_string().contains("needs two classes"), "{e}");
        // 2^16 leaves × 1 000 000 trees is refused before training.
        let (x, _, y) = data(50, 7);
        let params = a
            .resolve(
                Task::Regression,
                &json!({"depth": 16, "iterations": 1_000_000}),
            )
            .unwrap();
        let e = a
            .fit(Task::Regression, &params, &x, Labels::Values(&y), &|| {})
            .unwrap_err();
        assert!(matches!(e, Error::TooLarge { .. }), "{e}");
    }

    #[test]
    fn a_cancel_reaches_every_level() {
        let (x, _, y) = data(200, 8);
        let a = Algorithm::parse("catboost").unwrap();
        let params = a
            .resolve(Task::Regression, &json!({"iterations": 5}))
            .unwrap();
        let calls = std::cell::Cell::new(0);
        a.fit(Task::Regression, &params, &x, Labels::Values(&y), &|| {
            calls.set(calls.get() + 1)
        })
        .unwrap();
        assert!(calls.get() >= 5 * 6, "{} checks", calls.get());
    }

    #[test]
    fn damaged_models_are_refused() {
        let good = CatBoostModel {
            num_features: 1,
            num_classes: 0,
            output: Output::Identity,
            nan_mode: NanMode::Min,
            baseline: vec![0.0],
            trees: vec![ObliviousTree {
                features: vec![0],
                borders: vec![0.5],
                leaf_values: vec![1.0, 2.0],
                leaf_weights: vec![3.0, 4.0],
            }],
            categorical: Vec::new(),
            ctrs: Vec::new(),
            best_iteration: None,
            combinations: Vec::new(),
            combination_ctrs: Vec::new(),
        };
        let bytes = postcard::to_stdvec(&good).unwrap();
        assert_eq!(postcard::from_bytes::<CatBoostModel>(&bytes).unwrap(), good);
        let mut bad = good.clone();
        bad.trees[0].leaf_values.pop();
        assert!(
            postcard::from_bytes::<CatBoostModel>(&postcard::to_stdvec(&bad).unwrap()).is_err()
        );
        let mut bad = good.clone();
        bad.trees[0].features[0] = 3;
        assert!(
            postcard::from_bytes::<CatBoostModel>(&postcard::to_stdvec(&bad).unwrap()).is_err()
        );
        let mut bad = good.clone();
        bad.trees[0].leaf_weights.pop();
        assert!(
            postcard::from_bytes::<CatBoostModel>(&postcard::to_stdvec(&bad).unwrap()).is_err()
        );
        // A CTR naming a categorical input the model lacks.
        let mut bad = good;
        bad.ctrs = catboost_ctr::ctrs_of(0, 1);
        assert!(
            postcard::from_bytes::<CatBoostModel>(&postcard::to_stdvec(&bad).unwrap()).is_err()
        );
    }

    /// Rows with a 200-category input whose categories carry the target (through effects that
    /// the sorted codes do not order), a 2-category one and a number.
    fn categorical_data(n: usize, seed: u64) -> (Matrix, Vec<f32>, Vec<u32>) {
        let mut rng = SplitMix64(seed);
        let effect: Vec<f32> = (0..200)
            .map(|c| ((c * 77 % 200) as f32 / 50.0) - 2.0)
            .collect();
        let mut rows = Vec::with_capacity(n);
        let mut y = Vec::with_capacity(n);
        for _ in 0..n {
            let c = (rng.unit() * 200.0).floor().min(199.0) as usize;
            let b = f32::from(u8::from(rng.unit() < 0.5));
            let v = rng.unit() as f32;
            y.push(effect[c] + 1.5 * b + v + 0.1 * rng.unit() as f32);
            rows.push(vec![c as f32, b, v]);
        }
        let codes = y.iter().map(|&v| u32::from(v > 0.5)).collect();
        let x = Matrix::from_rows(&rows)
            .unwrap()
            .with_categorical(vec![Some(200), Some(2), None])
            .unwrap();
        (x, y, codes)
    }

    #[test]
    fn categorical_inputs_become_ordered_target_statistics() {
        let (x, y, codes) = categorical_data(3000, 11);
        let (xt, yt, ct) = categorical_data(1000, 12);
        let hp = json!({"iterations": 200, "learning_rate": 0.1});
        let m = fit(hp.clone(), Task::Regression, &x, Labels::Values(&y));
        let Fitted::CatBoost(c) = m.fitted() else {
            panic!()
        };
        // The 200-category input has Borders (3 priors) and Counter CTRs; the 2-category one is
        // one-hot (no statistics).
        assert_eq!(c.categorical.len(), 2);
        assert!(!c.categorical[0].one_hot && c.categorical[1].one_hot);
        assert_eq!(c.ctrs.len(), 4);
        assert_eq!(c.categorical[0].counts.iter().sum::<u32>(), 3000);
        let with_ctr = r2(&m, &xt, &yt);
        // The same rows with the codes as plain numbers: the sorted codes say little.
        let plain = |x: &Matrix| {
            Matrix::from_rows(&(0..x.rows()).map(|i| x.row(i)).collect::<Vec<_>>()).unwrap()
        };
        let n = fit(hp.clone(), Task::Regression, &plain(&x), Labels::Values(&y));
        let without = r2(&n, &plain(&xt), &yt);
        assert!(
            with_ctr > 0.95 && with_ctr > without + 0.05,
            "{with_ctr} vs {without}"
        );
        round_trip(&m);
        // A code outside the training's categories (or NaN) gets the prior alone.
        assert!(m.predict(&[99.0, 1.0, 0.5]).unwrap().is_finite());
        assert!(m.predict(&[f32::NAN, 0.0, 0.5]).unwrap().is_finite());
        // The importances sum to 1; the categorical input (through its CTRs) leads.
        let imp = m.feature_importances().unwrap();
        assert!((imp.iter().sum::<f64>() - 1.0).abs() < 1e-9, "{imp:?}");
        assert!(imp[0] > imp[1] && imp[1] > 0.0 && imp[2] > 0.0, "{imp:?}");
        for (k, labels) in [
            (2, &codes),
            (
                3,
                &codes
                    .iter()
                    .zip(&y)
                    .map(|(&c, &v)| c + u32::from(v > 2.0))
                    .collect(),
            ),
        ] {
            let m = fit(
                hp.clone(),
                Task::Classification,
                &x,
                Labels::Classes {
                    codes: labels,
                    num_classes: k,
                },
            );
            let expected = if k == 2 {
                ct.clone()
            } else {
                ct.iter()
                    .zip(&yt)
                    .map(|(&c, &v)| c + u32::from(v > 2.0))
                    .collect()
            };
            let right = (0..xt.rows())
                .filter(|&i| m.predict(&xt.row(i)) == Some(expected[i] as f32))
                .count();
            assert!(right > 900, "{k} classes: {right} of 1000");
            let Fitted::CatBoost(c) = m.fitted() else {
                panic!()
            };
            // MultiClass: one Borders triple per target border (k − 1), then Counter.
            assert_eq!(c.ctrs.len(), 3 * (k - 1) + 1);
            round_trip(&m);
        }
        // A larger one_hot_max_size splits the categories by equality instead.
        let m = fit(
            json!({"iterations": 100, "learning_rate": 0.3, "one_hot_max_size": 255}),
            Task::Regression,
            &x,
            Labels::Values(&y),
        );
        let Fitted::CatBoost(c) = m.fitted() else {
            panic!()
        };
        assert!(c.ctrs.is_empty() && c.categorical.iter().all(|t| t.one_hot));
        assert!(r2(&m, &xt, &yt) > 0.5, "{}", r2(&m, &xt, &yt));
    }

    /// Two 20-category inputs whose categories say nothing alone: the target is an effect of
    /// their pair (the sum of the codes mod 20), plus a number.
    fn pair_data(n: usize, seed: u64) -> (Matrix, Vec<f32>) {
        let mut rng = SplitMix64(seed);
        let effect: Vec<f32> = (0..20).map(|c| ((c * 7 % 20) as f32 / 5.0) - 2.0).collect();
        let mut rows = Vec::with_capacity(n);
        let mut y = Vec::with_capacity(n);
        for _ in 0..n {
            let a = (rng.unit() * 20.0).floor().min(19.0) as usize;
            let b = (rng.unit() * 20.0).floor().min(19.0) as usize;
            let v = rng.unit() as f32;
            y.push(effect[(a + b) % 20] + v + 0.1 * rng.unit() as f32);
            rows.push(vec![a as f32, b as f32, v]);
        }
        let x = Matrix::from_rows(&rows)
            .unwrap()
            .with_categorical(vec![Some(20), Some(20), None])
            .unwrap();
        (x, y)
    }

    #[test]
    fn combinations_of_categorical_inputs_find_what_each_alone_cannot() {
        let (x, y) = pair_data(4000, 21);
        let (xt, yt) = pair_data(1000, 22);
        let hp = |complexity: Option<u32>| {
            let mut hp = json!({"iterations": 300, "learning_rate": 0.2, "depth": 4});
            if let Some(c) = complexity {
                hp["max_ctr_complexity"] = json!(c);
            }
            hp
        };
        let with = fit(hp(None), Task::Regression, &x, Labels::Values(&y));
        let without = fit(hp(Some(1)), Task::Regression, &x, Labels::Values(&y));
        let (a, b) = (r2(&with, &xt, &yt), r2(&without, &xt, &yt));
        assert!(a > 0.8 && a > b + 0.3, "with combinations {a}, without {b}");
        let Fitted::CatBoost(c) = with.fitted() else {
            panic!()
        };
        assert!(!c.combinations.is_empty() && !c.combination_ctrs.is_empty());
        assert!(c.combinations.iter().any(|k| k.categorical == [0, 1]));
        // Every combination joins at most 4 parts (the default complexity).
        assert!(c
            .combinations
            .iter()
            .all(|k| k.categorical.len() + k.thresholds.len() + k.equals.len() <= 4));
        let Fitted::CatBoost(c1) = without.fitted() else {
            panic!()
        };
        assert!(c1.combinations.is_empty());
        // Fewer than 200 iterations: CatBoost's default complexity is 1.
        let short = fit(
            json!({"iterations": 50, "learning_rate": 0.3}),
            Task::Regression,
            &x,
            Labels::Values(&y),
        );
        let Fitted::CatBoost(s) = short.fitted() else {
            panic!()
        };
        assert!(s.combinations.is_empty());
        round_trip(&with);
        // Unseen and missing categories get the priors.
        assert!(with.predict(&[55.0, 1.0, 0.5]).unwrap().is_finite());
        assert!(with
            .predict(&[f32::NAN, f32::NAN, f32::NAN])
            .unwrap()
            .is_finite());
        // Both inputs of the pair carry importance.
        let imp = with.feature_importances().unwrap();
        assert!((imp.iter().sum::<f64>() - 1.0).abs() < 1e-9, "{imp:?}");
        assert!(imp[0] > 0.1 && imp[1] > 0.1, "{imp:?}");
        // Classification, with Counter-only combinations.
        let codes: Vec<u32> = y.iter().map(|&v| u32::from(v > 0.5)).collect();
        let m = fit(
            json!({"iterations": 300, "learning_rate": 0.2, "depth": 4, "combinations_ctr": ["Borders:Prior=0.5/1", "Counter"]}),
            Task::Classification,
            &x,
            Labels::Classes {
                codes: &codes,
                num_classes: 2,
            },
        );
        let right = (0..xt.rows())
            .filter(|&i| m.predict(&xt.row(i)) == Some(f32::from(u8::from(yt[i] > 0.5))))
            .count();
        assert!(right > 850, "{right} of 1000");
        let Fitted::CatBoost(k) = m.fitted() else {
            panic!()
        };
        assert!(k
            .combination_ctrs
            .iter()
            .all(|c| c.counter || c.prior == 0.5));
        round_trip(&m);
    }

    #[test]
    fn models_stored_before_combinations_still_load() {
        // The stored layout before `combinations` and `combination_ctrs` were added.
        #[derive(Serialize)]
        struct Before {
            num_features: usize,
            num_classes: usize,
            output: Output,
            nan_mode: NanMode,
            baseline: Vec<f64>,
            trees: Vec<ObliviousTree>,
            categorical: Vec<CategoricalInput>,
            ctrs: Vec<Ctr>,
            best_iteration: Option<u32>,
        }
        let (x, y, _) = categorical_data(500, 23);
        let m = fit(
            json!({"iterations": 30}),
            Task::Regression,
            &x,
            Labels::Values(&y),
        );
        let Fitted::CatBoost(c) = m.fitted().clone() else {
            panic!()
        };
        assert!(c.combinations.is_empty() && !c.ctrs.is_empty());
        let before = Before {
            num_features: c.num_features,
            num_classes: c.num_classes,
            output: c.output,
            nan_mode: c.nan_mode,
            baseline: c.baseline.clone(),
            trees: c.trees.clone(),
            categorical: c.categorical.clone(),
            ctrs: c.ctrs.clone(),
            best_iteration: c.best_iteration,
        };
        let bytes = postcard::to_stdvec(&before).unwrap();
        let back = Fitted::from_bytes("catboost_oblivious_trees", &bytes)
            .unwrap()
            .unwrap();
        assert_eq!(back, Fitted::CatBoost(c.clone()));
        // A tree naming a combined CTR the bytes lack is refused.
        let mut bad = before;
        bad.trees[0].features[0] = (c.num_features + c.ctrs.len()) as u32;
        let bytes = postcard::to_stdvec(&bad).unwrap();
        assert!(Fitted::from_bytes("catboost_oblivious_trees", &bytes)
            .unwrap()
            .is_err());
    }

    #[test]
    fn threads_do_not_change_the_model() {
        // Enough rows × candidates that two threads do score in parallel.
        let (x, y) = pair_data(6000, 24);
        let fits: Vec<Fitted> = [1, 2, 3]
            .iter()
            .map(|&t| {
                fit(
                    json!({"iterations": 220, "depth": 4, "nthread": t}),
                    Task::Regression,
                    &x,
                    Labels::Values(&y),
                )
                .fitted()
                .clone()
            })
            .collect();
        assert_eq!(fits[0], fits[1]);
        assert_eq!(fits[0], fits[2]);
        // thread_count may lower nthread.
        let a = Algorithm::parse("catboost").unwrap();
        let params = a
            .resolve(Task::Regression, &json!({"nthread": 2, "thread_count": 1}))
            .unwrap();
        let Options { threads, .. } = CatBoost.options(Task::Regression, &params).unwrap();
        assert_eq!(threads, 1);
    }

    #[test]
    fn early_stopping_watches_an_eval_part_of_the_training_rows() {
        let (x, _, y) = data(600, 13);
        let m = fit(
            json!({"iterations": 2000, "learning_rate": 0.5, "early_stopping_rounds": 10}),
            Task::Regression,
            &x,
            Labels::Values(&y),
        );
        let Fitted::CatBoost(c) = m.fitted() else {
            panic!()
        };
        let best = c.best_iteration.unwrap() as usize;
        // use_best_model (on by default with an eval part): the trees up to the best.
        assert_eq!(c.trees.len(), best + 1);
        assert!(best < 1900, "{best}");
        let metrics = m.fit_metrics();
        assert_eq!(metrics["best_iteration"], best as f64);
        let kept = fit(
            json!({"iterations": 2000, "learning_rate": 0.5, "od_type": "Iter", "od_wait": 10, "use_best_model": false}),
            Task::Regression,
            &x,
            Labels::Values(&y),
        );
        let Fitted::CatBoost(k) = kept.fitted() else {
            panic!()
        };
        assert_eq!(k.best_iteration, Some(best as u32));
        assert_eq!(k.trees.len(), best + 11);
        // Without a detector nothing stops, but the best iteration is still recorded.
        let all = fit(
            json!({"iterations": 50, "eval_fraction": 0.2, "use_best_model": false}),
            Task::Classification,
            &x,
            Labels::Classes {
                codes: &y.iter().map(|&v| u32::from(v > 3.0)).collect::<Vec<_>>(),
                num_classes: 2,
            },
        );
        let Fitted::CatBoost(a) = all.fitted() else {
            panic!()
        };
        assert_eq!(a.trees.len(), 50);
        assert!(a.best_iteration.is_some());
        // No eval part: no best iteration.
        let plain = fit(
            json!({"iterations": 5}),
            Task::Regression,
            &x,
            Labels::Values(&y),
        );
        assert!(plain.fit_metrics().is_empty());
    }
}
