//! Times pgml's forests on a data file written by `benches/forest_speed.py` (which runs this and
//! scikit-learn on the same rows and prints the ratios):
//!
//!     cargo build --release -p pgml-core --example forest_speed
//!     python3 benches/forest_speed.py
//!
//! Arguments: `<train file> <test file> <regression|classification> <algorithm> '<hyperparams>'`.
//! A file is u32 rows, u32 features (little-endian), the rows' features (f32, row after row),
//! then one f32 label a row. Prints `fit_seconds`, the forest's nodes and stored size, the single-row predict time and
//! `score` (r2 or accuracy on the test file).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark: a panic is the failure report

use std::time::Instant;

use pgml_core::algorithms::{self, Algorithm, Labels};
use pgml_core::{metrics, Matrix, Task};

fn read(path: &str) -> (Matrix, Vec<f32>) {
    let bytes = std::fs::read(path).unwrap();
    let word = |i: usize| u32::from_le_bytes(bytes[i * 4..i * 4 + 4].try_into().unwrap());
    let (n, p) = (word(0) as usize, word(1) as usize);
    let f = |i: usize| f32::from_le_bytes(bytes[8 + i * 4..12 + i * 4].try_into().unwrap());
    let mut columns = vec![0.0f32; n * p];
    for i in 0..n {
        for j in 0..p {
            columns[j * n + i] = f(i * p + j);
        }
    }
    let y = (0..n).map(|i| f(n * p + i)).collect();
    (Matrix::from_columns(n, p, columns).unwrap(), y)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [train, test, task, algorithm, hp] = args.as_slice() else {
        panic!("usage: forest_speed <train> <test> <regression|classification> <algorithm> <hyperparams>");
    };
    let task: Task = match task.as_str() {
        "regression" => Task::Regression,
        _ => Task::Classification,
    };
    let (x, y) = read(train);
    let (xt, yt) = read(test);
    let a = Algorithm::parse(algorithm).unwrap();
    let params = a.resolve(task, &serde_json::from_str(hp).unwrap()).unwrap();
    let codes: Vec<u32> = y.iter().map(|&v| v as u32).collect();
    let labels = match task {
        Task::Regression => Labels::Values(&y),
        _ => Labels::Classes {
            codes: &codes,
            num_classes: 2,
        },
    };
    let started = Instant::now();
    let m = algorithms::fit(a, task, &params, &x, labels, &|| {}).unwrap();
    println!("fit_seconds {:.3}", started.elapsed().as_secs_f64());
    if let algorithms::Fitted::Forest(f) = m.fitted() {
        let nodes: usize = f.trees.iter().map(|t| t.node_count()).sum();
        println!("nodes {nodes}");
        let bytes = postcard::to_stdvec(f).unwrap().len();
        println!("model_mib {:.1}", bytes as f64 / (1 << 20) as f64);
    }
    let rows: Vec<Vec<f32>> = (0..xt.rows()).map(|i| xt.row(i)).collect();
    // The best of three passes: the machine is shared, and predict is short.
    let mut best = f64::INFINITY;
    let mut pred = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        pred = rows.iter().map(|r| m.predict(r).unwrap()).collect();
        best = best.min(started.elapsed().as_secs_f64());
    }
    println!("predict_us_per_row {:.2}", best * 1e6 / rows.len() as f64);
    let score = match task {
        Task::Regression => metrics::regression(&yt, &pred)["r2"],
        _ => {
            let truth: Vec<u32> = yt.iter().map(|&v| v as u32).collect();
            let pred: Vec<u32> = pred.iter().map(|&v| v as u32).collect();
            metrics::classification(&truth, &pred, None, 2)["accuracy"]
        }
    };
    println!("score {score:.4}");
}
