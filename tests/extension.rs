//! Two real servers; the extension installs in each and reports the version under test.

use pgml_e2e::{database_with_pgml, start_servers, VERSION};

#[test]
fn two_servers_start_and_create_extension_pgml() {
    let servers = start_servers(&["a", "b"]);
    assert_ne!(servers[0].port(), servers[1].port());
    for server in &servers {
        database_with_pgml(server, "app");
        let version = server.query_text("app", "SELECT pgml.version()").unwrap();
        assert_eq!(version.as_deref(), Some(VERSION), "on {}", server.name());
        let tables = server
            .query_text(
                "app",
                "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'pgml'",
            )
            .unwrap();
        assert_eq!(
            tables.as_deref(),
            Some("deployments,files,models,projects,snapshots")
        );
    }
}

#[test]
fn extension_can_be_dropped_and_created_again() {
    let servers = start_servers(&["solo"]);
    let s = &servers[0];
    database_with_pgml(s, "app");
    s.execute(
        "app",
        "DROP EXTENSION pgml; DROP SCHEMA pgml; CREATE EXTENSION pgml",
    )
    .unwrap();
    assert_eq!(
        s.query_text("app", "SELECT pgml.version()")
            .unwrap()
            .as_deref(),
        Some(VERSION)
    );
}

#[test]
fn a_server_that_cannot_start_reports_its_log() {
    // A setting PostgreSQL rejects: the error must carry the server log, not just "failed".
    let err = pgml_testkit::Server::builder("bad")
        .setting("shared_buffers", "not-a-size")
        .start()
        .expect_err("server with an invalid setting must not start");
    let text = err.to_string();
    assert!(text.contains("did not start"), "{text}");
    assert!(text.contains("shared_buffers"), "{text}");
}
