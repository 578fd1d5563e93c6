//! `pgml sync replicate` between two real servers: preflight refusals that change nothing, a dry
//! run, the schema copy, publication and subscription, initial copy to ready, live changes arriving,
//! and pgml.train on the replicated table.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use std::time::{Duration, Instant};

use pgml_e2e::{database_with_pgml, pgml, text, wait_for_value, Server};

#[test]
fn sync_replicate_preflights_copies_and_keeps_replicating() {
    let prod = Server::builder("production")
        .logical_replication()
        .start()
        .unwrap();
    let ml = Server::start("pgml").unwrap();
    prod.create_database("shop").unwrap();
    prod.create_role("publisher", "pub s3cret'x", "REPLICATION")
        .unwrap();
    prod.execute(
        "shop",
        "CREATE TABLE customers (id bigint PRIMARY KEY, age int, income real, churned boolean);
         INSERT INTO customers SELECT g, 18 + g % 60, 1000 * (g % 97), (g % 97) > 60 FROM generate_series(1, 20000) g;
         CREATE TABLE nokey (a int);
         ALTER TABLE customers OWNER TO publisher;
         ALTER TABLE nokey OWNER TO publisher;",
    )
    .unwrap();
    database_with_pgml(&ml, "ml");
    let source = prod.url_as("publisher", "pub s3cret'x", "shop");
    let target = ml.url("ml");
    let replicate = |extra: &[&str]| {
        let mut args = vec![
            "sync",
            "replicate",
            "--source",
            &source,
            "--target",
            &target,
            "--timeout",
            "60",
        ];
        args.extend_from_slice(extra);
        pgml(&args)
    };
    let nothing_created = || {
        assert_eq!(
            prod.query_text("shop", "SELECT count(*) FROM pg_publication")
                .unwrap()
                .as_deref(),
            Some("0")
        );
        assert_eq!(
            ml.query_text("ml", "SELECT count(*) FROM pg_subscription")
                .unwrap()
                .as_deref(),
            Some("0")
        );
    };

    let refused = replicate(&["--tables", "customers,nokey"]);
    assert_eq!(refused.status.code(), Some(7), "{}", text(&refused));
    assert!(
        text(&refused).contains("nokey has no primary key"),
        "{}",
        text(&refused)
    );
    assert!(
        text(&refused).contains("GRANT CREATE ON DATABASE shop TO publisher"),
        "{}",
        text(&refused)
    );
    nothing_created();
    assert_eq!(
        ml.query_text("ml", "SELECT to_regclass('customers') IS NULL")
            .unwrap()
            .as_deref(),
        Some("t")
    );
    prod.execute("shop", "GRANT CREATE ON DATABASE shop TO publisher")
        .unwrap();

    // A source without wal_level = logical is refused with what to change.
    let not_logical = pgml(&[
        "sync",
        "replicate",
        "--source",
        &ml.url("ml"),
        "--target",
        &target,
        "--tables",
        "pgml.projects",
    ]);
    assert_eq!(not_logical.status.code(), Some(7), "{}", text(&not_logical));
    assert!(
        text(&not_logical).contains("wal_level is replica"),
        "{}",
        text(&not_logical)
    );

    let dry = replicate(&["--tables", "customers", "--dry-run"]);
    assert!(dry.status.success(), "{}", text(&dry));
    assert!(
        text(&dry).contains("CREATE PUBLICATION pgml FOR TABLE customers"),
        "{}",
        text(&dry)
    );
    assert!(text(&dry).contains("password=''***''"), "{}", text(&dry));
    assert!(
        !text(&dry).contains("s3cret"),
        "password printed:\n{}",
        text(&dry)
    );
    nothing_created();

    let done = replicate(&["--tables", "customers"]);
    assert!(done.status.success(), "{}", text(&done));
    assert!(text(&done).contains("initial copy done"), "{}", text(&done));
    assert!(
        text(&done).contains("customers: 20000 rows on the target"),
        "{}",
        text(&done)
    );
    assert!(
        !text(&done).contains("s3cret"),
        "password printed:\n{}",
        text(&done)
    );

    // Live changes keep arriving.
    prod.execute(
        "shop",
        "INSERT INTO customers VALUES (20001, 30, 5000, true)",
    )
    .unwrap();
    wait_for_value(&ml, "ml", "SELECT count(*) FROM customers", "20001");

    // Running it again is refused: the subscription exists.
    let again = replicate(&["--tables", "customers"]);
    assert_eq!(again.status.code(), Some(7), "{}", text(&again));

    // Train on the replicated data.
    let mut c = ml.connect("ml").unwrap();
    c.batch_execute(
        "CREATE VIEW churn AS SELECT age, income, churned FROM customers;
         SELECT * FROM pgml.train('Churn', 'classification', 'churn', 'churned', algorithm => 'xgboost');",
    )
    .unwrap();
    let p: f32 = c
        .query_one(
            "SELECT pgml.predict('Churn', ARRAY[30, 90000]::real[])",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(p, 1.0);
    // Status: the subscription, its table ready, the slot active.
    let status = |extra: &[&str]| {
        let mut a = vec!["sync", "status", "--target", &target, "--source", &source];
        a.extend_from_slice(extra);
        pgml(&a)
    };
    let ok = status(&[]);
    assert!(ok.status.success(), "{}", text(&ok));
    assert!(
        text(&ok).contains("subscription pgml: enabled, worker running"),
        "{}",
        text(&ok)
    );
    assert!(text(&ok).contains("customers ready"), "{}", text(&ok));
    assert!(
        text(&ok).contains("slot pgml (logical): active"),
        "{}",
        text(&ok)
    );
    // A disabled subscription leaves its slot inactive on the source: flagged loudly, exit 9.
    ml.execute("ml", "ALTER SUBSCRIPTION pgml DISABLE").unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let flagged = loop {
        let out = status(&[]);
        if out.status.code() == Some(9) || Instant::now() > deadline {
            break out;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(flagged.status.code(), Some(9), "{}", text(&flagged));
    assert!(
        text(&flagged).contains("WARNING: slot pgml is inactive"),
        "{}",
        text(&flagged)
    );
    assert!(
        text(&flagged).contains("pg_drop_replication_slot('pgml')"),
        "{}",
        text(&flagged)
    );
    assert!(
        text(&flagged).contains("subscription pgml: DISABLED"),
        "{}",
        text(&flagged)
    );
    ml.execute("ml", "ALTER SUBSCRIPTION pgml ENABLE").unwrap();
    // Schema: no drift now; a column added on the source only is drift check names, before it breaks apply.
    let schema = |cmd: &str, extra: &[&str]| {
        let mut a = vec!["sync", cmd, "--source", &source, "--target", &target];
        a.extend_from_slice(extra);
        pgml(&a)
    };
    let clean = schema("check", &[]);
    assert!(clean.status.success(), "{}", text(&clean));
    prod.execute("shop", "ALTER TABLE customers ADD COLUMN tier int")
        .unwrap();
    let drifted = schema("check", &[]);
    assert_eq!(drifted.status.code(), Some(8), "{}", text(&drifted));
    assert!(
        text(&drifted).contains("customers.tier (integer) is missing on the target"),
        "{}",
        text(&drifted)
    );
    ml.execute("ml", "ALTER TABLE customers ADD COLUMN tier int")
        .unwrap();
    assert!(schema("check", &[]).status.success());

    // A change under load through sync alter: subscriber first, then publisher; rows keep arriving.
    let load = {
        let url = prod.url("shop");
        std::thread::spawn(move || {
            let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
            for id in 30_000..30_200 {
                c.execute(
                    "INSERT INTO customers (id, age, income, churned) VALUES ($1, 40, 1000, false)",
                    &[&(id as i64)],
                )
                .unwrap();
                std::thread::sleep(Duration::from_millis(5));
            }
        })
    };
    let altered = schema(
        "alter",
        &["--sql", "ALTER TABLE customers ADD COLUMN segment text"],
    );
    load.join().unwrap();
    assert!(altered.status.success(), "{}", text(&altered));
    assert!(
        text(&altered).contains("verified: the published tables match"),
        "{}",
        text(&altered)
    );
    prod.execute("shop", "INSERT INTO customers (id, age, income, churned, segment) VALUES (40000, 50, 1, true, 'gold')")
        .unwrap();
    wait_for_value(
        &ml,
        "ml",
        "SELECT count(*) FILTER (WHERE id >= 30000 AND id < 30200)::text || '/' || coalesce(max(segment), '') FROM customers",
        "200/gold",
    );

    // Teardown: a dry run changes nothing; then subscription, slot and publication are gone.
    let teardown = |extra: &[&str]| {
        let mut a = vec!["sync", "teardown", "--target", &target, "--source", &source];
        a.extend_from_slice(extra);
        pgml(&a)
    };
    let dry = teardown(&["--dry-run"]);
    assert!(dry.status.success(), "{}", text(&dry));
    assert!(
        text(&dry).contains("DROP SUBSCRIPTION pgml;")
            && text(&dry).contains("DROP PUBLICATION pgml;"),
        "{}",
        text(&dry)
    );
    assert_eq!(
        ml.query_text("ml", "SELECT count(*) FROM pg_subscription")
            .unwrap()
            .as_deref(),
        Some("1")
    );
    let gone = teardown(&[]);
    assert!(gone.status.success(), "{}", text(&gone));
    assert!(
        text(&gone).contains("verified: nothing of it is left"),
        "{}",
        text(&gone)
    );
    assert_eq!(
        ml.query_text("ml", "SELECT count(*) FROM pg_subscription")
            .unwrap()
            .as_deref(),
        Some("0")
    );
    assert_eq!(
        prod.query_text("shop", "SELECT count(*) FROM pg_publication")
            .unwrap()
            .as_deref(),
        Some("0")
    );
    assert_eq!(
        prod.query_text("shop", "SELECT count(*) FROM pg_replication_slots")
            .unwrap()
            .as_deref(),
        Some("0")
    );
    // The replicated table and the model stay on the pgml server.
    assert_eq!(
        ml.query_text("ml", "SELECT count(*) FROM customers")
            .unwrap()
            .as_deref(),
        Some("20202")
    );
}

#[test]
fn the_source_restarting_during_the_initial_copy_does_not_stop_sync() {
    let mut prod = Server::builder("production")
        .logical_replication()
        .start()
        .unwrap();
    // Retry a failed table copy after 1 s instead of PostgreSQL's 5 s, to keep the test short.
    let ml = Server::builder("pgml")
        .setting("wal_retrieve_retry_interval", "1s")
        .start()
        .unwrap();
    prod.create_database("shop").unwrap();
    // Wide enough that copying takes seconds on this machine: the restart lands mid-copy.
    prod.execute(
        "shop",
        "CREATE TABLE events (id bigint PRIMARY KEY, payload text);
         INSERT INTO events SELECT g, repeat(md5(g::text), 8) FROM generate_series(1, 600000) g;",
    )
    .unwrap();
    database_with_pgml(&ml, "ml");
    let cli = std::process::Command::new(pgml_e2e::pgml_bin())
        .args([
            "sync",
            "replicate",
            "--source",
            &prod.url("shop"),
            "--target",
            &ml.url("ml"),
            "--tables",
            "events",
            "--timeout",
            "120",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();

    // Restart the source while the table is being copied.
    let start = Instant::now();
    loop {
        let state = ml
            .query_text(
                "ml",
                "SELECT string_agg(srsubstate::text, '') FROM pg_subscription_rel",
            )
            .unwrap();
        if state.as_deref() == Some("d") {
            break;
        }
        assert!(
            state.as_deref() != Some("r") && state.as_deref() != Some("s"),
            "the copy finished before the restart: make the table bigger"
        );
        assert!(start.elapsed() < Duration::from_secs(60), "no copy started");
        std::thread::sleep(Duration::from_millis(20));
    }
    prod.restart().unwrap();

    let out = cli.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        ml.query_text("ml", "SELECT count(*) FROM events")
            .unwrap()
            .as_deref(),
        Some("600000")
    );
    // The copy really was interrupted and retried: two sync workers started for the table.
    let log = ml.log();
    let starts = log
        .matches(
            "table synchronization worker for subscription \"pgml\", table \"events\" has started",
        )
        .count();
    assert!(starts >= 2, "one copy only; the restart missed it:\n{log}");
    // And replication goes on after the restart.
    prod.execute("shop", "INSERT INTO events VALUES (0, 'after')")
        .unwrap();
    wait_for_value(&ml, "ml", "SELECT count(*) FROM events WHERE id = 0", "1");
}

#[test]
fn a_publication_created_by_an_administrator_is_used_without_owning_the_tables() {
    let prod = Server::builder("production")
        .logical_replication()
        .start()
        .unwrap();
    let ml = Server::start("pgml").unwrap();
    prod.create_database("shop").unwrap();
    // The tables belong to the administrator; the replication role may only read them.
    prod.create_role("reader", "reader", "REPLICATION").unwrap();
    prod.execute(
        "shop",
        "CREATE TABLE orders (id bigint PRIMARY KEY, amount real);
         INSERT INTO orders SELECT g, g / 10.0 FROM generate_series(1, 1000) g;
         CREATE TABLE refunds (id bigint PRIMARY KEY, amount real);
         GRANT SELECT ON orders, refunds TO reader;
         CREATE PUBLICATION orders_pub FOR TABLE orders;",
    )
    .unwrap();
    database_with_pgml(&ml, "ml");
    let source = prod.url_as("reader", "reader", "shop");
    let target = ml.url("ml");
    let replicate = |tables: &str, publication: Option<&str>| {
        let mut args = vec![
            "sync",
            "replicate",
            "--source",
            &source,
            "--target",
            &target,
            "--tables",
            tables,
            "--timeout",
            "60",
        ];
        if let Some(p) = publication {
            args.extend_from_slice(&["--publication", p]);
        }
        pgml(&args)
    };

    // Without it, the role cannot publish what it does not own: the message says both ways out.
    let out = replicate("orders", None);
    assert_eq!(out.status.code(), Some(7), "{}", text(&out));
    assert!(text(&out).contains("does not own orders"), "{}", text(&out));
    assert!(text(&out).contains("--publication"), "{}", text(&out));
    // A table the publication lacks is named, with the statement its administrator runs.
    let out = replicate("orders,refunds", Some("orders_pub"));
    assert_eq!(out.status.code(), Some(7), "{}", text(&out));
    assert!(
        text(&out).contains(
            "publication orders_pub does not publish refunds: its administrator adds them with ALTER PUBLICATION orders_pub ADD TABLE refunds;"
        ),
        "{}",
        text(&out)
    );
    let out = replicate("orders", Some("missing_pub"));
    assert_eq!(out.status.code(), Some(7), "{}", text(&out));
    assert!(
        text(&out).contains("publication missing_pub does not exist"),
        "{}",
        text(&out)
    );
    assert_eq!(
        ml.query_text("ml", "SELECT count(*) FROM pg_subscription")
            .unwrap()
            .as_deref(),
        Some("0")
    );

    let out = replicate("orders", Some("orders_pub"));
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("publication orders_pub exists already, used as it is"));
    assert_eq!(
        ml.query_text("ml", "SELECT count(*) FROM orders")
            .unwrap()
            .as_deref(),
        Some("1000")
    );
    prod.execute("shop", "INSERT INTO orders VALUES (0, 1)")
        .unwrap();
    wait_for_value(&ml, "ml", "SELECT count(*) FROM orders", "1001");
    // The publication stays the administrator's: the subscription uses it, nothing created another.
    assert_eq!(
        prod.query_text(
            "shop",
            "SELECT string_agg(pubname, ',') FROM pg_publication"
        )
        .unwrap()
        .as_deref(),
        Some("orders_pub")
    );

    // check and alter find the administrator's publication through the subscription (named pgml).
    let admin_source = prod.url("shop");
    let out = pgml(&[
        "sync",
        "check",
        "--source",
        &admin_source,
        "--target",
        &target,
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("publication orders_pub match"),
        "{}",
        text(&out)
    );
    let out = pgml(&[
        "sync",
        "alter",
        "--source",
        &admin_source,
        "--target",
        &target,
        "--sql",
        "ALTER TABLE orders ADD COLUMN note text",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    for (server, db) in [(&prod, "shop"), (&ml, "ml")] {
        assert_eq!(
            server
                .query_text(db, "SELECT count(*) FROM pg_attribute WHERE attrelid = 'orders'::regclass AND attname = 'note'")
                .unwrap()
                .as_deref(),
            Some("1")
        );
    }

    // A second database of the target with its own subscription named pgml: every lookup stays in
    // the database the command connects to.
    ml.create_database("ml2").unwrap();
    ml.execute(
        "ml2",
        &format!(
            "CREATE SUBSCRIPTION pgml CONNECTION 'host=127.0.0.1 port={} dbname=shop user=reader password=reader' \
             PUBLICATION orders_pub WITH (connect = false, slot_name = NONE)",
            prod.port()
        ),
    )
    .unwrap();
    let out = pgml(&["sync", "status", "--target", &target]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        text(&out).matches("subscription pgml").count(),
        1,
        "{}",
        text(&out)
    );
    assert!(!text(&out).contains("DISABLED"), "{}", text(&out));
    let out = pgml(&["sync", "teardown", "--target", &ml.url("ml2")]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        ml.query_text("postgres", "SELECT string_agg(d.datname, ',') FROM pg_subscription s JOIN pg_database d ON d.oid = s.subdbid")
            .unwrap()
            .as_deref(),
        Some("ml")
    );

    // A table that does not exist: refused with a clean message (exit 7), as sync dump and plan do.
    let out = replicate("nope", Some("orders_pub"));
    assert_eq!(out.status.code(), Some(7), "{}", text(&out));
    assert!(
        text(&out).contains("table nope does not exist on the source"),
        "{}",
        text(&out)
    );

    // The reader of `sync status` goes away (| head -1): a quiet exit, no panic.
    let mut child = std::process::Command::new(pgml_e2e::pgml_bin())
        .args(["sync", "status", "--target", &target])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(!text(&out).contains("panicked"), "{}", text(&out));
}
