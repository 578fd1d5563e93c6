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
