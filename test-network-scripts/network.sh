#!/usr/bin/env bash
# healthledger's native Fabric network: orderers, peers, Fabric CAs and chaincode servers as plain
# processes on 127.0.0.1, all state under one git-ignored folder.
#
#   network.sh up [--layout NAME] [--no-deploy]
#                                   bring everything up and deploy every chaincode (idempotent)
#   network.sh down [--purge]       stop every process up started, by PID; --purge also removes the state
#   network.sh deploy NAME|all [--target DIR]
#                                   (re)deploy a chaincode: a changed one gets the next sequence; with
#                                   --target, onto the network described by the profiles in DIR
#   network.sh stop NAME            stop one process (e.g. peer0-pharma); 'up' starts it again
#   network.sh status               health of every node, Raft leader, channel height, chaincodes
#   network.sh logs [NAME]          list the logs, or follow one (e.g. peer0-hospital, orderer1)
#
# Environment: HL_NETWORK_DIR (state folder, default <repo>/.network), HL_PORT_OFFSET (added to every
# port), HL_BATCH_TIMEOUT (default 100ms), HL_MAX_MESSAGE_COUNT (default 50), HL_GATEWAY_CONCURRENCY
# (default 500), HL_CA_ADMIN_SECRET (default adminpw).
set -euo pipefail
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

usage() {
  sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

# the layout of the network in NETDIR, or of a new one
current_layout() { cat "$NETDIR/layout" 2>/dev/null || echo "${1:-default}"; }

network_running() { # true when every node of the layout is alive
  local i org
  for i in "${!O_NAMES[@]}"; do alive "${O_NAMES[$i]}" || return 1; done
  for org in "${ORGS[@]}"; do alive "peer0-$org" && alive "ca-$org" || return 1; done
  alive "ca-$ORDERER_ORG"
}

any_running() {
  local n
  while read -r n; do [ -n "$n" ] && alive "$n" && return 0; done < <(proc_names)
  return 1
}

cmd_up() {
  local layout=default deploy=1
  while [ $# -gt 0 ]; do
    case "$1" in
      --layout) [ $# -ge 2 ] || die "--layout needs a name"; layout=$2; shift 2 ;;
      --layout=*) layout=${1#--layout=}; shift ;;
      --no-deploy) deploy=0; shift ;;
      *) die "up: unknown argument '$1'" ;;
    esac
  done
  if [ -f "$NETDIR/layout" ] && [ "$(cat "$NETDIR/layout")" != "$layout" ]; then
    die "$NETDIR holds a '$(cat "$NETDIR/layout")' network; run 'network.sh down --purge' first, or set HL_NETWORK_DIR"
  fi
  load_layout "$layout"
  if network_running; then
    log "the $LAYOUT network is already running in $NETDIR"
    cmd_status
    return
  fi
  need_tools go jq curl openssl tar gzip sha256sum setsid
  local resume=0
  if any_running; then
    # Some nodes stopped (a crash, or a test that stopped one): start only those, keep the rest.
    resume=1
    log "part of the $LAYOUT network is running: starting the stopped nodes"
  else
    local p busy=()
    while read -r p; do port_in_use "$p" && busy+=("$p"); done < <(all_ports)
    [ "${#busy[@]}" -eq 0 ] || die "ports already in use: ${busy[*]} (another network? set HL_PORT_OFFSET, or stop it)"
  fi

  mkdir -p "$NETDIR/logs" "$NETDIR/pids"
  echo "$layout" >"$NETDIR/layout"
  # From here on, a failure stops whatever this run started (on a resume: the whole network, which
  # was not whole to begin with).
  trap 'rc=$?; if [ $rc -ne 0 ]; then echo "network.sh: up failed; stopping the network" >&2; stop_all; fi' EXIT
  : "$resume"

  "$ROOT/network/fabric/build.sh" | sed 's/^/       /'
  gen_crypto
  gen_node_config
  gen_genesis

  local org i
  start_ca "$ORDERER_ORG"
  for org in "${ORGS[@]}"; do start_ca "$org"; done
  for i in "${!O_NAMES[@]}"; do start_orderer "$i"; done
  for org in "${ORGS[@]}"; do start_peer "$org"; done
  for org in "$ORDERER_ORG" "${ORGS[@]}"; do
    wait_for "the CA of $org" 30 "$(log_file "ca-$org")" healthy "https://127.0.0.1:$(ca_ops_port "$(ca_port_of "$org")")" "$(ca_tls_cert "$org")"
  done
  for i in "${!O_NAMES[@]}"; do
    wait_for "${O_NAMES[$i]}" 30 "$(log_file "${O_NAMES[$i]}")" healthy "https://127.0.0.1:${O_OPS[$i]}" "$(orderer_tlsca)"
  done
  for org in "${ORGS[@]}"; do
    wait_for "peer0 of $org" 30 "$(log_file "peer0-$org")" healthy "https://127.0.0.1:${PEER_OPS[$org]}" "$(org_tlsca "$org")"
  done
  log "nodes: $((${#ORGS[@]} + 1)) CAs, ${#O_NAMES[@]} orderers and ${#ORGS[@]} peers healthy"

  join_orderers
  join_peers
  enroll_identities
  write_profiles
  if [ "$deploy" = 1 ]; then
    load_target "$NETDIR/profiles"
    local name
    for name in $(chaincode_names); do deploy_cc "$name"; done
    wait_for "every org's gateway to commit a transaction endorsed by every org (gossip)" 90 "$(log_file probe)" probe
  else
    log "chaincodes: not deployed (--no-deploy); deploy them with 'network.sh deploy all --target $NETDIR/profiles'"
  fi
  trap - EXIT
  log "network $LAYOUT is up: profiles in $NETDIR/profiles, wallet in $NETDIR/wallet"
}

# probe: the gossip readiness check. Each org's gateway must commit a baseline write endorsed by every
# org, and read it back.
probe() {
  local probe_bin="$NETDIR/bin/hlprobe"
  if [ ! -x "$probe_bin" ] || [ "$ROOT/network/probe/main.go" -nt "$probe_bin" ]; then
    (cd "$ROOT" && go build -o "$probe_bin" ./network/probe) >>"$(log_file probe)" 2>&1 || return 1
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

cmd_stop() {
  [ $# -eq 1 ] || die "stop needs one process name (see 'network.sh status'), e.g. peer0-hospital"
  [ -f "$(pid_file "$1")" ] || die "no process named '$1' in $NETDIR (known: $(proc_names | tr '\n' ' '))"
  stop_proc "$1"
  log "stopped $1; 'network.sh up' starts it again"
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
  need_tools go jq openssl tar gzip sha256sum setsid
  if [ -z "$dir" ]; then
    load_layout "$(current_layout)"
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
  local names name
  if [ "$what" = all ]; then names=$(chaincode_names); else names=$what; fi
  for name in $names; do deploy_cc "$name"; done
  if [ "$T_MODE" = own ]; then
    # Keep network.json's list of deployed chaincodes true.
    local nj="$dir/network.json"
    jq --arg n "$names" '.chaincodes = ((.chaincodes // []) + ($n | split("\n") | map(select(length > 0))) | unique)' \
      "$nj" >"$nj.tmp" && mv "$nj.tmp" "$nj"
  fi
}

cmd_status() {
  [ -f "$NETDIR/layout" ] || { echo "no network in $NETDIR"; return 1; }
  load_layout "$(current_layout)"
  local i org total=0 good=0
  echo "network: layout $LAYOUT, channel $CHANNEL, state in $NETDIR"
  # row LABEL ADDRESS PROC CHECK...: one line per node, counting the healthy ones.
  row() {
    local st=stopped
    total=$((total + 1))
    if alive "$3"; then
      st="running, unhealthy"
      if "${@:4}"; then st=healthy; good=$((good + 1)); fi
    fi
    printf '  %-30s %-17s %s\n' "$1" "$2" "$st"
  }
  for i in "${!O_NAMES[@]}"; do
    row "${O_NAMES[$i]}" "127.0.0.1:${O_PORT[$i]}" "${O_NAMES[$i]}" healthy "https://127.0.0.1:${O_OPS[$i]}" "$(orderer_tlsca)"
  done
  for org in "${ORGS[@]}"; do
    row "peer0-$org (${MSP[$org]})" "127.0.0.1:${PEER_PORT[$org]}" "peer0-$org" healthy "https://127.0.0.1:${PEER_OPS[$org]}" "$(org_tlsca "$org")"
  done
  for org in "$ORDERER_ORG" "${ORGS[@]}"; do
    row "ca-$org" "127.0.0.1:$(ca_port_of "$org")" "ca-$org" healthy "https://127.0.0.1:$(ca_ops_port "$(ca_port_of "$org")")" "$(ca_tls_cert "$org")"
  done
  echo "  raft leader: $(raft_leader_name)"
  for org in "${ORGS[@]}"; do
    if alive "peer0-$org"; then
      local h
      h=$( (peer_env "$org"; "$BIN/peer" channel getinfo -c "$CHANNEL" 2>/dev/null) | sed -n 's/.*"height":\([0-9]*\).*/\1/p')
      echo "  height of $CHANNEL on peer0-$org: ${h:-unknown}"
    fi
  done
  local first=${ORGS[0]}
  if alive "peer0-$first"; then
    echo "  committed chaincodes:"
    (peer_env "$first"; "$BIN/peer" lifecycle chaincode querycommitted -C "$CHANNEL" -O json 2>/dev/null) |
      jq -r '.chaincode_definitions // [] | .[] | "    \(.name)  sequence \(.sequence)  version \(.version)"' || true
  fi
  local n
  for n in $(proc_names | grep '^cc-' || true); do
    printf '  %-30s %s\n' "$n" "$(if alive "$n"; then echo running; else echo stopped; fi)"
  done
  if [ "$good" = "$total" ]; then
    echo "all $total nodes healthy"
  else
    echo "$good of $total nodes healthy"
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
    stop) cmd_stop "$@" ;;
    status) cmd_status "$@" ;;
    logs) cmd_logs "$@" ;;
    -h|--help|help) usage ;;
    "") usage >&2; exit 2 ;;
    *) echo "network.sh: unknown command '$cmd'" >&2; usage >&2; exit 2 ;;
  esac
}
main "$@"
