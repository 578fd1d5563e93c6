//! Hyperparameters: names, types, ranges and defaults per algorithm (scikit-learn's names and
//! defaults), resolved from the user's JSON. An unknown name or a bad value is an error that says
//! what is accepted; nothing here panics on user input.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use crate::{Error, Result};

#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// A number in [min, max]; `min_exclusive` makes the lower bound strict.
    Float {
        min: f64,
        max: f64,
        min_exclusive: bool,
    },
    Int {
        min: i64,
        max: i64,
    },
    Bool,
    Choice(&'static [&'static str]),
}

#[derive(Debug, Clone, Copy)]
pub struct Param {
    pub name: &'static str,
    pub kind: Kind,
    pub default: DefaultValue,
}

#[derive(Debug, Clone, Copy)]
pub enum DefaultValue {
    /// No value: the algorithm decides (scikit-learn's `None`).
    Null,
    Float(f64),
    Int(i64),
    Bool(bool),
    Str(&'static str),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Float(f64),
    Int(i64),
    Bool(bool),
    Str(String),
}

/// Resolved hyperparameters: every parameter of the algorithm, the user's value or the default.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Hyperparams {
    values: BTreeMap<&'static str, Value>,
}

impl Hyperparams {
    pub fn float(&self, name: &str) -> f64 {
        match self.values.get(name) {
            Some(Value::Float(v)) => *v,
            Some(Value::Int(v)) => *v as f64,
            _ => f64::NAN,
        }
    }

    pub fn int(&self, name: &str) -> i64 {
        match self.values.get(name) {
            Some(Value::Int(v)) => *v,
            _ => 0,
        }
    }

    /// A float parameter whose default is "none".
    pub fn opt_float(&self, name: &str) -> Option<f64> {
        match self.values.get(name) {
            Some(Value::Float(v)) => Some(*v),
            Some(Value::Int(v)) => Some(*v as f64),
            _ => None,
        }
    }

    /// Replaces an integer parameter (e.g. a thread count capped by the server's setting).
    pub fn set_int(&mut self, name: &'static str, value: i64) {
        self.values.insert(name, Value::Int(value));
    }

    /// An integer parameter whose default is "none".
    pub fn opt_int(&self, name: &str) -> Option<i64> {
        match self.values.get(name) {
            Some(Value::Int(v)) => Some(*v),
            _ => None,
        }
    }

    pub fn bool(&self, name: &str) -> bool {
        matches!(self.values.get(name), Some(Value::Bool(true)))
    }

    pub fn str(&self, name: &str) -> &str {
        match self.values.get(name) {
            Some(Value::Str(s)) => s,
            _ => "",
        }
    }

    /// The resolved values as JSON, stored with the model so it says exactly how it was trained.
    pub fn to_json(&self) -> Json {
        Json::Object(
            self.values
                .iter()
                .map(|(k, v)| {
                    let j = match v {
                        Value::Null => Json::Null,
                        Value::Float(f) => {
                            serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number)
                        }
                        Value::Int(i) => Json::from(*i),
                        Value::Bool(b) => Json::from(*b),
                        Value::Str(s) => Json::from(s.as_str()),
                    };
                    (k.to_string(), j)
                })
                .collect(),
        )
    }
}

/// Checks `given` (a JSON object) against `params` and fills in defaults. `algorithm` names the
/// algorithm in messages.
pub fn resolve(algorithm: &str, params: &[Param], given: &Json) -> Result<Hyperparams> {
    let object = match given {
        Json::Null => &serde_json::Map::new(),
        Json::Object(o) => o,
        other => {
            return Err(Error::invalid_with_hint(
                format!(
                    "hyperparams must be a JSON object, got {}",
                    json_kind(other)
                ),
                r#"for example '{"alpha": 0.5}'"#,
            ))
        }
    };
    for name in object.keys() {
        if !params.iter().any(|p| p.name == name) {
            return Err(Error::invalid_with_hint(
                format!("unknown hyperparameter \"{name}\" for algorithm {algorithm}"),
                known(params),
            ));
        }
    }
    let mut values = BTreeMap::new();
    for p in params {
        let v = match object.get(p.name) {
            None | Some(Json::Null) => match p.default {
                DefaultValue::Null => Value::Null,
                DefaultValue::Float(f) => Value::Float(f),
                DefaultValue::Int(i) => Value::Int(i),
                DefaultValue::Bool(b) => Value::Bool(b),
                DefaultValue::Str(s) => Value::Str(s.to_string()),
            },
            Some(j) => check(algorithm, p, j)?,
        };
        values.insert(p.name, v);
    }
    Ok(Hyperparams { values })
}

fn check(algorithm: &str, p: &Param, j: &Json) -> Result<Value> {
    let wrong = |expected: &str| {
        Error::invalid(format!(
            "hyperparameter {} of {algorithm} must be {expected}, got {}",
            p.name,
            compact(j)
        ))
    };
    match p.kind {
        Kind::Float {
            min,
            max,
            min_exclusive,
        } => {
            let v = j.as_f64().ok_or_else(|| wrong("a number"))?;
            let low_ok = if min_exclusive { v > min } else { v >= min };
            if !v.is_finite() || !low_ok || v > max {
                let low = if min_exclusive {
                    "greater than"
                } else {
                    "at least"
                };
                let range = if max.is_finite() {
                    format!("{low} {min} and at most {max}")
                } else {
                    format!("{low} {min}")
                };
                return Err(wrong(&format!("a number {range}")));
            }
            Ok(Value::Float(v))
        }
        Kind::Int { min, max } => {
            let v = match j {
                Json::Number(n) => n.as_i64().or_else(|| {
                    n.as_f64()
                        .filter(|f| f.fract() == 0.0 && f.abs() < 9e15)
                        .map(|f| f as i64)
                }),
                _ => None,
            }
            .ok_or_else(|| wrong("a whole number"))?;
            if v < min || v > max {
                return Err(wrong(&format!("a whole number from {min} to {max}")));
            }
            Ok(Value::Int(v))
        }
        Kind::Bool => j
            .as_bool()
            .map(Value::Bool)
            .ok_or_else(|| wrong("true or false")),
        Kind::Choice(options) => match j.as_str() {
            Some(s) if options.contains(&s) => Ok(Value::Str(s.to_string())),
            _ => Err(wrong(&format!("one of {}", options.join(", ")))),
        },
    }
}

fn known(params: &[Param]) -> String {
    if params.is_empty() {
        return "this algorithm takes no hyperparameters".into();
    }
    let names: Vec<&str> = params.iter().map(|p| p.name).collect();
    format!("known hyperparameters: {}", names.join(", "))
}

fn json_kind(j: &Json) -> &'static str {
    match j {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

fn compact(j: &Json) -> String {
    let s = j.to_string();
    if s.len() > 40 {
        format!(
            "{}…",
            &s[..s.char_indices().nth(40).map_or(s.len(), |(i, _)| i)]
        )
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const PARAMS: &[Param] = &[
        Param {
            name: "alpha",
            kind: Kind::Float {
                min: 0.0,
                max: f64::INFINITY,
                min_exclusive: false,
            },
            default: DefaultValue::Float(1.0),
        },
        Param {
            name: "max_iter",
            kind: Kind::Int {
                min: 1,
                max: 1_000_000,
            },
            default: DefaultValue::Int(1000),
        },
        Param {
            name: "fit_intercept",
            kind: Kind::Bool,
            default: DefaultValue::Bool(true),
        },
        Param {
            name: "penalty",
            kind: Kind::Choice(&["l2", "none"]),
            default: DefaultValue::Str("l2"),
        },
    ];

    #[test]
    fn defaults_fill_in_and_given_values_win() {
        let h = resolve("ridge", PARAMS, &json!({"alpha": 2, "max_iter": 10.0})).unwrap();
        assert_eq!(h.float("alpha"), 2.0);
        assert_eq!(h.int("max_iter"), 10);
        assert!(h.bool("fit_intercept"));
        assert_eq!(h.str("penalty"), "l2");
        assert_eq!(h.to_json()["alpha"], json!(2.0));
    }

    #[test]
    fn unknown_names_list_the_known_ones() {
        let e = resolve("ridge", PARAMS, &json!({"alpah": 1})).unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown hyperparameter \"alpah\" for algorithm ridge"
        );
        assert_eq!(
            e.hint(),
            Some("known hyperparameters: alpha, max_iter, fit_intercept, penalty")
        );
    }

    #[test]
    fn wrong_types_and_ranges_are_errors() {
        let msg = |j: Json| resolve("ridge", PARAMS, &j).unwrap_err().to_string();
        assert_eq!(
            msg(json!({"alpha": "x"})),
            "hyperparameter alpha of ridge must be a number, got \"x\""
        );
        assert_eq!(
            msg(json!({"alpha": -1})),
            "hyperparameter alpha of ridge must be a number at least 0, got -1"
        );
        assert_eq!(
            msg(json!({"max_iter": 0})),
            "hyperparameter max_iter of ridge must be a whole number from 1 to 1000000, got 0"
        );
        assert_eq!(
            msg(json!({"max_iter": 1.5})),
            "hyperparameter max_iter of ridge must be a whole number, got 1.5"
        );
        assert_eq!(
            msg(json!({"fit_intercept": 1})),
            "hyperparameter fit_intercept of ridge must be true or false, got 1"
        );
        assert_eq!(
            msg(json!({"penalty": "l1"})),
            "hyperparameter penalty of ridge must be one of l2, none, got \"l1\""
        );
        assert_eq!(
            msg(json!([1])),
            "hyperparams must be a JSON object, got an array"
        );
    }
}
