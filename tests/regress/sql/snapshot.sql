-- pgml.snapshot materializes a relation as a train would.
SELECT * FROM pgml.load_dataset('diabetes');
SELECT * FROM pgml.snapshot('pgml.diabetes', 'target');
SELECT relation_name, y_column_name, test_size, test_sampling, status, materialized FROM pgml.snapshots;
SELECT count(*) FROM pgml.snapshot_1;
SELECT * FROM pgml.snapshot('pgml.diabetes', 'nope');
SELECT * FROM pgml.snapshot('pgml.diabetes', 'target', test_size => -1);
