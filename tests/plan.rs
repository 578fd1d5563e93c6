//! `pgml plan` on a real source: measures tables and write churn, recommends a mechanism, and lists
//! what must change first (wal_level, replication privilege, replica identity, grants).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use std::process::Command;

use pgml_e2e::{database_with_pgml, pgml_bin, start_servers};

#[test]
fn plan_measures_recommends_and_lists_prerequisites() {
    let servers = start_servers(&["production", "pgml"]);
    let (prod, ml) = (&servers[0], &servers[1]);
    prod.create_database("shop").unwrap();
    prod.execute(
        "shop",
        "CREATE TABLE customers (id bigint PRIMARY KEY, age int);
         INSERT INTO customers SELECT g, g % 90 FROM generate_series(1, 5000) g;
         CREATE TABLE events (at timestamptz, kind text);
         INSERT INTO events SELECT now(), 'x' FROM generate_series(1, 100) g;
         ANALYZE;
         CREATE ROLE analyst LOGIN PASSWORD 'an-s3cret';
         GRANT SELECT ON customers TO analyst;",
    )
    .unwrap();
    database_with_pgml(ml, "ml");
    let source = prod.url_as("analyst", "an-s3cret", "shop");

    // Quiet data: a dump, and the missing grant is named.
    let out = Command::new(pgml_bin())
        .args([
            "plan",
            "--source",
            &source,
            "--target",
            &ml.url("ml"),
            "--sample-seconds",
            "1",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("public.customers") || text.contains("customers "),
        "{text}"
    );
    assert!(
        text.contains("recommended: pg_dump | psql (pgml sync dump)"),
        "{text}"
    );
    assert!(text.contains("GRANT SELECT ON events TO analyst"), "{text}");
    assert!(text.contains("pgml installed"), "{text}");
    assert!(!text.contains("an-s3cret"), "{text}");

    // Busy data (many writes per minute for its size): replication, with what it needs first.
    let writer = {
        let url = prod.url("shop");
        std::thread::spawn(move || {
            let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
            let until = std::time::Instant::now() + std::time::Duration::from_secs(3);
            while std::time::Instant::now() < until {
                c.batch_execute("UPDATE customers SET age = age + 1 WHERE id % 10 = 0")
                    .unwrap();
            }
        })
    };
    std::thread::sleep(std::time::Duration::from_millis(300));
    let busy = Command::new(pgml_bin())
        .args([
            "plan",
            "--source",
            &source,
            "--tables",
            "customers",
            "--sample-seconds",
            "2",
        ])
        .output()
        .unwrap();
    writer.join().unwrap();
    let text = String::from_utf8_lossy(&busy.stdout).into_owned();
    assert!(busy.status.success(), "{text}");
    assert!(
        text.contains("recommended: postgres_fdw"),
        "5 000 rows rewritten many times a minute:\n{text}"
    );
    assert!(
        text.contains("change per minute: a copy would be stale at once"),
        "{text}"
    );
}

/// Stale statistics (rows written since the last ANALYZE) are not shown as 0 rows: the table is
/// counted instead.
#[test]
fn plan_counts_tables_whose_statistics_are_stale() {
    let servers = start_servers(&["production"]);
    let prod = &servers[0];
    prod.create_database("shop").unwrap();
    prod.execute(
        "shop",
        "CREATE TABLE stale (id bigint PRIMARY KEY);
         ANALYZE stale;
         INSERT INTO stale SELECT generate_series(1, 3000);",
    )
    .unwrap();
    let out = Command::new(pgml_bin())
        .args([
            "plan",
            "--source",
            &prod.url("shop"),
            "--table",
            "stale",
            "--sample-seconds",
            "0",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = text
        .lines()
        .find(|l| l.starts_with("stale"))
        .unwrap_or_default();
    assert!(line.contains(" 3000 "), "{text}");
}

/// A table too slow to count within `--count-timeout` is shown as "unknown (run ANALYZE)", never as
/// 0 rows, and the plan still completes. The count is made slow by a row-level security policy that
/// sleeps a millisecond per row for the role pgml connects as (3000 rows: 3 s against a 1 s limit).
#[test]
fn plan_says_unknown_when_counting_a_stale_table_times_out() {
    let servers = start_servers(&["production"]);
    let prod = &servers[0];
    prod.create_database("shop").unwrap();
    prod.execute(
        "shop",
        "CREATE ROLE planner LOGIN PASSWORD 'planner-pw';
         CREATE TABLE slow (id bigint PRIMARY KEY);
         ANALYZE slow;
         INSERT INTO slow SELECT generate_series(1, 3000);
         ALTER TABLE slow ENABLE ROW LEVEL SECURITY;
         CREATE POLICY sleepy ON slow FOR SELECT TO planner
             USING (pg_catalog.pg_sleep(0.001)::text = '');
         GRANT SELECT ON slow TO planner;",
    )
    .unwrap();
    let out = Command::new(pgml_bin())
        .args([
            "plan",
            "--source",
            &prod.url_as("planner", "planner-pw", "shop"),
            "--table",
            "slow",
            "--sample-seconds",
            "0",
            "--count-timeout",
            "1",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = text
        .lines()
        .find(|l| l.starts_with("slow"))
        .unwrap_or_default();
    assert!(line.contains("unknown (run ANALYZE)"), "{text}");
}
