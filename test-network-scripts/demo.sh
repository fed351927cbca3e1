#!/usr/bin/env bash
# The README's first command: bring the network up with every chaincode deployed (idempotent), then
# run a short demo through the SDK (examples/demo). The network keeps running afterwards.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
# shellcheck source=../toolchain.env
. "$ROOT/toolchain.env"
NETDIR=${HL_NETWORK_DIR:-$ROOT/.network}
command -v go >/dev/null 2>&1 || { echo "demo.sh: Go is not installed or not on PATH" >&2; exit 1; }
"$HERE/network.sh" up
echo
echo "demo: running examples/demo against $NETDIR/profiles"
cd "$ROOT"
go run ./examples/demo -network "$NETDIR/profiles"
echo
echo "The network is still running: 'make network-status' shows it, 'make network-down' stops it."
