//! The list of algorithms pgml trains. Messages list them in this order.

use super::{
    ada_boost, bagging, bayesian_ridge, elastic_net, extra_trees, kernel_ridge, kmeans, lasso,
    linear, nu_svm, passive_aggressive, pca, perceptron, random_forest, ridge,
    stochastic_gradient_descent, svm, xgboost, xgboost_random_forest, Algorithm,
};
use super::{
    affinity_propagation, automatic_relevance_determination, birch, catboost, dbscan,
    feature_agglomeration, gaussian_process, gradient_boosting_trees, hist_gradient_boosting,
    huber, least_angle, lightgbm, linear_svm, mean_shift, mini_batch_kmeans, optics,
    orthogonal_matching_pursuit, quantile, ransac, spectral, theil_sen,
};
use crate::Task;

pub const ALL: &[Algorithm] = &[
    Algorithm(&linear::Linear),
    Algorithm(&ridge::Ridge),
    Algorithm(&lasso::Lasso),
    Algorithm(&elastic_net::ElasticNet),
    Algorithm(&xgboost::Xgboost),
    Algorithm(&random_forest::RandomForest),
    Algorithm(&kmeans::KMeans),
    Algorithm(&pca::Pca),
    Algorithm(&xgboost_random_forest::XgboostRandomForest),
    Algorithm(&extra_trees::ExtraTrees),
    Algorithm(&bagging::Bagging),
    Algorithm(&ada_boost::AdaBoost),
    Algorithm(&stochastic_gradient_descent::StochasticGradientDescent),
    Algorithm(&perceptron::Perceptron),
    Algorithm(&passive_aggressive::PassiveAggressive),
    Algorithm(&svm::Svm),
    Algorithm(&nu_svm::NuSvm),
    Algorithm(&kernel_ridge::KernelRidge),
    Algorithm(&bayesian_ridge::BayesianRidge),
    Algorithm(&orthogonal_matching_pursuit::OrthogonalMatchingPursuit),
    Algorithm(&huber::Huber),
    Algorithm(&gradient_boosting_trees::GradientBoostingTrees),
    Algorithm(&hist_gradient_boosting::HistGradientBoosting),
    Algorithm(&linear_svm::LinearSvm),
    Algorithm(&least_angle::LeastAngle),
    Algorithm(&least_angle::LassoLeastAngle),
    Algorithm(&automatic_relevance_determination::AutomaticRelevanceDetermination),
    Algorithm(&ransac::Ransac),
    Algorithm(&theil_sen::TheilSen),
    Algorithm(&quantile::Quantile),
    Algorithm(&gaussian_process::GaussianProcess),
    Algorithm(&mini_batch_kmeans::MiniBatchKMeans),
    Algorithm(&dbscan::Dbscan),
    Algorithm(&optics::Optics),
    Algorithm(&birch::Birch),
    Algorithm(&mean_shift::MeanShift),
    Algorithm(&affinity_propagation::AffinityPropagation),
    Algorithm(&spectral::Spectral),
    Algorithm(&feature_agglomeration::FeatureAgglomeration),
    Algorithm(&catboost::CatBoost),
    Algorithm(&lightgbm::Lightgbm),
];

/// The algorithms that learn from missing values themselves, as their scikit-learn estimator or
/// library does (HistGradientBoosting routes NaN at each split, XGBoost and LightGBM take NaN
/// as missing): a NULL feature reaches them as NaN, in training and at predict. Every other
/// algorithm refuses a NULL feature unless `preprocess` imputes it.
pub const HANDLE_MISSING_VALUES: &[&str] = &[
    "hist_gradient_boosting",
    "xgboost",
    "xgboost_random_forest",
    "lightgbm",
];

/// Every registered name, in order.
pub fn names() -> Vec<&'static str> {
    ALL.iter().map(|a| a.as_str()).collect()
}

/// The names of the algorithms that train `task`, in order.
pub fn for_task(task: Task) -> Vec<&'static str> {
    ALL.iter()
        .filter(|a| a.supports(task))
        .map(|a| a.as_str())
        .collect()
}

/// The registered estimator name equal to `name` (a stored model's estimator must be one).
pub fn estimator_name(name: &str) -> Option<&'static str> {
    ALL.iter()
        .flat_map(|a| a.tasks().iter().map(|&t| a.estimator_name(t)))
        .find(|&e| e == name)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::hyperparams::DefaultValue;

    #[test]
    fn missing_value_algorithms_are_registered() {
        for name in HANDLE_MISSING_VALUES {
            let a = Algorithm::named(name).unwrap_or_else(|| panic!("{name} is not registered"));
            assert!(a.handles_missing_values());
        }
        assert!(!Algorithm::named("random_forest")
            .unwrap()
            .handles_missing_values());
    }

    #[test]
    fn names_and_estimator_names_are_unique() {
        let names = names();
        assert_eq!(names.iter().collect::<HashSet<_>>().len(), names.len());
        for a in ALL {
            assert!(!a.tasks().is_empty(), "{a} trains no task");
            assert!(
                super::super::POSTGRESML_ALGORITHMS.contains(&a.as_str()),
                "{a} is not a PostgresML name"
            );
            for &t in a.tasks() {
                let params = a.params(t);
                let distinct: HashSet<&str> = params.iter().map(|p| p.name).collect();
                assert_eq!(distinct.len(), params.len(), "{a} {t}: a parameter twice");
                assert_eq!(
                    estimator_name(a.estimator_name(t)),
                    Some(a.estimator_name(t))
                );
            }
        }
    }

    /// Every algorithm's typed options build from its defaults for every task it trains: no
    /// option reads a name its table does not declare, or as another type.
    #[test]
    fn options_build_from_the_defaults() {
        for a in ALL {
            for &t in a.tasks() {
                a.resolve(t, &serde_json::json!({}))
                    .unwrap_or_else(|e| panic!("{a} {t}: {e}"));
            }
        }
    }

    /// And from every declared value set explicitly (each parameter given once, at its default
    /// where it has one), so a parameter the options never read would still be checked.
    #[test]
    fn options_build_with_every_parameter_given() {
        for a in ALL {
            for &t in a.tasks() {
                for p in a.params(t) {
                    let v = match p.default {
                        DefaultValue::Null => continue,
                        DefaultValue::Float(f) => serde_json::json!(f),
                        DefaultValue::Int(i) => serde_json::json!(i),
                        DefaultValue::Bool(b) => serde_json::json!(b),
                        DefaultValue::Str(s) => serde_json::json!(s),
                    };
                    let given = serde_json::json!({ p.name: v });
                    a.resolve(t, &given)
                        .unwrap_or_else(|e| panic!("{a} {t} {}: {e}", p.name));
                }
            }
        }
    }
}
