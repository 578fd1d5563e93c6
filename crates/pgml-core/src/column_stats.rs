//! Per-column statistics of a snapshot (`pgml.snapshots.column_stats`), computed in one pass when
//! the snapshot is taken, so the dashboard never scans a training table on a page view.
//!
//! Memory is bounded whatever the row count: distinct values are tracked up to
//! [`MAX_TRACKED_DISTINCT`] (beyond, the count is a lower bound and says so), and histograms come
//! from a seeded reservoir sample of [`SAMPLE_SIZE`] values per column.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::plots::{histogram, Histogram};
use crate::split::SplitMix64;

pub const MAX_TRACKED_DISTINCT: usize = 10_000;
pub const SAMPLE_SIZE: usize = 10_000;
pub const HISTOGRAM_BINS: usize = 20;
/// Most frequent values kept per column (the label's distribution, categories of a text column).
pub const TOP_VALUES: usize = 20;
/// Characters of a text value kept as its key (a long value is shown cut, with an ellipsis).
pub const MAX_KEY_CHARS: usize = 100;

/// How a column is read for its statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Numbers and booleans (as 0/1): min, max, mean, histogram.
    Number,
    /// Text and every other scalar type, by its text form: distinct and most frequent values.
    Text,
    /// Arrays: NULLs only.
    Other,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnStats {
    pub name: String,
    /// The column's SQL type (`format_type`).
    #[serde(rename = "type")]
    pub pg_type: String,
    pub kind: Kind,
    /// Rows seen (NULL or not).
    pub rows: u64,
    pub nulls: u64,
    /// Distinct non-NULL values; a lower bound when `distinct_capped`.
    pub distinct: u64,
    #[serde(default)]
    pub distinct_capped: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub histogram: Option<Histogram>,
    /// Values in the histogram: all non-NULL values, or a sample of SAMPLE_SIZE of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub histogram_sample: Option<u64>,
    /// The most frequent values with their counts, most frequent first (ties by value), when
    /// there are few distinct values (numbers) or always (text, where counts are exact unless
    /// `distinct_capped`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub top_values: Vec<(String, u64)>,
}

/// Collects one column's statistics value by value.
#[derive(Debug)]
pub struct Accumulator {
    name: String,
    pg_type: String,
    kind: Kind,
    rows: u64,
    nulls: u64,
    sum: f64,
    min: f64,
    max: f64,
    counts: HashMap<String, u64>,
    /// Numbers are counted by value (their bits, -0 as 0 and every NaN as one) and turned into
    /// their text keys once, at the end: formatting and hashing a string per value was most of a
    /// snapshot's statistics pass.
    number_counts: HashMap<u64, u64>,
    capped: bool,
    sample: Vec<f64>,
    seen_numbers: u64,
    rng: SplitMix64,
}

impl Accumulator {
    pub fn new(name: &str, pg_type: &str, kind: Kind) -> Accumulator {
        Accumulator {
            name: name.to_string(),
            pg_type: pg_type.to_string(),
            kind,
            rows: 0,
            nulls: 0,
            sum: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            counts: HashMap::new(),
            number_counts: HashMap::new(),
            capped: false,
            sample: Vec::new(),
            seen_numbers: 0,
            // Fixed seed: the same rows give the same statistics.
            rng: SplitMix64(0x05EE_DC01),
        }
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }

    fn count(&mut self, key: String) {
        if let Some(c) = self.counts.get_mut(&key) {
            *c += 1;
        } else if self.counts.len() < MAX_TRACKED_DISTINCT {
            self.counts.insert(key, 1);
        } else {
            self.capped = true;
        }
    }

    fn count_number(&mut self, v: f64) {
        let key = if v.is_nan() {
            f64::NAN.to_bits()
        } else if v == 0.0 {
            0f64.to_bits()
        } else {
            v.to_bits()
        };
        if let Some(c) = self.number_counts.get_mut(&key) {
            *c += 1;
        } else if self.number_counts.len() < MAX_TRACKED_DISTINCT {
            self.number_counts.insert(key, 1);
        } else {
            self.capped = true;
        }
    }

    /// A NULL, whatever the kind.
    pub fn push_null(&mut self) {
        self.rows += 1;
        self.nulls += 1;
    }

    /// A value of a Number column (NaN counts as a value, left out of min/max/mean).
    pub fn push_number(&mut self, v: f64) {
        self.rows += 1;
        self.count_number(v);
        if !v.is_finite() {
            return;
        }
        self.sum += v;
        self.min = self.min.min(v);
        self.max = self.max.max(v);
        self.seen_numbers += 1;
        // Reservoir sampling (Algorithm R): every value has the same chance to be in the sample.
        if self.sample.len() < SAMPLE_SIZE {
            self.sample.push(v);
        } else {
            let j = self.rng.below(self.seen_numbers as usize);
            if j < SAMPLE_SIZE {
                self.sample[j] = v;
            }
        }
    }

    /// A value of a Text column. Long values are counted by their first MAX_KEY_CHARS characters,
    /// so that tracked values stay small.
    pub fn push_text(&mut self, v: &str) {
        self.rows += 1;
        let key = match v.char_indices().nth(MAX_KEY_CHARS) {
            Some((at, _)) => format!("{}…", &v[..at]),
            None => v.to_string(),
        };
        self.count(key);
    }

    /// A non-NULL value of an Other column.
    pub fn push_other(&mut self) {
        self.rows += 1;
    }

    pub fn finish(mut self) -> ColumnStats {
        for (bits, n) in std::mem::take(&mut self.number_counts) {
            *self
                .counts
                .entry(format_number(f64::from_bits(bits)))
                .or_insert(0) += n;
        }
        let distinct = self.counts.len() as u64;
        let mut top: Vec<(String, u64)> = self.counts.into_iter().collect();
        top.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        top.truncate(TOP_VALUES);
        let numeric = self.kind == Kind::Number && self.seen_numbers > 0;
        let keep_top = match self.kind {
            Kind::Text => true,
            // Numbers: only when the column looks categorical (a class label, a flag).
            Kind::Number => !self.capped && distinct as usize <= TOP_VALUES,
            Kind::Other => false,
        };
        ColumnStats {
            name: self.name,
            pg_type: self.pg_type,
            kind: self.kind,
            rows: self.rows,
            nulls: self.nulls,
            distinct,
            distinct_capped: self.capped,
            min: numeric.then_some(self.min),
            max: numeric.then_some(self.max),
            mean: numeric.then(|| self.sum / self.seen_numbers as f64),
            histogram: numeric.then(|| histogram(&self.sample, HISTOGRAM_BINS)),
            histogram_sample: numeric.then_some(self.sample.len() as u64),
            top_values: if keep_top { top } else { Vec::new() },
        }
    }
}

/// A number as its text key: integers without a fraction (a class label 1 shows as "1").
fn format_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// Every column's statistics as stored in `pgml.snapshots.column_stats`:
/// `{"version": 1, "columns": [...]}`.
pub fn to_json(columns: Vec<ColumnStats>) -> serde_json::Value {
    serde_json::json!({ "version": 1, "columns": columns })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Numbers are counted by value and named as text only at the end: -0 is 0, every NaN one
    /// value, integers without a fraction (a class label 1 is "1").
    #[test]
    fn numbers_are_counted_by_value_with_their_text_keys() {
        let mut a = Accumulator::new("y", "float8", Kind::Number);
        for v in [0.0, -0.0, 1.0, 1.0, 2.5, f64::NAN, -f64::NAN] {
            a.push_number(v);
        }
        let s = a.finish();
        assert_eq!(s.distinct, 4);
        assert_eq!(
            s.top_values,
            vec![
                ("0".to_string(), 2),
                ("1".to_string(), 2),
                ("NaN".to_string(), 2),
                ("2.5".to_string(), 1)
            ]
        );
    }

    #[test]
    fn numbers_have_min_max_mean_histogram_and_distinct() {
        let mut a = Accumulator::new("age", "real", Kind::Number);
        for v in [1.0, 2.0, 2.0, 5.0] {
            a.push_number(v);
        }
        a.push_null();
        let s = a.finish();
        assert_eq!((s.rows, s.nulls, s.distinct), (5, 1, 3));
        assert_eq!((s.min, s.max), (Some(1.0), Some(5.0)));
        assert_eq!(s.mean, Some(2.5));
        let h = s.histogram.unwrap();
        assert_eq!(h.counts.iter().sum::<u64>(), 4);
        assert_eq!(h.counts.len(), HISTOGRAM_BINS);
        // Few distinct values: the distribution is kept (a label's class balance).
        assert_eq!(
            s.top_values,
            vec![("2".into(), 2), ("1".into(), 1), ("5".into(), 1)]
        );
    }

    #[test]
    fn text_keeps_the_most_frequent_values() {
        let mut a = Accumulator::new("species", "text", Kind::Text);
        for v in ["b", "a", "b", "c", "b", "a"] {
            a.push_text(v);
        }
        let s = a.finish();
        assert_eq!(s.distinct, 3);
        assert_eq!(s.top_values[0], ("b".into(), 3));
        assert_eq!(s.top_values[1], ("a".into(), 2));
        assert!(s.min.is_none() && s.histogram.is_none());
    }

    #[test]
    fn memory_is_bounded_and_the_cap_is_reported() {
        let mut a = Accumulator::new("id", "bigint", Kind::Number);
        let n = 50_000;
        for i in 0..n {
            a.push_number(f64::from(i));
        }
        let s = a.finish();
        assert!(s.distinct_capped);
        assert_eq!(s.distinct, MAX_TRACKED_DISTINCT as u64);
        assert_eq!(s.histogram_sample, Some(SAMPLE_SIZE as u64));
        assert_eq!((s.min, s.max), (Some(0.0), Some(f64::from(n - 1))));
        assert_eq!(s.mean, Some(f64::from(n - 1) / 2.0));
        assert!(s.top_values.is_empty());
        // The sample is spread over the whole range: a uniform column has even bins.
        let h = s.histogram.unwrap();
        let expected = SAMPLE_SIZE as f64 / HISTOGRAM_BINS as f64;
        for c in &h.counts {
            assert!(
                (*c as f64 - expected).abs() < expected * 0.25,
                "{:?}",
                h.counts
            );
        }
    }

    #[test]
    fn arrays_count_nulls_only_and_json_has_a_version() {
        let mut a = Accumulator::new("pixels", "real[]", Kind::Other);
        a.push_other();
        a.push_null();
        let s = a.finish();
        assert_eq!((s.rows, s.nulls, s.distinct), (2, 1, 0));
        let j = to_json(vec![s]);
        assert_eq!(j["version"], 1);
        assert_eq!(j["columns"][0]["type"], "real[]");
        assert!(j["columns"][0].get("histogram").is_none());
        let back: ColumnStats = serde_json::from_value(j["columns"][0].clone()).unwrap();
        assert_eq!(back.kind, Kind::Other);
    }
}
