//! The histogram tree learner of `hist_gradient_boosting`, as scikit-learn's
//! `ensemble/_hist_gradient_boosting` (binning.py, grower.py, splitting.pyx, histogram.pyx):
//!
//! - Binning: per feature at most `max_bins` bins for values, thresholds at the midpoints of the
//!   distinct values (or of the quantiles, on a subsample of 200 000 rows), `x <= threshold` in
//!   the lower bin; NaN in a bin of its own (the last one).
//! - Growth: best-first (the leaf whose split gains most is split next) up to `max_leaf_nodes`,
//!   gradients and hessians summed per bin in histograms (f32 gradients, f64 sums), the larger
//!   child's histogram the parent's minus the smaller child's. A split is scanned left to right
//!   with missing values going right and, where the feature had missing values in training, right
//!   to left with them going left; a feature without missing values sends them at predict time to
//!   the child with more rows.
//!
//! Binned rows are stored row after row (one byte a feature) and feature after feature: a
//! small node's rows each cost one cache line when its histogram is built, a large node's
//! histogram and every partition read one feature's bytes side by side.
//!
//! Threads: a tree is grown on a [`Pool`] that lives for the whole fit (idle workers sleep on a
//! channel; the calling thread does any task no worker has claimed). Histograms and partitions
//! are cut into tasks by the node's size alone and partial sums are added in task order, so the
//! tree is bit for bit the same on 1 thread or many. Binning runs once, on scoped threads.

use std::collections::BinaryHeap;
use std::sync::Arc;

use crate::pool::{scoped_each, Pool};
use crate::split::SplitMix64;
use crate::Matrix;

/// Bins a histogram has per feature (the missing-value bin is `max_bins`, at most 255).
const STRIDE: usize = 256;
/// scikit-learn's `min_hessian_to_split`.
const MIN_HESSIAN_TO_SPLIT: f64 = 1e-3;
/// scikit-learn's binning subsample.
const BINNING_SUBSAMPLE: usize = 200_000;
/// scikit-learn's ALMOST_INF: finite thresholds stay below it.
const ALMOST_INF: f64 = 1e300;
/// A node with fewer row-features than this sums its histogram row by row, even when dense.
const PARALLEL_WORK: usize = 1 << 17;
/// A node holding at least 1/DENSE of the rows builds its histogram feature by feature.
const DENSE: usize = 4;
/// Rows a histogram task sums (a sparse node's); fixed, so the sums' order is too.
const FILL_CHUNK: usize = 16_384;
/// The fewest rows a partition task splits (a stable partition's result does not depend on
/// how the rows are cut, so the cut may follow the threads).
const PARTITION_CHUNK: usize = 8_192;
/// Rows a partition task sorts into its two block buffers before appending them (a power of
/// two: see `partition_rows`).
const PARTITION_BLOCK: usize = 256;
/// The most the frontier's histograms may hold (24 bytes × 256 bins × features each): with
/// `max_leaf_nodes` in the thousands the frontier could otherwise hold a histogram per leaf.
const FRONTIER_HISTOGRAM_BYTES: usize = 256 << 20;

/// The training rows mapped to bins, row after row.
#[derive(Debug)]
pub struct Binned {
    pub rows: usize,
    pub features: usize,
    pub bins: Vec<u8>,
    /// The same bins feature after feature: a split reads one feature of its node's rows, and
    /// this way those bytes sit side by side (64 rows a cache line rather than about 3).
    pub columns: Vec<u8>,
    /// Per feature, the increasing upper bounds of its value bins (`x <= t` is in the bin of t).
    pub thresholds: Vec<Vec<f32>>,
    pub has_missing: Vec<bool>,
    /// The bin of NaN: `max_bins`.
    pub missing_bin: u8,
}

impl Binned {
    pub fn value_bins(&self, feature: usize) -> usize {
        self.thresholds[feature].len() + 1
    }

    /// The threshold of a split after `bin` (rows with `x <= threshold` go left): +∞ for the
    /// split that sends every value left and only NaN right.
    pub fn split_threshold(&self, feature: usize, bin: u8) -> f32 {
        self.thresholds[feature]
            .get(bin as usize)
            .copied()
            .unwrap_or(f32::INFINITY)
    }
}

/// The largest f32 at most `v` (so that `x <= v` and `x <= result` agree for every f32 x).
fn f32_at_most(v: f64) -> f32 {
    let f = v as f32;
    if f64::from(f) > v {
        f.next_down()
    } else {
        f
    }
}

/// scikit-learn's `_find_binning_thresholds` on one feature's non-missing values.
fn thresholds(mut values: Vec<f64>, max_bins: usize) -> Vec<f32> {
    values.sort_unstable_by(f64::total_cmp);
    let mut distinct = values.clone();
    distinct.dedup();
    let midpoints: Vec<f64> = if distinct.len() <= max_bins {
        distinct.windows(2).map(|w| (w[0] + w[1]) * 0.5).collect()
    } else {
        // numpy's percentile(method="midpoint") at 100·i/max_bins, i = 1..max_bins−1.
        let n = values.len();
        (1..max_bins)
            .map(|i| {
                let q = i as f64 / max_bins as f64;
                let position = q * (n - 1) as f64;
                let low = position.floor() as usize;
                if position == low as f64 {
                    values[low]
                } else {
                    (values[low] + values[(low + 1).min(n - 1)]) * 0.5
                }
            })
            .collect()
    };
    midpoints
        .into_iter()
        .map(|m| f32_at_most(m.min(ALMOST_INF)))
        .collect()
}

/// Bins the rows `rows` of `x` (row i of the result is row `rows[i]`), thresholds found on a
/// random subsample of at most 200 000 of them. Features are binned on up to `threads` scoped
/// threads (a feature at a time), then the row-major copy is written by runs of rows likewise.
pub fn bin(x: &Matrix, rows: &[usize], max_bins: usize, seed: u64, threads: usize) -> Binned {
    let (n, p) = (rows.len(), x.cols());
    let sample: Vec<usize> = if n > BINNING_SUBSAMPLE {
        let mut idx: Vec<usize> = (0..n).collect();
        let mut rng = SplitMix64(seed);
        for i in 0..BINNING_SUBSAMPLE {
            let j = i + rng.below(n - i);
            idx.swap(i, j);
        }
        idx.truncate(BINNING_SUBSAMPLE);
        idx
    } else {
        (0..n).collect()
    };
    let missing_bin = max_bins as u8;
    let threads = threads.clamp(1, p.max(1));
    // One feature: its thresholds, its column of bins, whether it has missing values.
    let one = |j: usize, column: &mut [u8]| -> (Vec<f32>, bool) {
        let col = x.col(j);
        let values = sample
            .iter()
            .map(|&i| col[rows[i]])
            .filter(|v| !v.is_nan())
            .map(f64::from)
            .collect();
        let t = thresholds(values, max_bins);
        let mut missing = false;
        for (out, &i) in column.iter_mut().zip(rows) {
            let v = col[i];
            *out = if v.is_nan() {
                missing = true;
                missing_bin
            } else {
                t.partition_point(|&edge| edge < v) as u8
            };
        }
        (t, missing)
    };
    let mut columns = vec![0u8; n * p];
    let mut features: Vec<(Vec<f32>, bool)> = vec![(Vec::new(), false); p];
    if n > 0 {
        let items: Vec<_> = columns
            .chunks_mut(n)
            .zip(features.iter_mut())
            .enumerate()
            .collect();
        scoped_each(threads, items, |(j, (column, out))| *out = one(j, column));
    }
    let (thresholds, has_missing): (Vec<Vec<f32>>, Vec<bool>) = features.into_iter().unzip();
    let mut bins = vec![0u8; n * p];
    if p > 0 && n > 0 {
        let chunk = n.div_ceil(threads).max(1);
        let items: Vec<_> = bins.chunks_mut(chunk * p).enumerate().collect();
        scoped_each(threads, items, |(c, part)| {
            let start = c * chunk;
            for (r, row) in part.chunks_exact_mut(p).enumerate() {
                for (j, b) in row.iter_mut().enumerate() {
                    *b = columns[j * n + start + r];
                }
            }
        });
    }
    Binned {
        rows: n,
        features: p,
        bins,
        columns,
        thresholds,
        has_missing,
        missing_bin,
    }
}

/// What a histogram sums per bin. Two layouts: [`UnitBin`] when every hessian is 1 (the count
/// is the hessian, 16 bytes a bin) and [`Bin`] otherwise (24 bytes); the smaller one keeps more
/// of a node's histogram in cache while rows are added.
pub trait HistBin: Copy + Default + Send + Sync + 'static {
    /// Whether the hessians are read (false: each is 1).
    const HESSIAN: bool;
    fn add(&mut self, g: f32, h: f32);
    fn merge(&mut self, other: &Self);
    fn subtract(&mut self, other: &Self);
    fn g(&self) -> f64;
    fn h(&self) -> f64;
    fn count(&self) -> usize;
}

/// Sums of one bin when every hessian is 1. The count is kept as f64, exact below 2^53 rows.
#[derive(Debug, Clone, Copy, Default)]
pub struct UnitBin {
    g: f64,
    count: f64,
}

impl HistBin for UnitBin {
    const HESSIAN: bool = false;
    #[inline(always)]
    fn add(&mut self, g: f32, _h: f32) {
        self.g += f64::from(g);
        self.count += 1.0;
    }
    fn merge(&mut self, o: &Self) {
        self.g += o.g;
        self.count += o.count;
    }
    fn subtract(&mut self, o: &Self) {
        self.g -= o.g;
        self.count -= o.count;
    }
    fn g(&self) -> f64 {
        self.g
    }
    fn h(&self) -> f64 {
        self.count
    }
    fn count(&self) -> usize {
        self.count as usize
    }
}

/// Sums of one bin.
#[derive(Debug, Clone, Copy, Default)]
pub struct Bin {
    g: f64,
    h: f64,
    count: u32,
}

impl HistBin for Bin {
    const HESSIAN: bool = true;
    #[inline(always)]
    fn add(&mut self, g: f32, h: f32) {
        self.g += f64::from(g);
        self.h += f64::from(h);
        self.count += 1;
    }
    fn merge(&mut self, o: &Self) {
        self.g += o.g;
        self.h += o.h;
        self.count += o.count;
    }
    fn subtract(&mut self, o: &Self) {
        self.g -= o.g;
        self.h -= o.h;
        self.count -= o.count;
    }
    fn g(&self) -> f64 {
        self.g
    }
    fn h(&self) -> f64 {
        self.h
    }
    fn count(&self) -> usize {
        self.count as usize
    }
}

#[derive(Debug)]
pub struct GrowParams {
    pub max_leaf_nodes: Option<usize>,
    pub max_depth: Option<usize>,
    pub min_samples_leaf: usize,
    pub l2_regularization: f64,
    /// scikit-learn's `max_features`: the share of features a split may look at.
    pub max_features: f64,
}

/// The gradients (and hessians) a tree is grown on: rows `offset..offset + n` of shared
/// vectors, which hold every output's, output after output.
#[derive(Debug, Clone)]
pub struct Gradients {
    pub g: Arc<Vec<f32>>,
    /// None: every hessian is 1 (the losses with a constant hessian, unweighted).
    pub h: Option<Arc<Vec<f32>>>,
    pub offset: usize,
}

impl Gradients {
    /// This tree's gradients and hessians of the `n` binned rows.
    fn of_rows(&self, n: usize) -> (&[f32], Option<&[f32]>) {
        let rows = self.offset..self.offset + n;
        (&self.g[rows.clone()], self.h.as_ref().map(|h| &h[rows]))
    }
}

/// A node of a grown tree. Leaves hold `partition[start..end]`.
#[derive(Debug, Clone)]
pub struct GrownNode {
    pub feature: usize,
    pub bin: u8,
    pub missing_left: bool,
    /// Children (0 for a leaf: the root is nobody's child).
    pub left: usize,
    pub right: usize,
    pub start: usize,
    pub end: usize,
    /// −G / (H + λ), before shrinkage.
    pub value: f64,
}

impl GrownNode {
    pub fn is_leaf(&self) -> bool {
        self.left == 0
    }
}

#[derive(Debug)]
pub struct Grown {
    pub nodes: Vec<GrownNode>,
    /// Training rows (positions in the binned rows) ordered so that each leaf's are contiguous.
    pub partition: Vec<u32>,
    /// Loss reduction of the splits per feature.
    pub gains: Vec<f64>,
}

/// One splittable leaf waiting in the frontier.
struct Candidate<B> {
    node: usize,
    depth: usize,
    /// Kept for its children's subtraction while the frontier's histograms fit
    /// [`FRONTIER_HISTOGRAM_BYTES`]; beyond that both children are built from their rows.
    histogram: Option<Vec<B>>,
    /// Order of creation: the earlier of two equal gains is split first.
    order: usize,
    split: Split,
    sum_g: f64,
    sum_h: f64,
}

impl<B> PartialEq for Candidate<B> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == std::cmp::Ordering::Equal
    }
}
impl<B> Eq for Candidate<B> {}
impl<B> PartialOrd for Candidate<B> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<B> Ord for Candidate<B> {
    /// The larger gain first; on a tie the candidate made first.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.split
            .gain
            .total_cmp(&other.split.gain)
            .then(other.order.cmp(&self.order))
    }
}

#[derive(Debug, Clone, Copy)]
struct Split {
    gain: f64,
    feature: usize,
    bin: u8,
    missing_left: bool,
    g_left: f64,
    h_left: f64,
    n_left: usize,
    g_right: f64,
    h_right: f64,
    n_right: usize,
}

struct Grower<'a, B> {
    binned: Arc<Binned>,
    gradients: Gradients,
    params: &'a GrowParams,
    rng: &'a mut SplitMix64,
    pool: &'a Pool,
    /// Shared with the pool's tasks while they read it; unique again between steps.
    partition: Arc<Vec<u32>>,
    nodes: Vec<GrownNode>,
    gains: Vec<f64>,
    _bin: std::marker::PhantomData<B>,
}

/// Grows one tree on the gradients (and hessians) of every binned row, its histograms and
/// partitions shared out on `pool`. The tree is the same whatever the pool's size: work is cut
/// into tasks by the node's size alone and partial sums are added in task order.
/// `check_interrupts` runs before every split, on the calling thread.
pub fn grow(
    binned: &Arc<Binned>,
    gradients: &Gradients,
    params: &GrowParams,
    rng: &mut SplitMix64,
    pool: &Pool,
    check_interrupts: &dyn Fn(),
) -> Grown {
    if gradients.h.is_some() {
        grow_with::<Bin>(binned, gradients, params, rng, pool, check_interrupts)
    } else {
        grow_with::<UnitBin>(binned, gradients, params, rng, pool, check_interrupts)
    }
}

fn grow_with<B: HistBin>(
    binned: &Arc<Binned>,
    gradients: &Gradients,
    params: &GrowParams,
    rng: &mut SplitMix64,
    pool: &Pool,
    check_interrupts: &dyn Fn(),
) -> Grown {
    let n = binned.rows;
    let mut g = Grower::<B> {
        binned: Arc::clone(binned),
        gradients: gradients.clone(),
        params,
        rng,
        pool,
        partition: Arc::new((0..n as u32).collect()),
        nodes: Vec::new(),
        gains: vec![0.0; binned.features],
        _bin: std::marker::PhantomData,
    };
    g.run(check_interrupts);
    let partition = Arc::try_unwrap(g.partition).unwrap_or_else(|shared| (*shared).clone());
    Grown {
        nodes: g.nodes,
        partition,
        gains: g.gains,
    }
}

/// The splittable leaves, best gain first, holding their histograms up to a byte budget.
struct Frontier<B> {
    heap: BinaryHeap<Candidate<B>>,
    histogram_bytes: usize,
}

impl<B> Frontier<B> {
    fn new() -> Self {
        Frontier {
            heap: BinaryHeap::new(),
            histogram_bytes: 0,
        }
    }

    fn push(&mut self, mut c: Candidate<B>) {
        let bytes = c
            .histogram
            .as_ref()
            .map_or(0, |h| std::mem::size_of_val(h.as_slice()));
        if self.histogram_bytes + bytes > FRONTIER_HISTOGRAM_BYTES {
            c.histogram = None;
        } else {
            self.histogram_bytes += bytes;
        }
        self.heap.push(c);
    }

    fn pop(&mut self) -> Option<Candidate<B>> {
        let c = self.heap.pop()?;
        let bytes = c
            .histogram
            .as_ref()
            .map_or(0, |h| std::mem::size_of_val(h.as_slice()));
        self.histogram_bytes -= bytes;
        Some(c)
    }
}

impl<B: HistBin> Grower<'_, B> {
    fn leaf(&mut self, start: usize, end: usize, value: f64) -> usize {
        self.nodes.push(GrownNode {
            feature: 0,
            bin: 0,
            missing_left: false,
            left: 0,
            right: 0,
            start,
            end,
            value,
        });
        self.nodes.len() - 1
    }

    fn node_value(&self, g: f64, h: f64) -> f64 {
        -g / (h + self.params.l2_regularization + 1e-15)
    }

    fn run(&mut self, check_interrupts: &dyn Fn()) {
        let n = self.binned.rows;
        let (g, h) = self.gradients.of_rows(n);
        let sum_g: f64 = g.iter().map(|&v| f64::from(v)).sum();
        let sum_h: f64 = match h {
            Some(h) => h.iter().map(|&v| f64::from(v)).sum(),
            None => n as f64,
        };
        // scikit-learn's root has value 0: a tree that cannot split adds nothing (and the
        // root's split gain omits the parent's term).
        let root = self.leaf(0, n, 0.0);
        let min_leaf = self.params.min_samples_leaf;
        if n < 2 * min_leaf || sum_h < MIN_HESSIAN_TO_SPLIT {
            return;
        }
        let max_leaves = self.params.max_leaf_nodes.unwrap_or(usize::MAX);
        let mut frontier = Frontier::new();
        let histogram = self.histogram(0, n);
        if let Some(c) = self.candidate(root, 0, histogram, sum_g, sum_h, 0.0) {
            frontier.push(c);
        }
        let mut leaves = 1usize;
        while let Some(c) = frontier.pop() {
            check_interrupts();
            let s = c.split;
            let (start, end) = (self.nodes[c.node].start, self.nodes[c.node].end);
            let mid = self.partition_rows(start, end, &s);
            let missing_left = if self.binned.has_missing[s.feature] {
                s.missing_left
            } else {
                // No missing values in training: at predict they follow the larger child.
                mid - start > end - mid
            };
            let value_left = self.node_value(s.g_left, s.h_left);
            let value_right = self.node_value(s.g_right, s.h_right);
            let left = self.leaf(start, mid, value_left);
            let right = self.leaf(mid, end, value_right);
            {
                let node = &mut self.nodes[c.node];
                node.feature = s.feature;
                node.bin = s.bin;
                node.missing_left = missing_left;
                node.left = left;
                node.right = right;
            }
            let l2 = self.params.l2_regularization;
            self.gains[s.feature] += s.g_left * s.g_left / (s.h_left + l2)
                + s.g_right * s.g_right / (s.h_right + l2)
                - c.sum_g * c.sum_g / (c.sum_h + l2);
            leaves += 1;
            let depth = c.depth + 1;
            if leaves >= max_leaves {
                break;
            }
            if self.params.max_depth.is_some_and(|d| depth >= d) {
                continue;
            }
            let split_left = mid - start >= 2 * min_leaf;
            let split_right = end - mid >= 2 * min_leaf;
            if !split_left && !split_right {
                continue;
            }
            // The smaller child's histogram from its rows, the larger's by subtraction (or from
            // its rows too, when the parent's was not kept).
            let (small, small_range, large_range) = if mid - start < end - mid {
                (left, (start, mid), (mid, end))
            } else {
                (right, (mid, end), (start, mid))
            };
            let small_hist = self.histogram(small_range.0, small_range.1);
            let large_hist = match c.histogram {
                Some(mut parent) => {
                    for (a, b) in parent.iter_mut().zip(&small_hist) {
                        a.subtract(b);
                    }
                    parent
                }
                None => self.histogram(large_range.0, large_range.1),
            };
            let (left_hist, right_hist) = if small == left {
                (small_hist, large_hist)
            } else {
                (large_hist, small_hist)
            };
            for (child, hist, go, g, h, value) in [
                (left, left_hist, split_left, s.g_left, s.h_left, value_left),
                (
                    right,
                    right_hist,
                    split_right,
                    s.g_right,
                    s.h_right,
                    value_right,
                ),
            ] {
                if go {
                    if let Some(c) = self.candidate(child, depth, hist, g, h, value) {
                        frontier.push(c);
                    }
                }
            }
        }
    }

    /// The node's best split, if one gains anything.
    fn candidate(
        &mut self,
        node: usize,
        depth: usize,
        histogram: Vec<B>,
        sum_g: f64,
        sum_h: f64,
        value: f64,
    ) -> Option<Candidate<B>> {
        let n = self.nodes[node].end - self.nodes[node].start;
        let split = self.best_split(&histogram, n, sum_g, sum_h, value)?;
        Some(Candidate {
            node,
            depth,
            histogram: Some(histogram),
            order: node,
            split,
            sum_g,
            sum_h,
        })
    }

    /// scikit-learn's `find_node_split` over the allowed features (all, or a random
    /// `max_features` share of them).
    fn best_split(
        &mut self,
        histogram: &[B],
        n: usize,
        sum_g: f64,
        sum_h: f64,
        value: f64,
    ) -> Option<Split> {
        let p = self.binned.features;
        let mut features: Vec<usize> = (0..p).collect();
        if self.params.max_features < 1.0 {
            let k = ((self.params.max_features * p as f64) as usize).clamp(1, p);
            for i in 0..k {
                let j = i + self.rng.below(p - i);
                features.swap(i, j);
            }
            features.truncate(k);
            features.sort_unstable();
        }
        let mut best: Option<Split> = None;
        for f in features {
            let h = &histogram[f * STRIDE..(f + 1) * STRIDE];
            self.scan(f, h, n, sum_g, sum_h, value, &mut best);
        }
        best.filter(|s| s.gain > 0.0)
    }

    #[allow(clippy::too_many_arguments)] // one node's sums, as splitting.pyx takes them
    fn scan(
        &self,
        feature: usize,
        h: &[B],
        n: usize,
        sum_g: f64,
        sum_h: f64,
        value: f64,
        best: &mut Option<Split>,
    ) {
        let l2 = self.params.l2_regularization;
        let min_leaf = self.params.min_samples_leaf;
        let loss_current = sum_g * value;
        let gain = |gl: f64, hl: f64, gr: f64, hr: f64| {
            let vl = -gl / (hl + l2 + 1e-15);
            let vr = -gr / (hr + l2 + 1e-15);
            loss_current - gl * vl - gr * vr
        };
        let value_bins = self.binned.value_bins(feature);
        let has_missing = self.binned.has_missing[feature];
        let mut best_gain = best.map_or(-1.0, |s| s.gain);
        // Left to right: missing values (if any) go right. With missing values the last value
        // bin is a candidate too: every value left, only NaN right.
        let end = value_bins - 1 + usize::from(has_missing);
        let (mut gl, mut hl, mut nl) = (0.0, 0.0, 0usize);
        let mut found: Option<Split> = None;
        for (bin, b) in h.iter().enumerate().take(end) {
            nl += b.count();
            hl += b.h();
            gl += b.g();
            let nr = n - nl;
            let (gr, hr) = (sum_g - gl, sum_h - hl);
            if nl < min_leaf {
                continue;
            }
            if nr < min_leaf {
                break;
            }
            if hl < MIN_HESSIAN_TO_SPLIT {
                continue;
            }
            if hr < MIN_HESSIAN_TO_SPLIT {
                break;
            }
            let g = gain(gl, hl, gr, hr);
            if g > best_gain && g > 0.0 {
                best_gain = g;
                found = Some(Split {
                    gain: g,
                    feature,
                    bin: bin as u8,
                    missing_left: false,
                    g_left: gl,
                    h_left: hl,
                    n_left: nl,
                    g_right: gr,
                    h_right: hr,
                    n_right: nr,
                });
            }
        }
        if has_missing && value_bins >= 2 {
            // Right to left: missing values go left.
            let (mut gr, mut hr, mut nr) = (0.0, 0.0, 0usize);
            for bin in (0..value_bins - 1).rev() {
                let b = &h[bin + 1];
                nr += b.count();
                hr += b.h();
                gr += b.g();
                let nl = n - nr;
                let (gl, hl) = (sum_g - gr, sum_h - hr);
                if nr < min_leaf {
                    continue;
                }
                if nl < min_leaf {
                    break;
                }
                if hr < MIN_HESSIAN_TO_SPLIT {
                    continue;
                }
                if hl < MIN_HESSIAN_TO_SPLIT {
                    break;
                }
                let g = gain(gl, hl, gr, hr);
                if g > best_gain && g > 0.0 {
                    best_gain = g;
                    found = Some(Split {
                        gain: g,
                        feature,
                        bin: bin as u8,
                        missing_left: true,
                        g_left: gl,
                        h_left: hl,
                        n_left: nl,
                        g_right: gr,
                        h_right: hr,
                        n_right: nr,
                    });
                }
            }
        }
        if found.is_some() {
            *best = found;
        }
    }

    /// Orders `partition[start..end]` left rows first (keeping their order); returns where the
    /// right rows begin. Runs of rows (two a thread, at least [`PARTITION_CHUNK`]) are split as
    /// tasks, each returning its left rows then its right rows; they are gathered back in order.
    fn partition_rows(&mut self, start: usize, end: usize, s: &Split) -> usize {
        let len = end - start;
        let chunk = len.div_ceil(2 * self.pool.threads()).max(PARTITION_CHUNK);
        let tasks = len.div_ceil(chunk);
        let binned = Arc::clone(&self.binned);
        let partition = Arc::clone(&self.partition);
        let feature = s.feature;
        // Where each bin goes: one load from a 256-byte table instead of the comparisons.
        let mut goes_left = [false; STRIDE];
        for (b, left) in goes_left.iter_mut().enumerate() {
            *left = if b == usize::from(self.binned.missing_bin) {
                s.missing_left
            } else {
                b <= usize::from(s.bin)
            };
        }
        let split = move |t: usize| -> (Vec<u32>, Vec<u32>) {
            let n = binned.rows;
            let column = &binned.columns[feature * n..(feature + 1) * n];
            let from = start + t * chunk;
            let rows = &partition[from..(from + chunk).min(end)];
            let mut left = Vec::with_capacity(rows.len());
            let mut right = Vec::with_capacity(rows.len());
            // Each row is written to both sides' block buffers and one side's count moves: no
            // branch to mispredict on rows that go either way at random. A slot is overwritten
            // until its own row stays; a count is at most the rows seen, so `% PARTITION_BLOCK`
            // never wraps and only spares the bounds check.
            let mut left_block = [0u32; PARTITION_BLOCK];
            let mut right_block = [0u32; PARTITION_BLOCK];
            for block in rows.chunks(PARTITION_BLOCK) {
                let (mut l, mut r) = (0usize, 0usize);
                for &row in block {
                    let go = goes_left[usize::from(column[row as usize])];
                    left_block[l % PARTITION_BLOCK] = row;
                    right_block[r % PARTITION_BLOCK] = row;
                    l += usize::from(go);
                    r += usize::from(!go);
                }
                left.extend_from_slice(&left_block[..l]);
                right.extend_from_slice(&right_block[..r]);
            }
            (left, right)
        };
        let parts = self.pool.map(tasks, split);
        let rows = &mut Arc::make_mut(&mut self.partition)[start..end];
        let mut l = 0;
        for (left, _) in &parts {
            rows[l..l + left.len()].copy_from_slice(left);
            l += left.len();
        }
        let mut r = l;
        for (_, right) in &parts {
            rows[r..r + right.len()].copy_from_slice(right);
            r += right.len();
        }
        debug_assert_eq!(l, s.n_left);
        debug_assert_eq!(r - l, s.n_right);
        start + l
    }

    /// The histogram of the rows `partition[start..end]`. A node holding a large share of the
    /// rows is summed column by column (two features a task, each reading its columns); a
    /// smaller one in runs of [`FILL_CHUNK`] rows (one task a run), added in run order.
    fn histogram(&self, start: usize, end: usize) -> Vec<B> {
        let p = self.binned.features;
        let len = end - start;
        let binned = Arc::clone(&self.binned);
        let partition = Arc::clone(&self.partition);
        let gradients = self.gradients.clone();
        if len * DENSE >= self.binned.rows && len * p >= PARALLEL_WORK {
            // Two features a task: the row's index and gradient, read once, serve both (ten
            // tasks for twenty features still share out evenly).
            let per_pair = self.pool.map(p.div_ceil(2), move |t| {
                let n = binned.rows;
                let column = |f: usize| &binned.columns[f * n..(f + 1) * n];
                let rows = &partition[start..end];
                let (g, h) = gradients.of_rows(n);
                if 2 * t + 1 < p {
                    let mut out = [[B::default(); STRIDE]; 2];
                    dense_fill(&mut out, [column(2 * t), column(2 * t + 1)], rows, g, h);
                    out.as_flattened().to_vec()
                } else {
                    let mut out = [[B::default(); STRIDE]; 1];
                    dense_fill(&mut out, [column(2 * t)], rows, g, h);
                    out.as_flattened().to_vec()
                }
            });
            return per_pair.concat();
        }
        // Runs of FILL_CHUNK rows; when there are fewer runs than threads, each run is also cut
        // into groups of features. A bin's sum is the same whatever the groups (each is its own
        // rows' sum, in row order), so they may follow the threads.
        let runs = len.div_ceil(FILL_CHUNK).max(1);
        let threads = self.pool.threads();
        let groups = if runs < threads && len * p >= PARALLEL_WORK {
            threads.div_ceil(runs).min(p.max(1))
        } else {
            1
        };
        let per_group = p.div_ceil(groups).max(1);
        let groups = p.div_ceil(per_group).max(1);
        let parts = self.pool.map(runs * groups, move |t| {
            let (run, group) = (t / groups, t % groups);
            let n = binned.rows;
            let from = start + run * FILL_CHUNK;
            let rows = &partition[from..(from + FILL_CHUNK).min(end)];
            let (g, h) = gradients.of_rows(n);
            let features = group * per_group..((group + 1) * per_group).min(p);
            let mut hist = vec![B::default(); features.len() * STRIDE];
            fill(&mut hist, rows, &binned.bins, p, features, g, h);
            hist
        });
        // Task t is run t / groups, group t % groups: each group's runs added in run order.
        let mut hist = vec![B::default(); p * STRIDE];
        for (t, part) in parts.iter().enumerate() {
            let offset = (t % groups) * per_group * STRIDE;
            let out = &mut hist[offset..offset + part.len()];
            if t < groups {
                out.copy_from_slice(part);
            } else {
                for (a, b) in out.iter_mut().zip(part) {
                    a.merge(b);
                }
            }
        }
        hist
    }
}

/// Adds the rows `rows` of a dense node to the histograms of `K` features, reading their
/// columns. The root (every row, the partition still in row order) reads the columns and the
/// gradients straight through.
#[inline(never)]
fn dense_fill<B: HistBin, const K: usize>(
    out: &mut [[B; STRIDE]; K],
    columns: [&[u8]; K],
    rows: &[u32],
    g: &[f32],
    h: Option<&[f32]>,
) {
    let root = rows.len() == g.len();
    match h {
        None if root => {
            for (r, &g) in g.iter().enumerate() {
                for (out, column) in out.iter_mut().zip(&columns) {
                    out[usize::from(column[r])].add(g, 1.0);
                }
            }
        }
        Some(h) if root => {
            for (r, (&g, &h)) in g.iter().zip(h).enumerate() {
                for (out, column) in out.iter_mut().zip(&columns) {
                    out[usize::from(column[r])].add(g, h);
                }
            }
        }
        None => {
            for &r in rows {
                let r = r as usize;
                let g = g[r];
                for (out, column) in out.iter_mut().zip(&columns) {
                    out[usize::from(column[r])].add(g, 1.0);
                }
            }
        }
        Some(h) => {
            for &r in rows {
                let r = r as usize;
                let (g, h) = (g[r], h[r]);
                for (out, column) in out.iter_mut().zip(&columns) {
                    out[usize::from(column[r])].add(g, h);
                }
            }
        }
    }
}

/// Rows gathered at a time by [`fill`].
const GATHER: usize = 512;

/// Adds `rows` to the histogram of the features `features` (`hist` holds theirs only): each row's
/// gradient (and hessian) into the bin of each feature.
/// A block of rows' gradients is gathered first (independent loads the processor overlaps),
/// then added; features are walked as fixed 256-bin arrays, so a bin byte indexes without a
/// bounds check.
#[inline(never)]
fn fill<B: HistBin>(
    hist: &mut [B],
    rows: &[u32],
    bins: &[u8],
    p: usize,
    features: std::ops::Range<usize>,
    gradients: &[f32],
    hessians: Option<&[f32]>,
) {
    let (out, _) = hist.as_chunks_mut::<STRIDE>();
    let out = &mut out[..features.len()];
    let mut block_g = [0f32; GATHER];
    let mut block_h = [1f32; GATHER];
    let width = features.len();
    if width == 0 {
        return;
    }
    for chunk in rows.chunks(GATHER) {
        // Each row's bins are read here first, as are its gradient's: these loads depend on
        // nothing, so the processor keeps dozens of cache misses in flight at once, and the sums
        // below find the bytes in cache. (In the sums a row's load is followed by `width`
        // dependent additions, which leaves room for only a few misses at a time: sampled, that
        // load was half of this function's time.) `touched` only keeps the loads from being
        // optimised away.
        let mut touched = 0u8;
        for (k, &row) in chunk.iter().enumerate() {
            let r = row as usize * p + features.start;
            block_g[k] = gradients[row as usize];
            touched ^= bins[r] ^ bins[r + width - 1];
        }
        std::hint::black_box(touched);
        if let Some(h) = hessians {
            for (k, &row) in chunk.iter().enumerate() {
                block_h[k] = h[row as usize];
            }
        }
        for (k, &row) in chunk.iter().enumerate() {
            let r = row as usize * p;
            let (g, h) = (block_g[k], block_h[k]);
            let row_bins = &bins[r + features.start..r + features.end];
            for (feature, &b) in out.iter_mut().zip(row_bins) {
                feature[usize::from(b)].add(g, h);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_are_scikit_learns() {
        // Few distinct values: the midpoints.
        assert_eq!(thresholds(vec![3.0, 1.0, 2.0, 1.0], 255), [1.5, 2.5]);
        // More than max_bins: numpy's midpoint percentiles (0..=9 in 4 bins: 2.25 → 2.5, ...).
        let t = thresholds((0..10).map(f64::from).collect(), 4);
        assert_eq!(t, [2.5, 4.5, 6.5]);
        // A midpoint with no f32 of its own rounds down, so x <= t agrees with scikit-learn's f64.
        let a = 1.0f32;
        let b = a.next_up();
        let t = thresholds(vec![f64::from(a), f64::from(b)], 255);
        assert_eq!(t, [a]);
    }

    #[test]
    fn binning_puts_values_at_or_below_a_threshold_in_its_bin_and_nan_last() {
        let x = Matrix::from_rows(&[1.0, 2.0, 3.0, f32::NAN, 2.0].map(|v| vec![v, 7.0])).unwrap();
        let b = bin(&x, &[0, 1, 2, 3, 4], 255, 0, 2);
        assert_eq!(b.thresholds[0], [1.5, 2.5]);
        let col0: Vec<u8> = (0..5).map(|i| b.bins[i * 2]).collect();
        assert_eq!(col0, [0, 1, 2, 255, 1]);
        assert_eq!(b.has_missing, [true, false]);
        assert!(b.thresholds[1].is_empty());
        assert_eq!(b.split_threshold(0, 1), 2.5);
        assert_eq!(b.split_threshold(0, 2), f32::INFINITY);
    }

    fn grow_on(x: &Matrix, g: &[f32], params: &GrowParams, threads: usize) -> (Binned, Grown) {
        let rows: Vec<usize> = (0..x.rows()).collect();
        let b = Arc::new(bin(x, &rows, 255, 0, threads));
        let gradients = Gradients {
            g: Arc::new(g.to_vec()),
            h: None,
            offset: 0,
        };
        let pool = Pool::new(threads);
        let grown = grow(&b, &gradients, params, &mut SplitMix64(0), &pool, &|| {});
        let b = Arc::try_unwrap(b).expect("the grower keeps no copy of the bins");
        (b, grown)
    }

    fn grow_simple(x: &Matrix, g: &[f32], params: &GrowParams) -> (Binned, Grown) {
        grow_on(x, g, params, 1)
    }

    fn params() -> GrowParams {
        GrowParams {
            max_leaf_nodes: Some(31),
            max_depth: None,
            min_samples_leaf: 1,
            l2_regularization: 0.0,
            max_features: 1.0,
        }
    }

    #[test]
    fn a_clean_split_and_missing_values_go_where_they_gain() {
        // Gradient −1 for x <= 2 and for NaN, +1 above: NaN must go left with the small values.
        let values = [1.0, 2.0, f32::NAN, 3.0, 4.0, f32::NAN];
        let x = Matrix::from_rows(&values.map(|v| vec![v])).unwrap();
        let g = [-1.0, -1.0, -1.0, 1.0, 1.0, -1.0];
        let (b, grown) = grow_simple(&x, &g, &params());
        let root = &grown.nodes[0];
        assert!(!root.is_leaf());
        assert_eq!(b.split_threshold(0, root.bin), 2.5);
        assert!(root.missing_left);
        let left = &grown.nodes[root.left];
        assert_eq!(left.end - left.start, 4);
        assert!((left.value - 1.0).abs() < 1e-9, "{}", left.value);
        assert!((grown.nodes[root.right].value + 1.0).abs() < 1e-9);
    }

    #[test]
    fn threads_and_limits_do_not_change_the_tree() {
        // Enough rows for several histogram and partition tasks per node.
        let mut rng = SplitMix64(3);
        let rows: Vec<Vec<f32>> = (0..200_000)
            .map(|_| (0..8).map(|_| rng.unit() as f32).collect())
            .collect();
        let g: Vec<f32> = rows
            .iter()
            .map(|r| if r[0] + r[1] * r[2] > 0.7 { 1.0 } else { -1.0 })
            .collect();
        let x = Matrix::from_rows(&rows).unwrap();
        let (b1, one) = grow_on(&x, &g, &params(), 1);
        let shape = |t: &Grown| -> Vec<(usize, u8, usize, usize, u64)> {
            t.nodes
                .iter()
                .map(|n| (n.feature, n.bin, n.start, n.end, n.value.to_bits()))
                .collect()
        };
        for threads in [2, 3] {
            let (b, other) = grow_on(&x, &g, &params(), threads);
            assert_eq!(b.bins, b1.bins);
            assert_eq!(b.columns, b1.columns);
            assert_eq!(shape(&one), shape(&other), "{threads} threads");
            assert_eq!(one.partition, other.partition, "{threads} threads");
        }
        let leaves = one.nodes.iter().filter(|n| n.is_leaf()).count();
        assert_eq!(leaves, 31);
        // The partition is stable (each leaf's rows in increasing order, which the raw-score
        // update relies on) and holds every row once.
        for node in one.nodes.iter().filter(|n| n.is_leaf()) {
            assert!(one.partition[node.start..node.end]
                .windows(2)
                .all(|w| w[0] < w[1]));
        }
        let mut all = one.partition.clone();
        all.sort_unstable();
        assert!(all.iter().enumerate().all(|(i, &r)| r as usize == i));
        // Every leaf's rows really fall on its side of each split above it.
        for node in one.nodes.iter().filter(|n| !n.is_leaf()) {
            let (l, r) = (&one.nodes[node.left], &one.nodes[node.right]);
            let bins = |range: &[u32]| {
                range
                    .iter()
                    .map(|&i| b1.bins[i as usize * 8 + node.feature])
                    .collect::<Vec<_>>()
            };
            assert!(bins(&one.partition[l.start..l.end])
                .iter()
                .all(|&v| v <= node.bin));
            assert!(bins(&one.partition[r.start..r.end])
                .iter()
                .all(|&v| v > node.bin));
        }
        let p = GrowParams {
            max_leaf_nodes: None,
            max_depth: Some(3),
            min_samples_leaf: 500,
            ..params()
        };
        let (_, t) = grow_on(&x, &g, &p, 2);
        assert!(t
            .nodes
            .iter()
            .filter(|n| n.is_leaf())
            .all(|n| n.end - n.start >= 500));
        assert!(t.nodes.iter().filter(|n| n.is_leaf()).count() <= 8);
    }

    #[test]
    fn hessians_give_the_same_tree_as_unit_bins_when_all_are_one() {
        let mut rng = SplitMix64(5);
        let rows: Vec<Vec<f32>> = (0..50_000)
            .map(|_| (0..4).map(|_| rng.unit() as f32).collect())
            .collect();
        let g: Vec<f32> = rows.iter().map(|r| r[1] - r[3] * 0.5).collect();
        let x = Matrix::from_rows(&rows).unwrap();
        let all: Vec<usize> = (0..x.rows()).collect();
        let b = Arc::new(bin(&x, &all, 255, 0, 2));
        let pool = Pool::new(2);
        let grow_h = |h: Option<Arc<Vec<f32>>>| {
            let gradients = Gradients {
                g: Arc::new(g.clone()),
                h,
                offset: 0,
            };
            grow(&b, &gradients, &params(), &mut SplitMix64(0), &pool, &|| {})
        };
        let unit = grow_h(None);
        let ones = grow_h(Some(Arc::new(vec![1.0; g.len()])));
        let shape = |t: &Grown| -> Vec<(usize, u8, usize, usize)> {
            t.nodes
                .iter()
                .map(|n| (n.feature, n.bin, n.start, n.end))
                .collect()
        };
        assert_eq!(shape(&unit), shape(&ones));
        for (a, b) in unit.nodes.iter().zip(&ones.nodes) {
            assert!((a.value - b.value).abs() < 1e-9);
        }
    }
}
