//! CART decision trees as scikit-learn grows them (`DecisionTreeClassifier` /
//! `DecisionTreeRegressor`), shared by the forests (`random_forest`, `extra_trees`, `bagging`).
//!
//! Growth follows scikit-learn's `_tree.pyx` and `_splitter.pyx`: depth-first (best-first when
//! `max_leaf_nodes` is set), at each node the candidate features drawn without replacement until
//! `max_features` non-constant ones were tried, constant features remembered for the subtree,
//! splits only between values more than 1e-7 apart, thresholds at the midpoint, the first best
//! split kept on ties, `x <= threshold` going left. The random stream is pgml's own (SplitMix64),
//! so trees equal scikit-learn's only where no randomness decides.
//!
//! A fitted tree is flat arrays walked without recursion (see [`CartTree`]); growing allocates by
//! the nodes actually made, never by `max_depth`, so `max_depth` 1e6 costs nothing.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use serde::{Deserialize, Serialize};

use crate::split::SplitMix64;
use crate::Matrix;

/// Values closer than this are not split apart (scikit-learn's FEATURE_THRESHOLD).
const FEATURE_THRESHOLD: f64 = 1e-7;
/// scikit-learn's EPSILON (a node this pure is a leaf; improvements are compared with it).
const EPSILON: f64 = f64::EPSILON;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Criterion {
    Gini,
    /// `entropy` and `log_loss` (the same criterion in scikit-learn).
    Entropy,
    SquaredError,
    FriedmanMse,
    AbsoluteError,
}

impl Criterion {
    /// scikit-learn's name; `log_loss` is read as entropy.
    pub fn parse(name: &str) -> Option<Criterion> {
        Some(match name {
            "gini" => Criterion::Gini,
            "entropy" | "log_loss" => Criterion::Entropy,
            "squared_error" => Criterion::SquaredError,
            "friedman_mse" => Criterion::FriedmanMse,
            "absolute_error" => Criterion::AbsoluteError,
            _ => return None,
        })
    }

    pub fn is_classification(self) -> bool {
        matches!(self, Criterion::Gini | Criterion::Entropy)
    }
}

/// How a node's split is chosen: the best threshold of each feature (CART), or one random
/// threshold per feature (extremely randomized trees).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Splitter {
    Best,
    Random,
}

/// `max_features` as given; resolved against the number of features at fit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MaxFeatures {
    All,
    Sqrt,
    Log2,
    Count(usize),
    Fraction(f64),
}

impl MaxFeatures {
    /// scikit-learn's rounding: at least one, `int()` (floor) of the fraction.
    pub fn resolve(self, p: usize) -> usize {
        let n = match self {
            MaxFeatures::All => p,
            MaxFeatures::Sqrt => (p as f64).sqrt() as usize,
            MaxFeatures::Log2 => (p as f64).log2() as usize,
            MaxFeatures::Count(c) => c,
            MaxFeatures::Fraction(f) => (f * p as f64) as usize,
        };
        n.clamp(1, p.max(1))
    }
}

/// A count or a fraction of the training rows (`min_samples_split`, `min_samples_leaf`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Size {
    Count(usize),
    Fraction(f64),
}

impl Size {
    /// scikit-learn's rounding: `ceil(fraction * n)`.
    fn resolve(self, n: usize) -> usize {
        match self {
            Size::Count(c) => c,
            Size::Fraction(f) => (f * n as f64).ceil() as usize,
        }
    }
}

/// The tree's hyperparameters, scikit-learn's names and meanings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TreeParams {
    pub criterion: Criterion,
    pub splitter: Splitter,
    /// None: unlimited (the data bounds the depth).
    pub max_depth: Option<usize>,
    pub min_samples_split: Size,
    pub min_samples_leaf: Size,
    pub min_weight_fraction_leaf: f64,
    pub max_features: MaxFeatures,
    pub max_leaf_nodes: Option<usize>,
    pub min_impurity_decrease: f64,
}

/// What the tree learns: class codes 0..k, values, or several values a row.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    Classes {
        codes: &'a [u32],
        k: usize,
    },
    Values(&'a [f32]),
    /// Multi-output regression (scikit-learn's `DecisionTreeRegressor` with a 2-D `y`): `y` is
    /// row-major, `t` values a row. A node's impurity is the mean of its outputs' impurities, a
    /// leaf holds one mean per output. Squared error and Friedman's MSE only: the forests refuse
    /// absolute error for several outputs before growing a tree.
    Joint {
        y: &'a [f32],
        t: usize,
    },
}

impl Target<'_> {
    /// Values per leaf: class probabilities, one value, or one value per output.
    pub fn outputs(&self) -> usize {
        match self {
            Target::Classes { k, .. } => *k,
            Target::Values(_) => 1,
            Target::Joint { t, .. } => *t,
        }
    }

    /// Regression outputs (what the squared-error sums are kept for): 0 for classes.
    fn regression_outputs(&self) -> usize {
        match self {
            Target::Classes { .. } => 0,
            Target::Values(_) => 1,
            Target::Joint { t, .. } => *t,
        }
    }
}

/// One fitted tree, flat. Node 0 is the root. An internal node sends `x` to `children` when
/// `x[feature] <= threshold` (scikit-learn's rule; NaN goes right) and to `children + 1`
/// otherwise; `children == 0` marks a leaf (the root is nobody's child), whose outputs are row
/// `feature` of `leaf_values` (`outputs` values a row: class probabilities, or the value).
/// Children always come after their parent, so a walk ends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CartTree {
    pub nodes: Vec<Node>,
    pub leaf_values: Vec<f32>,
}

/// A node's three fields side by side: a walk through a deep tree (fully grown forests reach
/// depth 20–40) is bound by memory, and one node is then one cache line rather than three.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Node {
    pub feature: u32,
    pub threshold: f32,
    pub children: u32,
}

impl CartTree {
    /// The output row of the leaf `x` falls in.
    #[inline]
    pub fn leaf(&self, x: &[f32]) -> usize {
        let mut node = self.nodes[0];
        loop {
            if node.children == 0 {
                return node.feature as usize;
            }
            let v = x.get(node.feature as usize).copied().unwrap_or(f32::NAN);
            // NaN fails `<=`, so it goes right as in scikit-learn without missing-value support.
            let next = node.children as usize + usize::from(v.is_nan() || v > node.threshold);
            node = self.nodes[next];
        }
    }

    /// [`CartTree::leaf`] of row `i` of a training matrix, read in place (no row copy).
    pub fn leaf_of_row(&self, x: &Matrix, i: usize) -> usize {
        let mut node = self.nodes[0];
        loop {
            if node.children == 0 {
                return node.feature as usize;
            }
            let v = x.get(i, node.feature as usize);
            let next = node.children as usize + usize::from(v.is_nan() || v > node.threshold);
            node = self.nodes[next];
        }
    }

    pub fn leaf_outputs(&self, x: &[f32], outputs: usize) -> &[f32] {
        let l = self.leaf(x);
        &self.leaf_values[l * outputs..(l + 1) * outputs]
    }

    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// A stored tree is walked without bounds surprises: checked once when a model is read.
    pub fn check(&self, num_features: usize, outputs: usize) -> Result<(), String> {
        let n = self.nodes.len();
        if n == 0 {
            return Err("a tree without nodes".into());
        }
        let leaves = self.leaf_values.len() / outputs.max(1);
        for i in 0..n {
            let c = self.nodes[i].children as usize;
            let f = self.nodes[i].feature as usize;
            if c == 0 {
                if f >= leaves {
                    return Err(format!("leaf {i} has no values"));
                }
            } else if c <= i || c + 1 >= n || f >= num_features {
                return Err(format!("node {i} has bad children or feature"));
            }
        }
        Ok(())
    }
}

/// A fitted tree and what it learned about its features.
#[derive(Debug, Clone)]
pub struct Grown {
    pub tree: CartTree,
    /// Weighted impurity decrease per feature, divided by the root's weight (scikit-learn's
    /// `compute_feature_importances` before normalization).
    pub importances: Vec<f64>,
}

/// The tree was stopped (a cancel) before it was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stopped;

/// Grows one tree on the rows of `samples` (distinct row numbers), each weighted by
/// `weight[row]`. `features` lists the features it may split on (a bagging estimator's subset,
/// or all). `should_stop` is asked before each node; true abandons the tree.
#[allow(clippy::too_many_arguments)] // one tree's inputs, as scikit-learn's fit takes them
pub fn grow(
    x: &Matrix,
    target: Target<'_>,
    weight: &[f64],
    samples: Vec<u32>,
    features: Vec<usize>,
    params: &TreeParams,
    rng: &mut SplitMix64,
    should_stop: &mut dyn FnMut() -> bool,
) -> Result<Grown, Stopped> {
    let mut b = Builder::new(x, target, weight, samples, features, params, rng);
    b.build(should_stop)?;
    Ok(b.finish())
}

/// Sufficient statistics of a set of rows.
#[derive(Debug, Clone)]
struct Stats {
    w: f64,
    /// Classification: weighted count per class. Regression: [Σw·y, Σw·y²]; with `t` outputs
    /// [Σw·y₀ … Σw·yₜ₋₁, Σw·y₀² … Σw·yₜ₋₁²].
    sums: Vec<f64>,
}

/// A node being grown.
#[derive(Debug, Clone, Copy)]
struct Record {
    node: usize,
    start: usize,
    end: usize,
    depth: usize,
    n_constant: usize,
}

/// A split found for a node (samples already partitioned: `start..pos` left).
#[derive(Debug, Clone, Copy)]
struct Split {
    feature: usize,
    threshold: f32,
    pos: usize,
    improvement: f64,
}

/// Per node while growing: its statistics, and its split once it has one.
#[derive(Debug, Clone)]
struct TmpNode {
    w: f64,
    impurity: f64,
    split: Option<(usize, f32, usize)>,
}

struct Builder<'a> {
    x: &'a Matrix,
    target: Target<'a>,
    weight: &'a [f64],
    params: &'a TreeParams,
    rng: &'a mut SplitMix64,
    samples: Vec<u32>,
    features: Vec<usize>,
    constant_features: Vec<usize>,
    max_features: usize,
    min_samples_leaf: usize,
    min_samples_split: usize,
    min_weight_leaf: f64,
    max_depth: usize,
    total_weight: f64,
    nodes: Vec<TmpNode>,
    /// `outputs` values per node (what it predicts as a leaf).
    node_values: Vec<f32>,
    /// Scratch: (sort key << 32 | row) of the node's rows for one feature.
    keys: Vec<u64>,
    scratch: Vec<u64>,
    /// Absolute error: a node's rows' ranks by target, and a Fenwick tree over them.
    rank: Vec<u32>,
    fenwick: Fenwick,
    /// Absolute error: the left part's cost at each split position.
    left_cost: Vec<f64>,
}

impl<'a> Builder<'a> {
    fn new(
        x: &'a Matrix,
        target: Target<'a>,
        weight: &'a [f64],
        samples: Vec<u32>,
        features: Vec<usize>,
        params: &'a TreeParams,
        rng: &'a mut SplitMix64,
    ) -> Builder<'a> {
        debug_assert!(
            !(matches!(target, Target::Joint { .. })
                && params.criterion == Criterion::AbsoluteError),
            "absolute error is refused for several outputs before a tree is grown"
        );
        // scikit-learn resolves fractions against the rows handed to the tree (all of them for a
        // bootstrapped forest, whose draws are weights).
        let n = x.rows();
        let min_samples_leaf = params.min_samples_leaf.resolve(n).max(1);
        let min_samples_split = params
            .min_samples_split
            .resolve(n)
            .max(2)
            .max(2 * min_samples_leaf);
        let total_weight: f64 = samples.iter().map(|&s| weight[s as usize]).sum();
        let max_features = params.max_features.resolve(features.len());
        let constant_features = vec![0; features.len()];
        Builder {
            x,
            target,
            weight,
            params,
            rng,
            samples,
            features,
            constant_features,
            max_features,
            min_samples_leaf,
            min_samples_split,
            min_weight_leaf: params.min_weight_fraction_leaf * total_weight,
            max_depth: params.max_depth.unwrap_or(usize::MAX),
            total_weight,
            nodes: Vec::new(),
            node_values: Vec::new(),
            keys: Vec::new(),
            scratch: Vec::new(),
            rank: Vec::new(),
            fenwick: Fenwick::default(),
            left_cost: Vec::new(),
        }
    }

    fn build(&mut self, should_stop: &mut dyn FnMut() -> bool) -> Result<(), Stopped> {
        let root = Record {
            node: self.new_node(),
            start: 0,
            end: self.samples.len(),
            depth: 0,
            n_constant: 0,
        };
        match self.params.max_leaf_nodes {
            None => {
                // Depth first, left before right, as scikit-learn's DepthFirstTreeBuilder.
                let mut stack = vec![root];
                while let Some(r) = stack.pop() {
                    if should_stop() {
                        return Err(Stopped);
                    }
                    if let Some((split, n_constant)) = self.evaluate(&r) {
                        let left = self.expand(r.node, &split);
                        let child = |node, start, end| Record {
                            node,
                            start,
                            end,
                            depth: r.depth + 1,
                            n_constant,
                        };
                        stack.push(child(left + 1, split.pos, r.end));
                        stack.push(child(left, r.start, split.pos));
                    }
                }
            }
            Some(max_leaf_nodes) => {
                // Best first: the frontier node whose split improves most is split next, until
                // max_leaf_nodes leaves (scikit-learn's BestFirstTreeBuilder).
                let mut frontier = BinaryHeap::new();
                let mut order = 0usize;
                let mut push = |b: &mut Self, r: Record, heap: &mut BinaryHeap<Frontier>| {
                    if let Some((split, n_constant)) = b.evaluate(&r) {
                        order += 1;
                        heap.push(Frontier {
                            improvement: split.improvement,
                            order,
                            record: r,
                            split,
                            n_constant,
                        });
                    }
                };
                push(self, root, &mut frontier);
                let mut splits_left = max_leaf_nodes.saturating_sub(1);
                while splits_left > 0 {
                    let Some(f) = frontier.pop() else { break };
                    if should_stop() {
                        return Err(Stopped);
                    }
                    let left = self.expand(f.record.node, &f.split);
                    splits_left -= 1;
                    let r = f.record;
                    let child = |node, start, end| Record {
                        node,
                        start,
                        end,
                        depth: r.depth + 1,
                        n_constant: f.n_constant,
                    };
                    push(self, child(left, r.start, f.split.pos), &mut frontier);
                    push(self, child(left + 1, f.split.pos, r.end), &mut frontier);
                }
            }
        }
        Ok(())
    }

    fn new_node(&mut self) -> usize {
        self.nodes.push(TmpNode {
            w: 0.0,
            impurity: 0.0,
            split: None,
        });
        let outputs = self.target.outputs();
        self.node_values.extend(std::iter::repeat_n(0.0, outputs));
        self.nodes.len() - 1
    }

    /// Gives `node` its split and two children; returns the left child's index.
    fn expand(&mut self, node: usize, split: &Split) -> usize {
        let left = self.new_node();
        self.new_node();
        self.nodes[node].split = Some((split.feature, split.threshold, left));
        left
    }

    /// Fills in the node's statistics and value; returns its split (samples partitioned) and
    /// the constant features its children inherit, or None for a leaf.
    fn evaluate(&mut self, r: &Record) -> Option<(Split, usize)> {
        let stats = self.stats(r.start, r.end);
        let impurity = self.impurity(&stats, r.start, r.end);
        let value = self.value(&stats, r.start, r.end);
        let n = r.end - r.start;
        let node = &mut self.nodes[r.node];
        node.w = stats.w;
        node.impurity = impurity;
        let outputs = value.len();
        self.node_values[r.node * outputs..(r.node + 1) * outputs].copy_from_slice(&value);
        let is_leaf = r.depth >= self.max_depth
            || n < self.min_samples_split
            || n < 2 * self.min_samples_leaf
            || stats.w < 2.0 * self.min_weight_leaf
            || impurity <= EPSILON;
        if is_leaf {
            return None;
        }
        let (split, n_constant) = self.node_split(r, &stats, impurity)?;
        if split.improvement + EPSILON < self.params.min_impurity_decrease {
            return None;
        }
        Some((split, n_constant))
    }

    fn stats(&self, start: usize, end: usize) -> Stats {
        let mut s = Stats {
            w: 0.0,
            sums: vec![
                0.0;
                match self.target {
                    Target::Classes { k, .. } => k,
                    Target::Values(_) => 2,
                    Target::Joint { t, .. } => 2 * t,
                }
            ],
        };
        for &row in &self.samples[start..end] {
            let row = row as usize;
            let w = self.weight[row];
            s.w += w;
            match self.target {
                Target::Classes { codes, .. } => s.sums[codes[row] as usize] += w,
                Target::Values(y) => {
                    let y = f64::from(y[row]);
                    s.sums[0] += w * y;
                    s.sums[1] += w * y * y;
                }
                Target::Joint { y, t } => {
                    let (sums, squares) = s.sums.split_at_mut(t);
                    for ((s, q), &y) in sums.iter_mut().zip(squares).zip(&y[row * t..(row + 1) * t])
                    {
                        let y = f64::from(y);
                        *s += w * y;
                        *q += w * y * y;
                    }
                }
            }
        }
        s
    }

    fn impurity(&mut self, s: &Stats, start: usize, end: usize) -> f64 {
        match self.params.criterion {
            Criterion::Gini => gini(&s.sums, s.w),
            Criterion::Entropy => entropy(&s.sums, s.w),
            Criterion::SquaredError | Criterion::FriedmanMse => match self.target {
                Target::Joint { t, .. } => {
                    // scikit-learn's MSE.node_impurity: Σy²/w − Σ mean², over the outputs.
                    let mut impurity = s.sums[t..].iter().sum::<f64>() / s.w;
                    for &sum in &s.sums[..t] {
                        impurity -= (sum / s.w) * (sum / s.w);
                    }
                    impurity / t as f64
                }
                _ => {
                    let mean = s.sums[0] / s.w;
                    s.sums[1] / s.w - mean * mean
                }
            },
            Criterion::AbsoluteError => {
                let (ys, median) = self.weighted_median(start, end);
                ys.iter().map(|&(y, w)| w * (y - median).abs()).sum::<f64>() / s.w
            }
        }
    }

    /// The node's targets sorted, with weights, and scikit-learn's weighted median of them.
    fn weighted_median(&self, start: usize, end: usize) -> (Vec<(f64, f64)>, f64) {
        let Target::Values(y) = self.target else {
            return (Vec::new(), 0.0);
        };
        let mut ys: Vec<(f64, f64)> = self.samples[start..end]
            .iter()
            .map(|&r| (f64::from(y[r as usize]), self.weight[r as usize]))
            .collect();
        ys.sort_by(|a, b| a.0.total_cmp(&b.0));
        let half = ys.iter().map(|p| p.1).sum::<f64>() / 2.0;
        let mut cum = 0.0;
        let mut median = ys.last().map_or(0.0, |p| p.0);
        for (i, &(v, w)) in ys.iter().enumerate() {
            cum += w;
            if cum >= half {
                // Exactly half the weight at or below: the midpoint with the next value.
                median = match ys.get(i + 1) {
                    Some(&(next, _)) if cum == half => (v + next) / 2.0,
                    _ => v,
                };
                break;
            }
        }
        (ys, median)
    }

    fn value(&self, s: &Stats, start: usize, end: usize) -> Vec<f32> {
        match self.params.criterion {
            Criterion::Gini | Criterion::Entropy => {
                s.sums.iter().map(|&c| (c / s.w) as f32).collect()
            }
            Criterion::SquaredError | Criterion::FriedmanMse => {
                let t = self.target.regression_outputs();
                s.sums[..t].iter().map(|&sum| (sum / s.w) as f32).collect()
            }
            Criterion::AbsoluteError => vec![self.weighted_median(start, end).1 as f32],
        }
    }

    /// The best split of the node over the candidate features, scikit-learn's feature draw.
    fn node_split(&mut self, r: &Record, stats: &Stats, impurity: f64) -> Option<(Split, usize)> {
        let (start, end) = (r.start, r.end);
        let n_features = self.features.len();
        let n_known_constants = r.n_constant;
        let mut n_total_constants = n_known_constants;
        let mut n_found_constants = 0;
        let mut n_drawn_constants = 0;
        let mut n_visited = 0;
        let mut f_i = n_features;
        let mut best: Option<(f64, Split)> = None;
        if self.params.criterion == Criterion::AbsoluteError {
            self.rank_targets(start, end);
        }
        while f_i > n_total_constants
            && (n_visited < self.max_features || n_visited <= n_found_constants + n_drawn_constants)
        {
            n_visited += 1;
            let lo = n_drawn_constants;
            let hi = f_i - n_found_constants;
            let mut f_j = lo + self.rng.below(hi - lo);
            if f_j < n_known_constants {
                self.features.swap(n_drawn_constants, f_j);
                n_drawn_constants += 1;
                continue;
            }
            f_j += n_found_constants;
            let feature = self.features[f_j];
            let found = match self.params.splitter {
                Splitter::Best => self.best_split_of(feature, start, end, stats),
                Splitter::Random => self.random_split_of(feature, start, end, stats),
            };
            match found {
                FeatureSplit::Constant => {
                    self.features.swap(f_j, n_total_constants);
                    n_found_constants += 1;
                    n_total_constants += 1;
                    continue;
                }
                FeatureSplit::None => {}
                FeatureSplit::Found(proxy, split) => {
                    if best.as_ref().is_none_or(|(b, _)| proxy > *b) {
                        best = Some((proxy, split));
                    }
                }
            }
            f_i -= 1;
            self.features.swap(f_i, f_j);
        }
        // The constant features found here stay known for the subtree (scikit-learn's copies
        // between `features` and `constant_features`).
        self.constant_features[..n_known_constants]
            .copy_from_slice(&self.features[..n_known_constants]);
        let found = &self.features[n_known_constants..n_known_constants + n_found_constants];
        self.constant_features[n_known_constants..n_known_constants + n_found_constants]
            .copy_from_slice(found);
        self.features[..n_total_constants]
            .copy_from_slice(&self.constant_features[..n_total_constants]);
        let (_, mut split) = best?;
        self.partition(start, end, split.feature, split.threshold, &mut split.pos);
        split.improvement = self.improvement(stats, impurity, start, split.pos, end);
        Some((split, n_total_constants))
    }

    /// Moves the rows going left (`x <= threshold`) before the others; `pos` is where they end.
    fn partition(
        &mut self,
        start: usize,
        end: usize,
        feature: usize,
        threshold: f32,
        pos: &mut usize,
    ) {
        let col = self.x.col(feature);
        let part = &mut self.samples[start..end];
        let mut i = 0;
        let mut j = part.len();
        while i < j {
            if col[part[i] as usize] <= threshold {
                i += 1;
            } else {
                j -= 1;
                part.swap(i, j);
            }
        }
        *pos = start + i;
    }

    /// scikit-learn's `impurity_improvement` of a partitioned split (what `min_impurity_decrease`
    /// is compared with and best-first growth orders by).
    fn improvement(
        &mut self,
        parent: &Stats,
        impurity: f64,
        start: usize,
        pos: usize,
        end: usize,
    ) -> f64 {
        let left = self.stats(start, pos);
        let right = self.stats(pos, end);
        if self.params.criterion == Criterion::FriedmanMse {
            // scikit-learn's FriedmanMSE sums the outputs, and divides the difference by their
            // number (one output: exactly the single-output formula).
            let t = self.target.regression_outputs();
            let (sl, sr) = (total(&left.sums[..t]), total(&right.sums[..t]));
            let diff = (right.w * sl - left.w * sr) / t as f64;
            return diff * diff / (left.w * right.w * parent.w);
        }
        let il = self.impurity(&left, start, pos);
        let ir = self.impurity(&right, pos, end);
        (parent.w / self.total_weight)
            * (impurity - right.w / parent.w * ir - left.w / parent.w * il)
    }

    /// Sorts the node's rows by `feature` into `self.keys` (value key << 32 | row).
    fn sort_by_feature(&mut self, feature: usize, start: usize, end: usize) {
        let col = self.x.col(feature);
        self.keys.clear();
        self.keys.extend(
            self.samples[start..end]
                .iter()
                .map(|&r| (u64::from(sort_key(col[r as usize])) << 32) | u64::from(r)),
        );
        radix_sort_high(&mut self.keys, &mut self.scratch);
    }

    fn best_split_of(
        &mut self,
        feature: usize,
        start: usize,
        end: usize,
        stats: &Stats,
    ) -> FeatureSplit {
        self.sort_by_feature(feature, start, end);
        // Taken out so that the scans below may use the rest of `self`; put back at the end.
        let keys_owned = std::mem::take(&mut self.keys);
        let found = self.scan_sorted(&keys_owned, feature, stats);
        self.keys = keys_owned;
        found
    }

    /// The best split of `feature` given the node's rows sorted by it (`keys`).
    fn scan_sorted(&mut self, keys: &[u64], feature: usize, stats: &Stats) -> FeatureSplit {
        let m = keys.len();
        let value = |i: usize| from_sort_key((keys[i] >> 32) as u32);
        let row = |i: usize| (keys[i] & 0xFFFF_FFFF) as usize;
        if f64::from(value(m - 1)) <= f64::from(value(0)) + FEATURE_THRESHOLD {
            return FeatureSplit::Constant;
        }
        let min_leaf = self.min_samples_leaf;
        let min_w = self.min_weight_leaf;
        let mut best: Option<(f64, usize)> = None;
        let mut consider = |p: usize, wl: f64, wr: f64, proxy: &dyn Fn() -> f64| {
            // A split between positions p-1 and p.
            if p < min_leaf || m - p < min_leaf || wl < min_w || wr < min_w {
                return;
            }
            if f64::from(value(p)) <= f64::from(value(p - 1)) + FEATURE_THRESHOLD {
                return;
            }
            let v = proxy();
            if best.is_none_or(|(b, _)| v > b) {
                best = Some((v, p));
            }
        };
        match self.target {
            Target::Classes { codes, k } => {
                let mut left = vec![0.0f64; k];
                let mut right = stats.sums.clone();
                let (mut wl, mut wr) = (0.0, stats.w);
                let entropy_criterion = self.params.criterion == Criterion::Entropy;
                // Gini: Σc² of each side; entropy: Σ c·log2 c of each side, kept as rows move.
                let f = |c: f64| if entropy_criterion { xlog2x(c) } else { c * c };
                let mut acc_l = 0.0;
                let mut acc_r: f64 = right.iter().map(|&c| f(c)).sum();
                for p in 1..m {
                    let r = row(p - 1);
                    let w = self.weight[r];
                    let c = codes[r] as usize;
                    acc_l += f(left[c] + w) - f(left[c]);
                    acc_r += f(right[c] - w) - f(right[c]);
                    left[c] += w;
                    right[c] -= w;
                    wl += w;
                    wr -= w;
                    let (al, ar) = (acc_l, acc_r);
                    consider(p, wl, wr, &|| {
                        if entropy_criterion {
                            // −wl·H(left) − wr·H(right), H in bits.
                            -(xlog2x(wl) - al) - (xlog2x(wr) - ar)
                        } else {
                            // −wl·gini(left) − wr·gini(right).
                            -(wl - al / wl) - (wr - ar / wr)
                        }
                    });
                }
            }
            Target::Values(y) => {
                if self.params.criterion == Criterion::AbsoluteError {
                    self.absolute_error_costs(keys, y);
                    let costs = std::mem::take(&mut self.left_cost);
                    let right = self.right_costs(keys, y);
                    let mut wl = 0.0;
                    for p in 1..m {
                        wl += self.weight[row(p - 1)];
                        let (cl, cr) = (costs[p], right[p]);
                        consider(p, wl, stats.w - wl, &|| -(cl + cr));
                    }
                    self.left_cost = costs;
                } else {
                    let friedman = self.params.criterion == Criterion::FriedmanMse;
                    let total = stats.sums[0];
                    let (mut wl, mut sl) = (0.0, 0.0);
                    for p in 1..m {
                        let r = row(p - 1);
                        let w = self.weight[r];
                        wl += w;
                        sl += w * f64::from(y[r]);
                        let (wr, sr) = (stats.w - wl, total - sl);
                        consider(p, wl, wr, &|| {
                            if friedman {
                                let diff = wr * sl - wl * sr;
                                diff * diff / (wl * wr)
                            } else {
                                sl * sl / wl + sr * sr / wr
                            }
                        });
                    }
                }
            }
            Target::Joint { y, t } => {
                // scikit-learn's multi-output proxies: Σₖ (slₖ²/wl + srₖ²/wr) for the squared
                // error; Friedman's on the sums over the outputs.
                let friedman = self.params.criterion == Criterion::FriedmanMse;
                let totals = &stats.sums[..t];
                let mut sl = vec![0.0f64; t];
                let mut wl = 0.0;
                for p in 1..m {
                    let r = row(p - 1);
                    let w = self.weight[r];
                    wl += w;
                    for (s, &v) in sl.iter_mut().zip(&y[r * t..(r + 1) * t]) {
                        *s += w * f64::from(v);
                    }
                    let wr = stats.w - wl;
                    let sl = &sl;
                    consider(p, wl, wr, &|| {
                        if friedman {
                            let (a, b) = (total(sl), total(totals) - total(sl));
                            let diff = wr * a - wl * b;
                            diff * diff / (wl * wr)
                        } else {
                            sl.iter()
                                .zip(totals)
                                .map(|(&l, &all)| {
                                    let r = all - l;
                                    l * l / wl + r * r / wr
                                })
                                .sum()
                        }
                    });
                }
            }
        }
        match best {
            None => FeatureSplit::None,
            Some((proxy, p)) => {
                let (a, b) = (value(p - 1), value(p));
                let mut threshold = ((f64::from(a) + f64::from(b)) / 2.0) as f32;
                // Rounded up to b (or overflowed): a itself separates them as well.
                if threshold >= b || !threshold.is_finite() {
                    threshold = a;
                }
                FeatureSplit::Found(
                    proxy,
                    Split {
                        feature,
                        threshold,
                        pos: 0,
                        improvement: 0.0,
                    },
                )
            }
        }
    }

    fn random_split_of(
        &mut self,
        feature: usize,
        start: usize,
        end: usize,
        stats: &Stats,
    ) -> FeatureSplit {
        let col = self.x.col(feature);
        let (mut lo, mut hi) = (f32::INFINITY, f32::NEG_INFINITY);
        for &r in &self.samples[start..end] {
            let v = col[r as usize];
            lo = lo.min(v);
            hi = hi.max(v);
        }
        if f64::from(hi) <= f64::from(lo) + FEATURE_THRESHOLD {
            return FeatureSplit::Constant;
        }
        let drawn = f64::from(lo) + self.rng.unit() * (f64::from(hi) - f64::from(lo));
        let mut threshold = drawn as f32;
        if threshold >= hi || !threshold.is_finite() {
            threshold = lo;
        }
        let mut pos = 0;
        self.partition(start, end, feature, threshold, &mut pos);
        let (nl, nr) = (pos - start, end - pos);
        if nl < self.min_samples_leaf || nr < self.min_samples_leaf {
            return FeatureSplit::None;
        }
        let left = self.stats(start, pos);
        let right_w = stats.w - left.w;
        if left.w < self.min_weight_leaf || right_w < self.min_weight_leaf {
            return FeatureSplit::None;
        }
        let proxy = match self.params.criterion {
            Criterion::Gini | Criterion::Entropy | Criterion::AbsoluteError => {
                let right = self.stats(pos, end);
                let il = self.impurity(&left, start, pos);
                let ir = self.impurity(&right, pos, end);
                -left.w * il - right.w * ir
            }
            Criterion::SquaredError => {
                let t = self.target.regression_outputs();
                left.sums[..t]
                    .iter()
                    .zip(&stats.sums[..t])
                    .map(|(&l, &all)| {
                        let sr = all - l;
                        l * l / left.w + sr * sr / right_w
                    })
                    .sum()
            }
            Criterion::FriedmanMse => {
                let t = self.target.regression_outputs();
                let sl = total(&left.sums[..t]);
                let sr = total(&stats.sums[..t]) - sl;
                let diff = right_w * sl - left.w * sr;
                diff * diff / (left.w * right_w)
            }
        };
        FeatureSplit::Found(
            proxy,
            Split {
                feature,
                threshold,
                pos: 0,
                improvement: 0.0,
            },
        )
    }

    /// Absolute error: each of the node's rows' rank by target (ties by row), for the Fenwick
    /// trees that give a running weighted median.
    fn rank_targets(&mut self, start: usize, end: usize) {
        let Target::Values(y) = self.target else {
            return;
        };
        if self.rank.len() < self.x.rows() {
            self.rank = vec![0; self.x.rows()];
        }
        let mut order: Vec<u32> = self.samples[start..end].to_vec();
        order.sort_by(|&a, &b| y[a as usize].total_cmp(&y[b as usize]).then(a.cmp(&b)));
        for (i, &r) in order.iter().enumerate() {
            self.rank[r as usize] = i as u32;
        }
        self.fenwick.reset(order.len());
        self.fenwick.sorted = order.iter().map(|&r| f64::from(y[r as usize])).collect();
    }

    /// Σw·|y − median| of the first p sorted rows, for every p (in `self.left_cost`).
    fn absolute_error_costs(&mut self, keys: &[u64], y: &[f32]) {
        self.left_cost.clear();
        self.left_cost.push(0.0);
        self.fenwick.clear();
        for &key in keys {
            let r = (key & 0xFFFF_FFFF) as usize;
            self.fenwick
                .add(self.rank[r] as usize, self.weight[r], f64::from(y[r]));
            self.left_cost.push(self.fenwick.cost());
        }
    }

    /// The same for the last m − p rows: `right[p]`.
    fn right_costs(&mut self, keys: &[u64], y: &[f32]) -> Vec<f64> {
        let m = keys.len();
        let mut right = vec![0.0; m + 1];
        self.fenwick.clear();
        for i in (0..m).rev() {
            let r = (keys[i] & 0xFFFF_FFFF) as usize;
            self.fenwick
                .add(self.rank[r] as usize, self.weight[r], f64::from(y[r]));
            right[i] = self.fenwick.cost();
        }
        right
    }

    /// The flat tree: nodes renumbered in growth order, leaves' values packed.
    fn finish(self) -> Grown {
        let outputs = self.target.outputs();
        let n = self.nodes.len();
        let mut tree = CartTree {
            nodes: Vec::with_capacity(n),
            leaf_values: Vec::new(),
        };
        let mut importances = vec![0.0; self.x.cols()];
        for (i, node) in self.nodes.iter().enumerate() {
            match node.split {
                Some((feature, threshold, left)) => {
                    let (l, r) = (&self.nodes[left], &self.nodes[left + 1]);
                    importances[feature] +=
                        node.w * node.impurity - l.w * l.impurity - r.w * r.impurity;
                    tree.nodes.push(Node {
                        feature: feature as u32,
                        threshold,
                        children: left as u32,
                    });
                }
                None => {
                    tree.nodes.push(Node {
                        feature: (tree.leaf_values.len() / outputs) as u32,
                        threshold: 0.0,
                        children: 0,
                    });
                    tree.leaf_values
                        .extend(&self.node_values[i * outputs..(i + 1) * outputs]);
                }
            }
        }
        let root_w = self.nodes.first().map_or(1.0, |r| r.w);
        if root_w > 0.0 {
            for v in &mut importances {
                *v /= root_w;
            }
        }
        Grown { tree, importances }
    }
}

enum FeatureSplit {
    Constant,
    None,
    Found(f64, Split),
}

struct Frontier {
    improvement: f64,
    order: usize,
    record: Record,
    split: Split,
    n_constant: usize,
}

impl PartialEq for Frontier {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Frontier {}
impl PartialOrd for Frontier {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Frontier {
    /// The largest improvement first; among equals, the node made first.
    fn cmp(&self, other: &Self) -> Ordering {
        self.improvement
            .total_cmp(&other.improvement)
            .then(other.order.cmp(&self.order))
    }
}

/// A sum in index order (one value: that value, bit for bit).
fn total(v: &[f64]) -> f64 {
    v.iter().sum()
}

fn gini(counts: &[f64], w: f64) -> f64 {
    1.0 - counts.iter().map(|&c| c * c).sum::<f64>() / (w * w)
}

fn entropy(counts: &[f64], w: f64) -> f64 {
    -counts
        .iter()
        .filter(|&&c| c > 0.0)
        .map(|&c| {
            let p = c / w;
            p * p.log2()
        })
        .sum::<f64>()
}

fn xlog2x(c: f64) -> f64 {
    if c > 0.0 {
        c * c.log2()
    } else {
        0.0
    }
}

/// f32 → u32 in the same order (negative values flipped), so rows sort as integers.
#[inline]
fn sort_key(v: f32) -> u32 {
    let b = v.to_bits();
    if b & 0x8000_0000 != 0 {
        !b
    } else {
        b | 0x8000_0000
    }
}

#[inline]
fn from_sort_key(k: u32) -> f32 {
    f32::from_bits(if k & 0x8000_0000 != 0 {
        k & 0x7FFF_FFFF
    } else {
        !k
    })
}

/// Sorts by the high 32 bits (the value), keeping the row order of equal values: a comparison
/// sort for small nodes, an LSD radix sort (3 passes of 11 bits) for large ones, where it is
/// several times faster.
fn radix_sort_high(keys: &mut Vec<u64>, scratch: &mut Vec<u64>) {
    if keys.len() < 512 {
        keys.sort_unstable();
        return;
    }
    scratch.clear();
    scratch.resize(keys.len(), 0);
    let mut src = std::mem::take(keys);
    for pass in 0..3 {
        let shift = 32 + pass * 11;
        let mut counts = [0usize; 2048];
        for &k in &src {
            counts[((k >> shift) & 0x7FF) as usize] += 1;
        }
        let mut sum = 0;
        for c in counts.iter_mut() {
            let n = *c;
            *c = sum;
            sum += n;
        }
        for &k in &src {
            let b = ((k >> shift) & 0x7FF) as usize;
            scratch[counts[b]] = k;
            counts[b] += 1;
        }
        std::mem::swap(&mut src, scratch);
    }
    *keys = src;
}

/// Weighted values by rank: a running weighted median and Σw·|y − median| in O(log n).
#[derive(Debug, Default)]
struct Fenwick {
    w: Vec<f64>,
    wy: Vec<f64>,
    /// The values in rank order.
    sorted: Vec<f64>,
    total_w: f64,
    total_wy: f64,
}

impl Fenwick {
    fn reset(&mut self, n: usize) {
        self.w = vec![0.0; n + 1];
        self.wy = vec![0.0; n + 1];
        self.total_w = 0.0;
        self.total_wy = 0.0;
    }

    fn clear(&mut self) {
        self.w.iter_mut().for_each(|v| *v = 0.0);
        self.wy.iter_mut().for_each(|v| *v = 0.0);
        self.total_w = 0.0;
        self.total_wy = 0.0;
    }

    fn add(&mut self, rank: usize, w: f64, y: f64) {
        self.total_w += w;
        self.total_wy += w * y;
        let mut i = rank + 1;
        while i < self.w.len() {
            self.w[i] += w;
            self.wy[i] += w * y;
            i += i & i.wrapping_neg();
        }
    }

    /// Σw·|y − m| for a weighted median m of what was added.
    fn cost(&self) -> f64 {
        let n = self.w.len() - 1;
        if n == 0 || self.total_w <= 0.0 {
            return 0.0;
        }
        // The first rank whose prefix weight reaches half the total.
        let half = self.total_w / 2.0;
        let mut pos = 0usize;
        let (mut below_w, mut below_wy) = (0.0, 0.0);
        let mut step = n.next_power_of_two();
        while step > 0 {
            let next = pos + step;
            if next <= n && below_w + self.w[next] < half {
                pos = next;
                below_w += self.w[next];
                below_wy += self.wy[next];
            }
            step >>= 1;
        }
        // Ranks 0..pos weigh less than half; rank pos is a weighted median.
        let m = self.sorted[pos.min(n - 1)];
        let (above_w, above_wy) = (self.total_w - below_w, self.total_wy - below_wy);
        (m * below_w - below_wy) + (above_wy - m * above_w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(criterion: Criterion) -> TreeParams {
        TreeParams {
            criterion,
            splitter: Splitter::Best,
            max_depth: None,
            min_samples_split: Size::Count(2),
            min_samples_leaf: Size::Count(1),
            min_weight_fraction_leaf: 0.0,
            max_features: MaxFeatures::All,
            max_leaf_nodes: None,
            min_impurity_decrease: 0.0,
        }
    }

    fn fit(x: &Matrix, target: Target<'_>, p: &TreeParams, seed: u64) -> Grown {
        let n = x.rows();
        grow(
            x,
            target,
            &vec![1.0; n],
            (0..n as u32).collect(),
            (0..x.cols()).collect(),
            p,
            &mut SplitMix64(seed),
            &mut || false,
        )
        .unwrap()
    }

    /// Depth of each leaf and the training rows reaching it.
    fn leaves(t: &CartTree, x: &Matrix) -> (usize, Vec<usize>) {
        let mut depth = vec![0usize; t.node_count()];
        let mut max_depth = 0;
        for i in 0..t.node_count() {
            let c = t.nodes[i].children as usize;
            if c != 0 {
                depth[c] = depth[i] + 1;
                depth[c + 1] = depth[i] + 1;
                max_depth = max_depth.max(depth[i] + 1);
            }
        }
        let mut counts = vec![0; t.leaf_values.len()];
        for i in 0..x.rows() {
            counts[t.leaf(&x.row(i))] += 1;
        }
        (max_depth, counts)
    }

    fn data(n: usize) -> (Matrix, Vec<u32>, Vec<f32>) {
        let mut rng = SplitMix64(7);
        let rows: Vec<Vec<f32>> = (0..n)
            .map(|_| (0..4).map(|_| rng.unit() as f32).collect())
            .collect();
        let codes = rows
            .iter()
            .map(|r| u32::from(r[0] + 0.3 * r[1] > 0.6))
            .collect();
        let y = rows.iter().map(|r| 3.0 * r[0] + r[2] * r[2]).collect();
        (Matrix::from_rows(&rows).unwrap(), codes, y)
    }

    #[test]
    fn a_clean_split_is_found_at_the_midpoint() {
        let x = Matrix::from_rows(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0].map(|v| vec![0.5, v])).unwrap();
        let codes = [0, 0, 0, 1, 1, 1];
        let g = fit(
            &x,
            Target::Classes {
                codes: &codes,
                k: 2,
            },
            &params(Criterion::Gini),
            0,
        );
        let children: Vec<u32> = g.tree.nodes.iter().map(|n| n.children).collect();
        assert_eq!(children, [1, 0, 0]);
        assert_eq!(
            g.tree.nodes[0].feature, 1,
            "the constant feature is never split on"
        );
        assert_eq!(g.tree.nodes[0].threshold, 3.5);
        assert_eq!(g.tree.leaf_outputs(&[0.5, 3.5], 2), [1.0, 0.0]);
        assert_eq!(g.tree.leaf_outputs(&[0.5, 3.6], 2), [0.0, 1.0]);
        // NaN goes right, as in scikit-learn's trees without missing-value support.
        assert_eq!(g.tree.leaf_outputs(&[0.5, f32::NAN], 2), [0.0, 1.0]);
        assert_eq!(g.importances, [0.0, 0.5]);
    }

    #[test]
    fn impurities_are_scikit_learns() {
        assert_eq!(gini(&[2.0, 2.0], 4.0), 0.5);
        assert_eq!(gini(&[4.0, 0.0], 4.0), 0.0);
        assert_eq!(entropy(&[2.0, 2.0], 4.0), 1.0);
        assert!((entropy(&[1.0, 1.0, 2.0], 4.0) - 1.5).abs() < 1e-12);
        // Squared error of [1, 3] is 1; absolute error's median of [1, 2, 10] is 2.
        let x = Matrix::from_rows(&[vec![0.0], vec![1.0], vec![2.0]]).unwrap();
        let y = [1.0, 2.0, 10.0];
        let p = params(Criterion::AbsoluteError);
        let mut rng = SplitMix64(0);
        let b = Builder::new(
            &x,
            Target::Values(&y),
            &[1.0; 3],
            vec![0, 1, 2],
            vec![0],
            &p,
            &mut rng,
        );
        assert_eq!(b.weighted_median(0, 3).1, 2.0);
        assert_eq!(
            b.weighted_median(0, 2).1,
            1.5,
            "half the weight on each side: the midpoint"
        );
        let p = params(Criterion::SquaredError);
        let mut rng = SplitMix64(0);
        let mut b = Builder::new(
            &x,
            Target::Values(&[1.0, 3.0, 0.0]),
            &[1.0; 3],
            vec![0, 1, 2],
            vec![0],
            &p,
            &mut rng,
        );
        let s = b.stats(0, 2);
        assert_eq!(b.impurity(&s, 0, 2), 1.0);
    }

    #[test]
    fn the_running_absolute_error_is_exact() {
        let mut rng = SplitMix64(3);
        let values: Vec<f64> = (0..40).map(|_| (rng.below(10) as f64) - 3.0).collect();
        let weights: Vec<f64> = (0..40).map(|_| 1.0 + rng.below(3) as f64).collect();
        let mut order: Vec<usize> = (0..40).collect();
        order.sort_by(|&a, &b| values[a].total_cmp(&values[b]).then(a.cmp(&b)));
        let mut rank = vec![0; 40];
        for (r, &i) in order.iter().enumerate() {
            rank[i] = r;
        }
        let mut f = Fenwick::default();
        f.reset(40);
        f.sorted = order.iter().map(|&i| values[i]).collect();
        for i in 0..40 {
            f.add(rank[i], weights[i], values[i]);
            // Brute force: the best constant is one of the values.
            let best = values[..=i]
                .iter()
                .map(|&m| {
                    (0..=i)
                        .map(|j| weights[j] * (values[j] - m).abs())
                        .sum::<f64>()
                })
                .fold(f64::INFINITY, f64::min);
            assert!(
                (f.cost() - best).abs() < 1e-9,
                "{i}: {} vs {best}",
                f.cost()
            );
        }
    }

    #[test]
    fn radix_sort_sorts_like_a_comparison_sort() {
        let mut rng = SplitMix64(5);
        let values: Vec<f32> = (0..5000)
            .map(|i| match i % 4 {
                0 => -(rng.unit() as f32) * 1e6,
                1 => rng.unit() as f32,
                2 => 0.0,
                _ => -0.0,
            })
            .collect();
        let mut keys: Vec<u64> = values
            .iter()
            .enumerate()
            .map(|(i, &v)| (u64::from(sort_key(v)) << 32) | i as u64)
            .collect();
        radix_sort_high(&mut keys, &mut Vec::new());
        let sorted: Vec<f32> = keys
            .iter()
            .map(|k| from_sort_key((k >> 32) as u32))
            .collect();
        assert!(sorted.windows(2).all(|w| w[0] <= w[1]));
        for (k, v) in keys.iter().zip(&sorted) {
            assert_eq!(values[(k & 0xFFFF_FFFF) as usize].to_bits(), v.to_bits());
        }
    }

    #[test]
    fn depth_leaf_size_and_leaf_count_limits_hold() {
        let (x, codes, y) = data(300);
        let classes = Target::Classes {
            codes: &codes,
            k: 2,
        };
        let unlimited = fit(&x, classes, &params(Criterion::Gini), 0);
        assert!(leaves(&unlimited.tree, &x).0 > 3);
        let p = TreeParams {
            max_depth: Some(3),
            ..params(Criterion::Entropy)
        };
        assert!(leaves(&fit(&x, classes, &p, 0).tree, &x).0 <= 3);
        // A huge max_depth allocates nothing by itself: the data bounds the tree.
        let p = TreeParams {
            max_depth: Some(1_000_000),
            ..params(Criterion::Gini)
        };
        assert_eq!(fit(&x, classes, &p, 0).tree, unlimited.tree);
        for criterion in [
            Criterion::SquaredError,
            Criterion::FriedmanMse,
            Criterion::AbsoluteError,
        ] {
            let p = TreeParams {
                min_samples_leaf: Size::Count(7),
                ..params(criterion)
            };
            let (_, counts) = leaves(&fit(&x, Target::Values(&y), &p, 0).tree, &x);
            assert!(counts.iter().all(|&c| c >= 7), "{criterion:?}: {counts:?}");
        }
        let p = TreeParams {
            max_leaf_nodes: Some(5),
            ..params(Criterion::SquaredError)
        };
        assert_eq!(fit(&x, Target::Values(&y), &p, 0).tree.leaf_values.len(), 5);
        let p = TreeParams {
            min_impurity_decrease: 1e9,
            ..params(Criterion::SquaredError)
        };
        assert_eq!(fit(&x, Target::Values(&y), &p, 0).tree.node_count(), 1);
    }

    #[test]
    fn a_seed_gives_one_tree_and_random_splits_stay_in_range() {
        let (x, codes, _) = data(200);
        let classes = Target::Classes {
            codes: &codes,
            k: 2,
        };
        for splitter in [Splitter::Best, Splitter::Random] {
            let p = TreeParams {
                splitter,
                max_features: MaxFeatures::Sqrt,
                ..params(Criterion::Gini)
            };
            assert_eq!(fit(&x, classes, &p, 11).tree, fit(&x, classes, &p, 11).tree);
            assert_ne!(fit(&x, classes, &p, 11).tree, fit(&x, classes, &p, 12).tree);
            // Grown to purity: every training row lands in a leaf of its own class.
            let t = fit(&x, classes, &p, 1).tree;
            for (i, &code) in codes.iter().enumerate() {
                assert_eq!(t.leaf_outputs(&x.row(i), 2)[code as usize], 1.0);
            }
        }
    }

    #[test]
    fn a_stop_abandons_the_tree_and_each_node_asks() {
        let (x, codes, _) = data(200);
        let classes = Target::Classes {
            codes: &codes,
            k: 2,
        };
        let p = params(Criterion::Gini);
        let mut asked = 0;
        let g = grow(
            &x,
            classes,
            &[1.0; 200],
            (0..200).collect(),
            vec![0, 1, 2, 3],
            &p,
            &mut SplitMix64(0),
            &mut || {
                asked += 1;
                false
            },
        )
        .unwrap();
        assert!(
            asked >= g.tree.node_count(),
            "{asked} checks for {} nodes",
            g.tree.node_count()
        );
        let stopped = grow(
            &x,
            classes,
            &[1.0; 200],
            (0..200).collect(),
            vec![0, 1, 2, 3],
            &p,
            &mut SplitMix64(0),
            &mut || true,
        );
        assert_eq!(stopped.unwrap_err(), Stopped);
    }

    /// scikit-learn's multi-output criteria: one output through the joint path is the single
    /// output tree bit for bit; the same column twice splits exactly as that column alone (the
    /// mean impurity is the column's, the proxies scale by 2 or 4) with each leaf's value twice.
    #[test]
    fn multi_output_trees_reduce_to_single_output_ones() {
        let (x, _, y) = data(300);
        for criterion in [Criterion::SquaredError, Criterion::FriedmanMse] {
            for splitter in [Splitter::Best, Splitter::Random] {
                for max_leaf_nodes in [None, Some(9)] {
                    let p = TreeParams {
                        splitter,
                        max_leaf_nodes,
                        max_features: MaxFeatures::Sqrt,
                        ..params(criterion)
                    };
                    let single = fit(&x, Target::Values(&y), &p, 5);
                    let one = fit(&x, Target::Joint { y: &y, t: 1 }, &p, 5);
                    assert_eq!(one.tree, single.tree, "{criterion:?} {splitter:?}");
                    assert_eq!(one.importances, single.importances);
                    let twice: Vec<f32> = y.iter().flat_map(|&v| [v, v]).collect();
                    let two = fit(&x, Target::Joint { y: &twice, t: 2 }, &p, 5);
                    assert_eq!(
                        two.tree.nodes, single.tree.nodes,
                        "{criterion:?} {splitter:?}"
                    );
                    let doubled: Vec<f32> = single
                        .tree
                        .leaf_values
                        .iter()
                        .flat_map(|&v| [v, v])
                        .collect();
                    assert_eq!(two.tree.leaf_values, doubled);
                    for (a, b) in two.importances.iter().zip(&single.importances) {
                        assert!((a - b).abs() < 1e-9, "{a} vs {b}");
                    }
                }
            }
        }
    }

    /// Two unrelated outputs: the split serves both (the mean impurity), leaves hold each
    /// output's mean, and a node's impurity is the mean of the outputs' variances.
    #[test]
    fn a_multi_output_split_minimizes_the_mean_impurity() {
        // Output a steps at x = 3.5 by 10; output b at x = 5.5 by 1: the squared error summed
        // over outputs is lowest splitting a's step first.
        let xs = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0];
        let x = Matrix::from_rows(&xs.map(|v| vec![v])).unwrap();
        let y: Vec<f32> = xs
            .iter()
            .flat_map(|&v| [if v > 3.5 { 10.0 } else { 0.0 }, f32::from(v > 5.5)])
            .collect();
        let p = TreeParams {
            max_depth: Some(1),
            ..params(Criterion::SquaredError)
        };
        let g = fit(&x, Target::Joint { y: &y, t: 2 }, &p, 0);
        assert_eq!(g.tree.nodes[0].threshold, 3.5);
        assert_eq!(g.tree.leaf_outputs(&[1.0], 2), [0.0, 0.0]);
        assert_eq!(g.tree.leaf_outputs(&[8.0], 2), [10.0, 0.6]);
        let mut rng = SplitMix64(0);
        let mut b = Builder::new(
            &x,
            Target::Joint { y: &y, t: 2 },
            &[1.0; 8],
            (0..8).collect(),
            vec![0],
            &p,
            &mut rng,
        );
        let s = b.stats(0, 8);
        // Variances: a 10² · 3/8 · 5/8, b 1 · 3/8 · 5/8; their mean.
        let expected = (100.0 + 1.0) * (3.0 / 8.0) * (5.0 / 8.0) / 2.0;
        assert!((b.impurity(&s, 0, 8) - expected).abs() < 1e-12);
    }

    fn node(feature: u32, threshold: f32, children: u32) -> Node {
        Node {
            feature,
            threshold,
            children,
        }
    }

    #[test]
    fn damaged_trees_are_refused() {
        let good = CartTree {
            nodes: vec![node(0, 0.5, 1), node(0, 0.0, 0), node(1, 0.0, 0)],
            leaf_values: vec![1.0, 2.0],
        };
        assert_eq!(good.check(1, 1), Ok(()));
        let mut loops = good.clone();
        loops.nodes[0].children = 0;
        loops.nodes[1].children = 1;
        assert!(loops.check(1, 1).is_err());
        let mut out = good.clone();
        out.nodes[0].children = 2;
        assert!(out.check(1, 1).is_err());
        let mut leaf = good.clone();
        leaf.nodes[2].feature = 2;
        assert!(leaf.check(1, 1).is_err());
        assert!(good.check(0, 1).is_err(), "a feature beyond the model's");
    }
}
