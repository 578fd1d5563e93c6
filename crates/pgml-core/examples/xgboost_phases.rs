//! Where XGBoost training time goes in pgml, phase by phase, on 200 000 × 20 random rows (the shape of
//! benches/train_speed.sh):   cargo run --release -p pgml-core --example xgboost_phases [threads]
#![allow(clippy::expect_used)] // a benchmark program: a failure is reported by the panic

use std::time::Instant;

use pgml_core::algorithms::{self, Algorithm, Labels};
use pgml_core::split::SplitMix64;
use pgml_core::{Matrix, Task};

fn main() {
    let threads: i64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2);
    let (n, p) = (150_000usize, 20usize); // the 75% training split of 200 000 rows
    let mut rng = SplitMix64(0);
    let data: Vec<f32> = (0..n * p).map(|_| rng.unit() as f32).collect();
    let x = Matrix::from_columns(n, p, data).expect("matrix");
    let y: Vec<f32> = (0..n)
        .map(|i| {
            x.get(i, 0) * 3.0 + x.get(i, 1) * x.get(i, 2) - x.get(i, 3) + rng.unit() as f32 / 10.0
        })
        .collect();

    let started = Instant::now();
    let row_major: Vec<f32> = (0..n)
        .flat_map(|i| (0..p).map(move |j| (i, j)))
        .map(|(i, j)| x.get(i, j))
        .collect();
    println!(
        "column-major to row-major copy  {:>7.3} s",
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    let mut d = pgml_xgboost::DMatrix::from_dense(&row_major, n, p).expect("dmatrix");
    d.set_labels(&y).expect("labels");
    println!(
        "XGDMatrixCreateFromMat          {:>7.3} s",
        started.elapsed().as_secs_f64()
    );
    let boost = |d: &pgml_xgboost::DMatrix| {
        let started = Instant::now();
        let mut b = pgml_xgboost::Booster::new(d).expect("booster");
        for (k, v) in [
            ("tree_method", "hist"),
            ("max_depth", "6"),
            ("eta", "0.3"),
            ("max_bin", "256"),
            ("verbosity", "0"),
        ] {
            b.set_param(k, v).expect("param");
        }
        b.set_param("nthread", &threads.to_string())
            .expect("nthread");
        for i in 0..100 {
            b.update(i, d).expect("update");
        }
        (b, started.elapsed().as_secs_f64())
    };
    // The first round on a plain DMatrix also sketches the columns and bins every value.
    let (_, seconds) = boost(&d);
    println!(
        "100 boosting rounds ({threads} threads)  {seconds:>7.3} s (sketch and bins included)"
    );
    drop(d);
    drop(row_major);

    // What pgml trains on since 0.4.0 (tree_method hist): the column-major matrix read in place.
    let started = Instant::now();
    let q = pgml_xgboost::DMatrix::quantile_from_columns(
        x.as_column_major(),
        n,
        p,
        &y,
        256,
        threads as usize,
    )
    .expect("quantile dmatrix");
    println!(
        "XGQuantileDMatrix from columns  {:>7.3} s (sketch and bins)",
        started.elapsed().as_secs_f64()
    );
    let (b, seconds) = boost(&q);
    println!("100 boosting rounds ({threads} threads)  {seconds:>7.3} s");
    let started = Instant::now();
    let json = b.save_json().expect("json");
    println!(
        "save JSON ({} kB)               {:>7.3} s",
        json.len() / 1024,
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    let e = algorithms::trees::TreeEnsemble::from_xgboost_json(&json).expect("parse");
    println!(
        "read trees into Rust            {:>7.3} s ({} trees)",
        started.elapsed().as_secs_f64(),
        e.trees.len()
    );

    let params = Algorithm::parse("xgboost")
        .expect("xgboost")
        .resolve(Task::Regression, &serde_json::json!({"nthread": threads}))
        .expect("params");
    let started = Instant::now();
    algorithms::fit(
        Algorithm::parse("xgboost").expect("xgboost"),
        Task::Regression,
        &params,
        &x,
        Labels::Values(&y),
        &|| {},
    )
    .expect("fit");
    println!(
        "pgml's whole fit                {:>7.3} s",
        started.elapsed().as_secs_f64()
    );
}
