//! `lightgbm`: gradient-boosted trees trained by LightGBM itself (its C library, 4.7.0, installed once
//! per machine by scripts/install-lightgbm and loaded at the first train by `pgml-lightgbm`), and
//! evaluated in Rust.
//!
//! Hyperparameters are LightGBM's, by its names and every alias it accepts (`lightgbm_params`,
//! generated from LightGBM's own list), with LightGBM's defaults; `n_estimators` (PostgresML's
//! name) is one of num_iterations' aliases. Only the parameters a user gives are handed on, so
//! LightGBM applies its own defaults exactly as the Python package does.
//!
//! The trees are read once from LightGBM's model text into flat arrays and walked here exactly as
//! LightGBM walks them (`x <= threshold` in double precision, its three missing-value rules,
//! leaf values in double precision summed in LightGBM's order), which is why they are not
//! `trees::Tree` (f32 values, `x < value`): the predictions are LightGBM's own, not close to
//! them. Every train checks that on the training rows against LightGBM's predict. The model text
//! is kept as the file `lightgbm.txt` for export (`lightgbm.Booster(model_file=...)` reads it).

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use super::lightgbm_params::{ALIASES, PARAMS, REFUSED};
use super::{wrong_labels, Fitted, Labels, Learner, Predictor};
use crate::hyperparams::{DefaultValue, Hyperparams, Kind, Param};
use crate::{Error, Matrix, Result, Task};

#[derive(Debug, Clone, Copy)]
pub struct Lightgbm;

pub(super) const fn flag(name: &'static str, default: DefaultValue) -> Param {
    Param {
        name,
        kind: Kind::Bool,
        default,
    }
}

pub(super) const fn text(name: &'static str, what: &'static str) -> Param {
    Param {
        name,
        kind: Kind::Text { what },
        default: DefaultValue::Null,
    }
}

/// A LightGBM parameter pgml refuses (files, networks, GPUs, ranking, ...): declared so that its
/// name is known and the refusal can say why (see `REFUSED`).
pub(super) const fn refused(name: &'static str) -> Param {
    Param {
        name,
        kind: Kind::Json,
        default: DefaultValue::Null,
    }
}

/// The objectives of a regression, by LightGBM's main names.
const REGRESSION: &[&str] = &[
    "regression",
    "regression_l1",
    "huber",
    "fair",
    "poisson",
    "quantile",
    "mape",
    "gamma",
    "tweedie",
];
const CLASSIFICATION: &[&str] = &["binary", "multiclass", "multiclassova"];

/// LightGBM's main name of an objective alias (its `ParseObjectiveAlias`).
fn main_objective(name: &str) -> &str {
    match name {
        "regression_l2"
        | "l2"
        | "mean_squared_error"
        | "mse"
        | "l2_root"
        | "root_mean_squared_error"
        | "rmse" => "regression",
        "l1" | "mean_absolute_error" | "mae" => "regression_l1",
        "mean_absolute_percentage_error" => "mape",
        "softmax" => "multiclass",
        "multiclass_ova" | "ova" | "ovr" => "multiclassova",
        other => other,
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// LightGBM's parameters as given (main names, LightGBM's text), in table order.
    pub params: Vec<(&'static str, String)>,
    /// The objective's main name, or None: regression, binary or multiclass by the task.
    pub objective: Option<String>,
    pub num_iterations: usize,
    /// Threads: nthread after the extension's cap, or a smaller alias.
    pub num_threads: usize,
    pub num_class: Option<usize>,
    /// Which importance pgml.feature_importances shows.
    pub importance: pgml_lightgbm::Importance,
}

fn both(a: &str, b: &str) -> Error {
    Error::invalid_with_hint(
        format!("hyperparameters {a} and {b} are the same LightGBM parameter; give only one"),
        format!("{a} and {b} are two of LightGBM's names of one parameter"),
    )
}

fn default_json(p: &Param) -> Json {
    match p.default {
        DefaultValue::Null => Json::Null,
        DefaultValue::Float(f) => serde_json::json!(f),
        DefaultValue::Int(i) => serde_json::json!(i),
        DefaultValue::Bool(b) => Json::Bool(b),
        DefaultValue::Str(s) => Json::String(s.into()),
    }
}

fn same(a: &Json, b: &Json) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// A value as LightGBM's parameter text reads it. Lists become LightGBM's comma lists
/// (`[1, 0, -1]` → `1,0,-1`; `[[0, 1], [2]]` → `[0,1],[2]`). LightGBM splits its parameter text
/// on blanks and `=`, so a value holding either could set another parameter: refused.
fn lightgbm_text(name: &str, v: &Json) -> Result<String> {
    let s = match v {
        Json::Bool(b) => b.to_string(),
        Json::Number(n) => n.to_string(),
        Json::String(s) => {
            let t = s.trim();
            if t.starts_with("[[") {
                t[1..t.len().saturating_sub(1).max(1)].replace(' ', "")
            } else if t.starts_with('[') {
                t.trim_start_matches('[')
                    .trim_end_matches(']')
                    .replace(['"', ' '], "")
            } else {
                t.to_string()
            }
        }
        other => other.to_string(),
    };
    if s.is_empty()
        || s.chars()
            .any(|c| c.is_whitespace() || c == '=' || c == '\0' || c == '"')
    {
        return Err(Error::invalid(format!(
            "hyperparameter {name} of lightgbm has a value LightGBM cannot take: {v}"
        )));
    }
    Ok(s)
}

fn param(name: &str) -> Option<&'static Param> {
    PARAMS.iter().find(|p| p.name == name)
}

impl Learner for Lightgbm {
    type Options = Options;

    fn name(&self) -> &'static str {
        "lightgbm"
    }

    fn tasks(&self) -> &'static [Task] {
        &[Task::Regression, Task::Classification]
    }

    fn estimator_name(&self, task: Task) -> &'static str {
        match task {
            Task::Classification => "LGBMClassifier",
            _ => "LGBMRegressor",
        }
    }

    fn params(&self, _task: Task) -> &'static [Param] {
        PARAMS
    }

    fn options(&self, task: Task, params: &Hyperparams) -> Result<Options> {
        let all = params.to_json();
        for &(name, why) in REFUSED {
            if !all[name].is_null() {
                return Err(Error::not_supported(
                    format!("LightGBM's parameter {name} is not available in pgml"),
                    why,
                ));
            }
        }
        let mut chosen: Vec<(&'static str, Json)> = Vec::new();
        for &(main, aliases) in ALIASES {
            let p = param(main).ok_or_else(|| Error::invalid(format!("no parameter {main}")))?;
            if main == "nthread" {
                // The extension has replaced nthread by at most the cap (pgml.training_threads);
                // an alias (num_threads, n_jobs, ...) may only ask for fewer.
                let capped = params.int("nthread")?.max(1);
                let asked = aliases
                    .iter()
                    .filter_map(|a| all[*a].as_i64())
                    .filter(|&v| v > 0)
                    .min()
                    .unwrap_or(capped);
                chosen.push(("nthread", serde_json::json!(asked.min(capped))));
                continue;
            }
            let main_value = &all[main];
            // The main name counts as given when it differs from LightGBM's default (a default
            // cannot be told from a value given equal to it, and means the same).
            let mut given: Option<(&str, &Json)> = (!main_value.is_null()
                && !same(main_value, &default_json(p)))
            .then_some((main, main_value));
            for &a in aliases {
                let v = &all[a];
                if v.is_null() {
                    continue;
                }
                match given {
                    Some((n, g)) if !same(g, v) => return Err(both(n, a)),
                    Some(_) => {}
                    None => given = Some((a, v)),
                }
            }
            if let Some((_, v)) = given {
                chosen.push((main, v.clone()));
            }
        }
        let take = |name: &str| chosen.iter().find(|(n, _)| *n == name).map(|(_, v)| v);
        let objective = take("objective")
            .and_then(Json::as_str)
            .map(|o| main_objective(o).to_string());
        if let Some(o) = &objective {
            let list = match task {
                Task::Classification => CLASSIFICATION,
                _ => REGRESSION,
            };
            if !list.contains(&o.as_str()) {
                return Err(Error::invalid_with_hint(
                    format!("LightGBM objective {o} does not fit a {task} task"),
                    format!(
                        "{task} objectives: {} (and LightGBM's aliases of them)",
                        list.join(", ")
                    ),
                ));
            }
        }
        let num_iterations = take("num_iterations")
            .and_then(Json::as_i64)
            .unwrap_or(100)
            .max(1) as usize;
        let num_threads = take("nthread").and_then(Json::as_i64).unwrap_or(1).max(1) as usize;
        let num_class = take("num_class")
            .and_then(Json::as_i64)
            .map(|c| c.max(1) as usize);
        let importance = match (
            params.opt_str("importance_type")?,
            take("saved_feature_importance_type").and_then(Json::as_i64),
        ) {
            (Some("gain"), _) | (None, Some(1)) => pgml_lightgbm::Importance::Gain,
            _ => pgml_lightgbm::Importance::Split,
        };
        let mut out = Vec::new();
        for (name, v) in &chosen {
            if ["objective", "num_iterations", "nthread", "num_class"].contains(name) {
                continue;
            }
            out.push((*name, lightgbm_text(name, v)?));
        }
        Ok(Options {
            params: out,
            objective,
            num_iterations,
            num_threads,
            num_class,
            importance,
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
        let (labels, objective, num_class) = match (labels, task) {
            (Labels::Values(y), Task::Regression) => {
                if o.num_class.is_some_and(|c| c != 1) {
                    return Err(Error::invalid("num_class must be 1 for a regression"));
                }
                let objective = o.objective.clone().unwrap_or_else(|| "regression".into());
                (y.to_vec(), objective, 1)
            }
            (Labels::Classes { codes, num_classes }, Task::Classification) => {
                let objective = o.objective.clone().unwrap_or_else(|| {
                    if num_classes == 2 {
                        "binary"
                    } else {
                        "multiclass"
                    }
                    .to_string()
                });
                if objective == "binary" && num_classes != 2 {
                    return Err(Error::invalid_with_hint(
                        format!("LightGBM objective binary needs two classes; the label has {num_classes}"),
                        "use multiclass (the default for more than two classes) or multiclassova",
                    ));
                }
                let k = if objective == "binary" {
                    1
                } else {
                    num_classes
                };
                if let Some(c) = o.num_class.filter(|&c| c != k && !(k == 1 && c == 1)) {
                    return Err(Error::invalid(format!(
                        "num_class is {c}, but the label has {num_classes} classes (leave num_class out: pgml sets it)"
                    )));
                }
                (codes.iter().map(|&c| c as f32).collect(), objective, k)
            }
            _ => return Err(wrong_labels(self.name(), task)),
        };
        let mut text = format!("objective={objective} num_threads={}", o.num_threads);
        if num_class > 1 {
            text.push_str(&format!(" num_class={num_class}"));
        }
        if !o.params.iter().any(|(n, _)| *n == "verbosity") {
            // LightGBM's default (1) writes to the backend's stdout, which is the server log.
            text.push_str(" verbosity=-1");
        }
        for (name, value) in &o.params {
            text.push_str(&format!(" {name}={value}"));
        }
        let model = train(
            x,
            &labels,
            &text,
            o.num_iterations,
            o.importance,
            check_interrupts,
        )?;
        Ok(Fitted::Lightgbm(model))
    }
}

fn lgb(e: pgml_lightgbm::Error) -> Error {
    Error::bad_data(e.to_string(), "check the hyperparameters")
}

/// The most LightGBM model text a model may grow to (projected from its first iteration, before
/// the rest are grown): reading it into pgml's trees takes a few times its size at the peak.
pub const MAX_MODEL_TEXT_BYTES: usize = 1 << 30;

/// How many rows of the training set the Rust evaluator is checked against LightGBM on.
const SELF_CHECK_ROWS: usize = 256;

/// Trains with LightGBM's parameter text `params` for up to `iterations` iterations, checking
/// for a cancel before each; the model, once pgml's evaluator was checked against LightGBM's
/// predict on the first training rows, with LightGBM's `importance` of each feature (summing
/// to 1).
pub fn train(
    x: &Matrix,
    labels: &[f32],
    params: &str,
    iterations: usize,
    importance: pgml_lightgbm::Importance,
    check_interrupts: &dyn Fn(),
) -> Result<LightgbmModel> {
    let (n, p) = (x.rows(), x.cols());
    // LightGBM reads pgml's column-major matrix in place (a row-major copy cost as much memory
    // as the matrix and ~0.3 s a million rows × 20 on one thread).
    let mut data =
        pgml_lightgbm::Dataset::from_columns(x.as_column_major(), n, p, params).map_err(lgb)?;
    data.set_labels(labels).map_err(lgb)?;
    let mut booster = pgml_lightgbm::Booster::new(&data, params).map_err(lgb)?;
    let empty = booster.save_model_string().map_err(lgb)?.len();
    for i in 0..iterations {
        check_interrupts();
        let finished = booster.update().map_err(lgb)?;
        if i == 0 && iterations > 1 {
            let first = booster.save_model_string().map_err(lgb)?.len();
            check_projected_size(first.saturating_sub(empty) as f64, iterations)?;
        }
        if finished {
            break;
        }
    }
    let native = booster.save_model_string().map_err(lgb)?;
    let model = LightgbmModel::from_model_text(&native)?;
    let rows = n.min(SELF_CHECK_ROWS);
    let row_major: Vec<f32> = (0..rows).flat_map(|i| x.row(i)).collect();
    let theirs = booster
        .predict(&row_major[..rows * p], rows, p)
        .map_err(lgb)?;
    let width = model.outputs();
    if theirs.len() != rows * width {
        return Err(disagree(format!(
            "LightGBM answered {} values for {rows} rows of {width}",
            theirs.len()
        )));
    }
    for i in 0..rows {
        let ours = model.lightgbm_output(&row_major[i * p..(i + 1) * p]);
        let want = &theirs[i * width..(i + 1) * width];
        // The same sums in the same order: equal but for the last bit of exp() at most.
        if ours
            .iter()
            .zip(want)
            .any(|(a, b)| (a - b).abs() > 1e-12 * b.abs().max(1.0))
        {
            return Err(disagree(format!(
                "pgml's tree evaluator disagrees with LightGBM on training row {i}: {ours:?} vs {want:?}"
            )));
        }
    }
    let raw = booster.feature_importance(importance).map_err(lgb)?;
    let sum: f64 = raw.iter().sum();
    let importances = raw
        .iter()
        .map(|v| if sum > 0.0 { v / sum } else { *v })
        .collect();
    Ok(LightgbmModel {
        native: native.into_bytes(),
        feature_importances: Some(importances),
        ..model
    })
}

fn disagree(message: String) -> Error {
    Error::BadModel {
        message,
        newer_format: false,
    }
}

/// Refuses a model of `iterations` iterations, `per_iteration` bytes of model text each, that
/// would outgrow [`MAX_MODEL_TEXT_BYTES`].
fn check_projected_size(per_iteration: f64, iterations: usize) -> Result<()> {
    let projected = per_iteration * iterations as f64;
    if projected <= MAX_MODEL_TEXT_BYTES as f64 {
        return Ok(());
    }
    Err(Error::too_large(
        format!(
            "{iterations} LightGBM iterations on this data would take about {:.1} GB",
            projected / 1e9
        ),
        format!(
            "lower num_iterations / n_estimators ({} fits), set a smaller num_leaves, or train on fewer rows",
            ((MAX_MODEL_TEXT_BYTES as f64 / per_iteration.max(1.0)) as usize).max(1)
        ),
    ))
}

/// How raw scores become predictions (LightGBM's objective line); stored by name.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(into = "StoredOutput", try_from = "StoredOutput")]
pub enum Output {
    /// regression, regression_l1, huber, fair, quantile, mape.
    Identity,
    /// A regression trained with reg_sqrt: the prediction is sign(s)·s².
    Square,
    /// poisson, gamma, tweedie: exp(s).
    Exp,
    /// binary: the probability of class 1 is 1 / (1 + exp(-sigmoid·s)).
    Binary { sigmoid: f64 },
    /// multiclass: softmax over the classes.
    Softmax,
    /// multiclassova: each class's own sigmoid (LightGBM does not normalise them).
    OneVsAll { sigmoid: f64 },
}

#[derive(Serialize, Deserialize)]
struct StoredOutput {
    name: String,
    sigmoid: f64,
}

impl From<Output> for StoredOutput {
    fn from(o: Output) -> StoredOutput {
        let (name, sigmoid) = match o {
            Output::Identity => ("identity", 0.0),
            Output::Square => ("square", 0.0),
            Output::Exp => ("exp", 0.0),
            Output::Binary { sigmoid } => ("binary", sigmoid),
            Output::Softmax => ("softmax", 0.0),
            Output::OneVsAll { sigmoid } => ("one_vs_all", sigmoid),
        };
        StoredOutput {
            name: name.into(),
            sigmoid,
        }
    }
}

impl TryFrom<StoredOutput> for Output {
    type Error = String;
    fn try_from(s: StoredOutput) -> std::result::Result<Output, String> {
        Ok(match s.name.as_str() {
            "identity" => Output::Identity,
            "square" => Output::Square,
            "exp" => Output::Exp,
            "binary" => Output::Binary { sigmoid: s.sigmoid },
            "softmax" => Output::Softmax,
            "one_vs_all" => Output::OneVsAll { sigmoid: s.sigmoid },
            other => return Err(format!("unknown LightGBM output {other:?}")),
        })
    }
}

/// One LightGBM tree in its own layout: internal node i splits on `feature[i]` at
/// `threshold[i]`; a child `c >= 0` is internal node c, `c < 0` is leaf `!c`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tree {
    pub feature: Vec<u32>,
    pub threshold: Vec<f64>,
    /// LightGBM's decision_type: bit 1 default left, bits 2-3 the missing type (0 none, 1 zero,
    /// 2 NaN). Categorical splits (bit 0) are refused when the model is read.
    pub decision: Vec<u8>,
    pub left: Vec<i32>,
    pub right: Vec<i32>,
    pub leaf_value: Vec<f64>,
}

/// LightGBM's kZeroThreshold.
const ZERO_THRESHOLD: f64 = 1e-35;

impl Tree {
    /// The leaf value of `x`, as LightGBM's `Tree::NumericalDecision` finds it.
    fn leaf(&self, x: &[f32]) -> f64 {
        if self.feature.is_empty() {
            return self.leaf_value[0];
        }
        let mut node = 0i32;
        while node >= 0 {
            let i = node as usize;
            let mut v = f64::from(x.get(self.feature[i] as usize).copied().unwrap_or(f32::NAN));
            let missing = (self.decision[i] >> 2) & 3;
            if v.is_nan() && missing != 2 {
                v = 0.0;
            }
            let is_missing = (missing == 1 && (-ZERO_THRESHOLD..=ZERO_THRESHOLD).contains(&v))
                || (missing == 2 && v.is_nan());
            let left = if is_missing {
                self.decision[i] & 2 != 0
            } else {
                v <= self.threshold[i]
            };
            node = if left { self.left[i] } else { self.right[i] };
        }
        self.leaf_value[(!node) as usize]
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LightgbmModel {
    pub num_features: usize,
    pub output: Output,
    /// Trees per iteration (one per class of multiclass models, else one).
    pub per_iteration: usize,
    /// Random-forest mode (boosting rf): the raw score is the mean over iterations.
    pub average_output: bool,
    pub trees: Vec<Tree>,
    /// LightGBM's own model text, for export. Not part of the serialized model: it is stored as
    /// a file of its own (`native_files`), so loading a model for predict reads only the trees.
    #[serde(skip)]
    pub native: Vec<u8>,
    #[serde(skip)]
    pub feature_importances: Option<Vec<f64>>,
}

fn sigmoid(m: f64) -> f64 {
    1.0 / (1.0 + (-m).exp())
}

impl LightgbmModel {
    /// Raw scores, one per tree of an iteration, summed as LightGBM's `GBDT::PredictRaw` does.
    fn raw(&self, x: &[f32]) -> Vec<f64> {
        let k = self.per_iteration.max(1);
        let mut s = vec![0.0f64; k];
        for (i, t) in self.trees.iter().enumerate() {
            s[i % k] += t.leaf(x);
        }
        if self.average_output {
            let iterations = (self.trees.len() / k).max(1) as f64;
            for v in &mut s {
                *v /= iterations;
            }
        }
        s
    }

    /// What LightGBM's predict answers for a row (values, or probabilities per class; one for
    /// binary), in double precision.
    pub fn lightgbm_output(&self, x: &[f32]) -> Vec<f64> {
        let mut s = self.raw(x);
        match self.output {
            Output::Identity => {}
            Output::Square => s[0] = s[0].signum() * s[0] * s[0],
            Output::Exp => s[0] = s[0].exp(),
            Output::Binary { sigmoid: a } => s[0] = sigmoid(a * s[0]),
            Output::Softmax => {
                let max = s.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let mut sum = 0.0;
                for v in &mut s {
                    *v = (*v - max).exp();
                    sum += *v;
                }
                for v in &mut s {
                    *v /= sum;
                }
            }
            Output::OneVsAll { sigmoid: a } => {
                for v in &mut s {
                    *v = sigmoid(a * *v);
                }
            }
        }
        s
    }

    fn outputs(&self) -> usize {
        match self.output {
            Output::Softmax | Output::OneVsAll { .. } => self.per_iteration,
            _ => 1,
        }
    }

    fn is_classifier(&self) -> bool {
        matches!(
            self.output,
            Output::Binary { .. } | Output::Softmax | Output::OneVsAll { .. }
        )
    }

    /// Reads LightGBM's model text (format v4).
    pub fn from_model_text(text: &str) -> Result<LightgbmModel> {
        let bad = |what: String| Error::BadModel {
            message: format!("LightGBM model text: {what}"),
            newer_format: false,
        };
        let (header, rest) = text
            .split_once("\nTree=")
            .map(|(h, r)| (h, Some(r)))
            .unwrap_or((text, None));
        let mut fields = std::collections::HashMap::new();
        let mut average_output = false;
        for line in header.lines() {
            match line.split_once('=') {
                Some((k, v)) => {
                    fields.insert(k.trim(), v.trim());
                }
                None if line.trim() == "average_output" => average_output = true,
                None => {}
            }
        }
        let number = |k: &str| -> Result<usize> {
            fields
                .get(k)
                .and_then(|v| v.parse::<usize>().ok())
                .ok_or_else(|| bad(format!("no {k}")))
        };
        let num_features = number("max_feature_idx")? + 1;
        let per_iteration = number("num_tree_per_iteration")?.max(1);
        let objective = fields
            .get("objective")
            .ok_or_else(|| bad("no objective".into()))?;
        let mut words = objective.split_whitespace();
        let name = words.next().unwrap_or_default();
        let options: std::collections::HashMap<&str, &str> =
            words.filter_map(|w| w.split_once(':')).collect();
        let sqrt = objective.split_whitespace().any(|w| w == "sqrt");
        let sigmoid_of = || -> Result<f64> {
            options
                .get("sigmoid")
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| bad(format!("objective {objective:?} without sigmoid")))
        };
        let output = match name {
            "regression" | "regression_l1" | "huber" | "fair" | "quantile" | "mape" if sqrt => {
                Output::Square
            }
            "regression" | "regression_l1" | "huber" | "fair" | "quantile" | "mape" => {
                Output::Identity
            }
            "poisson" | "gamma" | "tweedie" => Output::Exp,
            "binary" => Output::Binary {
                sigmoid: sigmoid_of()?,
            },
            "multiclass" => Output::Softmax,
            "multiclassova" => Output::OneVsAll {
                sigmoid: sigmoid_of()?,
            },
            other => {
                return Err(bad(format!(
                    "objective {other:?} is not one pgml evaluates"
                )))
            }
        };
        let mut trees = Vec::new();
        if let Some(rest) = rest {
            let body = rest.split("\nend of trees").next().unwrap_or_default();
            for block in body.split("\nTree=") {
                trees.push(
                    read_tree(block, num_features)
                        .map_err(|e| bad(format!("tree {}: {e}", trees.len())))?,
                );
            }
        }
        if trees.len() % per_iteration != 0 {
            return Err(bad(format!(
                "{} trees are not whole iterations of {per_iteration}",
                trees.len()
            )));
        }
        Ok(LightgbmModel {
            num_features,
            output,
            per_iteration,
            average_output,
            trees,
            native: Vec::new(),
            feature_importances: None,
        })
    }
}

/// One `Tree=N` block of LightGBM's model text (without its `Tree=` prefix).
fn read_tree(block: &str, num_features: usize) -> std::result::Result<Tree, String> {
    let mut fields = std::collections::HashMap::new();
    for line in block.lines() {
        if let Some((k, v)) = line.split_once('=') {
            fields.insert(k.trim(), v.trim());
        }
    }
    fn list<T: std::str::FromStr>(
        fields: &std::collections::HashMap<&str, &str>,
        k: &str,
    ) -> std::result::Result<Vec<T>, String> {
        fields
            .get(k)
            .ok_or_else(|| format!("no {k}"))?
            .split_whitespace()
            .map(|v| v.parse::<T>().map_err(|_| format!("bad {k} value {v:?}")))
            .collect()
    }
    let leaves: usize = fields
        .get("num_leaves")
        .and_then(|v| v.parse().ok())
        .ok_or("no num_leaves")?;
    if fields.get("num_cat").is_some_and(|v| *v != "0") {
        return Err("categorical splits are not evaluated by pgml".into());
    }
    if fields.get("is_linear").is_some_and(|v| *v != "0") {
        return Err("linear trees are not evaluated by pgml".into());
    }
    let leaf_value: Vec<f64> = list(&fields, "leaf_value")?;
    if leaves == 0 || leaf_value.len() != leaves {
        return Err(format!(
            "{} leaf values for {leaves} leaves",
            leaf_value.len()
        ));
    }
    if leaves == 1 {
        return Ok(Tree {
            feature: Vec::new(),
            threshold: Vec::new(),
            decision: Vec::new(),
            left: Vec::new(),
            right: Vec::new(),
            leaf_value,
        });
    }
    let internal = leaves - 1;
    let feature: Vec<u32> = list(&fields, "split_feature")?;
    let threshold: Vec<f64> = list(&fields, "threshold")?;
    let decision: Vec<u8> = list(&fields, "decision_type")?;
    let left: Vec<i32> = list(&fields, "left_child")?;
    let right: Vec<i32> = list(&fields, "right_child")?;
    if [
        feature.len(),
        threshold.len(),
        decision.len(),
        left.len(),
        right.len(),
    ]
    .iter()
    .any(|&l| l != internal)
    {
        return Err("node arrays of different lengths".into());
    }
    if feature.iter().any(|&f| f as usize >= num_features) {
        return Err("a split on a feature the model does not have".into());
    }
    if decision.iter().any(|d| d & 1 != 0) {
        return Err("categorical splits are not evaluated by pgml".into());
    }
    // LightGBM numbers a node's internal children after it, so every walk ends at a leaf; a
    // child that points back (or outside the tree) would make a malformed model loop.
    for (i, &c) in left.iter().chain(&right).enumerate() {
        let parent = i % internal;
        let ok = if c >= 0 {
            (c as usize) > parent && (c as usize) < internal
        } else {
            ((!c) as usize) < leaves
        };
        if !ok {
            return Err(format!("child {c} of node {parent} is out of order"));
        }
    }
    Ok(Tree {
        feature,
        threshold,
        decision,
        left,
        right,
        leaf_value,
    })
}

impl Predictor for LightgbmModel {
    fn num_features(&self) -> usize {
        self.num_features
    }
    fn predict(&self, x: &[f32]) -> Option<f32> {
        let out = self.lightgbm_output(x);
        Some(match self.output {
            // LGBMClassifier: class 1 when its probability is above one half.
            Output::Binary { .. } => f32::from(u8::from(out[0] > 0.5)),
            Output::Softmax | Output::OneVsAll { .. } => {
                let mut best = 0;
                for c in 1..out.len() {
                    if out[c] > out[best] {
                        best = c;
                    }
                }
                best as f32
            }
            _ => out[0] as f32,
        })
    }
    fn predict_proba(&self, x: &[f32]) -> Option<Vec<f32>> {
        if !self.is_classifier() {
            return None;
        }
        let out = self.lightgbm_output(x);
        Some(match self.output {
            Output::Binary { .. } => vec![(1.0 - out[0]) as f32, out[0] as f32],
            _ => out.into_iter().map(|v| v as f32).collect(),
        })
    }
    fn feature_importances(&self) -> Option<Vec<f64>> {
        self.feature_importances.clone()
    }
    fn native_files(&self) -> Vec<(&'static str, &[u8])> {
        if self.native.is_empty() {
            Vec::new()
        } else {
            vec![("lightgbm.txt", self.native.as_slice())]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hyperparams;
    use serde_json::json;

    fn options(task: Task, given: Json) -> Result<Options> {
        let params = hyperparams::resolve("lightgbm", PARAMS, &given)?;
        Lightgbm.options(task, &params)
    }

    fn data(n: usize) -> (Matrix, Vec<f32>) {
        let cols: Vec<f32> = (0..n)
            .map(|i| (i as f32 * 0.37).sin())
            .chain((0..n).map(|i| ((i * 7) % 13) as f32))
            .chain((0..n).map(|i| (i % 5) as f32 - 2.0))
            .collect();
        let x = Matrix::from_columns(n, 3, cols).unwrap();
        let y = (0..n)
            .map(|i| 3.0 * x.get(i, 0) + 0.5 * x.get(i, 1) - x.get(i, 2).abs())
            .collect();
        (x, y)
    }

    fn fit(task: Task, x: &Matrix, labels: Labels<'_>, given: Json) -> Result<LightgbmModel> {
        let o = options(task, given)?;
        match Lightgbm.fit(task, &o, x, labels, &|| {})? {
            Fitted::Lightgbm(m) => Ok(m),
            other => panic!("{}", other.kind()),
        }
    }

    /// The alias table against the loaded library's own list (LightGBM's dump names the
    /// parameters that have aliases).
    #[test]
    fn aliases_are_lightgbms_own() {
        let theirs: serde_json::Map<String, Json> =
            serde_json::from_str(&pgml_lightgbm::param_aliases().unwrap()).unwrap();
        let main_of = |name: &str| -> Option<&str> {
            ALIASES
                .iter()
                .find(|(m, a)| *m == name || a.contains(&name))
                .map(|(m, _)| if *m == "nthread" { "num_threads" } else { *m })
        };
        let refused = |name: &str| REFUSED.iter().any(|(n, _)| *n == name);
        for (main, aliases) in &theirs {
            for a in aliases
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap())
            {
                assert!(
                    main_of(a) == Some(main.as_str()) || (refused(a) && refused(main)),
                    "LightGBM's {a} (of {main}) is {:?} here",
                    main_of(a)
                );
            }
        }
        for (main, aliases) in ALIASES {
            for a in aliases.iter() {
                let listed = theirs.contains_key(*a)
                    || theirs
                        .values()
                        .any(|v| v.as_array().unwrap().iter().any(|n| n == a));
                assert!(listed, "{a} (of {main}) is not one of LightGBM's aliases");
            }
        }
    }

    #[test]
    fn only_given_parameters_are_handed_on_by_their_main_names() {
        let o = options(Task::Regression, json!({})).unwrap();
        assert!(o.params.is_empty(), "{:?}", o.params);
        assert_eq!(o.num_iterations, 100);
        let o = options(
            Task::Regression,
            json!({"n_estimators": 7, "eta": 0.05, "num_leaves": 31, "subsample": 0.5,
                   "monotone_constraints": [1, 0, -1], "interaction_constraints": [[0, 1], [2]]}),
        )
        .unwrap();
        assert_eq!(o.num_iterations, 7);
        assert_eq!(
            o.params,
            vec![
                ("learning_rate", "0.05".to_string()),
                ("bagging_fraction", "0.5".to_string()),
                ("monotone_constraints", "1,0,-1".to_string()),
                ("interaction_constraints", "[0,1],[2]".to_string()),
            ]
        );
    }

    #[test]
    fn bad_parameters_are_refused_with_their_names() {
        let e = |given: Json| options(Task::Regression, given).unwrap_err().to_string();
        assert!(e(json!({"num_leaves": "many"})).contains("num_leaves"));
        assert!(e(json!({"learning_rate": true})).contains("learning_rate"));
        assert!(e(json!({"no_such": 1})).contains("no_such"));
        assert!(e(json!({"eta": 0.1, "shrinkage_rate": 0.2})).contains("same LightGBM parameter"));
        assert!(e(json!({"num_iterations": 5, "n_estimators": 6})).contains("n_estimators"));
        assert!(e(json!({"objective": "binary"})).contains("does not fit"));
        assert!(e(json!({"output_model": "/tmp/x"})).contains("not available"));
        assert!(e(json!({"metric": "l2 num_threads=64"})).contains("cannot take"));
        let c = options(Task::Classification, json!({"objective": "mse"})).unwrap_err();
        assert!(c.to_string().contains("does not fit"), "{c}");
    }

    #[test]
    fn threads_never_exceed_the_cap() {
        // The extension has set nthread to the cap (4 here); an alias may ask for fewer only.
        let o = options(Task::Regression, json!({"nthread": 4, "n_jobs": 16})).unwrap();
        assert_eq!(o.num_threads, 4);
        let o = options(Task::Regression, json!({"nthread": 4, "num_threads": 2})).unwrap();
        assert_eq!(o.num_threads, 2);
    }

    #[test]
    fn regression_predicts_as_lightgbm_and_keeps_its_model_text() {
        let (x, y) = data(500);
        let m = fit(
            Task::Regression,
            &x,
            Labels::Values(&y),
            json!({"n_estimators": 30, "nthread": 1, "min_data_in_leaf": 5}),
        )
        .unwrap();
        assert_eq!(m.trees.len(), 30);
        let text = std::str::from_utf8(&m.native).unwrap();
        let booster = pgml_lightgbm::Booster::load(text).unwrap();
        let row = x.row(17);
        let theirs = booster.predict(&row, 1, 3).unwrap();
        assert_eq!(m.lightgbm_output(&row), theirs);
        let pred: Vec<f32> = (0..x.rows())
            .map(|i| m.predict(&x.row(i)).unwrap())
            .collect();
        let r2 = crate::metrics::regression(&y, &pred)["r2"];
        assert!(r2 > 0.9, "{r2}");
        let imp = m.feature_importances.clone().unwrap();
        assert!((imp.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        assert_eq!(m.native_files()[0].0, "lightgbm.txt");
        // The serialized model (without the text) predicts the same.
        let back: LightgbmModel = postcard::from_bytes(&postcard::to_stdvec(&m).unwrap()).unwrap();
        assert_eq!(back.lightgbm_output(&row), theirs);
    }

    #[test]
    fn every_objective_is_evaluated_as_lightgbm_does() {
        let (x, y) = data(300);
        let positive: Vec<f32> = y.iter().map(|v| v.abs() + 0.1).collect();
        for (objective, extra) in [
            ("regression", json!({})),
            ("regression_l1", json!({})),
            ("huber", json!({})),
            ("fair", json!({})),
            ("quantile", json!({"alpha": 0.3})),
            ("mape", json!({})),
            ("poisson", json!({})),
            ("gamma", json!({})),
            ("tweedie", json!({})),
            ("regression", json!({"reg_sqrt": true})),
            (
                "regression",
                json!({"boosting": "rf", "bagging_freq": 1, "bagging_fraction": 0.5}),
            ),
            ("regression", json!({"boosting": "dart"})),
        ] {
            let mut given = json!({"objective": objective, "n_estimators": 10, "nthread": 1});
            for (k, v) in extra.as_object().unwrap() {
                given[k] = v.clone();
            }
            // train() itself compares with LightGBM's predict on the training rows.
            fit(Task::Regression, &x, Labels::Values(&positive), given)
                .unwrap_or_else(|e| panic!("{objective} {extra}: {e}"));
        }
        let codes2: Vec<u32> = y.iter().map(|&v| u32::from(v > 2.0)).collect();
        let codes3: Vec<u32> = y
            .iter()
            .map(|&v| (v.clamp(0.0, 5.9) / 2.0) as u32)
            .collect();
        for (codes, k, objective) in [
            (&codes2, 2, "binary"),
            (&codes3, 3, "multiclass"),
            (&codes3, 3, "multiclassova"),
            (&codes2, 2, "multiclass"),
        ] {
            let m = fit(
                Task::Classification,
                &x,
                Labels::Classes {
                    codes,
                    num_classes: k,
                },
                json!({"objective": objective, "n_estimators": 10, "nthread": 1}),
            )
            .unwrap_or_else(|e| panic!("{objective}: {e}"));
            let p = m.predict_proba(&x.row(3)).unwrap();
            assert_eq!(p.len(), k);
        }
        let e = fit(
            Task::Classification,
            &x,
            Labels::Classes {
                codes: &codes3,
                num_classes: 3,
            },
            json!({"objective": "binary"}),
        )
        .unwrap_err();
        assert!(e.to_string().contains("two classes"), "{e}");
    }

    #[test]
    fn cancel_is_checked_between_iterations_and_huge_models_are_refused() {
        let (x, y) = data(200);
        let calls = std::cell::Cell::new(0);
        let o = options(Task::Regression, json!({"n_estimators": 12, "nthread": 1})).unwrap();
        Lightgbm
            .fit(Task::Regression, &o, &x, Labels::Values(&y), &|| {
                calls.set(calls.get() + 1)
            })
            .unwrap();
        assert_eq!(calls.get(), 12);
        let o = options(
            Task::Regression,
            json!({"n_estimators": 1_000_000, "nthread": 1, "num_leaves": 64, "min_data_in_leaf": 1}),
        )
        .unwrap();
        let e = Lightgbm
            .fit(Task::Regression, &o, &x, Labels::Values(&y), &|| {})
            .unwrap_err();
        assert!(matches!(e, Error::TooLarge { .. }), "{e}");
    }

    #[test]
    fn malformed_model_text_is_refused() {
        let (x, y) = data(100);
        let m = fit(
            Task::Regression,
            &x,
            Labels::Values(&y),
            json!({"n_estimators": 2, "nthread": 1}),
        )
        .unwrap();
        let text = String::from_utf8(m.native).unwrap();
        let looped = text.replacen("left_child=1", "left_child=0", 1);
        assert!(LightgbmModel::from_model_text(&looped).is_err());
        let unknown = text.replace("objective=regression", "objective=lambdarank");
        assert!(LightgbmModel::from_model_text(&unknown).is_err());
    }
}
