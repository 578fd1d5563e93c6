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
