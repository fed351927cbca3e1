# Enrolls the demo identities through each org's Fabric CA into the wallet, and writes the connection
# profiles. Sourced by network.sh.
# shellcheck shell=bash

ca_client() {
  local org=$1; shift
  FABRIC_CA_CLIENT_HOME="$NETDIR/ca-clients/$org/registrar" "$BIN/fabric-ca-client" "$@" \
    --caname "ca-$org" --tls.certfiles "$(ca_tls_cert "$org")"
}

# ca_secret ORG NAME prints NAME's enrolment secret at ORG's CA: 128 random bits (random_secret),
# chosen on first use and kept in $NETDIR/secrets/ORG/NAME (mode 0600, folders 0700), the only place
# that holds it. Written before NAME is registered, so a run cut short finds it again.
ca_secret() {
  local d="$NETDIR/secrets/$1" f="$NETDIR/secrets/$1/$2" s
  if [ ! -s "$f" ]; then
    s=$(random_secret)
    (umask 077 && mkdir -p "$d" && chmod 700 "$NETDIR/secrets" "$d" && printf '%s\n' "$s" >"$f.tmp" &&
      mv "$f.tmp" "$f") || die "could not store the enrolment secret of $2 in $d"
  fi
  chmod 600 "$f"
  s=$(<"$f")
  [[ "$s" =~ ^[0-9a-f]{32}$ ]] || die "$f does not hold a 32-hex-character secret"
  printf '%s\n' "$s"
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

# enrolled_msp DIR: DIR holds a certificate and the private key that goes with it (what an enrolment
# left there).
enrolled_msp() {
  local dir=$1 c k
  c=$(ls "$dir"/signcerts/* 2>/dev/null | head -n1) && [ -n "$c" ] || return 1
  k=$(ls "$dir"/keystore/* 2>/dev/null | head -n1) && [ -n "$k" ] || return 1
  [ "$(openssl x509 -in "$c" -noout -pubkey 2>/dev/null)" = "$(openssl pkey -in "$k" -pubout 2>/dev/null)" ]
}

# enroll_into ORG NAME SECRET DIR MSPID ROLE SUBJECT [CHECK]: enrolls NAME at ORG's CA (its one
# enrolment: the CAs allow one per identity) and puts the identity into the wallet folder DIR at once:
# the CA client writes into DIR's hidden sibling DIR.enrolling (named .NAME.enrolling), which is made
# whole (wallet_normalize; CHECK, a command given that folder, must pass), synced, and renamed to DIR.
# A run cut short after the CA answered leaves a whole certificate and key there, which the next run
# moves in instead of enrolling again. The secret reaches fabric-ca-client in its environment
# (FABRIC_CA_CLIENT_URL), never on a command line or in a log.
enroll_into() {
  local org=$1 name=$2 secret=$3 dir=$4 msp=$5 role=$6 subject=$7 check=${8:-} port staged out
  port=$(ca_port_of "$org")
  staged="$(dirname "$dir")/.$(basename "$dir").enrolling"
  if enrolled_msp "$staged"; then
    log "  $name: moving in the certificate enrolled by a run cut short ($staged)"
  else
    rm -rf "$staged"
    if ! out=$(FABRIC_CA_CLIENT_URL="https://$name:$secret@127.0.0.1:$port" ca_client "$org" enroll -M "$staged" 2>&1); then
      printf '%s\n' "$out" >>"$(log_file ca-client)"
      rm -rf "$staged"
      case "$out" in
        *"Authentication failure"*)
          die "the CA of $org refused to enroll $name (Authentication failure): its secret in $NETDIR/secrets/$org/$name is wrong, or $name has used its one enrolment (a run cut short between the CA's answer and the wallet: the certificate is lost). Read $(log_file "ca-$org") for which (\"maximum enrollment allowance\" or \"Password mismatch\"); see docs/operators.md, \"Enrolment secrets\"" ;;
        *) die "enrolling $name at the CA of $org failed; read $(log_file ca-client)" ;;
      esac
    fi
    printf '%s\n' "$out" >>"$(log_file ca-client)"
  fi
  if [ -z "$(ls -A "$staged/cacerts" 2>/dev/null)" ]; then # cut short before the client stored it
    mkdir -p "$staged/cacerts" && cp "$(ls "$(ca_org_dir "$org")"/ca/*-cert.pem)" "$staged/cacerts/ca.pem"
  fi
  wallet_normalize "$staged" "$name" "$org" "$msp" "$role" "$subject"
  if [ -n "$check" ]; then "$check" "$staged" || die "$name was enrolled but its certificate fails the check $check; it stays in $staged"; fi
  sync "$staged"/signcerts/cert.pem "$staged"/keystore/key.pem "$staged"/cacerts/ca.pem "$staged"/identity.json
  rm -rf "$dir" # a folder left by an older run, with no identity.json
  mv "$staged" "$dir"
  sync "$(dirname "$dir")"
}

# register_enroll ORG NAME DIR MSPID ROLE SUBJECT [REGISTER-ARGS...]: registers NAME (a client) at
# ORG's CA with its secret (ca_secret) and the extra arguments, then enrolls it into the wallet folder
# DIR (enroll_into). Registering again after a half-finished run is fine: the CA answers "already
# registered". The secret reaches fabric-ca-client in its environment (FABRIC_CA_CLIENT_ID_SECRET);
# the "Password:" line the client prints is never logged.
register_enroll() {
  local org=$1 name=$2 dir=$3 msp=$4 role=$5 subject=$6 port=${CA_PORT[$1]} out secret
  shift 6
  secret=$(ca_secret "$org" "$name")
  if ! out=$(FABRIC_CA_CLIENT_ID_SECRET=$secret ca_client "$org" register -u "https://127.0.0.1:$port" \
    -M "$NETDIR/wallet/registrar.$org" --id.name "$name" --id.type client "$@" 2>&1); then
    grep -v '^Password:' <<<"$out" >>"$(log_file ca-client)" || true
    case "$out" in
      *"already registered"*) ;;
      *) die "registering $name at the CA of $org failed; read $(log_file ca-client)" ;;
    esac
  fi
  enroll_into "$org" "$name" "$secret" "$dir" "$msp" "$role" "$subject" "${REGISTER_CHECK:-}"
}

# enroll_identities enrolls each org's registrar (the CA's bootstrap identity) and registers and
# enrolls the layout's users and events identities. An identity whose wallet entry is there is left
# alone: each is enrolled once, on the first up, and kept by every later one.
enroll_identities() {
  local org line name iorg role subject dir enrolled=0
  mkdir -p "$NETDIR/wallet"
  for org in "${ORGS[@]}"; do
    dir="$NETDIR/wallet/registrar.$org"
    if [ ! -f "$dir/identity.json" ]; then
      enroll_into "$org" admin "${HL_CA_ADMIN_SECRET:?}" "$dir" "${MSP[$org]}" registrar "registrar.$org"
      enrolled=$((enrolled + 1))
    fi
  done
  for line in "${IDENTITIES[@]}"; do
    read -r name iorg role subject <<<"$line"
    dir="$NETDIR/wallet/$name"
    [ -f "$dir/identity.json" ] && continue
    register_enroll "$iorg" "$name" "$dir" "${MSP[$iorg]}" "$role" "$subject" \
      --id.attrs "role=$role:ecert,subject=$subject:ecert"
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
    REGISTER_CHECK=has_events_ou register_enroll "$org" "$name" "$dir" "${MSP[$org]}" "" "" --id.affiliation "$EVENTS_OU"
  done
}

# has_events_ou DIR: the certificate in the MSP folder DIR carries OU=$EVENTS_OU.
has_events_ou() {
  openssl x509 -in "$1/signcerts/cert.pem" -noout -subject 2>/dev/null | grep -q "OU *= *$EVENTS_OU"
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
