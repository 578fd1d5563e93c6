//! `--json` output of `status`, `plan`, `sync status` and `models export | import | push`: parsed as
//! a script would, field by field as docs/cli.md documents them.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use pgml_e2e::{database_with_pgml, pgml, start_servers, text};
use serde_json::Value;

fn json(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not one JSON document ({e}):\n{}", text(out)))
}

#[test]
fn every_json_output_parses() {
    // status without a server: state and exit code 3, as the text.
    let dir = std::env::temp_dir().join(format!("pgml-e2e-json-{}", std::process::id()));
    let out = pgml(&["status", "--json", "--data-dir", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert_eq!(json(&out)["state"], "not_initialized");

    let servers = start_servers(&["production", "pgml"]);
    let (prod, ml) = (&servers[0], &servers[1]);
    prod.create_database("shop").unwrap();
    prod.execute(
        "shop",
        "CREATE TABLE customers (id bigint PRIMARY KEY, age int);
         INSERT INTO customers SELECT g, g FROM generate_series(1, 500) g;
         ANALYZE;",
    )
    .unwrap();
    database_with_pgml(ml, "ml");
    database_with_pgml(prod, "train");
    prod.execute(
        "train",
        "CREATE TABLE churn_data AS
         SELECT g AS id, (g % 7)::real AS visits, (g % 5)::real AS tickets, (g % 3 = 0) AS churned
           FROM generate_series(1, 300) g;
         SELECT * FROM pgml.train('churn', 'classification', 'churn_data', 'churned', algorithm => 'xgboost');
         SELECT * FROM pgml.train('visits', 'regression', 'churn_data', 'visits');",
    )
    .unwrap();

    let out = pgml(&[
        "plan",
        "--source",
        &prod.url("shop"),
        "--target",
        &ml.url("ml"),
        "--sample-seconds",
        "0",
        "--json",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let plan = json(&out);
    assert_eq!(plan["recommended"], "dump");
    assert_eq!(plan["tables"][0]["name"], "customers");
    assert_eq!(plan["tables"][0]["rows"], 500);
    assert_eq!(plan["target"]["pgml_installed"], true);
    assert!(plan["reasons"].as_array().is_some_and(|r| !r.is_empty()));
    assert!(!plan["source"]["server"]
        .as_str()
        .unwrap()
        .contains(prod.password()));

    let out = pgml(&[
        "sync",
        "status",
        "--target",
        &ml.url("ml"),
        "--source",
        &prod.url("shop"),
        "--json",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let status = json(&out);
    assert_eq!(status["subscriptions"], Value::Array(vec![]));
    assert_eq!(status["slots"], Value::Array(vec![]));
    assert_eq!(status["warnings"], 0);

    let file = dir.with_extension("pgml");
    let out = pgml(&[
        "models",
        "export",
        "--source",
        &prod.url("train"),
        "-o",
        file.to_str().unwrap(),
        "--json",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let export = json(&out);
    let projects = export["projects"].as_array().unwrap();
    assert_eq!(projects.len(), 2, "{export}");
    assert!(projects
        .iter()
        .all(|p| p["model_ids"].as_array().is_some_and(|m| !m.is_empty())));

    let ml_url = ml.url("ml");
    let import = |extra: &[&str]| {
        let mut args = vec![
            "models",
            "import",
            "--target",
            &ml_url,
            "-i",
            file.to_str().unwrap(),
            "--json",
        ];
        args.extend_from_slice(extra);
        pgml(&args)
    };
    let out = import(&["--dry-run"]);
    assert!(out.status.success(), "{}", text(&out));
    let dry = json(&out);
    assert_eq!(dry["dry_run"], true);
    assert!(dry["models"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["model_id"].is_null()));
    let out = import(&[]);
    assert!(out.status.success(), "{}", text(&out));
    let done = json(&out);
    let ids: Vec<i64> = done["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["model_id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 2, "{done}");

    let out = pgml(&[
        "models",
        "push",
        "--source",
        &prod.url("train"),
        "--target",
        &ml.url("ml"),
        "--json",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let push = json(&out);
    assert_eq!(push["targets"][0]["error"], Value::Null);
    assert!(push["targets"][0]["models"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["imported"] == false));
    let _ = std::fs::remove_file(&file);
}
