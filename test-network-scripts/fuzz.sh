#!/usr/bin/env bash
# Runs every Go fuzz target of the chaincodes (func FuzzXxx in a chaincode package's tests), one after
# the other, each for FUZZTIME. The targets drive the chaincodes through their contractapi router in
# the in-memory ledger (chaincode/internal/cctest) and check that every refusal carries a stable code,
# changes nothing, and that no private input reaches public state, events or errors.
#
# Usage: test-network-scripts/fuzz.sh
# Environment: FUZZTIME   how long each target runs (go test -fuzztime: 60s, 10000x ...), default 60s
#              FUZZ_PARALLEL  fuzzing workers per target, default 2
#
# A failing input is written by go test to <package>/testdata/fuzz/<Target>/; commit it with the fix,
# and it runs as a regression test in every `go test` from then on.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
# shellcheck source=../toolchain.env
. "$ROOT/toolchain.env"
FUZZTIME=${FUZZTIME:-60s}
FUZZ_PARALLEL=${FUZZ_PARALLEL:-2}
command -v go >/dev/null 2>&1 || { echo "fuzz.sh: Go is not installed or not on PATH" >&2; exit 1; }
cd "$ROOT"
t0=$(date +%s)
step() { printf '[%4ss] %s\n' "$(( $(date +%s) - t0 ))" "$*"; }

logs=$(mktemp -d "${TMPDIR:-/tmp}/healthledger-fuzz.XXXXXX")
# The packages whose tests declare a fuzz target.
mapfile -t packages < <(grep -rl --include='*_test.go' '^func Fuzz' chaincode | xargs -r -n1 dirname | sort -u)
[ "${#packages[@]}" -gt 0 ] || { echo "fuzz.sh: no fuzz target under chaincode/" >&2; exit 1; }

n=0
for dir in "${packages[@]}"; do
  pkg="./$dir"
  mapfile -t targets < <(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true)
  [ "${#targets[@]}" -gt 0 ] || { echo "fuzz.sh: go test -list finds no fuzz target in $pkg" >&2; exit 1; }
  for target in "${targets[@]}"; do
    log="$logs/$target.log"
    step "fuzzing $target ($pkg) for $FUZZTIME"
    if ! go test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" -parallel "$FUZZ_PARALLEL" "$pkg" >"$log" 2>&1; then
      tail -n 40 "$log"
      echo "fuzz.sh: $target failed; its whole output is in $log, and the failing input in $dir/testdata/fuzz/$target/" >&2
      exit 1
    fi
    n=$((n + 1))
  done
done
rm -rf "$logs"
step "all $n fuzz targets passed, $FUZZTIME each"
