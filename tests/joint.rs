//! `pgml.train_joint` / `pgml.predict_joint` (issue 11): one multi-output model per registered
//! regression algorithm on linnerud (weight, waist, pulse), read on a hot standby, moved by
//! `pg_dump -n pgml` and by `pgml models export` / `import`, answers the same on every row on
//! every server. A one-label joint model answers a one-element array.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic is the test's failure report

use std::collections::BTreeMap;

use pgml_core::Task;
use pgml_e2e::{database_with_pgml, pgml, pipe, start_servers, text};

const PROJECT: &str = "Exercise vs Physiology";

/// Trains one joint model per regression algorithm of the registry (small, seeded); returns how
/// many.
fn train_every_regressor(c: &mut postgres::Client) -> usize {
    c.batch_execute("SELECT pgml.load_dataset('linnerud')")
        .unwrap();
    let mut n = 0;
    for a in pgml_core::algorithms::registry::ALL {
        if !a.supports(Task::Regression) {
            continue;
        }
        let accepts = |p: &str| a.params(Task::Regression).iter().any(|q| q.name == p);
        let mut hyperparams = serde_json::Map::new();
        for (p, v) in [
            ("n_estimators", serde_json::json!(5)),
            ("max_iter", serde_json::json!(20)),
            ("max_depth", serde_json::json!(3)),
            ("random_state", serde_json::json!(7)),
        ] {
            // max_iter and n_estimators both count iterations; where both are names of one
            // parameter (lightgbm), give only n_estimators.
            if accepts(p) && !(p == "max_iter" && accepts("n_estimators")) {
                hyperparams.insert(p.into(), v);
            }
        }
        let hyperparams = serde_json::Value::Object(hyperparams).to_string();
        c.query(
            "SELECT * FROM pgml.train_joint($1, 'regression', 'pgml.linnerud',
                                            ARRAY['weight', 'waist', 'pulse'],
                                            algorithm => $2::text::pgml.algorithm,
                                            hyperparams => $3::text::jsonb)",
            &[&PROJECT, &a.as_str(), &hyperparams],
        )
        .unwrap_or_else(|e| panic!("{a} {hyperparams}: {e:?}"));
        n += 1;
    }
    n
}

/// Every model's predict_joint on every row, by algorithm (model ids differ across servers), and
/// the deployed model's by project name.
fn outputs(c: &mut postgres::Client) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = c
        .query(
            "SELECT m.algorithm::text,
                    array_agg(pgml.predict_joint(m.id, ARRAY[chins, situps, jumps]::real[])::text
                              ORDER BY d.ctid)::text
               FROM pgml.models m JOIN pgml.projects p ON p.id = m.project_id, pgml.linnerud d
              WHERE p.name = $1 GROUP BY m.algorithm",
            &[&PROJECT],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let deployed: String = c
        .query_one(
            "SELECT array_agg(pgml.predict_joint($1, ARRAY[chins, situps, jumps])::text ORDER BY ctid)::text
               FROM pgml.linnerud",
            &[&PROJECT],
        )
        .unwrap()
        .get(0);
    out.insert("(deployed)".into(), deployed);
    out
}

#[test]
fn joint_models_survive_pg_dump_and_export_import_with_identical_predictions() {
    let servers = start_servers(&["training", "restored", "imported"]);
    let (t, r, i) = (&servers[0], &servers[1], &servers[2]);
    database_with_pgml(t, "train");
    database_with_pgml(r, "serve");
    database_with_pgml(i, "serve");
    let mut ct = t.connect("train").unwrap();
    let trained = train_every_regressor(&mut ct);
    let on_source = outputs(&mut ct);
    assert_eq!(on_source.len(), trained + 1, "{on_source:?}");
    // Three values per row, each finite.
    let first: String = ct
        .query_one(
            "SELECT pgml.predict_joint($1, ARRAY[5, 162, 60]::real[])::text",
            &[&PROJECT],
        )
        .unwrap()
        .get(0);
    assert_eq!(first.split(',').count(), 3, "{first}");
    // The metrics are scikit-learn's multi-output averages; the model's snapshot names its labels.
    let (labels, has_r2): (String, bool) = {
        let row = ct
            .query_one(
                "SELECT s.y_column_name::text, m.metrics ? 'r2'
                   FROM pgml.models m JOIN pgml.snapshots s ON s.id = m.snapshot_id
                  ORDER BY m.id LIMIT 1",
                &[],
            )
            .unwrap();
        (row.get(0), row.get(1))
    };
    assert_eq!(labels, "{weight,waist,pulse}");
    assert!(has_r2);
    // The forests are one multi-output forest each (scikit-learn's 2-D fit): their importances
    // are stored, as a single-label forest's are.
    let forests_with_importances: i64 = ct
        .query_one(
            "SELECT count(*) FROM pgml.models
              WHERE algorithm IN ('random_forest', 'extra_trees') AND feature_importances IS NOT NULL",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(forests_with_importances, 2);

    // A hot standby of the training server answers the same (predict only reads).
    let standby = t.standby("joint-standby").unwrap();
    t.wait_for_replay(&standby).unwrap();
    let mut cs = standby.connect("train").unwrap();
    assert_eq!(outputs(&mut cs), on_source, "on a hot standby");
    drop(cs);
    drop(standby);

    // pg_dump -n pgml into a server with the extension.
    r.execute("serve", "SELECT pgml.load_dataset('linnerud')")
        .unwrap();
    let mut dump = t.command("pg_dump", "train");
    dump.args(["-n", "pgml", "--no-owner", "-T", "pgml.linnerud"]);
    let mut restore = r.command("psql", "serve");
    restore.args(["-X", "-q", "-o", "/dev/null"]);
    let (_, stderr) = pipe(dump, restore);
    let errors: Vec<&str> = stderr.lines().filter(|l| l.contains("ERROR")).collect();
    assert!(
        errors.len() == 1 && errors[0].ends_with("ERROR:  schema \"pgml\" already exists"),
        "unexpected restore errors:\n{stderr}"
    );
    let mut cr = r.connect("serve").unwrap();
    assert_eq!(outputs(&mut cr), on_source, "after pg_dump -n pgml");

    // pgml models export / import.
    i.execute("serve", "SELECT pgml.load_dataset('linnerud')")
        .unwrap();
    let file = std::env::temp_dir().join(format!("pgml-joint-{}.pkg", std::process::id()));
    let out = pgml(&[
        "models",
        "export",
        "--source",
        &t.url("train"),
        "--output",
        file.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let out = pgml(&[
        "models",
        "import",
        "--target",
        &i.url("serve"),
        "--input",
        file.to_str().unwrap(),
    ]);
    let _ = std::fs::remove_file(&file);
    assert!(out.status.success(), "{}", text(&out));
    let mut ci = i.connect("serve").unwrap();
    assert_eq!(outputs(&mut ci), on_source, "after export / import");
}

/// PostgresML accepts a one-element y_column_name: the model is a joint one (predict_joint answers
/// a one-element array, pgml.predict refuses it), later trains reuse its snapshot, and its value
/// is what a single-label model of the same algorithm on the same split predicts (`last`: the
/// split does not depend on the snapshot's seed).
#[test]
fn one_label_joint_models_answer_one_element_arrays() {
    let servers = start_servers(&["one-label"]);
    let s = &servers[0];
    database_with_pgml(s, "train");
    let mut c = s.connect("train").unwrap();
    c.batch_execute("SELECT pgml.load_dataset('linnerud')")
        .unwrap();
    // With one label, the other two (waist, pulse) are features, as pgml.train makes them.
    for (algorithm, hyperparams) in [
        ("ridge", "{}"),
        (
            "random_forest",
            r#"{"n_estimators": 10, "random_state": 3}"#,
        ),
    ] {
        for (function, project) in [("train_joint", "One Joint"), ("train", "One Single")] {
            let label = if function == "train_joint" {
                "ARRAY['weight']"
            } else {
                "'weight'"
            };
            let project = format!("{project} {algorithm}");
            c.query(
                &format!(
                    "SELECT * FROM pgml.{function}($1, 'regression', 'pgml.linnerud', {label},
                                                   algorithm => $2::text::pgml.algorithm,
                                                   hyperparams => $3::text::jsonb,
                                                   test_sampling => 'last')"
                ),
                &[&project, &algorithm, &hyperparams],
            )
            .unwrap_or_else(|e| panic!("{function} {algorithm}: {e:?}"));
        }
        let (joint, single): (Vec<f32>, f32) = {
            let row = c
                .query_one(
                    "SELECT pgml.predict_joint($1, ARRAY[5, 162, 60, 36, 50]::real[]),
                            pgml.predict($2, ARRAY[5, 162, 60, 36, 50]::real[])",
                    &[
                        &format!("One Joint {algorithm}"),
                        &format!("One Single {algorithm}"),
                    ],
                )
                .unwrap();
            (row.get(0), row.get(1))
        };
        assert_eq!(joint, vec![single], "{algorithm}");
        // pgml.predict on it says to use predict_joint; a retrain reuses the one-label snapshot.
        let err = c
            .query_one(
                "SELECT pgml.predict($1, ARRAY[5, 162, 60, 36, 50]::real[])",
                &[&format!("One Joint {algorithm}")],
            )
            .unwrap_err();
        assert_eq!(err.code().unwrap().code(), "42809", "{err:?}");
        c.query(
            "SELECT * FROM pgml.train_joint($1, algorithm => $2::text::pgml.algorithm)",
            &[&format!("One Joint {algorithm}"), &algorithm],
        )
        .unwrap();
        let models: i64 = c
            .query_one(
                "SELECT count(*) FROM pgml.models m JOIN pgml.projects p ON p.id = m.project_id
                  JOIN pgml.snapshots s ON s.id = m.snapshot_id
                 WHERE p.name = $1 AND s.y_column_name = ARRAY['weight']",
                &[&format!("One Joint {algorithm}")],
            )
            .unwrap()
            .get(0);
        assert_eq!(models, 2, "{algorithm}");
    }
}
