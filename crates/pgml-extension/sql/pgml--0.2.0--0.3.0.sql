-- pgml 0.2.0 → 0.3.0: rights. Schema pgml writable by the extension's owner only; roles pgml_trainer and
-- pgml_predictor; projects owned by the role that created them, with grants (pgml.grant_project); the
-- catalog written only through pgml's functions and read through row-level security; model files
-- immutable; every pgml SQL function with a fixed search_path. The install script of 0.3.0 is
-- src/catalog/schema.sql plus the Rust functions; tests/upgrade.rs checks that both give the same schema.
--
-- Run it on inference servers (subscribers of a replicated catalog) before the training server: the
-- new columns must exist on the subscriber before rows that have them arrive.

-- Before 0.3.0 trainers were told to hold CREATE on schema pgml. A function or operator one of them
-- put there could be chosen by pgml's own SQL (run by a superuser): refuse to upgrade until it is gone.
DO $foreign$
DECLARE
    found text;
BEGIN
    SELECT string_agg(d, ', ') INTO found FROM (
        SELECT pg_catalog.format('function %s owned by %s', p.oid::pg_catalog.regprocedure,
                                 pg_catalog.pg_get_userbyid(p.proowner)) AS d
          FROM pg_catalog.pg_proc p
         WHERE p.pronamespace OPERATOR(pg_catalog.=) 'pgml'::pg_catalog.regnamespace
           AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend dep
                            WHERE dep.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass
                              AND dep.objid OPERATOR(pg_catalog.=) p.oid AND dep.deptype OPERATOR(pg_catalog.=) 'e')
        UNION ALL
        SELECT pg_catalog.format('operator %s owned by %s', o.oid::pg_catalog.regoperator,
                                 pg_catalog.pg_get_userbyid(o.oprowner))
          FROM pg_catalog.pg_operator o
         WHERE o.oprnamespace OPERATOR(pg_catalog.=) 'pgml'::pg_catalog.regnamespace
        UNION ALL
        SELECT pg_catalog.format('type %s owned by %s', t.oid::pg_catalog.regtype,
                                 pg_catalog.pg_get_userbyid(t.typowner))
          FROM pg_catalog.pg_type t
         WHERE t.typnamespace OPERATOR(pg_catalog.=) 'pgml'::pg_catalog.regnamespace
           AND t.typtype OPERATOR(pg_catalog.<>) 'c' AND t.typcategory OPERATOR(pg_catalog.<>) 'A'
           AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend dep
                            WHERE dep.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_type'::pg_catalog.regclass
                              AND dep.objid OPERATOR(pg_catalog.=) t.oid AND dep.deptype OPERATOR(pg_catalog.=) 'e')
    ) objects;
    IF found IS NOT NULL THEN
        RAISE EXCEPTION 'schema pgml holds objects pgml did not create: %', found
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'pgml 0.3.0 lets nobody but the extension''s owner create objects in schema pgml: drop these (or move them with ALTER ... SET SCHEMA) and run ALTER EXTENSION pgml UPDATE again';
    END IF;
END
$foreign$;

DO $roles$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) 'pgml_predictor') THEN
        CREATE ROLE pgml_predictor NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) 'pgml_trainer') THEN
        CREATE ROLE pgml_trainer NOLOGIN;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles
                WHERE rolname OPERATOR(pg_catalog.=) ANY (ARRAY['pgml_predictor', 'pgml_trainer']::pg_catalog.name[])
                  AND (rolsuper OR rolcanlogin OR rolbypassrls OR rolcreaterole OR rolreplication)) THEN
        RAISE EXCEPTION 'role pgml_trainer or pgml_predictor exists with login or administrative attributes'
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'pgml creates both as NOLOGIN roles with no attributes; drop or rename the existing ones, then CREATE EXTENSION pgml';
    END IF;
END
$roles$;
GRANT pgml_predictor TO pgml_trainer;

-- Nobody but the owner keeps a right on the schema, the catalog, its sequences or its views (0.2.0's
-- documentation had trainers granted CREATE, INSERT and UPDATE). Snapshot and dataset tables a role
-- created itself stay its own; pgml no longer reads or writes them.
DO $revoke$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT DISTINCT a.grantee
               FROM pg_catalog.pg_namespace n, pg_catalog.aclexplode(n.nspacl) a
              WHERE n.nspname OPERATOR(pg_catalog.=) 'pgml' AND a.grantee OPERATOR(pg_catalog.<>) n.nspowner LOOP
        EXECUTE pg_catalog.format('REVOKE ALL ON SCHEMA pgml FROM %s',
            CASE WHEN r.grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC'
                 ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(r.grantee)) END);
    END LOOP;
    FOR r IN SELECT DISTINCT c.oid::pg_catalog.regclass AS rel, c.relkind, a.grantee
               FROM pg_catalog.pg_class c, pg_catalog.aclexplode(c.relacl) a
              WHERE c.relnamespace OPERATOR(pg_catalog.=) 'pgml'::pg_catalog.regnamespace
                AND c.relname OPERATOR(pg_catalog.=) ANY (ARRAY['projects', 'snapshots', 'models', 'files',
                    'deployments', 'projects_id_seq', 'snapshots_id_seq', 'models_id_seq', 'files_id_seq',
                    'deployments_id_seq', 'deployed_models', 'trained_models', 'overview']::pg_catalog.name[])
                AND a.grantee OPERATOR(pg_catalog.<>) c.relowner LOOP
        EXECUTE pg_catalog.format('REVOKE ALL ON %s %s FROM %s',
            CASE WHEN r.relkind OPERATOR(pg_catalog.=) 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, r.rel,
            CASE WHEN r.grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC'
                 ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(r.grantee)) END);
    END LOOP;
END
$revoke$;
REVOKE ALL ON SCHEMA pgml FROM PUBLIC;
GRANT USAGE ON SCHEMA pgml TO pgml_predictor;

-- Existing projects belong to the extension's owner, and keep working for the roles that used them:
-- members of pgml_trainer may train and deploy them, members of pgml_predictor predict with them (as
-- any role with the 0.2.0 grants could). Their owner narrows that with pgml.revoke_project. Columns
-- are added with those values as defaults, then the defaults are set to what new rows get: no row is
-- updated, so this also runs on a subscriber of a replicated catalog.
DO $owner$
DECLARE
    owner_name text := (SELECT pg_catalog.quote_literal(r.rolname)
                          FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) e.extowner
                         WHERE e.extname OPERATOR(pg_catalog.=) 'pgml');
BEGIN
    EXECUTE pg_catalog.format('ALTER TABLE pgml.projects ADD COLUMN owner text NOT NULL DEFAULT %s', owner_name);
    EXECUTE pg_catalog.format('ALTER TABLE pgml.snapshots ADD COLUMN owner text NOT NULL DEFAULT %s', owner_name);
END
$owner$;
ALTER TABLE pgml.projects ADD COLUMN acl jsonb NOT NULL
    DEFAULT '{"pgml_trainer": ["deploy", "train"], "pgml_predictor": ["predict"]}';
ALTER TABLE pgml.projects ALTER COLUMN owner SET DEFAULT CURRENT_USER;
ALTER TABLE pgml.projects ALTER COLUMN acl SET DEFAULT '{}';
ALTER TABLE pgml.snapshots ALTER COLUMN owner SET DEFAULT CURRENT_USER;
ALTER TABLE pgml.projects ADD CONSTRAINT projects_acl_is_object CHECK (jsonb_typeof(acl) = 'object');

-- Every function pgml's SQL calls is schema-qualified with exact argument types, and runs with a
-- fixed search_path.
CREATE OR REPLACE FUNCTION pgml.deployments_check_project() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    owner bigint;
BEGIN
    SELECT project_id INTO owner FROM pgml.models WHERE id = NEW.model_id;
    -- A subscription's initial copy fills the tables in parallel, so the model may not be there
    -- yet; its publisher checked the row already. Found models are checked here too.
    IF owner IS NULL AND current_setting('session_replication_role') = 'replica' THEN
        RETURN NEW;
    END IF;
    IF owner IS DISTINCT FROM NEW.project_id THEN
        RAISE EXCEPTION 'model % belongs to project %, not to project %', NEW.model_id, owner, NEW.project_id
            USING ERRCODE = 'foreign_key_violation',
                  HINT = 'deploy a model of the same project';
    END IF;
    RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION pgml.catalog_subscription() RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT s.subname::text
      FROM pg_catalog.pg_subscription_rel r
      JOIN pg_catalog.pg_subscription s ON s.oid = r.srsubid
     WHERE r.srrelid IN ('pgml.projects'::regclass, 'pgml.snapshots'::regclass, 'pgml.models'::regclass,
                         'pgml.files'::regclass, 'pgml.deployments'::regclass)
     ORDER BY 1
     LIMIT 1
$$;

CREATE OR REPLACE FUNCTION pgml.restoring_into_used_table(schema_name text, table_name text) RETURNS boolean
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    in_use boolean := false;
BEGIN
    IF current_query() ~* '^(\s|--[^\n]*\n)*copy\s' THEN
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I.%I)', schema_name, table_name) INTO in_use;
    END IF;
    RETURN in_use;
END
$$;

CREATE OR REPLACE FUNCTION pgml.catalog_write_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    sub text := pgml.catalog_subscription();
    in_use boolean := false;
BEGIN
    IF sub IS NOT NULL THEN
        RAISE EXCEPTION 'the pgml catalog of this database is replicated from another server (subscription %); it cannot be changed here', sub
            USING ERRCODE = 'read_only_sql_transaction',
                  HINT = 'train, deploy and import on the training server: its models and deployments reach this server by replication';
    END IF;
    -- Nested, so that the sequence is only read by a restore: a plan reading it would need SELECT
    -- on it from every role that trains.
    IF TG_OP = 'INSERT' AND current_query() ~* '^(\s|--[^\n]*\n)*copy\s' THEN
        IF pgml.restoring_into_used_table(TG_TABLE_SCHEMA::text, TG_TABLE_NAME::text) THEN
            in_use := true;
        ELSIF TG_TABLE_NAME <> 'projects' AND EXISTS (SELECT 1 FROM pgml.projects) THEN
            in_use := (SELECT is_called FROM pgml.projects_id_seq);
        END IF;
        IF in_use THEN
            RAISE EXCEPTION 'pgml.% already has rows: restoring another pgml catalog into this database would mix two catalogs', TG_TABLE_NAME
                USING ERRCODE = 'unique_violation',
                      HINT = 'restore into a database whose pgml catalog is empty, or move models between servers with `pgml models export | pgml models import` (or pgml.export_models and pgml.import_models)';
        END IF;
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION pgml.restore_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF pgml.restoring_into_used_table(TG_TABLE_SCHEMA::text, TG_TABLE_NAME::text) THEN
        RAISE EXCEPTION '%.% already has rows: a restore would append another server''s rows to them', TG_TABLE_SCHEMA, TG_TABLE_NAME
            USING ERRCODE = 'unique_violation',
                  HINT = 'restore into a database where pgml has not been used, or move models with `pgml models export | pgml models import`';
    END IF;
    RETURN NULL;
END
$$;

-- Model files are immutable once written: predict caches models by id, and a model's bytes are what
-- its metrics were measured on. pgml never updates them; nobody else may (even the owner, unless it
-- drops this trigger on purpose). ALWAYS, so it holds on subscribers of a replicated catalog too.
CREATE FUNCTION pgml.files_immutable() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RAISE EXCEPTION 'model files cannot be changed (model %, %)', OLD.model_id, OLD.path
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'train a new model, or import one with pgml.import_models';
END
$$;
CREATE TRIGGER files_immutable BEFORE UPDATE ON pgml.files
    FOR EACH ROW EXECUTE FUNCTION pgml.files_immutable();
ALTER TABLE pgml.files ENABLE ALWAYS TRIGGER files_immutable;

-- Whether the current role holds `privilege` ('train', 'deploy', 'predict', or 'any' of them) on a
-- project with this owner and acl: members of the owner (and of the extension's owner, which
-- superusers are) hold every right; others what was granted to a role they are a member of, or to
-- public. A role that no longer exists grants nothing. Used by pgml's functions and by the
-- row-level security policies of the catalog.
CREATE FUNCTION pgml.project_allows(owner text, acl jsonb, privilege text) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT coalesce(pg_has_role(to_regrole(quote_ident(owner)), 'USAGE'), false)
        OR coalesce(pg_has_role((SELECT extowner FROM pg_extension WHERE extname = 'pgml'), 'USAGE'), false)
        OR EXISTS (SELECT 1 FROM jsonb_each(acl) AS g(grantee, privileges)
                    WHERE jsonb_typeof(g.privileges) = 'array'
                      AND (privilege = 'any' OR g.privileges ? privilege)
                      AND (g.grantee = 'public'
                           OR coalesce(pg_has_role(to_regrole(quote_ident(g.grantee)), 'USAGE'), false)))
$$;

-- Who sees what: a role sees the catalog rows of the projects it holds a right on (and the snapshots
-- it took); model bytes (pgml.files) only through pgml's functions, which check the project's rights.
-- The extension's owner and superusers see everything. Writes go through pgml's functions only: no
-- role but the owner has INSERT, UPDATE or DELETE on the catalog.
ALTER TABLE pgml.projects ENABLE ROW LEVEL SECURITY;
ALTER TABLE pgml.snapshots ENABLE ROW LEVEL SECURITY;
ALTER TABLE pgml.models ENABLE ROW LEVEL SECURITY;
ALTER TABLE pgml.files ENABLE ROW LEVEL SECURITY;
ALTER TABLE pgml.deployments ENABLE ROW LEVEL SECURITY;
CREATE POLICY projects_visible ON pgml.projects FOR SELECT
    USING (pgml.project_allows(owner, acl, 'any'));
CREATE POLICY models_visible ON pgml.models FOR SELECT
    USING (EXISTS (SELECT 1 FROM pgml.projects p WHERE p.id = project_id));
CREATE POLICY deployments_visible ON pgml.deployments FOR SELECT
    USING (EXISTS (SELECT 1 FROM pgml.projects p WHERE p.id = project_id));
CREATE POLICY snapshots_visible ON pgml.snapshots FOR SELECT
    USING (pg_has_role(to_regrole(quote_ident(owner)), 'USAGE')
           OR EXISTS (SELECT 1 FROM pgml.models m WHERE m.snapshot_id = snapshots.id));
GRANT SELECT ON pgml.projects, pgml.snapshots, pgml.models, pgml.deployments TO pgml_predictor;

ALTER VIEW pgml.deployed_models SET (security_invoker = true);
ALTER VIEW pgml.trained_models SET (security_invoker = true);
ALTER VIEW pgml.overview SET (security_invoker = true);
ALTER TABLE pgml.models ADD COLUMN feature_importances jsonb;
-- What each tree model looks at: one row per input (a one-hot input is "column=category", an array
-- element "column[i]"), most important first.
CREATE VIEW pgml.feature_importances WITH (security_invoker = true) AS
SELECT m.id AS model_id, p.name AS project, m.algorithm, f.key AS feature, f.value::float8 AS importance
  FROM pgml.models m
  JOIN pgml.projects p ON p.id = m.project_id
 CROSS JOIN LATERAL jsonb_each(m.feature_importances) AS f
 ORDER BY m.id, f.value::float8 DESC, f.key;

GRANT SELECT ON pgml.deployed_models, pgml.trained_models, pgml.overview, pgml.feature_importances TO pgml_predictor;

-- The jsonb arguments reach the Rust functions as text, parsed by pgml (a number beyond a double is a
-- clear error, not an internal one); the SQL wrappers keep PostgresML's signatures and name their
-- casts' types schema-qualified. pgml.load_dataset becomes such a wrapper over pgml._load_dataset.
DROP FUNCTION pgml._train(text, text, text, text, text, jsonb, text, jsonb, jsonb, real, text, text, boolean,
                          boolean, jsonb);
CREATE FUNCTION pgml."_train"(
	"project_name" TEXT, /* Option < & str > */
	"task" TEXT, /* Option < & str > */
	"relation_name" TEXT, /* Option < & str > */
	"y_column_name" TEXT, /* Option < & str > */
	"algorithm" TEXT, /* Option < & str > */
	"hyperparams" TEXT, /* Option < & str > */
	"search" TEXT, /* Option < & str > */
	"search_params" TEXT, /* Option < & str > */
	"search_args" TEXT, /* Option < & str > */
	"test_size" real, /* Option < f32 > */
	"test_sampling" TEXT, /* Option < & str > */
	"runtime" TEXT, /* Option < & str > */
	"automatic_deploy" bool, /* Option < bool > */
	"materialize_snapshot" bool, /* Option < bool > */
	"preprocess" TEXT /* Option < & str > */
) RETURNS TABLE (
	"project" TEXT,  /* String */
	"task" TEXT,  /* String */
	"algorithm" TEXT,  /* String */
	"deployed" bool  /* bool */
)
VOLATILE PARALLEL UNSAFE 
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'train_internal_wrapper';

CREATE OR REPLACE FUNCTION pgml.train(
    project_name text,
    task text DEFAULT NULL,
    relation_name text DEFAULT NULL,
    y_column_name text DEFAULT NULL,
    algorithm pgml.algorithm DEFAULT 'linear',
    hyperparams jsonb DEFAULT '{}',
    search pgml.search DEFAULT NULL,
    search_params jsonb DEFAULT '{}',
    search_args jsonb DEFAULT '{}',
    test_size real DEFAULT 0.25,
    test_sampling pgml.sampling DEFAULT 'stratified',
    runtime pgml.runtime DEFAULT NULL,
    automatic_deploy boolean DEFAULT true,
    materialize_snapshot boolean DEFAULT true,
    preprocess jsonb DEFAULT '{}'
) RETURNS TABLE (project text, task text, algorithm text, deployed boolean)
LANGUAGE sql VOLATILE PARALLEL UNSAFE
AS $$
    SELECT * FROM pgml._train(project_name, task, relation_name, y_column_name, algorithm::pg_catalog.text,
                              hyperparams::pg_catalog.text, search::pg_catalog.text,
                              search_params::pg_catalog.text, search_args::pg_catalog.text, test_size,
                              test_sampling::pg_catalog.text, runtime::pg_catalog.text, automatic_deploy,
                              materialize_snapshot, preprocess::pg_catalog.text)
$$;

DROP FUNCTION pgml._snapshot(text, text, real, text, jsonb);
CREATE FUNCTION pgml."_snapshot"(
	"relation_name" TEXT, /* Option < & str > */
	"y_column_name" TEXT, /* Option < & str > */
	"test_size" real, /* Option < f32 > */
	"test_sampling" TEXT, /* Option < & str > */
	"preprocess" TEXT /* Option < & str > */
) RETURNS TABLE (
	"relation" TEXT,  /* String */
	"y_column_name" TEXT  /* Option < String > */
)
VOLATILE PARALLEL UNSAFE 
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'snapshot_internal_wrapper';

CREATE OR REPLACE FUNCTION pgml.snapshot(relation_name text, y_column_name text, test_size real DEFAULT 0.25,
                              test_sampling pgml.sampling DEFAULT 'stratified', preprocess jsonb DEFAULT '{}')
RETURNS TABLE (relation text, y_column_name text)
LANGUAGE sql VOLATILE PARALLEL UNSAFE
AS $$ SELECT * FROM pgml._snapshot(relation_name, y_column_name, test_size, test_sampling::pg_catalog.text, preprocess::pg_catalog.text) $$;

CREATE OR REPLACE FUNCTION pgml.deploy(project_name text, strategy pgml.strategy, algorithm pgml.algorithm DEFAULT NULL)
RETURNS TABLE (project text, strategy text, algorithm text)
LANGUAGE sql VOLATILE PARALLEL UNSAFE
AS $$ SELECT * FROM pgml._deploy(project_name, strategy::pg_catalog.text, algorithm::pg_catalog.text) $$;

DROP FUNCTION pgml.load_dataset(text, text, bigint, jsonb);
CREATE FUNCTION pgml."_load_dataset"(
	"source" TEXT, /* Option < & str > */
	"subset" TEXT, /* Option < & str > */
	"limit" bigint, /* Option < i64 > */
	"kwargs" TEXT /* Option < & str > */
) RETURNS TABLE (
	"table_name" TEXT,  /* String */
	"rows" bigint  /* i64 */
)
VOLATILE PARALLEL UNSAFE 
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'load_dataset_wrapper';

CREATE FUNCTION pgml.load_dataset(source text, subset text DEFAULT NULL, "limit" bigint DEFAULT NULL,
                                  kwargs jsonb DEFAULT '{}')
RETURNS TABLE (table_name text, "rows" bigint)
LANGUAGE sql VOLATILE PARALLEL UNSAFE
AS $$ SELECT * FROM pgml._load_dataset(source, subset, "limit", kwargs::pg_catalog.text) $$;

-- A project's owner grants rights on it.
CREATE FUNCTION pgml."grant_project"(
	"project_name" TEXT, /* Option < & str > */
	"privilege" TEXT, /* Option < & str > */
	"role_name" TEXT /* Option < & str > */
) RETURNS TABLE (
	"project" TEXT,  /* String */
	"owner" TEXT,  /* String */
	"acl" jsonb  /* pgrx :: JsonB */
)
VOLATILE PARALLEL UNSAFE
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'grant_project_wrapper';

CREATE FUNCTION pgml."revoke_project"(
	"project_name" TEXT, /* Option < & str > */
	"privilege" TEXT, /* Option < & str > */
	"role_name" TEXT /* Option < & str > */
) RETURNS TABLE (
	"project" TEXT,  /* String */
	"owner" TEXT,  /* String */
	"acl" jsonb  /* pgrx :: JsonB */
)
VOLATILE PARALLEL UNSAFE
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'revoke_project_wrapper';

-- Who may call what (as at the end of a fresh install).
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
                    'decompose', 'version', 'project_allows']::pg_catalog.name[]) LOOP
        EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO pgml_predictor', f);
    END LOOP;
    FOR f IN SELECT p.oid::regprocedure FROM pg_catalog.pg_proc p
              WHERE p.pronamespace OPERATOR(pg_catalog.=) 'pgml'::pg_catalog.regnamespace
                AND p.proname OPERATOR(pg_catalog.=) ANY (ARRAY['train', '_train', 'deploy', '_deploy', 'snapshot',
                    '_snapshot', 'load_dataset', '_load_dataset', 'export_models', 'import_models', 'grant_project',
                    'revoke_project']::pg_catalog.name[]) LOOP
        EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO pgml_trainer', f);
    END LOOP;
END
$privileges$;
