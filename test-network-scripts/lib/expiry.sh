# When the network's certificates expire, for network.sh status: node, TLS, CA, admin and wallet
# certificates, the soonest few, and a warning for those due within HL_CERT_WARN_DAYS (default 30).
# Sourced by network.sh.
# shellcheck shell=bash

# cert_warn_days: HL_CERT_WARN_DAYS checked (a whole number of days, 0 to 3650), or a usage error.
cert_warn_days() {
  local d=${HL_CERT_WARN_DAYS:-30}
  [[ "$d" =~ ^[0-9]{1,4}$ ]] && [ "$((10#$d))" -le 3650 ] ||
    usage_die "HL_CERT_WARN_DAYS must be a whole number of days from 0 to 3650, not '$d'"
  echo "$((10#$d))"
}

# cert_files: the certificates of the state folder as "KIND NAME FILE" lines. KIND is node, tls, ca,
# tlsca, admin, admin-tls or wallet; NAME the node, org or identity.
cert_files() {
  local f d
  for f in "$NETDIR"/crypto/*Organizations/*/{peers,orderers}/*/msp/signcerts/*.pem; do
    [ -f "$f" ] || continue; d=${f%/msp/signcerts/*}; echo "node ${d##*/} $f"
  done
  for f in "$NETDIR"/crypto/*Organizations/*/{peers,orderers}/*/tls/server.crt; do
    [ -f "$f" ] || continue; d=${f%/tls/server.crt}; echo "tls ${d##*/} $f"
  done
  for f in "$NETDIR"/crypto/*Organizations/*/ca/*-cert.pem; do
    [ -f "$f" ] || continue; d=${f%/ca/*}; echo "ca ${d##*/} $f"
  done
  for f in "$NETDIR"/crypto/*Organizations/*/tlsca/*-cert.pem; do
    [ -f "$f" ] || continue; d=${f%/tlsca/*}; echo "tlsca ${d##*/} $f"
  done
  for f in "$NETDIR"/crypto/*Organizations/*/users/*/msp/signcerts/*.pem; do
    [ -f "$f" ] || continue; d=${f%/msp/signcerts/*}; echo "admin ${d##*/} $f"
  done
  for f in "$NETDIR"/crypto/*Organizations/*/users/*/tls/client.crt; do
    [ -f "$f" ] || continue; d=${f%/tls/client.crt}; echo "admin-tls ${d##*/} $f"
  done
  for f in "$NETDIR"/wallet/*/signcerts/cert.pem; do
    [ -f "$f" ] || continue; d=${f%/signcerts/cert.pem}; echo "wallet ${d##*/} $f"
  done
}

# cert_expiries: "NOT_AFTER_EPOCH KIND NAME" for each certificate of cert_files; one that cannot be
# read gets NOT_AFTER 0 and the kind unreadable:KIND. One openssl per certificate, one date for all.
cert_expiries() {
  local kind name f end i=0
  local -a meta=() ends=() epochs=()
  while read -r kind name f; do
    if end=$(openssl x509 -in "$f" -noout -enddate 2>/dev/null) && [ -n "${end#notAfter=}" ]; then
      meta+=("$kind $name"); ends+=("${end#notAfter=}")
    else
      meta+=("unreadable:$kind $name"); ends+=("@0")
    fi
  done < <(cert_files)
  [ "${#meta[@]}" -gt 0 ] || return 0
  mapfile -t epochs < <(printf '%s\n' "${ends[@]}" | date -f - +%s 2>/dev/null || true)
  for i in "${!meta[@]}"; do
    if [ "${#epochs[@]}" -eq "${#meta[@]}" ] && [[ "${epochs[$i]}" =~ ^[0-9]+$ ]]; then
      echo "${epochs[$i]} ${meta[$i]}"
    else
      echo "0 unreadable:${meta[$i]#unreadable:}"
    fi
  done
}

# expiry_report NOW WARN_DAYS SHOW: from "NOT_AFTER_EPOCH KIND NAME" lines on stdin, the count, the
# SHOW soonest to expire, and a warning line for each one expired or due within WARN_DAYS of NOW.
expiry_report() {
  local now=$1 warn=$2 show=$3 n=0 due=0 epoch kind name left when
  local -a rows=() warnings=()
  while read -r epoch kind name; do
    [ -n "$epoch" ] || continue
    n=$((n + 1))
    if [ "$epoch" -le 0 ]; then
      warnings+=("  warning: the certificate of $name (${kind#unreadable:}) cannot be read")
      continue
    fi
    left=$(( (epoch - now) / 86400 ))
    [ "$epoch" -lt "$now" ] && left=$(( -((now - epoch + 86399) / 86400) ))
    when=$(date -u -d "@$epoch" +%Y-%m-%d)
    rows+=("$epoch $when $left $kind $name")
    if [ "$epoch" -le "$now" ]; then
      due=$((due + 1)); warnings+=("  warning: EXPIRED on $when: $kind certificate of $name")
    elif [ "$epoch" -le $((now + warn * 86400)) ]; then
      due=$((due + 1)); warnings+=("  warning: expires in $left days ($when): $kind certificate of $name")
    fi
  done
  if [ "$n" = 0 ]; then
    echo "  certificates: none found in $NETDIR"
    return 0
  fi
  echo "  certificates: $n; $due expired or due within $warn days (HL_CERT_WARN_DAYS); the soonest to expire:"
  printf '%s\n' "${rows[@]+"${rows[@]}"}" | sort -n | head -n "$show" |
    while read -r epoch when left kind name; do printf '    %s  %5s d  %-9s %s\n' "$when" "$left" "$kind" "$name"; done
  [ "${#warnings[@]}" = 0 ] || printf '%s\n' "${warnings[@]}"
}
