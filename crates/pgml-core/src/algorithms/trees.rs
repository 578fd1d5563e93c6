//! Tree ensembles evaluated in Rust. XGBoost trains them (through its C library); the trained
//! trees are read once from XGBoost's JSON model into flat arrays and walked here: about a
//! microsecond per row, where a call into XGBoost's C API costs ~87 µs. The booster's own JSON is
//! kept beside them, for export to XGBoost anywhere.

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::{Error, Result};

/// Stored by XGBoost's objective name (and class count), never by variant position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "StoredObjective", try_from = "StoredObjective")]
pub enum Objective {
    /// reg:squarederror: the margin is the prediction.
    SquaredError,
    /// binary:logistic: the probability of class 1 is sigmoid(margin).
    Logistic,
    /// multi:softprob: one margin per class, softmax.
    Softprob { num_class: usize },
}

#[derive(Serialize, Deserialize)]
struct StoredObjective {
    name: String,
    /// Classes of multi:softprob; 0 for the others.
    num_class: u64,
}

impl From<Objective> for StoredObjective {
    fn from(o: Objective) -> StoredObjective {
        let (name, num_class) = match o {
            Objective::SquaredError => ("reg:squarederror", 0),
            Objective::Logistic => ("binary:logistic", 0),
            Objective::Softprob { num_class } => ("multi:softprob", num_class as u64),
        };
        StoredObjective {
            name: name.into(),
            num_class,
        }
    }
}

impl TryFrom<StoredObjective> for Objective {
    type Error = String;
    fn try_from(s: StoredObjective) -> std::result::Result<Objective, String> {
        match s.name.as_str() {
            "reg:squarederror" => Ok(Objective::SquaredError),
            "binary:logistic" => Ok(Objective::Logistic),
            "multi:softprob" => Ok(Objective::Softprob {
                num_class: usize::try_from(s.num_class).map_err(|e| e.to_string())?,
            }),
            other => Err(format!("unknown tree objective \"{other}\"")),
        }
    }
}

/// One tree as parallel arrays: node i splits on `feature[i]` at `value[i]` (x < value goes left),
/// or, when `left[i] < 0`, is a leaf whose output is `value[i]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tree {
    pub feature: Vec<u32>,
    pub value: Vec<f32>,
    pub left: Vec<i32>,
    pub right: Vec<i32>,
    pub default_left: Vec<bool>,
}

impl Tree {
    /// The value of the leaf `x` falls in.
    pub fn leaf(&self, x: &[f32]) -> f32 {
        let mut i = 0usize;
        loop {
            let l = self.left[i];
            if l < 0 {
                return self.value[i];
            }
            let v = x.get(self.feature[i] as usize).copied().unwrap_or(f32::NAN);
            let go_left = if v.is_nan() {
                self.default_left[i]
            } else {
                v < self.value[i]
            };
            i = if go_left {
                l as usize
            } else {
                self.right[i] as usize
            };
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TreeEnsemble {
    pub num_features: usize,
    pub objective: Objective,
    /// Added to every margin (XGBoost's base_score, in margin space).
    pub base_margin: f32,
    pub trees: Vec<Tree>,
    /// The class (output group) each tree adds to.
    pub tree_class: Vec<u32>,
}

impl TreeEnsemble {
    fn margins(&self, x: &[f32]) -> Vec<f64> {
        let groups = match self.objective {
            Objective::Softprob { num_class } => num_class,
            _ => 1,
        };
        let mut m = vec![f64::from(self.base_margin); groups];
        for (tree, &class) in self.trees.iter().zip(&self.tree_class) {
            m[class as usize] += f64::from(tree.leaf(x));
        }
        m
    }

    /// Regression: the value; classification: the most probable class code.
    pub fn predict(&self, x: &[f32]) -> f32 {
        let m = self.margins(x);
        match self.objective {
            Objective::SquaredError => m[0] as f32,
            Objective::Logistic => f32::from(u8::from(m[0] > 0.0)),
            Objective::Softprob { .. } => {
                let mut best = 0;
                for c in 1..m.len() {
                    if m[c] > m[best] {
                        best = c;
                    }
                }
                best as f32
            }
        }
    }

    pub fn predict_proba(&self, x: &[f32]) -> Option<Vec<f32>> {
        let m = self.margins(x);
        match self.objective {
            Objective::SquaredError => None,
            Objective::Logistic => {
                let p = 1.0 / (1.0 + (-m[0]).exp());
                Some(vec![(1.0 - p) as f32, p as f32])
            }
            Objective::Softprob { .. } => {
                let max = m.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let e: Vec<f64> = m.iter().map(|v| (v - max).exp()).collect();
                let s: f64 = e.iter().sum();
                Some(e.into_iter().map(|v| (v / s) as f32).collect())
            }
        }
    }

    /// What XGBoost itself returns for a row: the value, or the probability (of class 1 for binary,
    /// of each class for multi-class), for comparison with `Booster::predict`.
    pub fn xgboost_output(&self, x: &[f32]) -> Vec<f32> {
        match self.objective {
            Objective::SquaredError => vec![self.margins(x)[0] as f32],
            Objective::Logistic => vec![self.predict_proba(x).map_or(f32::NAN, |p| p[1])],
            Objective::Softprob { .. } => self.predict_proba(x).unwrap_or_default(),
        }
    }

    /// Reads the trees out of XGBoost's JSON model (format of XGBoost 1.7).
    pub fn from_xgboost_json(bytes: &[u8]) -> Result<TreeEnsemble> {
        let bad = |what: &str| Error::BadModel {
            message: format!("XGBoost model JSON: {what}"),
            newer_format: false,
        };
        let j: Json = serde_json::from_slice(bytes).map_err(|e| bad(&e.to_string()))?;
        let learner = &j["learner"];
        let param = &learner["learner_model_param"];
        let num = |v: &Json, what: &str| -> Result<f64> {
            v.as_str()
                .and_then(|s| s.parse::<f64>().ok())
                .or_else(|| v.as_f64())
                .ok_or_else(|| bad(what))
        };
        let base_score = num(&param["base_score"], "base_score")?;
        let num_features = num(&param["num_feature"], "num_feature")? as usize;
        let objective = match learner["objective"]["name"].as_str() {
            Some("reg:squarederror") => Objective::SquaredError,
            Some("binary:logistic") => Objective::Logistic,
            Some("multi:softprob") => Objective::Softprob {
                num_class: num(&param["num_class"], "num_class")? as usize,
            },
            other => {
                return Err(bad(&format!(
                    "objective {other:?} is not one pgml evaluates"
                )))
            }
        };
        // base_score is given in output space; the margin adds its inverse link.
        let base_margin = match objective {
            Objective::Logistic => (base_score / (1.0 - base_score)).ln(),
            _ => base_score,
        } as f32;
        let model = &learner["gradient_booster"]["model"];
        if learner["gradient_booster"]["name"].as_str() != Some("gbtree") {
            return Err(bad("only the gbtree booster is supported"));
        }
        let tree_class: Vec<u32> = model["tree_info"]
            .as_array()
            .ok_or_else(|| bad("tree_info"))?
            .iter()
            .map(|v| v.as_u64().map(|c| c as u32).ok_or_else(|| bad("tree_info")))
            .collect::<Result<_>>()?;
        let mut trees = Vec::new();
        for t in model["trees"].as_array().ok_or_else(|| bad("trees"))? {
            let ints = |k: &str| -> Result<Vec<i64>> {
                t[k].as_array()
                    .ok_or_else(|| bad(k))?
                    .iter()
                    .map(|v| v.as_i64().ok_or_else(|| bad(k)))
                    .collect()
            };
            let floats = |k: &str| -> Result<Vec<f32>> {
                t[k].as_array()
                    .ok_or_else(|| bad(k))?
                    .iter()
                    .map(|v| v.as_f64().map(|f| f as f32).ok_or_else(|| bad(k)))
                    .collect()
            };
            let left: Vec<i32> = ints("left_children")?
                .into_iter()
                .map(|v| v as i32)
                .collect();
            let right: Vec<i32> = ints("right_children")?
                .into_iter()
                .map(|v| v as i32)
                .collect();
            let feature: Vec<u32> = ints("split_indices")?
                .into_iter()
                .map(|v| v as u32)
                .collect();
            let default_left: Vec<bool> =
                ints("default_left")?.into_iter().map(|v| v != 0).collect();
            let value = floats("split_conditions")?;
            let n = left.len();
            if [right.len(), feature.len(), default_left.len(), value.len()]
                .iter()
                .any(|&l| l != n)
                || n == 0
            {
                return Err(bad("tree arrays of different lengths"));
            }
            if left.iter().chain(&right).any(|&c| c >= n as i32) {
                return Err(bad("child index out of range"));
            }
            trees.push(Tree {
                feature,
                value,
                left,
                right,
                default_left,
            });
        }
        if trees.len() != tree_class.len() {
            return Err(bad("tree_info does not match the trees"));
        }
        Ok(TreeEnsemble {
            num_features,
            objective,
            base_margin,
            trees,
            tree_class,
        })
    }
}
