//! `gradient_boosting_trees`: scikit-learn's GradientBoostingRegressor / GradientBoostingClassifier
//! (`ensemble/_gb.py`): an init estimator, then `n_estimators` stages, each fitting one CART
//! regression tree (`cart`, friedman_mse by default, depth 3) per output to the loss's negative
//! gradient, optionally on a `subsample` of the rows, then replacing the tree's leaf values by the
//! loss's line search (`_update_terminal_regions`) and adding `learning_rate` times them to the raw
//! scores. Losses: squared_error, absolute_error, huber and quantile (`alpha`) for regression;
//! log_loss (binary, or multinomial with one tree per class a stage) and exponential for
//! classification. Early stopping (`n_iter_no_change`) on a held-out `validation_fraction`.
//!
//! Boosting is sequential, so one thread; the cancel check runs before every tree and node.

use serde::{Deserialize, Serialize};

use super::boosting::{
    class_priors, percentile, sigmoid, softmax, symmetric_log, validation_split,
    weighted_percentile, Output,
};
use super::cart::{self, CartTree, Criterion, Splitter, TreeParams};
use super::forest::{
    self, max_features, MAX_ESTIMATORS, MAX_LEAF_NODES, MIN_IMPURITY_DECREASE, MIN_SAMPLES_LEAF,
    MIN_SAMPLES_SPLIT, MIN_WEIGHT_FRACTION_LEAF,
};
use super::packed::{PackedCache, PackedTrees};
use super::params::{float, int, INF};
use super::xgboost::RANDOM_STATE;
use super::{Fitted, Labels, Learner, Predictor};
use crate::hyperparams::{DefaultValue, Hyperparams, Kind, Param};
use crate::split::SplitMix64;
use crate::{Error, Matrix, Result, Task};

#[derive(Debug, Clone, Copy)]
pub struct GradientBoostingTrees;

/// The most the fitted trees may take in memory (each tree is bounded by its rows, but
/// `n_estimators` multiplies that): training stops with an error once the trees so far say the
/// whole model would pass it.
pub const MAX_MODEL_BYTES: usize = forest::MAX_FOREST_BYTES;

const LEARNING_RATE: Param = float("learning_rate", 0.0, INF, true, DefaultValue::Float(0.1));
const N_ESTIMATORS: Param = int("n_estimators", 1, MAX_ESTIMATORS, DefaultValue::Int(100));
const SUBSAMPLE: Param = float("subsample", 0.0, 1.0, true, DefaultValue::Float(1.0));
const CRITERION: Param = Param {
    name: "criterion",
    kind: Kind::Choice(&["friedman_mse", "squared_error"]),
    default: DefaultValue::Str("friedman_mse"),
};
const MAX_DEPTH_3: Param = int("max_depth", 1, i32::MAX as i64, DefaultValue::Int(3));
/// An estimator object cannot be given through SQL: the default (scikit-learn's Dummy estimator
/// for the loss) or 'zero'.
const INIT: Param = Param {
    name: "init",
    kind: Kind::Choice(&["zero"]),
    default: DefaultValue::Null,
};
const VERBOSE: Param = int("verbose", 0, i32::MAX as i64, DefaultValue::Int(0));
const WARM_START: Param = Param {
    name: "warm_start",
    kind: Kind::Bool,
    default: DefaultValue::Bool(false),
};
const VALIDATION_FRACTION: Param = float(
    "validation_fraction",
    0.0,
    1.0,
    true,
    DefaultValue::Float(0.1),
);
const N_ITER_NO_CHANGE: Param = int("n_iter_no_change", 1, i32::MAX as i64, DefaultValue::Null);
const TOL: Param = float("tol", 0.0, INF, false, DefaultValue::Float(1e-4));
const CCP_ALPHA: Param = float("ccp_alpha", 0.0, INF, false, DefaultValue::Float(0.0));

/// scikit-learn's parameters in its order.
const REGRESSION: &[Param] = &[
    Param {
        name: "loss",
        kind: Kind::Choice(&["squared_error", "absolute_error", "huber", "quantile"]),
        default: DefaultValue::Str("squared_error"),
    },
    LEARNING_RATE,
    N_ESTIMATORS,
    SUBSAMPLE,
    CRITERION,
    MIN_SAMPLES_SPLIT,
    MIN_SAMPLES_LEAF,
    MIN_WEIGHT_FRACTION_LEAF,
    MAX_DEPTH_3,
    MIN_IMPURITY_DECREASE,
    INIT,
    RANDOM_STATE,
    max_features(DefaultValue::Null),
    float("alpha", 0.0, 1.0, true, DefaultValue::Float(0.9)),
    VERBOSE,
    MAX_LEAF_NODES,
    WARM_START,
    VALIDATION_FRACTION,
    N_ITER_NO_CHANGE,
    TOL,
    CCP_ALPHA,
];

const CLASSIFICATION: &[Param] = &[
    Param {
        name: "loss",
        kind: Kind::Choice(&["log_loss", "exponential"]),
        default: DefaultValue::Str("log_loss"),
    },
    LEARNING_RATE,
    N_ESTIMATORS,
    SUBSAMPLE,
    CRITERION,
    MIN_SAMPLES_SPLIT,
    MIN_SAMPLES_LEAF,
    MIN_WEIGHT_FRACTION_LEAF,
    MAX_DEPTH_3,
    MIN_IMPURITY_DECREASE,
    INIT,
    RANDOM_STATE,
    max_features(DefaultValue::Null),
    VERBOSE,
    MAX_LEAF_NODES,
    WARM_START,
    VALIDATION_FRACTION,
    N_ITER_NO_CHANGE,
    TOL,
    CCP_ALPHA,
];

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Loss {
    SquaredError,
    AbsoluteError,
    Huber { alpha: f64 },
    Quantile { alpha: f64 },
    LogLoss,
    Exponential,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    pub loss: Loss,
    pub learning_rate: f64,
    pub n_estimators: usize,
    pub subsample: f64,
    pub tree: TreeParams,
    /// `init` 'zero': raw scores start at 0 instead of the loss's constant.
    pub init_zero: bool,
    pub random_state: u64,
    /// With `n_iter_no_change`: the held-out share of the rows.
    pub early_stopping: Option<EarlyStopping>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EarlyStopping {
    pub validation_fraction: f64,
    pub n_iter_no_change: usize,
    pub tol: f64,
}

impl Learner for GradientBoostingTrees {
    type Options = Options;

    fn name(&self) -> &'static str {
        "gradient_boosting_trees"
    }

    fn tasks(&self) -> &'static [Task] {
        &[Task::Regression, Task::Classification]
    }

    fn estimator_name(&self, task: Task) -> &'static str {
        match task {
            Task::Classification => "GradientBoostingClassifier",
            _ => "GradientBoostingRegressor",
        }
    }

    fn params(&self, task: Task) -> &'static [Param] {
        match task {
            Task::Classification => CLASSIFICATION,
            _ => REGRESSION,
        }
    }

    fn options(&self, _task: Task, params: &Hyperparams) -> Result<Options> {
        let loss = match params.str("loss")? {
            "log_loss" => Loss::LogLoss,
            "exponential" => Loss::Exponential,
            regression => {
                let alpha = params.float("alpha")?;
                if alpha >= 1.0 {
                    return Err(Error::invalid(format!(
                        "hyperparameter alpha of gradient_boosting_trees must be a number greater than 0 and below 1, got {alpha}"
                    )));
                }
                match regression {
                    "absolute_error" => Loss::AbsoluteError,
                    "huber" => Loss::Huber { alpha },
                    "quantile" => Loss::Quantile { alpha },
                    _ => Loss::SquaredError,
                }
            }
        };
        if params.float("ccp_alpha")? > 0.0 {
            return Err(Error::not_supported(
                "hyperparameter ccp_alpha (minimal cost-complexity pruning) is not supported by pgml's gradient_boosting_trees yet",
                "leave ccp_alpha at 0.0, and bound the trees with max_depth, max_leaf_nodes or min_samples_leaf",
            ));
        }
        let validation_fraction = params.float("validation_fraction")?;
        if validation_fraction >= 1.0 {
            return Err(Error::invalid(format!(
                "hyperparameter validation_fraction of gradient_boosting_trees must be a number greater than 0 and below 1, got {validation_fraction}"
            )));
        }
        let early_stopping = match params.opt_int("n_iter_no_change")? {
            None => None,
            Some(n) => Some(EarlyStopping {
                validation_fraction,
                n_iter_no_change: usize::try_from(n).unwrap_or(usize::MAX),
                tol: params.float("tol")?,
            }),
        };
        // scikit-learn's regression trees always; criterion friedman_mse or squared_error.
        let tree = forest::tree_params(params, Splitter::Best)?;
        if tree.criterion.is_classification() || tree.criterion == Criterion::AbsoluteError {
            return Err(Error::invalid(
                "hyperparameter criterion of gradient_boosting_trees must be one of friedman_mse, squared_error",
            ));
        }
        Ok(Options {
            loss,
            learning_rate: params.float("learning_rate")?,
            n_estimators: params.usize("n_estimators")?,
            subsample: params.float("subsample")?,
            tree,
            init_zero: params.opt_str("init")? == Some("zero"),
            random_state: params.usize("random_state")? as u64,
            early_stopping,
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
        check_data(x, o)?;
        let target = match labels {
            Labels::Values(y) => Target::Values(y),
            Labels::Classes { codes, num_classes } => {
                if num_classes < 2 {
                    return Err(Error::bad_data(
                        "gradient_boosting_trees needs at least two classes",
                        "check the labels",
                    ));
                }
                if o.loss == Loss::Exponential && num_classes > 2 {
                    return Err(Error::invalid_with_hint(
                        format!("loss exponential fits two classes only, and the labels have {num_classes}"),
                        "use loss 'log_loss' for more than two classes",
                    ));
                }
                Target::Classes {
                    codes,
                    k: num_classes,
                }
            }
            Labels::None => return Err(super::wrong_labels(self.name(), task)),
        };
        Ok(Fitted::GradientBoosting(boost(
            x,
            target,
            o,
            check_interrupts,
        )?))
    }
}

fn check_data(x: &Matrix, o: &Options) -> Result<()> {
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
    for j in 0..p {
        if x.col(j).iter().any(|v| v.is_nan()) {
            return Err(Error::bad_data(
                format!("feature {j} has NaN values; gradient_boosting_trees does not split on missing values"),
                "impute them (preprocess => '{\"column\": {\"impute\": \"mean\"}}'), or use hist_gradient_boosting, which routes missing values",
            ));
        }
    }
    if let cart::MaxFeatures::Count(c) = o.tree.max_features {
        if c > p {
            return Err(Error::invalid(format!(
                "hyperparameter max_features must be at most the {p} features, got {c}"
            )));
        }
    }
    Ok(())
}

#[derive(Debug, Clone, Copy)]
enum Target<'a> {
    Values(&'a [f32]),
    Classes { codes: &'a [u32], k: usize },
}

/// The loss as scikit-learn's `_loss` classes compute it, for one output column.
struct LossFn {
    loss: Loss,
    /// Classes of the multinomial loss (0 otherwise).
    k: usize,
    /// Huber's threshold, set before every stage.
    delta: f64,
}

impl LossFn {
    fn trees_per_stage(&self) -> usize {
        self.k.max(1)
    }

    /// The target column `y` of output `c` (class indicators for classification).
    fn y(&self, target: Target<'_>, i: usize, c: usize) -> f64 {
        match target {
            Target::Values(y) => f64::from(y[i]),
            Target::Classes { codes, k } => {
                let class = if k == 2 { 1 } else { c as u32 };
                f64::from(u8::from(codes[i] == class))
            }
        }
    }

    /// Negative gradient of row `i`'s loss for output `c`; `raw` is the row's scores.
    fn neg_gradient(&self, y: f64, raw: &[f64], c: usize) -> f64 {
        let r = raw[c];
        match self.loss {
            Loss::SquaredError => y - r,
            Loss::AbsoluteError => sign(y - r),
            Loss::Huber { .. } => {
                let d = y - r;
                if d.abs() <= self.delta {
                    d
                } else {
                    self.delta * sign(d)
                }
            }
            Loss::Quantile { alpha } => {
                if y >= r {
                    alpha
                } else {
                    alpha - 1.0
                }
            }
            Loss::LogLoss if self.k > 2 => {
                let mut p = raw.to_vec();
                softmax(&mut p);
                y - p[c]
            }
            Loss::LogLoss => y - sigmoid(r),
            Loss::Exponential => y * (-r).exp() - (1.0 - y) * r.exp(),
        }
    }

    /// Mean loss over `rows` (scikit-learn's `_loss(y, raw)`), for early stopping.
    fn mean(&self, target: Target<'_>, raw: &[f64], rows: &[usize]) -> f64 {
        let m = self.trees_per_stage();
        let mut total = 0.0;
        for (j, &i) in rows.iter().enumerate() {
            let r = &raw[j * m..(j + 1) * m];
            total += match (self.loss, target) {
                (Loss::LogLoss, Target::Classes { codes, k }) if k > 2 => {
                    let max = r.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    let lse = max + r.iter().map(|v| (v - max).exp()).sum::<f64>().ln();
                    lse - r[codes[i] as usize]
                }
                _ => {
                    let y = self.y(target, i, 0);
                    let r = r[0];
                    match self.loss {
                        Loss::SquaredError => 0.5 * (y - r) * (y - r),
                        Loss::AbsoluteError => (y - r).abs(),
                        Loss::Huber { .. } => {
                            let d = (y - r).abs();
                            if d <= self.delta {
                                0.5 * d * d
                            } else {
                                self.delta * (d - 0.5 * self.delta)
                            }
                        }
                        Loss::Quantile { alpha } => {
                            if y >= r {
                                alpha * (y - r)
                            } else {
                                (1.0 - alpha) * (r - y)
                            }
                        }
                        Loss::LogLoss => softplus(r) - y * r,
                        Loss::Exponential => y * (-r).exp() + (1.0 - y) * r.exp(),
                    }
                }
            };
        }
        total / rows.len().max(1) as f64
    }

    /// The init estimator's raw scores (scikit-learn's Dummy estimators through the loss's link),
    /// fitted on the training rows without weights.
    fn init(&self, target: Target<'_>, rows: &[usize]) -> Vec<f64> {
        match target {
            Target::Values(y) => {
                let mut v: Vec<f64> = rows.iter().map(|&i| f64::from(y[i])).collect();
                vec![match self.loss {
                    Loss::AbsoluteError | Loss::Huber { .. } => percentile(&mut v, 50.0),
                    Loss::Quantile { alpha } => percentile(&mut v, 100.0 * alpha),
                    _ => v.iter().sum::<f64>() / v.len().max(1) as f64,
                }]
            }
            Target::Classes { codes, k } => {
                let sub: Vec<u32> = rows.iter().map(|&i| codes[i]).collect();
                let p = class_priors(&sub, None, k, f64::from(f32::EPSILON));
                if k > 2 {
                    symmetric_log(&p)
                } else {
                    let logit = (p[1] / (1.0 - p[1])).ln();
                    vec![if self.loss == Loss::Exponential {
                        0.5 * logit
                    } else {
                        logit
                    }]
                }
            }
        }
    }

    /// The line search of one leaf (`_update_terminal_regions`): its rows' targets `y`, negative
    /// gradients `neg` and raw scores `raw` of the output, each row with weight `w`.
    fn leaf_value(&self, y: &[f64], neg: &[f64], raw: &[f64], w: &[f64]) -> f64 {
        let average = |v: &mut dyn Iterator<Item = f64>| -> f64 {
            let (mut s, mut t) = (0.0, 0.0);
            for (v, &w) in v.zip(w) {
                s += w * v;
                t += w;
            }
            if t > 0.0 {
                s / t
            } else {
                0.0
            }
        };
        let residuals = || -> Vec<(f64, f64)> {
            y.iter()
                .zip(raw)
                .zip(w)
                .map(|((y, r), &w)| (y - r, w))
                .collect()
        };
        match self.loss {
            Loss::SquaredError => unreachable!("squared error keeps the tree's own values"),
            Loss::AbsoluteError => weighted_percentile(&mut residuals(), 50.0),
            Loss::Quantile { alpha } => weighted_percentile(&mut residuals(), 100.0 * alpha),
            Loss::Huber { .. } => {
                // HuberLoss.fit_intercept_only: the median, plus the mean of the clipped
                // differences from it.
                let median = weighted_percentile(&mut residuals(), 50.0);
                median
                    + average(&mut y.iter().zip(raw).map(|(y, r)| {
                        let d = y - r - median;
                        sign(d) * d.abs().min(self.delta)
                    }))
            }
            Loss::LogLoss => {
                let numerator = average(&mut neg.iter().copied());
                let denominator = average(&mut y.iter().zip(neg).map(|(y, g)| {
                    let p = y - g;
                    p * (1.0 - p)
                }));
                let numerator = if self.k > 2 {
                    numerator * (self.k - 1) as f64 / self.k as f64
                } else {
                    numerator
                };
                safe_divide(numerator, denominator)
            }
            Loss::Exponential => {
                let numerator = average(&mut neg.iter().copied());
                let denominator =
                    average(
                        &mut y
                            .iter()
                            .zip(neg)
                            .map(|(&y, &g)| if y == 0.0 { -g } else { g }),
                    );
                safe_divide(numerator, denominator)
            }
        }
    }
}

fn sign(v: f64) -> f64 {
    if v > 0.0 {
        1.0
    } else if v < 0.0 {
        -1.0
    } else {
        0.0
    }
}

fn softplus(r: f64) -> f64 {
    if r > 0.0 {
        r + (-r).exp().ln_1p()
    } else {
        r.exp().ln_1p()
    }
}

/// scikit-learn's `_safe_divide`: no step where the hessian vanishes.
fn safe_divide(numerator: f64, denominator: f64) -> f64 {
    if denominator.abs() < 1e-150 {
        0.0
    } else {
        numerator / denominator
    }
}

fn boost(
    x: &Matrix,
    target: Target<'_>,
    o: &Options,
    check_interrupts: &dyn Fn(),
) -> Result<GradientBoostingModel> {
    let n = x.rows();
    let (k, output) = match (target, o.loss) {
        (Target::Values(_), _) => (0, Output::Identity),
        (Target::Classes { k, .. }, Loss::Exponential) if k == 2 => (k, Output::Exponential),
        (Target::Classes { k, .. }, _) if k == 2 => (k, Output::Logistic),
        (Target::Classes { k, .. }, _) => (k, Output::Softmax),
    };
    let mut loss = LossFn {
        loss: o.loss,
        k: if k > 2 { k } else { 0 },
        delta: 0.0,
    };
    let m = loss.trees_per_stage();
    let mut master = SplitMix64(o.random_state);

    // Early stopping holds out rows (stratified for classifiers), as scikit-learn does.
    let (train, validation) = match o.early_stopping {
        Some(e) => {
            let classes = match target {
                Target::Classes { codes, .. } => Some(codes),
                Target::Values(_) => None,
            };
            validation_split(n, e.validation_fraction, classes, master.next_u64())?
        }
        None => ((0..n).collect(), Vec::new()),
    };
    let init = if o.init_zero {
        vec![0.0; m]
    } else {
        loss.init(target, &train)
    };
    // Scores of every row (held-out ones too: validation rows just never get weight).
    let mut raw: Vec<f64> = (0..n).flat_map(|_| init.iter().copied()).collect();
    let n_train = train.len();
    let n_inbag = ((o.subsample * n_train as f64) as usize).max(1);

    let mut model = GradientBoostingModel {
        num_features: x.cols(),
        num_classes: k,
        output,
        init: init.clone(),
        learning_rate: o.learning_rate,
        trees: Vec::new(),
        feature_importances: vec![0.0; x.cols()],
        packed: PackedCache::default(),
    };
    let mut importance_sum = vec![0.0; x.cols()];
    let mut relevant = 0usize;
    let mut bytes = 0usize;
    // scikit-learn's ring of the last n_iter_no_change validation losses. A ring longer than the
    // stages never fills, so it is cut at n_estimators (same stops, and n_iter_no_change 2^31
    // allocates nothing huge).
    let history_len = |e: EarlyStopping| e.n_iter_no_change.min(o.n_estimators);
    let mut loss_history = o
        .early_stopping
        .map(|e| vec![f64::INFINITY; history_len(e)]);
    let mut neg = vec![0.0f64; n];
    let mut neg_f32 = vec![0.0f32; n];
    let mut y_col = vec![0.0f64; n];
    let mut leaf_of = vec![0usize; n];

    for stage in 0..o.n_estimators {
        check_interrupts();
        // The rows this stage learns from: all training rows, or a subsample without replacement.
        let mut weight = vec![0.0f64; n];
        if n_inbag < n_train {
            let mut rows = train.clone();
            let mut rng = SplitMix64(master.next_u64());
            for i in 0..n_inbag {
                let j = i + rng.below(n_train - i);
                rows.swap(i, j);
            }
            rows[..n_inbag].iter().for_each(|&i| weight[i] = 1.0);
        } else {
            train.iter().for_each(|&i| weight[i] = 1.0);
        }
        if let Loss::Huber { alpha } = o.loss {
            // Huber's delta: the alpha-quantile of the absolute residuals of the training rows.
            let mut pairs: Vec<(f64, f64)> = train
                .iter()
                .map(|&i| ((loss.y(target, i, 0) - raw[i * m]).abs(), 1.0))
                .collect();
            loss.delta = weighted_percentile(&mut pairs, 100.0 * alpha);
        }
        // All outputs' gradients come from the scores before this stage.
        let mut stage_neg = vec![0.0f64; n * m];
        for i in 0..n {
            for c in 0..m {
                stage_neg[i * m + c] =
                    loss.neg_gradient(loss.y(target, i, c), &raw[i * m..(i + 1) * m], c);
            }
        }
        for c in 0..m {
            for i in 0..n {
                neg[i] = stage_neg[i * m + c];
                neg_f32[i] = neg[i] as f32;
                y_col[i] = loss.y(target, i, c);
            }
            let samples: Vec<u32> = (0..n as u32)
                .filter(|&i| weight[i as usize] > 0.0)
                .collect();
            let mut rng = SplitMix64(master.next_u64());
            let grown = cart::grow(
                x,
                cart::Target::Values(&neg_f32),
                &weight,
                samples,
                (0..x.cols()).collect(),
                &o.tree,
                &mut rng,
                &mut || {
                    check_interrupts();
                    false
                },
            );
            // The stop callback never asks to stop (a cancel unwinds out of check_interrupts).
            let Ok(mut grown) = grown else {
                return Err(Error::invalid("training was stopped"));
            };
            for (i, leaf) in leaf_of.iter_mut().enumerate() {
                *leaf = grown.tree.leaf_of_row(x, i);
            }
            if o.loss != Loss::SquaredError {
                update_leaves(
                    &loss,
                    &mut grown.tree,
                    &leaf_of,
                    &weight,
                    &y_col,
                    &neg,
                    &raw,
                    m,
                    c,
                );
            }
            for i in 0..n {
                raw[i * m + c] += o.learning_rate * f64::from(grown.tree.leaf_values[leaf_of[i]]);
            }
            if grown.tree.node_count() > 1 {
                relevant += 1;
                for (a, b) in importance_sum.iter_mut().zip(&grown.importances) {
                    *a += b;
                }
            }
            bytes += grown.tree.node_count() * 12 + grown.tree.leaf_values.len() * 4;
            model.trees.push(grown.tree);
        }
        let stages = stage + 1;
        if bytes > MAX_MODEL_BYTES
            || bytes as f64 / stages as f64 * o.n_estimators as f64 > MAX_MODEL_BYTES as f64
        {
            return Err(Error::too_large(
                format!(
                    "the model would not fit in memory: its first {stages} of {} stages take {} MiB (at most {} MiB in all)",
                    o.n_estimators,
                    bytes >> 20,
                    MAX_MODEL_BYTES >> 20
                ),
                "lower n_estimators, or bound the trees with max_depth, max_leaf_nodes or min_samples_leaf",
            ));
        }
        if let (Some(history), Some(e)) = (loss_history.as_mut(), o.early_stopping) {
            let val_raw: Vec<f64> = validation
                .iter()
                .flat_map(|&i| raw[i * m..(i + 1) * m].iter().copied())
                .collect();
            let validation_loss = loss.mean(target, &val_raw, &validation);
            // Better than at least one of the last n_iter_no_change losses by tol, or stop.
            if history.iter().any(|&h| validation_loss + e.tol < h) {
                history[stage % history_len(e)] = validation_loss;
            } else {
                break;
            }
        }
    }
    // scikit-learn's feature_importances_: the mean of the trees' (unnormalized) importances
    // over the trees that split, normalized to sum to 1.
    let total: f64 = importance_sum.iter().sum();
    if relevant > 0 && total > 0.0 {
        model.feature_importances = importance_sum.iter().map(|v| v / total).collect();
    }
    Ok(model)
}

/// Replaces each leaf's value by the loss's line search over the in-bag rows it holds.
#[allow(clippy::too_many_arguments)] // the stage's row-wise state, as scikit-learn passes it
fn update_leaves(
    loss: &LossFn,
    tree: &mut CartTree,
    leaf_of: &[usize],
    weight: &[f64],
    y: &[f64],
    neg: &[f64],
    raw: &[f64],
    m: usize,
    c: usize,
) {
    let leaves = tree.leaf_values.len();
    let mut rows: Vec<Vec<usize>> = vec![Vec::new(); leaves];
    for (i, &leaf) in leaf_of.iter().enumerate() {
        if weight[i] > 0.0 {
            rows[leaf].push(i);
        }
    }
    for (leaf, rows) in rows.iter().enumerate() {
        if rows.is_empty() {
            continue;
        }
        let ys: Vec<f64> = rows.iter().map(|&i| y[i]).collect();
        let negs: Vec<f64> = rows.iter().map(|&i| neg[i]).collect();
        let raws: Vec<f64> = rows.iter().map(|&i| raw[i * m + c]).collect();
        let ws: Vec<f64> = rows.iter().map(|&i| weight[i]).collect();
        tree.leaf_values[leaf] = loss.leaf_value(&ys, &negs, &raws, &ws) as f32;
    }
}

/// A fitted gradient-boosting model: the init scores, then `learning_rate` times the trees'
/// leaves (stage after stage, one tree per output a stage), through the loss's link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "StoredGradientBoosting")]
pub struct GradientBoostingModel {
    pub num_features: usize,
    /// 0 for regression.
    pub num_classes: usize,
    pub output: Output,
    /// The init estimator's raw score per output.
    pub init: Vec<f64>,
    pub learning_rate: f64,
    /// Stage-major: tree `s · outputs + c` is stage s's tree for output c.
    pub trees: Vec<CartTree>,
    /// Impurity-based, summing to 1 (scikit-learn's `feature_importances_`).
    pub feature_importances: Vec<f64>,
    /// The trees packed for predict, built on first use (never stored).
    #[serde(skip)]
    pub(crate) packed: PackedCache,
}

#[derive(Deserialize)]
struct StoredGradientBoosting {
    num_features: usize,
    num_classes: usize,
    output: Output,
    init: Vec<f64>,
    learning_rate: f64,
    trees: Vec<CartTree>,
    feature_importances: Vec<f64>,
}

impl TryFrom<StoredGradientBoosting> for GradientBoostingModel {
    type Error = String;
    fn try_from(s: StoredGradientBoosting) -> std::result::Result<Self, String> {
        let outputs = match s.output {
            Output::Softmax => s.num_classes,
            _ => 1,
        };
        if outputs == 0
            || s.init.len() != outputs
            || !s.trees.len().is_multiple_of(outputs)
            || s.output.is_classification() != (s.num_classes >= 2)
            || (s.output != Output::Softmax && s.num_classes > 2)
        {
            return Err("gradient boosting model with inconsistent outputs".into());
        }
        for (i, t) in s.trees.iter().enumerate() {
            t.check(s.num_features, 1)
                .map_err(|e| format!("tree {i}: {e}"))?;
        }
        Ok(GradientBoostingModel {
            num_features: s.num_features,
            num_classes: s.num_classes,
            output: s.output,
            init: s.init,
            learning_rate: s.learning_rate,
            trees: s.trees,
            feature_importances: s.feature_importances,
            packed: PackedCache::default(),
        })
    }
}

impl GradientBoostingModel {
    /// The raw scores: the init's plus each tree's leaf times the learning rate, in tree order,
    /// walked packed (see [`super::packed`]).
    pub fn raw(&self, x: &[f32]) -> Vec<f64> {
        let Some(packed) = self
            .packed
            .get(|| PackedTrees::from_cart(&self.trees, 1))
            .filter(|p| p.trees() == self.trees.len())
        else {
            return self.raw_unpacked(x);
        };
        let m = self.init.len();
        let mut raw = self.init.clone();
        packed.for_each_leaf(x, |i, leaf| {
            raw[i % m] += self.learning_rate * f64::from(leaf.value());
        });
        raw
    }

    /// [`GradientBoostingModel::raw`] by the stored trees: what the packed walk must equal bit
    /// for bit, and the walk of a model whose trees could not be packed.
    pub fn raw_unpacked(&self, x: &[f32]) -> Vec<f64> {
        let m = self.init.len();
        let mut raw = self.init.clone();
        for (i, t) in self.trees.iter().enumerate() {
            raw[i % m] += self.learning_rate * f64::from(t.leaf_outputs(x, 1)[0]);
        }
        raw
    }
}

impl crate::plots::Staged for GradientBoostingModel {
    fn output(&self) -> Output {
        self.output
    }

    fn start(&self) -> &[f64] {
        &self.init
    }

    fn stages(&self) -> usize {
        self.trees.len() / self.init.len().max(1)
    }

    fn add_stage(&self, stage: usize, x: &[f32], raw: &mut [f64]) {
        let m = self.init.len();
        for (c, r) in raw.iter_mut().enumerate().take(m) {
            if let Some(t) = self.trees.get(stage * m + c) {
                *r += self.learning_rate * f64::from(t.leaf_outputs(x, 1)[0]);
            }
        }
    }
}

impl Predictor for GradientBoostingModel {
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
    use super::super::Algorithm;
    use super::*;

    fn data(n: usize) -> (Matrix, Vec<u32>, Vec<f32>) {
        let mut rng = SplitMix64(4);
        let rows = uniform_rows(n, 4, &mut rng);
        let codes = three_classes(&rows);
        let y = rows
            .iter()
            .map(|r| 4.0 * r[0] + r[1] * r[1] + 0.1 * (rng.unit() as f32))
            .collect();
        (Matrix::from_rows(&rows).unwrap(), codes, y)
    }

    fn fit(
        hp: serde_json::Value,
        task: Task,
        x: &Matrix,
        labels: Labels<'_>,
    ) -> super::super::Estimator {
        test_support::fit("gradient_boosting_trees", hp, task, x, labels)
    }

    #[test]
    fn every_regression_loss_fits() {
        let (x, _, y) = data(400);
        for hp in [
            json!({}),
            json!({"loss": "absolute_error"}),
            json!({"loss": "huber", "alpha": 0.8}),
            json!({"loss": "quantile", "alpha": 0.5}),
            json!({"subsample": 0.5, "criterion": "squared_error", "max_leaf_nodes": 6}),
            json!({"init": "zero", "max_features": "sqrt"}),
        ] {
            let m = fit(hp.clone(), Task::Regression, &x, Labels::Values(&y));
            let r2 = r2(&m, &x, &y);
            assert!(r2 > 0.95, "{hp}: r2 {r2}");
            assert!(m.predict_proba(&x.row(0)).is_none());
            let imp = m.feature_importances().unwrap();
            assert!((imp.iter().sum::<f64>() - 1.0).abs() < 1e-9);
            assert!(imp[0] > imp[2] && imp[0] > imp[3], "{hp}: {imp:?}");
        }
        // The 0.9 quantile lies above most rows, the 0.1 quantile below.
        for (alpha, above) in [(0.9, true), (0.1, false)] {
            let m = fit(
                json!({"loss": "quantile", "alpha": alpha}),
                Task::Regression,
                &x,
                Labels::Values(&y),
            );
            let share = (0..400)
                .filter(|&i| (m.predict(&x.row(i)).unwrap() > y[i]) == above)
                .count() as f64
                / 400.0;
            assert!(share > 0.75, "alpha {alpha}: {share}");
        }
    }

    #[test]
    fn squared_error_starts_at_the_mean_and_steps_by_the_learning_rate() {
        // One stage of one split: raw = mean + 0.1 · (leaf mean − mean).
        let x = Matrix::from_rows(&[[0.0], [0.0], [1.0], [1.0]].map(|r| r.to_vec())).unwrap();
        let y = [1.0, 1.0, 3.0, 3.0];
        let m = fit(
            json!({"n_estimators": 1}),
            Task::Regression,
            &x,
            Labels::Values(&y),
        );
        assert!((m.predict(&[0.0]).unwrap() - 1.9).abs() < 1e-6);
        assert!((m.predict(&[1.0]).unwrap() - 2.1).abs() < 1e-6);
        // absolute_error: the init is the median, the leaves the medians of the residuals.
        let y = [1.0, 2.0, 3.0, 10.0];
        let m = fit(
            json!({"n_estimators": 1, "loss": "absolute_error", "learning_rate": 1.0}),
            Task::Regression,
            &x,
            Labels::Values(&y),
        );
        assert_eq!(m.predict(&[0.0]).unwrap(), 1.0);
        assert_eq!(m.predict(&[1.0]).unwrap(), 3.0);
    }

    #[test]
    fn classifiers_fit_and_give_probabilities() {
        let (x, codes, _) = data(400);
        let binary: Vec<u32> = codes.iter().map(|&c| u32::from(c > 0)).collect();
        for (hp, codes, k) in [
            (json!({}), &codes, 3),
            (json!({}), &binary, 2),
            (json!({"loss": "exponential"}), &binary, 2),
            (json!({"subsample": 0.7, "n_estimators": 50}), &codes, 3),
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
            let right = (0..400)
                .filter(|&i| m.predict(&x.row(i)) == Some(codes[i] as f32))
                .count();
            assert!(right > 380, "{hp}: {right}");
            let p = m.predict_proba(&x.row(0)).unwrap();
            assert_eq!(p.len(), k);
            assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-5);
            let best = (0..k)
                .max_by(|&a, &b| p[a].total_cmp(&p[b]).then(b.cmp(&a)))
                .unwrap();
            assert_eq!(m.predict(&x.row(0)), Some(best as f32));
            let bytes = m.fitted().to_bytes().unwrap();
            let back = Fitted::from_bytes(m.fitted().kind(), &bytes)
                .unwrap()
                .unwrap();
            assert_eq!(&back, m.fitted());
        }
    }

    #[test]
    fn early_stopping_stops_and_each_tree_checks_for_cancel() {
        let (x, _, y) = data(400);
        let a = Algorithm::parse("gradient_boosting_trees").unwrap();
        let params = a
            .resolve(
                Task::Regression,
                &json!({"n_estimators": 5000, "n_iter_no_change": 3, "learning_rate": 0.5}),
            )
            .unwrap();
        let calls = std::cell::Cell::new(0);
        let m = a
            .fit(Task::Regression, &params, &x, Labels::Values(&y), &|| {
                calls.set(calls.get() + 1)
            })
            .unwrap();
        let Fitted::GradientBoosting(g) = m.fitted() else {
            panic!("{:?}", m.fitted().kind())
        };
        assert!(g.trees.len() < 1000, "{} trees", g.trees.len());
        // A huge n_iter_no_change allocates by the stages, not by itself.
        let params = a
            .resolve(
                Task::Regression,
                &json!({"n_estimators": 5, "n_iter_no_change": 2_000_000_000}),
            )
            .unwrap();
        a.fit(Task::Regression, &params, &x, Labels::Values(&y), &|| {})
            .unwrap();
        assert!(calls.get() >= g.trees.len());
    }

    #[test]
    fn bad_hyperparameters_are_named() {
        let a = Algorithm::parse("gradient_boosting_trees").unwrap();
        let e = |task, hp| a.resolve(task, &hp).unwrap_err();
        assert!(e(Task::Regression, json!({"learning_rate": 0}))
            .to_string()
            .contains("greater than 0"));
        assert!(e(Task::Regression, json!({"loss": "log_loss"}))
            .to_string()
            .contains("one of squared_error, absolute_error, huber, quantile"));
        assert!(e(Task::Classification, json!({"loss": "deviance"}))
            .to_string()
            .contains("one of log_loss, exponential"));
        assert!(e(Task::Classification, json!({"alpha": 0.5}))
            .to_string()
            .contains("unknown hyperparameter"));
        assert!(e(Task::Regression, json!({"alpha": 1.0}))
            .to_string()
            .contains("below 1"));
        assert!(e(Task::Regression, json!({"subsample": 0}))
            .to_string()
            .contains("greater than 0"));
        assert!(e(Task::Regression, json!({"n_estimators": 1e9}))
            .to_string()
            .contains("from 1 to 100000"));
        assert!(e(Task::Regression, json!({"criterion": "absolute_error"}))
            .to_string()
            .contains("friedman_mse"));
        let ccp = e(Task::Regression, json!({"ccp_alpha": 0.1}));
        assert!(matches!(ccp, Error::NotSupported { .. }), "{ccp}");
        // Accepted without effect on the model: verbose, warm_start (nothing to warm-start from).
        a.resolve(Task::Regression, &json!({"verbose": 2, "warm_start": true}))
            .unwrap();
        let (x, codes, _) = data(50);
        let params = a
            .resolve(Task::Classification, &json!({"loss": "exponential"}))
            .unwrap();
        let three = a.fit(
            Task::Classification,
            &params,
            &x,
            Labels::Classes {
                codes: &codes,
                num_classes: 3,
            },
            &|| {},
        );
        assert!(three.unwrap_err().to_string().contains("two classes"));
    }
}
