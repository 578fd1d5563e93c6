//! Models written by earlier releases load and predict bit-for-bit as they did. The fixtures in
//! `tests/fixtures/models-<release>/` were written by `examples/write_model_fixtures.rs` with that
//! release's code and are never regenerated: a failure here means stored models in users'
//! databases would change their answers.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use std::path::{Path, PathBuf};

use pgml_core::model::{Feature, Model};
use pgml_core::package::Package;
use serde_json::Value as Json;

fn fixtures(release: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(format!("models-{release}"))
}

/// The fixture names of a release (one `<name>.json` and `<name>.pgml` each), sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            let path = e.unwrap().path();
            (path.extension()? == "json")
                .then(|| path.file_stem().unwrap().to_string_lossy().into_owned())
        })
        .collect();
    names.sort();
    names
}

/// One row's raw inputs as predict receives them: text encoded by the model's own categories.
fn raw_inputs(features: &[Feature], raw: &Json) -> Vec<Option<f32>> {
    let raw = raw.as_array().unwrap();
    let mut out = Vec::new();
    let mut at = 0;
    for f in features {
        for v in &raw[at..at + f.width] {
            out.push(match v {
                Json::Null => None,
                Json::String(s) => Some(f.encode(s).unwrap()),
                n => Some(n.as_f64().unwrap() as f32),
            });
        }
        at += f.width;
    }
    assert_eq!(at, raw.len(), "row width");
    out
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

fn expected_bits(j: &Json) -> Option<Vec<u32>> {
    j.as_array()
        .map(|a| a.iter().map(|b| b.as_u64().unwrap() as u32).collect())
}

/// Checks one decoded model against its fixture description: identity, contract and every row.
fn check(name: &str, m: &Model, d: &Json) {
    assert_eq!(m.task.as_str(), d["task"], "{name}: task");
    assert_eq!(m.algorithm.as_str(), d["algorithm"], "{name}: algorithm");
    assert_eq!(m.estimator.name(), d["estimator"], "{name}: estimator");
    assert_eq!(
        serde_json::to_value(&m.features).unwrap(),
        d["features"],
        "{name}: features"
    );
    assert_eq!(
        serde_json::from_str::<Json>(&m.hyperparams).unwrap(),
        d["hyperparams"],
        "{name}: hyperparams"
    );
    assert_eq!(
        serde_json::to_value(&m.classes).unwrap(),
        d["classes"],
        "{name}: classes"
    );
    assert_eq!(
        serde_json::to_value(&m.class_values).unwrap(),
        d["class_values"],
        "{name}: class_values"
    );
    assert_eq!(m.num_inputs() as u64, d["num_inputs"], "{name}");
    assert_eq!(
        m.estimator.num_features() as u64,
        d["num_features"],
        "{name}"
    );
    let rows = d["rows"].as_array().unwrap();
    assert!(!rows.is_empty(), "{name}: no rows");
    for (i, row) in rows.iter().enumerate() {
        let x = m.transform(&raw_inputs(&m.features, &row["raw"])).unwrap();
        let predict = m.estimator.predict(&x).map(f32::to_bits);
        let want = row["predict_bits"].as_u64().map(|b| b as u32);
        assert_eq!(predict, want, "{name} row {i}: predict");
        let proba = m.estimator.predict_proba(&x).map(|p| bits(&p));
        assert_eq!(
            proba,
            expected_bits(&row["proba_bits"]),
            "{name} row {i}: proba"
        );
        let decompose = m.estimator.decompose(&x).map(|p| bits(&p));
        assert_eq!(
            decompose,
            expected_bits(&row["decompose_bits"]),
            "{name} row {i}: decompose"
        );
    }
}

/// Every model a release wrote loads in this pgml and predicts bit-for-bit as that release did.
fn models_of_release_load_and_predict_the_same(release: &str, count: usize) {
    let dir = fixtures(release);
    let names = names(&dir);
    assert_eq!(names.len(), count, "{release}: {names:?}");
    for name in &names {
        let d: Json =
            serde_json::from_slice(&std::fs::read(dir.join(format!("{name}.json"))).unwrap())
                .unwrap();
        assert_eq!(d["written_by_pgml"], release, "{name}");
        let bytes = std::fs::read(dir.join(format!("{name}.pgml"))).unwrap();
        let m = Model::decode(&bytes).unwrap_or_else(|e| panic!("{release} {name}: {e}"));
        check(name, &m, &d);
        // Written again by this pgml, it reads back the same and still predicts the same.
        let again = Model::decode(&m.encode().unwrap()).unwrap();
        assert_eq!(again, m, "{release} {name}: round trip");
        check(name, &again, &d);
    }
}

#[test]
fn models_written_by_0_2_0_load_and_predict_the_same() {
    models_of_release_load_and_predict_the_same("0.2.0", 16);
}

#[test]
fn models_written_by_0_3_0_load_and_predict_the_same() {
    models_of_release_load_and_predict_the_same("0.3.0", 55);
}

/// 0.3.0's set pins every algorithm 0.3.0 registered, on every task it trained.
#[test]
fn the_0_3_0_set_covers_every_algorithm_of_0_3_0() {
    const ALGORITHMS_0_3_0: [&str; 21] = [
        "linear",
        "ridge",
        "lasso",
        "elastic_net",
        "xgboost",
        "random_forest",
        "kmeans",
        "pca",
        "xgboost_random_forest",
        "extra_trees",
        "bagging",
        "ada_boost",
        "stochastic_gradient_descent",
        "perceptron",
        "passive_aggressive",
        "svm",
        "nu_svm",
        "kernel_ridge",
        "bayesian_ridge",
        "orthogonal_matching_pursuit",
        "huber",
    ];
    let dir = fixtures("0.3.0");
    let mut seen = std::collections::BTreeSet::new();
    for name in names(&dir) {
        let d: Json =
            serde_json::from_slice(&std::fs::read(dir.join(format!("{name}.json"))).unwrap())
                .unwrap();
        seen.insert((
            d["algorithm"].as_str().unwrap().to_string(),
            d["task"].as_str().unwrap().to_string(),
        ));
    }
    for a in ALGORITHMS_0_3_0 {
        let algorithm = pgml_core::algorithms::Algorithm::parse(a).unwrap();
        for task in algorithm.tasks() {
            assert!(
                seen.contains(&(a.to_string(), task.as_str().to_string())),
                "no 0.3.0 fixture for {a} {task}"
            );
        }
    }
}

/// A release's export package decodes, and its models predict as that release's did.
fn package_of_release_imports_with_models_that_predict_the_same(release: &str) {
    let dir = fixtures(release);
    let p = Package::decode(&std::fs::read(dir.join("package.pgmlpkg")).unwrap()).unwrap();
    assert_eq!(p.source.pgml_version, release);
    assert_eq!(p.num_models(), 2);
    for (project, name) in [
        ("Iris", "random_forest_multiclass"),
        ("Diabetes", "linear_regression"),
    ] {
        let entry = &p
            .projects
            .iter()
            .find(|q| q.name == project)
            .unwrap()
            .models[0];
        let file = entry.files.iter().find(|f| f.path == "model.pgml").unwrap();
        assert_eq!(
            file.data,
            std::fs::read(dir.join(format!("{name}.pgml"))).unwrap()
        );
        let d: Json =
            serde_json::from_slice(&std::fs::read(dir.join(format!("{name}.json"))).unwrap())
                .unwrap();
        check(name, &Model::decode(&file.data).unwrap(), &d);
    }
    assert_eq!(
        p.projects[0].deployed.as_ref().map(|d| d.source_model_id),
        Some(1)
    );
}

#[test]
fn a_package_written_by_0_2_0_imports_with_models_that_predict_the_same() {
    package_of_release_imports_with_models_that_predict_the_same("0.2.0");
}

#[test]
fn a_package_written_by_0_3_0_imports_with_models_that_predict_the_same() {
    package_of_release_imports_with_models_that_predict_the_same("0.3.0");
}
