//! `xgboost`: gradient-boosted trees, trained by XGBoost (Debian's libxgboost) and evaluated in
//! Rust (`trees`). Hyperparameter names and defaults are XGBoost's. The training glue here
//! (`fit`) also serves `random_forest`, XGBoost's random-forest mode.

use serde::{Deserialize, Serialize};

use super::params::{float, int, INF, NTHREAD};
use super::trees::TreeEnsemble;
use super::{wrong_labels, Fitted, Labels, Learner, Predictor};
use crate::hyperparams::{DefaultValue, Hyperparams, Kind, Param};
use crate::{Error, Matrix, Result, Task};

#[derive(Debug, Clone, Copy)]
pub struct Xgboost;

pub(super) const RANDOM_STATE: Param =
    int("random_state", 0, i32::MAX as i64, DefaultValue::Int(0));

/// XGBoost's names; aliases (eta/learning_rate, lambda/reg_lambda, alpha/reg_alpha) default to
/// "none" so that giving both is caught.
const PARAMS: &[Param] = &[
    int("n_estimators", 1, 100_000, DefaultValue::Int(100)),
    int("max_depth", 0, 64, DefaultValue::Int(6)),
    float("learning_rate", 0.0, 1.0, false, DefaultValue::Null),
    float("eta", 0.0, 1.0, false, DefaultValue::Null),
    float("subsample", 0.0, 1.0, true, DefaultValue::Float(1.0)),
    float("colsample_bytree", 0.0, 1.0, true, DefaultValue::Float(1.0)),
    float(
        "colsample_bylevel",
        0.0,
        1.0,
        true,
        DefaultValue::Float(1.0),
    ),
    float("colsample_bynode", 0.0, 1.0, true, DefaultValue::Float(1.0)),
    float(
        "min_child_weight",
        0.0,
        INF,
        false,
        DefaultValue::Float(1.0),
    ),
    float("gamma", 0.0, INF, false, DefaultValue::Float(0.0)),
    float("lambda", 0.0, INF, false, DefaultValue::Null),
    float("reg_lambda", 0.0, INF, false, DefaultValue::Null),
    float("alpha", 0.0, INF, false, DefaultValue::Null),
    float("reg_alpha", 0.0, INF, false, DefaultValue::Null),
    int("max_bin", 2, 65_536, DefaultValue::Int(256)),
    Param {
        name: "tree_method",
        kind: Kind::Choice(&["hist", "approx", "exact", "auto"]),
        default: DefaultValue::Str("hist"),
    },
    NTHREAD,
    RANDOM_STATE,
];

/// What boosting and the random-forest mode both set.
#[derive(Debug, Clone, PartialEq)]
pub struct Common {
    /// 0 means one thread here; the extension has already replaced 0 by its cap.
    pub nthread: i64,
    pub random_state: i64,
    pub max_bin: i64,
    pub min_child_weight: f64,
    pub subsample: f64,
}

impl Common {
    pub(super) fn read(params: &Hyperparams) -> Result<Common> {
        Ok(Common {
            nthread: params.int("nthread")?,
            random_state: params.int("random_state")?,
            max_bin: params.int("max_bin")?,
            min_child_weight: params.float("min_child_weight")?,
            subsample: params.float("subsample")?,
        })
    }

    /// XGBoost's parameters for these, in the order they are set.
    pub(super) fn booster_params(&self) -> Vec<(&'static str, String)> {
        vec![
            ("nthread", self.nthread.max(1).to_string()),
            ("seed", self.random_state.to_string()),
            ("max_bin", self.max_bin.to_string()),
            ("min_child_weight", self.min_child_weight.to_string()),
            ("subsample", self.subsample.to_string()),
            ("verbosity", "0".into()),
        ]
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    pub common: Common,
    pub n_estimators: usize,
    pub max_depth: i64,
    pub learning_rate: f64,
    pub reg_lambda: f64,
    pub reg_alpha: f64,
    pub gamma: f64,
    pub colsample_bytree: f64,
    pub colsample_bylevel: f64,
    pub colsample_bynode: f64,
    pub tree_method: String,
}

/// One of two alias names, or the default; both given is an error.
fn alias(params: &Hyperparams, a: &str, b: &str, default: f64) -> Result<f64> {
    match (params.opt_float(a)?, params.opt_float(b)?) {
        (Some(_), Some(_)) => Err(Error::invalid_with_hint(
            format!("hyperparameters {a} and {b} are the same; give only one"),
            format!("{a} and {b} are two names of one hyperparameter"),
        )),
        (Some(v), None) | (None, Some(v)) => Ok(v),
        (None, None) => Ok(default),
    }
}

impl Learner for Xgboost {
    type Options = Options;

    fn name(&self) -> &'static str {
        "xgboost"
    }

    fn tasks(&self) -> &'static [Task] {
        &[Task::Regression, Task::Classification]
    }

    fn estimator_name(&self, task: Task) -> &'static str {
        match task {
            Task::Classification => "XGBClassifier",
            _ => "XGBRegressor",
        }
    }

    fn params(&self, _task: Task) -> &'static [Param] {
        PARAMS
    }

    fn options(&self, _task: Task, params: &Hyperparams) -> Result<Options> {
        Ok(Options {
            common: Common::read(params)?,
            n_estimators: params.usize("n_estimators")?,
            max_depth: params.int("max_depth")?,
            learning_rate: alias(params, "learning_rate", "eta", 0.3)?,
            reg_lambda: alias(params, "lambda", "reg_lambda", 1.0)?,
            reg_alpha: alias(params, "alpha", "reg_alpha", 0.0)?,
            gamma: params.float("gamma")?,
            colsample_bytree: params.float("colsample_bytree")?,
            colsample_bylevel: params.float("colsample_bylevel")?,
            colsample_bynode: params.float("colsample_bynode")?,
            tree_method: params.str("tree_method")?.to_string(),
        })
    }

    fn fit(
        &self,
        task: Task,
        o: &Options,
        x: &Matrix,
        labels: Labels<'_>,
        check_interrupts: &dyn Fn(),
    ) -> Result<Fitted> {
        if matches!(labels, Labels::None) {
            return Err(wrong_labels(self.name(), task));
        }
        let mut params = o.common.booster_params();
        params.extend([
            ("tree_method", o.tree_method.clone()),
            ("max_depth", o.max_depth.to_string()),
            ("learning_rate", o.learning_rate.to_string()),
            ("reg_lambda", o.reg_lambda.to_string()),
            ("reg_alpha", o.reg_alpha.to_string()),
            ("gamma", o.gamma.to_string()),
            ("colsample_bytree", o.colsample_bytree.to_string()),
            ("colsample_bylevel", o.colsample_bylevel.to_string()),
            ("colsample_bynode", o.colsample_bynode.to_string()),
        ]);
        let config = BoosterConfig {
            rounds: o.n_estimators,
            params,
        };
        Ok(Fitted::XgboostTrees(fit(
            x,
            labels,
            &config,
            check_interrupts,
        )?))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct XgboostModel {
    pub ensemble: TreeEnsemble,
    /// XGBoost's own JSON model, for export (`xgboost.Booster().load_model(...)` reads it). Not part
    /// of the serialized model: it is stored as a file of its own (see `Model::native_files`), so
    /// that loading a model for predict reads only the compact trees.
    #[serde(skip)]
    pub native_json: Vec<u8>,
}

impl Predictor for XgboostModel {
    fn num_features(&self) -> usize {
        self.ensemble.num_features
    }
    fn predict(&self, x: &[f32]) -> Option<f32> {
        Some(self.ensemble.predict(x))
    }
    fn predict_proba(&self, x: &[f32]) -> Option<Vec<f32>> {
        self.ensemble.predict_proba(x)
    }
    fn native_files(&self) -> Vec<(&'static str, &[u8])> {
        if self.native_json.is_empty() {
            Vec::new()
        } else {
            vec![("xgboost.json", self.native_json.as_slice())]
        }
    }
}

/// The parameters handed to XGBoost, by XGBoost's names.
#[derive(Debug, Clone, PartialEq)]
pub struct BoosterConfig {
    /// Boosting rounds (one tree per class each), or 1 in random-forest mode.
    pub rounds: usize,
    pub params: Vec<(&'static str, String)>,
}

/// How many rows of the training set the Rust evaluator is checked against XGBoost on.
const SELF_CHECK_ROWS: usize = 256;

fn xgb(e: pgml_xgboost::Error) -> Error {
    Error::bad_data(e.to_string(), "check the hyperparameters")
}

/// The training matrix (row-major, as XGBoost takes it) with its labels, and the objective.
struct Prepared {
    row_major: Vec<f32>,
    train: pgml_xgboost::DMatrix,
    objective: Vec<(&'static str, String)>,
}

fn prepare(x: &Matrix, labels: Labels<'_>) -> Result<Prepared> {
    let (n, p) = (x.rows(), x.cols());
    let row_major: Vec<f32> = (0..n)
        .flat_map(|i| (0..p).map(move |j| (i, j)))
        .map(|(i, j)| x.get(i, j))
        .collect();
    let mut train = pgml_xgboost::DMatrix::from_dense(&row_major, n, p).map_err(xgb)?;
    let objective: Vec<(&str, String)> = match labels {
        Labels::Values(y) => {
            train.set_labels(y).map_err(xgb)?;
            vec![("objective", "reg:squarederror".into())]
        }
        Labels::Classes { codes, num_classes } => {
            let y: Vec<f32> = codes.iter().map(|&c| c as f32).collect();
            train.set_labels(&y).map_err(xgb)?;
            if num_classes == 2 {
                vec![("objective", "binary:logistic".into())]
            } else {
                vec![
                    ("objective", "multi:softprob".into()),
                    ("num_class", num_classes.to_string()),
                ]
            }
        }
        Labels::None => {
            return Err(Error::not_supported(
                "tree ensembles need a label",
                "use kmeans for clustering and pca for decomposition",
            ))
        }
    };
    Ok(Prepared {
        row_major,
        train,
        objective,
    })
}

fn booster(
    prepared: &Prepared,
    params: &[(&'static str, String)],
) -> Result<pgml_xgboost::Booster> {
    let mut booster = pgml_xgboost::Booster::new(&prepared.train).map_err(xgb)?;
    for (k, v) in prepared.objective.iter().chain(params) {
        booster.set_param(k, v).map_err(xgb)?;
    }
    Ok(booster)
}

pub fn fit(
    x: &Matrix,
    labels: Labels<'_>,
    opts: &BoosterConfig,
    check_interrupts: &dyn Fn(),
) -> Result<XgboostModel> {
    let prepared = prepare(x, labels)?;
    let mut booster = booster(&prepared, &opts.params)?;
    for round in 0..opts.rounds {
        check_interrupts();
        booster.update(round, &prepared.train).map_err(xgb)?;
        if round == 0 && opts.rounds > 1 {
            // The model's size projected from its first round, refused before memory runs out.
            let first = booster.save_json().map_err(xgb)?.len() as f64;
            check_projected_size(
                first,
                opts.rounds,
                &format!("{} boosting rounds", opts.rounds),
            )?;
        }
    }
    let native_json = booster.save_json().map_err(xgb)?;
    checked(x, &prepared, &booster, native_json)
}

/// The most XGBoost JSON a model may grow to (projected from its first trees, before the rest are
/// grown). Reading it into pgml's trees takes several times its size at the peak of a train: beyond
/// this a train takes many gigabytes of memory in the backend.
pub const MAX_MODEL_JSON_BYTES: usize = 1 << 30;

/// Refuses a model of `units` rounds or trees, `per_unit` bytes of XGBoost JSON each, that would
/// outgrow [`MAX_MODEL_JSON_BYTES`]; `what` names it in the message.
fn check_projected_size(per_unit: f64, units: usize, what: &str) -> Result<()> {
    let projected = per_unit * units as f64;
    if projected <= MAX_MODEL_JSON_BYTES as f64 {
        return Ok(());
    }
    Err(Error::too_large(
        format!(
            "{what} on this data would take about {:.1} GB",
            projected / 1e9
        ),
        format!(
            "lower n_estimators ({} fits), set a smaller max_depth, or train on fewer rows",
            ((MAX_MODEL_JSON_BYTES as f64 / per_unit.max(1.0)) as usize).max(1)
        ),
    ))
}

/// Seconds of training between two checks for a query cancel.
const FOREST_CHUNK_SECONDS: f64 = 0.25;

/// XGBoost's random-forest mode (one round of `trees` parallel trees), grown a few trees at a time:
/// XGBoost cannot be interrupted inside a round, so one round of 100 000 trees ignored a cancel for
/// minutes. Each chunk is a forest of its own (seeded `seed + chunk`); the chunks are merged into
/// one XGBoost model whose trees each count in proportion, exactly the average of all trees that
/// one round would give (XGBoost scales a round's leaves by 1 / its number of parallel trees). The
/// size of the model is projected from the first chunk and refused before memory runs out.
pub fn fit_forest(
    x: &Matrix,
    labels: Labels<'_>,
    params: &[(&'static str, String)],
    trees: usize,
    seed: i64,
    check_interrupts: &dyn Fn(),
) -> Result<XgboostModel> {
    let prepared = prepare(x, labels)?;
    let mut chunks: Vec<(usize, Vec<u8>)> = Vec::new();
    let (mut grown, mut chunk) = (0usize, 1usize);
    while grown < trees {
        check_interrupts();
        let k = chunk.min(trees - grown);
        let mut p = params.to_vec();
        p.retain(|(name, _)| *name != "num_parallel_tree" && *name != "seed");
        p.push(("num_parallel_tree", k.to_string()));
        p.push(("seed", seed.saturating_add(chunks.len() as i64).to_string()));
        let started = std::time::Instant::now();
        let mut b = booster(&prepared, &p)?;
        b.update(0, &prepared.train).map_err(xgb)?;
        let json = b.save_json().map_err(xgb)?;
        let seconds = started.elapsed().as_secs_f64();
        if chunks.is_empty() {
            check_projected_size(
                json.len() as f64 / k as f64,
                trees,
                &format!("a forest of {trees} trees"),
            )?;
        }
        grown += k;
        chunks.push((k, json));
        // Aim at FOREST_CHUNK_SECONDS per chunk from the time per tree so far.
        let per_tree = (seconds / k as f64).max(1e-6);
        chunk = ((FOREST_CHUNK_SECONDS / per_tree) as usize).clamp(1, 1000);
    }
    let native_json = merge_forests(chunks, trees)?;
    let merged = pgml_xgboost::Booster::load(&native_json).map_err(xgb)?;
    checked(x, &prepared, &merged, native_json)
}

/// One XGBoost JSON model holding every chunk's trees, each chunk's leaves weighted by its share
/// of the trees.
fn merge_forests(chunks: Vec<(usize, Vec<u8>)>, total: usize) -> Result<Vec<u8>> {
    let bad = |what: &str| Error::BadModel {
        message: format!("merging XGBoost forests: {what}"),
        newer_format: false,
    };
    let mut merged: Option<serde_json::Value> = None;
    let mut trees: Vec<serde_json::Value> = Vec::new();
    let mut info: Vec<serde_json::Value> = Vec::new();
    for (k, json) in chunks {
        let mut j: serde_json::Value =
            serde_json::from_slice(&json).map_err(|e| bad(&e.to_string()))?;
        drop(json);
        let weight = k as f64 / total as f64;
        let model = &mut j["learner"]["gradient_booster"]["model"];
        let chunk_trees = model["trees"]
            .as_array_mut()
            .ok_or_else(|| bad("no trees"))?;
        for t in chunk_trees.iter_mut() {
            let leaves: Vec<usize> = t["left_children"]
                .as_array()
                .ok_or_else(|| bad("left_children"))?
                .iter()
                .enumerate()
                .filter(|(_, c)| c.as_i64() == Some(-1))
                .map(|(i, _)| i)
                .collect();
            for key in ["split_conditions", "base_weights"] {
                let values = t[key].as_array_mut().ok_or_else(|| bad(key))?;
                for &i in &leaves {
                    let v = values.get(i).and_then(serde_json::Value::as_f64);
                    if let (Some(v), Some(slot)) = (v, values.get_mut(i)) {
                        *slot = serde_json::json!(v * weight);
                    }
                }
            }
            t["id"] = serde_json::json!(trees.len());
            trees.push(t.take());
        }
        info.extend(
            model["tree_info"]
                .as_array()
                .ok_or_else(|| bad("tree_info"))?
                .iter()
                .cloned(),
        );
        merged.get_or_insert(j);
    }
    let mut merged = merged.ok_or_else(|| bad("no chunks"))?;
    let model = &mut merged["learner"]["gradient_booster"]["model"];
    let count = trees.len();
    model["trees"] = serde_json::Value::Array(trees);
    model["tree_info"] = serde_json::Value::Array(info);
    model["gbtree_model_param"]["num_trees"] = serde_json::json!(count.to_string());
    model["gbtree_model_param"]["num_parallel_tree"] = serde_json::json!(total.to_string());
    serde_json::to_vec(&merged).map_err(|e| bad(&e.to_string()))
}

/// The model, once the Rust evaluator was checked to give XGBoost's own answers on the first
/// training rows (every time a model is trained).
fn checked(
    x: &Matrix,
    prepared: &Prepared,
    booster: &pgml_xgboost::Booster,
    native_json: Vec<u8>,
) -> Result<XgboostModel> {
    let (n, p) = (x.rows(), x.cols());
    let ensemble = TreeEnsemble::from_xgboost_json(&native_json)?;
    let rows = n.min(SELF_CHECK_ROWS);
    let sample =
        pgml_xgboost::DMatrix::from_dense(&prepared.row_major[..rows * p], rows, p).map_err(xgb)?;
    let theirs = booster.predict(&sample).map_err(xgb)?;
    let width = theirs.len() / rows.max(1);
    // XGBoost adds its trees' outputs in f32, one after another: its own rounding grows with the
    // number of trees (0.1 on a margin of 77 after 100 000 trees), so the tolerance does too.
    let tolerance = 1e-4 + 1e-7 * ensemble.trees.len() as f32;
    for i in 0..rows {
        let ours = ensemble.xgboost_output(&prepared.row_major[i * p..(i + 1) * p]);
        let want = &theirs[i * width..(i + 1) * width];
        let close = ours.len() == want.len()
            && ours
                .iter()
                .zip(want)
                .all(|(a, b)| (a - b).abs() <= tolerance * b.abs().max(1.0));
        if !close {
            return Err(Error::BadModel {
                message: format!(
                    "pgml's tree evaluator disagrees with XGBoost on training row {i}: {ours:?} vs {want:?}"
                ),
                newer_format: false,
            });
        }
    }
    Ok(XgboostModel {
        ensemble,
        native_json,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::split::SplitMix64;

    fn data(n: usize) -> (Matrix, Vec<f32>) {
        let mut rng = SplitMix64(7);
        let cols: Vec<f32> = (0..n * 3).map(|_| rng.unit() as f32).collect();
        let x = Matrix::from_columns(n, 3, cols).unwrap();
        let y = (0..n)
            .map(|i| 3.0 * x.get(i, 0) - x.get(i, 1) + x.get(i, 2) * x.get(i, 0))
            .collect();
        (x, y)
    }

    fn forest_params() -> Vec<(&'static str, String)> {
        vec![
            ("nthread", "1".into()),
            ("tree_method", "hist".into()),
            ("learning_rate", "1".into()),
            ("reg_lambda", "0".into()),
            ("subsample", "0.632".into()),
            ("colsample_bynode", "0.8".into()),
            ("max_depth", "4".into()),
        ]
    }

    /// A merged forest is exactly the tree-count-weighted average of its chunks, as XGBoost
    /// itself computes it from the merged model.
    #[test]
    fn merged_chunks_average_their_trees() {
        let (x, y) = data(300);
        let prepared = prepare(&x, Labels::Values(&y)).unwrap();
        let mut chunks = Vec::new();
        let mut outputs = Vec::new();
        for (k, seed) in [(3usize, 1), (2, 2)] {
            let mut p = forest_params();
            p.push(("num_parallel_tree", k.to_string()));
            p.push(("seed", seed.to_string()));
            let mut b = booster(&prepared, &p).unwrap();
            b.update(0, &prepared.train).unwrap();
            outputs.push(b.predict(&prepared.train).unwrap());
            chunks.push((k, b.save_json().unwrap()));
        }
        let merged = merge_forests(chunks, 5).unwrap();
        let m = pgml_xgboost::Booster::load(&merged).unwrap();
        let got = m.predict(&prepared.train).unwrap();
        let base = 0.5; // XGBoost 1.7's base_score for reg:squarederror
        for i in 0..got.len() {
            let want = base + 0.6 * (outputs[0][i] - base) + 0.4 * (outputs[1][i] - base);
            assert!(
                (got[i] - want).abs() < 1e-4,
                "row {i}: {} vs {want}",
                got[i]
            );
        }
        let ensemble = TreeEnsemble::from_xgboost_json(&merged).unwrap();
        assert_eq!(ensemble.trees.len(), 5);
    }

    /// The forest is grown in chunks with a cancel check before each, and refused before it
    /// outgrows memory.
    #[test]
    fn forests_check_for_cancel_between_chunks_and_refuse_what_cannot_fit() {
        let (x, y) = data(400);
        let calls = std::cell::Cell::new(0);
        let model = fit_forest(&x, Labels::Values(&y), &forest_params(), 50, 0, &|| {
            calls.set(calls.get() + 1)
        })
        .unwrap();
        assert_eq!(model.ensemble.trees.len(), 50);
        assert!(calls.get() >= 2, "{} checks", calls.get());
        let err = fit_forest(
            &x,
            Labels::Values(&y),
            &forest_params(),
            100_000_000,
            0,
            &|| {},
        )
        .unwrap_err();
        assert!(matches!(err, Error::TooLarge { .. }), "{err:?}");
    }
}
