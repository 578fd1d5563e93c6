-- Who may call what (run last, when every function exists). PostgreSQL grants EXECUTE on a new
-- function to PUBLIC; pgml takes that back and grants by role instead:
--   pgml_predictor: predict and read what it was granted (schema USAGE comes with the role);
--   pgml_trainer (a member of pgml_predictor): train, deploy, snapshot, load datasets, export,
--   import, and grant rights on its own projects.
-- pgml's internal functions (trigger functions, pgml.catalog_subscription, pgml.repair_sequences,
-- pgml.restoring_into_used_table) are called by pgml as the extension's owner, and by nobody else.
DO $privileges$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN SELECT p.oid::regprocedure FROM pg_catalog.pg_proc p
              WHERE p.pronamespace OPERATOR(pg_catalog.=) 'pgml'::pg_catalog.regnamespace LOOP
        EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
    END LOOP;
    FOR f IN SELECT p.oid::regprocedure FROM pg_catalog.pg_proc p
              WHERE p.pronamespace OPERATOR(pg_catalog.=) 'pgml'::pg_catalog.regnamespace
                AND p.proname OPERATOR(pg_catalog.=) ANY (ARRAY['predict', 'predict_proba', 'predict_batch',
                    'predict_joint', 'decompose', 'version', 'project_allows', 'project_visible']::pg_catalog.name[]) LOOP
        EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO pgml_predictor', f);
    END LOOP;
    FOR f IN SELECT p.oid::regprocedure FROM pg_catalog.pg_proc p
              WHERE p.pronamespace OPERATOR(pg_catalog.=) 'pgml'::pg_catalog.regnamespace
                AND p.proname OPERATOR(pg_catalog.=) ANY (ARRAY['train', '_train', 'train_joint', '_train_joint', 'deploy', '_deploy', 'snapshot',
                    '_snapshot', 'load_dataset', '_load_dataset', 'export_models', 'import_models', 'grant_project', '_dist_worker',
                    'revoke_project']::pg_catalog.name[]) LOOP
        EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO pgml_trainer', f);
    END LOOP;
END
$privileges$;
