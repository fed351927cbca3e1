# Shared helpers for network.sh. Sourced, never run.
# shellcheck shell=bash

# log prints a progress line with the seconds since the command started.
log() { printf '[%4ss] %s\n' "$(( $(date +%s) - HL_T0 ))" "$*"; }
die() { printf 'network.sh: %s\n' "$*" >&2; exit 1; }

# wait_for DESCRIPTION TIMEOUT_SECONDS LOGFILE COMMAND...: runs COMMAND until it succeeds, at most
# TIMEOUT_SECONDS; on time-out it fails, naming what did not come up and the log to read.
wait_for() {
  local what=$1 timeout=$2 logfile=$3; shift 3
  local deadline=$(( $(date +%s) + timeout ))
  until "$@" >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      if [ -n "$logfile" ]; then
        die "timed out after ${timeout}s waiting for $what; read $logfile"
      fi
      die "timed out after ${timeout}s waiting for $what"
    fi
    sleep 0.2
  done
}

need_tools() {
  local missing=()
  for t in "$@"; do command -v "$t" >/dev/null 2>&1 || missing+=("$t"); done
  if [ "${#missing[@]}" -gt 0 ]; then
    die "missing tools: ${missing[*]} (install them: Go from golang's release, the others with apt-get install ${missing[*]})"
  fi
}

# port_in_use PORT: true when something accepts connections on 127.0.0.1:PORT.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# --- process bookkeeping: every process network.sh starts has a pid file and a log ---------------

pid_file() { echo "$NETDIR/pids/$1.pid"; }
log_file() { echo "$NETDIR/logs/$1.log"; }

# alive NAME: the process recorded for NAME runs and is still the binary we started.
alive() {
  local f pid
  f=$(pid_file "$1")
  [ -f "$f" ] || return 1
  pid=$(cat "$f")
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  local cmdline want
  cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  want=$(cat "$f.cmd" 2>/dev/null) || return 1
  [[ "$cmdline" == "$want"* ]]
}

# start_proc NAME BINARY ARGS...: starts BINARY in its own session with the current environment,
# recording its pid; output goes to the NAME log.
start_proc() {
  local name=$1; shift
  mkdir -p "$NETDIR/pids" "$NETDIR/logs"
  local logf; logf=$(log_file "$name")
  echo "----- start $(date -u +%FT%TZ)" >>"$logf"
  setsid "$@" >>"$logf" 2>&1 </dev/null &
  echo $! >"$(pid_file "$name")"
  echo "$1" >"$(pid_file "$name").cmd"
}

# running PID: the process exists and has not ended (a zombie has ended: it only waits for its
# parent to collect its status).
running() {
  local st
  st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$st" ] && [ "$st" != Z ]
}

# stop_proc NAME: ends the recorded process by PID (TERM, then KILL after 10 s) and forgets it.
stop_proc() {
  local name=$1 f pid i
  f=$(pid_file "$name")
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if alive "$name"; then
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 100); do
      running "$pid" || break
      sleep 0.1
    done
    if running "$pid"; then
      echo "network.sh: $name (pid $pid) ignored TERM for 10s; killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
      for i in $(seq 1 50); do running "$pid" || break; sleep 0.1; done
    fi
  fi
  rm -f "$f" "$f.cmd"
}

# all recorded process names
proc_names() {
  [ -d "$NETDIR/pids" ] || return 0
  local f
  for f in "$NETDIR"/pids/*.pid; do
    [ -e "$f" ] || continue
    basename "$f" .pid
  done
}

# --- layout -----------------------------------------------------------------------------------------

# load_layout NAME: sources the layout and derives the per-node tables, applying HL_PORT_OFFSET.
load_layout() {
  local name=$1 file="$ROOT/network/config/layouts/$1.sh"
  [ -f "$file" ] || die "unknown layout '$name' (known: $(cd "$ROOT/network/config/layouts" && ls -- *.sh | sed 's/\.sh$//' | tr '\n' ' '))"
  # shellcheck disable=SC1090
  source "$file"
  local off=${HL_PORT_OFFSET:-0}
  [[ "$off" =~ ^[0-9]+$ ]] || die "HL_PORT_OFFSET must be a whole number, not '$off'"
  ORDERER_CA_PORT=$(( ORDERER_CA_PORT + off ))
  local i line n g a o
  O_NAMES=(); O_PORT=(); O_ADMIN=(); O_OPS=()
  for line in "${ORDERERS[@]}"; do
    read -r n g a o <<<"$line"
    O_NAMES+=("$n"); O_PORT+=($(( g + off ))); O_ADMIN+=($(( a + off ))); O_OPS+=($(( o + off )))
  done
  local org msp pp cc ops ca ccb roles
  ORGS=(); declare -gA MSP=() PEER_PORT=() CC_LISTEN=() PEER_OPS=() CA_PORT=() CC_BASE=() ROLES=()
  for line in "${PEER_ORGS[@]}"; do
    read -r org msp pp cc ops ca ccb roles <<<"$line"
    ORGS+=("$org"); MSP[$org]=$msp; PEER_PORT[$org]=$(( pp + off )); CC_LISTEN[$org]=$(( cc + off ))
    PEER_OPS[$org]=$(( ops + off )); CA_PORT[$org]=$(( ca + off )); CC_BASE[$org]=$(( ccb + off ))
    ROLES[$org]=$roles
  done
  : "${i:=}"
}

org_domain() { echo "$1.$DOMAIN"; }
peer_host() { echo "peer0.$1.$DOMAIN"; }
orderer_host() { echo "$1.$ORDERER_DOMAIN"; }
ca_ops_port() { echo $(( $1 + 10000 )); }

peer_dir() { echo "$NETDIR/crypto/peerOrganizations/$(org_domain "$1")/peers/$(peer_host "$1")"; }
org_tlsca() { echo "$NETDIR/crypto/peerOrganizations/$(org_domain "$1")/tlsca/tlsca.$(org_domain "$1")-cert.pem"; }
org_tlsca_key() { echo "$NETDIR/crypto/peerOrganizations/$(org_domain "$1")/tlsca/priv_sk"; }
org_admin_msp() { echo "$NETDIR/crypto/peerOrganizations/$(org_domain "$1")/users/Admin@$(org_domain "$1")/msp"; }
orderer_dir() { echo "$NETDIR/crypto/ordererOrganizations/$ORDERER_DOMAIN/orderers/$(orderer_host "$1")"; }
orderer_tlsca() { echo "$NETDIR/crypto/ordererOrganizations/$ORDERER_DOMAIN/tlsca/tlsca.$ORDERER_DOMAIN-cert.pem"; }
orderer_admin_tls() { echo "$NETDIR/crypto/ordererOrganizations/$ORDERER_DOMAIN/users/Admin@$ORDERER_DOMAIN/tls"; }

# every port the layout listens on, one per line
all_ports() {
  local i org
  for i in "${!O_NAMES[@]}"; do echo "${O_PORT[$i]}"; echo "${O_ADMIN[$i]}"; echo "${O_OPS[$i]}"; done
  echo "$ORDERER_CA_PORT"; ca_ops_port "$ORDERER_CA_PORT"
  for org in "${ORGS[@]}"; do
    echo "${PEER_PORT[$org]}"; echo "${CC_LISTEN[$org]}"; echo "${PEER_OPS[$org]}"
    echo "${CA_PORT[$org]}"; ca_ops_port "${CA_PORT[$org]}"
  done
}

# peer_env ORG: the environment for running the peer CLI as ORG's admin against ORG's peer.
peer_env() {
  local org=$1
  export FABRIC_CFG_PATH="$NETDIR/config"
  export CORE_PEER_TLS_ENABLED=true
  export CORE_PEER_LOCALMSPID="${MSP[$org]}"
  export CORE_PEER_ADDRESS="127.0.0.1:${PEER_PORT[$org]}"
  export CORE_PEER_TLS_ROOTCERT_FILE; CORE_PEER_TLS_ROOTCERT_FILE=$(org_tlsca "$org")
  export CORE_PEER_MSPCONFIGPATH; CORE_PEER_MSPCONFIGPATH=$(org_admin_msp "$org")
}

