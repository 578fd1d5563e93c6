//! pgml's side of the accuracy table for the linear, kernel and SVM algorithms (issue 11):
//! every algorithm with its defaults on every toy dataset of its tasks, on the split
//! `benches/linear_accuracy_sklearn.py` uses for scikit-learn (rows whose index is a multiple of
//! 4 are the test set). Randomized algorithms are averaged over random_state 0..200 on both sides (single runs on test sets of 38 rows vary by ±0.1).
//!
//!     cargo run --release -p pgml-core --example linear_accuracy [algorithm ...]
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark: a panic is the failure report

use pgml_core::algorithms::{self, Algorithm, Labels};
use pgml_core::labels::{self, LabelKind};
use pgml_core::{datasets, metrics, Matrix, Task};

/// (algorithm, randomized: averaged over random_state 0..5)
const SEEDS: u64 = 200;

const ALGORITHMS: &[(&str, bool)] = &[
    ("stochastic_gradient_descent", true),
    ("perceptron", true),
    ("passive_aggressive", true),
    ("svm", false),
    ("nu_svm", false),
    ("kernel_ridge", false),
    ("bayesian_ridge", false),
    ("orthogonal_matching_pursuit", false),
    ("huber", false),
    ("linear_svm", false),
    ("least_angle", false),
    ("lasso_least_angle", false),
    ("automatic_relevance_determination", false),
    ("ransac", true),
    ("theil_sen", true),
    ("quantile", false),
    ("gaussian_process", false),
];

fn load(name: &str, label: &str) -> (Vec<Vec<f32>>, Vec<String>) {
    let d = datasets::find(name).unwrap();
    let mut x = Vec::new();
    let mut labels = Vec::new();
    for row in d.rows() {
        let mut features = Vec::new();
        for (v, (column, _)) in row.iter().zip(d.columns) {
            if *column == label {
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
    (x, labels)
}

fn split<T: Clone>(v: &[T]) -> (Vec<T>, Vec<T>) {
    let pick = |test: bool| {
        v.iter()
            .enumerate()
            .filter(|(i, _)| (i % 4 == 0) == test)
            .map(|(_, r)| r.clone())
            .collect()
    };
    (pick(false), pick(true))
}

/// The task's key metric (r2 or accuracy), or the error's text.
fn score(
    a: Algorithm,
    task: Task,
    name: &str,
    label: &str,
    seed: Option<u64>,
) -> Result<f64, String> {
    let (x, texts) = load(name, label);
    // HYPERPARAMS='{...}' adds hyperparameters to every run (e.g. a gaussian_process kernel).
    let mut hp: serde_json::Value = std::env::var("HYPERPARAMS")
        .ok()
        .map(|s| serde_json::from_str(&s).unwrap())
        .unwrap_or_else(|| serde_json::json!({}));
    if let Some(s) = seed {
        hp["random_state"] = serde_json::json!(s);
    }
    let params = a.resolve(task, &hp).map_err(|e| e.to_string())?;
    let (xtr, xte) = split(&x);
    let xtr = Matrix::from_rows(&xtr).unwrap();
    match task {
        Task::Regression => {
            let y: Vec<f32> = texts.iter().map(|t| t.parse().unwrap()).collect();
            let (ytr, yte) = split(&y);
            let m = algorithms::fit(a, task, &params, &xtr, Labels::Values(&ytr), &|| {})
                .map_err(|e| e.to_string())?;
            let pred: Vec<f32> = xte.iter().map(|r| m.predict(r).unwrap()).collect();
            Ok(metrics::regression(&yte, &pred)["r2"])
        }
        _ => {
            let kind = if texts[0] == "true" || texts[0] == "false" {
                LabelKind::Boolean
            } else {
                LabelKind::Numeric
            };
            let enc = labels::encode(&texts, kind).unwrap();
            let (ytr, yte) = split(&enc.codes);
            let k = enc.classes.len();
            let labels = Labels::Classes {
                codes: &ytr,
                num_classes: k,
            };
            let m = algorithms::fit(a, task, &params, &xtr, labels, &|| {})
                .map_err(|e| e.to_string())?;
            // LOG_LOSS=1: the test rows' mean log loss of predict_proba instead of accuracy.
            if std::env::var("LOG_LOSS").is_ok_and(|v| v == "1") {
                let loss: f64 = xte
                    .iter()
                    .zip(&yte)
                    .map(|(r, &c)| {
                        -f64::from(m.predict_proba(r).unwrap()[c as usize])
                            .max(1e-15)
                            .ln()
                    })
                    .sum();
                return Ok(loss / xte.len() as f64);
            }
            let pred: Vec<u32> = xte.iter().map(|r| m.predict(r).unwrap() as u32).collect();
            Ok(metrics::classification(&yte, &pred, None, k)["accuracy"])
        }
    }
}

fn main() {
    let only: Vec<String> = std::env::args().skip(1).collect();
    // SEEDS=n averages randomized algorithms over more seeds (as the Python side's SEEDS).
    let seeds: u64 = std::env::var("SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(SEEDS);
    for &(name, randomized) in ALGORITHMS {
        if !only.is_empty() && !only.iter().any(|o| o == name) {
            continue;
        }
        let a = Algorithm::parse(name).unwrap();
        for &task in a.tasks() {
            let sets: &[(&str, &str)] = match task {
                Task::Regression => &[("diabetes", "target"), ("linnerud", "weight")],
                _ => &[
                    ("breast_cancer", "malignant"),
                    ("digits", "target"),
                    ("iris", "target"),
                    ("wine", "target"),
                ],
            };
            for (dataset, label) in sets {
                let seeds: Vec<Option<u64>> = if randomized {
                    (0..seeds).map(Some).collect()
                } else {
                    vec![None]
                };
                let scores: Result<Vec<f64>, String> = seeds
                    .iter()
                    .map(|&s| score(a, task, dataset, label, s))
                    .collect();
                let metric = if task == Task::Regression {
                    "r2"
                } else {
                    "accuracy"
                };
                match scores {
                    Ok(s) => println!(
                        "{dataset:14} {name:34} {metric:8} {:.4}",
                        s.iter().sum::<f64>() / s.len() as f64
                    ),
                    Err(e) => println!("{dataset:14} {name:34} {metric:8} error: {e}"),
                }
            }
        }
    }
}
