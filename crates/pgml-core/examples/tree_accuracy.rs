//! pgml's tree ensembles on the toy datasets, with the split `tests/toy_accuracy.rs` and
//! `benches/tree_accuracy_sklearn.py` use (rows whose index is a multiple of 4 are the test set),
//! each algorithm with its defaults, averaged over random_state 0..5:
//!
//!     cargo run --release -p pgml-core --example tree_accuracy
//!
//! With arguments `<dataset> <algorithm> '<hyperparams>'` it prints that model's test-set
//! predictions instead, one a line (to compare single trees with scikit-learn's exactly).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark: a panic is the failure report

use pgml_core::algorithms::{self, Algorithm, Labels};
use pgml_core::labels::{self, LabelKind};
use pgml_core::{datasets, metrics, Matrix, Task};

const DATASETS: &[(&str, &str, Task)] = &[
    ("diabetes", "target", Task::Regression),
    ("breast_cancer", "malignant", Task::Classification),
    ("digits", "target", Task::Classification),
    ("iris", "target", Task::Classification),
    ("wine", "target", Task::Classification),
];

const ALGORITHMS: &[&str] = &[
    "random_forest",
    "extra_trees",
    "bagging",
    "ada_boost",
    "gradient_boosting_trees",
    "hist_gradient_boosting",
];

fn load(name: &str, label: &str) -> (Vec<Vec<f32>>, Vec<String>) {
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

/// The test-set predictions and score (r2 or accuracy) of one model.
fn run(
    dataset: &str,
    label: &str,
    task: Task,
    algorithm: &str,
    hp: &serde_json::Value,
) -> (Vec<f32>, f64) {
    let (x, texts) = load(dataset, label);
    let (xtr, xte) = split(&x);
    let a = Algorithm::parse(algorithm).unwrap();
    let params = a.resolve(task, hp).unwrap();
    let xtr = Matrix::from_rows(&xtr).unwrap();
    match task {
        Task::Regression => {
            let y: Vec<f32> = texts.iter().map(|t| t.parse().unwrap()).collect();
            let (ytr, yte) = split(&y);
            let m = algorithms::fit(a, task, &params, &xtr, Labels::Values(&ytr), &|| {}).unwrap();
            let pred: Vec<f32> = xte.iter().map(|r| m.predict(r).unwrap()).collect();
            let r2 = metrics::regression(&yte, &pred)["r2"];
            (pred, r2)
        }
        _ => {
            let enc = labels::encode(&texts, LabelKind::Numeric)
                .or_else(|_| labels::encode(&texts, LabelKind::Boolean))
                .unwrap();
            let (ytr, yte) = split(&enc.codes);
            let k = enc.classes.len();
            let labels = Labels::Classes {
                codes: &ytr,
                num_classes: k,
            };
            let m = algorithms::fit(a, task, &params, &xtr, labels, &|| {}).unwrap();
            let pred: Vec<u32> = xte.iter().map(|r| m.predict(r).unwrap() as u32).collect();
            let accuracy = metrics::classification(&yte, &pred, None, k)["accuracy"];
            (
                pred.iter().map(|&c| enc.values[c as usize]).collect(),
                accuracy,
            )
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [dataset, algorithm, hp] = args.as_slice() {
        let &(name, label, task) = DATASETS.iter().find(|d| d.0 == dataset).unwrap();
        let hp: serde_json::Value = serde_json::from_str(hp).unwrap();
        let (pred, score) = run(name, label, task, algorithm, &hp);
        for p in pred {
            println!("{p}");
        }
        eprintln!("score {score:.4}");
        return;
    }
    println!("dataset        algorithm      metric    pgml (mean of 5 seeds)");
    for &(name, label, task) in DATASETS {
        for &algorithm in ALGORITHMS {
            let mean = (0..5)
                .map(|seed| {
                    run(
                        name,
                        label,
                        task,
                        algorithm,
                        &serde_json::json!({ "random_state": seed }),
                    )
                    .1
                })
                .sum::<f64>()
                / 5.0;
            let metric = if task == Task::Regression {
                "r2"
            } else {
                "accuracy"
            };
            println!("{name:14} {algorithm:14} {metric:9} {mean:.4}");
        }
    }
}
