#!/usr/bin/env bash
# A training pull of 1 M rows through postgres_fdw with pgml's fetch_size (10 000), against
# postgres_fdw's default (100) and against COPY ... TO STDOUT over loopback TCP, on a server of its own
# (benches/lib.sh; --url URL for another): the source is another database of the same server, reached over 127.0.0.1.
#   benches/fdw_pull.sh        (ROWS=... to change the size)
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-1000000}
source benches/lib.sh
bench_server "$@"
# The source is another database of the same server.
SRC=${URL%%\?*}
SRC=${SRC%/*}/bench_source
PGML=${PGML_BIN:-pgml}
q() { psql -X -q -v ON_ERROR_STOP=1 "$1" -At "${@:2}"; }
best() { # url sql: best of 3, ms
  local b=""
  for _ in 1 2 3; do
    local t; t=$(q "$1" -c '\timing on' -c "$2" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -1)
    if [ -z "$b" ] || awk "BEGIN{exit !($t < $b)}"; then b=$t; fi
  done
  echo "$b"
}
q "$URL" -c "SET client_min_messages = warning" -c "DROP SCHEMA IF EXISTS bench_fdw CASCADE; DROP SCHEMA IF EXISTS bench_fdw_default CASCADE" \
  -c "DROP SERVER IF EXISTS bench_fdw CASCADE; DROP SERVER IF EXISTS bench_fdw_default CASCADE" -c "DROP DATABASE IF EXISTS bench_source"
q "$URL" -c "CREATE DATABASE bench_source"
q "$SRC" -c "CREATE TABLE big AS SELECT g AS id, random()::real AS a, random()::real AS b, random()::real AS c,
                    random()::real AS d, (random() < 0.5) AS y FROM generate_series(1, $ROWS) g" -c "VACUUM ANALYZE big"
"$PGML" sync fdw --source "$SRC" --target "$URL" --local-schema bench_fdw --server bench_fdw >/dev/null
"$PGML" sync fdw --source "$SRC" --target "$URL" --local-schema bench_fdw_default --server bench_fdw_default --fetch-size 100 >/dev/null
# psql prints COPY's rows to stdout: timed from the shell (best of 3).
copy=""
for _ in 1 2 3; do
  start=$(date +%s%N); q "$SRC" -c "COPY big TO STDOUT" >/dev/null; t=$(( ($(date +%s%N) - start) / 1000000 ))
  if [ -z "$copy" ] || [ "$t" -lt "$copy" ]; then copy=$t; fi
done
# The same pull written into a table, as a snapshot does: COPY out of the source piped into COPY in.
q "$URL" -c "DROP TABLE IF EXISTS bench_copied" -c "CREATE UNLOGGED TABLE bench_copied (id int, a real, b real, c real, d real, y boolean)"
copy_in=""
for _ in 1 2 3; do
  q "$URL" -c "TRUNCATE bench_copied"
  start=$(date +%s%N); q "$SRC" -c "COPY big TO STDOUT" | q "$URL" -c "COPY bench_copied FROM STDIN"; t=$(( ($(date +%s%N) - start) / 1000000 ))
  if [ -z "$copy_in" ] || [ "$t" -lt "$copy_in" ]; then copy_in=$t; fi
done
q "$URL" -c "DROP TABLE bench_copied"
tuned=$(best "$URL" "CREATE TEMP TABLE pulled AS SELECT * FROM bench_fdw.big; DROP TABLE pulled")
default=$(best "$URL" "CREATE TEMP TABLE pulled AS SELECT * FROM bench_fdw_default.big; DROP TABLE pulled")
awk -v n="$ROWS" -v c="$copy" -v ci="$copy_in" -v t="$tuned" -v d="$default" 'BEGIN {
  printf "rows                                              %d\n", n
  printf "COPY big TO STDOUT over 127.0.0.1 (to /dev/null)   %6.0f ms\n", c
  printf "COPY out | COPY into a table on the target         %6.0f ms\n", ci
  printf "through postgres_fdw into a table, fetch_size 10000 %6.0f ms  (%.2fx COPY out, %.2fx COPY out|in)\n", t, c / t, ci / t
  printf "through postgres_fdw into a table, fetch_size 100   %6.0f ms  (pgml setting %.1fx faster)\n", d, d / t
}'
q "$URL" -c "SET client_min_messages = warning" -c "DROP SCHEMA bench_fdw CASCADE; DROP SCHEMA bench_fdw_default CASCADE" \
  -c "DROP SERVER bench_fdw CASCADE; DROP SERVER bench_fdw_default CASCADE" -c "DROP DATABASE bench_source"
