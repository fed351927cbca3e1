#!/usr/bin/env bash
# The whole test suite: static checks, unit tests, then the integration tests against a live network
# that the integration suite starts and stops itself (see integration/main_test.go).
#
# Usage: test-network-scripts/test.sh [unit|integration|all]   (default all)
# Environment: HEALTHLEDGER_NETWORK=DIR runs the integration suite against the network whose profiles
# are in DIR instead of starting one.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
what=${1:-all}
case "$what" in unit|integration|all) ;; *) echo "test.sh: unknown suite '$what' (unit, integration or all)" >&2; exit 2 ;; esac
command -v go >/dev/null 2>&1 || { echo "test.sh: Go is not installed or not on PATH" >&2; exit 1; }
cd "$ROOT"
t0=$(date +%s)
step() { printf '[%4ss] %s\n' "$(( $(date +%s) - t0 ))" "$*"; }

if [ "$what" != integration ]; then
  step "gofmt"
  unformatted=$(gofmt -l $(git ls-files -co --exclude-standard '*.go' | grep -v '^network/fabric/' || true))
  [ -z "$unformatted" ] || { echo "gofmt: these files need formatting:"; echo "$unformatted"; exit 1; }
  step "go vet"
  go vet ./...
  go vet -tags integration ./integration/...
  step "unit tests"
  go test -race -count=1 -timeout 10m ./...
fi
if [ "$what" != unit ]; then
  step "Fabric binaries"
  "$ROOT/network/fabric/build.sh"
  step "integration tests (the suite starts and stops its own network unless HEALTHLEDGER_NETWORK is set)"
  go test -race -count=1 -tags integration -timeout 40m -v ./integration/... 2>&1 | tee "$ROOT/.integration.log" |
    grep -E '^(=== RUN|--- |PASS|FAIL|ok|panic|\s+[a-z_]+_test\.go:[0-9]+:|harness:)' || true
  if ! grep -q '^ok' "$ROOT/.integration.log" || grep -q '^FAIL' "$ROOT/.integration.log"; then
    echo "integration tests failed; the full output is in .integration.log"
    tail -n 60 "$ROOT/.integration.log"
    exit 1
  fi
fi
step "all tests passed"
