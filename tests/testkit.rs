//! The test kit itself: settings, roles, several servers at once, and cleanup when a test panics.

use std::path::PathBuf;

use pgml_e2e::start_servers;
use pgml_testkit::Server;

#[test]
fn several_servers_run_at_once_on_distinct_ports() {
    let servers = start_servers(&["one", "two", "three"]);
    let mut ports: Vec<u16> = servers.iter().map(Server::port).collect();
    ports.sort_unstable();
    ports.dedup();
    assert_eq!(ports.len(), 3);
    for s in &servers {
        assert_eq!(
            s.query_text(
                "postgres",
                "SELECT inet_server_addr()::text || ':' || inet_server_port()"
            )
            .unwrap()
            .as_deref(),
            Some(format!("127.0.0.1/32:{}", s.port()).as_str())
        );
    }
}

#[test]
fn settings_roles_and_password_authentication() {
    let server = Server::builder("publisher")
        .logical_replication()
        .setting("max_replication_slots", "7")
        .start()
        .unwrap();
    assert_eq!(
        server
            .query_text("postgres", "SHOW wal_level")
            .unwrap()
            .as_deref(),
        Some("logical")
    );
    assert_eq!(
        server
            .query_text("postgres", "SHOW max_replication_slots")
            .unwrap()
            .as_deref(),
        Some("7")
    );

    server
        .create_role("replicator", "s3cret p@ss/word", "REPLICATION")
        .unwrap();
    server.create_database("shop").unwrap();
    let mut client = postgres::Client::connect(
        &server.url_as("replicator", "s3cret p@ss/word", "shop"),
        postgres::NoTls,
    )
    .unwrap();
    let row = client
        .query_one(
            "SELECT current_user::text, rolreplication FROM pg_roles WHERE rolname = current_user",
            &[],
        )
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "replicator");
    assert!(row.get::<_, bool>(1));

    // TCP needs the right password, as on a real server.
    let wrong = postgres::Client::connect(
        &server.url_as("replicator", "nope", "shop"),
        postgres::NoTls,
    );
    let message = pgml_testkit::describe_pg_error(&wrong.err().expect("wrong password must fail"));
    assert!(
        message.contains("password authentication failed"),
        "{message}"
    );

    // psql through the socket helper needs no password at all.
    assert_eq!(server.psql("shop", "SELECT 40 + 2").unwrap(), "42");
}

#[test]
fn a_panicking_test_stops_its_server_and_removes_its_directory() {
    let (tx, rx) = std::sync::mpsc::channel::<(u16, PathBuf)>();
    let outcome = std::thread::spawn(move || {
        let server = Server::start("doomed").unwrap();
        tx.send((server.port(), server.data_dir().to_path_buf()))
            .unwrap();
        panic!("deliberate failure inside a test");
    })
    .join();
    assert!(outcome.is_err(), "the thread was meant to panic");
    let (port, data_dir) = rx.recv().unwrap();
    assert!(!data_dir.exists(), "{} left behind", data_dir.display());
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "something still listens on port {port}"
    );
}

#[test]
fn restart_keeps_data_and_port() {
    let mut server = Server::start("restarted").unwrap();
    server
        .execute(
            "postgres",
            "CREATE TABLE kept (x int); INSERT INTO kept VALUES (1)",
        )
        .unwrap();
    let port = server.port();
    server.restart().unwrap();
    assert_eq!(server.port(), port);
    assert_eq!(
        server
            .query_text("postgres", "SELECT sum(x) FROM kept")
            .unwrap()
            .as_deref(),
        Some("1")
    );
}
