#!/usr/bin/env bash
# Builds the chaincode-as-a-service packages of healthledger's three chaincode servers on
# Kubernetes (consent, provenance, claims) for one org, and a kustomization that deploys the servers with those package ids.
# The packages are made by the same code as the native ones (test-network-scripts/lib/ccaas.sh):
# they differ from them only in the address, CC-cc.NAMESPACE.svc.cluster.local:7052, the Service
# in front of each server.
#
# Usage: network/kubernetes/package.sh --overlay fabric-operator|hlf-operator --org ORG
#          --root-cert FILE [--client-cert FILE --client-key FILE] [--namespace healthledger]
#          [--images DIR] [--registry REGISTRY] [--out DIR]
#
#   --root-cert    the CA that signed the servers' TLS certificates (the peer trusts it)
#   --client-cert/--client-key
#                  the certificate the peer presents to the servers (mutual TLS: signed by the CA
#                  the servers' Secret names as client-ca.crt); both or neither
#   --images       where 'make k8s-images' wrote CC-cc.build (default .k8s/images): the build id in
#                  each package label (CC_BUILD_ORG) and image tag
#   --registry     the registry the images are pushed to (the kustomization then names REGISTRY/CC-cc)
#   --out          default .k8s/deploy/ORG: packages/CC.tgz, package-ids.txt, kustomization.yaml
#                  (apply it with: kubectl apply -k OUT)
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=../../test-network-scripts/lib/ccaas.sh
source "$ROOT/test-network-scripts/lib/ccaas.sh"

usage_die() { printf 'package.sh: %s\n' "$*" >&2; exit 2; }
die() { printf 'package.sh: %s\n' "$*" >&2; exit 1; }

overlay="" org="" root_cert="" client_cert="" client_key="" namespace=healthledger
images="$ROOT/.k8s/images" registry="" out=""
while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || usage_die "$1 needs a value"
  case "$1" in
    --overlay) overlay=$2 ;;
    --org) org=$2 ;;
    --root-cert) root_cert=$2 ;;
    --client-cert) client_cert=$2 ;;
    --client-key) client_key=$2 ;;
    --namespace) namespace=$2 ;;
    --images) images=$2 ;;
    --registry) registry=$2 ;;
    --out) out=$2 ;;
    *) usage_die "unknown option $1 (read the head of $0)" ;;
  esac
  shift 2
done

case "$overlay" in fabric-operator|hlf-operator) ;; *) usage_die "--overlay must be fabric-operator or hlf-operator" ;; esac
[[ "$org" =~ ^[a-z0-9][a-z0-9-]*$ ]] || usage_die "--org must be a lower-case name (letters, digits, -)"
[[ "$namespace" =~ ^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$ ]] || usage_die "--namespace '$namespace' is not a Kubernetes namespace name"
[ -z "$registry" ] || [[ "$registry" =~ ^[a-zA-Z0-9.:/_-]+$ ]] || usage_die "--registry '$registry' is not a registry path"
pem_cert() { [ -f "$1" ] && grep -q -- '-----BEGIN CERTIFICATE-----' "$1"; }
pem_cert "$root_cert" || usage_die "--root-cert must name a PEM certificate file"
if [ -n "$client_cert$client_key" ]; then
  pem_cert "$client_cert" || usage_die "--client-cert must name a PEM certificate file (with --client-key)"
  [ -f "$client_key" ] && grep -q -- '-----BEGIN .*PRIVATE KEY-----' "$client_key" ||
    usage_die "--client-key must name a PEM private key file (with --client-cert)"
fi
names=(consent provenance claims)
for cc in "${names[@]}"; do
  build=$(cat "$images/$cc-cc.build" 2>/dev/null) || usage_die "no $images/$cc-cc.build: run 'make k8s-images' (or pass --images)"
  [[ "$build" =~ ^[0-9a-f]{16}$ ]] || usage_die "$images/$cc-cc.build does not hold a build id"
done
command -v jq >/dev/null || die "jq is needed"
out=${out:-$ROOT/.k8s/deploy/$org}
mkdir -p "$out/packages" || die "cannot make $out"
out=$(cd "$out" && pwd)

base=$(realpath --relative-to="$out" "$HERE/overlays/$overlay")
ids=() ; : >"$out/package-ids.txt"
for cc in "${names[@]}"; do
  build=$(cat "$images/$cc-cc.build")
  label="${cc}_${build}_${org}"
  addr="$cc-cc.$namespace.svc.cluster.local:7052"
  if [ -n "$client_cert" ]; then
    conn=$(ccaas_connection "$addr" "$root_cert" "$client_key" "$client_cert")
  else
    conn=$(ccaas_connection "$addr" "$root_cert")
  fi
  work="$out/packages/$cc"
  ccaas_pack "$work" "$label" "$conn" || die "could not write the package of $cc"
  mv "$work/package.tgz" "$out/packages/$cc.tgz"
  rm -rf "$work"
  id=$(ccaas_package_id "$label" "$out/packages/$cc.tgz")
  ids+=("$id")
  echo "$cc $id" >>"$out/package-ids.txt"
done

{
  echo "# Written by network/kubernetes/package.sh for org $org: the $overlay overlay with the ids of"
  echo "# the packages beside it. Apply with: kubectl apply -k $out"
  echo "apiVersion: kustomize.config.k8s.io/v1beta1"
  echo "kind: Kustomization"
  echo "namespace: $namespace"
  echo "resources:"
  echo "  - $base"
  echo "configMapGenerator:"
  for i in "${!names[@]}"; do
    echo "  - name: ${names[$i]}-cc-package"
    echo "    behavior: merge"
    echo "    literals:"
    echo "      - package-id=${ids[$i]}"
  done
  echo "images:"
  for cc in "${names[@]}"; do
    echo "  - name: healthledger/$cc-cc"
    [ -z "$registry" ] || echo "    newName: $registry/$cc-cc"
    echo "    newTag: \"$(cat "$images/$cc-cc.build")\""
  done
  if [ "$overlay" = hlf-operator ]; then
    echo "patches:"
    for i in "${!names[@]}"; do
      cc=${names[$i]}
      echo "  - target: {group: hlf.kungfusoftware.es, kind: FabricChaincode, name: $cc-cc}"
      echo "    patch: |-"
      echo "      - op: replace"
      echo "        path: /spec/packageId"
      echo "        value: ${ids[$i]}"
      echo "      - op: replace"
      echo "        path: /spec/credentials/csr/hosts"
      echo "        value: [$cc-cc, $cc-cc.$namespace, $cc-cc.$namespace.svc.cluster.local]"
    done
  fi
} >"$out/kustomization.yaml"
cat "$out/package-ids.txt"
