-- pgml 0.1.0 → 0.2.0: lineage on snapshots, the feature contract's hash and an import's origin on
-- models, the catalog write guard (replicated catalogs, restores into a used catalog), and moving models
-- between servers (pgml.export_models, pgml.import_models). The install script of 0.2.0 is
-- src/catalog/schema.sql plus the Rust functions; tests/upgrade.rs checks that both give the same schema.

ALTER TABLE pgml.snapshots ADD COLUMN lineage jsonb;
ALTER TABLE pgml.models ADD COLUMN feature_hash text, ADD COLUMN origin jsonb;

-- Lets a subscription's initial copy bring deployments before their models.
CREATE OR REPLACE FUNCTION pgml.deployments_check_project() RETURNS trigger
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

CREATE OR REPLACE VIEW pgml.trained_models AS
SELECT m.id, p.name, p.task, m.algorithm, m.created_at, s.relation_name, s.test_sampling, s.test_size,
       s.num_train_rows, s.num_test_rows, m.metrics, m.label_mapping,
       dm.model_id IS NOT NULL AS deployed,
       s.lineage, m.feature_hash, m.origin
  FROM pgml.projects p
  JOIN pgml.models m ON m.project_id = p.id
  LEFT JOIN pgml.snapshots s ON s.id = m.snapshot_id
  LEFT JOIN pgml.deployed_models dm ON dm.model_id = m.id
 ORDER BY m.created_at DESC;

CREATE FUNCTION pgml."export_models"(
	"projects" TEXT[] DEFAULT NULL,
	"model_ids" bigint[] DEFAULT NULL,
	"deployed_only" bool DEFAULT false
) RETURNS bytea
VOLATILE PARALLEL UNSAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'export_models_wrapper';

CREATE FUNCTION pgml."import_models"(
	"package" bytea,
	"deploy" bool DEFAULT true
) RETURNS TABLE (
	"project" TEXT,
	"source_model_id" bigint,
	"model_id" bigint,
	"imported" bool,
	"deployed" bool
)
VOLATILE PARALLEL UNSAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'import_models_wrapper';
