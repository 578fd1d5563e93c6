//! Train → deploy → predict on real servers: PostgresML's quick start unchanged, deployments seen
//! by other backends and by a hot standby at their next statement, and pg_dump carrying models
//! that predict exactly the same elsewhere.
#![allow(clippy::unwrap_used)] // test helpers: a panic is the failure report

use pgml_e2e::{
    database_with_pgml, every_algorithm_outputs, pipe, start_servers, train_every_algorithm,
};

const BREAST_CANCER_FEATURES: &str = r#""mean radius", "mean texture", "mean perimeter", "mean area", "mean smoothness", "mean compactness", "mean concavity", "mean concave points", "mean symmetry", "mean fractal dimension", "radius error", "texture error", "perimeter error", "area error", "smoothness error", "compactness error", "concavity error", "concave points error", "symmetry error", "fractal dimension error", "worst radius", "worst texture", "worst perimeter", "worst area", "worst smoothness", "worst compactness", "worst concavity", "worst concave points", "worst symmetry", "worst fractal dimension""#;

const DIABETES: &str = "ARRAY[age, sex, bmi, bp, s1, s2, s3, s4, s5, s6]";

fn f64_of(client: &mut postgres::Client, sql: &str) -> f64 {
    client.query_one(sql, &[]).unwrap().get::<_, f64>(0)
}

#[test]
fn postgresml_quick_start_runs_unchanged() {
    let servers = start_servers(&["quickstart"]);
    let s = &servers[0];
    database_with_pgml(s, "app");
    let mut c = s.connect("app").unwrap();
    c.batch_execute(&format!(
        r#"
        SELECT pgml.load_dataset('diabetes');
        SELECT * FROM pgml.train('Diabetes Progression', 'regression', 'pgml.diabetes', 'target');
        SELECT target, pgml.predict('Diabetes Progression', {DIABETES}) FROM pgml.diabetes LIMIT 10;
        SELECT * FROM pgml.train('Diabetes Progression', algorithm => 'xgboost', hyperparams => '{{"n_estimators": 10}}');
        SELECT * FROM pgml.train('Diabetes Progression', algorithm => 'ridge', hyperparams => '{{"alpha": 0.1}}');
        SELECT * FROM pgml.deploy('Diabetes Progression', 'best_score');
        SELECT pgml.load_dataset('breast_cancer');
        SELECT * FROM pgml.train('Breast Cancer', 'classification', 'pgml.breast_cancer', 'malignant', algorithm => 'xgboost');
        SELECT malignant, pgml.predict_proba('Breast Cancer', ARRAY[{BREAST_CANCER_FEATURES}]) FROM pgml.breast_cancer LIMIT 5;
        "#
    ))
    .unwrap();

    // Predictions are sensible, not just present: the models learned something.
    let r2 = f64_of(&mut c, "SELECT (metrics->>'r2')::float8 FROM pgml.trained_models WHERE name = 'Diabetes Progression' AND deployed");
    assert!(r2 > 0.35, "diabetes r2 {r2}");
    let accuracy = f64_of(
        &mut c,
        &format!(
            "SELECT avg((pgml.predict('Breast Cancer', ARRAY[{BREAST_CANCER_FEATURES}]) = malignant::int)::int)::float8 FROM pgml.breast_cancer"
        ),
    );
    assert!(accuracy > 0.95, "breast cancer accuracy {accuracy}");
    let proba_sum = f64_of(
        &mut c,
        &format!("SELECT max(abs(p[1] + p[2] - 1))::float8 FROM (SELECT pgml.predict_proba('Breast Cancer', ARRAY[{BREAST_CANCER_FEATURES}]) p FROM pgml.breast_cancer) t"),
    );
    assert!(
        proba_sum < 1e-5,
        "probabilities do not sum to 1: {proba_sum}"
    );

    // A whole row predicts the same, matched by column name (the label column is ignored), in any
    // column order.
    let mismatches = f64_of(
        &mut c,
        &format!(
            "SELECT count(*)::float8 FROM pgml.diabetes d
              WHERE pgml.predict('Diabetes Progression', d) <> pgml.predict('Diabetes Progression', {DIABETES})
                 OR pgml.predict('Diabetes Progression', (SELECT r FROM (SELECT d.s6, d.s5, d.s4, d.s3, d.s2, d.s1, d.bp, d.bmi, d.sex, d.age) r))
                    <> pgml.predict('Diabetes Progression', {DIABETES})"
        ),
    );
    assert_eq!(mismatches, 0.0);
    let batch: String = c
        .query_one(
            &format!(
                "WITH three AS (SELECT row_number() OVER () AS n, * FROM (SELECT * FROM pgml.diabetes LIMIT 3) d)
                 SELECT ((SELECT array_agg(p) FROM pgml.predict_batch('Diabetes Progression',
                            (SELECT array_agg(v ORDER BY n, i) FROM three, unnest({DIABETES}) WITH ORDINALITY u(v, i))) p)
                       = (SELECT array_agg(pgml.predict('Diabetes Progression', {DIABETES}) ORDER BY n) FROM three))::text"
            ),
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(
        batch, "true",
        "predict_batch differs from row-by-row predict"
    );

    // Integer labels predict the label itself; the mapping is in the catalog.
    c.batch_execute(
        "SELECT pgml.load_dataset('iris');
         SELECT * FROM pgml.train('Iris', 'classification', 'pgml.iris', 'target');",
    )
    .unwrap();
    let iris = f64_of(
        &mut c,
        "SELECT avg((pgml.predict('Iris', ARRAY[sepal_length, sepal_width, petal_length, petal_width]) = target)::int)::float8 FROM pgml.iris",
    );
    assert!(iris > 0.9, "iris accuracy {iris}");
    let mapping: String = c
        .query_one(
            "SELECT label_mapping::text FROM pgml.trained_models WHERE name = 'Iris'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(mapping, r#"{"0": 0, "1": 1, "2": 2}"#);

    // An image column (smallint[][]) trains as its 64 values, and predicts from the same column.
    c.batch_execute(
        "SELECT pgml.load_dataset('digits');
         SELECT * FROM pgml.train('Digits', 'classification', 'pgml.digits', 'target');",
    )
    .unwrap();
    let digits = f64_of(
        &mut c,
        "SELECT avg((pgml.predict('Digits', image) = target)::int)::float8 FROM pgml.digits",
    );
    assert!(digits > 0.9, "digits accuracy {digits}");
    let same: String = c
        .query_one("SELECT bool_and(pgml.predict('Digits', d) = pgml.predict('Digits', image))::text FROM pgml.digits d", &[])
        .unwrap()
        .get(0);
    assert_eq!(
        same, "true",
        "a row with an image column predicts like the image array"
    );

    // Text labels predict class codes, documented in label_mapping.
    c.batch_execute(
        "CREATE VIEW iris_named AS SELECT sepal_length, sepal_width, petal_length, petal_width,
                (ARRAY['setosa', 'versicolor', 'virginica'])[target + 1] AS species FROM pgml.iris;
         SELECT * FROM pgml.train('Iris Named', 'classification', 'iris_named', 'species');",
    )
    .unwrap();
    let mapping: String = c
        .query_one(
            "SELECT label_mapping::text FROM pgml.trained_models WHERE name = 'Iris Named'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(mapping, r#"{"setosa": 0, "virginica": 2, "versicolor": 1}"#);
    let setosa: f32 = c
        .query_one(
            "SELECT pgml.predict('Iris Named', ARRAY[5.1, 3.5, 1.4, 0.2]::real[])",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(setosa, 0.0);
}

#[test]
fn a_second_backend_sees_a_new_deployment_at_its_next_statement() {
    let servers = start_servers(&["deploys"]);
    let s = &servers[0];
    database_with_pgml(s, "app");
    let mut trainer = s.connect("app").unwrap();
    trainer
        .batch_execute(
            "SELECT pgml.load_dataset('diabetes');
             SELECT * FROM pgml.train('D', 'regression', 'pgml.diabetes', 'target');
             SELECT * FROM pgml.train('D', algorithm => 'lasso', hyperparams => '{\"alpha\": 5}', automatic_deploy => false);",
        )
        .unwrap();
    let mut server = s.connect("app").unwrap();
    let predict = format!("SELECT pgml.predict('D', {DIABETES}) FROM pgml.diabetes LIMIT 1");
    let first: f32 = server.query_one(&predict, &[]).unwrap().get(0);
    trainer
        .batch_execute("SELECT * FROM pgml.deploy('D', 'most_recent')")
        .unwrap();
    let second: f32 = server.query_one(&predict, &[]).unwrap().get(0);
    assert_ne!(
        first, second,
        "the held connection still predicts with the old model"
    );
    trainer
        .batch_execute("SELECT * FROM pgml.deploy('D', 'rollback')")
        .unwrap();
    let third: f32 = server.query_one(&predict, &[]).unwrap().get(0);
    assert_eq!(first, third, "rollback did not bring the first model back");
}

#[test]
fn a_hot_standby_predicts_with_the_primary_deployment_and_refuses_to_train() {
    let servers = start_servers(&["primary"]);
    let primary = &servers[0];
    database_with_pgml(primary, "app");
    let mut p = primary.connect("app").unwrap();
    p.batch_execute(
        "SELECT pgml.load_dataset('diabetes');
         SELECT * FROM pgml.train('D', 'regression', 'pgml.diabetes', 'target');
         SELECT * FROM pgml.train('D', algorithm => 'lasso', hyperparams => '{\"alpha\": 5}', automatic_deploy => false);",
    )
    .unwrap();
    let trained = train_every_algorithm(&mut p);
    let standby = primary.standby("standby").unwrap();
    primary.wait_for_replay(&standby).unwrap();
    let mut r = standby.connect("app").unwrap();
    // Every algorithm's model answers on the standby exactly as on the primary.
    let on_primary = every_algorithm_outputs(&mut p);
    assert_eq!(on_primary.len(), trained);
    assert_eq!(every_algorithm_outputs(&mut r), on_primary);
    let predict = format!(
        "SELECT array_agg(pgml.predict('D', {DIABETES}) ORDER BY ctid)::text FROM pgml.diabetes"
    );
    let on_primary: String = p.query_one(&predict, &[]).unwrap().get(0);
    assert_eq!(
        r.query_one(&predict, &[]).unwrap().get::<_, String>(0),
        on_primary
    );

    p.batch_execute("SELECT * FROM pgml.deploy('D', 'most_recent')")
        .unwrap();
    primary.wait_for_replay(&standby).unwrap();
    let after: String = p.query_one(&predict, &[]).unwrap().get(0);
    assert_ne!(after, on_primary);
    assert_eq!(
        r.query_one(&predict, &[]).unwrap().get::<_, String>(0),
        after,
        "standby kept the old model"
    );

    let err = r
        .batch_execute("SELECT * FROM pgml.train('D', algorithm => 'ridge')")
        .unwrap_err();
    let db = err.as_db_error().unwrap();
    assert_eq!(db.code().code(), "25006");
    assert!(
        db.message().contains("cannot train on a hot standby"),
        "{}",
        db.message()
    );
    assert!(db.hint().unwrap_or("").contains("train on the primary"));
}

#[test]
fn pg_dump_carries_models_that_predict_identically_elsewhere() {
    let servers = start_servers(&["training", "serving"]);
    let (a, b) = (&servers[0], &servers[1]);
    database_with_pgml(a, "train");
    database_with_pgml(b, "serve");
    let mut ca = a.connect("train").unwrap();
    // One model per registered algorithm and task: a new algorithm is covered without a line here.
    let trained = train_every_algorithm(&mut ca);
    ca.batch_execute(
        "SELECT * FROM pgml.train('D', 'regression', 'pgml.diabetes', 'target');
         SELECT * FROM pgml.train('D', algorithm => 'xgboost', hyperparams => '{\"n_estimators\": 20}');",
    )
    .unwrap();

    let mut dump = a.command("pg_dump", "train");
    dump.args(["-n", "pgml", "--no-owner"]);
    let mut restore = b.command("psql", "serve");
    restore.args(["-X", "-q", "-o", "/dev/null"]);
    pipe(dump, restore);

    // Every model, on every row of its dataset: bit-identical predictions (and probabilities,
    // and components) on both servers.
    let mut cb = b.connect("serve").unwrap();
    let on_a = every_algorithm_outputs(&mut ca);
    assert_eq!(
        on_a.len(),
        trained,
        "every model of every algorithm is compared"
    );
    assert!(trained >= 40, "{trained} models");
    for (key, outputs) in &on_a {
        assert!(outputs.len() > 100, "{key:?}: {outputs}");
    }
    assert_eq!(on_a, every_algorithm_outputs(&mut cb));
    // And by project name, through the restored deployments.
    let by_name = format!(
        "SELECT array_agg(pgml.predict('D', {DIABETES}) ORDER BY ctid)::text FROM pgml.diabetes"
    );
    assert_eq!(
        ca.query_one(&by_name, &[]).unwrap().get::<_, String>(0),
        cb.query_one(&by_name, &[]).unwrap().get::<_, String>(0)
    );
}

#[test]
fn a_deploy_counts_at_the_next_statement_even_inside_one_transaction_or_function() {
    let servers = start_servers(&["statement-cache"]);
    let s = &servers[0];
    database_with_pgml(s, "app");
    let mut c = s.connect("app").unwrap();
    c.batch_execute(
        "SELECT pgml.load_dataset('diabetes');
         SELECT * FROM pgml.train('D', 'regression', 'pgml.diabetes', 'target');
         SELECT * FROM pgml.train('D', algorithm => 'lasso', hyperparams => '{\"alpha\": 5}', automatic_deploy => false);
         CREATE FUNCTION flip() RETURNS text LANGUAGE plpgsql AS $$
         DECLARE before real; after real;
         BEGIN
           SELECT pgml.predict('D', ARRAY[age, sex, bmi, bp, s1, s2, s3, s4, s5, s6]) INTO before FROM pgml.diabetes LIMIT 1;
           PERFORM pgml.deploy('D', 'rollback');
           SELECT pgml.predict('D', ARRAY[age, sex, bmi, bp, s1, s2, s3, s4, s5, s6]) INTO after FROM pgml.diabetes LIMIT 1;
           RETURN before::text || ' ' || after::text;
         END $$;",
    )
    .unwrap();
    let predict = format!("SELECT pgml.predict('D', {DIABETES}) FROM pgml.diabetes LIMIT 1");
    let mut tx = c.transaction().unwrap();
    let first: f32 = tx.query_one(&predict, &[]).unwrap().get(0);
    tx.batch_execute("SELECT * FROM pgml.deploy('D', 'most_recent')")
        .unwrap();
    let second: f32 = tx.query_one(&predict, &[]).unwrap().get(0);
    assert_ne!(
        first, second,
        "a deploy earlier in the transaction was not seen"
    );
    // Within one statement (a function), a deploy between two predicts is seen by the second.
    let flipped: String = tx.query_one("SELECT flip()", &[]).unwrap().get(0);
    let parts: Vec<&str> = flipped.split(' ').collect();
    assert_ne!(
        parts[0], parts[1],
        "deploy inside a function was not seen: {flipped}"
    );
    tx.commit().unwrap();
}

#[test]
fn clustering_and_decomposition_run_postgresml_examples() {
    let servers = start_servers(&["unsupervised"]);
    let s = &servers[0];
    database_with_pgml(s, "app");
    let mut c = s.connect("app").unwrap();
    // PostgresML's pgml-extension/examples/clustering.sql, statement for statement, with the
    // algorithms it leaves commented out because PostgresML cannot run them ("offline clustering
    // algorithms are not currently supported") enabled where pgml trains them; only
    // feature_agglomeration (decomposition here), spectral_bi and spectral_co stay out.
    let clustering = [
        "SELECT pgml.load_dataset('digits')",
        "CREATE VIEW pgml.digit_vectors AS SELECT image FROM pgml.digits",
        "SELECT left(image::text, 40) || ',...}' FROM pgml.digit_vectors LIMIT 10",
        "SELECT * FROM pgml.train('Handwritten Digit Clusters', 'clustering', 'pgml.digit_vectors', hyperparams => '{\"n_clusters\": 10}')",
        "SELECT target, pgml.predict('Handwritten Digit Clusters', image) AS prediction FROM pgml.digits LIMIT 10",
        "SELECT * FROM pgml.train('Handwritten Digit Clusters', algorithm => 'affinity_propagation')",
        "SELECT * FROM pgml.train('Handwritten Digit Clusters', algorithm => 'birch', hyperparams => '{\"n_clusters\": 10}')",
        "SELECT * FROM pgml.train('Handwritten Digit Clusters', algorithm => 'kmeans', hyperparams => '{\"n_clusters\": 10}')",
        "SELECT * FROM pgml.train('Handwritten Digit Clusters', algorithm => 'mini_batch_kmeans', hyperparams => '{\"n_clusters\": 10}')",
        "SELECT * FROM pgml.train('Handwritten Digit Clusters', algorithm => 'dbscan')",
        "SELECT * FROM pgml.train('Handwritten Digit Clusters', algorithm => 'optics')",
        "SELECT * FROM pgml.train('Handwritten Digit Clusters', algorithm => 'spectral', hyperparams => '{\"n_clusters\": 10}')",
        "SELECT * FROM pgml.train('Handwritten Digit Clusters', algorithm => 'mean_shift')",
    ];
    for statement in clustering {
        c.batch_execute(statement)
            .unwrap_or_else(|e| panic!("{statement}: {e:?}"));
    }
    // pgml/examples/decomposition.sql likewise.
    let decomposition = [
        "SELECT pgml.load_dataset('digits')",
        "SELECT left(image::text, 40) || ',...}', target FROM pgml.digits LIMIT 10",
        "CREATE VIEW digit_vectors AS SELECT image FROM pgml.digits",
        "SELECT * FROM pgml.train('Handwritten Digits Reduction', 'decomposition', 'digit_vectors')",
        "SELECT target, pgml.decompose('Handwritten Digits Reduction', image) AS pca FROM pgml.digits LIMIT 10",
        "SELECT * FROM pgml.train('Handwritten Digits Reduction', hyperparams => '{\"n_components\": 3}')",
        "SELECT target, pgml.decompose('Handwritten Digits Reduction', image) AS pca FROM pgml.digits LIMIT 10",
        "SELECT trained_models.* FROM pgml.trained_models JOIN pgml.models on models.id = trained_models.id ORDER BY models.metrics->>'cumulative_explained_variance' DESC LIMIT 5",
        "SELECT * FROM pgml.deploy('Handwritten Digits Reduction', 'most_recent', 'pca')",
        "SELECT * FROM pgml.deployed_models ORDER BY deployed_at DESC LIMIT 5",
        "SELECT * FROM pgml.deploy('Handwritten Digits Reduction', 'best_score')",
        "SELECT * FROM pgml.deploy('Handwritten Digits Reduction', 'most_recent')",
        "SELECT * FROM pgml.deploy('Handwritten Digits Reduction', 'rollback')",
        "SELECT * FROM pgml.deploy('Handwritten Digits Reduction', 'best_score', 'pca')",
    ];
    for statement in decomposition {
        c.batch_execute(statement)
            .unwrap_or_else(|e| panic!("{statement}: {e:?}"));
    }
    // Its last statement: PostgresML answers predict on a PCA model with the first component.
    c.batch_execute("SELECT target, pgml.predict('Handwritten Digits Reduction', image) AS prediction FROM pgml.digits LIMIT 10")
        .unwrap();
    // Every clustering model of the example has its three scores, and predicts a cluster
    // (or -1, noise, for the density-based ones) for every image.
    let scored: i64 = c
        .query_one(
            "SELECT count(*) FROM pgml.trained_models WHERE name = 'Handwritten Digit Clusters'
                AND metrics ? 'calinski_harabasz' AND metrics ? 'davies_bouldin'",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(scored >= 6, "{scored} clustering models with scores");
    c.batch_execute(
        "CREATE VIEW digit_vectors_for_tests AS SELECT image FROM pgml.digits;
         SELECT * FROM pgml.train('Digits', 'clustering', 'digit_vectors_for_tests', hyperparams => '{\"n_clusters\": 10}');
         SELECT * FROM pgml.train('Digit Components', 'decomposition', 'digit_vectors_for_tests', hyperparams => '{\"n_components\": 3}');",
    )
    .unwrap();
    // Every image lands in one of the 10 clusters, and most clusters are used.
    let (min, max, used): (f32, f32, i64) = {
        let r = c
            .query_one(
                "SELECT min(p), max(p), count(DISTINCT p) FROM (SELECT pgml.predict('Digits', image) p FROM pgml.digits) t",
                &[],
            )
            .unwrap();
        (r.get(0), r.get(1), r.get(2))
    };
    assert!(
        min >= 0.0 && max <= 9.0 && used >= 8,
        "clusters {min}..{max}, {used} used"
    );
    let silhouette = f64_of(
        &mut c,
        "SELECT (metrics->>'silhouette')::float8 FROM pgml.trained_models WHERE name = 'Digits'",
    );
    assert!(silhouette > 0.1, "silhouette {silhouette}");
    let components: i32 = c
        .query_one("SELECT cardinality(pgml.decompose('Digit Components', image::real[])) FROM pgml.digits LIMIT 1", &[])
        .unwrap()
        .get(0);
    assert_eq!(components, 3);
    let explained = f64_of(
        &mut c,
        "SELECT (metrics->>'cumulative_explained_variance')::float8 FROM pgml.trained_models WHERE name = 'Digit Components'",
    );
    assert!(
        explained > 0.3 && explained < 0.6,
        "explained variance {explained}"
    );
}

#[test]
fn training_threads_are_capped_by_a_superuser_setting() {
    let servers = start_servers(&["threads"]);
    let s = &servers[0];
    database_with_pgml(s, "app");
    s.execute(
        "app",
        "CREATE ROLE analyst LOGIN PASSWORD 'analyst'; GRANT pgml_predictor TO analyst",
    )
    .unwrap();
    let mut c = s.connect("app").unwrap();
    c.batch_execute(
        "SELECT pgml.load_dataset('iris');
         SET pgml.training_threads = 2;
         SELECT * FROM pgml.train('T', 'classification', 'pgml.iris', 'target', algorithm => 'xgboost', hyperparams => '{\"nthread\": 8}');
         SELECT * FROM pgml.train('T', algorithm => 'xgboost');",
    )
    .unwrap();
    let used: Vec<String> = c
        .query(
            "SELECT hyperparams->>'nthread' FROM pgml.models ORDER BY id",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        used,
        vec!["2", "2"],
        "nthread above the cap, or 0, becomes the cap"
    );
    // A role that is not superuser cannot raise its own share: neither before pgml is loaded in
    // its session (the placeholder is discarded when the library defines the setting) nor after.
    let mut analyst =
        postgres::Client::connect(&s.url_as("analyst", "analyst", "app"), postgres::NoTls).unwrap();
    analyst
        .batch_execute("SET pgml.training_threads = 16")
        .unwrap();
    let shown: String = analyst
        .query_one(
            "SELECT pgml.version(), current_setting('pgml.training_threads')",
            &[],
        )
        .unwrap()
        .get(1);
    assert_eq!(shown, "1");
    let err = analyst
        .batch_execute("SET pgml.training_threads = 16")
        .unwrap_err();
    assert_eq!(
        err.as_db_error().map(|d| d.code().code()),
        Some("42501"),
        "{err:?}"
    );
}

/// CPU seconds (user + system, all threads) the process `pid` has used so far.
fn cpu_seconds(pid: i32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // The fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after "pid (comm)".
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    let out = std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .unwrap();
    ticks
        / String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse::<f64>()
            .unwrap()
}

#[test]
fn openmp_workers_sleep_unless_a_superuser_chooses_otherwise() {
    let servers = start_servers(&["openmp"]);
    let s = &servers[0];
    database_with_pgml(s, "app");
    s.execute(
        "app",
        "CREATE TABLE rows AS SELECT random()::real AS a, random()::real AS b, random()::real AS c
           FROM generate_series(1, 20000);
         ALTER TABLE rows ADD COLUMN y real;
         UPDATE rows SET y = a * 3 + b * c;
         CREATE ROLE analyst LOGIN PASSWORD 'analyst';
         GRANT pgml_trainer TO analyst; GRANT SELECT ON rows TO analyst",
    )
    .unwrap();
    // Trains XGBoost on 2 threads in a session opened with `options`, then measures the CPU its
    // backend uses while it sits idle: an OpenMP worker that spins shows up here.
    let idle_cpu = |options: &str| -> (String, f64) {
        let mut config: postgres::Config = s.url("app").parse().unwrap();
        config.options(options);
        let mut c = config.connect(postgres::NoTls).unwrap();
        c.batch_execute(
            "SET pgml.training_threads = 2;
             SELECT * FROM pgml.train('Spin', 'regression', 'rows', 'y', algorithm => 'xgboost',
                                      hyperparams => '{\"n_estimators\": 20}')",
        )
        .unwrap();
        let row = c
            .query_one(
                "SELECT pg_backend_pid(), current_setting('pgml.openmp_wait_policy')",
                &[],
            )
            .unwrap();
        let pid: i32 = row.get(0);
        let before = cpu_seconds(pid);
        std::thread::sleep(std::time::Duration::from_secs(2));
        (row.get(1), cpu_seconds(pid) - before)
    };
    let (policy, passive) = idle_cpu("");
    assert_eq!(policy, "passive");
    assert!(
        passive < 0.2,
        "an idle backend used {passive:.2} CPU s in 2 s: its OpenMP workers spin by default"
    );
    let (policy, active) = idle_cpu("-c pgml.openmp_wait_policy=active");
    assert_eq!(policy, "active");
    assert!(
        active > 0.4,
        "with 'active' the idle worker should spin, but the backend used only {active:.2} CPU s in 2 s \
         (is the setting handed to OpenMP?)"
    );

    // Fixed for a session: it cannot change once the session has started.
    let mut c = s.connect("app").unwrap();
    c.batch_execute("SELECT pgml.version()").unwrap();
    let err = c
        .batch_execute("SET pgml.openmp_wait_policy = 'active'")
        .unwrap_err();
    assert_eq!(
        err.as_db_error().map(|d| d.code().code()),
        Some("55P02"),
        "{err:?}"
    );
    // And a role that is not superuser cannot choose it when connecting: the value is discarded
    // when the library defines the setting.
    let mut config: postgres::Config = s.url_as("analyst", "analyst", "app").parse().unwrap();
    config.options("-c pgml.openmp_wait_policy=active");
    let mut analyst = config.connect(postgres::NoTls).unwrap();
    let shown: String = analyst
        .query_one(
            "SELECT pgml.version(), current_setting('pgml.openmp_wait_policy')",
            &[],
        )
        .unwrap()
        .get(1);
    assert_eq!(shown, "passive");
}

#[test]
fn text_features_are_categories_encoded_as_in_training() {
    let servers = start_servers(&["text"]);
    let s = &servers[0];
    database_with_pgml(s, "app");
    let mut c = s.connect("app").unwrap();
    // The price depends on the colour only through its category: red 10, green 20, blue 30.
    c.batch_execute(
        "CREATE TABLE sales AS
         SELECT (ARRAY['red', 'green', 'blue'])[1 + g % 3] AS colour, (g % 7)::real AS size,
                (10 * (1 + g % 3) + (g % 7))::real AS price
           FROM generate_series(1, 300) g;
         SELECT * FROM pgml.train('Prices', 'regression', 'sales', 'price', algorithm => 'xgboost');",
    )
    .unwrap();
    let features: String = c
        .query_one("SELECT features::text FROM pgml.models", &[])
        .unwrap()
        .get(0);
    assert!(
        features.contains(r#""categories": ["blue", "green", "red"]"#),
        "{features}"
    );
    let (red, blue): (f32, f32) = {
        let r = c
            .query_one(
                "SELECT pgml.predict('Prices', r1), pgml.predict('Prices', r2)
                   FROM (SELECT 'red' AS colour, 3::real AS size) r1, (SELECT 'blue' AS colour, 3::real AS size) r2",
                &[],
            )
            .unwrap();
        (r.get(0), r.get(1))
    };
    assert!(
        (red - 13.0).abs() < 1.0 && (blue - 33.0).abs() < 1.0,
        "red {red}, blue {blue}"
    );
}

#[test]
fn training_runs_with_the_callers_privileges_and_row_level_security() {
    let servers = start_servers(&["privileges"]);
    let s = &servers[0];
    database_with_pgml(s, "app");
    // The one grant docs/security.md gives a training role; nothing on the data itself.
    s.execute(
        "app",
        "CREATE ROLE trainer LOGIN PASSWORD 'trainer';
         GRANT pgml_trainer TO trainer;
         CREATE TABLE secret AS SELECT g::real AS x, (2 * g)::real AS y FROM generate_series(1, 100) g;
         CREATE TABLE shared AS
           SELECT g::real AS x, (2 * g)::real AS y, CASE WHEN g <= 40 THEN 'trainer' ELSE 'someone else' END AS owner
             FROM generate_series(1, 100) g;
         ALTER TABLE shared ENABLE ROW LEVEL SECURITY;
         CREATE POLICY own_rows ON shared FOR SELECT USING (owner = current_user);
         GRANT SELECT ON shared TO trainer;
         CREATE VIEW shared_numbers WITH (security_invoker = true) AS SELECT x, y FROM shared;
         GRANT SELECT ON shared_numbers TO trainer;",
    )
    .unwrap();
    let mut t =
        postgres::Client::connect(&s.url_as("trainer", "trainer", "app"), postgres::NoTls).unwrap();

    let err = t
        .batch_execute("SELECT * FROM pgml.train('Secret', 'regression', 'secret', 'y')")
        .unwrap_err();
    let db = err.as_db_error().unwrap();
    assert_eq!(db.code().code(), "42501", "{}", db.message());
    assert!(db.message().contains("secret"), "{}", db.message());

    // Row-level security applies to the snapshot: only the trainer's 40 rows are trained on.
    // (Through a view it holds too, when the view is security_invoker; a plain view reads as its
    // owner, as PostgreSQL defines.)
    t.batch_execute("SELECT * FROM pgml.train('Mine', 'regression', 'shared_numbers', 'y')")
        .unwrap();
    let rows: i64 = t
        .query_one(
            "SELECT num_train_rows + num_test_rows FROM pgml.snapshots ORDER BY id DESC LIMIT 1",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(rows, 40, "row-level security was bypassed");
    // The snapshot table is pgml's (its trainer cannot replace it), and its trainer may read it.
    let (owner, readable): (String, bool) = {
        let row = t
            .query_one(
                "SELECT tableowner::text, has_table_privilege('trainer', format('pgml.%I', tablename), 'SELECT')
                   FROM pg_tables WHERE tablename LIKE 'snapshot\\_%' ORDER BY tablename DESC LIMIT 1",
                &[],
            )
            .unwrap();
        (row.get(0), row.get(1))
    };
    assert_eq!(
        owner, "postgres",
        "the snapshot table belongs to pgml's owner"
    );
    assert!(readable, "its trainer can read its snapshot");
}

#[test]
fn a_reused_model_id_never_serves_the_old_model() {
    // DROP EXTENSION and CREATE EXTENSION restart the id sequences: model 1 is then another model.
    // A backend that cached the old model 1 must not keep predicting with it.
    let servers = start_servers(&["reuse"]);
    let s = &servers[0];
    database_with_pgml(s, "app");
    let mut c = s.connect("app").unwrap();
    c.batch_execute(
        "SELECT pgml.load_dataset('diabetes');
         SELECT * FROM pgml.train('D', 'regression', 'pgml.diabetes', 'target');",
    )
    .unwrap();
    let predict = format!("SELECT pgml.predict(1::bigint, {DIABETES}) FROM pgml.diabetes LIMIT 1");
    let first: f32 = c.query_one(&predict, &[]).unwrap().get(0);
    c.batch_execute(
        "DROP EXTENSION pgml CASCADE; DROP SCHEMA pgml CASCADE; CREATE EXTENSION pgml;
         SELECT pgml.load_dataset('diabetes');
         SELECT * FROM pgml.train('D', 'regression', 'pgml.diabetes', 'target', algorithm => 'lasso', hyperparams => '{\"alpha\": 5}');",
    )
    .unwrap();
    let second: f32 = c.query_one(&predict, &[]).unwrap().get(0);
    assert_ne!(
        first, second,
        "model 1 was served from the cache after the id was reused"
    );
    let by_name: f32 = c
        .query_one(
            &format!("SELECT pgml.predict('D', {DIABETES}) FROM pgml.diabetes LIMIT 1"),
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(by_name, second);
}

#[test]
fn hyperparameter_search_keeps_the_best_candidate() {
    let servers = start_servers(&["search"]);
    let s = &servers[0];
    database_with_pgml(s, "app");
    let mut c = s.connect("app").unwrap();
    c.batch_execute(
        "SELECT pgml.load_dataset('diabetes');
         SELECT * FROM pgml.train('D', 'regression', 'pgml.diabetes', 'target', algorithm => 'lasso',
                                  search => 'grid', search_params => '{\"alpha\": [100, 0.01]}',
                                  search_args => '{\"cv\": 3}');
         SELECT * FROM pgml.train('D', algorithm => 'xgboost', search => 'random',
                                  search_params => '{\"max_depth\": [2, 3, 4], \"n_estimators\": [5, 10]}',
                                  search_args => '{\"n_iter\": 3}');",
    )
    .unwrap();
    let rows = c
        .query(
            "SELECT algorithm, search::text, hyperparams->>'alpha', (metrics ? 'search_cv_score')
               FROM pgml.models ORDER BY id",
            &[],
        )
        .unwrap();
    assert_eq!(rows.len(), 2, "a search stores one model, the chosen one");
    assert_eq!(rows[0].get::<_, String>(1), "grid");
    assert_eq!(
        rows[0].get::<_, Option<String>>(2).as_deref(),
        Some("0.01"),
        "the better alpha was not chosen"
    );
    assert!(rows[0].get::<_, bool>(3));
    assert_eq!(rows[1].get::<_, String>(1), "random");
}

#[test]
fn preprocess_imputes_scales_and_one_hot_encodes_in_training_and_at_predict() {
    let servers = start_servers(&["preprocess"]);
    let s = &servers[0];
    database_with_pgml(s, "app");
    let mut c = s.connect("app").unwrap();
    // price = 10·size + 100 for red, 300 for blue; every 10th size is missing.
    c.batch_execute(
        "CREATE TABLE items AS
         SELECT CASE WHEN g % 10 = 0 THEN NULL ELSE (g % 7)::real END AS size,
                (ARRAY['red', 'blue'])[1 + g % 2] AS colour,
                (10 * (g % 7) + CASE WHEN g % 2 = 0 THEN 100 ELSE 300 END)::real AS price
           FROM generate_series(1, 400) g;
         SELECT * FROM pgml.train('Items', 'regression', 'items', 'price',
             preprocess => '{\"size\": {\"impute\": \"median\", \"scale\": \"standard\"}, \"colour\": {\"encode\": \"one_hot\"}}');",
    )
    .unwrap();
    let features: String = c
        .query_one("SELECT features::text FROM pgml.models", &[])
        .unwrap()
        .get(0);
    assert!(
        features.contains(r#""one_hot": true"#) && features.contains(r#""impute": 3.0"#),
        "{features}"
    );
    let r2: f64 = c
        .query_one("SELECT (metrics->>'r2')::float8 FROM pgml.models", &[])
        .unwrap()
        .get(0);
    assert!(r2 > 0.95, "r2 {r2}");
    let (known, imputed): (f32, f32) = {
        let r = c
            .query_one(
                "SELECT pgml.predict('Items', a), pgml.predict('Items', b)
                   FROM (SELECT 5::real AS size, 'blue' AS colour) a, (SELECT NULL::real AS size, 'blue' AS colour) b",
                &[],
            )
            .unwrap();
        (r.get(0), r.get(1))
    };
    assert!((known - 350.0).abs() < 5.0, "blue size 5: {known}");
    assert!(
        (imputed - 330.0).abs() < 5.0,
        "blue with the median size 3: {imputed}"
    );
}

#[test]
fn trains_on_views_materialized_views_partitioned_and_foreign_tables() {
    let servers = start_servers(&["relations"]);
    let s = &servers[0];
    database_with_pgml(s, "app");
    s.create_database("remote").unwrap();
    s.execute(
        "remote",
        "CREATE TABLE far AS SELECT g::real AS x, (3 * g + 1)::real AS y FROM generate_series(1, 200) g;",
    )
    .unwrap();
    let mut c = s.connect("app").unwrap();
    c.batch_execute(&format!(
        "CREATE TABLE base AS SELECT g::real AS x, (3 * g + 1)::real AS y FROM generate_series(1, 200) g;
         CREATE VIEW \"My View\" AS SELECT x, y FROM base WHERE x > 10;
         CREATE MATERIALIZED VIEW mat AS SELECT x, y FROM base;
         CREATE TABLE parted (x real, y real) PARTITION BY RANGE (x);
         CREATE TABLE parted_low PARTITION OF parted FOR VALUES FROM (0) TO (100);
         CREATE TABLE parted_high PARTITION OF parted FOR VALUES FROM (100) TO (1000);
         INSERT INTO parted SELECT x, y FROM base;
         CREATE SCHEMA \"Other Schema\";
         CREATE TABLE \"Other Schema\".\"Quoted Table\" AS SELECT * FROM base;
         CREATE EXTENSION postgres_fdw;
         CREATE SERVER loop FOREIGN DATA WRAPPER postgres_fdw
           OPTIONS (host '127.0.0.1', port '{port}', dbname 'remote', fetch_size '10000');
         CREATE USER MAPPING FOR postgres SERVER loop OPTIONS (user 'postgres', password '{password}');
         CREATE FOREIGN TABLE far (x real, y real) SERVER loop;
         CREATE VIEW far_view AS SELECT x, y FROM far WHERE x <= 100;",
        port = s.port(),
        password = s.password()
    ))
    .unwrap();
    for (project, relation, rows) in [
        ("view", "\"My View\"", 190),
        ("matview", "mat", 200),
        ("partitioned", "parted", 200),
        ("quoted", "\"Other Schema\".\"Quoted Table\"", 200),
        ("foreign", "far", 200),
        ("view over foreign", "far_view", 100),
    ] {
        c.batch_execute(&format!(
            "SELECT * FROM pgml.train('{project}', 'regression', '{}', 'y')",
            relation.replace('\'', "''")
        ))
        .unwrap_or_else(|e| panic!("{project}: {}", pgml_testkit::describe_pg_error(&e)));
        let (n, r2): (i64, f64) = {
            let r = c
                .query_one(
                    "SELECT num_train_rows + num_test_rows, (metrics->>'r2')::float8 FROM pgml.trained_models
                      WHERE name = $1",
                    &[&project],
                )
                .unwrap();
            (r.get(0), r.get(1))
        };
        assert_eq!(n, rows, "{project}: rows in the snapshot");
        assert!(r2 > 0.999, "{project}: r2 {r2}");
    }
    // A relation name cannot smuggle SQL: it is resolved by regclass, not pasted.
    let err = c
        .batch_execute(
            "SELECT * FROM pgml.train('evil', 'regression', 'base; DROP TABLE base', 'y')",
        )
        .unwrap_err();
    assert!(err.as_db_error().is_some(), "{err:?}");
    let still_there: i64 = c
        .query_one("SELECT count(*) FROM base", &[])
        .unwrap()
        .get(0);
    assert_eq!(still_there, 200);
}

#[test]
fn tree_models_show_what_they_look_at() {
    let servers = start_servers(&["importances"]);
    let s = &servers[0];
    database_with_pgml(s, "app");
    let mut c = s.connect("app").unwrap();
    c.batch_execute(
        "SELECT pgml.load_dataset('iris');
         SELECT * FROM pgml.train('Iris Forest', 'classification', 'pgml.iris', 'target', algorithm => 'random_forest',
                                  hyperparams => '{\"n_estimators\": 20}');
         SELECT * FROM pgml.train('Iris Forest', algorithm => 'linear');",
    )
    .unwrap();
    let rows = c
        .query(
            "SELECT algorithm, feature, importance FROM pgml.feature_importances WHERE project = 'Iris Forest'",
            &[],
        )
        .unwrap();
    // The forest's four inputs, most important first, summing to 1; the linear model has none.
    assert_eq!(rows.len(), 4);
    assert!(rows
        .iter()
        .all(|r| r.get::<_, String>(0) == "random_forest"));
    let importances: Vec<f64> = rows.iter().map(|r| r.get(2)).collect();
    assert!(
        (importances.iter().sum::<f64>() - 1.0).abs() < 1e-6,
        "{importances:?}"
    );
    assert!(importances.windows(2).all(|w| w[0] >= w[1]));
    let top: String = rows[0].get(1);
    assert!(
        top.starts_with("petal"),
        "iris is told apart by its petals, not {top}"
    );
}

/// XGBoost's own options as PostgresML's examples pass them: `eval_metric` inside a grid search,
/// objectives, DART, early stopping on a validation part of the training rows (recorded in the
/// metrics), and XGBoost's gain importances in `pgml.feature_importances`.
#[test]
fn xgboost_options_run_as_postgresml_passes_them() {
    let servers = start_servers(&["xgboost"]);
    let s = &servers[0];
    database_with_pgml(s, "app");
    let mut c = s.connect("app").unwrap();
    c.batch_execute(
        "SELECT pgml.load_dataset('diabetes');
         SELECT pgml.load_dataset('breast_cancer');
         SELECT * FROM pgml.train('Diabetes Progression', 'regression', 'pgml.diabetes', 'target',
                                  algorithm => 'xgboost', hyperparams => '{\"eval_metric\": \"rmse\"}'::JSONB,
                                  search => 'grid', search_params => '{\"max_depth\": [1, 2], \"n_estimators\": [20, 40]}');
         SELECT * FROM pgml.train('Diabetes Progression', algorithm => 'xgboost',
                                  hyperparams => '{\"objective\": \"reg:gamma\", \"booster\": \"dart\", \"rate_drop\": 0.2, \"n_estimators\": 30}');
         SELECT * FROM pgml.train('Breast Cancer', 'classification', 'pgml.breast_cancer', 'malignant',
                                  algorithm => 'xgboost',
                                  hyperparams => '{\"n_estimators\": 1000, \"learning_rate\": 0.3, \"eval_metric\": [\"logloss\", \"auc\"], \"early_stopping_rounds\": 5}');",
    )
    .unwrap();
    let searched: String = c
        .query_one(
            "SELECT m.hyperparams->>'eval_metric' FROM pgml.models m JOIN pgml.projects p ON p.id = m.project_id
              WHERE p.name = 'Diabetes Progression' AND m.search = 'grid'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(searched, "rmse");
    // The gamma DART model predicts positive values (exp of its margin) for every row.
    let min: f32 = c
        .query_one(
            "SELECT min(pgml.predict(m.id, ARRAY[age, sex, bmi, bp, s1, s2, s3, s4, s5, s6]))
               FROM pgml.models m, pgml.diabetes WHERE m.hyperparams->>'booster' = 'dart'",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(min > 0.0, "{min}");
    // Early stopping stopped well before 1000 rounds and says where.
    let (best, auc): (f64, f64) = {
        let r = c
            .query_one(
                "SELECT (metrics->>'best_iteration')::float8, (metrics->>'validation_auc')::float8
                   FROM pgml.models m JOIN pgml.projects p ON p.id = m.project_id WHERE p.name = 'Breast Cancer'",
                &[],
            )
            .unwrap();
        (r.get(0), r.get(1))
    };
    assert!(
        best < 900.0 && auc > 0.9,
        "best_iteration {best}, auc {auc}"
    );
    let importances: Vec<f64> = c
        .query(
            "SELECT importance FROM pgml.feature_importances WHERE project = 'Breast Cancer'",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(importances.len(), 30);
    assert!((importances.iter().sum::<f64>() - 1.0).abs() < 1e-6);
}

/// `pgml.predict` on a decomposition model answers the row's first component, as PostgresML's
/// (which flattens scikit-learn's `transform`), by project and by id.
#[test]
fn predict_on_a_decomposition_model_is_its_first_component() {
    let servers = start_servers(&["decomposition"]);
    let s = &servers[0];
    database_with_pgml(s, "app");
    let mut c = s.connect("app").unwrap();
    c.batch_execute(
        "SELECT pgml.load_dataset('iris');
         SELECT * FROM pgml.train('Iris PCA', 'decomposition', 'pgml.iris', hyperparams => '{\"n_components\": 2}');",
    )
    .unwrap();
    let row = "ARRAY[sepal_length, sepal_width, petal_length, petal_width, target]::real[]";
    let same: bool = c
        .query_one(
            &format!(
                "SELECT bool_and(pgml.predict('Iris PCA', {row}) = (pgml.decompose('Iris PCA', {row}))[1]
                             AND pgml.predict((SELECT max(id) FROM pgml.models), {row}) = (pgml.decompose('Iris PCA', {row}))[1])
                   FROM pgml.iris"
            ),
            &[],
        )
        .unwrap()
        .get(0);
    assert!(same);
}

/// catboost takes text columns as categories (ordered target statistics), predicts a row with
/// text from the statistics stored with the model, fills pgml.feature_importances, and with
/// early stopping records its best iteration in the metrics.
#[test]
fn catboost_trains_on_text_columns_and_stops_early() {
    let servers = start_servers(&["catboost_text"]);
    let s = &servers[0];
    database_with_pgml(s, "app");
    let mut c = s.connect("app").unwrap();
    c.batch_execute(
        r#"
        CREATE TABLE shop AS
          SELECT 'city_' || (i * 37 % 50) AS city, CASE WHEN i % 2 = 0 THEN 'web' ELSE 'store' END AS channel,
                 (i % 7)::real AS amount,
                 ((i * 37 % 50) % 5)::real * 10 + CASE WHEN i % 2 = 0 THEN 5 ELSE 0 END + (i % 7)::real AS y
          FROM generate_series(1, 2000) i;
        SELECT * FROM pgml.train('Shop', 'regression', 'shop', 'y', algorithm => 'catboost',
            hyperparams => '{"iterations": 300, "learning_rate": 0.3, "early_stopping_rounds": 20}');
        "#,
    )
    .unwrap();
    let r2 = f64_of(
        &mut c,
        "SELECT (metrics->>'r2')::float8 FROM pgml.models ORDER BY id DESC LIMIT 1",
    );
    assert!(r2 > 0.9, "r2 {r2}");
    let best = f64_of(
        &mut c,
        "SELECT (metrics->>'best_iteration')::float8 FROM pgml.models ORDER BY id DESC LIMIT 1",
    );
    let trees = f64_of(
        &mut c,
        "SELECT (metrics->>'tree_count')::float8 FROM pgml.models ORDER BY id DESC LIMIT 1",
    );
    assert_eq!(
        trees,
        best + 1.0,
        "use_best_model keeps the trees up to the best one"
    );
    let predicted: f32 = c
        .query_one(
            "SELECT pgml.predict('Shop', r) FROM (SELECT 'city_3'::text AS city, 'web'::text AS channel, 2::real AS amount) r",
            &[],
        )
        .unwrap()
        .get(0);
    assert!((predicted - 37.0).abs() < 5.0, "predicted {predicted}");
    let importances: i64 = c
        .query_one(
            "SELECT count(*) FROM pgml.feature_importances WHERE project = 'Shop' AND feature IN ('city', 'channel', 'amount') AND importance > 0",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(importances, 3);
}
