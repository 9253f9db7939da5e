#!/usr/bin/env bash
# `make bench-server`: load-tests the release sync server from a second process on loopback.
#
#   sync-server/scripts/bench.sh [DURATION_SECONDS]   (default 10)
#
# Starts a private Postgres cluster (default durable settings) and the release server, seeds a
# 300-record wallet (~800-byte ciphertexts), then with `wrk` (Debian package `wrk`):
#   - authenticated reads: GET /v1/records/changes?since=0&limit=100 (pages of 100 records)
#   - single-record writes: POST /v1/records/batch, every body unique, spread over 64 accounts;
#     afterwards the count of 200 answers is checked against the rows in the database
# at 32 and 64 connections, with the CPU time per request of the server and of all Postgres
# processes (from /proc: steadier than req/s on a shared machine), and times a full sync of
# the 300-record wallet by one client over
# one keep-alive connection (pages of 100 and of 300): with a Rust client
# (examples/full_sync_bench.rs, a second process on loopback; it parses every page as a client
# must), and with the python3 client of earlier figures (whose own overhead is ~1-2 ms of it).
# Needs: wrk, python3, curl. STACKSMART_SERVER_BIN / STACKSMART_BENCH_CLIENT_BIN skip the build.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DURATION=${1:-10}
PG_USER=stacksmart-pg
command -v wrk >/dev/null || { echo "bench: wrk is missing (apt-get install wrk)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "bench: python3 is missing" >&2; exit 1; }

as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u "$PG_USER" -- "$@"; else "$@"; fi; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
BINDIR=${PG_BINDIR:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
[ -x "$BINDIR/initdb" ] || BINDIR=$(pg_config --bindir)

WORK=$(mktemp -d /tmp/stacksmart-bench-XXXXXX)
[ "$(id -u)" = 0 ] && chown "$PG_USER:" "$WORK"
SERVER_PID=
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  [ -f "$WORK/data/postmaster.pid" ] && as_pg "$BINDIR/pg_ctl" stop -D "$WORK/data" -m immediate >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT

PG_PORT=$(free_port)
as_pg "$BINDIR/initdb" -D "$WORK/data" -U postgres -A trust -E UTF8 >/dev/null
as_pg "$BINDIR/pg_ctl" start -w -D "$WORK/data" -l "$WORK/pg.log" \
  -o "-p $PG_PORT -k $WORK -c listen_addresses=127.0.0.1 -c max_connections=200" >/dev/null
"$BINDIR/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres bench
DB="postgres://postgres@127.0.0.1:$PG_PORT/bench"

if [ -n "${STACKSMART_SERVER_BIN:-}" ]; then
  BIN=$STACKSMART_SERVER_BIN
else
  (cd "$ROOT" && cargo build --release -q -p stacksmart-sync-server)
  BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/stacksmart-sync-server
fi
if [ -n "${STACKSMART_BENCH_CLIENT_BIN:-}" ]; then
  CLIENT=$STACKSMART_BENCH_CLIENT_BIN
else
  (cd "$ROOT" && cargo build --release -q -p stacksmart-sync-server --example full_sync_bench)
  CLIENT=${CARGO_TARGET_DIR:-$ROOT/target}/release/examples/full_sync_bench
fi
PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
DATABASE_URL=$DB STACKSMART_BIND=127.0.0.1:$PORT STACKSMART_DB_MAX_CONNECTIONS=${BENCH_POOL:-16} \
  STACKSMART_RATE_AUTH_PER_IP=100000 STACKSMART_RATE_WRITES_PER_ACCOUNT=100000 \
  STACKSMART_RATE_WRITES_PER_IP=1000000 RUST_LOG=warn \
  "$BIN" serve >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do curl -sf "$BASE/healthz" >/dev/null && break; sleep 0.1; done

# Accounts: one reader with a 300-record wallet, 64 writers.
python3 - "$BASE" "$WORK" <<'EOF'
import base64, hashlib, json, os, sys, urllib.request
base, work = sys.argv[1], sys.argv[2]
def post(path, body, token=None):
    req = urllib.request.Request(base + path, json.dumps(body).encode(), {"content-type": "application/json"})
    if token: req.add_header("authorization", "Bearer " + token)
    with urllib.request.urlopen(req) as r: return json.load(r)
def register(email):
    key = base64.b64encode(hashlib.sha256(email.encode()).digest()).decode()
    salt = base64.b64encode(hashlib.sha256(b"salt" + email.encode()).digest()[:16]).decode()
    return post("/v1/auth/register", {"email": email, "auth_key": key, "device_name": "bench",
        "kdf": {"algorithm": "argon2id", "m_kib": 65536, "t": 3, "p": 1, "salt": salt}})["token"]
reader = register("reader@bench.example")
for b in range(3):
    changes = [{"collection": "wallet", "id": f"card-{b*100+i}", "base_version": 0,
                "payload": base64.b64encode(os.urandom(800)).decode()} for i in range(100)]
    post("/v1/records/batch", {"changes": changes}, reader)
open(f"{work}/reader.token", "w").write(reader)
open(f"{work}/writers.lua", "w").write("tokens = {" + ",".join(
    '"%s"' % register(f"writer{i}@bench.example") for i in range(64)) + "}\n")
EOF
READER=$(cat "$WORK/reader.token")

cat >>"$WORK/writers.lua" <<'EOF'
-- Unique single-record writes spread over the writer accounts.
local pad = string.rep("QUJD", 264) -- 792 bytes of base64 after a unique 16-char prefix
local counter = 0
id = 0 -- replaced per thread by setup()
run = "0"
function init(args) run = args[1] or "0" end
local threads = {}
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end
function request()
  counter = counter + 1
  local body = string.format(
    '{"changes":[{"collection":"wallet","id":"w-%s-%d-%d","base_version":0,"payload":"%016d%s"}]}',
    run, id, counter, counter, pad)
  local token = tokens[(counter + id) % #tokens + 1]
  return wrk.format("POST", "/v1/records/batch",
    {["content-type"] = "application/json", ["authorization"] = "Bearer " .. token}, body)
end
function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format("OK_RESPONSES %d\n", summary.requests - errors.status - errors.read - errors.write - errors.timeout))
end
EOF

latency() { # wrk output → "req/s p50 p99 requests"
  awk '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} / requests in / {n=$1}
       END {print rps, p50, p99, n}'
}
# CPU time (clock ticks) of the server, and of Postgres: the postmaster, every live backend
# and every exited one (the postmaster's reaped children). The machine may be shared, so
# CPU per request says more than req/s about what a change did.
PM_PID=$(head -n 1 "$WORK/data/postmaster.pid")
ticks() {
  local server pg child
  server=$(awk '{print $14 + $15}' "/proc/$SERVER_PID/stat")
  pg=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$PM_PID/stat")
  for child in $(pgrep -P "$PM_PID"); do
    pg=$((pg + $(awk '{print $14 + $15}' "/proc/$child/stat" 2>/dev/null || echo 0)))
  done
  echo "$server $pg"
}
cpu_per_request() { # "ticks before" "ticks after" requests → "server-µs postgres-µs"
  local s0 p0 s1 p1
  read -r s0 p0 <<<"$1"; read -r s1 p1 <<<"$2"
  awk -v s="$((s1 - s0))" -v p="$((p1 - p0))" -v n="$3" -v hz="$(getconf CLK_TCK)" \
    'BEGIN {printf "%.0f %.0f", s * 1e6 / hz / n, p * 1e6 / hz / n}'
}
load1() { cut -d' ' -f1 /proc/loadavg; }
echo
echo "StackSmart sync server bench — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, ${DURATION}s per run, wrk on loopback, load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf "%-44s %6s %10s %10s %10s %12s %12s\n" "load" "1-min" "req/s" "p50" "p99" "server µs/req" "pg µs/req"
for CONNS in 32 64; do
  L=$(load1); T0=$(ticks)
  OUT=$(wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency -H "Authorization: Bearer $READER" \
    "$BASE/v1/records/changes?since=0&limit=100")
  T1=$(ticks)
  echo "$OUT" | grep -q "Non-2xx" && { echo "$OUT"; echo "bench: read errors" >&2; exit 1; }
  read -r RPS P50 P99 N <<<"$(echo "$OUT" | latency)"
  read -r CPU_S CPU_P <<<"$(cpu_per_request "$T0" "$T1" "$N")"
  printf "%-44s %6s %10s %10s %10s %12s %12s\n" "read page of 100 × ~800 B, $CONNS conns" "$L" "$RPS" "$P50" "$P99" "$CPU_S" "$CPU_P"
done
TOTAL_OK=0
for CONNS in 32 64; do
  L=$(load1); T0=$(ticks)
  OUT=$(wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency -s "$WORK/writers.lua" "$BASE" -- "c$CONNS")
  T1=$(ticks)
  OK=$(echo "$OUT" | sed -n 's/^OK_RESPONSES //p')
  TOTAL_OK=$((TOTAL_OK + OK))
  read -r RPS P50 P99 N <<<"$(echo "$OUT" | latency)"
  read -r CPU_S CPU_P <<<"$(cpu_per_request "$T0" "$T1" "$N")"
  printf "%-44s %6s %10s %10s %10s %12s %12s\n" "write 1 record (unique), $CONNS conns" "$L" "$RPS" "$P50" "$P99" "$CPU_S" "$CPU_P"
  if echo "$OUT" | grep -q "Non-2xx"; then echo "$OUT" | grep "Non-2xx"; fi
done
ROWS=$("$BINDIR/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d bench -tAc \
  "SELECT count(*) FROM records WHERE id LIKE 'w-%'")
# wrk does not count answers still in flight when a run ends: allow up to 64+32 of those.
echo "write check: $TOTAL_OK answers 200, $ROWS rows written"
if [ "$ROWS" -lt "$TOTAL_OK" ] || [ "$ROWS" -gt $((TOTAL_OK + 96)) ]; then
  echo "bench: acknowledged writes and rows disagree" >&2; exit 1
fi

"$CLIENT" "$BASE" "$READER" 300 1000 100 300

python3 - "$BASE" "$READER" <<'EOF'
import http.client, json, sys, time
base, token = sys.argv[1], sys.argv[2]
host, port = base[len("http://"):].split(":")
conn = http.client.HTTPConnection(host, int(port))
def full_sync(limit):
    since, records = 0, 0
    while True:
        conn.request("GET", f"/v1/records/changes?since={since}&limit={limit}",
                     headers={"authorization": "Bearer " + token})
        page = json.loads(conn.getresponse().read())
        records += len(page["changes"])
        since = page["cursor"]
        if not page["more"]:
            return records
for limit in (100, 300):
    times = []
    for _ in range(300):
        t = time.perf_counter()
        n = full_sync(limit)
        times.append((time.perf_counter() - t) * 1000)
    assert n == 300, n
    times.sort()
    print(f"full sync of 300 records, pages of {limit:<3} (1 python client): p50 {times[len(times)//2]:.2f} ms, p99 {times[int(len(times)*0.99)]:.2f} ms")
EOF
