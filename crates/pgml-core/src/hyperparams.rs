//! Hyperparameters: names, types, ranges and defaults per algorithm (scikit-learn's names and
//! defaults), resolved from the user's JSON. An unknown name or a bad value is an error that says
//! what is accepted; nothing here panics on user input.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use crate::labels::LabelKind;
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
    /// scikit-learn's "int or float" sizes (`max_features`, `min_samples_leaf`, `max_samples`):
    /// a JSON integer is a count in [min, max], a JSON number with a fraction part or a decimal
    /// point (`0.5`, `1.0`) a fraction of the whole, greater than 0 and at most 1 (below 1 when
    /// `fraction_below_one`), and a text one of `names`.
    CountOrFraction {
        min: i64,
        max: i64,
        fraction_below_one: bool,
        names: &'static [&'static str],
    },
    /// A number in (min, ∞) or one of the names (scikit-learn's `gamma`: 'scale', 'auto' or a
    /// float). Read with [`Hyperparams::float_or_name`].
    NumberOrName {
        min: f64,
        names: &'static [&'static str],
    },
    /// Text the algorithm checks itself when it reads its options (XGBoost's `eval_metric`,
    /// `monotone_constraints`); `what` describes it in messages and docs. A JSON list (of names,
    /// or of lists of numbers) is accepted too, as the libraries accept one, and kept as its
    /// compact JSON text.
    Text {
        what: &'static str,
    },
    /// Any JSON value (scikit-learn's array- or dict-valued parameters such as
    /// `monotonic_cst`), kept as given for the algorithm's options to judge. Read with
    /// [`Hyperparams::json`].
    Json,
    /// true, false or one of the names (scikit-learn's `dual`: 'auto', true or false). Read with
    /// [`Hyperparams::bool_or_name`].
    BoolOrName(&'static [&'static str]),
    /// scikit-learn's `class_weight`: one of the names ('balanced', …) or a JSON object from
    /// class labels (as they appear in the label column) to weights, numbers at least 0; a
    /// class it does not name weighs 1. Read with [`Hyperparams::class_weight`].
    ClassWeight(&'static [&'static str]),
}

/// A `class_weight` as a learner uses it.
#[derive(Debug, Clone, PartialEq)]
pub enum ClassWeight {
    /// scikit-learn's 'balanced': n / (k · count of the class), from the training rows.
    Balanced,
    /// A forest's 'balanced_subsample': the same on each tree's drawn rows.
    BalancedSubsample,
    /// A weight per class code (in code order), from a JSON object of class labels; classes it
    /// does not name weigh 1. Empty until [`Hyperparams::bind_classes`] has told the classes
    /// (the options are checked before the labels are read): [`ClassWeight::per_class`] refuses
    /// it then, so a dict is never trained as no weights.
    PerClass(Vec<f64>),
}

impl ClassWeight {
    /// The weights of a [`ClassWeight::PerClass`] for `k` classes; None for the names, which
    /// each learner computes from its rows as scikit-learn's estimator of it does.
    pub fn per_class(&self, k: usize) -> Result<Option<&[f64]>> {
        match self {
            ClassWeight::PerClass(w) if w.len() == k => Ok(Some(w)),
            ClassWeight::PerClass(w) => Err(Error::invalid(format!(
                "class_weight was matched to {} classes, but the labels have {k}; \
                 a class_weight object needs the training labels' classes",
                w.len()
            ))),
            ClassWeight::Balanced | ClassWeight::BalancedSubsample => Ok(None),
        }
    }
}

/// A [`Kind::CountOrFraction`] value as given.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Amount<'a> {
    Count(i64),
    Fraction(f64),
    Named(&'a str),
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
    Json(Json),
}

/// Resolved hyperparameters: every parameter of the algorithm, the user's value or the default.
///
/// Algorithms read them once, into their typed options. A name the algorithm's table does not
/// declare, or a type other than the declared one, is an error rather than a NaN, 0 or "" that
/// would train silently with a wrong value; the registry's tests build every algorithm's options
/// from its defaults, so such a mismatch fails a test before it reaches a user.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Hyperparams {
    algorithm: String,
    values: BTreeMap<&'static str, Value>,
    /// The training labels' classes in code order, once read ([`Hyperparams::bind_classes`]).
    classes: Option<(Vec<String>, LabelKind)>,
}

impl Hyperparams {
    fn get(&self, name: &str) -> Result<&Value> {
        self.values.get(name).ok_or_else(|| {
            Error::invalid(format!(
                "hyperparameter {name} is not one of algorithm {}'s",
                self.algorithm
            ))
        })
    }

    fn wrong_type(&self, name: &str, expected: &str, got: &Value) -> Error {
        Error::invalid(format!(
            "hyperparameter {name} of {} is declared as {expected}, got {got:?}",
            self.algorithm
        ))
    }

    pub fn float(&self, name: &str) -> Result<f64> {
        self.opt_float(name)?
            .ok_or_else(|| self.wrong_type(name, "a number", &Value::Null))
    }

    /// A float parameter whose default is "none".
    pub fn opt_float(&self, name: &str) -> Result<Option<f64>> {
        match self.get(name)? {
            Value::Float(v) => Ok(Some(*v)),
            Value::Int(v) => Ok(Some(*v as f64)),
            Value::Null => Ok(None),
            other => Err(self.wrong_type(name, "a number", other)),
        }
    }

    pub fn int(&self, name: &str) -> Result<i64> {
        self.opt_int(name)?
            .ok_or_else(|| self.wrong_type(name, "a whole number", &Value::Null))
    }

    /// An integer parameter whose default is "none".
    pub fn opt_int(&self, name: &str) -> Result<Option<i64>> {
        match self.get(name)? {
            Value::Int(v) => Ok(Some(*v)),
            Value::Null => Ok(None),
            other => Err(self.wrong_type(name, "a whole number", other)),
        }
    }

    /// A count (a whole number declared with a lower bound of 0 or more).
    pub fn usize(&self, name: &str) -> Result<usize> {
        let v = self.int(name)?;
        usize::try_from(v).map_err(|_| self.wrong_type(name, "a count", &Value::Int(v)))
    }

    /// Replaces an integer parameter (e.g. a thread count capped by the server's setting).
    pub fn set_int(&mut self, name: &'static str, value: i64) {
        self.values.insert(name, Value::Int(value));
    }

    pub fn bool(&self, name: &str) -> Result<bool> {
        match self.get(name)? {
            Value::Bool(b) => Ok(*b),
            other => Err(self.wrong_type(name, "true or false", other)),
        }
    }

    /// A boolean parameter whose default is "none".
    pub fn opt_bool(&self, name: &str) -> Result<Option<bool>> {
        match self.get(name)? {
            Value::Bool(b) => Ok(Some(*b)),
            Value::Null => Ok(None),
            other => Err(self.wrong_type(name, "true or false", other)),
        }
    }

    /// A [`Kind::NumberOrName`] parameter: Ok(Ok(number)) or Ok(Err(name)).
    pub fn float_or_name(&self, name: &str) -> Result<std::result::Result<f64, &str>> {
        match self.get(name)? {
            Value::Float(v) => Ok(Ok(*v)),
            Value::Int(v) => Ok(Ok(*v as f64)),
            Value::Str(s) => Ok(Err(s)),
            other => Err(self.wrong_type(name, "a number or a name", other)),
        }
    }

    /// A [`Kind::BoolOrName`] parameter: Ok(Ok(bool)) or Ok(Err(name)).
    pub fn bool_or_name(&self, name: &str) -> Result<std::result::Result<bool, &str>> {
        match self.get(name)? {
            Value::Bool(b) => Ok(Ok(*b)),
            Value::Str(s) => Ok(Err(s)),
            other => Err(self.wrong_type(name, "true, false or a name", other)),
        }
    }

    pub fn str(&self, name: &str) -> Result<&str> {
        self.opt_str(name)?
            .ok_or_else(|| self.wrong_type(name, "text", &Value::Null))
    }

    /// A text parameter whose default is "none".
    pub fn opt_str(&self, name: &str) -> Result<Option<&str>> {
        match self.get(name)? {
            Value::Str(s) => Ok(Some(s)),
            Value::Null => Ok(None),
            other => Err(self.wrong_type(name, "text", other)),
        }
    }

    /// A [`Kind::Json`] parameter as given; None when it is "none" (or JSON null).
    pub fn json(&self, name: &str) -> Result<Option<&Json>> {
        match self.get(name)? {
            Value::Json(j) => Ok(Some(j)),
            Value::Null => Ok(None),
            other => Err(self.wrong_type(name, "JSON", other)),
        }
    }

    /// A [`Kind::ClassWeight`] parameter; None when it is "none" (or JSON null). A JSON object
    /// becomes a weight per class code once the classes are bound (see [`ClassWeight::PerClass`]).
    pub fn class_weight(&self, name: &str) -> Result<Option<ClassWeight>> {
        match self.get(name)? {
            Value::Null => Ok(None),
            Value::Str(s) => match s.as_str() {
                "none" => Ok(None),
                "balanced" => Ok(Some(ClassWeight::Balanced)),
                "balanced_subsample" => Ok(Some(ClassWeight::BalancedSubsample)),
                other => Err(self.wrong_type(name, "a class weight", &Value::Str(other.into()))),
            },
            Value::Json(Json::Object(given)) => {
                Ok(Some(ClassWeight::PerClass(match &self.classes {
                    Some((classes, kind)) => per_class(name, given, classes, *kind)?,
                    None => Vec::new(),
                })))
            }
            other => Err(self.wrong_type(name, "a class weight", other)),
        }
    }

    /// Tells the training labels' classes (in code order, as [`crate::labels::encode`] gives
    /// them), so that a `class_weight` object, whose keys are class labels, can be read per class
    /// code. A key that is not one of the classes is an error here (scikit-learn's too), before
    /// anything is trained.
    pub fn bind_classes(&mut self, classes: &[String], kind: LabelKind) -> Result<()> {
        if let Some(Value::Json(Json::Object(given))) = self.values.get("class_weight") {
            per_class("class_weight", given, classes, kind)?;
        }
        self.classes = Some((classes.to_vec(), kind));
        Ok(())
    }

    /// A [`Kind::CountOrFraction`] parameter; None when it is "none".
    pub fn amount(&self, name: &str) -> Result<Option<Amount<'_>>> {
        match self.get(name)? {
            Value::Int(v) => Ok(Some(Amount::Count(*v))),
            Value::Float(v) => Ok(Some(Amount::Fraction(*v))),
            Value::Str(s) => Ok(Some(Amount::Named(s))),
            Value::Null => Ok(None),
            other @ (Value::Bool(_) | Value::Json(_)) => {
                Err(self.wrong_type(name, "a count, a fraction or a name", other))
            }
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
                        Value::Json(j) => j.clone(),
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
    Ok(Hyperparams {
        algorithm: algorithm.to_string(),
        values,
        classes: None,
    })
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
        Kind::CountOrFraction {
            min,
            max,
            fraction_below_one,
            names,
        } => {
            let accepted = || {
                let fraction = if fraction_below_one {
                    "a fraction greater than 0 and below 1 (e.g. 0.5)"
                } else {
                    "a fraction greater than 0 and at most 1 (e.g. 0.5 or 1.0)"
                };
                let mut s = format!("a whole number from {min} to {max} or {fraction}");
                if !names.is_empty() {
                    s = format!("{s}, or one of {}", names.join(", "));
                }
                wrong(&s)
            };
            match j {
                Json::String(s) if names.contains(&s.as_str()) => Ok(Value::Str(s.clone())),
                // JSON keeps 1 and 1.0 apart, as Python does: 1 is one feature, 1.0 all of them.
                Json::Number(n) if n.is_f64() => match n.as_f64() {
                    Some(f) if f > 0.0 && (f < 1.0 || (f == 1.0 && !fraction_below_one)) => {
                        Ok(Value::Float(f))
                    }
                    _ => Err(accepted()),
                },
                Json::Number(n) => match n.as_i64() {
                    Some(v) if (min..=max).contains(&v) => Ok(Value::Int(v)),
                    _ => Err(accepted()),
                },
                _ => Err(accepted()),
            }
        }
        // At most 1000 characters: the algorithm parses it (a kernel expression, a metric list).
        Kind::Text { what } => match j {
            Json::String(s) if s.chars().count() <= 1000 => Ok(Value::Str(s.clone())),
            Json::Array(_) if j.to_string().len() <= 1000 => Ok(Value::Str(j.to_string())),
            _ => Err(wrong(&format!("{what}, at most 1000 characters"))),
        },
        Kind::Json => Ok(Value::Json(j.clone())),
        Kind::NumberOrName { min, names } => match (j.as_f64(), j.as_str()) {
            (Some(v), _) if v.is_finite() && v > min => Ok(Value::Float(v)),
            (_, Some(s)) if names.contains(&s) => Ok(Value::Str(s.to_string())),
            _ => Err(wrong(&format!(
                "one of {} or a number greater than {min}",
                names.join(", ")
            ))),
        },
        Kind::BoolOrName(names) => match (j.as_bool(), j.as_str()) {
            (Some(b), _) => Ok(Value::Bool(b)),
            (_, Some(s)) if names.contains(&s) => Ok(Value::Str(s.to_string())),
            _ => Err(wrong(&format!("true, false or {}", names.join(", ")))),
        },
        Kind::ClassWeight(names) => match j {
            Json::String(s) if names.contains(&s.as_str()) => Ok(Value::Str(s.clone())),
            Json::Object(given) => {
                for (key, value) in given {
                    if !value.as_f64().is_some_and(|w| w.is_finite() && w >= 0.0) {
                        return Err(bad_class_weight(p.name, key, value));
                    }
                }
                Ok(Value::Json(j.clone()))
            }
            _ => Err(wrong(&format!(
                "one of {}, or an object of class labels to weights such as {{\"0\": 1, \"1\": 5}}",
                names.join(", ")
            ))),
        },
    }
}

/// The weight of each class (in code order) a `class_weight` object gives, 1 for a class it does
/// not name. Keys are matched as the labels are: numbers by value (`"1"` is the class `1.0`),
/// booleans as true/false (also t/f, 1/0), text exactly.
fn per_class(
    name: &str,
    given: &serde_json::Map<String, Json>,
    classes: &[String],
    kind: LabelKind,
) -> Result<Vec<f64>> {
    let same = |key: &str, class: &str| match kind {
        LabelKind::Numeric => match (key.trim().parse::<f64>(), class.parse::<f64>()) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        },
        LabelKind::Boolean => {
            let truth = |s: &str| match s.trim().to_ascii_lowercase().as_str() {
                "true" | "t" | "1" => Some(true),
                "false" | "f" | "0" => Some(false),
                _ => None,
            };
            truth(key).is_some() && truth(key) == truth(class)
        }
        LabelKind::Text => key == class,
    };
    let mut weights = vec![1.0; classes.len()];
    let mut named: Vec<Option<&str>> = vec![None; classes.len()];
    let mut unknown = Vec::new();
    for (key, value) in given {
        // Checked when the hyperparameters were resolved; checked again for a caller that
        // built them otherwise.
        let w = value
            .as_f64()
            .filter(|w| w.is_finite() && *w >= 0.0)
            .ok_or_else(|| bad_class_weight(name, key, value))?;
        match classes.iter().position(|c| same(key, c)) {
            Some(code) => {
                if let Some(first) = named[code] {
                    return Err(Error::invalid(format!(
                        "{name} gives class {} two weights, as \"{first}\" and as \"{key}\"",
                        classes[code]
                    )));
                }
                named[code] = Some(key.as_str());
                weights[code] = w;
            }
            None => unknown.push(format!("\"{key}\"")),
        }
    }
    if !unknown.is_empty() {
        let mut shown: Vec<String> = classes
            .iter()
            .take(20)
            .map(|c| format!("\"{c}\""))
            .collect();
        if classes.len() > 20 {
            shown.push(format!("… ({} in all)", classes.len()));
        }
        return Err(Error::invalid_with_hint(
            format!(
                "the keys {} of {name} are not classes of the label",
                unknown.join(", ")
            ),
            format!(
                "{name} maps class labels to weights; the classes are {}",
                shown.join(", ")
            ),
        ));
    }
    Ok(weights)
}

fn bad_class_weight(name: &str, key: &str, value: &Json) -> Error {
    Error::invalid_with_hint(
        format!(
            "{name} gives class \"{key}\" the weight {}; a weight must be a number at least 0",
            compact(value)
        ),
        r#"for example {"class_weight": {"0": 1, "1": 5}}"#,
    )
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
        assert_eq!(h.float("alpha"), Ok(2.0));
        assert_eq!(h.int("max_iter"), Ok(10));
        assert_eq!(h.bool("fit_intercept"), Ok(true));
        assert_eq!(h.str("penalty"), Ok("l2"));
        assert_eq!(h.to_json()["alpha"], json!(2.0));
    }

    /// An algorithm reading a name its table does not declare, or as another type, gets an error
    /// naming it, never a NaN, 0 or "" to train with.
    #[test]
    fn undeclared_names_and_wrong_types_are_errors_not_zeros() {
        let h = resolve("ridge", PARAMS, &json!({})).unwrap();
        assert_eq!(
            h.float("alhpa").unwrap_err().to_string(),
            "hyperparameter alhpa is not one of algorithm ridge's"
        );
        assert!(h.int("alpha").is_err());
        assert!(h.str("max_iter").is_err());
        assert!(h.bool("penalty").is_err());
        assert_eq!(h.usize("max_iter"), Ok(1000));
        assert_eq!(h.opt_float("alpha"), Ok(Some(1.0)));
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

    /// scikit-learn's "int or float" parameters: JSON keeps 1 (a count) and 1.0 (a fraction)
    /// apart, as Python does.
    #[test]
    fn counts_fractions_and_names() {
        const SIZES: &[Param] = &[Param {
            name: "max_features",
            kind: Kind::CountOrFraction {
                min: 1,
                max: 100,
                fraction_below_one: false,
                names: &["sqrt"],
            },
            default: DefaultValue::Null,
        }];
        let get = |j: Json| {
            resolve("trees", SIZES, &json!({ "max_features": j }))
                .map(|h| h.amount("max_features").unwrap().map(|a| format!("{a:?}")))
        };
        assert_eq!(get(json!(1)).unwrap().unwrap(), "Count(1)");
        assert_eq!(get(json!(1.0)).unwrap().unwrap(), "Fraction(1.0)");
        assert_eq!(get(json!(0.25)).unwrap().unwrap(), "Fraction(0.25)");
        assert_eq!(get(json!("sqrt")).unwrap().unwrap(), "Named(\"sqrt\")");
        assert_eq!(get(Json::Null).unwrap(), None);
        let from_text: Json = serde_json::from_str(r#"{"max_features": 1.0}"#).unwrap();
        assert_eq!(
            resolve("trees", SIZES, &from_text)
                .unwrap()
                .amount("max_features"),
            Ok(Some(Amount::Fraction(1.0)))
        );
        for bad in [
            json!(0),
            json!(101),
            json!(1.5),
            json!(0.0),
            json!(-0.5),
            json!("log2"),
            json!(true),
        ] {
            assert_eq!(
                get(bad.clone()).unwrap_err().to_string(),
                format!("hyperparameter max_features of trees must be a whole number from 1 to 100 or a fraction greater than 0 and at most 1 (e.g. 0.5 or 1.0), or one of sqrt, got {bad}")
            );
        }
    }
}
