-- Train, deploy and predict through the public API, with PostgresML's calls.
SELECT * FROM pgml.load_dataset('iris');
SELECT * FROM pgml.train('Iris Flowers', 'classification', 'pgml.iris', 'target');
SELECT pgml.predict('Iris Flowers', ARRAY[5.1, 3.5, 1.4, 0.2]::real[]) AS setosa,
       pgml.predict('Iris Flowers', ARRAY[6.7, 3.0, 5.2, 2.3]::real[]) AS virginica;
SELECT cardinality(pgml.predict_proba('Iris Flowers', ARRAY[5.1, 3.5, 1.4, 0.2]::real[])) AS classes,
       round(sum(p)::numeric, 4) AS total
  FROM unnest(pgml.predict_proba('Iris Flowers', ARRAY[5.1, 3.5, 1.4, 0.2]::real[])) p;
SELECT * FROM pgml.train('Iris Flowers', algorithm => 'xgboost', hyperparams => '{"n_estimators": 20}');
SELECT * FROM pgml.deploy('Iris Flowers', 'most_recent');
SELECT * FROM pgml.deploy('Iris Flowers', 'rollback');
SELECT name, task, algorithm, runtime, num_train_rows, num_test_rows, label_mapping, deployed
  FROM pgml.trained_models ORDER BY id;
SELECT name, task, algorithm, relation_name, y_column_name, test_sampling, test_size FROM pgml.overview;
SELECT strategy, model_id FROM pgml.deployments ORDER BY id;
-- Row predict matches the array form.
SELECT count(*) FILTER (WHERE pgml.predict('Iris Flowers', i) <> pgml.predict('Iris Flowers',
         ARRAY[sepal_length, sepal_width, petal_length, petal_width])) AS differing
  FROM pgml.iris i;
-- Errors say what is wrong and what to do.
SELECT pgml.predict('Nope', ARRAY[1]::real[]);
SELECT pgml.predict('Iris Flowers', ARRAY[1, 2]::real[]);
SELECT * FROM pgml.train('Iris Flowers', algorithm => 'dbscan');
SELECT * FROM pgml.train('Iris Flowers', 'regression');
SELECT * FROM pgml.train('Iris Flowers', hyperparams => '{"C": -1}');
