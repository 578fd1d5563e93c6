//! `pgml sync dump` between two real servers: checked, streamed, verified, refused when it would
//! overwrite, a dry run that changes nothing, and pgml.train on the copied table.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use pgml_e2e::{database_with_pgml, pgml, start_servers, text};

#[test]
fn sync_dump_copies_checks_and_verifies() {
    let servers = start_servers(&["production", "pgml"]);
    let (prod, ml) = (&servers[0], &servers[1]);
    prod.create_database("shop").unwrap();
    prod.execute(
        "shop",
        "CREATE TABLE customers (id bigint PRIMARY KEY, age int, income numeric(12, 2), churned boolean);
         INSERT INTO customers SELECT g, 20 + g % 50, 1000 * (g % 97), (g % 50) > 30 FROM generate_series(1, 10000) g;
         CREATE TABLE orders AS SELECT g AS id, g % 100 AS customer_id FROM generate_series(1, 500) g;
         CREATE ROLE reader LOGIN PASSWORD 'r3ader-secret';
         GRANT SELECT ON customers, orders TO reader;",
    )
    .unwrap();
    database_with_pgml(ml, "ml");
    let source = prod.url_as("reader", "r3ader-secret", "shop");
    let target = ml.url("ml");

    let dry = pgml(&[
        "sync",
        "dump",
        "--source",
        &source,
        "--target",
        &target,
        "--table",
        "orders",
        "--dry-run",
    ]);
    assert!(dry.status.success(), "{}", text(&dry));
    assert!(
        text(&dry).contains("pg_dump --no-owner --no-privileges -t orders"),
        "{}",
        text(&dry)
    );
    assert!(
        !text(&dry).contains("r3ader-secret"),
        "password printed:\n{}",
        text(&dry)
    );
    assert_eq!(
        ml.query_text("ml", "SELECT to_regclass('orders') IS NULL")
            .unwrap()
            .as_deref(),
        Some("t"),
        "a dry run created the table"
    );

    let copy = pgml(&[
        "sync",
        "dump",
        "--source",
        &source,
        "--target",
        &target,
        "--table",
        "customers",
        "--table",
        "orders",
    ]);
    assert!(copy.status.success(), "{}", text(&copy));
    assert!(
        text(&copy).contains("verified: public.customers has 10000 rows on both servers")
            || text(&copy).contains("verified: customers has 10000 rows on both servers"),
        "{}",
        text(&copy)
    );
    assert!(
        !text(&copy).contains("r3ader-secret"),
        "password printed:\n{}",
        text(&copy)
    );
    assert_eq!(
        ml.query_text("ml", "SELECT count(*) FROM customers")
            .unwrap()
            .as_deref(),
        Some("10000")
    );

    // Copying again would overwrite: refused, nothing changed.
    ml.execute("ml", "INSERT INTO orders VALUES (-1, -1)")
        .unwrap();
    let again = pgml(&[
        "sync", "dump", "--source", &source, "--target", &target, "--table", "orders",
    ]);
    assert_eq!(again.status.code(), Some(7), "{}", text(&again));
    assert!(
        text(&again).contains("already exist") && text(&again).contains("--replace"),
        "{}",
        text(&again)
    );
    assert_eq!(
        ml.query_text("ml", "SELECT count(*) FROM orders")
            .unwrap()
            .as_deref(),
        Some("501")
    );

    let replaced = pgml(&[
        "sync",
        "dump",
        "--source",
        &source,
        "--target",
        &target,
        "--table",
        "orders",
        "--replace",
    ]);
    assert!(replaced.status.success(), "{}", text(&replaced));
    assert_eq!(
        ml.query_text("ml", "SELECT count(*) FROM orders")
            .unwrap()
            .as_deref(),
        Some("500")
    );

    let missing = pgml(&[
        "sync", "dump", "--source", &source, "--target", &target, "--table", "nope",
    ]);
    assert_eq!(missing.status.code(), Some(7), "{}", text(&missing));
    assert!(
        text(&missing).contains("table nope does not exist on the source"),
        "{}",
        text(&missing)
    );

    let wrong_password = prod.url_as("reader", "wrong", "shop");
    let denied = pgml(&[
        "sync",
        "dump",
        "--source",
        &wrong_password,
        "--target",
        &target,
        "--table",
        "orders",
    ]);
    assert_eq!(denied.status.code(), Some(5), "{}", text(&denied));
    assert!(
        !text(&denied).contains("wrong@"),
        "password printed:\n{}",
        text(&denied)
    );

    // The copied data trains and predicts on the pgml server.
    let mut c = ml.connect("ml").unwrap();
    c.batch_execute(
        "CREATE VIEW churn AS SELECT age, income, churned FROM customers;
         SELECT * FROM pgml.train('Churn', 'classification', 'churn', 'churned', algorithm => 'xgboost');",
    )
    .unwrap();
    let accuracy: f64 = c
        .query_one(
            "SELECT avg((pgml.predict('Churn', c) = churned::int)::int)::float8 FROM churn c",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(accuracy > 0.95, "accuracy on the copied data {accuracy}");
}

/// A target without pgml is warned about (training there needs it); an output path that cannot be
/// written is refused before anything is exported.
#[test]
fn warns_without_pgml_and_checks_output_paths_first() {
    let servers = start_servers(&["production", "plain"]);
    let (prod, plain) = (&servers[0], &servers[1]);
    prod.create_database("shop").unwrap();
    prod.execute(
        "shop",
        "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1);
         CREATE TABLE big AS SELECT g AS id, repeat('x', 100) AS pad FROM generate_series(1, 400000) g;",
    )
    .unwrap();
    plain.create_database("copy").unwrap();
    let out = pgml(&[
        "sync",
        "dump",
        "--source",
        &prod.url("shop"),
        "--target",
        &plain.url("copy"),
        "--table",
        "t",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("WARNING: the target") && text(&out).contains("has no pgml extension"),
        "{}",
        text(&out)
    );
    let out = pgml(&[
        "models",
        "export",
        "--source",
        &prod.url("shop"),
        "-o",
        "/nonexistent/x.pgml",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("cannot write /nonexistent/x.pgml"),
        "{}",
        text(&out)
    );

    // Output that is not a terminal gets plain progress lines: amount, percentage, time left.
    let out = std::process::Command::new(pgml_e2e::pgml_bin())
        .args([
            "sync",
            "dump",
            "--source",
            &prod.url("shop"),
            "--target",
            &plain.url("copy"),
        ])
        .args(["--table", "big"])
        .env("PGML_PROGRESS_EVERY_MS", "0")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = stderr
        .lines()
        .find(|l| l.trim_start().starts_with("copying:"))
        .unwrap_or_else(|| panic!("no progress line:\n{}", text(&out)));
    assert!(line.contains(" MB of ~") && line.contains(" %)"), "{line}");

    // On a terminal (a pseudo-terminal made by script(1), as a person's shell has) the same copy
    // draws a bar with the amount, percentage and time left instead of plain lines.
    let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
    let command = format!(
        "{} sync dump --source {} --target {} --table big --replace",
        quote(&pgml_e2e::pgml_bin().display().to_string()),
        quote(&prod.url("shop")),
        quote(&plain.url("copy"))
    );
    let out = std::process::Command::new("script")
        .args(["-qfec", &command, "/dev/null"])
        .output()
        .unwrap();
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{screen}");
    assert!(
        screen.contains("copying [") && screen.contains("% ETA") && screen.contains('\u{1b}'),
        "no progress bar on a terminal:\n{screen:?}"
    );
    assert!(
        !screen.contains("copying: "),
        "plain lines on a terminal:\n{screen:?}"
    );
}
