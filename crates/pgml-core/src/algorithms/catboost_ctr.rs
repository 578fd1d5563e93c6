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
//! Combinations (CatBoost's `max_ctr_complexity`, [`Combination`]): while a tree is built, each
//! categorical input is joined to what the tree already splits on (its number and one-hot splits
//! together, or one of its CTR splits' own combination), as CatBoost's greedy tensor search does;
//! the joined values of a row (category codes, and whether each number is above its border)
//! hash to one key, a category of its own with the same ordered statistics. Not done: the other
//! CTR types (Buckets, BinarizedTargetMeanValue, ...) and priors other than the defaults.

use serde::{Deserialize, Serialize};

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

/// Which CTR types a categorical feature (or combination) gets: CatBoost's `simple_ctr` and
/// `combinations_ctr`; by default Borders with each of [`BORDER_PRIORS`], and Counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CtrTypes {
    /// Borders with `BORDER_PRIORS[i]` when `priors[i]`.
    pub priors: [bool; 3],
    pub counter: bool,
}

impl CtrTypes {
    pub const DEFAULT: CtrTypes = CtrTypes {
        priors: [true; 3],
        counter: true,
    };
}

/// The CTR features of one categorical input: Borders for each target border and prior, then
/// Counter.
pub fn ctrs_of(categorical: u32, borders: usize) -> Vec<Ctr> {
    ctrs_of_types(categorical, borders, CtrTypes::DEFAULT)
}

/// The CTR features of one categorical input (or combination) of `types`.
pub fn ctrs_of_types(categorical: u32, borders: usize, types: CtrTypes) -> Vec<Ctr> {
    let mut out = Vec::with_capacity(borders * BORDER_PRIORS.len() + 1);
    for target_border in 0..borders as u32 {
        for (prior, _) in BORDER_PRIORS.iter().zip(types.priors).filter(|(_, on)| *on) {
            out.push(Ctr {
                categorical,
                counter: false,
                target_border,
                prior: *prior,
            });
        }
    }
    if types.counter {
        out.push(Ctr {
            categorical,
            counter: true,
            target_border: 0,
            prior: 0.0,
        });
    }
    out
}

/// A combination of inputs whose joined values are one category for CTRs (CatBoost's
/// projection): categorical inputs, numbers cut at a border, one-hot inputs at a value. What a
/// model keeps: its parts and the statistics of every training row, by key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Combination {
    /// Indices into the model's categorical inputs (not one-hot), ascending.
    pub categorical: Vec<u32>,
    /// (input, border): whether the row's number (missing values as `nan_mode` places them) is
    /// above the border.
    pub thresholds: Vec<(u32, f32)>,
    /// (input, code): whether the row's one-hot input has this category code.
    pub equals: Vec<(u32, f32)>,
    /// The keys ([`key`]) of the combinations seen in training, ascending.
    pub keys: Vec<u64>,
    /// Per key: training rows with it.
    pub counts: Vec<u32>,
    /// Per key, per target border: training rows with it whose target is above the border.
    pub above: Vec<u32>,
    pub target_borders: u32,
    /// The largest of `counts` (Counter's denominator).
    pub max_count: u32,
}

/// Folds one part of a combination into its key (SplitMix64's finalizer over the running key
/// and the part: distinct combinations of at most a few parts collide with probability ~2^-64).
pub fn mix(key: u64, part: u64) -> u64 {
    let mut z =
        (key ^ part.wrapping_mul(0x9E37_79B9_7F4A_7C15)).wrapping_add(0x632B_E59B_D9B4_E019);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The key of one row's parts: its category codes (None when one is missing or unseen: the row
/// then has no combination and gets the prior alone), then its threshold and equality bits.
pub fn key(
    codes: impl IntoIterator<Item = Option<usize>>,
    bits: impl IntoIterator<Item = bool>,
) -> Option<u64> {
    let mut k = 0x5bd1_e995_u64;
    for c in codes {
        k = mix(k, c? as u64);
    }
    for b in bits {
        k = mix(k, 2 + u64::from(b));
    }
    Some(k)
}

impl Combination {
    /// The bin of `ctr` (whose `categorical` names this combination) for a row's key.
    pub fn predict_bin(&self, ctr: &Ctr, key: Option<u64>) -> u16 {
        let b = self.target_borders as usize;
        let (counts, above) = match key.and_then(|k| self.keys.binary_search(&k).ok()) {
            Some(i) => (
                self.counts[i],
                self.above[i * b + ctr.target_border as usize],
            ),
            None => (0, 0),
        };
        bin(ctr.value(counts, above, self.max_count))
    }
}

/// The training rows' keys of one combination as dense ids (u32::MAX: none), with the
/// statistics of all rows per id.
#[derive(Debug)]
pub struct DenseKeys {
    pub ids: Vec<u32>,
    pub keys: Vec<u64>,
    pub counts: Vec<u32>,
    pub above: Vec<u32>,
    pub borders: usize,
    pub max_count: u32,
}

impl DenseKeys {
    pub fn new(row_keys: &[Option<u64>], levels: &[u16], borders: usize) -> DenseKeys {
        let mut index: std::collections::HashMap<u64, u32> = std::collections::HashMap::new();
        let mut keys = Vec::new();
        let mut counts: Vec<u32> = Vec::new();
        let mut above: Vec<u32> = Vec::new();
        let ids = row_keys
            .iter()
            .zip(levels)
            .map(|(k, &level)| match k {
                Some(k) => {
                    let id = *index.entry(*k).or_insert_with(|| {
                        keys.push(*k);
                        counts.push(0);
                        above.extend(std::iter::repeat_n(0, borders));
                        (keys.len() - 1) as u32
                    });
                    let i = id as usize;
                    counts[i] += 1;
                    for b in 0..usize::from(level).min(borders) {
                        above[i * borders + b] += 1;
                    }
                    id
                }
                None => u32::MAX,
            })
            .collect();
        let max_count = counts.iter().copied().max().unwrap_or(0);
        DenseKeys {
            ids,
            keys,
            counts,
            above,
            borders,
            max_count,
        }
    }

    /// The stored table: keys ascending with their statistics.
    pub fn table(&self) -> (Vec<u64>, Vec<u32>, Vec<u32>) {
        let mut order: Vec<usize> = (0..self.keys.len()).collect();
        order.sort_unstable_by_key(|&i| self.keys[i]);
        let b = self.borders;
        (
            order.iter().map(|&i| self.keys[i]).collect(),
            order.iter().map(|&i| self.counts[i]).collect(),
            order
                .iter()
                .flat_map(|&i| self.above[i * b..(i + 1) * b].iter().copied())
                .collect(),
        )
    }

    /// The ordered bins of every CTR of `ctrs` over the rows visited in `order` (see
    /// [`ordered_bins`]).
    pub fn ordered_bins(&self, ctrs: &[Ctr], levels: &[u16], order: &[u32]) -> Vec<Vec<u16>> {
        let n = self.ids.len();
        let b = self.borders;
        let mut seen = vec![0u32; self.keys.len()];
        let mut seen_above = vec![0u32; self.keys.len() * b];
        let mut out = vec![vec![0u16; n]; ctrs.len()];
        for &i in order {
            let i = i as usize;
            let id = self.ids[i];
            for (k, ctr) in ctrs.iter().enumerate() {
                let value = if id == u32::MAX {
                    ctr.value(0, 0, self.max_count)
                } else if ctr.counter {
                    ctr.value(self.counts[id as usize], 0, self.max_count)
                } else {
                    let id = id as usize;
                    ctr.value(
                        seen[id],
                        seen_above[id * b + ctr.target_border as usize],
                        self.max_count,
                    )
                };
                out[k][i] = bin(value);
            }
            if id != u32::MAX {
                let id = id as usize;
                seen[id] += 1;
                for t in 0..usize::from(levels[i]).min(b) {
                    seen_above[id * b + t] += 1;
                }
            }
        }
        out
    }
}

/// The ordered bins of the training rows for every CTR of one categorical input: rows visited
/// in `order` (the fold's random permutation, shared by every feature of the fold as in
/// CatBoost), each row's statistic from the rows before it (Counter: from all rows). Returns one column of bins per CTR of `ctrs`, in row order.
pub fn ordered_bins(
    table: &CategoricalInput,
    ctrs: &[Ctr],
    col: &[f32],
    levels: &[u16],
    order: &[u32],
) -> Vec<Vec<u16>> {
    let n = col.len();
    let categories = table.counts.len();
    let borders = table.target_borders as usize;
    let mut seen = vec![0u32; categories];
    let mut seen_above = vec![0u32; categories * borders];
    let mut out = vec![vec![0u16; n]; ctrs.len()];
    for &i in order {
        let i = i as usize;
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
    use crate::split::SplitMix64;

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
        let mut order: Vec<u32> = (0..4).collect();
        SplitMix64(1).shuffle(&mut order);
        let bins = ordered_bins(&t, &ctrs, &col, &levels, &order);
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
    fn combinations_are_categories_of_their_joined_values() {
        // Keys: the same parts give the same key, any other part another; a missing code none.
        let k = |a: Option<usize>, b: Option<usize>, bit: bool| key([a, b], [bit]);
        assert_eq!(k(Some(1), Some(2), true), k(Some(1), Some(2), true));
        assert_ne!(k(Some(1), Some(2), true), k(Some(2), Some(1), true));
        assert_ne!(k(Some(1), Some(2), true), k(Some(1), Some(2), false));
        assert_eq!(k(None, Some(2), true), None);
        // Four rows of two combinations (x, y): targets 1, 1 for x, 0, 1 for y.
        let keys = [Some(7), Some(9), Some(7), Some(9), None];
        let levels = [1u16, 0, 1, 1, 1];
        let dense = DenseKeys::new(&keys, &levels, 1);
        assert_eq!(dense.ids, [0, 1, 0, 1, u32::MAX]);
        assert_eq!(
            (dense.counts.clone(), dense.above.clone()),
            (vec![2, 2], vec![2, 1])
        );
        assert_eq!(dense.max_count, 2);
        let ctrs = ctrs_of(0, 1);
        // Visited in row order: each row sees the rows of its combination before it.
        let order: Vec<u32> = (0..5).collect();
        let bins = dense.ordered_bins(&ctrs, &levels, &order);
        // Prior 0: rows 0 and 1 see nothing, row 2 one positive of one, row 3 none of one.
        assert_eq!(bins[0], [bin(0.0), bin(0.0), bin(0.5), bin(0.0), bin(0.0)]);
        // Counter counts every row: 2 / 3 for both, the prior alone (0) without a key.
        assert_eq!(
            bins[3],
            [
                bin(2.0 / 3.0),
                bin(2.0 / 3.0),
                bin(2.0 / 3.0),
                bin(2.0 / 3.0),
                bin(0.0)
            ]
        );
        // The stored table: keys ascending, statistics of all rows.
        let (stored, counts, above) = dense.table();
        assert_eq!(
            (stored.clone(), counts.clone(), above.clone()),
            (vec![7, 9], vec![2, 2], vec![2, 1])
        );
        let c = Combination {
            categorical: vec![0, 1],
            thresholds: Vec::new(),
            equals: Vec::new(),
            keys: stored,
            counts,
            above,
            target_borders: 1,
            max_count: 2,
        };
        assert_eq!(c.predict_bin(&ctrs[1], Some(9)), bin(1.5 / 3.0));
        assert_eq!(c.predict_bin(&ctrs[1], Some(8)), bin(0.5));
        assert_eq!(c.predict_bin(&ctrs[1], None), bin(0.5));
        // Types: Counter alone, Borders with one prior.
        let only = ctrs_of_types(
            3,
            2,
            CtrTypes {
                priors: [false, true, false],
                counter: false,
            },
        );
        assert_eq!(only.len(), 2);
        assert!(only
            .iter()
            .all(|c| !c.counter && c.prior == 0.5 && c.categorical == 3));
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
