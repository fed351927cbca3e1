# Channel config updates, shared by acl.sh (ACLs) and network.sh revoke (an org's CRL): fetch the
# channel config as JSON, turn a changed copy into a config update, have org admins sign it, send it,
# and wait until every org's peer has committed the config block. They act on the deployment target
# (load_target, lib/deploy.sh: T_ORGS, T_CHANNEL, the orderer, each org's peer and admin MSP).
# Sourced after lib/common.sh and lib/deploy.sh.
# shellcheck shell=bash

# chconfig_fetch OUT TMP: the channel's current config (common.Config as JSON) into OUT, fetched as
# the first org's admin; TMP is a scratch folder.
chconfig_fetch() {
  local out=$1 tmp=$2
  (
    target_env "${T_ORGS[0]}"
    mapfile -t oargs < <(target_orderer_args)
    "$BIN/peer" channel fetch config "$tmp/config_block.pb" -c "$T_CHANNEL" "${oargs[@]}" >"$tmp/fetch.log" 2>&1
  ) || die "fetching the config of $T_CHANNEL failed: $(tail -n 3 "$tmp/fetch.log")"
  "$BIN/configtxlator" proto_decode --type common.Block --input "$tmp/config_block.pb" |
    jq '.data.data[0].payload.data.config' >"$out"
}

# chconfig_peer_height ORG: the height of the channel on ORG's peer.
chconfig_peer_height() {
  (
    target_env "$1"
    "$BIN/peer" channel getinfo -c "$T_CHANNEL" 2>/dev/null | sed -n 's/^Blockchain info: //p' | jq -r '.height'
  )
}

# chconfig_update TMP ORIGINAL MODIFIED TIMEOUT SIGNER...: sends the update from the config JSON
# ORIGINAL to MODIFIED, signed by the admin of each SIGNER org (the last one sends it), and waits up to
# TIMEOUT seconds until every org's peer has committed a block past the height it had before.
# The caller checks that the signers satisfy the mod_policy of what changes.
chconfig_update() {
  local tmp=$1 original=$2 modified=$3 timeout=$4 before=() i org deadline
  shift 4
  [ $# -gt 0 ] || die "chconfig_update: no signer"
  local signers=("$@")
  "$BIN/configtxlator" proto_encode --type common.Config --input "$original" --output "$tmp/config.pb"
  "$BIN/configtxlator" proto_encode --type common.Config --input "$modified" --output "$tmp/modified.pb"
  "$BIN/configtxlator" compute_update --channel_id "$T_CHANNEL" --original "$tmp/config.pb" \
    --updated "$tmp/modified.pb" --output "$tmp/update.pb"
  "$BIN/configtxlator" proto_decode --type common.ConfigUpdate --input "$tmp/update.pb" >"$tmp/update.json"
  jq -n --arg ch "$T_CHANNEL" --slurpfile u "$tmp/update.json" \
    '{payload: {header: {channel_header: {channel_id: $ch, type: 2}}, data: {config_update: $u[0]}}}' >"$tmp/envelope.json"
  "$BIN/configtxlator" proto_encode --type common.Envelope --input "$tmp/envelope.json" --output "$tmp/envelope.pb"

  for org in "${T_ORGS[@]}"; do before+=("$(chconfig_peer_height "$org")"); done
  for ((i = 0; i < ${#signers[@]} - 1; i++)); do
    ( target_env "${signers[$i]}"; "$BIN/peer" channel signconfigtx -f "$tmp/envelope.pb" >>"$tmp/sign.log" 2>&1 ) ||
      die "the admin of ${signers[$i]} could not sign: $(tail -n 3 "$tmp/sign.log")"
  done
  (
    target_env "${signers[${#signers[@]} - 1]}"
    mapfile -t oargs < <(target_orderer_args)
    "$BIN/peer" channel update -f "$tmp/envelope.pb" -c "$T_CHANNEL" "${oargs[@]}" >"$tmp/update.log" 2>&1
  ) || die "the config update was refused: $(tail -n 3 "$tmp/update.log")"
  deadline=$(($(date +%s) + timeout))
  for i in "${!T_ORGS[@]}"; do
    while [ "$(chconfig_peer_height "${T_ORGS[$i]}")" -le "${before[$i]}" ]; do
      [ "$(date +%s)" -lt "$deadline" ] ||
        die "the peer of ${T_ORGS[$i]} did not commit the config block within $timeout s"
      sleep 0.5
    done
  done
}
