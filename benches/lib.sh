# shellcheck shell=bash
# Where a benchmark script runs. `--url URL` (or URL=...) names a server you chose: the benchmark
# creates and drops its own `bench_*` tables and `bench ...` projects there. Without it, the
# benchmark starts a throwaway server of its own (`pgml up --data-dir` in a temporary directory, on a
# free port) and removes it at exit: it never touches the shared development server on 5433 unless
# you pass that server's URL.
bench_server() {
  while [ $# -gt 0 ]; do
    case "$1" in
      --url) URL=${2:?--url needs a value}; shift 2 ;;
      --url=*) URL=${1#--url=}; shift ;;
      *) echo "usage: $0 [--url postgres://user@host:port/db]" >&2; exit 2 ;;
    esac
  done
  if [ -n "${URL:-}" ]; then
    return
  fi
  PGML=${PGML_BIN:-pgml}
  BENCH_DIR=$(mktemp -d /tmp/pgml-bench.XXXXXX)
  chmod 755 "$BENCH_DIR"
  BENCH_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  trap bench_stop EXIT
  "$PGML" up --data-dir "$BENCH_DIR" --port "$BENCH_PORT" >&2
  URL=postgres://postgres@127.0.0.1:$BENCH_PORT/pgml_development
}

# Stops and removes the benchmark's own server (nothing when --url named one).
bench_stop() {
  if [ -n "${BENCH_DIR:-}" ]; then
    "$PGML" down --data-dir "$BENCH_DIR" --port "$BENCH_PORT" >/dev/null 2>&1 || true
    rm -rf "$BENCH_DIR"
  fi
}
