#!/usr/bin/env bash
# The fault suite (integration/faults, build tag faults): the crash-tolerance scenarios under load
# through the SDK (leader and follower orderer, peer, chaincode server killed and started again, a CA
# stopped during enroll, a power loss) and the etcdraft WAL-replay regression test, each on a network
# of its own that the suite starts and stops. Prints the figures table at the end; see
# docs/reliability.md.
#
# Usage: test-network-scripts/faults.sh
# Environment:
#   HL_FAULTS_BUDGET   full (default: longer loads, 20 WAL-replay restarts) or ci (about 10 minutes on
#                      2 cores, 5 restarts); integration/faults/budget_test.go lists the finer knobs
#   HL_NETWORK_DIR     the suite's state folder (default <repo>/.network-faults; purged before and after)
#   HL_PORT_OFFSET     added to every port (default 25000)
#   HL_FAULTS_OUT      folder for the full output and the figures (default: a new temporary folder)
#   HL_FAULTS_RUN      a go test -run pattern, to run part of the suite
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
# shellcheck source=../toolchain.env
. "$ROOT/toolchain.env"
[ $# -eq 0 ] || { echo "faults.sh takes no argument (settings are environment variables; see the top of $0)" >&2; exit 2; }
cd "$ROOT"
command -v go >/dev/null 2>&1 || { echo "faults.sh: Go is not installed or not on PATH" >&2; exit 1; }

export HL_FAULTS_BUDGET=${HL_FAULTS_BUDGET:-full}
case "$HL_FAULTS_BUDGET" in
  ci) timeout=25m ;;
  full) timeout=90m ;;
  *) echo "faults.sh: HL_FAULTS_BUDGET must be ci or full, not '$HL_FAULTS_BUDGET'" >&2; exit 2 ;;
esac
export HL_NETWORK_DIR=${HL_NETWORK_DIR:-$ROOT/.network-faults}
export HL_PORT_OFFSET=${HL_PORT_OFFSET:-25000}
out=${HL_FAULTS_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/healthledger-faults.XXXXXX")}
mkdir -p "$out"
logf="$out/faults.log"
export HL_FAULTS_REPORT="$out/figures.md"
: >"$HL_FAULTS_REPORT"

t0=$(date +%s)
step() { printf '[%4ss] %s\n' "$(( $(date +%s) - t0 ))" "$*"; }

step "Fabric binaries"
"$ROOT/network/fabric/build.sh"
step "fault suite, budget $HL_FAULTS_BUDGET (state in $HL_NETWORK_DIR, ports +$HL_PORT_OFFSET, go test -timeout $timeout)"
rc=0
go test -tags faults -race -count=1 -timeout "$timeout" -v ${HL_FAULTS_RUN:+-run "$HL_FAULTS_RUN"} ./integration/faults/... \
  >"$logf" 2>&1 &
gopid=$!
# Follow the output while it runs: the test lines, not the figures (printed once at the end).
tail -n +1 -f --pid "$gopid" "$logf" |
  grep --line-buffered -E '^(=== RUN|--- |PASS|FAIL|ok|panic)|^\s+[a-z_]+_test\.go:[0-9]+: ' || true
wait "$gopid" || rc=$?

echo
if [ -s "$HL_FAULTS_REPORT" ]; then
  echo "Figures (budget $HL_FAULTS_BUDGET; what each column means: docs/reliability.md):"
  echo
  cat "$HL_FAULTS_REPORT"
else
  echo "no figures were reported"
fi
echo
if [ "$rc" -ne 0 ] || ! grep -q '^ok' "$logf" || grep -q '^FAIL' "$logf"; then
  step "the fault suite FAILED (exit $rc); the full output is in $logf"
  grep -E '^\s+[a-z_]+_test\.go:[0-9]+: ' "$logf" | grep -iE 'error|fail|not |never|missing|lost|twice' | tail -n 30 || true
  exit 1
fi
step "the fault suite passed; the full output is in $logf, the figures in $HL_FAULTS_REPORT"
