//! Every bad input to the training and serving API gets its own SQLSTATE and a message that says
//! what was wrong, and a failed call leaves nothing behind.
#![allow(clippy::unwrap_used)] // test helpers: a panic is the failure report

use pgml_e2e::{database_with_pgml, start_servers};

/// (what, SQL, SQLSTATE, a fragment of the message or hint)
const CASES: &[(&str, &str, &str, &str)] = &[
    ("unknown project at predict", "SELECT pgml.predict('nope', ARRAY[1, 2]::real[])", "42704", "project \"nope\" does not exist"),
    ("unknown relation", "SELECT * FROM pgml.train('e1', 'regression', 'no_such_table', 'y')", "42P01", "no_such_table"),
    ("unknown label column", "SELECT * FROM pgml.train('e2', 'regression', 'pgml.diabetes', 'nope')", "42703", "column \"nope\" does not exist"),
    ("algorithm outside the enum", "SELECT * FROM pgml.train('e3', 'regression', 'pgml.diabetes', 'target', algorithm => 'nope')", "22P02", "pgml.algorithm"),
    ("algorithm not supported yet", "SELECT * FROM pgml.train('e4', 'regression', 'pgml.diabetes', 'target', algorithm => 'spectral_co')", "0A000", "supported algorithms: linear"),
    ("unknown hyperparameter", "SELECT * FROM pgml.train('e5', 'regression', 'pgml.diabetes', 'target', algorithm => 'ridge', hyperparams => '{\"alpah\": 1}')", "22023", "known hyperparameters: alpha"),
    ("hyperparameter of the wrong type", "SELECT * FROM pgml.train('e6', 'regression', 'pgml.diabetes', 'target', algorithm => 'ridge', hyperparams => '{\"alpha\": \"big\"}')", "22023", "must be a number"),
    ("hyperparameter out of range", "SELECT * FROM pgml.train('e7', 'regression', 'pgml.diabetes', 'target', algorithm => 'ridge', hyperparams => '{\"alpha\": -1}')", "22023", "at least 0"),
    ("bad JSON", "SELECT * FROM pgml.train('e8', 'regression', 'pgml.diabetes', 'target', hyperparams => '{bad')", "22P02", "json"),
    ("hyperparams not an object", "SELECT * FROM pgml.train('e9', 'regression', 'pgml.diabetes', 'target', hyperparams => '[1]')", "22023", "must be a JSON object"),
    ("unknown task", "SELECT * FROM pgml.train('e10', 'nope', 'pgml.diabetes', 'target')", "22023", "unknown task"),
    ("first train without a task", "SELECT * FROM pgml.train('e11', relation_name => 'pgml.diabetes', y_column_name => 'target')", "22023", "needs a task"),
    ("task change", "SELECT * FROM pgml.train('Existing', 'classification', 'pgml.iris', 'target')", "22023", "is a regression project"),
    ("label with NULLs", "SELECT * FROM pgml.train('e13', 'regression', 'null_label', 'y')", "22004", "label column \"y\" is NULL"),
    ("feature with NULLs", "SELECT * FROM pgml.train('e14', 'regression', 'null_feature', 'y')", "22004", "feature column \"x\" is NULL"),
    ("unknown category at predict", "SELECT pgml.predict('Text', r) FROM (SELECT 'zzz'::text AS x) r", "22023", "\"zzz\" is not a category of feature \"x\""),
    ("feature of an unusable type", "SELECT * FROM pgml.train('e16', 'regression', 'json_feature', 'y')", "42804", "cannot be a feature"),
    ("empty relation", "SELECT * FROM pgml.train('e17', 'regression', 'empty', 'y')", "22000", "relation public.empty has no rows"),
    ("too few rows for the split", "SELECT * FROM pgml.train('e18', 'regression', 'one_row', 'y')", "22000", "cannot be split"),
    ("one class only", "SELECT * FROM pgml.train('e19', 'classification', 'one_class', 'y')", "22000", "only one class"),
    ("NaN feature", "SELECT * FROM pgml.train('e20', 'regression', 'nan_feature', 'y')", "22000", "NaN"),
    ("Infinity feature", "SELECT * FROM pgml.train('e21', 'regression', 'inf_feature', 'y')", "22000", "inf"),
    ("wrong feature count at predict", "SELECT pgml.predict('Existing', ARRAY[1, 2, 3]::real[])", "22023", "expects 10 features, got 3"),
    ("predict before any deployment", "SELECT pgml.predict('Undeployed', ARRAY[1,2,3,4,5,6,7,8,9,10]::real[])", "55000", "has no deployed model"),
    ("predict_proba on a regression project", "SELECT pgml.predict_proba('Existing', ARRAY[1,2,3,4,5,6,7,8,9,10]::real[])", "0A000", "needs a classification model"),
    ("predict_proba without probabilities", "SELECT pgml.predict_proba('Ridge Iris', ARRAY[1, 2, 3, 4]::real[])", "0A000", "does not estimate probabilities"),
    ("deployment of another project's model", "INSERT INTO pgml.deployments (project_id, model_id, strategy) SELECT (SELECT id FROM pgml.projects WHERE name = 'Ridge Iris'), (SELECT max(m.id) FROM pgml.models m JOIN pgml.projects p ON p.id = m.project_id WHERE p.name = 'Existing'), 'specific'", "23503", "belongs to project"),
    ("negative test_size", "SELECT * FROM pgml.train('e28', 'regression', 'pgml.diabetes', 'target', test_size => -0.5)", "22023", "test_size must be positive"),
    ("fractional row count", "SELECT * FROM pgml.train('e29', 'regression', 'pgml.diabetes', 'target', test_size => 1.5)", "22023", "neither a fraction"),
    ("deploy of an unknown project", "SELECT * FROM pgml.deploy('nope', 'best_score')", "42704", "project \"nope\" does not exist"),
    ("rollback without an earlier deployment", "SELECT * FROM pgml.deploy('Ridge Iris', 'rollback')", "55000", "no earlier deployment"),
    ("deploy of an unknown model id", "SELECT * FROM pgml.deploy(123456)", "42704", "model 123456 does not exist"),
    ("predict with an unknown model id", "SELECT pgml.predict(123456::bigint, ARRAY[1]::real[])", "42704", "model 123456 does not exist"),
    ("NULL feature at predict", "SELECT pgml.predict('Existing', ARRAY[1,2,3,4,5,6,7,8,9,NULL]::real[])", "22004", "feature \"s6\" is NULL"),
    ("lasso for classification", "SELECT * FROM pgml.train('e35', 'classification', 'pgml.iris', 'target', algorithm => 'lasso')", "0A000", "does not support classification"),
    ("search without search_params", "SELECT * FROM pgml.train('e36', 'regression', 'pgml.diabetes', 'target', search => 'grid')", "22023", "a search needs search_params"),
    ("search_params without a search", "SELECT * FROM pgml.train('e50', 'regression', 'pgml.diabetes', 'target', search_params => '{\"alpha\": [1]}')", "22023", "need search => 'grid' or 'random'"),
    ("search with a bad candidate", "SELECT * FROM pgml.train('e51', 'regression', 'pgml.diabetes', 'target', algorithm => 'ridge', search => 'grid', search_params => '{\"alpha\": [1, -1]}')", "22023", "at least 0"),
    ("search with too few folds", "SELECT * FROM pgml.train('e52', 'regression', 'pgml.diabetes', 'target', algorithm => 'ridge', search => 'grid', search_params => '{\"alpha\": [1]}', search_args => '{\"cv\": 1}')", "22023", "cv must be a whole number of at least 2"),
    ("unknown dataset", "SELECT * FROM pgml.load_dataset('mnist')", "22023", "built-in datasets: breast_cancer"),
    ("new project without a relation", "SELECT * FROM pgml.train('e38', 'regression')", "42704", "does not exist"),
    ("regression without a label", "SELECT * FROM pgml.train('e39', 'regression', 'pgml.diabetes')", "22023", "needs y_column_name"),
    ("a sequence is not a relation to train on", "SELECT * FROM pgml.train('e40', 'regression', 'a_sequence', 'y')", "42809", "not a table or view"),
    ("text label for regression", "SELECT * FROM pgml.train('e41', 'regression', 'text_label', 'y')", "42804", "needs a number"),
    ("decompose on a regression model", "SELECT pgml.decompose('Existing', ARRAY[1,2,3,4,5,6,7,8,9,10]::real[])", "0A000", "needs a decomposition model"),
    ("more clusters than rows", "SELECT * FROM pgml.train('e45', 'clustering', 'one_class', hyperparams => '{\"n_clusters\": 100}')", "22000", "cannot form 100 clusters"),
    ("too many components", "SELECT * FROM pgml.train('e46', 'decomposition', 'pgml.iris', hyperparams => '{\"n_components\": 9}')", "22023", "n_components 9"),
    ("two names of one hyperparameter", "SELECT * FROM pgml.train('e47', 'regression', 'pgml.diabetes', 'target', algorithm => 'xgboost', hyperparams => '{\"eta\": 0.1, \"learning_rate\": 0.2}')", "22023", "two names of one hyperparameter"),
    ("xgboost for clustering", "SELECT * FROM pgml.train('e48', 'clustering', 'pgml.iris', algorithm => 'xgboost')", "0A000", "algorithms for clustering: kmeans"),
    ("xgboost hyperparameter out of range", "SELECT * FROM pgml.train('e49', 'regression', 'pgml.diabetes', 'target', algorithm => 'xgboost', hyperparams => '{\"subsample\": 0}')", "22023", "greater than 0"),
    ("row without the model's columns", "SELECT pgml.predict('Existing', r) FROM (SELECT 1 AS age, 2 AS sex) r", "22023", "lacks the model's feature column(s): bmi, bp"),
    ("row column of an unusable type", "SELECT pgml.predict('Existing', r) FROM (SELECT 1 AS age, 2 AS sex, 3 AS bmi, 4 AS bp, 5 AS s1, 6 AS s2, 7 AS s3, 8 AS s4, 9 AS s5, 'x'::text AS s6) r", "42804", "\"s6\" has type text"),
    ("predict_batch with a partial row", "SELECT pgml.predict_batch('Existing', ARRAY[1,2,3,4,5,6,7,8,9,10,11]::real[])", "22023", "not a multiple of the 10 features"),
    ("preprocess of an unknown column", "SELECT * FROM pgml.train('e53', 'regression', 'pgml.diabetes', 'target', preprocess => '{\"agee\": {\"impute\": \"mean\"}}')", "22023", "\"agee\", which is not a feature column"),
    ("preprocess with an unknown strategy", "SELECT * FROM pgml.train('e54', 'regression', 'pgml.diabetes', 'target', preprocess => '{\"age\": {\"scale\": \"zscore\"}}')", "22023", "must be one of preserve, standard"),
    ("imputing a text column", "SELECT * FROM pgml.train('e55', 'regression', 'text_feature', 'y', preprocess => '{\"x\": {\"impute\": \"mode\"}}')", "0A000", "apply to number columns"),
    ("strategy for train only", "SELECT * FROM pgml.deploy('Existing', 'new_score')", "22023", "cannot be used with pgml.deploy"),
    // JSON arguments: numbers beyond a double and nesting beyond the parser are named, not XX000.
    ("hyperparameter beyond a double", "SELECT * FROM pgml.train('j1', 'regression', 'pgml.diabetes', 'target', algorithm => 'xgboost', hyperparams => '{\"gamma\": 1e309}')", "22023", "hyperparams has a number at key \"gamma\" outside the range of double precision"),
    ("negative hyperparameter beyond a double", "SELECT * FROM pgml.train('j2', 'regression', 'pgml.diabetes', 'target', algorithm => 'ridge', hyperparams => '{\"alpha\": -1e309}')", "22023", "at key \"alpha\""),
    ("search_args beyond a double", "SELECT * FROM pgml.train('j3', 'regression', 'pgml.diabetes', 'target', algorithm => 'ridge', search => 'grid', search_params => '{\"alpha\": [1]}', search_args => '{\"cv\": 1e309}')", "22023", "search_args has a number at key \"cv\""),
    ("search_params beyond a double", "SELECT * FROM pgml.train('j4', 'regression', 'pgml.diabetes', 'target', algorithm => 'ridge', search => 'grid', search_params => '{\"alpha\": [1, 1e309]}')", "22023", "search_params has a number at key \"alpha\""),
    ("preprocess beyond a double", "SELECT * FROM pgml.train('j5', 'regression', 'pgml.diabetes', 'target', preprocess => '{\"age\": {\"impute\": 1e309}}')", "22023", "preprocess has a number at key \"impute\""),
    ("snapshot preprocess beyond a double", "SELECT * FROM pgml.snapshot('pgml.diabetes', 'target', preprocess => '{\"age\": 1e309}')", "22023", "preprocess has a number at key \"age\""),
    ("load_dataset kwargs beyond a double", "SELECT * FROM pgml.load_dataset('iris', kwargs => '{\"n\": 1e309}')", "22023", "kwargs has a number at key \"n\""),
    ("hyperparams nested too deeply", "SELECT * FROM pgml.train('j6', 'regression', 'pgml.diabetes', 'target', hyperparams => ('{\"a\": ' || repeat('[', 300) || repeat(']', 300) || '}')::jsonb)", "22023", "hyperparams is nested too deeply"),
    // Arrays with NULL elements.
    ("export of a NULL project name", "SELECT pgml.export_models(ARRAY[NULL]::text[])", "22004", "projects must not contain NULL"),
    ("export of a NULL model id", "SELECT pgml.export_models(model_ids => ARRAY[NULL]::bigint[])", "22004", "model_ids must not contain NULL"),
    // NaN is a value, not a missing one.
    ("NaN in a feature array at predict", "SELECT pgml.predict('Existing', ARRAY[1,2,3,4,5,6,7,8,9,'NaN']::real[])", "22000", "feature 10 is NaN"),
    ("NaN in a double array at predict", "SELECT pgml.predict('Existing', ARRAY[1,2,'NaN',4,5,6,7,8,9,10]::float8[])", "22000", "feature 3 is NaN"),
    ("NaN in a row at predict", "SELECT pgml.predict('Existing', r) FROM (SELECT 'NaN'::real AS age, 2 AS sex, 3 AS bmi, 4 AS bp, 5 AS s1, 6 AS s2, 7 AS s3, 8 AS s4, 9 AS s5, 10 AS s6) r", "22000", "feature column \"age\" is NaN"),
    ("NaN in a row imputed by the model", "SELECT pgml.predict('Imputed', r) FROM (SELECT 'NaN'::real AS x) r", "22000", "feature column \"x\" is NaN"),
    ("NaN to predict_proba", "SELECT pgml.predict_proba('Linear Iris', ARRAY[1, 'NaN', 3, 4]::real[])", "22000", "feature 2 is NaN"),
    // Labels that are no class.
    ("NaN class label", "SELECT * FROM pgml.train('l1', 'classification', 'nan_class', 'y')", "22000", "label column \"y\" is NaN"),
    ("infinite class label", "SELECT * FROM pgml.train('l2', 'classification', 'inf_class', 'y')", "22000", "label column \"y\" is Infinity"),
    ("array class label", "SELECT * FROM pgml.train('l3', 'classification', 'array_label', 'y')", "42804", "a class label is a number, a boolean or text"),
    ("json class label", "SELECT * FROM pgml.train('l4', 'classification', 'json_label', 'y')", "42804", "a class label is a number, a boolean or text"),
    ("date class label", "SELECT * FROM pgml.train('l5', 'classification', 'date_label', 'y')", "42804", "has type date"),
    ("date regression label", "SELECT * FROM pgml.train('l6', 'regression', 'date_label', 'y')", "42804", "needs a number"),
    ("more classes than pgml.max_classes", "SELECT set_config('pgml.max_classes', '5', true); SELECT * FROM pgml.train('l7', 'classification', 'text_label', 'y')", "54000", "20 distinct values, more than pgml.max_classes (5)"),
    ("pgml.max_classes below 2", "SET pgml.max_classes = 1", "22023", "pgml.max_classes"),
    // Features that cannot be.
    ("empty array feature", "SELECT * FROM pgml.train('f1', 'regression', 'empty_array', 'y')", "22000", "array column \"x\" is empty in row 1"),
    ("ragged array feature", "SELECT * FROM pgml.train('f2', 'regression', 'ragged_array', 'y')", "22000", "has 3 values in row 2 but 2 in the first row"),
    ("no feature besides the label, named as the user's relation", "SELECT * FROM pgml.train('f3', 'regression', 'only_label', 'y')", "22000", "public.only_label has no feature columns"),
    ("a relation without columns", "SELECT * FROM pgml.train('f4', 'clustering', 'no_columns')", "22000", "has no columns"),
    ("snapshot of an empty relation", "SELECT * FROM pgml.snapshot('empty', 'y')", "22000", "relation public.empty has no rows to snapshot"),
    ("snapshot of a missing relation", "SELECT * FROM pgml.snapshot('nope', 'y')", "42P01", "nope"),
    ("snapshot of an unknown label", "SELECT * FROM pgml.snapshot('pgml.iris', 'nope')", "42703", "column \"nope\" does not exist"),
    // Project rights, as a superuser sees them.
    ("grant of an unknown privilege", "SELECT * FROM pgml.grant_project('Existing', 'own', 'postgres')", "22023", "privileges are train, deploy, predict, or all"),
    ("grant to an unknown role", "SELECT * FROM pgml.grant_project('Existing', 'predict', 'no_such_role')", "42704", "role \"no_such_role\" does not exist"),
    ("grant on an unknown project", "SELECT * FROM pgml.grant_project('nope', 'predict', 'public')", "42704", "project \"nope\" does not exist"),
    ("grant with a NULL role", "SELECT * FROM pgml.grant_project('Existing', 'predict', NULL)", "22004", "role_name must not be NULL"),
    ("revoke with a NULL privilege", "SELECT * FROM pgml.revoke_project('Existing', NULL, 'public')", "22004", "privilege must not be NULL"),
    ("model files are immutable", "UPDATE pgml.files SET data = data", "42501", "model files cannot be changed"),
    ("a project name with a NUL-free blank", "SELECT * FROM pgml.train('   ', 'regression', 'pgml.diabetes', 'target')", "22023", "project_name must not be empty"),
    // predict and its relatives.
    ("predict with no features", "SELECT pgml.predict('Existing', ARRAY[]::real[])", "22023", "expects 10 features, got 0"),
    ("predict_proba with an unknown model id", "SELECT pgml.predict_proba(123456::bigint, ARRAY[1]::real[])", "42704", "model 123456 does not exist"),
    ("predict_proba on a decomposition project", "SELECT pgml.predict_proba('Iris PCA', ARRAY[1,2,3,4]::real[])", "0A000", "needs a classification model"),
    ("decompose with the wrong width", "SELECT pgml.decompose('Iris PCA', ARRAY[1,2,3]::real[])", "22023", "expects 5 features, got 3"),
    ("decompose of an unknown project", "SELECT pgml.decompose('nope', ARRAY[1,2,3]::real[])", "42704", "project \"nope\" does not exist"),
    ("predict_batch of an unknown project", "SELECT pgml.predict_batch('nope', ARRAY[1,2]::real[])", "42704", "project \"nope\" does not exist"),
    ("bigint features of the wrong count", "SELECT pgml.predict('Existing', ARRAY[1,2,3]::bigint[])", "22023", "expects 10 features, got 3"),
    ("a NULL integer feature the model does not impute", "SELECT pgml.predict('Existing', ARRAY[1,2,3,4,5,6,7,8,9,NULL]::int[])", "22004", "feature \"s6\" is NULL"),
    ("boolean features of the wrong count", "SELECT pgml.predict('Existing', ARRAY[true, false])", "22023", "expects 10 features, got 2"),
    ("double features of the wrong count to predict_proba", "SELECT pgml.predict_proba('Linear Iris', ARRAY[1,2]::float8[])", "22023", "expects 4 features, got 2"),
    ("a NULL text feature in a row", "SELECT pgml.predict('Text', r) FROM (SELECT NULL::text AS x) r", "22004", "feature column \"x\" is NULL"),
    ("a number where the model has a text feature", "SELECT pgml.predict('Text', r) FROM (SELECT 5 AS x) r", "42804", "must be text, as in training; the row has integer"),
    ("an infinite feature at predict", "SELECT pgml.predict('Existing', ARRAY[1,2,3,4,5,6,7,8,9,'Infinity']::real[])", "22000", "features must be finite numbers"),
    ("a double beyond a real at predict", "SELECT pgml.predict('Existing', ARRAY[1,2,3,4,5,6,7,8,9,1e300]::float8[])", "22000", "features must be finite numbers"),
    ("predict_proba by id on a regression model", "SELECT pgml.predict_proba((SELECT max(m.id) FROM pgml.models m JOIN pgml.projects p ON p.id = m.project_id WHERE p.name = 'Existing'), ARRAY[1,2,3,4,5,6,7,8,9,10]::real[])", "0A000", "needs a classification model"),
    // train's arguments.
    ("test_size zero", "SELECT * FROM pgml.train('b1', 'regression', 'pgml.diabetes', 'target', test_size => 0)", "22023", "test_size must be positive, got 0"),
    ("test_size NaN", "SELECT * FROM pgml.train('b2', 'regression', 'pgml.diabetes', 'target', test_size => 'NaN')", "22023", "test_size must be positive, got NaN"),
    ("test_sampling outside the enum", "SELECT * FROM pgml.train('b4', 'regression', 'pgml.diabetes', 'target', test_sampling => 'nope')", "22P02", "pgml.sampling"),
    ("search outside the enum", "SELECT * FROM pgml.train('b5', 'regression', 'pgml.diabetes', 'target', search => 'nope')", "22P02", "pgml.search"),
    ("an empty relation name", "SELECT * FROM pgml.train('b7', 'regression', '', 'target')", "42602", "invalid name syntax"),
    ("SQL in a relation name", "SELECT * FROM pgml.train('b8', 'regression', 'pgml.diabetes; DROP TABLE one_row', 'target')", "42602", "invalid name syntax"),
    ("a NULL project name", "SELECT * FROM pgml.train(NULL, 'regression', 'pgml.diabetes', 'target')", "22004", "project_name must not be NULL"),
    ("search_params not an object", "SELECT * FROM pgml.train('b9', 'regression', 'pgml.diabetes', 'target', algorithm => 'ridge', search => 'grid', search_params => '[1]')", "22023", "a search needs search_params"),
    ("search_params value not a list", "SELECT * FROM pgml.train('b10', 'regression', 'pgml.diabetes', 'target', algorithm => 'ridge', search => 'grid', search_params => '{\"alpha\": 1}')", "22023", "must be a non-empty list of values"),
    ("random search with no iterations", "SELECT * FROM pgml.train('b11', 'regression', 'pgml.diabetes', 'target', algorithm => 'ridge', search => 'random', search_params => '{\"alpha\": [1, 2]}', search_args => '{\"n_iter\": 0}')", "22023", "n_iter must be a whole number of at least 1"),
    ("unknown search_args entry", "SELECT * FROM pgml.train('b12', 'regression', 'pgml.diabetes', 'target', algorithm => 'ridge', search => 'grid', search_params => '{\"alpha\": [1]}', search_args => '{\"folds\": 3}')", "22023", "known: cv, n_iter, random_state"),
    ("zero clusters", "SELECT * FROM pgml.train('b13', 'clustering', 'pgml.iris', hyperparams => '{\"n_clusters\": 0}')", "22023", "n_clusters of kmeans must be a whole number from 1"),
    ("clusters as text", "SELECT * FROM pgml.train('b14', 'clustering', 'pgml.iris', hyperparams => '{\"n_clusters\": \"3\"}')", "22023", "n_clusters of kmeans must be a whole number, got \"3\""),
    ("zero components", "SELECT * FROM pgml.train('b15', 'decomposition', 'pgml.iris', hyperparams => '{\"n_components\": 0}')", "22023", "n_components of pca must be a whole number from 1 to 100000 or a fraction"),
    ("zero boosting rounds", "SELECT * FROM pgml.train('b16', 'regression', 'pgml.diabetes', 'target', algorithm => 'xgboost', hyperparams => '{\"n_estimators\": 0}')", "22023", "n_estimators of xgboost must be a whole number from 1 to 100000"),
    ("a billion boosting rounds", "SELECT * FROM pgml.train('b17', 'regression', 'pgml.diabetes', 'target', algorithm => 'xgboost', hyperparams => '{\"n_estimators\": 1000000000}')", "22023", "got 1000000000"),
    ("negative depth", "SELECT * FROM pgml.train('b18', 'regression', 'pgml.diabetes', 'target', algorithm => 'xgboost', hyperparams => '{\"max_depth\": -1}')", "22023", "max_depth of xgboost must be a whole number from 0 to 64"),
    ("a depth of a million", "SELECT * FROM pgml.train('b43', 'regression', 'pgml.diabetes', 'target', algorithm => 'xgboost', hyperparams => '{\"max_depth\": 1000000}')", "22023", "got 1000000"),
    ("negative threads", "SELECT * FROM pgml.train('b20', 'regression', 'pgml.diabetes', 'target', algorithm => 'xgboost', hyperparams => '{\"nthread\": -1}')", "22023", "nthread of xgboost must be a whole number from 0 to 1024"),
    ("an XGBoost objective that does not exist", "SELECT * FROM pgml.train('b42', 'regression', 'pgml.diabetes', 'target', algorithm => 'xgboost', hyperparams => '{\"objective\": \"reg:nope\"}')", "22023", "objective of xgboost must be one of reg:squarederror"),
    ("an XGBoost parameter pgml does not pass on", "SELECT * FROM pgml.train('x1', 'regression', 'pgml.diabetes', 'target', algorithm => 'xgboost', hyperparams => '{\"updater\": \"prune\"}')", "22023", "unknown hyperparameter \"updater\" for algorithm xgboost"),
    ("a classification objective for a regression", "SELECT * FROM pgml.train('x2', 'regression', 'pgml.diabetes', 'target', algorithm => 'xgboost', hyperparams => '{\"objective\": \"binary:logistic\"}')", "22023", "XGBoost objective binary:logistic does not fit a regression task"),
    ("a binary objective for three classes", "SELECT * FROM pgml.train('x3', 'classification', 'pgml.iris', 'target', algorithm => 'xgboost', hyperparams => '{\"objective\": \"binary:logistic\"}')", "22023", "needs two classes; the label has 3"),
    ("labels outside an objective's range", "SELECT * FROM pgml.train('x4', 'regression', 'pgml.diabetes', 'target', algorithm => 'xgboost', hyperparams => '{\"objective\": \"reg:logistic\"}')", "22000", "label must be in [0,1]"),
    ("an unknown eval_metric", "SELECT * FROM pgml.train('x5', 'regression', 'pgml.diabetes', 'target', algorithm => 'xgboost', hyperparams => '{\"eval_metric\": \"accuracy\"}')", "22023", "unknown XGBoost eval_metric \"accuracy\""),
    ("eval_metric of the wrong type", "SELECT * FROM pgml.train('x6', 'regression', 'pgml.diabetes', 'target', algorithm => 'xgboost', hyperparams => '{\"eval_metric\": 3}')", "22023", "eval_metric of xgboost must be an XGBoost metric name"),
    ("zero early stopping rounds", "SELECT * FROM pgml.train('x7', 'regression', 'pgml.diabetes', 'target', algorithm => 'xgboost', hyperparams => '{\"early_stopping_rounds\": 0}')", "22023", "early_stopping_rounds of xgboost must be a whole number from 1 to 100000"),
    ("a validation part of most rows", "SELECT * FROM pgml.train('x8', 'regression', 'pgml.diabetes', 'target', algorithm => 'xgboost', hyperparams => '{\"early_stopping_rounds\": 5, \"validation_fraction\": 0.9}')", "22023", "validation_fraction of xgboost must be a number greater than 0 and at most 0.5"),
    ("the linear booster", "SELECT * FROM pgml.train('x9', 'regression', 'pgml.diabetes', 'target', algorithm => 'xgboost', hyperparams => '{\"booster\": \"gblinear\"}')", "0A000", "booster = gblinear is not available in pgml"),
    ("a GPU", "SELECT * FROM pgml.train('x10', 'regression', 'pgml.diabetes', 'target', algorithm => 'xgboost', hyperparams => '{\"gpu_id\": 0}')", "0A000", "pgml trains on the CPU"),
    ("constraints that are not numbers", "SELECT * FROM pgml.train('x11', 'regression', 'pgml.diabetes', 'target', algorithm => 'xgboost', hyperparams => '{\"monotone_constraints\": \"(1,x)\"}')", "22023", "monotone_constraints must list feature numbers"),
    ("two names of the seed", "SELECT * FROM pgml.train('x12', 'regression', 'pgml.diabetes', 'target', algorithm => 'xgboost', hyperparams => '{\"seed\": 1, \"random_state\": 2}')", "22023", "random_state and seed are the same"),
    ("negative lasso alpha", "SELECT * FROM pgml.train('b22', 'regression', 'pgml.diabetes', 'target', algorithm => 'lasso', hyperparams => '{\"alpha\": -1}')", "22023", "alpha of lasso must be a number at least 0"),
    ("l1_ratio above 1", "SELECT * FROM pgml.train('b23', 'regression', 'pgml.diabetes', 'target', algorithm => 'elastic_net', hyperparams => '{\"l1_ratio\": 2}')", "22023", "l1_ratio of elastic_net must be a number at least 0 and at most 1"),
    ("zero iterations", "SELECT * FROM pgml.train('b24', 'regression', 'pgml.diabetes', 'target', algorithm => 'elastic_net', hyperparams => '{\"max_iter\": 0}')", "22023", "max_iter of elastic_net must be a whole number from 1"),
    ("a boolean for a number", "SELECT * FROM pgml.train('b26', 'regression', 'pgml.diabetes', 'target', algorithm => 'ridge', hyperparams => '{\"alpha\": true}')", "22023", "alpha of ridge must be a number, got true"),
    ("text for a boolean", "SELECT * FROM pgml.train('b27', 'regression', 'pgml.diabetes', 'target', hyperparams => '{\"fit_intercept\": \"yes\"}')", "22023", "fit_intercept of linear must be true or false"),
    ("a forest of no trees", "SELECT * FROM pgml.train('b28', 'regression', 'pgml.diabetes', 'target', algorithm => 'random_forest', hyperparams => '{\"n_estimators\": 0}')", "22023", "n_estimators of random_forest must be a whole number from 1"),
    ("preprocess not an object", "SELECT * FROM pgml.train('b29', 'regression', 'pgml.diabetes', 'target', preprocess => '[1]')", "22023", "preprocess must be a JSON object of column names"),
    ("scaling a text column", "SELECT * FROM pgml.train('b30', 'regression', 'text_feature', 'y', preprocess => '{\"x\": {\"scale\": \"standard\"}}')", "0A000", "impute and scale apply to number columns"),
    ("an unknown encoding", "SELECT * FROM pgml.train('b31', 'regression', 'text_feature', 'y', preprocess => '{\"x\": {\"encode\": \"nope\"}}')", "22023", "must be one of native, ordinal, one_hot"),
    ("preprocess of an array column", "SELECT * FROM pgml.train('b32', 'regression', 'array_feature', 'y', preprocess => '{\"x\": {\"scale\": \"standard\"}}')", "0A000", "preprocess applies to single-value columns"),
    ("preprocess of the label", "SELECT * FROM pgml.train('b33', 'regression', 'pgml.diabetes', 'target', preprocess => '{\"target\": {\"impute\": \"mean\"}}')", "22023", "\"target\", which is not a feature column"),
    ("a view that fails while it is read", "SELECT * FROM pgml.train('b34', 'regression', 'div_zero', 'y')", "22012", "division by zero"),
    ("a text feature with NULLs", "SELECT * FROM pgml.train('b35', 'regression', 'null_text', 'y')", "22004", "feature column \"x\" is NULL in row 1"),
    ("an index is not a relation to train on", "SELECT * FROM pgml.train('b36', 'regression', 'an_index', 'y')", "42809", "public.an_index is not a table or view"),
    ("a partitioned table without partitions", "SELECT * FROM pgml.train('b37', 'regression', 'partitioned', 'y')", "22000", "relation public.partitioned has no rows"),
    ("a test set larger than the relation", "SELECT * FROM pgml.train('b38', 'regression', 'pgml.diabetes', 'target', test_size => 1000)", "22000", "cannot be split into a test set of 1000"),
    ("kmeans for regression", "SELECT * FROM pgml.train('b39', 'regression', 'pgml.diabetes', 'target', algorithm => 'kmeans')", "0A000", "algorithm kmeans does not support regression"),
    ("ridge for decomposition", "SELECT * FROM pgml.train('b40', 'decomposition', 'pgml.iris', algorithm => 'ridge')", "0A000", "algorithms for decomposition: pca"),
    ("a search over an unknown hyperparameter", "SELECT * FROM pgml.train('b41', 'regression', 'pgml.diabetes', 'target', search => 'grid', search_params => '{\"nope\": [1]}')", "22023", "unknown hyperparameter \"nope\" for algorithm linear"),
    // The other functions.
    ("a NULL dataset", "SELECT * FROM pgml.load_dataset(NULL)", "22004", "source must not be NULL"),
    ("a dataset subset", "SELECT * FROM pgml.load_dataset('iris', subset => 'x')", "0A000", "not supported by pgml"),
    ("a negative dataset limit", "SELECT * FROM pgml.load_dataset('iris', \"limit\" => -1)", "22023", "limit must not be negative"),
    ("a strategy outside the enum", "SELECT * FROM pgml.deploy('Existing', 'nope')", "22P02", "pgml.strategy"),
    ("strategy specific by project", "SELECT * FROM pgml.deploy('Existing', 'specific')", "22023", "strategy specific cannot be used"),
    ("deploy of an algorithm never trained", "SELECT * FROM pgml.deploy('Existing', 'best_score', 'xgboost')", "55000", "no successful model trained with xgboost"),
    ("deploy of an algorithm outside the enum", "SELECT * FROM pgml.deploy('Existing', 'best_score', 'nope')", "22P02", "pgml.algorithm"),
    ("deploy of an algorithm pgml lacks", "SELECT * FROM pgml.deploy('Existing', 'best_score', 'spectral_co')", "0A000", "not supported by pgml yet"),
    ("a snapshot with a negative test_size", "SELECT * FROM pgml.snapshot('pgml.diabetes', 'target', test_size => -1)", "22023", "test_size must be positive"),
    ("a snapshot with preprocess", "SELECT * FROM pgml.snapshot('pgml.diabetes', 'target', preprocess => '{\"age\": {\"impute\": \"mean\"}}')", "0A000", "preprocess belongs to pgml.train"),
    ("a snapshot of NULL", "SELECT * FROM pgml.snapshot(NULL, 'target')", "22004", "relation_name must not be NULL"),
    ("export of an unknown project", "SELECT pgml.export_models(ARRAY['nope'])", "42704", "project \"nope\" does not exist"),
    ("export of an unknown model", "SELECT pgml.export_models(model_ids => ARRAY[123456]::bigint[])", "42704", "model 123456 does not exist"),
    ("import of NULL", "SELECT * FROM pgml.import_models(NULL)", "22004", "package must not be NULL"),
    ("import of one byte", "SELECT * FROM pgml.import_models('\\x00'::bytea)", "XX001", "not a pgml model package"),
    ("import of nothing", "SELECT * FROM pgml.import_models(''::bytea)", "XX001", "not a pgml model package"),
    ("a grant on a NULL project", "SELECT * FROM pgml.grant_project(NULL, 'predict', 'public')", "22004", "project_name must not be NULL"),
    ("a double beyond a real in training", "SELECT * FROM pgml.train('o1', 'regression', 'overflow_double', 'y')", "22000", "feature column \"x\" is 1e300 in row 4, beyond the range of real"),
    ("a numeric beyond a real in training", "SELECT * FROM pgml.train('o2', 'regression', 'overflow_numeric', 'y')", "22000", "feature column \"x\" is 1e50 in row 4, beyond the range of real"),
    ("an array element beyond a real in training", "SELECT * FROM pgml.train('o3', 'regression', 'overflow_array', 'y')", "22000", "feature column \"x\" is 1e200 in row 4"),
    ("boosting beyond memory", "SELECT * FROM pgml.train('o4', 'classification', 'pgml.digits', 'target', algorithm => 'xgboost', hyperparams => '{\"n_estimators\": 100000, \"max_depth\": 16, \"min_child_weight\": 0}')", "54000", "100000 boosting rounds on this data would take about"),
    ("a random forest beyond memory", "SELECT * FROM pgml.train('o5', 'classification', 'pgml.digits', 'target', algorithm => 'xgboost_random_forest', hyperparams => '{\"n_estimators\": 100000}')", "54000", "a forest of 100000 trees on this data would take about"),
    ("scikit-learn's random forest beyond memory", "SELECT * FROM pgml.train('o6', 'classification', 'noise', 'y', algorithm => 'random_forest', hyperparams => '{\"n_estimators\": 100000}')", "54000", "the forest would not fit in memory"),
    ("gradient boosting beyond memory", "SELECT * FROM pgml.train('o7', 'classification', 'noise', 'y', algorithm => 'gradient_boosting_trees', hyperparams => '{\"n_estimators\": 100000, \"max_depth\": 1000000}')", "54000", "the model would not fit in memory"),
    ("histogram boosting beyond memory", "SELECT * FROM pgml.train('o8', 'regression', 'noise', 'y', algorithm => 'hist_gradient_boosting', hyperparams => '{\"max_iter\": 100000, \"max_leaf_nodes\": 1000000, \"min_samples_leaf\": 1, \"early_stopping\": false}')", "54000", "the model would not fit in memory"),
    // gradient_boosting_trees and hist_gradient_boosting: scikit-learn's ranges, and what pgml does not implement.
    ("gradient boosting learning_rate 0", "SELECT * FROM pgml.train('g1', 'regression', 'pgml.diabetes', 'target', algorithm => 'gradient_boosting_trees', hyperparams => '{\"learning_rate\": 0}')", "22023", "learning_rate of gradient_boosting_trees must be a number greater than 0"),
    ("gradient boosting unknown loss", "SELECT * FROM pgml.train('g2', 'regression', 'pgml.diabetes', 'target', algorithm => 'gradient_boosting_trees', hyperparams => '{\"loss\": \"ls\"}')", "22023", "one of squared_error, absolute_error, huber, quantile"),
    ("gradient boosting classification loss", "SELECT * FROM pgml.train('g3', 'classification', 'pgml.iris', 'target', algorithm => 'gradient_boosting_trees', hyperparams => '{\"loss\": \"deviance\"}')", "22023", "one of log_loss, exponential"),
    ("gradient boosting exponential loss on three classes", "SELECT * FROM pgml.train('g4', 'classification', 'pgml.iris', 'target', algorithm => 'gradient_boosting_trees', hyperparams => '{\"loss\": \"exponential\"}')", "22023", "fits two classes only"),
    ("gradient boosting a billion stages", "SELECT * FROM pgml.train('g5', 'regression', 'pgml.diabetes', 'target', algorithm => 'gradient_boosting_trees', hyperparams => '{\"n_estimators\": 1000000000}')", "22023", "n_estimators of gradient_boosting_trees must be a whole number from 1 to 100000"),
    ("gradient boosting subsample 0", "SELECT * FROM pgml.train('g6', 'regression', 'pgml.diabetes', 'target', algorithm => 'gradient_boosting_trees', hyperparams => '{\"subsample\": 0}')", "22023", "subsample of gradient_boosting_trees must be a number greater than 0 and at most 1"),
    ("gradient boosting alpha 1", "SELECT * FROM pgml.train('g7', 'regression', 'pgml.diabetes', 'target', algorithm => 'gradient_boosting_trees', hyperparams => '{\"loss\": \"huber\", \"alpha\": 1}')", "22023", "greater than 0 and below 1"),
    ("gradient boosting depth 0", "SELECT * FROM pgml.train('g8', 'regression', 'pgml.diabetes', 'target', algorithm => 'gradient_boosting_trees', hyperparams => '{\"max_depth\": 0}')", "22023", "max_depth of gradient_boosting_trees must be a whole number from 1"),
    ("gradient boosting pruning", "SELECT * FROM pgml.train('g9', 'regression', 'pgml.diabetes', 'target', algorithm => 'gradient_boosting_trees', hyperparams => '{\"ccp_alpha\": 0.01}')", "0A000", "ccp_alpha"),
    ("gradient boosting init estimator", "SELECT * FROM pgml.train('g10', 'regression', 'pgml.diabetes', 'target', algorithm => 'gradient_boosting_trees', hyperparams => '{\"init\": \"DummyRegressor\"}')", "22023", "init of gradient_boosting_trees must be one of zero"),
    ("histogram boosting 256 bins", "SELECT * FROM pgml.train('g11', 'regression', 'pgml.diabetes', 'target', algorithm => 'hist_gradient_boosting', hyperparams => '{\"max_bins\": 256}')", "22023", "max_bins of hist_gradient_boosting must be a whole number from 2 to 255"),
    ("histogram boosting learning_rate -1", "SELECT * FROM pgml.train('g12', 'regression', 'pgml.diabetes', 'target', algorithm => 'hist_gradient_boosting', hyperparams => '{\"learning_rate\": -1}')", "22023", "learning_rate of hist_gradient_boosting must be a number greater than 0"),
    ("histogram boosting unknown loss", "SELECT * FROM pgml.train('g13', 'regression', 'pgml.diabetes', 'target', algorithm => 'hist_gradient_boosting', hyperparams => '{\"loss\": \"huber\"}')", "22023", "one of squared_error, absolute_error, gamma, poisson, quantile"),
    ("histogram boosting a billion iterations", "SELECT * FROM pgml.train('g14', 'regression', 'pgml.diabetes', 'target', algorithm => 'hist_gradient_boosting', hyperparams => '{\"max_iter\": 1000000000}')", "22023", "max_iter of hist_gradient_boosting must be a whole number from 1 to 100000"),
    ("histogram boosting quantile without a quantile", "SELECT * FROM pgml.train('g15', 'regression', 'pgml.diabetes', 'target', algorithm => 'hist_gradient_boosting', hyperparams => '{\"loss\": \"quantile\"}')", "22023", "needs hyperparameter quantile"),
    ("histogram boosting early_stopping of the wrong type", "SELECT * FROM pgml.train('g16', 'regression', 'pgml.diabetes', 'target', algorithm => 'hist_gradient_boosting', hyperparams => '{\"early_stopping\": \"yes\"}')", "22023", "one of auto, true, false"),
    ("histogram boosting monotonic constraints", "SELECT * FROM pgml.train('g17', 'regression', 'pgml.diabetes', 'target', algorithm => 'hist_gradient_boosting', hyperparams => '{\"monotonic_cst\": [1, 0, 0, 0, 0, 0, 0, 0, 0, 0]}')", "0A000", "monotonic_cst"),
    ("histogram boosting interaction constraints", "SELECT * FROM pgml.train('g18', 'regression', 'pgml.diabetes', 'target', algorithm => 'hist_gradient_boosting', hyperparams => '{\"interaction_cst\": \"pairwise\"}')", "0A000", "interaction_cst"),
    ("histogram boosting categorical features", "SELECT * FROM pgml.train('g19', 'regression', 'pgml.diabetes', 'target', algorithm => 'hist_gradient_boosting', hyperparams => '{\"categorical_features\": [1]}')", "0A000", "categorical_features"),
    ("histogram boosting gamma on negative targets", "SELECT * FROM pgml.train('g20', 'regression', 'negative_target', 'y', algorithm => 'hist_gradient_boosting', hyperparams => '{\"loss\": \"gamma\"}')", "22000", "loss gamma needs targets greater than 0"),
    // Issue 11's linear, kernel and SVM algorithms.
    ("linear_svm with an unknown loss", "SELECT * FROM pgml.train('s1', 'classification', 'pgml.iris', 'target', algorithm => 'linear_svm', hyperparams => '{\"loss\": \"log_loss\"}')", "22023", "loss of linear_svm must be one of squared_hinge, hinge"),
    ("linear_svm with a negative C", "SELECT * FROM pgml.train('s2', 'regression', 'pgml.diabetes', 'target', algorithm => 'linear_svm', hyperparams => '{\"C\": -1}')", "22023", "C of linear_svm must be a number greater than 0"),
    ("linear_svm hinge without the dual", "SELECT * FROM pgml.train('s3', 'classification', 'pgml.iris', 'target', algorithm => 'linear_svm', hyperparams => '{\"loss\": \"hinge\", \"dual\": false}')", "22023", "supported: penalty 'l2' with loss 'squared_hinge'"),
    ("linear_svm dual neither a boolean nor auto", "SELECT * FROM pgml.train('s4', 'classification', 'pgml.iris', 'target', algorithm => 'linear_svm', hyperparams => '{\"dual\": \"yes\"}')", "22023", "dual of linear_svm must be true, false or auto"),
    ("linear_svm crammer_singer", "SELECT * FROM pgml.train('s5', 'classification', 'pgml.iris', 'target', algorithm => 'linear_svm', hyperparams => '{\"multi_class\": \"crammer_singer\"}')", "0A000", "multi_class crammer_singer is not supported by pgml yet"),
    ("linear_svm for regression with an unknown loss", "SELECT * FROM pgml.train('s6', 'regression', 'pgml.diabetes', 'target', algorithm => 'linear_svm', hyperparams => '{\"loss\": \"hinge\"}')", "22023", "one of epsilon_insensitive, squared_epsilon_insensitive"),
    ("least_angle with no steps", "SELECT * FROM pgml.train('s7', 'regression', 'pgml.diabetes', 'target', algorithm => 'least_angle', hyperparams => '{\"n_nonzero_coefs\": 0}')", "22023", "n_nonzero_coefs of least_angle must be a whole number from 1"),
    ("lasso_least_angle with a negative alpha", "SELECT * FROM pgml.train('s8', 'regression', 'pgml.diabetes', 'target', algorithm => 'lasso_least_angle', hyperparams => '{\"alpha\": -1}')", "22023", "alpha of lasso_least_angle must be a number at least 0"),
    ("least_angle for classification", "SELECT * FROM pgml.train('s9', 'classification', 'pgml.iris', 'target', algorithm => 'least_angle')", "0A000", "does not support classification"),
    ("automatic_relevance_determination with a zero threshold", "SELECT * FROM pgml.train('s10', 'regression', 'pgml.diabetes', 'target', algorithm => 'automatic_relevance_determination', hyperparams => '{\"threshold_lambda\": 0}')", "22023", "threshold_lambda of automatic_relevance_determination must be a number greater than 0"),
    ("ransac with an unknown loss", "SELECT * FROM pgml.train('s11', 'regression', 'pgml.diabetes', 'target', algorithm => 'ransac', hyperparams => '{\"loss\": \"huber\"}')", "22023", "one of absolute_error, squared_error"),
    ("ransac with more samples than rows", "SELECT * FROM pgml.train('s12', 'regression', 'pgml.diabetes', 'target', algorithm => 'ransac', hyperparams => '{\"min_samples\": 100000}')", "22023", "min_samples 100000 of ransac is more than the"),
    ("ransac with a Python callable", "SELECT * FROM pgml.train('s13', 'regression', 'pgml.diabetes', 'target', algorithm => 'ransac', hyperparams => '{\"is_data_valid\": \"f\"}')", "22023", "unknown hyperparameter \"is_data_valid\" for algorithm ransac"),
    ("theil_sen beyond memory", "SELECT * FROM pgml.train('s14', 'regression', 'pgml.diabetes', 'target', algorithm => 'theil_sen', hyperparams => '{\"max_subpopulation\": 1e12}')", "54000", "lower hyperparameter max_subpopulation"),
    ("theil_sen with too few rows a subset", "SELECT * FROM pgml.train('s15', 'regression', 'pgml.diabetes', 'target', algorithm => 'theil_sen', hyperparams => '{\"n_subsamples\": 3}')", "22023", "n_subsamples 3 of theil_sen is below the 11 weights"),
    ("quantile outside (0, 1)", "SELECT * FROM pgml.train('s16', 'regression', 'pgml.diabetes', 'target', algorithm => 'quantile', hyperparams => '{\"quantile\": 1}')", "22023", "quantile of quantile must be a number greater than 0 and less than 1"),
    ("quantile with an unknown solver", "SELECT * FROM pgml.train('s17', 'regression', 'pgml.diabetes', 'target', algorithm => 'quantile', hyperparams => '{\"solver\": \"glpk\"}')", "22023", "one of highs, highs-ds, highs-ipm"),
    ("kernel_ridge beyond its n×n limit", "SELECT * FROM pgml.train('s18', 'regression', 'pgml.diabetes', 'target', algorithm => 'kernel_ridge', hyperparams => '{\"max_train_rows\": 100}')", "54000", "raise hyperparameter max_train_rows"),
    ("gaussian_process with an unknown kernel", "SELECT * FROM pgml.train('s19', 'regression', 'pgml.diabetes', 'target', algorithm => 'gaussian_process', hyperparams => '{\"kernel\": \"1.0 * Nope()\"}')", "22023", "unknown kernel Nope"),
    ("gaussian_process with a negative length scale", "SELECT * FROM pgml.train('s20', 'regression', 'pgml.diabetes', 'target', algorithm => 'gaussian_process', hyperparams => '{\"kernel\": \"RBF(length_scale=-1)\"}')", "22023", "kernels: RBF, Matern, RationalQuadratic"),
    ("gaussian_process with a Matern nu pgml lacks", "SELECT * FROM pgml.train('s21', 'regression', 'pgml.diabetes', 'target', algorithm => 'gaussian_process', hyperparams => '{\"kernel\": \"Matern(nu=0.7)\"}')", "0A000", "use nu 0.5, 1.5, 2.5 or inf"),
    ("gaussian_process beyond its n×n limit", "SELECT * FROM pgml.train('s22', 'regression', 'pgml.diabetes', 'target', algorithm => 'gaussian_process', hyperparams => '{\"max_train_rows\": 100}')", "54000", "raise hyperparameter max_train_rows to at least 331"),
    ("gaussian_process classification one_vs_one", "SELECT * FROM pgml.train('s23', 'classification', 'pgml.iris', 'target', algorithm => 'gaussian_process', hyperparams => '{\"multi_class\": \"one_vs_one\"}')", "0A000", "use multi_class 'one_vs_rest'"),
    ("gaussian_process classification max_iter_predict 0", "SELECT * FROM pgml.train('s23b', 'classification', 'pgml.iris', 'target', algorithm => 'gaussian_process', hyperparams => '{\"max_iter_predict\": 0}')", "22023", "max_iter_predict"),
    ("gaussian_process classification alpha", "SELECT * FROM pgml.train('s23c', 'classification', 'pgml.iris', 'target', algorithm => 'gaussian_process', hyperparams => '{\"alpha\": 1}')", "22023", "known hyperparameters"),
    ("a NULL number in a predicted row names preprocess", "SELECT pgml.predict('Existing', r) FROM (SELECT NULL::real AS age, 2 AS sex, 3 AS bmi, 4 AS bp, 5 AS s1, 6 AS s2, 7 AS s3, 8 AS s4, 9 AS s5, 10 AS s6) r", "22004", "train with preprocess => '{\"age\": {\"impute\": \"mean\"}}'"),
    ("a revoke of an unknown privilege", "SELECT * FROM pgml.revoke_project('Existing', 'nope', 'public')", "22023", "unknown project privilege \"nope\""),
    // Clustering and decomposition (issue 12): every bad value names what is accepted.
    ("dbscan with eps 0", "SELECT * FROM pgml.train('c1', 'clustering', 'pgml.iris', algorithm => 'dbscan', hyperparams => '{\"eps\": 0}')", "22023", "eps of dbscan must be a number greater than 0"),
    ("dbscan with min_samples 0", "SELECT * FROM pgml.train('c2', 'clustering', 'pgml.iris', algorithm => 'dbscan', hyperparams => '{\"min_samples\": 0}')", "22023", "min_samples of dbscan must be a whole number from 1"),
    ("dbscan with an unknown metric", "SELECT * FROM pgml.train('c3', 'clustering', 'pgml.iris', algorithm => 'dbscan', hyperparams => '{\"metric\": \"cosine\"}')", "22023", "euclidean"),
    ("dbscan minkowski with p below 1", "SELECT * FROM pgml.train('c4', 'clustering', 'pgml.iris', algorithm => 'dbscan', hyperparams => '{\"metric\": \"minkowski\", \"p\": 0.5}')", "22023", "p must be at least 1 for metric minkowski"),
    ("optics with min_samples 1", "SELECT * FROM pgml.train('c5', 'clustering', 'pgml.iris', algorithm => 'optics', hyperparams => '{\"min_samples\": 1}')", "22023", "min_samples of optics must be a whole number from 2"),
    ("optics with min_samples above the rows", "SELECT * FROM pgml.train('c6', 'clustering', 'pgml.iris', algorithm => 'optics', hyperparams => '{\"min_samples\": 1000}')", "22000", "min_samples 1000 is more than the"),
    ("optics with xi above 1", "SELECT * FROM pgml.train('c7', 'clustering', 'pgml.iris', algorithm => 'optics', hyperparams => '{\"xi\": 1.5}')", "22023", "xi of optics must be a number at least 0 and at most 1"),
    ("optics with an unknown cluster_method", "SELECT * FROM pgml.train('c8', 'clustering', 'pgml.iris', algorithm => 'optics', hyperparams => '{\"cluster_method\": \"hdbscan\"}')", "22023", "xi, dbscan"),
    ("affinity_propagation damping below 0.5", "SELECT * FROM pgml.train('c9', 'clustering', 'pgml.iris', algorithm => 'affinity_propagation', hyperparams => '{\"damping\": 0.4}')", "22023", "damping of affinity_propagation must be a number at least 0.5"),
    ("affinity_propagation damping 1", "SELECT * FROM pgml.train('c10', 'clustering', 'pgml.iris', algorithm => 'affinity_propagation', hyperparams => '{\"damping\": 1}')", "22023", "must be at least 0.5 and less than 1"),
    ("affinity_propagation beyond its n×n limit", "SELECT * FROM pgml.train('c11', 'clustering', 'pgml.iris', algorithm => 'affinity_propagation', hyperparams => '{\"max_train_rows\": 10}')", "54000", "exceed the limit of 10"),
    ("spectral beyond its n×n limit", "SELECT * FROM pgml.train('c12', 'clustering', 'pgml.iris', algorithm => 'spectral', hyperparams => '{\"max_train_rows\": 10}')", "54000", "raise hyperparameter max_train_rows to at least"),
    ("spectral with a precomputed affinity", "SELECT * FROM pgml.train('c13', 'clustering', 'pgml.iris', algorithm => 'spectral', hyperparams => '{\"affinity\": \"precomputed\"}')", "22023", "rbf, nearest_neighbors"),
    ("mini_batch_kmeans with zero clusters", "SELECT * FROM pgml.train('c14', 'clustering', 'pgml.iris', algorithm => 'mini_batch_kmeans', hyperparams => '{\"n_clusters\": 0}')", "22023", "n_clusters of mini_batch_kmeans must be a whole number from 1"),
    ("mini_batch_kmeans with batch_size 0", "SELECT * FROM pgml.train('c15', 'clustering', 'pgml.iris', algorithm => 'mini_batch_kmeans', hyperparams => '{\"batch_size\": 0}')", "22023", "batch_size of mini_batch_kmeans must be a whole number from 1"),
    ("kmeans with n_init 0", "SELECT * FROM pgml.train('c16', 'clustering', 'pgml.iris', algorithm => 'kmeans', hyperparams => '{\"n_init\": 0}')", "22023", "n_init of kmeans must be one of auto or a number greater than 0"),
    ("birch with zero clusters", "SELECT * FROM pgml.train('c17', 'clustering', 'pgml.iris', algorithm => 'birch', hyperparams => '{\"n_clusters\": 0}')", "22023", "n_clusters of birch must be a whole number from 1"),
    ("birch with threshold 0", "SELECT * FROM pgml.train('c18', 'clustering', 'pgml.iris', algorithm => 'birch', hyperparams => '{\"threshold\": 0}')", "22023", "threshold of birch must be a number greater than 0"),
    ("birch with branching_factor 1", "SELECT * FROM pgml.train('c19', 'clustering', 'pgml.iris', algorithm => 'birch', hyperparams => '{\"branching_factor\": 1}')", "22023", "branching_factor of birch must be a whole number from 2"),
    ("mean_shift with bandwidth 0", "SELECT * FROM pgml.train('c20', 'clustering', 'pgml.iris', algorithm => 'mean_shift', hyperparams => '{\"bandwidth\": 0}')", "22023", "bandwidth of mean_shift must be a number greater than 0"),
    ("feature_agglomeration for clustering", "SELECT * FROM pgml.train('c21', 'clustering', 'pgml.iris', algorithm => 'feature_agglomeration')", "0A000", "algorithm feature_agglomeration does not support clustering"),
    ("feature_agglomeration with more groups than features", "SELECT * FROM pgml.train('c22', 'decomposition', 'pgml.iris', algorithm => 'feature_agglomeration', hyperparams => '{\"n_clusters\": 100}')", "22023", "n_clusters 100 is more than the 5 features"),
    ("feature_agglomeration ward with manhattan", "SELECT * FROM pgml.train('c23', 'decomposition', 'pgml.iris', algorithm => 'feature_agglomeration', hyperparams => '{\"metric\": \"manhattan\"}')", "22023", "linkage ward needs metric euclidean"),
    ("pca arpack with every component", "SELECT * FROM pgml.train('c24', 'decomposition', 'pgml.iris', hyperparams => '{\"svd_solver\": \"arpack\", \"n_components\": 5}')", "22023", "for svd_solver arpack"),
    ("pca with an unknown svd_solver", "SELECT * FROM pgml.train('c25', 'decomposition', 'pgml.iris', hyperparams => '{\"svd_solver\": \"lapack\"}')", "22023", "auto, full, covariance_eigh, arpack, randomized"),
    ("pca whiten as text", "SELECT * FROM pgml.train('c26', 'decomposition', 'pgml.iris', hyperparams => '{\"whiten\": \"yes\"}')", "22023", "whiten of pca"),
    // catboost (pgml's implementation of CatBoost's algorithm): CatBoost's ranges and names.
    ("catboost depth 20", "SELECT * FROM pgml.train('cb1', 'regression', 'pgml.diabetes', 'target', algorithm => 'catboost', hyperparams => '{\"depth\": 20}')", "22023", "depth of catboost must be a whole number from 1 to 16"),
    ("catboost a billion iterations", "SELECT * FROM pgml.train('cb2', 'regression', 'pgml.diabetes', 'target', algorithm => 'catboost', hyperparams => '{\"iterations\": 1e9}')", "22023", "iterations of catboost must be a whole number from 1 to 1000000"),
    ("catboost learning_rate 0", "SELECT * FROM pgml.train('cb3', 'regression', 'pgml.diabetes', 'target', algorithm => 'catboost', hyperparams => '{\"learning_rate\": 0}')", "22023", "learning_rate of catboost must be a number greater than 0"),
    ("catboost unknown loss_function", "SELECT * FROM pgml.train('cb4', 'classification', 'pgml.iris', 'target', algorithm => 'catboost', hyperparams => '{\"loss_function\": \"Focal\"}')", "22023", "loss_function of catboost must be one of Logloss, MultiClass"),
    ("catboost negative l2_leaf_reg", "SELECT * FROM pgml.train('cb5', 'regression', 'pgml.diabetes', 'target', algorithm => 'catboost', hyperparams => '{\"l2_leaf_reg\": -1}')", "22023", "l2_leaf_reg of catboost must be a number at least 0"),
    ("catboost two names of iterations", "SELECT * FROM pgml.train('cb6', 'regression', 'pgml.diabetes', 'target', algorithm => 'catboost', hyperparams => '{\"n_estimators\": 10, \"num_trees\": 20}')", "22023", "give only one"),
    ("catboost bagging_temperature with MVS", "SELECT * FROM pgml.train('cb7', 'regression', 'pgml.diabetes', 'target', algorithm => 'catboost', hyperparams => '{\"bootstrap_type\": \"MVS\", \"bagging_temperature\": 1}')", "22023", "bagging_temperature does not apply to bootstrap_type MVS"),
    ("catboost ordered boosting", "SELECT * FROM pgml.train('cb8', 'regression', 'pgml.diabetes', 'target', algorithm => 'catboost', hyperparams => '{\"boosting_type\": \"Ordered\"}')", "0A000", "boosting_type Ordered is not implemented by pgml's catboost"),
    ("catboost unknown boosting_type", "SELECT * FROM pgml.train('cb8b', 'regression', 'pgml.diabetes', 'target', algorithm => 'catboost', hyperparams => '{\"boosting_type\": \"Fast\"}')", "22023", "boosting_type of catboost must be one of Plain, Ordered"),
    ("catboost Buckets CTR", "SELECT * FROM pgml.train('cb8c', 'regression', 'pgml.diabetes', 'target', algorithm => 'catboost', hyperparams => '{\"simple_ctr\": [\"Buckets\"]}')", "0A000", "simple_ctr type Buckets is not supported by pgml's catboost"),
    ("catboost combinations_ctr prior", "SELECT * FROM pgml.train('cb8d', 'regression', 'pgml.diabetes', 'target', algorithm => 'catboost', hyperparams => '{\"combinations_ctr\": \"Borders:Prior=0.3/1\"}')", "0A000", "combinations_ctr setting Prior=0.3/1"),
    ("catboost max_ctr_complexity 0", "SELECT * FROM pgml.train('cb8e', 'regression', 'pgml.diabetes', 'target', algorithm => 'catboost', hyperparams => '{\"max_ctr_complexity\": 0}')", "22023", "max_ctr_complexity of catboost must be a whole number from 1 to 16"),
    ("catboost thread_count 0", "SELECT * FROM pgml.train('cb8f', 'regression', 'pgml.diabetes', 'target', algorithm => 'catboost', hyperparams => '{\"thread_count\": 0}')", "22023", "thread_count must be -1 (all) or at least 1"),
    ("catboost Logloss on three classes", "SELECT * FROM pgml.train('cb9', 'classification', 'pgml.iris', 'target', algorithm => 'catboost', hyperparams => '{\"loss_function\": \"Logloss\", \"iterations\": 5}')", "22000", "loss_function Logloss needs two classes, the labels have 3"),
    ("catboost beyond memory", "SELECT * FROM pgml.train('cb10', 'regression', 'pgml.diabetes', 'target', algorithm => 'catboost', hyperparams => '{\"depth\": 16, \"iterations\": 1000000}')", "54000", "the model would not fit in memory"),
    ("catboost border_count 0", "SELECT * FROM pgml.train('cb11', 'regression', 'pgml.diabetes', 'target', algorithm => 'catboost', hyperparams => '{\"border_count\": 0}')", "22023", "border_count of catboost must be a whole number from 1 to 65535"),
    // Distributed training (issue 15): the switch, what it cannot do, and a relation without shards.
    ("distributed not a boolean", "SELECT * FROM pgml.train('d1', 'regression', 'pgml.diabetes', 'target', hyperparams => '{\"distributed\": \"yes\"}')", "22023", "distributed must be true or false"),
    ("distributed algorithm not supported", "SELECT * FROM pgml.train('d2', 'regression', 'pgml.diabetes', 'target', algorithm => 'svm', hyperparams => '{\"distributed\": true}')", "0A000", "distributed algorithms: xgboost, linear, ridge, kmeans, pca"),
    ("distributed linear classification", "SELECT * FROM pgml.train('d3', 'classification', 'pgml.iris', 'target', algorithm => 'linear', hyperparams => '{\"distributed\": true}')", "0A000", "distributed linear and ridge are regressions"),
    ("distributed search", "SELECT * FROM pgml.train('d4', 'regression', 'pgml.diabetes', 'target', algorithm => 'ridge', hyperparams => '{\"distributed\": true}', search => 'grid', search_params => '{\"alpha\": [1, 2]}')", "0A000", "a search in distributed training is not supported"),
    ("distributed xgboost early stopping", "SELECT * FROM pgml.train('d5', 'regression', 'pgml.diabetes', 'target', algorithm => 'xgboost', hyperparams => '{\"distributed\": true, \"early_stopping_rounds\": 5}')", "0A000", "early_stopping_rounds in distributed training"),
    ("distributed on a plain table", "SELECT * FROM pgml.train('d6', 'regression', 'pgml.diabetes', 'target', hyperparams => '{\"distributed\": true}')", "42809", "has no partitioned table under it"),
    ("catboost od_wait of the wrong type", "SELECT * FROM pgml.train('cb12', 'regression', 'pgml.diabetes', 'target', algorithm => 'catboost', hyperparams => '{\"od_wait\": \"ten\"}')", "22023", "od_wait of catboost must be a whole number"),
    ("catboost depth as text", "SELECT * FROM pgml.train('cb13', 'regression', 'pgml.diabetes', 'target', algorithm => 'catboost', hyperparams => '{\"depth\": \"6\"}')", "22023", "depth of catboost must be a whole number"),
    ("catboost IncToDec with od_wait", "SELECT * FROM pgml.train('cb14', 'regression', 'pgml.diabetes', 'target', algorithm => 'catboost', hyperparams => '{\"od_type\": \"IncToDec\", \"od_wait\": 5}')", "22023", "od_type IncToDec needs od_pval"),
    ("catboost early_stopping_rounds and od_wait disagree", "SELECT * FROM pgml.train('cb15', 'regression', 'pgml.diabetes', 'target', algorithm => 'catboost', hyperparams => '{\"early_stopping_rounds\": 5, \"od_wait\": 6}')", "22023", "early_stopping_rounds (5) and od_wait (6) disagree"),
    ("catboost eval_fraction 1", "SELECT * FROM pgml.train('cb16', 'regression', 'pgml.diabetes', 'target', algorithm => 'catboost', hyperparams => '{\"eval_fraction\": 1}')", "22023", "eval_fraction of catboost must be a number"),
    ("catboost one_hot_max_size 1000", "SELECT * FROM pgml.train('cb17', 'regression', 'pgml.diabetes', 'target', algorithm => 'catboost', hyperparams => '{\"one_hot_max_size\": 1000}')", "22023", "one_hot_max_size of catboost must be a whole number from 0 to 255"),
    // lightgbm (LightGBM itself): LightGBM's names and aliases, checked before any data is read.
    ("lightgbm num_leaves of the wrong type", "SELECT * FROM pgml.train('lg1', 'regression', 'pgml.diabetes', 'target', algorithm => 'lightgbm', hyperparams => '{\"num_leaves\": \"many\"}')", "22023", "num_leaves of lightgbm must be a whole number"),
    ("lightgbm an alias of the wrong type", "SELECT * FROM pgml.train('lg2', 'regression', 'pgml.diabetes', 'target', algorithm => 'lightgbm', hyperparams => '{\"eta\": \"fast\"}')", "22023", "eta of lightgbm must be a number"),
    ("lightgbm unknown parameter", "SELECT * FROM pgml.train('lg3', 'regression', 'pgml.diabetes', 'target', algorithm => 'lightgbm', hyperparams => '{\"num_leafs\": 3}')", "22023", "unknown hyperparameter \"num_leafs\" for algorithm lightgbm"),
    ("lightgbm two names of num_iterations", "SELECT * FROM pgml.train('lg4', 'regression', 'pgml.diabetes', 'target', algorithm => 'lightgbm', hyperparams => '{\"n_estimators\": 10, \"num_boost_round\": 20}')", "22023", "give only one"),
    ("lightgbm regression objective for classes", "SELECT * FROM pgml.train('lg5', 'classification', 'pgml.iris', 'target', algorithm => 'lightgbm', hyperparams => '{\"objective\": \"regression\"}')", "22023", "does not fit a classification task"),
    ("lightgbm binary on three classes", "SELECT * FROM pgml.train('lg6', 'classification', 'pgml.iris', 'target', algorithm => 'lightgbm', hyperparams => '{\"objective\": \"binary\"}')", "22023", "needs two classes"),
    ("lightgbm a parameter pgml refuses", "SELECT * FROM pgml.train('lg7', 'regression', 'pgml.diabetes', 'target', algorithm => 'lightgbm', hyperparams => '{\"output_model\": \"/tmp/m.txt\"}')", "0A000", "output_model is not available in pgml"),
    ("lightgbm a value that would set another parameter", "SELECT * FROM pgml.train('lg8', 'regression', 'pgml.diabetes', 'target', algorithm => 'lightgbm', hyperparams => '{\"metric\": \"l2 num_threads=64\"}')", "22023", "cannot take"),
    ("lightgbm beyond memory", "SELECT * FROM pgml.train('lg9', 'regression', 'pgml.diabetes', 'target', algorithm => 'lightgbm', hyperparams => '{\"n_estimators\": 1000000, \"num_leaves\": 64, \"min_data_in_leaf\": 1}')", "54000", "LightGBM iterations on this data would take about"),
    ("lightgbm GPU", "SELECT * FROM pgml.train('lg10', 'regression', 'pgml.diabetes', 'target', algorithm => 'lightgbm', hyperparams => '{\"device_type\": \"gpu\"}')", "22023", "device_type of lightgbm must be one of cpu"),
    // pgml.train_joint / pgml.predict_joint (issue 11): multi-output regression.
    ("train_joint for classification", "SELECT * FROM pgml.train_joint('j1', 'classification', 'pgml.linnerud', ARRAY['weight', 'waist'])", "0A000", "supports regression only"),
    ("train_joint with no label", "SELECT * FROM pgml.train_joint('j3', 'regression', 'pgml.linnerud', '{}'::text[])", "22023", "at least one label column"),
    ("train on a one-label joint project", "SELECT * FROM pgml.train('Joint One', algorithm => 'ridge')", "22023", "was trained by pgml.train_joint on labels weight"),
    ("train_joint on a one-label single-label project", "SELECT * FROM pgml.train_joint('Existing', 'regression', 'pgml.diabetes', ARRAY['target'])", "22023", "was trained by pgml.train;"),
    ("predict on a one-label joint project", "SELECT pgml.predict('Joint One', ARRAY[1, 2, 3, 4, 5]::real[])", "42809", "use pgml.predict_joint"),
    ("train_joint with a NULL label name", "SELECT * FROM pgml.train_joint('j4', 'regression', 'pgml.linnerud', ARRAY['weight', NULL])", "22004", "element 2 of y_column_name is NULL"),
    ("train_joint with a label twice", "SELECT * FROM pgml.train_joint('j5', 'regression', 'pgml.linnerud', ARRAY['weight', 'weight'])", "22023", "names label column \"weight\" twice"),
    ("train_joint with an unknown label", "SELECT * FROM pgml.train_joint('j6', 'regression', 'pgml.linnerud', ARRAY['weight', 'nope'])", "42703", "column \"nope\" does not exist"),
    ("train_joint with every column a label", "SELECT * FROM pgml.train_joint('j7', 'regression', 'two_labels_only', ARRAY['a', 'b'])", "22000", "no feature columns"),
    ("train_joint with a text label beside features", "SELECT * FROM pgml.train_joint('j9', 'regression', 'joint_text_label', ARRAY['a', 'b'])", "42804", "needs a number"),
    ("train_joint without labels on a new project", "SELECT * FROM pgml.train_joint('j10', 'regression', 'pgml.linnerud')", "22023", "needs y_column_name"),
    ("train_joint with an unsupported algorithm", "SELECT * FROM pgml.train_joint('j11', 'regression', 'pgml.linnerud', ARRAY['weight', 'waist'], algorithm => 'spectral_co')", "0A000", "supported algorithms"),
    ("train_joint with a bad hyperparameter", "SELECT * FROM pgml.train_joint('j12', 'regression', 'pgml.linnerud', ARRAY['weight', 'waist'], algorithm => 'ridge', hyperparams => '{\"alpha\": -1}')", "22023", "at least 0"),
    ("train_joint forest with absolute_error", "SELECT * FROM pgml.train_joint('j13', 'regression', 'pgml.linnerud', ARRAY['weight', 'waist'], algorithm => 'random_forest', hyperparams => '{\"criterion\": \"absolute_error\"}')", "0A000", "criterion absolute_error is not supported by pgml.train_joint"),
    ("train on a joint project", "SELECT * FROM pgml.train('Joint', algorithm => 'ridge')", "22023", "was trained by pgml.train_joint"),
    ("train_joint on a single-label project", "SELECT * FROM pgml.train_joint('Existing', algorithm => 'ridge')", "22023", "was trained by pgml.train;"),
    ("train_joint on a clustering project's task", "SELECT * FROM pgml.train_joint('Iris PCA', algorithm => 'ridge')", "0A000", "supports regression only, not decomposition"),
    ("predict_joint with no features", "SELECT pgml.predict_joint('Joint', '{}'::real[])", "22023", "at least one feature"),
    ("predict_joint with a NULL feature", "SELECT pgml.predict_joint('Joint', ARRAY[1, NULL, 3]::real[])", "22004", "feature \"situps\" is NULL"),
    ("predict_joint with too few features", "SELECT pgml.predict_joint('Joint', ARRAY[1, 2]::real[])", "22023", "expects 3 features, got 2"),
    ("predict_joint on a single-label project", "SELECT pgml.predict_joint('Existing', ARRAY[1,2,3,4,5,6,7,8,9,10]::real[])", "42809", "use pgml.predict("),
    ("predict_joint on a classification project", "SELECT pgml.predict_joint('Linear Iris', ARRAY[1, 2, 3, 4]::real[])", "0A000", "supports multi-output regression models"),
    ("predict_joint on an unknown project", "SELECT pgml.predict_joint('nope', ARRAY[1, 2, 3]::real[])", "42704", "project \"nope\" does not exist"),
    ("predict on a joint project", "SELECT pgml.predict('Joint', ARRAY[1, 2, 3]::real[])", "42809", "use pgml.predict_joint"),
    ("predict_proba on a joint project", "SELECT pgml.predict_proba('Joint', ARRAY[1, 2, 3]::real[])", "0A000", "needs a classification model"),
    // class_weight given per class (scikit-learn's dict): keys are the label's classes.
    ("class_weight naming a class the label lacks", "SELECT * FROM pgml.train('cw1', 'classification', 'pgml.iris', 'target', algorithm => 'random_forest', hyperparams => '{\"class_weight\": {\"0\": 1, \"7\": 2}}')", "22023", "the keys \"7\" of class_weight are not classes of the label"),
    ("class_weight's classes in the hint", "SELECT * FROM pgml.train('cw2', 'classification', 'pgml.iris', 'target', algorithm => 'linear', hyperparams => '{\"class_weight\": {\"setosa\": 2}}')", "22023", "the classes are \"0\", \"1\", \"2\""),
    ("class_weight with a negative weight", "SELECT * FROM pgml.train('cw3', 'classification', 'pgml.iris', 'target', algorithm => 'svm', hyperparams => '{\"class_weight\": {\"1\": -1}}')", "22023", "class_weight gives class \"1\" the weight -1; a weight must be a number at least 0"),
    ("class_weight with a weight that is no number", "SELECT * FROM pgml.train('cw4', 'classification', 'pgml.iris', 'target', algorithm => 'hist_gradient_boosting', hyperparams => '{\"class_weight\": {\"1\": \"heavy\"}}')", "22023", "a weight must be a number at least 0"),
    ("class_weight neither a name nor an object", "SELECT * FROM pgml.train('cw5', 'classification', 'pgml.iris', 'target', algorithm => 'extra_trees', hyperparams => '{\"class_weight\": [1, 2]}')", "22023", "or an object of class labels to weights"),
    ("class_weight of a search candidate naming no class", "SELECT * FROM pgml.train('cw6', 'classification', 'pgml.iris', 'target', algorithm => 'linear_svm', search => 'grid', search_params => '{\"class_weight\": [{\"1\": 2}, {\"9\": 2}]}')", "22023", "the keys \"9\" of class_weight"),
    ("class_weight for regression", "SELECT * FROM pgml.train('cw7', 'regression', 'pgml.diabetes', 'target', algorithm => 'random_forest', hyperparams => '{\"class_weight\": {\"1\": 2}}')", "22023", "unknown hyperparameter \"class_weight\""),
    // NULL features reach only the algorithms that take missing values, and only in number columns.
    ("a NULL feature for an algorithm without missing values", "SELECT * FROM pgml.train('mv1', 'regression', 'null_feature', 'y', algorithm => 'random_forest')", "22004", "train an algorithm that takes missing values in number columns: hist_gradient_boosting, xgboost"),
    ("a NULL text feature for hist_gradient_boosting", "SELECT * FROM pgml.train('mv2', 'regression', 'null_text', 'y', algorithm => 'hist_gradient_boosting')", "22004", "feature column \"x\" is NULL in row 1"),
    ("a NULL feature at predict for a model without missing values", "SELECT pgml.predict('Existing', r) FROM (SELECT NULL::real AS age, 2 AS sex, 3 AS bmi, 4 AS bp, 5 AS s1, 6 AS s2, 7 AS s3, 8 AS s4, 9 AS s5, 10 AS s6) r", "22004", "feature column \"age\" is NULL"),
];

const FIXTURES: &str = r#"
    SELECT pgml.load_dataset('diabetes');
    SELECT pgml.load_dataset('iris');
    SELECT pgml.load_dataset('digits');
    SELECT pgml.load_dataset('linnerud');
    SELECT * FROM pgml.train_joint('Joint', 'regression', 'pgml.linnerud', ARRAY['weight', 'waist', 'pulse']);
    SELECT * FROM pgml.train_joint('Joint One', 'regression', 'pgml.linnerud', ARRAY['weight']);
    CREATE TABLE two_labels_only AS SELECT g::real AS a, g::real AS b FROM generate_series(1, 20) g;
    CREATE TABLE joint_text_label AS SELECT g::real AS x, g::real AS a, 'a' || g AS b FROM generate_series(1, 20) g;
    SELECT * FROM pgml.train('Existing', 'regression', 'pgml.diabetes', 'target');
    SELECT * FROM pgml.train('Undeployed', 'regression', 'pgml.diabetes', 'target', automatic_deploy => false);
    SELECT * FROM pgml.train('Ridge Iris', 'classification', 'pgml.iris', 'target', algorithm => 'ridge');
    SELECT * FROM pgml.train('Iris PCA', 'decomposition', 'pgml.iris', hyperparams => '{"n_components": 2}');
    CREATE TABLE null_label AS SELECT g::real AS x, CASE WHEN g = 7 THEN NULL ELSE g END::real AS y FROM generate_series(1, 20) g;
    CREATE TABLE null_feature AS SELECT CASE WHEN g = 7 THEN NULL ELSE g END::real AS x, g::real AS y FROM generate_series(1, 20) g;
    CREATE TABLE text_feature AS SELECT 'a' || g AS x, g::real AS y FROM generate_series(1, 20) g;
    SELECT * FROM pgml.train('Text', 'regression', 'text_feature', 'y');
    CREATE TABLE json_feature AS SELECT '{}'::json AS x, g::real AS y FROM generate_series(1, 20) g;
    CREATE TABLE empty (x real, y real);
    CREATE TABLE one_row AS SELECT 1::real AS x, 1::real AS y;
    CREATE TABLE one_class AS SELECT g::real AS x, 1 AS y FROM generate_series(1, 20) g;
    CREATE TABLE nan_feature AS SELECT CASE WHEN g = 3 THEN 'NaN'::real ELSE g END AS x, g::real AS y FROM generate_series(1, 20) g;
    CREATE TABLE inf_feature AS SELECT CASE WHEN g = 3 THEN 'Infinity'::real ELSE g END AS x, g::real AS y FROM generate_series(1, 20) g;
    CREATE TABLE text_label AS SELECT g::real AS x, 'a' || g AS y FROM generate_series(1, 20) g;
    CREATE SEQUENCE a_sequence;
    CREATE TABLE negative_target AS SELECT g::real AS x, (g - 10)::real AS y FROM generate_series(1, 20) g;
    SELECT * FROM pgml.train('Linear Iris', 'classification', 'pgml.iris', 'target');
    CREATE TABLE imputed_source AS SELECT CASE WHEN g = 7 THEN NULL ELSE g END::real AS x, g::real AS y FROM generate_series(1, 20) g;
    SELECT * FROM pgml.train('Imputed', 'regression', 'imputed_source', 'y', preprocess => '{"x": {"impute": "mean"}}');
    CREATE TABLE nan_class AS SELECT g::real AS x, CASE WHEN g = 5 THEN 'NaN'::real ELSE g % 2 END AS y FROM generate_series(1, 20) g;
    CREATE TABLE inf_class AS SELECT g::real AS x, CASE WHEN g = 5 THEN 'Infinity'::float8 ELSE g % 2 END AS y FROM generate_series(1, 20) g;
    CREATE TABLE array_label AS SELECT g::real AS x, ARRAY[g % 2] AS y FROM generate_series(1, 20) g;
    CREATE TABLE json_label AS SELECT g::real AS x, to_json(g % 2) AS y FROM generate_series(1, 20) g;
    CREATE TABLE date_label AS SELECT g::real AS x, date '2020-01-01' + g % 2 AS y FROM generate_series(1, 20) g;
    CREATE TABLE empty_array AS SELECT '{}'::real[] AS x, g::real AS y FROM generate_series(1, 20) g;
    CREATE TABLE ragged_array AS SELECT CASE WHEN g = 2 THEN ARRAY[1, 2, 3] ELSE ARRAY[1, 2] END::real[] AS x, g::real AS y FROM generate_series(1, 20) g;
    CREATE TABLE only_label AS SELECT g::real AS y FROM generate_series(1, 20) g;
    CREATE TABLE no_columns ();
    CREATE TABLE partitioned (x real, y real) PARTITION BY RANGE (x);
    CREATE TABLE div_zero_src AS SELECT g::real AS x, g::real AS y FROM generate_series(0, 20) g;
    CREATE VIEW div_zero AS SELECT 1 / (x::int - 5) AS x, y FROM div_zero_src;
    CREATE TABLE null_text AS SELECT NULL::text AS x, g::real AS y FROM generate_series(1, 20) g;
    CREATE INDEX an_index ON one_row (x);
    CREATE TABLE overflow_double AS SELECT CASE WHEN g = 4 THEN 1e300 ELSE g END::float8 AS x, g::real AS y FROM generate_series(1, 20) g;
    CREATE TABLE overflow_numeric AS SELECT CASE WHEN g = 4 THEN 1e50 ELSE g END::numeric AS x, g::real AS y FROM generate_series(1, 20) g;
    CREATE TABLE overflow_array AS SELECT ARRAY[1, CASE WHEN g = 4 THEN 1e200 ELSE g END]::float8[] AS x, g::real AS y FROM generate_series(1, 20) g;
    CREATE TABLE noise AS SELECT random()::real AS a, random()::real AS b, random()::real AS c, (random() * 9)::int AS y FROM generate_series(1, 20000) g;
    CREATE TABLE array_feature AS SELECT ARRAY[g, g + 1]::real[] AS x, g::real AS y FROM generate_series(1, 20) g;
"#;

fn catalog_counts(client: &mut postgres::Client) -> String {
    client
        .query_one(
            "SELECT format('%s/%s/%s/%s/%s/%s', (SELECT count(*) FROM pgml.projects), (SELECT count(*) FROM pgml.snapshots),
                    (SELECT count(*) FROM pgml.models), (SELECT count(*) FROM pgml.files),
                    (SELECT count(*) FROM pgml.deployments),
                    (SELECT count(*) FROM pg_tables WHERE schemaname = 'pgml' AND tablename LIKE 'snapshot\\_%'))",
            &[],
        )
        .unwrap()
        .get(0)
}

#[test]
fn every_bad_input_gets_its_own_sqlstate_and_leaves_nothing_behind() {
    let servers = start_servers(&["errors"]);
    let s = &servers[0];
    database_with_pgml(s, "app");
    let mut client = s.connect("app").unwrap();
    client.batch_execute(FIXTURES).unwrap();
    // A case that should be refused at once but is not must fail the test, not hang it.
    client
        .batch_execute("SET statement_timeout = '60s'")
        .unwrap();
    let before = catalog_counts(&mut client);

    let mut failures = Vec::new();
    for (what, sql, code, fragment) in CASES {
        match client.batch_execute(sql) {
            Ok(()) => failures.push(format!("{what}: succeeded, expected {code}")),
            Err(e) => {
                let Some(db) = e.as_db_error() else {
                    failures.push(format!("{what}: not a server error: {e}"));
                    continue;
                };
                let text = format!("{} {}", db.message(), db.hint().unwrap_or(""));
                if db.code().code() != *code || !text.contains(fragment) {
                    failures.push(format!(
                        "{what}: got {} \"{text}\", expected {code} containing \"{fragment}\"",
                        db.code().code()
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases wrong:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
    assert!(CASES.len() >= 150, "{} cases", CASES.len());
    assert_eq!(
        catalog_counts(&mut client),
        before,
        "a failed call left catalog rows or snapshot tables behind"
    );
}
