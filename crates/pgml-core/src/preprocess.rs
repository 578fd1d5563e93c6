//! `preprocess`: per-column imputing, scaling and text encoding, PostgresML's JSON form:
//! `{"column": {"impute": "mean", "scale": "standard", "encode": "one_hot"}}`.
//!
//! Statistics are computed once over the snapshot's rows and stored in the model's features, and
//! the same code transforms rows for training and for predict, so both always agree.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Impute {
    Mean,
    Median,
    Mode,
    Min,
    Max,
    Zero,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    Preserve,
    Standard,
    MinMax,
    MaxAbs,
    Robust,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encode {
    /// Text as the position among its sorted values (one column).
    Native,
    /// Text as one 0/1 column per value.
    OneHot,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnSpec {
    /// None: a NULL is an error.
    pub impute: Option<Impute>,
    pub scale: Scale,
    pub encode: Encode,
}

impl Default for ColumnSpec {
    fn default() -> Self {
        ColumnSpec {
            impute: None,
            scale: Scale::Preserve,
            encode: Encode::Native,
        }
    }
}

/// What was learned for one column and is applied to every row, in training and at predict.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Prep {
    /// The value a NULL becomes.
    pub impute: Option<f32>,
    /// (center, scale): a value becomes (value − center) / scale.
    pub scale: Option<(f32, f32)>,
    /// A text column expanded to one 0/1 column per category.
    pub one_hot: bool,
}

fn choice<T: Copy>(column: &str, key: &str, value: &Json, options: &[(&str, T)]) -> Result<T> {
    let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
    value
        .as_str()
        .and_then(|s| options.iter().find(|(n, _)| *n == s).map(|(_, t)| *t))
        .ok_or_else(|| {
            Error::invalid_with_hint(
                format!(
                    "preprocess {key} of column \"{column}\" must be one of {}, got {value}",
                    names.join(", ")
                ),
                r#"for example preprocess => '{"age": {"impute": "mean", "scale": "standard"}}'"#,
            )
        })
}

/// Parses the `preprocess` argument. `columns` are the feature columns, for naming mistakes.
pub fn parse(preprocess: &Json, columns: &[&str]) -> Result<BTreeMap<String, ColumnSpec>> {
    let object = match preprocess {
        Json::Null => return Ok(BTreeMap::new()),
        Json::Object(o) => o,
        _ => {
            return Err(Error::invalid(
                "preprocess must be a JSON object of column names",
            ))
        }
    };
    let mut out = BTreeMap::new();
    for (column, spec) in object {
        if !columns.contains(&column.as_str()) {
            return Err(Error::invalid_with_hint(
                format!("preprocess names \"{column}\", which is not a feature column"),
                format!("feature columns: {}", columns.join(", ")),
            ));
        }
        let spec_object = spec.as_object().ok_or_else(|| {
            Error::invalid(format!(
                "preprocess of column \"{column}\" must be a JSON object"
            ))
        })?;
        let mut parsed = ColumnSpec::default();
        for (key, value) in spec_object {
            match key.as_str() {
                "impute" => {
                    parsed.impute = choice(
                        column,
                        key,
                        value,
                        &[
                            ("error", None),
                            ("mean", Some(Impute::Mean)),
                            ("median", Some(Impute::Median)),
                            ("mode", Some(Impute::Mode)),
                            ("min", Some(Impute::Min)),
                            ("max", Some(Impute::Max)),
                            ("zero", Some(Impute::Zero)),
                        ],
                    )?
                }
                "scale" => {
                    parsed.scale = choice(
                        column,
                        key,
                        value,
                        &[
                            ("preserve", Scale::Preserve),
                            ("standard", Scale::Standard),
                            ("min_max", Scale::MinMax),
                            ("max_abs", Scale::MaxAbs),
                            ("robust", Scale::Robust),
                        ],
                    )?
                }
                "encode" => {
                    parsed.encode = choice(
                        column,
                        key,
                        value,
                        &[
                            ("native", Encode::Native),
                            ("ordinal", Encode::Native),
                            ("one_hot", Encode::OneHot),
                        ],
                    )?
                }
                other => {
                    return Err(Error::invalid_with_hint(
                        format!("unknown preprocess key \"{other}\" for column \"{column}\""),
                        "known keys: impute, scale, encode",
                    ))
                }
            }
        }
        out.insert(column.clone(), parsed);
    }
    Ok(out)
}

fn quantile(sorted: &[f32], q: f64) -> f32 {
    let pos = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    let frac = (pos - lo as f64) as f32;
    sorted[lo] + (sorted[hi] - sorted[lo]) * frac
}

/// Learns a numeric column's `Prep` from its values (NaN marks a NULL).
pub fn fit_numeric(column: &str, spec: &ColumnSpec, values: &[f32]) -> Result<Prep> {
    if spec.encode == Encode::OneHot {
        return Err(Error::invalid(format!(
            "encode applies to text columns; \"{column}\" is a number"
        )));
    }
    let mut present: Vec<f32> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    present.sort_by(f32::total_cmp);
    if present.is_empty() {
        return Err(Error::bad_data(
            format!("column \"{column}\" has no values to learn its preprocessing from"),
            "check the column",
        ));
    }
    let n = present.len() as f64;
    let mean = (present.iter().map(|&v| f64::from(v)).sum::<f64>() / n) as f32;
    let impute = spec.impute.map(|how| match how {
        Impute::Mean => mean,
        Impute::Median => quantile(&present, 0.5),
        Impute::Min => present[0],
        Impute::Max => present[present.len() - 1],
        Impute::Zero => 0.0,
        Impute::Mode => {
            // The most frequent value; ties go to the smallest.
            let (mut best, mut best_count, mut i) = (present[0], 0usize, 0usize);
            while i < present.len() {
                let j = present[i..]
                    .iter()
                    .take_while(|&&v| v == present[i])
                    .count();
                if j > best_count {
                    best = present[i];
                    best_count = j;
                }
                i += j;
            }
            best
        }
    });
    // Scaling statistics over the values as training sees them (NULLs imputed).
    let mut filled: Vec<f32> = values
        .iter()
        .map(|&v| if v.is_nan() { impute.unwrap_or(v) } else { v })
        .collect();
    filled.retain(|v| !v.is_nan());
    filled.sort_by(f32::total_cmp);
    let fmean = (filled.iter().map(|&v| f64::from(v)).sum::<f64>() / filled.len() as f64) as f32;
    let nonzero = |s: f32| if s == 0.0 || !s.is_finite() { 1.0 } else { s };
    let scale = match spec.scale {
        Scale::Preserve => None,
        Scale::Standard => {
            let var = filled
                .iter()
                .map(|&v| f64::from(v - fmean).powi(2))
                .sum::<f64>()
                / filled.len() as f64;
            Some((fmean, nonzero(var.sqrt() as f32)))
        }
        Scale::MinMax => {
            let (lo, hi) = (filled[0], filled[filled.len() - 1]);
            Some((lo, nonzero(hi - lo)))
        }
        Scale::MaxAbs => Some((
            0.0,
            nonzero(filled.iter().fold(0.0f32, |a, v| a.max(v.abs()))),
        )),
        Scale::Robust => {
            let median = quantile(&filled, 0.5);
            Some((
                median,
                nonzero(quantile(&filled, 0.75) - quantile(&filled, 0.25)),
            ))
        }
    };
    Ok(Prep {
        impute,
        scale,
        one_hot: false,
    })
}

/// A text column's `Prep`: one-hot or native codes; no imputing or scaling of text.
pub fn fit_text(column: &str, spec: &ColumnSpec) -> Result<Prep> {
    if spec.impute.is_some() || spec.scale != Scale::Preserve {
        return Err(Error::not_supported(
            format!("impute and scale apply to number columns; \"{column}\" is text"),
            "fill NULL text in a view (COALESCE(col, 'unknown')) and use encode",
        ));
    }
    Ok(Prep {
        impute: None,
        scale: None,
        one_hot: spec.encode == Encode::OneHot,
    })
}

impl Prep {
    /// One raw value (None for NULL) to the model's input value.
    pub fn apply(&self, value: Option<f32>) -> Option<f32> {
        let v = value.or(self.impute)?;
        Some(match self.scale {
            Some((center, scale)) => (v - center) / scale,
            None => v,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_postgresml_form_and_names_mistakes() {
        let p = parse(
            &json!({"age": {"impute": "mean", "scale": "standard"}}),
            &["age", "bmi"],
        )
        .unwrap();
        assert_eq!(p["age"].impute, Some(Impute::Mean));
        assert_eq!(p["age"].scale, Scale::Standard);
        let e = parse(&json!({"agee": {}}), &["age"]).unwrap_err();
        assert!(
            e.to_string()
                .contains("\"agee\", which is not a feature column"),
            "{e}"
        );
        let e = parse(&json!({"age": {"impute": "avg"}}), &["age"]).unwrap_err();
        assert!(
            e.to_string().contains("must be one of error, mean, median"),
            "{e}"
        );
        assert!(parse(&json!({"age": {"scael": "standard"}}), &["age"]).is_err());
    }

    #[test]
    fn imputes_and_scales_from_the_values() {
        let nan = f32::NAN;
        let spec = |impute, scale| ColumnSpec {
            impute,
            scale,
            encode: Encode::Native,
        };
        let v = [1.0, 2.0, nan, 3.0, 3.0];
        assert_eq!(
            fit_numeric("c", &spec(Some(Impute::Mean), Scale::Preserve), &v)
                .unwrap()
                .impute,
            Some(2.25)
        );
        assert_eq!(
            fit_numeric("c", &spec(Some(Impute::Median), Scale::Preserve), &v)
                .unwrap()
                .impute,
            Some(2.5)
        );
        assert_eq!(
            fit_numeric("c", &spec(Some(Impute::Mode), Scale::Preserve), &v)
                .unwrap()
                .impute,
            Some(3.0)
        );
        let p = fit_numeric("c", &spec(Some(Impute::Zero), Scale::MinMax), &v).unwrap();
        assert_eq!(p.scale, Some((0.0, 3.0)));
        assert_eq!(p.apply(None), Some(0.0));
        assert_eq!(p.apply(Some(3.0)), Some(1.0));
        let s = fit_numeric("c", &spec(None, Scale::Standard), &[1.0, 3.0]).unwrap();
        assert_eq!(s.scale, Some((2.0, 1.0)));
        assert_eq!(
            s.apply(None),
            None,
            "without impute a NULL stays missing (an error upstream)"
        );
    }
}
