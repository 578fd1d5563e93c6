//! Issue 10's predict goal: a 100-tree depth-6 model (`xgboost`, and `random_forest` with
//! `max_depth` 6) applied by `pgml.predict` inside a `SELECT` over ROWS rows of 20 real features,
//! in µs per row above the same `SELECT` building the feature arrays alone (goal ≤ 3 µs). The models
//! are trained on the first TRAIN_ROWS rows (training time is not what is measured); each statement
//! is timed best of 3 on one connection, by project name and by model id.
//!
//!   cargo run --release -p pgml-e2e --example predict_trees [ROWS=1000000] [TRAIN_ROWS=50000]
//!
//! Needs the release build of the extension installed and the `pgml` binary built (scripts/test),
//! or PGML_PG_BIN pointing at a PostgreSQL with it.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark: a panic is its failure report

use std::time::Instant;

use pgml_e2e::{database_with_pgml, Server};

fn best_of_3(c: &mut postgres::Client, sql: &str) -> f64 {
    (0..3)
        .map(|_| {
            let t = Instant::now();
            c.simple_query(sql).unwrap();
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    let s = pgml_e2e::bench_settings(
        "cargo run --release -p pgml-e2e --example predict_trees [ROWS=1000000] [TRAIN_ROWS=50000]",
        &[("ROWS", 1_000_000.0), ("TRAIN_ROWS", 50_000.0)],
    );
    let (rows, train_rows) = (s["ROWS"] as i64, s["TRAIN_ROWS"] as i64);
    let server = Server::start("predict").unwrap();
    database_with_pgml(&server, "bench");
    let mut c = server.connect("bench").unwrap();
    let features: Vec<String> = (1..=20).map(|j| format!("f{j}")).collect();
    let columns = features
        .iter()
        .map(|f| format!("random()::real AS {f}"))
        .collect::<Vec<_>>()
        .join(", ");
    c.batch_execute(&format!(
        "CREATE TABLE bench_rows AS
           SELECT *, (3 * f1 - 2 * f2 * f3 + sin(6 * f4) + f5 * f6 + random() / 10)::real AS y
             FROM (SELECT g AS id, {columns} FROM generate_series(1, {rows}) g) s;
         CREATE VIEW bench_train AS SELECT {cols}, y FROM bench_rows WHERE id <= {train_rows};",
        cols = features.join(", ")
    ))
    .unwrap();
    c.batch_execute("VACUUM ANALYZE bench_rows").unwrap();
    let array = format!("ARRAY[{}]", features.join(", "));
    let bare = best_of_3(
        &mut c,
        &format!("SELECT sum(cardinality({array})) FROM bench_rows"),
    );
    println!("rows {rows}, 20 features; bare SELECT {array} … {bare:.3} s");
    for (algorithm, hyperparams) in [
        ("xgboost", r#"{"n_estimators": 100, "max_depth": 6}"#),
        ("random_forest", r#"{"n_estimators": 100, "max_depth": 6}"#),
    ] {
        let project = format!("bench {algorithm}");
        let t = Instant::now();
        c.batch_execute(&format!(
            "SELECT * FROM pgml.train('{project}', 'regression', 'bench_train', 'y', '{algorithm}',
                 '{hyperparams}'::jsonb)"
        ))
        .unwrap();
        let train = t.elapsed().as_secs_f64();
        let id: i64 = c
            .query_one(
                "SELECT max(m.id) FROM pgml.models m JOIN pgml.projects p ON p.id = m.project_id
                  WHERE p.name = $1",
                &[&project],
            )
            .unwrap()
            .get(0);
        let by_name = best_of_3(
            &mut c,
            &format!("SELECT sum(pgml.predict('{project}', {array})) FROM bench_rows"),
        );
        let by_id = best_of_3(
            &mut c,
            &format!("SELECT sum(pgml.predict({id}::bigint, {array})) FROM bench_rows"),
        );
        let per_row = |t: f64| (t - bare) * 1e6 / rows as f64;
        println!(
            "{algorithm:14} {hyperparams}: train on {train_rows} rows {train:.1} s; predict by name \
             {by_name:.3} s (+{:.2} µs/row), by id {by_id:.3} s (+{:.2} µs/row)",
            per_row(by_name),
            per_row(by_id)
        );
    }
}
