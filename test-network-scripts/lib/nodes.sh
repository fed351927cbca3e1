# Starts and checks the network's nodes: Fabric CAs, orderers and peers. Sourced by network.sh.
# shellcheck shell=bash

# healthy URL CAFILE: the operations endpoint answers /healthz with 200.
healthy() { curl -fsS --max-time 2 --cacert "$2" "$1/healthz" >/dev/null 2>&1; }

# ca_dirs ORG|orderer: the crypto folder of the org's CA and of the CA's TLS certificate.
ca_org_dir() {
  if [ "$1" = "$ORDERER_ORG" ]; then
    echo "$NETDIR/crypto/ordererOrganizations/$ORDERER_DOMAIN"
  else
    echo "$NETDIR/crypto/peerOrganizations/$(org_domain "$1")"
  fi
}
ca_tls_dir() {
  local d; d=$(ca_org_dir "$1")
  if [ "$1" = "$ORDERER_ORG" ]; then echo "$d/orderers/ca.$ORDERER_DOMAIN/tls"; else echo "$d/peers/ca.$(org_domain "$1")/tls"; fi
}
ca_port_of() { if [ "$1" = "$ORDERER_ORG" ]; then echo "$ORDERER_CA_PORT"; else echo "${CA_PORT[$1]}"; fi; }
ca_tls_cert() { echo "$(ca_tls_dir "$1")/ca.crt"; }

start_ca() {
  local org=$1 name="ca-$1"
  if alive "$name"; then return; fi
  local d tls port home
  d=$(ca_org_dir "$org"); tls=$(ca_tls_dir "$org"); port=$(ca_port_of "$org"); home="$NETDIR/ca/$org"
  mkdir -p "$home"
  # The CA signs with the org's own CA key pair, so the org's MSP trusts every certificate it issues.
  # shellcheck disable=SC2046
  FABRIC_CA_SERVER_OPERATIONS_LISTENADDRESS="127.0.0.1:$(ca_ops_port "$port")" \
  FABRIC_CA_SERVER_OPERATIONS_TLS_ENABLED=true \
  FABRIC_CA_SERVER_OPERATIONS_TLS_CERT_FILE="$tls/server.crt" \
  FABRIC_CA_SERVER_OPERATIONS_TLS_KEY_FILE="$tls/server.key" \
  start_proc "$name" "$BIN/fabric-ca-server" start -b "admin:${HL_CA_ADMIN_SECRET:-adminpw}" \
    --home "$home" --address 127.0.0.1 --port "$port" --ca.name "ca-$org" \
    --ca.certfile "$(ls "$d"/ca/*-cert.pem)" --ca.keyfile "$d/ca/priv_sk" \
    --tls.enabled --tls.certfile "$tls/server.crt" --tls.keyfile "$tls/server.key"
}

start_orderer() {
  local i=$1 n=${O_NAMES[$1]} d
  if alive "$n"; then return; fi
  d=$(orderer_dir "$n")
  mkdir -p "$NETDIR/data/$n"
  FABRIC_CFG_PATH="$NETDIR/config" \
  ORDERER_GENERAL_LISTENADDRESS=127.0.0.1 \
  ORDERER_GENERAL_LISTENPORT="${O_PORT[$i]}" \
  ORDERER_GENERAL_LOCALMSPID="$ORDERER_MSP" \
  ORDERER_GENERAL_LOCALMSPDIR="$d/msp" \
  ORDERER_GENERAL_TLS_ENABLED=true \
  ORDERER_GENERAL_TLS_PRIVATEKEY="$d/tls/server.key" \
  ORDERER_GENERAL_TLS_CERTIFICATE="$d/tls/server.crt" \
  ORDERER_GENERAL_TLS_ROOTCAS="[$d/tls/ca.crt]" \
  ORDERER_GENERAL_CLUSTER_CLIENTCERTIFICATE="$d/tls/server.crt" \
  ORDERER_GENERAL_CLUSTER_CLIENTPRIVATEKEY="$d/tls/server.key" \
  ORDERER_GENERAL_CLUSTER_ROOTCAS="[$d/tls/ca.crt]" \
  ORDERER_GENERAL_BOOTSTRAPMETHOD=none \
  ORDERER_CHANNELPARTICIPATION_ENABLED=true \
  ORDERER_ADMIN_LISTENADDRESS="127.0.0.1:${O_ADMIN[$i]}" \
  ORDERER_ADMIN_TLS_ENABLED=true \
  ORDERER_ADMIN_TLS_PRIVATEKEY="$d/tls/server.key" \
  ORDERER_ADMIN_TLS_CERTIFICATE="$d/tls/server.crt" \
  ORDERER_ADMIN_TLS_ROOTCAS="[$d/tls/ca.crt]" \
  ORDERER_ADMIN_TLS_CLIENTAUTHREQUIRED=true \
  ORDERER_ADMIN_TLS_CLIENTROOTCAS="[$d/tls/ca.crt]" \
  ORDERER_OPERATIONS_LISTENADDRESS="127.0.0.1:${O_OPS[$i]}" \
  ORDERER_OPERATIONS_TLS_ENABLED=true \
  ORDERER_OPERATIONS_TLS_PRIVATEKEY="$d/tls/server.key" \
  ORDERER_OPERATIONS_TLS_CERTIFICATE="$d/tls/server.crt" \
  ORDERER_OPERATIONS_TLS_CLIENTROOTCAS="[$d/tls/ca.crt]" \
  ORDERER_METRICS_PROVIDER=prometheus \
  ORDERER_FILELEDGER_LOCATION="$NETDIR/data/$n/ledger" \
  ORDERER_CONSENSUS_WALDIR="$NETDIR/data/$n/etcdraft/wal" \
  ORDERER_CONSENSUS_SNAPDIR="$NETDIR/data/$n/etcdraft/snapshot" \
  start_proc "$n" "$BIN/orderer"
}

start_peer() {
  local org=$1 name="peer0-$1" d
  if alive "$name"; then return; fi
  d=$(peer_dir "$org")
  mkdir -p "$NETDIR/data/$name" "$NETDIR/ccaas/$org"
  local addr="127.0.0.1:${PEER_PORT[$org]}"
  FABRIC_CFG_PATH="$NETDIR/config" \
  CORE_PEER_ID="$(peer_host "$org")" \
  CORE_PEER_ADDRESS="$addr" \
  CORE_PEER_LISTENADDRESS="$addr" \
  CORE_PEER_CHAINCODEADDRESS="127.0.0.1:${CC_LISTEN[$org]}" \
  CORE_PEER_CHAINCODELISTENADDRESS="127.0.0.1:${CC_LISTEN[$org]}" \
  CORE_PEER_LOCALMSPID="${MSP[$org]}" \
  CORE_PEER_MSPCONFIGPATH="$d/msp" \
  CORE_PEER_TLS_ENABLED=true \
  CORE_PEER_TLS_CERT_FILE="$d/tls/server.crt" \
  CORE_PEER_TLS_KEY_FILE="$d/tls/server.key" \
  CORE_PEER_TLS_ROOTCERT_FILE="$d/tls/ca.crt" \
  CORE_PEER_GOSSIP_EXTERNALENDPOINT="$addr" \
  CORE_PEER_GOSSIP_BOOTSTRAP="$addr" \
  CORE_PEER_GOSSIP_USELEADERELECTION=false \
  CORE_PEER_GOSSIP_ORGLEADER=true \
  CORE_PEER_GOSSIP_RECONNECTINTERVAL=2s \
  CORE_PEER_GOSSIP_PUBLISHSTATEINFOINTERVAL=1s \
  CORE_PEER_GOSSIP_REQUESTSTATEINFOINTERVAL=1s \
  CORE_PEER_GATEWAY_ENABLED=true \
  CORE_PEER_LIMITS_CONCURRENCY_GATEWAYSERVICE="${HL_GATEWAY_CONCURRENCY:-500}" \
  CORE_PEER_FILESYSTEMPATH="$NETDIR/data/$name" \
  CORE_LEDGER_SNAPSHOTS_ROOTDIR="$NETDIR/data/$name/snapshots" \
  CORE_LEDGER_STATE_STATEDATABASE=goleveldb \
  CORE_OPERATIONS_LISTENADDRESS="127.0.0.1:${PEER_OPS[$org]}" \
  CORE_OPERATIONS_TLS_ENABLED=true \
  CORE_OPERATIONS_TLS_CERT_FILE="$d/tls/server.crt" \
  CORE_OPERATIONS_TLS_KEY_FILE="$d/tls/server.key" \
  CORE_OPERATIONS_TLS_CLIENTROOTCAS_FILES="$d/tls/ca.crt" \
  CORE_METRICS_PROVIDER=prometheus \
  CORE_CHAINCODE_EXTERNALBUILDERS="[{name: ccaas, path: $ROOT/network/builders/ccaas, propagateEnvironment: [HL_CCAAS_DIR]}]" \
  HL_CCAAS_DIR="$NETDIR/ccaas/$org" \
  start_proc "$name" "$BIN/peer" node start
}

# is_leader I: orderer I reports itself Raft leader of the channel in its metrics. Metrics need a
# client certificate when the operations endpoint uses TLS: the orderer org admin's TLS one.
is_leader() {
  local t m; t=$(orderer_admin_tls)
  # Read it all first: grep -q closing the pipe early would fail the pipeline under pipefail.
  m=$(curl -fsS --max-time 2 --cacert "$(orderer_tlsca)" --cert "$t/client.crt" --key "$t/client.key" \
    "https://127.0.0.1:${O_OPS[$1]}/metrics" 2>/dev/null) || return 1
  grep -q "^consensus_etcdraft_is_leader{channel=\"$CHANNEL\"} 1" <<<"$m"
}
# raft_leaders: how many orderers report themselves Raft leader of the channel.
raft_leaders() {
  local i count=0
  for i in "${!O_NAMES[@]}"; do is_leader "$i" && count=$((count + 1)); done
  echo "$count"
}
raft_leader_name() {
  local i
  for i in "${!O_NAMES[@]}"; do is_leader "$i" && { echo "${O_NAMES[$i]}"; return; }; done
  echo none
}
has_one_leader() { [ "$(raft_leaders)" = 1 ]; }

orderer_joined() {
  local i=$1 t out; t=$(orderer_admin_tls)
  out=$("$BIN/osnadmin" channel list --channelID "$CHANNEL" -o "127.0.0.1:${O_ADMIN[$i]}" \
    --ca-file "$(orderer_tlsca)" --client-cert "$t/client.crt" --client-key "$t/client.key" 2>/dev/null) || return 1
  grep -q '"status": "active"' <<<"$out"
}

join_orderers() {
  local i t; t=$(orderer_admin_tls)
  for i in "${!O_NAMES[@]}"; do
    if orderer_joined "$i"; then continue; fi
    "$BIN/osnadmin" channel join --channelID "$CHANNEL" --config-block "$NETDIR/channel/$CHANNEL.block" \
      -o "127.0.0.1:${O_ADMIN[$i]}" --ca-file "$(orderer_tlsca)" --client-cert "$t/client.crt" \
      --client-key "$t/client.key" >>"$(log_file osnadmin)" 2>&1 ||
      die "osnadmin could not join ${O_NAMES[$i]} to $CHANNEL; read $(log_file osnadmin) and $(log_file "${O_NAMES[$i]}")"
  done
  wait_for "a Raft leader for $CHANNEL" 60 "$(log_file "${O_NAMES[0]}")" has_one_leader
  log "orderers: ${#O_NAMES[@]} joined $CHANNEL, Raft leader $(raft_leader_name)"
}

peer_joined() {
  local out
  out=$(peer_env "$1"; "$BIN/peer" channel list 2>/dev/null) || return 1
  grep -qx "$CHANNEL" <<<"$out"
}

join_peers() {
  local org
  for org in "${ORGS[@]}"; do
    peer_joined "$org" && continue
    (peer_env "$org"; "$BIN/peer" channel join -b "$NETDIR/channel/$CHANNEL.block" >>"$(log_file peer-cli)" 2>&1) ||
      die "peer0 of $org could not join $CHANNEL; read $(log_file peer-cli) and $(log_file "peer0-$org")"
  done
  log "peers: ${#ORGS[@]} joined $CHANNEL"
}
