-- pgml 0.3.0 → 0.4.0: more algorithms (each a new value of the enum pgml.algorithm) and the catalog
-- columns they need. The install script of 0.4.0 is src/catalog/schema.sql plus the Rust functions;
-- tests/upgrade.rs checks that both give the same schema.
--
-- Run it on inference servers (subscribers of a replicated catalog) before the training server: new
-- enum values and columns must exist on the subscriber before rows that use them arrive.

-- Dashboard (issue 14): plot data stored with each model at train time, column statistics with each
-- snapshot. Older rows keep NULL: the dashboard shows what they have.
ALTER TABLE pgml.models ADD COLUMN IF NOT EXISTS plots jsonb;
ALTER TABLE pgml.snapshots ADD COLUMN IF NOT EXISTS column_stats jsonb;
-- Who deployed, for the deployment timeline.
ALTER TABLE pgml.deployments ADD COLUMN IF NOT EXISTS deployed_by text;
