//! One worker of a distributed XGBoost job, run as a child process by tests/collective.rs and by
//! examples/collective_rounds.rs (XGBoost's collective is per thread and rabit's engine cannot be
//! reset after a failure, so each worker gets a process of its own, as a shard server would).
//!
//! Settings come from environment variables (`PGML_WORKER_*`); progress goes to stdout as lines
//! `pgml-collective <world size> <Σ(index+1)> <Σ rows> <max index> <max 100-index> <rank 0's bytes>`,
//! `pgml-round <round> <nanoseconds> <bytes sent> <bytes received>` and `pgml-done <rank>`; the
//! model is written to `<dir>/model-<index>.json`. Any failure: a message on stderr, exit code 2.

#![allow(dead_code)] // each includer uses its own part

use std::io::Write;
use std::time::{Duration, Instant};

use pgml_xgboost::{Booster, Communicator, CommunicatorConfig, DMatrix, Operation};

/// The synthetic table: row `g` is the same wherever it is generated, so each worker makes only
/// its own part and the reference makes all of it.
#[derive(Debug, Clone, Copy)]
pub struct Data {
    pub cols: usize,
    /// Features on a grid of 32 values: fewer than max_bin, so every worker's quantile sketch has
    /// the same cuts as one process's, and only the order of histogram sums differs.
    pub discrete: bool,
    pub regression: bool,
}

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn uniform(row: u64, col: u64) -> f32 {
    (splitmix(row.wrapping_mul(1_000_003).wrapping_add(col)) >> 40) as f32 / (1u64 << 24) as f32
}

impl Data {
    /// Rows `rows` (global numbers): features row-major, and labels.
    pub fn rows(&self, rows: std::ops::Range<u64>) -> (Vec<f32>, Vec<f32>) {
        let mut x = Vec::with_capacity((rows.end - rows.start) as usize * self.cols);
        let mut y = Vec::with_capacity((rows.end - rows.start) as usize);
        for g in rows {
            let start = x.len();
            for c in 0..self.cols {
                let v = uniform(g, c as u64);
                x.push(if self.discrete {
                    (v * 32.0).floor() / 32.0
                } else {
                    v
                });
            }
            let f = &x[start..];
            let noise = uniform(g, 999) - 0.5;
            let score =
                2.0 * f[0] - f[1] + (6.0 * f[2]).sin() + f[3] * f[4 % self.cols] + 0.5 * noise;
            y.push(if self.regression {
                score
            } else {
                f32::from(score > 0.6)
            });
        }
        (x, y)
    }
}

pub fn params(regression: bool) -> Vec<(&'static str, &'static str)> {
    vec![
        ("tree_method", "hist"),
        ("max_depth", "6"),
        ("seed", "0"),
        (
            "objective",
            if regression {
                "reg:squarederror"
            } else {
                "binary:logistic"
            },
        ),
    ]
}

pub fn train(
    data: &Data,
    rows: std::ops::Range<u64>,
    rounds: usize,
    threads: usize,
    mut each_round: impl FnMut(usize, Duration),
) -> Result<Booster, pgml_xgboost::Error> {
    let (x, y) = data.rows(rows.clone());
    let mut d = DMatrix::from_dense(&x, (rows.end - rows.start) as usize, data.cols)?;
    d.set_labels(&y)?;
    let mut b = Booster::new(&d)?;
    for (k, v) in params(data.regression) {
        b.set_param(k, v)?;
    }
    b.set_param("nthread", &threads.to_string())?;
    for i in 0..rounds {
        let t = Instant::now();
        b.update(i, &d)?;
        each_round(i, t.elapsed());
    }
    Ok(b)
}

fn var(name: &str) -> String {
    std::env::var(format!("PGML_WORKER_{name}"))
        .unwrap_or_else(|_| panic!("PGML_WORKER_{name} is not set"))
}

fn num(name: &str) -> u64 {
    var(name)
        .parse()
        .unwrap_or_else(|_| panic!("PGML_WORKER_{name} is not a number"))
}

/// The worker's whole life; exits the process.
pub fn worker_main() -> ! {
    match run_worker() {
        Ok(()) => std::process::exit(0),
        Err(e) => {
            eprintln!("pgml-worker-error: {e}");
            std::process::exit(2);
        }
    }
}

fn run_worker() -> Result<(), pgml_xgboost::Error> {
    let index = num("INDEX");
    let (rows_per_worker, first_row) = (num("ROWS"), num("FIRST_ROW"));
    let data = Data {
        cols: num("COLS") as usize,
        discrete: var("DISCRETE") == "1",
        regression: var("REGRESSION") == "1",
    };
    let mut config = CommunicatorConfig::new(
        &var("TRACKER_HOST"),
        num("TRACKER_PORT") as u16,
        &var("TASK_ID"),
    );
    config.timeout = Duration::from_secs(num("TIMEOUT"));
    let communicator = Communicator::join(&config)?;
    let start = first_row + index * rows_per_worker;
    let mut out = std::io::stdout().lock();
    // The collective by hand, as per-shard statistics (counts, sums, extremes) would use it.
    let mut counts = [index + 1, rows_per_worker];
    communicator.allreduce(&mut counts, Operation::Sum)?;
    let mut extreme = [index as f64, 100.0 - index as f64];
    communicator.allreduce(&mut extreme, Operation::Max)?;
    let mut greeting = [0u8; 12];
    if communicator.rank() == 0 {
        greeting.copy_from_slice(b"from rank 0!");
    }
    communicator.broadcast(&mut greeting, 0)?;
    let _ = writeln!(
        out,
        "pgml-collective {} {} {} {} {} {}",
        communicator.world_size(),
        counts[0],
        counts[1],
        extreme[0],
        extreme[1],
        String::from_utf8_lossy(&greeting)
    );
    let booster = train(
        &data,
        start..start + rows_per_worker,
        num("ROUNDS") as usize,
        num("THREADS") as usize,
        |i, t| {
            let traffic = communicator.traffic();
            let _ = writeln!(
                out,
                "pgml-round {i} {} {} {}",
                t.as_nanos(),
                traffic.sent,
                traffic.received
            );
            let _ = out.flush();
        },
    )?;
    let model = booster.save_json()?;
    let path = format!("{}/model-{index}.json", var("DIR"));
    std::fs::write(&path, model).map_err(|e| pgml_xgboost::Error(format!("{path}: {e}")))?;
    let _ = writeln!(out, "pgml-done {}", communicator.rank());
    let _ = out.flush();
    drop(communicator);
    Ok(())
}

/// The environment for worker `index` (the job's other settings come from `common`).
pub fn worker_env(
    env: &pgml_collective::WorkerEnv,
    index: usize,
    common: &[(&str, String)],
) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = common
        .iter()
        .map(|(k, val)| (format!("PGML_WORKER_{k}"), val.clone()))
        .collect();
    v.push(("PGML_WORKER_INDEX".into(), index.to_string()));
    v.push(("PGML_WORKER_TRACKER_HOST".into(), env.tracker_host.clone()));
    v.push((
        "PGML_WORKER_TRACKER_PORT".into(),
        env.tracker_port.to_string(),
    ));
    v.push(("PGML_WORKER_TASK_ID".into(), env.task_id.clone()));
    v
}
