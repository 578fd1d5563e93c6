//! Writes golden model fixtures: one trained model per estimator kind, as `Model::encode` stores it
//! in `pgml.files`, with a few input rows and the exact outputs predict gave for them.
//!
//!     cargo run -p pgml-core --example write_model_fixtures -- <new directory>
//!
//! `tests/fixtures/models-0.2.0/` was written by this program as it stood in the 0.2.0 code (model
//! format 1, before the algorithm registry), and `tests/model_fixtures.rs` checks that every later
//! pgml still loads those bytes and predicts bit-for-bit the same values. Those bytes can never be
//! made again, so they are never rewritten: the program refuses an existing directory. A release
//! that changes the model format writes a new set into a new directory (e.g. `models-0.3.0`).
//!
//! `models-0.3.0/` (model format 2, the algorithm registry) adds one model per registered algorithm
//! and task, generated from the registry, so every fitted kind of 0.3.0 is pinned.
//!
//! The models cover what the encoding holds: every estimator (linear, logistic binary and
//! multi-class, ridge and RidgeClassifier with both outputs, lasso, elastic net, k-means, PCA,
//! XGBoost and XGBoost's random-forest mode for regression, binary and multi-class), numeric
//! features with imputing and scaling, an array feature, a one-hot text feature, and boolean,
//! numeric and text labels. The package written beside them is a 0.2.0 `pgml.export_models` body
//! holding two of the models, so the package format is pinned as well.
#![allow(clippy::expect_used, clippy::unwrap_used)] // a fixture generator: a panic is its report

use std::path::{Path, PathBuf};

use pgml_core::algorithms::{self, Algorithm, Labels};
use pgml_core::labels::{self, LabelKind};
use pgml_core::model::{self, Feature, Model};
use pgml_core::package::{self, Package};
use pgml_core::preprocess;
use pgml_core::{datasets, Matrix, Task};
use serde_json::{json, Value as Json};

/// One fixture model: what it trains on and how.
struct Case {
    name: &'static str,
    dataset: &'static str,
    label: &'static str,
    task: Task,
    algorithm: &'static str,
    hyperparams: Json,
    preprocess: Json,
    /// Iris only: adds a text feature `size` (from petal_length) and uses species names as labels.
    iris_text: bool,
}

/// A column of the training data: its feature description and its raw values per row (one entry
/// per input; text as the category string).
struct Column {
    feature: Feature,
    values: Vec<Vec<Raw>>,
}

#[derive(Clone, Debug)]
enum Raw {
    Number(f32),
    Null,
    Text(String),
}

impl Raw {
    fn to_json(&self) -> Json {
        match self {
            Raw::Number(v) => json!(v),
            Raw::Null => Json::Null,
            Raw::Text(s) => json!(s),
        }
    }
}

fn cases() -> Vec<Case> {
    let mut cases = hand_written_cases();
    // Then every registered algorithm on every task it trains (classification both binary and
    // multi-class), so each fitted kind of this release is pinned, not only those listed above.
    for a in algorithms::registry::ALL {
        for &task in a.tasks() {
            let on: &[(&str, &str, &str)] = match task {
                Task::Regression => &[("regression", "diabetes", "target")],
                Task::Classification => &[
                    ("binary", "breast_cancer", "malignant"),
                    ("multiclass", "wine", "target"),
                ],
                Task::Clustering => &[("clustering", "iris", "target")],
                Task::Decomposition => &[("decomposition", "digits", "target")],
            };
            for (suffix, dataset, label) in on {
                let name: &'static str =
                    Box::leak(format!("{}_{suffix}", a.as_str()).into_boxed_str());
                if cases.iter().any(|c| c.name == name) {
                    continue;
                }
                // Small models (the files are kept in the repository), deterministic ones.
                let accepts = |p: &str| a.params(task).iter().any(|q| q.name == p);
                let mut hyperparams = serde_json::Map::new();
                for (p, v) in [
                    ("n_estimators", json!(5)),
                    ("max_depth", json!(3)),
                    ("nthread", json!(1)),
                    ("random_state", json!(7)),
                    ("n_clusters", json!(3)),
                    ("n_components", json!(3)),
                ] {
                    if accepts(p) {
                        hyperparams.insert(p.into(), v);
                    }
                }
                cases.push(Case {
                    name,
                    dataset,
                    label,
                    task,
                    algorithm: a.as_str(),
                    hyperparams: Json::Object(hyperparams),
                    preprocess: json!({}),
                    iris_text: false,
                });
            }
        }
    }
    cases
}

/// The cases 0.2.0's fixtures were written from (their names are kept for every later set).
fn hand_written_cases() -> Vec<Case> {
    let c = |name, dataset, label, task, algorithm, hyperparams: Json| Case {
        name,
        dataset,
        label,
        task,
        algorithm,
        hyperparams,
        preprocess: json!({}),
        iris_text: false,
    };
    let r = Task::Regression;
    let k = Task::Classification;
    vec![
        Case {
            // NULLs in `age` (imputed), scaled columns: the features' Prep is covered.
            preprocess: json!({"age": {"impute": "mean", "scale": "standard"},
                               "bmi": {"scale": "robust"}, "bp": {"scale": "min_max"}}),
            ..c(
                "linear_regression",
                "diabetes",
                "target",
                r,
                "linear",
                json!({}),
            )
        },
        c(
            "logistic_binary",
            "breast_cancer",
            "malignant",
            k,
            "linear",
            json!({"max_iter": 50}),
        ),
        Case {
            iris_text: true,
            ..c(
                "logistic_multiclass_text",
                "iris",
                "target",
                k,
                "linear",
                json!({"C": 0.5}),
            )
        },
        c(
            "ridge_regression",
            "diabetes",
            "target",
            r,
            "ridge",
            json!({"alpha": 0.5}),
        ),
        c(
            "ridge_classifier_binary",
            "breast_cancer",
            "malignant",
            k,
            "ridge",
            json!({}),
        ),
        c(
            "ridge_classifier_multiclass",
            "wine",
            "target",
            k,
            "ridge",
            json!({}),
        ),
        c(
            "lasso",
            "diabetes",
            "target",
            r,
            "lasso",
            json!({"alpha": 0.1}),
        ),
        c(
            "elastic_net",
            "diabetes",
            "target",
            r,
            "elastic_net",
            json!({"alpha": 0.01, "l1_ratio": 0.3}),
        ),
        c(
            "kmeans",
            "iris",
            "target",
            Task::Clustering,
            "kmeans",
            json!({"n_clusters": 3, "random_state": 1}),
        ),
        c(
            "pca",
            "digits",
            "target",
            Task::Decomposition,
            "pca",
            json!({"n_components": 3}),
        ),
        c(
            "xgboost_regression",
            "diabetes",
            "target",
            r,
            "xgboost",
            json!({"n_estimators": 10, "nthread": 1}),
        ),
        c(
            "xgboost_binary",
            "breast_cancer",
            "malignant",
            k,
            "xgboost",
            json!({"n_estimators": 10, "max_depth": 3, "nthread": 1}),
        ),
        Case {
            iris_text: true,
            preprocess: json!({"size": {"encode": "one_hot"}}),
            ..c(
                "xgboost_multiclass_text",
                "iris",
                "target",
                k,
                "xgboost",
                json!({"n_estimators": 5, "max_depth": 3, "nthread": 1}),
            )
        },
        c(
            "random_forest_regression",
            "diabetes",
            "target",
            r,
            "random_forest",
            json!({"n_estimators": 8, "max_depth": 4, "nthread": 1, "random_state": 3}),
        ),
        c(
            "random_forest_binary",
            "breast_cancer",
            "malignant",
            k,
            "random_forest",
            json!({"n_estimators": 8, "max_depth": 4, "nthread": 1}),
        ),
        Case {
            iris_text: true,
            preprocess: json!({"size": {"encode": "one_hot"}}),
            ..c(
                "random_forest_multiclass",
                "iris",
                "target",
                k,
                "random_forest",
                json!({"n_estimators": 6, "nthread": 1}),
            )
        },
    ]
}

const SPECIES: [&str; 3] = ["setosa", "versicolor", "virginica"];

fn size_of(petal_length: f32) -> &'static str {
    if petal_length < 2.0 {
        "small"
    } else if petal_length < 5.0 {
        "medium"
    } else {
        "large"
    }
}

/// Reads a toy dataset into feature columns (in table order, without the label) and label texts.
fn load(case: &Case) -> (Vec<Column>, Vec<String>) {
    let d = datasets::find(case.dataset).unwrap();
    let rows: Vec<Vec<&str>> = d.rows().collect();
    let mut columns = Vec::new();
    let mut labels = Vec::new();
    for (j, (name, pg_type)) in d.columns.iter().enumerate() {
        if *name == case.label {
            labels = rows
                .iter()
                .map(|r| {
                    if case.iris_text {
                        SPECIES[r[j].parse::<usize>().unwrap()].to_string()
                    } else {
                        r[j].to_string()
                    }
                })
                .collect();
            continue;
        }
        let values: Vec<Vec<Raw>> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let v = r[j];
                if v.starts_with('{') {
                    v.split([',', '{', '}'])
                        .filter(|s| !s.is_empty())
                        .map(|s| Raw::Number(s.parse().unwrap()))
                        .collect()
                } else if *name == "age" && case.preprocess.get("age").is_some() && i % 10 == 3 {
                    // Some NULLs for the imputer to fill.
                    vec![Raw::Null]
                } else {
                    vec![Raw::Number(match v {
                        "true" => 1.0,
                        "false" => 0.0,
                        n => n.parse().unwrap(),
                    })]
                }
            })
            .collect();
        columns.push(Column {
            feature: Feature {
                name: name.to_string(),
                pg_type: pg_type.to_string(),
                width: values[0].len(),
                categories: None,
                prep: Default::default(),
            },
            values,
        });
    }
    if case.iris_text {
        let at = d
            .columns
            .iter()
            .position(|(c, _)| *c == "petal_length")
            .unwrap();
        let texts: Vec<String> = rows
            .iter()
            .map(|r| size_of(r[at].parse().unwrap()).to_string())
            .collect();
        let (categories, _) = model::encode_categories(&texts);
        columns.push(Column {
            feature: Feature {
                name: "size".into(),
                pg_type: "text".into(),
                width: 1,
                categories: Some(categories),
                prep: Default::default(),
            },
            values: texts.into_iter().map(|t| vec![Raw::Text(t)]).collect(),
        });
    }
    (columns, labels)
}

/// One row's raw inputs as predict receives them: text encoded as its category code, NULL as None.
fn encode_row(features: &[Feature], raw: &[Raw]) -> Vec<Option<f32>> {
    let mut out = Vec::new();
    let mut at = 0;
    for f in features {
        for v in &raw[at..at + f.width] {
            out.push(match v {
                Raw::Number(x) => Some(*x),
                Raw::Null => None,
                Raw::Text(s) => Some(f.encode(s).unwrap()),
            });
        }
        at += f.width;
    }
    out
}

fn bits(v: &[f32]) -> Json {
    json!(v.iter().map(|x| x.to_bits()).collect::<Vec<u32>>())
}

/// Trains one case; returns the model and the fixture's JSON description (inputs and outputs).
fn build(case: &Case) -> (Model, Json) {
    let (mut columns, label_texts) = load(case);
    let n = label_texts.len();
    let names: Vec<&str> = columns.iter().map(|c| c.feature.name.as_str()).collect();
    let specs = preprocess::parse(&case.preprocess, &names).unwrap();
    for c in &mut columns {
        let spec = specs.get(&c.feature.name).copied().unwrap_or_default();
        c.feature.prep = if c.feature.categories.is_some() {
            preprocess::fit_text(&c.feature.name, &spec).unwrap()
        } else if c.feature.width == 1 {
            let values: Vec<f32> = c
                .values
                .iter()
                .map(|v| match v[0] {
                    Raw::Number(x) => x,
                    _ => f32::NAN,
                })
                .collect();
            preprocess::fit_numeric(&c.feature.name, &spec, &values).unwrap()
        } else {
            Default::default()
        };
    }
    let features: Vec<Feature> = columns.iter().map(|c| c.feature.clone()).collect();
    let raw_rows: Vec<Vec<Raw>> = (0..n)
        .map(|i| columns.iter().flat_map(|c| c.values[i].clone()).collect())
        .collect();
    // The fixture rows are held out of training: every 4th row is a test row, as in toy_accuracy.
    let train_rows: Vec<usize> = (0..n).filter(|i| i % 4 != 0).collect();
    let inputs: Vec<Vec<f32>> = train_rows
        .iter()
        .map(|&i| model::transform(&features, &encode_row(&features, &raw_rows[i])).unwrap())
        .collect();
    let x = Matrix::from_rows(&inputs).unwrap();

    let algorithm = Algorithm::parse(case.algorithm).unwrap();
    let params = algorithm.resolve(case.task, &case.hyperparams).unwrap();
    let (encoded, targets): (Option<labels::Encoded>, Vec<f32>) = match case.task {
        Task::Classification => {
            let kind = if case.iris_text {
                LabelKind::Text
            } else if label_texts[0] == "true" || label_texts[0] == "false" {
                LabelKind::Boolean
            } else {
                LabelKind::Numeric
            };
            let train_labels: Vec<String> =
                train_rows.iter().map(|&i| label_texts[i].clone()).collect();
            (Some(labels::encode(&train_labels, kind).unwrap()), vec![])
        }
        Task::Regression => (
            None,
            train_rows
                .iter()
                .map(|&i| label_texts[i].parse().unwrap())
                .collect(),
        ),
        _ => (None, vec![]),
    };
    let fit_labels = match (&encoded, case.task) {
        (Some(e), _) => Labels::Classes {
            codes: &e.codes,
            num_classes: e.classes.len(),
        },
        (None, Task::Regression) => Labels::Values(&targets),
        _ => Labels::None,
    };
    let estimator = algorithms::fit(algorithm, case.task, &params, &x, fit_labels, &|| {}).unwrap();
    let (classes, class_values) = match encoded {
        Some(e) => (Some(e.classes), Some(e.values)),
        None => (None, None),
    };
    let m = Model {
        task: case.task,
        algorithm,
        hyperparams: params.to_json().to_string(),
        features,
        classes,
        class_values,
        estimator,
        pgml_version: pgml_core::VERSION.to_string(),
    };

    // Five held-out rows spread over the data, and for the imputing case a row with a NULL.
    let mut picks: Vec<Vec<Raw>> = [0, n / 4, n / 2, 3 * n / 4, n - 1]
        .iter()
        .map(|&i| raw_rows[i / 4 * 4].clone())
        .collect();
    if case.name == "linear_regression" {
        let mut r = raw_rows[8].clone();
        r[0] = Raw::Null;
        picks.push(r);
    }
    let rows: Vec<Json> = picks
        .iter()
        .map(|raw| {
            let x = m.transform(&encode_row(&m.features, raw)).unwrap();
            let predict = m.estimator.predict(&x);
            let proba = m.estimator.predict_proba(&x);
            let decompose = m.estimator.decompose(&x);
            json!({
                "raw": raw.iter().map(Raw::to_json).collect::<Vec<_>>(),
                "predict": predict,
                "predict_bits": predict.map(f32::to_bits),
                "proba": proba,
                "proba_bits": proba.as_deref().map(bits),
                "decompose": decompose,
                "decompose_bits": decompose.as_deref().map(bits),
            })
        })
        .collect();
    let description = json!({
        "name": case.name,
        "written_by_pgml": pgml_core::VERSION,
        "model_format": model::FORMAT_VERSION,
        "task": case.task.as_str(),
        "algorithm": m.algorithm.as_str(),
        "estimator": m.estimator.name(),
        "hyperparams": serde_json::from_str::<Json>(&m.hyperparams).unwrap(),
        "features": serde_json::to_value(&m.features).unwrap(),
        "classes": m.classes,
        "class_values": m.class_values,
        "num_inputs": m.num_inputs(),
        "num_features": m.estimator.num_features(),
        "rows": rows,
    });
    (m, description)
}

fn main() {
    let dir: PathBuf = std::env::args()
        .nth(1)
        .expect("usage: write_model_fixtures <new directory>")
        .into();
    assert!(
        !dir.exists(),
        "{} exists: fixtures written by a release are never rewritten",
        dir.display()
    );
    std::fs::create_dir_all(&dir).unwrap();
    let write = |path: &Path, bytes: &[u8]| std::fs::write(path, bytes).unwrap();
    let mut encoded = Vec::new();
    for case in cases() {
        let (m, description) = build(&case);
        let bytes = m.encode().unwrap();
        write(&dir.join(format!("{}.pgml", case.name)), &bytes);
        let text = serde_json::to_string_pretty(&description).unwrap() + "\n";
        write(&dir.join(format!("{}.json", case.name)), text.as_bytes());
        println!("{:28} {:6} bytes", case.name, bytes.len());
        encoded.push((case.name, m, bytes));
    }

    // A package as pgml.export_models writes it, holding two of the models.
    let entry = |id: i64, m: &Model, bytes: &[u8]| package::ModelEntry {
        source_id: id,
        num_features: i32::try_from(m.num_inputs()).unwrap(),
        algorithm: m.algorithm.as_str().into(),
        runtime: "rust".into(),
        hyperparams: m.hyperparams.clone(),
        status: "successful".into(),
        metrics: Some(r#"{"f1": 0.9}"#.into()),
        search: None,
        search_params: "{}".into(),
        search_args: "{}".into(),
        features: Some(serde_json::to_string(&m.features).unwrap()),
        label_mapping: None,
        feature_hash: Some(package::feature_hash(
            m.features
                .iter()
                .map(|f| (f.name.as_str(), f.pg_type.as_str())),
        )),
        created_at: "2026-12-02 06:00:00+00".into(),
        snapshot: None,
        files: vec![package::File {
            path: "model.pgml".into(),
            data: bytes.to_vec(),
        }],
        plots: None,
    };
    let find = |name: &str| encoded.iter().find(|(n, _, _)| *n == name).unwrap();
    let (_, forest, forest_bytes) = find("random_forest_multiclass");
    let (_, linear, linear_bytes) = find("linear_regression");
    let p = Package {
        source: package::Source {
            system_identifier: "7300000000000000001".into(),
            database: "fixtures".into(),
            pgml_version: pgml_core::VERSION.into(),
            exported_at: "2026-12-02 06:00:00+00".into(),
        },
        projects: vec![
            package::Project {
                name: "Iris".into(),
                task: "classification".into(),
                models: vec![entry(1, forest, forest_bytes)],
                deployed: Some(package::Deployed {
                    source_model_id: 1,
                    strategy: "new_score".into(),
                }),
            },
            package::Project {
                name: "Diabetes".into(),
                task: "regression".into(),
                models: vec![entry(2, linear, linear_bytes)],
                deployed: None,
            },
        ],
    };
    let bytes = p.encode().unwrap();
    write(&dir.join("package.pgmlpkg"), &bytes);
    println!("{:28} {:6} bytes", "package", bytes.len());
}
