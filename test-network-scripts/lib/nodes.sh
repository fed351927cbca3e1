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
  (umask 077 && mkdir -p "$home")
  local args=(--home "$home" --address 127.0.0.1 --port "$port" --ca.name "ca-$org"
    --registry.maxenrollments 1
    --ca.certfile "$(ls "$d"/ca/*-cert.pem)" --ca.keyfile "$d/ca/priv_sk"
    --tls.enabled --tls.certfile "$tls/server.crt" --tls.keyfile "$tls/server.key")
  # One enrolment per identity (registry.maxenrollments 1): an identity's secret gives one certificate;
  # after that only its current certificate renews it (reenroll). The CA also applies it to identities
  # registered with more, or with no limit, on a network made before.
  # The CA runs with umask 077: what it writes under $home (its config, which holds the bootstrap
  # secret, its database) is mode 0600. The bootstrap secret is needed once, to create the config: by
  # 'init', whose output (it prints the secret) goes nowhere but a masked error; never on a command
  # line (every local user can read those in /proc), and never to the CA's log ('start' prints its
  # settings, the bootstrap one included, and filters only lines that look like a password).
  # The CA signs with the org's own CA key pair, so the org's MSP trusts every certificate it issues.
  if [ ! -f "$home/fabric-ca-server-config.yaml" ]; then
    [ -n "${HL_CA_ADMIN_SECRET:-}" ] || die "no CA bootstrap secret (HL_CA_ADMIN_SECRET) in $(settings_file)"
    local out
    if ! out=$(umask 077 && FABRIC_CA_SERVER_BOOT="admin:$HL_CA_ADMIN_SECRET" "$BIN/fabric-ca-server" init "${args[@]}" 2>&1); then
      printf '%s\n' "${out//$HL_CA_ADMIN_SECRET/<secret>}" >>"$(log_file "$name")"
      die "fabric-ca-server init for $name failed; read $(log_file "$name")"
    fi
  fi
  chmod 600 "$home/fabric-ca-server-config.yaml"
  (
    umask 077
    FABRIC_CA_SERVER_OPERATIONS_LISTENADDRESS="127.0.0.1:$(ca_ops_port "$port")" \
    FABRIC_CA_SERVER_OPERATIONS_TLS_ENABLED=true \
    FABRIC_CA_SERVER_OPERATIONS_TLS_CERT_FILE="$tls/server.crt" \
    FABRIC_CA_SERVER_OPERATIONS_TLS_KEY_FILE="$tls/server.key" \
    start_proc "$name" "$BIN/fabric-ca-server" start "${args[@]}"
  )
}

start_orderer() {
  local i=$1 n=${O_NAMES[$1]} d
  if alive "$n"; then return; fi
  d=$(orderer_dir "$n")
  mkdir -p "$NETDIR/data/$n"
  FABRIC_CFG_PATH="$NETDIR/config" \
  FABRIC_LOGGING_SPEC="$(orderer_log_spec)" \
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

# The gateway's timeouts (see docs/operators.md, "When a node dies"): Fabric's sample has 30s, 30s
# and 2m. The gateway tries the channel's orderers one after the other, each for at most the broadcast
# timeout, so one that accepts a transaction and never answers costs 3s before the next is tried:
# within the SDK's 5s submit timeout. An endorsing peer that does not answer within 10s is dropped
# for another that satisfies the policy, within the SDK's 15s endorse timeout.
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
  CORE_PEER_GATEWAY_BROADCASTTIMEOUT="${HL_GATEWAY_BROADCAST_TIMEOUT:-3s}" \
  CORE_PEER_GATEWAY_ENDORSEMENTTIMEOUT="${HL_GATEWAY_ENDORSEMENT_TIMEOUT:-10s}" \
  CORE_PEER_GATEWAY_DIALTIMEOUT="${HL_GATEWAY_DIAL_TIMEOUT:-10s}" \
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
  FABRIC_LOGGING_SPEC="$(peer_log_spec)" \
  CORE_CHAINCODE_EXTERNALBUILDERS="[{name: ccaas, path: $ROOT/network/builders/ccaas, propagateEnvironment: [HL_CCAAS_DIR]}]" \
  HL_CCAAS_DIR="$NETDIR/ccaas/$org" \
  start_proc "$name" "$BIN/peer" node start
}

# --- every node's own view of the channel ------------------------------------------------------------
# The orderers' and peers' operations endpoints need a client certificate for /metrics (TLS): the
# orderer org admin's, or the peer org admin's, TLS one.

org_admin_tls() { echo "$NETDIR/crypto/peerOrganizations/$(org_domain "$1")/users/Admin@$(org_domain "$1")/tls"; }

# metrics_of URL CAFILE TLSDIR: the Prometheus text of an operations endpoint.
metrics_of() {
  curl -fsS --max-time 3 --cacert "$2" --cert "$3/client.crt" --key "$3/client.key" "$1/metrics" 2>/dev/null
}
orderer_metrics() { metrics_of "https://127.0.0.1:${O_OPS[$1]}" "$(orderer_tlsca)" "$(orderer_admin_tls)"; }
peer_metrics() { metrics_of "https://127.0.0.1:${PEER_OPS[$1]}" "$(org_tlsca "$1")" "$(org_admin_tls "$1")"; }

# metrics TEXT NAME...: the values of the NAMEs for our channel in TEXT, as whole numbers, on one
# line in the order asked (0 for an absent one; "-" when none is present).
metrics() {
  local text=$1; shift
  awk -v c="channel=\"$CHANNEL\"" -v names="$*" '
    BEGIN { n = split(names, want, " ") }
    index($1, c) { for (i = 1; i <= n; i++) if (index($1, want[i] "{") == 1) { v[i] = $2 + 0; found = 1 } }
    END { if (!found) { print "-"; exit } for (i = 1; i <= n; i++) printf "%d%s", v[i], (i < n ? " " : "\n") }' <<<"$text"
}

# osn_channel I: "STATUS RELATION HEIGHT" of the channel on orderer I as its admin endpoint reports
# it ("absent - 0" when it has not joined); fails when the endpoint does not answer within 5s.
osn_channel() {
  local t out; t=$(orderer_admin_tls)
  out=$(timeout 5 "$BIN/osnadmin" channel list --channelID "$CHANNEL" -o "127.0.0.1:${O_ADMIN[$1]}" \
    --ca-file "$(orderer_tlsca)" --client-cert "$t/client.crt" --client-key "$t/client.key" 2>/dev/null) || return 1
  local re_st='"status": *"([a-z-]+)"' re_rel='"consensusRelation": *"([a-z-]+)"' re_h='"height": *([0-9]+)'
  case "$out" in
    "Status: 200"*)
      [[ "$out" =~ $re_st ]] || return 1; local st=${BASH_REMATCH[1]}
      [[ "$out" =~ $re_rel ]] || return 1; local rel=${BASH_REMATCH[1]}
      [[ "$out" =~ $re_h ]] || return 1
      echo "$st $rel ${BASH_REMATCH[1]}" ;;
    "Status: 404"*) echo "absent - 0" ;;
    *) return 1 ;;
  esac
}

orderer_joined() { local v; v=$(osn_channel "$1") && [ "${v%% *}" != absent ]; }

# height_margin: how many blocks a node may be behind the highest and still count as caught up
# (blocks in flight while it is read: a few at 10 blocks/s).
height_margin() {
  local m=${HL_HEIGHT_MARGIN:-5}
  [[ "$m" =~ ^[0-9]+$ ]] || die "HL_HEIGHT_MARGIN must be a whole number, not '$m'"
  echo "$m"
}

# assess: reads every orderer's and peer's own view of the channel and judges each. Sets
#   VERDICT[name]   stopped | running, unhealthy (...) | running, out of consensus (...) |
#                   running, behind (height H of M) | running, not joined to CHANNEL | healthy (...)
#   HEIGHT[name]    the node's channel height, when it answered
#   LEADERS         the orderers that report themselves Raft leader
#   TOP             the highest orderer height (the peers' reference; the highest peer height when no
#                   orderer answered)
# An orderer is in consensus when its admin endpoint says active and consenter, and its metrics say
# it leads, or follows a leader that counts at least a quorum of active nodes (a follower learns that
# count only from the leader it applied; one that knows no leader reads 0, one cut off reads 1).
assess() {
  declare -gA VERDICT=() HEIGHT=()
  LEADERS=(); TOP=0
  local i n org kind rest st rel h isl act cl margin tmp
  margin=$(height_margin)
  # Ask every node at once (each answer takes a few process starts; on a busy machine that adds up).
  # Wait for these only: the nodes this shell started are its children too.
  tmp=$(mktemp -d)
  local pids=()
  for i in "${!O_NAMES[@]}"; do probe_orderer "$i" >"$tmp/${O_NAMES[$i]}" 2>/dev/null & pids+=($!); done
  for org in "${ORGS[@]}"; do probe_peer "$org" >"$tmp/peer0-$org" 2>/dev/null & pids+=($!); done
  wait "${pids[@]}" || true
  declare -A info=() ph=()
  for n in "${O_NAMES[@]}" "${ORGS[@]/#/peer0-}"; do
    read -r kind rest <"$tmp/$n" || kind=V rest="running, unhealthy (no answer)"
    case "$kind" in
      V) VERDICT[$n]=$rest ;;
      I) info[$n]=$rest; read -r st rel h isl act cl <<<"$rest"
         HEIGHT[$n]=$h; [ "$h" -gt "$TOP" ] && TOP=$h
         [ "$isl" = 1 ] && LEADERS+=("$n") ;;
      H) ph[$n]=$rest; HEIGHT[$n]=$rest ;;
    esac
  done
  rm -rf "$tmp"
  for n in "${!info[@]}"; do VERDICT[$n]=$(orderer_verdict "${info[$n]}" "$TOP" "$margin"); done
  local ref=$TOP ptop=0
  for n in "${!ph[@]}"; do [ "${ph[$n]}" -gt "$ptop" ] && ptop=${ph[$n]}; done
  [ "$ref" -gt 0 ] || ref=$ptop
  for n in "${!ph[@]}"; do VERDICT[$n]=$(peer_verdict "${ph[$n]}" "$ref" "$margin"); done
  return 0
}

# orderer_verdict "STATUS RELATION HEIGHT IS_LEADER ACTIVE_NODES CLUSTER_SIZE" TOP MARGIN: how a
# running orderer that answered stands, given the highest orderer height TOP.
orderer_verdict() {
  local st rel h isl act cl top=$2 margin=$3 q role
  read -r st rel h isl act cl <<<"$1"
  q=$(( cl / 2 + 1 ))
  if [ "$isl" = 1 ]; then role="Raft leader"; else role=follower; fi
  if [ "$st" != active ]; then
    echo "running, out of consensus (channel $st, $rel; height $h of $top)"
  elif [ "$rel" != consenter ]; then
    echo "running, out of consensus ($rel, not a consenter; height $h of $top)"
  elif [ "$cl" = 0 ]; then
    echo "running, out of consensus (its Raft chain reports no cluster: not started?; height $h of $top)"
  elif [ "$isl" != 1 ] && [ "$act" = 0 ]; then
    echo "running, out of consensus (knows no Raft leader; height $h of $top)"
  elif [ "$act" -lt "$q" ]; then
    echo "running, out of consensus ($role that sees $act of $cl nodes active, fewer than a quorum of $q; height $h of $top)"
  elif [ $(( h + margin )) -lt "$top" ]; then
    echo "running, behind (height $h of $top)"
  else
    echo "healthy (height $h, $role, $act of $cl active)"
  fi
}

# peer_verdict HEIGHT REF MARGIN: how a running peer at HEIGHT stands, given the reference height.
peer_verdict() {
  if [ $(( $1 + $3 )) -lt "$2" ]; then echo "running, behind (height $1 of $2)"; else echo "healthy (height $1)"; fi
}

# probe_orderer I: one line, "V VERDICT" when orderer I is stopped or does not answer, or
# "I STATUS RELATION HEIGHT IS_LEADER ACTIVE_NODES CLUSTER_SIZE" from its admin endpoint and metrics.
probe_orderer() {
  local i=$1 n=${O_NAMES[$1]} v m
  if ! alive "$n"; then echo "V stopped"; return; fi
  if ! healthy "https://127.0.0.1:${O_OPS[$i]}" "$(orderer_tlsca)"; then
    echo "V running, unhealthy (operations /healthz on 127.0.0.1:${O_OPS[$i]} does not answer 200)"; return
  fi
  if ! v=$(osn_channel "$i"); then
    echo "V running, out of consensus (its admin endpoint 127.0.0.1:${O_ADMIN[$i]} did not answer within 5s)"; return
  fi
  if [ "${v%% *}" = absent ]; then echo "V running, not joined to $CHANNEL"; return; fi
  if ! m=$(orderer_metrics "$i"); then
    echo "V running, unhealthy (its metrics on 127.0.0.1:${O_OPS[$i]} do not answer)"; return
  fi
  m=$(metrics "$m" consensus_etcdraft_is_leader consensus_etcdraft_active_nodes consensus_etcdraft_cluster_size)
  [ "$m" != - ] || m="0 0 0"
  echo "I $v $m"
}

# probe_peer ORG: one line, "V VERDICT" or "H HEIGHT" (the peer's channel height, from its metrics).
probe_peer() {
  local org=$1 n="peer0-$1" m h
  if ! alive "$n"; then echo "V stopped"; return; fi
  if ! healthy "https://127.0.0.1:${PEER_OPS[$org]}" "$(org_tlsca "$org")"; then
    echo "V running, unhealthy (operations /healthz on 127.0.0.1:${PEER_OPS[$org]} does not answer 200)"; return
  fi
  if ! m=$(peer_metrics "$org"); then
    echo "V running, unhealthy (its metrics on 127.0.0.1:${PEER_OPS[$org]} do not answer)"; return
  fi
  h=$(metrics "$m" ledger_blockchain_height)
  if [ "$h" = - ]; then echo "V running, not joined to $CHANNEL"; else echo "H $h"; fi
}

# leader_line: the Raft leader as the orderers report it.
leader_line() {
  case "${#LEADERS[@]}" in
    0) echo none ;;
    1) echo "${LEADERS[0]}" ;;
    *) echo "${LEADERS[*]} (more than one reports itself leader)" ;;
  esac
}

# consensus_problems NAME...: one line per NAME that assess did not find healthy, with its log.
consensus_problems() {
  local n
  for n in "$@"; do
    case "${VERDICT[$n]:-unknown}" in healthy*) continue ;; esac
    echo "  $n: ${VERDICT[$n]:-not assessed}; read $(log_file "$n")"
  done
  [ "${#LEADERS[@]}" = 1 ] || echo "  Raft leader: $(leader_line); read the orderers' logs in $NETDIR/logs"
}

# consensus_nodes: the orderers and peers of the layout, one a line.
consensus_nodes() {
  local org
  printf '%s\n' "${O_NAMES[@]}"
  for org in "${ORGS[@]}"; do echo "peer0-$org"; done
}

# wait_consensus WHAT TIMEOUT NAME...: waits until every NAME is healthy in assess's sense (in
# consensus, caught up to within the height margin) and exactly one orderer leads. Fails at once when
# a NAME's process ends, and at the time-out with every NAME's state and log.
wait_consensus() {
  local what=$1 timeout=$2; shift 2
  local t0; t0=$(date +%s)
  local deadline=$(( t0 + timeout )) n ok
  declare -A said=()
  while :; do
    assess
    ok=1
    for n in "$@"; do
      # After a few seconds, say what each node waited for is doing, when that changes.
      if [ $(( $(date +%s) - t0 )) -ge 5 ] && [ "${said[$n]:-}" != "${VERDICT[$n]}" ]; then
        case "${VERDICT[$n]}" in healthy*) ;; *) log "  $n: ${VERDICT[$n]}" ;; esac
        said[$n]=${VERDICT[$n]}
      fi
      case "${VERDICT[$n]}" in
        healthy*) ;;
        stopped)
          die "$n is not running (waiting for $what); read $(log_file "$n"); its last lines:
$(log_since_start "$n" | sed 's/^/    /')" ;;
        *) ok=0 ;;
      esac
    done
    [ "${#LEADERS[@]}" = 1 ] || ok=0
    [ "$ok" = 1 ] && return 0
    if [ "$(date +%s)" -ge "$deadline" ]; then
      die "timed out after ${timeout}s waiting for $what:
$(consensus_problems "$@")"
    fi
    sleep 1
  done
}

# join_orderers [TIMEOUT]: joins every orderer that has not joined the channel, then waits (TIMEOUT
# seconds, default 60) until all are in consensus.
join_orderers() {
  local i t v try wait_s=${1:-${HL_CONSENSUS_TIMEOUT:-60}}; t=$(orderer_admin_tls)
  for i in "${!O_NAMES[@]}"; do
    for try in 1 2 3; do
      v=$(osn_channel "$i") && break
      [ "$try" = 3 ] && die "the admin endpoint of ${O_NAMES[$i]} (127.0.0.1:${O_ADMIN[$i]}) did not answer within 5s, 3 times; read $(log_file "${O_NAMES[$i]}")"
      sleep 1
    done
    [ "${v%% *}" = absent ] || continue
    timeout 30 "$BIN/osnadmin" channel join --channelID "$CHANNEL" --config-block "$NETDIR/channel/$CHANNEL.block" \
      -o "127.0.0.1:${O_ADMIN[$i]}" --ca-file "$(orderer_tlsca)" --client-cert "$t/client.crt" \
      --client-key "$t/client.key" >>"$(log_file osnadmin)" 2>&1 ||
      die "osnadmin could not join ${O_NAMES[$i]} to $CHANNEL; read $(log_file osnadmin) and $(log_file "${O_NAMES[$i]}")"
  done
  wait_consensus "every orderer in the Raft cluster of $CHANNEL, one leader, heights within $(height_margin) blocks" \
    "$wait_s" "${O_NAMES[@]}"
  log "orderers: ${#O_NAMES[@]} in consensus on $CHANNEL at height $TOP, Raft leader $(leader_line)"
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

# --- logs: levels and a size cap ------------------------------------------------------------------
# At INFO a peer writes 3-5 lines per transaction (every gRPC call, every endorsement, every gateway
# submit) and an orderer 2-3 (a forward to the leader, and a WARN for each broadcast stream that the
# gateway closes once answered): about 50 kB per second at 150 tx/s. These defaults keep those
# loggers at WARNING (ERROR for the closed streams), and INFO for the rest: the per-block lines, Raft
# elections, snapshots, chaincode life cycle. HL_PEER_LOG_SPEC and HL_ORDERER_LOG_SPEC (Fabric's
# logging spec syntax) replace them at the node's next start; docs/operators.md, "Logs".
peer_log_spec() {
  echo "${HL_PEER_LOG_SPEC:-info:comm.grpc.server=warning:gateway=warning:endorser=warning}"
}
orderer_log_spec() {
  echo "${HL_ORDERER_LOG_SPEC:-info:comm.grpc.server=warning:orderer.common.broadcast=error:orderer.consensus.etcdraft=info}"
}

# check_log_settings: refuses a log cap that is not a whole number, before anything starts.
check_log_settings() {
  [[ ${HL_LOG_MAX_MB:-64} =~ ^[1-9][0-9]*$ ]] || die "HL_LOG_MAX_MB must be a positive whole number of MiB, not '${HL_LOG_MAX_MB}'"
  [[ ${HL_LOG_KEEP:-3} =~ ^[0-9]+$ ]] && [ "${HL_LOG_KEEP:-3}" -le 100 ] || die "HL_LOG_KEEP must be 0 to 100, not '${HL_LOG_KEEP}'"
  [[ ${HL_LOG_CHECK_SECONDS:-10} =~ ^[1-9][0-9]*$ ]] || die "HL_LOG_CHECK_SECONDS must be a positive whole number, not '${HL_LOG_CHECK_SECONDS}'"
}

# start_logkeeper: the process that keeps every log of the network under HL_LOG_MAX_MB MiB (default
# 64), with HL_LOG_KEEP older copies (3), checked every HL_LOG_CHECK_SECONDS (10): lib/logkeeper.sh.
start_logkeeper() {
  alive logkeeper && return 0
  check_log_settings
  start_proc logkeeper bash "$HERE/lib/logkeeper.sh" "$NETDIR/logs" $((${HL_LOG_MAX_MB:-64} * 1024 * 1024)) \
    "${HL_LOG_KEEP:-3}" "${HL_LOG_CHECK_SECONDS:-10}"
}

# --- one node by name: the names of $NETDIR/pids/NAME.pid and of status ------------------------------

# cc_server_names: the chaincode servers deploy started here (their package id is kept after a stop).
cc_server_names() {
  local f
  for f in "$NETDIR"/pids/cc-*.pid "$NETDIR"/pids/cc-*.pid.pkg; do
    [ -e "$f" ] || continue
    f=$(basename "$f"); echo "${f%%.pid*}"
  done | sort -u
}

# node_names: every node of the network: orderers, peers, CAs, then the chaincode servers.
node_names() {
  local org
  printf '%s\n' "${O_NAMES[@]}"
  for org in "${ORGS[@]}"; do echo "peer0-$org"; done
  echo "ca-$ORDERER_ORG"
  for org in "${ORGS[@]}"; do echo "ca-$org"; done
  cc_server_names
}

# node_kind NAME: sets NODE_KIND (orderer, peer, ca or cc) and NODE_ARG (the orderer's index, the
# org, or "CHAINCODE ORG"); fails for a name that is not one of node_names.
node_kind() {
  local n=$1 i org
  for i in "${!O_NAMES[@]}"; do
    [ "${O_NAMES[$i]}" = "$n" ] && { NODE_KIND=orderer; NODE_ARG=$i; return 0; }
  done
  for org in "${ORGS[@]}"; do
    [ "peer0-$org" = "$n" ] && { NODE_KIND=peer; NODE_ARG=$org; return 0; }
    [ "ca-$org" = "$n" ] && { NODE_KIND=ca; NODE_ARG=$org; return 0; }
  done
  [ "ca-$ORDERER_ORG" = "$n" ] && { NODE_KIND=ca; NODE_ARG=$ORDERER_ORG; return 0; }
  if [[ "$n" == cc-* ]] && cc_server_names | grep -qxF -- "$n"; then
    local rest=${n#cc-}
    NODE_KIND=cc; NODE_ARG="${rest%-*} ${rest##*-}"; return 0
  fi
  return 1
}

# node_ports NAME: the ports NAME listens on (after node_kind), one a line.
node_ports() {
  case "$NODE_KIND" in
    orderer) echo "${O_PORT[$NODE_ARG]}"; echo "${O_ADMIN[$NODE_ARG]}"; echo "${O_OPS[$NODE_ARG]}" ;;
    peer) echo "${PEER_PORT[$NODE_ARG]}"; echo "${CC_LISTEN[$NODE_ARG]}"; echo "${PEER_OPS[$NODE_ARG]}" ;;
    ca) ca_port_of "$NODE_ARG"; ca_ops_port "$(ca_port_of "$NODE_ARG")" ;;
    cc) cc_server_port "$1" ;; # known on our own network only; start_cc checks it again
  esac
}

# check_node_ports NAME: NAME is not running, so its ports must be free; fails naming the busy one.
check_node_ports() {
  local p
  node_kind "$1" || die "unknown node '$1'"
  while read -r p; do
    [ -n "$p" ] || continue
    port_in_use "$p" && die "$1 cannot start: its port 127.0.0.1:$p is in use by a process this network did not record (see: ss -ltnp 'sport = :$p')"
  done < <(node_ports "$1")
  return 0
}

# start_node NAME: starts NAME (node_kind already set) unless it runs.
start_node() {
  case "$NODE_KIND" in
    orderer) start_orderer "$NODE_ARG" ;;
    peer) start_peer "$NODE_ARG" ;;
    ca) start_ca "$NODE_ARG" ;;
    cc) local cc org; read -r cc org <<<"$NODE_ARG"; start_cc_recorded "$cc" "$org" ;;
  esac
}

# wait_node_healthy NAME: waits until NAME's operations endpoint answers /healthz (a chaincode
# server: until it listens, which start_cc waits for).
wait_node_healthy() {
  local t=${HL_START_TIMEOUT:-30}
  case "$NODE_KIND" in
    orderer) wait_node "$1" "$1's /healthz on 127.0.0.1:${O_OPS[$NODE_ARG]}" "$t" healthy "https://127.0.0.1:${O_OPS[$NODE_ARG]}" "$(orderer_tlsca)" ;;
    peer) wait_node "$1" "$1's /healthz on 127.0.0.1:${PEER_OPS[$NODE_ARG]}" "$t" healthy "https://127.0.0.1:${PEER_OPS[$NODE_ARG]}" "$(org_tlsca "$NODE_ARG")" ;;
    ca) local p; p=$(ca_ops_port "$(ca_port_of "$NODE_ARG")")
        wait_node "$1" "$1's /healthz on 127.0.0.1:$p" "$t" healthy "https://127.0.0.1:$p" "$(ca_tls_cert "$NODE_ARG")" ;;
    cc) ;;
  esac
}
