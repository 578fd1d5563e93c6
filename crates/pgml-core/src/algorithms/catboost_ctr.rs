//! Categorical features for `catboost`, as CatBoost encodes them: a category column with at most
//! `one_hot_max_size` values is split by equality (one-hot); a larger one becomes CTR features,
//! target statistics of its category, with CatBoost 1.2's default CTR types on a CPU:
//!
//! - `Borders` with priors 0, 0.5 and 1 (denominator 1): (rows of the category whose target is
//!   above a target border + prior) / (rows of the category + 1). The target borders: one for
//!   Logloss (the positive class), k − 1 for MultiClass (class > b), one for RMSE (the border
//!   that splits the targets most evenly, CatBoost's MinEntropy with `TargetBorderCount=1`).
//! - `Counter` with prior 0: (rows of the category + 0) / (rows of the most frequent one + 1).
//!
//! On the training rows the statistics are ordered: a random permutation of the rows, and each
//! row sees only the rows before it (so its own target never leaks into its feature); `Counter`
//! has no target and counts every training row. At predict time the statistics of all training
//! rows are used, from the tables stored with the model; a category not seen in training gets the
//! prior alone. CTR values are quantized as CatBoost does with `CtrBorderCount=15`, `Uniform`
//! (scale 15): bin = ⌊15 · value⌋, 16 bins.
//!
//! As in CatBoost's Plain mode, `permutation_count` permutations (learn folds) choose the trees'
//! splits in turn and one more (the averaging fold) sets the leaf values (`catboost::boost`).
//!
//! Not done: combinations of categorical features (CatBoost's `max_ctr_complexity`) and the other
//! CTR types.

use serde::{Deserialize, Serialize};

use crate::split::SplitMix64;

/// CatBoost's default `CtrBorderCount`: CTR values in [0, 1] fall in 16 bins.
pub const CTR_BINS: usize = 16;
/// The priors of the default `Borders` CTR (denominator 1).
pub const BORDER_PRIORS: [f32; 3] = [0.0, 0.5, 1.0];

/// What a model keeps of one categorical input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoricalInput {
    /// The input's position in the feature vector.
    pub input: u32,
    /// At most `one_hot_max_size` categories: split by equality, no statistics kept.
    pub one_hot: bool,
    /// Per category code: training rows with it.
    pub counts: Vec<u32>,
    /// Per category code, per target border (`target_borders` of them): training rows with it whose
    /// target is above the border.
    pub above: Vec<u32>,
    pub target_borders: u32,
    /// The largest of `counts` (Counter's denominator).
    pub max_count: u32,
}

/// One CTR feature of a model: a statistic of one categorical input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ctr {
    /// Index into the model's categorical inputs.
    pub categorical: u32,
    /// Counter (frequency) rather than Borders (target rate).
    pub counter: bool,
    pub target_border: u32,
    pub prior: f32,
}

/// A CTR value's bin, the same at training and at predict.
pub fn bin(value: f64) -> u16 {
    // 1e-6: CatBoost's borders sit just below the integers of the scaled value.
    ((value * (CTR_BINS - 1) as f64 + 1e-6).floor().max(0.0) as usize).min(CTR_BINS - 1) as u16
}

/// The category code of a raw input value, None for one outside the training's categories (or
/// not a code at all).
pub fn code(value: f32, categories: usize) -> Option<usize> {
    (value >= 0.0 && value.fract() == 0.0 && (value as usize) < categories)
        .then_some(value as usize)
}

impl Ctr {
    fn value(&self, counts: u32, above: u32, max_count: u32) -> f64 {
        if self.counter {
            (f64::from(counts) + f64::from(self.prior)) / (f64::from(max_count) + 1.0)
        } else {
            (f64::from(above) + f64::from(self.prior)) / (f64::from(counts) + 1.0)
        }
    }

    /// The bin of this CTR for a raw input value, from the stored (all training rows) statistics.
    pub fn predict_bin(&self, input: &CategoricalInput, value: f32) -> u16 {
        let b = input.target_borders as usize;
        let (counts, above) = match code(value, input.counts.len()) {
            Some(c) => (
                input.counts[c],
                input.above[c * b + self.target_border as usize],
            ),
            None => (0, 0),
        };
        bin(self.value(counts, above, input.max_count))
    }
}

/// The training target binarized for the Borders CTRs: per row, how many target borders its
/// target is above (0..=borders), and the number of borders.
pub fn target_levels(
    values: Option<&[f32]>,
    codes: Option<&[u32]>,
    classes: usize,
) -> (Vec<u16>, usize) {
    match (values, codes) {
        (Some(y), _) => {
            // One border splitting the targets most evenly (MinEntropy with one border).
            let mut sorted: Vec<f32> = y.to_vec();
            sorted.sort_by(f32::total_cmp);
            let n = sorted.len();
            let mut best: Option<(usize, f32)> = None;
            let mut i = 0;
            while i < n {
                let mut j = i;
                while j < n && sorted[j] == sorted[i] {
                    j += 1;
                }
                // Border after sorted[i..j]: j rows at or below it.
                if j < n {
                    let imbalance = j.abs_diff(n - j);
                    if best.is_none_or(|(b, _)| imbalance < b) {
                        best = Some((imbalance, sorted[i]));
                    }
                }
                i = j;
            }
            match best {
                Some((_, border)) => (y.iter().map(|&v| u16::from(v > border)).collect(), 1),
                None => (vec![0; n], 1),
            }
        }
        (None, Some(c)) => (
            c.iter().map(|&v| v as u16).collect(),
            classes.saturating_sub(1).max(1),
        ),
        (None, None) => (Vec::new(), 1),
    }
}

/// Builds the model's table for a categorical input with `categories` values from its training
/// column and the binarized target.
pub fn table(
    input: usize,
    categories: usize,
    one_hot: bool,
    col: &[f32],
    levels: &[u16],
    borders: usize,
) -> CategoricalInput {
    let mut counts = vec![0u32; categories];
    let mut above = vec![0u32; categories * borders];
    if !one_hot {
        for (&v, &level) in col.iter().zip(levels) {
            if let Some(c) = code(v, categories) {
                counts[c] += 1;
                for b in 0..usize::from(level).min(borders) {
                    above[c * borders + b] += 1;
                }
            }
        }
    }
    let max_count = counts.iter().copied().max().unwrap_or(0);
    CategoricalInput {
        input: input as u32,
        one_hot,
        counts: if one_hot { vec![0; categories] } else { counts },
        above,
        target_borders: borders as u32,
        max_count,
    }
}

/// The CTR features of one categorical input: Borders for each target border and prior, then
/// Counter.
pub fn ctrs_of(categorical: u32, borders: usize) -> Vec<Ctr> {
    let mut out = Vec::with_capacity(borders * BORDER_PRIORS.len() + 1);
    for target_border in 0..borders as u32 {
        for prior in BORDER_PRIORS {
            out.push(Ctr {
                categorical,
                counter: false,
                target_border,
                prior,
            });
        }
    }
    out.push(Ctr {
        categorical,
        counter: true,
        target_border: 0,
        prior: 0.0,
    });
    out
}

/// The ordered bins of the training rows for every CTR of one categorical input: rows visited
/// in a random permutation, each row's statistic from the rows before it (Counter: from all
/// rows). Returns one column of bins per CTR of `ctrs`, in row order.
pub fn ordered_bins(
    table: &CategoricalInput,
    ctrs: &[Ctr],
    col: &[f32],
    levels: &[u16],
    rng: &mut SplitMix64,
) -> Vec<Vec<u16>> {
    let n = col.len();
    let categories = table.counts.len();
    let borders = table.target_borders as usize;
    let mut order: Vec<usize> = (0..n).collect();
    rng.shuffle(&mut order);
    let mut seen = vec![0u32; categories];
    let mut seen_above = vec![0u32; categories * borders];
    let mut out = vec![vec![0u16; n]; ctrs.len()];
    for &i in &order {
        let c = code(col[i], categories);
        for (k, ctr) in ctrs.iter().enumerate() {
            let value = match c {
                Some(c) if ctr.counter => ctr.value(table.counts[c], 0, table.max_count),
                Some(c) => ctr.value(
                    seen[c],
                    seen_above[c * borders + ctr.target_border as usize],
                    table.max_count,
                ),
                None => ctr.value(0, 0, table.max_count),
            };
            out[k][i] = bin(value);
        }
        if let Some(c) = c {
            seen[c] += 1;
            for b in 0..usize::from(levels[i]).min(borders) {
                seen_above[c * borders + b] += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordered_statistics_see_only_earlier_rows() {
        // One category, targets 1, 1, 1, 1: the row visited first sees nothing (prior only),
        // the last one three earlier positives.
        let col = [0.0f32; 4];
        let levels = [1u16; 4];
        let t = table(0, 1, false, &col, &levels, 1);
        assert_eq!(
            (t.counts.clone(), t.above.clone(), t.max_count),
            (vec![4], vec![4], 4)
        );
        let ctrs = ctrs_of(0, 1);
        assert_eq!(ctrs.len(), 4);
        let bins = ordered_bins(&t, &ctrs, &col, &levels, &mut SplitMix64(1));
        // Prior 0: 0/1, 1/2, 2/3, 3/4 in the permutation's order: every bin once.
        let mut prior0 = bins[0].clone();
        prior0.sort_unstable();
        assert_eq!(prior0, [bin(0.0), bin(0.5), bin(2.0 / 3.0), bin(0.75)]);
        // Counter: every row counts all four (4 / 5).
        assert!(bins[3].iter().all(|&b| b == bin(0.8)));
        // At predict: all four rows; an unseen category gets the prior alone.
        assert_eq!(ctrs[1].predict_bin(&t, 0.0), bin(4.5 / 5.0));
        assert_eq!(ctrs[2].predict_bin(&t, 7.0), bin(1.0));
        assert_eq!(ctrs[0].predict_bin(&t, f32::NAN), bin(0.0));
        assert_eq!(bin(1.0), 15);
        assert_eq!(bin(14.0 / 15.0), 14);
    }

    #[test]
    fn the_regression_target_border_splits_evenly() {
        let (levels, borders) = target_levels(Some(&[1.0, 5.0, 2.0, 9.0, 3.0, 3.0]), None, 0);
        assert_eq!(borders, 1);
        assert_eq!(levels, [0, 1, 0, 1, 1, 1]);
        let (levels, borders) = target_levels(None, Some(&[0, 2, 1]), 3);
        assert_eq!((levels, borders), (vec![0, 2, 1], 2));
    }
}
