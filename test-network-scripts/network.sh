#!/usr/bin/env bash
# healthledger's native Fabric network: orderers, peers, Fabric CAs and chaincode servers as plain
# processes on 127.0.0.1, all state under one git-ignored folder.
#
#   network.sh up [--layout NAME] [--no-deploy] [--with-baseline]
#                                   bring everything up and deploy every chaincode (idempotent); on a
#                                   partly running network, start only what is stopped. The baseline
#                                   benchmark chaincode only with --with-baseline (or HL_WITH_BASELINE=1,
#                                   or HL_CHAINCODES naming it): benchmark networks only
#   network.sh down [--purge]       stop every process up started, by PID; --purge also removes the state
#   network.sh deploy NAME|all [--target DIR]
#                                   (re)deploy a chaincode: a changed one gets the next sequence; with
#                                   --target, onto the network described by the profiles in DIR (never
#                                   baseline). Each chaincode's consortium map (which org holds which
#                                   role, GS1 prefixes) is written from the layout if absent, and only
#                                   reported if it differs
#   network.sh start NAME           start one stopped node (orderer1, peer0-pharma, ca-insurer,
#                                   cc-consent-hospital ...) and wait until it is healthy and caught up
#   network.sh stop NAME            stop one node
#   network.sh restart NAME         stop, then start one node
#   network.sh status               every node's state (in consensus? caught up?), the Raft leader,
#                                   the chaincodes, the certificates that expire soonest and a warning
#                                   for each due within HL_CERT_WARN_DAYS (30); exit 1 unless all
#                                   nodes are healthy
#   network.sh logs [NAME]          list the logs, or follow one (e.g. peer0-hospital, orderer1)
#   network.sh revoke NAME --reason REASON
#                                   revoke a wallet identity's certificate at its org's CA and put the
#                                   CA's CRL into the org's MSP definition on the channel (a config
#                                   update signed by the org's admin); returns once every org's peer
#                                   has the config block. REASON: keycompromise, superseded,
#                                   cessationofoperation, privilegewithdrawn, ... (RFC 5280's list)
#
# Environment: HL_NETWORK_DIR (state folder, default <repo>/.network). Stored with the network on its
# first up, and refused later with another value (see $HL_NETWORK_DIR/settings): HL_PORT_OFFSET (added
# to every port), HL_BATCH_TIMEOUT (default 100ms), HL_MAX_MESSAGE_COUNT (default 50),
# HL_SNAPSHOT_INTERVAL_SIZE, HL_CA_ADMIN_SECRET (default: 128 random bits). Read at each start:
# HL_GATEWAY_CONCURRENCY (default 500), HL_GATEWAY_BROADCAST_TIMEOUT (3s),
# HL_GATEWAY_ENDORSEMENT_TIMEOUT (10s), HL_HEIGHT_MARGIN (5 blocks), HL_CATCHUP_TIMEOUT (180 s),
# HL_PEER_LOG_SPEC and HL_ORDERER_LOG_SPEC (Fabric logging specs), HL_LOG_MAX_MB (64: each log's cap),
# HL_LOG_KEEP (3 older copies) and HL_LOG_CHECK_SECONDS (10), read by up's log keeper.
set -euo pipefail
# No tracing (bash -x, SHELLOPTS=xtrace): its lines would show the enrolment and CA secrets.
case $- in *x*) set +x; echo "network.sh: tracing turned off: it would print secrets" >&2 ;; esac
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
NETDIR=${HL_NETWORK_DIR:-$ROOT/.network}
BIN="$ROOT/network/fabric/bin"
HL_T0=$(date +%s)
# shellcheck source=lib/common.sh
source "$HERE/lib/common.sh"
# shellcheck source=lib/config.sh
source "$HERE/lib/config.sh"
# shellcheck source=lib/nodes.sh
source "$HERE/lib/nodes.sh"
# shellcheck source=lib/identities.sh
source "$HERE/lib/identities.sh"
# shellcheck source=lib/deploy.sh
source "$HERE/lib/deploy.sh"
# shellcheck source=lib/patients.sh
source "$HERE/lib/patients.sh"
# shellcheck source=lib/chconfig.sh
source "$HERE/lib/chconfig.sh"
# shellcheck source=lib/revoke.sh
source "$HERE/lib/revoke.sh"
# shellcheck source=lib/expiry.sh
source "$HERE/lib/expiry.sh"

O_NAMES=(); ORGS=()

usage() {
  # the comment block at the top of this file
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
}

network_running() { # true when every node of the layout is alive
  local i org
  for i in "${!O_NAMES[@]}"; do alive "${O_NAMES[$i]}" || return 1; done
  for org in "${ORGS[@]}"; do alive "peer0-$org" && alive "ca-$org" || return 1; done
  alive "ca-$ORDERER_ORG"
}

# running_nodes: the recorded processes that are alive, one a line.
running_nodes() {
  local n
  while read -r n; do [ -n "$n" ] && alive "$n" && echo "$n"; done < <(proc_names)
  return 0
}

# stopped_nodes: the layout's nodes and the recorded chaincode servers that are not alive.
stopped_nodes() {
  local n
  while read -r n; do alive "$n" || echo "$n"; done < <(node_names)
  return 0
}

cmd_up() {
  local layout="" deploy=1
  while [ $# -gt 0 ]; do
    case "$1" in
      --layout) [ $# -ge 2 ] || die "--layout needs a name"; layout=$2; shift 2 ;;
      --layout=*) layout=${1#--layout=}; shift ;;
      --no-deploy) deploy=0; shift ;;
      --with-baseline) export HL_WITH_BASELINE=1; shift ;;
      *) die "up: unknown argument '$1'" ;;
    esac
  done
  resolve_settings "$layout"
  load_layout "$NET_LAYOUT"
  check_log_settings
  local stopped
  stopped=$(stopped_nodes)
  if [ -z "$stopped" ] && [ -f "$NETDIR/profiles/network.json" ]; then
    log "the $LAYOUT network is already running in $NETDIR; checking that every node is in consensus"
    start_logkeeper
    wait_consensus "every orderer and peer in consensus" "${HL_CONSENSUS_TIMEOUT:-60}" $(consensus_nodes)
    cmd_status
    return
  fi
  need_tools go jq curl openssl tar gzip sha256sum setsid timeout
  local before
  before=$(running_nodes)
  local resume=0 n
  if [ -n "$before" ]; then
    # Some nodes stopped (a crash, or a test that stopped one): start only those, keep the rest.
    resume=1
    log "part of the $LAYOUT network is running ($(wc -l <<<"$before") processes); starting the stopped ones: $(tr '\n' ' ' <<<"$stopped")"
    # Their ports must be free; refuse before starting anything.
    for n in $stopped; do check_node_ports "$n"; done
  else
    local p busy=()
    while read -r p; do port_in_use "$p" && busy+=("$p"); done < <(all_ports)
    [ "${#busy[@]}" -eq 0 ] || die "ports already in use: ${busy[*]} (another network? set HL_PORT_OFFSET, or stop it)"
  fi

  mkdir -p "$NETDIR/logs" "$NETDIR/pids"
  store_settings
  # From here on, a failure stops what this run started when nothing was running before it; on a
  # partly running network (a resume) it stops nothing: it says what failed and what runs.
  UP_RESUME=$resume UP_BEFORE=$before
  export HL_STARTED_FILE="$NETDIR/.started-by-up"
  : >"$HL_STARTED_FILE"
  trap 'up_exit $?' EXIT

  "$ROOT/network/fabric/build.sh" | sed 's/^/       /'
  start_logkeeper
  gen_crypto
  gen_node_config
  gen_genesis

  local org i
  start_ca "$ORDERER_ORG"
  for org in "${ORGS[@]}"; do start_ca "$org"; done
  for i in "${!O_NAMES[@]}"; do start_orderer "$i"; done
  for org in "${ORGS[@]}"; do start_peer "$org"; done
  for n in "ca-$ORDERER_ORG" "${ORGS[@]/#/ca-}" "${O_NAMES[@]}" "${ORGS[@]/#/peer0-}"; do
    node_kind "$n"
    wait_node_healthy "$n"
  done
  log "nodes: $((${#ORGS[@]} + 1)) CAs, ${#O_NAMES[@]} orderers and ${#ORGS[@]} peers healthy"
  # Chaincode servers that ran before and stopped since (a crash, a power loss): the same package
  # again, as early as possible, so that the peers do not endorse without them while the rest catches up.
  for n in $(cc_server_names); do
    alive "$n" && continue
    node_kind "$n"
    start_node "$n"
  done

  # A restarted orderer can take a while to be reached again by the leader (tens of seconds after a
  # long outage: the leader's connection to it backs off), so a resume waits as long as a catch-up.
  if [ "$resume" = 1 ]; then join_orderers "${HL_CATCHUP_TIMEOUT:-180}"; else join_orderers; fi
  join_peers
  wait_consensus "every peer caught up with the orderers (within $(height_margin) blocks)" \
    "${HL_CATCHUP_TIMEOUT:-180}" "${ORGS[@]/#/peer0-}"
  log "peers: at height $TOP with the orderers"
  enroll_identities
  write_profiles
  if [ "$deploy" = 1 ]; then
    load_target "$NETDIR/profiles"
    local name kept=()
    for name in $(chaincode_names); do
      # Up restores what ran, after a partial stop or a power loss alike: a chaincode whose servers
      # ran keeps its package (they were started again above), even if its source changed since;
      # 'network.sh deploy' upgrades it.
      if cc_server_names | grep -q "^cc-$name-"; then kept+=("$name"); continue; fi
      deploy_cc "$name"
    done
    [ "${#kept[@]}" -eq 0 ] ||
      log "chaincodes: ${kept[*]} kept as deployed (a changed one is deployed by 'network.sh deploy NAME')"
    # A deploy cut short (a power loss) may have committed a chaincode before its consortium map.
    for name in "${kept[@]}"; do ensure_consortium "$name"; done
    # The layout's patients bind their ids to their keys (consent writes nothing for an unregistered
    # patient); one already registered is left as it is.
    if cc_server_names | grep -q '^cc-consent-'; then register_patients; fi
    if cc_server_names | grep -q '^cc-baseline-'; then
      wait_for "every org's gateway to commit a transaction endorsed by every org (gossip)" 90 "$(log_file probe)" probe
    else
      log "gossip probe skipped: it writes through the baseline chaincode, which only benchmark networks get (--with-baseline)"
    fi
  else
    log "chaincodes: not deployed (--no-deploy); deploy them with 'network.sh deploy all --target $NETDIR/profiles'"
  fi
  trap - EXIT
  rm -f "$HL_STARTED_FILE"
  log "network $LAYOUT is up: profiles in $NETDIR/profiles, wallet in $NETDIR/wallet"
}

# up_exit RC: the EXIT trap of up.
up_exit() {
  local rc=$1 started
  [ "$rc" -ne 0 ] || return 0
  started=$(sort -u "$HL_STARTED_FILE" 2>/dev/null | tr '\n' ' ')
  rm -f "$HL_STARTED_FILE"
  if [ "$UP_RESUME" = 1 ]; then
    {
      echo "network.sh: up failed on a partly running network; it stopped nothing."
      echo "  running before it started, and left running: $(tr '\n' ' ' <<<"$UP_BEFORE")"
      echo "  started by this run: ${started:-nothing}"
      echo "  see 'network.sh status'; 'network.sh restart NAME' or 'network.sh stop NAME' for one node"
    } >&2
  else
    echo "network.sh: up failed; stopping what it started (${started:-nothing})" >&2
    stop_all
    # Nothing was made with the settings yet: the next up may choose others.
    [ -f "$NETDIR/channel/$CHANNEL.block" ] || rm -f "$(settings_file)"
  fi
  exit "$rc"
}

# probe: the gossip readiness check. Each org's gateway must commit a baseline write endorsed by every
# org, and read it back.
probe() {
  local probe_bin="$NETDIR/bin/hlprobe"
  if [ ! -x "$probe_bin" ] || [ "$ROOT/cmd/hlprobe/main.go" -nt "$probe_bin" ]; then
    (cd "$ROOT" && go build -o "$probe_bin" ./cmd/hlprobe) >>"$(log_file probe)" 2>&1 || return 1
  fi
  "$probe_bin" -profiles "$NETDIR/profiles" >>"$(log_file probe)" 2>&1
}

stop_all() {
  local n
  # Chaincode servers first, then peers, orderers and CAs.
  for n in $(proc_names | grep '^cc-' || true); do stop_proc "$n"; done
  for n in $(proc_names | grep '^peer0-' || true); do stop_proc "$n"; done
  for n in $(proc_names | grep -v '^cc-\|^peer0-\|^ca-' || true); do stop_proc "$n"; done
  for n in $(proc_names); do stop_proc "$n"; done
}

cmd_down() {
  local purge=0
  while [ $# -gt 0 ]; do
    case "$1" in
      --purge) purge=1; shift ;;
      *) die "down: unknown argument '$1'" ;;
    esac
  done
  local count; count=$(proc_names | wc -l)
  stop_all
  log "stopped $count processes"
  if [ "$purge" = 1 ] && [ -d "$NETDIR" ]; then
    rm -rf "$NETDIR"
    log "removed $NETDIR"
  fi
}

# load_network: the network in NETDIR (its stored settings and layout), or a clear failure.
load_network() {
  has_network || die "no network in $NETDIR (run 'network.sh up' first, or set HL_NETWORK_DIR)"
  resolve_settings
  load_layout "$NET_LAYOUT"
}

# node_arg CMD ARGS...: the one node name CMD takes; a usage error otherwise.
node_arg() {
  local cmd=$1; shift
  [ $# -eq 1 ] || usage_die "$cmd needs one node name, e.g. 'network.sh $cmd peer0-hospital' (see 'network.sh status')"
  case "$1" in -*) usage_die "$cmd: unknown argument '$1'" ;; esac
}

# known_node NAME: sets NODE_KIND/NODE_ARG, or a usage error listing the known names.
known_node() {
  node_kind "$1" || usage_die "no node named '$1' in $NETDIR; known: $(node_names | paste -sd' ' -)"
}

cmd_stop() {
  node_arg stop "$@"
  if has_network; then
    load_network
    known_node "$1"
  elif [ ! -f "$(pid_file "$1")" ]; then
    usage_die "no process named '$1' in $NETDIR (known: $(proc_names | paste -sd' ' -))"
  fi
  if ! alive "$1"; then
    log "$1 is not running"
    rm -f "$(pid_file "$1")" "$(pid_file "$1").cmd"
    return 0
  fi
  stop_proc "$1"
  log "stopped $1; 'network.sh start $1' starts it again"
}

cmd_start() {
  node_arg start "$@"
  local n=$1
  if ! has_network && [ -f "$NETDIR/target" ] && [[ "$n" == cc-* ]]; then
    # chaincode servers deployed onto a network we did not start (deploy --target)
    cc_server_names | grep -qxF -- "$n" || usage_die "no chaincode server named '$n' in $NETDIR; known: $(cc_server_names | paste -sd' ' -)"
    local rest=${n#cc-}
    alive "$n" && { log "$n is already running (pid $(cat "$(pid_file "$n")"))"; return 0; }
    start_cc_recorded "${rest%-*}" "${rest##*-}"
    log "$n: listening"
    return 0
  fi
  load_network
  known_node "$n"
  if alive "$n"; then
    log "$n is already running (pid $(cat "$(pid_file "$n")"))"
    return 0
  fi
  [ -d "$NETDIR/crypto" ] && [ -f "$NETDIR/config/core.yaml" ] && [ -f "$NETDIR/channel/$CHANNEL.block" ] ||
    die "the network in $NETDIR was never brought up (no crypto, config or genesis block); run 'network.sh up'"
  [ -x "$BIN/peer" ] || die "no Fabric binaries in $BIN; run network/fabric/build.sh"
  need_tools jq curl openssl setsid timeout
  check_node_ports "$n"
  local t0; t0=$(date +%s)
  start_node "$n"
  wait_node_healthy "$n"
  local t1; t1=$(date +%s)
  case "$NODE_KIND" in
    orderer)
      log "$n: healthy after $((t1 - t0))s; waiting until it is back in the Raft cluster and caught up"
      wait_consensus "$n back in the Raft cluster of $CHANNEL with a leader, within $(height_margin) blocks of the highest orderer" \
        "${HL_CATCHUP_TIMEOUT:-180}" "$n"
      log "$n: back in the Raft cluster (height ${HEIGHT[$n]} of $TOP, leader $(leader_line)) $(( $(date +%s) - t0 ))s after start" ;;
    peer)
      log "$n: healthy after $((t1 - t0))s; waiting until it has caught up with the orderers"
      wait_consensus "$n caught up with the orderers (within $(height_margin) blocks)" "${HL_CATCHUP_TIMEOUT:-180}" "$n"
      log "$n: caught up (height ${HEIGHT[$n]} of $TOP) $(( $(date +%s) - t0 ))s after start" ;;
    ca) log "$n: healthy after $((t1 - t0))s" ;;
    cc) log "$n: listening after $((t1 - t0))s" ;;
  esac
}

cmd_restart() {
  node_arg restart "$@"
  if has_network; then
    load_network
    known_node "$1"
  fi
  if alive "$1"; then
    stop_proc "$1"
    log "stopped $1"
  fi
  cmd_start "$1"
}

cmd_deploy() {
  [ $# -ge 1 ] || die "deploy needs a chaincode name (known: $(chaincode_names | tr '\n' ' ') or all)"
  local what=$1 dir=""; shift
  while [ $# -gt 0 ]; do
    case "$1" in
      --target) [ $# -ge 2 ] || die "--target needs a profiles folder"; dir=$2; shift 2 ;;
      --target=*) dir=${1#--target=}; shift ;;
      *) die "deploy: unknown argument '$1'" ;;
    esac
  done
  if [ "$what" != all ]; then load_cc_conf "$what"; fi
  if [ -n "$dir" ] && is_bench_only "$what"; then
    die "deploy: $what is a benchmark chaincode (any client may write any key); it is never deployed onto a target"
  fi
  need_tools go jq openssl tar gzip sha256sum setsid
  if [ -z "$dir" ]; then
    resolve_settings
    load_layout "$NET_LAYOUT"
    network_running || die "the network in $NETDIR is not running (deploy before up?); run 'network.sh up' first"
    dir="$NETDIR/profiles"
  else
    [ -d "$dir" ] || die "--target $dir is not a folder"
    dir=$(cd "$dir" && pwd)
    # The chaincode servers of a target run from this folder's state; the peer CLI needs a core.yaml.
    mkdir -p "$NETDIR/logs" "$NETDIR/pids"
    [ -f "$NETDIR/config/core.yaml" ] || gen_node_config
    "$ROOT/network/fabric/build.sh" >/dev/null
  fi
  load_target "$dir"
  # 'start cc-NAME-ORG' finds the target again from here.
  if [ "$T_MODE" = target ]; then echo "$dir" >"$NETDIR/target"; fi
  local names name
  if [ "$what" = all ]; then names=$(chaincode_names); else names=$what; fi
  if [ "$T_MODE" = target ]; then names=$(for name in $names; do is_bench_only "$name" || echo "$name"; done); fi
  for name in $names; do deploy_cc "$name"; done
  if [ "$T_MODE" = own ] && grep -qx consent <<<"$names"; then register_patients; fi
  if [ "$T_MODE" = own ]; then
    # Keep network.json's list of deployed chaincodes true.
    local nj="$dir/network.json"
    jq --arg n "$names" '.chaincodes = ((.chaincodes // []) + ($n | split("\n") | map(select(length > 0))) | unique)' \
      "$nj" >"$nj.tmp" && mv "$nj.tmp" "$nj"
  fi
}

cmd_status() {
  [ $# -eq 0 ] || usage_die "status takes no argument"
  local warn_days
  warn_days=$(cert_warn_days) || exit 2
  has_network || { echo "no network in $NETDIR"; return 1; }
  resolve_settings
  load_layout "$NET_LAYOUT"
  local i org n total=0 good=0 st
  echo "network: layout $LAYOUT, channel $CHANNEL, port offset ${HL_PORT_OFFSET:-0}, state in $NETDIR"
  assess
  # row LABEL ADDRESS STATE: one line per node, counting the healthy ones.
  row() {
    total=$((total + 1))
    case "$3" in healthy*) good=$((good + 1)) ;; esac
    printf '  %-30s %-17s %s\n' "$1" "$2" "$3"
  }
  # ca_state ORG: stopped, healthy or running, unhealthy.
  ca_state() {
    alive "ca-$1" || { echo stopped; return; }
    if healthy "https://127.0.0.1:$(ca_ops_port "$(ca_port_of "$1")")" "$(ca_tls_cert "$1")"; then echo healthy
    else echo "running, unhealthy (operations /healthz does not answer 200)"; fi
  }
  for i in "${!O_NAMES[@]}"; do
    row "${O_NAMES[$i]}" "127.0.0.1:${O_PORT[$i]}" "${VERDICT[${O_NAMES[$i]}]}"
  done
  for org in "${ORGS[@]}"; do
    row "peer0-$org (${MSP[$org]})" "127.0.0.1:${PEER_PORT[$org]}" "${VERDICT[peer0-$org]}"
  done
  for org in "$ORDERER_ORG" "${ORGS[@]}"; do
    row "ca-$org" "127.0.0.1:$(ca_port_of "$org")" "$(ca_state "$org")"
  done
  local port
  for n in $(cc_server_names); do
    port=$(cc_server_port "$n")
    if ! alive "$n"; then st=stopped
    elif [ -z "$port" ] || port_in_use "$port"; then st=healthy
    else st="running, not listening on $port"; fi
    row "$n" "${port:+127.0.0.1:$port}" "$st"
  done
  if alive logkeeper; then
    echo "  logs: kept under ${HL_LOG_MAX_MB:-64} MiB each by the log keeper (pid $(cat "$(pid_file logkeeper)")); $(du -sh "$NETDIR/logs" 2>/dev/null | cut -f1) in $NETDIR/logs"
  else
    echo "  logs: the log keeper is not running ('up' starts it); $(du -sh "$NETDIR/logs" 2>/dev/null | cut -f1) in $NETDIR/logs"
  fi
  echo "  raft leader: $(leader_line)"
  echo "  highest orderer height of $CHANNEL: $TOP (a node more than $(height_margin) blocks below counts as behind)"
  cert_expiries | expiry_report "$(date +%s)" "$warn_days" 5
  local first=${ORGS[0]}
  if alive "peer0-$first"; then
    echo "  committed chaincodes:"
    (peer_env "$first"; timeout 10 "$BIN/peer" lifecycle chaincode querycommitted -C "$CHANNEL" -O json 2>/dev/null) |
      jq -r '.chaincode_definitions // [] | .[] | "    \(.name)  sequence \(.sequence)  version \(.version)"' || true
  fi
  if [ "$good" = "$total" ] && [ "${#LEADERS[@]}" = 1 ]; then
    echo "all $total nodes healthy"
  else
    echo "$good of $total nodes healthy$([ "${#LEADERS[@]}" = 1 ] || echo "; Raft leader: $(leader_line)")"
    return 1
  fi
}

cmd_logs() {
  if [ $# -eq 0 ]; then
    ls -1 "$NETDIR/logs" 2>/dev/null | sed 's/\.log$//' || echo "no logs in $NETDIR/logs"
    return
  fi
  local f; f=$(log_file "$1")
  [ -f "$f" ] || die "no log named '$1' (see 'network.sh logs')"
  if [ -t 1 ]; then tail -n 100 -f "$f"; else tail -n 200 "$f"; fi
}

main() {
  local cmd=${1:-}
  [ $# -gt 0 ] && shift
  case "$cmd" in
    up) cmd_up "$@" ;;
    down) cmd_down "$@" ;;
    deploy) cmd_deploy "$@" ;;
    start) cmd_start "$@" ;;
    stop) cmd_stop "$@" ;;
    restart) cmd_restart "$@" ;;
    status) cmd_status "$@" ;;
    logs) cmd_logs "$@" ;;
    revoke) cmd_revoke "$@" ;;
    -h|--help|help) usage ;;
    "") usage >&2; exit 2 ;;
    *) echo "network.sh: unknown command '$cmd'" >&2; usage >&2; exit 2 ;;
  esac
}
main "$@"
