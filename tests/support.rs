//! Helpers shared by the end-to-end tests.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test support: a panic is the failure report

use std::path::PathBuf;

pub use pgml_testkit::{Server, ServerBuilder};

/// The version the extension under test must report.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Starts servers in parallel (each initdb + start takes a second or two).
pub fn start_servers(names: &[&str]) -> Vec<Server> {
    let handles: Vec<_> = names
        .iter()
        .map(|n| {
            let n = n.to_string();
            std::thread::spawn(move || Server::start(&n))
        })
        .collect();
    handles
        .into_iter()
        .map(|h| {
            h.join()
                .expect("server start thread panicked")
                .expect("server did not start")
        })
        .collect()
}

/// A new database on `server` with the pgml extension created in it.
pub fn database_with_pgml(server: &Server, db: &str) {
    server.create_database(db).expect("create database");
    server
        .execute(db, "CREATE EXTENSION pgml")
        .expect("CREATE EXTENSION pgml (is the release build installed? scripts/test installs it)");
}

/// The `pgml` binary under test: `$PGML_BIN`, else the release build in the target directory.
pub fn pgml_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("PGML_BIN") {
        let p = PathBuf::from(p);
        // Tests run in the package directory, so a relative path would point somewhere else.
        assert!(
            p.is_absolute(),
            "PGML_BIN must be an absolute path, got {}",
            p.display()
        );
        return p;
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let bin = target.join("release/pgml");
    assert!(
        bin.is_file(),
        "{} is missing: build it with `cargo build --release -p pgml-cli` or set PGML_BIN",
        bin.display()
    );
    bin
}

/// Runs `producer | consumer` (e.g. pg_dump | psql) and returns the consumer's stdout and stderr.
/// Panics with both programs' stderr when either fails.
pub fn pipe(
    mut producer: std::process::Command,
    mut consumer: std::process::Command,
) -> (String, String) {
    use std::process::Stdio;
    let mut p = producer
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn producer");
    let out = consumer
        .stdin(p.stdout.take().expect("producer stdout"))
        .output()
        .expect("run consumer");
    // The Command holds the pipe's read end until it is dropped: with the consumer gone early
    // (psql stopping at an error), the producer would block on a full pipe forever.
    let consumer_program = consumer.get_program().to_owned();
    drop(consumer);
    let p_out = p.wait_with_output().expect("wait for producer");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        p_out.status.success(),
        "{:?} failed: {}",
        producer.get_program(),
        String::from_utf8_lossy(&p_out.stderr)
    );
    assert!(
        out.status.success(),
        "{consumer_program:?} failed: {stderr}"
    );
    (stdout, stderr)
}

/// A fingerprint of a table's rows (in text order), to compare a table across servers.
pub fn table_fingerprint(server: &Server, db: &str, table: &str) -> String {
    server
        .query_text(
            db,
            &format!("SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM {table} t"),
        )
        .expect("fingerprint query")
        .unwrap_or_default()
}

/// Fills the catalog with a project, a snapshot (and its table), a model in two file parts and two
/// deployments, as a training run would.
pub fn seed_catalog(server: &Server, db: &str) {
    server
        .execute(
            db,
            r#"
            INSERT INTO pgml.projects (name, task) VALUES ('Diabetes Progression', 'regression'),
                                                         ('Breast Cancer', 'classification');
            INSERT INTO pgml.snapshots (relation_name, y_column_name, test_size, test_sampling, status, columns)
            VALUES ('public.diabetes', '{target}', 0.25, 'random', 'successful', '[{"name": "age"}]');
            CREATE TABLE pgml.snapshot_1 (age real, target real);
            INSERT INTO pgml.snapshot_1 SELECT g / 10.0, g FROM generate_series(1, 100) g;
            INSERT INTO pgml.models (project_id, snapshot_id, num_features, algorithm, hyperparams, status, metrics)
            SELECT p.id, 1, 1, 'linear', '{"fit_intercept": true}', 'successful', '{"r2": 0.5}'
              FROM pgml.projects p ORDER BY p.id;
            INSERT INTO pgml.files (model_id, path, part, data, checksum)
            SELECT m.id, 'estimator.bin', part.n, part.bytes, sha256(part.bytes)
              FROM pgml.models m,
                   LATERAL (VALUES (0, '\x00010203'::bytea), (1, '\xfffe'::bytea)) AS part (n, bytes);
            INSERT INTO pgml.deployments (project_id, model_id, strategy)
            SELECT project_id, id, 'new_score' FROM pgml.models ORDER BY id;
            "#,
        )
        .expect("seed the catalog");
}

pub const CATALOG_TABLES: [&str; 5] = [
    "pgml.projects",
    "pgml.snapshots",
    "pgml.models",
    "pgml.files",
    "pgml.deployments",
];

/// Runs the `pgml` binary under test with `args`.
pub fn pgml(args: &[&str]) -> std::process::Output {
    std::process::Command::new(pgml_bin())
        .args(args)
        .output()
        .expect("run pgml")
}

/// Exit status, stdout and stderr of a run, for assertions and their messages.
pub fn text(out: &std::process::Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Polls `ok` every 50 ms until it holds; panics naming `what` after 60 s.
pub fn wait_until(what: &str, mut ok: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !ok() {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(60),
            "timed out waiting until {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Waits until `sql` on `server`/`db` returns `expected` (replication, apply); on timeout (60 s)
/// panics with the last value seen.
pub fn wait_for_value(server: &Server, db: &str, sql: &str, expected: &str) {
    let start = std::time::Instant::now();
    loop {
        let got = server.query_text(db, sql).expect("polling query");
        if got.as_deref() == Some(expected) {
            return;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(60),
            "{sql} still returns {got:?}, not {expected}, after 60 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// A benchmark's settings from `KEY=VALUE` arguments (or the environment variable `KEY`), each
/// known key with its default. An unknown key, a bare word or a value that does not parse stops the
/// benchmark with its usage: a setting silently ignored would report numbers for another run.
pub fn bench_settings(
    usage: &str,
    known: &[(&str, f64)],
) -> std::collections::HashMap<String, f64> {
    let mut values: std::collections::HashMap<String, f64> = known
        .iter()
        .map(|(k, d)| {
            let v = std::env::var(k).ok().map(|s| {
                s.parse()
                    .unwrap_or_else(|_| panic!("{k}={s} is not a number\nusage: {usage}"))
            });
            (k.to_string(), v.unwrap_or(*d))
        })
        .collect();
    for arg in std::env::args().skip(1) {
        let Some((k, v)) = arg.split_once('=') else {
            panic!("unexpected argument {arg:?}: settings are KEY=VALUE\nusage: {usage}");
        };
        if !values.contains_key(k) {
            panic!("unknown setting {k}\nusage: {usage}");
        }
        let v: f64 = v
            .parse()
            .unwrap_or_else(|_| panic!("{arg} is not a number\nusage: {usage}"));
        values.insert(k.to_string(), v);
    }
    eprintln!(
        "settings: {}",
        known
            .iter()
            .map(|(k, _)| format!("{k}={}", values[*k]))
            .collect::<Vec<_>>()
            .join(" ")
    );
    values
}

/// The projects `train_every_algorithm` makes: name, task, dataset, label.
pub const EVERY_ALGORITHM_PROJECTS: [(&str, &str, &str, Option<&str>); 5] = [
    ("every regression", "regression", "diabetes", Some("target")),
    (
        "every binary",
        "classification",
        "breast_cancer",
        Some("malignant"),
    ),
    ("every multiclass", "classification", "iris", Some("target")),
    ("every clustering", "clustering", "iris", None),
    ("every decomposition", "decomposition", "iris", None),
];

/// Trains one model per registered algorithm on every task it trains (classification both binary
/// and multi-class), small and deterministic, so a test that moves "every model" covers every
/// algorithm without listing them: an algorithm added to the registry is tested by it. Returns the
/// number of models.
pub fn train_every_algorithm(c: &mut postgres::Client) -> usize {
    let mut models = 0;
    for (project, task, dataset, label) in EVERY_ALGORITHM_PROJECTS {
        c.execute("SELECT pgml.load_dataset($1)", &[&dataset])
            .unwrap();
        let task_enum = pgml_core::Task::parse(task).unwrap();
        for a in pgml_core::algorithms::registry::ALL {
            if !a.supports(task_enum) {
                continue;
            }
            let accepts = |p: &str| a.params(task_enum).iter().any(|q| q.name == p);
            let mut hyperparams = serde_json::Map::new();
            for (p, v) in [
                ("n_estimators", serde_json::json!(10)),
                ("max_iter", serde_json::json!(20)),
                ("max_depth", serde_json::json!(4)),
                ("random_state", serde_json::json!(7)),
                ("n_clusters", serde_json::json!(3)),
                ("n_components", serde_json::json!(2)),
            ] {
                // max_iter and n_estimators both count iterations; where both are names of one
                // parameter (LightGBM's aliases), giving two values is refused, so n_estimators.
                if accepts(p) && !(p == "max_iter" && accepts("n_estimators")) {
                    hyperparams.insert(p.into(), v);
                }
            }
            let hyperparams = serde_json::Value::Object(hyperparams).to_string();
            c.query(
                "SELECT * FROM pgml.train($1, $2, $3, $4, algorithm => $5::text::pgml.algorithm,
                                          hyperparams => $6::text::jsonb)",
                &[
                    &project,
                    &task,
                    &format!("pgml.{dataset}"),
                    &label,
                    &a.as_str(),
                    &hyperparams,
                ],
            )
            .unwrap_or_else(|e| panic!("{project}: {a} {hyperparams}: {e:?}"));
            models += 1;
        }
    }
    models
}

/// What every model of `train_every_algorithm` answers on every row of its dataset (predict, and
/// predict_proba for classifiers; decompose for the decomposition project's deployed model), keyed
/// by project and algorithm, so servers with other model ids compare.
pub fn every_algorithm_outputs(
    c: &mut postgres::Client,
) -> std::collections::BTreeMap<(String, String), String> {
    let mut out = std::collections::BTreeMap::new();
    for (project, task, dataset, label) in EVERY_ALGORITHM_PROJECTS {
        let columns: Vec<String> = c
            .query(
                "SELECT quote_ident(attname) FROM pg_attribute
                  WHERE attrelid = $1::text::regclass AND attnum > 0 AND NOT attisdropped
                    AND attname <> coalesce($2, '') ORDER BY attnum",
                &[&format!("pgml.{dataset}"), &label],
            )
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        let features = format!("ARRAY[{}]::real[]", columns.join(", "));
        let outputs = match task {
            // Each model by id (its first component), and every component of the deployed one.
            "decomposition" => format!(
                "array_agg(pgml.predict(m.id, {features}) ORDER BY d.ctid)::text || ' ' ||
                 array_agg(pgml.decompose(p.name, {features})::text ORDER BY d.ctid)::text"
            ),
            _ => format!("array_agg(pgml.predict(m.id, {features}) ORDER BY d.ctid)::text"),
        };
        let sql = format!(
            "SELECT m.algorithm::text, m.id, {outputs}
               FROM pgml.models m JOIN pgml.projects p ON p.id = m.project_id, pgml.{dataset} d
              WHERE p.name = $1 GROUP BY m.algorithm, m.id"
        );
        for row in c
            .query(&sql, &[&project])
            .unwrap_or_else(|e| panic!("{project}: {e:?}"))
        {
            let algorithm: String = row.get(0);
            let mut outputs: String = row.get(2);
            if task == "classification" {
                // Probabilities too, where the model has them (a model without says so: 0A000).
                let id: i64 = row.get(1);
                let proba = format!(
                    "SELECT array_agg(pgml.predict_proba($1::bigint, {features})::text ORDER BY d.ctid)::text
                       FROM pgml.{dataset} d"
                );
                match c.query_one(&proba, &[&id]) {
                    Ok(r) => outputs = format!("{outputs} {}", r.get::<_, String>(0)),
                    Err(e) if e.code().map(|c| c.code()) == Some("0A000") => {
                        outputs.push_str(" (no probabilities)");
                    }
                    Err(e) => panic!("{project} {algorithm}: {e:?}"),
                }
            }
            let key = (project.to_string(), algorithm);
            assert!(out.insert(key.clone(), outputs).is_none(), "{key:?} twice");
        }
    }
    out
}

/// A CA, a server certificate for `localhost` only, and a client certificate for `certuser`, in a
/// directory the server's OS user owns (PostgreSQL refuses a key others can read).
#[derive(Debug)]
pub struct Certs {
    dir: PathBuf,
}

impl Certs {
    /// `name` keeps the certificates of tests running at once apart.
    pub fn make(name: &str) -> Certs {
        let dir = std::env::temp_dir().join(format!("pgml-e2e-tls-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let certs = Certs { dir };
        certs.sh("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=pgml-test-ca \
              -keyout ca.key -out ca.crt 2>/dev/null
            printf 'subjectAltName=DNS:localhost\\n' > server.ext
            openssl req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout server.key -out server.csr 2>/dev/null
            openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
              -extfile server.ext -out server.crt 2>/dev/null
            openssl req -newkey rsa:2048 -nodes -subj /CN=certuser -keyout client.key -out client.csr 2>/dev/null
            openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -out client.crt 2>/dev/null
            chmod 600 server.key client.key
            chmod 755 .
            chown postgres server.key server.crt ca.crt");
        certs
    }

    /// Runs a shell script in the certificates' directory.
    pub fn sh(&self, script: &str) {
        let out = std::process::Command::new("sh")
            .arg("-ec")
            .arg(script)
            .current_dir(&self.dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{script}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub fn path(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }
}

impl Drop for Certs {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
