//! A trained model as stored in `pgml.files`: self-contained and versioned.
//!
//! The bytes start with an 8-byte magic number and a little-endian u32 format version, followed by
//! the model in postcard. A reader refuses unknown magic (not a pgml model, or damaged) and
//! format versions newer than it knows (a newer pgml wrote it), naming both versions.
//!
//! Format 2 (this one) names the task, the algorithm, the estimator and the kind of fitted data by
//! stable text, never by the position of a Rust enum variant, so reordering or inserting variants
//! cannot turn stored models into other ones; `tests::format_2_bytes_are_pinned` holds the
//! layout. Format 1 (pgml 0.2.0) encoded them by position; [`v1`] keeps a frozen copy of its
//! types and converts what it reads (`tests/model_fixtures.rs` checks 0.2.0's own files).

mod v1;

use serde::{Deserialize, Serialize};

use crate::algorithms::{registry, Algorithm, Estimator, Fitted};
use crate::preprocess::Prep;
use crate::{Error, Result, Task};

pub const MAGIC: [u8; 8] = *b"PGMLMODL";
/// Bumped whenever the serialized layout changes; readers keep decoding every older version.
pub const FORMAT_VERSION: u32 = 2;

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
    transform_missing(features, raw, false)
}

/// [`transform`], where `missing` says that the estimator takes missing values itself
/// ([`Algorithm::handles_missing_values`]): a NULL that no `impute` fills becomes NaN rather
/// than an error.
pub fn transform_missing(
    features: &[Feature],
    raw: &[Option<f32>],
    missing: bool,
) -> Result<Vec<f32>> {
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
            } else if v.is_none() && missing && f.prep.impute.is_none() {
                out.push(f32::NAN);
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

#[derive(Debug, Clone, PartialEq)]
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

/// Format 2's body. The field order is the layout (postcard is positional): never reorder,
/// insert or remove; change the format version instead. `Feature` and `Prep` are part of it too.
#[derive(Serialize, Deserialize)]
struct StoredV2 {
    /// `Task::as_str`.
    task: String,
    /// The registry's name (`pgml.algorithm`).
    algorithm: String,
    /// scikit-learn's (or XGBoost's) name, `Estimator::name`.
    estimator: String,
    /// `Fitted::kind`: how `fitted` is laid out.
    fitted_kind: String,
    /// The fitted data in postcard, as that kind's type serializes it.
    fitted: Vec<u8>,
    hyperparams: String,
    features: Vec<Feature>,
    classes: Option<Vec<String>>,
    class_values: Option<Vec<f32>>,
    pgml_version: String,
}

fn bad(message: String) -> Error {
    Error::BadModel {
        message,
        newer_format: false,
    }
}

/// The error of a stored name this pgml does not know: a newer pgml (with more algorithms) may
/// have written it under the same format version, or the bytes are damaged.
fn unknown(what: &str, name: &str) -> Error {
    bad(format!(
        "stored model names {what} \"{name}\", which this pgml ({}) does not know; a newer pgml may have written it",
        crate::VERSION
    ))
}

impl Model {
    /// Assembles a model from stored names, checking each against this pgml's registry.
    #[allow(clippy::too_many_arguments)] // one argument per stored field
    fn from_names(
        task: &str,
        algorithm: &str,
        estimator: &str,
        fitted: Fitted,
        hyperparams: String,
        features: Vec<Feature>,
        classes: Option<Vec<String>>,
        class_values: Option<Vec<f32>>,
        pgml_version: String,
    ) -> Result<Model> {
        let task = Task::ALL
            .into_iter()
            .find(|t| t.as_str() == task)
            .ok_or_else(|| unknown("task", task))?;
        let algorithm =
            Algorithm::named(algorithm).ok_or_else(|| unknown("algorithm", algorithm))?;
        let name =
            registry::estimator_name(estimator).ok_or_else(|| unknown("estimator", estimator))?;
        Ok(Model {
            task,
            algorithm,
            hyperparams,
            features,
            classes,
            class_values,
            estimator: Estimator::new(name, fitted),
            pgml_version,
        })
    }

    fn decode_v2(body: &[u8]) -> Result<Model> {
        let damaged = |e: postcard::Error| bad(format!("stored model is damaged: {e}"));
        let (s, rest): (StoredV2, _) = postcard::take_from_bytes(body).map_err(damaged)?;
        if !rest.is_empty() {
            return Err(bad(format!(
                "stored model is damaged: {} bytes after its end",
                rest.len()
            )));
        }
        let fitted = Fitted::from_bytes(&s.fitted_kind, &s.fitted)
            .ok_or_else(|| unknown("fitted model kind", &s.fitted_kind))?
            .map_err(damaged)?;
        Model::from_names(
            &s.task,
            &s.algorithm,
            &s.estimator,
            fitted,
            s.hyperparams,
            s.features,
            s.classes,
            s.class_values,
            s.pgml_version,
        )
    }
}

impl Model {
    /// Length of the feature vector predict expects (before encoding).
    pub fn num_inputs(&self) -> usize {
        self.features.iter().map(|f| f.width).sum()
    }

    /// Raw values to the estimator's inputs (see [`transform`]).
    pub fn transform(&self, raw: &[Option<f32>]) -> Result<Vec<f32>> {
        transform_missing(&self.features, raw, self.algorithm.handles_missing_values())
    }

    /// Files stored beside the model that predict never reads: the library's own model format,
    /// kept for export (path, bytes).
    pub fn native_files(&self) -> Vec<(&'static str, &[u8])> {
        self.estimator.native_files()
    }

    /// The model in the current format (`FORMAT_VERSION`).
    pub fn encode(&self) -> Result<Vec<u8>> {
        let cannot = |e: postcard::Error| bad(format!("cannot serialize the model: {e}"));
        let fitted = self.estimator.fitted();
        let stored = StoredV2 {
            task: self.task.as_str().into(),
            algorithm: self.algorithm.as_str().into(),
            estimator: self.estimator.name().into(),
            fitted_kind: fitted.kind().into(),
            fitted: fitted.to_bytes().map_err(cannot)?,
            hyperparams: self.hyperparams.clone(),
            features: self.features.clone(),
            classes: self.classes.clone(),
            class_values: self.class_values.clone(),
            pgml_version: self.pgml_version.clone(),
        };
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        postcard::to_io(&stored, &mut out).map_err(cannot)?;
        Ok(out)
    }

    /// Reads a model of any format this pgml knows (1 and 2).
    pub fn decode(bytes: &[u8]) -> Result<Model> {
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
        match version {
            1 => v1::decode(&bytes[12..]),
            2 => Model::decode_v2(&bytes[12..]),
            _ => Err(bad(format!(
                "stored model has format version {version}, which no pgml wrote"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::algorithms::LinearModel;

    fn model() -> Model {
        Model {
            task: Task::Regression,
            algorithm: Algorithm::parse("linear").unwrap(),
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
            estimator: Estimator::new(
                "LinearRegression",
                Fitted::Linear(LinearModel {
                    p: 1,
                    coef: vec![2.0],
                    intercept: vec![1.0],
                    output: crate::algorithms::LinearOutput::Value,
                }),
            ),
            pgml_version: "0.2.0".into(),
        }
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Format 2, byte for byte: a change here is a new format (bump FORMAT_VERSION, keep a
    /// reader for this one). The names are visible in the bytes: no enum position is stored.
    #[test]
    fn format_2_bytes_are_pinned() {
        let bytes = model().encode().unwrap();
        let text = String::from_utf8_lossy(&bytes);
        for name in [
            "regression",
            "linear",
            "LinearRegression",
            "linear_model",
            "value",
        ] {
            assert!(text.contains(name), "{name} not in {text:?}");
        }
        assert_eq!(
            hex(&bytes),
            concat!(
                "50474d4c4d4f444c", // PGMLMODL
                "02000000",         // format 2
                "0a",
                "72656772657373696f6e", // task "regression"
                "06",
                "6c696e656172", // algorithm "linear"
                "10",
                "4c696e65617252656772657373696f6e", // estimator "LinearRegression"
                "0c",
                "6c696e6561725f6d6f64656c", // fitted kind "linear_model"
                // fitted (25 bytes): p 1, coef [2.0], intercept [1.0], output "value"
                "19",
                "01",
                "01",
                "0000000000000040",
                "01",
                "000000000000f03f",
                "05",
                "76616c7565",
                "16",
                "7b226669745f696e74657263657074223a747275657d", // hyperparams
                // features: one, "age" "real" width 1, no categories, prep none/none/false
                "01",
                "03",
                "616765",
                "04",
                "7265616c",
                "01",
                "00",
                "00",
                "00",
                "00",
                "00",
                "00", // classes, class_values: none
                "05",
                "302e322e30", // pgml_version "0.2.0"
            )
        );
        assert_eq!(Model::decode(&bytes).unwrap(), model());
    }

    /// Stored names this pgml does not know are refused as a bad model, with the name.
    #[test]
    fn unknown_stored_names_are_refused_by_name() {
        let fitted = model().estimator.fitted().clone();
        let stored = |task: &str, algorithm: &str, estimator: &str, kind: &str| {
            let s = StoredV2 {
                task: task.into(),
                algorithm: algorithm.into(),
                estimator: estimator.into(),
                fitted_kind: kind.into(),
                fitted: fitted.to_bytes().unwrap(),
                hyperparams: "{}".into(),
                features: vec![],
                classes: None,
                class_values: None,
                pgml_version: "9.9.9".into(),
            };
            let mut out = MAGIC.to_vec();
            out.extend_from_slice(&2u32.to_le_bytes());
            out.extend(postcard::to_stdvec(&s).unwrap());
            Model::decode(&out)
        };
        let refused = |r: Result<Model>| match r {
            Err(Error::BadModel {
                message,
                newer_format: false,
            }) => message,
            other => panic!("expected a refusal, got {other:?}"),
        };
        assert!(stored("regression", "linear", "LinearRegression", "linear_model").is_ok());
        let m = refused(stored(
            "regression",
            "linear",
            "IsotonicRegression",
            "linear_model",
        ));
        assert!(m.contains("estimator \"IsotonicRegression\""), "{m}");
        assert!(m.contains("does not know"), "{m}");
        let m = refused(stored("regression", "linear", "LinearRegression", "forest"));
        assert!(m.contains("fitted model kind \"forest\""), "{m}");
        let m = refused(stored(
            "regression",
            "spectral_co",
            "LinearRegression",
            "linear_model",
        ));
        assert!(m.contains("algorithm \"spectral_co\""), "{m}");
        let m = refused(stored(
            "ranking",
            "linear",
            "LinearRegression",
            "linear_model",
        ));
        assert!(m.contains("task \"ranking\""), "{m}");
        // A kind whose data does not fit its layout is damage, not a panic.
        let m = refused(stored(
            "regression",
            "linear",
            "LinearRegression",
            "pca_model",
        ));
        assert!(m.contains("damaged"), "{m}");
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
