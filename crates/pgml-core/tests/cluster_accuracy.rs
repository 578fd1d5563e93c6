//! pgml's clusterings against scikit-learn 1.5.2's on iris, wine (standardized) and digits:
//! the adjusted Rand index between the two labelings of the training rows is at least 0.95 for
//! every deterministic clustering algorithm. scikit-learn's labels are the fixture
//! `fixtures/cluster_labels.json`, written by `benches/cluster_accuracy_sklearn.py` (its
//! docstring says how to regenerate it); `--nocapture` prints the table of docs/benchmarks.md.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use std::path::Path;

use pgml_core::algorithms::clustering::adjusted_rand_index;
use pgml_core::algorithms::{
    affinity_propagation, birch, dbscan, mean_shift, optics, Algorithm, Learner,
};
use pgml_core::{hyperparams, Matrix, Task};
use serde_json::Value;

/// A toy dataset's features as pgml reads them (f32), wine standardized as the script does.
fn load(name: &str) -> Matrix {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("datasets/{name}.csv"));
    let text = std::fs::read_to_string(path).unwrap();
    let mut rows: Vec<Vec<f32>> = Vec::new();
    for line in text.lines().skip(1) {
        let values: Vec<f32> = if name == "digits" {
            let image = line.rsplit_once(',').unwrap().0;
            image
                .trim_matches('"')
                .replace(['{', '}'], "")
                .split(',')
                .map(|v| v.parse().unwrap())
                .collect()
        } else {
            let mut v: Vec<f32> = line.split(',').map(|v| v.parse().unwrap()).collect();
            v.pop(); // target
            v
        };
        rows.push(values);
    }
    if name == "wine" {
        let (n, p) = (rows.len(), rows[0].len());
        for j in 0..p {
            let mean = rows.iter().map(|r| f64::from(r[j])).sum::<f64>() / n as f64;
            let var = rows
                .iter()
                .map(|r| (f64::from(r[j]) - mean).powi(2))
                .sum::<f64>()
                / n as f64;
            for r in rows.iter_mut() {
                r[j] = ((f64::from(r[j]) - mean) / var.sqrt()) as f32;
            }
        }
    }
    Matrix::from_rows(&rows).unwrap()
}

/// pgml's labels of the training rows (scikit-learn's `labels_`), trained through the same
/// typed options `pgml.train` builds from the hyperparameters.
fn labels(algorithm: &str, params: &Value, x: &Matrix) -> Vec<i64> {
    let a = Algorithm::parse(algorithm).unwrap();
    let h = hyperparams::resolve(algorithm, a.params(Task::Clustering), params).unwrap();
    let t = Task::Clustering;
    match algorithm {
        "dbscan" => dbscan::fit(x, &dbscan::Dbscan.options(t, &h).unwrap(), &|| {}).0,
        "optics" => {
            optics::fit(x, &optics::Optics.options(t, &h).unwrap(), &|| {})
                .unwrap()
                .0
        }
        "birch" => {
            birch::fit(x, &birch::Birch.options(t, &h).unwrap(), &|| {})
                .unwrap()
                .0
        }
        "mean_shift" => {
            mean_shift::fit(x, &mean_shift::MeanShift.options(t, &h).unwrap(), &|| {})
                .unwrap()
                .0
        }
        "affinity_propagation" => {
            let o = affinity_propagation::AffinityPropagation
                .options(t, &h)
                .unwrap();
            affinity_propagation::fit(x, &o, &|| {}).unwrap().0
        }
        other => panic!("no comparison for {other}"),
    }
}

fn clusters(labels: &[i64]) -> usize {
    let mut l: Vec<i64> = labels.iter().copied().filter(|&v| v >= 0).collect();
    l.sort_unstable();
    l.dedup();
    l.len()
}

#[test]
fn clusterings_agree_with_scikit_learn() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cluster_labels.json");
    let fixture: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut failures = Vec::new();
    println!("| dataset | algorithm | parameters | clusters (pgml / scikit-learn) | noise (pgml / scikit-learn) | adjusted Rand index |");
    println!("|---|---|---|---|---|---|");
    let mut data: Vec<(String, Matrix)> = Vec::new();
    for run in fixture["runs"].as_array().unwrap() {
        let dataset = run["dataset"].as_str().unwrap();
        let algorithm = run["algorithm"].as_str().unwrap();
        if std::env::var("ONLY").is_ok_and(|o| o != format!("{dataset}/{algorithm}")) {
            continue;
        }
        if data.iter().all(|(d, _)| d != dataset) {
            data.push((dataset.to_string(), load(dataset)));
        }
        let x = &data.iter().find(|(d, _)| d == dataset).unwrap().1;
        let expected: Vec<i64> = run["labels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64().unwrap())
            .collect();
        assert_eq!(expected.len(), x.rows(), "{dataset}: rows");
        let got = labels(algorithm, &run["params"], x);
        let ari = adjusted_rand_index(&got, &expected);
        let noise = |l: &[i64]| l.iter().filter(|&&v| v < 0).count();
        println!(
            "| {dataset} | {algorithm} | `{}` | {} / {} | {} / {} | {ari:.4} |",
            run["params"],
            clusters(&got),
            clusters(&expected),
            noise(&got),
            noise(&expected)
        );
        if ari < 0.95 {
            failures.push(format!("{dataset} {algorithm}: {ari:.4}"));
        }
    }
    assert!(failures.is_empty(), "ARI below 0.95: {failures:?}");
}
