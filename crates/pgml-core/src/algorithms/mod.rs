//! The algorithms: one file per algorithm (or per family sharing a fit), each a [`Learner`] that
//! owns its name, tasks, hyperparameter table, typed options and fit; trained models are plain data
//! (serde) implementing [`Predictor`], evaluated in Rust. [`registry::ALL`] lists the learners; the
//! supported lists, hint texts and the checks of the SQL enum and the docs all come from it.
//!
//! Adding an algorithm: a new file with a `Learner`, one line in `registry.rs`, a row in
//! docs/sql-reference.md, and its tests (the registry's tests then train it on every toy dataset
//! of its tasks). A new kind of fitted model also gets a line in `fitted_kinds!` below.

pub mod ada_boost;
pub mod affinity_propagation;
pub mod automatic_relevance_determination;
pub mod bagging;
pub mod bayesian_ridge;
pub mod birch;
pub mod boosting;
pub mod cart;
pub mod catboost;
pub mod catboost_borders;
pub mod catboost_ctr;
pub mod clustering;
pub mod dbscan;
pub mod elastic_net;
pub mod extra_trees;
pub mod feature_agglomeration;
pub mod forest;
pub mod gaussian_process;
pub mod gaussian_process_classifier;
pub mod gp_kernel;
pub mod gradient_boosting_trees;
pub mod hist_gradient_boosting;
pub mod hist_grower;
pub mod huber;
pub mod joint;
pub mod kernel_ridge;
pub mod kmeans;
pub mod lars;
pub mod lasso;
pub mod least_angle;
pub mod least_squares;
pub mod lightgbm;
mod lightgbm_params;
pub mod linear;
pub mod linear_svm;
pub mod logistic;
pub mod mean_shift;
pub mod mini_batch_kmeans;
pub mod nu_svm;
pub mod optics;
pub mod orthogonal_matching_pursuit;
pub mod packed;
mod params;
pub mod passive_aggressive;
pub mod pca;
pub mod perceptron;
pub mod quantile;
pub mod random_forest;
pub mod ransac;
pub mod registry;
pub mod ridge;
pub mod sgd;
pub mod spectral;
pub mod stochastic_gradient_descent;
pub mod svm;
mod svm_dual;
pub mod svm_solver;
#[cfg(test)]
mod test_support;
pub mod theil_sen;
pub mod trees;
pub mod xgboost;
pub mod xgboost_random_forest;

use crate::hyperparams::{self, Hyperparams, Param};
use crate::metrics::Metrics;
use crate::{Error, Matrix, Result, Task};

pub use least_squares::{LinearModel, Output as LinearOutput};
pub use logistic::LogisticModel;

/// One algorithm, as its own file defines it.
pub trait Learner: Sync + std::panic::RefUnwindSafe + 'static {
    /// Its hyperparameters as typed values, read once from the checked ones.
    type Options;

    /// The name in `pgml.algorithm` (PostgresML's).
    fn name(&self) -> &'static str;
    fn tasks(&self) -> &'static [Task];
    /// What `(self, task)` is called in scikit-learn (or XGBoost) terms: stored with every model
    /// it trains and shown in messages.
    fn estimator_name(&self, task: Task) -> &'static str;
    /// The hyperparameters it accepts for `task`, with types, ranges and defaults.
    fn params(&self, task: Task) -> &'static [Param];
    /// The typed options; errors here are the user's (e.g. two names of one parameter given).
    fn options(&self, task: Task, params: &Hyperparams) -> Result<Self::Options>;
    /// Trains. `check_interrupts` is called between iterations; it may unwind (PostgreSQL's
    /// query cancel), so nothing here holds state that must be cleaned up.
    fn fit(
        &self,
        task: Task,
        options: &Self::Options,
        x: &Matrix,
        labels: Labels<'_>,
        check_interrupts: &dyn Fn(),
    ) -> Result<Fitted>;
}

/// What a trained model answers. Each fitted model type implements it; [`Estimator`] forwards.
pub trait Predictor {
    /// Width of the feature vector it expects.
    fn num_features(&self) -> usize;
    /// The prediction for one row: a value (regression), a class code (classification) or a
    /// cluster (clustering); None for decomposition, which has `decompose` instead.
    fn predict(&self, x: &[f32]) -> Option<f32>;
    /// Class probabilities for one row, or None for estimators without them.
    fn predict_proba(&self, _x: &[f32]) -> Option<Vec<f32>> {
        None
    }
    /// One prediction per target, in the targets' order: multi-output regression
    /// (`pgml.train_joint`) only.
    fn predict_joint(&self, _x: &[f32]) -> Option<Vec<f32>> {
        None
    }
    /// The row projected onto the model's components (decomposition only).
    fn decompose(&self, _x: &[f32]) -> Option<Vec<f32>> {
        None
    }
    /// Scores of clustering and decomposition on the test rows, which need the model itself
    /// (silhouette, explained variance); supervised metrics come from predict alone.
    fn unsupervised_metrics(&self, _x: &Matrix) -> Metrics {
        Metrics::new()
    }
    /// Impurity-based feature importances summing to 1 (scikit-learn's `feature_importances_`),
    /// for tree models that compute them.
    fn feature_importances(&self) -> Option<Vec<f64>> {
        None
    }
    /// Scores the fit computed on the training rows itself (a forest's `oob_score`), added to
    /// the model's metrics.
    fn fit_metrics(&self) -> Metrics {
        Metrics::new()
    }
    /// Files kept beside the model that predict never reads: the library's own model format, for
    /// export (path, bytes).
    fn native_files(&self) -> Vec<(&'static str, &[u8])> {
        Vec::new()
    }
}

/// The object-safe face of a [`Learner`], so that the registry can list learners whose options
/// differ in type.
pub(crate) trait Registered: Sync + std::panic::RefUnwindSafe {
    fn name(&self) -> &'static str;
    fn tasks(&self) -> &'static [Task];
    fn estimator_name(&self, task: Task) -> &'static str;
    fn params(&self, task: Task) -> &'static [Param];
    fn check_options(&self, task: Task, params: &Hyperparams) -> Result<()>;
    fn fit(
        &self,
        task: Task,
        params: &Hyperparams,
        x: &Matrix,
        labels: Labels<'_>,
        check_interrupts: &dyn Fn(),
    ) -> Result<Fitted>;
}

impl<L: Learner> Registered for L {
    fn name(&self) -> &'static str {
        Learner::name(self)
    }
    fn tasks(&self) -> &'static [Task] {
        Learner::tasks(self)
    }
    fn estimator_name(&self, task: Task) -> &'static str {
        Learner::estimator_name(self, task)
    }
    fn params(&self, task: Task) -> &'static [Param] {
        Learner::params(self, task)
    }
    fn check_options(&self, task: Task, params: &Hyperparams) -> Result<()> {
        self.options(task, params).map(drop)
    }
    fn fit(
        &self,
        task: Task,
        params: &Hyperparams,
        x: &Matrix,
        labels: Labels<'_>,
        check_interrupts: &dyn Fn(),
    ) -> Result<Fitted> {
        let options = self.options(task, params)?;
        Learner::fit(self, task, &options, x, labels, check_interrupts)
    }
}

/// An algorithm of the registry: a cheap handle, compared and shown by name.
#[derive(Clone, Copy)]
pub struct Algorithm(pub(crate) &'static dyn Registered);

impl PartialEq for Algorithm {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}
impl Eq for Algorithm {}

impl std::hash::Hash for Algorithm {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl std::fmt::Debug for Algorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Algorithm({})", self.as_str())
    }
}

impl std::fmt::Display for Algorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Algorithm {
    /// Every algorithm pgml trains, in the order messages list them.
    pub fn all() -> &'static [Algorithm] {
        registry::ALL
    }

    pub fn as_str(self) -> &'static str {
        self.0.name()
    }

    /// The registered algorithm of this name, if any.
    pub fn named(name: &str) -> Option<Algorithm> {
        Self::all().iter().copied().find(|a| a.as_str() == name)
    }

    /// Parses an algorithm name. Names PostgresML accepts but pgml does not train yet are a
    /// "not supported" error; anything else is an unknown name. Both list what is supported.
    pub fn parse(name: &str) -> Result<Algorithm> {
        if let Some(a) = Self::named(name) {
            return Ok(a);
        }
        let supported = registry::names().join(", ");
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
            ("linear", Task::Clustering) => Algorithm::parse("kmeans"),
            ("linear", Task::Decomposition) => Algorithm::parse("pca"),
            _ => Algorithm::parse(name),
        }
    }

    pub fn tasks(self) -> &'static [Task] {
        self.0.tasks()
    }

    pub fn supports(self, task: Task) -> bool {
        self.tasks().contains(&task)
    }

    /// What `(self, task)` is called in scikit-learn terms, for messages and the catalog.
    pub fn estimator_name(self, task: Task) -> &'static str {
        self.0.estimator_name(task)
    }

    pub fn params(self, task: Task) -> &'static [Param] {
        self.0.params(task)
    }

    /// Whether it takes missing values (NaN) itself, so that a NULL feature reaches it as NaN
    /// ([`registry::HANDLE_MISSING_VALUES`]).
    pub fn handles_missing_values(self) -> bool {
        registry::HANDLE_MISSING_VALUES.contains(&self.as_str())
    }

    fn unsupported(self, task: Task, hint: String) -> Error {
        Error::not_supported(
            format!("algorithm {} does not support {task}", self.as_str()),
            hint,
        )
    }

    /// Checks the pair and the user's hyperparameters before any data is read: the values
    /// against the table, then the typed options built from them.
    pub fn resolve(self, task: Task, given: &serde_json::Value) -> Result<Hyperparams> {
        if !self.supports(task) {
            return Err(self.unsupported(
                task,
                format!(
                    "algorithms for {task}: {}",
                    registry::for_task(task).join(", ")
                ),
            ));
        }
        let params = hyperparams::resolve(self.as_str(), self.params(task), given)?;
        self.0.check_options(task, &params)?;
        Ok(params)
    }

    /// Trains `self` for `task` on resolved hyperparameters (see [`Learner::fit`]).
    pub fn fit(
        self,
        task: Task,
        params: &Hyperparams,
        x: &Matrix,
        labels: Labels<'_>,
        check_interrupts: &dyn Fn(),
    ) -> Result<Estimator> {
        if !self.supports(task) {
            return Err(self.unsupported(task, "choose another algorithm".into()));
        }
        let fitted = self.0.fit(task, params, x, labels, check_interrupts)?;
        Ok(Estimator::new(self.estimator_name(task), fitted))
    }
}

/// Trains `algorithm` for `task` (see [`Algorithm::fit`]).
pub fn fit(
    algorithm: Algorithm,
    task: Task,
    params: &Hyperparams,
    x: &Matrix,
    labels: Labels<'_>,
    check_interrupts: &dyn Fn(),
) -> Result<Estimator> {
    algorithm.fit(task, params, x, labels, check_interrupts)
}

/// The error of a learner handed labels its task does not have (a caller's mistake).
pub(crate) fn wrong_labels(algorithm: &str, task: Task) -> Error {
    Error::not_supported(
        format!("algorithm {algorithm} does not support {task}"),
        "choose another algorithm",
    )
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
    "optics",
    "feature_agglomeration",
];

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

/// Declares the kinds of fitted model: one line each, `Variant(Type) = "stored name"`. The
/// stored name is what a model file records (never the variant's position), so the names must
/// never change; `tests::fitted_kind_names_are_pinned` holds them.
macro_rules! fitted_kinds {
    ($($variant:ident($ty:ty) = $kind:literal,)*) => {
        /// A trained estimator's data, by kind.
        #[derive(Debug, Clone, PartialEq)]
        pub enum Fitted {
            $($variant($ty),)*
        }

        impl Fitted {
            /// Every kind's stored name.
            pub const KINDS: &'static [&'static str] = &[$($kind),*];

            /// The stored name of this kind.
            pub fn kind(&self) -> &'static str {
                match self {
                    $(Fitted::$variant(_) => $kind,)*
                }
            }

            pub fn predictor(&self) -> &dyn Predictor {
                match self {
                    $(Fitted::$variant(m) => m,)*
                }
            }

            /// The data alone (postcard); its kind is stored beside it.
            pub(crate) fn to_bytes(&self) -> std::result::Result<Vec<u8>, postcard::Error> {
                match self {
                    $(Fitted::$variant(m) => postcard::to_stdvec(m),)*
                }
            }

            /// None for a kind this pgml does not know.
            pub(crate) fn from_bytes(
                kind: &str,
                bytes: &[u8],
            ) -> Option<std::result::Result<Fitted, postcard::Error>> {
                match kind {
                    $($kind => Some(exactly::<$ty>(bytes).map(Fitted::$variant)),)*
                    _ => None,
                }
            }
        }
    };
}

fitted_kinds! {
    Linear(LinearModel) = "linear_model",
    Logistic(LogisticModel) = "logistic_model",
    KMeans(kmeans::KMeansModel) = "kmeans_model",
    Pca(pca::PcaModel) = "pca_model",
    XgboostTrees(xgboost::XgboostModel) = "xgboost_trees",
    Forest(forest::ForestModel) = "cart_forest",
    AdaBoost(ada_boost::AdaBoostModel) = "adaboost_trees",
    OvrLinear(sgd::OvrLinearModel) = "ovr_linear_model",
    Svm(svm_solver::SvmModel) = "svm_model",
    KernelRidge(kernel_ridge::KernelRidgeModel) = "kernel_ridge_model",
    GradientBoosting(gradient_boosting_trees::GradientBoostingModel) = "gradient_boosting_trees",
    HistGradientBoosting(hist_gradient_boosting::HistGradientBoostingModel) = "hist_gradient_boosting_trees",
    GaussianProcess(gaussian_process::GaussianProcessModel) = "gaussian_process_model",
    SvmProbability(svm_solver::SvmProbabilityModel) = "svm_probability_model",
    NearestSample(clustering::NearestSampleModel) = "nearest_sample_model",
    WhitenedPca(pca::WhitenedPca) = "whitened_pca_model",
    FeatureAgglomeration(feature_agglomeration::FeatureAgglomerationModel) = "feature_agglomeration_model",
    CatBoost(catboost::CatBoostModel) = "catboost_oblivious_trees",
    Lightgbm(lightgbm::LightgbmModel) = "lightgbm_trees",
    Joint(joint::JointModel) = "joint_model",
    GaussianProcessClassifier(gaussian_process_classifier::GaussianProcessClassifierModel) = "gaussian_process_classifier_model",
    MultiOutputForest(forest::MultiOutputForest) = "cart_forest_multi_output",
}

/// Decodes `bytes` as one `T`, refusing bytes left over (a sign of a layout mismatch).
fn exactly<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
) -> std::result::Result<T, postcard::Error> {
    let (value, rest) = postcard::take_from_bytes(bytes)?;
    if rest.is_empty() {
        Ok(value)
    } else {
        Err(postcard::Error::DeserializeBadEncoding)
    }
}

/// A trained estimator: what it is (scikit-learn's or XGBoost's class name) and its data.
///
/// The name is stored with the model rather than derived from its algorithm, so a model keeps
/// its identity when an algorithm name later means something else (0.2.0's `random_forest` is
/// XGBoost's random-forest mode, `XGBRFClassifier`, whatever `random_forest` trains later).
#[derive(Debug, Clone, PartialEq)]
pub struct Estimator {
    name: &'static str,
    fitted: Fitted,
}

impl Estimator {
    /// Only the crate builds estimators, so a stored name is always a registered one.
    pub(crate) fn new(name: &'static str, fitted: Fitted) -> Estimator {
        Estimator { name, fitted }
    }

    /// scikit-learn's (or XGBoost's) name for it: `LogisticRegression`, `XGBRFClassifier`, ...
    pub fn name(&self) -> &'static str {
        self.name
    }

    pub fn fitted(&self) -> &Fitted {
        &self.fitted
    }

    pub(crate) fn into_fitted(self) -> Fitted {
        self.fitted
    }

    pub fn num_features(&self) -> usize {
        self.fitted.predictor().num_features()
    }

    /// See [`Predictor::predict`].
    pub fn predict(&self, x: &[f32]) -> Option<f32> {
        self.fitted.predictor().predict(x)
    }

    /// See [`Predictor::predict_proba`].
    pub fn predict_proba(&self, x: &[f32]) -> Option<Vec<f32>> {
        self.fitted.predictor().predict_proba(x)
    }

    /// See [`Predictor::predict_joint`].
    pub fn predict_joint(&self, x: &[f32]) -> Option<Vec<f32>> {
        self.fitted.predictor().predict_joint(x)
    }

    /// See [`Predictor::decompose`].
    pub fn decompose(&self, x: &[f32]) -> Option<Vec<f32>> {
        self.fitted.predictor().decompose(x)
    }

    /// See [`Predictor::unsupervised_metrics`].
    pub fn unsupervised_metrics(&self, x: &Matrix) -> Metrics {
        self.fitted.predictor().unsupervised_metrics(x)
    }

    /// See [`Predictor::feature_importances`].
    pub fn feature_importances(&self) -> Option<Vec<f64>> {
        self.fitted.predictor().feature_importances()
    }

    /// See [`Predictor::fit_metrics`].
    pub fn fit_metrics(&self) -> Metrics {
        self.fitted.predictor().fit_metrics()
    }

    /// See [`Predictor::native_files`].
    pub fn native_files(&self) -> Vec<(&'static str, &[u8])> {
        self.fitted.predictor().native_files()
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

    fn named(name: &str) -> Algorithm {
        Algorithm::parse(name).unwrap()
    }

    /// Query cancel reaches every iterative fit: the check is called at least once per iteration.
    #[test]
    fn every_iterative_fit_checks_for_interrupts_each_iteration() {
        let (x, y, codes) = data();
        let cases: [(&str, Task, serde_json::Value, usize); 5] = [
            (
                "lasso",
                Task::Regression,
                json!({"alpha": 1e-9, "max_iter": 7, "tol": 1e-300}),
                7,
            ),
            (
                "elastic_net",
                Task::Regression,
                json!({"alpha": 1e-9, "max_iter": 4, "tol": 1e-300}),
                4,
            ),
            (
                "linear",
                Task::Classification,
                json!({"max_iter": 5, "tol": 1e-300}),
                5,
            ),
            (
                "stochastic_gradient_descent",
                Task::Regression,
                json!({"max_iter": 6, "tol": -1e300, "eta0": 1e-6}),
                6,
            ),
            (
                "passive_aggressive",
                Task::Classification,
                json!({"max_iter": 6, "tol": -1e300}),
                6,
            ),
        ];
        for (name, task, hp, iterations) in cases {
            let algorithm = named(name);
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
        let linear = named("linear");
        let params = linear.resolve(Task::Classification, &json!({})).unwrap();
        let stopped = std::panic::catch_unwind(|| {
            fit(
                linear,
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
            Algorithm::parse("spectral_co"),
            Err(Error::NotSupported { .. })
        ));
        assert!(matches!(
            Algorithm::parse("nope"),
            Err(Error::InvalidParameter { .. })
        ));
        let e = named("lasso")
            .resolve(Task::Classification, &json!({}))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "algorithm lasso does not support classification"
        );
        assert_eq!(
            e.hint(),
            Some("algorithms for classification: linear, ridge, xgboost, random_forest, xgboost_random_forest, extra_trees, bagging, ada_boost, stochastic_gradient_descent, perceptron, passive_aggressive, svm, nu_svm, gradient_boosting_trees, hist_gradient_boosting, linear_svm, gaussian_process, catboost, lightgbm")
        );
        let h = named("linear")
            .resolve(Task::Classification, &json!({}))
            .unwrap();
        assert_eq!(h.float("C"), Ok(1.0));
        assert_eq!(h.int("max_iter"), Ok(100));
        // Typed options are built at resolve time: a conflict among them is caught before data.
        let e = named("xgboost")
            .resolve(Task::Regression, &json!({"eta": 0.1, "learning_rate": 0.2}))
            .unwrap_err();
        assert_eq!(
            e.hint(),
            Some("learning_rate and eta are two names of one hyperparameter")
        );
    }

    /// The messages name the algorithms in the registry's order, as 0.2.0 did (the extension's
    /// expected-output tests hold these texts).
    #[test]
    fn hints_list_the_registry() {
        assert_eq!(
            Algorithm::parse("spectral_co").unwrap_err().hint(),
            Some("supported algorithms: linear, ridge, lasso, elastic_net, xgboost, random_forest, kmeans, pca, xgboost_random_forest, extra_trees, bagging, ada_boost, stochastic_gradient_descent, perceptron, passive_aggressive, svm, nu_svm, kernel_ridge, bayesian_ridge, orthogonal_matching_pursuit, huber, gradient_boosting_trees, hist_gradient_boosting, linear_svm, least_angle, lasso_least_angle, automatic_relevance_determination, ransac, theil_sen, quantile, gaussian_process, mini_batch_kmeans, dbscan, optics, birch, mean_shift, affinity_propagation, spectral, feature_agglomeration, catboost, lightgbm")
        );
        assert_eq!(
            named("xgboost")
                .resolve(Task::Clustering, &json!({}))
                .unwrap_err()
                .hint(),
            Some("algorithms for clustering: kmeans, mini_batch_kmeans, dbscan, optics, birch, mean_shift, affinity_propagation, spectral")
        );
        assert_eq!(
            Algorithm::for_task("linear", Task::Decomposition),
            Ok(named("pca"))
        );
    }

    /// A model file names its fitted data's kind: these names are stored, so they never change.
    #[test]
    fn fitted_kind_names_are_pinned() {
        assert_eq!(
            Fitted::KINDS,
            [
                "linear_model",
                "logistic_model",
                "kmeans_model",
                "pca_model",
                "xgboost_trees",
                "cart_forest",
                "adaboost_trees",
                "ovr_linear_model",
                "svm_model",
                "kernel_ridge_model",
                "gradient_boosting_trees",
                "hist_gradient_boosting_trees",
                "gaussian_process_model",
                "svm_probability_model",
                "nearest_sample_model",
                "whitened_pca_model",
                "feature_agglomeration_model",
                "catboost_oblivious_trees",
                "lightgbm_trees",
                "joint_model",
                "gaussian_process_classifier_model",
                "cart_forest_multi_output",
            ]
        );
        assert!(Fitted::from_bytes("random_forest_trees", &[]).is_none());
    }

    /// Enums inside fitted data are stored by name as well: reordering their variants changes
    /// no stored byte.
    #[test]
    fn enums_inside_fitted_data_are_stored_by_name() {
        use trees::Objective;
        fn bytes<T: serde::Serialize>(v: &T) -> Vec<u8> {
            postcard::to_stdvec(v).unwrap()
        }
        assert_eq!(bytes(&LinearOutput::Sign), b"\x04sign");
        assert_eq!(bytes(&LinearOutput::Argmax), b"\x06argmax");
        assert_eq!(bytes(&Objective::Logistic), b"\x0fbinary:logistic\x00");
        assert_eq!(
            bytes(&Objective::Softprob { num_class: 3 }),
            b"\x0emulti:softprob\x03"
        );
        assert_eq!(bytes(&Objective::SquaredError), b"\x10reg:squarederror\x00");
        for o in [
            Objective::SquaredError,
            Objective::Logistic,
            Objective::Softprob { num_class: 7 },
        ] {
            let b = postcard::to_stdvec(&o).unwrap();
            assert_eq!(postcard::from_bytes::<Objective>(&b).unwrap(), o);
        }
        assert!(postcard::from_bytes::<LinearOutput>(b"\x04tanh").is_err());
    }
}
