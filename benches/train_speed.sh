#!/usr/bin/env bash
# Training time in pgml against scikit-learn and XGBoost (Python) on the same shape of data, 2 threads.
# pgml side: fit time recorded in pgml.models.metrics, and the whole pgml.train call (snapshot copy, read,
# fit, score, store). Python side: fit only, data already in memory (benches/train_speed_python.py).
#   pgml up && benches/train_speed.sh       (VENV: a venv with scikit-learn, xgboost, numpy; default /tmp/skvenv)
set -euo pipefail
cd "$(dirname "$0")"
source ./lib.sh
bench_server "$@"
VENV=${VENV:-/tmp/skvenv}
q() { psql -X -q -v ON_ERROR_STOP=1 "$URL" -At "$@"; }
cols=$(seq 1 20 | sed 's/.*/random()::real AS f&/' | paste -sd,)
setup() { # rows
  q -c "SET client_min_messages = warning" -c "DROP VIEW IF EXISTS bench_one; DROP TABLE IF EXISTS bench_train; DELETE FROM pgml.projects WHERE name LIKE 'bench train %'"
  q -c "CREATE TABLE bench_train AS SELECT $cols FROM generate_series(1, $1)"
  q -c "ALTER TABLE bench_train ADD COLUMN y real, ADD COLUMN c boolean;
        UPDATE bench_train SET y = f1 * 3 + f2 * f3 - f4 + random()::real / 10, c = f1 + f2 * f3 > 0.75 + random()::real / 4"
  q -c "VACUUM ANALYZE bench_train"
}
run() { # name, task, label, algorithm, hyperparams, rows
  local ms
  q -c "SET client_min_messages = warning" -c "DROP VIEW IF EXISTS bench_one" -c "CREATE VIEW bench_one AS SELECT $(seq 1 20 | sed 's/.*/f&/' | paste -sd,), $3 FROM bench_train"
  ms=$(q -c "SET pgml.training_threads = 2" -c '\timing on' -c "SELECT * FROM pgml.train('bench train $1', '$2', 'bench_one', '$3', algorithm => '$4', hyperparams => '$5')" \
        | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -1)
  local fit
  fit=$(q -c "SELECT round((metrics->>'fit_time')::numeric, 2) FROM pgml.trained_models WHERE name = 'bench train $1'")
  awk -v n="$1" -v r="$6" -v f="$fit" -v ms="$ms" 'BEGIN { printf "pgml   %-28s %8s rows  fit %6s s   whole pgml.train %6.2f s\n", n, r, f, ms / 1000 }'
}
setup 1000000
run "linear regression" regression y linear '{}' 1000000
run "logistic regression" classification c linear '{}' 1000000
setup 200000
run "xgboost 100 trees depth 6" regression y xgboost '{"n_estimators": 100, "max_depth": 6}' 200000
q -c "DROP VIEW IF EXISTS bench_one; DROP TABLE bench_train; DELETE FROM pgml.projects WHERE name LIKE 'bench train %'"
"$VENV/bin/python" train_speed_python.py
