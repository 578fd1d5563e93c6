//! The `pgml` schema's catalog: the DDL is hand-written SQL in `schema.sql`, run first when the
//! extension is created; typed access to each table lives in the module named after it.

pub mod deployment;
pub mod guard;
pub mod model;
pub mod project;
pub mod snapshot;

pgrx::extension_sql_file!("schema.sql", name = "catalog", bootstrap);
pgrx::extension_sql_file!("privileges.sql", name = "privileges", finalize);

#[cfg(any(test, feature = "pg_test"))]
#[pgrx::pg_schema]
// #[pg_test] bodies run inside PostgreSQL, where clippy does not see them as tests; a panic there
// is the failure report, as in any test.
#[allow(clippy::unwrap_used, clippy::expect_used)]
pub mod tests {
    use pgrx::prelude::*;

    /// Every table and sequence the extension owns must be registered for pg_dump, or its rows
    /// silently vanish from dumps (PostgresML's bug). This catches a table added without it.
    #[pg_test]
    fn every_catalog_table_and_sequence_is_dumpable() {
        let missing = Spi::get_one::<String>(
            "SELECT string_agg(c.oid::regclass::text, ', ' ORDER BY c.relname)
               FROM pg_class c
               JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid
                               AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
               JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'pgml'
              WHERE c.relkind IN ('r', 'p', 'S')
                AND NOT c.oid = ANY (coalesce(e.extconfig, '{}'))",
        );
        assert_eq!(
            missing,
            Ok(None),
            "not registered with pg_extension_config_dump"
        );

        let registered = Spi::get_one::<String>(
            "SELECT string_agg(c::regclass::text, ',' ORDER BY c::regclass::text)
               FROM pg_extension e, unnest(e.extconfig) AS c
              WHERE e.extname = 'pgml'",
        );
        assert_eq!(
            registered,
            Ok(Some(
                "pgml.deployments,pgml.deployments_id_seq,pgml.files,pgml.files_id_seq,\
                 pgml.models,pgml.models_id_seq,pgml.projects,pgml.projects_id_seq,\
                 pgml.snapshots,pgml.snapshots_id_seq"
                    .to_string()
            ))
        );
    }

    /// The schema must not be an extension member: pg_dump -n skips configuration-table data in a
    /// member schema (checked against PostgreSQL 15's pg_dump).
    #[pg_test]
    fn pgml_schema_is_not_an_extension_member() {
        let member = Spi::get_one::<bool>(
            "SELECT EXISTS (SELECT 1 FROM pg_depend
                             WHERE classid = 'pg_namespace'::regclass
                               AND objid = 'pgml'::regnamespace
                               AND deptype = 'e')",
        );
        assert_eq!(member, Ok(Some(false)));
    }

    #[pg_test]
    fn enums_have_the_postgresml_values() {
        let labels = |t: &str| {
            Spi::get_one::<String>(&format!(
                "SELECT string_agg(enumlabel::text, ',' ORDER BY enumsortorder)
                   FROM pg_enum WHERE enumtypid = '{t}'::regtype"
            ))
        };
        let ok = |s: &str| Ok(Some(s.to_string()));
        assert_eq!(
            labels("pgml.task"),
            ok("regression,classification,decomposition,clustering")
        );
        assert_eq!(
            labels("pgml.strategy"),
            ok("new_score,best_score,most_recent,rollback,specific")
        );
        assert_eq!(labels("pgml.sampling"), ok("random,last,stratified"));
        assert_eq!(labels("pgml.status"), ok("in_progress,successful,failed"));
        assert_eq!(labels("pgml.search"), ok("grid,random"));
        assert_eq!(labels("pgml.runtime"), ok("python,rust"));
        let algorithms = labels("pgml.algorithm").unwrap().unwrap();
        for a in [
            "linear",
            "ridge",
            "lasso",
            "elastic_net",
            "xgboost",
            "random_forest",
            "kmeans",
            "pca",
        ] {
            assert!(
                algorithms.split(',').any(|x| x == a),
                "pgml.algorithm lacks {a}"
            );
        }
    }

    fn insert_model() -> i64 {
        Spi::run("INSERT INTO pgml.projects (name, task) VALUES ('t', 'regression')").unwrap();
        Spi::get_one::<i64>(
            "INSERT INTO pgml.models (project_id, num_features, algorithm, status)
             SELECT id, 3, 'linear', 'successful' FROM pgml.projects WHERE name = 't'
             RETURNING id",
        )
        .unwrap()
        .unwrap()
    }

    #[pg_test]
    fn file_parts_keep_order_and_checksum() {
        let model = insert_model();
        Spi::run(&format!(
            "INSERT INTO pgml.files (model_id, path, part, data, checksum)
             VALUES ({model}, 'model', 0, 'abc', sha256('abc')),
                    ({model}, 'model', 1, 'def', sha256('def'))"
        ))
        .unwrap();
        let bytes = Spi::get_one::<Vec<u8>>(&format!(
            "SELECT string_agg(data, ''::bytea ORDER BY part) FROM pgml.files WHERE model_id = {model}"
        ));
        assert_eq!(bytes, Ok(Some(b"abcdef".to_vec())));
    }

    #[pg_test(
        error = "new row for relation \"files\" violates check constraint \"files_checksum_check\""
    )]
    fn file_part_checksum_must_be_32_bytes() {
        let model = insert_model();
        Spi::run(&format!(
            "INSERT INTO pgml.files (model_id, path, part, data, checksum)
             VALUES ({model}, 'model', 0, 'abc', '\\x00')"
        ))
        .unwrap();
    }

    #[pg_test(
        error = "duplicate key value violates unique constraint \"files_model_id_path_part_key\""
    )]
    fn file_part_numbers_are_unique_per_path() {
        let model = insert_model();
        Spi::run(&format!(
            "INSERT INTO pgml.files (model_id, path, part, data, checksum)
             VALUES ({model}, 'model', 0, 'a', sha256('a')), ({model}, 'model', 0, 'b', sha256('b'))"
        ))
        .unwrap();
    }

    #[pg_test(error = "duplicate key value violates unique constraint \"projects_name_key\"")]
    fn project_names_are_unique() {
        Spi::run("INSERT INTO pgml.projects (name, task) VALUES ('p', 'regression'), ('p', 'clustering')")
            .unwrap();
    }

    #[pg_test]
    fn deleting_a_project_removes_its_models_files_and_deployments() {
        let model = insert_model();
        Spi::run(&format!(
            "INSERT INTO pgml.files (model_id, path, part, data, checksum) VALUES ({model}, 'm', 0, 'a', sha256('a'));
             INSERT INTO pgml.deployments (project_id, model_id, strategy)
             SELECT project_id, id, 'most_recent' FROM pgml.models WHERE id = {model};
             DELETE FROM pgml.projects WHERE name = 't'"
        ))
        .unwrap();
        let left = Spi::get_one::<i64>(
            "SELECT (SELECT count(*) FROM pgml.models) + (SELECT count(*) FROM pgml.files)
                  + (SELECT count(*) FROM pgml.deployments)",
        );
        assert_eq!(left, Ok(Some(0)));
    }
}
