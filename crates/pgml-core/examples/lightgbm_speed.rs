//! Trains pgml's `lightgbm` on a data file written by `benches/lightgbm_speed.py` (speed at
//! 1 000 000 x 20 against LightGBM from PyPI) or `benches/lightgbm_toy.py` (identical predictions
//! on the toy datasets), which run this and the PyPI package on the same rows and compare:
//!
//!     cargo build --release -p pgml-core --example lightgbm_speed
//!     /opt/skl/bin/python benches/lightgbm_speed.py [rows]
//!     /opt/skl/bin/python benches/lightgbm_toy.py
//!
//! Arguments: `<regression|classification> <train file> <test file> '<hyperparams>' [<out>]`. A
//! file is u32 rows, u32 features (little-endian), the rows' features (f32, row after row), then
//! one f32 label a row (a class code for classification). Prints `fit_seconds` and `iterations`;
//! with `<out>`, writes LightGBM's output for every test row (f64, values or class
//! probabilities) as pgml's evaluator computes it, for the caller to compare with LightGBM's own.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark: a panic is the failure report

use std::io::Write;
use std::time::Instant;

use pgml_core::algorithms::{self, Algorithm, Fitted, Labels};
use pgml_core::Task;

#[path = "support/bench_file.rs"]
mod bench_file;
use bench_file::read;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (task, train, test, hp, out) = match args.as_slice() {
        [t, a, b, h] => (t, a, b, h, None),
        [t, a, b, h, o] => (t, a, b, h, Some(o)),
        _ => panic!("usage: lightgbm_speed <task> <train> <test> <hyperparams> [<out>]"),
    };
    let task = match task.as_str() {
        "classification" => Task::Classification,
        _ => Task::Regression,
    };
    let (x, y) = read(train);
    let codes: Vec<u32> = y.iter().map(|&v| v as u32).collect();
    let labels = match task {
        Task::Classification => Labels::Classes {
            codes: &codes,
            num_classes: codes.iter().max().map_or(0, |&m| m as usize + 1),
        },
        _ => Labels::Values(&y),
    };
    let a = Algorithm::parse("lightgbm").unwrap();
    let params = a.resolve(task, &serde_json::from_str(hp).unwrap()).unwrap();
    let started = Instant::now();
    let m = algorithms::fit(a, task, &params, &x, labels, &|| {}).unwrap();
    println!("fit_seconds {:.3}", started.elapsed().as_secs_f64());
    drop(x);
    let Fitted::Lightgbm(model) = m.fitted() else {
        panic!("not a LightGBM model")
    };
    println!(
        "iterations {}",
        model.trees.len() / model.per_iteration.max(1)
    );
    if let Some(out) = out {
        let (xt, _) = read(test);
        let mut f = std::io::BufWriter::new(std::fs::File::create(out).unwrap());
        for i in 0..xt.rows() {
            for v in model.lightgbm_output(&xt.row(i)) {
                f.write_all(&v.to_le_bytes()).unwrap();
            }
        }
    }
}
