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
//! Not implemented: ordered boosting, categorical features by ordered target statistics (pgml
//! encodes text columns before any algorithm sees them), Depthwise/Lossguide trees, the leaf
//! step's backtracking. Prediction is the oblivious-tree lookup: `depth` comparisons give the
//! leaf's index.

use serde::{Deserialize, Serialize};

use super::boosting::{sigmoid, softmax, Output};
use super::catboost_borders::{self, NanMode};
use super::params::{choice, float, int, INF};
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
            choice("boosting_type", &["Plain"], DefaultValue::Str("Plain")),
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
        Ok(Options {
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
        Ok(Fitted::CatBoost(boost(
            x,
            target,
            loss,
            o,
            check_interrupts,
        )?))
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

/// The quantized training data: each feature's borders and each row's bin (column-major).
struct Quantized {
    borders: Vec<Vec<f32>>,
    bins: Vec<u16>,
    /// Per feature, the rows in ascending bin order (column-major, like `bins`).
    order: Vec<u32>,
    n: usize,
}

impl Quantized {
    fn new(x: &Matrix, border_count: usize, nan_mode: NanMode) -> Quantized {
        let n = x.rows();
        let mut borders = Vec::with_capacity(x.cols());
        let mut bins = Vec::with_capacity(n * x.cols());
        for j in 0..x.cols() {
            let col = x.col(j);
            let b = catboost_borders::borders(col, border_count, nan_mode);
            bins.extend(
                col.iter()
                    .map(|&v| catboost_borders::bin(&b, nan_mode.replace(v)) as u16),
            );
            borders.push(b);
        }
        let mut order = Vec::with_capacity(n * x.cols());
        for j in 0..x.cols() {
            let col = &bins[j * n..(j + 1) * n];
            let mut rows: Vec<u32> = (0..n as u32).collect();
            rows.sort_by_key(|&i| col[i as usize]);
            order.extend(rows);
        }
        Quantized {
            borders,
            bins,
            order,
            n,
        }
    }

    fn col(&self, j: usize) -> &[u16] {
        &self.bins[j * self.n..(j + 1) * self.n]
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

struct Split {
    feature: usize,
    border: usize,
}

#[allow(clippy::too_many_lines)] // one boosting loop, read top to bottom
fn boost(
    x: &Matrix,
    target: Target<'_>,
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
    let model_bytes = o.iterations as f64 * (leaves_max * dims * 8 + o.depth * 8 + 64) as f64;
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
    let quantized = Quantized::new(x, o.border_count, o.nan_mode);
    check_interrupts();
    let max_bins = quantized
        .borders
        .iter()
        .map(|b| b.len() + 1)
        .max()
        .unwrap_or(1);
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
    // The sweep's buffers: per leaf its sums, its left side's, its share of the score's
    // numerator and denominator, and whether a bin changed it.
    let mut position = vec![u32::MAX; n];
    let mut totals: Vec<f64> = Vec::new();
    let mut prefix: Vec<f64> = Vec::new();
    let mut base_share: Vec<f64> = Vec::new();
    let mut share: Vec<f64> = Vec::new();
    let mut dirty_mark: Vec<bool> = Vec::new();
    let mut dirty: Vec<usize> = Vec::new();
    let mut right = vec![0.0; dims + 1];
    let mut num = vec![0.0; max_bins];
    let mut den = vec![0.0; max_bins];
    let mut model = CatBoostModel {
        num_features: p,
        num_classes,
        output,
        nan_mode: o.nan_mode,
        baseline: baseline.clone(),
        trees: Vec::with_capacity(o.iterations),
    };
    let features_per_level = ((o.rsm * p as f64).ceil() as usize).clamp(1, p);
    let mut feature_order: Vec<usize> = (0..p).collect();
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
        let mut splits: Vec<Split> = Vec::with_capacity(o.depth);
        for level in 0..o.depth {
            check_interrupts();
            let leaves = 1usize << level;
            if features_per_level < p {
                rng.shuffle(&mut feature_order);
            }
            let mut best: Option<(f64, Split)> = None;
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
            prefix.resize(leaves * stride, 0.0);
            share.resize(2 * leaves, 0.0);
            dirty_mark.resize(leaves, false);
            for &f in &feature_order[..features_per_level] {
                let borders = quantized.borders[f].len();
                if borders == 0 {
                    continue;
                }
                // One sweep over the rows in bin order: after bin b, each leaf's rows at or
                // below border b are its left side. Only the leaves with rows in a bin change
                // their share of the score there, so a bin costs its rows, not every leaf.
                prefix.iter_mut().for_each(|v| *v = 0.0);
                share.copy_from_slice(&base_share);
                let (mut sum_num, mut sum_den) = base_sums;
                let col = quantized.col(f);
                let rows = &quantized.order[f * n..(f + 1) * n];
                let mut k = 0;
                for bin in 0..borders {
                    while k < n && usize::from(col[rows[k] as usize]) == bin {
                        let i = rows[k] as usize;
                        k += 1;
                        let at = position[i];
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
                    for &l in &dirty {
                        dirty_mark[l] = false;
                        let left = &prefix[l * stride..(l + 1) * stride];
                        let total = &totals[l * stride..(l + 1) * stride];
                        for (r, (t, s)) in right.iter_mut().zip(total.iter().zip(left)) {
                            *r = t - s;
                        }
                        let (ln, ld) = side_terms(left, l2);
                        let (rn, rd) = side_terms(&right, l2);
                        sum_num += ln + rn - share[2 * l];
                        sum_den += ld + rd - share[2 * l + 1];
                        share[2 * l] = ln + rn;
                        share[2 * l + 1] = ld + rd;
                    }
                    dirty.clear();
                    num[bin] = sum_num;
                    den[bin] = sum_den;
                }
                for b in 0..borders {
                    let score = match o.score_function {
                        ScoreFunction::Cosine if den[b] > 0.0 => num[b] / den[b].sqrt(),
                        ScoreFunction::Cosine => 0.0,
                        ScoreFunction::L2 => num[b],
                    };
                    let score = if score_sd > 0.0 {
                        score + score_sd * normal(&mut rng)
                    } else {
                        score
                    };
                    if best.as_ref().is_none_or(|(s, _)| score > *s) {
                        best = Some((
                            score,
                            Split {
                                feature: f,
                                border: b,
                            },
                        ));
                    }
                }
            }
            let Some((_, split)) = best else { break };
            let col = quantized.col(split.feature);
            for (l, &bin) in leaf.iter_mut().zip(col) {
                if bin as usize > split.border {
                    *l |= 1 << level;
                }
            }
            splits.push(split);
        }
        let values = leaf_values(
            loss,
            target,
            &approx,
            &leaf,
            &weights,
            &active,
            1 << splits.len(),
            dims,
            l2,
            o.newton,
            leaf_iterations,
        );
        let values: Vec<f64> = values.iter().map(|v| v * learning_rate).collect();
        for (i, &l) in leaf.iter().enumerate() {
            for c in 0..dims {
                approx[i * dims + c] += values[l as usize * dims + c];
            }
        }
        model.trees.push(ObliviousTree {
            features: splits.iter().map(|s| s.feature as u32).collect(),
            borders: splits
                .iter()
                .map(|s| quantized.borders[s.feature][s.border])
                .collect(),
            leaf_values: values,
        });
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

/// One symmetric tree: level d compares `features[d]` with `borders[d]`; a value above the
/// border sets bit d of the leaf's index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObliviousTree {
    pub features: Vec<u32>,
    pub borders: Vec<f32>,
    /// Leaf-major: `2^depth × outputs` values, already times the learning rate.
    pub leaf_values: Vec<f64>,
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
}

#[derive(Deserialize)]
struct StoredCatBoost {
    num_features: usize,
    num_classes: usize,
    output: Output,
    nan_mode: NanMode,
    baseline: Vec<f64>,
    trees: Vec<ObliviousTree>,
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
        for (i, t) in s.trees.iter().enumerate() {
            let depth = t.features.len();
            if depth > MAX_DEPTH as usize
                || t.borders.len() != depth
                || t.leaf_values.len() != (1usize << depth) * outputs
                || t.features.iter().any(|&f| f as usize >= s.num_features)
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
        })
    }
}

impl CatBoostModel {
    fn raw(&self, x: &[f32]) -> Vec<f64> {
        let mut raw = self.baseline.clone();
        for t in &self.trees {
            self.add_tree(t, x, &mut raw);
        }
        raw
    }

    fn add_tree(&self, t: &ObliviousTree, x: &[f32], raw: &mut [f64]) {
        let m = self.baseline.len();
        let mut index = 0usize;
        for (d, (&f, &b)) in t.features.iter().zip(&t.borders).enumerate() {
            let v = self
                .nan_mode
                .replace(x.get(f as usize).copied().unwrap_or(f32::NAN));
            index |= usize::from(v > b) << d;
        }
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
            self.add_tree(t, x, raw);
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
        assert!(msg(Task::Regression, json!({"boosting_type": "Ordered"})).contains("one of Plain"));
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
            }],
        };
        let bytes = postcard::to_stdvec(&good).unwrap();
        assert_eq!(postcard::from_bytes::<CatBoostModel>(&bytes).unwrap(), good);
        let mut bad = good.clone();
        bad.trees[0].leaf_values.pop();
        assert!(
            postcard::from_bytes::<CatBoostModel>(&postcard::to_stdvec(&bad).unwrap()).is_err()
        );
        let mut bad = good;
        bad.trees[0].features[0] = 3;
        assert!(
            postcard::from_bytes::<CatBoostModel>(&postcard::to_stdvec(&bad).unwrap()).is_err()
        );
    }
}
