# Chaincode-as-a-service deployment: build, package, start one chaincode server per org, and run the
# real lifecycle (install, approve per org, commit). Sourced by network.sh.
# shellcheck shell=bash

# chaincode_names: every chaincode under chaincode/ that has a deployment config, in port-index order.
chaincode_names() {
  local d
  for d in "$ROOT"/network/config/*/chaincode.conf; do
    [ -e "$d" ] || continue
    local n; n=$(basename "$(dirname "$d")")
    [ -d "$ROOT/chaincode/$n/cmd/$n-cc" ] || continue
    # HL_CHAINCODES (comma-separated) limits the set, e.g. HL_CHAINCODES=baseline.
    if [ -n "${HL_CHAINCODES:-}" ]; then case ",$HL_CHAINCODES," in *",$n,"*) ;; *) continue ;; esac; fi
    # shellcheck disable=SC1090
    echo "$(source "$d"; echo "$CC_PORT_INDEX") $n"
  done | sort -n | awk '{print $2}'
}

# load_cc_conf NAME: sets CC_POLICY, CC_COLLECTIONS and CC_PORT_INDEX from network/config/NAME.
load_cc_conf() {
  local f="$ROOT/network/config/$1/chaincode.conf"
  [ -f "$f" ] && [ -d "$ROOT/chaincode/$1/cmd/$1-cc" ] ||
    die "unknown chaincode '$1' (known: $(chaincode_names | tr '\n' ' '))"
  CC_POLICY=majority; CC_COLLECTIONS=none; CC_PORT_INDEX=
  # shellcheck disable=SC1090
  source "$f"
  [[ "$CC_PORT_INDEX" =~ ^[0-9]+$ ]] || die "$f: CC_PORT_INDEX must be a number"
}

# msps_of_roles ROLE,ROLE...: the distinct MSP ids of the orgs that hold any of the roles.
msps_of_roles() {
  local r org
  for r in ${1//,/ }; do
    while read -r org; do [ -n "$org" ] && echo "${MSP[$org]}"; done < <(orgs_with_role "$r")
  done | sort -u
}

# policy_expr: the --signature-policy for CC_POLICY, or empty for the channel's MAJORITY Endorsement.
#   majority                 the channel default (MAJORITY of the orgs' peers)
#   any-of-roles:R1,R2       OR of the peers of the orgs holding R1 or R2
#   all-of-roles:R1,R2       AND over roles of (OR of the peers of the orgs holding that role)
policy_expr() {
  local kind=${CC_POLICY%%:*} arg=${CC_POLICY#*:} groups=() r m g
  case "$kind" in
    majority) echo "" ;;
    any-of-roles)
      g=$(msps_of_roles "$arg" | sed "s/.*/'&.peer'/" | paste -sd, -)
      [ -n "$g" ] || die "policy $CC_POLICY matches no org in layout $LAYOUT"
      echo "OR($g)" ;;
    all-of-roles)
      for r in ${arg//,/ }; do
        g=$(msps_of_roles "$r" | sed "s/.*/'&.peer'/" | paste -sd, -)
        [ -n "$g" ] || die "policy $CC_POLICY: no org holds role $r in layout $LAYOUT"
        groups+=("OR($g)")
      done
      # The same org set twice would demand two signatures from one peer: keep each group once.
      mapfile -t groups < <(printf '%s\n' "${groups[@]}" | sort -u)
      if [ "${#groups[@]}" = 1 ]; then echo "${groups[0]}"; else echo "AND($(IFS=,; echo "${groups[*]}"))"; fi ;;
    *) die "unknown CC_POLICY '$CC_POLICY'" ;;
  esac
  : "${m:=}"
}

# collections_json: the collection config for CC_COLLECTIONS, or empty when it has none.
#   none
#   per-org:PREFIX:ROLE      one collection PREFIX<MSP> per org holding ROLE, readable by that org only
#   shared:NAME:R1,R2        one collection NAME whose members are the orgs holding R1, R2 ...
collections_json() {
  local kind=${CC_COLLECTIONS%%:*} rest=${CC_COLLECTIONS#*:} msp out="[]"
  case "$kind" in
    none) echo ""; return ;;
    per-org)
      local prefix=${rest%%:*} role=${rest#*:}
      while read -r msp; do
        out=$(jq --arg n "$prefix$msp" --arg p "OR('$msp.member')" \
          '. + [{name:$n, policy:$p, requiredPeerCount:0, maxPeerCount:0, blockToLive:0, memberOnlyRead:true, memberOnlyWrite:true}]' <<<"$out")
      done < <(msps_of_roles "$role") ;;
    shared)
      local name=${rest%%:*} roles=${rest#*:} members
      members=$(msps_of_roles "$roles" | sed "s/.*/'&.member'/" | paste -sd, -)
      local n; n=$(msps_of_roles "$roles" | wc -l)
      out=$(jq --arg n "$name" --arg p "OR($members)" --argjson max "$((n - 1))" \
        '. + [{name:$n, policy:$p, requiredPeerCount:0, maxPeerCount:$max, blockToLive:0, memberOnlyRead:true, memberOnlyWrite:true}]' <<<"$out") ;;
    *) die "unknown CC_COLLECTIONS '$CC_COLLECTIONS'" ;;
  esac
  echo "$out"
}

# package_cc NAME: builds NAME's server binary and its ccaas package; prints the package id.
package_cc() {
  local name=$1 pkgdir="$NETDIR/packages/$1" bin="$NETDIR/bin/$1-cc" hash
  mkdir -p "$pkgdir/src" "$NETDIR/bin"
  (cd "$ROOT" && go build -trimpath -buildvcs=false -o "$bin" "./chaincode/$name/cmd/$name-cc") >"$(log_file "build-$name")" 2>&1 ||
    die "building chaincode $name failed; read $(log_file "build-$name")"
  hash=$(sha256sum "$bin" | cut -c1-16)
  printf '{"chaincode":"%s","build":"%s"}\n' "$name" "$hash" >"$pkgdir/src/connection.json"
  printf '{"type":"ccaas","label":"%s_%s"}\n' "$name" "$hash" >"$pkgdir/metadata.json"
  local tarflags=(--sort=name --mtime='UTC 2020-01-01' --owner=0 --group=0 --numeric-owner)
  tar "${tarflags[@]}" -C "$pkgdir/src" -cf - connection.json | gzip -n >"$pkgdir/code.tar.gz"
  tar "${tarflags[@]}" -C "$pkgdir" -cf - code.tar.gz metadata.json | gzip -n >"$pkgdir/$name.tgz"
  (peer_env "${ORGS[0]}"; "$BIN/peer" lifecycle chaincode calculatepackageid "$pkgdir/$name.tgz")
}

cc_port() { echo $(( ${CC_BASE[$1]} + CC_PORT_INDEX )); }

# cc_tls ORG NAME: a TLS server certificate for ORG's NAME server, signed by ORG's TLS CA.
cc_tls() {
  local org=$1 name=$2 d="$NETDIR/ccaas/$1/tls"
  mkdir -p "$d"
  [ -f "$d/$name.crt" ] && return
  openssl ecparam -name prime256v1 -genkey -noout -out "$d/$name.key.ec" 2>/dev/null
  openssl pkcs8 -topk8 -nocrypt -in "$d/$name.key.ec" -out "$d/$name.key"
  rm -f "$d/$name.key.ec"
  openssl req -new -key "$d/$name.key" -subj "/CN=$name.$(org_domain "$org")" -out "$d/$name.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\n' >"$d/$name.ext"
  openssl x509 -req -in "$d/$name.csr" -CA "$(org_tlsca "$org")" -CAkey "$(org_tlsca_key "$org")" \
    -CAcreateserial -days 3650 -sha256 -extfile "$d/$name.ext" -out "$d/$name.crt" 2>/dev/null ||
    die "could not sign the TLS certificate of $name for $org"
  rm -f "$d/$name.csr" "$d/$name.ext"
}

# cc_connection ORG NAME: what ORG's peer reads (through the builder) to dial ORG's NAME server.
cc_connection() {
  local org=$1 name=$2 pd; pd=$(peer_dir "$org")
  jq -n --arg addr "127.0.0.1:$(cc_port "$org")" --rawfile key "$pd/tls/server.key" \
    --rawfile cert "$pd/tls/server.crt" --rawfile root "$(org_tlsca "$org")" \
    '{address:$addr, dial_timeout:"10s", tls_required:true, client_auth_required:true,
      client_key:$key, client_cert:$cert, root_cert:$root}' >"$NETDIR/ccaas/$org/$name.json"
}

# start_cc ORG NAME PKGID: (re)starts ORG's server of NAME unless it already serves PKGID.
start_cc() {
  local org=$1 name=$2 pkgid=$3 proc="cc-$2-$1" d="$NETDIR/ccaas/$1/tls"
  if alive "$proc" && [ "$(cat "$(pid_file "$proc").pkg" 2>/dev/null)" = "$pkgid" ]; then return; fi
  stop_proc "$proc"
  port_in_use "$(cc_port "$org")" && die "port $(cc_port "$org") for the $name server of $org is in use by another process"
  CHAINCODE_SERVER_ADDRESS="127.0.0.1:$(cc_port "$org")" \
  CORE_CHAINCODE_ID_NAME="$pkgid" \
  CORE_PEER_TLS_ENABLED=true \
  CORE_TLS_CLIENT_KEY_FILE="$d/$name.key" \
  CORE_TLS_CLIENT_CERT_FILE="$d/$name.crt" \
  CORE_PEER_TLS_ROOTCERT_FILE="$(org_tlsca "$org")" \
  start_proc "$proc" "$NETDIR/bin/$name-cc"
  echo "$pkgid" >"$(pid_file "$proc").pkg"
  wait_for "the $name server of $org on port $(cc_port "$org")" 20 "$(log_file "$proc")" port_in_use "$(cc_port "$org")"
}

committed_field() { # NAME FIELD
  (peer_env "${ORGS[0]}"; "$BIN/peer" lifecycle chaincode querycommitted -C "$CHANNEL" -n "$1" -O json 2>/dev/null) |
    jq -r ".$2 // empty" 2>/dev/null || true
}

cc_answers() { # ORG NAME: the contract answers its metadata query on ORG's peer
  (peer_env "$1"; "$BIN/peer" chaincode query -C "$CHANNEL" -n "$2" -c '{"Args":["org.hyperledger.fabric:GetMetadata"]}' >/dev/null 2>&1)
}

deploy_cc() {
  local name=$1 org pkgid policy colls version seq cur
  load_cc_conf "$name"
  policy=$(policy_expr)
  colls=$(collections_json)
  pkgid=$(package_cc "$name")
  local pflags=() cflags=()
  [ -n "$policy" ] && pflags=(--signature-policy "$policy")
  if [ -n "$colls" ]; then
    echo "$colls" >"$NETDIR/packages/$name/collections.json"
    cflags=(--collections-config "$NETDIR/packages/$name/collections.json")
  fi
  version=$(printf '%s\n%s\n%s\n' "$pkgid" "$policy" "$colls" | sha256sum | cut -c1-12)

  for org in "${ORGS[@]}"; do
    cc_tls "$org" "$name"
    cc_connection "$org" "$name"
    start_cc "$org" "$name" "$pkgid"
    if ! (peer_env "$org"; "$BIN/peer" lifecycle chaincode queryinstalled -O json 2>/dev/null) |
      jq -e --arg id "$pkgid" '.installed_chaincodes // [] | map(.package_id) | index($id)' >/dev/null; then
      (peer_env "$org"; "$BIN/peer" lifecycle chaincode install "$NETDIR/packages/$name/$name.tgz" >>"$(log_file peer-cli)" 2>&1) ||
        die "installing $name on $org failed; read $(log_file peer-cli) and $(log_file "peer0-$org")"
    fi
  done

  cur=$(committed_field "$name" version)
  if [ "$cur" = "$version" ]; then
    log "chaincode $name: definition $version already committed; servers serve $pkgid"
  else
    seq=$(committed_field "$name" sequence); seq=$(( ${seq:-0} + 1 ))
    for org in "${ORGS[@]}"; do
      if (peer_env "$org"; "$BIN/peer" lifecycle chaincode queryapproved -C "$CHANNEL" -n "$name" --sequence "$seq" -O json 2>/dev/null) |
        jq -e --arg v "$version" '.version == $v' >/dev/null 2>&1; then
        continue
      fi
      # shellcheck disable=SC2046
      (peer_env "$org"; "$BIN/peer" lifecycle chaincode approveformyorg $(orderer_args) -C "$CHANNEL" -n "$name" \
        --version "$version" --package-id "$pkgid" --sequence "$seq" "${pflags[@]}" "${cflags[@]}" \
        --waitForEventTimeout 60s >>"$(log_file peer-cli)" 2>&1) ||
        die "approving $name for $org failed; read $(log_file peer-cli)"
    done
    local peers=()
    for org in "${ORGS[@]}"; do
      peers+=(--peerAddresses "127.0.0.1:${PEER_PORT[$org]}" --tlsRootCertFiles "$(org_tlsca "$org")")
    done
    # shellcheck disable=SC2046
    (peer_env "${ORGS[0]}"; "$BIN/peer" lifecycle chaincode commit $(orderer_args) -C "$CHANNEL" -n "$name" \
      --version "$version" --sequence "$seq" "${pflags[@]}" "${cflags[@]}" "${peers[@]}" \
      --waitForEventTimeout 60s >>"$(log_file peer-cli)" 2>&1) ||
      die "committing $name failed; read $(log_file peer-cli)"
    log "chaincode $name: sequence $seq committed (policy ${policy:-MAJORITY Endorsement}${colls:+, collections $(jq -r 'map(.name)|join(",")' <<<"$colls")})"
  fi
  for org in "${ORGS[@]}"; do
    wait_for "chaincode $name to answer on the peer of $org" 60 "$(log_file "cc-$name-$org")" cc_answers "$org" "$name"
  done
}
