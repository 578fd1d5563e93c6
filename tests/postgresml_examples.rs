//! PostgresML's own example SQL files (tests/fixtures/postgresml-examples, unchanged), run with psql
//! against a fresh database with pgml as a PostgresML user would run them. The statements that
//! fail must be exactly those listed below, each with why: the list is what is left for PostgresML
//! compatibility, and it can only shrink (a listed statement that starts working fails the test
//! until its line is removed).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic is the test's failure report

use std::collections::BTreeMap;
use std::path::PathBuf;

use pgml_e2e::{database_with_pgml, start_servers};

/// (file, line psql reports, what the error says): statements expected to fail, and why.
#[rustfmt::skip]
const EXPECTED_FAILURES: &[(&str, u32, &str, &str)] = &[
    ("preprocessing", 2, "unknown dataset \"jdxcosta/diamonds\"", "a Hugging Face dataset: needs the internet and Python"),
    ("preprocessing", 5, "relation \"pgml.jdxcosta/diamonds\" does not exist", "a Hugging Face dataset: needs the internet and Python"),
    ("preprocessing", 8, "relation \"pgml.jdxcosta/diamonds\" does not exist", "a Hugging Face dataset: needs the internet and Python"),
    ("preprocessing", 25, "relation \"pgml.jdxcosta/diamonds\" does not exist", "a Hugging Face dataset: needs the internet and Python"),
    ("preprocessing", 30, "relation \"pgml.jdxcosta/diamonds\" does not exist", "a Hugging Face dataset: needs the internet and Python"),

];

fn examples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/postgresml-examples")
}

#[test]
fn postgresml_example_files_run_statement_for_statement() {
    let servers = start_servers(&["examples"]);
    let s = &servers[0];
    let files = [
        "regression",
        "binary_classification",
        "multi_classification",
        "clustering",
        "decomposition",
        "joint_regression",
        "preprocessing",
    ];
    let mut failures: BTreeMap<(String, u32), String> = BTreeMap::new();
    let mut statements = 0;
    for file in files {
        let db = file.replace('_', "");
        database_with_pgml(s, &db);
        let path = examples().join(format!("{file}.sql"));
        let text = std::fs::read_to_string(&path).unwrap();
        // Statements outside comments, roughly: lines that end one.
        statements += text
            .lines()
            .filter(|l| !l.trim_start().starts_with("--") && l.trim_end().ends_with(';'))
            .count();
        let out = s
            .command("psql", &db)
            .args(["-X", "-q", "-o", "/dev/null", "-v", "ON_ERROR_STOP=0", "-f"])
            .arg(&path)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let prefix = format!("psql:{}:", path.display());
        for line in stderr.lines() {
            let Some(rest) = line.strip_prefix(&prefix) else {
                continue;
            };
            let Some((n, message)) = rest.split_once(": ERROR:  ") else {
                continue;
            };
            failures.insert((file.to_string(), n.parse().unwrap()), message.to_string());
        }
    }
    let mut problems = Vec::new();
    for ((file, line), message) in &failures {
        match EXPECTED_FAILURES
            .iter()
            .find(|(f, l, _, _)| f == file && l == line)
        {
            Some((_, _, needle, _)) if message.contains(needle) => {}
            _ => problems.push(format!("{file}.sql:{line} fails: {message}")),
        }
    }
    for (file, line, needle, why) in EXPECTED_FAILURES {
        if !failures.contains_key(&(file.to_string(), *line)) {
            problems.push(format!(
                "{file}.sql:{line} ({needle}: {why}) runs now: remove it from EXPECTED_FAILURES"
            ));
        }
    }
    println!(
        "{} of about {statements} statements of PostgresML's examples fail, as listed",
        failures.len()
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
