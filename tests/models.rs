//! Models across servers: restores into a used catalog refused, packages exported and imported
//! (CLI and SQL) with new ids and the same deployments, a replicated catalog switching a fleet of
//! inference servers, lineage of every model, and a standby serving 8 connections while the primary
//! flips deployments.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic is the test's failure report

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use pgml_e2e::{
    database_with_pgml, every_algorithm_outputs, pgml, start_servers, table_fingerprint, text,
    train_every_algorithm, wait_for_value, wait_until, Server, CATALOG_TABLES,
    EVERY_ALGORITHM_PROJECTS,
};

const DIABETES: &str = "ARRAY[age, sex, bmi, bp, s1, s2, s3, s4, s5, s6]";
const IRIS: &str = "ARRAY[sepal_length, sepal_width, petal_length, petal_width]";

/// Trains projects D (regression: linear, then xgboost), I (classification: xgboost, then
/// logistic, not deployed) and C (clustering), then one model of each of issue 11's second
/// increment (D and I, not deployed), so that every kind of model crosses servers.
fn train_models(server: &Server, db: &str) {
    server
        .execute(
            db,
            "SELECT pgml.load_dataset('diabetes');
             SELECT pgml.load_dataset('iris');
             SELECT * FROM pgml.train('D', 'regression', 'pgml.diabetes', 'target');
             SELECT * FROM pgml.train('D', algorithm => 'xgboost', hyperparams => '{\"n_estimators\": 10}');
             SELECT * FROM pgml.deploy('D', 'most_recent');
             SELECT * FROM pgml.train('I', 'classification', 'pgml.iris', 'target', algorithm => 'xgboost', hyperparams => '{\"n_estimators\": 10}');
             SELECT * FROM pgml.train('I', algorithm => 'linear', automatic_deploy => false);
             SELECT * FROM pgml.train('C', 'clustering', 'pgml.iris', hyperparams => '{\"n_clusters\": 3}');
             SELECT * FROM pgml.train('D', algorithm => 'linear_svm', automatic_deploy => false);
             SELECT * FROM pgml.train('D', algorithm => 'least_angle', automatic_deploy => false);
             SELECT * FROM pgml.train('D', algorithm => 'lasso_least_angle', automatic_deploy => false);
             SELECT * FROM pgml.train('D', algorithm => 'automatic_relevance_determination', automatic_deploy => false);
             SELECT * FROM pgml.train('D', algorithm => 'ransac', automatic_deploy => false);
             SELECT * FROM pgml.train('D', algorithm => 'theil_sen', hyperparams => '{\"max_subpopulation\": 500}', automatic_deploy => false);
             SELECT * FROM pgml.train('D', algorithm => 'quantile', automatic_deploy => false);
             SELECT * FROM pgml.train('D', algorithm => 'gaussian_process', hyperparams => '{\"kernel\": \"1.0 * RBF(1.0) + WhiteKernel(1.0)\", \"normalize_y\": true}', automatic_deploy => false);
             SELECT * FROM pgml.train('I', algorithm => 'linear_svm', automatic_deploy => false);
             SELECT * FROM pgml.train('I', algorithm => 'svm', hyperparams => '{\"probability\": true}', automatic_deploy => false);",
        )
        .expect("train the models");
}

/// Predictions of every model of the catalog on every dataset row, by model id.
fn predictions_by_model(c: &mut postgres::Client) -> HashMap<i64, String> {
    let sql = format!(
        "SELECT m.id, array_agg(pgml.predict(m.id, {DIABETES}) ORDER BY d.ctid)::text
           FROM pgml.models m JOIN pgml.projects p ON p.id = m.project_id, pgml.diabetes d
          WHERE p.name = 'D' GROUP BY m.id
         UNION ALL
         SELECT m.id, array_agg(pgml.predict(m.id, {IRIS}) ORDER BY i.ctid)::text
           FROM pgml.models m JOIN pgml.projects p ON p.id = m.project_id, pgml.iris i
          WHERE p.name = 'I' GROUP BY m.id
         UNION ALL
         SELECT m.id, array_agg(pgml.predict(m.id, ARRAY[sepal_length, sepal_width, petal_length, petal_width, target]) ORDER BY i.ctid)::text
           FROM pgml.models m JOIN pgml.projects p ON p.id = m.project_id, pgml.iris i
          WHERE p.name = 'C' GROUP BY m.id"
    );
    c.query(&sql, &[])
        .expect("predict with every model")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

/// Predictions of each project's deployed model, by project name.
fn predictions_by_project(c: &mut postgres::Client) -> Vec<String> {
    let sql = format!(
        "SELECT (SELECT array_agg(pgml.predict('D', {DIABETES}) ORDER BY ctid)::text FROM pgml.diabetes),
                (SELECT array_agg(pgml.predict('I', {IRIS}) ORDER BY ctid)::text FROM pgml.iris)"
    );
    let r = c.query_one(&sql, &[]).expect("predict by project");
    vec![r.get(0), r.get(1)]
}

fn catalog_fingerprint(server: &Server, db: &str) -> Vec<String> {
    CATALOG_TABLES
        .iter()
        .map(|t| table_fingerprint(server, db, t))
        .collect()
}

fn db_error(e: &postgres::Error) -> (String, String, String) {
    let db = e
        .as_db_error()
        .unwrap_or_else(|| panic!("not a server error: {e}"));
    (
        db.code().code().to_string(),
        db.message().to_string(),
        db.hint().unwrap_or("").to_string(),
    )
}

/// `pgml models import --target URL --input FILE`, which must succeed.
fn import_file(target: &str, file: &std::path::Path) -> std::process::Output {
    let out = pgml(&[
        "models",
        "import",
        "--target",
        target,
        "--input",
        file.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    out
}

#[test]
fn restoring_a_dump_into_a_catalog_in_use_is_refused_and_changes_nothing() {
    let servers = start_servers(&["training", "serving"]);
    let (a, b) = (&servers[0], &servers[1]);
    database_with_pgml(a, "train");
    database_with_pgml(b, "serve");
    train_models(a, "train");
    b.execute(
        "serve",
        "SELECT pgml.load_dataset('iris');
         SELECT * FROM pgml.train('Own', 'classification', 'pgml.iris', 'target');",
    )
    .unwrap();
    let before = catalog_fingerprint(b, "serve");
    let mut cb = b.connect("serve").unwrap();
    let own =
        format!("SELECT array_agg(pgml.predict('Own', {IRIS}) ORDER BY ctid)::text FROM pgml.iris");
    let own_before: String = cb.query_one(&own, &[]).unwrap().get(0);

    // As the issue's users run it: pg_dump -n pgml | psql, which goes on after errors.
    let mut dump = a.command("pg_dump", "train");
    dump.args(["-n", "pgml", "--no-owner"]);
    let mut restore = b.command("psql", "serve");
    restore.args(["-X", "-q", "-o", "/dev/null"]);
    let (_, stderr) = pgml_e2e::pipe(dump, restore);
    assert!(
        stderr.contains("pgml.projects already has rows")
            && stderr.contains("would mix two catalogs"),
        "{stderr}"
    );
    assert!(stderr.contains("pgml models import"), "{stderr}");
    for t in ["snapshots", "models", "files", "deployments"] {
        assert!(
            stderr.contains(&format!("pgml.{t} already has rows")),
            "{t}: {stderr}"
        );
    }
    assert_eq!(
        catalog_fingerprint(b, "serve"),
        before,
        "nothing was written"
    );
    assert_eq!(
        cb.query_one(&own, &[]).unwrap().get::<_, String>(0),
        own_before
    );
    // The dump's setval lines ran and moved the sequences back; the next train still gets free ids.
    b.execute(
        "serve",
        "SELECT * FROM pgml.train('Own', algorithm => 'xgboost', hyperparams => '{\"n_estimators\": 5}')",
    )
    .expect("training after a refused restore");

    // With ON_ERROR_STOP, psql stops at the refusal and exits non-zero.
    let mut dump = a.command("pg_dump", "train");
    dump.args(["-t", "pgml.projects", "-t", "pgml.models", "--data-only"]);
    let mut restore = b.command("psql", "serve");
    restore.args(["-X", "-q", "-v", "ON_ERROR_STOP=1"]);
    let mut p = dump.stdout(std::process::Stdio::piped()).spawn().unwrap();
    let out = restore.stdin(p.stdout.take().unwrap()).output().unwrap();
    // The Command keeps the pipe's read end open: drop it, or pg_dump (with more to write than a
    // pipe holds) would wait forever once psql stopped reading.
    drop(restore);
    p.wait().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already has rows"));

    // A fresh catalog takes the same dump: every model predicts as on the source.
    database_with_pgml(b, "fresh");
    let mut dump = a.command("pg_dump", "train");
    dump.args(["-n", "pgml", "--no-owner"]);
    let mut restore = b.command("psql", "fresh");
    restore.args(["-X", "-q", "-o", "/dev/null"]);
    let (_, stderr) = pgml_e2e::pipe(dump, restore);
    assert!(!stderr.contains("already has rows"), "{stderr}");
    let mut ca = a.connect("train").unwrap();
    let mut cf = b.connect("fresh").unwrap();
    assert_eq!(predictions_by_model(&mut ca), predictions_by_model(&mut cf));
}

#[test]
fn export_and_import_move_models_with_new_ids_deployments_and_lineage() {
    let servers = start_servers(&["training", "inference"]);
    let (t, s) = (&servers[0], &servers[1]);
    database_with_pgml(t, "train");
    database_with_pgml(s, "serve");
    train_models(t, "train");
    // The target has a model of its own, so ids collide unless import gives new ones.
    s.execute(
        "serve",
        "SELECT pgml.load_dataset('diabetes');
         SELECT pgml.load_dataset('iris');
         SELECT * FROM pgml.train('Own', 'regression', 'pgml.diabetes', 'target', algorithm => 'ridge');",
    )
    .unwrap();
    let mut ct = t.connect("train").unwrap();
    let mut cs = s.connect("serve").unwrap();
    let own_before = predictions_by_model(&mut cs);

    let file = std::env::temp_dir().join(format!("pgml-models-{}.pkg", std::process::id()));
    let out = pgml(&[
        "models",
        "export",
        "--source",
        &t.url("train"),
        "--output",
        file.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let out = import_file(&s.url("serve"), &file);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    // "  D: model 1 -> 2, deployed": the source → target id of every model.
    let ids: HashMap<i64, i64> = stdout
        .lines()
        .filter_map(|l| {
            let (_, rest) = l.split_once(": model ")?;
            let (from, rest) = rest.split_once(" -> ")?;
            let to: String = rest.chars().take_while(char::is_ascii_digit).collect();
            Some((from.parse().ok()?, to.parse().ok()?))
        })
        .collect();
    assert_eq!(ids.len(), 15, "{stdout}");
    assert!(
        ids.values().all(|id| !own_before.contains_key(id)),
        "new ids: {stdout}"
    );

    // Every imported model predicts exactly as on the source; the target's own model is untouched.
    let on_source = predictions_by_model(&mut ct);
    let on_target = predictions_by_model(&mut cs);
    for (from, to) in &ids {
        assert_eq!(on_source[from], on_target[to], "model {from} -> {to}");
    }
    for (id, p) in &own_before {
        assert_eq!(&on_target[id], p);
    }
    // The same deployed model per project: D deploys its xgboost (most_recent), I its first model.
    assert_eq!(
        predictions_by_project(&mut ct),
        predictions_by_project(&mut cs)
    );
    let deployed: Vec<(String, i64)> = cs
        .query(
            "SELECT name, model_id FROM pgml.deployed_models WHERE name IN ('C', 'D', 'I') ORDER BY 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let deployed_source: Vec<(String, i64)> = ct
        .query(
            "SELECT name, model_id FROM pgml.deployed_models ORDER BY 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), ids[&r.get::<_, i64>(1)]))
        .collect();
    assert_eq!(deployed, deployed_source);
    // Lineage and origin travel with the model.
    let r = cs
        .query_one(
            "SELECT origin->>'database', (origin->>'model_id')::bigint, lineage->>'relation', feature_hash,
                    num_train_rows + num_test_rows
               FROM pgml.trained_models WHERE id = $1",
            &[&ids[&1]],
        )
        .unwrap();
    assert_eq!(r.get::<_, Option<String>>(0).as_deref(), Some("train"));
    assert_eq!(r.get::<_, Option<i64>>(1), Some(1));
    assert_eq!(
        r.get::<_, Option<String>>(2).as_deref(),
        Some("pgml.diabetes")
    );
    assert_eq!(r.get::<_, Option<String>>(3).map(|h| h.len()), Some(64));
    assert_eq!(r.get::<_, Option<i64>>(4), Some(442));

    // Importing the same package again changes nothing.
    let before = catalog_fingerprint(s, "serve");
    let out = import_file(&s.url("serve"), &file);
    assert!(String::from_utf8_lossy(&out.stdout).contains("(already there)"));
    assert_eq!(catalog_fingerprint(s, "serve"), before);

    // Push to two servers at once, one project, without deploying; a bad target fails alone.
    let servers2 = start_servers(&["fleet1", "fleet2"]);
    for f in &servers2 {
        database_with_pgml(f, "serve");
    }
    // A dry run imports and rolls back: the report is real, nothing stays.
    let out = pgml(&[
        "models",
        "push",
        "--source",
        &t.url("train"),
        "--dry-run",
        "--to",
        &servers2[0].url("serve"),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("dry run: rolled back, nothing changed"),
        "{}",
        text(&out)
    );
    assert!(
        text(&out).contains("D: model 2 -> new id, deployed"),
        "{}",
        text(&out)
    );
    assert_eq!(
        servers2[0]
            .query_text("serve", "SELECT count(*) FROM pgml.models")
            .unwrap()
            .as_deref(),
        Some("0")
    );
    let out = pgml(&[
        "models",
        "push",
        "--source",
        &t.url("train"),
        "--project",
        "I",
        "--deployed-only",
        "--no-deploy",
        "--to",
        &servers2[0].url("serve"),
        "--to",
        &servers2[1].url("serve"),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    for f in &servers2 {
        let r = f
            .query_text(
                "serve",
                "SELECT count(*) || '/' || (SELECT count(*) FROM pgml.deployments) FROM pgml.models",
            )
            .unwrap();
        assert_eq!(r.as_deref(), Some("1/0"), "one model, no deployment");
    }
    let out = pgml(&[
        "models",
        "push",
        "--source",
        &t.url("train"),
        "--to",
        &servers2[0].url("nodb"),
        "--to",
        &servers2[1].url("serve"),
    ]);
    assert_eq!(out.status.code(), Some(5), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 of 2 targets failed"));
    assert_eq!(
        servers2[1]
            .query_text("serve", "SELECT count(*) FROM pgml.models")
            .unwrap()
            .as_deref(),
        Some("15"),
        "the good target got everything"
    );
    let _ = std::fs::remove_file(&file);
}

/// One model per registered algorithm and task: exported by the CLI from one server and imported
/// into another, every model answers the same on every row (predict, probabilities, components).
#[test]
fn every_algorithm_moves_by_export_and_import_and_predicts_identically() {
    let servers = start_servers(&["training", "inference"]);
    let (t, s) = (&servers[0], &servers[1]);
    database_with_pgml(t, "train");
    database_with_pgml(s, "serve");
    let mut ct = t.connect("train").unwrap();
    let trained = train_every_algorithm(&mut ct);
    for (_, _, dataset, _) in EVERY_ALGORITHM_PROJECTS {
        s.execute("serve", &format!("SELECT pgml.load_dataset('{dataset}')"))
            .unwrap();
    }
    let file = std::env::temp_dir().join(format!("pgml-every-{}.pkg", std::process::id()));
    let out = pgml(&[
        "models",
        "export",
        "--source",
        &t.url("train"),
        "--output",
        file.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    import_file(&s.url("serve"), &file);
    let _ = std::fs::remove_file(&file);

    let on_source = every_algorithm_outputs(&mut ct);
    assert_eq!(on_source.len(), trained);
    let mut cs = s.connect("serve").unwrap();
    assert_eq!(every_algorithm_outputs(&mut cs), on_source);
}

#[test]
fn sql_import_refuses_bad_packages_atomically() {
    let servers = start_servers(&["training", "inference"]);
    let (t, s) = (&servers[0], &servers[1]);
    database_with_pgml(t, "train");
    database_with_pgml(s, "serve");
    train_models(t, "train");
    let mut ct = t.connect("train").unwrap();
    let mut cs = s.connect("serve").unwrap();
    let package: Vec<u8> = ct
        .query_one("SELECT pgml.export_models()", &[])
        .unwrap()
        .get(0);
    // Project I exists here with another task: the whole import fails, C and D included.
    s.execute(
        "serve",
        "SELECT pgml.load_dataset('iris');
         SELECT * FROM pgml.train('I', 'clustering', 'pgml.iris', hyperparams => '{\"n_clusters\": 2}');",
    )
    .unwrap();
    let before = catalog_fingerprint(s, "serve");
    let import = "SELECT count(*) FROM pgml.import_models($1)";
    let err = cs.query_one(import, &[&package]).unwrap_err();
    let (code, message, hint) = db_error(&err);
    assert_eq!(code, "22023");
    assert!(
        message.contains("project \"I\" is a clustering project here, but a classification project in the package"),
        "{message}"
    );
    assert!(hint.contains("another project name"), "{hint}");
    assert_eq!(catalog_fingerprint(s, "serve"), before, "atomic");

    let mut damaged = package.clone();
    let middle = damaged.len() / 2;
    damaged[middle] ^= 1;
    let (code, message, _) = db_error(&cs.query_one(import, &[&damaged]).unwrap_err());
    assert_eq!(
        (code.as_str(), message.contains("checksum")),
        ("XX001", true),
        "{message}"
    );

    let mut newer = package.clone();
    let version = pgml_core::package::FORMAT_VERSION;
    newer[8..12].copy_from_slice(&(version + 1).to_le_bytes());
    let (code, message, hint) = db_error(&cs.query_one(import, &[&newer]).unwrap_err());
    assert_eq!(code, "0A000");
    assert!(
        message.contains(&format!("format version {}", version + 1))
            && message.contains(&format!("reads versions up to {version}")),
        "{message}"
    );
    assert!(hint.contains("upgrade pgml"), "{hint}");

    let (code, _, _) = db_error(&cs.query_one(import, &[&&b"hello"[..]]).unwrap_err());
    assert_eq!(code, "XX001");
    let (code, message, _) = db_error(
        &cs.query_one("SELECT count(*) FROM pgml.import_models(NULL)", &[])
            .unwrap_err(),
    );
    assert_eq!(
        (code.as_str(), message.as_str()),
        ("22004", "package must not be NULL")
    );
    assert_eq!(catalog_fingerprint(s, "serve"), before);

    // A package whose rows are not what pgml exports: a project name with NUL, a model whose
    // catalog row names another algorithm than its model file holds.
    let reencode = |f: &dyn Fn(&mut pgml_core::package::Package)| -> Vec<u8> {
        let mut p = pgml_core::package::Package::decode(&package).unwrap();
        f(&mut p);
        p.encode().unwrap()
    };
    let nul = reencode(&|p| p.projects[0].name = "bad\0name".into());
    let (code, message, _) = db_error(&cs.query_one(import, &[&nul]).unwrap_err());
    assert_eq!(
        (code.as_str(), message.contains("not a valid project name")),
        ("22000", true),
        "{message}"
    );
    let unknown = reencode(&|p| p.projects[0].models[0].algorithm = "nope".into());
    let (code, message, _) = db_error(&cs.query_one(import, &[&unknown]).unwrap_err());
    assert_eq!(
        (
            code.as_str(),
            message.contains("stored as algorithm \"nope\"")
        ),
        ("22000", true),
        "{message}"
    );
    assert_eq!(catalog_fingerprint(s, "serve"), before);

    // Into the database it came from: nothing changes, every model is reported as itself.
    let own = catalog_fingerprint(t, "train");
    let rows = ct
        .query(
            "SELECT source_model_id, model_id, imported FROM pgml.import_models($1)",
            &[&package],
        )
        .unwrap();
    assert!(!rows.is_empty());
    assert!(rows
        .iter()
        .all(|r| r.get::<_, i64>(0) == r.get::<_, i64>(1) && !r.get::<_, bool>(2)));
    assert_eq!(
        catalog_fingerprint(t, "train"),
        own,
        "a round trip adds nothing"
    );

    // Export errors name what is missing.
    let (code, message, _) = db_error(
        &ct.query_one("SELECT pgml.export_models(ARRAY['nope'])", &[])
            .unwrap_err(),
    );
    assert_eq!(
        (code.as_str(), message.as_str()),
        ("42704", "project \"nope\" does not exist")
    );
    let (code, message, _) = db_error(
        &ct.query_one("SELECT pgml.export_models(model_ids => ARRAY[999])", &[])
            .unwrap_err(),
    );
    assert_eq!(
        (code.as_str(), message.as_str()),
        ("42704", "model 999 does not exist")
    );

    // From SQL, into a fresh database: only D, by project; the deployed model comes with it.
    database_with_pgml(s, "fresh");
    let mut cf = s.connect("fresh").unwrap();
    let d_only: Vec<u8> = ct
        .query_one("SELECT pgml.export_models(ARRAY['D'])", &[])
        .unwrap()
        .get(0);
    let rows = cf
        .query(
            "SELECT project, imported, deployed FROM pgml.import_models($1)",
            &[&d_only],
        )
        .unwrap();
    assert_eq!(rows.len(), 10);
    assert!(rows
        .iter()
        .all(|r| r.get::<_, String>(0) == "D" && r.get::<_, bool>(1)));
    assert_eq!(rows.iter().filter(|r| r.get::<_, bool>(2)).count(), 1);
    cf.batch_execute("SELECT pgml.load_dataset('diabetes')")
        .unwrap();
    let d = format!(
        "SELECT array_agg(pgml.predict('D', {DIABETES}) ORDER BY ctid)::text FROM pgml.diabetes"
    );
    assert_eq!(
        cf.query_one(&d, &[]).unwrap().get::<_, String>(0),
        ct.query_one(&d, &[]).unwrap().get::<_, String>(0)
    );

    // A hot standby cannot import (it can export: that only reads).
    let standby = s.standby("standby").unwrap();
    s.wait_for_replay(&standby).unwrap();
    let mut r = standby.connect("fresh").unwrap();
    let (code, message, _) = db_error(&r.query_one(import, &[&package]).unwrap_err());
    assert_eq!(code, "25006");
    assert!(
        message.contains("cannot import models on a hot standby"),
        "{message}"
    );
    let exported: Vec<u8> = r
        .query_one("SELECT pgml.export_models()", &[])
        .unwrap()
        .get(0);
    assert!(exported.starts_with(b"PGMLPKG\0"));
}

#[test]
fn a_replicated_catalog_switches_the_fleet_and_inference_servers_cannot_write_it() {
    let training = Server::builder("training")
        .logical_replication()
        .start()
        .unwrap();
    let fleet = start_servers(&["inference1", "inference2"]);
    database_with_pgml(&training, "train");
    train_models(&training, "train");
    for f in &fleet {
        database_with_pgml(f, "serve");
        // The datasets predict is asked about; the models come by replication.
        f.execute(
            "serve",
            "SELECT pgml.load_dataset('diabetes'); SELECT pgml.load_dataset('iris');",
        )
        .unwrap();
    }
    let (source_url, to1, to2) = (
        training.url("train"),
        fleet[0].url("serve"),
        fleet[1].url("serve"),
    );
    let replicate = |extra: &[&str]| {
        let mut args = vec![
            "models",
            "replicate",
            "--source",
            &source_url,
            "--to",
            &to1,
            "--to",
            &to2,
        ];
        args.extend_from_slice(extra);
        pgml(&args)
    };
    // A dry run shows the SQL with the password masked and creates nothing.
    let out = replicate(&["--dry-run"]);
    assert!(out.status.success(), "{}", text(&out));
    let shown = text(&out);
    assert!(
        shown.contains("CREATE PUBLICATION pgml_models FOR TABLE pgml.projects"),
        "{shown}"
    );
    assert_eq!(
        shown.matches("CREATE SUBSCRIPTION pgml_models").count(),
        2,
        "{shown}"
    );
    assert!(
        shown.contains("password=''***''") && !shown.contains(training.password()),
        "{shown}"
    );
    assert_eq!(
        training
            .query_text("train", "SELECT count(*) FROM pg_publication")
            .unwrap()
            .as_deref(),
        Some("0")
    );
    let out = replicate(&[]);
    assert!(out.status.success(), "{}", text(&out));
    let mut ct = training.connect("train").unwrap();
    let mut conns: Vec<postgres::Client> =
        fleet.iter().map(|f| f.connect("serve").unwrap()).collect();
    let expected = predictions_by_model(&mut ct);
    for c in &mut conns {
        assert_eq!(
            predictions_by_model(c),
            expected,
            "same ids, same predictions"
        );
    }

    // A deploy on the training server switches every inference server at a statement after apply,
    // on connections held from before.
    let before = predictions_by_project(&mut ct);
    ct.batch_execute("SELECT * FROM pgml.deploy('D', 'rollback')")
        .unwrap();
    let after = predictions_by_project(&mut ct);
    assert_ne!(before[0], after[0]);
    for c in &mut conns {
        wait_until("the deploy reaches the inference server", || {
            predictions_by_project(c) == after
        });
    }
    // A new train too.
    ct.batch_execute(
        "SELECT * FROM pgml.train('D', algorithm => 'lasso', hyperparams => '{\"alpha\": 5}')",
    )
    .unwrap();
    let newest = predictions_by_project(&mut ct);
    for c in &mut conns {
        wait_until("the new model reaches the inference server", || {
            predictions_by_project(c) == newest
        });
    }

    // Inference servers cannot write the replicated catalog, whatever asks.
    let c = &mut conns[0];
    for (sql, says) in [
        (
            "SELECT * FROM pgml.train('D', algorithm => 'ridge')",
            "cannot train here",
        ),
        (
            "SELECT * FROM pgml.train('New', 'regression', 'pgml.diabetes', 'target')",
            "cannot train here",
        ),
        (
            "SELECT * FROM pgml.deploy('D', 'best_score')",
            "cannot deploy here",
        ),
        ("SELECT * FROM pgml.deploy(1)", "cannot deploy here"),
        (
            "SELECT * FROM pgml.import_models(pgml.export_models())",
            "cannot import models here",
        ),
        (
            "INSERT INTO pgml.projects (name, task) VALUES ('x', 'regression')",
            "cannot be changed here",
        ),
        ("DELETE FROM pgml.deployments", "cannot be changed here"),
        (
            "UPDATE pgml.models SET algorithm = 'x'",
            "cannot be changed here",
        ),
    ] {
        let (code, message, hint) = db_error(&c.batch_execute(sql).unwrap_err());
        assert_eq!(code, "25006", "{sql}: {message}");
        assert!(message.contains(says), "{sql}: {message}");
        assert!(
            message.contains("subscription pgml_models"),
            "{sql}: {message}"
        );
        assert!(hint.contains("training server"), "{sql}: {hint}");
    }
    // Replication still flows after the refusals.
    ct.batch_execute("SELECT * FROM pgml.deploy('D', 'best_score')")
        .unwrap();
    let best = predictions_by_project(&mut ct);
    wait_until("replication goes on", || predictions_by_project(c) == best);

    // Running it again is harmless; a server with models of its own is refused, unchanged.
    let out = pgml(&[
        "models",
        "replicate",
        "--source",
        &training.url("train"),
        "--to",
        &fleet[0].url("serve"),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("already subscribed"));
    let other = start_servers(&["with_models"]);
    database_with_pgml(&other[0], "serve");
    train_models(&other[0], "serve");
    let out = pgml(&[
        "models",
        "replicate",
        "--source",
        &training.url("train"),
        "--to",
        &other[0].url("serve"),
    ]);
    assert_eq!(out.status.code(), Some(7), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("already has 3 project(s)"),
        "{}",
        text(&out)
    );
}

#[test]
fn lineage_names_local_foreign_and_subscribed_sources() {
    let source = Server::builder("production")
        .logical_replication()
        .start()
        .unwrap();
    let pgml_server = start_servers(&["pgml"]).remove(0);
    source.create_database("prod").unwrap();
    source
        .execute(
            "prod",
            "CREATE TABLE points (id int PRIMARY KEY, x real, y real);
             INSERT INTO points SELECT g, g, 2 * g + 1 FROM generate_series(1, 200) g;
             CREATE PUBLICATION points_pub FOR TABLE points;",
        )
        .unwrap();
    database_with_pgml(&pgml_server, "ml");
    let (host, port) = ("127.0.0.1", source.port());
    pgml_server
        .execute(
            "ml",
            &format!(
                "CREATE TABLE local_points AS SELECT g AS x, 3 * g::real AS y FROM generate_series(1, 100) g;
                 CREATE EXTENSION postgres_fdw;
                 CREATE SERVER prod FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host '{host}', port '{port}', dbname 'prod');
                 CREATE USER MAPPING FOR CURRENT_USER SERVER prod OPTIONS (user 'postgres', password '{}');
                 CREATE SCHEMA remote;
                 IMPORT FOREIGN SCHEMA public LIMIT TO (points) FROM SERVER prod INTO remote;
                 CREATE VIEW remote_points AS SELECT x, y FROM remote.points WHERE id <= 150;
                 CREATE TABLE points (id int PRIMARY KEY, x real, y real);",
                source.password()
            ),
        )
        .unwrap();
    pgml_server
        .execute(
            "ml",
            &format!(
                "CREATE SUBSCRIPTION points_sub CONNECTION 'host={host} port={port} dbname=prod user=postgres password={}' PUBLICATION points_pub",
                source.password()
            ),
        )
        .unwrap();
    wait_for_value(&pgml_server, "ml", "SELECT count(*) FROM points", "200");
    // A change after the initial copy, so the subscription has applied a transaction.
    source
        .execute("prod", "INSERT INTO points VALUES (201, 201, 403)")
        .unwrap();
    wait_for_value(&pgml_server, "ml", "SELECT count(*) FROM points", "201");
    pgml_server
        .execute(
            "ml",
            "SELECT * FROM pgml.train('local', 'regression', 'local_points', 'y');
             SELECT * FROM pgml.train('foreign', 'regression', 'remote_points', 'y');
             SELECT * FROM pgml.train('subscribed', 'regression', 'points', 'y');
             SELECT * FROM pgml.train('foreign_again', 'regression', 'remote.points', 'y');",
        )
        .unwrap();
    // jsonb's text form is canonical ("key": value), so substring checks are exact.
    let lineage = |project: &str| -> String {
        pgml_server
            .query_text(
                "ml",
                &format!("SELECT lineage::text FROM pgml.trained_models WHERE name = '{project}'"),
            )
            .unwrap()
            .unwrap()
    };
    let local = lineage("local");
    assert!(
        local.contains(r#""relation": "public.local_points""#)
            && local.contains(r#""kind": "table""#),
        "{local}"
    );

    let foreign = lineage("foreign");
    for part in [
        r#""kind": "view""#,
        r#""relation": "public.remote_points""#,
        r#""kind": "foreign table""#,
        r#""relation": "remote.points""#,
        r#""foreign_server": "prod""#,
        r#""host": "127.0.0.1""#,
        r#""dbname": "prod""#,
        r#""remote_table": "public.points""#,
    ] {
        assert!(foreign.contains(part), "{part} in {foreign}");
    }
    assert!(
        foreign.contains(&format!(r#""port": "{port}""#)),
        "{foreign}"
    );

    let subscribed = lineage("subscribed");
    assert!(
        subscribed.contains(r#""subscription": "points_sub""#),
        "{subscribed}"
    );
    let lsn = pgml_server
        .query_text(
            "ml",
            "SELECT (lineage->'sources'->0->>'subscription_lsn')::pg_lsn > '0/0' FROM pgml.trained_models WHERE name = 'subscribed'",
        )
        .unwrap();
    assert_eq!(lsn.as_deref(), Some("t"), "{subscribed}");
    // Row counts and the feature contract: x alone (real) for the view; id and x for the tables.
    let r = pgml_server
        .query_text(
            "ml",
            "SELECT string_agg(name || '=' || (num_train_rows + num_test_rows), ',' ORDER BY name)
                 || ' ' || (SELECT count(DISTINCT feature_hash) FROM pgml.trained_models)
                 || ' ' || (SELECT bool_and(a.feature_hash = b.feature_hash) FROM pgml.trained_models a, pgml.trained_models b
                             WHERE a.name = 'subscribed' AND b.name = 'foreign_again')
               FROM pgml.trained_models",
        )
        .unwrap();
    assert_eq!(
        r.as_deref(),
        Some("foreign=150,foreign_again=201,local=100,subscribed=201 3 true"),
        "local (x integer), view (x real), tables (id, x): three contracts"
    );
}

#[test]
fn eight_connections_on_a_standby_follow_deployment_flips() {
    let servers = start_servers(&["primary"]);
    let primary = &servers[0];
    database_with_pgml(primary, "app");
    // Two models that disagree on x = 10: y = 2x (about 20) and y = -2x (about -20).
    primary
        .execute(
            "app",
            "CREATE TABLE up AS SELECT g::real AS x, 2 * g::real AS y FROM generate_series(1, 50) g;
             CREATE TABLE down AS SELECT g::real AS x, -2 * g::real AS y FROM generate_series(1, 50) g;
             SELECT * FROM pgml.train('flip', 'regression', 'up', 'y');
             SELECT * FROM pgml.train('flip', relation_name => 'down', y_column_name => 'y');",
        )
        .unwrap();
    let (up, down): (i64, i64) = (1, 2);
    let standby = primary.standby("standby").unwrap();
    primary.wait_for_replay(&standby).unwrap();
    let mut p = primary.connect("app").unwrap();

    // issued: the last flip sent to the primary; replayed: the last flip the standby has replayed.
    let issued = Arc::new(AtomicI64::new(0));
    let replayed = Arc::new(AtomicI64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let model_of = move |flip: i64| if flip % 2 == 0 { down } else { up };
    p.batch_execute(&format!("SELECT * FROM pgml.deploy({})", model_of(0)))
        .unwrap();
    primary.wait_for_replay(&standby).unwrap();

    let workers: Vec<_> = (0..8)
        .map(|_| {
            let mut c = standby.connect("app").unwrap();
            let (issued, replayed, done) = (issued.clone(), replayed.clone(), done.clone());
            std::thread::spawn(move || {
                let (mut answers, mut checked) = (0u64, 0u64);
                while !done.load(Ordering::SeqCst) {
                    let r = replayed.load(Ordering::SeqCst);
                    let y: f32 = c
                        .query_one("SELECT pgml.predict('flip', ARRAY[10]::real[])", &[])
                        .unwrap()
                        .get(0);
                    let model = if (y - 20.0).abs() < 1.0 {
                        up
                    } else if (y + 20.0).abs() < 1.0 {
                        down
                    } else {
                        panic!("{y} comes from neither model");
                    };
                    answers += 1;
                    // No newer flip was sent while asking: the answer must be flip r's model.
                    if issued.load(Ordering::SeqCst) == r {
                        assert_eq!(
                            model,
                            model_of(r),
                            "stale answer after flip {r} was replayed"
                        );
                        checked += 1;
                    }
                }
                (answers, checked)
            })
        })
        .collect();

    for flip in 1..=20 {
        issued.store(flip, Ordering::SeqCst);
        p.batch_execute(&format!("SELECT * FROM pgml.deploy({})", model_of(flip)))
            .unwrap();
        primary.wait_for_replay(&standby).unwrap();
        replayed.store(flip, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(100));
    }
    done.store(true, Ordering::SeqCst);
    for w in workers {
        let (answers, checked) = w.join().expect("a worker failed");
        assert!(
            checked > 20 && answers >= checked,
            "{answers} answers, {checked} checked"
        );
    }
}

/// Issue 12's clustering and decomposition models, one of each algorithm, exported by
/// `pgml.export_models` and imported by `pgml.import_models` into another server: every model
/// predicts (or decomposes) identically there, by its new id.
#[test]
fn clustering_and_decomposition_models_export_and_import_identically() {
    let servers = start_servers(&["training", "inference"]);
    let (t, s) = (&servers[0], &servers[1]);
    database_with_pgml(t, "train");
    database_with_pgml(s, "serve");
    t.execute(
        "train",
        "SELECT pgml.load_dataset('iris');
         SELECT * FROM pgml.train('K', 'clustering', 'pgml.iris', algorithm => 'mini_batch_kmeans', hyperparams => '{\"n_clusters\": 3}');
         SELECT * FROM pgml.train('K', algorithm => 'dbscan', hyperparams => '{\"eps\": 0.8}');
         SELECT * FROM pgml.train('K', algorithm => 'optics', hyperparams => '{\"min_samples\": 10}');
         SELECT * FROM pgml.train('K', algorithm => 'birch');
         SELECT * FROM pgml.train('K', algorithm => 'mean_shift');
         SELECT * FROM pgml.train('K', algorithm => 'affinity_propagation');
         SELECT * FROM pgml.train('K', algorithm => 'spectral', hyperparams => '{\"n_clusters\": 3}');
         SELECT * FROM pgml.train('W', 'decomposition', 'pgml.iris', hyperparams => '{\"whiten\": true}');
         SELECT * FROM pgml.train('F', 'decomposition', 'pgml.iris', algorithm => 'feature_agglomeration');",
    )
    .unwrap();
    s.execute("serve", "SELECT pgml.load_dataset('iris')")
        .unwrap();
    let mut ct = t.connect("train").unwrap();
    let mut cs = s.connect("serve").unwrap();
    let package: Vec<u8> = ct
        .query_one("SELECT pgml.export_models()", &[])
        .unwrap()
        .get(0);
    let imported: i64 = cs
        .query_one("SELECT count(*) FROM pgml.import_models($1)", &[&package])
        .unwrap()
        .get(0);
    assert_eq!(imported, 9);
    // By algorithm (one model each), since ids are new on the inference server.
    let clusters = "SELECT m.algorithm::text, array_agg(pgml.predict(m.id, ARRAY[sepal_length, sepal_width, petal_length, petal_width, target]) ORDER BY i.ctid)::text
                      FROM pgml.models m JOIN pgml.projects p ON p.id = m.project_id, pgml.iris i
                     WHERE p.name = 'K' GROUP BY m.algorithm ORDER BY 1";
    let rows = |c: &mut postgres::Client| -> Vec<(String, String)> {
        c.query(clusters, &[])
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect()
    };
    let on_t = rows(&mut ct);
    assert_eq!(on_t.len(), 7, "{on_t:?}");
    assert_eq!(rows(&mut cs), on_t);
    for project in ["W", "F"] {
        let sql = format!("SELECT array_agg(pgml.decompose('{project}', ARRAY[sepal_length, sepal_width, petal_length, petal_width, target]::real[])::text ORDER BY ctid)::text FROM pgml.iris");
        let a: String = ct.query_one(&sql, &[]).unwrap().get(0);
        assert_eq!(
            cs.query_one(&sql, &[]).unwrap().get::<_, String>(0),
            a,
            "{project}"
        );
    }
}
