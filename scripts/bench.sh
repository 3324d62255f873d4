#!/usr/bin/env bash
# Benchmarks a running Shakedown on loopback with 10,000 releases (a fifth
# of the past ones walked through their whole life, so KPIs have a year of
# deployments, failures and reviews):
#   - API read throughput and latency (wrk, 10 connections), side by side
#     with GET /auth/me, the ceiling of an authenticated request:
#     the release list, the calendar for this month, the KPIs for 90 days,
#     and the calendar and KPIs again while a release is written every 250 ms
#   - WebSocket fan-out: write → delivery on 200 clients (scripts/bench/wsfanout)
#   - server RSS with 10,000 releases, idle and after the load
# The database is seeded once with the current binary into build/cache/ (ignored by git).
# Targets: list >= 3,000 req/s; calendar and KPIs p99 < 25 ms; fan-out p99
# < 100 ms; RSS < 150 MiB.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
BIN=${BIN:-bin/shakedown}
RELEASES=${RELEASES:-10000}
DURATION=${DURATION:-20s}
PORT=${PORT:-18099}
# The seed depends on the seeding code: a change to it seeds afresh (a newer
# schema is reached by the server migrating its copy on start, as for users).
key=$(cat backend/demo/*.go | sha256sum | cut -c1-12)
CACHE=${CACHE:-build/cache/bench-$RELEASES-$key}
export SHAKEDOWN_ADMIN_PASSWORD=bench-password-1

if [ ! -f "$CACHE/shakedown.db" ]; then
  echo "seeding $RELEASES releases into $CACHE (through the real service, once)"
  rm -rf "$CACHE.tmp" && "$BIN" seed --data "$CACHE.tmp" --releases "$RELEASES" 2>/dev/null && mv "$CACHE.tmp" "$CACHE"
fi
data=$(mktemp -d)
cp -r "$CACHE/." "$data/"
"$BIN" serve --data "$data" --addr "127.0.0.1:$PORT" 2>"$data/server.log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 600); do curl -sf "http://127.0.0.1:$PORT/api/v1/health" >/dev/null && break; sleep 0.1; done

base="http://127.0.0.1:$PORT/api/v1"
jar="$data/cookies"
csrf=$(curl -sf -c "$jar" -H 'Content-Type: application/json' -d "{\"username\":\"admin\",\"password\":\"$SHAKEDOWN_ADMIN_PASSWORD\"}" "$base/auth/login" | sed 's/.*"csrf_token":"\([^"]*\)".*/\1/')
token=$(curl -sf -b "$jar" -H 'Content-Type: application/json' -H "X-CSRF-Token: $csrf" -d '{"name":"bench"}' "$base/auth/tokens" | sed 's/.*"secret":"\([^"]*\)".*/\1/')
total=$(curl -sf -H "Authorization: Bearer $token" "$base/releases?limit=1" | sed 's/.*"total":\([0-9]*\).*/\1/')
rss() { awk '/^VmRSS/ {printf "%.1f", $2/1024}' /proc/$pid/status; }
echo "server pid $pid, $total releases in the database, idle RSS $(rss) MiB"

# measure LABEL PATH [CONNS]: one wrk run, one line of figures.
measure() {
  wrk -t2 -c"${3:-10}" -d"$DURATION" --latency -H "Authorization: Bearer $token" "$base$2" > "$data/wrk.txt"
  rps=$(awk '/^Requests\/sec/ {print $2}' "$data/wrk.txt")
  p50=$(awk '$1=="50%" {print $2}' "$data/wrk.txt")
  p99=$(awk '$1=="99%" {print $2}' "$data/wrk.txt")
  errs=$(grep -E 'Non-2xx|Socket errors' "$data/wrk.txt" || true)
  printf 'api: %-52s %3s conns: %9s req/s, p50 %8s, p99 %8s %s\n' "$1" "${3:-10}" "$rps" "$p50" "$p99" "${errs:+($errs)}"
}
month=$(date -u +%Y-%m-01)
calendar="/calendar?from=${month}T00:00:00Z&to=$(date -u -d "$month +1 month" +%Y-%m-%d)T00:00:00Z"
kpis="/kpis?bucket=week"
echo "calendar: $(curl -sf -H "Authorization: Bearer $token" "$base$calendar" | grep -o '"id":[0-9]*,"name"' | wc -l) releases this month;" \
  "KPIs: $(curl -sf -H "Authorization: Bearer $token" "$base$kpis" | sed 's/.*"key":"deployment_frequency"[^}]*"n":\([0-9]*\).*/\1/') deployments in 90 days"

# Warm up, then measure.
wrk -t1 -c4 -d2s -H "Authorization: Bearer $token" "$base/releases?limit=50" >/dev/null
measure "GET /auth/me (ceiling)" /auth/me
measure "GET /releases?limit=50" "/releases?limit=50"
measure "GET /releases?limit=50" "/releases?limit=50" 32
measure "GET /calendar (this month)" "$calendar"
measure "GET /kpis (90 days, weekly)" "$kpis"

# The same reads while a release is written every 250 ms: each write makes
# the next read compute afresh.
victim=$(curl -sf -H "Authorization: Bearer $token" "$base/releases?state=planned&limit=1" | sed 's/.*"items":\[{"id":\([0-9]*\).*/\1/')
writer() {
  local i=0
  while :; do
    i=$((i + 1))
    curl -sf -o /dev/null -X PATCH -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
      -d "{\"description\":\"bench write $i\"}" "$base/releases/$victim" || echo "bench write $i failed" >&2
    sleep 0.25
  done
}
writer & wpid=$!
measure "GET /calendar (this month), writes every 250 ms" "$calendar"
measure "GET /kpis (90 days), writes every 250 ms" "$kpis"
kill $wpid; wait $wpid 2>/dev/null || true
echo "rss after API load: $(rss) MiB (peak $(awk '/^VmHWM/ {printf "%.1f", $2/1024}' /proc/$pid/status) MiB)"

go run ./scripts/bench/wsfanout -url "http://127.0.0.1:$PORT" -token "$token" -clients 200 -writes 50
echo "rss after fan-out: $(rss) MiB (peak $(awk '/^VmHWM/ {printf "%.1f", $2/1024}' /proc/$pid/status) MiB)"
