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
    updated_at    timestamptz NOT NULL DEFAULT clock_timestamp()
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
       dm.model_id IS NOT NULL AS deployed
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
