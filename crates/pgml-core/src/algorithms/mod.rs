//! The algorithm registry: names (PostgresML's), which tasks each supports, their hyperparameters,
//! and one `fit` entry point. Trained estimators are plain data (serde), evaluated in Rust.

pub mod kmeans;
mod linear;
mod logistic;
pub mod pca;
pub mod trees;
pub mod xgboost;

use serde::{Deserialize, Serialize};

use crate::hyperparams::{self, DefaultValue, Hyperparams, Kind, Param};
use crate::{Error, Matrix, Result, Task};

pub use linear::{LinearModel, Output as LinearOutput};
pub use logistic::LogisticModel;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Algorithm {
    Linear,
    Ridge,
    Lasso,
    ElasticNet,
    Kmeans,
    Pca,
    Xgboost,
    RandomForest,
}

impl Algorithm {
    pub const SUPPORTED: [Algorithm; 8] = [
        Algorithm::Linear,
        Algorithm::Ridge,
        Algorithm::Lasso,
        Algorithm::ElasticNet,
        Algorithm::Xgboost,
        Algorithm::RandomForest,
        Algorithm::Kmeans,
        Algorithm::Pca,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Linear => "linear",
            Algorithm::Ridge => "ridge",
            Algorithm::Lasso => "lasso",
            Algorithm::ElasticNet => "elastic_net",
            Algorithm::Kmeans => "kmeans",
            Algorithm::Pca => "pca",
            Algorithm::Xgboost => "xgboost",
            Algorithm::RandomForest => "random_forest",
        }
    }

    /// Parses an algorithm name. Names PostgresML accepts but pgml does not train yet are a
    /// "not supported" error; anything else is an unknown name. Both list what is supported.
    pub fn parse(name: &str) -> Result<Algorithm> {
        if let Some(a) = Self::SUPPORTED.into_iter().find(|a| a.as_str() == name) {
            return Ok(a);
        }
        let supported = Self::SUPPORTED.map(Algorithm::as_str).join(", ");
        if POSTGRESML_ALGORITHMS.contains(&name) {
            Err(Error::not_supported(
                format!("algorithm {name} is not supported by pgml yet"),
                format!("supported algorithms: {supported}"),
            ))
        } else {
            Err(Error::invalid_with_hint(
                format!("unknown algorithm \"{name}\""),
                format!("supported algorithms: {supported}"),
            ))
        }
    }

    /// The algorithm a train call means: `linear` is `pgml.train`'s default, which for clustering
    /// and decomposition (where no linear model exists) stands for their own defaults, kmeans and
    /// pca, so PostgresML's examples that leave the algorithm out work unchanged.
    pub fn for_task(name: &str, task: Task) -> Result<Algorithm> {
        match (name, task) {
            ("linear", Task::Clustering) => Ok(Algorithm::Kmeans),
            ("linear", Task::Decomposition) => Ok(Algorithm::Pca),
            _ => Algorithm::parse(name),
        }
    }

    pub fn supports(self, task: Task) -> bool {
        match self {
            Algorithm::Linear | Algorithm::Ridge | Algorithm::Xgboost | Algorithm::RandomForest => {
                matches!(task, Task::Regression | Task::Classification)
            }
            Algorithm::Lasso | Algorithm::ElasticNet => task == Task::Regression,
            Algorithm::Kmeans => task == Task::Clustering,
            Algorithm::Pca => task == Task::Decomposition,
        }
    }

    /// What `(self, task)` is called in scikit-learn terms, for messages and the catalog.
    pub fn estimator_name(self, task: Task) -> &'static str {
        match (self, task) {
            (Algorithm::Linear, Task::Classification) => "LogisticRegression",
            (Algorithm::Linear, _) => "LinearRegression",
            (Algorithm::Ridge, Task::Classification) => "RidgeClassifier",
            (Algorithm::Ridge, _) => "Ridge",
            (Algorithm::Lasso, _) => "Lasso",
            (Algorithm::ElasticNet, _) => "ElasticNet",
            (Algorithm::Kmeans, _) => "KMeans",
            (Algorithm::Pca, _) => "PCA",
            (Algorithm::Xgboost, Task::Classification) => "XGBClassifier",
            (Algorithm::Xgboost, _) => "XGBRegressor",
            (Algorithm::RandomForest, Task::Classification) => "XGBRFClassifier",
            (Algorithm::RandomForest, _) => "XGBRFRegressor",
        }
    }

    pub fn params(self, task: Task) -> &'static [Param] {
        match (self, task) {
            (Algorithm::Linear, Task::Classification) => LOGISTIC,
            (Algorithm::Linear, _) => LINEAR,
            (Algorithm::Ridge, _) => RIDGE,
            (Algorithm::Lasso, _) => LASSO,
            (Algorithm::ElasticNet, _) => ELASTIC_NET,
            (Algorithm::Kmeans, _) => KMEANS,
            (Algorithm::Pca, _) => PCA,
            (Algorithm::Xgboost, _) => XGBOOST,
            (Algorithm::RandomForest, _) => RANDOM_FOREST,
        }
    }

    /// Checks the pair and the user's hyperparameters before any data is read.
    pub fn resolve(self, task: Task, given: &serde_json::Value) -> Result<Hyperparams> {
        if !self.supports(task) {
            let others: Vec<&str> = Self::SUPPORTED
                .into_iter()
                .filter(|a| a.supports(task))
                .map(Algorithm::as_str)
                .collect();
            return Err(Error::not_supported(
                format!("algorithm {} does not support {task}", self.as_str()),
                format!("algorithms for {task}: {}", others.join(", ")),
            ));
        }
        hyperparams::resolve(self.as_str(), self.params(task), given)
    }
}

/// The algorithm names PostgresML's `pgml.algorithm` enum has (and ours, for compatibility).
pub const POSTGRESML_ALGORITHMS: &[&str] = &[
    "linear",
    "xgboost",
    "svm",
    "lasso",
    "elastic_net",
    "ridge",
    "kmeans",
    "dbscan",
    "knn",
    "random_forest",
    "least_angle",
    "lasso_least_angle",
    "orthogonal_matching_pursuit",
    "bayesian_ridge",
    "automatic_relevance_determination",
    "stochastic_gradient_descent",
    "perceptron",
    "passive_aggressive",
    "ransac",
    "theil_sen",
    "huber",
    "quantile",
    "kernel_ridge",
    "gaussian_process",
    "nu_svm",
    "linear_svm",
    "ada_boost",
    "bagging",
    "extra_trees",
    "gradient_boosting_trees",
    "hist_gradient_boosting",
    "mini_batch_kmeans",
    "mean_shift",
    "affinity_propagation",
    "birch",
    "spectral",
    "spectral_bi",
    "spectral_co",
    "lightgbm",
    "catboost",
    "pca",
    "xgboost_random_forest",
];

const FIT_INTERCEPT: Param = Param {
    name: "fit_intercept",
    kind: Kind::Bool,
    default: DefaultValue::Bool(true),
};
const ALPHA: Param = Param {
    name: "alpha",
    kind: Kind::Float {
        min: 0.0,
        max: f64::INFINITY,
        min_exclusive: false,
    },
    default: DefaultValue::Float(1.0),
};
const TOL: Param = Param {
    name: "tol",
    kind: Kind::Float {
        min: 0.0,
        max: f64::INFINITY,
        min_exclusive: true,
    },
    default: DefaultValue::Float(1e-4),
};
const fn max_iter(default: i64) -> Param {
    Param {
        name: "max_iter",
        kind: Kind::Int {
            min: 1,
            max: 1_000_000,
        },
        default: DefaultValue::Int(default),
    }
}

const LINEAR: &[Param] = &[FIT_INTERCEPT];
const RIDGE: &[Param] = &[ALPHA, FIT_INTERCEPT];
const LASSO: &[Param] = &[ALPHA, FIT_INTERCEPT, max_iter(1000), TOL];
const ELASTIC_NET: &[Param] = &[
    ALPHA,
    Param {
        name: "l1_ratio",
        kind: Kind::Float {
            min: 0.0,
            max: 1.0,
            min_exclusive: false,
        },
        default: DefaultValue::Float(0.5),
    },
    FIT_INTERCEPT,
    max_iter(1000),
    TOL,
];
const fn float(
    name: &'static str,
    min: f64,
    max: f64,
    min_exclusive: bool,
    default: DefaultValue,
) -> Param {
    Param {
        name,
        kind: Kind::Float {
            min,
            max,
            min_exclusive,
        },
        default,
    }
}
const fn int(name: &'static str, min: i64, max: i64, default: DefaultValue) -> Param {
    Param {
        name,
        kind: Kind::Int { min, max },
        default,
    }
}
const INF: f64 = f64::INFINITY;
const NTHREAD: Param = int("nthread", 0, 1024, DefaultValue::Int(0));
const RANDOM_STATE: Param = int("random_state", 0, i32::MAX as i64, DefaultValue::Int(0));
/// XGBoost's names; aliases (eta/learning_rate, lambda/reg_lambda, alpha/reg_alpha) default to
/// "none" so that giving both is caught.
const XGBOOST: &[Param] = &[
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
/// A random forest in XGBoost's random-forest mode: one round of `n_estimators` parallel trees,
/// each on a row subsample and a per-split feature subsample (scikit-learn's max_features).
const RANDOM_FOREST: &[Param] = &[
    int("n_estimators", 1, 100_000, DefaultValue::Int(100)),
    int("max_depth", 0, 64, DefaultValue::Int(0)),
    float("max_features", 0.0, 1.0, true, DefaultValue::Null),
    float("subsample", 0.0, 1.0, true, DefaultValue::Float(0.632)),
    float(
        "min_child_weight",
        0.0,
        INF,
        false,
        DefaultValue::Float(0.0),
    ),
    int("max_bin", 2, 65_536, DefaultValue::Int(256)),
    NTHREAD,
    RANDOM_STATE,
];
const KMEANS: &[Param] = &[
    Param {
        name: "n_clusters",
        kind: Kind::Int {
            min: 1,
            max: 100_000,
        },
        default: DefaultValue::Int(8),
    },
    max_iter(300),
    TOL,
    Param {
        name: "random_state",
        kind: Kind::Int {
            min: 0,
            max: i64::MAX,
        },
        default: DefaultValue::Int(0),
    },
];
const PCA: &[Param] = &[Param {
    name: "n_components",
    kind: Kind::Int {
        min: 1,
        max: 100_000,
    },
    default: DefaultValue::Null,
}];
const LOGISTIC: &[Param] = &[
    Param {
        name: "C",
        kind: Kind::Float {
            min: 0.0,
            max: f64::INFINITY,
            min_exclusive: true,
        },
        default: DefaultValue::Float(1.0),
    },
    Param {
        name: "penalty",
        kind: Kind::Choice(&["l2", "none"]),
        default: DefaultValue::Str("l2"),
    },
    FIT_INTERCEPT,
    max_iter(100),
    TOL,
];

/// A trained estimator: everything predict needs, as plain data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Estimator {
    Linear(LinearModel),
    Logistic(LogisticModel),
    KMeans(kmeans::KMeansModel),
    Pca(pca::PcaModel),
    Trees(xgboost::XgboostModel),
}

/// One of two alias names, or the default; both given is an error.
fn alias(params: &Hyperparams, a: &str, b: &str, default: f64) -> Result<f64> {
    match (params.opt_float(a), params.opt_float(b)) {
        (Some(_), Some(_)) => Err(Error::invalid_with_hint(
            format!("hyperparameters {a} and {b} are the same; give only one"),
            format!("{a} and {b} are two names of one hyperparameter"),
        )),
        (Some(v), None) | (None, Some(v)) => Ok(v),
        (None, None) => Ok(default),
    }
}

/// XGBoost's parameters for boosting, or for its random-forest mode.
fn xgboost_options(
    algorithm: Algorithm,
    params: &Hyperparams,
    p: usize,
    classification: bool,
) -> Result<xgboost::Options> {
    let mut out: Vec<(&'static str, String)> = vec![
        ("nthread", params.int("nthread").max(1).to_string()),
        ("seed", params.int("random_state").to_string()),
        ("max_bin", params.int("max_bin").to_string()),
        (
            "min_child_weight",
            params.float("min_child_weight").to_string(),
        ),
        ("subsample", params.float("subsample").to_string()),
        ("verbosity", "0".into()),
    ];
    let n_estimators = usize::try_from(params.int("n_estimators")).unwrap_or(1);
    if algorithm == Algorithm::RandomForest {
        // scikit-learn's max_features: sqrt(p) of the features for classification, all for regression.
        let max_features = params
            .opt_float("max_features")
            .unwrap_or(if classification {
                ((p as f64).sqrt().floor().max(1.0) / p.max(1) as f64).min(1.0)
            } else {
                1.0
            });
        let depth = params.int("max_depth");
        out.extend([
            ("tree_method", "hist".to_string()),
            ("learning_rate", "1".to_string()),
            // Leaves are plain averages, as in scikit-learn's forests: no L2 shrinkage.
            ("reg_lambda", "0".to_string()),
            ("num_parallel_tree", n_estimators.to_string()),
            ("colsample_bynode", max_features.to_string()),
            ("max_depth", depth.to_string()),
            // Unlimited depth (scikit-learn's default) needs XGBoost's loss-guided growth.
            (
                "grow_policy",
                if depth == 0 { "lossguide" } else { "depthwise" }.to_string(),
            ),
        ]);
        return Ok(xgboost::Options {
            rounds: 1,
            params: out,
        });
    }
    out.extend([
        ("tree_method", params.str("tree_method").to_string()),
        ("max_depth", params.int("max_depth").to_string()),
        (
            "learning_rate",
            alias(params, "learning_rate", "eta", 0.3)?.to_string(),
        ),
        (
            "reg_lambda",
            alias(params, "lambda", "reg_lambda", 1.0)?.to_string(),
        ),
        (
            "reg_alpha",
            alias(params, "alpha", "reg_alpha", 0.0)?.to_string(),
        ),
        ("gamma", params.float("gamma").to_string()),
        (
            "colsample_bytree",
            params.float("colsample_bytree").to_string(),
        ),
        (
            "colsample_bylevel",
            params.float("colsample_bylevel").to_string(),
        ),
        (
            "colsample_bynode",
            params.float("colsample_bynode").to_string(),
        ),
    ]);
    Ok(xgboost::Options {
        rounds: n_estimators,
        params: out,
    })
}

/// Labels for `fit`: regression targets, or class codes 0..k for classification.
#[derive(Debug, Clone, Copy)]
pub enum Labels<'a> {
    Values(&'a [f32]),
    Classes {
        codes: &'a [u32],
        num_classes: usize,
    },
    /// Clustering and decomposition learn from the features alone.
    None,
}

/// Trains `algorithm` for `task`. `check_interrupts` is called between iterations; it may unwind
/// (PostgreSQL's query cancel), so nothing here holds state that must be cleaned up.
pub fn fit(
    algorithm: Algorithm,
    task: Task,
    params: &Hyperparams,
    x: &Matrix,
    labels: Labels<'_>,
    check_interrupts: &dyn Fn(),
) -> Result<Estimator> {
    let fit_intercept = params.bool("fit_intercept");
    match (algorithm, task, labels) {
        (Algorithm::Linear, Task::Regression, Labels::Values(y)) => Ok(Estimator::Linear(
            linear::fit_least_squares(x, y, 0.0, fit_intercept, check_interrupts),
        )),
        (Algorithm::Ridge, Task::Regression, Labels::Values(y)) => Ok(Estimator::Linear(
            linear::fit_least_squares(x, y, params.float("alpha"), fit_intercept, check_interrupts),
        )),
        (Algorithm::Lasso | Algorithm::ElasticNet, Task::Regression, Labels::Values(y)) => {
            let l1_ratio = if algorithm == Algorithm::Lasso {
                1.0
            } else {
                params.float("l1_ratio")
            };
            Ok(Estimator::Linear(linear::fit_coordinate_descent(
                x,
                y,
                params.float("alpha"),
                l1_ratio,
                fit_intercept,
                usize::try_from(params.int("max_iter")).unwrap_or(1),
                params.float("tol"),
                check_interrupts,
            )))
        }
        (Algorithm::Ridge, Task::Classification, Labels::Classes { codes, num_classes }) => {
            Ok(Estimator::Linear(linear::fit_ridge_classifier(
                x,
                codes,
                num_classes,
                params.float("alpha"),
                fit_intercept,
                check_interrupts,
            )))
        }
        (Algorithm::Linear, Task::Classification, Labels::Classes { codes, num_classes }) => {
            Ok(Estimator::Logistic(logistic::fit(
                x,
                codes,
                num_classes,
                logistic::Options {
                    c: if params.str("penalty") == "none" {
                        f64::INFINITY
                    } else {
                        params.float("C")
                    },
                    fit_intercept,
                    max_iter: usize::try_from(params.int("max_iter")).unwrap_or(1),
                    tol: params.float("tol"),
                },
                check_interrupts,
            )?))
        }
        (
            Algorithm::Xgboost | Algorithm::RandomForest,
            _,
            Labels::Values(_) | Labels::Classes { .. },
        ) => {
            let opts = xgboost_options(
                algorithm,
                params,
                x.cols(),
                matches!(labels, Labels::Classes { .. }),
            )?;
            Ok(Estimator::Trees(xgboost::fit(
                x,
                labels,
                &opts,
                check_interrupts,
            )?))
        }
        (Algorithm::Kmeans, Task::Clustering, _) => Ok(Estimator::KMeans(kmeans::fit(
            x,
            &kmeans::Options {
                n_clusters: usize::try_from(params.int("n_clusters")).unwrap_or(1),
                max_iter: usize::try_from(params.int("max_iter")).unwrap_or(1),
                tol: params.float("tol"),
                seed: params.int("random_state").unsigned_abs(),
            },
            check_interrupts,
        )?)),
        (Algorithm::Pca, Task::Decomposition, _) => Ok(Estimator::Pca(pca::fit(
            x,
            params
                .opt_int("n_components")
                .and_then(|n| usize::try_from(n).ok()),
            check_interrupts,
        )?)),
        (a, t, _) => Err(Error::not_supported(
            format!("algorithm {} does not support {t}", a.as_str()),
            "choose another algorithm",
        )),
    }
}

impl Estimator {
    /// Width of the feature vector this estimator expects.
    pub fn num_features(&self) -> usize {
        match self {
            Estimator::Linear(m) => m.num_features(),
            Estimator::Logistic(m) => m.num_features(),
            Estimator::KMeans(m) => m.num_features(),
            Estimator::Pca(m) => m.num_features(),
            Estimator::Trees(m) => m.ensemble.num_features,
        }
    }

    /// The prediction for one row: a value (regression), a class code (classification) or a
    /// cluster (clustering); None for decomposition, which has `decompose` instead.
    pub fn predict(&self, x: &[f32]) -> Option<f32> {
        match self {
            Estimator::Linear(m) => Some(m.predict(x)),
            Estimator::Logistic(m) => Some(m.predict(x)),
            Estimator::KMeans(m) => Some(m.predict(x)),
            Estimator::Trees(m) => Some(m.ensemble.predict(x)),
            Estimator::Pca(_) => None,
        }
    }

    /// The row projected onto the model's components (decomposition only).
    pub fn decompose(&self, x: &[f32]) -> Option<Vec<f32>> {
        match self {
            Estimator::Pca(m) => Some(m.decompose(x)),
            _ => None,
        }
    }

    /// Class probabilities for one row, or None for estimators without them.
    pub fn predict_proba(&self, x: &[f32]) -> Option<Vec<f32>> {
        match self {
            Estimator::Linear(_) | Estimator::KMeans(_) | Estimator::Pca(_) => None,
            Estimator::Logistic(m) => Some(m.predict_proba(x)),
            Estimator::Trees(m) => m.ensemble.predict_proba(x),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;
    use serde_json::json;

    fn data() -> (Matrix, Vec<f32>, Vec<u32>) {
        let rows: Vec<Vec<f32>> = (0..200)
            .map(|i| vec![(i % 17) as f32, ((i * 7) % 13) as f32, (i % 5) as f32])
            .collect();
        let y: Vec<f32> = rows
            .iter()
            .map(|r| r[0] - 2.0 * r[1] + 0.5 * r[2])
            .collect();
        let codes: Vec<u32> = rows.iter().map(|r| u32::from(r[0] + r[2] > r[1])).collect();
        (Matrix::from_rows(&rows).unwrap(), y, codes)
    }

    /// Query cancel reaches every iterative fit: the check is called at least once per iteration.
    #[test]
    fn every_iterative_fit_checks_for_interrupts_each_iteration() {
        let (x, y, codes) = data();
        let cases: [(Algorithm, Task, serde_json::Value, usize); 3] = [
            (
                Algorithm::Lasso,
                Task::Regression,
                json!({"alpha": 1e-9, "max_iter": 7, "tol": 1e-300}),
                7,
            ),
            (
                Algorithm::ElasticNet,
                Task::Regression,
                json!({"alpha": 1e-9, "max_iter": 4, "tol": 1e-300}),
                4,
            ),
            (
                Algorithm::Linear,
                Task::Classification,
                json!({"max_iter": 5, "tol": 1e-300}),
                5,
            ),
        ];
        for (algorithm, task, hp, iterations) in cases {
            let calls = Cell::new(0usize);
            let params = algorithm.resolve(task, &hp).unwrap();
            let labels = match task {
                Task::Classification => Labels::Classes {
                    codes: &codes,
                    num_classes: 2,
                },
                _ => Labels::Values(&y),
            };
            fit(algorithm, task, &params, &x, labels, &|| {
                calls.set(calls.get() + 1)
            })
            .unwrap();
            assert!(
                calls.get() >= iterations,
                "{algorithm:?}: {} checks for {iterations} iterations",
                calls.get()
            );
        }
    }

    /// A check that raises (PostgreSQL's cancel unwinds through Rust) stops the fit at once.
    #[test]
    fn an_interrupt_stops_the_fit() {
        let (x, _, codes) = data();
        let params = Algorithm::Linear
            .resolve(Task::Classification, &json!({}))
            .unwrap();
        let stopped = std::panic::catch_unwind(|| {
            fit(
                Algorithm::Linear,
                Task::Classification,
                &params,
                &x,
                Labels::Classes {
                    codes: &codes,
                    num_classes: 2,
                },
                &|| panic!("canceling statement due to user request"),
            )
        });
        assert!(stopped.is_err());
    }

    #[test]
    fn names_tasks_and_hyperparameters_are_checked_before_any_data() {
        assert!(matches!(
            Algorithm::parse("svm"),
            Err(Error::NotSupported { .. })
        ));
        assert!(matches!(
            Algorithm::parse("nope"),
            Err(Error::InvalidParameter { .. })
        ));
        let e = Algorithm::Lasso
            .resolve(Task::Classification, &json!({}))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "algorithm lasso does not support classification"
        );
        assert_eq!(
            e.hint(),
            Some("algorithms for classification: linear, ridge, xgboost, random_forest")
        );
        let h = Algorithm::Linear
            .resolve(Task::Classification, &json!({}))
            .unwrap();
        assert_eq!(h.float("C"), 1.0);
        assert_eq!(h.int("max_iter"), 100);
    }
}
