//! `pgml sync fdw` between two real servers: the source role's rights checked (and what is missing
//! named), foreign tables imported with a bulk fetch_size, idempotent, and pgml.train on a view over a
//! foreign table pulling only the rows the view selects.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use pgml_e2e::{database_with_pgml, pgml, start_servers, text};

#[test]
fn sync_fdw_checks_rights_imports_and_trains_through_a_view() {
    let servers = start_servers(&["production", "pgml"]);
    let (prod, ml) = (&servers[0], &servers[1]);
    prod.create_database("shop").unwrap();
    prod.execute(
        "shop",
        "CREATE TABLE customers (id bigint PRIMARY KEY, age int, income real, churned boolean);
         INSERT INTO customers SELECT g, 18 + g % 60, 1000 * (g % 97), (g % 97) > 60 FROM generate_series(1, 20000) g;
         CREATE TABLE secrets (id int, note text);
         CREATE ROLE reader LOGIN PASSWORD 'fdw-s3cret';
         GRANT SELECT ON customers TO reader;",
    )
    .unwrap();
    database_with_pgml(ml, "ml");
    let source = prod.url_as("reader", "fdw-s3cret", "shop");
    let target = ml.url("ml");
    let sync = |extra: &[&str]| {
        let mut args = vec!["sync", "fdw", "--source", &source, "--target", &target];
        args.extend_from_slice(extra);
        pgml(&args)
    };

    // A table the role cannot read: refused, named, with the GRANT to run; nothing created.
    let refused = sync(&[]);
    assert_eq!(refused.status.code(), Some(7), "{}", text(&refused));
    assert!(
        text(&refused).contains("cannot SELECT from secrets"),
        "{}",
        text(&refused)
    );
    assert!(
        text(&refused).contains("GRANT SELECT ON public.secrets TO reader"),
        "{}",
        text(&refused)
    );
    assert_eq!(
        ml.query_text("ml", "SELECT count(*) FROM pg_foreign_server")
            .unwrap()
            .as_deref(),
        Some("0")
    );
    prod.execute("shop", "GRANT SELECT ON secrets TO reader")
        .unwrap();

    let dry = sync(&["--dry-run"]);
    assert!(dry.status.success(), "{}", text(&dry));
    assert!(text(&dry).contains("password '***'"), "{}", text(&dry));
    assert!(
        !text(&dry).contains("fdw-s3cret"),
        "password printed:\n{}",
        text(&dry)
    );
    assert!(text(&dry).contains("fetch_size '10000'"), "{}", text(&dry));
    assert_eq!(
        ml.query_text("ml", "SELECT count(*) FROM pg_foreign_server")
            .unwrap()
            .as_deref(),
        Some("0"),
        "a dry run changed the target"
    );

    let done = sync(&[]);
    assert!(done.status.success(), "{}", text(&done));
    assert!(
        text(&done).contains("verified: prod.customers reads rows from the source"),
        "{}",
        text(&done)
    );
    assert!(
        text(&done).contains("verified: prod.secrets is reachable"),
        "{}",
        text(&done)
    );
    assert!(
        !text(&done).contains("fdw-s3cret"),
        "password printed:\n{}",
        text(&done)
    );

    // Again: updates, imports nothing twice, and a new fetch_size takes effect.
    let again = sync(&["--fetch-size", "5000"]);
    assert!(again.status.success(), "{}", text(&again));
    assert!(
        text(&again).contains("customers (already imported)"),
        "{}",
        text(&again)
    );
    assert_eq!(
        ml.query_text(
            "ml",
            "SELECT option_value FROM pg_options_to_table((SELECT srvoptions FROM pg_foreign_server WHERE srvname = 'pgml_source')) WHERE option_name = 'fetch_size'"
        )
        .unwrap()
        .as_deref(),
        Some("5000")
    );

    // Training through a view over the foreign table pulls only what the view selects.
    let mut c = ml.connect("ml").unwrap();
    c.batch_execute(
        "CREATE VIEW young AS SELECT age, income, churned FROM prod.customers WHERE age < 30;
         SELECT * FROM pgml.train('Young churn', 'classification', 'young', 'churned', algorithm => 'xgboost');",
    )
    .unwrap();
    let expected: i64 = prod
        .query_text("shop", "SELECT count(*) FROM customers WHERE age < 30")
        .unwrap()
        .unwrap()
        .parse()
        .unwrap();
    let trained: i64 = c
        .query_one(
            "SELECT num_train_rows + num_test_rows FROM pgml.snapshots",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(trained, expected);
    let p: f32 = c
        .query_one(
            "SELECT pgml.predict('Young churn', ARRAY[25, 5000]::real[])",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(p == 0.0 || p == 1.0, "{p}");

    drop(c);

    // Teardown of the FDW server lists the view built on its foreign table and refuses without
    // --cascade; with it, both go.
    let teardown = |extra: &[&str]| {
        let mut args = vec![
            "sync",
            "teardown",
            "--target",
            &target,
            "--fdw-server",
            "pgml_source",
        ];
        args.extend_from_slice(extra);
        pgml(&args)
    };
    let refused = teardown(&[]);
    assert_eq!(refused.status.code(), Some(7), "{}", text(&refused));
    assert!(text(&refused).contains("view young"), "{}", text(&refused));
    assert!(text(&refused).contains("--cascade"), "{}", text(&refused));
    assert_eq!(
        ml.query_text("ml", "SELECT count(*) FROM pg_foreign_server")
            .unwrap()
            .as_deref(),
        Some("1")
    );
    let done = teardown(&["--cascade"]);
    assert!(done.status.success(), "{}", text(&done));
    assert!(text(&done).contains("view young"), "{}", text(&done));
    assert!(
        text(&done).contains("verified: nothing of it is left"),
        "{}",
        text(&done)
    );
    assert_eq!(
        ml.query_text("ml", "SELECT count(*) FROM pg_foreign_server")
            .unwrap()
            .as_deref(),
        Some("0")
    );
    assert_eq!(
        ml.query_text("ml", "SELECT to_regclass('young')::text")
            .unwrap(),
        None
    );
}
