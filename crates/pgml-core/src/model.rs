//! A trained model as stored in `pgml.files`: self-contained and versioned.
//!
//! The bytes start with an 8-byte magic number and a little-endian u32 format version, followed by
//! the model in postcard. A reader refuses unknown magic (not a pgml model, or damaged) and
//! format versions newer than it knows (a newer pgml wrote it), naming both versions.

use serde::{Deserialize, Serialize};

use crate::algorithms::{Algorithm, Estimator};
use crate::preprocess::Prep;
use crate::{Error, Result, Task};

pub const MAGIC: [u8; 8] = *b"PGMLMODL";
/// Bumped whenever the serialized layout changes; readers keep decoding every older version.
pub const FORMAT_VERSION: u32 = 1;

/// One input column as the model was trained on it, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Feature {
    pub name: String,
    /// The PostgreSQL type it had (`real`, `integer`, `real[]`, ...).
    pub pg_type: String,
    /// How many values it contributes to the feature vector (1, or an array's length).
    pub width: usize,
    /// A text (categorical) column: its values seen in training, sorted; a value is encoded as its
    /// position in this list.
    #[serde(default)]
    pub categories: Option<Vec<String>>,
    /// Imputing, scaling and one-hot encoding learned in training (`preprocess`).
    #[serde(default)]
    pub prep: Prep,
}

impl Feature {
    /// How many model inputs this feature becomes (a one-hot text column: one per category).
    pub fn output_width(&self) -> usize {
        if self.prep.one_hot {
            self.categories.as_ref().map_or(0, Vec::len)
        } else {
            self.width
        }
    }

    /// The code of a category of this text feature (an error names the known ones).
    pub fn encode(&self, value: &str) -> Result<f32> {
        let categories = self.categories.as_deref().unwrap_or(&[]);
        match categories.binary_search_by(|c| c.as_str().cmp(value)) {
            Ok(i) => Ok(i as f32),
            Err(_) => {
                let shown: Vec<&str> = categories.iter().take(20).map(String::as_str).collect();
                Err(Error::invalid_with_hint(
                    format!(
                        "\"{value}\" is not a category of feature \"{}\" seen in training",
                        self.name
                    ),
                    format!(
                        "known categories: {}{}",
                        shown.join(", "),
                        if categories.len() > 20 { ", ..." } else { "" }
                    ),
                ))
            }
        }
    }
}

/// Turns raw feature values (None for NULL; text as category codes) into the estimator's inputs:
/// impute, scale, one-hot. Used on every training row and every predicted row alike.
pub fn transform(features: &[Feature], raw: &[Option<f32>]) -> Result<Vec<f32>> {
    let mut out = Vec::with_capacity(raw.len());
    let mut at = 0;
    for f in features {
        let values = raw
            .get(at..at + f.width)
            .ok_or_else(|| Error::invalid("too few feature values"))?;
        at += f.width;
        for (k, &v) in values.iter().enumerate() {
            if f.prep.one_hot {
                let n = f.output_width();
                let code = v
                    .filter(|c| c.fract() == 0.0 && *c >= 0.0 && (*c as usize) < n)
                    .ok_or_else(|| {
                        Error::invalid(format!(
                            "feature \"{}\" needs a category code below {n}, got {v:?}",
                            f.name
                        ))
                    })? as usize;
                out.extend((0..n).map(|i| f32::from(u8::from(i == code))));
            } else {
                let value = f.prep.apply(v).ok_or_else(|| {
                    let which = if f.width > 1 { format!("element {} of ", k + 1) } else { String::new() };
                    Error::NullValue {
                        message: format!("{which}feature \"{}\" is NULL", f.name),
                        hint: Some(format!(
                            "fill it, or train with preprocess => '{{\"{}\": {{\"impute\": \"mean\"}}}}'",
                            f.name
                        )),
                    }
                })?;
                out.push(value);
            }
        }
    }
    Ok(out)
}

/// Encodes a text column: the sorted distinct values, and each row's position among them.
pub fn encode_categories(values: &[String]) -> (Vec<String>, Vec<f32>) {
    let mut categories = values.to_vec();
    categories.sort();
    categories.dedup();
    let codes = values
        .iter()
        .map(|v| categories.binary_search(v).unwrap_or(0) as f32)
        .collect();
    (categories, codes)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    pub task: Task,
    pub algorithm: Algorithm,
    /// The resolved hyperparameters, as JSON text.
    pub hyperparams: String,
    pub features: Vec<Feature>,
    /// Classification: the label of each class code (code = position), as text.
    pub classes: Option<Vec<String>>,
    /// Classification: what predict returns for each class code: the label's own value for
    /// numeric and boolean labels (true = 1), the code itself for text labels.
    pub class_values: Option<Vec<f32>>,
    pub estimator: Estimator,
    /// The pgml version that trained it.
    pub pgml_version: String,
}

impl Model {
    /// Length of the feature vector predict expects (before encoding).
    pub fn num_inputs(&self) -> usize {
        self.features.iter().map(|f| f.width).sum()
    }

    /// Raw values to the estimator's inputs (see [`transform`]).
    pub fn transform(&self, raw: &[Option<f32>]) -> Result<Vec<f32>> {
        transform(&self.features, raw)
    }

    /// Files stored beside the model that predict never reads: the library's own model format,
    /// kept for export (path, bytes).
    pub fn native_files(&self) -> Vec<(&'static str, &[u8])> {
        match &self.estimator {
            Estimator::Trees(m) if !m.native_json.is_empty() => {
                vec![("xgboost.json", m.native_json.as_slice())]
            }
            _ => Vec::new(),
        }
    }

    pub fn encode(&self) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        postcard::to_io(self, &mut out).map_err(|e| Error::BadModel {
            message: format!("cannot serialize the model: {e}"),
            newer_format: false,
        })?;
        Ok(out)
    }

    pub fn decode(bytes: &[u8]) -> Result<Model> {
        let bad = |message: String| Error::BadModel {
            message,
            newer_format: false,
        };
        if bytes.len() < 12 || bytes[..8] != MAGIC {
            return Err(bad(
                "stored model is not a pgml model (bad magic number)".into()
            ));
        }
        let mut v = [0u8; 4];
        v.copy_from_slice(&bytes[8..12]);
        let version = u32::from_le_bytes(v);
        if version > FORMAT_VERSION {
            return Err(Error::BadModel {
                message: format!(
                    "stored model has format version {version}, but this pgml ({}) reads versions up to {FORMAT_VERSION}",
                    crate::VERSION
                ),
                newer_format: true,
            });
        }
        postcard::from_bytes(&bytes[12..]).map_err(|e| bad(format!("stored model is damaged: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::algorithms::LinearModel;

    fn model() -> Model {
        Model {
            task: Task::Regression,
            algorithm: Algorithm::Linear,
            hyperparams: r#"{"fit_intercept":true}"#.into(),
            features: vec![Feature {
                name: "age".into(),
                pg_type: "real".into(),
                width: 1,
                categories: None,
                prep: Prep::default(),
            }],
            classes: None,
            class_values: None,
            estimator: Estimator::Linear(LinearModel {
                p: 1,
                coef: vec![2.0],
                intercept: vec![1.0],
                output: crate::algorithms::LinearOutput::Value,
            }),
            pgml_version: crate::VERSION.into(),
        }
    }

    #[test]
    fn categories_encode_in_sorted_order_and_unknown_ones_are_named() {
        let (cats, codes) = encode_categories(&["b".into(), "a".into(), "c".into(), "a".into()]);
        assert_eq!(cats, vec!["a", "b", "c"]);
        assert_eq!(codes, vec![1.0, 0.0, 2.0, 0.0]);
        let f = Feature {
            name: "color".into(),
            pg_type: "text".into(),
            width: 1,
            categories: Some(cats),
            prep: Prep::default(),
        };
        assert_eq!(f.encode("c").unwrap(), 2.0);
        let e = f.encode("z").unwrap_err();
        assert_eq!(
            e.to_string(),
            "\"z\" is not a category of feature \"color\" seen in training"
        );
        assert_eq!(e.hint(), Some("known categories: a, b, c"));
    }

    #[test]
    fn round_trip() {
        let m = model();
        let bytes = m.encode().unwrap();
        assert_eq!(&bytes[..8], b"PGMLMODL");
        assert_eq!(Model::decode(&bytes).unwrap(), m);
    }

    #[test]
    fn newer_formats_bad_magic_and_damage_are_refused() {
        let mut bytes = model().encode().unwrap();
        let mut newer = bytes.clone();
        newer[8..12].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
        match Model::decode(&newer) {
            Err(Error::BadModel {
                message,
                newer_format: true,
            }) => {
                assert!(
                    message.contains(&format!("format version {}", FORMAT_VERSION + 1)),
                    "{message}"
                )
            }
            other => panic!("{other:?}"),
        }
        assert!(Model::decode(b"not a model at all").is_err());
        bytes.truncate(bytes.len() - 3);
        assert!(matches!(
            Model::decode(&bytes),
            Err(Error::BadModel {
                newer_format: false,
                ..
            })
        ));
    }
}
