//! `pgml up | status | down`, run as the built binary against a real local server. The test uses a
//! free port and a temporary directory so it never touches a developer's server on 5433.
#![allow(clippy::expect_used)] // test helpers: a panic is the failure report

use std::path::Path;
use std::process::{Command, Output};

use pgml_e2e::{pgml_bin, VERSION};

fn pgml(args: &[&str], dir: &Path, port: u16) -> Output {
    Command::new(pgml_bin())
        .args(args)
        .env("PGML_DATA_DIR", dir)
        .env("PGML_PORT", port.to_string())
        .output()
        .expect("run pgml")
}

fn text(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Stops the server if the test fails half way, so no postmaster outlives it.
struct Cleanup<'a>(&'a Path, u16);
impl Drop for Cleanup<'_> {
    fn drop(&mut self) {
        // No panicking helpers here: a panic while a failed test unwinds would abort the run.
        let _ = Command::new(pgml_bin())
            .arg("down")
            .env("PGML_DATA_DIR", self.0)
            .env("PGML_PORT", self.1.to_string())
            .output();
        let _ = std::fs::remove_dir_all(self.0);
    }
}

#[test]
fn up_status_down() {
    let dir = std::env::temp_dir().join(format!("pgml-e2e-up-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let port = pgml_testkit::free_port().unwrap();
    let _cleanup = Cleanup(&dir, port);
    let url = format!("postgres://postgres@127.0.0.1:{port}/pgml_development");

    let before = pgml(&["status"], &dir, port);
    assert_eq!(before.status.code(), Some(3), "{}", text(&before));
    assert!(
        text(&before).contains("not initialized"),
        "{}",
        text(&before)
    );

    let up = pgml(&["up"], &dir, port);
    assert!(up.status.success(), "{}", text(&up));
    assert!(
        text(&up).contains(&format!("url:       {url}")),
        "{}",
        text(&up)
    );
    assert!(
        text(&up).contains(&format!("extension: pgml {VERSION} installed")),
        "{}",
        text(&up)
    );

    // The server is real: a client reaches it at the printed URL and pgml is there.
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let v: String = client
        .query_one("SELECT pgml.version()", &[])
        .unwrap()
        .get(0);
    assert_eq!(v, VERSION);
    drop(client);

    let again = pgml(&["up"], &dir, port);
    assert!(
        again.status.success(),
        "second up must be harmless: {}",
        text(&again)
    );
    assert!(text(&again).contains("already running"), "{}", text(&again));

    let status = pgml(&["status"], &dir, port);
    assert!(status.status.success(), "{}", text(&status));
    assert!(
        text(&status).contains(&format!("url:       {url}")),
        "{}",
        text(&status)
    );
    assert!(
        text(&status).contains("extension: pgml"),
        "{}",
        text(&status)
    );

    // Another --port selects the server on that port or is refused: never acts on this one.
    let other = pgml_testkit::free_port().unwrap().to_string();
    for cmd in ["up", "status", "down"] {
        let wrong = pgml(&[cmd, "--port", &other], &dir, port);
        assert_eq!(wrong.status.code(), Some(7), "{cmd}: {}", text(&wrong));
        assert!(
            text(&wrong).contains(&format!("runs on 127.0.0.1:{port}, not on port {other}")),
            "{cmd}: {}",
            text(&wrong)
        );
    }
    assert!(
        postgres::Client::connect(&url, postgres::NoTls).is_ok(),
        "down --port {other} stopped the server on {port}"
    );

    let down = pgml(&["down"], &dir, port);
    assert!(down.status.success(), "{}", text(&down));
    assert!(
        postgres::Client::connect(&url, postgres::NoTls).is_err(),
        "server still answers after down"
    );

    let after = pgml(&["status"], &dir, port);
    assert_eq!(after.status.code(), Some(3), "{}", text(&after));
    assert!(text(&after).contains("stopped"), "{}", text(&after));

    let down_again = pgml(&["down"], &dir, port);
    assert!(down_again.status.success(), "{}", text(&down_again));

    // Data survives down/up: the database and extension are still there without re-creating them.
    let up_again = pgml(&["up"], &dir, port);
    assert!(up_again.status.success(), "{}", text(&up_again));
    assert!(
        !text(&up_again).contains("initializing"),
        "{}",
        text(&up_again)
    );
}

#[test]
fn up_refuses_a_port_in_use() {
    let dir = std::env::temp_dir().join(format!("pgml-e2e-busy-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let _cleanup = Cleanup(&dir, port);

    let up = pgml(&["up"], &dir, port);
    assert_eq!(up.status.code(), Some(5), "{}", text(&up));
    assert!(
        text(&up).contains(&format!("port {port} on 127.0.0.1 is already in use")),
        "{}",
        text(&up)
    );
    assert!(text(&up).contains("--port"), "{}", text(&up));
}
