//! Class labels → class codes 0..k, and what predict returns for each code.

use std::collections::HashMap;

use crate::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelKind {
    /// Integers or other numbers: predict returns the label itself.
    Numeric,
    /// Booleans: predict returns 1 for true and 0 for false.
    Boolean,
    /// Text: predict returns the class code; the mapping is in the catalog.
    Text,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Encoded {
    /// One code per row.
    pub codes: Vec<u32>,
    /// The label of each code, in code order.
    pub classes: Vec<String>,
    /// What predict returns for each code.
    pub values: Vec<f32>,
}

/// Class labels as they are read, row by row: each distinct label's text once and a 4-byte index
/// per row. A `String` per row took ~56 MB per million rows (and as much again while encoding);
/// this takes 4 MB.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClassColumn {
    distinct: Vec<String>,
    index: HashMap<String, u32>,
    rows: Vec<u32>,
}

impl ClassColumn {
    pub fn new() -> ClassColumn {
        ClassColumn::default()
    }

    /// Appends a row's label; true when it is the first row with this label.
    pub fn push(&mut self, label: &str) -> bool {
        if let Some(&i) = self.index.get(label) {
            self.rows.push(i);
            return false;
        }
        let i = u32::try_from(self.distinct.len()).unwrap_or(u32::MAX);
        self.distinct.push(label.to_string());
        self.index.insert(label.to_string(), i);
        self.rows.push(i);
        true
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Each distinct label once, in the order first seen.
    pub fn distinct(&self) -> &[String] {
        &self.distinct
    }

    /// The same as [`encode`] of the labels row by row.
    pub fn encode(&self, kind: LabelKind) -> Result<Encoded> {
        self.encode_after(&[], kind)
    }

    /// The same as [`encode`] of `known` followed by these rows' labels, with codes for these
    /// rows only: how a shard encodes its rows with the classes its coordinator found.
    pub fn encode_after(&self, known: &[String], kind: LabelKind) -> Result<Encoded> {
        let mut all = known.to_vec();
        all.extend(self.distinct.iter().cloned());
        let mut enc = encode(&all, kind)?;
        let of_distinct = &enc.codes[known.len()..];
        let codes = self
            .rows
            .iter()
            .map(|&d| of_distinct.get(d as usize).copied().unwrap_or(0))
            .collect();
        enc.codes = codes;
        Ok(enc)
    }
}

/// Codes are given in sorted label order: numerically for numbers, false before true, and by
/// bytes for text (as PostgreSQL's C collation sorts), so the mapping is predictable.
pub fn encode(labels: &[String], kind: LabelKind) -> Result<Encoded> {
    let mut classes: Vec<String> = labels.to_vec();
    let numeric = |s: &str| -> Result<f64> {
        s.parse::<f64>()
            .map_err(|_| Error::invalid(format!("label \"{s}\" is not a number")))
    };
    match kind {
        LabelKind::Numeric => {
            let mut keyed: Vec<(f64, String)> = Vec::new();
            for c in classes.drain(..) {
                keyed.push((numeric(&c)?, c));
            }
            keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
            keyed.dedup_by(|a, b| a.0 == b.0);
            classes = keyed.into_iter().map(|(_, c)| c).collect();
        }
        LabelKind::Boolean | LabelKind::Text => {
            classes.sort();
            classes.dedup();
        }
    }
    if classes.len() < 2 {
        return Err(Error::bad_data(
            format!(
                "the label has only one class ({}); classification needs at least two",
                classes.first().map_or("none", String::as_str)
            ),
            "check the label column, or train a regression instead",
        ));
    }
    let values = classes
        .iter()
        .enumerate()
        .map(|(code, c)| match kind {
            LabelKind::Numeric => numeric(c).map(|v| v as f32),
            LabelKind::Boolean => Ok(if c == "true" { 1.0 } else { 0.0 }),
            LabelKind::Text => Ok(code as f32),
        })
        .collect::<Result<Vec<f32>>>()?;
    let codes = labels
        .iter()
        .map(|l| match kind {
            LabelKind::Numeric => {
                let v = numeric(l)?;
                Ok(classes
                    .iter()
                    .position(|c| numeric(c).is_ok_and(|x| x == v))
                    .unwrap_or(0) as u32)
            }
            _ => Ok(classes.binary_search(l).unwrap_or(0) as u32),
        })
        .collect::<Result<Vec<u32>>>()?;
    Ok(Encoded {
        codes,
        classes,
        values,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn numbers_sort_numerically_and_predict_themselves() {
        let e = encode(&s(&["10", "2", "2", "7"]), LabelKind::Numeric).unwrap();
        assert_eq!(e.classes, s(&["2", "7", "10"]));
        assert_eq!(e.codes, vec![2, 0, 0, 1]);
        assert_eq!(e.values, vec![2.0, 7.0, 10.0]);
    }

    #[test]
    fn booleans_are_zero_and_one() {
        let e = encode(&s(&["true", "false", "true"]), LabelKind::Boolean).unwrap();
        assert_eq!(e.classes, s(&["false", "true"]));
        assert_eq!(e.codes, vec![1, 0, 1]);
        assert_eq!(e.values, vec![0.0, 1.0]);
    }

    #[test]
    fn text_predicts_codes() {
        let e = encode(&s(&["setosa", "virginica", "versicolor"]), LabelKind::Text).unwrap();
        assert_eq!(e.classes, s(&["setosa", "versicolor", "virginica"]));
        assert_eq!(e.codes, vec![0, 2, 1]);
        assert_eq!(e.values, vec![0.0, 1.0, 2.0]);
    }

    /// Interned labels encode exactly as the labels row by row would.
    #[test]
    fn a_class_column_encodes_as_its_rows() {
        for (rows, kind) in [
            (
                s(&["10", "2", "2", "7", "10", "-0", "0"]),
                LabelKind::Numeric,
            ),
            (s(&["true", "false", "true"]), LabelKind::Boolean),
            (s(&["b", "a", "c", "a"]), LabelKind::Text),
        ] {
            let mut column = ClassColumn::new();
            let firsts: Vec<bool> = rows.iter().map(|r| column.push(r)).collect();
            assert_eq!(column.len(), rows.len());
            assert_eq!(
                firsts.iter().filter(|&&f| f).count(),
                column.distinct().len()
            );
            assert_eq!(column.encode(kind).unwrap(), encode(&rows, kind).unwrap());
            let known = s(&["2", "7"]);
            if kind == LabelKind::Numeric {
                let mut all = known.clone();
                all.extend(rows.iter().cloned());
                let whole = encode(&all, kind).unwrap();
                let after = column.encode_after(&known, kind).unwrap();
                assert_eq!(after.classes, whole.classes);
                assert_eq!(after.codes, whole.codes[known.len()..].to_vec());
            }
        }
        assert!(ClassColumn::new().encode(LabelKind::Text).is_err());
    }

    #[test]
    fn one_class_is_refused() {
        let e = encode(&s(&["a", "a"]), LabelKind::Text).unwrap_err();
        assert!(e.to_string().contains("only one class (a)"), "{e}");
    }
}
