//! Trains pgml's hist_gradient_boosting (regression) on a data file written by
//! `benches/hist_gb_speed.py`, which runs this, scikit-learn's HistGradientBoostingRegressor and
//! XGBoost's hist trees on the same rows, each under `/usr/bin/time -v`, and prints the ratios:
//!
//!     cargo build --release -p pgml-core --example hist_gb_speed
//!     /opt/skl/bin/python benches/hist_gb_speed.py [rows]
//!
//! Arguments: `<train file> <test file> '<hyperparams>'`. A file is u32 rows, u32 features
//! (little-endian), the rows' features (f32, row after row), then one f32 label a row. The file is
//! read in pieces straight into the column-major matrix, so the process's peak memory is the
//! training's. Prints `fit_seconds`, `score` (r2 on the test file) and `trees`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark: a panic is the failure report

use std::time::Instant;

use pgml_core::algorithms::{self, Algorithm, Labels};
use pgml_core::{metrics, Task};

#[path = "support/bench_file.rs"]
mod bench_file;
use bench_file::read;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [train, test, hp] = args.as_slice() else {
        panic!("usage: hist_gb_speed <train> <test> <hyperparams>");
    };
    let (x, y) = read(train);
    let a = Algorithm::parse("hist_gradient_boosting").unwrap();
    let params = a
        .resolve(Task::Regression, &serde_json::from_str(hp).unwrap())
        .unwrap();
    let started = Instant::now();
    let m = algorithms::fit(a, Task::Regression, &params, &x, Labels::Values(&y), &|| {}).unwrap();
    println!("fit_seconds {:.3}", started.elapsed().as_secs_f64());
    drop(x);
    if let algorithms::Fitted::HistGradientBoosting(h) = m.fitted() {
        println!("trees {}", h.trees.len());
    }
    let (xt, yt) = read(test);
    let pred: Vec<f32> = (0..xt.rows())
        .map(|i| m.predict(&xt.row(i)).unwrap())
        .collect();
    println!("score {:.6}", metrics::regression(&yt, &pred)["r2"]);
}
