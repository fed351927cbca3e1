#!/usr/bin/env bash
# The channel's ACLs (docs/operators.md, Channel ACLs): show them, or change them by a config update
# signed by the admins of a majority of the orgs.
#
#   acl.sh show [--target DIR]                        every ACL of the channel: resource, policy
#   acl.sh set RESOURCE=POLICY ... [--target DIR]     e.g. event/FilteredBlock=/Channel/Application/Members
#
# DIR is a profiles folder (default $HL_NETWORK_DIR/profiles): its network.json and profiles name the
# channel, an orderer and each org's peer and admin MSP folder. `set` fetches the channel config,
# changes the ACLs, signs the update as the admins of a majority of the orgs (first orgs first), sends
# it, and waits until every org's peer has committed it. Setting an ACL to its current policy changes
# nothing and sends nothing. HL_ACL_SIGNERS (default: a majority) sets how many orgs' admins sign,
# to show that fewer are refused. HL_ACL_TIMEOUT (60 s) bounds the wait for the peers.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
NETDIR=${HL_NETWORK_DIR:-$ROOT/.network}
BIN="$ROOT/network/fabric/bin"
HL_T0=$(date +%s)
# shellcheck source=lib/common.sh
source "$HERE/lib/common.sh"
# shellcheck source=lib/deploy.sh
source "$HERE/lib/deploy.sh"
# shellcheck source=lib/chconfig.sh
source "$HERE/lib/chconfig.sh"
O_NAMES=(); ORGS=()

# scratch: the run's temporary folder (removed at exit).
ACL_TMP=""
scratch() { echo "$ACL_TMP"; }
cleanup() { [ -z "$ACL_TMP" ] || rm -rf "$ACL_TMP"; }

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; }

cmd_show() {
  local tmp
  tmp=$(scratch)
  chconfig_fetch "$tmp/config.json" "$tmp"
  jq -r '.channel_group.groups.Application.values.ACLs.value.acls // {} | to_entries[] | "\(.key) \(.value.policy_ref)"' \
    "$tmp/config.json" | sort
}

cmd_set() {
  local kv res pol tmp filter='.' n majority
  [ $# -gt 0 ] || usage_die "set: give RESOURCE=POLICY at least once"
  for kv in "$@"; do
    res=${kv%%=*}; pol=${kv#*=}
    [[ "$kv" == *=* && "$res" =~ ^[A-Za-z_]+/[A-Za-z_]+$ && "$pol" =~ ^/Channel(/[A-Za-z0-9_]+)+$ ]] ||
      usage_die "set: '$kv' is not RESOURCE=POLICY (e.g. event/FilteredBlock=/Channel/Application/Members)"
    filter+=" | .channel_group.groups.Application.values.ACLs.value.acls[\"$res\"] = {policy_ref: \"$pol\"}"
  done
  tmp=$(scratch)
  chconfig_fetch "$tmp/config.json" "$tmp"
  jq "$filter" "$tmp/config.json" >"$tmp/modified.json"
  if cmp -s <(jq -S . "$tmp/config.json") <(jq -S . "$tmp/modified.json"); then
    log "acl: nothing to change"
    return 0
  fi
  n=${#T_ORGS[@]}; majority=${HL_ACL_SIGNERS:-$((n / 2 + 1))}
  [[ "$majority" =~ ^[1-9][0-9]*$ ]] && [ "$majority" -le "$n" ] || usage_die "HL_ACL_SIGNERS must be 1..$n"
  chconfig_update "$tmp" "$tmp/config.json" "$tmp/modified.json" "${HL_ACL_TIMEOUT:-60}" "${T_ORGS[@]:0:$majority}"
  log "acl: update signed by the admins of ${T_ORGS[*]:0:$majority} and sent: $*"
  log "acl: every org's peer committed the new config"
}

main() {
  local cmd=${1:-} target="$NETDIR/profiles" args=()
  [ $# -gt 0 ] && shift
  while [ $# -gt 0 ]; do
    case "$1" in
      --target) [ $# -ge 2 ] || usage_die "--target needs a folder"; target=$2; shift 2 ;;
      *) args+=("$1"); shift ;;
    esac
  done
  case "$cmd" in
    show | set) ;;
    -h | --help | help) usage; return 0 ;;
    *) usage >&2; usage_die "unknown command '${cmd}'" ;;
  esac
  need_tools jq
  ACL_TMP=$(mktemp -d)
  trap cleanup EXIT
  load_target "$target"
  "cmd_$cmd" "${args[@]+"${args[@]}"}"
}

main "$@"
