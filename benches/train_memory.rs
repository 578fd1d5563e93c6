//! Peak memory of the backend that runs `pgml.train` on ROWS × 20 float features (issue 10's goal:
//! at most 3× the feature matrix as `f32`, i.e. 240 MB for 1 M rows).
//!
//!   cargo run --release -p pgml-e2e --example train_memory [ROWS=1000000] [THREADS=2]
//!
//! One server (shared_buffers 16 MB, so shared pages add little to the backend's resident set), one
//! table `bench.wide` of ROWS random rows, then one fresh connection per algorithm. While each train
//! runs, a second thread reads the training backend's `/proc/<pid>/status` every 5 ms and keeps the
//! largest `RssAnon` (private memory: the snapshot read, the matrix, the learner's own buffers);
//! `VmHWM` (the kernel's peak of the whole resident set, shared pages included) is read at the end.
//! Both are reported minus the same figures for an idle connection, so the numbers are what training
//! added. Needs the release build of the extension installed (scripts/test).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark: a panic is its failure report

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pgml_e2e::{bench_settings, database_with_pgml, Server};

/// `(RssAnon, VmHWM)` of a process in kB.
fn memory_kb(pid: i32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| -> Option<u64> {
        status
            .lines()
            .find(|l| l.starts_with(name))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    };
    Some((field("RssAnon:")?, field("VmHWM:")?))
}

const ALGORITHMS: [(&str, &str, &str); 5] = [
    ("linear", "regression", "{}"),
    (
        "xgboost",
        "regression",
        r#"{"n_estimators": 100, "tree_method": "hist"}"#,
    ),
    (
        "hist_gradient_boosting",
        "regression",
        r#"{"max_iter": 100}"#,
    ),
    (
        "random_forest",
        "regression",
        r#"{"n_estimators": 10, "max_depth": 10}"#,
    ),
    (
        "xgboost",
        "classification",
        r#"{"n_estimators": 100, "tree_method": "hist"}"#,
    ),
];

fn main() {
    let s = bench_settings(
        "train_memory [ROWS=1000000] [THREADS=2]",
        &[("ROWS", 1_000_000.0), ("THREADS", 2.0)],
    );
    let (rows, threads) = (s["ROWS"] as i64, s["THREADS"] as i64);
    let server = Server::builder("train-memory")
        .setting("shared_buffers", "16MB")
        .start()
        .unwrap();
    database_with_pgml(&server, "bench");
    let features: Vec<String> = (1..=20).map(|i| format!("f{i}")).collect();
    let columns = features
        .iter()
        .map(|f| format!("{f} real"))
        .collect::<Vec<_>>()
        .join(", ");
    let values = features
        .iter()
        .map(|_| "random()::real".to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let names = features.join(", ");
    let started = Instant::now();
    server
        .execute(
            "bench",
            &format!(
                "SELECT setseed(0.42);
                 CREATE TABLE wide ({columns}, y real, label int);
                 INSERT INTO wide
                 SELECT r.*, r.f1 * 3 + r.f2 * r.f3 - r.f4 + random()::real * 0.1, (r.f1 + r.f2 > 1)::int
                 FROM (SELECT {values} FROM generate_series(1, {rows})) AS r({names});
                 ANALYZE wide;"
            ),
        )
        .unwrap();
    let matrix_mb = rows as f64 * 20.0 * 4.0 / 1e6;
    eprintln!(
        "{rows} rows loaded in {:.1} s; the feature matrix as f32 is {matrix_mb:.0} MB",
        started.elapsed().as_secs_f64()
    );
    println!("| algorithm | task | train | peak RssAnon added | / f32 matrix | VmHWM added | / f32 matrix |");
    println!("|---|---|---|---|---|---|---|");
    for (i, (algorithm, task, hyperparams)) in ALGORITHMS.iter().enumerate() {
        let mut c = server.connect("bench").unwrap();
        c.batch_execute(&format!("SET pgml.training_threads = {threads}"))
            .unwrap();
        let pid: i32 = c.query_one("SELECT pg_backend_pid()", &[]).unwrap().get(0);
        let (idle_anon, idle_hwm) = memory_kb(pid).unwrap();
        let done = Arc::new(AtomicBool::new(false));
        let sampler = {
            let done = done.clone();
            std::thread::spawn(move || {
                let mut peak = 0;
                while !done.load(Ordering::Relaxed) {
                    if let Some((anon, _)) = memory_kb(pid) {
                        peak = peak.max(anon);
                    }
                    std::thread::sleep(Duration::from_millis(5));
                }
                peak
            })
        };
        let label = if *task == "classification" {
            "label"
        } else {
            "y"
        };
        let t = Instant::now();
        c.execute(
            "SELECT * FROM pgml.train($1, $2::text, 'wide', $3::text,
                     algorithm => $4::text::pgml.algorithm, hyperparams => $5::text::jsonb)",
            &[&format!("memory {i}"), task, &label, algorithm, hyperparams],
        )
        .unwrap();
        let took = t.elapsed().as_secs_f64();
        let (_, hwm) = memory_kb(pid).unwrap();
        done.store(true, Ordering::Relaxed);
        let peak_anon = sampler.join().unwrap();
        let anon_mb = peak_anon.saturating_sub(idle_anon) as f64 / 1e3;
        let hwm_mb = hwm.saturating_sub(idle_hwm) as f64 / 1e3;
        println!(
            "| {algorithm} {hyperparams} | {task} | {took:.1} s | {anon_mb:.0} MB | {:.2}× | {hwm_mb:.0} MB | {:.2}× |",
            anon_mb / matrix_mb,
            hwm_mb / matrix_mb
        );
    }
}
