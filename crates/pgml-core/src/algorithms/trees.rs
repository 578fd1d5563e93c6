//! Tree ensembles evaluated in Rust. XGBoost trains them (through its C library); the trained
//! trees are read once from XGBoost's JSON model into flat arrays and walked here: about a
//! microsecond per row, where a call into XGBoost's C API costs ~87 µs. The booster's own JSON is
//! kept beside them, for export to XGBoost anywhere.

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use super::packed::{PackedCache, PackedTrees};
use crate::{Error, Result};

/// Stored by XGBoost's objective name (and class count), never by variant position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "StoredObjective", try_from = "StoredObjective")]
pub enum Objective {
    /// reg:squarederror: the margin is the prediction.
    SquaredError,
    /// Other regression objectives whose prediction is the margin itself: reg:squaredlogerror,
    /// reg:pseudohubererror, reg:absoluteerror.
    Identity(IdentityObjective),
    /// count:poisson, reg:gamma, reg:tweedie: the prediction is exp(margin).
    Exp(ExpObjective),
    /// reg:logistic: a regression whose prediction is sigmoid(margin).
    RegLogistic,
    /// binary:logistic: the probability of class 1 is sigmoid(margin).
    Logistic,
    /// binary:logitraw: as binary:logistic, but XGBoost itself answers the margin.
    LogitRaw,
    /// binary:hinge: class 1 when the margin is positive; no probabilities (0 or 1).
    Hinge,
    /// multi:softprob: one margin per class, softmax.
    Softprob { num_class: usize },
    /// multi:softmax: as multi:softprob, but XGBoost itself answers the class.
    Softmax { num_class: usize },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityObjective {
    SquaredLogError,
    PseudoHuberError,
    AbsoluteError,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpObjective {
    Poisson,
    Gamma,
    Tweedie,
}

impl Objective {
    /// XGBoost's name, as its JSON model and pgml's stored models carry it.
    pub fn name(self) -> &'static str {
        match self {
            Objective::SquaredError => "reg:squarederror",
            Objective::Identity(IdentityObjective::SquaredLogError) => "reg:squaredlogerror",
            Objective::Identity(IdentityObjective::PseudoHuberError) => "reg:pseudohubererror",
            Objective::Identity(IdentityObjective::AbsoluteError) => "reg:absoluteerror",
            Objective::Exp(ExpObjective::Poisson) => "count:poisson",
            Objective::Exp(ExpObjective::Gamma) => "reg:gamma",
            Objective::Exp(ExpObjective::Tweedie) => "reg:tweedie",
            Objective::RegLogistic => "reg:logistic",
            Objective::Logistic => "binary:logistic",
            Objective::LogitRaw => "binary:logitraw",
            Objective::Hinge => "binary:hinge",
            Objective::Softprob { .. } => "multi:softprob",
            Objective::Softmax { .. } => "multi:softmax",
        }
    }

    /// The objective of this name; `num_class` for the multi-class ones.
    pub fn from_name(name: &str, num_class: usize) -> Option<Objective> {
        Some(match name {
            "reg:squarederror" => Objective::SquaredError,
            "reg:squaredlogerror" => Objective::Identity(IdentityObjective::SquaredLogError),
            "reg:pseudohubererror" => Objective::Identity(IdentityObjective::PseudoHuberError),
            "reg:absoluteerror" => Objective::Identity(IdentityObjective::AbsoluteError),
            "count:poisson" => Objective::Exp(ExpObjective::Poisson),
            "reg:gamma" => Objective::Exp(ExpObjective::Gamma),
            "reg:tweedie" => Objective::Exp(ExpObjective::Tweedie),
            "reg:logistic" => Objective::RegLogistic,
            "binary:logistic" => Objective::Logistic,
            "binary:logitraw" => Objective::LogitRaw,
            "binary:hinge" => Objective::Hinge,
            "multi:softprob" => Objective::Softprob { num_class },
            "multi:softmax" => Objective::Softmax { num_class },
            _ => return None,
        })
    }

    /// Margins per row: one, or one per class.
    fn groups(self) -> usize {
        match self {
            Objective::Softprob { num_class } | Objective::Softmax { num_class } => num_class,
            _ => 1,
        }
    }

    /// Whether the model classifies (its prediction is a class code).
    pub fn is_classification(self) -> bool {
        matches!(
            self,
            Objective::Logistic
                | Objective::LogitRaw
                | Objective::Hinge
                | Objective::Softprob { .. }
                | Objective::Softmax { .. }
        )
    }

    /// XGBoost's base_score (given in output space) as a margin: its objective's inverse link
    /// (`ProbToMargin` in XGBoost 1.7).
    fn base_margin(self, base_score: f64) -> f64 {
        match self {
            // binary:logitraw's base_score is a margin already (XGBoost 1.7's LogisticRaw).
            Objective::Logistic | Objective::RegLogistic => (base_score / (1.0 - base_score)).ln(),
            Objective::Exp(_) => base_score.ln(),
            _ => base_score,
        }
    }
}

#[derive(Serialize, Deserialize)]
struct StoredObjective {
    name: String,
    /// Classes of multi:softprob and multi:softmax; 0 for the others.
    num_class: u64,
}

impl From<Objective> for StoredObjective {
    fn from(o: Objective) -> StoredObjective {
        StoredObjective {
            name: o.name().into(),
            num_class: o.groups() as u64 * u64::from(o.groups() > 1),
        }
    }
}

impl TryFrom<StoredObjective> for Objective {
    type Error = String;
    fn try_from(s: StoredObjective) -> std::result::Result<Objective, String> {
        let num_class = usize::try_from(s.num_class).map_err(|e| e.to_string())?;
        let o = Objective::from_name(&s.name, num_class)
            .ok_or_else(|| format!("unknown tree objective \"{}\"", s.name))?;
        if o.groups() != 1 && num_class < 2 {
            return Err(format!("{} with {num_class} classes", s.name));
        }
        Ok(o)
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
    /// The trees packed for predict, built on first use (never stored).
    #[serde(skip)]
    pub(crate) packed: PackedCache,
}

fn sigmoid(m: f64) -> f64 {
    1.0 / (1.0 + (-m).exp())
}

impl TreeEnsemble {
    /// The margin of each output group: the trees' leaves added in tree order, walked packed
    /// (see [`super::packed`]).
    pub fn margins(&self, x: &[f32]) -> Vec<f64> {
        let Some(packed) = self
            .packed
            .get(|| PackedTrees::from_xgboost(&self.trees))
            .filter(|p| p.trees() == self.trees.len())
        else {
            return self.margins_unpacked(x);
        };
        let mut m = vec![f64::from(self.base_margin); self.objective.groups()];
        // Trees beyond `tree_class` add nothing, as in the stored walk's zip.
        let classes = &self.tree_class[..self.tree_class.len().min(packed.trees())];
        packed.for_each_leaf(x, |t, leaf| {
            if let Some(&class) = classes.get(t) {
                m[class as usize] += f64::from(leaf.value());
            }
        });
        m
    }

    /// [`TreeEnsemble::margins`] by the stored trees, one array per field: what the packed walk
    /// must equal bit for bit (tests and benchmarks compare the two), and the walk of a model
    /// whose trees could not be packed.
    pub fn margins_unpacked(&self, x: &[f32]) -> Vec<f64> {
        let mut m = vec![f64::from(self.base_margin); self.objective.groups()];
        for (tree, &class) in self.trees.iter().zip(&self.tree_class) {
            m[class as usize] += f64::from(tree.leaf(x));
        }
        m
    }

    /// Regression: the value; classification: the most probable class code.
    pub fn predict(&self, x: &[f32]) -> f32 {
        let m = self.margins(x);
        match self.objective {
            Objective::SquaredError | Objective::Identity(_) => m[0] as f32,
            Objective::Exp(_) => m[0].exp() as f32,
            Objective::RegLogistic => sigmoid(m[0]) as f32,
            Objective::Logistic | Objective::LogitRaw | Objective::Hinge => {
                f32::from(u8::from(m[0] > 0.0))
            }
            Objective::Softprob { .. } | Objective::Softmax { .. } => {
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
            Objective::Logistic | Objective::LogitRaw => {
                let p = sigmoid(m[0]);
                Some(vec![(1.0 - p) as f32, p as f32])
            }
            // XGBClassifier's predict_proba for hinge: the class itself, with certainty.
            Objective::Hinge => {
                let p = f32::from(u8::from(m[0] > 0.0));
                Some(vec![1.0 - p, p])
            }
            Objective::Softprob { .. } | Objective::Softmax { .. } => {
                let max = m.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let e: Vec<f64> = m.iter().map(|v| (v - max).exp()).collect();
                let s: f64 = e.iter().sum();
                Some(e.into_iter().map(|v| (v / s) as f32).collect())
            }
            _ => None,
        }
    }

    /// What XGBoost itself returns for a row (`Booster::predict` without output_margin), for
    /// the check against it at train time.
    pub fn xgboost_output(&self, x: &[f32]) -> Vec<f32> {
        match self.objective {
            Objective::LogitRaw => vec![self.margins(x)[0] as f32],
            Objective::Logistic => vec![self.predict_proba(x).map_or(f32::NAN, |p| p[1])],
            Objective::Softprob { .. } => self.predict_proba(x).unwrap_or_default(),
            _ => vec![self.predict(x)],
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
        let name = learner["objective"]["name"].as_str().unwrap_or_default();
        let num_class = if name.starts_with("multi:") {
            num(&param["num_class"], "num_class")? as usize
        } else {
            0
        };
        let objective = Objective::from_name(name, num_class)
            .ok_or_else(|| bad(&format!("objective {name:?} is not one pgml evaluates")))?;
        let base_margin = objective.base_margin(base_score) as f32;
        // DART keeps its trees under "gbtree" and weighs each by its weight_drop at predict time.
        let booster = &learner["gradient_booster"];
        let (model, weights) = match booster["name"].as_str() {
            Some("gbtree") => (&booster["model"], None),
            Some("dart") => {
                let weights: Vec<f64> = booster["weight_drop"]
                    .as_array()
                    .ok_or_else(|| bad("weight_drop"))?
                    .iter()
                    .map(|w| w.as_f64().ok_or_else(|| bad("weight_drop")))
                    .collect::<Result<_>>()?;
                (&booster["gbtree"]["model"], Some(weights))
            }
            _ => return Err(bad("only the gbtree and dart boosters are supported")),
        };
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
            let mut value = floats("split_conditions")?;
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
            if let Some(weights) = &weights {
                let w = *weights.get(trees.len()).ok_or_else(|| bad("weight_drop"))?;
                for (v, &l) in value.iter_mut().zip(&left) {
                    if l < 0 {
                        *v = (f64::from(*v) * w) as f32;
                    }
                }
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
            packed: PackedCache::default(),
        })
    }
}

/// XGBoost's feature importances of `importance_type` (its scikit-learn wrapper's
/// `feature_importances_`, normalised to sum to 1): "gain" (the default for tree boosters) is the
/// mean loss reduction of the splits on a feature, "total_gain" their sum, "weight" their number,
/// "cover" / "total_cover" the mean / sum of the hessian of the rows they split. A feature never
/// split on has 0. Read from XGBoost's JSON model (gbtree or dart).
pub fn xgboost_importances(
    bytes: &[u8],
    num_features: usize,
    importance_type: &str,
) -> Result<Vec<f64>> {
    let bad = |what: &str| Error::BadModel {
        message: format!("XGBoost model JSON: {what}"),
        newer_format: false,
    };
    let j: Json = serde_json::from_slice(bytes).map_err(|e| bad(&e.to_string()))?;
    let booster = &j["learner"]["gradient_booster"];
    let model = if booster["name"].as_str() == Some("dart") {
        &booster["gbtree"]["model"]
    } else {
        &booster["model"]
    };
    let (mut gain, mut cover, mut count) = (
        vec![0.0f64; num_features],
        vec![0.0f64; num_features],
        vec![0usize; num_features],
    );
    for t in model["trees"].as_array().ok_or_else(|| bad("trees"))? {
        let array = |k: &str| t[k].as_array().ok_or_else(|| bad(k));
        let (left, features, gains, hessians) = (
            array("left_children")?,
            array("split_indices")?,
            array("loss_changes")?,
            array("sum_hessian")?,
        );
        for (i, l) in left.iter().enumerate() {
            if l.as_i64().unwrap_or(-1) < 0 {
                continue;
            }
            let value = |a: &Vec<Json>, what: &str| {
                a.get(i).and_then(Json::as_f64).ok_or_else(|| bad(what))
            };
            let f = value(features, "split_indices")? as usize;
            if f < num_features {
                gain[f] += value(gains, "loss_changes")?;
                cover[f] += value(hessians, "sum_hessian")?;
                count[f] += 1;
            }
        }
    }
    let mean = |total: &[f64]| -> Vec<f64> {
        total
            .iter()
            .zip(&count)
            .map(|(t, &c)| if c == 0 { 0.0 } else { t / c as f64 })
            .collect()
    };
    let raw = match importance_type {
        "weight" => count.iter().map(|&c| c as f64).collect(),
        "total_gain" => gain,
        "cover" => mean(&cover),
        "total_cover" => cover,
        _ => mean(&gain),
    };
    let sum: f64 = raw.iter().sum();
    Ok(if sum > 0.0 {
        raw.iter().map(|m| m / sum).collect()
    } else {
        raw
    })
}
