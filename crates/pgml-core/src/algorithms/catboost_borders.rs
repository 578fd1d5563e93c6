//! Quantization for `catboost`: each feature's borders, chosen once before boosting, as CatBoost's
//! default `feature_border_type` GreedyLogSum chooses them. A feature with at most
//! `border_count + 1` distinct values gets a border between every two neighbours (every split
//! the data allows); otherwise the distinct values, weighted by how often they occur, are cut
//! greedily: each step cuts the bin whose best cut most raises the sum over bins of
//! log(rows in the bin), until `border_count` borders exist. Missing values (`nan_mode` Min or
//! Max) sort below or above every value, with a border of their own so that a split separating
//! them from the rest is always a candidate, as CatBoost guarantees.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use serde::{Deserialize, Serialize};

/// Where missing values go (CatBoost's `nan_mode`). Stored by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NanMode {
    /// Below every value.
    Min,
    /// Above every value.
    Max,
    /// Refused in training (predict treats NaN as Min, which never happens in training data).
    Forbidden,
}

impl NanMode {
    pub fn parse(s: &str) -> Option<NanMode> {
        match s {
            "Min" => Some(NanMode::Min),
            "Max" => Some(NanMode::Max),
            "Forbidden" => Some(NanMode::Forbidden),
            _ => None,
        }
    }

    /// The value a missing value compares as.
    #[inline]
    pub fn replace(self, v: f32) -> f32 {
        if !v.is_nan() {
            v
        } else if self == NanMode::Max {
            f32::INFINITY
        } else {
            f32::NEG_INFINITY
        }
    }
}

/// The ascending borders of one feature's values. A value `v` is in bin
/// `borders.partition_point(|&b| b < v)`, so a split on border `b` sends `v > b` right.
pub fn borders(values: &[f32], border_count: usize, nan_mode: NanMode) -> Vec<f32> {
    let mut sorted: Vec<f32> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    let has_nan = sorted.len() < values.len();
    sorted.sort_unstable_by(f32::total_cmp);
    let mut distinct: Vec<f32> = Vec::new();
    let mut counts: Vec<f64> = Vec::new();
    for v in sorted {
        match (distinct.last(), counts.last_mut()) {
            (Some(&last), Some(count)) if last == v => *count += 1.0,
            _ => {
                distinct.push(v);
                counts.push(1.0);
            }
        }
    }
    let mut out = if distinct.len() <= border_count + 1 {
        (1..distinct.len())
            .map(|k| between(distinct[k - 1], distinct[k]))
            .collect()
    } else {
        greedy_log_sum(&distinct, &counts, border_count)
    };
    if has_nan && !distinct.is_empty() {
        // The missing values' own border, beyond every finite value.
        match nan_mode {
            NanMode::Max => out.push(f32::MAX),
            NanMode::Min | NanMode::Forbidden => out.insert(0, f32::MIN),
        }
    }
    out.sort_unstable_by(f32::total_cmp);
    out.dedup();
    out
}

/// A border `b` with `low <= b < high`: the midpoint where float rounding allows.
fn between(low: f32, high: f32) -> f32 {
    let mid = (f64::from(low) + f64::from(high)) / 2.0;
    let b = mid as f32;
    if b >= high || b < low || !b.is_finite() {
        low
    } else {
        b
    }
}

/// A bin of distinct values `start..end` and its best cut.
struct Candidate {
    gain: f64,
    start: usize,
    end: usize,
    cut: usize,
}

impl PartialEq for Candidate {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Candidate {}
impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Candidate {
    // The larger gain first; on ties the lower values, so the result does not depend on the heap.
    fn cmp(&self, other: &Self) -> Ordering {
        self.gain
            .total_cmp(&other.gain)
            .then_with(|| other.start.cmp(&self.start))
    }
}

/// The cut of `start..end` (prefix sums `prefix`) closest to halving its weight, which
/// maximizes log(left) + log(right); None when the bin holds one distinct value.
fn best_cut(prefix: &[f64], start: usize, end: usize) -> Option<Candidate> {
    if end - start < 2 {
        return None;
    }
    let total = prefix[end] - prefix[start];
    let half = prefix[start] + total / 2.0;
    // First k in (start, end) whose prefix reaches half; try it and its neighbour.
    let k = prefix[start + 1..end].partition_point(|&p| p < half) + start + 1;
    let mut best: Option<Candidate> = None;
    for cut in [k.saturating_sub(1), k] {
        if cut <= start || cut >= end {
            continue;
        }
        let left = prefix[cut] - prefix[start];
        let right = prefix[end] - prefix[cut];
        let gain = left.ln() + right.ln() - total.ln();
        if best.as_ref().is_none_or(|b| gain > b.gain) {
            best = Some(Candidate {
                gain,
                start,
                end,
                cut,
            });
        }
    }
    best
}

fn greedy_log_sum(distinct: &[f32], counts: &[f64], border_count: usize) -> Vec<f32> {
    let mut prefix = Vec::with_capacity(counts.len() + 1);
    prefix.push(0.0);
    for c in counts {
        prefix.push(prefix[prefix.len() - 1] + c);
    }
    let mut heap = BinaryHeap::new();
    heap.extend(best_cut(&prefix, 0, distinct.len()));
    let mut out = Vec::with_capacity(border_count);
    while out.len() < border_count {
        let Some(c) = heap.pop() else { break };
        out.push(between(distinct[c.cut - 1], distinct[c.cut]));
        heap.extend(best_cut(&prefix, c.start, c.cut));
        heap.extend(best_cut(&prefix, c.cut, c.end));
    }
    out
}

/// The bin of `v` (already NaN-replaced) among `borders`.
#[inline]
pub fn bin(borders: &[f32], v: f32) -> usize {
    borders.partition_point(|&b| b < v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn few_distinct_values_get_every_midpoint() {
        let b = borders(&[3.0, 1.0, 2.0, 2.0, 1.0], 254, NanMode::Min);
        assert_eq!(b, [1.5, 2.5]);
        assert_eq!(bin(&b, 1.0), 0);
        assert_eq!(bin(&b, 2.0), 1);
        assert_eq!(bin(&b, 9.0), 2);
        assert!(borders(&[4.0; 10], 254, NanMode::Min).is_empty());
    }

    #[test]
    fn many_values_are_cut_into_bins_of_similar_weight() {
        let values: Vec<f32> = (0..1000).map(|i| i as f32).collect();
        let b = borders(&values, 3, NanMode::Min);
        assert_eq!(b.len(), 3);
        // Four bins of 250 rows: the cuts at the quartiles.
        assert_eq!(b, [249.5, 499.5, 749.5]);
        // A heavy value keeps a bin to itself.
        let mut skewed = vec![0.0f32; 900];
        skewed.extend((1..=100).map(|i| i as f32));
        let b = borders(&skewed, 2, NanMode::Min);
        assert_eq!(b[0], 0.5);
        assert_eq!(borders(&values, 254, NanMode::Min).len(), 254);
    }

    #[test]
    fn missing_values_get_a_border_of_their_own() {
        let b = borders(&[f32::NAN, 1.0, 2.0], 254, NanMode::Min);
        assert_eq!(b, [f32::MIN, 1.5]);
        assert_eq!(bin(&b, NanMode::Min.replace(f32::NAN)), 0);
        assert_eq!(bin(&b, 1.0), 1);
        let b = borders(&[f32::NAN, 1.0, 2.0], 254, NanMode::Max);
        assert_eq!(b, [1.5, f32::MAX]);
        assert_eq!(bin(&b, NanMode::Max.replace(f32::NAN)), 2);
        assert_eq!(bin(&b, 2.0), 1);
    }

    #[test]
    fn a_border_always_separates_close_floats() {
        let low = 1.0f32;
        let high = low.next_up();
        let b = between(low, high);
        assert!(low <= b && b < high);
    }
}
