#!/usr/bin/env bash
# Cost per row of pgml.predict over 1 M rows, above a bare SELECT of the same feature arrays, and the
# time to train on those rows. Runs on a server of its own (benches/lib.sh), or on --url URL.
#   benches/predict_overhead.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bench_server "$@"
ROWS=${ROWS:-1000000}
q() { psql -X -q -v ON_ERROR_STOP=1 "$URL" -At "$@"; }
ms() { # best of 3 runs of a statement, in ms
  local best=""
  for _ in 1 2 3; do
    local t
    t=$(q -c '\timing on' -c "$1" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -1)
    if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; fi
  done
  echo "$best"
}
q -c "SET client_min_messages = warning" -c "DROP TABLE IF EXISTS bench_rows; DELETE FROM pgml.projects WHERE name LIKE 'bench %'" >/dev/null
q -c "CREATE TABLE bench_rows AS SELECT random()::real AS a, random()::real AS b, random()::real AS c,
             random()::real AS d, random()::real AS e FROM generate_series(1, $ROWS)" >/dev/null
q -c "UPDATE bench_rows SET e = 3 * a - 2 * b + c + d / 2 + random()::real / 10" >/dev/null
q -c "VACUUM ANALYZE bench_rows" >/dev/null
train_ms=$(ms "SELECT * FROM pgml.train('bench linear', 'regression', 'bench_rows', 'e')")
model=$(q -c "SELECT max(m.id) FROM pgml.models m JOIN pgml.projects p ON p.id = m.project_id WHERE p.name = 'bench linear'")
bare=$(ms "SELECT sum(cardinality(x)) FROM (SELECT ARRAY[a, b, c, d] x FROM bench_rows) t")
by_name=$(ms "SELECT sum(p) FROM (SELECT pgml.predict('bench linear', ARRAY[a, b, c, d]) p FROM bench_rows) t")
by_id=$(ms "SELECT sum(p) FROM (SELECT pgml.predict(${model}::bigint, ARRAY[a, b, c, d]) p FROM bench_rows) t")
awk -v n="$ROWS" -v t="$train_ms" -v b="$bare" -v p="$by_name" -v i="$by_id" 'BEGIN {
  printf "rows                          %d\n", n
  printf "train (snapshot+read+fit)     %.0f ms\n", t
  printf "bare SELECT ARRAY[...]        %.0f ms\n", b
  printf "predict by project name       %.0f ms  (+%.3f us/row over bare)\n", p, (p - b) * 1000 / n
  printf "predict by model id           %.0f ms  (+%.3f us/row over bare)\n", i, (i - b) * 1000 / n
}'
q -c "DROP TABLE bench_rows; DELETE FROM pgml.projects WHERE name LIKE 'bench %'" >/dev/null
