#!/usr/bin/env bash
# Runs the sync server locally on a private Postgres cluster (used by `make run`).
#
#   sync-server/scripts/run-local.sh [--background | --stop] [PGDIR]
#
# Without DATABASE_URL, creates (initdb) and starts a private cluster in PGDIR (default
# build/pg) listening on 127.0.0.1:$STACKSMART_PG_PORT (default 55432), as the unprivileged
# user stacksmart-pg when run as root (Postgres refuses to run as root; `make setup` creates
# the user). Then builds the server, applies migrations (`stacksmart-sync-server migrate`),
# starts it on $STACKSMART_BIND (default 127.0.0.1:8787) and prints its address.
#
#   --background  start the server in the background (log build/sync-server.log) and return
#   --stop        stop a background server and the private cluster
#
# Environment: DATABASE_URL (use this database, no private cluster), STACKSMART_* (server
# configuration, see docs/sync-protocol.md), PG_BINDIR (Postgres binaries),
# STACKSMART_SERVER_BIN (a prebuilt server binary instead of `cargo build --release`).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
MODE=foreground
case "${1:-}" in
  --background) MODE=background; shift ;;
  --stop) MODE=stop; shift ;;
esac
PGDIR=${1:-$ROOT/build/pg}
mkdir -p "$(dirname "$PGDIR")"
PGDIR=$(cd "$(dirname "$PGDIR")" && pwd)/$(basename "$PGDIR")
STATE_DIR=$(dirname "$PGDIR")
PG_USER=stacksmart-pg
PG_PORT=${STACKSMART_PG_PORT:-55432}
export STACKSMART_BIND=${STACKSMART_BIND:-127.0.0.1:8787}
SERVER_PID_FILE=$STATE_DIR/sync-server.pid
SERVER_LOG=$STATE_DIR/sync-server.log

die() { echo "run-local: $*" >&2; exit 1; }

pg_bindir() {
  if [ -n "${PG_BINDIR:-}" ]; then echo "$PG_BINDIR"; return; fi
  local newest
  newest=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$newest" ] && [ -x "$newest/initdb" ]; then echo "$newest"; return; fi
  if command -v pg_config >/dev/null 2>&1; then pg_config --bindir; return; fi
  if command -v initdb >/dev/null 2>&1; then dirname "$(command -v initdb)"; return; fi
  die "PostgreSQL server binaries not found: apt-get install postgresql (or set PG_BINDIR)"
}

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u "$PG_USER" -- "$@"; else "$@"; fi
}

stop_server() {
  if [ -f "$SERVER_PID_FILE" ]; then
    local pid; pid=$(cat "$SERVER_PID_FILE")
    if kill -0 "$pid" 2>/dev/null; then kill "$pid"; echo "stopped sync server (pid $pid)"; fi
    rm -f "$SERVER_PID_FILE"
  fi
}

stop_cluster() {
  if [ -f "$PGDIR/data/postmaster.pid" ]; then
    as_pg "$(pg_bindir)/pg_ctl" stop -D "$PGDIR/data" -m fast >/dev/null && echo "stopped Postgres in $PGDIR"
  fi
}

if [ "$MODE" = stop ]; then
  stop_server
  [ -z "${DATABASE_URL:-}" ] && stop_cluster
  exit 0
fi

STARTED_CLUSTER=0
if [ -z "${DATABASE_URL:-}" ]; then
  BINDIR=$(pg_bindir)
  if [ "$(id -u)" = 0 ]; then
    id "$PG_USER" >/dev/null 2>&1 || die "user $PG_USER is missing: run \`make setup\` (or: useradd --system --no-create-home --shell /usr/sbin/nologin $PG_USER)"
    mkdir -p "$PGDIR"
    chown "$PG_USER:" "$PGDIR"
    as_pg test -w "$PGDIR" || die "$PG_USER cannot reach $PGDIR (is a parent folder private, e.g. /root?); pass another folder"
  else
    mkdir -p "$PGDIR"
  fi
  if [ ! -f "$PGDIR/data/PG_VERSION" ]; then
    echo "creating a private Postgres cluster in $PGDIR/data"
    as_pg "$BINDIR/initdb" -D "$PGDIR/data" -U postgres -A trust -E UTF8 >"$PGDIR/initdb.log" 2>&1 \
      || die "initdb failed, see $PGDIR/initdb.log"
    {
      echo "listen_addresses = '127.0.0.1'"
      echo "port = $PG_PORT"
      echo "unix_socket_directories = '$PGDIR'"
    } | as_pg tee -a "$PGDIR/data/postgresql.auto.conf" >/dev/null
  fi
  PG_PORT=$(sed -n "s/^port = \([0-9]*\)$/\1/p" "$PGDIR/data/postgresql.auto.conf" | tail -n 1)
  if ! as_pg "$BINDIR/pg_ctl" status -D "$PGDIR/data" >/dev/null 2>&1; then
    as_pg "$BINDIR/pg_ctl" start -w -D "$PGDIR/data" -l "$PGDIR/postgres.log" >/dev/null \
      || die "Postgres did not start, see $PGDIR/postgres.log (port $PG_PORT busy? set STACKSMART_PG_PORT and remove $PGDIR)"
    STARTED_CLUSTER=1
  fi
  "$BINDIR/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres stacksmart 2>/dev/null || true
  export DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/stacksmart"
  echo "Postgres: $DATABASE_URL (data in $PGDIR/data)"
fi

if [ -n "${STACKSMART_SERVER_BIN:-}" ]; then
  BIN=$STACKSMART_SERVER_BIN
else
  (cd "$ROOT" && cargo build --release -q -p stacksmart-sync-server)
  BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/stacksmart-sync-server
fi

"$BIN" migrate >/dev/null || die "migrations failed"
ADDR="http://$STACKSMART_BIND"

if [ "$MODE" = background ]; then
  stop_server
  nohup "$BIN" serve >"$SERVER_LOG" 2>&1 &
  echo $! >"$SERVER_PID_FILE"
  for _ in $(seq 1 100); do
    grep -q "listening on" "$SERVER_LOG" 2>/dev/null && break
    kill -0 "$(cat "$SERVER_PID_FILE")" 2>/dev/null || die "the server exited, see $SERVER_LOG"
    sleep 0.1
  done
  echo "StackSmart sync server: $ADDR (log $SERVER_LOG; stop with $0 --stop)"
else
  if [ "$STARTED_CLUSTER" = 1 ]; then trap stop_cluster EXIT; fi
  echo "StackSmart sync server: $ADDR (Ctrl-C to stop)"
  "$BIN" serve
fi
