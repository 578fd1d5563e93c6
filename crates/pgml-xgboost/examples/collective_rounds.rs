//! Time and bytes per boosting round of distributed XGBoost, for 1, 2, 3, … worker processes on
//! this machine, joined through the Rust tracker on 127.0.0.1 (docs/distributed-training.md):
//!
//! ```text
//! cargo run --release -p pgml-xgboost --example collective_rounds -- \
//!     --workers 1,2,3 --rows-per-worker 100000 --cols 20 --rounds 20 [--compare] [--threads 1] [--bind 127.0.0.1:0]
//! ```
//!
//! `--compare` also trains one process on all the workers' rows and compares held-out accuracy.
//!
//! Each worker generates its own rows (the same synthetic table as tests/collective.rs, continuous
//! features), trains with `tree_method=hist`, `max_depth=6`, `--threads` threads (1), and reports after every
//! round the round's wall time and its links' TCP byte counters. A round waits for the slowest
//! worker, so the time of a round is the largest over workers.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark: a panic is the failure report

#[path = "../tests/support/worker.rs"]
mod worker;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pgml_collective::{Tracker, TrackerConfig};
use pgml_xgboost::{Booster, DMatrix};

fn arg(name: &str, default: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
        .unwrap_or_else(|| default.to_string())
}

struct Round {
    nanos: u128,
    sent: u64,
    received: u64,
}

fn main() {
    if std::env::args().nth(1).as_deref() == Some("worker") {
        worker::worker_main();
    }
    let workers: Vec<usize> = arg("--workers", "1,2,3")
        .split(',')
        .map(|w| w.parse().expect("--workers: numbers separated by commas"))
        .collect();
    let rows: u64 = arg("--rows-per-worker", "100000")
        .parse()
        .expect("--rows-per-worker");
    let cols: usize = arg("--cols", "20").parse().expect("--cols");
    let rounds: usize = arg("--rounds", "20").parse().expect("--rounds");
    let threads: usize = arg("--threads", "1").parse().expect("--threads");
    let bind: std::net::SocketAddr = arg("--bind", "127.0.0.1:0")
        .parse()
        .expect("--bind: an address and port");
    println!("{rows} rows x {cols} features per worker, {rounds} rounds, tree_method=hist, max_depth=6, nthread={threads}");
    println!();
    println!("| workers | start to round 0 (s) | round 0 (ms) | later rounds, mean (ms) | bytes sent per worker, round 0 | bytes sent per worker per later round | bytes exchanged per later round, all workers | job total (s) |");
    println!("|---|---|---|---|---|---|---|---|");
    let compare = std::env::args().any(|a| a == "--compare");
    let comparisons: Vec<String> = workers
        .into_iter()
        .filter_map(|n| run(bind, n, rows, cols, rounds, threads, compare))
        .collect();
    if compare {
        println!();
        println!("held-out accuracy (50 000 rows), distributed against one process on all rows:");
        println!();
        println!("| workers | rows in all | distributed | one process | difference |");
        println!("|---|---|---|---|---|");
        for c in comparisons {
            println!("{c}");
        }
    }
}

#[allow(clippy::too_many_arguments)] // the benchmark's settings, passed through
fn run(
    bind: std::net::SocketAddr,
    n: usize,
    rows: u64,
    cols: usize,
    rounds: usize,
    threads: usize,
    compare: bool,
) -> Option<String> {
    let dir = std::env::temp_dir().join(format!("pgml-collective-rounds-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary directory");
    let tracker = Tracker::start(TrackerConfig::new(bind, n)).expect("tracker");
    let common = [
        ("ROWS", rows.to_string()),
        ("FIRST_ROW", "0".to_string()),
        ("COLS", cols.to_string()),
        ("DISCRETE", "0".to_string()),
        ("REGRESSION", "0".to_string()),
        ("ROUNDS", rounds.to_string()),
        ("TIMEOUT", "60".to_string()),
        ("THREADS", threads.to_string()),
        ("DIR", dir.display().to_string()),
    ];
    let started = Instant::now();
    let exe = std::env::current_exe().expect("own path");
    let children: Vec<_> = (0..n)
        .map(|i| {
            Command::new(&exe)
                .arg("worker")
                .envs(worker::worker_env(&tracker.worker(i), i, &common))
                .stdout(Stdio::piped())
                .spawn()
                .expect("worker process")
        })
        .collect();
    // Per worker: the time its first round line arrived (≈ join + data), and its rounds.
    let readers: Vec<_> = children
        .into_iter()
        .map(|mut c| {
            let out = c.stdout.take().expect("piped stdout");
            std::thread::spawn(move || {
                let mut first_line = None;
                let mut rs = Vec::new();
                for line in BufReader::new(out).lines().map_while(Result::ok) {
                    let f: Vec<&str> = line.split_whitespace().collect();
                    if f.first() == Some(&"pgml-round") && f.len() == 5 {
                        first_line.get_or_insert_with(Instant::now);
                        rs.push(Round {
                            nanos: f[2].parse().unwrap_or(0),
                            sent: f[3].parse().unwrap_or(0),
                            received: f[4].parse().unwrap_or(0),
                        });
                    }
                }
                let status = c.wait().expect("worker exit");
                assert!(status.success(), "a worker failed: {status}");
                (first_line, rs)
            })
        })
        .collect();
    let results: Vec<(Option<Instant>, Vec<Round>)> = readers
        .into_iter()
        .map(|r| r.join().expect("reader"))
        .collect();
    let total = started.elapsed();
    tracker.wait().expect("tracker");
    let comparison = compare.then(|| {
        let model = std::fs::read(dir.join("model-0.json")).expect("worker 0's model");
        compare_with_one_process(&model, n, rows, cols, rounds, threads)
    });
    let _ = std::fs::remove_dir_all(&dir);

    let round_time = |i: usize| results.iter().map(|(_, r)| r[i].nanos).max().unwrap_or(0);
    let later: Vec<u128> = (1..rounds).map(round_time).collect();
    let mean_later_ms = later.iter().sum::<u128>() as f64 / later.len().max(1) as f64 / 1e6;
    let sent_round0 = results.iter().map(|(_, r)| r[0].sent).sum::<u64>() as f64 / n as f64;
    let sent_later: f64 = results
        .iter()
        .map(|(_, r)| (r[rounds - 1].sent - r[0].sent) as f64 / (rounds - 1).max(1) as f64)
        .sum::<f64>();
    let received_check: u64 = results.iter().map(|(_, r)| r[rounds - 1].received).sum();
    let sent_total: u64 = results.iter().map(|(_, r)| r[rounds - 1].sent).sum();
    assert!(
        sent_total.abs_diff(received_check) <= sent_total / 100 + 4096,
        "what was sent was received: {sent_total} vs {received_check}"
    );
    let join = results
        .iter()
        .filter_map(|(f, r)| {
            f.as_ref()?
                .duration_since(started)
                .checked_sub(Duration::from_nanos(r[0].nanos as u64))
        })
        .max()
        .unwrap_or_default();
    println!(
        "| {n} | {:.2} | {:.0} | {:.1} | {:.0} | {:.0} | {:.0} | {:.2} |",
        join.as_secs_f64(),
        round_time(0) as f64 / 1e6,
        mean_later_ms,
        sent_round0,
        sent_later / n as f64,
        sent_later,
        total.as_secs_f64()
    );
    comparison
}

/// Held-out accuracy of the distributed model against one process trained on all the workers'
/// rows with the same parameters.
fn compare_with_one_process(
    model: &[u8],
    n: usize,
    rows: u64,
    cols: usize,
    rounds: usize,
    threads: usize,
) -> String {
    let data = worker::Data {
        cols,
        discrete: false,
        regression: false,
    };
    let distributed = Booster::load(model).expect("model");
    let single =
        worker::train(&data, 0..rows * n as u64, rounds, threads, |_, _| {}).expect("one process");
    let (x, y) = data.rows(1_000_000_000..1_000_050_000);
    let holdout = DMatrix::from_dense(&x, y.len(), cols).expect("holdout");
    let accuracy = |b: &Booster| {
        let p = b.predict(&holdout).expect("predict");
        p.iter()
            .zip(&y)
            .filter(|(&p, &t)| f32::from(p > 0.5) == t)
            .count() as f64
            / y.len() as f64
    };
    let (d, s) = (accuracy(&distributed), accuracy(&single));
    format!(
        "| {n} | {} | {d:.5} | {s:.5} | {:+.5} |",
        rows * n as u64,
        d - s
    )
}
