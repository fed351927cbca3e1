#!/usr/bin/env bash
# Known-vulnerability scan of everything healthledger ships or runs, with no internet access.
#
#   test-network-scripts/vulncheck.sh [--no-build]
#
# The vulnerability database is a Go module (golang.org/x/vulndb), served by the module proxy like any
# other; its indexdb command turns it into the file database that govulncheck reads. Both tools are
# pinned in tools/vulncheck/go.mod, the one place their versions are written. The database is built
# once per pinned version into .vulncheck/ (git-ignored).
#
# What is scanned, in govulncheck's binary mode (only the symbols a binary links are reported):
#   - every command of the root module (hlctl, hlbench, hlprobe, the four chaincode servers), built here
#     with the pinned toolchain (toolchain.env);
#   - the Fabric and Fabric CA commands that the network runs (network/fabric/bin, built by
#     network/fabric/build.sh, which this script runs first unless --no-build).
# Source mode is not used: govulncheck v1.10.0 cannot type-check go1.27's standard library.
#
# The exceptions are the table "Known vulnerabilities" in docs/security.md: one row per OSV id
# (GO-YYYY-NNNN), with its exposure here and the mitigation. The scan fails, naming the id, the binary
# and the fixed version, on any finding whose id is not in that table. Ids in the table that no longer
# show up are reported, so the table can be pruned.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
# shellcheck source=../toolchain.env
. "$ROOT/toolchain.env"
build=1
case "${1:-}" in
  "") ;;
  --no-build) build=0 ;;
  *) echo "vulncheck.sh: unknown argument '$1' (usage: vulncheck.sh [--no-build])" >&2; exit 2 ;;
esac
die() { echo "vulncheck.sh: $*" >&2; exit 1; }
command -v go >/dev/null 2>&1 || die "Go is not installed or not on PATH"
command -v jq >/dev/null 2>&1 || die "jq is not installed (apt-get install jq)"

TOOLS="$ROOT/tools/vulncheck"
OUT="$ROOT/.vulncheck"
ALLOW="$ROOT/docs/security.md"
[ -f "$ALLOW" ] || die "$ALLOW is missing: it holds the table of known vulnerabilities"
mkdir -p "$OUT/bin" "$OUT/scan"

dbver=$(cd "$TOOLS" && go list -m -f '{{.Version}}' golang.org/x/vulndb) || die "cannot read the vulndb pin from $TOOLS/go.mod"
echo "vulncheck: tools (govulncheck $(cd "$TOOLS" && go list -m -f '{{.Version}}' golang.org/x/vuln), database $dbver)"
(cd "$TOOLS" && go build -o "$OUT/bin/" golang.org/x/vuln/cmd/govulncheck golang.org/x/vulndb/cmd/indexdb) ||
  die "building govulncheck and indexdb from $TOOLS failed"

db="$OUT/db-$dbver"
if [ ! -f "$db/index/db.json" ]; then
  src=$(cd "$TOOLS" && go mod download -json golang.org/x/vulndb | jq -r .Dir) || die "downloading golang.org/x/vulndb@$dbver failed"
  [ -d "$src/data/osv" ] || die "golang.org/x/vulndb@$dbver has no data/osv folder"
  echo "vulncheck: indexing the database (about a minute, once per version)"
  rm -rf "$db.tmp"
  "$OUT/bin/indexdb" -vulns "$src/data/osv" -out "$db.tmp" >/dev/null || die "indexdb failed on $src/data/osv"
  rm -rf "$db"; mv "$db.tmp" "$db"
fi

# The binaries to scan.
targets=()
rm -rf "$OUT/scan"; mkdir -p "$OUT/scan"
mains=$(cd "$ROOT" && go list -f '{{if eq .Name "main"}}{{.ImportPath}}{{end}}' ./...)
[ -n "$mains" ] || die "found no command in the root module"
# shellcheck disable=SC2086
(cd "$ROOT" && go build -o "$OUT/scan/" $mains) || die "building the root module's commands failed"
for f in "$OUT"/scan/*; do targets+=("$f"); done
if [ "$build" = 1 ]; then
  "$ROOT/network/fabric/build.sh" || die "building the Fabric binaries failed"
fi
for c in peer orderer configtxgen configtxlator osnadmin cryptogen fabric-ca-server fabric-ca-client; do
  f="$ROOT/network/fabric/bin/$c"
  [ -x "$f" ] || die "$f is missing: run network/fabric/build.sh"
  targets+=("$f")
done

# The allowed ids: every GO-YYYY-NNNN in a row of the Known vulnerabilities table.
allowed=$(awk '/^#+ Known vulnerabilities/{on=1; next} /^#/{on=0} on && /^[|]/' "$ALLOW" |
  grep -oE 'GO-[0-9]{4}-[0-9]+' | sort -u || true)

: >"$OUT/findings.tsv"
for f in "${targets[@]}"; do
  json="$OUT/$(basename "$f").json"
  # govulncheck exits 3 when it finds something; any other non-zero exit is a failure of the scan.
  set +e
  "$OUT/bin/govulncheck" -db "file://$db" -mode binary -format json "$f" >"$json" 2>"$json.err"
  rc=$?
  set -e
  [ "$rc" = 0 ] || [ "$rc" = 3 ] || die "govulncheck failed on $f (exit $rc): $(head -c 600 "$json.err")"
  # symbol-level findings only: the binary links a vulnerable function
  jq -r --arg bin "$(basename "$f")" '
    select(.finding != null and (.finding.trace[0].function // "") != "")
    | .finding | [.osv, $bin, (.trace[0].module // "stdlib"), (.fixed_version // "none")] | @tsv' "$json" >>"$OUT/findings.tsv"
done
sort -u -o "$OUT/findings.tsv" "$OUT/findings.tsv"

found=$(cut -f1 "$OUT/findings.tsv" | sort -u)
echo "vulncheck: ${#targets[@]} binaries scanned; $(printf '%s\n' "$found" | grep -c . || true) distinct vulnerabilities reachable, $(printf '%s\n' "$allowed" | grep -c . || true) listed in docs/security.md"
unlisted=$(comm -23 <(printf '%s\n' "$found" | grep . || true) <(printf '%s\n' "$allowed" | grep . || true))
stale=$(comm -13 <(printf '%s\n' "$found" | grep . || true) <(printf '%s\n' "$allowed" | grep . || true))
if [ -n "$stale" ]; then
  echo "vulncheck: listed in docs/security.md but no longer found (the table can drop them): $(echo $stale)"
fi
if [ -n "$unlisted" ]; then
  echo "vulncheck: FAIL: vulnerabilities that docs/security.md does not list (id, binary, module, fixed in):" >&2
  for id in $unlisted; do grep -P "^$id\t" "$OUT/findings.tsv" >&2; done
  echo "Upgrade the module (or the toolchain in toolchain.env), or, when no upgrade can fix it, add a row with its exposure and mitigation to docs/security.md." >&2
  exit 1
fi
echo "vulncheck: every reachable vulnerability is listed in docs/security.md"
