-- The pgml catalog. Column names follow PostgresML 2.x so its queries over the catalog keep working;
-- what is added is said where it is added.
--
-- Every table and sequence is registered with pg_extension_config_dump at the end of this file, so that
-- pg_dump (of the database, or -n pgml) carries their rows and sequence positions. PostgresML did not do
-- this, and its models vanished from every dump.

-- Who may use pgml: `GRANT pgml_predictor TO app` lets a role predict with the projects it was granted
-- predict on; `GRANT pgml_trainer TO alice` lets a role train (its projects are its own), deploy and
-- import. Roles belong to the cluster, so a second database's CREATE EXTENSION finds them; a role of
-- that name that is a superuser, or can log in, was not made by pgml and is refused.
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

-- Schema pgml belongs to the role that installs pgml, and nobody else may create objects in it: a
-- function, table or operator another role could put here would be found by pgml's own SQL.
DO $schema$
BEGIN
    IF (SELECT nspowner FROM pg_catalog.pg_namespace WHERE nspname OPERATOR(pg_catalog.=) 'pgml')
       OPERATOR(pg_catalog.<>) (SELECT oid FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) current_user) THEN
        RAISE EXCEPTION 'schema pgml exists and belongs to another role than the one installing pgml'
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'drop or rename that schema (or ALTER SCHEMA pgml OWNER TO the installing role after checking what it holds), then CREATE EXTENSION pgml';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_class WHERE relnamespace OPERATOR(pg_catalog.=) 'pgml'::pg_catalog.regnamespace)
       OR EXISTS (SELECT 1 FROM pg_catalog.pg_proc WHERE pronamespace OPERATOR(pg_catalog.=) 'pgml'::pg_catalog.regnamespace)
       OR EXISTS (SELECT 1 FROM pg_catalog.pg_type WHERE typnamespace OPERATOR(pg_catalog.=) 'pgml'::pg_catalog.regnamespace)
       OR EXISTS (SELECT 1 FROM pg_catalog.pg_operator WHERE oprnamespace OPERATOR(pg_catalog.=) 'pgml'::pg_catalog.regnamespace) THEN
        RAISE EXCEPTION 'schema pgml already holds objects'
            USING ERRCODE = 'duplicate_object',
                  HINT = 'install pgml into an empty schema pgml: move those objects to another schema first';
    END IF;
END
$schema$;
REVOKE ALL ON SCHEMA pgml FROM PUBLIC;
GRANT USAGE ON SCHEMA pgml TO pgml_predictor;

CREATE TYPE pgml.task AS ENUM ('regression', 'classification', 'decomposition', 'clustering');

-- The algorithm names PostgresML accepts, so that its queries cast without error; which of them pgml
-- trains is decided (and reported, listing the supported ones) at train time.
CREATE TYPE pgml.algorithm AS ENUM (
    'linear', 'xgboost', 'svm', 'lasso', 'elastic_net', 'ridge', 'kmeans', 'dbscan', 'knn',
    'random_forest', 'least_angle', 'lasso_least_angle', 'orthogonal_matching_pursuit', 'bayesian_ridge',
    'automatic_relevance_determination', 'stochastic_gradient_descent', 'perceptron',
    'passive_aggressive', 'ransac', 'theil_sen', 'huber', 'quantile', 'kernel_ridge', 'gaussian_process',
    'nu_svm', 'linear_svm', 'ada_boost', 'bagging', 'extra_trees', 'gradient_boosting_trees',
    'hist_gradient_boosting', 'mini_batch_kmeans', 'mean_shift', 'affinity_propagation', 'birch',
    'spectral', 'spectral_bi', 'spectral_co', 'lightgbm', 'catboost', 'pca', 'xgboost_random_forest'
);
-- 0.4.0: PostgresML's clustering names pgml lacked (as the upgrade script adds them).
ALTER TYPE pgml.algorithm ADD VALUE IF NOT EXISTS 'optics';
ALTER TYPE pgml.algorithm ADD VALUE IF NOT EXISTS 'feature_agglomeration';

CREATE TYPE pgml.strategy AS ENUM ('new_score', 'best_score', 'most_recent', 'rollback', 'specific');
CREATE TYPE pgml.sampling AS ENUM ('random', 'last', 'stratified');
CREATE TYPE pgml.runtime AS ENUM ('python', 'rust');
CREATE TYPE pgml.search AS ENUM ('grid', 'random');
CREATE TYPE pgml.status AS ENUM ('in_progress', 'successful', 'failed');

CREATE TABLE pgml.projects (
    id         bigserial PRIMARY KEY,
    name       text NOT NULL,
    task       pgml.task NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    -- Added by pgml 0.3.0: the role that created the project (members of it have every right on
    -- it), and what it granted to other roles: {"role or public": ["train", "deploy", "predict"]}.
    -- Role names, not oids, so rights survive pg_dump and replication to servers with the same roles.
    owner      text NOT NULL DEFAULT CURRENT_USER,
    acl        jsonb NOT NULL DEFAULT '{}',
    CONSTRAINT projects_name_key UNIQUE (name),
    CONSTRAINT projects_name_not_blank CHECK (btrim(name) <> ''),
    CONSTRAINT projects_acl_is_object CHECK (jsonb_typeof(acl) = 'object')
);

CREATE TABLE pgml.snapshots (
    id            bigserial PRIMARY KEY,
    relation_name text NOT NULL,
    y_column_name text[],
    test_size     real NOT NULL,
    test_sampling pgml.sampling NOT NULL,
    status        pgml.status NOT NULL,
    columns       jsonb,
    analysis      jsonb,
    materialized  boolean NOT NULL DEFAULT true,
    -- Added by pgml: the split is reproducible from the seed, and its sizes are recorded.
    seed           bigint NOT NULL DEFAULT 0,
    num_train_rows bigint,
    num_test_rows  bigint,
    created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    -- Added by pgml 0.2.0: where the rows came from (local table, foreign server and remote table, or
    -- subscription with the LSN it had applied), so a model can answer "which data trained you".
    lineage       jsonb,
    -- Added by pgml 0.3.0: the role that took the snapshot.
    owner         text NOT NULL DEFAULT CURRENT_USER,
    -- Added by pgml 0.4.0: per column its type, NULLs, min / max / mean, distinct values, a
    -- histogram and the most frequent values ({"version": 1, "columns": [...]}), computed once when
    -- the snapshot is taken so that the dashboard never scans the data.
    column_stats  jsonb,
    CONSTRAINT snapshots_test_size_positive CHECK (test_size > 0)
);

CREATE TABLE pgml.models (
    id            bigserial PRIMARY KEY,
    project_id    bigint NOT NULL REFERENCES pgml.projects (id) ON DELETE CASCADE,
    snapshot_id   bigint REFERENCES pgml.snapshots (id) ON DELETE SET NULL,
    num_features  integer NOT NULL CHECK (num_features >= 0),
    algorithm     text NOT NULL,
    runtime       pgml.runtime NOT NULL DEFAULT 'rust',
    hyperparams   jsonb NOT NULL DEFAULT '{}',
    status        pgml.status NOT NULL,
    metrics       jsonb,
    search        pgml.search,
    search_params jsonb NOT NULL DEFAULT '{}',
    search_args   jsonb NOT NULL DEFAULT '{}',
    -- Added by pgml, for visibility (the model's files hold the same, and predict reads those):
    -- the input columns in order with their types and widths, and for classification the label
    -- of each class code.
    features      jsonb,
    label_mapping jsonb,
    created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    -- Added by pgml 0.2.0: SHA-256 of the feature contract (names and types in order), equal for two
    -- models exactly when they take the same input columns; and, for a model brought by
    -- pgml.import_models, the server, database and model id it came from.
    feature_hash  text,
    origin        jsonb,
    -- Added by pgml 0.3.0: for tree models, each input's share of the impurity decrease
    -- ({"input": importance}, summing to 1); shown per feature by pgml.feature_importances.
    feature_importances jsonb,
    -- Added by pgml 0.4.0: what the dashboard's plots need, computed on the test split at train time
    -- (confusion matrix, ROC / precision-recall / calibration curves, predicted-vs-actual sample,
    -- residual histogram, boosting loss per round, search candidates); NULL for older models.
    plots         jsonb
);
CREATE INDEX models_project_id_idx ON pgml.models (project_id);
CREATE INDEX models_snapshot_id_idx ON pgml.models (snapshot_id);

-- Append-only history: the deployed model of a project is the one in its newest row. Predict reads it
-- from here (never from shared memory), so a deployment that arrives by WAL, logical replication or a
-- restore takes effect at the next statement on every server.
CREATE TABLE pgml.deployments (
    id         bigserial PRIMARY KEY,
    project_id bigint NOT NULL REFERENCES pgml.projects (id) ON DELETE CASCADE,
    model_id   bigint NOT NULL REFERENCES pgml.models (id) ON DELETE CASCADE,
    strategy   pgml.strategy NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    -- Added by pgml 0.4.0: the role that deployed (trained, for an automatic deployment); NULL for
    -- older rows and for rows written by hand.
    deployed_by text
);
CREATE INDEX deployments_project_id_id_idx ON pgml.deployments (project_id, id DESC);
CREATE INDEX deployments_model_id_idx ON pgml.deployments (model_id);

-- Model bytes in ordered parts (so no model is capped by the 1 GB bytea limit), each with its SHA-256
-- (added by pgml: a damaged part is named instead of failing inside a deserializer).
CREATE TABLE pgml.files (
    id         bigserial PRIMARY KEY,
    model_id   bigint NOT NULL REFERENCES pgml.models (id) ON DELETE CASCADE,
    path       text NOT NULL,
    part       integer NOT NULL CHECK (part >= 0),
    data       bytea NOT NULL,
    checksum   bytea NOT NULL CHECK (octet_length(checksum) = 32),
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    CONSTRAINT files_model_id_path_part_key UNIQUE (model_id, path, part)
);

-- A deployment must name a model of its own project, whatever inserts it (pgml.deploy, a restore,
-- replication or a hand-written INSERT): otherwise predict would silently serve another project's model.
CREATE FUNCTION pgml.deployments_check_project() RETURNS trigger
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
CREATE TRIGGER deployments_check_project BEFORE INSERT OR UPDATE ON pgml.deployments
    FOR EACH ROW EXECUTE FUNCTION pgml.deployments_check_project();
-- Fires on subscribers too (logical replication of the catalog), where the apply worker runs with
-- session_replication_role = replica.
ALTER TABLE pgml.deployments ENABLE ALWAYS TRIGGER deployments_check_project;

-- Which subscription, if any, replicates the catalog into this database (pgml models replicate): such
-- an inference server must not write its own catalog rows, whose ids would collide with the next
-- replicated ones and stop replication.
CREATE FUNCTION pgml.catalog_subscription() RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT s.subname::text
      FROM pg_catalog.pg_subscription_rel r
      JOIN pg_catalog.pg_subscription s ON s.oid = r.srsubid
     WHERE r.srrelid IN ('pgml.projects'::regclass, 'pgml.snapshots'::regclass, 'pgml.models'::regclass,
                         'pgml.files'::regclass, 'pgml.deployments'::regclass)
     ORDER BY 1
     LIMIT 1
$$;

-- True when the running statement is a COPY (as pg_dump writes data) into a table that already has
-- rows: a restore that would append another server's rows to this one's.
CREATE FUNCTION pgml.restoring_into_used_table(schema_name text, table_name text) RETURNS boolean
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

-- Guards every write to the catalog (statement level, so the cost is per statement, not per row):
-- 1. on a subscriber of a replicated catalog, only the apply worker may write (it runs with
--    session_replication_role = replica, where this ordinary trigger does not fire);
-- 2. a restore (COPY, as pg_dump writes it) into a catalog this server already uses is refused before
--    a row is written: its ids would collide with, or worse silently join, the existing models. A
--    restore into a fresh catalog passes: its sequences are untouched until the dump's setval at the end.
CREATE FUNCTION pgml.catalog_write_guard() RETURNS trigger
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

-- The same for the tables pgml fills itself (snapshots, datasets): a restore must not append to them.
CREATE FUNCTION pgml.restore_guard() RETURNS trigger
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
CREATE TRIGGER projects_write_guard BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON pgml.projects
    FOR EACH STATEMENT EXECUTE FUNCTION pgml.catalog_write_guard();
CREATE TRIGGER snapshots_write_guard BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON pgml.snapshots
    FOR EACH STATEMENT EXECUTE FUNCTION pgml.catalog_write_guard();
CREATE TRIGGER models_write_guard BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON pgml.models
    FOR EACH STATEMENT EXECUTE FUNCTION pgml.catalog_write_guard();
CREATE TRIGGER files_write_guard BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON pgml.files
    FOR EACH STATEMENT EXECUTE FUNCTION pgml.catalog_write_guard();
CREATE TRIGGER deployments_write_guard BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON pgml.deployments
    FOR EACH STATEMENT EXECUTE FUNCTION pgml.catalog_write_guard();

-- Moves each catalog sequence past the ids in use: a refused restore run without ON_ERROR_STOP still
-- executes the dump's setval lines, which can move a sequence backwards. pgml calls it before its
-- writes. SECURITY DEFINER because trainers hold USAGE on the sequences, not UPDATE; it only ever
-- moves a sequence forward, to an id already taken.
CREATE FUNCTION pgml.repair_sequences() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    t text;
    used bigint;
    next_id bigint;
BEGIN
    FOREACH t IN ARRAY ARRAY['projects', 'snapshots', 'models', 'files', 'deployments'] LOOP
        EXECUTE format('SELECT max(id) FROM pgml.%I', t) INTO used;
        EXECUTE format('SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM pgml.%I',
                       t || '_id_seq') INTO next_id;
        IF used IS NOT NULL AND next_id <= used THEN
            PERFORM setval(format('pgml.%I', t || '_id_seq'), used);
        END IF;
    END LOOP;
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
-- row-level security policies of the catalog. Written in Rust (api/visibility.rs), which asks the
-- role cache directly: a SQL function with its own search_path is never inlined and cost ~35 µs a
-- row. Declared here because the policies below are created before pgrx's generated functions.
CREATE FUNCTION pgml.project_allows(owner text, acl jsonb, privilege text) RETURNS boolean
    STABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'project_allows_wrapper';

-- Whether the calling role sees project `project_id` (its row in pgml.projects, through that table's
-- policy): the check of the models' and deployments' policies, computed once per project per
-- statement (api/visibility.rs), not once per model row read.
CREATE FUNCTION pgml.project_visible(project_id bigint) RETURNS boolean
    STABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'project_visible_wrapper';

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
    USING (pgml.project_visible(project_id));
CREATE POLICY deployments_visible ON pgml.deployments FOR SELECT
    USING (pgml.project_visible(project_id));
CREATE POLICY snapshots_visible ON pgml.snapshots FOR SELECT
    USING (pg_has_role(to_regrole(quote_ident(owner)), 'USAGE')
           OR EXISTS (SELECT 1 FROM pgml.models m WHERE m.snapshot_id = snapshots.id));
GRANT SELECT ON pgml.projects, pgml.snapshots, pgml.models, pgml.deployments TO pgml_predictor;

-- The newest deployment of each project.
CREATE VIEW pgml.deployed_models WITH (security_invoker = true) AS
SELECT p.id, p.name, p.task, m.algorithm, d.model_id, d.created_at AS deployed_at
  FROM pgml.projects p
  JOIN (SELECT DISTINCT ON (project_id) project_id, model_id, created_at
          FROM pgml.deployments ORDER BY project_id, id DESC) d ON d.project_id = p.id
  JOIN pgml.models m ON m.id = d.model_id
 ORDER BY p.name;

CREATE VIEW pgml.trained_models WITH (security_invoker = true) AS
SELECT m.id, p.name, p.task, m.algorithm, m.created_at, s.relation_name, s.test_sampling, s.test_size,
       s.num_train_rows, s.num_test_rows, m.metrics, m.label_mapping,
       dm.model_id IS NOT NULL AS deployed,
       s.lineage, m.feature_hash, m.origin, m.runtime
  FROM pgml.projects p
  JOIN pgml.models m ON m.project_id = p.id
  LEFT JOIN pgml.snapshots s ON s.id = m.snapshot_id
  LEFT JOIN pgml.deployed_models dm ON dm.model_id = m.id
 ORDER BY m.created_at DESC;

CREATE VIEW pgml.overview WITH (security_invoker = true) AS
SELECT p.name, dm.deployed_at, p.task, m.algorithm, s.relation_name, s.y_column_name, s.test_sampling,
       s.test_size
  FROM pgml.projects p
  JOIN pgml.deployed_models dm ON dm.id = p.id
  JOIN pgml.models m ON m.id = dm.model_id
  LEFT JOIN pgml.snapshots s ON s.id = m.snapshot_id
 ORDER BY dm.deployed_at DESC;

-- What each tree model looks at: one row per input (a one-hot input is "column=category", an array
-- element "column[i]"), most important first.
CREATE VIEW pgml.feature_importances WITH (security_invoker = true) AS
SELECT m.id AS model_id, p.name AS project, m.algorithm, f.key AS feature, f.value::float8 AS importance
  FROM pgml.models m
  JOIN pgml.projects p ON p.id = m.project_id
 CROSS JOIN LATERAL jsonb_each(m.feature_importances) AS f
 ORDER BY m.id, f.value::float8 DESC, f.key;

GRANT SELECT ON pgml.deployed_models, pgml.trained_models, pgml.overview, pgml.feature_importances TO pgml_predictor;

SELECT pg_catalog.pg_extension_config_dump('pgml.projects', '');
SELECT pg_catalog.pg_extension_config_dump('pgml.projects_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('pgml.snapshots', '');
SELECT pg_catalog.pg_extension_config_dump('pgml.snapshots_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('pgml.models', '');
SELECT pg_catalog.pg_extension_config_dump('pgml.models_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('pgml.deployments', '');
SELECT pg_catalog.pg_extension_config_dump('pgml.deployments_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('pgml.files', '');
SELECT pg_catalog.pg_extension_config_dump('pgml.files_id_seq', '');
