//! Time per page of `pgml dashboard` over a large catalog: PROJECTS projects × MODELS models (the
//! issue's goal: 1 000 × 20 in at most 200 ms a page). Two real models are trained first (an
//! XGBoost classifier and a ridge regression chosen by a grid search), and every generated model
//! copies one of them, so the stored plots, metrics and hyperparameters have their real sizes.
//! Pages are timed as the superuser and as a role that sees the projects through row-level
//! security (a predictor granted every project), which costs the policy checks.
//!
//!   cargo run --release -p pgml-e2e --example dashboard_pages [PROJECTS=1000] [MODELS=20] [REPEAT=20]
//!
//! Needs the release build of the extension installed and the `pgml` binary built (scripts/test).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark: a panic is its failure report

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::time::Instant;

use pgml_e2e::{bench_settings, database_with_pgml, pgml_bin, Server};

fn get(base: &str, path: &str) -> (u16, usize) {
    let host = base.strip_prefix("http://").unwrap();
    let mut s = std::net::TcpStream::connect(host).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).unwrap();
    let text = String::from_utf8_lossy(&resp);
    let status = text.split(' ').nth(1).unwrap().parse().unwrap();
    (status, resp.len())
}

/// Starts the dashboard on a free port and returns it with its URL.
fn dashboard(url: &str) -> (std::process::Child, String) {
    let mut child = Command::new(pgml_bin())
        .args(["dashboard", "--url", url, "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let url = BufReader::new(out)
        .lines()
        .map_while(Result::ok)
        .find_map(|line| {
            line.strip_prefix("listening on ")
                .map(|u| u.trim_end_matches('/').to_string())
        });
    match url {
        Some(u) => (child, u),
        None => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the dashboard printed no URL");
        }
    }
}

fn main() {
    let s = bench_settings(
        "dashboard_pages [PROJECTS=1000] [MODELS=20] [REPEAT=20]",
        &[("PROJECTS", 1000.0), ("MODELS", 20.0), ("REPEAT", 20.0)],
    );
    let (projects, models, repeat) = (
        s["PROJECTS"] as i64,
        s["MODELS"] as i64,
        s["REPEAT"] as usize,
    );
    let server = Server::start("dashboard-bench").unwrap();
    database_with_pgml(&server, "bench");
    let started = Instant::now();
    server
        .execute(
            "bench",
            &format!(
                r#"
        SELECT pgml.load_dataset('breast_cancer');
        SELECT pgml.load_dataset('diabetes');
        SELECT * FROM pgml.train('template classification', 'classification', 'pgml.breast_cancer', 'malignant',
                                 algorithm => 'xgboost', hyperparams => '{{"n_estimators": 20}}');
        SELECT * FROM pgml.train('template regression', 'regression', 'pgml.diabetes', 'target', algorithm => 'ridge',
                                 search => 'grid', search_params => '{{"alpha": [0.01, 0.1, 1, 10]}}');
        INSERT INTO pgml.projects (name, task)
        SELECT format('project %s', g), (CASE WHEN g % 2 = 0 THEN 'classification' ELSE 'regression' END)::pgml.task
          FROM generate_series(1, {projects}) g;
        INSERT INTO pgml.models (project_id, snapshot_id, num_features, algorithm, hyperparams, status, metrics,
                                 features, label_mapping, feature_hash, feature_importances, plots, created_at)
        SELECT p.id, t.snapshot_id, t.num_features, t.algorithm, t.hyperparams, 'successful',
               t.metrics || jsonb_build_object(CASE p.task WHEN 'regression' THEN 'r2' ELSE 'f1' END, random()),
               t.features, t.label_mapping, t.feature_hash, t.feature_importances, t.plots,
               now() - make_interval(hours => {models} - m)
          FROM pgml.projects p
         CROSS JOIN generate_series(1, {models}) m
          JOIN pgml.projects tp ON tp.name = 'template ' || p.task::text
          JOIN pgml.models t ON t.project_id = tp.id
         WHERE p.name LIKE 'project %'
         ORDER BY p.id, m;
        INSERT INTO pgml.deployments (project_id, model_id, strategy)
        SELECT project_id, min(id), 'new_score'::pgml.strategy FROM pgml.models GROUP BY project_id
        UNION ALL
        SELECT project_id, max(id), 'best_score'::pgml.strategy FROM pgml.models GROUP BY project_id
        ORDER BY 1, 2;
        CREATE ROLE viewer LOGIN PASSWORD 'viewer-pw' IN ROLE pgml_predictor;
        UPDATE pgml.projects SET acl = '{{"viewer": ["predict"]}}';
        ANALYZE;
        "#
            ),
        )
        .unwrap();
    let mut c = server.connect("bench").unwrap();
    let mut count = |sql: &str| -> i64 { c.query_one(sql, &[]).unwrap().get(0) };
    let (n_projects, n_models) = (
        count("SELECT count(*) FROM pgml.projects"),
        count("SELECT count(*) FROM pgml.models"),
    );
    let plots_bytes = count("SELECT avg(octet_length(plots::text))::bigint FROM pgml.models");
    let project = count("SELECT id FROM pgml.projects WHERE name = 'project 500' OR name = 'project 1' ORDER BY id DESC LIMIT 1");
    let model = count(&format!(
        "SELECT max(id) FROM pgml.models WHERE project_id = {project}"
    ));
    let snapshot = count(&format!(
        "SELECT snapshot_id FROM pgml.models WHERE id = {model}"
    ));
    eprintln!(
        "catalog: {n_projects} projects, {n_models} models (plots {plots_bytes} bytes each on average), filled in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let pages = [
        ("/ (projects)", "/".to_string()),
        ("/projects/<id>", format!("/projects/{project}")),
        ("/models/<id>", format!("/models/{model}")),
        ("/snapshots/<id>", format!("/snapshots/{snapshot}")),
        ("/fleet", "/fleet".to_string()),
    ];
    println!("| page | role | median ms | p95 ms | max ms | bytes |");
    println!("|---|---|---|---|---|---|");
    for (role, url) in [
        ("superuser", server.url("bench")),
        (
            "viewer (RLS)",
            server.url_as("viewer", "viewer-pw", "bench"),
        ),
    ] {
        let (mut child, base) = dashboard(&url);
        for (name, path) in &pages {
            // One unmeasured request warms the connection pool and the server's caches.
            let (status, _) = get(&base, path);
            assert_eq!(status, 200, "{path} as {role}");
            let mut ms = Vec::with_capacity(repeat);
            let mut bytes = 0;
            for _ in 0..repeat {
                let t = Instant::now();
                let (status, n) = get(&base, path);
                ms.push(t.elapsed().as_secs_f64() * 1000.0);
                assert_eq!(status, 200);
                bytes = n;
            }
            ms.sort_by(f64::total_cmp);
            let at = |q: f64| ms[((ms.len() - 1) as f64 * q).round() as usize];
            println!(
                "| {name} | {role} | {:.1} | {:.1} | {:.1} | {bytes} |",
                at(0.5),
                at(0.95),
                ms[ms.len() - 1]
            );
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}
