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
//! Binned rows are stored row after row (one byte a feature), so a node's rows each cost one
//! cache line when its histogram is built. Histograms of large nodes are built on `threads`
//! scoped threads, each summing a share of the rows into its own histogram; the calling thread
//! takes a share and joins the others, so nothing waits busy and nothing outlives the call.

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
/// Nodes with fewer row-features than this build their histogram on one thread.
const PARALLEL_WORK: usize = 1 << 17;

/// The training rows mapped to bins, row after row.
#[derive(Debug)]
pub struct Binned {
    pub rows: usize,
    pub features: usize,
    pub bins: Vec<u8>,
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
/// random subsample of at most 200 000 of them.
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
    let thresholds: Vec<Vec<f32>> = (0..p)
        .map(|j| {
            let col = x.col(j);
            let values = sample
                .iter()
                .map(|&i| col[rows[i]])
                .filter(|v| !v.is_nan())
                .map(f64::from)
                .collect();
            thresholds(values, max_bins)
        })
        .collect();
    let missing_bin = max_bins as u8;
    let mut bins = vec![0u8; n * p];
    let chunk = n.div_ceil(threads.max(1)).max(1);
    let fill = |start: usize, part: &mut [u8]| {
        for j in 0..p {
            let col = x.col(j);
            let t = &thresholds[j];
            for (r, i) in (start..start + part.len() / p.max(1)).enumerate() {
                let v = col[rows[i]];
                part[r * p + j] = if v.is_nan() {
                    missing_bin
                } else {
                    t.partition_point(|&edge| edge < v) as u8
                };
            }
        }
    };
    std::thread::scope(|scope| {
        let mut parts = bins.chunks_mut(chunk * p.max(1)).enumerate();
        let first = parts.next();
        for (c, part) in parts {
            scope.spawn(move || fill(c * chunk, part));
        }
        if let Some((_, part)) = first {
            fill(0, part);
        }
    });
    let mut has_missing = vec![false; p];
    for (j, m) in has_missing.iter_mut().enumerate() {
        let col = x.col(j);
        *m = rows.iter().any(|&i| col[i].is_nan());
    }
    Binned {
        rows: n,
        features: p,
        bins,
        thresholds,
        has_missing,
        missing_bin,
    }
}

/// Sums of one bin.
#[derive(Debug, Clone, Copy, Default)]
struct Bin {
    g: f64,
    h: f64,
    count: u32,
}

type Histogram = Vec<Bin>;

#[derive(Debug)]
pub struct GrowParams {
    pub max_leaf_nodes: Option<usize>,
    pub max_depth: Option<usize>,
    pub min_samples_leaf: usize,
    pub l2_regularization: f64,
    /// scikit-learn's `max_features`: the share of features a split may look at.
    pub max_features: f64,
    pub threads: usize,
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
struct Candidate {
    node: usize,
    depth: usize,
    histogram: Histogram,
    split: Split,
    sum_g: f64,
    sum_h: f64,
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

struct Grower<'a> {
    binned: &'a Binned,
    gradients: &'a [f32],
    /// None: every hessian is 1 (the losses with a constant hessian, unweighted).
    hessians: Option<&'a [f32]>,
    params: &'a GrowParams,
    rng: &'a mut SplitMix64,
    partition: Vec<u32>,
    scratch: Vec<u32>,
    nodes: Vec<GrownNode>,
    gains: Vec<f64>,
}

/// Grows one tree on the gradients (and hessians) of every binned row. `check_interrupts` runs
/// before every split.
pub fn grow(
    binned: &Binned,
    gradients: &[f32],
    hessians: Option<&[f32]>,
    params: &GrowParams,
    rng: &mut SplitMix64,
    check_interrupts: &dyn Fn(),
) -> Grown {
    let n = binned.rows;
    let mut g = Grower {
        binned,
        gradients,
        hessians,
        params,
        rng,
        partition: (0..n as u32).collect(),
        scratch: vec![0; n],
        nodes: Vec::new(),
        gains: vec![0.0; binned.features],
    };
    g.run(check_interrupts);
    Grown {
        nodes: g.nodes,
        partition: g.partition,
        gains: g.gains,
    }
}

impl Grower<'_> {
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
        let sum_g: f64 = self.gradients.iter().map(|&v| f64::from(v)).sum();
        let sum_h: f64 = match self.hessians {
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
        let mut frontier: Vec<Candidate> = Vec::new();
        let histogram = self.histogram(0, n);
        if let Some(c) = self.candidate(root, 0, histogram, sum_g, sum_h, 0.0) {
            frontier.push(c);
        }
        let mut leaves = 1usize;
        while !frontier.is_empty() {
            check_interrupts();
            // The frontier's best gain; the earliest on ties.
            let best = (0..frontier.len())
                .max_by(|&a, &b| {
                    frontier[a]
                        .split
                        .gain
                        .total_cmp(&frontier[b].split.gain)
                        .then(b.cmp(&a))
                })
                .unwrap_or(0);
            let c = frontier.swap_remove(best);
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
            // The smaller child's histogram from its rows, the larger's by subtraction.
            let (small, small_range) = if mid - start < end - mid {
                (left, (start, mid))
            } else {
                (right, (mid, end))
            };
            let small_hist = self.histogram(small_range.0, small_range.1);
            let mut large_hist = c.histogram;
            for (a, b) in large_hist.iter_mut().zip(&small_hist) {
                a.g -= b.g;
                a.h -= b.h;
                a.count -= b.count;
            }
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
        histogram: Histogram,
        sum_g: f64,
        sum_h: f64,
        value: f64,
    ) -> Option<Candidate> {
        let n = self.nodes[node].end - self.nodes[node].start;
        let split = self.best_split(&histogram, n, sum_g, sum_h, value)?;
        Some(Candidate {
            node,
            depth,
            histogram,
            split,
            sum_g,
            sum_h,
        })
    }

    /// scikit-learn's `find_node_split` over the allowed features (all, or a random
    /// `max_features` share of them).
    fn best_split(
        &mut self,
        histogram: &[Bin],
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
        h: &[Bin],
        n: usize,
        sum_g: f64,
        sum_h: f64,
        value: f64,
        best: &mut Option<Split>,
    ) {
        let constant = self.hessians.is_none();
        let hess = |b: &Bin| if constant { f64::from(b.count) } else { b.h };
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
            nl += b.count as usize;
            hl += hess(b);
            gl += b.g;
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
                nr += b.count as usize;
                hr += hess(b);
                gr += b.g;
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
    /// right rows begin.
    fn partition_rows(&mut self, start: usize, end: usize, s: &Split) -> usize {
        let p = self.binned.features;
        let bins = &self.binned.bins;
        let missing = self.binned.missing_bin;
        let (split_bin, missing_left, f) = (s.bin, s.missing_left, s.feature);
        let goes_left = |row: u32| {
            let b = bins[row as usize * p + f];
            if b == missing {
                missing_left
            } else {
                b <= split_bin
            }
        };
        // One chunk: its left rows to the front of `rows`, its right rows into `right`; counts.
        let split_chunk = |rows: &mut [u32], right: &mut [u32]| -> (usize, usize) {
            let (mut l, mut r) = (0usize, 0usize);
            for k in 0..rows.len() {
                let row = rows[k];
                if goes_left(row) {
                    rows[l] = row;
                    l += 1;
                } else {
                    right[r] = row;
                    r += 1;
                }
            }
            (l, r)
        };
        let len = end - start;
        let threads = if len * 8 < PARALLEL_WORK {
            1
        } else {
            self.params.threads.max(1)
        };
        let rows = &mut self.partition[start..end];
        let right = &mut self.scratch[..len];
        let chunk = len.div_ceil(threads).max(1);
        // Each chunk is split on its own thread, the calling thread taking the first.
        let counts: Vec<(usize, usize)> = if threads == 1 {
            vec![split_chunk(rows, right)]
        } else {
            std::thread::scope(|scope| {
                let mut pairs = rows.chunks_mut(chunk).zip(right.chunks_mut(chunk));
                let first = pairs.next();
                let handles: Vec<_> = pairs
                    .map(|(rows, right)| scope.spawn(|| split_chunk(rows, right)))
                    .collect();
                let mut counts =
                    vec![first.map_or((0, 0), |(rows, right)| split_chunk(rows, right))];
                for h in handles {
                    counts.push(h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
                }
                counts
            })
        };
        // Gather: every chunk's left rows in chunk order, then every chunk's right rows.
        let mut l = counts[0].0;
        for (c, &(cl, _)) in counts.iter().enumerate().skip(1) {
            rows.copy_within(c * chunk..c * chunk + cl, l);
            l += cl;
        }
        let mut r = l;
        for (c, &(_, cr)) in counts.iter().enumerate() {
            rows[r..r + cr].copy_from_slice(&right[c * chunk..c * chunk + cr]);
            r += cr;
        }
        debug_assert_eq!(l, s.n_left);
        debug_assert_eq!(r - l, s.n_right);
        start + l
    }

    /// The histogram of the rows `partition[start..end]`.
    fn histogram(&self, start: usize, end: usize) -> Histogram {
        let rows = &self.partition[start..end];
        let p = self.binned.features;
        let threads = if rows.len() * p < PARALLEL_WORK {
            1
        } else {
            self.params.threads.max(1)
        };
        let build = |rows: &[u32]| -> Histogram {
            let mut hist = vec![Bin::default(); p * STRIDE];
            match self.hessians {
                None => fill::<false>(&mut hist, rows, &self.binned.bins, p, self.gradients, &[]),
                Some(h) => fill::<true>(&mut hist, rows, &self.binned.bins, p, self.gradients, h),
            }
            hist
        };
        if threads == 1 {
            return build(rows);
        }
        let chunk = rows.len().div_ceil(threads);
        let mut parts = rows.chunks(chunk);
        let first = parts.next().unwrap_or(&[]);
        std::thread::scope(|scope| {
            let handles: Vec<_> = parts.map(|part| scope.spawn(move || build(part))).collect();
            let mut hist = build(first);
            for h in handles {
                // A worker's panic is a bug; re-raise it here.
                let other = h.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
                for (a, b) in hist.iter_mut().zip(&other) {
                    a.g += b.g;
                    a.h += b.h;
                    a.count += b.count;
                }
            }
            hist
        })
    }
}

/// Adds `rows` to the histogram: each row's gradient (and hessian) into the bin of each feature.
#[inline(never)]
fn fill<const HESSIAN: bool>(
    hist: &mut [Bin],
    rows: &[u32],
    bins: &[u8],
    p: usize,
    gradients: &[f32],
    hessians: &[f32],
) {
    for &row in rows {
        let r = row as usize;
        let g = f64::from(gradients[r]);
        let h = if HESSIAN { f64::from(hessians[r]) } else { 0.0 };
        let row_bins = &bins[r * p..(r + 1) * p];
        for (f, &b) in row_bins.iter().enumerate() {
            let bin = &mut hist[f * STRIDE + b as usize];
            bin.g += g;
            if HESSIAN {
                bin.h += h;
            }
            bin.count += 1;
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

    fn grow_simple(x: &Matrix, g: &[f32], params: &GrowParams) -> (Binned, Grown) {
        let rows: Vec<usize> = (0..x.rows()).collect();
        let b = bin(x, &rows, 255, 0, 1);
        let grown = grow(&b, g, None, params, &mut SplitMix64(0), &|| {});
        (b, grown)
    }

    fn params(threads: usize) -> GrowParams {
        GrowParams {
            max_leaf_nodes: Some(31),
            max_depth: None,
            min_samples_leaf: 1,
            l2_regularization: 0.0,
            max_features: 1.0,
            threads,
        }
    }

    #[test]
    fn a_clean_split_and_missing_values_go_where_they_gain() {
        // Gradient −1 for x <= 2 and for NaN, +1 above: NaN must go left with the small values.
        let values = [1.0, 2.0, f32::NAN, 3.0, 4.0, f32::NAN];
        let x = Matrix::from_rows(&values.map(|v| vec![v])).unwrap();
        let g = [-1.0, -1.0, -1.0, 1.0, 1.0, -1.0];
        let (b, grown) = grow_simple(&x, &g, &params(1));
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
        let mut rng = SplitMix64(3);
        let rows: Vec<Vec<f32>> = (0..20_000)
            .map(|_| (0..8).map(|_| rng.unit() as f32).collect())
            .collect();
        let g: Vec<f32> = rows
            .iter()
            .map(|r| if r[0] + r[1] * r[2] > 0.7 { 1.0 } else { -1.0 })
            .collect();
        let x = Matrix::from_rows(&rows).unwrap();
        let (_, one) = grow_simple(&x, &g, &params(1));
        let (_, two) = grow_simple(&x, &g, &params(2));
        let shape = |t: &Grown| -> Vec<(usize, u8, usize, usize)> {
            t.nodes
                .iter()
                .map(|n| (n.feature, n.bin, n.start, n.end))
                .collect()
        };
        assert_eq!(shape(&one), shape(&two));
        let leaves = one.nodes.iter().filter(|n| n.is_leaf()).count();
        assert_eq!(leaves, 31);
        let p = GrowParams {
            max_leaf_nodes: None,
            max_depth: Some(3),
            min_samples_leaf: 500,
            ..params(2)
        };
        let (_, t) = grow_simple(&x, &g, &p);
        assert!(t
            .nodes
            .iter()
            .filter(|n| n.is_leaf())
            .all(|n| n.end - n.start >= 500));
        assert!(t.nodes.iter().filter(|n| n.is_leaf()).count() <= 8);
    }
}
