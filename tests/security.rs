//! Attacks on pgml by roles that may use it, each a test that fails if the attack works: a trainer
//! must never become superuser, a project belongs to its owner, the catalog cannot be tampered with
//! or read around its owner's grants. docs/security.md describes the model these tests hold to.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic is the test's failure report

use pgml_e2e::{database_with_pgml, start_servers, Server};

/// The SQLSTATE of a failed statement (panics if it succeeded).
fn sqlstate(c: &mut postgres::Client, sql: &str) -> String {
    match c.batch_execute(sql) {
        Ok(()) => panic!("expected an error from: {sql}"),
        Err(e) => e
            .as_db_error()
            .map(|d| d.code().code().to_string())
            .unwrap_or_else(|| panic!("not a database error: {e:?}")),
    }
}

fn message(c: &mut postgres::Client, sql: &str) -> String {
    match c.batch_execute(sql) {
        Ok(()) => panic!("expected an error from: {sql}"),
        Err(e) => e
            .as_db_error()
            .map(|d| format!("{} {}", d.message(), d.hint().unwrap_or_default()))
            .unwrap_or_else(|| panic!("not a database error: {e:?}")),
    }
}

fn login(s: &Server, role: &str, db: &str) -> postgres::Client {
    postgres::Client::connect(&s.url_as(role, role, db), postgres::NoTls).unwrap()
}

fn is_superuser(s: &Server, role: &str) -> bool {
    s.query_text(
        "postgres",
        &format!("SELECT rolsuper FROM pg_roles WHERE rolname = '{role}'"),
    )
    .unwrap()
    .as_deref()
        == Some("t")
}

/// A database with pgml, a superuser-loaded iris, and login roles: `alice` and `mallory`
/// (pgml_trainer), `carol` (pgml_predictor), each with a schema of its own for its data.
fn setup(s: &Server, db: &str) {
    database_with_pgml(s, db);
    for role in ["alice", "mallory", "carol", "bob"] {
        // Roles are per cluster: each test has its own server, so they are new here.
        s.create_role(role, role, "").unwrap();
    }
    s.execute(
        db,
        "GRANT pgml_trainer TO alice, mallory, bob;
         GRANT pgml_predictor TO carol;
         CREATE SCHEMA alice AUTHORIZATION alice;
         CREATE SCHEMA mallory AUTHORIZATION mallory;
         CREATE SCHEMA bob AUTHORIZATION bob;
         SELECT pgml.load_dataset('iris');",
    )
    .unwrap();
}

/// The payload of every escalation attempt: whoever runs it makes mallory a superuser.
const PAYLOAD: &str = "BEGIN ALTER ROLE mallory SUPERUSER; RETURN true; END";

#[test]
fn a_trainer_cannot_put_objects_in_schema_pgml() {
    let s = &start_servers(&["sec-schema"])[0];
    setup(s, "app");
    let mut m = login(s, "mallory", "app");
    // 1. an overload of the trigger helper, chosen over pgml's own for `name` arguments;
    // 4. an overload making pgml.catalog_subscription() ambiguous; a pre-created snapshot table;
    // 2. a squatted dataset table; a view, an operator, a type, a sequence in pgml.
    for attack in [
        format!("CREATE FUNCTION pgml.restoring_into_used_table(schema_name name, table_name name) RETURNS boolean LANGUAGE plpgsql AS $$ {PAYLOAD} $$"),
        format!("CREATE FUNCTION pgml.catalog_subscription(x int DEFAULT 0) RETURNS text LANGUAGE plpgsql AS $$ {} $$", PAYLOAD.replace("true", "NULL")),
        "CREATE TABLE pgml.snapshot_2 (x int)".to_string(),
        "CREATE TABLE pgml.wine (x int)".to_string(),
        "CREATE VIEW pgml.trained_models2 AS SELECT 1".to_string(),
        "CREATE OPERATOR pgml.= (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = int8eq)".to_string(),
        "CREATE TYPE pgml.evil AS (x int)".to_string(),
        "CREATE SEQUENCE pgml.projects_id_seq2".to_string(),
    ] {
        assert_eq!(sqlstate(&mut m, &attack), "42501", "{attack}");
    }
    // And what the attacks aimed at still works for everyone, without mallory becoming superuser:
    // a superuser loading a dataset and training (the triggers fire), a restore guard firing.
    s.execute(
        "app",
        "SELECT pgml.load_dataset('wine');
         SELECT * FROM pgml.train('iris', 'classification', 'pgml.iris', 'target');
         SELECT * FROM pgml.train('iris', algorithm => 'ridge');
         SELECT * FROM pgml.deploy('iris', 'best_score');",
    )
    .unwrap();
    let mut a = login(s, "alice", "app");
    a.batch_execute(
        "CREATE TABLE alice.flowers AS SELECT * FROM pgml.iris;
         SELECT * FROM pgml.train('flowers', 'classification', 'alice.flowers', 'target');",
    )
    .unwrap();
    assert!(!is_superuser(s, "mallory"));

    // Every plpgsql function of pgml runs with a fixed search_path, and every function's EXECUTE
    // goes to pgml's roles, never to public.
    let unpinned = s
        .query_text(
            "app",
            "SELECT string_agg(p.proname, ', ') FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
              WHERE p.pronamespace = 'pgml'::regnamespace AND l.lanname = 'plpgsql'
                AND NOT coalesce(p.proconfig, '{}') @> ARRAY['search_path=pg_catalog, pg_temp']",
        )
        .unwrap();
    assert_eq!(unpinned, None, "functions without a fixed search_path");
    let public = s
        .query_text(
            "app",
            "SELECT string_agg(p.oid::regprocedure::text, ', ') FROM pg_proc p
              WHERE p.pronamespace = 'pgml'::regnamespace
                AND EXISTS (SELECT 1 FROM aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
                             WHERE a.grantee = 0)",
        )
        .unwrap();
    assert_eq!(public, None, "functions executable by public");
    // Nobody but the owner may create in pgml, and a role without pgml's roles cannot even use it.
    let creators = s
        .query_text(
            "app",
            "SELECT string_agg(rolname, ', ') FROM pg_roles
              WHERE has_schema_privilege(oid, 'pgml', 'CREATE') AND NOT rolsuper",
        )
        .unwrap();
    assert_eq!(creators, None);
    s.create_role("nobody", "nobody", "").unwrap();
    let mut n = login(s, "nobody", "app");
    assert_eq!(
        sqlstate(
            &mut n,
            "SELECT pgml.predict('iris', ARRAY[1,2,3,4]::real[])"
        ),
        "42501"
    );
}

#[test]
fn snapshot_tables_belong_to_pgml_and_cannot_be_replaced() {
    let s = &start_servers(&["sec-snapshot"])[0];
    setup(s, "app");
    let mut m = login(s, "mallory", "app");
    m.batch_execute(
        "CREATE TABLE mallory.data AS SELECT * FROM pgml.iris;
         SELECT * FROM pgml.train('mine', 'classification', 'mallory.data', 'target');
         CREATE FUNCTION mallory.evil() RETURNS boolean LANGUAGE plpgsql AS $$ BEGIN ALTER ROLE mallory SUPERUSER; RETURN true; END $$;",
    )
    .unwrap();
    let table: String = m
        .query_one(
            "SELECT format('pgml.snapshot_%s', max(id)) FROM pgml.snapshots",
            &[],
        )
        .unwrap()
        .get(0);
    // Its trainer may read its snapshot, and nothing else.
    m.batch_execute(&format!("SELECT count(*) FROM {table}"))
        .unwrap();
    // 3. replacing the snapshot by a view that calls a function, read by a superuser's retrain.
    for attack in [
        format!("DROP TABLE {table}"),
        format!("ALTER TABLE {table} RENAME TO old"),
        format!("CREATE RULE \"_RETURN\" AS ON SELECT TO {table} DO INSTEAD SELECT * FROM mallory.data WHERE mallory.evil()"),
        format!("CREATE TRIGGER t BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION mallory.evil()"),
        format!("ALTER TABLE {table} ENABLE ROW LEVEL SECURITY"),
        format!("CREATE POLICY p ON {table} USING (mallory.evil())"),
        format!("CREATE INDEX ON {table} ((mallory.evil()))"),
        format!("INSERT INTO {table} SELECT * FROM mallory.data"),
        format!("DELETE FROM {table}"),
        format!("TRUNCATE {table}"),
    ] {
        assert_eq!(sqlstate(&mut m, &attack), "42501", "{attack}");
    }
    // A superuser retrains the project from its snapshot: it reads pgml's table only.
    s.execute(
        "app",
        "SELECT * FROM pgml.train('mine', algorithm => 'ridge')",
    )
    .unwrap();
    assert!(!is_superuser(s, "mallory"));
}

#[test]
fn datasets_are_shared_and_never_written_through_another_roles_table() {
    let s = &start_servers(&["sec-dataset"])[0];
    setup(s, "app");
    // A table a role created in pgml before 0.3.0 (when trainers held CREATE there), with a trigger
    // that would run as whoever loads the dataset. Made here as it was then: by the superuser, then
    // handed to mallory.
    s.execute(
        "app",
        "CREATE FUNCTION mallory.evil() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN ALTER ROLE mallory SUPERUSER; RETURN NEW; END $$;
         ALTER FUNCTION mallory.evil() OWNER TO mallory;
         CREATE TABLE pgml.wine (alcohol real);
         ALTER TABLE pgml.wine OWNER TO mallory;
         CREATE TRIGGER t BEFORE INSERT OR DELETE ON pgml.wine FOR EACH STATEMENT EXECUTE FUNCTION mallory.evil();
         ALTER TABLE pgml.wine OWNER TO mallory;",
    )
    .unwrap();
    let mut su = s.connect("app").unwrap();
    assert!(
        message(&mut su, "SELECT pgml.load_dataset('wine')").contains("was not created by pgml")
    );
    assert!(!is_superuser(s, "mallory"));

    // A trainer cannot empty (or shrink) a shared dataset table; a full reload is harmless.
    let mut m = login(s, "mallory", "app");
    assert_eq!(
        sqlstate(&mut m, "SELECT pgml.load_dataset('iris', \"limit\" => 0)"),
        "42501"
    );
    assert_eq!(sqlstate(&mut m, "DELETE FROM pgml.iris"), "42501");
    m.batch_execute("SELECT pgml.load_dataset('iris')").unwrap();
    let rows: i64 = m
        .query_one("SELECT count(*) FROM pgml.iris", &[])
        .unwrap()
        .get(0);
    assert_eq!(rows, 150);
    // The extension's owner may shrink it (it is the table's owner).
    su.batch_execute("SELECT pgml.load_dataset('iris', \"limit\" => 10)")
        .unwrap();
    let rows: i64 = m
        .query_one("SELECT count(*) FROM pgml.iris", &[])
        .unwrap()
        .get(0);
    assert_eq!(rows, 10);
}

#[test]
fn projects_belong_to_their_owners() {
    let s = &start_servers(&["sec-projects"])[0];
    setup(s, "app");
    s.execute(
        "app",
        "CREATE ROLE data_team NOLOGIN; GRANT pgml_trainer TO data_team; GRANT data_team TO alice, bob;
         GRANT USAGE ON SCHEMA alice TO bob;",
    )
    .unwrap();
    let mut a = login(s, "alice", "app");
    a.batch_execute(
        "CREATE TABLE alice.people AS
           SELECT 'person' || g || '@example.com' AS email, (g % 3)::real AS x, (g % 2 = 0) AS label
             FROM generate_series(1, 200) g;
         GRANT SELECT ON alice.people TO bob, data_team;
         GRANT USAGE ON SCHEMA alice TO data_team;
         SELECT * FROM pgml.train('alice', 'classification', 'alice.people', 'label');",
    )
    .unwrap();
    let owner: String = a
        .query_one("SELECT owner FROM pgml.projects WHERE name = 'alice'", &[])
        .unwrap()
        .get(0);
    assert_eq!(owner, "alice");

    // mallory: no right on alice's project.
    let mut m = login(s, "mallory", "app");
    let predict = "SELECT pgml.predict('alice', r) FROM (SELECT 'person1@example.com'::text AS email, 1::real AS x) r";
    for (what, sql) in [
        ("deploy", "SELECT * FROM pgml.deploy('alice', 'most_recent')"),
        ("deploy by id", "SELECT * FROM pgml.deploy(1)"),
        ("retrain", "SELECT * FROM pgml.train('alice', algorithm => 'ridge')"),
        ("train into", "SELECT * FROM pgml.train('alice', 'classification', 'pgml.iris', 'target')"),
        ("predict", predict),
        ("predict by id", "SELECT pgml.predict(1::bigint, ARRAY[1, 2]::real[])"),
        ("predict_proba", "SELECT pgml.predict_proba('alice', ARRAY[1, 2]::real[])"),
        ("export", "SELECT pgml.export_models(ARRAY['alice'])"),
        ("export by id", "SELECT pgml.export_models(model_ids => ARRAY[1]::bigint[])"),
        ("grant to itself", "SELECT * FROM pgml.grant_project('alice', 'all', 'mallory')"),
        ("rename", "UPDATE pgml.projects SET name = 'x'"),
        ("overwrite metrics", "UPDATE pgml.models SET metrics = '{\"f1\": 1}'"),
        ("swap model bytes", "UPDATE pgml.files SET data = data"),
        ("read model bytes", "SELECT data FROM pgml.files"),
        ("delete", "DELETE FROM pgml.projects"),
        ("insert a deployment", "INSERT INTO pgml.deployments (project_id, model_id, strategy) VALUES (1, 1, 'specific')"),
    ] {
        assert_eq!(sqlstate(&mut m, sql), "42501", "{what}: {sql}");
    }
    // Data leaking through the catalog: alice's categories (e-mail addresses) and labels.
    let seen: i64 = m
        .query_one(
            "SELECT (SELECT count(*) FROM pgml.models) + (SELECT count(*) FROM pgml.projects)
                  + (SELECT count(*) FROM pgml.snapshots) + (SELECT count(*) FROM pgml.deployments)
                  + (SELECT count(*) FROM pgml.trained_models) + (SELECT count(*) FROM pgml.deployed_models)",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(seen, 0, "mallory sees alice's catalog rows");
    assert!(message(&mut m, predict).contains("pgml.grant_project('alice', 'predict', 'mallory')"));
    // A package of everything holds only what the caller may see: nothing here.
    assert_eq!(sqlstate(&mut m, "SELECT pgml.export_models()"), "55000");

    // Granting: carol may predict, and only predict, until it is revoked; public likewise.
    let mut c = login(s, "carol", "app");
    assert_eq!(sqlstate(&mut c, predict), "42501");
    a.batch_execute("SELECT * FROM pgml.grant_project('alice', 'predict', 'carol')")
        .unwrap();
    c.batch_execute(predict).unwrap();
    let visible: i64 = c
        .query_one("SELECT count(*) FROM pgml.trained_models", &[])
        .unwrap()
        .get(0);
    assert_eq!(visible, 1);
    assert_eq!(
        sqlstate(&mut c, "SELECT * FROM pgml.deploy('alice', 'most_recent')"),
        "42501"
    );
    a.batch_execute("SELECT * FROM pgml.revoke_project('alice', 'predict', 'carol')")
        .unwrap();
    assert_eq!(sqlstate(&mut c, predict), "42501");
    a.batch_execute("SELECT * FROM pgml.grant_project('alice', 'predict', 'public')")
        .unwrap();
    c.batch_execute(predict).unwrap();
    m.batch_execute(predict).unwrap();
    a.batch_execute("SELECT * FROM pgml.revoke_project('alice', 'all', 'public')")
        .unwrap();
    assert_eq!(sqlstate(&mut c, predict), "42501");
    assert_eq!(
        sqlstate(
            &mut a,
            "SELECT * FROM pgml.grant_project('alice', 'own', 'carol')"
        ),
        "22023"
    );
    assert_eq!(
        sqlstate(
            &mut a,
            "SELECT * FROM pgml.grant_project('alice', 'predict', 'no_such_role')"
        ),
        "42704"
    );

    // A project owned by a group role: every member holds every right on it.
    a.batch_execute(
        "SET ROLE data_team;
         SELECT * FROM pgml.train('team', 'classification', 'alice.people', 'label', algorithm => 'ridge');
         RESET ROLE;",
    )
    .unwrap();
    let mut b = login(s, "bob", "app");
    b.batch_execute(
        "SELECT * FROM pgml.deploy('team', 'most_recent');
         SELECT * FROM pgml.train('team', algorithm => 'linear');
         SELECT * FROM pgml.grant_project('team', 'predict', 'carol');",
    )
    .unwrap();
    c.batch_execute("SELECT pgml.predict('team', r) FROM (SELECT 'person1@example.com'::text AS email, 1::real AS x) r")
        .unwrap();

    // Model files are immutable, even for a superuser (short of dropping the trigger).
    let mut su = s.connect("app").unwrap();
    assert_eq!(
        sqlstate(&mut su, "UPDATE pgml.files SET data = data"),
        "42501"
    );
}

#[test]
fn the_first_train_of_a_new_project_is_race_free() {
    let s = &start_servers(&["sec-race"])[0];
    setup(s, "app");
    s.execute("app", "GRANT pgml_trainer TO carol").unwrap();
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let url = s.url_as("alice", "alice", "app");
            std::thread::spawn(move || {
                let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
                (0..5)
                    .map(|_| {
                        c.batch_execute(
                            "SELECT * FROM pgml.train('race', 'classification', 'pgml.iris', 'target', algorithm => 'ridge')",
                        )
                        .map_err(|e| format!("connection {i}: {e:?}"))
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let failures: Vec<String> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .filter_map(Result::err)
        .collect();
    assert!(failures.is_empty(), "{failures:#?}");
    assert_eq!(
        s.query_text(
            "app",
            "SELECT count(*) || ' ' || (SELECT count(*) FROM pgml.models) FROM pgml.projects"
        )
        .unwrap()
        .as_deref(),
        Some("1 20")
    );
    // Of two roles racing for a new name, the loser is refused, not merged into the winner's project.
    let mut m = login(s, "mallory", "app");
    assert_eq!(
        sqlstate(
            &mut m,
            "SELECT * FROM pgml.train('race', 'classification', 'pgml.iris', 'target')"
        ),
        "42501"
    );
}

#[test]
fn no_rust_backtrace_reaches_a_client() {
    // A server whose environment asks for backtraces, as a developer's shell may.
    std::env::set_var("RUST_BACKTRACE", "1");
    let s = &start_servers(&["sec-backtrace"])[0];
    database_with_pgml(s, "app");
    let mut c = s.connect("app").unwrap();
    let err = c
        .batch_execute("SELECT * FROM pgml.train('p', 'regression', 'no_such_table', 'y')")
        .unwrap_err();
    let db = err.as_db_error().unwrap();
    assert_eq!(db.code().code(), "42P01");
    let detail = db.detail().unwrap_or_default();
    assert!(
        !detail.contains("pgrx") && !detail.contains("std::"),
        "{detail}"
    );
}

/// A superuser whose search_path puts a schema a trainer writes before pg_catalog: every function
/// and operator pgml's own SQL uses that the trainer could shadow there is shadowed with a payload,
/// and the superuser trains, snapshots, deploys, predicts, grants, exports and loads a dataset.
/// pgml's queries run with a fixed search_path, so none of the payloads runs.
#[test]
fn a_superuser_search_path_cannot_reach_a_trainers_objects() {
    let s = &start_servers(&["sec-path"])[0];
    setup(s, "app");
    let mut m = login(s, "mallory", "app");
    m.batch_execute(&format!(
        "CREATE FUNCTION mallory.evil_eq(bigint, bigint) RETURNS boolean LANGUAGE plpgsql AS $$ {PAYLOAD} $$;
         CREATE OPERATOR mallory.= (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = mallory.evil_eq);
         CREATE FUNCTION mallory.evil_text_eq(text, text) RETURNS boolean LANGUAGE plpgsql AS $$ {PAYLOAD} $$;
         CREATE OPERATOR mallory.= (LEFTARG = text, RIGHTARG = text, FUNCTION = mallory.evil_text_eq);
         CREATE FUNCTION mallory.format_type(oid, integer) RETURNS text LANGUAGE plpgsql AS $$ BEGIN ALTER ROLE mallory SUPERUSER; RETURN 'real'; END $$;
         CREATE FUNCTION mallory.to_regclass(text) RETURNS regclass LANGUAGE plpgsql AS $$ BEGIN ALTER ROLE mallory SUPERUSER; RETURN NULL; END $$;
         CREATE FUNCTION mallory.pg_has_role(oid, text) RETURNS boolean LANGUAGE plpgsql AS $$ {PAYLOAD} $$;
         CREATE FUNCTION mallory.quote_ident(text) RETURNS text LANGUAGE plpgsql AS $$ BEGIN ALTER ROLE mallory SUPERUSER; RETURN $1; END $$;
         CREATE FUNCTION mallory.clock_timestamp() RETURNS timestamptz LANGUAGE plpgsql AS $$ BEGIN ALTER ROLE mallory SUPERUSER; RETURN now(); END $$;
         CREATE FUNCTION mallory.unnest(boolean[]) RETURNS SETOF boolean LANGUAGE plpgsql AS $$ BEGIN ALTER ROLE mallory SUPERUSER; RETURN; END $$;
         GRANT USAGE ON SCHEMA mallory TO PUBLIC;"
    ))
    .unwrap();
    let mut su = s.connect("app").unwrap();
    su.batch_execute(
        "SET search_path = mallory, pg_catalog, public;
         CREATE TABLE public.flags AS SELECT x::real AS x, ARRAY[x > 2, x > 5] AS b, (x > 4) AS y FROM generate_series(1, 40) x;
         SELECT * FROM pgml.snapshot('flags', 'y');
         SELECT * FROM pgml.train('path', 'classification', 'flags', 'y');
         SELECT * FROM pgml.train('path', algorithm => 'xgboost', hyperparams => '{\"n_estimators\": 5}');
         SELECT * FROM pgml.deploy('path', 'best_score');
         SELECT pgml.predict('path', r) FROM (SELECT 3::real AS x, ARRAY[true, false] AS b) r;
         SELECT pgml.predict((SELECT max(id) FROM pgml.models), ARRAY[1, 1, 0]::real[]);
         SELECT * FROM pgml.grant_project('path', 'predict', 'carol');
         SELECT length(pgml.export_models(ARRAY['path']));
         SELECT pgml.load_dataset('wine');",
    )
    .unwrap();
    assert!(
        !is_superuser(s, "mallory"),
        "a payload ran as the superuser"
    );
    // The control: the trap is armed, and the same search_path does run it from a query that
    // does not pin its path.
    su.batch_execute("SELECT 1::bigint = 1::bigint").unwrap();
    assert!(
        is_superuser(s, "mallory"),
        "the trap did not work, so the test proves nothing"
    );
}
