# The chaincode-as-a-service package format, the one implementation of it: network.sh deploy (native
# processes) and network/kubernetes/package.sh (servers behind Kubernetes Services) both build their
# packages here, so the two differ only in what they are given (the address). Needs only bash, jq,
# tar, gzip and sha256sum; sourced, it defines functions and changes nothing.
# shellcheck shell=bash

# ccaas_connection ADDRESS ROOT_CERT [CLIENT_KEY CLIENT_CERT]: the connection.json through which a
# peer reaches a chaincode server at ADDRESS (host:port) over TLS, trusting the CA in the file
# ROOT_CERT. With CLIENT_KEY and CLIENT_CERT (files) the peer also presents that certificate: mutual
# TLS, for a server that checks its clients.
ccaas_connection() {
  local addr=$1 root=$2
  if [ $# -ge 4 ]; then
    jq -n --arg addr "$addr" --rawfile key "$3" --rawfile cert "$4" --rawfile root "$root" \
      '{address:$addr, dial_timeout:"10s", tls_required:true, client_auth_required:true,
        client_key:$key, client_cert:$cert, root_cert:$root}'
  else
    jq -n --arg addr "$addr" --rawfile root "$root" \
      '{address:$addr, dial_timeout:"10s", tls_required:true, client_auth_required:false, root_cert:$root}'
  fi
}

# ccaas_pack DIR LABEL CONNECTION_JSON: writes a ccaas package to DIR/package.tgz (metadata.json +
# code.tar.gz holding connection.json), deterministically: sorted names, a fixed mtime, numeric
# owner 0, gzip without name or time, so the same label and connection always give the same bytes
# and so the same package id.
ccaas_pack() {
  local dir=$1 label=$2
  mkdir -p "$dir/src" || return 1
  printf '%s\n' "$3" >"$dir/src/connection.json"
  printf '{"type":"ccaas","label":"%s"}\n' "$label" >"$dir/metadata.json"
  local tarflags=(--sort=name --mtime='UTC 2020-01-01' --owner=0 --group=0 --numeric-owner)
  tar "${tarflags[@]}" -C "$dir/src" -cf - connection.json | gzip -n >"$dir/code.tar.gz" || return 1
  tar "${tarflags[@]}" -C "$dir" -cf - code.tar.gz metadata.json | gzip -n >"$dir/package.tgz"
}

# ccaas_package_id LABEL FILE: the package id the peer gives the package FILE: LABEL:sha256 of its
# bytes (what 'peer lifecycle chaincode calculatepackageid' prints).
ccaas_package_id() {
  local sum
  sum=$(sha256sum "$2" | cut -d' ' -f1) || return 1
  echo "$1:$sum"
}
