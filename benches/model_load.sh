#!/usr/bin/env bash
# First predict in a fresh connection (catalog read + model decode) against later predicts, for a
# 100-tree XGBoost model trained on 100 000 rows × 20 features. Runs on a server of its own
# (benches/lib.sh), or on --url URL.   benches/model_load.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bench_server "$@"
q() { psql -X -q -v ON_ERROR_STOP=1 "$URL" -At "$@"; }
q -c "SET client_min_messages = warning" -c "DROP TABLE IF EXISTS bench_wide; DELETE FROM pgml.projects WHERE name = 'bench trees'"
cols=$(seq 1 20 | sed 's/.*/random()::real AS f&/' | paste -sd,)
q -c "CREATE TABLE bench_wide AS SELECT $cols FROM generate_series(1, 100000)"
q -c "ALTER TABLE bench_wide ADD COLUMN y real; UPDATE bench_wide SET y = f1 * 3 + f2 * f3 - f4 + random()::real / 10"
q -c "SELECT * FROM pgml.train('bench trees', 'regression', 'bench_wide', 'y', algorithm => 'xgboost', hyperparams => '{\"n_estimators\": 100}')" >/dev/null
size=$(q -c "SELECT string_agg(path || ' ' || pg_size_pretty(n), ', ' ORDER BY path) FROM (SELECT path, sum(octet_length(data)) n FROM pgml.files f JOIN pgml.models m ON m.id = f.model_id JOIN pgml.projects p ON p.id = m.project_id WHERE p.name = 'bench trees' GROUP BY path) t")
fit=$(q -c "SELECT round((metrics->>'fit_time')::numeric, 2) FROM pgml.trained_models WHERE name = 'bench trees'")
arr=$(seq 1 20 | sed 's/.*/0.5/' | paste -sd,)
for i in 1 2 3 4 5; do
  # pgml.version() first: it loads the library, so the first predict measures the model load alone.
  q -c "SELECT pgml.version()" -c '\timing on' -c "SELECT pgml.predict('bench trees', ARRAY[$arr]::real[])" -c "SELECT pgml.predict('bench trees', ARRAY[$arr]::real[])" \
    | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | paste -sd' '
done | awk -v size="$size" -v fit="$fit" '{ first += $1; later += $2; n++ } END {
  printf "files (pgml.files)              %s\n", size
  printf "fit time (100 trees, 100k x 20) %s s\n", fit
  printf "first predict in a connection   %.2f ms (mean of %d; library already loaded)\n", first / n, n
  printf "second predict                  %.2f ms\n", later / n
}'
q -c "DROP TABLE bench_wide; DELETE FROM pgml.projects WHERE name = 'bench trees'"
