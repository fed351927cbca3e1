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
# shellcheck source=../toolchain.env
. "$ROOT/toolchain.env"
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
  step "go mod tidy -diff"
  go mod tidy -diff || { echo "go.mod and go.sum are not tidy: run go mod tidy"; exit 1; }
  # network/kubernetes is its own module (the Kubernetes libraries stay out of the root one): ./...
  # above does not reach it.
  (cd network/kubernetes && go vet ./... && go mod tidy -diff) ||
    { echo "network/kubernetes: go vet failed or go.mod and go.sum are not tidy"; exit 1; }
  step "unit tests"
  go test -race -count=1 -timeout 5m ./...
  step "unit tests of network/kubernetes (manifests, images, packages)"
  (cd network/kubernetes && go test -race -count=1 -timeout 5m ./...)
  step "fuzz targets, 5 s each"; FUZZTIME=5s "$HERE/fuzz.sh"
fi
# integration LOG: runs the integration suite, keeping its whole output in LOG and showing the
# test lines; fails when the suite does.
integration() {
  local logf=$1
  go test -race -count=1 -tags integration -timeout 40m -v ./integration/... 2>&1 | tee "$logf" |
    grep -E '^(=== RUN|--- |PASS|FAIL|ok|panic|\s+[a-z_]+_test\.go:[0-9]+:|harness:|\[ *[0-9]+s\])' || true
  if ! grep -q '^ok' "$logf" || grep -q '^FAIL' "$logf"; then
    echo "integration tests failed; the full output is in $logf"
    tail -n 60 "$logf"
    return 1
  fi
}

if [ "$what" != unit ]; then
  step "Fabric binaries"
  "$ROOT/network/fabric/build.sh"
  if [ -n "${HEALTHLEDGER_NETWORK:-}" ]; then
    step "integration tests against the network in $HEALTHLEDGER_NETWORK"
    integration "$ROOT/.integration.log"
  else
    step "integration tests, run 1: the default layout (the suite starts and stops its own network)"
    integration "$ROOT/.integration.log"

    step "integration tests, run 2: fabric-samples' test-network layout, started as a foreign network"
    tn="$ROOT/.network-it-tn"; tgt="$ROOT/.network-it-target"
    net() { HL_NETWORK_DIR=$1 "$HERE/network.sh" "${@:2}"; }
    # stop_foreign: both networks down, by PID, and none of their processes left running.
    stop_foreign() {
      local recorded left
      recorded=$(cat "$tgt"/pids/*.pid "$tn"/pids/*.pid 2>/dev/null || true)
      net "$tgt" down --purge >/dev/null; net "$tn" down --purge >/dev/null
      left=$(for p in $recorded; do
        st=$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null || true)
        if [ -n "$st" ] && [ "$st" != Z ]; then echo "$p"; fi
      done)
      if [ -n "$left" ]; then echo "processes left after network down: $left"; return 1; fi
      return 0
    }
    trap 'stop_foreign || true' EXIT
    net "$tn" down --purge >/dev/null; net "$tgt" down --purge >/dev/null
    net "$tn" up --layout test-network --no-deploy
    net "$tgt" deploy all --target "$tn/profiles"
    # The SDK, foundation and bench smoke tests write through the benchmark chaincode, which is never
    # deployed onto a target: the test network deploys it itself, as its own.
    net "$tn" deploy baseline
    HEALTHLEDGER_NETWORK="$tn/profiles" integration "$ROOT/.integration-test-network.log"
    trap - EXIT
    stop_foreign
    step "run 2: the test-network layout and its chaincode servers are down, no process left"
  fi
fi
step "all tests passed"
