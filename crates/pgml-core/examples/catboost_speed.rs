//! Trains pgml's catboost (regression) on a data file written by `benches/catboost_speed.py`,
//! which runs this (1 and 2 threads) and the PyPI catboost package (`thread_count=2`) on the same
//! rows, interleaved, and prints the ratios:
//!
//!     cargo build --release -p pgml-core --example catboost_speed
//!     /opt/skl/bin/python benches/catboost_speed.py [rows] [runs]
//!
//! Arguments: `<train file> <test file> '<hyperparams>'`; the file format is
//! `benches/hist_gb_speed.py`'s (u32 rows, u32 features, f32 features row after row, f32
//! labels). Prints `fit_seconds`, `score` (r2 on the test file) and `trees`.
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
        panic!("usage: catboost_speed <train> <test> <hyperparams>");
    };
    let (x, y) = read(train);
    let a = Algorithm::parse("catboost").unwrap();
    let params = a
        .resolve(Task::Regression, &serde_json::from_str(hp).unwrap())
        .unwrap();
    let started = Instant::now();
    let m = algorithms::fit(a, Task::Regression, &params, &x, Labels::Values(&y), &|| {}).unwrap();
    println!("fit_seconds {:.3}", started.elapsed().as_secs_f64());
    drop(x);
    if let algorithms::Fitted::CatBoost(c) = m.fitted() {
        println!("trees {}", c.trees.len());
    }
    let (xt, yt) = read(test);
    let pred: Vec<f32> = (0..xt.rows())
        .map(|i| m.predict(&xt.row(i)).unwrap())
        .collect();
    println!("score {:.6}", metrics::regression(&yt, &pred)["r2"]);
}
