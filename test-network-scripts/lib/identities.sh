# Enrolls the demo identities through each org's Fabric CA into the wallet, and writes the connection
# profiles. Sourced by network.sh.
# shellcheck shell=bash

ca_client() {
  local org=$1; shift
  FABRIC_CA_CLIENT_HOME="$NETDIR/ca-clients/$org/registrar" "$BIN/fabric-ca-client" "$@" \
    --caname "ca-$org" --tls.certfiles "$(ca_tls_cert "$org")"
}

# wallet_normalize DIR NAME ORG MSPID ROLE SUBJECT: gives a freshly enrolled MSP folder the wallet
# layout the SDK reads (signcerts/cert.pem, keystore/key.pem 0600, cacerts/ca.pem, identity.json).
wallet_normalize() {
  local dir=$1 name=$2 org=$3 msp=$4 role=$5 subject=$6 k c
  k=$(ls "$dir"/keystore/* | head -n1)
  [ "$k" = "$dir/keystore/key.pem" ] || mv "$k" "$dir/keystore/key.pem"
  chmod 600 "$dir/keystore/key.pem"
  c=$(ls "$dir"/cacerts/* | head -n1)
  [ "$c" = "$dir/cacerts/ca.pem" ] || mv "$c" "$dir/cacerts/ca.pem"
  rm -rf "$dir/IssuerPublicKey" "$dir/IssuerRevocationPublicKey" "$dir/user"
  jq -n --arg name "$name" --arg org "$org" --arg msp "$msp" --arg role "$role" --arg subject "$subject" \
    '{name:$name, org:$org, mspId:$msp, role:$role, subject:$subject}' >"$dir/identity.json"
}

# register_enroll ORG NAME DIR [REGISTER-ARGS...]: registers NAME (a client) at ORG's CA with the
# extra arguments, then enrolls it into DIR. Registering again after a half-finished run is fine: the
# CA answers "already registered".
register_enroll() {
  local org=$1 name=$2 dir=$3 port=${CA_PORT[$1]} out
  shift 3
  if ! out=$(ca_client "$org" register -u "https://127.0.0.1:$port" -M "$NETDIR/wallet/registrar.$org" \
    --id.name "$name" --id.secret "${name}-secret" --id.type client "$@" 2>&1); then
    echo "$out" >>"$(log_file ca-client)"
    case "$out" in
      *"already registered"*) ;;
      *) die "registering $name at the CA of $org failed; read $(log_file ca-client)" ;;
    esac
  fi
  rm -rf "$dir"
  ca_client "$org" enroll -u "https://$name:${name}-secret@127.0.0.1:$port" -M "$dir" \
    >>"$(log_file ca-client)" 2>&1 || die "enrolling $name failed; read $(log_file ca-client)"
}

enroll_identities() {
  local org port line name iorg role subject dir enrolled=0
  mkdir -p "$NETDIR/wallet"
  for org in "${ORGS[@]}"; do
    port=${CA_PORT[$org]}
    dir="$NETDIR/wallet/registrar.$org"
    if [ ! -f "$dir/identity.json" ]; then
      ca_client "$org" enroll -u "https://admin:${HL_CA_ADMIN_SECRET:-adminpw}@127.0.0.1:$port" -M "$dir" \
        >>"$(log_file ca-client)" 2>&1 || die "enrolling the registrar of $org failed; read $(log_file ca-client) and $(log_file "ca-$org")"
      wallet_normalize "$dir" "registrar.$org" "$org" "${MSP[$org]}" registrar "registrar.$org"
      enrolled=$((enrolled + 1))
    fi
  done
  for line in "${IDENTITIES[@]}"; do
    read -r name iorg role subject <<<"$line"
    dir="$NETDIR/wallet/$name"
    [ -f "$dir/identity.json" ] && continue
    register_enroll "$iorg" "$name" "$dir" --id.attrs "role=$role:ecert,subject=$subject:ecert"
    wallet_normalize "$dir" "$name" "$iorg" "${MSP[$iorg]}" "$role" "$subject"
    enrolled=$((enrolled + 1))
  done
  enroll_events_identities
  log "identities: ${#IDENTITIES[@]} users and ${#ORGS[@]} events service identities in $NETDIR/wallet ($enrolled users enrolled now)"
}

# events_identity ORG: the wallet name of the org's events service identity.
events_identity() { echo "events.$1"; }

# enroll_events_identities registers and enrolls, at each org's CA, the org's events service identity:
# a client certificate of the affiliation "$EVENTS_OU" (config.sh), so it carries OU=$EVENTS_OU,
# which the channel's Readers admit (blocks, block events, chaincode events), and no role attribute,
# so no chaincode grants it anything. Idempotent.
enroll_events_identities() {
  local org port name dir out
  for org in "${ORGS[@]}"; do
    name=$(events_identity "$org")
    dir="$NETDIR/wallet/$name"
    [ -f "$dir/identity.json" ] && continue
    port=${CA_PORT[$org]}
    if ! out=$(ca_client "$org" affiliation add "$EVENTS_OU" -u "https://127.0.0.1:$port" \
      -M "$NETDIR/wallet/registrar.$org" 2>&1); then
      echo "$out" >>"$(log_file ca-client)"
      case "$out" in
        *"already exists"*) ;;
        *) die "adding the affiliation $EVENTS_OU at the CA of $org failed; read $(log_file ca-client)" ;;
      esac
    fi
    register_enroll "$org" "$name" "$dir" --id.affiliation "$EVENTS_OU"
    openssl x509 -in "$dir/signcerts/cert.pem" -noout -subject 2>/dev/null | grep -q "OU *= *$EVENTS_OU" ||
      die "the certificate of $name carries no OU=$EVENTS_OU; read $(log_file ca-client)"
    wallet_normalize "$dir" "$name" "$org" "${MSP[$org]}" "" ""
  done
}

# hlctl_bin prints the path of hlctl built from $ROOT, building it when a source is newer.
hlctl_bin() {
  local hlctl
  hlctl="$(mkdir -p "$NETDIR/bin" && cd "$NETDIR/bin" && pwd)/hlctl" # absolute: built from $ROOT
  if [ ! -x "$hlctl" ] || [ -n "$(find "$ROOT/go.mod" "$ROOT/go.sum" "$ROOT/cmd/hlctl" "$ROOT/gateway-client" \
    "$ROOT/chaincode" "$ROOT/internal" -newer "$hlctl" \( -name '*.go' -o -name 'go.*' \) -print -quit)" ]; then
    (cd "$ROOT" && go build -o "$hlctl" ./cmd/hlctl) >>"$(log_file hlctl)" 2>&1 ||
      die "building hlctl failed; read $(log_file hlctl)"
  fi
  echo "$hlctl"
}

# write_profiles writes one connection profile per org and network.json, which lists the orgs, their
# roles and the identities. hlctl writes them (one schema, the SDK's Go types); this passes it only the
# facts: names, MSP ids, ports and paths. Paths inside are relative to the profiles folder.
write_profiles() {
  local p="$NETDIR/profiles" hlctl org line name iorg role subject cc
  hlctl=$(hlctl_bin)
  local args=(--dir "$p" --layout "$LAYOUT" --channel "$CHANNEL" --wallet-dir "$NETDIR/wallet"
    --orderer "127.0.0.1:${O_PORT[0]}" --orderer-tls-ca "$(orderer_tlsca)")
  for org in "${ORGS[@]}"; do
    args+=(--org "$org=${MSP[$org]}" --roles "$org=${ROLES[$org]}"
      --peer "$org=127.0.0.1:${PEER_PORT[$org]}" --peer-host "$org=$(peer_host "$org")"
      --peer-tls-ca "$org=$(org_tlsca "$org")"
      --ca-name "$org=ca-$org" --ca-url "$org=https://127.0.0.1:${CA_PORT[$org]}"
      --ca-tls-ca "$org=$(ca_tls_cert "$org")" --registrar "$org=registrar.$org"
      --admin-msp "$org=$(org_admin_msp "$org")" --chaincode-servers "$org=127.0.0.1:${CC_BASE[$org]}"
      --events-identity "$org=$(events_identity "$org")")
  done
  for line in "${IDENTITIES[@]}"; do
    read -r name iorg role subject <<<"$line"
    args+=(--user "$name=$iorg:$role:$subject")
  done
  for cc in $(chaincode_names); do args+=(--chaincodes "$cc"); done
  "$hlctl" network profiles "${args[@]}" >>"$(log_file hlctl)" 2>&1 ||
    die "writing the profiles failed; read $(log_file hlctl)"
}
