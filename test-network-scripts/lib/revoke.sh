# network.sh revoke: revoke one wallet identity's certificate at its org's Fabric CA and put the
# CA's certificate revocation list (CRL) into the org's MSP definition in the channel config, so
# that every peer and orderer refuses the certificate. Sourced by network.sh.
# shellcheck shell=bash

# The reasons of RFC 5280 (5.3.1) the Fabric CA accepts, as its revoke command spells them.
REVOKE_REASONS=(unspecified keycompromise cacompromise affiliationchange superseded cessationofoperation
  certificatehold removefromcrl privilegewithdrawn aacompromise)

# hex_norm HEX: lower case, no colons, no leading zeros (how the CA and openssl differ in writing
# one serial number or key identifier).
hex_norm() {
  local h=${1,,}
  h=${h//:/}; h=${h//[[:space:]]/}; h=${h#keyid}
  h=$(sed 's/^0*//' <<<"$h")
  echo "${h:-0}"
}

# cert_serial FILE and cert_aki FILE: a certificate's serial number and authority key identifier.
cert_serial() { hex_norm "$(openssl x509 -in "$1" -noout -serial | sed 's/^serial=//')"; }
cert_aki() { hex_norm "$(openssl x509 -in "$1" -noout -ext authorityKeyIdentifier | tail -n 1)"; }

# crl_serials: the serial numbers a PEM CRL on stdin lists, one a line, normalised.
crl_serials() {
  local s
  openssl crl -noout -text 2>/dev/null | sed -n 's/^ *Serial Number: *//p' | while read -r s; do hex_norm "$s"; done
}

# msp_revoked_serials CONFIG MSPID: the serial numbers the org's MSP definition in the channel
# config (JSON) revokes.
msp_revoked_serials() {
  local b64
  jq -r --arg m "$2" '.channel_group.groups.Application.groups[$m].values.MSP.value.config.revocation_list // [] | .[]' "$1" |
    while read -r b64; do base64 -d <<<"$b64" | crl_serials; done
}

cmd_revoke() {
  local name="" reason="" r ok=0
  while [ $# -gt 0 ]; do
    case "$1" in
      --reason) [ $# -ge 2 ] || usage_die "revoke: --reason needs a value"; reason=$2; shift 2 ;;
      -*) usage_die "revoke: unknown argument '$1'" ;;
      *) [ -z "$name" ] || usage_die "revoke: one identity at a time"; name=$1; shift ;;
    esac
  done
  [ -n "$name" ] || usage_die "revoke: name the wallet identity (network.sh revoke NAME --reason REASON)"
  [ -n "$reason" ] || usage_die "revoke: --reason is required (one of: ${REVOKE_REASONS[*]})"
  for r in "${REVOKE_REASONS[@]}"; do [ "$r" = "$reason" ] && ok=1; done
  [ "$ok" = 1 ] || usage_die "revoke: unknown reason '$reason' (one of: ${REVOKE_REASONS[*]})"
  has_network || die "no network in $NETDIR"
  resolve_settings
  load_layout "$NET_LAYOUT"
  local dir="$NETDIR/wallet/$name" org msp cert serial aki o found=""
  [ -f "$dir/identity.json" ] && [ -f "$dir/signcerts/cert.pem" ] || die "revoke: unknown identity '$name' (no wallet entry $dir)"
  case "$name" in registrar.*) die "revoke: $name is its org's CA registrar; revoking it would leave the org unable to register, revoke or publish CRLs" ;; esac
  org=$(jq -r '.org // empty' "$dir/identity.json")
  for o in "${ORGS[@]}"; do [ "$o" = "$org" ] && found=1; done
  [ -n "$found" ] || die "revoke: $name belongs to no peer org of the layout (org '$org')"
  msp=${MSP[$org]}
  cert="$dir/signcerts/cert.pem"
  serial=$(cert_serial "$cert"); aki=$(cert_aki "$cert")
  [ -n "$serial" ] && [ "$aki" != 0 ] || die "revoke: cannot read the serial number and authority key identifier of $cert"
  alive "ca-$org" || die "revoke: the CA of $org is not running (network.sh start ca-$org)"
  load_target "$NETDIR/profiles"

  local tmp
  tmp=$(mktemp -d); REVOKE_TMP=$tmp
  trap '[ -z "${REVOKE_TMP:-}" ] || rm -rf "$REVOKE_TMP"' EXIT
  chconfig_fetch "$tmp/config.json" "$tmp"
  if msp_revoked_serials "$tmp/config.json" "$msp" | grep -qx "$serial"; then
    die "revoke: the certificate of $name (serial $serial) is already revoked: the channel's $msp definition lists it"
  fi
  # Who may change the org's MSP definition: the mod_policy of the org's group and of its MSP value
  # ("Admins": the org's own Admins policy, OR('<MSP>.admin')), so the org's admin alone signs.
  local gmod vmod
  gmod=$(jq -r --arg m "$msp" '.channel_group.groups.Application.groups[$m].mod_policy' "$tmp/config.json")
  vmod=$(jq -r --arg m "$msp" '.channel_group.groups.Application.groups[$m].values.MSP.mod_policy' "$tmp/config.json")
  [ "$gmod" = Admins ] && [ "$vmod" = Admins ] ||
    die "revoke: the $msp group's mod_policy is '$gmod' and its MSP value's '$vmod'; this command signs as the org's admin, which only 'Admins' (the org's own) admits"

  # The registrar's MSP, copied to a private scratch folder: the CA client writes the CRL under
  # <msp>/crls, which must not land in the wallet.
  (umask 077 && mkdir -p "$tmp/registrar" && cp -r "$NETDIR/wallet/registrar.$org/." "$tmp/registrar/")
  local port=${CA_PORT[$org]} out
  if ! out=$(ca_client "$org" revoke -u "https://127.0.0.1:$port" -M "$tmp/registrar" -s "$serial" -a "$aki" -r "$reason" 2>&1); then
    printf '%s\n' "$out" >>"$(log_file ca-client)"
    case "${out,,}" in
      *"already revoked"*) log "revoke: the CA of $org had already revoked $name's certificate (a run cut short?); publishing its CRL" ;;
      *"not found"*) die "revoke: the CA of $org knows no certificate with serial $serial (was $name issued by another CA?); nothing changed" ;;
      *) die "revoke: the CA of $org refused to revoke $name's certificate; read $(log_file ca-client)" ;;
    esac
  else
    printf '%s\n' "$out" >>"$(log_file ca-client)"
    log "revoke: the CA of $org revoked $name's certificate (serial $serial, reason $reason)"
  fi
  if ! out=$(ca_client "$org" gencrl -u "https://127.0.0.1:$port" -M "$tmp/registrar" 2>&1); then
    printf '%s\n' "$out" >>"$(log_file ca-client)"
    die "revoke: the CA of $org revoked the certificate but generating its CRL failed; read $(log_file ca-client), then run revoke again"
  fi
  local crl="$tmp/registrar/crls/crl.pem"
  [ -s "$crl" ] && crl_serials <"$crl" | grep -qx "$serial" ||
    die "revoke: the CRL of the CA of $org does not list serial $serial"
  # The CA's CRL lists every certificate it revoked (renewals' 'superseded' ones too). It replaces
  # any CRL of the same issuer in the org's MSP definition; CRLs of other issuers stay.
  local issuer b64 keep=() new
  issuer=$(openssl crl -in "$crl" -noout -hash)
  while read -r b64; do
    [ -n "$b64" ] || continue
    [ "$(base64 -d <<<"$b64" | openssl crl -noout -hash 2>/dev/null)" = "$issuer" ] || keep+=("$b64")
  done < <(jq -r --arg m "$msp" '.channel_group.groups.Application.groups[$m].values.MSP.value.config.revocation_list // [] | .[]' "$tmp/config.json")
  new=$(base64 -w0 <"$crl")
  jq --arg m "$msp" --arg crl "$new" --argjson keep "$(printf '%s\n' "${keep[@]+"${keep[@]}"}" | jq -R 'select(length > 0)' | jq -s .)" \
    '.channel_group.groups.Application.groups[$m].values.MSP.value.config.revocation_list = ($keep + [$crl])' \
    "$tmp/config.json" >"$tmp/modified.json"
  chconfig_update "$tmp" "$tmp/config.json" "$tmp/modified.json" "${HL_REVOKE_TIMEOUT:-60}" "$org"
  log "revoke: $msp's definition now carries the CRL of its CA (revoked certificates: $(crl_serials <"$crl" | wc -l)); signed by the admin of $org; every org's peer committed the config block"
  echo "revoked $name (org $org, serial $serial, reason $reason)"
}
