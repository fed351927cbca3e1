#!/usr/bin/env bash
# Builds the pinned Fabric and Fabric CA commands into network/fabric/bin.
#
# The pins are the two go.mod files beside this script (network/fabric/go.mod for Fabric,
# network/fabric/ca/go.mod for Fabric CA); nothing else names a Fabric version. The build is skipped
# when bin/ already holds binaries built from the same pins, patches and Go toolchain.
#
# Fabric is built from a patched copy of the pinned module: the module cache's copy of the version
# that go.mod requires, with every patches/*.patch applied in name order, in the git-ignored folder
# .patched/fabric, which go.mod's replace directive points at. Until that folder exists, every go
# command in this folder fails, so this script makes it first (with a go.mod that lacks the replace),
# and makes it again whenever the pin or a patch changes.
#
# Usage: network/fabric/build.sh [--force | --prepare]
#   --force     build even when bin/ is up to date
#   --prepare   only make the patched copy and download the modules the build needs (no build)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../../toolchain.env
. "$here/../../toolchain.env"
bin="$here/bin"
patches="$here/patches"
work="$here/.patched"
fabric_mod=github.com/hyperledger/fabric
mode=${1:-}

die() { echo "build.sh: $*" >&2; exit 1; }

if ! command -v go >/dev/null 2>&1; then
  die "Go is not installed or not on PATH. Install Go 1.25 or later (the machines have /usr/local/go/bin) and run again."
fi
case "$mode" in
  ""|--force|--prepare) ;;
  *) echo "build.sh: unknown argument '$mode' (usage: build.sh [--force | --prepare])" >&2; exit 2 ;;
esac

fabric_cmds=(peer orderer configtxgen configtxlator osnadmin cryptogen)
ca_cmds=(fabric-ca-server fabric-ca-client)

# One build at a time: several networks in this tree may start together, and all share bin/ and
# .patched/. A cold build takes a few minutes on 2 cores.
mkdir -p "$work"
if command -v flock >/dev/null 2>&1; then
  exec 9>"$work/.lock"
  flock -w 900 9 || die "another build.sh has held $work/.lock for 900s; is it stuck? (see: fuser $work/.lock)"
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# plain_go ARGS...: runs go in this folder with a copy of go.mod that lacks the replace of Fabric, so
# it works before .patched/fabric exists.
plain_go() {
  if [ ! -f "$tmp/go.mod" ]; then
    (cd "$here" && go mod edit -dropreplace="$fabric_mod" -print) >"$tmp/go.mod"
    cp "$here/go.sum" "$tmp/go.sum"
  fi
  (cd "$here" && GOFLAGS="$(go env GOFLAGS) -modfile=$tmp/go.mod" go "$@")
}

# the Fabric version that go.mod requires: the one place the pin is written
pin=$(cd "$here" && go mod edit -json | awk -v m="\"$fabric_mod\"," '
  $1 == "\"Path\":" { path = $2 }
  $1 == "\"Version\":" && path == m { gsub(/"/, "", $2); print $2; exit }')
[ -n "$pin" ] || die "no 'require $fabric_mod VERSION' in $here/go.mod"

# prep_stamp: what the patched copy is made from (the pin and every patch)
prep_stamp() {
  {
    echo "$fabric_mod@$pin"
    for p in "$patches"/*.patch; do
      [ -e "$p" ] || continue
      echo "== $(basename "$p")"
      cat "$p"
    done
  } | sha256sum | cut -d' ' -f1
}

# prepare makes .patched/fabric from the module cache and the patches, unless it is up to date.
prepare() {
  local want dst="$work/fabric"
  want=$(prep_stamp)
  if [ -f "$dst/.healthledger-patched" ] && [ "$(cat "$dst/.healthledger-patched")" = "$want" ]; then
    return
  fi
  echo "fabric source: copying $fabric_mod@$pin from the module cache and applying patches/ ..."
  plain_go mod download "$fabric_mod@$pin" || die "could not download $fabric_mod@$pin"
  local src
  src=$(plain_go list -m -f '{{.Dir}}' "$fabric_mod") || die "could not find $fabric_mod@$pin in the module cache"
  [ -n "$src" ] && [ -f "$src/go.mod" ] || die "the module cache has no source for $fabric_mod@$pin (got '$src')"
  local new="$work/fabric.new"
  rm -rf "$new"
  cp -R "$src" "$new"
  # The module cache is read-only; the copy must be writable to be patched (and removed later).
  chmod -R u+w "$new"
  local p n=0
  for p in "$patches"/*.patch; do
    [ -e "$p" ] || continue
    if command -v patch >/dev/null 2>&1; then
      patch -d "$new" -p1 --forward --batch --silent <"$p" ||
        die "patch $(basename "$p") does not apply to $fabric_mod@$pin; refresh it against $src"
    else
      # git apply works on paths relative to its repository: give the copy one of its own.
      git -C "$new" init -q && git -C "$new" apply "$p" ||
        die "patch $(basename "$p") does not apply to $fabric_mod@$pin; refresh it against $src"
      rm -rf "$new/.git"
    fi
    n=$((n + 1))
  done
  echo "$want" >"$new/.healthledger-patched"
  rm -rf "$dst"
  mv "$new" "$dst"
  echo "fabric source: $fabric_mod@$pin with $n patch(es) in $dst"
}

prepare
if [ "$mode" = --prepare ]; then
  (cd "$here" && go mod download) || die "go mod download failed in $here"
  (cd "$here/ca" && go mod download) || die "go mod download failed in $here/ca"
  echo "fabric source: prepared; modules downloaded"
  exit 0
fi

stamp_now() {
  {
    go version
    cat "$here/go.mod" "$here/go.sum" "$here/ca/go.mod" "$here/ca/go.sum"
    prep_stamp
  } | sha256sum | cut -d' ' -f1
}
want=$(stamp_now)
if [ "$mode" != --force ] && [ -f "$bin/.stamp" ] && [ "$(cat "$bin/.stamp")" = "$want" ]; then
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
echo "fabric binaries: building ${fabric_cmds[*]} (patched: $(cd "$patches" && ls -- *.patch 2>/dev/null | tr '\n' ' ')) ..."
pkgs=()
for c in "${fabric_cmds[@]}"; do pkgs+=("$fabric_mod/cmd/$c"); done
(cd "$here" && go build -trimpath -o "$bin/" "${pkgs[@]}")
echo "fabric binaries: building ${ca_cmds[*]} (cgo) ..."
pkgs=()
for c in "${ca_cmds[@]}"; do pkgs+=("github.com/hyperledger/fabric-ca/cmd/$c"); done
(cd "$here/ca" && CGO_ENABLED=1 go build -trimpath -o "$bin/" "${pkgs[@]}")
echo "$want" >"$bin/.stamp"
echo "fabric binaries: built in $(( $(date +%s) - start ))s into $bin"
