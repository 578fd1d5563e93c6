#!/usr/bin/env bash
# Single-row predict throughput: pgml.predict through pgbench, against the same XGBoost model served
# by Flask under gunicorn (2 workers) through wrk, at 1 and 8 clients, on this machine.
#   benches/predict_vs_python.sh          (needs: pgml up; a venv with flask, gunicorn, xgboost, numpy
#                                           in $VENV, default /tmp/skvenv; wrk and pgbench from Debian)
set -euo pipefail
cd "$(dirname "$0")"
source ./lib.sh
bench_server "$@"
VENV=${VENV:-/tmp/skvenv}
SECONDS_EACH=${SECONDS_EACH:-10}
PORT=${PORT:-18080}
work=$(mktemp -d)
trap 'kill $(cat "$work/gunicorn.pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$work"; bench_stop' EXIT
q() { psql -X -q -v ON_ERROR_STOP=1 "$URL" -At "$@"; }

q -c "SET client_min_messages = warning" -c "DROP TABLE IF EXISTS bench_wide; DELETE FROM pgml.projects WHERE name = 'bench service'"
cols=$(seq 1 20 | sed 's/.*/random()::real AS f&/' | paste -sd,)
q -c "CREATE TABLE bench_wide AS SELECT $cols FROM generate_series(1, 100000)"
q -c "ALTER TABLE bench_wide ADD COLUMN y real; UPDATE bench_wide SET y = f1 * 3 + f2 * f3 - f4 + random()::real / 10"
q -c "SELECT * FROM pgml.train('bench service', 'regression', 'bench_wide', 'y', algorithm => 'xgboost', hyperparams => '{\"n_estimators\": 100}')" >/dev/null
# The booster pgml trained, exported from its catalog for the Python side.
q -c "SELECT encode(string_agg(f.data, ''::bytea ORDER BY f.part), 'hex') FROM pgml.files f JOIN pgml.models m ON m.id = f.model_id
        JOIN pgml.projects p ON p.id = m.project_id WHERE p.name = 'bench service' AND f.path = 'xgboost.json'" | xxd -r -p > "$work/model.json"

row=$(seq 1 20 | awk '{printf "%s%.3f", (NR>1?",":""), NR/40}')
echo "SELECT pgml.predict('bench service', ARRAY[$row]::real[]);" > "$work/predict.sql"
cat > "$work/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"features": [$row]}'
wrk.headers["Content-Type"] = "application/json"
LUA

MODEL_PATH="$work/model.json" "$VENV/bin/gunicorn" --chdir python_service -w 2 -b "127.0.0.1:$PORT" \
  --pid "$work/gunicorn.pid" --daemon --log-level warning app:app
for _ in $(seq 50); do curl -sf -o /dev/null -X POST -H 'Content-Type: application/json' -d "{\"features\": [$row]}" "http://127.0.0.1:$PORT/predict" && break; sleep 0.2; done
py_answer=$(curl -s -X POST -H 'Content-Type: application/json' -d "{\"features\": [$row]}" "http://127.0.0.1:$PORT/predict")
pg_answer=$(q -c "SELECT pgml.predict('bench service', ARRAY[$row]::real[])")
echo "same row: pgml $pg_answer, python $py_answer"

for clients in 1 8; do
  pg=$(pgbench -n -M prepared -f "$work/predict.sql" -c $clients -j $clients -T "$SECONDS_EACH" "$URL" 2>/dev/null \
       | sed -n 's/^tps = \([0-9.]*\) .*/\1/p')
  py=$(wrk -t $clients -c $clients -d "${SECONDS_EACH}s" -s "$work/post.lua" "http://127.0.0.1:$PORT/predict" \
       | sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p')
  awk -v c=$clients -v pg="$pg" -v py="$py" 'BEGIN { printf "%d client(s): pgml %8.0f predictions/s, Flask+XGBoost %6.0f/s, ratio %.1fx\n", c, pg, py, pg / py }'
done
q -c "DROP TABLE bench_wide; DELETE FROM pgml.projects WHERE name = 'bench service'"
