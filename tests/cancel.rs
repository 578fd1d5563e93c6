//! Training honours query cancel and statement_timeout promptly, and leaves nothing behind.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::time::{Duration, Instant};

use pgml_e2e::{database_with_pgml, start_servers};

/// A train over 1 M rows that takes far longer than the test waits: the view computes a small
/// aggregate per row, and the snapshot is not materialized, so pgml's own batched reader pulls
/// the rows while the fit waits. (That every algorithm's loop also checks for interrupts is unit
/// tested in pgml-core, where a fit can be made to run as long as wanted.)
const ENDLESS_TRAIN: &str =
    "SELECT * FROM pgml.train('Endless', 'classification', 'slow_big', 'y', \
     materialize_snapshot => false)";

fn setup() -> (Vec<pgml_testkit::Server>, String) {
    let servers = start_servers(&["cancel"]);
    database_with_pgml(&servers[0], "app");
    servers[0]
        .execute(
            "app",
            "CREATE TABLE big AS
             SELECT random()::real AS a, random()::real AS b, random()::real AS c, random()::real AS d,
                    (random() < 0.5) AS y
               FROM generate_series(1, 1000000);
             CREATE VIEW slow_big AS
             SELECT a + (SELECT sum(x) FROM generate_series(1, 500 + (b * 0)::int) x)::real * 0 AS a, b, c, d, y FROM big",
        )
        .unwrap();
    (servers, "app".to_string())
}

fn assert_nothing_left(server: &pgml_testkit::Server, db: &str) {
    let left = server
        .query_text(
            db,
            "SELECT (SELECT count(*) FROM pgml.projects) + (SELECT count(*) FROM pgml.snapshots)
                  + (SELECT count(*) FROM pgml.models) + (SELECT count(*) FROM pg_tables WHERE schemaname = 'pgml' AND tablename LIKE 'snapshot\\_%')",
        )
        .unwrap();
    assert_eq!(
        left.as_deref(),
        Some("0"),
        "a cancelled train left catalog rows or a snapshot table"
    );
}

#[test]
fn query_cancel_stops_a_long_train_promptly() {
    let (servers, db) = setup();
    let s = &servers[0];
    let mut trainer = s.connect(&db).unwrap();
    let pid: i32 = trainer
        .query_one("SELECT pg_backend_pid()", &[])
        .unwrap()
        .get(0);
    let handle = std::thread::spawn(move || {
        let r = trainer.batch_execute(ENDLESS_TRAIN);
        (r, Instant::now())
    });
    // Let it get well into reading and fitting.
    std::thread::sleep(Duration::from_secs(4));
    let sent = Instant::now();
    s.execute("postgres", &format!("SELECT pg_cancel_backend({pid})"))
        .unwrap();
    let (result, ended) = handle.join().unwrap();
    let latency = ended.duration_since(sent);
    println!("cancel took effect after {latency:?}");
    let err = result.expect_err("the endless train finished?");
    assert_eq!(
        err.as_db_error().map(|d| d.code().code()),
        Some("57014"),
        "{err:?}"
    );
    // Generous bound against a loaded CI machine; the measured figure is in docs/benchmarks.md.
    assert!(latency < Duration::from_secs(5), "cancel took {latency:?}");
    assert_nothing_left(s, &db);
}

#[test]
fn statement_timeout_stops_a_long_train() {
    let (servers, db) = setup();
    let s = &servers[0];
    let mut c = s.connect(&db).unwrap();
    c.batch_execute("SET statement_timeout = '3s'").unwrap();
    let started = Instant::now();
    let err = c
        .batch_execute(ENDLESS_TRAIN)
        .expect_err("the endless train finished?");
    let took = started.elapsed();
    println!("statement_timeout of 3 s ended the train after {took:?}");
    assert_eq!(
        err.as_db_error().map(|d| d.code().code()),
        Some("57014"),
        "{err:?}"
    );
    assert!(took < Duration::from_secs(8), "took {took:?}");
    assert_nothing_left(s, &db);
}

/// XGBoost cannot be interrupted inside a boosting round, and its random-forest mode grows all its
/// trees in one round: a forest of 100 000 trees used to ignore a cancel for minutes. pgml grows it
/// a few trees at a time and checks between them; and a forest too big for memory is refused
/// before it is grown.
#[test]
fn a_huge_random_forest_is_cancelled_promptly_and_an_impossible_one_refused() {
    let servers = start_servers(&["cancel-forest"]);
    let s = &servers[0];
    database_with_pgml(s, "app");
    s.execute(
        "app",
        "CREATE TABLE rows AS
         SELECT random()::real AS a, random()::real AS b, random()::real AS c, random()::real AS d
           FROM generate_series(1, 100000);
         ALTER TABLE rows ADD COLUMN y real;
         UPDATE rows SET y = a * 3 + b - c * d;",
    )
    .unwrap();
    let mut c = s.connect("app").unwrap();
    c.batch_execute("SET statement_timeout = '4s'").unwrap();
    let started = Instant::now();
    let err = c
        .batch_execute(
            "SELECT * FROM pgml.train('forest', 'regression', 'rows', 'y', algorithm => 'xgboost_random_forest',
                                      hyperparams => '{\"n_estimators\": 100000, \"max_depth\": 6}')",
        )
        .expect_err("100 000 trees finished within the timeout?");
    let took = started.elapsed();
    println!("statement_timeout of 4 s ended a 100 000-tree forest after {took:?}");
    assert_eq!(
        err.as_db_error().map(|d| d.code().code()),
        Some("57014"),
        "{err:?}"
    );
    assert!(took < Duration::from_secs(8), "took {took:?}");
    assert_nothing_left(s, "app");

    // Unlimited depth on 100 000 rows: each tree has tens of thousands of leaves.
    c.batch_execute("SET statement_timeout = 0").unwrap();
    let err = c
        .batch_execute(
            "SELECT * FROM pgml.train('forest', 'regression', 'rows', 'y', algorithm => 'xgboost_random_forest',
                                      hyperparams => '{\"n_estimators\": 100000}')",
        )
        .expect_err("a forest of many gigabytes was grown?");
    let db = err.as_db_error().unwrap();
    assert_eq!(db.code().code(), "54000", "{}", db.message());
    assert!(db.message().contains("GB"), "{}", db.message());
    assert_nothing_left(s, "app");
}
