#!/usr/bin/env bash
# What a snapshot's column statistics (the dashboard's snapshot page) cost: pgml.snapshot of ROWS rows
# (the copy into pgml.snapshot_<id>, then one more pass over the copy for the statistics) against a
# plain copy of the same rows (CREATE TABLE AS, the copy without the statistics). Best of 3 each.
# Runs on a server of its own (benches/lib.sh), or on --url URL.
#   ROWS=100000 benches/snapshot_stats.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bench_server "$@"
ROWS=${ROWS:-1000000}
q() { psql -X -q -v ON_ERROR_STOP=1 "$URL" -At "$@"; }
ms() { # best of 3 runs of a statement, in ms; $2 (optional) runs after each to clean up
  local best=""
  for _ in 1 2 3; do
    local t
    t=$(q -c '\timing on' -c "$1" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -1)
    if [ -n "${2:-}" ]; then q -c "$2" >/dev/null; fi
    if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; fi
  done
  echo "$best"
}
q -c "SET client_min_messages = warning" -c "DROP TABLE IF EXISTS bench_snap, bench_copy" >/dev/null
# 10 float columns, a text column with 50 categories and an integer label: a typical training table.
q -c "CREATE TABLE bench_snap AS
        SELECT random() AS a, random() AS b, random() AS c, random() AS d, random() AS e,
               random() AS f, random() AS g, random() AS h, random() AS i, random() AS j,
               'category ' || (g % 50) AS k, (g % 3) AS y
          FROM generate_series(1, $ROWS) g" >/dev/null
q -c "VACUUM ANALYZE bench_snap" >/dev/null
copy=$(ms "CREATE TABLE bench_copy AS SELECT * FROM bench_snap" "DROP TABLE bench_copy")
snap=$(ms "SELECT pgml.snapshot('bench_snap', 'y')")
awk -v n="$ROWS" -v c="$copy" -v s="$snap" 'BEGIN {
  printf "rows                                   %d\n", n
  printf "plain copy (CREATE TABLE AS)           %.0f ms\n", c
  printf "pgml.snapshot (copy + statistics)      %.0f ms  (+%.0f ms, +%.0f%%)\n", s, s - c, (s - c) * 100 / c
}'
q -c "DROP TABLE bench_snap" >/dev/null
