//! A hot standby (physical replica) of a pgml server answers pgml.version() and reads the catalog,
//! and sees catalog changes once they are replayed.

use pgml_e2e::{
    database_with_pgml, seed_catalog, start_servers, table_fingerprint, CATALOG_TABLES, VERSION,
};

#[test]
fn hot_standby_answers_version_and_reads_the_catalog() {
    let servers = start_servers(&["primary"]);
    let primary = &servers[0];
    database_with_pgml(primary, "app");
    seed_catalog(primary, "app");

    let standby = primary
        .standby("standby")
        .expect("pg_basebackup -R standby");
    primary.wait_for_replay(&standby).unwrap();
    assert_eq!(
        standby
            .query_text("app", "SELECT pg_is_in_recovery()")
            .unwrap()
            .as_deref(),
        Some("t")
    );
    assert_eq!(
        standby
            .query_text("app", "SELECT pgml.version()")
            .unwrap()
            .as_deref(),
        Some(VERSION)
    );
    for table in CATALOG_TABLES {
        assert_eq!(
            table_fingerprint(primary, "app", table),
            table_fingerprint(&standby, "app", table),
            "{table}"
        );
    }

    // A new deployment on the primary reaches the standby's catalog by WAL, with no restart, and
    // a connection opened before it sees it at its next statement.
    let mut held = standby.connect("app").unwrap();
    primary
        .execute(
            "app",
            "INSERT INTO pgml.deployments (project_id, model_id, strategy) VALUES (1, 1, 'rollback')",
        )
        .unwrap();
    primary.wait_for_replay(&standby).unwrap();
    let row = held
        .query_one(
            "SELECT strategy::text FROM pgml.deployments WHERE project_id = 1 ORDER BY id DESC LIMIT 1",
            &[],
        )
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "rollback");

    // The standby is read-only: writing to the catalog there fails with PostgreSQL's own error.
    let err = held
        .batch_execute("INSERT INTO pgml.projects (name, task) VALUES ('x', 'regression')")
        .unwrap_err();
    let message = pgml_testkit::describe_pg_error(&err);
    assert!(message.contains("read-only transaction"), "{message}");
}
