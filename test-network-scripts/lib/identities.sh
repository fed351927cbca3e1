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
    port=${CA_PORT[$iorg]}
    # Registering again after a half-finished run is fine: the CA answers "already registered".
    local out
    if ! out=$(ca_client "$iorg" register -u "https://127.0.0.1:$port" -M "$NETDIR/wallet/registrar.$iorg" \
      --id.name "$name" --id.secret "${name}-secret" --id.type client \
      --id.attrs "role=$role:ecert,subject=$subject:ecert" 2>&1); then
      echo "$out" >>"$(log_file ca-client)"
      case "$out" in
        *"already registered"*) ;;
        *) die "registering $name at the CA of $iorg failed; read $(log_file ca-client)" ;;
      esac
    fi
    rm -rf "$dir"
    ca_client "$iorg" enroll -u "https://$name:${name}-secret@127.0.0.1:$port" -M "$dir" \
      >>"$(log_file ca-client)" 2>&1 || die "enrolling $name failed; read $(log_file ca-client)"
    wallet_normalize "$dir" "$name" "$iorg" "${MSP[$iorg]}" "$role" "$subject"
    enrolled=$((enrolled + 1))
  done
  log "identities: ${#IDENTITIES[@]} users in $NETDIR/wallet ($enrolled enrolled now)"
}

# write_profiles writes one connection profile per org and network.json, which lists the orgs, their
# roles and the identities. Paths inside are relative to the profiles folder.
write_profiles() {
  local p="$NETDIR/profiles" org line name iorg role subject
  mkdir -p "$p"
  for org in "${ORGS[@]}"; do
    jq -n --arg name "$org" --arg msp "${MSP[$org]}" --arg ch "$CHANNEL" \
      --arg peer "$(peer_host "$org")" --arg ep "127.0.0.1:${PEER_PORT[$org]}" \
      --arg tls "../crypto/peerOrganizations/$(org_domain "$org")/tlsca/tlsca.$(org_domain "$org")-cert.pem" \
      --arg ca "ca-$org" --arg caurl "https://127.0.0.1:${CA_PORT[$org]}" \
      --arg catls "../crypto/peerOrganizations/$(org_domain "$org")/peers/ca.$(org_domain "$org")/tls/ca.crt" \
      --arg admin "../crypto/peerOrganizations/$(org_domain "$org")/users/Admin@$(org_domain "$org")/msp" \
      --argjson ccbase "${CC_BASE[$org]}" \
      '{name:$name, mspId:$msp, channel:$ch,
        peers:[{name:$peer, endpoint:$ep, tlsCACert:$tls, hostOverride:$peer}],
        ca:{name:$ca, url:$caurl, tlsCACert:$catls, registrar:("registrar." + $name)},
        adminMsp:$admin, wallet:"../wallet",
        chaincodeServers:{host:"127.0.0.1", portBase:$ccbase}}' >"$p/$org.json"
  done
  {
    local orgs_json="[]" ids_json="[]" ccs_json
    for org in "${ORGS[@]}"; do
      orgs_json=$(jq --arg name "$org" --arg msp "${MSP[$org]}" --arg roles "${ROLES[$org]}" \
        '. + [{name:$name, mspId:$msp, profile:($name + ".json"), roles:($roles | split(","))}]' <<<"$orgs_json")
    done
    for line in "${IDENTITIES[@]}"; do
      read -r name iorg role subject <<<"$line"
      ids_json=$(jq --arg name "$name" --arg org "$iorg" --arg msp "${MSP[$iorg]}" --arg role "$role" --arg s "$subject" \
        '. + [{name:$name, org:$org, mspId:$msp, role:$role, subject:$s}]' <<<"$ids_json")
    done
    ccs_json=$(printf '%s\n' "$(chaincode_names)" | jq -R . | jq -s 'map(select(length > 0))')
    jq -n --arg layout "$LAYOUT" --arg ch "$CHANNEL" --argjson orgs "$orgs_json" --argjson ids "$ids_json" \
      --argjson ccs "$ccs_json" --arg oep "127.0.0.1:${O_PORT[0]}" \
      --arg otls "../crypto/ordererOrganizations/$ORDERER_DOMAIN/tlsca/tlsca.$ORDERER_DOMAIN-cert.pem" \
      '{layout:$layout, channel:$ch, wallet:"../wallet",
        orderer:{endpoint:$oep, tlsCACert:$otls}, orgs:$orgs, identities:$ids, chaincodes:$ccs}'
  } >"$p/network.json"
}
