#!/usr/bin/env bash
# Starts a throw-away PostgreSQL cluster on loopback, as an unprivileged user, in
# a temporary directory, and prints the URL of a superuser on it (for
# VEZA_TEST_DATABASE_URL: each test makes its own database there).
#   .ci/postgres.sh start [PORT]   -> prints postgres://veza@127.0.0.1:PORT/postgres
#   .ci/postgres.sh stop
set -euo pipefail
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$BIN" ] || { echo "PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; }
STATE=${VEZA_PG_STATE:-/tmp/veza-pg}
PORT=${2:-55432}
as_owner() {
    if [ "$(id -u)" = 0 ]; then
        id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}
case "${1:-start}" in
start)
    if [ -f "$STATE/port" ] && as_owner "$BIN/pg_ctl" -D "$STATE/data" status >/dev/null 2>&1; then
        echo "postgres://veza@127.0.0.1:$(cat "$STATE/port")/postgres"
        exit 0
    fi
    rm -rf "$STATE"
    mkdir -p "$STATE"
    [ "$(id -u)" = 0 ] && { id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres; chown postgres "$STATE"; }
    as_owner "$BIN/initdb" -D "$STATE/data" -U veza --auth=trust -E UTF8 --locale=C.UTF-8 >"$STATE/initdb.log"
    # Many tests at once, each with its own database and a few connections.
    as_owner "$BIN/pg_ctl" -D "$STATE/data" -l "$STATE/server.log" -w -o \
        "-c listen_addresses=127.0.0.1 -c port=$PORT -c unix_socket_directories=$STATE \
         -c max_connections=1000 -c shared_buffers=256MB -c synchronous_commit=on \
         -c fsync=on" start >/dev/null
    echo "$PORT" >"$STATE/port"
    echo "postgres://veza@127.0.0.1:$PORT/postgres"
    ;;
stop)
    [ -d "$STATE/data" ] && as_owner "$BIN/pg_ctl" -D "$STATE/data" -m fast stop >/dev/null || true
    rm -rf "$STATE"
    ;;
esac
