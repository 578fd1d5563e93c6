//! Ensembles of CART trees (`cart`): scikit-learn's random forests, extra trees and bagging share
//! the parameter declarations, the row and feature draws, the thread pool and the fitted model
//! here; each algorithm's file only says which draws and defaults it uses.
//!
//! Trees are grown on at most `nthread` scoped threads (the extension caps `nthread` by
//! `pgml.training_threads`), started by the training call and gone when it returns. Each tree's
//! random stream comes from a seed drawn in tree order from `random_state`, so a forest is the
//! same whatever the thread count. The calling thread waits for trees asleep, waking every
//! [`CHECK_EVERY`] to run the cancel check (PostgreSQL's, which must run on that thread); a cancel
//! stops the workers at their next node.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::cart::{self, CartTree, Criterion, Grown, MaxFeatures, Size, Splitter, TreeParams};
use super::packed::{PackedCache, PackedTrees};
use super::params::{float, int, INF};
use super::{Labels, Predictor};
use crate::hyperparams::{Amount, ClassWeight, DefaultValue, Hyperparams, Kind, Param};
use crate::metrics::{self, Metrics};
use crate::split::SplitMix64;
use crate::{Error, Matrix, Result, Task};

/// How often the waiting thread runs the cancel check.
const CHECK_EVERY: Duration = Duration::from_millis(50);

/// The most a forest's trees may take in memory. Each tree is bounded by its rows (at most two
/// nodes a row), but a forest multiplies that by `n_estimators`: training stops with an error
/// naming what to lower once the trees grown so far pass this, before the machine's memory does.
pub const MAX_FOREST_BYTES: usize = 4 << 30;

/// The largest `n_estimators` (also what bounds the seed list and per-tree bookkeeping).
pub const MAX_ESTIMATORS: i64 = 100_000;

const BIG: i64 = i32::MAX as i64;

pub(super) const N_ESTIMATORS_100: Param =
    int("n_estimators", 1, MAX_ESTIMATORS, DefaultValue::Int(100));
pub(super) const CRITERION_CLASSIFICATION: Param = Param {
    name: "criterion",
    kind: Kind::Choice(&["gini", "entropy", "log_loss"]),
    default: DefaultValue::Str("gini"),
};
pub(super) const CRITERION_REGRESSION: Param = Param {
    name: "criterion",
    kind: Kind::Choice(&["squared_error", "absolute_error", "friedman_mse"]),
    default: DefaultValue::Str("squared_error"),
};
pub(super) const MAX_DEPTH: Param = int("max_depth", 1, BIG, DefaultValue::Null);
pub(super) const MIN_SAMPLES_SPLIT: Param = Param {
    name: "min_samples_split",
    kind: Kind::CountOrFraction {
        min: 2,
        max: BIG,
        fraction_below_one: false,
        names: &[],
    },
    default: DefaultValue::Int(2),
};
pub(super) const MIN_SAMPLES_LEAF: Param = Param {
    name: "min_samples_leaf",
    kind: Kind::CountOrFraction {
        min: 1,
        max: BIG,
        fraction_below_one: true,
        names: &[],
    },
    default: DefaultValue::Int(1),
};
pub(super) const MIN_WEIGHT_FRACTION_LEAF: Param = float(
    "min_weight_fraction_leaf",
    0.0,
    0.5,
    false,
    DefaultValue::Float(0.0),
);
pub(super) const fn max_features(default: DefaultValue) -> Param {
    Param {
        name: "max_features",
        kind: Kind::CountOrFraction {
            min: 1,
            max: BIG,
            fraction_below_one: false,
            names: &["sqrt", "log2"],
        },
        default,
    }
}
pub(super) const MAX_FEATURES_SQRT: Param = max_features(DefaultValue::Str("sqrt"));
pub(super) const MAX_FEATURES_ALL: Param = max_features(DefaultValue::Float(1.0));
pub(super) const MAX_LEAF_NODES: Param = int("max_leaf_nodes", 2, BIG, DefaultValue::Null);
pub(super) const MIN_IMPURITY_DECREASE: Param = float(
    "min_impurity_decrease",
    0.0,
    INF,
    false,
    DefaultValue::Float(0.0),
);
pub(super) const fn bootstrap(default: bool) -> Param {
    Param {
        name: "bootstrap",
        kind: Kind::Bool,
        default: DefaultValue::Bool(default),
    }
}
pub(super) const OOB_SCORE: Param = Param {
    name: "oob_score",
    kind: Kind::Bool,
    default: DefaultValue::Bool(false),
};
pub(super) const fn max_samples(default: DefaultValue) -> Param {
    Param {
        name: "max_samples",
        kind: Kind::CountOrFraction {
            min: 1,
            max: BIG,
            fraction_below_one: false,
            names: &[],
        },
        default,
    }
}
pub(super) const CLASS_WEIGHT: Param = Param {
    name: "class_weight",
    kind: Kind::ClassWeight(&["balanced", "balanced_subsample"]),
    default: DefaultValue::Null,
};

/// A size as given (count or fraction), resolved against the rows at fit.
fn size(params: &Hyperparams, name: &str) -> Result<Option<Size>> {
    Ok(match params.amount(name)? {
        None => None,
        Some(Amount::Count(c)) => Some(Size::Count(usize::try_from(c).unwrap_or(usize::MAX))),
        Some(Amount::Fraction(f)) => Some(Size::Fraction(f)),
        Some(Amount::Named(n)) => {
            return Err(Error::invalid(format!(
                "hyperparameter {name} must be a count or a fraction, got \"{n}\""
            )))
        }
    })
}

/// The CART parameters a forest's trees share, read from the declarations above.
pub(super) fn tree_params(params: &Hyperparams, splitter: Splitter) -> Result<TreeParams> {
    let criterion_name = params.str("criterion")?;
    let criterion = Criterion::parse(criterion_name)
        .ok_or_else(|| Error::invalid(format!("unknown criterion \"{criterion_name}\"")))?;
    let max_features = match params.amount("max_features")? {
        None => MaxFeatures::All,
        Some(Amount::Named("sqrt")) => MaxFeatures::Sqrt,
        Some(Amount::Named("log2")) => MaxFeatures::Log2,
        Some(Amount::Named(other)) => {
            return Err(Error::invalid(format!(
                "hyperparameter max_features must be sqrt, log2, a count or a fraction, got \"{other}\""
            )))
        }
        Some(Amount::Count(c)) => MaxFeatures::Count(usize::try_from(c).unwrap_or(usize::MAX)),
        Some(Amount::Fraction(f)) => MaxFeatures::Fraction(f),
    };
    let count = |v: Option<i64>| v.map(|v| usize::try_from(v).unwrap_or(usize::MAX));
    Ok(TreeParams {
        criterion,
        splitter,
        max_depth: count(params.opt_int("max_depth")?),
        min_samples_split: size(params, "min_samples_split")?.unwrap_or(Size::Count(2)),
        min_samples_leaf: size(params, "min_samples_leaf")?.unwrap_or(Size::Count(1)),
        min_weight_fraction_leaf: params.float("min_weight_fraction_leaf")?,
        max_features,
        max_leaf_nodes: count(params.opt_int("max_leaf_nodes")?),
        min_impurity_decrease: params.float("min_impurity_decrease")?,
    })
}

/// Which rows (and features) each tree sees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Draw {
    /// Random forests and extra trees: all features; with `bootstrap`, `max_samples` rows
    /// (None: as many as there are) drawn with replacement, the draws becoming weights.
    Forest {
        bootstrap: bool,
        max_samples: Option<Size>,
    },
    /// Bagging: `max_features` features per tree (with replacement when `bootstrap_features`),
    /// then `max_samples` rows, with replacement when `bootstrap`.
    Bagging {
        bootstrap: bool,
        max_samples: Size,
        max_features: Size,
        bootstrap_features: bool,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct ForestOptions {
    pub tree: TreeParams,
    pub n_estimators: usize,
    pub draw: Draw,
    pub oob_score: bool,
    pub class_weight: Option<ClassWeight>,
    /// 0 means one thread here; the extension has already replaced 0 by its cap.
    pub nthread: usize,
    pub random_state: u64,
}

impl ForestOptions {
    /// The options random forests and extra trees share.
    pub(super) fn read(
        task: Task,
        params: &Hyperparams,
        splitter: Splitter,
    ) -> Result<ForestOptions> {
        let bootstrap = params.bool("bootstrap")?;
        let max_samples = size(params, "max_samples")?;
        let oob_score = params.bool("oob_score")?;
        if !bootstrap && max_samples.is_some() {
            return Err(Error::invalid_with_hint(
                "max_samples needs bootstrap",
                "set bootstrap to true, or leave max_samples out",
            ));
        }
        if !bootstrap && oob_score {
            return Err(Error::invalid_with_hint(
                "oob_score needs bootstrap (out-of-bag rows exist only when rows are drawn)",
                "set bootstrap to true, or leave oob_score out",
            ));
        }
        // Declared for classification only.
        let class_weight = match task {
            Task::Classification => params.class_weight("class_weight")?,
            _ => None,
        };
        Ok(ForestOptions {
            tree: tree_params(params, splitter)?,
            n_estimators: params.usize("n_estimators")?,
            draw: Draw::Forest {
                bootstrap,
                max_samples,
            },
            oob_score,
            class_weight,
            nthread: params.usize("nthread")?,
            random_state: params.usize("random_state")? as u64,
        })
    }
}

/// A fitted forest: the trees, flat (`CartTree`), and the mean of their leaves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "StoredForest")]
pub struct ForestModel {
    pub num_features: usize,
    /// 0 for regression (a value per leaf); else the classes (their probabilities per leaf).
    pub num_classes: usize,
    pub trees: Vec<CartTree>,
    /// Impurity-based importances, summing to 1 (scikit-learn's `feature_importances_`).
    pub feature_importances: Vec<f64>,
    /// Accuracy (classification) or r2 of each training row predicted by the trees that did not
    /// draw it, when `oob_score` was asked for.
    pub oob_score: Option<f64>,
    /// The trees packed for predict, built on first use (never stored).
    #[serde(skip)]
    pub(crate) packed: PackedCache,
}

/// The same fields, checked before they become a model: a damaged model is an error at load,
/// never an index out of bounds at predict.
#[derive(Deserialize)]
struct StoredForest {
    num_features: usize,
    num_classes: usize,
    trees: Vec<CartTree>,
    feature_importances: Vec<f64>,
    oob_score: Option<f64>,
}

impl TryFrom<StoredForest> for ForestModel {
    type Error = String;
    fn try_from(s: StoredForest) -> std::result::Result<ForestModel, String> {
        let outputs = s.num_classes.max(1);
        for (i, t) in s.trees.iter().enumerate() {
            t.check(s.num_features, outputs)
                .map_err(|e| format!("tree {i}: {e}"))?;
        }
        if s.trees.is_empty() || s.num_classes == 1 {
            return Err("a forest without trees or with one class".into());
        }
        Ok(ForestModel {
            num_features: s.num_features,
            num_classes: s.num_classes,
            trees: s.trees,
            feature_importances: s.feature_importances,
            oob_score: s.oob_score,
            packed: PackedCache::default(),
        })
    }
}

impl ForestModel {
    fn outputs(&self) -> usize {
        self.num_classes.max(1)
    }

    /// The mean of the trees' leaf outputs, walked packed (see [`super::packed`]).
    pub fn mean(&self, x: &[f32]) -> Vec<f64> {
        mean_of(&self.trees, &self.packed, self.outputs(), x)
    }

    /// [`ForestModel::mean`] by the stored trees: what the packed walk must equal bit for bit,
    /// and the walk of a model whose trees could not be packed.
    pub fn mean_unpacked(&self, x: &[f32]) -> Vec<f64> {
        mean_unpacked_of(&self.trees, self.outputs(), x)
    }
}

/// The mean of the trees' leaf outputs (`k` a leaf), walked packed (see [`super::packed`]).
fn mean_of(trees: &[CartTree], packed: &PackedCache, k: usize, x: &[f32]) -> Vec<f64> {
    let Some(packed) = packed
        .get(|| PackedTrees::from_cart(trees, k))
        .filter(|p| p.trees() == trees.len())
    else {
        return mean_unpacked_of(trees, k, x);
    };
    let mut sum = vec![0.0f64; k];
    packed.for_each_leaf(x, |_, leaf| {
        for (s, &v) in sum.iter_mut().zip(packed.outputs_of(leaf)) {
            *s += f64::from(v);
        }
    });
    let n = trees.len() as f64;
    sum.iter_mut().for_each(|s| *s /= n);
    sum
}

/// [`mean_of`] by the stored trees.
fn mean_unpacked_of(trees: &[CartTree], k: usize, x: &[f32]) -> Vec<f64> {
    let mut sum = vec![0.0f64; k];
    for t in trees {
        for (s, &v) in sum.iter_mut().zip(t.leaf_outputs(x, k)) {
            *s += f64::from(v);
        }
    }
    let n = trees.len() as f64;
    sum.iter_mut().for_each(|s| *s /= n);
    sum
}

/// A multi-output regression forest: scikit-learn's `RandomForestRegressor` /
/// `ExtraTreesRegressor` fitted on a 2-D `y` (`pgml.train_joint`). Each tree is one multi-output
/// CART tree (`cart::Target::Joint`: a split minimizes the mean of the outputs' impurities) whose
/// leaves hold one mean per output; predictions are the trees' means. Stored as its own fitted
/// kind, `cart_forest_multi_output` (inside a `joint_model`), so `cart_forest` bytes never change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "StoredMultiOutputForest")]
pub struct MultiOutputForest {
    pub num_features: usize,
    /// Values a leaf holds: one per label, in the joint model's order.
    pub num_outputs: usize,
    pub trees: Vec<CartTree>,
    /// Impurity-based importances, summing to 1 (scikit-learn's `feature_importances_`).
    pub feature_importances: Vec<f64>,
    /// Mean r2 over the outputs of the out-of-bag predictions, when `oob_score` was asked for.
    pub oob_score: Option<f64>,
    /// The trees packed for predict, built on first use (never stored).
    #[serde(skip)]
    pub(crate) packed: PackedCache,
}

/// The stored layout (postcard is positional: never reorder), checked before it becomes a model.
#[derive(Deserialize)]
struct StoredMultiOutputForest {
    num_features: usize,
    num_outputs: usize,
    trees: Vec<CartTree>,
    feature_importances: Vec<f64>,
    oob_score: Option<f64>,
}

impl TryFrom<StoredMultiOutputForest> for MultiOutputForest {
    type Error = String;
    fn try_from(s: StoredMultiOutputForest) -> std::result::Result<MultiOutputForest, String> {
        if s.trees.is_empty() || s.num_outputs == 0 {
            return Err("a multi-output forest without trees or outputs".into());
        }
        for (i, t) in s.trees.iter().enumerate() {
            t.check(s.num_features, s.num_outputs)
                .map_err(|e| format!("tree {i}: {e}"))?;
        }
        Ok(MultiOutputForest {
            num_features: s.num_features,
            num_outputs: s.num_outputs,
            trees: s.trees,
            feature_importances: s.feature_importances,
            oob_score: s.oob_score,
            packed: PackedCache::default(),
        })
    }
}

impl MultiOutputForest {
    /// The mean of the trees' leaves, one value per output, walked packed.
    pub fn mean(&self, x: &[f32]) -> Vec<f64> {
        mean_of(&self.trees, &self.packed, self.num_outputs, x)
    }

    /// [`MultiOutputForest::mean`] by the stored trees, not packed (what the packed walk must
    /// equal bit for bit).
    pub fn mean_unpacked(&self, x: &[f32]) -> Vec<f64> {
        mean_unpacked_of(&self.trees, self.num_outputs, x)
    }
}

impl Predictor for MultiOutputForest {
    fn num_features(&self) -> usize {
        self.num_features
    }
    /// Several values, no single one: `predict_joint` answers.
    fn predict(&self, _x: &[f32]) -> Option<f32> {
        None
    }
    fn predict_joint(&self, x: &[f32]) -> Option<Vec<f32>> {
        Some(self.mean(x).iter().map(|&v| v as f32).collect())
    }
    fn feature_importances(&self) -> Option<Vec<f64>> {
        Some(self.feature_importances.clone())
    }
    fn fit_metrics(&self) -> Metrics {
        let mut m = Metrics::new();
        if let Some(s) = self.oob_score {
            m.insert("oob_score".into(), s);
        }
        m
    }
}

/// The first largest (numpy's argmax, as scikit-learn's predict).
fn argmax(v: &[f64]) -> usize {
    let mut best = 0;
    for (i, &p) in v.iter().enumerate() {
        if p > v[best] {
            best = i;
        }
    }
    best
}

impl Predictor for ForestModel {
    fn num_features(&self) -> usize {
        self.num_features
    }
    fn predict(&self, x: &[f32]) -> Option<f32> {
        let m = self.mean(x);
        Some(if self.num_classes == 0 {
            m[0] as f32
        } else {
            argmax(&m) as f32
        })
    }
    fn predict_proba(&self, x: &[f32]) -> Option<Vec<f32>> {
        (self.num_classes > 0).then(|| self.mean(x).iter().map(|&p| p as f32).collect())
    }
    fn feature_importances(&self) -> Option<Vec<f64>> {
        Some(self.feature_importances.clone())
    }
    fn fit_metrics(&self) -> Metrics {
        let mut m = Metrics::new();
        if let Some(s) = self.oob_score {
            m.insert("oob_score".into(), s);
        }
        m
    }
}

/// What one tree learns from: rows' targets and, for `balanced`, the class weights.
struct Job<'a> {
    x: &'a Matrix,
    target: cart::Target<'a>,
    options: &'a ForestOptions,
    /// Per class, for `class_weight` 'balanced' (on all training rows) or given per class.
    class_weights: Option<Vec<f64>>,
}

impl Job<'_> {
    /// The features and per-row weights of tree `seed` (0: not drawn), class weights applied.
    fn draw(&self, rng: &mut SplitMix64) -> (Vec<usize>, Vec<f64>) {
        let (features, mut weight) = self.draw_rows(rng);
        self.weigh_classes(&mut weight);
        (features, weight)
    }

    /// The features and the times each row was drawn (0: not drawn). The same seed gives the same
    /// draw, which out-of-bag scoring relies on (on the draws alone: a row of a class weighing 0
    /// was still drawn).
    fn draw_rows(&self, rng: &mut SplitMix64) -> (Vec<usize>, Vec<f64>) {
        let (n, p) = (self.x.rows(), self.x.cols());
        let mut weight = vec![0.0f64; n];
        let with_replacement = |draws: usize, weight: &mut [f64], rng: &mut SplitMix64| {
            for _ in 0..draws {
                weight[rng.below(n)] += 1.0;
            }
        };
        let features = match self.options.draw {
            Draw::Forest {
                bootstrap,
                max_samples,
            } => {
                if bootstrap {
                    // scikit-learn: round(fraction · n), at least 1.
                    let draws = match max_samples {
                        None => n,
                        Some(Size::Count(c)) => c,
                        Some(Size::Fraction(f)) => ((f * n as f64).round() as usize).max(1),
                    };
                    with_replacement(draws, &mut weight, rng);
                } else {
                    weight.iter_mut().for_each(|w| *w = 1.0);
                }
                (0..p).collect()
            }
            Draw::Bagging {
                bootstrap,
                max_samples,
                max_features,
                bootstrap_features,
            } => {
                // scikit-learn's BaggingClassifier: int(fraction · n).
                let nf = match max_features {
                    Size::Count(c) => c,
                    Size::Fraction(f) => ((f * p as f64) as usize).max(1),
                };
                let features = if bootstrap_features {
                    (0..nf).map(|_| rng.below(p)).collect()
                } else {
                    choose(p, nf, rng)
                };
                let draws = match max_samples {
                    Size::Count(c) => c,
                    Size::Fraction(f) => ((f * n as f64) as usize).max(1),
                };
                if bootstrap {
                    with_replacement(draws, &mut weight, rng);
                } else {
                    for i in choose(n, draws, rng) {
                        weight[i] = 1.0;
                    }
                }
                features
            }
        };
        (features, weight)
    }

    /// Multiplies each row's draws by its class's weight ('balanced', 'balanced_subsample' on
    /// these draws, or given per class), as scikit-learn's forests weigh their bootstrap counts.
    fn weigh_classes(&self, weight: &mut [f64]) {
        if let cart::Target::Classes { codes, k } = self.target {
            let per_class = match self.options.class_weight {
                None => None,
                Some(ClassWeight::Balanced | ClassWeight::PerClass(_)) => {
                    self.class_weights.clone()
                }
                Some(ClassWeight::BalancedSubsample) => {
                    let mut counts = vec![0.0; k];
                    for (i, &w) in weight.iter().enumerate() {
                        counts[codes[i] as usize] += w;
                    }
                    Some(balanced(&counts))
                }
            };
            if let Some(cw) = per_class {
                for (i, w) in weight.iter_mut().enumerate() {
                    *w *= cw[codes[i] as usize];
                }
            }
        }
    }

    fn grow(
        &self,
        seed: u64,
        should_stop: &mut dyn FnMut() -> bool,
    ) -> Result<Grown, cart::Stopped> {
        let mut rng = SplitMix64(seed);
        let (features, weight) = self.draw(&mut rng);
        let samples: Vec<u32> = (0..weight.len() as u32)
            .filter(|&i| weight[i as usize] > 0.0)
            .collect();
        cart::grow(
            self.x,
            self.target,
            &weight,
            samples,
            features,
            &self.options.tree,
            &mut rng,
            should_stop,
        )
    }
}

/// `n / (k · count)` per class present (scikit-learn's "balanced"); 0 for absent classes.
fn balanced(counts: &[f64]) -> Vec<f64> {
    let total: f64 = counts.iter().sum();
    let present = counts.iter().filter(|&&c| c > 0.0).count() as f64;
    counts
        .iter()
        .map(|&c| if c > 0.0 { total / (present * c) } else { 0.0 })
        .collect()
}

/// `m` of `0..n` without replacement (a partial Fisher-Yates shuffle).
fn choose(n: usize, m: usize, rng: &mut SplitMix64) -> Vec<usize> {
    let mut all: Vec<usize> = (0..n).collect();
    let m = m.min(n);
    for i in 0..m {
        let j = i + rng.below(n - i);
        all.swap(i, j);
    }
    all.truncate(m);
    all
}

/// Trains a forest. `labels` must be values or classes (the learners check).
pub(super) fn fit(
    algorithm: &str,
    task: Task,
    options: &ForestOptions,
    x: &Matrix,
    labels: Labels<'_>,
    check_interrupts: &dyn Fn(),
) -> Result<ForestModel> {
    let finished = AtomicUsize::new(0);
    fit_counted(
        algorithm,
        task,
        options,
        x,
        labels,
        check_interrupts,
        &finished,
    )
}

/// [`fit`], adding every tree grown to `finished` as it is grown: the tests count the trees a
/// cancel lets finish (a count, unlike a time, does not depend on the machine's load).
fn fit_counted(
    algorithm: &str,
    task: Task,
    options: &ForestOptions,
    x: &Matrix,
    labels: Labels<'_>,
    check_interrupts: &dyn Fn(),
    finished: &AtomicUsize,
) -> Result<ForestModel> {
    let target = match labels {
        Labels::Values(y) => cart::Target::Values(y),
        Labels::Classes { codes, num_classes } => cart::Target::Classes {
            codes,
            k: num_classes,
        },
        Labels::None => return Err(super::wrong_labels(algorithm, task)),
    };
    check_data(x, options)?;
    if matches!(target, cart::Target::Classes { .. }) != options.tree.criterion.is_classification()
    {
        return Err(Error::invalid(format!(
            "criterion {:?} does not fit {task}",
            options.tree.criterion
        )));
    }
    let grown = grow_forest(x, target, options, check_interrupts, finished)?;
    Ok(ForestModel {
        num_features: x.cols(),
        num_classes: match target {
            cart::Target::Classes { k, .. } => k,
            _ => 0,
        },
        trees: grown.trees,
        feature_importances: grown.importances,
        oob_score: grown.oob_score,
        packed: PackedCache::default(),
    })
}

/// Trains a multi-output regression forest (`pgml.train_joint`) on `y`, row-major with `t`
/// values a row: one tree per estimator for all outputs, as scikit-learn's forests fit a 2-D `y`.
pub(super) fn fit_joint(
    options: &ForestOptions,
    x: &Matrix,
    y: &[f32],
    t: usize,
    check_interrupts: &dyn Fn(),
) -> Result<MultiOutputForest> {
    if t == 0 || y.len() != x.rows() * t {
        return Err(Error::invalid(format!(
            "{} target values for {} rows of {t} targets",
            y.len(),
            x.rows()
        )));
    }
    check_data(x, options)?;
    match options.tree.criterion {
        Criterion::SquaredError | Criterion::FriedmanMse => {}
        Criterion::AbsoluteError => {
            return Err(Error::not_supported(
                "criterion absolute_error is not supported by pgml.train_joint's multi-output forests",
                "use criterion squared_error (the default) or friedman_mse, or train one project per label with pgml.train",
            ))
        }
        c => {
            return Err(Error::invalid(format!(
                "criterion {c:?} does not fit regression"
            )))
        }
    }
    // One output: exactly the single-label tree (the same sums in the same order).
    let target = if t == 1 {
        cart::Target::Values(y)
    } else {
        cart::Target::Joint { y, t }
    };
    let grown = grow_forest(x, target, options, check_interrupts, &AtomicUsize::new(0))?;
    Ok(MultiOutputForest {
        num_features: x.cols(),
        num_outputs: t,
        trees: grown.trees,
        feature_importances: grown.importances,
        oob_score: grown.oob_score,
        packed: PackedCache::default(),
    })
}

/// What a forest's fit made, before it becomes a stored kind.
struct GrownForest {
    trees: Vec<CartTree>,
    importances: Vec<f64>,
    oob_score: Option<f64>,
}

/// Grows the trees (checked data), averages their importances, and scores out of bag if asked.
fn grow_forest(
    x: &Matrix,
    target: cart::Target<'_>,
    options: &ForestOptions,
    check_interrupts: &dyn Fn(),
    finished: &AtomicUsize,
) -> Result<GrownForest> {
    let (n, p) = (x.rows(), x.cols());
    // As scikit-learn's forests: the class weights multiply each row's weight (its draws).
    let class_weights = match (target, &options.class_weight) {
        (cart::Target::Classes { codes, k }, Some(ClassWeight::Balanced)) => {
            let mut counts = vec![0.0; k];
            for &c in codes {
                counts[c as usize] += 1.0;
            }
            Some(balanced(&counts))
        }
        (cart::Target::Classes { k, .. }, Some(cw)) => cw.per_class(k)?.map(<[f64]>::to_vec),
        _ => None,
    };
    let job = Job {
        x,
        target,
        options,
        class_weights,
    };
    let mut master = SplitMix64(options.random_state);
    let seeds: Vec<u64> = (0..options.n_estimators)
        .map(|_| master.next_u64())
        .collect();
    let grown = grow_all(
        &job,
        &seeds,
        options.nthread.max(1),
        MAX_FOREST_BYTES,
        check_interrupts,
        finished,
    )?;

    let mut importances = vec![0.0; p];
    let mut counted = 0usize;
    for g in grown.iter().filter(|g| g.tree.node_count() > 1) {
        let total: f64 = g.importances.iter().sum();
        if total > 0.0 {
            importances
                .iter_mut()
                .zip(&g.importances)
                .for_each(|(a, b)| *a += b / total);
        }
        counted += 1;
    }
    let total: f64 = importances.iter().sum();
    if counted > 0 && total > 0.0 {
        importances.iter_mut().for_each(|v| *v /= total);
    }
    let trees: Vec<CartTree> = grown.into_iter().map(|g| g.tree).collect();
    let oob_score = options
        .oob_score
        .then(|| oob_score(&job, &trees, target.outputs(), &seeds, n, check_interrupts));
    Ok(GrownForest {
        trees,
        importances,
        oob_score,
    })
}

/// Refuses what cannot be trained before any tree is grown.
fn check_data(x: &Matrix, options: &ForestOptions) -> Result<()> {
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
                format!(
                    "feature {j} has NaN values; pgml's trees do not split on missing values yet"
                ),
                "impute them: preprocess => '{\"column\": {\"impute\": \"mean\"}}'",
            ));
        }
    }
    if let MaxFeatures::Count(c) = options.tree.max_features {
        if c > p {
            return Err(Error::invalid(format!(
                "hyperparameter max_features must be at most the {p} features, got {c}"
            )));
        }
    }
    let too_many = |name: &str, c: usize, of: usize, what: &str| {
        (c > of).then(|| {
            Error::invalid(format!(
                "hyperparameter {name} must be at most the {of} {what}, got {c}"
            ))
        })
    };
    let bad = match options.draw {
        Draw::Forest {
            max_samples: Some(Size::Count(c)),
            ..
        } => too_many("max_samples", c, n, "training rows"),
        Draw::Bagging {
            max_samples,
            max_features,
            ..
        } => match (max_samples, max_features) {
            (Size::Count(c), _) if c > n => too_many("max_samples", c, n, "training rows"),
            (_, Size::Count(c)) => too_many("max_features", c, p, "features"),
            _ => None,
        },
        _ => None,
    };
    bad.map_or(Ok(()), Err)
}

/// Bytes a fitted tree takes (its arrays).
fn tree_bytes(t: &CartTree) -> usize {
    t.node_count() * 12 + t.leaf_values.len() * 4
}

/// Whether `grown` trees taking `bytes` say the whole forest of `of` trees will not fit: the
/// average tree so far times the trees asked for, so that a forest that cannot fit is refused after
/// its first trees rather than once memory is spent.
fn outgrows(grown: usize, of: usize, bytes: usize, max_bytes: usize) -> bool {
    bytes > max_bytes || (grown > 0 && bytes as f64 / grown as f64 * of as f64 > max_bytes as f64)
}

fn too_big(grown: usize, of: usize, bytes: usize, max_bytes: usize) -> Error {
    Error::too_large(
        format!(
            "the forest would not fit in memory: its first {grown} of {of} trees take {} MiB, so all {of} would take about {} MiB (at most {} MiB)",
            bytes >> 20,
            ((bytes as f64 / grown.max(1) as f64 * of as f64) as usize) >> 20,
            max_bytes >> 20
        ),
        "lower n_estimators, or bound the trees with max_depth, max_leaf_nodes or min_samples_leaf",
    )
}

/// How many grown trees may wait for the calling thread: with this bound, whatever the calling
/// thread is doing (asleep, or unwinding from a cancel), at most `TREES_IN_FLIGHT + threads`
/// trees finish after it last looked.
const TREES_IN_FLIGHT: usize = 2;

/// Grows one tree per seed, on `threads` threads, in seed order; counts each tree grown in
/// `finished`.
fn grow_all(
    job: &Job<'_>,
    seeds: &[u64],
    threads: usize,
    max_bytes: usize,
    check_interrupts: &dyn Fn(),
    finished: &AtomicUsize,
) -> Result<Vec<Grown>> {
    let threads = threads.min(seeds.len()).max(1);
    if threads == 1 {
        // On the calling thread: the cancel check runs before every node.
        let mut out = Vec::with_capacity(seeds.len());
        let mut bytes = 0usize;
        for &seed in seeds {
            check_interrupts();
            let g = job
                .grow(seed, &mut || {
                    check_interrupts();
                    false
                })
                .map_err(|_| Error::invalid("training was stopped"))?;
            finished.fetch_add(1, Ordering::Relaxed);
            bytes += tree_bytes(&g.tree);
            if outgrows(out.len() + 1, seeds.len(), bytes, max_bytes) {
                return Err(too_big(out.len() + 1, seeds.len(), bytes, max_bytes));
            }
            out.push(g);
        }
        return Ok(out);
    }
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        // Bounded, so that workers never run far ahead of the calling thread. Made inside the
        // scope, so that however this closure ends (an error, or a cancel unwinding) the receiver
        // is dropped before the scope joins the workers: a worker blocked on a full channel then
        // gets an error and stops rather than waiting forever.
        let (send, receive) = mpsc::sync_channel::<(usize, Grown)>(TREES_IN_FLIGHT);
        for _ in 0..threads {
            let send = send.clone();
            let (next, stop) = (&next, &stop);
            scope.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= seeds.len() || stop.load(Ordering::Relaxed) {
                    return;
                }
                match job.grow(seeds[i], &mut || stop.load(Ordering::Relaxed)) {
                    Ok(g) => {
                        finished.fetch_add(1, Ordering::Relaxed);
                        if send.send((i, g)).is_err() {
                            return;
                        }
                    }
                    Err(cart::Stopped) => return,
                }
            });
        }
        drop(send);
        // Whatever ends this wait (done, too big, or a cancel unwinding out of
        // check_interrupts), the workers stop at their next node, so the scope's join is quick.
        let _stop_workers = StopOnDrop(&stop);
        let mut out: Vec<Option<Grown>> = (0..seeds.len()).map(|_| None).collect();
        let (mut done, mut bytes) = (0usize, 0usize);
        while done < seeds.len() {
            check_interrupts();
            match receive.recv_timeout(CHECK_EVERY) {
                Ok((i, g)) => {
                    bytes += tree_bytes(&g.tree);
                    out[i] = Some(g);
                    done += 1;
                    if outgrows(done, seeds.len(), bytes, max_bytes) {
                        return Err(too_big(done, seeds.len(), bytes, max_bytes));
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                // Every worker is gone: a worker panicked (the scope re-raises it on join).
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        out.into_iter()
            .map(|g| g.ok_or_else(|| Error::invalid("a tree was not grown")))
            .collect()
    })
}

struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Each training row predicted by the trees that did not draw it: accuracy or r2.
fn oob_score(
    job: &Job<'_>,
    trees: &[CartTree],
    k: usize,
    seeds: &[u64],
    n: usize,
    check_interrupts: &dyn Fn(),
) -> f64 {
    let mut sums = vec![0.0f64; n * k];
    let mut votes = vec![0u32; n];
    for (tree, &seed) in trees.iter().zip(seeds) {
        check_interrupts();
        let (_, weight) = job.draw_rows(&mut SplitMix64(seed));
        for i in (0..n).filter(|&i| weight[i] == 0.0) {
            let leaf = tree.leaf_of_row(job.x, i);
            for (s, &v) in sums[i * k..(i + 1) * k]
                .iter_mut()
                .zip(&tree.leaf_values[leaf * k..(leaf + 1) * k])
            {
                *s += f64::from(v);
            }
            votes[i] += 1;
        }
    }
    let scored: Vec<usize> = (0..n).filter(|&i| votes[i] > 0).collect();
    match job.target {
        cart::Target::Classes { codes, .. } => {
            let right = scored
                .iter()
                .filter(|&&i| argmax(&sums[i * k..(i + 1) * k]) == codes[i] as usize)
                .count();
            right as f64 / scored.len().max(1) as f64
        }
        cart::Target::Values(y) => {
            let truth: Vec<f32> = scored.iter().map(|&i| y[i]).collect();
            let pred: Vec<f32> = scored
                .iter()
                .map(|&i| (sums[i] / f64::from(votes[i])) as f32)
                .collect();
            metrics::regression(&truth, &pred)
                .get("r2")
                .copied()
                .unwrap_or(f64::NAN)
        }
        cart::Target::Joint { y, t } => {
            // scikit-learn's oob_score_ for a 2-D y: r2 averaged over the outputs.
            let truth: Vec<f32> = scored
                .iter()
                .flat_map(|&i| y[i * t..(i + 1) * t].iter().copied())
                .collect();
            let pred: Vec<f32> = scored
                .iter()
                .flat_map(|&i| {
                    let votes = f64::from(votes[i]);
                    sums[i * k..(i + 1) * k]
                        .iter()
                        .map(move |&s| (s / votes) as f32)
                })
                .collect();
            metrics::regression_joint(&truth, &pred, t)
                .get("r2")
                .copied()
                .unwrap_or(f64::NAN)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use serde_json::json;

    use super::super::{Algorithm, Estimator, Fitted};
    use super::*;

    const PINNED: &str = "02020103010000003f01000000000000010000000000040000803f000000000000803e0000403f020000000000000000000000000000f03f01000000000000e03f";

    /// 400 rows, 6 features: the class depends on x0 and x1, the value mostly on x0.
    fn data() -> (Matrix, Vec<u32>, Vec<f32>) {
        let mut rng = SplitMix64(9);
        let rows: Vec<Vec<f32>> = (0..400)
            .map(|_| (0..6).map(|_| rng.unit() as f32).collect())
            .collect();
        let codes = rows
            .iter()
            .map(|r| u32::from(r[0] + 0.5 * r[1] > 0.8) + u32::from(r[0] > 0.9))
            .collect();
        let y = rows.iter().map(|r| 5.0 * r[0] + r[1]).collect();
        (Matrix::from_rows(&rows).unwrap(), codes, y)
    }

    fn train(name: &str, task: Task, hp: serde_json::Value) -> Result<Estimator> {
        let (x, codes, y) = data();
        let a = Algorithm::parse(name)?;
        let params = a.resolve(task, &hp)?;
        let labels = match task {
            Task::Classification => Labels::Classes {
                codes: &codes,
                num_classes: 3,
            },
            _ => Labels::Values(&y),
        };
        a.fit(task, &params, &x, labels, &|| {})
    }

    fn forest(e: &Estimator) -> &ForestModel {
        match e.fitted() {
            Fitted::Forest(f) => f,
            other => panic!("not a forest: {}", other.kind()),
        }
    }

    #[test]
    fn the_thread_count_does_not_change_the_forest() {
        for (name, hp) in [
            ("random_forest", json!({"n_estimators": 12})),
            (
                "extra_trees",
                json!({"n_estimators": 12, "random_state": 3}),
            ),
            (
                "bagging",
                json!({"bootstrap_features": true, "max_features": 0.5, "max_samples": 0.7}),
            ),
        ] {
            for task in [Task::Classification, Task::Regression] {
                let with = |threads: i64| {
                    let mut hp = hp.clone();
                    hp["nthread"] = json!(threads);
                    train(name, task, hp).unwrap()
                };
                let one = with(1);
                assert_eq!(one, with(3), "{name} {task}");
                assert_eq!(one, with(2), "{name} {task}");
                let mut other_seed = hp.clone();
                other_seed["random_state"] = json!(99);
                assert_ne!(one, train(name, task, other_seed).unwrap(), "{name} {task}");
            }
        }
    }

    #[test]
    fn probabilities_importances_and_the_stored_form() {
        let e = train(
            "random_forest",
            Task::Classification,
            json!({"oob_score": true}),
        )
        .unwrap();
        let (x, codes, _) = data();
        let mut right = 0;
        for (i, &code) in codes.iter().enumerate() {
            let p = e.predict_proba(&x.row(i)).unwrap();
            assert_eq!(p.len(), 3);
            assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-5);
            let c = e.predict(&x.row(i)).unwrap() as usize;
            assert!(p.iter().all(|&q| q <= p[c]));
            right += usize::from(c == code as usize);
        }
        assert!(right > 390, "{right} of 400 training rows");
        let imp = e.feature_importances().unwrap();
        assert!((imp.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        assert!(imp[0] > imp[1] && imp[1] > imp[2].max(imp[3]), "{imp:?}");
        let oob = e.fit_metrics()["oob_score"];
        assert!(oob > 0.85 && oob <= 1.0, "{oob}");
        assert!(train("random_forest", Task::Regression, json!({}))
            .unwrap()
            .fit_metrics()
            .is_empty());

        let bytes = e.fitted().to_bytes().unwrap();
        let back = Fitted::from_bytes("cart_forest", &bytes).unwrap().unwrap();
        assert_eq!(&back, e.fitted());
        // A damaged tree is refused at load.
        let mut damaged = forest(&e).clone();
        damaged.trees[0].nodes[0].children = 10_000_000;
        let bytes = postcard::to_stdvec(&damaged).unwrap();
        assert!(Fitted::from_bytes("cart_forest", &bytes).unwrap().is_err());
    }

    /// The stored layout of kind `cart_forest`: models in users' databases are these bytes, so
    /// they never change (a new layout is a new kind).
    #[test]
    fn the_stored_bytes_are_pinned() {
        let model = ForestModel {
            num_features: 2,
            num_classes: 2,
            trees: vec![CartTree {
                nodes: vec![
                    cart::Node {
                        feature: 1,
                        threshold: 0.5,
                        children: 1,
                    },
                    cart::Node {
                        feature: 0,
                        threshold: 0.0,
                        children: 0,
                    },
                    cart::Node {
                        feature: 1,
                        threshold: 0.0,
                        children: 0,
                    },
                ],
                leaf_values: vec![1.0, 0.0, 0.25, 0.75],
            }],
            feature_importances: vec![0.0, 1.0],
            oob_score: Some(0.5),
            packed: PackedCache::default(),
        };
        let bytes = postcard::to_stdvec(&model).unwrap();
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, PINNED);
        assert_eq!(postcard::from_bytes::<ForestModel>(&bytes).unwrap(), model);
        assert_eq!(model.predict_proba(&[0.0, 0.4]), Some(vec![1.0, 0.0]));
        assert_eq!(model.predict(&[0.0, 0.6]), Some(1.0));
    }

    #[test]
    fn class_weights_and_draws_change_the_trees() {
        let plain = train("random_forest", Task::Classification, json!({})).unwrap();
        for cw in ["balanced", "balanced_subsample"] {
            let weighted = train(
                "random_forest",
                Task::Classification,
                json!({ "class_weight": cw }),
            )
            .unwrap();
            assert_ne!(plain, weighted, "{cw}");
        }
        assert_eq!(balanced(&[2.0, 6.0, 0.0]), [2.0, 2.0 / 3.0, 0.0]);
        let all_rows = train(
            "random_forest",
            Task::Regression,
            json!({"bootstrap": false, "max_features": 1.0, "n_estimators": 3}),
        )
        .unwrap();
        let trees = &forest(&all_rows).trees;
        assert!(trees
            .windows(2)
            .all(|w| w[0].node_count() == w[1].node_count()));
        let half = train(
            "random_forest",
            Task::Regression,
            json!({"max_samples": 0.5}),
        )
        .unwrap();
        let full = train("random_forest", Task::Regression, json!({})).unwrap();
        let nodes = |e: &Estimator| {
            forest(e)
                .trees
                .iter()
                .map(CartTree::node_count)
                .sum::<usize>()
        };
        assert!(nodes(&half) < nodes(&full));
    }

    #[test]
    fn bad_hyperparameters_are_named() {
        let refused = |name: &str, task: Task, hp: serde_json::Value| {
            let e = train(name, task, hp.clone()).unwrap_err();
            assert!(matches!(e, Error::InvalidParameter { .. }), "{hp}: {e:?}");
            e.to_string()
        };
        let c = Task::Classification;
        let r = Task::Regression;
        assert_eq!(
            refused("random_forest", c, json!({"max_features": "cube"})),
            "hyperparameter max_features of random_forest must be a whole number from 1 to 2147483647 or a fraction greater than 0 and at most 1 (e.g. 0.5 or 1.0), or one of sqrt, log2, got \"cube\""
        );
        assert!(refused("random_forest", c, json!({"max_features": 1.5})).contains("a fraction"));
        assert!(refused("random_forest", c, json!({"max_features": 0})).contains("from 1"));
        assert!(refused("random_forest", c, json!({"min_samples_leaf": 1.0})).contains("below 1"));
        assert!(refused("random_forest", c, json!({"min_samples_split": 1})).contains("from 2"));
        assert!(
            refused("random_forest", c, json!({"criterion": "squared_error"}))
                .contains("gini, entropy, log_loss")
        );
        assert!(refused("extra_trees", r, json!({"criterion": "gini"}))
            .contains("squared_error, absolute_error, friedman_mse"));
        assert!(
            refused("random_forest", c, json!({"class_weight": "heavy"}))
                .contains("balanced, balanced_subsample, or an object of class labels")
        );
        assert_eq!(
            refused("random_forest", c, json!({"class_weight": {"1": -2.0}})),
            "class_weight gives class \"1\" the weight -2.0; a weight must be a number at least 0"
        );
        assert!(
            refused("random_forest", c, json!({"class_weight": {"1": "2"}}))
                .contains("a weight must be a number at least 0")
        );
        assert!(
            refused("random_forest", r, json!({"class_weight": "balanced"}))
                .contains("unknown hyperparameter")
        );
        assert!(
            refused("random_forest", c, json!({"n_estimators": 1e9})).contains("from 1 to 100000")
        );
        assert!(refused("bagging", c, json!({"n_estimators": 1e9})).contains("from 1 to 100000"));
        assert!(refused("random_forest", c, json!({"max_depth": 0})).contains("from 1"));
        assert!(
            refused("random_forest", c, json!({"max_depth": "deep"})).contains("a whole number")
        );
        assert!(refused("random_forest", c, json!({"bootstrap": "yes"})).contains("true or false"));
        assert!(
            refused("random_forest", c, json!({"min_weight_fraction_leaf": 0.6}))
                .contains("at most 0.5")
        );
        assert!(refused("random_forest", c, json!({"max_leaf_nodes": 1})).contains("from 2"));
        assert!(refused("extra_trees", c, json!({"oob_score": true})).contains("needs bootstrap"));
        assert!(refused(
            "random_forest",
            c,
            json!({"bootstrap": false, "max_samples": 10})
        )
        .contains("needs bootstrap"));
        // Known only once the data is: more than there is.
        assert!(refused("random_forest", c, json!({"max_features": 7}))
            .contains("at most the 6 features"));
        assert!(refused("random_forest", c, json!({"max_samples": 401}))
            .contains("at most the 400 training rows"));
        assert!(
            refused("bagging", r, json!({"max_features": 7})).contains("at most the 6 features")
        );
        assert!(refused("bagging", r, json!({"max_samples": 401}))
            .contains("at most the 400 training rows"));
        // 1e6 is a depth like any other: the rows bound the trees.
        train(
            "random_forest",
            c,
            json!({"max_depth": 1e6, "n_estimators": 5}),
        )
        .unwrap();
        train(
            "extra_trees",
            r,
            json!({"max_depth": 1_000_000_000, "n_estimators": 5}),
        )
        .unwrap();
    }

    #[test]
    fn a_forest_bigger_than_the_budget_stops_with_an_error() {
        let (x, codes, _) = data();
        let options = ForestOptions::read(
            Task::Classification,
            &Algorithm::parse("random_forest")
                .unwrap()
                .resolve(Task::Classification, &json!({}))
                .unwrap(),
            Splitter::Best,
        )
        .unwrap();
        let job = Job {
            x: &x,
            target: cart::Target::Classes {
                codes: &codes,
                k: 3,
            },
            options: &options,
            class_weights: None,
        };
        let seeds: Vec<u64> = (0..50).collect();
        for threads in [1, 2] {
            let e =
                grow_all(&job, &seeds, threads, 10_000, &|| {}, &AtomicUsize::new(0)).unwrap_err();
            assert!(
                e.to_string()
                    .starts_with("the forest would not fit in memory"),
                "{e}"
            );
            assert_eq!(
                grow_all(
                    &job,
                    &seeds,
                    threads,
                    usize::MAX,
                    &|| {},
                    &AtomicUsize::new(0)
                )
                .unwrap()
                .len(),
                50
            );
        }
    }

    /// The options `name`'s learner builds, as its fit would use them.
    fn options_of(name: &str, task: Task, hp: serde_json::Value) -> ForestOptions {
        use super::super::Learner;
        use super::super::{
            bagging::Bagging, extra_trees::ExtraTrees, random_forest::RandomForest,
        };
        let params = Algorithm::parse(name).unwrap().resolve(task, &hp).unwrap();
        match name {
            "random_forest" => RandomForest.options(task, &params),
            "extra_trees" => ExtraTrees.options(task, &params),
            _ => Bagging.options(task, &params),
        }
        .unwrap()
    }

    /// The cancel check runs on the calling thread, before every tree (and every node on one
    /// thread), and a cancel (a panic out of the check, as PostgreSQL's unwinds) ends the fit
    /// with the workers stopped. Counted, not timed: the checks per tree and node, and the trees
    /// that finish after the cancel (none on one thread; on more, at most one per worker plus
    /// the few the bounded channel holds), so no machine load can fail it, and a fit that stops
    /// checking, or workers that run on, do.
    #[test]
    fn cancels_reach_every_forest_promptly() {
        const TREES: usize = 2_000;
        let (x, codes, y) = data();
        for name in ["random_forest", "extra_trees", "bagging"] {
            for threads in [1usize, 2] {
                let o = options_of(
                    name,
                    Task::Regression,
                    json!({"nthread": threads, "n_estimators": 20}),
                );
                let (calls, finished) = (Cell::new(0usize), AtomicUsize::new(0));
                let model = fit_counted(
                    name,
                    Task::Regression,
                    &o,
                    &x,
                    Labels::Values(&y),
                    &|| calls.set(calls.get() + 1),
                    &finished,
                )
                .unwrap();
                assert_eq!(finished.load(Ordering::Relaxed), 20, "{name} {threads}");
                // One thread: a check before every node of every tree; more: one at least for
                // every tree received.
                let at_least = if threads == 1 {
                    model.trees.iter().map(CartTree::node_count).sum()
                } else {
                    20
                };
                assert!(
                    calls.get() >= at_least,
                    "{name} {threads}: {} checks, {at_least} expected at least",
                    calls.get()
                );

                let o = options_of(
                    name,
                    Task::Classification,
                    json!({"nthread": threads, "n_estimators": TREES}),
                );
                // The trees finished when the check raised the cancel.
                let (at_cancel, finished) = (Cell::new(None::<usize>), AtomicUsize::new(0));
                let stopped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    fit_counted(
                        name,
                        Task::Classification,
                        &o,
                        &x,
                        Labels::Classes {
                            codes: &codes,
                            num_classes: 3,
                        },
                        &|| {
                            let done = finished.load(Ordering::Relaxed);
                            if done >= 5 {
                                at_cancel.set(Some(done));
                                panic!("canceling statement due to user request");
                            }
                        },
                        &finished,
                    )
                }));
                assert!(
                    stopped.is_err(),
                    "{name} {threads}: the cancel was not seen"
                );
                let at = at_cancel.get().unwrap();
                let after = finished.load(Ordering::Relaxed) - at;
                let bound = if threads == 1 {
                    0
                } else {
                    threads + TREES_IN_FLIGHT
                };
                assert!(
                    after <= bound,
                    "{name} {threads}: {after} trees finished after the cancel (at {at} of {TREES}), at most {bound} expected"
                );
            }
        }
    }
}
