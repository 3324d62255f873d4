#!/usr/bin/env bash
# Benchmarks a running Shakedown on loopback with 10,000 releases:
#   - API read throughput and latency: GET /api/v1/releases?limit=50 (wrk)
#   - WebSocket fan-out: write → delivery on 200 clients (scripts/bench/wsfanout)
#   - server RSS with 10,000 releases, idle and after the load
# The database is seeded once with the current binary into build/bench-data-N (ignored by git).
# Targets (issue 2): >= 2,000 req/s, p99 < 25 ms; fan-out p99 < 100 ms; RSS < 150 MiB.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
BIN=${BIN:-bin/shakedown}
RELEASES=${RELEASES:-10000}
DURATION=${DURATION:-20s}
PORT=${PORT:-18099}
CACHE=${CACHE:-build/bench-data-$RELEASES}
export SHAKEDOWN_ADMIN_PASSWORD=bench-password-1

if [ ! -f "$CACHE/shakedown.db" ]; then
  echo "seeding $RELEASES releases into $CACHE (through the real service, once)"
  rm -rf "$CACHE.tmp" && "$BIN" seed --data "$CACHE.tmp" --releases "$RELEASES" 2>/dev/null && mv "$CACHE.tmp" "$CACHE"
fi
data=$(mktemp -d)
cp "$CACHE/shakedown.db" "$data/"
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

# Warm up, then measure at two concurrencies (wrk's default 10, and 32).
wrk -t1 -c4 -d2s -H "Authorization: Bearer $token" "$base/releases?limit=50" >/dev/null
for conns in 10 32; do
  wrk -t2 -c$conns -d"$DURATION" --latency -H "Authorization: Bearer $token" "$base/releases?limit=50" > "$data/wrk.txt"
  rps=$(awk '/^Requests\/sec/ {print $2}' "$data/wrk.txt")
  p50=$(awk '$1=="50%" {print $2}' "$data/wrk.txt")
  p99=$(awk '$1=="99%" {print $2}' "$data/wrk.txt")
  errs=$(grep -E 'Non-2xx|Socket errors' "$data/wrk.txt" || true)
  echo "api: GET /releases?limit=50 with $total releases, $conns connections, $DURATION: $rps req/s, p50 $p50, p99 $p99 ${errs:+($errs)}"
done
echo "rss after API load: $(rss) MiB (peak $(awk '/^VmHWM/ {printf "%.1f", $2/1024}' /proc/$pid/status) MiB)"

go run ./scripts/bench/wsfanout -url "http://127.0.0.1:$PORT" -token "$token" -clients 200 -writes 50
echo "rss after fan-out: $(rss) MiB (peak $(awk '/^VmHWM/ {printf "%.1f", $2/1024}' /proc/$pid/status) MiB)"
