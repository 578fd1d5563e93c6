//! Accuracy on the built-in toy datasets against scikit-learn's on exactly the same split (rows
//! whose index is a multiple of 4 are the test set). The reference numbers come from
//! `benches/toy_accuracy_sklearn.py` (scikit-learn 1.5.2); pgml must be no worse than them minus a
//! small margin. Results are printed with `--nocapture` and recorded in docs/benchmarks.md.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use pgml_core::algorithms::{self, Algorithm, Labels};
use pgml_core::labels::{self, LabelKind};
use pgml_core::metrics;
use pgml_core::{datasets, Matrix, Task};

const MARGIN: f64 = 0.02;

struct Data {
    x: Vec<Vec<f32>>,
    labels: Vec<String>,
}

fn load(name: &str, label: &str) -> Data {
    let d = datasets::find(name).unwrap();
    let label_at = d.columns.iter().position(|(c, _)| *c == label).unwrap();
    let mut x = Vec::new();
    let mut labels = Vec::new();
    for row in d.rows() {
        let mut features = Vec::new();
        for (i, v) in row.iter().enumerate() {
            if i == label_at {
                labels.push(v.to_string());
            } else if v.starts_with('{') {
                features.extend(
                    v.split([',', '{', '}'])
                        .filter(|s| !s.is_empty())
                        .map(|s| s.parse::<f32>().unwrap()),
                );
            } else {
                features.push(match *v {
                    "true" => 1.0,
                    "false" => 0.0,
                    n => n.parse().unwrap(),
                });
            }
        }
        x.push(features);
    }
    Data { x, labels }
}

fn split<T: Clone>(v: &[T]) -> (Vec<T>, Vec<T>) {
    let train = v
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 4 != 0)
        .map(|(_, r)| r.clone())
        .collect();
    let test = v
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 4 == 0)
        .map(|(_, r)| r.clone())
        .collect();
    (train, test)
}

fn regression(name: &str, label: &str, algorithm: &str, hyperparams: &str) -> f64 {
    let d = load(name, label);
    let y: Vec<f32> = d.labels.iter().map(|v| v.parse().unwrap()).collect();
    let (xtr, xte) = split(&d.x);
    let (ytr, yte) = split(&y);
    let a = Algorithm::parse(algorithm).unwrap();
    let params = a
        .resolve(
            Task::Regression,
            &serde_json::from_str(hyperparams).unwrap(),
        )
        .unwrap();
    let m = algorithms::fit(
        a,
        Task::Regression,
        &params,
        &Matrix::from_rows(&xtr).unwrap(),
        Labels::Values(&ytr),
        &|| {},
    )
    .unwrap();
    let pred: Vec<f32> = xte.iter().map(|r| m.predict(r).unwrap()).collect();
    metrics::regression(&yte, &pred)["r2"]
}

fn classification(name: &str, label: &str, algorithm: &str) -> (f64, f64) {
    classification_with(name, label, algorithm, "{}")
}

fn classification_with(name: &str, label: &str, algorithm: &str, hyperparams: &str) -> (f64, f64) {
    let d = load(name, label);
    let kind = if d.labels[0] == "true" || d.labels[0] == "false" {
        LabelKind::Boolean
    } else {
        LabelKind::Numeric
    };
    let enc = labels::encode(&d.labels, kind).unwrap();
    let (xtr, xte) = split(&d.x);
    let (ytr, yte) = split(&enc.codes);
    let a = Algorithm::parse(algorithm).unwrap();
    let params = a
        .resolve(
            Task::Classification,
            &serde_json::from_str(hyperparams).unwrap(),
        )
        .unwrap();
    let k = enc.classes.len();
    let m = algorithms::fit(
        a,
        Task::Classification,
        &params,
        &Matrix::from_rows(&xtr).unwrap(),
        Labels::Classes {
            codes: &ytr,
            num_classes: k,
        },
        &|| {},
    )
    .unwrap();
    let pred: Vec<u32> = xte.iter().map(|r| m.predict(r).unwrap() as u32).collect();
    let got = metrics::classification(&yte, &pred, None, k);
    (got["accuracy"], got["f1"])
}

#[test]
fn regression_matches_scikit_learn() {
    // (dataset, label, algorithm, hyperparameters, scikit-learn's r2 on the same split)
    let cases = [
        (
            "diabetes",
            "target",
            "linear",
            "{}",
            SKLEARN_DIABETES_LINEAR,
        ),
        ("diabetes", "target", "ridge", "{}", SKLEARN_DIABETES_RIDGE),
        (
            "diabetes",
            "target",
            "lasso",
            r#"{"alpha": 0.1}"#,
            SKLEARN_DIABETES_LASSO,
        ),
        (
            "diabetes",
            "target",
            "elastic_net",
            r#"{"alpha": 0.01}"#,
            SKLEARN_DIABETES_ELASTIC_NET,
        ),
    ];
    for (name, label, algorithm, hp, reference) in cases {
        let r2 = regression(name, label, algorithm, hp);
        println!("{name:14} {algorithm:12} r2 {r2:.4} (scikit-learn {reference:.4})");
        assert!(
            r2 >= reference - MARGIN,
            "{name} {algorithm}: r2 {r2} < scikit-learn {reference} - {MARGIN}"
        );
    }
}

#[test]
fn classification_matches_scikit_learn() {
    // (dataset, label, algorithm, scikit-learn's accuracy on the same split)
    let cases = [
        (
            "breast_cancer",
            "malignant",
            "linear",
            SKLEARN_BREAST_CANCER_LOGISTIC,
        ),
        (
            "breast_cancer",
            "malignant",
            "ridge",
            SKLEARN_BREAST_CANCER_RIDGE,
        ),
        ("iris", "target", "linear", SKLEARN_IRIS_LOGISTIC),
        ("iris", "target", "ridge", SKLEARN_IRIS_RIDGE),
        ("wine", "target", "linear", SKLEARN_WINE_LOGISTIC),
        ("digits", "target", "linear", SKLEARN_DIGITS_LOGISTIC),
        ("digits", "target", "ridge", SKLEARN_DIGITS_RIDGE),
    ];
    for (name, label, algorithm, reference) in cases {
        let (accuracy, f1) = classification(name, label, algorithm);
        println!("{name:14} {algorithm:12} accuracy {accuracy:.4} f1 {f1:.4} (scikit-learn accuracy {reference:.4})");
        assert!(
            accuracy >= reference - MARGIN,
            "{name} {algorithm}: accuracy {accuracy} < scikit-learn {reference} - {MARGIN}"
        );
    }
}

#[test]
fn unsupervised_matches_scikit_learn() {
    let d = load("digits", "target");
    let (xtr, xte) = split(&d.x);
    let (xtr, xte) = (
        Matrix::from_rows(&xtr).unwrap(),
        Matrix::from_rows(&xte).unwrap(),
    );

    let pca = algorithms::pca::fit(&xtr, Some(3), &|| {}).unwrap();
    let ratio: f64 = pca.explained_variance_ratio.iter().sum();
    println!("digits         pca          explained_variance_ratio(3) {ratio:.4} (scikit-learn {SKLEARN_DIGITS_PCA3:.4})");
    assert!(
        (ratio - SKLEARN_DIGITS_PCA3).abs() < 1e-3,
        "PCA differs from scikit-learn: {ratio}"
    );

    let mut scores = Vec::new();
    for seed in 0..5 {
        let opts = algorithms::kmeans::Options {
            seed,
            ..algorithms::kmeans::Options::new(10)
        };
        let m = algorithms::kmeans::fit(&xtr, &opts, &|| {}).unwrap();
        let labels: Vec<usize> = (0..xte.rows())
            .map(|i| m.predict(&xte.row(i)) as usize)
            .collect();
        scores.push(algorithms::kmeans::silhouette(&xte, &labels, 10_000).unwrap());
    }
    let mean = scores.iter().sum::<f64>() / scores.len() as f64;
    println!("digits         kmeans       silhouette mean of 5 seeds {mean:.4} (scikit-learn {SKLEARN_DIGITS_KMEANS:.4})");
    assert!(
        mean >= SKLEARN_DIGITS_KMEANS - MARGIN,
        "k-means silhouette {mean}"
    );
}

#[test]
fn tree_ensembles_match_xgboost_and_scikit_learn() {
    // XGBoost: its Python package (1.7) with the same parameters gives the same model, so the
    // reference is exact. XGBoost's random-forest mode (`xgboost_random_forest`, 0.2.0's
    // `random_forest`) is randomized differently from scikit-learn's forest (it grows one forest
    // per class on the softmax gradient), so both sides are averaged over random_state 0..5 and
    // the margin is wider on these small test sets: on iris (38 test rows) it misclassifies
    // about 1.6 rows more than scikit-learn's Gini forest.
    const XGBRF_MARGIN: f64 = 0.05;
    let seeds = |f: &dyn Fn(String) -> f64| -> f64 {
        (0..5)
            .map(|seed| f(format!(r#"{{"random_state": {seed}}}"#)))
            .sum::<f64>()
            / 5.0
    };
    let r2 = regression("diabetes", "target", "xgboost", "{}");
    println!("diabetes       xgboost      r2 {r2:.4} (XGBoost 0.3631)");
    assert!(
        (r2 - 0.3631).abs() < 1e-3,
        "xgboost differs from XGBoost: {r2}"
    );
    let rf = seeds(&|hp| regression("diabetes", "target", "xgboost_random_forest", &hp));
    println!("diabetes       xgboost_random_forest r2 {rf:.4} (scikit-learn's forest {SKLEARN_DIABETES_RF:.4})");
    assert!(
        rf >= SKLEARN_DIABETES_RF - XGBRF_MARGIN,
        "xgboost_random_forest r2 {rf}"
    );
    for (name, label, xgb_reference, rf_reference) in [
        (
            "breast_cancer",
            "malignant",
            0.9510,
            SKLEARN_BREAST_CANCER_RF,
        ),
        ("iris", "target", 0.9474, SKLEARN_IRIS_RF),
        ("wine", "target", 1.0, SKLEARN_WINE_RF),
        ("digits", "target", 0.9689, SKLEARN_DIGITS_RF),
    ] {
        let (xgb, _) = classification_with(name, label, "xgboost", "{}");
        println!("{name:14} xgboost      accuracy {xgb:.4} (XGBoost {xgb_reference:.4})");
        assert!(
            (xgb - xgb_reference).abs() < 1e-3,
            "{name}: xgboost differs from XGBoost: {xgb}"
        );
        let rf = seeds(&|hp| classification_with(name, label, "xgboost_random_forest", &hp).0);
        println!("{name:14} xgboost_random_forest accuracy {rf:.4} (scikit-learn's forest {rf_reference:.4})");
        assert!(
            rf >= rf_reference - XGBRF_MARGIN,
            "{name}: xgboost_random_forest accuracy {rf} vs {rf_reference}"
        );
    }
}

/// pgml's own CART ensembles against scikit-learn's with the same defaults (AdaBoostClassifier
/// with algorithm SAMME, pgml's), both averaged over random_state 0..5 (`benches/tree_accuracy_sklearn.py`; docs/benchmarks.md has the table).
#[test]
fn cart_ensembles_match_scikit_learn() {
    let seeds = |f: &dyn Fn(String) -> f64| -> f64 {
        (0..5)
            .map(|seed| f(format!(r#"{{"random_state": {seed}}}"#)))
            .sum::<f64>()
            / 5.0
    };
    let cases: [(&str, &str, [f64; 4]); 5] = [
        (
            "diabetes",
            "target",
            [SKLEARN_DIABETES_RF, 0.4422, 0.3663, 0.4262],
        ),
        (
            "breast_cancer",
            "malignant",
            [SKLEARN_BREAST_CANCER_RF, 0.9762, 0.9357, 0.9860],
        ),
        (
            "digits",
            "target",
            [SKLEARN_DIGITS_RF, 0.9876, 0.9293, 0.7600],
        ),
        ("iris", "target", [SKLEARN_IRIS_RF, 0.9737, 0.9421, 0.9474]),
        ("wine", "target", [SKLEARN_WINE_RF, 1.0, 0.9822, 0.9778]),
    ];
    for (name, label, references) in cases {
        for (algorithm, reference) in ["random_forest", "extra_trees", "bagging", "ada_boost"]
            .into_iter()
            .zip(references)
        {
            let score = if name == "diabetes" {
                seeds(&|hp| regression(name, label, algorithm, &hp))
            } else {
                seeds(&|hp| classification_with(name, label, algorithm, &hp).0)
            };
            println!("{name:14} {algorithm:14} {score:.4} (scikit-learn {reference:.4})");
            assert!(
                score >= reference - MARGIN,
                "{name} {algorithm}: {score} < scikit-learn {reference} - {MARGIN}"
            );
        }
    }
}

/// The gradient boosters against scikit-learn 1.5.2's GradientBoosting and HistGradientBoosting with
/// the same defaults (`benches/tree_accuracy_sklearn.py`, mean of random_state 0..5; docs/benchmarks.md has
/// the table). HistGradientBoosting is deterministic here (no early stopping below 10 000 rows), so
/// one run; GradientBoosting's seed only breaks ties between equally good splits. Digits is a
/// test of its own so that the test threads share the work: its 5 gradient_boosting_trees fits
/// were ~32 s of the ~41 s of one test for all.
#[test]
fn gradient_boosting_matches_scikit_learn_on_digits() {
    gradient_boosting_matches_scikit_learn("digits", "target", [0.9729, 0.9733]);
}

#[test]
fn gradient_boosting_matches_scikit_learn_on_the_other_toy_datasets() {
    let cases: [(&str, &str, [f64; 2]); 4] = [
        ("diabetes", "target", [0.3939, 0.3784]),
        ("breast_cancer", "malignant", [0.9650, 0.9860]),
        ("iris", "target", [0.9474, 0.9737]),
        ("wine", "target", [0.9333, 1.0]),
    ];
    for (name, label, references) in cases {
        gradient_boosting_matches_scikit_learn(name, label, references);
    }
}

/// Both gradient boosters on one data set against scikit-learn's scores (`references`:
/// GradientBoosting's, HistGradientBoosting's).
fn gradient_boosting_matches_scikit_learn(name: &str, label: &str, references: [f64; 2]) {
    let seeds = |f: &dyn Fn(String) -> f64| -> f64 {
        (0..5)
            .map(|seed| f(format!(r#"{{"random_state": {seed}}}"#)))
            .sum::<f64>()
            / 5.0
    };
    for (algorithm, reference) in ["gradient_boosting_trees", "hist_gradient_boosting"]
        .into_iter()
        .zip(references)
    {
        let score = |hp: String| {
            if name == "diabetes" {
                regression(name, label, algorithm, &hp)
            } else {
                classification_with(name, label, algorithm, &hp).0
            }
        };
        let score = if algorithm == "hist_gradient_boosting" {
            score("{}".into())
        } else {
            seeds(&score)
        };
        println!("{name:14} {algorithm:24} {score:.4} (scikit-learn {reference:.4})");
        assert!(
            score >= reference - MARGIN,
            "{name} {algorithm}: {score} < scikit-learn {reference} - {MARGIN}"
        );
    }
}

/// Issue 11's deterministic algorithms: libsvm's solvers, KernelRidge, BayesianRidge,
/// OrthogonalMatchingPursuit and HuberRegressor reach
/// scikit-learn's optimum, so their scores are scikit-learn's (`benches/linear_accuracy_sklearn.py`,
/// scikit-learn 1.5.2, 2026-12-02). The SGD family is randomized: its comparison over 200 seeds is
/// the `linear_accuracy` example (docs/benchmarks.md).
#[test]
fn kernel_and_bayesian_models_match_scikit_learn() {
    for (algorithm, reference) in [
        ("svm", 0.1000),
        ("nu_svm", 0.1181),
        ("kernel_ridge", -3.2933),
        ("bayesian_ridge", 0.4655),
        ("orthogonal_matching_pursuit", 0.2641),
        ("huber", 0.4416),
    ] {
        let r2 = regression("diabetes", "target", algorithm, "{}");
        println!("diabetes       {algorithm:12} r2 {r2:.4} (scikit-learn {reference:.4})");
        assert!(
            r2 >= reference - MARGIN,
            "{algorithm}: r2 {r2} < scikit-learn {reference} - {MARGIN}"
        );
    }
    for (name, label, algorithm, reference) in [
        ("breast_cancer", "malignant", "svm", 0.9371),
        ("digits", "target", "svm", 0.9911),
        ("iris", "target", "svm", 0.9737),
        ("wine", "target", "svm", 0.6667),
        ("breast_cancer", "malignant", "nu_svm", 0.9301),
        ("digits", "target", "nu_svm", 0.9778),
        ("iris", "target", "nu_svm", 0.9737),
        ("wine", "target", "nu_svm", 0.7333),
    ] {
        let (accuracy, _) = classification(name, label, algorithm);
        println!("{name:14} {algorithm:12} accuracy {accuracy:.4} (scikit-learn {reference:.4})");
        assert!(
            accuracy >= reference - MARGIN,
            "{name} {algorithm}: accuracy {accuracy} < scikit-learn {reference} - {MARGIN}"
        );
    }
}

// scikit-learn 1.5.2 on the same split (`python3 benches/toy_accuracy_sklearn.py`, 2026-11-27).
// LogisticRegression with max_iter=10000 so that it converges on the raw features.
const SKLEARN_DIABETES_LINEAR: f64 = 0.4629;
const SKLEARN_DIABETES_RIDGE: f64 = 0.3999;
const SKLEARN_DIABETES_LASSO: f64 = 0.4670;
const SKLEARN_DIABETES_ELASTIC_NET: f64 = 0.3493;
const SKLEARN_BREAST_CANCER_LOGISTIC: f64 = 0.9720;
const SKLEARN_BREAST_CANCER_RIDGE: f64 = 0.9650;
const SKLEARN_IRIS_LOGISTIC: f64 = 1.0;
const SKLEARN_IRIS_RIDGE: f64 = 0.8421;
const SKLEARN_WINE_LOGISTIC: f64 = 1.0;
const SKLEARN_DIGITS_LOGISTIC: f64 = 0.9756;
const SKLEARN_DIGITS_RIDGE: f64 = 0.9422;
const SKLEARN_DIGITS_PCA3: f64 = 0.4038;
/// KMeans(n_clusters=10, n_init=1), mean over random_state 0..5.
const SKLEARN_DIGITS_KMEANS: f64 = 0.1745;
/// RandomForestRegressor/Classifier defaults, mean over random_state 0..5 (ExtraTrees and Bagging
/// references, the same way, are inline in `cart_ensembles_match_scikit_learn`).
const SKLEARN_DIABETES_RF: f64 = 0.4101;
const SKLEARN_BREAST_CANCER_RF: f64 = 0.9636;
const SKLEARN_IRIS_RF: f64 = 0.9632;
const SKLEARN_WINE_RF: f64 = 1.0;
const SKLEARN_DIGITS_RF: f64 = 0.9809;

/// Issue 11's second increment, each with its defaults against scikit-learn 1.5.2's estimator with
/// the same defaults (`benches/linear_accuracy_sklearn.py`, 2026-12-02). The deterministic ones
/// reach scikit-learn's optimum (their scores agree to four digits); `ransac` and `theil_sen`
/// draw random subsets, so both sides are averaged over seeds (scikit-learn over 1000 and 200,
/// pgml over fewer here to keep the test short; docs/benchmarks.md has both sides over the same
/// seeds).
#[test]
fn linear_family_second_increment_matches_scikit_learn() {
    for (name, label, algorithm, reference) in [
        ("diabetes", "target", "linear_svm", -0.4901),
        ("linnerud", "weight", "linear_svm", -2.7602),
        ("diabetes", "target", "least_angle", 0.3729),
        ("linnerud", "weight", "least_angle", -1.2050),
        ("diabetes", "target", "lasso_least_angle", 0.2979),
        ("linnerud", "weight", "lasso_least_angle", -1.2037),
        (
            "diabetes",
            "target",
            "automatic_relevance_determination",
            0.4673,
        ),
        (
            "linnerud",
            "weight",
            "automatic_relevance_determination",
            -1.4582,
        ),
        ("diabetes", "target", "quantile", -0.0781),
        ("linnerud", "weight", "quantile", -0.4834),
        ("diabetes", "target", "gaussian_process", -11.4461),
        ("linnerud", "weight", "gaussian_process", -180.2931),
    ] {
        let r2 = regression(name, label, algorithm, "{}");
        println!("{name:14} {algorithm:34} r2 {r2:.4} (scikit-learn {reference:.4})");
        assert!(
            r2 >= reference - MARGIN,
            "{name} {algorithm}: r2 {r2} < scikit-learn {reference} - {MARGIN}"
        );
    }
    for (name, label, reference) in [
        ("breast_cancer", "malignant", 0.9650),
        ("digits", "target", 0.9578),
        ("iris", "target", 0.9737),
        ("wine", "target", 0.9778),
    ] {
        let (accuracy, _) = classification(name, label, "linear_svm");
        println!("{name:14} linear_svm accuracy {accuracy:.4} (scikit-learn {reference:.4})");
        assert!(
            accuracy >= reference - MARGIN,
            "{name} linear_svm: accuracy {accuracy} < scikit-learn {reference} - {MARGIN}"
        );
    }
    let seeds = |algorithm: &str, name: &str, label: &str, n: u64| -> f64 {
        (0..n)
            .map(|seed| {
                regression(
                    name,
                    label,
                    algorithm,
                    &format!(r#"{{"random_state": {seed}}}"#),
                )
            })
            .sum::<f64>()
            / n as f64
    };
    // A kernel with hyperparameters to fit: the same maximum of the log marginal likelihood.
    let r2 = regression(
        "diabetes",
        "target",
        "gaussian_process",
        r#"{"kernel": "1.0 * RBF(1.0) + WhiteKernel(1.0)", "normalize_y": true}"#,
    );
    println!(
        "diabetes       gaussian_process (RBF + white noise) r2 {r2:.4} (scikit-learn 0.4791)"
    );
    assert!(
        r2 >= 0.4791 - MARGIN,
        "gaussian_process with a fitted kernel: r2 {r2}"
    );
    for (algorithm, name, label, n, reference) in [
        ("ransac", "diabetes", "target", 200, 0.1767),
        ("ransac", "linnerud", "weight", 100, -2.8396),
        ("theil_sen", "diabetes", "target", 2, 0.4507),
        ("theil_sen", "linnerud", "weight", 1, -0.8004),
    ] {
        let r2 = seeds(algorithm, name, label, n);
        println!(
            "{name:14} {algorithm:34} r2 {r2:.4} over {n} seeds (scikit-learn {reference:.4})"
        );
        assert!(
            r2 >= reference - MARGIN,
            "{name} {algorithm}: r2 {r2} < scikit-learn {reference} - {MARGIN}"
        );
    }
}

/// catboost (pgml's implementation of CatBoost's algorithm) against the PyPI `catboost` package
/// 1.2.10 with the same defaults (1000 iterations, depth 6, automatic learning rate), mean of
/// random_seed 0..5 on both sides (`benches/catboost_accuracy.py`; docs/benchmarks.md has the
/// table). 25 fits of 1000 trees take about a minute in a release build and far longer in a debug
/// one (diabetes and breast_cancer alone took 4 minutes), so a debug build skips it.
///
/// One test per data set (the small ones together), so that the test threads share the 25 fits:
/// digits alone was ~45 s of ~80 s in one test.
#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "5 fits of 1000 trees on 10 classes: run with --release (docs/benchmarks.md)"
)]
fn catboost_matches_the_catboost_package_on_digits() {
    catboost_matches_the_catboost_package("digits", "target", 0.9827);
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "5 fits of 1000 trees: run with --release (docs/benchmarks.md)"
)]
fn catboost_matches_the_catboost_package_on_breast_cancer() {
    catboost_matches_the_catboost_package("breast_cancer", "malignant", 0.9720);
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "15 fits of 1000 trees: run with --release (docs/benchmarks.md)"
)]
fn catboost_matches_the_catboost_package_on_diabetes_iris_and_wine() {
    catboost_matches_the_catboost_package("diabetes", "target", 0.3883);
    catboost_matches_the_catboost_package("iris", "target", 0.9737);
    catboost_matches_the_catboost_package("wine", "target", 0.9867);
}

/// The mean score of random_seed 0..5 on one data set against the catboost package's.
fn catboost_matches_the_catboost_package(name: &str, label: &str, reference: f64) {
    let score = (0..5)
        .map(|seed| {
            let hp = format!(r#"{{"random_seed": {seed}}}"#);
            if name == "diabetes" {
                regression(name, label, "catboost", &hp)
            } else {
                classification_with(name, label, "catboost", &hp).0
            }
        })
        .sum::<f64>()
        / 5.0;
    println!("{name:14} catboost {score:.4} (catboost package {reference:.4})");
    assert!(
        score >= reference - MARGIN,
        "{name} catboost: {score} < the catboost package's {reference} - {MARGIN}"
    );
}
