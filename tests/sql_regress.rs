//! SQL expected-output tests of the public API, run by PostgreSQL's own pg_regress against a real
//! server (`cargo pgrx regress` cannot run as root). Inputs in tests/regress/sql, expected output in
//! tests/regress/expected; on a difference the diff is printed. To accept a new output after
//! reviewing it: `PGML_REGRESS_ACCEPT=1 cargo test --release -p pgml-e2e --test sql_regress`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use std::path::{Path, PathBuf};
use std::process::Command;

use pgml_e2e::start_servers;

fn pg_regress() -> PathBuf {
    let out = Command::new("/usr/lib/postgresql/15/bin/pg_config")
        .arg("--pgxs")
        .output()
        .unwrap();
    let pgxs = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    pgxs.parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("test/regress/pg_regress")
}

#[test]
fn sql_api_matches_expected_output() {
    let servers = start_servers(&["regress"]);
    let s = &servers[0];
    // With --use-existing pg_regress neither creates the database nor loads extensions.
    pgml_e2e::database_with_pgml(s, "pgml_regress");
    let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("regress");
    let mut tests: Vec<String> = std::fs::read_dir(here.join("sql"))
        .unwrap()
        .filter_map(|e| {
            e.ok()?
                .file_name()
                .to_str()?
                .strip_suffix(".sql")
                .map(str::to_string)
        })
        .collect();
    tests.sort();
    let out = std::env::temp_dir().join(format!("pgml-regress-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).unwrap();
    let status = Command::new(pg_regress())
        .arg(format!(
            "--bindir={}",
            s.cluster().install().bin_dir().display()
        ))
        .arg(format!("--inputdir={}", here.display()))
        .arg(format!("--outputdir={}", out.display()))
        .arg(format!("--host={}", s.socket_dir().display()))
        .arg(format!("--port={}", s.port()))
        .args([
            "--user=postgres",
            "--use-existing",
            "--dbname=pgml_regress",
            "--load-extension=pgml",
        ])
        .args(&tests)
        .status()
        .expect("run pg_regress (postgresql-server-dev-15 provides it)");
    if std::env::var("PGML_REGRESS_ACCEPT").is_ok_and(|v| v == "1") {
        assert!(
            status.success() || out.join("regression.diffs").exists(),
            "pg_regress did not run"
        );
        for t in &tests {
            std::fs::copy(
                out.join("results").join(format!("{t}.out")),
                here.join("expected").join(format!("{t}.out")),
            )
            .unwrap();
        }
        eprintln!("accepted new expected output for {tests:?}");
        return;
    }
    let diffs = std::fs::read_to_string(out.join("regression.diffs")).unwrap_or_default();
    assert!(status.success(), "pg_regress failed:\n{diffs}");
    let _ = std::fs::remove_dir_all(&out);
}
