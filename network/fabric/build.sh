#!/usr/bin/env bash
# Builds the pinned Fabric and Fabric CA commands into network/fabric/bin.
#
# The pins are the two go.mod files beside this script (network/fabric/go.mod for Fabric,
# network/fabric/ca/go.mod for Fabric CA); nothing else names a Fabric version. The build is skipped
# when bin/ already holds binaries built from the same pins with the same Go toolchain.
#
# Usage: network/fabric/build.sh [--force]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bin="$here/bin"
force=${1:-}

if ! command -v go >/dev/null 2>&1; then
  echo "build.sh: Go is not installed or not on PATH. Install Go 1.25 or later (the machines have /usr/local/go/bin) and run again." >&2
  exit 1
fi
case "$force" in
  ""|--force) ;;
  *) echo "build.sh: unknown argument '$force' (usage: build.sh [--force])" >&2; exit 2 ;;
esac

fabric_cmds=(peer orderer configtxgen configtxlator osnadmin cryptogen)
ca_cmds=(fabric-ca-server fabric-ca-client)

stamp_now() {
  {
    go version
    cat "$here/go.mod" "$here/go.sum" "$here/ca/go.mod" "$here/ca/go.sum"
  } | sha256sum | cut -d' ' -f1
}
want=$(stamp_now)
if [ "$force" != --force ] && [ -f "$bin/.stamp" ] && [ "$(cat "$bin/.stamp")" = "$want" ]; then
  missing=0
  for c in "${fabric_cmds[@]}" "${ca_cmds[@]}"; do [ -x "$bin/$c" ] || missing=1; done
  if [ "$missing" = 0 ]; then
    echo "fabric binaries: up to date in $bin"
    exit 0
  fi
fi

mkdir -p "$bin"
rm -f "$bin/.stamp"
start=$(date +%s)
echo "fabric binaries: building ${fabric_cmds[*]} ..."
pkgs=()
for c in "${fabric_cmds[@]}"; do pkgs+=("github.com/hyperledger/fabric/cmd/$c"); done
(cd "$here" && go build -trimpath -o "$bin/" "${pkgs[@]}")
echo "fabric binaries: building ${ca_cmds[*]} (cgo) ..."
pkgs=()
for c in "${ca_cmds[@]}"; do pkgs+=("github.com/hyperledger/fabric-ca/cmd/$c"); done
(cd "$here/ca" && CGO_ENABLED=1 go build -trimpath -o "$bin/" "${pkgs[@]}")
echo "$want" >"$bin/.stamp"
echo "fabric binaries: built in $(( $(date +%s) - start ))s into $bin"
