-- pgml 0.3.0 → 0.4.0: more algorithms (each a new value of the enum pgml.algorithm) and the catalog
-- columns they need. The install script of 0.4.0 is src/catalog/schema.sql plus the Rust functions;
-- tests/upgrade.rs checks that both give the same schema.
--
-- Run it on inference servers (subscribers of a replicated catalog) before the training server: new
-- enum values and columns must exist on the subscriber before rows that use them arrive.

-- ---------------------------------------------------------------------------------------------------
-- Linear, kernel and SVM algorithms (issue 11): PostgresML's queries select pgml.trained_models.runtime
-- (always 'rust' here: pgml.models.runtime's default). A view keeps its columns' order, so the new one
-- comes last; CREATE OR REPLACE keeps the grants, and the options are given again because it replaces
-- them.
CREATE OR REPLACE VIEW pgml.trained_models WITH (security_invoker = true) AS
SELECT m.id, p.name, p.task, m.algorithm, m.created_at, s.relation_name, s.test_sampling, s.test_size,
       s.num_train_rows, s.num_test_rows, m.metrics, m.label_mapping,
       dm.model_id IS NOT NULL AS deployed,
       s.lineage, m.feature_hash, m.origin, m.runtime
  FROM pgml.projects p
  JOIN pgml.models m ON m.project_id = p.id
  LEFT JOIN pgml.snapshots s ON s.id = m.snapshot_id
  LEFT JOIN pgml.deployed_models dm ON dm.model_id = m.id
 ORDER BY m.created_at DESC;

-- Clustering and decomposition (issue 12): PostgresML's algorithm names pgml.algorithm lacked.
ALTER TYPE pgml.algorithm ADD VALUE IF NOT EXISTS 'optics';
ALTER TYPE pgml.algorithm ADD VALUE IF NOT EXISTS 'feature_agglomeration';

-- ---------------------------------------------------------------------------------------------------
-- Dashboard (issue 14): plot data stored with each model at train time, column statistics with each
-- snapshot. Older rows keep NULL: the dashboard shows what they have.
ALTER TABLE pgml.models ADD COLUMN IF NOT EXISTS plots jsonb;
ALTER TABLE pgml.snapshots ADD COLUMN IF NOT EXISTS column_stats jsonb;
-- Who deployed, for the deployment timeline.
ALTER TABLE pgml.deployments ADD COLUMN IF NOT EXISTS deployed_by text;

-- ---------------------------------------------------------------------------------------------------
-- distributed
-- Distributed training (issue 15): the shard side of a job, called by a coordinator's pgml.train
-- (hyperparams {"distributed": true}) over its connection as the mapped role. The shards and their row
-- counts and bytes sent are recorded in pgml.snapshots.lineage (key "distributed"): no new column.
CREATE FUNCTION pgml."_dist_worker"(
	"job" jsonb /* pgrx::datum::json::JsonB */
) RETURNS jsonb /* pgrx::datum::json::JsonB */
STRICT VOLATILE PARALLEL UNSAFE
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'dist_worker_wrapper';
REVOKE ALL ON FUNCTION pgml."_dist_worker"(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pgml."_dist_worker"(jsonb) TO pgml_trainer;

-- ---------------------------------------------------------------------------------------------------
-- dashboard policies (issue 14): pgml.project_allows is the same rule written in Rust
-- (api/visibility.rs: the SQL function with its own search_path was never inlined and cost ~35 µs a
-- row), and the models' and deployments' row-level security checks each project once per statement
-- through pgml.project_visible instead of a subquery per row. Who sees what is unchanged: the
-- project's row is read as the caller, through pgml.projects' own policy. CREATE OR REPLACE keeps the
-- grants; without a SET clause the function's search_path setting goes (it runs no SQL of its own but
-- a schema-qualified lookup of the extension's owner).
CREATE OR REPLACE FUNCTION pgml.project_allows(owner text, acl jsonb, privilege text) RETURNS boolean
    STABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'project_allows_wrapper';
CREATE FUNCTION pgml.project_visible(project_id bigint) RETURNS boolean
    STABLE STRICT PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'project_visible_wrapper';
REVOKE ALL ON FUNCTION pgml.project_visible(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pgml.project_visible(bigint) TO pgml_predictor;
ALTER POLICY models_visible ON pgml.models USING (pgml.project_visible(project_id));
ALTER POLICY deployments_visible ON pgml.deployments USING (pgml.project_visible(project_id));
-- ---------------------------------------------------------------------------------------------------
-- joint: pgml.train_joint / pgml.predict_joint (issue 11), PostgresML's multi-output regression. The
-- snapshot's y_column_name (text[] already) holds every label; the functions are new, with the grants
-- privileges.sql gives them (EXECUTE taken from PUBLIC, given to pgml_trainer / pgml_predictor).
CREATE FUNCTION pgml."_train_joint"(
	"project_name" TEXT, /* Option < & str > */
	"task" TEXT, /* Option < & str > */
	"relation_name" TEXT, /* Option < & str > */
	"y_column_name" TEXT[], /* :: std :: option :: Option < Vec < Option < String > > > */
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
AS 'MODULE_PATHNAME', 'train_joint_internal_wrapper';

-- PostgresML's pgml.train_joint: pgml.train's signature and defaults with y_column_name text[] (the
-- label columns of one multi-output regression model). The work is done by pgml._train_joint.
CREATE FUNCTION pgml.train_joint(
    project_name text,
    task text DEFAULT NULL,
    relation_name text DEFAULT NULL,
    y_column_name text[] DEFAULT NULL,
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
    SELECT * FROM pgml._train_joint(project_name, task, relation_name, y_column_name, algorithm::pg_catalog.text,
                                    hyperparams::pg_catalog.text, search::pg_catalog.text,
                                    search_params::pg_catalog.text, search_args::pg_catalog.text, test_size,
                                    test_sampling::pg_catalog.text, runtime::pg_catalog.text, automatic_deploy,
                                    materialize_snapshot, preprocess::pg_catalog.text)
$$;

CREATE FUNCTION pgml."predict_joint"(
	"project_name" TEXT, /* & str */
	"features" bigint[] /* Array < '_, i64 > */
) RETURNS real[] /* Vec < f32 > */
STRICT STABLE PARALLEL SAFE 
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'predict_joint_bigint_wrapper';

CREATE FUNCTION pgml."predict_joint"(
	"project_name" TEXT, /* & str */
	"features" bool[] /* Array < '_, bool > */
) RETURNS real[] /* Vec < f32 > */
STRICT STABLE PARALLEL SAFE 
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'predict_joint_bool_wrapper';

CREATE FUNCTION pgml."predict_joint"(
	"project_name" TEXT, /* & str */
	"features" double precision[] /* Array < '_, f64 > */
) RETURNS real[] /* Vec < f32 > */
STRICT STABLE PARALLEL SAFE 
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'predict_joint_double_wrapper';

CREATE FUNCTION pgml."predict_joint"(
	"project_name" TEXT, /* & str */
	"features" INT[] /* Array < '_, i32 > */
) RETURNS real[] /* Vec < f32 > */
STRICT STABLE PARALLEL SAFE 
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'predict_joint_int_wrapper';

CREATE FUNCTION pgml."predict_joint"(
	"model_id" bigint, /* i64 */
	"features" real[] /* Array < '_, f32 > */
) RETURNS real[] /* Vec < f32 > */
STRICT STABLE PARALLEL SAFE 
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'predict_joint_model_real_wrapper';

CREATE FUNCTION pgml."predict_joint"(
	"project_name" TEXT, /* & str */
	"features" real[] /* Array < '_, f32 > */
) RETURNS real[] /* Vec < f32 > */
STRICT STABLE PARALLEL SAFE 
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'predict_joint_real_wrapper';

CREATE FUNCTION pgml."predict_joint"(
	"project_name" TEXT, /* & str */
	"features" smallint[] /* Array < '_, i16 > */
) RETURNS real[] /* Vec < f32 > */
STRICT STABLE PARALLEL SAFE 
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'predict_joint_smallint_wrapper';

DO $joint$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN SELECT p.oid::regprocedure FROM pg_catalog.pg_proc p
              WHERE p.pronamespace OPERATOR(pg_catalog.=) 'pgml'::pg_catalog.regnamespace
                AND p.proname OPERATOR(pg_catalog.=) ANY (ARRAY['train_joint', '_train_joint', 'predict_joint']::pg_catalog.name[]) LOOP
        EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
    END LOOP;
    FOR f IN SELECT p.oid::regprocedure FROM pg_catalog.pg_proc p
              WHERE p.pronamespace OPERATOR(pg_catalog.=) 'pgml'::pg_catalog.regnamespace
                AND p.proname OPERATOR(pg_catalog.=) 'predict_joint' LOOP
        EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO pgml_predictor', f);
    END LOOP;
    FOR f IN SELECT p.oid::regprocedure FROM pg_catalog.pg_proc p
              WHERE p.pronamespace OPERATOR(pg_catalog.=) 'pgml'::pg_catalog.regnamespace
                AND p.proname OPERATOR(pg_catalog.=) ANY (ARRAY['train_joint', '_train_joint']::pg_catalog.name[]) LOOP
        EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO pgml_trainer', f);
    END LOOP;
END
$joint$;
