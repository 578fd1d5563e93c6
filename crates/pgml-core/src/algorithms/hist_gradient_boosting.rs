//! `hist_gradient_boosting`: scikit-learn's HistGradientBoostingRegressor /
//! HistGradientBoostingClassifier (`ensemble/_hist_gradient_boosting/gradient_boosting.py`):
//! features binned once (`hist_grower::bin`), then `max_iter` iterations, each growing one
//! histogram tree per output (`hist_grower::grow`) on the loss's gradients and hessians (f32, as
//! scikit-learn keeps them), leaves at −G / (H + `l2_regularization`) times `learning_rate`
//! (absolute_error and quantile: the leaf's percentile of the residuals). Losses squared_error,
//! absolute_error, poisson, gamma, quantile; log_loss (binary, or one tree per class an
//! iteration). Early stopping ('auto': above 10 000 rows) on the loss of a held-out
//! `validation_fraction`. Missing values are routed as scikit-learn routes them.
//!
//! The fitted trees are `trees::Tree`s, walked by the same flat evaluator as XGBoost's.
//! Threads: the binning and every tree's histograms and partitions use up to `nthread` (capped
//! by `pgml.training_threads`), on one `Pool` started for the fit, whose idle workers sleep;
//! the fitted model is the same whatever the threads. The cancel check runs before every
//! split, on the calling thread.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use super::boosting::{
    class_priors, percentile, sigmoid, symmetric_log, validation_split, weighted_percentile, Output,
};
use super::hist_grower::{self, Binned, Gradients, GrowParams, Grown};
use super::packed::{PackedCache, PackedTrees};
use super::params::{float, int, INF, NTHREAD};
use super::trees::Tree;
use super::xgboost::RANDOM_STATE;
use super::{Fitted, Labels, Learner, Predictor};
use crate::hyperparams::{ClassWeight, DefaultValue, Hyperparams, Kind, Param};
use crate::pool::{scoped_each, Pool};
use crate::split::SplitMix64;
use crate::{Error, Matrix, Result, Task};

#[derive(Debug, Clone, Copy)]
pub struct HistGradientBoosting;

/// The most the fitted trees may take in memory; refused early, as for the forests.
pub const MAX_MODEL_BYTES: usize = super::forest::MAX_FOREST_BYTES;
/// The fewest rows a thread computes gradients, adds leaf values or scores validation rows for.
const GRADIENT_CHUNK: usize = 16_384;

/// Rows per run for the per-row steps of an iteration: about four runs a thread (a thread the
/// scheduler starts late leaves its runs to the others), at least [`GRADIENT_CHUNK`].
fn run_length(rows: usize, threads: usize) -> usize {
    rows.div_ceil(4 * threads.max(1)).max(GRADIENT_CHUNK)
}
/// `early_stopping` 'auto' turns it on above this many rows (scikit-learn's rule).
const AUTO_EARLY_STOPPING_ROWS: usize = 10_000;

const BIG: i64 = i32::MAX as i64;

const fn json(name: &'static str, default: DefaultValue) -> Param {
    Param {
        name,
        kind: Kind::Json,
        default,
    }
}

const LEARNING_RATE: Param = float("learning_rate", 0.0, INF, true, DefaultValue::Float(0.1));
const MAX_ITER: Param = int("max_iter", 1, 100_000, DefaultValue::Int(100));
const MAX_LEAF_NODES: Param = int("max_leaf_nodes", 2, BIG, DefaultValue::Int(31));
const MAX_DEPTH: Param = int("max_depth", 1, BIG, DefaultValue::Null);
const MIN_SAMPLES_LEAF: Param = int("min_samples_leaf", 1, BIG, DefaultValue::Int(20));
const L2_REGULARIZATION: Param = float(
    "l2_regularization",
    0.0,
    INF,
    false,
    DefaultValue::Float(0.0),
);
const MAX_FEATURES: Param = float("max_features", 0.0, 1.0, true, DefaultValue::Float(1.0));
const MAX_BINS: Param = int("max_bins", 2, 255, DefaultValue::Int(255));
const CATEGORICAL_FEATURES: Param = json("categorical_features", DefaultValue::Null);
const MONOTONIC_CST: Param = json("monotonic_cst", DefaultValue::Null);
const INTERACTION_CST: Param = json("interaction_cst", DefaultValue::Null);
const WARM_START: Param = Param {
    name: "warm_start",
    kind: Kind::Bool,
    default: DefaultValue::Bool(false),
};
const EARLY_STOPPING: Param = json("early_stopping", DefaultValue::Str("auto"));
const SCORING: Param = json("scoring", DefaultValue::Str("loss"));
const VALIDATION_FRACTION: Param = float(
    "validation_fraction",
    0.0,
    1.0,
    true,
    DefaultValue::Float(0.1),
);
const N_ITER_NO_CHANGE: Param = int("n_iter_no_change", 1, BIG, DefaultValue::Int(10));
const TOL: Param = float("tol", 0.0, INF, false, DefaultValue::Float(1e-7));
const VERBOSE: Param = int("verbose", 0, BIG, DefaultValue::Int(0));

/// scikit-learn's parameters in its order, then pgml's `nthread`.
const REGRESSION: &[Param] = &[
    Param {
        name: "loss",
        kind: Kind::Choice(&[
            "squared_error",
            "absolute_error",
            "gamma",
            "poisson",
            "quantile",
        ]),
        default: DefaultValue::Str("squared_error"),
    },
    float("quantile", 0.0, 1.0, true, DefaultValue::Null),
    LEARNING_RATE,
    MAX_ITER,
    MAX_LEAF_NODES,
    MAX_DEPTH,
    MIN_SAMPLES_LEAF,
    L2_REGULARIZATION,
    MAX_FEATURES,
    MAX_BINS,
    CATEGORICAL_FEATURES,
    MONOTONIC_CST,
    INTERACTION_CST,
    WARM_START,
    EARLY_STOPPING,
    SCORING,
    VALIDATION_FRACTION,
    N_ITER_NO_CHANGE,
    TOL,
    VERBOSE,
    RANDOM_STATE,
    NTHREAD,
];

const CLASSIFICATION: &[Param] = &[
    Param {
        name: "loss",
        kind: Kind::Choice(&["log_loss"]),
        default: DefaultValue::Str("log_loss"),
    },
    LEARNING_RATE,
    MAX_ITER,
    MAX_LEAF_NODES,
    MAX_DEPTH,
    MIN_SAMPLES_LEAF,
    L2_REGULARIZATION,
    MAX_FEATURES,
    MAX_BINS,
    CATEGORICAL_FEATURES,
    MONOTONIC_CST,
    INTERACTION_CST,
    WARM_START,
    EARLY_STOPPING,
    SCORING,
    VALIDATION_FRACTION,
    N_ITER_NO_CHANGE,
    TOL,
    VERBOSE,
    RANDOM_STATE,
    Param {
        name: "class_weight",
        kind: Kind::ClassWeight(&["balanced"]),
        default: DefaultValue::Null,
    },
    NTHREAD,
];

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Loss {
    SquaredError,
    AbsoluteError,
    Poisson,
    Gamma,
    Quantile(f64),
    /// Binary or multinomial, by the number of classes.
    LogLoss,
}

impl Loss {
    /// absolute_error and quantile: leaves are set from the residuals after growing.
    fn differentiable(self) -> bool {
        !matches!(self, Loss::AbsoluteError | Loss::Quantile(_))
    }

    fn constant_hessian(self) -> bool {
        matches!(
            self,
            Loss::SquaredError | Loss::AbsoluteError | Loss::Quantile(_)
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum EarlyStopping {
    Auto,
    On,
    Off,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    pub loss: Loss,
    pub learning_rate: f64,
    pub max_iter: usize,
    pub max_leaf_nodes: Option<usize>,
    pub max_depth: Option<usize>,
    pub min_samples_leaf: usize,
    pub l2_regularization: f64,
    pub max_features: f64,
    pub max_bins: usize,
    pub early_stopping: EarlyStopping,
    pub validation_fraction: f64,
    pub n_iter_no_change: usize,
    pub tol: f64,
    /// As sample weights: 'balanced' or given per class.
    pub class_weight: Option<ClassWeight>,
    pub random_state: u64,
    /// 0 means one thread here; the extension has already replaced 0 by its cap.
    pub nthread: usize,
}

/// A parameter declared [`Kind::Json`] with a text default: the default's text, or what the
/// user gave.
fn text_or_json(params: &Hyperparams, name: &str) -> Result<Option<Json>> {
    match params.opt_str(name) {
        Ok(Some(s)) => Ok(Some(Json::from(s))),
        Ok(None) => Ok(None),
        Err(_) => Ok(params.json(name)?.cloned()),
    }
}

fn not_supported(name: &str, what: &str, hint: &str) -> Error {
    Error::not_supported(
        format!(
            "hyperparameter {name} {what} is not supported by pgml's hist_gradient_boosting yet"
        ),
        hint,
    )
}

/// Refuses the scikit-learn parameters pgml does not implement unless they ask for nothing.
fn check_unsupported(params: &Hyperparams) -> Result<()> {
    let all_zero = |j: &Json| match j {
        Json::Array(a) => a
            .iter()
            .all(|v| v.as_f64() == Some(0.0) || v == &Json::Bool(false)),
        Json::Object(o) => o.values().all(|v| v.as_f64() == Some(0.0)),
        _ => false,
    };
    match params.json("categorical_features")? {
        None => {}
        // pgml's features are numbers: no column has a categorical dtype.
        Some(Json::String(s)) if s == "from_dtype" || s == "warn" => {}
        Some(j) if all_zero(j) || j == &Json::Array(Vec::new()) => {}
        Some(_) => {
            return Err(not_supported(
                "categorical_features",
                "(native categorical splits)",
                "leave categorical_features out: pgml encodes text columns before training (preprocess => '{\"column\": {\"encode\": \"one_hot\"}}')",
            ))
        }
    }
    match params.json("monotonic_cst")? {
        None => {}
        Some(j) if all_zero(j) => {}
        Some(_) => {
            return Err(not_supported(
                "monotonic_cst",
                "(monotonic constraints)",
                "leave monotonic_cst out, or all 0",
            ))
        }
    }
    if params.json("interaction_cst")?.is_some() {
        return Err(not_supported(
            "interaction_cst",
            "(interaction constraints)",
            "leave interaction_cst out",
        ));
    }
    match text_or_json(params, "scoring")? {
        Some(Json::String(s)) if s == "loss" => Ok(()),
        other => Err(not_supported(
            "scoring",
            &format!("{}", other.unwrap_or(Json::Null)),
            "use scoring 'loss' (early stopping on the validation loss)",
        )),
    }
}

impl Learner for HistGradientBoosting {
    type Options = Options;

    fn name(&self) -> &'static str {
        "hist_gradient_boosting"
    }

    fn tasks(&self) -> &'static [Task] {
        &[Task::Regression, Task::Classification]
    }

    fn estimator_name(&self, task: Task) -> &'static str {
        match task {
            Task::Classification => "HistGradientBoostingClassifier",
            _ => "HistGradientBoostingRegressor",
        }
    }

    fn params(&self, task: Task) -> &'static [Param] {
        match task {
            Task::Classification => CLASSIFICATION,
            _ => REGRESSION,
        }
    }

    fn options(&self, task: Task, params: &Hyperparams) -> Result<Options> {
        check_unsupported(params)?;
        let loss = match params.str("loss")? {
            "log_loss" => Loss::LogLoss,
            "absolute_error" => Loss::AbsoluteError,
            "poisson" => Loss::Poisson,
            "gamma" => Loss::Gamma,
            "quantile" => match params.opt_float("quantile")? {
                Some(q) if q < 1.0 => Loss::Quantile(q),
                _ => {
                    return Err(Error::invalid_with_hint(
                        "loss quantile needs hyperparameter quantile, a number greater than 0 and below 1",
                        "for example '{\"loss\": \"quantile\", \"quantile\": 0.9}'",
                    ))
                }
            },
            _ => Loss::SquaredError,
        };
        let early_stopping = match text_or_json(params, "early_stopping")? {
            Some(Json::String(s)) if s == "auto" => EarlyStopping::Auto,
            Some(Json::Bool(true)) => EarlyStopping::On,
            Some(Json::Bool(false)) => EarlyStopping::Off,
            other => {
                return Err(Error::invalid(format!(
                    "hyperparameter early_stopping of hist_gradient_boosting must be one of auto, true, false, got {}",
                    other.unwrap_or(Json::Null)
                )))
            }
        };
        let validation_fraction = params.float("validation_fraction")?;
        if validation_fraction >= 1.0 {
            return Err(Error::invalid(format!(
                "hyperparameter validation_fraction of hist_gradient_boosting must be a number greater than 0 and below 1, got {validation_fraction}"
            )));
        }
        let count = |v: Option<i64>| v.map(|v| usize::try_from(v).unwrap_or(usize::MAX));
        Ok(Options {
            loss,
            learning_rate: params.float("learning_rate")?,
            max_iter: params.usize("max_iter")?,
            max_leaf_nodes: count(params.opt_int("max_leaf_nodes")?),
            max_depth: count(params.opt_int("max_depth")?),
            min_samples_leaf: params.usize("min_samples_leaf")?,
            l2_regularization: params.float("l2_regularization")?,
            max_features: params.float("max_features")?,
            max_bins: params.usize("max_bins")?,
            early_stopping,
            validation_fraction,
            n_iter_no_change: params.usize("n_iter_no_change")?,
            tol: params.float("tol")?,
            class_weight: match task {
                Task::Classification => params.class_weight("class_weight")?,
                _ => None,
            },
            random_state: params.usize("random_state")? as u64,
            nthread: params.usize("nthread")?,
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
            Labels::Values(y) => {
                check_targets(o.loss, y)?;
                Target::Values(y)
            }
            Labels::Classes { codes, num_classes } => {
                if num_classes < 2 {
                    return Err(Error::bad_data(
                        "hist_gradient_boosting needs at least two classes",
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
                format!("{n} training rows are more than a tree handles (4294967295)"),
                "train on a sample",
            ));
        }
        Ok(Fitted::HistGradientBoosting(boost(
            x,
            target,
            o,
            check_interrupts,
        )?))
    }
}

fn check_targets(loss: Loss, y: &[f32]) -> Result<()> {
    match loss {
        Loss::Poisson if y.iter().any(|&v| v < 0.0) || y.iter().all(|&v| v <= 0.0) => {
            Err(Error::bad_data(
                "loss poisson needs targets of at least 0, not all 0",
                "use loss 'squared_error', or check the label column",
            ))
        }
        Loss::Gamma if y.iter().any(|&v| v <= 0.0) => Err(Error::bad_data(
            "loss gamma needs targets greater than 0",
            "use loss 'squared_error' or 'poisson', or check the label column",
        )),
        _ => Ok(()),
    }
}

#[derive(Debug, Clone, Copy)]
enum Target<'a> {
    Values(&'a [f32]),
    Classes { codes: &'a [u32], k: usize },
}

/// The rows one side of the fit works on (training or validation), in that side's positions.
struct Side {
    rows: Vec<usize>,
    /// Sample weights (class_weight), if any.
    weight: Option<Vec<f64>>,
}

/// A run of training rows: its first row, its slice of every output's gradients, of every
/// output's hessians (none when they are constant).
type GradientRun<'a> = (usize, Vec<&'a mut [f32]>, Vec<&'a mut [f32]>);

struct Fit<'a> {
    loss: Loss,
    target: Target<'a>,
    /// Raw scores per output.
    m: usize,
}

impl Fit<'_> {
    /// Output `c`'s target of row `i` (class indicator for classification).
    fn y(&self, i: usize, c: usize) -> f64 {
        match self.target {
            Target::Values(y) => f64::from(y[i]),
            Target::Classes { codes, k } => {
                let class = if k == 2 { 1 } else { c as u32 };
                f64::from(u8::from(codes[i] == class))
            }
        }
    }

    /// scikit-learn's `fit_intercept_only`: the loss's best constant, through its link.
    fn baseline(&self, side: &Side) -> Vec<f64> {
        let w = side.weight.as_deref();
        let avg = |f: &dyn Fn(usize) -> f64| -> f64 {
            let (mut s, mut t) = (0.0, 0.0);
            for (j, &i) in side.rows.iter().enumerate() {
                let wj = w.map_or(1.0, |w| w[j]);
                s += wj * f(i);
                t += wj;
            }
            s / t.max(f64::MIN_POSITIVE)
        };
        let quantile = |q: f64| -> f64 {
            match w {
                None => {
                    let mut v: Vec<f64> = side.rows.iter().map(|&i| self.y(i, 0)).collect();
                    percentile(&mut v, 100.0 * q)
                }
                Some(w) => {
                    let mut v: Vec<(f64, f64)> = side
                        .rows
                        .iter()
                        .zip(w)
                        .map(|(&i, &w)| (self.y(i, 0), w))
                        .collect();
                    weighted_percentile(&mut v, 100.0 * q)
                }
            }
        };
        match (self.loss, self.target) {
            (Loss::SquaredError, _) => vec![avg(&|i| self.y(i, 0))],
            (Loss::AbsoluteError, _) => vec![quantile(0.5)],
            (Loss::Quantile(q), _) => vec![quantile(q)],
            (Loss::Poisson | Loss::Gamma, _) => vec![avg(&|i| self.y(i, 0)).ln()],
            (Loss::LogLoss, Target::Classes { codes, k }) => {
                let sub: Vec<u32> = side.rows.iter().map(|&i| codes[i]).collect();
                if k == 2 {
                    let eps = 10.0 * f64::EPSILON;
                    let p = avg(&|i| self.y(i, 0)).clamp(eps, 1.0 - eps);
                    vec![(p / (1.0 - p)).ln()]
                } else {
                    symmetric_log(&class_priors(&sub, w, k, f64::EPSILON))
                }
            }
            (Loss::LogLoss, Target::Values(_)) => vec![0.0],
        }
    }

    /// Gradients and hessians (f32, output-major) of the training rows at the raw scores
    /// (output-major too), times the sample weights; runs of rows on up to `threads` threads.
    fn gradients(&self, train: &Side, raw: &[f64], g: &mut [f32], h: &mut [f32], threads: usize) {
        let n = train.rows.len();
        if n == 0 {
            return;
        }
        let chunk = run_length(n, threads);
        // Per run of rows: its first row and its slice of every output's gradients (hessians).
        let mut g_outputs: Vec<_> = g.chunks_mut(n).map(|o| o.chunks_mut(chunk)).collect();
        let mut h_outputs: Vec<_> = h.chunks_mut(n).map(|o| o.chunks_mut(chunk)).collect();
        let runs: Vec<GradientRun<'_>> = (0..n.div_ceil(chunk))
            .map(|k| {
                let gs = g_outputs.iter_mut().filter_map(Iterator::next).collect();
                let hs = h_outputs.iter_mut().filter_map(Iterator::next).collect();
                (k * chunk, gs, hs)
            })
            .collect();
        scoped_each(threads, runs, |(start, mut gs, mut hs)| {
            self.gradients_of_run(train, raw, start, &mut gs, &mut hs);
        });
    }

    /// [`Self::gradients`] of the rows `start..start + gs[0].len()`.
    fn gradients_of_run(
        &self,
        train: &Side,
        raw: &[f64],
        start: usize,
        gs: &mut [&mut [f32]],
        hs: &mut [&mut [f32]],
    ) {
        let n = train.rows.len();
        let m = self.m;
        let w = train.weight.as_deref();
        let mut scores = vec![0.0; m];
        let len = gs.first().map_or(0, |g| g.len());
        for (k, &i) in train.rows[start..start + len].iter().enumerate() {
            let j = start + k;
            let wj = w.map_or(1.0, |w| w[j]);
            if m > 1 {
                for c in 0..m {
                    scores[c] = raw[c * n + j];
                }
                super::boosting::softmax(&mut scores);
                let Target::Classes { codes, .. } = self.target else {
                    continue;
                };
                for (c, &pc) in scores.iter().enumerate() {
                    let y = f64::from(u8::from(codes[i] as usize == c));
                    gs[c][k] = (wj * (pc - y)) as f32;
                    hs[c][k] = (wj * pc * (1.0 - pc)) as f32;
                }
                continue;
            }
            let (r, y) = (raw[j], self.y(i, 0));
            let (gj, hj) = match self.loss {
                Loss::SquaredError => (r - y, 1.0),
                Loss::AbsoluteError => (
                    if r > y {
                        1.0
                    } else if r < y {
                        -1.0
                    } else {
                        0.0
                    },
                    1.0,
                ),
                Loss::Quantile(q) => (if y >= r { -q } else { 1.0 - q }, 1.0),
                Loss::Poisson => {
                    let e = r.exp();
                    (e - y, e)
                }
                Loss::Gamma => {
                    let e = y * (-r).exp();
                    (1.0 - e, e)
                }
                Loss::LogLoss => {
                    let p = sigmoid(r);
                    (p - y, p * (1.0 - p))
                }
            };
            gs[0][k] = (wj * gj) as f32;
            if let Some(h) = hs.first_mut() {
                h[k] = (wj * hj) as f32;
            }
        }
    }

    /// The mean loss (scikit-learn's half losses) of a side at its raw scores (output-major).
    fn mean_loss(&self, side: &Side, raw: &[f64]) -> f64 {
        let n = side.rows.len();
        let w = side.weight.as_deref();
        let (mut total, mut weight) = (0.0, 0.0);
        for (j, &i) in side.rows.iter().enumerate() {
            let wj = w.map_or(1.0, |w| w[j]);
            let l = if self.m > 1 {
                let r: Vec<f64> = (0..self.m).map(|c| raw[c * n + j]).collect();
                let max = r.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let lse = max + r.iter().map(|v| (v - max).exp()).sum::<f64>().ln();
                let Target::Classes { codes, .. } = self.target else {
                    return f64::NAN;
                };
                lse - r[codes[i] as usize]
            } else {
                let (r, y) = (raw[j], self.y(i, 0));
                match self.loss {
                    Loss::SquaredError => 0.5 * (r - y) * (r - y),
                    Loss::AbsoluteError => (r - y).abs(),
                    Loss::Quantile(q) => {
                        if y >= r {
                            q * (y - r)
                        } else {
                            (1.0 - q) * (r - y)
                        }
                    }
                    Loss::Poisson => r.exp() - y * r,
                    Loss::Gamma => r + y * (-r).exp(),
                    Loss::LogLoss => {
                        (if r > 0.0 {
                            r + (-r).exp().ln_1p()
                        } else {
                            r.exp().ln_1p()
                        }) - y * r
                    }
                }
            };
            total += wj * l;
            weight += wj;
        }
        total / weight.max(f64::MIN_POSITIVE)
    }
}

/// scikit-learn's `_should_stop`: no score of the last `n` beats the one before them by `tol`.
fn should_stop(scores: &[f64], n: usize, tol: f64) -> bool {
    if scores.len() < n + 1 {
        return false;
    }
    let reference = scores[scores.len() - n - 1] + tol;
    !scores[scores.len() - n..].iter().any(|&s| s > reference)
}

fn boost(
    x: &Matrix,
    target: Target<'_>,
    o: &Options,
    check_interrupts: &dyn Fn(),
) -> Result<HistGradientBoostingModel> {
    let n_all = x.rows();
    let (k, output) = match (target, o.loss) {
        (Target::Values(_), Loss::Poisson | Loss::Gamma) => (0, Output::Exp),
        (Target::Values(_), _) => (0, Output::Identity),
        (Target::Classes { k, .. }, _) if k == 2 => (k, Output::Logistic),
        (Target::Classes { k, .. }, _) => (k, Output::Softmax),
    };
    let m = if k > 2 { k } else { 1 };
    let fit = Fit {
        loss: o.loss,
        target,
        m,
    };
    let mut master = SplitMix64(o.random_state);
    let weight_all: Option<Vec<f64>> = match (target, &o.class_weight) {
        (Target::Classes { codes, k }, Some(cw @ ClassWeight::PerClass(_))) => cw
            .per_class(k)?
            .map(|w| codes.iter().map(|&c| w[c as usize]).collect()),
        (Target::Classes { codes, k }, Some(_)) => {
            let mut counts = vec![0.0f64; k];
            codes.iter().for_each(|&c| counts[c as usize] += 1.0);
            let n = codes.len() as f64;
            Some(
                codes
                    .iter()
                    .map(|&c| n / (k as f64 * counts[c as usize].max(1.0)))
                    .collect(),
            )
        }
        _ => None,
    };
    let early = match o.early_stopping {
        EarlyStopping::Auto => n_all > AUTO_EARLY_STOPPING_ROWS,
        EarlyStopping::On => true,
        EarlyStopping::Off => false,
    };
    let split_seed = master.next_u64();
    let (train_rows, val_rows) = if early {
        let classes = match target {
            Target::Classes { codes, .. } => Some(codes),
            Target::Values(_) => None,
        };
        validation_split(n_all, o.validation_fraction, classes, split_seed)?
    } else {
        ((0..n_all).collect(), Vec::new())
    };
    let side = |rows: Vec<usize>| Side {
        weight: weight_all
            .as_ref()
            .map(|w| rows.iter().map(|&i| w[i]).collect()),
        rows,
    };
    let train = side(train_rows);
    let val = side(val_rows);
    let n = train.rows.len();
    let threads = o.nthread.max(1);
    let binned = Arc::new(hist_grower::bin(
        x,
        &train.rows,
        o.max_bins,
        master.next_u64(),
        threads,
    ));
    let pool = Pool::new(threads);
    check_interrupts();

    let baseline = fit.baseline(&train);
    let mut raw: Vec<f64> = baseline
        .iter()
        .flat_map(|&b| std::iter::repeat_n(b, n))
        .collect();
    let n_val = val.rows.len();
    let mut raw_val: Vec<f64> = baseline
        .iter()
        .flat_map(|&b| std::iter::repeat_n(b, n_val))
        .collect();
    let constant_hessian = o.loss.constant_hessian() && train.weight.is_none();
    // Shared with the pool's tasks while a tree grows; written in place between trees.
    let mut g = Arc::new(vec![0.0f32; n * m]);
    let mut h = Arc::new(if constant_hessian {
        Vec::new()
    } else {
        vec![0.0f32; n * m]
    });
    let params = GrowParams {
        max_leaf_nodes: o.max_leaf_nodes,
        max_depth: o.max_depth,
        min_samples_leaf: o.min_samples_leaf,
        l2_regularization: o.l2_regularization,
        max_features: o.max_features,
    };
    let mut rng = SplitMix64(master.next_u64());
    let mut model = HistGradientBoostingModel {
        num_features: x.cols(),
        num_classes: k,
        output,
        baseline,
        trees: Vec::new(),
        feature_importances: vec![0.0; x.cols()],
        packed: PackedCache::default(),
    };
    let mut gains = vec![0.0; x.cols()];
    let mut scores = Vec::new();
    if early {
        scores.push(-fit.mean_loss(&val, &raw_val));
    }
    let mut bytes = 0usize;
    for iteration in 0..o.max_iter {
        check_interrupts();
        fit.gradients(
            &train,
            &raw,
            Arc::make_mut(&mut g).as_mut_slice(),
            Arc::make_mut(&mut h).as_mut_slice(),
            threads,
        );
        for c in 0..m {
            let gradients = Gradients {
                g: Arc::clone(&g),
                h: (!constant_hessian).then(|| Arc::clone(&h)),
                offset: c * n,
            };
            let grown = hist_grower::grow(
                &binned,
                &gradients,
                &params,
                &mut rng,
                &pool,
                check_interrupts,
            );
            drop(gradients);
            let leaf_values = leaf_values(&fit, &train, &grown, &raw[c * n..(c + 1) * n], o);
            add_leaf_values(&grown, &leaf_values, &mut raw[c * n..(c + 1) * n], threads);
            let tree = to_tree(&binned, &grown, &leaf_values);
            add_tree(
                &tree,
                x,
                &val.rows,
                &mut raw_val[c * n_val..(c + 1) * n_val],
                threads,
            );
            gains
                .iter_mut()
                .zip(&grown.gains)
                .for_each(|(a, b)| *a += b);
            bytes += tree.feature.len() * 17;
            model.trees.push(tree);
        }
        let done = iteration + 1;
        if bytes as f64 / done as f64 * o.max_iter as f64 > MAX_MODEL_BYTES as f64 {
            return Err(Error::too_large(
                format!(
                    "the model would not fit in memory: its first {done} of {} iterations take {} MiB (at most {} MiB in all)",
                    o.max_iter,
                    bytes >> 20,
                    MAX_MODEL_BYTES >> 20
                ),
                "lower max_iter, or bound the trees with max_leaf_nodes, max_depth or min_samples_leaf",
            ));
        }
        if early {
            scores.push(-fit.mean_loss(&val, &raw_val));
            if should_stop(&scores, o.n_iter_no_change, o.tol) {
                break;
            }
        }
    }
    // Gain-based importances (scikit-learn's HistGradientBoosting has none): each feature's
    // share of the loss reduction of all splits.
    let total: f64 = gains.iter().sum();
    if total > 0.0 {
        model.feature_importances = gains.iter().map(|v| v / total).collect();
    }
    Ok(model)
}

/// Adds each training row's leaf value to its raw score. A leaf's rows are in increasing order
/// (the partition is stable), so a run of raw scores finds its rows in each leaf by bisection
/// and the runs are written on up to `threads` threads, each only its own.
fn add_leaf_values(grown: &Grown, leaf_values: &[f64], raw: &mut [f64], threads: usize) {
    let n = raw.len();
    if n == 0 {
        return;
    }
    let leaves: Vec<(&[u32], f64)> = grown
        .nodes
        .iter()
        .zip(leaf_values)
        .filter(|(node, _)| node.is_leaf())
        .map(|(node, &v)| (&grown.partition[node.start..node.end], v))
        .collect();
    let chunk = run_length(n, threads);
    let runs: Vec<(usize, &mut [f64])> = raw
        .chunks_mut(chunk)
        .enumerate()
        .map(|(k, run)| (k * chunk, run))
        .collect();
    scoped_each(threads, runs, |(start, run)| {
        let end = (start + run.len()) as u32;
        for &(rows, v) in &leaves {
            let from = rows.partition_point(|&r| r < start as u32);
            for &r in rows[from..].iter().take_while(|&&r| r < end) {
                run[r as usize - start] += v;
            }
        }
    });
}

/// Each node's output times the learning rate: −G / (H + λ), or for absolute_error and quantile
/// (scikit-learn's `_update_leaves_values`) the leaf's percentile of the residuals.
fn leaf_values(fit: &Fit<'_>, train: &Side, grown: &Grown, raw: &[f64], o: &Options) -> Vec<f64> {
    grown
        .nodes
        .iter()
        .map(|node| {
            if fit.loss.differentiable() || !node.is_leaf() || node.start == node.end {
                return o.learning_rate * node.value;
            }
            let q = match fit.loss {
                Loss::Quantile(q) => q,
                _ => 0.5,
            };
            let rows = &grown.partition[node.start..node.end];
            let residual = |r: u32| fit.y(train.rows[r as usize], 0) - raw[r as usize];
            let update = match &train.weight {
                None => {
                    let mut v: Vec<f64> = rows.iter().map(|&r| residual(r)).collect();
                    percentile(&mut v, 100.0 * q)
                }
                Some(w) => {
                    let mut v: Vec<(f64, f64)> =
                        rows.iter().map(|&r| (residual(r), w[r as usize])).collect();
                    weighted_percentile(&mut v, 100.0 * q)
                }
            };
            o.learning_rate * update
        })
        .collect()
}

/// The grown tree as the flat evaluator's arrays: `x < value` goes left, so the threshold
/// `x <= t` becomes `x < next_up(t)`; NaN follows the node's missing-value direction.
fn to_tree(binned: &Binned, grown: &Grown, leaf_values: &[f64]) -> Tree {
    let count = grown.nodes.len();
    let mut t = Tree {
        feature: Vec::with_capacity(count),
        value: Vec::with_capacity(count),
        left: Vec::with_capacity(count),
        right: Vec::with_capacity(count),
        default_left: Vec::with_capacity(count),
    };
    for (node, &v) in grown.nodes.iter().zip(leaf_values) {
        if node.is_leaf() {
            t.feature.push(0);
            t.value.push(v as f32);
            t.left.push(-1);
            t.right.push(-1);
            t.default_left.push(false);
        } else {
            let threshold = binned.split_threshold(node.feature, node.bin);
            t.feature.push(node.feature as u32);
            t.value.push(if threshold.is_infinite() {
                threshold
            } else {
                threshold.next_up()
            });
            t.left.push(node.left as i32);
            t.right.push(node.right as i32);
            t.default_left.push(node.missing_left);
        }
    }
    t
}

/// Adds the tree's value of each of `rows` (of `x`) to its raw score, runs of rows on up to
/// `threads` threads.
fn add_tree(tree: &Tree, x: &Matrix, rows: &[usize], raw: &mut [f64], threads: usize) {
    let chunk = run_length(rows.len(), threads);
    let runs: Vec<(&[usize], &mut [f64])> = rows.chunks(chunk).zip(raw.chunks_mut(chunk)).collect();
    scoped_each(threads, runs, |(rows, raw)| {
        for (&i, r) in rows.iter().zip(raw) {
            *r += f64::from(leaf_of_row(tree, x, i));
        }
    });
}

/// The leaf value of row `i` of a training matrix, read in place.
fn leaf_of_row(tree: &Tree, x: &Matrix, i: usize) -> f32 {
    let mut node = 0usize;
    loop {
        let l = tree.left[node];
        if l < 0 {
            return tree.value[node];
        }
        let v = x.get(i, tree.feature[node] as usize);
        let left = if v.is_nan() {
            tree.default_left[node]
        } else {
            v < tree.value[node]
        };
        node = if left {
            l as usize
        } else {
            tree.right[node] as usize
        };
    }
}

/// A fitted histogram gradient-boosting model: the baseline scores, then the trees' leaves
/// (already times the learning rate), iteration after iteration, one tree per output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "StoredHistGradientBoosting")]
pub struct HistGradientBoostingModel {
    pub num_features: usize,
    /// 0 for regression.
    pub num_classes: usize,
    pub output: Output,
    /// The baseline raw score per output.
    pub baseline: Vec<f64>,
    /// Iteration-major: tree `i · outputs + c` is iteration i's tree for output c.
    pub trees: Vec<Tree>,
    /// Each feature's share of the splits' loss reduction, summing to 1.
    pub feature_importances: Vec<f64>,
    /// The trees packed for predict, built on first use (never stored).
    #[serde(skip)]
    pub(crate) packed: PackedCache,
}

#[derive(Deserialize)]
struct StoredHistGradientBoosting {
    num_features: usize,
    num_classes: usize,
    output: Output,
    baseline: Vec<f64>,
    trees: Vec<Tree>,
    feature_importances: Vec<f64>,
}

impl TryFrom<StoredHistGradientBoosting> for HistGradientBoostingModel {
    type Error = String;
    fn try_from(s: StoredHistGradientBoosting) -> std::result::Result<Self, String> {
        let outputs = match s.output {
            Output::Softmax => s.num_classes,
            _ => 1,
        };
        if outputs == 0
            || s.baseline.len() != outputs
            || !s.trees.len().is_multiple_of(outputs)
            || s.output.is_classification() != (s.num_classes >= 2)
            || (s.output != Output::Softmax && s.num_classes > 2)
        {
            return Err("histogram gradient boosting model with inconsistent outputs".into());
        }
        for (i, t) in s.trees.iter().enumerate() {
            check_tree(t, s.num_features).map_err(|e| format!("tree {i}: {e}"))?;
        }
        Ok(HistGradientBoostingModel {
            num_features: s.num_features,
            num_classes: s.num_classes,
            output: s.output,
            baseline: s.baseline,
            trees: s.trees,
            feature_importances: s.feature_importances,
            packed: PackedCache::default(),
        })
    }
}

/// A stored tree is walked without bounds surprises or loops: children after their parent,
/// inside the arrays, features inside the model's.
fn check_tree(t: &Tree, num_features: usize) -> std::result::Result<(), String> {
    let n = t.left.len();
    if n == 0
        || [
            t.right.len(),
            t.feature.len(),
            t.value.len(),
            t.default_left.len(),
        ]
        .iter()
        .any(|&l| l != n)
    {
        return Err("tree arrays of different lengths".into());
    }
    for i in 0..n {
        if t.left[i] < 0 {
            continue;
        }
        let (l, r) = (t.left[i] as usize, t.right[i]);
        if l <= i || l >= n || r < 0 || r as usize <= i || r as usize >= n {
            return Err(format!("node {i} has bad children"));
        }
        if t.feature[i] as usize >= num_features {
            return Err(format!("node {i} splits on a feature beyond the model's"));
        }
    }
    Ok(())
}

impl HistGradientBoostingModel {
    /// The raw scores: the baseline plus each tree's leaf, in tree order, walked packed (see
    /// [`super::packed`]).
    pub fn raw(&self, x: &[f32]) -> Vec<f64> {
        let Some(packed) = self
            .packed
            .get(|| PackedTrees::from_xgboost(&self.trees))
            .filter(|p| p.trees() == self.trees.len())
        else {
            return self.raw_unpacked(x);
        };
        let m = self.baseline.len();
        let mut raw = self.baseline.clone();
        packed.for_each_leaf(x, |i, leaf| {
            raw[i % m] += f64::from(leaf.value());
        });
        raw
    }

    /// [`HistGradientBoostingModel::raw`] by the stored trees: what the packed walk must equal
    /// bit for bit, and the walk of a model whose trees could not be packed.
    pub fn raw_unpacked(&self, x: &[f32]) -> Vec<f64> {
        let m = self.baseline.len();
        let mut raw = self.baseline.clone();
        for (i, t) in self.trees.iter().enumerate() {
            raw[i % m] += f64::from(t.leaf(x));
        }
        raw
    }
}

impl crate::plots::Staged for HistGradientBoostingModel {
    fn output(&self) -> Output {
        self.output
    }

    fn start(&self) -> &[f64] {
        &self.baseline
    }

    fn stages(&self) -> usize {
        self.trees.len() / self.baseline.len().max(1)
    }

    fn add_stage(&self, stage: usize, x: &[f32], raw: &mut [f64]) {
        let m = self.baseline.len();
        for (c, r) in raw.iter_mut().enumerate().take(m) {
            if let Some(t) = self.trees.get(stage * m + c) {
                *r += f64::from(t.leaf(x));
            }
        }
    }
}

impl Predictor for HistGradientBoostingModel {
    fn num_features(&self) -> usize {
        self.num_features
    }

    fn predict(&self, x: &[f32]) -> Option<f32> {
        Some(self.output.predict(&self.raw(x)))
    }

    fn predict_proba(&self, x: &[f32]) -> Option<Vec<f32>> {
        self.output.proba(&self.raw(x))
    }

    fn feature_importances(&self) -> Option<Vec<f64>> {
        Some(self.feature_importances.clone())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::test_support::{self, r2, three_classes, uniform_rows};
    use super::super::{Algorithm, Estimator};
    use super::*;

    fn data(n: usize, seed: u64) -> (Matrix, Vec<u32>, Vec<f32>) {
        let mut rng = SplitMix64(seed);
        let rows = uniform_rows(n, 5, &mut rng);
        let codes = three_classes(&rows);
        let y = rows
            .iter()
            .map(|r| 4.0 * r[0] + 2.0 * r[1] * r[2] + 1.0 + 0.05 * rng.unit() as f32)
            .collect();
        (Matrix::from_rows(&rows).unwrap(), codes, y)
    }

    fn fit(hp: serde_json::Value, task: Task, x: &Matrix, labels: Labels<'_>) -> Estimator {
        test_support::fit("hist_gradient_boosting", hp, task, x, labels)
    }

    #[test]
    fn every_regression_loss_fits_held_out_rows() {
        let (x, _, y) = data(3000, 1);
        let (xt, _, yt) = data(1000, 2);
        for hp in [
            json!({}),
            json!({"loss": "absolute_error"}),
            json!({"loss": "poisson"}),
            json!({"loss": "gamma"}),
            json!({"loss": "quantile", "quantile": 0.5}),
            json!({"max_bins": 16, "l2_regularization": 1.0, "max_depth": 3, "max_features": 0.6}),
            json!({"early_stopping": true, "n_iter_no_change": 3, "nthread": 2}),
        ] {
            let m = fit(hp.clone(), Task::Regression, &x, Labels::Values(&y));
            let score = r2(&m, &xt, &yt);
            assert!(score > 0.9, "{hp}: r2 {score}");
            assert!(m.predict_proba(&xt.row(0)).is_none());
            let imp = m.feature_importances().unwrap();
            assert!((imp.iter().sum::<f64>() - 1.0).abs() < 1e-9, "{imp:?}");
            assert!(imp[0] > imp[3] && imp[0] > imp[4], "{hp}: {imp:?}");
            let bytes = m.fitted().to_bytes().unwrap();
            let back = Fitted::from_bytes(m.fitted().kind(), &bytes)
                .unwrap()
                .unwrap();
            assert_eq!(&back, m.fitted());
        }
    }

    #[test]
    fn one_iteration_is_the_mean_plus_a_shrunk_newton_step() {
        // Two groups of 20 rows (min_samples_leaf 20): the root splits once.
        let rows: Vec<Vec<f32>> = (0..40)
            .map(|i| vec![f32::from(u8::from(i >= 20))])
            .collect();
        let x = Matrix::from_rows(&rows).unwrap();
        let y: Vec<f32> = (0..40).map(|i| if i >= 20 { 3.0 } else { 1.0 }).collect();
        let m = fit(
            json!({"max_iter": 1}),
            Task::Regression,
            &x,
            Labels::Values(&y),
        );
        // mean 2, leaves ∓1 shrunk by 0.1.
        assert!((m.predict(&[0.0]).unwrap() - 1.9).abs() < 1e-6);
        assert!((m.predict(&[1.0]).unwrap() - 2.1).abs() < 1e-6);
        // A value never seen follows the threshold 0.5; NaN (none in training) follows the
        // larger child, here the right one on a tie... of equal sizes: right.
        assert!((m.predict(&[0.5]).unwrap() - 1.9).abs() < 1e-6);
        assert!((m.predict(&[f32::NAN]).unwrap() - 2.1).abs() < 1e-6);
    }

    #[test]
    fn missing_values_are_learned_where_they_help() {
        let (x, _, _) = data(2000, 3);
        // Feature 0 missing for a third of the rows, whose targets are high.
        let mut cols: Vec<Vec<f32>> = (0..x.cols()).map(|j| x.col(j).to_vec()).collect();
        let y: Vec<f32> = (0..2000)
            .map(|i| {
                if i % 3 == 0 {
                    cols[0][i] = f32::NAN;
                    10.0
                } else {
                    cols[0][i]
                }
            })
            .collect();
        let x = Matrix::from_columns(2000, cols.len(), cols.concat()).unwrap();
        let m = fit(json!({}), Task::Regression, &x, Labels::Values(&y));
        let p = m.predict(&[f32::NAN, 0.5, 0.5, 0.5, 0.5]).unwrap();
        assert!((p - 10.0).abs() < 0.5, "{p}");
        let p = m.predict(&[0.2, 0.5, 0.5, 0.5, 0.5]).unwrap();
        assert!((p - 0.2).abs() < 0.2, "{p}");
    }

    #[test]
    fn classifiers_fit_and_give_probabilities() {
        let (x, codes, _) = data(3000, 4);
        let binary: Vec<u32> = codes.iter().map(|&c| u32::from(c > 0)).collect();
        for (hp, codes, k) in [
            (json!({}), &codes, 3),
            (json!({}), &binary, 2),
            (json!({"class_weight": "balanced", "nthread": 2}), &codes, 3),
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
            let right = (0..3000)
                .filter(|&i| m.predict(&x.row(i)) == Some(codes[i] as f32))
                .count();
            assert!(right > 2900, "{hp}: {right}");
            let p = m.predict_proba(&x.row(0)).unwrap();
            assert_eq!(p.len(), k);
            assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-5);
            let bytes = m.fitted().to_bytes().unwrap();
            let back = Fitted::from_bytes(m.fitted().kind(), &bytes)
                .unwrap()
                .unwrap();
            assert_eq!(&back, m.fitted());
        }
    }

    #[test]
    fn early_stopping_is_automatic_above_ten_thousand_rows() {
        let (x, _, y) = data(12_000, 5);
        let iterations = |hp| {
            let m = fit(hp, Task::Regression, &x, Labels::Values(&y));
            let Fitted::HistGradientBoosting(h) = m.fitted() else {
                panic!("{}", m.fitted().kind())
            };
            h.trees.len()
        };
        assert!(iterations(json!({"max_iter": 2000, "learning_rate": 0.5})) < 2000);
        assert_eq!(
            iterations(json!({"max_iter": 30, "early_stopping": false})),
            30
        );
        assert!(should_stop(&[1.0, 2.0, 2.0, 2.0], 2, 1e-7));
        assert!(!should_stop(&[1.0, 2.0, 2.0, 3.0], 2, 1e-7));
        assert!(!should_stop(&[1.0, 1.0], 2, 1e-7));
    }

    #[test]
    fn a_cancel_reaches_every_split() {
        let (x, _, y) = data(500, 6);
        let a = Algorithm::parse("hist_gradient_boosting").unwrap();
        let params = a
            .resolve(Task::Regression, &json!({"max_iter": 5}))
            .unwrap();
        let calls = std::cell::Cell::new(0);
        a.fit(Task::Regression, &params, &x, Labels::Values(&y), &|| {
            calls.set(calls.get() + 1)
        })
        .unwrap();
        assert!(calls.get() >= 5 * 10, "{} checks", calls.get());
    }

    #[test]
    fn bad_and_unimplemented_hyperparameters_are_named() {
        let a = Algorithm::parse("hist_gradient_boosting").unwrap();
        let e = |task, hp| a.resolve(task, &hp).unwrap_err();
        let msg = |task, hp| e(task, hp).to_string();
        assert!(msg(Task::Regression, json!({"max_bins": 256})).contains("from 2 to 255"));
        assert!(msg(Task::Regression, json!({"learning_rate": -1})).contains("greater than 0"));
        assert!(msg(Task::Regression, json!({"loss": "huber"}))
            .contains("one of squared_error, absolute_error, gamma, poisson, quantile"));
        assert!(msg(Task::Regression, json!({"loss": "quantile"}))
            .contains("needs hyperparameter quantile"));
        assert!(msg(Task::Regression, json!({"max_iter": 1e9})).contains("from 1 to 100000"));
        assert!(msg(Task::Regression, json!({"early_stopping": "yes"}))
            .contains("one of auto, true, false"));
        for hp in [
            json!({"monotonic_cst": [1, 0, -1]}),
            json!({"interaction_cst": "pairwise"}),
            json!({"categorical_features": [0, 2]}),
            json!({"scoring": "r2"}),
        ] {
            let err = e(Task::Regression, hp.clone());
            assert!(matches!(err, Error::NotSupported { .. }), "{hp}: {err}");
        }
        a.resolve(
            Task::Regression,
            &json!({"monotonic_cst": [0, 0], "categorical_features": "from_dtype", "warm_start": true, "verbose": 1}),
        )
        .unwrap();
        let (x, _, y) = data(50, 7);
        let neg: Vec<f32> = y.iter().map(|v| v - 10.0).collect();
        let params = a
            .resolve(Task::Regression, &json!({"loss": "gamma"}))
            .unwrap();
        let err = a
            .fit(Task::Regression, &params, &x, Labels::Values(&neg), &|| {})
            .unwrap_err();
        assert!(err.to_string().contains("greater than 0"), "{err}");
    }

    #[test]
    fn damaged_models_are_refused() {
        let tree = Tree {
            feature: vec![0, 0, 0],
            value: vec![0.5, 1.0, 2.0],
            left: vec![1, -1, -1],
            right: vec![2, -1, -1],
            default_left: vec![true, false, false],
        };
        assert_eq!(check_tree(&tree, 1), Ok(()));
        assert!(check_tree(&tree, 0).is_err());
        let mut looped = tree.clone();
        looped.left[0] = 0;
        assert!(check_tree(&looped, 1).is_err());
        let mut short = tree;
        short.value.pop();
        assert!(check_tree(&short, 1).is_err());
    }
}
