-- pgml 0.3.0 → 0.4.0: more algorithms (each a new value of the enum pgml.algorithm) and the catalog
-- columns they need. The install script of 0.4.0 is src/catalog/schema.sql plus the Rust functions;
-- tests/upgrade.rs checks that both give the same schema.
--
-- Run it on inference servers (subscribers of a replicated catalog) before the training server: new
-- enum values and columns must exist on the subscriber before rows that use them arrive.

-- Clustering and decomposition (issue 12): PostgresML's algorithm names pgml.algorithm lacked.
ALTER TYPE pgml.algorithm ADD VALUE IF NOT EXISTS 'optics';
ALTER TYPE pgml.algorithm ADD VALUE IF NOT EXISTS 'feature_agglomeration';
