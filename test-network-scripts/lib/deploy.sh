# Chaincode-as-a-service deployment: build, package, start one chaincode server per org, and run the
# real lifecycle (install, approve per org, commit). Sourced by network.sh.
# shellcheck shell=bash

# The package format, shared with the Kubernetes packages (network/kubernetes/package.sh).
# shellcheck source=ccaas.sh
source "$(dirname "${BASH_SOURCE[0]}")/ccaas.sh"

# BENCH_ONLY: the chaincodes that only benchmark networks get. baseline lets any client write 1 MiB
# under any key, so it is never deployed by default nor onto a target: only when asked for, by
# 'network.sh up --with-baseline' (HL_WITH_BASELINE=1), by HL_CHAINCODES naming it, or by
# 'network.sh deploy baseline' on this script's own network.
BENCH_ONLY=(baseline)

is_bench_only() { case " ${BENCH_ONLY[*]} " in *" $1 "*) return 0 ;; esac; return 1; }

# chaincode_names: every chaincode under chaincode/ that has a deployment config, in port-index order;
# the benchmark-only ones only when asked for.
chaincode_names() {
  local d
  for d in "$ROOT"/network/config/*/chaincode.conf; do
    [ -e "$d" ] || continue
    local n; n=$(basename "$(dirname "$d")")
    [ -d "$ROOT/chaincode/$n/cmd/$n-cc" ] || continue
    # HL_CHAINCODES (comma-separated) limits the set, e.g. HL_CHAINCODES=baseline.
    if [ -n "${HL_CHAINCODES:-}" ]; then
      case ",$HL_CHAINCODES," in *",$n,"*) ;; *) continue ;; esac
    elif is_bench_only "$n" && [ "${HL_WITH_BASELINE:-0}" != 1 ]; then
      continue
    fi
    # shellcheck disable=SC1090
    echo "$(source "$d"; echo "$CC_PORT_INDEX") $n"
  done | sort -n | awk '{print $2}'
}

# load_cc_conf NAME: sets CC_POLICY, CC_COLLECTIONS and CC_PORT_INDEX from network/config/NAME.
load_cc_conf() {
  local f="$ROOT/network/config/$1/chaincode.conf"
  [ -f "$f" ] && [ -d "$ROOT/chaincode/$1/cmd/$1-cc" ] ||
    die "unknown chaincode '$1' (known: $(chaincode_names | tr '\n' ' '))"
  CC_POLICY=majority; CC_COLLECTIONS=none; CC_PORT_INDEX=
  # shellcheck disable=SC1090
  source "$f"
  [[ "$CC_PORT_INDEX" =~ ^[0-9]+$ ]] || die "$f: CC_PORT_INDEX must be a number"
}

# --- the deployment target ---------------------------------------------------------------------
# deploy reads everything it needs about a network from a profiles folder (network.json and one
# profile per org), so the same code deploys to the network network.sh started and to one it did not.
#   T_MODE       own (this script's network: one package for all orgs, mutual TLS to the servers)
#                or target (a network described only by its profiles: one package per org)
#   T_ORGS       org names;  T_MSP/T_ROLES/T_PEER_ADDR/T_PEER_TLSCA/T_PEER_HOST/T_ADMIN_MSP/
#                T_CC_HOST/T_CC_BASE by org;  T_CHANNEL, T_ORDERER_ADDR, T_ORDERER_TLSCA, T_ORDERER_HOST

load_target() {
  local dir=$1 nj="$1/network.json" org i=0 prof
  [ -f "$nj" ] || die "no network.json in $dir"
  resolve() { case "$1" in /*) echo "$1" ;; *) echo "$dir/$1" ;; esac; }
  T_CHANNEL=$(jq -r '.channel // empty' "$nj")
  [ -n "$T_CHANNEL" ] || die "$nj names no channel"
  T_ORDERER_ADDR=$(jq -r '.orderer.endpoint // empty' "$nj")
  [ -n "$T_ORDERER_ADDR" ] || die "$nj has no orderer.endpoint"
  T_ORDERER_TLSCA=$(resolve "$(jq -r '.orderer.tlsCACert // empty' "$nj")")
  T_ORDERER_HOST=$(jq -r '.orderer.hostOverride // empty' "$nj")
  T_ORGS=(); declare -gA T_MSP=() T_ROLES=() T_PEER_ADDR=() T_PEER_TLSCA=() T_PEER_HOST=() T_ADMIN_MSP=() T_CC_HOST=() T_CC_BASE=()
  while read -r org; do
    [ -n "$org" ] || continue
    prof="$dir/$(jq -r --arg o "$org" '.orgs[] | select(.name == $o) | .profile' "$nj")"
    [ -f "$prof" ] || die "the profile of $org ($prof) is missing"
    T_ORGS+=("$org")
    T_MSP[$org]=$(jq -r '.mspId' "$prof")
    T_ROLES[$org]=$(jq -r --arg o "$org" '.orgs[] | select(.name == $o) | .roles | join(",")' "$nj")
    T_PEER_ADDR[$org]=$(jq -r '.peers[0].endpoint' "$prof")
    T_PEER_TLSCA[$org]=$(resolve "$(jq -r '.peers[0].tlsCACert' "$prof")")
    T_PEER_HOST[$org]=$(jq -r '.peers[0].hostOverride // empty' "$prof")
    T_ADMIN_MSP[$org]=$(resolve "$(jq -r '.adminMsp // empty' "$prof")")
    [ -d "${T_ADMIN_MSP[$org]}" ] || die "the profile of $org names no admin MSP folder (adminMsp)"
    T_CC_HOST[$org]=$(jq -r '.chaincodeServers.host // "127.0.0.1"' "$prof")
    T_CC_BASE[$org]=$(jq -r --argjson d "$((12000 + 100 * i))" '.chaincodeServers.portBase // $d' "$prof")
    i=$((i + 1))
  done < <(jq -r '.orgs[].name' "$nj")
  [ "${#T_ORGS[@]}" -gt 0 ] || die "$nj lists no org"
  T_MODE=target
  [ "$(cd "$dir" && pwd)" = "$(cd "$NETDIR/profiles" 2>/dev/null && pwd)" ] && T_MODE=own
  if [ "$T_MODE" = own ] && [ "${#O_NAMES[@]}" -gt 0 ]; then
    # network.json names the first orderer; on our own network use the first one that is up.
    local i
    for i in "${!O_NAMES[@]}"; do
      if alive "${O_NAMES[$i]}" && healthy "https://127.0.0.1:${O_OPS[$i]}" "$(orderer_tlsca)"; then
        T_ORDERER_ADDR="127.0.0.1:${O_PORT[$i]}"; break
      fi
    done
  fi
  return 0
}

# target_env ORG: the environment for the peer CLI as ORG's admin against ORG's peer.
target_env() {
  local org=$1
  export FABRIC_CFG_PATH="$NETDIR/config"
  export CORE_PEER_TLS_ENABLED=true
  export CORE_PEER_LOCALMSPID="${T_MSP[$org]}"
  export CORE_PEER_ADDRESS="${T_PEER_ADDR[$org]}"
  export CORE_PEER_TLS_ROOTCERT_FILE="${T_PEER_TLSCA[$org]}"
  export CORE_PEER_MSPCONFIGPATH="${T_ADMIN_MSP[$org]}"
  # No server host override: the peer CLI would apply it to every --peerAddresses of a commit. A
  # peer's endpoint must therefore be a name or address its TLS certificate carries (ours carry
  # 127.0.0.1 and localhost, as fabric-samples' test-network certificates carry localhost).
}

target_orderer_args() {
  local a=(-o "$T_ORDERER_ADDR" --tls --cafile "$T_ORDERER_TLSCA")
  [ -n "$T_ORDERER_HOST" ] && a+=(--ordererTLSHostnameOverride "$T_ORDERER_HOST")
  printf '%s\n' "${a[@]}"
}

# orgs_holding ROLE: the target's org names whose roles include ROLE.
orgs_holding() {
  local org
  for org in "${T_ORGS[@]}"; do
    case ",${T_ROLES[$org]}," in *",$1,"*) echo "$org" ;; esac
  done
}

# msps_of_roles ROLE,ROLE...: the distinct MSP ids of the orgs that hold any of the roles.
msps_of_roles() {
  local r org
  for r in ${1//,/ }; do
    while read -r org; do [ -n "$org" ] && echo "${T_MSP[$org]}"; done < <(orgs_holding "$r")
  done | sort -u
}

# policy_expr: the --signature-policy for CC_POLICY.
#   majority                 OutOf(N/2+1, 'A.peer', 'B.peer', ...) over the target's N peer orgs: an
#                            explicit signature policy, cheaper to validate than the channel's implicit
#                            MAJORITY Endorsement reference, and at least two orgs whenever N >= 2
#   any-of-roles:R1,R2       OR of the peers of the orgs holding R1 or R2
#   all-of-roles:R1,R2       AND over roles of (OR of the peers of the orgs holding that role)
policy_expr() {
  local kind=${CC_POLICY%%:*} arg=${CC_POLICY#*:} groups=() r m g
  case "$kind" in
    majority)
      g=$(for org in "${T_ORGS[@]}"; do echo "${T_MSP[$org]}"; done | sort -u | sed "s/.*/'&.peer'/" | paste -sd, -)
      local n; n=$(tr ',' '\n' <<<"$g" | grep -c .)
      echo "OutOf($((n / 2 + 1)),$g)" ;;
    any-of-roles)
      g=$(msps_of_roles "$arg" | sed "s/.*/'&.peer'/" | paste -sd, -)
      [ -n "$g" ] || die "policy $CC_POLICY matches no org of the target"
      echo "OR($g)" ;;
    all-of-roles)
      for r in ${arg//,/ }; do
        g=$(msps_of_roles "$r" | sed "s/.*/'&.peer'/" | paste -sd, -)
        [ -n "$g" ] || die "policy $CC_POLICY: no org holds role $r in the target"
        groups+=("OR($g)")
      done
      # The same org set twice would demand two signatures from one peer: keep each group once.
      mapfile -t groups < <(printf '%s\n' "${groups[@]}" | sort -u)
      if [ "${#groups[@]}" = 1 ]; then echo "${groups[0]}"; else echo "AND($(IFS=,; echo "${groups[*]}"))"; fi ;;
    *) die "unknown CC_POLICY '$CC_POLICY'" ;;
  esac
  : "${m:=}"
}

# --- the consortium map ----------------------------------------------------------------------
# Every chaincode keeps the consortium's map of which org may hold which role and which GS1 company
# prefixes belong to which org (package chaincode/internal/orgroles) in its own namespace. deploy
# writes it once, from the target's roles and the layout's GS1 prefixes, with SetConsortium as the
# first org's admin, endorsed by every org's peer. From then on only a transaction endorsed by a
# majority of the orgs' peers can change it (the key's own endorsement policy), so deploy never
# overwrites it: it says when the ledger's map differs from the layout's.

# gs1_prefixes MSP: the GS1 company prefixes of MSP, comma-separated, from HL_GS1_PREFIXES
# ("MSP=P1,P2;MSP=P3") when set, else from the layout whose peer orgs are exactly the target's MSP ids
# (network/config/layouts/*.sh, GS1_PREFIXES).
gs1_prefixes() {
  local want=$1 entry f
  if [ -n "${HL_GS1_PREFIXES+x}" ]; then
    for entry in ${HL_GS1_PREFIXES//;/ }; do
      [ "${entry%%=*}" = "$want" ] && echo "${entry#*=}"
    done
    return 0
  fi
  local target_msps; target_msps=$(for org in "${T_ORGS[@]}"; do echo "${T_MSP[$org]}"; done | sort -u | paste -sd' ' -)
  for f in "$ROOT"/network/config/layouts/*.sh; do
    (
      PEER_ORGS=(); GS1_PREFIXES=()
      # shellcheck disable=SC1090
      source "$f"
      msps=$(for l in "${PEER_ORGS[@]}"; do read -r _ m _ <<<"$l"; echo "$m"; done | sort -u | paste -sd' ' -)
      [ "$msps" = "$target_msps" ] || exit 0
      for l in "${GS1_PREFIXES[@]}"; do read -r m p <<<"$l"; [ "$m" = "$want" ] && echo "$p"; done
      exit 0
    )
  done | head -n1
}

# consortium_json VERSION: the map the target's roles and prefixes make, compact, lists sorted.
consortium_json() {
  local version=$1 org r p roles="{}" prefixes="{}" msp
  for org in "${T_ORGS[@]}"; do
    msp=${T_MSP[$org]}
    for r in ${T_ROLES[$org]//,/ }; do
      roles=$(jq -c --arg r "$r" --arg m "$msp" '.[$r] = ((.[$r] // []) + [$m] | unique)' <<<"$roles")
    done
    p=$(gs1_prefixes "$msp")
    [ -z "$p" ] || prefixes=$(jq -c --arg m "$msp" --arg p "$p" '.[$m] = ($p | split(",") | map(select(length > 0)) | unique)' <<<"$prefixes")
  done
  jq -cn --argjson roles "$roles" --argjson prefixes "$prefixes" --argjson v "$version" \
    '{roles: $roles, gs1Prefixes: $prefixes, version: $v}'
}

# normal_map: a map's JSON on stdin, with every list sorted and the version left out, to compare two.
normal_map() { jq -cS '{roles: (.roles // {} | map_values(sort)), gs1Prefixes: (.gs1Prefixes // {} | map_values(sort))}'; }

# query_consortium ORG NAME: the map NAME holds, as ORG's peer answers it; prints nothing and fails
# when the chaincode holds none (PRECONDITION_FAILED) and exits 2 on any other failure.
query_consortium() {
  local out
  if out=$(target_env "$1"; "$BIN/peer" chaincode query -C "$T_CHANNEL" -n "$2" -c '{"Args":["GetConsortium"]}' 2>&1); then
    echo "$out"; return 0
  fi
  case "$out" in *PRECONDITION_FAILED*) return 1 ;; esac
  echo "$out" >>"$(log_file peer-cli)"
  return 2
}

# consortium_version_is ORG NAME VERSION: ORG's peer answers NAME's map at VERSION.
consortium_version_is() {
  local got
  got=$(query_consortium "$1" "$2" 2>/dev/null) || return 1
  [ "$(jq -r '.version' <<<"$got" 2>/dev/null)" = "$3" ]
}

# ensure_consortium NAME: writes the consortium map in NAME's namespace unless it holds one. Equal:
# nothing to do. Different: said, and left alone (a change needs a majority of the orgs).
ensure_consortium() {
  local name=$1 want have rc=0 org
  want=$(consortium_json 1)
  have=$(query_consortium "${T_ORGS[0]}" "$name") || rc=$?
  if [ "$rc" = 2 ]; then
    die "reading the consortium map of $name failed; read $(log_file peer-cli)"
  fi
  if [ "$rc" = 0 ]; then
    if [ "$(normal_map <<<"$have")" = "$(normal_map <<<"$want")" ]; then
      log "chaincode $name: consortium map version $(jq -r .version <<<"$have") in place, as the layout says"
    else
      log "warning: chaincode $name: the ledger's consortium map (version $(jq -r .version <<<"$have")) differs from the layout's; left as it is. It changes only by a SetConsortium endorsed by a majority of the orgs."
      log "warning:   ledger: $(normal_map <<<"$have")"
      log "warning:   layout: $(normal_map <<<"$want")"
    fi
    return 0
  fi
  local oargs peers=()
  mapfile -t oargs < <(target_orderer_args)
  for org in "${T_ORGS[@]}"; do
    peers+=(--peerAddresses "${T_PEER_ADDR[$org]}" --tlsRootCertFiles "${T_PEER_TLSCA[$org]}")
  done
  local args; args=$(jq -cn --arg m "$want" '{Args: ["SetConsortium", $m]}')
  (target_env "${T_ORGS[0]}"; "$BIN/peer" chaincode invoke "${oargs[@]}" -C "$T_CHANNEL" -n "$name" -c "$args" \
    "${peers[@]}" --waitForEvent --waitForEventTimeout 60s >>"$(log_file peer-cli)" 2>&1) ||
    die "writing the consortium map of $name failed; read $(log_file peer-cli)"
  for org in "${T_ORGS[@]}"; do
    wait_for "the peer of $org to hold the consortium map of $name" 60 "$(log_file peer-cli)" consortium_version_is "$org" "$name" 1
  done
  log "chaincode $name: consortium map version 1 written ($(jq -c '.roles | to_entries | map("\(.key)=\(.value | join("+"))") | join(" ")' <<<"$want"); GS1 $(jq -c .gs1Prefixes <<<"$want"))"
}

# collections_json: the collection config for CC_COLLECTIONS, or empty when it has none.
#   none
#   per-org:PREFIX:ROLES     one collection PREFIX<MSP> per org holding one of ROLES, readable by that
#                            org only; writable by any client the contract allows (a patient of
#                            another org must be able to erase)
#   shared:NAME:R1,R2        one collection NAME whose members are the orgs holding R1, R2 ...
collections_json() {
  local kind=${CC_COLLECTIONS%%:*} rest=${CC_COLLECTIONS#*:} msp out="[]"
  case "$kind" in
    none) echo ""; return ;;
    per-org)
      local prefix=${rest%%:*} role=${rest#*:}
      while read -r msp; do
        # The collection's own endorsement policy: a write of the details (PutRecordDetails) is
        # endorsed by the custodian org's peer alone, so the details never reach another org's peer.
        out=$(jq --arg n "$prefix$msp" --arg p "OR('$msp.member')" --arg e "OR('$msp.peer')" \
          '. + [{name:$n, policy:$p, requiredPeerCount:0, maxPeerCount:0, blockToLive:0, memberOnlyRead:true, memberOnlyWrite:false, endorsementPolicy:{signaturePolicy:$e}}]' <<<"$out")
      done < <(msps_of_roles "$role") ;;
    shared)
      local name=${rest%%:*} roles=${rest#*:} members
      members=$(msps_of_roles "$roles" | sed "s/.*/'&.member'/" | paste -sd, -)
      local n; n=$(msps_of_roles "$roles" | wc -l)
      out=$(jq --arg n "$name" --arg p "OR($members)" --argjson max "$((n - 1))" \
        '. + [{name:$n, policy:$p, requiredPeerCount:0, maxPeerCount:$max, blockToLive:0, memberOnlyRead:true, memberOnlyWrite:true}]' <<<"$out") ;;
    *) die "unknown CC_COLLECTIONS '$CC_COLLECTIONS'" ;;
  esac
  echo "$out"
}

# build_cc NAME: builds NAME's chaincode server; prints a short hash of the binary, which names
# the build in package labels and in the definition's version.
build_cc() {
  local name=$1 bin="$NETDIR/bin/$1-cc"
  mkdir -p "$NETDIR/bin"
  # HL_CC_BUILD_TAG, when set, is linked into main.buildTag: a way to make a changed build of the same
  # source (the integration suite uses it to exercise an upgrade).
  (cd "$ROOT" && go build -trimpath -buildvcs=false -ldflags "-X main.buildTag=${HL_CC_BUILD_TAG:-}" \
    -o "$bin" "./chaincode/$name/cmd/$name-cc") >"$(log_file "build-$name")" 2>&1 ||
    die "building chaincode $name failed; read $(log_file "build-$name")"
  sha256sum "$bin" | cut -c1-16
}

# make_package DIR LABEL CONNECTION_JSON: a ccaas package (lib/ccaas.sh, the format the Kubernetes
# packages share) in DIR/package.tgz; prints its package id as the peer calculates it.
make_package() {
  ccaas_pack "$1" "$2" "$3" || die "could not write the package $2 in $1"
  (target_env "${T_ORGS[0]}"; "$BIN/peer" lifecycle chaincode calculatepackageid "$1/package.tgz")
}

cc_port() { echo $(( ${T_CC_BASE[$1]} + CC_PORT_INDEX )); }

# cc_tls ORG NAME: the TLS server certificate of ORG's NAME server. On our own network it is signed
# by ORG's TLS CA; on a target, by a CA of this deployment (the target's CA keys are not ours).
cc_tls() {
  local org=$1 name=$2 d="$NETDIR/ccaas/$1/tls" ca cakey
  mkdir -p "$d"
  [ -f "$d/$name.crt" ] && return
  if [ "$T_MODE" = own ]; then
    ca=$(org_tlsca "$org"); cakey=$(org_tlsca_key "$org")
  else
    ca="$NETDIR/ccaas/ca.crt"; cakey="$NETDIR/ccaas/ca.key"
    if [ ! -f "$ca" ]; then
      openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
        -subj "/CN=healthledger chaincode servers CA" -keyout "$cakey" -out "$ca" 2>/dev/null ||
        die "could not make the chaincode servers' CA"
    fi
  fi
  openssl ecparam -name prime256v1 -genkey -noout -out "$d/$name.key.ec" 2>/dev/null
  openssl pkcs8 -topk8 -nocrypt -in "$d/$name.key.ec" -out "$d/$name.key"
  rm -f "$d/$name.key.ec"
  openssl req -new -key "$d/$name.key" -subj "/CN=$name.$org" -out "$d/$name.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\n' >"$d/$name.ext"
  openssl x509 -req -in "$d/$name.csr" -CA "$ca" -CAkey "$cakey" -CAcreateserial -days 3650 -sha256 \
    -extfile "$d/$name.ext" -out "$d/$name.crt" 2>/dev/null ||
    die "could not sign the TLS certificate of $name for $org"
  rm -f "$d/$name.csr" "$d/$name.ext"
  cp "$ca" "$d/ca.crt"
}

# cc_connection ORG NAME: how ORG's peer reaches ORG's NAME server. On our own network the peer
# presents its TLS certificate (mutual TLS); a target's peer keys are not ours, so there the server
# only proves its identity.
cc_connection() {
  local org=$1 name=$2 addr="${T_CC_HOST[$1]}:$(cc_port "$1")"
  if [ "$T_MODE" = own ]; then
    local pd; pd=$(peer_dir "$org")
    ccaas_connection "$addr" "$NETDIR/ccaas/$org/tls/ca.crt" "$pd/tls/server.key" "$pd/tls/server.crt"
  else
    ccaas_connection "$addr" "$NETDIR/ccaas/$org/tls/ca.crt"
  fi
}

# start_cc ORG NAME PKGID: (re)starts ORG's server of NAME unless it already serves PKGID.
start_cc() {
  local org=$1 name=$2 pkgid=$3 proc="cc-$2-$1" d="$NETDIR/ccaas/$1/tls" port
  port=$(cc_port "$org")
  if alive "$proc" && [ "$(cat "$(pid_file "$proc").pkg" 2>/dev/null)" = "$pkgid" ]; then return; fi
  stop_proc "$proc"
  port_in_use "$port" && die "$proc cannot start: its port 127.0.0.1:$port (the $name server of $org) is in use by a process this network did not record (see: ss -ltnp 'sport = :$port')"
  (
    export CHAINCODE_SERVER_ADDRESS="127.0.0.1:$port" CORE_CHAINCODE_ID_NAME="$pkgid"
    export CORE_PEER_TLS_ENABLED=true CORE_TLS_CLIENT_KEY_FILE="$d/$name.key" CORE_TLS_CLIENT_CERT_FILE="$d/$name.crt"
    # On our own network the server also checks the peer's client certificate against the org's TLS CA.
    if [ "$T_MODE" = own ]; then export CORE_PEER_TLS_ROOTCERT_FILE; CORE_PEER_TLS_ROOTCERT_FILE=$(org_tlsca "$org"); fi
    start_proc "$proc" "$NETDIR/bin/$name-cc"
  )
  echo "$pkgid" >"$(pid_file "$proc").pkg"
  wait_node "$proc" "the $name server of $org on port $port" 20 port_in_use "$port"
}

# start_cc_recorded NAME ORG: starts ORG's server of NAME again, with the package id it last served
# (kept in its pid folder), on the network deploy last put it on.
start_cc_recorded() {
  local name=$1 org=$2 proc="cc-$1-$2" pkg dir="$NETDIR/profiles"
  pkg=$(cat "$(pid_file "$proc").pkg" 2>/dev/null) ||
    die "no package id recorded for $proc; run 'network.sh deploy $name'"
  load_cc_conf "$name"
  [ -x "$NETDIR/bin/$name-cc" ] || die "no $name server binary in $NETDIR/bin; run 'network.sh deploy $name'"
  [ -f "$NETDIR/target" ] && dir=$(cat "$NETDIR/target")
  load_target "$dir"
  start_cc "$org" "$name" "$pkg"
}

# cc_server_port NAME: the port the chaincode server NAME (cc-CHAINCODE-ORG) listens on, from the
# connection file deploy wrote for our own network (empty on a target).
cc_server_port() {
  local rest=${1#cc-} f
  f="$NETDIR/ccaas/${rest##*-}/${rest%-*}.json"
  [ -f "$f" ] && jq -r '.address // empty' "$f" | sed 's/.*://'
}

committed_field() { # NAME FIELD
  (target_env "${T_ORGS[0]}"; "$BIN/peer" lifecycle chaincode querycommitted -C "$T_CHANNEL" -n "$1" -O json 2>/dev/null) |
    jq -r ".$2 // empty" 2>/dev/null || true
}

cc_answers() { # ORG NAME: the contract answers its metadata query on ORG's peer
  (target_env "$1"; "$BIN/peer" chaincode query -C "$T_CHANNEL" -n "$2" -c '{"Args":["org.hyperledger.fabric:GetMetadata"]}' >/dev/null 2>&1)
}

# deploy_cc NAME: the whole lifecycle of NAME on the loaded target. A chaincode whose binary,
# policy and collections are unchanged is left as committed (its servers are restarted if down); a
# changed one is approved and committed at the next sequence and its servers restarted.
deploy_cc() {
  local name=$1 org policy colls build version seq cur
  load_cc_conf "$name"
  policy=$(policy_expr)
  colls=$(collections_json)
  build=$(build_cc "$name")
  local pflags=() cflags=() oargs
  mapfile -t oargs < <(target_orderer_args)
  [ -n "$policy" ] && pflags=(--signature-policy "$policy")
  mkdir -p "$NETDIR/packages/$name"
  if [ -n "$colls" ]; then
    echo "$colls" >"$NETDIR/packages/$name/collections.json"
    cflags=(--collections-config "$NETDIR/packages/$name/collections.json")
  fi
  version=$(printf '%s\n%s\n%s\n' "$build" "$policy" "$colls" | sha256sum | cut -c1-12)

  declare -A pkgid=()
  local shared=""
  if [ "$T_MODE" = own ]; then
    # One package for every org: the builder fills in each org's address and TLS from HL_CCAAS_DIR.
    shared=$(make_package "$NETDIR/packages/$name/all" "${name}_$build" "{\"chaincode\":\"$name\",\"build\":\"$build\"}")
  fi
  for org in "${T_ORGS[@]}"; do
    cc_tls "$org" "$name"
    if [ "$T_MODE" = own ]; then
      mkdir -p "$NETDIR/ccaas/$org"
      cc_connection "$org" "$name" >"$NETDIR/ccaas/$org/$name.json"
      pkgid[$org]=$shared
      cp "$NETDIR/packages/$name/all/package.tgz" "$NETDIR/packages/$name/$org.tgz"
    else
      # A standard ccaas package per org, whose connection.json names that org's server.
      pkgid[$org]=$(make_package "$NETDIR/packages/$name/$org" "${name}_${build}_$org" "$(cc_connection "$org" "$name")")
      cp "$NETDIR/packages/$name/$org/package.tgz" "$NETDIR/packages/$name/$org.tgz"
    fi
    start_cc "$org" "$name" "${pkgid[$org]}"
    if ! (target_env "$org"; "$BIN/peer" lifecycle chaincode queryinstalled -O json 2>/dev/null) |
      jq -e --arg id "${pkgid[$org]}" '.installed_chaincodes // [] | map(.package_id) | index($id)' >/dev/null; then
      (target_env "$org"; "$BIN/peer" lifecycle chaincode install "$NETDIR/packages/$name/$org.tgz" >>"$(log_file peer-cli)" 2>&1) ||
        die "installing $name on $org failed; read $(log_file peer-cli)"
    fi
  done

  cur=$(committed_field "$name" version)
  if [ "$cur" = "$version" ]; then
    log "chaincode $name: definition $version already committed"
  else
    seq=$(committed_field "$name" sequence); seq=$(( ${seq:-0} + 1 ))
    for org in "${T_ORGS[@]}"; do
      if (target_env "$org"; "$BIN/peer" lifecycle chaincode queryapproved -C "$T_CHANNEL" -n "$name" --sequence "$seq" -O json 2>/dev/null) |
        jq -e --arg v "$version" --arg id "${pkgid[$org]}" '.version == $v and .source.Type.LocalPackage.package_id == $id' >/dev/null 2>&1; then
        continue
      fi
      (target_env "$org"; "$BIN/peer" lifecycle chaincode approveformyorg "${oargs[@]}" -C "$T_CHANNEL" -n "$name" \
        --version "$version" --package-id "${pkgid[$org]}" --sequence "$seq" "${pflags[@]}" "${cflags[@]}" \
        --waitForEventTimeout 60s >>"$(log_file peer-cli)" 2>&1) ||
        die "approving $name for $org failed; read $(log_file peer-cli)"
    done
    local peers=()
    for org in "${T_ORGS[@]}"; do
      peers+=(--peerAddresses "${T_PEER_ADDR[$org]}" --tlsRootCertFiles "${T_PEER_TLSCA[$org]}")
    done
    (target_env "${T_ORGS[0]}"; "$BIN/peer" lifecycle chaincode commit "${oargs[@]}" -C "$T_CHANNEL" -n "$name" \
      --version "$version" --sequence "$seq" "${pflags[@]}" "${cflags[@]}" "${peers[@]}" \
      --waitForEventTimeout 60s >>"$(log_file peer-cli)" 2>&1) ||
      die "committing $name failed; read $(log_file peer-cli)"
    log "chaincode $name: sequence $seq committed (policy ${policy:-MAJORITY Endorsement}${colls:+, collections $(jq -r 'map(.name)|join(",")' <<<"$colls")})"
  fi
  for org in "${T_ORGS[@]}"; do
    wait_for "chaincode $name to answer on the peer of $org" 60 "$(log_file "cc-$name-$org")" cc_answers "$org" "$name"
  done
  ensure_consortium "$name"
}
