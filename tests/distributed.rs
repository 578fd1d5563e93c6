//! Distributed training (issue 15) on real servers: three shard servers and a coordinator whose
//! `events` is a partitioned table of postgres_fdw foreign tables (trained through a view over
//! it). Distributed models against single-server ones trained on the same rows (the coordinator
//! also holds a local copy of the union, `events_all`, in the shards' order, so that
//! `test_sampling => 'last'` makes both use the same training and test rows); predictions on
//! the coordinator and, after `pgml models push`, on a shard; the bytes each shard sent; every
//! preflight failure and a shard dying mid-job, with nothing left behind.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use std::time::{Duration, Instant};

use pgml_e2e::{database_with_pgml, pgml, start_servers, text, Server};

/// Rows per shard. The issue asks for 600 000 in all; 3 × 40 000 keeps this test's three servers,
/// single-server reference fits and failure cases within a few minutes on a shared 2-core machine
/// (`PGML_DIST_ROWS` raises it: `PGML_DIST_ROWS=200000` is the issue's size).
fn rows_per_shard() -> i64 {
    std::env::var("PGML_DIST_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40_000)
}

const COLUMNS: &str =
    "g bigint, f1 real, f2 real, f3 real, f4 real, f5 real, f6 real, y real, is_fraud int";

/// Deterministic rows g in [from, to]: six correlated features with distinct variances (so that
/// PCA's directions are well defined), a regression label and a noisy class label.
fn rows_sql(from: i64, to: i64) -> String {
    let u = |p: i64| format!("(((g * {p}) % 1009) / 1009.0 - 0.5)");
    // The noise has another period than the features, so they do not determine it.
    let noise = "(((g * 86028121) % 1013) / 1013.0 - 0.5)";
    let (u1, u2, u3) = (u(7919), u(104_729), u(1_299_709));
    let (u4, u5, u6) = (u(15_485_863), u(32_452_843), u(49_979_687));
    format!(
        "SELECT g, f1, f2, f3, f4, f5, f6,
                3 * f1 - 2 * f2 + f3 + 0.2 * n,
                CASE WHEN f1 + f2 - f3 + 0.6 * n > 0 THEN 1 ELSE 0 END
           FROM (SELECT g, 3 * {u1} AS f1, 2 * {u2} + {u1} AS f2, {u3} + 0.5 * {u1} AS f3,
                        0.5 * {u4} AS f4, 0.3 * {u5} AS f5, 0.1 * {u6} AS f6, {noise} AS n
                   FROM generate_series({from}::bigint, {to}::bigint) g) r
          ORDER BY g"
    )
}

struct Cluster {
    servers: Vec<Server>,
}

impl Cluster {
    fn coordinator(&self) -> &Server {
        &self.servers[0]
    }
    fn shard(&self, i: usize) -> &Server {
        &self.servers[i + 1]
    }
    fn q(&self, sql: &str) -> String {
        self.coordinator()
            .query_text("coord", sql)
            .unwrap()
            .unwrap_or_default()
    }
    fn f(&self, sql: &str) -> f64 {
        self.q(sql)
            .parse()
            .unwrap_or_else(|_| panic!("{sql}: not a number"))
    }
}

/// The union of the shards' rows, every shard's first 75 % and then every shard's last 25 %: with
/// `test_size => 0.25, test_sampling => 'last'` a single-server train on it uses exactly the rows
/// the shards train and test on.
fn events_all(n: i64) -> String {
    let test = (n + 3) / 4;
    let mut sql = String::new();
    for i in 0..3 {
        sql += &format!(
            "INSERT INTO events_all {};",
            rows_sql(i * n + 1, i * n + n - test)
        );
    }
    for i in 0..3 {
        sql += &format!(
            "INSERT INTO events_all {};",
            rows_sql(i * n + n - test + 1, (i + 1) * n)
        );
    }
    sql
}

/// Coordinator + 3 shards; shard i holds rows i·n+1 ..= (i+1)·n in `events_local`, readable by the
/// role `worker`, which the coordinator's user mappings name.
fn cluster() -> Cluster {
    let servers = start_servers(&["coordinator", "shard0", "shard1", "shard2"]);
    let n = rows_per_shard();
    let c = Cluster { servers };
    for i in 0..3 {
        let s = c.shard(i);
        database_with_pgml(s, "shard");
        s.execute(
            "shard",
            &format!(
                "CREATE ROLE worker LOGIN PASSWORD 'w-s3cret';
                 GRANT pgml_trainer TO worker;
                 CREATE TABLE events_local ({COLUMNS});
                 INSERT INTO events_local {};
                 GRANT SELECT ON events_local TO worker;",
                rows_sql(i as i64 * n + 1, (i as i64 + 1) * n)
            ),
        )
        .unwrap();
    }
    let coord = c.coordinator();
    database_with_pgml(coord, "coord");
    let mut sql = format!(
        "CREATE EXTENSION postgres_fdw;
         CREATE TABLE events ({COLUMNS}) PARTITION BY RANGE (g);
         CREATE TABLE events_all ({COLUMNS});
         {}",
        events_all(n)
    );
    for i in 0..3 {
        sql += &format!(
            "CREATE SERVER shard{i} FOREIGN DATA WRAPPER postgres_fdw
                 OPTIONS (host '127.0.0.1', port '{port}', dbname 'shard');
             CREATE USER MAPPING FOR CURRENT_USER SERVER shard{i} OPTIONS (user 'worker', password 'w-s3cret');
             CREATE FOREIGN TABLE events_{i} PARTITION OF events
                 FOR VALUES FROM ({lo}) TO ({hi}) SERVER shard{i}
                 OPTIONS (schema_name 'public', table_name 'events_local');",
            port = c.shard(i).port(),
            lo = i as i64 * n + 1,
            hi = (i as i64 + 1) * n + 1,
        );
    }
    // Views choose the columns (and leave out the partition key): one per label, one without.
    for (name, label) in [("c", ", is_fraud"), ("r", ", y"), ("x", "")] {
        sql += &format!(
            "CREATE VIEW events_{name} AS SELECT f1, f2, f3, f4, f5, f6{label} FROM events;
             CREATE VIEW events_all_{name} AS SELECT f1, f2, f3, f4, f5, f6{label} FROM events_all;"
        );
    }
    coord.execute("coord", &sql).unwrap();
    c
}

fn train_sql(
    project: &str,
    task: &str,
    relation: &str,
    label: &str,
    algorithm: &str,
    hyperparams: &str,
) -> String {
    format!(
        "SELECT deployed FROM pgml.train('{project}', '{task}', '{relation}', {label}, algorithm => '{algorithm}',
                 hyperparams => '{hyperparams}', test_size => 0.25, test_sampling => 'last')"
    )
}

fn metric(c: &Cluster, project: &str, name: &str) -> f64 {
    c.f(&format!(
        "SELECT (m.metrics->>'{name}') FROM pgml.models m JOIN pgml.projects p ON p.id = m.project_id
          WHERE p.name = '{project}' ORDER BY m.id DESC LIMIT 1"
    ))
}

/// Catalog rows and snapshot tables on the coordinator, and snapshot tables on every shard (a
/// shard's worker writes no catalog row; one case drops pgml there).
fn leftovers(c: &Cluster) -> String {
    let mut s = c.q(
        "SELECT (SELECT count(*) FROM pgml.snapshots) || '/' || (SELECT count(*) FROM pgml.models) || '/'
             || (SELECT count(*) FROM pg_class WHERE relname LIKE 'snapshot\\_%')",
    );
    for i in 0..3 {
        s += &format!(
            " {}",
            c.shard(i)
                .query_text(
                    "shard",
                    "SELECT count(*) FROM pg_class WHERE relname LIKE 'snapshot\\_%'"
                )
                .unwrap()
                .unwrap_or_default()
        );
    }
    s
}

/// (rows, bytes sent, server) of each shard in the lineage of the latest snapshot of `relation`.
fn shard_bytes(c: &Cluster, relation: &str) -> Vec<(i64, f64, String)> {
    let list = c.q(&format!(
        "SELECT string_agg((e->>'rows') || ' ' || (e->>'bytes_sent') || ' ' || (e->>'server'), ';' ORDER BY k)
           FROM (SELECT lineage FROM pgml.snapshots WHERE relation_name = '{relation}' ORDER BY id DESC LIMIT 1) s,
                jsonb_array_elements(s.lineage->'distributed'->'shards') WITH ORDINALITY AS x(e, k)"
    ));
    let shards: Vec<(i64, f64, String)> = list
        .split(';')
        .map(|r| {
            let p: Vec<&str> = r.split(' ').collect();
            (
                p[0].parse().unwrap(),
                p[1].parse().unwrap(),
                p[2].to_string(),
            )
        })
        .collect();
    assert_eq!(shards.len(), 3, "{list}");
    shards
}

const POINTS: [&str; 3] = [
    "ARRAY[0.1, -0.2, 0.3, 0.0, 0.1, -0.4]::real[]",
    "ARRAY[-0.4, 0.4, 0.1, 0.2, -0.3, 0.2]::real[]",
    "ARRAY[0.25, 0.05, -0.35, 0.45, 0.0, -0.1]::real[]",
];

#[test]
fn distributed_training_equals_single_server_and_leaves_rows_on_the_shards() {
    let c = cluster();
    let n = rows_per_shard();

    // XGBoost: within 0.005 of one server trained on the same rows with the same parameters.
    let xgb = r#"{"distributed": true, "n_estimators": 20, "max_depth": 6, "nthread": 1}"#;
    let started = Instant::now();
    assert_eq!(
        c.q(&train_sql(
            "fraud",
            "classification",
            "events_c",
            "'is_fraud'",
            "xgboost",
            xgb
        )),
        "t"
    );
    let distributed_seconds = started.elapsed().as_secs_f64();
    c.q(&train_sql(
        "fraud_single",
        "classification",
        "events_all_c",
        "'is_fraud'",
        "xgboost",
        r#"{"n_estimators": 20, "max_depth": 6, "nthread": 1}"#,
    ));
    let (dist, single) = (
        metric(&c, "fraud", "accuracy"),
        metric(&c, "fraud_single", "accuracy"),
    );
    println!("xgboost accuracy: distributed {dist:.5}, single server {single:.5} ({distributed_seconds:.1} s distributed)");
    assert!(dist > 0.8, "the model learned: {dist}");
    assert!(
        (dist - single).abs() <= 0.005,
        "distributed {dist} vs single {single}"
    );
    // roc_auc too, from the shards' score maps (the same rows, the same rank statistic).
    let (dist_auc, single_auc) = (
        metric(&c, "fraud", "roc_auc"),
        metric(&c, "fraud_single", "roc_auc"),
    );
    println!("xgboost roc_auc: distributed {dist_auc:.5}, single server {single_auc:.5}");
    assert!(
        (dist_auc - single_auc).abs() <= 0.005,
        "roc_auc distributed {dist_auc} vs single {single_auc}"
    );

    // Lineage: every shard, its rows, and the bytes it sent (a small fraction of its data).
    let shards = c.q(
        "SELECT jsonb_array_length(lineage->'distributed'->'shards') FROM pgml.snapshots s
           JOIN pgml.projects p ON p.id = (SELECT project_id FROM pgml.models m WHERE m.snapshot_id = s.id LIMIT 1)
          WHERE p.name = 'fraud'",
    );
    assert_eq!(shards, "3");
    // XGBoost's exchange is histograms: per round at most 2^max_depth nodes × 6 features × 256
    // bins × (gradient, hessian) × 8 bytes, twice around the ring, plus the quantile sketch once;
    // a bound that does not grow with the rows (at 40 000 rows a shard's data is still smaller
    // than 20 rounds of histograms; at the issue's 200 000 rows per shard it is not).
    let bound = (20 * 64 * 6 * 256 * 16 * 2 + 8_000_000) as f64;
    for (i, (rows, sent, server)) in shard_bytes(&c, "public.events_c").into_iter().enumerate() {
        assert_eq!(rows, n);
        assert_eq!(server, format!("shard{i}"));
        let data = (n * 7 * 4) as f64; // 7 columns of 4 bytes: sending the rows at the least
        println!(
            "xgboost, shard{i}: {n} rows, {sent} bytes sent ({:.1}% of its {data} bytes of data; bound {bound})",
            100.0 * sent / data
        );
        assert!(sent > 0.0 && sent <= bound, "shard{i} sent {sent} bytes");
    }
    // The shards never held a copy: no snapshot there; the coordinator's snapshot is not materialized.
    assert_eq!(c.q("SELECT bool_or(materialized)::text FROM pgml.snapshots WHERE relation_name = 'public.events_c'"), "false");

    // It predicts on the coordinator, like any model.
    for p in POINTS {
        let v = c.f(&format!("SELECT pgml.predict('fraud', {p})"));
        assert!(v == 0.0 || v == 1.0, "{v}");
    }

    // Linear, ridge, PCA: equal to single-server training on the same rows.
    for (project, task, label, algorithm, params) in [
        ("lin", "regression", "'y'", "linear", "{}"),
        ("rdg", "regression", "'y'", "ridge", r#"{"alpha": 3.0}"#),
        (
            "pca",
            "decomposition",
            "NULL",
            "pca",
            r#"{"n_components": 3}"#,
        ),
    ] {
        let view = if task == "decomposition" { "x" } else { "r" };
        let dist_params = params
            .replacen('{', r#"{"distributed": true, "#, 1)
            .replace(", }", "}");
        c.q(&train_sql(
            project,
            task,
            &format!("events_{view}"),
            label,
            algorithm,
            &dist_params,
        ));
        let single = format!("{project}_single");
        c.q(&train_sql(
            &single,
            task,
            &format!("events_all_{view}"),
            label,
            algorithm,
            params,
        ));
        for p in POINTS {
            let (a, b) = if task == "decomposition" {
                (
                    c.q(&format!(
                        "SELECT array_to_string(pgml.decompose('{project}', {p}), ',')"
                    )),
                    c.q(&format!(
                        "SELECT array_to_string(pgml.decompose('{single}', {p}), ',')"
                    )),
                )
            } else {
                (
                    c.q(&format!("SELECT pgml.predict('{project}', {p})")),
                    c.q(&format!("SELECT pgml.predict('{single}', {p})")),
                )
            };
            for (x, y) in a.split(',').zip(b.split(',')) {
                let (x, y): (f64, f64) = (x.parse().unwrap(), y.parse().unwrap());
                assert!(
                    (x - y).abs() <= 1e-5 * (1.0 + y.abs()),
                    "{project}: {a} vs {b}"
                );
            }
        }
        // Statistics only: a few kilobytes whatever the rows.
        let relation = format!("public.events_{view}");
        for (rows, sent, server) in shard_bytes(&c, &relation) {
            let data = (rows * 7 * 4) as f64;
            println!(
                "{algorithm}, {server}: {rows} rows, {sent} bytes sent ({:.3}% of its data)",
                100.0 * sent / data
            );
            assert!(
                sent > 0.0 && sent < data / 100.0,
                "{server} sent {sent} bytes"
            );
        }
        let key = if task == "decomposition" {
            "cumulative_explained_variance"
        } else {
            "r2"
        };
        let (a, b) = (metric(&c, project, key), metric(&c, &single, key));
        println!("{algorithm}: {key} distributed {a:.8}, single server {b:.8}");
        assert!((a - b).abs() <= 1e-7, "{project} {key}: {a} vs {b}");
    }

    // k-means: Lloyd from per-shard sums and counts; it trains, predicts and records its shards.
    c.q(&train_sql(
        "km",
        "clustering",
        "events_x",
        "NULL",
        "kmeans",
        r#"{"distributed": true, "n_clusters": 4}"#,
    ));
    let cluster_of = c.f(&format!("SELECT pgml.predict('km', {})", POINTS[0]));
    assert!((0.0..4.0).contains(&cluster_of));
    // Its start sends no row (each shard's group means); what that costs against single-server
    // k-means++ on the same training rows: inertia over every row, from the clusters predict gives.
    c.q(&train_sql(
        "km_single",
        "clustering",
        "events_all_x",
        "NULL",
        "kmeans",
        r#"{"n_clusters": 4}"#,
    ));
    let inertia = |project: &str| {
        let f = (1..=6).map(|j| format!("f{j}::float8")).collect::<Vec<_>>();
        c.f(&format!(
            "SELECT sum(ss) FROM (
                 SELECT {} AS ss
                   FROM (SELECT pgml.predict('{project}', ARRAY[f1, f2, f3, f4, f5, f6]) AS c, * FROM events_all_x) t
                  GROUP BY c) u",
            f.iter()
                .map(|v| format!("sum({v} * {v}) - sum({v}) * sum({v}) / count(*)"))
                .collect::<Vec<_>>()
                .join(" + ")
        ))
    };
    let (dist, single) = (inertia("km"), inertia("km_single"));
    println!(
        "kmeans: inertia distributed {dist:.3}, single server (k-means++) {single:.3}, ratio {:.4}",
        dist / single
    );
    assert!(dist <= single * 1.05, "{dist} vs {single}");

    // Pushed to a shard, the distributed model predicts there too, with the same answers.
    let push = pgml(&[
        "models",
        "push",
        "--source",
        &c.coordinator().url("coord"),
        "--target",
        &c.shard(1).url("shard"),
        "--project",
        "fraud",
    ]);
    assert!(push.status.success(), "{}", text(&push));
    for p in POINTS {
        let here = c.q(&format!("SELECT pgml.predict('fraud', {p})"));
        let there = c
            .shard(1)
            .query_text("shard", &format!("SELECT pgml.predict('fraud', {p})"))
            .unwrap()
            .unwrap();
        assert_eq!(here, there);
    }
}

#[test]
fn every_shard_failure_names_the_shard_and_leaves_nothing_behind() {
    let c = cluster();
    let train = || {
        c.coordinator()
            .query_text(
                "coord",
                &train_sql(
                    "fails",
                    "regression",
                    "events_r",
                    "'y'",
                    "xgboost",
                    r#"{"distributed": true, "n_estimators": 5}"#,
                ),
            )
            .err()
            .map(|e| format!("{e:?}"))
    };
    let before = leftovers(&c);
    let expect = |what: &str, err: Option<String>, needles: &[&str]| {
        let e = err.unwrap_or_else(|| panic!("{what}: the train succeeded"));
        for n in needles {
            assert!(e.contains(n), "{what}: {n:?} not in {e}");
        }
        assert_eq!(leftovers(&c), before, "{what} left rows or tables behind");
    };

    // A view the shards could not apply (a WHERE, a computed column): refused before any shard
    // is contacted, naming the view, rather than silently training on every row.
    c.coordinator()
        .execute(
            "coord",
            "CREATE VIEW events_filtered AS SELECT f1, f2, f3, f4, f5, f6, y FROM events WHERE f1 > 0;
             CREATE VIEW events_computed AS SELECT f1 * 2 AS f1, f2, f3, f4, f5, f6, y FROM events;
             CREATE VIEW events_over_filtered AS SELECT * FROM events_filtered;",
        )
        .unwrap();
    for view in ["events_filtered", "events_computed", "events_over_filtered"] {
        let err = c
            .coordinator()
            .query_text(
                "coord",
                &train_sql(
                    "fails",
                    "regression",
                    view,
                    "'y'",
                    "xgboost",
                    r#"{"distributed": true, "n_estimators": 5}"#,
                ),
            )
            .err()
            .map(|e| format!("{e:?}"));
        let inner = if view == "events_over_filtered" {
            "events_filtered"
        } else {
            view
        };
        expect(view, err, &["0A000", "cannot apply view", inner]);
    }

    // No SELECT on the shard's table.
    c.shard(1)
        .execute("shard", "REVOKE SELECT ON events_local FROM worker")
        .unwrap();
    expect(
        "no select",
        train(),
        &["shard1", "GRANT SELECT ON public.events_local TO worker"],
    );
    c.shard(1)
        .execute("shard", "GRANT SELECT ON events_local TO worker")
        .unwrap();

    // pgml missing on the shard.
    c.shard(2)
        .execute("shard", "DROP EXTENSION pgml CASCADE")
        .unwrap();
    expect(
        "no pgml",
        train(),
        &["shard2", "pgml is not installed", "CREATE EXTENSION pgml"],
    );
    c.shard(2)
        .execute(
            "shard",
            "CREATE EXTENSION pgml; GRANT pgml_trainer TO worker",
        )
        .unwrap();

    // A different pgml version on the shard.
    c.shard(0)
        .execute(
            "shard",
            "UPDATE pg_extension SET extversion = '0.3.0' WHERE extname = 'pgml'",
        )
        .unwrap();
    expect(
        "other version",
        train(),
        &[
            "shard0",
            "pgml 0.3.0 is installed there",
            "ALTER EXTENSION pgml UPDATE",
        ],
    );
    c.shard(0)
        .execute(
            "shard",
            &format!(
                "UPDATE pg_extension SET extversion = '{}' WHERE extname = 'pgml'",
                pgml_e2e::VERSION
            ),
        )
        .unwrap();

    // A foreign server that asks for TLS of a shard that has none: the job's connection follows
    // the server's sslmode (as postgres_fdw's libpq would) and fails, naming the shard, rather than
    // going on in clear text. (tests/distributed_tls.rs trains over TLS.)
    c.coordinator()
        .execute(
            "coord",
            "ALTER SERVER shard1 OPTIONS (ADD sslmode 'verify-full')",
        )
        .unwrap();
    expect("sslmode", train(), &["08001", "shard1", "TLS"]);
    c.coordinator()
        .execute("coord", "ALTER SERVER shard1 OPTIONS (DROP sslmode)")
        .unwrap();

    // A shard server that is down.
    let mut servers = c.servers;
    servers[3].stop().unwrap();
    let c = Cluster { servers };
    let started = Instant::now();
    let err = c.coordinator().query_text(
        "coord",
        &train_sql(
            "fails",
            "regression",
            "events_r",
            "'y'",
            "xgboost",
            r#"{"distributed": true, "n_estimators": 5}"#,
        ),
    );
    let e = format!("{:?}", err.expect_err("down"));
    assert!(e.contains("shard2") && e.contains("cannot connect"), "{e}");
    assert!(started.elapsed() < Duration::from_secs(30));
    let mut servers = c.servers;
    servers[3].restart().unwrap();
    let c = Cluster { servers };

    // A shard whose worker dies mid-job: the job fails within the timeout, naming a shard.
    c.coordinator()
        .execute(
            "coord",
            "ALTER DATABASE coord SET pgml.distributed_timeout = 10",
        )
        .unwrap();
    let killer = {
        let url = c.shard(0).url("shard");
        std::thread::spawn(move || {
            let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
            let deadline = Instant::now() + Duration::from_secs(60);
            while Instant::now() < deadline {
                let killed: i64 = client
                    .query_one(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE query LIKE '%_dist_worker%' AND pid <> pg_backend_pid() AND query NOT LIKE '%pg_stat_activity%'",
                        &[],
                    )
                    .unwrap()
                    .get(0);
                if killed > 0 {
                    return true;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            false
        })
    };
    let started = Instant::now();
    let err = c.coordinator().query_text(
        "coord",
        &train_sql(
            "fails",
            "regression",
            "events_r",
            "'y'",
            "xgboost",
            r#"{"distributed": true, "n_estimators": 400, "max_depth": 8}"#,
        ),
    );
    let took = started.elapsed();
    assert!(killer.join().unwrap(), "the worker was never seen running");
    let e = format!("{:?}", err.expect_err("killed"));
    assert!(e.contains("shard"), "{e}");
    println!("a shard killed mid-job: the train failed after {took:?}: {e}");
    assert!(took < Duration::from_secs(45), "{took:?}");
    assert_eq!(
        leftovers(&c),
        before,
        "a killed job left rows or tables behind"
    );
    // No shard is still running its part a little later (each ends within the timeout).
    std::thread::sleep(Duration::from_secs(12));
    for i in 0..3 {
        let running = c.shard(i)
            .query_text("shard", "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pgml._dist_worker%' AND pid <> pg_backend_pid()")
            .unwrap()
            .unwrap();
        assert_eq!(running, "0", "shard{i} still runs a worker");
    }

    // Cancelling the coordinator's statement cancels the shards' statements, and the worker
    // threads with them: the shard backends that ran the job (whose threads hold the collective's
    // ports) are gone within a few seconds. The watcher collects their pids while the job runs.
    let watcher = {
        let urls: Vec<String> = (0..3).map(|i| c.shard(i).url("shard")).collect();
        std::thread::spawn(move || {
            let mut pids = std::collections::BTreeSet::new();
            let deadline = Instant::now() + Duration::from_secs(4);
            let mut clients: Vec<postgres::Client> = urls
                .iter()
                .map(|u| postgres::Client::connect(u, postgres::NoTls).unwrap())
                .collect();
            while Instant::now() < deadline {
                for client in &mut clients {
                    for row in client
                        .query(
                            "SELECT pid FROM pg_stat_activity WHERE query LIKE '%pgml._dist_worker%' AND pid <> pg_backend_pid()",
                            &[],
                        )
                        .unwrap()
                    {
                        pids.insert(row.get::<_, i32>(0));
                    }
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            pids
        })
    };
    let started = Instant::now();
    let err = c.coordinator().query_text(
        "coord",
        &format!(
            "SET statement_timeout = '3s'; {}",
            train_sql(
                "fails",
                "regression",
                "events_r",
                "'y'",
                "xgboost",
                r#"{"distributed": true, "n_estimators": 2000, "max_depth": 10}"#
            )
        ),
    );
    let ended = Instant::now();
    let e = format!("{:?}", err.expect_err("cancelled"));
    assert!(
        e.contains("statement timeout") || e.contains("canceling"),
        "{e}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    let pids = watcher.join().unwrap();
    assert!(pids.len() >= 3, "the shards' workers were seen: {pids:?}");
    while pids
        .iter()
        .any(|p| std::path::Path::new(&format!("/proc/{p}")).exists())
        && ended.elapsed() < Duration::from_secs(10)
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    let left: Vec<_> = pids
        .iter()
        .filter(|p| std::path::Path::new(&format!("/proc/{p}")).exists())
        .collect();
    println!(
        "after the coordinator's cancel: the shards' worker backends {pids:?} were gone {:?} after the statement ended",
        ended.elapsed()
    );
    assert!(
        left.is_empty(),
        "shard backends {left:?} (and their worker threads and ports) still exist 10 s after the cancel"
    );
    std::thread::sleep(Duration::from_secs(2));
    for i in 0..3 {
        let running = c.shard(i)
            .query_text("shard", "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pgml._dist_worker%' AND pid <> pg_backend_pid()")
            .unwrap()
            .unwrap();
        assert_eq!(
            running, "0",
            "shard{i} still runs its part after the coordinator's cancel"
        );
    }
    assert_eq!(leftovers(&c), before);
}

/// `pgml train --distributed` as a role the coordinator's user mappings would not have to exist
/// for: the shards' URLs and a relation name, nothing prepared on the coordinator.
fn cli_train(c: &Cluster, coordinator_url: &str, extra: &[&str]) -> std::process::Output {
    cli_train_on(c, coordinator_url, "public.events_local", extra)
}

fn cli_train_on(
    c: &Cluster,
    coordinator_url: &str,
    relation: &str,
    extra: &[&str],
) -> std::process::Output {
    let shards: Vec<String> = (0..3)
        .map(|i| c.shard(i).url_as("worker", "w-s3cret", "shard"))
        .collect();
    let mut args = vec![
        "train",
        "--distributed",
        "--coordinator",
        coordinator_url,
        "--shard",
        &shards[0],
        "--shard",
        &shards[1],
        "--shard",
        &shards[2],
        "--relation",
        relation,
        "--features",
        "f1,f2,f3,f4,f5,f6",
        "--label",
        "is_fraud",
        "--task",
        "classification",
        "--algorithm",
        "xgboost",
        "--test-size",
        "0.25",
        "--test-sampling",
        "last",
    ];
    args.extend_from_slice(extra);
    pgml(&args)
}

/// What the CLI leaves on the coordinator besides models: foreign servers and user mappings of its
/// own (the test's three are shard0..2), with the catalog counts.
fn cli_leftovers(c: &Cluster) -> String {
    format!(
        "{} servers={} mappings={}",
        leftovers(c),
        c.q("SELECT count(*) FROM pg_foreign_server"),
        c.q("SELECT count(*) FROM pg_user_mappings")
    )
}

#[test]
fn pgml_train_distributed_cli_trains_as_the_sql_form_and_refuses_each_failure() {
    let c = cluster();
    let n = rows_per_shard();
    // A plain role on the coordinator: pgml_trainer, and USAGE on postgres_fdw given below.
    c.coordinator()
        .execute(
            "coord",
            "CREATE ROLE trainer LOGIN PASSWORD 't-s3cret'; GRANT pgml_trainer TO trainer;",
        )
        .unwrap();
    let trainer = c.coordinator().url_as("trainer", "t-s3cret", "coord");
    let before = cli_leftovers(&c);
    let params = r#"{"n_estimators": 20, "max_depth": 6, "nthread": 1}"#;
    let refused = |what: &str, out: std::process::Output, code: i32, needles: &[&str]| {
        let t = text(&out);
        assert_eq!(out.status.code(), Some(code), "{what}: {t}");
        for n in needles {
            assert!(t.contains(n), "{what}: {n:?} not in {t}");
        }
        assert!(
            !t.contains("w-s3cret"),
            "{what}: a password was printed: {t}"
        );
        assert_eq!(cli_leftovers(&c), before, "{what} left something behind");
    };

    // Without USAGE on postgres_fdw the plain role is refused before anything is created.
    refused(
        "no fdw usage",
        cli_train(&c, &trainer, &["--project", "cli", "--hyperparams", params]),
        7,
        &[
            "USAGE",
            "GRANT USAGE ON FOREIGN DATA WRAPPER postgres_fdw TO trainer",
        ],
    );
    c.coordinator()
        .execute(
            "coord",
            "GRANT USAGE ON FOREIGN DATA WRAPPER postgres_fdw TO trainer",
        )
        .unwrap();

    // A dry run prepares everything and rolls it back.
    let out = cli_train(
        &c,
        &trainer,
        &["--project", "cli", "--hyperparams", params, "--dry-run"],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("password '***'"), "{}", text(&out));
    assert_eq!(cli_leftovers(&c), before);

    // The real thing, as the plain role: the same model the SQL form trains on the same rows.
    let out = cli_train(
        &c,
        &trainer,
        &["--project", "cli", "--hyperparams", params, "--json"],
    );
    assert!(out.status.success(), "{}", text(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["deployed"], true, "{doc}");
    let shards = doc["shards"].as_array().unwrap();
    assert_eq!(shards.len(), 3, "{doc}");
    for s in shards {
        assert_eq!(s["rows"].as_i64(), Some(n), "{doc}");
        assert!(s["bytes_sent"].as_f64().unwrap() > 0.0, "{doc}");
        assert!(!s["url"].as_str().unwrap().contains("w-s3cret"), "{doc}");
    }
    c.q(&train_sql(
        "sql_form",
        "classification",
        "events_c",
        "'is_fraud'",
        "xgboost",
        r#"{"distributed": true, "n_estimators": 20, "max_depth": 6, "nthread": 1}"#,
    ));
    let (cli, sql) = (
        metric(&c, "cli", "accuracy"),
        metric(&c, "sql_form", "accuracy"),
    );
    println!("pgml train --distributed: accuracy {cli}; the SQL form: {sql}");
    assert_eq!(cli, sql);
    for p in POINTS {
        assert_eq!(
            c.q(&format!("SELECT pgml.predict('cli', {p})")),
            c.q(&format!("SELECT pgml.predict('sql_form', {p})"))
        );
    }
    // Its lineage names every shard by address, with rows and bytes, as the SQL form's does.
    let lineage = c.q(&format!(
        "SELECT string_agg((e->>'port') || ':' || (e->>'rows') || ':' || (e->>'remote_table'), ' ' ORDER BY k)
           FROM pgml.snapshots s JOIN pgml.models m ON m.snapshot_id = s.id,
                jsonb_array_elements(s.lineage->'distributed'->'shards') WITH ORDINALITY AS x(e, k)
          WHERE m.id = {}",
        doc["model_id"]
    ));
    let expected: Vec<String> = (0..3)
        .map(|i| format!("{}:{n}:public.events_local", c.shard(i).port()))
        .collect();
    assert_eq!(lineage, expected.join(" "));
    // Only the model stays: no foreign server, mapping or table of the run.
    let tail = |s: &str| {
        s.split(' ')
            .rev()
            .take(2)
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(tail(&cli_leftovers(&c)), tail(&before));
    // Pushed to a shard, it predicts there as on the coordinator.
    let push = pgml(&[
        "models",
        "push",
        "--source",
        &c.coordinator().url("coord"),
        "--target",
        &c.shard(1).url("shard"),
        "--project",
        "cli",
    ]);
    assert!(push.status.success(), "{}", text(&push));
    for p in POINTS {
        assert_eq!(
            c.q(&format!("SELECT pgml.predict('cli', {p})")),
            c.shard(1)
                .query_text("shard", &format!("SELECT pgml.predict('cli', {p})"))
                .unwrap()
                .unwrap()
        );
    }

    let before = cli_leftovers(&c);
    let fail = |extra: &[&str]| {
        let mut a = vec![
            "--project",
            "cli_fails",
            "--hyperparams",
            r#"{"n_estimators": 3}"#,
        ];
        a.extend_from_slice(extra);
        cli_train(&c, &trainer, &a)
    };
    let refused = |what: &str, out: std::process::Output, code: i32, needles: &[&str]| {
        let t = text(&out);
        assert_eq!(out.status.code(), Some(code), "{what}: {t}");
        for n in needles {
            assert!(t.contains(n), "{what}: {n:?} not in {t}");
        }
        assert_eq!(cli_leftovers(&c), before, "{what} left something behind");
    };
    // The relation is not on the shards.
    let mut out = cli_train_on(&c, &trainer, "public.nope", &["--project", "cli_fails"]);
    refused(
        "no relation",
        out,
        7,
        &["public.nope does not exist on shard 1"],
    );
    // ... or only not on shard 3 (pgml.train's preflight names it).
    c.shard(2)
        .execute("shard", "ALTER TABLE events_local RENAME TO events_gone")
        .unwrap();
    out = fail(&[]);
    refused(
        "no relation on shard 3",
        out,
        7,
        &[
            "events_local does not exist on the shard",
            &c.shard(2).port().to_string(),
        ],
    );
    c.shard(2)
        .execute("shard", "ALTER TABLE events_gone RENAME TO events_local")
        .unwrap();
    // No SELECT on a shard's table.
    c.shard(1)
        .execute("shard", "REVOKE SELECT ON events_local FROM worker")
        .unwrap();
    refused(
        "no select",
        fail(&[]),
        7,
        &["GRANT SELECT ON public.events_local TO worker"],
    );
    c.shard(1)
        .execute("shard", "GRANT SELECT ON events_local TO worker")
        .unwrap();
    // pgml missing on a shard, then another version.
    c.shard(2)
        .execute("shard", "DROP EXTENSION pgml CASCADE")
        .unwrap();
    refused(
        "no pgml",
        fail(&[]),
        7,
        &["pgml is not installed", "CREATE EXTENSION pgml"],
    );
    c.shard(2)
        .execute(
            "shard",
            "CREATE EXTENSION pgml; GRANT pgml_trainer TO worker",
        )
        .unwrap();
    c.shard(0)
        .execute(
            "shard",
            "UPDATE pg_extension SET extversion = '0.3.0' WHERE extname = 'pgml'",
        )
        .unwrap();
    refused(
        "other version",
        fail(&[]),
        7,
        &[
            "pgml 0.3.0 is installed there",
            "ALTER EXTENSION pgml UPDATE",
        ],
    );
    c.shard(0)
        .execute(
            "shard",
            &format!(
                "UPDATE pg_extension SET extversion = '{}' WHERE extname = 'pgml'",
                pgml_e2e::VERSION
            ),
        )
        .unwrap();
    // A shard URL that asks for TLS of a shard that has none: refused by the connection itself
    // (the command hands the sslmode on to the coordinator's foreign server), naming the shard.
    let tls = format!(
        "{}?sslmode=require",
        c.shard(0).url_as("worker", "w-s3cret", "shard")
    );
    let out = pgml(&[
        "train",
        "--distributed",
        "--coordinator",
        &trainer,
        "--shard",
        &tls,
        "--relation",
        "events_local",
        "--label",
        "y",
        "--task",
        "regression",
        "--project",
        "cli_fails",
    ]);
    refused("tls", out, 5, &["shard 1", "SSL"]);
    // A wrong password for a shard.
    let wrong = c.shard(0).url_as("worker", "not-it", "shard");
    let out = pgml(&[
        "train",
        "--distributed",
        "--coordinator",
        &trainer,
        "--shard",
        &wrong,
        "--relation",
        "events_local",
        "--label",
        "y",
        "--task",
        "regression",
        "--project",
        "cli_fails",
    ]);
    refused(
        "wrong password",
        out,
        5,
        &["shard 1", "password authentication failed"],
    );
    // A shard that is down: the first (reached by the CLI's preparation) and the last (by pgml.train).
    let mut servers = c.servers;
    servers[3].stop().unwrap();
    let c = Cluster { servers };
    let out = cli_train(&c, &trainer, &["--project", "cli_fails"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(5), "{t}");
    assert!(
        t.contains("cannot connect") && t.contains(&c.shard(2).port().to_string()),
        "{t}"
    );
    let mut servers = c.servers;
    servers[1].stop().unwrap();
    let c = Cluster { servers };
    let out = cli_train(&c, &trainer, &["--project", "cli_fails"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(5), "{t}");
    assert!(t.contains("cannot reach shard 1"), "{t}");
    // Nothing stored or left on the coordinator (the shards are down: only its own counts).
    assert_eq!(
        format!(
            "{} servers={} mappings={}",
            c.q("SELECT (SELECT count(*) FROM pgml.snapshots) || '/' || (SELECT count(*) FROM pgml.models)"),
            c.q("SELECT count(*) FROM pg_foreign_server"),
            c.q("SELECT count(*) FROM pg_user_mappings")
        ),
        format!(
            "{} {}",
            before.split('/').take(2).collect::<Vec<_>>().join("/"),
            tail(&before).into_iter().rev().collect::<Vec<_>>().join(" ")
        )
    );
}
