//! `pgml sync replicate` measured on test-kit servers (both on this machine, loopback):
//! 1. the initial copy of pgbench's tables, against `pg_dump -t ... | psql` of the same tables (the
//!    reference a user would otherwise pick for a one-off copy);
//! 2. the apply lag while pgbench runs its TPC-B write load on the source: a heartbeat row is
//!    updated every 20 ms on the source, and each value's lag is the time from its commit on the
//!    source to the first read that sees it on the target (both timed by this process's clock).
//!
//!   cargo run --release -p pgml-e2e --example replication_lag [SCALE=20] [SECONDS=30] [CLIENTS=4]
//!
//! Needs the release build of the extension installed and the `pgml` binary built (scripts/test).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark: a panic is its failure report

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pgml_e2e::{database_with_pgml, pgml, pipe, text, Server};

const TABLES: &str = "pgbench_accounts,pgbench_branches,pgbench_tellers,heartbeat";

fn main() {
    let s = pgml_e2e::bench_settings(
        "cargo run --release -p pgml-e2e --example replication_lag [SCALE=20] [SECONDS=30] [CLIENTS=4]",
        &[("SCALE", 20.0), ("SECONDS", 30.0), ("CLIENTS", 4.0)],
    );
    let (scale, seconds, clients) = (s["SCALE"] as u32, s["SECONDS"] as u64, s["CLIENTS"] as u32);

    let source = Server::builder("production")
        .logical_replication()
        .start()
        .unwrap();
    let target = Server::start("pgml").unwrap();
    source.create_database("shop").unwrap();
    let out = source
        .command("pgbench", "shop")
        .args(["-i", "-q", "-s", &scale.to_string()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    source
        .execute(
            "shop",
            "CREATE TABLE heartbeat (id int PRIMARY KEY, seq bigint NOT NULL);
             INSERT INTO heartbeat VALUES (1, 0);",
        )
        .unwrap();
    let size = source
        .query_text(
            "shop",
            "SELECT pg_size_pretty(sum(pg_total_relation_size(c))) FROM unnest(ARRAY['pgbench_accounts', 'pgbench_branches', 'pgbench_tellers']::regclass[]) c",
        )
        .unwrap()
        .unwrap_or_default();

    // 1. Initial copy: pg_dump | psql into one database, pgml sync replicate into another.
    target.create_database("dumped").unwrap();
    let started = Instant::now();
    let mut dump = source.command("pg_dump", "shop");
    dump.args(["--no-owner"]);
    for t in TABLES.split(',') {
        dump.args(["-t", t]);
    }
    let mut restore = target.command("psql", "dumped");
    restore.args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-o", "/dev/null"]);
    pipe(dump, restore);
    let dump_time = started.elapsed().as_secs_f64();

    database_with_pgml(&target, "ml");
    let started = Instant::now();
    let out = pgml(&[
        "sync",
        "replicate",
        "--source",
        &source.url("shop"),
        "--target",
        &target.url("ml"),
        "--tables",
        TABLES,
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let replicate_time = started.elapsed().as_secs_f64();
    println!("initial copy of pgbench scale {scale} ({size}), 2 cores, loopback");
    println!("  pg_dump -t ... | psql          {dump_time:>7.1} s  (reference)");
    println!(
        "  pgml sync replicate            {replicate_time:>7.1} s  ({:.2}x the reference's time)",
        replicate_time / dump_time
    );

    // 2. Apply lag under load.
    let done = Arc::new(AtomicBool::new(false));
    let committed: Arc<Mutex<HashMap<i64, Instant>>> = Arc::new(Mutex::new(HashMap::new()));
    let writer = {
        let (done, committed) = (done.clone(), committed.clone());
        let mut c = source.connect("shop").unwrap();
        std::thread::spawn(move || {
            let mut seq = 0i64;
            while !done.load(Ordering::SeqCst) {
                seq += 1;
                c.execute("UPDATE heartbeat SET seq = $1 WHERE id = 1", &[&seq])
                    .unwrap();
                committed.lock().unwrap().insert(seq, Instant::now());
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };
    let reader = {
        let done = done.clone();
        let mut c = target.connect("ml").unwrap();
        std::thread::spawn(move || {
            let mut seen: Vec<(i64, Instant)> = Vec::new();
            let mut last = 0i64;
            while !done.load(Ordering::SeqCst) {
                let seq: i64 = c
                    .query_one("SELECT seq FROM heartbeat WHERE id = 1", &[])
                    .unwrap()
                    .get(0);
                if seq > last {
                    let now = Instant::now();
                    // Values applied between two reads are first seen together.
                    for s in last + 1..=seq {
                        seen.push((s, now));
                    }
                    last = seq;
                }
                std::thread::sleep(Duration::from_millis(2));
            }
            seen
        })
    };
    let out = source
        .command("pgbench", "shop")
        .args(["-n", "-c", &clients.to_string(), "-j", &clients.to_string()])
        .args(["-T", &seconds.to_string()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    // Let the last heartbeats arrive before stopping.
    std::thread::sleep(Duration::from_secs(2));
    done.store(true, Ordering::SeqCst);
    writer.join().unwrap();
    let seen = reader.join().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let tps = stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("tps = "))
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or("?")
        .to_string();
    let committed = committed.lock().unwrap();
    let mut lags: Vec<f64> = seen
        .iter()
        .filter_map(|(s, at)| {
            committed
                .get(s)
                .map(|c| at.saturating_duration_since(*c).as_secs_f64() * 1000.0)
        })
        .collect();
    lags.sort_by(f64::total_cmp);
    let at = |q: f64| lags[((lags.len() - 1) as f64 * q).round() as usize];
    println!(
        "\napply lag under pgbench TPC-B on the source ({clients} clients, {seconds} s, {tps} tps), {} heartbeats",
        lags.len()
    );
    println!(
        "  median {:.1} ms   p95 {:.1} ms   p99 {:.1} ms   max {:.1} ms   (goal: p99 <= 1000 ms)",
        at(0.5),
        at(0.95),
        at(0.99),
        at(1.0)
    );
}
