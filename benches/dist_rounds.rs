//! Distributed XGBoost through SQL (issue 15): time per boosting round and bytes exchanged per round
//! against the number of shards (1, 2, 3) and the rows per shard, each job run by
//! `pgml.train(..., hyperparams => '{"distributed": true, ...}')` on a coordinator over shard
//! servers on loopback, as a user runs it.
//!
//!   cargo run --release -p pgml-e2e --example dist_rounds [ROWS_SMALL=50000] [ROWS_LARGE=200000] \
//!       [COLS=20] [ROUNDS_A=5] [ROUNDS_B=25] [REPEAT=2]
//!
//! Each (shards, rows) pair trains twice, with ROUNDS_A and ROUNDS_B rounds (`max_depth` 6, 256
//! bins, one thread per shard), interleaved REPEAT times; the difference divided by
//! ROUNDS_B − ROUNDS_A is the cost of one later round without the fixed costs (reading the rows,
//! joining, the quantile sketch of round 0, storing). Times are the slowest shard's worker time
//! from the lineage (`seconds`: after its rows are read) and the coordinator's wall time; bytes are
//! each shard's `bytes_sent` (TCP payload acknowledged on its collective links).
//!
//! Needs the release build of the extension installed (scripts/test, or `cargo pgrx package` into a
//! PostgreSQL copy named by PGML_PG_BIN).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark: a panic is its failure report

use std::time::Instant;

use pgml_e2e::{bench_settings, database_with_pgml, start_servers};

struct Run {
    wall: f64,
    slowest: f64,
    sent: Vec<f64>,
}

fn main() {
    let s = bench_settings(
        "dist_rounds [ROWS_SMALL=50000] [ROWS_LARGE=200000] [COLS=20] [ROUNDS_A=5] [ROUNDS_B=25] [REPEAT=2]",
        &[
            ("ROWS_SMALL", 50_000.0),
            ("ROWS_LARGE", 200_000.0),
            ("COLS", 20.0),
            ("ROUNDS_A", 5.0),
            ("ROUNDS_B", 25.0),
            ("REPEAT", 2.0),
        ],
    );
    let cols = s["COLS"] as usize;
    let (ra, rb) = (s["ROUNDS_A"] as u32, s["ROUNDS_B"] as u32);
    let repeat = s["REPEAT"] as usize;
    let sizes = [s["ROWS_SMALL"] as i64, s["ROWS_LARGE"] as i64];
    let servers = start_servers(&["coordinator", "shard0", "shard1", "shard2"]);
    let coord = &servers[0];
    let features: Vec<String> = (1..=cols).map(|j| format!("f{j}")).collect();
    let columns = features
        .iter()
        .map(|f| format!("{f} real"))
        .chain(["label int".to_string()])
        .collect::<Vec<_>>()
        .join(", ");
    for (i, shard) in servers[1..].iter().enumerate() {
        database_with_pgml(shard, "shard");
        let mut sql = "CREATE ROLE worker LOGIN PASSWORD 'w-s3cret'; GRANT pgml_trainer TO worker;"
            .to_string();
        for &n in &sizes {
            // Continuous features, a noisy linear rule: every shard different rows (its own seed).
            let values = (1..=cols)
                .map(|j| format!("(random() * 2 - 1)::real AS f{j}"))
                .collect::<Vec<_>>()
                .join(", ");
            sql += &format!(
                "CREATE TABLE t_{n} ({columns});
                 SELECT setseed({seed});
                 INSERT INTO t_{n} SELECT {f}, (f1 + f2 - f3 + 0.5 * f4 * f5 + 0.3 * (random() * 2 - 1) > 0)::int
                   FROM (SELECT {values} FROM generate_series(1, {n})) r;
                 GRANT SELECT ON t_{n} TO worker;",
                seed = 0.1 * (i as f64 + 1.0) + (n % 7) as f64 / 100.0,
                f = features.join(", "),
            );
        }
        shard.execute("shard", &sql).unwrap();
    }
    database_with_pgml(coord, "coord");
    let mut sql = "CREATE EXTENSION postgres_fdw;".to_string();
    for (i, shard) in servers[1..].iter().enumerate() {
        sql += &format!(
            "CREATE SERVER shard{i} FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host '127.0.0.1', port '{}', dbname 'shard');
             CREATE USER MAPPING FOR CURRENT_USER SERVER shard{i} OPTIONS (user 'worker', password 'w-s3cret');",
            shard.port()
        );
    }
    for &n in &sizes {
        for shards in 1..=3 {
            sql += &format!("CREATE TABLE p_{n}_{shards} ({columns}) PARTITION BY HASH (label);");
            for i in 0..shards {
                sql += &format!(
                    "CREATE FOREIGN TABLE p_{n}_{shards}_{i} PARTITION OF p_{n}_{shards}
                         FOR VALUES WITH (MODULUS {shards}, REMAINDER {i}) SERVER shard{i}
                         OPTIONS (schema_name 'public', table_name 't_{n}');"
                );
            }
        }
    }
    coord.execute("coord", &sql).unwrap();
    let mut client = postgres::Client::connect(&coord.url("coord"), postgres::NoTls).unwrap();
    let mut train = |n: i64, shards: usize, rounds: u32| -> Run {
        let project = format!("bench_{n}_{shards}_{rounds}");
        let started = Instant::now();
        client
            .query(
                &format!(
                    "SELECT * FROM pgml.train('{project}', 'classification', 'p_{n}_{shards}', 'label',
                         algorithm => 'xgboost', test_size => 0.1, test_sampling => 'last',
                         hyperparams => '{{\"distributed\": true, \"n_estimators\": {rounds}, \"max_depth\": 6, \"nthread\": 1}}')"
                ),
                &[],
            )
            .unwrap();
        let wall = started.elapsed().as_secs_f64();
        let row = client
            .query_one(
                &format!(
                    "SELECT max((e->>'seconds')::float8), array_agg((e->>'bytes_sent')::float8 ORDER BY k)
                       FROM (SELECT s.lineage FROM pgml.snapshots s WHERE s.relation_name = 'public.p_{n}_{shards}'
                              ORDER BY s.id DESC LIMIT 1) s,
                            jsonb_array_elements(s.lineage->'distributed'->'shards') WITH ORDINALITY AS x(e, k)"
                ),
                &[],
            )
            .unwrap();
        Run {
            wall,
            slowest: row.get(0),
            sent: row.get(1),
        }
    };
    let load = || std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("| shards | rows per shard | round (ms, slowest shard) | round (ms, wall) | fixed (s, wall) | sent per shard per round | exchanged per round, all shards | sent per shard, fixed (round 0 sketch) |");
    println!("|---|---|---|---|---|---|---|---|");
    for &n in &sizes {
        for shards in 1..=3 {
            let mut per_round = Vec::new();
            let mut per_round_wall = Vec::new();
            let mut fixed_wall = Vec::new();
            let (mut bytes_round, mut bytes_fixed) = (0.0, 0.0);
            for _ in 0..repeat {
                let a = train(n, shards, ra);
                let b = train(n, shards, rb);
                let d = f64::from(rb - ra);
                per_round.push((b.slowest - a.slowest) / d * 1000.0);
                per_round_wall.push((b.wall - a.wall) / d * 1000.0);
                fixed_wall.push(a.wall - (b.wall - a.wall) / d * f64::from(ra));
                let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
                bytes_round = (mean(&b.sent) - mean(&a.sent)) / d;
                bytes_fixed = mean(&a.sent) - bytes_round * f64::from(ra);
            }
            let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
            println!(
                "| {shards} | {n} | {:.1} ({}) | {:.1} | {:.2} | {:.2} MB | {:.2} MB | {:.2} MB |",
                mean(&per_round),
                per_round
                    .iter()
                    .map(|v| format!("{v:.0}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                mean(&per_round_wall),
                mean(&fixed_wall),
                bytes_round / 1e6,
                bytes_round * shards as f64 / 1e6,
                bytes_fixed / 1e6,
            );
            eprintln!(
                "load average after {shards} shard(s), {n} rows: {}",
                load().trim()
            );
        }
    }
}
