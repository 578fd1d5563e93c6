//! pg_dump carries pgml's catalog: rows and sequence positions survive a dump of the pgml schema or
//! of the whole database, restored on another server.

use pgml_e2e::{
    database_with_pgml, pipe, seed_catalog, start_servers, table_fingerprint, CATALOG_TABLES,
};

fn error_lines(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|l| l.contains("ERROR")).collect()
}

#[test]
fn pgml_schema_dump_restores_into_a_server_with_the_extension() {
    let servers = start_servers(&["training", "serving"]);
    let (a, b) = (&servers[0], &servers[1]);
    database_with_pgml(a, "train");
    seed_catalog(a, "train");
    database_with_pgml(b, "serve");

    let mut dump = a.command("pg_dump", "train");
    dump.args(["-n", "pgml", "--no-owner"]);
    let mut restore = b.command("psql", "serve");
    restore.args(["-X", "-q", "-o", "/dev/null"]);
    let (_, stderr) = pipe(dump, restore);
    // The schema exists already (CREATE EXTENSION made it); that one error is expected and harmless.
    let errors = error_lines(&stderr);
    assert!(
        errors.len() == 1 && errors[0].ends_with("ERROR:  schema \"pgml\" already exists"),
        "unexpected restore errors:\n{stderr}"
    );

    for table in CATALOG_TABLES.iter().chain(&["pgml.snapshot_1"]) {
        let fa = table_fingerprint(a, "train", table);
        assert!(!fa.starts_with("0:"), "{table} was not seeded");
        assert_eq!(
            fa,
            table_fingerprint(b, "serve", table),
            "{table} differs after restore"
        );
    }

    // B's sequences continue after A's ids, so new rows on B never collide with restored ones.
    for table in CATALOG_TABLES {
        let max_a: i64 = a
            .query_text("train", &format!("SELECT max(id) FROM {table}"))
            .unwrap()
            .unwrap()
            .parse()
            .unwrap();
        let next_b: i64 = b
            .query_text(
                "serve",
                &format!("SELECT nextval(pg_get_serial_sequence('{table}', 'id'))"),
            )
            .unwrap()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(next_b, max_a + 1, "{table}: next id on the restored server");
    }
    b.execute(
        "serve",
        "INSERT INTO pgml.projects (name, task) VALUES ('new on b', 'clustering');
         INSERT INTO pgml.models (project_id, num_features, algorithm, status)
         SELECT id, 2, 'kmeans', 'successful' FROM pgml.projects WHERE name = 'new on b';
         INSERT INTO pgml.deployments (project_id, model_id, strategy)
         SELECT project_id, id, 'most_recent' FROM pgml.models WHERE algorithm = 'kmeans'",
    )
    .expect("new rows on the restored server must not collide with restored ids");
}

#[test]
fn table_pattern_dump_restores_without_any_error() {
    let servers = start_servers(&["training", "serving"]);
    let (a, b) = (&servers[0], &servers[1]);
    database_with_pgml(a, "train");
    seed_catalog(a, "train");
    database_with_pgml(b, "serve");

    // -t 'pgml.*' selects the tables and sequences but not the schema: a fully clean restore.
    let mut dump = a.command("pg_dump", "train");
    dump.args(["-t", "pgml.*", "--no-owner"]);
    let mut restore = b.command("psql", "serve");
    restore.args([
        "-X",
        "-q",
        "-v",
        "ON_ERROR_STOP=1",
        "--single-transaction",
        "-o",
        "/dev/null",
    ]);
    let (_, stderr) = pipe(dump, restore);
    assert!(error_lines(&stderr).is_empty(), "{stderr}");
    for table in CATALOG_TABLES {
        assert_eq!(
            table_fingerprint(a, "train", table),
            table_fingerprint(b, "serve", table),
            "{table}"
        );
    }
}

#[test]
fn whole_database_dump_restores_into_an_empty_database() {
    let servers = start_servers(&["training", "serving"]);
    let (a, b) = (&servers[0], &servers[1]);
    database_with_pgml(a, "train");
    seed_catalog(a, "train");
    b.create_database("copy").unwrap();

    let dump = a.command("pg_dump", "train");
    let mut restore = b.command("psql", "copy");
    restore.args([
        "-X",
        "-q",
        "-v",
        "ON_ERROR_STOP=1",
        "--single-transaction",
        "-o",
        "/dev/null",
    ]);
    let (_, stderr) = pipe(dump, restore);
    assert!(error_lines(&stderr).is_empty(), "{stderr}");
    for table in CATALOG_TABLES {
        assert_eq!(
            table_fingerprint(a, "train", table),
            table_fingerprint(b, "copy", table),
            "{table}"
        );
    }
    assert_eq!(
        b.query_text("copy", "SELECT pgml.version()")
            .unwrap()
            .as_deref(),
        Some(pgml_e2e::VERSION)
    );
}
