//! pgml's side of issue 11's training-time comparisons: LinearRegression and SGDRegressor /
//! SGDClassifier on the shape `benches/train_speed_python.py` uses (1 000 000 × 20 random f32,
//! the 75 % training split), and with `svm` SVC (rbf) on 20 000 rows; best of 3 (one run for
//! svm), data in memory. `benches/linear_speed.py` is scikit-learn's side.
//!
//!     cargo run --release -p pgml-core --example linear_speed [rows] [svm | svm-only]
//!
//! `svm-only` times only SVC, with `shrinking` true (scikit-learn's default) and false.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark: a panic is the failure report

use std::time::Instant;

use pgml_core::algorithms::{self, Algorithm, Labels};
use pgml_core::split::SplitMix64;
use pgml_core::{Matrix, Task};

fn main() {
    let rows: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let n = rows * 3 / 4;
    let p = 20;
    let mut rng = SplitMix64(0);
    let data: Vec<f32> = (0..n * p).map(|_| rng.unit() as f32).collect();
    let x = Matrix::from_columns(n, p, data).unwrap();
    let y: Vec<f32> = (0..n)
        .map(|i| {
            x.get(i, 0) * 3.0 + x.get(i, 1) * x.get(i, 2) - x.get(i, 3) + rng.unit() as f32 / 10.0
        })
        .collect();
    let svm_only = std::env::args().any(|a| a == "svm-only");
    let codes: Vec<u32> = (0..n)
        .map(|i| {
            u32::from(x.get(i, 0) + x.get(i, 1) * x.get(i, 2) > 0.75 + rng.unit() as f32 / 4.0)
        })
        .collect();
    if !svm_only {
        linear_and_sgd(rows, &x, &y, &codes);
    }
    if svm_only || std::env::args().any(|a| a == "svm") {
        svm(&x, &codes, svm_only);
    }
}

fn linear_and_sgd(rows: usize, x: &Matrix, y: &[f32], codes: &[u32]) {
    let (n, p) = (x.rows(), x.cols());
    let linear = Algorithm::parse("linear").unwrap();
    let params = linear
        .resolve(Task::Regression, &serde_json::json!({}))
        .unwrap();
    let mut best = f64::INFINITY;
    for _ in 0..3 {
        let start = Instant::now();
        algorithms::fit(
            linear,
            Task::Regression,
            &params,
            x,
            Labels::Values(y),
            &|| {},
        )
        .unwrap();
        best = best.min(start.elapsed().as_secs_f64());
    }
    println!("pgml   linear regression            {rows:8} rows  fit {best:6.2} s");
    // For reference: the Gram matrix as 0.3.0 formed it, one pass over two whole columns per
    // pair (the fit's dominant cost then).
    let mut best = f64::INFINITY;
    for _ in 0..3 {
        let start = Instant::now();
        let mu: Vec<f64> = (0..p)
            .map(|j| x.col(j).iter().map(|&v| f64::from(v)).sum::<f64>() / n as f64)
            .collect();
        let mut g = vec![0.0; p * p];
        for i in 0..p {
            for j in i..p {
                let s: f64 = x
                    .col(i)
                    .iter()
                    .zip(x.col(j))
                    .map(|(&a, &b)| (f64::from(a) - mu[i]) * (f64::from(b) - mu[j]))
                    .sum();
                g[i * p + j] = s;
            }
        }
        std::hint::black_box(&g);
        best = best.min(start.elapsed().as_secs_f64());
    }
    println!("pgml   0.3.0's Gram by column pairs {rows:8} rows  alone {best:6.2} s");

    let sgd = Algorithm::parse("stochastic_gradient_descent").unwrap();
    for task in [Task::Regression, Task::Classification] {
        let params = sgd.resolve(task, &serde_json::json!({})).unwrap();
        let labels = match task {
            Task::Regression => Labels::Values(y),
            _ => Labels::Classes {
                codes,
                num_classes: 2,
            },
        };
        let mut best = f64::INFINITY;
        for _ in 0..3 {
            let start = Instant::now();
            algorithms::fit(sgd, task, &params, x, labels, &|| {}).unwrap();
            best = best.min(start.elapsed().as_secs_f64());
        }
        let what = format!("sgd {task}");
        println!("pgml   {what:29} {rows:8} rows  fit {best:6.2} s");
    }
}

/// SVC (rbf, defaults) on the 75 % training split of 20 000 rows; with `both`, also without
/// shrinking (0.4.0's solver before shrinking).
fn svm(x: &Matrix, codes: &[u32], both: bool) {
    let m = 15_000; // the 75 % training split of 20 000 rows
    let xs = x.select_rows(&(0..m).collect::<Vec<_>>());
    let svm = Algorithm::parse("svm").unwrap();
    let labels = Labels::Classes {
        codes: &codes[..m],
        num_classes: 2,
    };
    let settings: &[bool] = if both { &[true, false] } else { &[true] };
    for &shrinking in settings {
        let params = svm
            .resolve(
                Task::Classification,
                &serde_json::json!({
                    "shrinking": shrinking,
                    "cache_size": std::env::var("CACHE_MB").ok().and_then(|v| v.parse::<f64>().ok()).unwrap_or(200.0),
                }),
            )
            .unwrap();
        let start = Instant::now();
        algorithms::fit(svm, Task::Classification, &params, &xs, labels, &|| {}).unwrap();
        println!(
            "pgml   svm (rbf) classification        20000 rows  fit {:6.2} s  shrinking {shrinking}",
            start.elapsed().as_secs_f64()
        );
    }
}
