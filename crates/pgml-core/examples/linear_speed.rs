//! pgml's side of the `linear` training-time comparison (issue 11): LinearRegression's fit on
//! the shape `benches/train_speed_python.py` uses (1 000 000 × 20 random f32, the 75 % training
//! split), best of 3, data in memory.
//!
//!     cargo run --release -p pgml-core --example linear_speed [rows]
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark: a panic is the failure report

use std::time::Instant;

use pgml_core::algorithms::{self, Algorithm, Labels};
use pgml_core::split::SplitMix64;
use pgml_core::{Matrix, Task};

fn main() {
    let rows: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse().unwrap())
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
            &x,
            Labels::Values(&y),
            &|| {},
        )
        .unwrap();
        best = best.min(start.elapsed().as_secs_f64());
    }
    println!("pgml   linear regression            {rows:8} rows  fit {best:6.2} s");
}
