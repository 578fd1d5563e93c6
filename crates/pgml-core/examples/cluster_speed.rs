//! Times pgml's kmeans and mini_batch_kmeans (10 clusters, 2 threads) on the rows
//! `benches/cluster_speed_sklearn.py` writes (1 000 000 × 20 float32, row-major) and times
//! scikit-learn on:
//!
//!     OMP_NUM_THREADS=2 python3 benches/cluster_speed_sklearn.py /tmp/blobs.f32
//!     cargo run --release -p pgml-core --example cluster_speed -- /tmp/blobs.f32
//!
//! An optional second argument is the random_state (0). Prints the best of three fits and the inertia of the centers found, as the script does.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark: a panic is the failure report

use std::time::Instant;

use pgml_core::algorithms::{Algorithm, Fitted, Labels};
use pgml_core::{Matrix, Task};

const P: usize = 20;

fn main() {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "/tmp/blobs.f32".into());
    let bytes = std::fs::read(&path).unwrap();
    let values: Vec<f32> = bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
        .collect();
    let n = values.len() / P;
    let mut columns = vec![0f32; n * P];
    for i in 0..n {
        for j in 0..P {
            columns[j * n + i] = values[i * P + j];
        }
    }
    let x = Matrix::from_columns(n, P, columns).unwrap();
    let seed: u64 = std::env::args().nth(2).map_or(0, |s| s.parse().unwrap());
    for name in ["kmeans", "mini_batch_kmeans"] {
        let a = Algorithm::parse(name).unwrap();
        let params = a
            .resolve(
                Task::Clustering,
                &serde_json::json!({"n_clusters": 10, "nthread": 2, "random_state": seed}),
            )
            .unwrap();
        let mut best = f64::INFINITY;
        let mut inertia = 0.0;
        for _ in 0..3 {
            let started = Instant::now();
            let model = a
                .fit(Task::Clustering, &params, &x, Labels::None, &|| {})
                .unwrap();
            best = best.min(started.elapsed().as_secs_f64());
            let Fitted::KMeans(m) = model.fitted() else {
                panic!("{name} is not a centers model")
            };
            inertia = (0..n)
                .map(|i| {
                    let row = &values[i * P..(i + 1) * P];
                    m.centroids
                        .chunks(P)
                        .map(|c| {
                            c.iter()
                                .zip(row)
                                .map(|(a, b)| (f64::from(*a) - f64::from(*b)).powi(2))
                                .sum::<f64>()
                        })
                        .fold(f64::INFINITY, f64::min)
                })
                .sum::<f64>();
        }
        println!("pgml {name:18} fit {best:7.3} s (best of 3)  inertia {inertia:.6e}");
    }
}
