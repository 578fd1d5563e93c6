-- The pgml catalog. Column names follow PostgresML 2.x so its queries over the catalog keep working;
-- what is added is said where it is added.
--
-- Every table and sequence is registered with pg_extension_config_dump at the end of this file, so that
-- pg_dump (of the database, or -n pgml) carries their rows and sequence positions. PostgresML did not do
-- this, and its models vanished from every dump.

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
    CONSTRAINT projects_name_key UNIQUE (name),
    CONSTRAINT projects_name_not_blank CHECK (btrim(name) <> '')
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
    origin        jsonb
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
    created_at timestamptz NOT NULL DEFAULT clock_timestamp()
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
LANGUAGE plpgsql AS $$
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
LANGUAGE sql STABLE AS $$
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
LANGUAGE plpgsql AS $$
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
LANGUAGE plpgsql AS $$
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
        IF pgml.restoring_into_used_table(TG_TABLE_SCHEMA, TG_TABLE_NAME) THEN
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
LANGUAGE plpgsql AS $$
BEGIN
    IF pgml.restoring_into_used_table(TG_TABLE_SCHEMA, TG_TABLE_NAME) THEN
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

-- The newest deployment of each project.
CREATE VIEW pgml.deployed_models AS
SELECT p.id, p.name, p.task, m.algorithm, d.model_id, d.created_at AS deployed_at
  FROM pgml.projects p
  JOIN (SELECT DISTINCT ON (project_id) project_id, model_id, created_at
          FROM pgml.deployments ORDER BY project_id, id DESC) d ON d.project_id = p.id
  JOIN pgml.models m ON m.id = d.model_id
 ORDER BY p.name;

CREATE VIEW pgml.trained_models AS
SELECT m.id, p.name, p.task, m.algorithm, m.created_at, s.relation_name, s.test_sampling, s.test_size,
       s.num_train_rows, s.num_test_rows, m.metrics, m.label_mapping,
       dm.model_id IS NOT NULL AS deployed,
       s.lineage, m.feature_hash, m.origin
  FROM pgml.projects p
  JOIN pgml.models m ON m.project_id = p.id
  LEFT JOIN pgml.snapshots s ON s.id = m.snapshot_id
  LEFT JOIN pgml.deployed_models dm ON dm.model_id = m.id
 ORDER BY m.created_at DESC;

CREATE VIEW pgml.overview AS
SELECT p.name, dm.deployed_at, p.task, m.algorithm, s.relation_name, s.y_column_name, s.test_sampling,
       s.test_size
  FROM pgml.projects p
  JOIN pgml.deployed_models dm ON dm.id = p.id
  JOIN pgml.models m ON m.id = dm.model_id
  LEFT JOIN pgml.snapshots s ON s.id = m.snapshot_id
 ORDER BY dm.deployed_at DESC;

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
