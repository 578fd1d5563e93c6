//! NULL features for the algorithms that take missing values themselves
//! (`registry::HANDLE_MISSING_VALUES`: hist_gradient_boosting routes NaN as scikit-learn does,
//! XGBoost and LightGBM take NaN as missing): trained on and predicted with NULLs, by array and
//! by row, and the same predictions after `pg_dump -n pgml` into another server. Every other
//! algorithm still refuses a NULL feature that `preprocess` does not impute.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use pgml_e2e::{database_with_pgml, pipe, start_servers};

/// y depends on x1 and on whether x1 is known: rows whose x1 is NULL (every 4th) have a high
/// label (or the class 'gap'), so a model that learns where missing values go predicts them well.
/// x2 is NULL in every 7th row, the array column's second element in every 5th.
const TABLES: &str = "
    CREATE TABLE gaps AS
    SELECT CASE WHEN g % 4 = 0 THEN NULL ELSE (g % 13)::real END AS x1,
           CASE WHEN g % 7 = 0 THEN NULL ELSE (g % 5)::float8 END AS x2,
           ARRAY[(g % 3)::real, CASE WHEN g % 5 = 0 THEN NULL ELSE (g % 11)::real END] AS xs,
           (g % 2 = 0) AS flag,
           (CASE WHEN g % 4 = 0 THEN 50 ELSE 2 * (g % 13) END + g % 5)::real AS y
      FROM generate_series(1, 600) g;
    CREATE TABLE gap_classes AS
    SELECT x1, x2, xs, flag,
           CASE WHEN x1 IS NULL THEN 'gap' WHEN x1 < 6 THEN 'low' ELSE 'high' END AS class
      FROM gaps;";

/// What a model answers on every row of `table`, by array (the columns flattened) and by row
/// (with probabilities for a classifier), and on a row whose features are all NULL.
fn outputs(c: &mut postgres::Client, project: &str, table: &str) -> String {
    let array = "ARRAY[x1, x2, xs[1], xs[2], flag::int]::real[]";
    let proba = if table == "gap_classes" {
        format!(" || array_agg(pgml.predict_proba('{project}', {array})::text ORDER BY ctid)::text")
    } else {
        String::new()
    };
    let sql = format!(
        "SELECT array_agg(pgml.predict('{project}', {array}) ORDER BY ctid)::text
             || array_agg(pgml.predict('{project}', g) ORDER BY ctid)::text {proba}
             || pgml.predict('{project}', ARRAY[NULL, NULL, NULL, NULL, NULL]::real[])::text
             || (SELECT pgml.predict('{project}', r)::text
                   FROM (SELECT NULL::real AS x1, NULL::float8 AS x2,
                                ARRAY[NULL, NULL]::real[] AS xs, NULL::boolean AS flag) r)
           FROM {table} g"
    );
    c.query_one(&sql, &[])
        .unwrap_or_else(|e| panic!("{project}: {e:?}"))
        .get(0)
}

#[test]
fn null_features_train_and_predict_for_algorithms_that_take_missing_values() {
    let servers = start_servers(&["training", "serving"]);
    let (a, b) = (&servers[0], &servers[1]);
    database_with_pgml(a, "train");
    database_with_pgml(b, "serve");
    let mut ca = a.connect("train").unwrap();
    ca.batch_execute(TABLES).unwrap();
    let regressions = [
        ("hgb", "hist_gradient_boosting", "{}"),
        ("xgb", "xgboost", r#"{"n_estimators": 30}"#),
        ("xgb rf", "xgboost_random_forest", r#"{"n_estimators": 10}"#),
        ("lgbm", "lightgbm", r#"{"n_estimators": 30}"#),
    ];
    for (project, algorithm, hp) in regressions {
        ca.query(
            "SELECT * FROM pgml.train($1, 'regression', 'gaps', 'y', algorithm => $2::text::pgml.algorithm,
                                      hyperparams => $3::text::jsonb)",
            &[&project, &algorithm, &hp],
        )
        .unwrap_or_else(|e| panic!("{algorithm}: {e:?}"));
        // The rows with x1 missing (label about 52) are told apart from the others.
        let r2: f64 = ca
            .query_one(
                "SELECT (m.metrics->>'r2')::float8 FROM pgml.models m JOIN pgml.projects p ON p.id = m.project_id WHERE p.name = $1",
                &[&project],
            )
            .unwrap()
            .get(0);
        assert!(r2 > 0.8, "{algorithm}: r2 {r2}");
        let gap: f32 = ca
            .query_one(
                &format!(
                    "SELECT avg(pgml.predict('{project}', g))::real FROM gaps g WHERE x1 IS NULL"
                ),
                &[],
            )
            .unwrap()
            .get(0);
        assert!(gap > 40.0, "{algorithm}: rows without x1 predicted {gap}");
    }
    let classifications = [("hgb c", "hist_gradient_boosting"), ("xgb c", "xgboost")];
    for (project, algorithm) in classifications {
        ca.query(
            "SELECT * FROM pgml.train($1, 'classification', 'gap_classes', 'class', algorithm => $2::text::pgml.algorithm)",
            &[&project, &algorithm],
        )
        .unwrap_or_else(|e| panic!("{algorithm}: {e:?}"));
        let right: i64 = ca
            .query_one(
                &format!(
                    // Classes are coded in sorted order: gap 0, high 1, low 2.
                    "SELECT count(*) FROM gap_classes g WHERE x1 IS NULL AND pgml.predict('{project}', g) = 0"
                ),
                &[],
            )
            .unwrap()
            .get(0);
        assert!(
            right >= 140,
            "{algorithm}: {right} of 150 rows without x1 predicted 'gap'"
        );
    }

    // Every other algorithm keeps refusing the NULL, naming the ones that take it.
    let e = ca
        .query(
            "SELECT * FROM pgml.train('rf', 'regression', 'gaps', 'y', algorithm => 'random_forest')",
            &[],
        )
        .unwrap_err();
    let db = e.as_db_error().unwrap();
    assert_eq!(db.code().code(), "22004", "{}", db.message());
    assert!(
        db.hint()
            .unwrap_or("")
            .contains("hist_gradient_boosting, xgboost"),
        "{:?}",
        db.hint()
    );

    // pg_dump -n pgml into another server: the same answers, NULLs included.
    let mut dump = a.command("pg_dump", "train");
    dump.args(["-n", "pgml", "--no-owner"]);
    let mut restore = b.command("psql", "serve");
    restore.args(["-X", "-q", "-o", "/dev/null"]);
    pipe(dump, restore);
    let mut cb = b.connect("serve").unwrap();
    cb.batch_execute(TABLES).unwrap();
    let every = regressions
        .iter()
        .map(|(p, _, _)| (*p, "gaps"))
        .chain(classifications.iter().map(|(p, _)| (*p, "gap_classes")));
    for (project, table) in every {
        let on_a = outputs(&mut ca, project, table);
        assert!(
            !on_a.contains("NaN") && on_a.len() > 1000,
            "{project}: {on_a}"
        );
        assert_eq!(on_a, outputs(&mut cb, project, table), "{project}");
    }
}
