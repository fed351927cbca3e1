#!/usr/bin/env bash
# make bench: the standard benchmark matrix on a fresh network, rendered into docs/benchmarks.md.
#
#   test-network-scripts/bench.sh
#
# Steps: build hlbench; start a fresh network (every chaincode, the baseline benchmark chaincode included:
# network.sh deploys it only when asked) in its own state folder and ports; run
# `hlbench matrix`, `hlbench tune` and `hlbench sweep` on it; purge it; start a second fresh network that differs only in
# BatchTimeout (baseline chaincode only) and run `hlbench tune` again; purge it; render the page with
# `hlbench report`, the sweep's chart with `hlbench chart`. Whatever happens, the networks this script started are stopped and purged.
#
# Environment (defaults in brackets):
#   HL_BENCH_NETWORK_DIR  state folder of the networks it starts [<repo>/.network-bench]
#   HL_BENCH_RESULTS      where the JSON results and the hlbench binary go [<repo>/.network-bench-results]
#   HL_BENCH_PORT_OFFSET  port offset of those networks, clear of a default network [20000]
#   HL_BENCH_DURATION     measurement window per workload [15s]
#   HL_BENCH_WARMUP       warm-up per workload [3s]
#   HL_BENCH_RECORDS      scaling points: records of other patients or batches [1000,100000]
#   HL_BENCH_C_SUBMIT / HL_BENCH_C_EVALUATE   workers of submit / query workloads [48 / 8]
#   HL_BENCH_TUNE_C       concurrencies of the BatchTimeout comparison [1,8,32,96]
#   HL_BENCH_TUNE_DURATION  window per tuning point [10s]
#   HL_BENCH_BATCH_TIMEOUTS  the two BatchTimeouts compared; the first is the matrix network's [100ms,500ms]
#   HL_BENCH_SWEEP        1: run the concurrency sweep after tune; 0: skip it [1]
#   HL_BENCH_SWEEP_W      workloads of the sweep [baseline-write,consent-grant,provenance-verify,claims-submit]
#   HL_BENCH_SWEEP_C      concurrencies of the sweep [8,24,48,100]
#   HL_BENCH_SWEEP_DURATION  window per sweep point (after a 2s warm-up) [8s]
#   HL_BENCH_OUT          the page to write [<repo>/docs/benchmarks.md]; the sweep's chart goes next to
#                         it as bench-sweep.svg
#   HL_BENCH_NOTE         a paragraph to put above the results
# HL_MAX_MESSAGE_COUNT and HL_GATEWAY_CONCURRENCY pass through to network.sh as usual.
# A failing step (pipelines included: pipefail) stops the script; the EXIT trap stops the network.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
NETDIR=${HL_BENCH_NETWORK_DIR:-$ROOT/.network-bench}
RESULTS=${HL_BENCH_RESULTS:-$ROOT/.network-bench-results}
OFFSET=${HL_BENCH_PORT_OFFSET:-20000}
DURATION=${HL_BENCH_DURATION:-15s}
WARMUP=${HL_BENCH_WARMUP:-3s}
RECORDS=${HL_BENCH_RECORDS:-1000,100000}
C_SUBMIT=${HL_BENCH_C_SUBMIT:-48}
C_EVALUATE=${HL_BENCH_C_EVALUATE:-8}
TUNE_C=${HL_BENCH_TUNE_C:-1,8,32,96}
TUNE_DURATION=${HL_BENCH_TUNE_DURATION:-10s}
IFS=, read -r BT_MAIN BT_ALT <<<"${HL_BENCH_BATCH_TIMEOUTS:-100ms,500ms}"
SWEEP=${HL_BENCH_SWEEP:-1}
SWEEP_W=${HL_BENCH_SWEEP_W:-baseline-write,consent-grant,provenance-verify,claims-submit}
SWEEP_C=${HL_BENCH_SWEEP_C:-8,24,48,100}
SWEEP_DURATION=${HL_BENCH_SWEEP_DURATION:-8s}
OUT=${HL_BENCH_OUT:-$ROOT/docs/benchmarks.md}
T0=$(date +%s)

# rel PATH: PATH relative to the repository when inside it, so the commands the page records are the
# same on every checkout.
rel() { case "$1" in "$ROOT"/*) printf '%s\n' "${1#"$ROOT"/}" ;; *) printf '%s\n' "$1" ;; esac; }
step() { printf '[%5ss] %s\n' "$(( $(date +%s) - T0 ))" "$*"; }
die() { printf 'bench.sh: %s\n' "$*" >&2; exit 1; }

command -v go >/dev/null 2>&1 || die "Go is not installed or not on PATH"
[ -n "$BT_MAIN" ] && [ -n "$BT_ALT" ] || die "HL_BENCH_BATCH_TIMEOUTS wants two values, e.g. 100ms,500ms"
case "$OFFSET" in ''|*[!0-9]*) die "HL_BENCH_PORT_OFFSET must be a number, got '$OFFSET'" ;; esac
case "$SWEEP" in 0|1) ;; *) die "HL_BENCH_SWEEP must be 0 or 1, got '$SWEEP'" ;; esac

# net ARGS...: network.sh on the benchmark's own state folder and ports.
net() { HL_NETWORK_DIR="$NETDIR" HL_PORT_OFFSET="$OFFSET" "$HERE/network.sh" "$@"; }
cleanup() {
  local rc=$?
  net down --purge >/dev/null 2>&1 || echo "bench.sh: stopping the benchmark network failed; run: HL_NETWORK_DIR=$NETDIR HL_PORT_OFFSET=$OFFSET $HERE/network.sh down --purge" >&2
  [ "$rc" -eq 0 ] || echo "bench.sh: failed after $(( $(date +%s) - T0 ))s; the network logs were in $NETDIR/logs (now purged), results so far in $RESULTS" >&2
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Absolute paths first (relative ones are taken from the caller's folder), then work from the repository.
case "$OUT" in /*) ;; *) OUT="$PWD/$OUT" ;; esac
mkdir -p "$RESULTS" "$(dirname "$NETDIR")"
NETDIR=$(cd "$(dirname "$NETDIR")" && pwd)/$(basename "$NETDIR")
RESULTS=$(cd "$RESULTS" && pwd)
cd "$ROOT"
R=$(rel "$RESULTS")
HLBENCH="$RESULTS/hlbench"
step "building hlbench"
go build -o "$HLBENCH" ./cmd/hlbench

common=(-profiles "$(rel "$NETDIR")/profiles" -netdir "$(rel "$NETDIR")")
step "network 1 (BatchTimeout $BT_MAIN, every chaincode, baseline included) in $NETDIR, port offset $OFFSET"
net down --purge >/dev/null
HL_BATCH_TIMEOUT="$BT_MAIN" net up --with-baseline | sed 's/^/       /'

step "hlbench matrix: $DURATION per workload after $WARMUP, records of others $RECORDS"
"$HLBENCH" matrix "${common[@]}" -d "$DURATION" -warmup "$WARMUP" -records "$RECORDS" \
  -c-submit "$C_SUBMIT" -c-evaluate "$C_EVALUATE" -o "$R/matrix.json" 2>&1 | sed 's/^/       /'

step "hlbench tune: baseline-write at concurrency $TUNE_C, BatchTimeout $BT_MAIN"
"$HLBENCH" tune "${common[@]}" -c "$TUNE_C" -d "$TUNE_DURATION" -o "$R/tune-1.json" 2>&1 | sed 's/^/       /'

if [ "$SWEEP" = 1 ]; then
  step "hlbench sweep: $SWEEP_W at concurrency $SWEEP_C, $SWEEP_DURATION per point"
  "$HLBENCH" sweep "${common[@]}" -w "$SWEEP_W" -c "$SWEEP_C" -d "$SWEEP_DURATION" -o "$R/sweep.json" 2>&1 | sed 's/^/       /'
fi

step "network 1 down"
net down --purge | sed 's/^/       /'

step "network 2 (BatchTimeout $BT_ALT, baseline only)"
HL_BATCH_TIMEOUT="$BT_ALT" HL_CHAINCODES=baseline net up | sed 's/^/       /'
step "hlbench tune: baseline-write at concurrency $TUNE_C, BatchTimeout $BT_ALT"
"$HLBENCH" tune "${common[@]}" -c "$TUNE_C" -d "$TUNE_DURATION" -o "$R/tune-2.json" 2>&1 | sed 's/^/       /'
step "network 2 down"
net down --purge | sed 's/^/       /'

step "rendering $OUT"
took=$(( $(date +%s) - T0 ))
note=()
[ -z "${HL_BENCH_NOTE:-}" ] || note=(-note "$HL_BENCH_NOTE")
sweep=()
if [ "$SWEEP" = 1 ]; then
  CHART=$(dirname "$OUT")/bench-sweep.svg
  step "drawing $CHART"
  "$HLBENCH" chart -sweep "$R/sweep.json" -svg "$CHART"
  sweep=(-sweep "$R/sweep.json" -sweep-chart bench-sweep.svg)
fi
"$HLBENCH" report -matrix "$R/matrix.json" -tuning "$R/tune-1.json" -tuning "$R/tune-2.json" \
  -command "make bench" -took "${took}s" "${note[@]}" "${sweep[@]}" \
  -setting "HL_GATEWAY_CONCURRENCY=${HL_GATEWAY_CONCURRENCY:-500}" \
  -setting "HL_BENCH_DURATION=$DURATION HL_BENCH_WARMUP=$WARMUP HL_BENCH_RECORDS=$RECORDS HL_BENCH_C_SUBMIT=$C_SUBMIT HL_BENCH_C_EVALUATE=$C_EVALUATE" \
  -setting "HL_BENCH_SWEEP=$SWEEP HL_BENCH_SWEEP_W=$SWEEP_W HL_BENCH_SWEEP_C=$SWEEP_C HL_BENCH_SWEEP_DURATION=$SWEEP_DURATION" \
  -o "$OUT"
step "done in ${took}s: $OUT (results in $RESULTS)"
