# Shared helpers for network.sh. Sourced, never run.
# shellcheck shell=bash

# The pinned Go toolchain for every go command the network runs (chaincode servers, hlctl).
# shellcheck source=../../toolchain.env
. "$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/toolchain.env"

# log prints a progress line with the seconds since the command started.
log() { printf '[%4ss] %s\n' "$(( $(date +%s) - HL_T0 ))" "$*"; }
die() { printf 'network.sh: %s\n' "$*" >&2; exit 1; }
# usage_die: a usage error (a missing or unknown argument or name): exit 2.
usage_die() { printf 'network.sh: %s\n' "$*" >&2; exit 2; }

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

# random_secret prints 128 random bits from /dev/urandom as 32 lowercase hex characters: every
# enrolment secret the scripts choose (see ca_secret in identities.sh) and the CAs' bootstrap secret.
random_secret() {
  local s
  s=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  [[ "$s" =~ ^[0-9a-f]{32}$ ]] || die "could not read 16 random bytes from /dev/urandom"
  printf '%s\n' "$s"
}

# port_in_use PORT: true when something accepts connections on 127.0.0.1:PORT.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# --- process bookkeeping: every process network.sh starts has a pid file and a log ---------------

pid_file() { echo "$NETDIR/pids/$1.pid"; }
log_file() { echo "$NETDIR/logs/$1.log"; }

# alive NAME: the process recorded for NAME runs and is still the binary we started.
# (Builtins only: status calls it for every node.)
alive() {
  local f="$NETDIR/pids/$1.pid" pid="" argv0="" want=""
  [ -f "$f" ] || return 1
  read -r pid <"$f" || [ -n "$pid" ] || return 1
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  { IFS= read -r -d '' argv0 <"/proc/$pid/cmdline"; } 2>/dev/null || [ -n "$argv0" ] || return 1
  read -r want <"$f.cmd" 2>/dev/null || [ -n "$want" ] || return 1
  [ "$argv0" = "$want" ]
}

# start_proc NAME BINARY ARGS...: starts BINARY in its own session with the current environment,
# recording its pid; output goes to the NAME log. When HL_STARTED_FILE is set (by up), the name is
# also appended there: what this run started, as opposed to what was running before it.
start_proc() {
  local name=$1; shift
  mkdir -p "$NETDIR/pids" "$NETDIR/logs"
  local logf; logf=$(log_file "$name")
  echo "----- start $(date -u +%FT%TZ)" >>"$logf"
  setsid "$@" >>"$logf" 2>&1 </dev/null &
  local pid=$! i
  echo "$pid" >"$(pid_file "$name")"
  echo "$1" >"$(pid_file "$name").cmd"
  if [ -n "${HL_STARTED_FILE:-}" ]; then echo "$name" >>"$HL_STARTED_FILE"; fi
  # Until it execs BINARY, the child is a copy of this shell, and alive (which compares the running
  # program with the recorded one) would take it for a process that ended: on a loaded machine a
  # node was reported "exited while starting" with an empty log. Wait, bounded, until it has.
  for i in $(seq 1 100); do
    running "$pid" || break
    alive "$name" && break
    sleep 0.05
  done
}

# log_since_start NAME [LINES]: the last LINES (default 5) lines of NAME's log written since its
# last start that look like an error (or, when none does, the last lines), without colour codes.
log_since_start() {
  local f lines=${2:-5} out
  f=$(log_file "$1")
  [ -f "$f" ] || return 0
  out=$(tail -n 400 "$f" | awk '/^----- start /{buf=""; next} {buf = buf $0 "\n"} END{printf "%s", buf}' |
    sed 's/\x1b\[[0-9;]*m//g')
  if grep -qiE 'panic|fatal|erro|failed|refused|address already in use' <<<"$out"; then
    grep -iE 'panic|fatal|erro|failed|refused|address already in use' <<<"$out" | tail -n "$lines"
  else
    tail -n "$lines" <<<"$out"
  fi
}

# wait_node NAME DESCRIPTION TIMEOUT_SECONDS COMMAND...: like wait_for for a process this script
# started, but fails at once, with the end of its log, when the process ends.
wait_node() {
  local name=$1 what=$2 timeout=$3; shift 3
  local deadline=$(( $(date +%s) + timeout ))
  until "$@" >/dev/null 2>&1; do
    if ! alive "$name"; then
      die "$name exited while starting (waiting for $what); read $(log_file "$name"); its last lines:
$(log_since_start "$name" | sed 's/^/    /')"
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      die "timed out after ${timeout}s waiting for $what ($name is running but not ready); read $(log_file "$name")"
    fi
    sleep 0.2
  done
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

# --- settings stored with the network -----------------------------------------------------------------
# Everything a network's kept state depends on (its crypto, its genesis block, its CAs' databases) is
# stored in $NETDIR/settings on the first up, one NAME=value a line: the layout, and every HL_ variable
# that gen_configtx or gen_crypto reads (found by reading their source, so a variable added there is
# stored too) plus HL_PORT_OFFSET (the consenters' and anchor peers' ports are in the genesis block)
# and HL_CA_ADMIN_SECRET (in each CA's database; chosen at random, 128 bits, when unset on the first
# up: the settings file is mode 0600). Later commands take these values from the file: the
# variable unset means the stored value, a different value is refused.

# settings_names: the stored HL_ variables, one a line.
settings_names() {
  {
    printf '%s\n' HL_PORT_OFFSET HL_BATCH_TIMEOUT HL_MAX_MESSAGE_COUNT HL_SNAPSHOT_INTERVAL_SIZE HL_CA_ADMIN_SECRET
    declare -f gen_configtx gen_crypto gen_genesis 2>/dev/null | grep -o 'HL_[A-Z0-9_]*' || true
  } | awk '!seen[$0]++'
}

# setting_default NAME: the value NAME has when unset.
setting_default() {
  case "$1" in
    HL_PORT_OFFSET) echo 0 ;;
    HL_CA_ADMIN_SECRET) random_secret ;; # a new network's; store_settings keeps it
    *)
      # the default written where the variable is read: ${NAME:-default}
      declare -f gen_configtx gen_crypto gen_genesis 2>/dev/null | grep -o "\${$1:-[^}]*}" | head -n 1 |
        sed "s/^\\\${$1:-//; s/}\$//" || true ;;
  esac
}

settings_file() { echo "$NETDIR/settings"; }
has_network() { [ -f "$(settings_file)" ] || [ -f "$NETDIR/layout" ]; }

# resolve_settings [LAYOUT]: reads the stored settings (if any), refuses a conflicting LAYOUT (from
# --layout) or environment variable, and exports the stored values. Sets NET_LAYOUT.
resolve_settings() {
  local want=${1:-} f k v name cur line
  f=$(settings_file)
  declare -gA STORED=()
  if [ -f "$f" ]; then
    while IFS= read -r line || [ -n "$line" ]; do
      case "$line" in ''|'#'*) continue ;; esac
      k=${line%%=*}; v=${line#*=}
      STORED[$k]=$v
    done <"$f"
  elif [ -f "$NETDIR/layout" ]; then
    STORED[layout]=$(cat "$NETDIR/layout") # a network made before settings were stored
  fi
  if [ -n "${STORED[layout]:-}" ]; then
    if [ -n "$want" ] && [ "$want" != "${STORED[layout]}" ]; then
      die "$NETDIR holds a '${STORED[layout]}' network, not '$want'; run 'network.sh down --purge' first, or set HL_NETWORK_DIR"
    fi
    NET_LAYOUT=${STORED[layout]}
  else
    NET_LAYOUT=${want:-default}
  fi
  local conflicts=()
  while read -r name; do
    [ -n "${STORED[$name]+set}" ] || continue
    cur=${!name:-}
    if [ -n "$cur" ] && [ "$cur" != "${STORED[$name]}" ]; then
      if [ "$name" = HL_CA_ADMIN_SECRET ]; then
        conflicts+=("$name in the environment differs from the value stored with the network (secret: not shown)")
      else
        conflicts+=("$name=$cur in the environment, but the network was made with $name=${STORED[$name]:-(unset)}")
      fi
    fi
    export "$name=${STORED[$name]}"
  done < <(settings_names)
  if [ "${#conflicts[@]}" -gt 0 ]; then
    die "$(printf '%s\n' "${conflicts[@]}")
the network in $NETDIR keeps state made with the stored values ($f): unset the variable to use them,
or run 'network.sh down --purge' to make a new network with the new value"
  fi
}

# store_settings: writes $NETDIR/settings from the current values, unless it exists.
store_settings() {
  local f name; f=$(settings_file)
  [ -f "$f" ] && return 0
  mkdir -p "$NETDIR"
  # The CAs' bootstrap registrar secret: 128 random bits unless given, and never a short one (anyone
  # who reaches a CA's port could try to guess it).
  if [ -z "${HL_CA_ADMIN_SECRET:-}" ]; then
    HL_CA_ADMIN_SECRET=$(random_secret)
  elif [ "${#HL_CA_ADMIN_SECRET}" -lt 32 ]; then
    die "HL_CA_ADMIN_SECRET is shorter than 32 characters (128 bits of hex); unset it and network.sh chooses one at random, stored in $f"
  fi
  export HL_CA_ADMIN_SECRET
  (
    umask 077 # it holds the CAs' bootstrap secret
    {
      echo "# What this network's kept state (crypto, genesis block, CA databases) was made with."
      echo "# Written by network.sh up on $(date -u +%FT%TZ); later commands use these values. Do not edit."
      echo "layout=$NET_LAYOUT"
      while read -r name; do
        echo "$name=${!name:-$(setting_default "$name")}"
      done < <(settings_names)
    } >"$f.tmp" && mv "$f.tmp" "$f"
  )
  rm -f "$NETDIR/layout"
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

