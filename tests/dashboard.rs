//! `pgml dashboard` end to end: a real server with a model of every task, the dashboard started as
//! a child process, and every page type loaded in headless Chromium. The DOM is checked against
//! the catalog (names, numbers, one plot element per stored plot, the page's ready mark) and a
//! screenshot of each page is kept under `$CARGO_TARGET_TMPDIR/dashboard/`.
//!
//! Needs Debian's `chromium` (scripts/bootstrap installs it).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic is the test's failure report

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use pgml_e2e::{database_with_pgml, pgml_bin, Server};

const EVIL: &str = "<script>alert(1)</script>";

/// The dashboard as a child process; killed when dropped.
struct Dashboard {
    child: Child,
    url: String,
    stderr: std::sync::mpsc::Receiver<String>,
}

impl Dashboard {
    /// Starts `pgml dashboard --url URL --listen 127.0.0.1:0 ARGS` and reads the URL it prints.
    fn start(db_url: &str, args: &[&str]) -> Dashboard {
        let mut cmd = Command::new(pgml_bin());
        cmd.args(["dashboard", "--url", db_url]);
        if !args.contains(&"--listen") {
            cmd.args(["--listen", "127.0.0.1:0"]);
        }
        let mut child = cmd
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start pgml dashboard");
        let (tx, rx) = std::sync::mpsc::channel();
        let out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let (etx, erx) = std::sync::mpsc::channel();
        let err = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                let _ = etx.send(line);
            }
        });
        let mut printed = Vec::new();
        loop {
            match rx.recv_timeout(Duration::from_secs(30)) {
                Ok(line) => {
                    if let Some(url) = line.strip_prefix("listening on ") {
                        return Dashboard {
                            child,
                            url: url.trim_end_matches('/').to_string(),
                            stderr: erx,
                        };
                    }
                    printed.push(line);
                }
                Err(_) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    let errors: Vec<String> = erx.try_iter().collect();
                    panic!("the dashboard printed no URL: {printed:?} {errors:?}");
                }
            }
        }
    }

    fn stderr(&self) -> String {
        std::thread::sleep(Duration::from_millis(200));
        self.stderr.try_iter().collect::<Vec<_>>().join("\n")
    }
}

impl Drop for Dashboard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn out_dir() -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("dashboard");
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn chromium(args: &[&str]) -> std::process::Output {
    // A profile of its own per run, so runs in parallel do not share a lock.
    let profile = tempdir("chromium-profile");
    let out = Command::new("chromium")
        .args([
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run chromium (scripts/bootstrap installs Debian's chromium)");
    let _ = std::fs::remove_dir_all(&profile);
    out
}

fn tempdir(what: &str) -> PathBuf {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let d = std::env::temp_dir().join(format!(
        "pgml-dashboard-{what}-{}-{}",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The DOM after the page ran, as Chromium serializes it.
fn dom(url: &str) -> String {
    let out = chromium(&["--dump-dom", url]);
    let dom = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        dom.contains("data-ready=\"1\""),
        "{url}: the page did not mark itself ready:\n{}\n{dom}",
        String::from_utf8_lossy(&out.stderr)
    );
    dom
}

fn screenshot(url: &str, name: &str) -> PathBuf {
    let file = out_dir().join(format!("{name}.png"));
    let _ = std::fs::remove_file(&file);
    chromium(&[
        &format!("--screenshot={}", file.display()),
        "--window-size=1280,2000",
        "--hide-scrollbars",
        url,
    ]);
    let size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
    assert!(
        size > 10_000,
        "{url}: screenshot {} is {size} bytes",
        file.display()
    );
    file
}

/// Plot elements in the DOM, by kind (`data-plot`).
fn plots(dom: &str) -> Vec<String> {
    dom.match_indices("data-plot=\"")
        .map(|(at, m)| {
            let rest = &dom[at + m.len()..];
            rest[..rest.find('"').unwrap()].to_string()
        })
        .collect()
}

/// The exact value the page keeps for a metric (`data-metric="NAME" data-value="..."`) in the
/// first element after `anchor`.
fn shown_value(dom: &str, anchor: &str, metric: &str) -> f64 {
    let from = dom
        .find(anchor)
        .unwrap_or_else(|| panic!("{anchor} not in the page"));
    let tag = format!("data-metric=\"{metric}\"");
    let at = from
        + dom[from..]
            .find(&tag)
            .unwrap_or_else(|| panic!("{metric} not shown after {anchor}"));
    let rest = &dom[at..];
    let v = rest.find("data-value=\"").unwrap() + "data-value=\"".len();
    rest[v..v + rest[v..].find('"').unwrap()].parse().unwrap()
}

fn one(c: &mut postgres::Client, sql: &str) -> String {
    c.query_one(sql, &[])
        .unwrap()
        .get::<_, Option<String>>(0)
        .unwrap_or_default()
}

fn id(c: &mut postgres::Client, sql: &str) -> i64 {
    c.query_one(sql, &[]).unwrap().get(0)
}

/// The plots a model's page must draw, from what the catalog stores.
fn expected_plots(c: &mut postgres::Client, model: i64) -> Vec<String> {
    let plots: serde_json::Value = serde_json::from_str(&one(
        c,
        &format!("SELECT plots::text FROM pgml.models WHERE id = {model}"),
    ))
    .unwrap();
    let mut want = Vec::new();
    for k in [
        "confusion_matrix",
        "roc",
        "precision_recall",
        "calibration",
        "predicted_vs_actual",
        "residuals",
        "loss_curve",
        "cluster_sizes",
        "explained_variance",
    ] {
        let present = match &plots[k] {
            serde_json::Value::Null => false,
            serde_json::Value::Array(a) => !a.is_empty(),
            _ => true,
        };
        if present {
            want.push(k.to_string());
        }
    }
    let fi = one(
        c,
        &format!("SELECT feature_importances::text FROM pgml.models WHERE id = {model}"),
    );
    if !fi.is_empty() {
        want.push("feature_importances".into());
    }
    if let Some(s) = plots["search"]["candidates"].as_array() {
        let params: std::collections::BTreeSet<&String> = s
            .iter()
            .flat_map(|c| c["params"].as_object().unwrap().keys())
            .collect();
        want.extend(params.iter().map(|_| "search".to_string()));
    }
    want.sort();
    want
}

#[test]
fn every_page_type_in_a_real_browser() {
    let server = Server::start("dashboard").unwrap();
    database_with_pgml(&server, "dash");
    server
        .execute(
            "dash",
            &format!(
                r#"
            SELECT pgml.load_dataset('diabetes');
            SELECT pgml.load_dataset('breast_cancer');
            SELECT pgml.load_dataset('iris');
            SELECT * FROM pgml.train('Diabetes Progression', 'regression', 'pgml.diabetes', 'target');
            SELECT * FROM pgml.train('Diabetes Progression', algorithm => 'xgboost', hyperparams => '{{"n_estimators": 30}}');
            SELECT * FROM pgml.train('Diabetes Progression', algorithm => 'ridge', search => 'grid',
                                     search_params => '{{"alpha": [0.01, 0.1, 1.0, 10.0]}}');
            SELECT * FROM pgml.train('Breast Cancer', 'classification', 'pgml.breast_cancer', 'malignant', algorithm => 'xgboost', hyperparams => '{{"n_estimators": 20}}');
            SELECT * FROM pgml.train('Iris Species', 'classification', 'pgml.iris', 'target');
            SELECT * FROM pgml.train('Iris Clusters', 'clustering', 'pgml.iris', 'target', algorithm => 'kmeans', hyperparams => '{{"n_clusters": 3}}');
            SELECT * FROM pgml.train('Iris Components', 'decomposition', 'pgml.iris', 'target', algorithm => 'pca', hyperparams => '{{"n_components": 2}}');
            SELECT * FROM pgml.train('{evil}', 'regression', 'pgml.diabetes', 'target', algorithm => 'ridge');
            SELECT * FROM pgml.train('Diabetes Boosted', 'regression', 'pgml.diabetes', 'target',
                                     algorithm => 'gradient_boosting_trees', hyperparams => '{{"n_estimators": 20}}');
            SELECT * FROM pgml.train('Diabetes Boosted', algorithm => 'hist_gradient_boosting', hyperparams => '{{"max_iter": 20}}');
            SELECT * FROM pgml.train('Breast Cancer', algorithm => 'catboost', hyperparams => '{{"iterations": 20}}');
            "#,
                evil = EVIL
            ),
        )
        .expect("train a model of every task");
    let mut c = server.connect("dash").unwrap();
    let dash = Dashboard::start(&server.url("dash"), &[]);
    let base = dash.url.clone();

    // Projects: every project with its deployed model's key metric.
    let home = dom(&format!("{base}/"));
    screenshot(&format!("{base}/"), "projects");
    for name in [
        "Diabetes Progression",
        "Breast Cancer",
        "Iris Species",
        "Iris Clusters",
        "Iris Components",
    ] {
        assert!(
            home.contains(&format!(">{name}</a>")),
            "{name} missing on /"
        );
    }
    // The evil name is text: escaped in the DOM, and the page's only script is its own.
    assert!(
        home.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "evil name not shown as text"
    );
    assert_eq!(
        home.matches("<script").count(),
        1,
        "a script was injected:\n{home}"
    );
    let diabetes = id(
        &mut c,
        "SELECT id FROM pgml.projects WHERE name = 'Diabetes Progression'",
    );
    let r2: f64 = one(
        &mut c,
        &format!(
            "SELECT (m.metrics->>'r2') FROM pgml.deployed_models d JOIN pgml.models m ON m.id = d.model_id WHERE d.id = {diabetes}"
        ),
    )
    .parse()
    .unwrap();
    assert_eq!(
        shown_value(&home, &format!("data-project-id=\"{diabetes}\""), "r2"),
        r2
    );

    // Project: every model, the key metric over time and the deployment timeline.
    let page = dom(&format!("{base}/projects/{diabetes}"));
    screenshot(
        &format!("{base}/projects/{diabetes}?sort=score&dir=desc"),
        "project",
    );
    let models: Vec<i64> = c
        .query(
            "SELECT id FROM pgml.models WHERE project_id = $1 ORDER BY id",
            &[&diabetes],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(models.len(), 3);
    for m in &models {
        let want: f64 = one(
            &mut c,
            &format!("SELECT metrics->>'r2' FROM pgml.models WHERE id = {m}"),
        )
        .parse()
        .unwrap();
        assert_eq!(
            shown_value(&page, &format!("data-model-id=\"{m}\""), "r2"),
            want
        );
    }
    assert_eq!(
        plots(&page),
        ["key_metric_over_time", "deployment_timeline"]
    );
    let deployments = id(
        &mut c,
        &format!("SELECT count(*) FROM pgml.deployments WHERE project_id = {diabetes}"),
    );
    let timeline = &page[page.find("data-plot=\"deployment_timeline\"").unwrap()..];
    assert_eq!(timeline.matches("<li").count() as i64, deployments);
    // Sorting is done by the page: the best r2 first.
    let sorted = dom(&format!("{base}/projects/{diabetes}?sort=score&dir=desc"));
    let best = id(&mut c, &format!("SELECT id FROM pgml.models WHERE project_id = {diabetes} ORDER BY (metrics->>'r2')::float8 DESC LIMIT 1"));
    let first_row = sorted.find("data-model-id=\"").unwrap();
    assert!(sorted[first_row..].starts_with(&format!("data-model-id=\"{best}\"")));

    // Model pages: one of every task, each with exactly the plots its catalog row holds.
    let cases = [
        ("regression", "Diabetes Progression", "xgboost", "r2"),
        ("search", "Diabetes Progression", "ridge", "r2"),
        ("binary", "Breast Cancer", "xgboost", "f1"),
        ("multiclass", "Iris Species", "linear", "f1"),
        ("clustering", "Iris Clusters", "kmeans", "silhouette"),
        (
            "decomposition",
            "Iris Components",
            "pca",
            "cumulative_explained_variance",
        ),
        ("gbt", "Diabetes Boosted", "gradient_boosting_trees", "r2"),
        ("hgb", "Diabetes Boosted", "hist_gradient_boosting", "r2"),
        ("catboost", "Breast Cancer", "catboost", "f1"),
    ];
    for (label, project, algorithm, key) in cases {
        let model = id(
            &mut c,
            &format!(
                "SELECT m.id FROM pgml.models m JOIN pgml.projects p ON p.id = m.project_id
                  WHERE p.name = '{project}' AND m.algorithm = '{algorithm}' ORDER BY m.id DESC LIMIT 1"
            ),
        );
        let url = format!("{base}/models/{model}");
        let page = dom(&url);
        screenshot(&url, &format!("model-{label}"));
        assert!(
            page.contains(&format!("Model #{model} · {algorithm}")),
            "{label}: title"
        );
        assert!(
            page.contains(&format!(">{project}</a>")),
            "{label}: project name"
        );
        let want: f64 = one(
            &mut c,
            &format!("SELECT metrics->>'{key}' FROM pgml.models WHERE id = {model}"),
        )
        .parse()
        .unwrap();
        assert_eq!(
            shown_value(&page, "id=\"metrics\"", key),
            want,
            "{label}: {key}"
        );
        let mut shown = plots(&page);
        shown.sort();
        assert_eq!(shown, expected_plots(&mut c, model), "{label}: plots");
        match label {
            "regression" => {
                assert!(
                    shown.contains(&"loss_curve".to_string())
                        && shown.contains(&"residuals".to_string())
                )
            }
            "binary" | "multiclass" => {
                for k in ["confusion_matrix", "roc", "precision_recall", "calibration"] {
                    assert!(shown.iter().any(|s| s == k), "{label}: no {k}");
                }
                // The confusion matrix holds every test row.
                let test_rows = id(
                    &mut c,
                    &format!("SELECT s.num_test_rows FROM pgml.models m JOIN pgml.snapshots s ON s.id = m.snapshot_id WHERE m.id = {model}"),
                );
                let cm = &page[page.find("id=\"confusion-matrix\"").unwrap()..];
                let cm = &cm[..cm.find("</table>").unwrap()];
                let total: i64 = cm
                    .split("data-predicted=\"")
                    .skip(1)
                    .map(|cell| {
                        let v = &cell[cell.find('>').unwrap() + 1..];
                        v[..v.find('<').unwrap()].parse::<i64>().unwrap()
                    })
                    .sum();
                assert_eq!(total, test_rows, "{label}: confusion matrix total");
            }
            "search" => assert_eq!(shown.iter().filter(|s| *s == "search").count(), 1),
            // scikit-learn's train_score_ / validation_score_, CatBoost's evals_result_: one
            // point per iteration on the chart.
            "gbt" | "hgb" | "catboost" => {
                assert!(
                    shown.contains(&"loss_curve".to_string()),
                    "{label}: no loss"
                );
                let metric = if key == "r2" { "rmse" } else { "logloss" };
                assert!(
                    page.contains(&format!(
                        "Training and validation {metric} per boosting round"
                    )),
                    "{label}: loss chart title"
                );
                let rounds = id(
                    &mut c,
                    &format!("SELECT jsonb_array_length(plots->'loss_curve'->'validation')::bigint FROM pgml.models WHERE id = {model}"),
                );
                assert_eq!(rounds, 20, "{label}: a loss per iteration");
            }
            "clustering" => assert!(shown.contains(&"cluster_sizes".to_string())),
            "decomposition" => assert!(shown.contains(&"explained_variance".to_string())),
            _ => {}
        }
        assert!(page.contains("id=\"predict-sql\""), "{label}: no SQL");
    }

    // Snapshot: rows per split, a histogram per numeric column and the label's distribution.
    let snap = id(
        &mut c,
        "SELECT s.id FROM pgml.snapshots s WHERE s.relation_name = 'pgml.iris' ORDER BY id LIMIT 1",
    );
    let url = format!("{base}/snapshots/{snap}");
    let page = dom(&url);
    screenshot(&url, "snapshot");
    let stats: serde_json::Value = serde_json::from_str(&one(
        &mut c,
        &format!("SELECT column_stats::text FROM pgml.snapshots WHERE id = {snap}"),
    ))
    .unwrap();
    let columns = stats["columns"].as_array().unwrap();
    assert_eq!(columns.len(), 5, "iris has 4 features and a label");
    let histograms = columns
        .iter()
        .filter(|c| c["histogram"].is_object())
        .count();
    let kinds = plots(&page);
    assert_eq!(
        kinds.iter().filter(|k| *k == "column_histogram").count(),
        histograms
    );
    assert_eq!(
        kinds.iter().filter(|k| *k == "label_distribution").count(),
        1
    );
    for col in columns {
        let name = col["name"].as_str().unwrap();
        let row = &page[page.find(&format!("data-column=\"{name}\"")).unwrap()..];
        assert!(
            row.contains(&format!("data-nulls=\"\">{}</td>", col["nulls"])),
            "{name} nulls"
        );
    }
    assert_eq!(
        columns[4]["top_values"].as_array().unwrap().len(),
        3,
        "three iris classes"
    );
    let train_rows = one(
        &mut c,
        &format!("SELECT num_train_rows::text FROM pgml.snapshots WHERE id = {snap}"),
    );
    assert!(page.contains(&format!("<div class=\"v\">{train_rows}</div>")));

    // Imported models show their plots: `pgml models export | import` carries models.plots and
    // the snapshot's column statistics into a catalog that never trained them.
    database_with_pgml(&server, "imported");
    let file = out_dir().join("export.pgmlpkg");
    for (verb, url_flag, db, file_flag) in [
        ("export", "--source", "dash", "--output"),
        ("import", "--target", "imported", "--input"),
    ] {
        let mut args = vec!["models", verb, url_flag];
        let url = server.url(db);
        args.push(&url);
        args.extend([file_flag, file.to_str().unwrap()]);
        if verb == "export" {
            args.extend(["--project", "Breast Cancer"]);
        }
        let out = Command::new(pgml_bin()).args(&args).output().unwrap();
        assert!(
            out.status.success(),
            "pgml models {verb}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut ci = server.connect("imported").unwrap();
    let imported = id(
        &mut ci,
        "SELECT max(id) FROM pgml.models WHERE algorithm = 'catboost'",
    );
    let want = expected_plots(&mut ci, imported);
    for k in ["confusion_matrix", "roc", "loss_curve", "calibration"] {
        assert!(
            want.iter().any(|w| w == k),
            "imported model lacks {k}: {want:?}"
        );
    }
    let source = id(
        &mut c,
        "SELECT max(id) FROM pgml.models WHERE algorithm = 'catboost'",
    );
    assert_eq!(
        want,
        expected_plots(&mut c, source),
        "plots changed on the way"
    );
    let dash_imported = Dashboard::start(&server.url("imported"), &[]);
    let url = format!("{}/models/{imported}", dash_imported.url);
    let page = dom(&url);
    screenshot(&url, "model-imported");
    let mut shown = plots(&page);
    shown.sort();
    assert_eq!(shown, want, "imported model's plots");
    let imported_snapshot = id(
        &mut ci,
        &format!("SELECT snapshot_id FROM pgml.models WHERE id = {imported}"),
    );
    let page = dom(&format!(
        "{}/snapshots/{imported_snapshot}",
        dash_imported.url
    ));
    let histograms = one(
        &mut ci,
        &format!(
            "SELECT count(*)::text FROM pgml.snapshots s, jsonb_array_elements(s.column_stats->'columns') col
              WHERE s.id = {imported_snapshot} AND col ? 'histogram'"
        ),
    );
    assert!(
        histograms.parse::<usize>().unwrap() > 0,
        "no column statistics imported"
    );
    assert_eq!(
        plots(&page)
            .iter()
            .filter(|k| *k == "column_histogram")
            .count()
            .to_string(),
        histograms
    );
    drop(dash_imported);

    // Fleet, and errors.
    let page = dom(&format!("{base}/fleet"));
    screenshot(&format!("{base}/fleet"), "fleet");
    assert!(page.contains("id=\"deployed\""));
    assert!(page.contains("Diabetes Progression"));
    let (status, _, body) = http("GET", &format!("{base}/models/1%20OR%201=1"), &[], "");
    assert_eq!(status, 404, "{body}");
    let (status, _, _) = http("GET", &format!("{base}/models/999999"), &[], "");
    assert_eq!(status, 404);
    println!("screenshots in {}", out_dir().display());
}

/// A plain HTTP/1.1 request (Connection: close): status, headers, body.
fn http(method: &str, url: &str, headers: &[(&str, &str)], body: &str) -> (u16, String, String) {
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    let mut s = std::net::TcpStream::connect(host).unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let (head, body) = resp.split_once("\r\n\r\n").unwrap_or((&resp, ""));
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, head.to_string(), body.to_string())
}

fn basic(password: &str) -> String {
    // base64 of "u:password" for the small alphabet used here.
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let input = format!("u:{password}");
    let b = input.as_bytes();
    let mut out = String::new();
    for chunk in b.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    format!("Basic {out}")
}

/// Rights, safety and servers: a read-only role sees what row-level security shows it; a standby
/// works; a password is asked for; deploying needs --allow-deploy, the CSRF token and the right.
#[test]
fn rights_safety_and_deploy() {
    let server = Server::start("dashboard-rights").unwrap();
    database_with_pgml(&server, "dash");
    server
        .execute(
            "dash",
            "SELECT pgml.load_dataset('diabetes');
             SELECT * FROM pgml.train('Visible', 'regression', 'pgml.diabetes', 'target');
             SELECT * FROM pgml.train('Visible', algorithm => 'ridge', automatic_deploy => false);
             SELECT * FROM pgml.train('Hidden', 'regression', 'pgml.diabetes', 'target');",
        )
        .unwrap();
    server.create_role("viewer", "viewer-pw", "").unwrap();
    server
        .execute("dash", "GRANT pgml_predictor TO viewer; SELECT pgml.grant_project('Visible', 'predict', 'viewer');")
        .unwrap();
    let mut c = server.connect("dash").unwrap();
    let ridge = id(
        &mut c,
        "SELECT id FROM pgml.models WHERE algorithm = 'ridge'",
    );

    // A read-only role: only the project it was granted, and no deploy button for it.
    let viewer = Dashboard::start(
        &server.url_as("viewer", "viewer-pw", "dash"),
        &["--allow-deploy"],
    );
    let (status, _, home) = http("GET", &format!("{}/", viewer.url), &[], "");
    assert_eq!(status, 200);
    assert!(
        home.contains(">Visible</a>") && !home.contains(">Hidden</a>"),
        "{home}"
    );
    let (_, _, page) = http("GET", &format!("{}/models/{ridge}", viewer.url), &[], "");
    assert!(
        !page.contains("id=\"deploy\""),
        "a viewer was offered to deploy"
    );
    assert!(page.contains("may not deploy"));
    let hidden = id(&mut c, "SELECT id FROM pgml.projects WHERE name = 'Hidden'");
    let (status, _, _) = http("GET", &format!("{}/projects/{hidden}", viewer.url), &[], "");
    assert_eq!(status, 404, "RLS hides the project");
    drop(viewer);

    // A password: asked for, checked, never printed.
    let pw_file = tempdir("pw").join("password");
    std::fs::write(&pw_file, "Sup3r-secret\n").unwrap();
    let guarded = Dashboard::start(
        &server.url("dash"),
        &[
            "--password-file",
            pw_file.to_str().unwrap(),
            "--allow-deploy",
        ],
    );
    let (status, head, _) = http("GET", &format!("{}/", guarded.url), &[], "");
    assert_eq!(status, 401);
    assert!(head.to_lowercase().contains("www-authenticate: basic"));
    let (status, _, _) = http(
        "GET",
        &format!("{}/", guarded.url),
        &[("Authorization", &basic("wrong"))],
        "",
    );
    assert_eq!(status, 401);
    let auth = basic("Sup3r-secret");
    let (status, head, page) = http(
        "GET",
        &format!("{}/models/{ridge}", guarded.url),
        &[("Authorization", &auth)],
        "",
    );
    assert_eq!(status, 200);
    assert!(
        head.to_lowercase()
            .contains("content-security-policy: default-src 'none'"),
        "{head}"
    );

    // Deploy: refused without the token or from another origin, done with both.
    let token_at = page.find("name=\"csrf\" value=\"").unwrap() + "name=\"csrf\" value=\"".len();
    let token = &page[token_at..token_at + 64];
    let deploy = format!("{}/models/{ridge}/deploy", guarded.url);
    let form = ("Content-Type", "application/x-www-form-urlencoded");
    let (status, _, _) = http(
        "POST",
        &deploy,
        &[("Authorization", &auth), form],
        "csrf=0000",
    );
    assert_eq!(status, 403);
    let host = guarded.url.strip_prefix("http://").unwrap().to_string();
    let (status, _, _) = http(
        "POST",
        &deploy,
        &[
            ("Authorization", &auth),
            form,
            ("Origin", "http://evil.example"),
        ],
        &format!("csrf={token}"),
    );
    assert_eq!(status, 403);
    let deployed = || {
        id(
            &mut server.connect("dash").unwrap(),
            "SELECT model_id FROM pgml.deployed_models WHERE name = 'Visible'",
        )
    };
    assert_ne!(deployed(), ridge);
    let origin = format!("http://{host}");
    let (status, head, _) = http(
        "POST",
        &deploy,
        &[("Authorization", &auth), form, ("Origin", &origin)],
        &format!("csrf={token}"),
    );
    assert_eq!(status, 303, "{head}");
    assert_eq!(deployed(), ridge);
    assert_eq!(
        one(
            &mut c,
            &format!("SELECT deployed_by FROM pgml.deployments WHERE model_id = {ridge}")
        ),
        "postgres"
    );
    let errors = guarded.stderr();
    assert!(!errors.contains("Sup3r-secret"));
    drop(guarded);

    // Without --allow-deploy there is no button and the action is refused.
    let plain = Dashboard::start(&server.url("dash"), &[]);
    let (_, _, page) = http("GET", &format!("{}/models/{ridge}", plain.url), &[], "");
    assert!(!page.contains("id=\"deploy\""));
    let (status, _, _) = http(
        "POST",
        &format!("{}/models/{ridge}/deploy", plain.url),
        &[form],
        "csrf=x",
    );
    assert_eq!(status, 403);
    drop(plain);

    // Another address than loopback without a password: a warning.
    let open = Dashboard::start(&server.url("dash"), &["--listen", "0.0.0.0:0"]);
    assert!(
        open.stderr().contains("without --password-file"),
        "no warning"
    );
    drop(open);

    // A hot standby: the same pages, read-only.
    let standby = server.standby("dashboard-standby").unwrap();
    server.wait_for_replay(&standby).unwrap();
    let replica = Dashboard::start(&standby.url("dash"), &["--allow-deploy"]);
    let (status, _, home) = http("GET", &format!("{}/", replica.url), &[], "");
    assert_eq!(status, 200);
    assert!(home.contains(">Visible</a>") && home.contains(">Hidden</a>"));
    let (status, _, page) = http("GET", &format!("{}/models/{ridge}", replica.url), &[], "");
    assert_eq!(status, 200);
    assert!(page.contains("data-plot=\"predicted_vs_actual\""));
    let (status, _, fleet) = http("GET", &format!("{}/fleet", replica.url), &[], "");
    assert_eq!(status, 200);
    assert!(fleet.contains("yes (standby)"), "{fleet}");
    drop(replica);

    // The primary's fleet page with the standby as another server: both serve the same models,
    // and the primary shows the standby streaming from it.
    let fleet = Dashboard::start(&server.url("dash"), &["--source", &standby.url("dash")]);
    let (status, _, page) = http("GET", &format!("{}/fleet", fleet.url), &[], "");
    assert_eq!(status, 200);
    let table = &page[page.find("id=\"deployed\"").unwrap()..];
    let table = &table[..table.find("</table>").unwrap()];
    assert!(
        table.contains(&format!("127.0.0.1:{}/dash", standby.port())),
        "{table}"
    );
    assert!(
        table.contains(&format!("#{ridge}")) && !table.contains("differs"),
        "{table}"
    );
    assert!(
        page.contains("id=\"standbys\""),
        "no standby listed: {page}"
    );
    assert!(!page.contains(standby.password()) && !page.contains(server.password()));
}

/// Mistakes are refused before anything listens, with the exit code of their class and no password
/// in the message.
#[test]
fn bad_arguments_are_refused() {
    let server = Server::start("dashboard-args").unwrap();
    server.create_database("nopgml").unwrap();
    database_with_pgml(&server, "dash");
    let run = |args: &[&str]| {
        let out = Command::new(pgml_bin())
            .arg("dashboard")
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let url = server.url("dash");
    let (code, err) = run(&["--url", &url, "--listen", "nowhere"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("--listen nowhere is not an address and port"),
        "{err}"
    );
    let empty = tempdir("pw").join("empty");
    std::fs::write(&empty, "\n").unwrap();
    let (code, err) = run(&["--url", &url, "--password-file", empty.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("is empty"), "{err}");
    let (code, err) = run(&["--url", &server.url("nopgml")]);
    assert_eq!(code, Some(7), "{err}");
    assert!(err.contains("no pgml catalog"), "{err}");
    assert!(!err.contains(server.password()), "{err}");
    let wrong = server.url_as("postgres", "not-the-password", "dash");
    let (code, err) = run(&["--url", &wrong]);
    assert_eq!(code, Some(5), "{err}");
    assert!(!err.contains("not-the-password"), "{err}");
}

/// A joint model (`pgml.train_joint`) shows every label: on its snapshot's page (the facts, one
/// distribution per label, a badge on each label column) and on its model page (the lineage and
/// the `pgml.predict_joint` SQL), not only the first.
#[test]
fn joint_models_show_every_label() {
    let server = Server::start("dashboard-joint").unwrap();
    database_with_pgml(&server, "dash");
    server
        .execute(
            "dash",
            "SELECT pgml.load_dataset('linnerud');
             SELECT * FROM pgml.train_joint('Exercise', 'regression', 'pgml.linnerud',
                                            ARRAY['weight', 'waist', 'pulse'], algorithm => 'ridge');",
        )
        .expect("train a joint model");
    let mut c = server.connect("dash").unwrap();
    let dash = Dashboard::start(&server.url("dash"), &[]);
    let base = dash.url.clone();
    let model = id(&mut c, "SELECT max(id) FROM pgml.models");
    let snap = id(&mut c, "SELECT max(id) FROM pgml.snapshots");

    let url = format!("{base}/snapshots/{snap}");
    let page = dom(&url);
    screenshot(&url, "snapshot-joint");
    assert!(
        page.contains("weight, waist, pulse"),
        "the snapshot's facts name every label"
    );
    assert_eq!(
        plots(&page)
            .iter()
            .filter(|k| *k == "label_distribution")
            .count(),
        3,
        "one distribution per label"
    );
    for label in ["weight", "waist", "pulse"] {
        let row = &page[page.find(&format!("data-column=\"{label}\"")).unwrap()..];
        let row = &row[..row.find("</tr>").unwrap()];
        assert!(row.contains("class=\"badge\">label<"), "{label}: no badge");
    }
    let feature = &page[page.find("data-column=\"chins\"").unwrap()..];
    assert!(!feature[..feature.find("</tr>").unwrap()].contains("class=\"badge\""));

    let url = format!("{base}/models/{model}");
    let page = dom(&url);
    screenshot(&url, "model-joint");
    assert!(page.contains("label columns"), "the lineage says columns");
    assert!(page.contains("weight, waist, pulse"));
    let sql = &page[page.find("id=\"predict-sql\"").unwrap()..];
    let sql = &sql[..sql.find("</pre>").unwrap()];
    assert!(
        sql.contains("pgml.predict_joint('Exercise', ARRAY[chins, situps, jumps]::real[])")
            && sql.contains(&format!("pgml.predict_joint({model}, ARRAY["))
            && !sql.contains("pgml.predict("),
        "{sql}"
    );
    // The SQL the page shows runs.
    let shown: Vec<f32> = c
        .query_one(
            "SELECT pgml.predict_joint('Exercise', ARRAY[chins, situps, jumps]::real[]) FROM pgml.linnerud LIMIT 1",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(shown.len(), 3);
}
