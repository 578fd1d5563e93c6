//! Model format 1, as pgml 0.2.0 wrote it: a frozen copy of its types, read and converted.
//!
//! Format 1 was the `Model` struct of 0.2.0 in postcard, which encodes an enum by the position of
//! its variant. These copies keep exactly those variants in exactly that order, and every struct
//! with exactly those fields, so that later changes to the live types cannot change what these
//! bytes mean. Never edit them; `tests/model_fixtures.rs` reads models 0.2.0 wrote.

use serde::Deserialize;

use super::{bad, Feature, Model};
use crate::algorithms::trees::{self, TreeEnsemble};
use crate::algorithms::xgboost::XgboostModel;
use crate::algorithms::{kmeans, pca, Fitted, LinearModel, LinearOutput, LogisticModel};
use crate::preprocess::Prep;
use crate::Result;

#[derive(Deserialize)]
enum TaskV1 {
    Regression,
    Classification,
    Clustering,
    Decomposition,
}

impl TaskV1 {
    fn name(&self) -> &'static str {
        match self {
            TaskV1::Regression => "regression",
            TaskV1::Classification => "classification",
            TaskV1::Clustering => "clustering",
            TaskV1::Decomposition => "decomposition",
        }
    }
}

#[derive(Deserialize)]
enum AlgorithmV1 {
    Linear,
    Ridge,
    Lasso,
    ElasticNet,
    Kmeans,
    Pca,
    Xgboost,
    RandomForest,
}

impl AlgorithmV1 {
    /// 0.2.0's algorithm names, as its catalog rows show them.
    fn name(&self) -> &'static str {
        match self {
            AlgorithmV1::Linear => "linear",
            AlgorithmV1::Ridge => "ridge",
            AlgorithmV1::Lasso => "lasso",
            AlgorithmV1::ElasticNet => "elastic_net",
            AlgorithmV1::Kmeans => "kmeans",
            AlgorithmV1::Pca => "pca",
            AlgorithmV1::Xgboost => "xgboost",
            // XGBoost's random-forest mode: its estimator name (XGBRF*) and its trees say so,
            // whatever the name random_forest trains in later releases.
            AlgorithmV1::RandomForest => "random_forest",
        }
    }

    /// 0.2.0's estimator names: format 1 did not store them, 0.2.0 derived them like this.
    fn estimator_name(&self, task: &TaskV1) -> &'static str {
        let classification = matches!(task, TaskV1::Classification);
        match self {
            AlgorithmV1::Linear if classification => "LogisticRegression",
            AlgorithmV1::Linear => "LinearRegression",
            AlgorithmV1::Ridge if classification => "RidgeClassifier",
            AlgorithmV1::Ridge => "Ridge",
            AlgorithmV1::Lasso => "Lasso",
            AlgorithmV1::ElasticNet => "ElasticNet",
            AlgorithmV1::Kmeans => "KMeans",
            AlgorithmV1::Pca => "PCA",
            AlgorithmV1::Xgboost if classification => "XGBClassifier",
            AlgorithmV1::Xgboost => "XGBRegressor",
            AlgorithmV1::RandomForest if classification => "XGBRFClassifier",
            AlgorithmV1::RandomForest => "XGBRFRegressor",
        }
    }
}

#[derive(Deserialize)]
struct PrepV1 {
    impute: Option<f32>,
    scale: Option<(f32, f32)>,
    one_hot: bool,
}

#[derive(Deserialize)]
struct FeatureV1 {
    name: String,
    pg_type: String,
    width: usize,
    categories: Option<Vec<String>>,
    prep: PrepV1,
}

#[derive(Deserialize)]
enum OutputV1 {
    Value,
    Sign,
    Argmax,
}

#[derive(Deserialize)]
struct LinearModelV1 {
    p: usize,
    coef: Vec<f64>,
    intercept: Vec<f64>,
    output: OutputV1,
}

#[derive(Deserialize)]
struct LogisticModelV1 {
    p: usize,
    num_classes: usize,
    coef: Vec<f64>,
    intercept: Vec<f64>,
}

#[derive(Deserialize)]
struct KMeansModelV1 {
    p: usize,
    centroids: Vec<f32>,
}

#[derive(Deserialize)]
struct PcaModelV1 {
    p: usize,
    mean: Vec<f64>,
    components: Vec<f64>,
    explained_variance_ratio: Vec<f64>,
}

#[derive(Deserialize)]
enum ObjectiveV1 {
    SquaredError,
    Logistic,
    Softprob { num_class: usize },
}

#[derive(Deserialize)]
struct TreeV1 {
    feature: Vec<u32>,
    value: Vec<f32>,
    left: Vec<i32>,
    right: Vec<i32>,
    default_left: Vec<bool>,
}

#[derive(Deserialize)]
struct TreeEnsembleV1 {
    num_features: usize,
    objective: ObjectiveV1,
    base_margin: f32,
    trees: Vec<TreeV1>,
    tree_class: Vec<u32>,
}

/// 0.2.0's `XgboostModel` (its booster JSON was `serde(skip)`: stored as a file of its own).
#[derive(Deserialize)]
struct XgboostModelV1 {
    ensemble: TreeEnsembleV1,
}

#[derive(Deserialize)]
enum EstimatorV1 {
    Linear(LinearModelV1),
    Logistic(LogisticModelV1),
    KMeans(KMeansModelV1),
    Pca(PcaModelV1),
    Trees(XgboostModelV1),
}

#[derive(Deserialize)]
struct ModelV1 {
    task: TaskV1,
    algorithm: AlgorithmV1,
    hyperparams: String,
    features: Vec<FeatureV1>,
    classes: Option<Vec<String>>,
    class_values: Option<Vec<f32>>,
    estimator: EstimatorV1,
    pgml_version: String,
}

impl From<EstimatorV1> for Fitted {
    fn from(e: EstimatorV1) -> Fitted {
        match e {
            EstimatorV1::Linear(m) => Fitted::Linear(LinearModel {
                p: m.p,
                coef: m.coef,
                intercept: m.intercept,
                output: match m.output {
                    OutputV1::Value => LinearOutput::Value,
                    OutputV1::Sign => LinearOutput::Sign,
                    OutputV1::Argmax => LinearOutput::Argmax,
                },
            }),
            EstimatorV1::Logistic(m) => Fitted::Logistic(LogisticModel {
                p: m.p,
                num_classes: m.num_classes,
                coef: m.coef,
                intercept: m.intercept,
            }),
            EstimatorV1::KMeans(m) => Fitted::KMeans(kmeans::KMeansModel {
                p: m.p,
                centroids: m.centroids,
            }),
            EstimatorV1::Pca(m) => Fitted::Pca(pca::PcaModel {
                p: m.p,
                mean: m.mean,
                components: m.components,
                explained_variance_ratio: m.explained_variance_ratio,
            }),
            EstimatorV1::Trees(m) => {
                let e = m.ensemble;
                Fitted::XgboostTrees(XgboostModel {
                    ensemble: TreeEnsemble {
                        num_features: e.num_features,
                        objective: match e.objective {
                            ObjectiveV1::SquaredError => trees::Objective::SquaredError,
                            ObjectiveV1::Logistic => trees::Objective::Logistic,
                            ObjectiveV1::Softprob { num_class } => {
                                trees::Objective::Softprob { num_class }
                            }
                        },
                        base_margin: e.base_margin,
                        trees: e
                            .trees
                            .into_iter()
                            .map(|t| trees::Tree {
                                feature: t.feature,
                                value: t.value,
                                left: t.left,
                                right: t.right,
                                default_left: t.default_left,
                            })
                            .collect(),
                        tree_class: e.tree_class,
                        packed: Default::default(),
                    },
                    native_json: Vec::new(),
                    feature_importances: None,
                    fit_metrics: Default::default(),
                })
            }
        }
    }
}

/// Reads a format-1 body into today's `Model`.
pub(super) fn decode(body: &[u8]) -> Result<Model> {
    let m: ModelV1 =
        postcard::from_bytes(body).map_err(|e| bad(format!("stored model is damaged: {e}")))?;
    let estimator = m.algorithm.estimator_name(&m.task);
    let features = m
        .features
        .into_iter()
        .map(|f| Feature {
            name: f.name,
            pg_type: f.pg_type,
            width: f.width,
            categories: f.categories,
            prep: Prep {
                impute: f.prep.impute,
                scale: f.prep.scale,
                one_hot: f.prep.one_hot,
            },
        })
        .collect();
    Model::from_names(
        m.task.name(),
        m.algorithm.name(),
        estimator,
        m.estimator.into(),
        m.hyperparams,
        features,
        m.classes,
        m.class_values,
        m.pgml_version,
    )
}
