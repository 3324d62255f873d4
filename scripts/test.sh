#!/usr/bin/env bash
# Runs every test: Go unit and API tests (real SQLite files, and the check
# that docs/openapi.json is what the code generates), then the frontend's
# check that its generated API types are current (frontend/test/) and the
# end-to-end tests in real Chromium against the built server. Prints one
# summary line per runner and a total "N passed, N failed" line.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
out=test-output
mkdir -p "$out"

status=0
go vet ./... || status=1
go vet -tags desktop,production,webkit2_40 ./desktop/window || status=1

# Real parts for the VM tests: libvirtd (stopped again at the end only if
# this run started it) and the tiny guest image.
scripts/libvirt.sh start
# At the end: remove every test VM, network and volume, then stop libvirtd
# if this run started it.
trap 'go run ./scripts/sweep; scripts/libvirt.sh stop' EXIT
scripts/build-guest.sh
export SHAKEDOWN_VM_TESTS=1 SHAKEDOWN_BIN="$PWD/bin/shakedown" SHAKEDOWN_DESKTOP_BIN="$PWD/build/bin/shakedown-desktop"

go test -p 1 -count=1 -json -timeout 20m ./... > "$out/go-test.json"
go run ./scripts/testsummary < "$out/go-test.json" | tee "$out/go-summary.txt"
[ "${PIPESTATUS[0]}" = 0 ] || status=1
read -r gp gf < <(sed -n 's/^go: \([0-9]*\) passed, \([0-9]*\) failed.*/\1 \2/p' "$out/go-summary.txt")

# Fuzz targets, each for a bounded number of inputs (FUZZTIME, default
# 50000x, about 10-20 s here): the package manifest parser and the archive
# reader. New crashers land in testdata/fuzz and fail the run. A count,
# not a duration: Go 1.26's fuzz coordinator can report its own -fuzztime
# deadline as "context deadline exceeded" on a loaded machine
# (golang/go#75804, fixed in Go 1.27), failing a run with no crasher.
fp=0; ff=0
for target in FuzzManifest FuzzScan; do
  if go test -run '^$' -fuzz "^${target}\$" -fuzztime "${FUZZTIME:-50000x}" ./backend/packages > "$out/fuzz-$target.txt" 2>&1; then
    fp=$((fp + 1)); echo "fuzz $target: ok ($(grep -o 'execs: [0-9]*' "$out/fuzz-$target.txt" | tail -1))"
  else
    ff=$((ff + 1)); status=1; echo "fuzz $target: FAILED"; tail -30 "$out/fuzz-$target.txt"
  fi
done
echo "fuzz: $fp passed, $ff failed"

(cd frontend && SHAKEDOWN_BIN="$PWD/../bin/shakedown" node --test --test-concurrency=1 --test-reporter=spec test/ e2e/) > "$out/e2e.txt" 2>&1
e2e_status=$?
cat "$out/e2e.txt" | grep -E '^(not ok|# Subtest|ℹ|✖)' | grep -vE '^ℹ (suites|todo|cancelled|skipped|duration_ms)' || true
ep=$(sed -n 's/^\(ℹ\|#\) pass \([0-9]*\)/\2/p' "$out/e2e.txt" | tail -1)
ef=$(sed -n 's/^\(ℹ\|#\) fail \([0-9]*\)/\2/p' "$out/e2e.txt" | tail -1)
if [ "$e2e_status" != 0 ]; then
  status=1
  grep -B2 -A30 '^not ok\|✖' "$out/e2e.txt" | head -150
fi
echo "e2e: ${ep:-0} passed, ${ef:-0} failed"

total_p=$(( ${gp:-0} + ${ep:-0} + fp ))
total_f=$(( ${gf:-0} + ${ef:-0} + ff ))
[ "$status" = 0 ] || [ "$total_f" -gt 0 ] || total_f=1   # a build or vet error counts as a failure
echo "$total_p passed, $total_f failed"
exit $status
