//! ALTER EXTENSION pgml UPDATE from every released version gives exactly the schema a fresh
//! CREATE EXTENSION gives, and keeps the catalog's rows. The install scripts of earlier releases
//! are kept in tests/fixtures (as a package of the old version would have installed them).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic is the test's failure report

use std::path::PathBuf;

use pgml_e2e::{seed_catalog, start_servers, table_fingerprint, Server, CATALOG_TABLES, VERSION};

/// Releases before the current one, oldest first, each with its install script in tests/fixtures.
const EARLIER: [&str; 3] = ["0.1.0", "0.2.0", "0.3.0"];

/// Everything the extension defines in the pgml schema, one line per object, sorted.
const DESCRIBE: &str = r#"
SELECT string_agg(line, E'\n' ORDER BY line) FROM (
    SELECT format('column %s.%s %s %s notnull=%s default=%s', c.relname, a.attnum, a.attname,
                  format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(d.adbin, d.adrelid)) AS line
      FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
      LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
     WHERE c.relnamespace = 'pgml'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped
       AND c.relname NOT LIKE 'snapshot\_%'
    UNION ALL
    SELECT format('constraint %s %s %s', conrelid::regclass, conname, pg_get_constraintdef(oid))
      FROM pg_constraint WHERE connamespace = 'pgml'::regnamespace
    UNION ALL
    SELECT format('index %s', pg_get_indexdef(indexrelid))
      FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relnamespace = 'pgml'::regnamespace
    UNION ALL
    SELECT format('trigger %s %s', pg_get_triggerdef(t.oid), t.tgenabled)
      FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
     WHERE c.relnamespace = 'pgml'::regnamespace AND NOT t.tgisinternal
    UNION ALL
    SELECT format('function %s(%s) returns %s %s volatile=%s parallel=%s strict=%s src=%s definer=%s config=%s owner=%s acl=%s',
                  p.proname, pg_get_function_identity_arguments(p.oid), pg_get_function_result(p.oid),
                  pg_get_function_arguments(p.oid), p.provolatile, p.proparallel, p.proisstrict, md5(p.prosrc),
                  p.prosecdef, p.proconfig, pg_get_userbyid(p.proowner),
                  (SELECT string_agg(format('%s:%s', CASE WHEN a.grantee = 0 THEN 'public' ELSE pg_get_userbyid(a.grantee) END,
                                            a.privilege_type), ',' ORDER BY 1)
                     FROM aclexplode(coalesce(p.proacl, acldefault('f'::"char", p.proowner))) a))
      FROM pg_proc p WHERE p.pronamespace = 'pgml'::regnamespace
    UNION ALL
    SELECT format('relation %s kind=%s owner=%s rls=%s force=%s options=%s acl=%s', c.relname, c.relkind,
                  pg_get_userbyid(c.relowner), c.relrowsecurity, c.relforcerowsecurity, c.reloptions,
                  (SELECT string_agg(format('%s:%s', CASE WHEN a.grantee = 0 THEN 'public' ELSE pg_get_userbyid(a.grantee) END,
                                            a.privilege_type), ',' ORDER BY 1)
                     FROM aclexplode(coalesce(c.relacl, acldefault((CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END)::"char", c.relowner))) a))
      FROM pg_class c
     WHERE c.relnamespace = 'pgml'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
       AND c.relname NOT LIKE 'snapshot\_%'
    UNION ALL
    SELECT format('policy %s on %s for %s to %s using %s check %s', pol.polname, pol.polrelid::regclass, pol.polcmd,
                  pol.polroles::regrole[], pg_get_expr(pol.polqual, pol.polrelid),
                  pg_get_expr(pol.polwithcheck, pol.polrelid))
      FROM pg_policy pol JOIN pg_class c ON c.oid = pol.polrelid
     WHERE c.relnamespace = 'pgml'::regnamespace
    UNION ALL
    SELECT format('schema pgml owner=%s acl=%s', pg_get_userbyid(n.nspowner),
                  (SELECT string_agg(format('%s:%s', CASE WHEN a.grantee = 0 THEN 'public' ELSE pg_get_userbyid(a.grantee) END,
                                            a.privilege_type), ',' ORDER BY 1)
                     FROM aclexplode(coalesce(n.nspacl, acldefault('n'::"char", n.nspowner))) a))
      FROM pg_namespace n WHERE n.nspname = 'pgml'
    UNION ALL
    SELECT format('role %s login=%s super=%s member_of=%s', r.rolname, r.rolcanlogin, r.rolsuper,
                  (SELECT string_agg(m.roleid::regrole::text, ',' ORDER BY 1) FROM pg_auth_members m WHERE m.member = r.oid))
      FROM pg_roles r WHERE r.rolname IN ('pgml_trainer', 'pgml_predictor')
    UNION ALL
    SELECT format('view %s %s', c.relname, md5(pg_get_viewdef(c.oid)))
      FROM pg_class c WHERE c.relnamespace = 'pgml'::regnamespace AND c.relkind = 'v'
    UNION ALL
    SELECT format('enum %s %s', t.typname, string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder))
      FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
     WHERE t.typnamespace = 'pgml'::regnamespace GROUP BY t.typname
    UNION ALL
    SELECT format('member %s', pg_describe_object(classid, objid, 0))
      FROM pg_depend WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
       AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pgml')
    UNION ALL
    SELECT format('dumped %s', string_agg(x::regclass::text, ',' ORDER BY x::regclass::text))
      FROM pg_extension, unnest(extconfig) x WHERE extname = 'pgml'
) objects
"#;

fn install_earlier_scripts(server: &Server) {
    let sharedir = server
        .query_text(
            "postgres",
            "SELECT setting FROM pg_config WHERE name = 'SHAREDIR'",
        )
        .unwrap()
        .expect("SHAREDIR");
    let dir = PathBuf::from(sharedir).join("extension");
    for version in EARLIER {
        let name = format!("pgml--{version}.sql");
        let fixture = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(&name);
        let installed = dir.join(&name);
        if !installed.exists() {
            std::fs::copy(&fixture, &installed).unwrap_or_else(|e| {
                panic!(
                    "cannot copy {} to {} (run the tests as root, like scripts/test): {e}",
                    fixture.display(),
                    installed.display()
                )
            });
        }
    }
}

#[test]
fn updating_from_every_release_gives_the_fresh_schema_and_keeps_the_catalog() {
    let server = start_servers(&["upgrade"]).remove(0);
    install_earlier_scripts(&server);
    server.create_database("fresh").unwrap();
    server.execute("fresh", "CREATE EXTENSION pgml").unwrap();
    let fresh = server.query_text("fresh", DESCRIBE).unwrap().unwrap();
    assert!(
        fresh.contains("function import_models(package bytea, deploy boolean)"),
        "{fresh}"
    );

    for version in EARLIER {
        let db = format!("from_{}", version.replace('.', "_"));
        server.create_database(&db).unwrap();
        server
            .execute(&db, &format!("CREATE EXTENSION pgml VERSION '{version}'"))
            .unwrap();
        seed_catalog(&server, &db);
        let rows: Vec<String> = CATALOG_TABLES
            .iter()
            .map(|t| table_fingerprint(&server, &db, &format!("(SELECT id FROM {t})")))
            .collect();

        server.execute(&db, "ALTER EXTENSION pgml UPDATE").unwrap();
        assert_eq!(
            server
                .query_text(
                    &db,
                    "SELECT extversion FROM pg_extension WHERE extname = 'pgml'"
                )
                .unwrap()
                .as_deref(),
            Some(VERSION)
        );
        let upgraded = server.query_text(&db, DESCRIBE).unwrap().unwrap();
        if upgraded != fresh {
            let only = |a: &str, b: &str| -> Vec<String> {
                a.lines()
                    .filter(|l| !b.lines().any(|m| m == *l))
                    .map(str::to_string)
                    .collect()
            };
            panic!(
                "{version} updated differs from a fresh install:\nonly after the update:\n  {}\nonly in a fresh install:\n  {}",
                only(&upgraded, &fresh).join("\n  "),
                only(&fresh, &upgraded).join("\n  ")
            );
        }
        let after: Vec<String> = CATALOG_TABLES
            .iter()
            .map(|t| table_fingerprint(&server, &db, &format!("(SELECT id FROM {t})")))
            .collect();
        assert_eq!(rows, after, "the catalog's rows survive the update");
        // And the updated catalog works: train, deploy, predict, export.
        server
            .execute(
                &db,
                "SELECT pgml.load_dataset('iris');
                 SELECT * FROM pgml.train('after update', 'classification', 'pgml.iris', 'target');
                 SELECT pgml.predict('after update', ARRAY[5.1, 3.5, 1.4, 0.2]::real[]);
                 SELECT length(pgml.export_models(ARRAY['after update']));",
            )
            .unwrap();
    }
}
