//! Times the packed tree walk against the stored trees' walk on the same models, one row at a
//! time as `pgml.predict` calls them (µs per row, the best of nine passes over the rows, the
//! two walks taking turns; their ratio is what a loaded machine distorts least):
//!
//!     cargo run --release -p pgml-core --example predict_speed [rows]
//!
//! Models: 100 trees of depth 6 on 20 features (xgboost, random_forest, gradient_boosting_trees
//! regression; random_forest classification with 3 classes), and hist_gradient_boosting's
//! defaults (100 iterations, 31 leaves), trained on 20 000 synthetic rows.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark: a panic is the failure report

use std::hint::black_box;
use std::time::Instant;

use pgml_core::algorithms::{self, Algorithm, Fitted, Labels};
use pgml_core::split::SplitMix64;
use pgml_core::{Matrix, Task};

const COLS: usize = 20;

fn uniform(rng: &mut SplitMix64) -> f32 {
    (rng.next_u64() >> 40) as f32 / (1u64 << 24) as f32
}

fn rows(n: usize, seed: u64) -> Vec<Vec<f32>> {
    let mut rng = SplitMix64(seed);
    (0..n)
        .map(|_| (0..COLS).map(|_| uniform(&mut rng) * 2.0 - 1.0).collect())
        .collect()
}

fn target(r: &[f32]) -> f32 {
    r[0] * 3.0 - r[1] * r[2] + (r[3] > 0.2) as u8 as f32 + r[4].sin() + 0.5 * r[5] * r[6]
}

fn fit(algorithm: &str, task: Task, hyperparams: &str, train: &[Vec<f32>]) -> Fitted {
    let n = train.len();
    let mut columns = vec![0.0f32; n * COLS];
    for (i, r) in train.iter().enumerate() {
        for (j, &v) in r.iter().enumerate() {
            columns[j * n + i] = v;
        }
    }
    let x = Matrix::from_columns(n, COLS, columns).unwrap();
    let y: Vec<f32> = train.iter().map(|r| target(r)).collect();
    let codes: Vec<u32> = y
        .iter()
        .map(|&v| u32::from(v > -0.5) + u32::from(v > 1.0))
        .collect();
    let labels = match task {
        Task::Regression => Labels::Values(&y),
        _ => Labels::Classes {
            codes: &codes,
            num_classes: 3,
        },
    };
    let a = Algorithm::parse(algorithm).unwrap();
    let params = a
        .resolve(task, &serde_json::from_str(hyperparams).unwrap())
        .unwrap();
    algorithms::fit(a, task, &params, &x, labels, &|| {})
        .unwrap()
        .fitted()
        .clone()
}

/// µs per row of each walk over `rows`: the best of `ROUNDS` passes, the two walks taking
/// turns so that a load on the machine hits both alike.
fn time(rows: &[Vec<f32>], walks: [&Walk<'_>; 2]) -> [f64; 2] {
    let mut best = [f64::INFINITY; 2];
    for _ in 0..ROUNDS {
        for (b, walk) in best.iter_mut().zip(walks) {
            let started = Instant::now();
            for r in rows {
                black_box(walk(black_box(r)));
            }
            *b = b.min(started.elapsed().as_secs_f64() * 1e6 / rows.len() as f64);
        }
    }
    best
}

const ROUNDS: usize = 9;

/// One walk of a model: a row's raw scores.
type Walk<'a> = dyn Fn(&[f32]) -> Vec<f64> + 'a;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse().unwrap())
        .unwrap_or(20_000);
    let train = rows(20_000, 1);
    let test = rows(n, 2);
    let models = [
        (
            "xgboost",
            Task::Regression,
            r#"{"n_estimators": 100, "max_depth": 6}"#,
        ),
        (
            "random_forest",
            Task::Regression,
            r#"{"n_estimators": 100, "max_depth": 6}"#,
        ),
        (
            "random_forest",
            Task::Classification,
            r#"{"n_estimators": 100, "max_depth": 6}"#,
        ),
        (
            "gradient_boosting_trees",
            Task::Regression,
            r#"{"n_estimators": 100, "max_depth": 6}"#,
        ),
        (
            "hist_gradient_boosting",
            Task::Regression,
            r#"{"early_stopping": false}"#,
        ),
    ];
    println!(
        "{:<40} {:>10} {:>10} {:>7}",
        "model", "stored_us", "packed_us", "ratio"
    );
    for (algorithm, task, hp) in models {
        let fitted = fit(algorithm, task, hp, &train);
        let (stored, packed): (Box<Walk<'_>>, Box<Walk<'_>>) = match &fitted {
            Fitted::XgboostTrees(m) => (
                Box::new(|x| m.ensemble.margins_unpacked(x)),
                Box::new(|x| m.ensemble.margins(x)),
            ),
            Fitted::Forest(m) => (Box::new(|x| m.mean_unpacked(x)), Box::new(|x| m.mean(x))),
            Fitted::GradientBoosting(m) => {
                (Box::new(|x| m.raw_unpacked(x)), Box::new(|x| m.raw(x)))
            }
            Fitted::HistGradientBoosting(m) => {
                (Box::new(|x| m.raw_unpacked(x)), Box::new(|x| m.raw(x)))
            }
            _ => unreachable!("a tree model"),
        };
        // The first call packs the trees; the same answers are a precondition of the timing.
        for r in test.iter().take(1000) {
            assert_eq!(stored(r), packed(r));
        }
        let [s, p] = time(&test, [&*stored, &*packed]);
        let name = format!("{algorithm} {task:?}");
        println!("{name:<40} {s:>10.3} {p:>10.3} {:>6.2}x", s / p);
    }
}
