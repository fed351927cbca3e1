#!/usr/bin/env bash
# logkeeper.sh DIR MAX_BYTES KEEP INTERVAL_SECONDS
#
# Keeps every *.log in DIR under MAX_BYTES, checking every INTERVAL_SECONDS: a log over the cap is
# copied to NAME.log.1 (the older copies move up to NAME.log.KEEP; the oldest is dropped) and cut to
# nothing. The nodes opened their logs for appending (network.sh starts them with >>), so each goes
# on writing at the new end of its file: nothing is restarted. A line written between the copy and
# the cut is lost; nothing else is. KEEP 0 keeps no copy.
#
# network.sh up starts it as the process "logkeeper" (HL_LOG_MAX_MB, HL_LOG_KEEP,
# HL_LOG_CHECK_SECONDS) and down stops it by its PID, like every node. docs/operators.md, "Logs".
set -euo pipefail

usage() { echo "usage: logkeeper.sh DIR MAX_BYTES KEEP INTERVAL_SECONDS" >&2; exit 2; }
[ $# -eq 4 ] || usage
dir=$1 max=$2 keep=$3 interval=$4
[ -d "$dir" ] || { echo "logkeeper: $dir is not a folder" >&2; exit 2; }
[[ $max =~ ^[1-9][0-9]*$ ]] || { echo "logkeeper: MAX_BYTES must be a positive whole number, not '$max'" >&2; exit 2; }
[[ $keep =~ ^[0-9]+$ ]] && [ "$keep" -le 100 ] || { echo "logkeeper: KEEP must be 0 to 100, not '$keep'" >&2; exit 2; }
[[ $interval =~ ^[1-9][0-9]*$ ]] || { echo "logkeeper: INTERVAL_SECONDS must be a positive whole number, not '$interval'" >&2; exit 2; }

sleeper=""
# TERM (down) ends the loop at once, and the sleep with it: nothing is left behind.
trap '[ -z "$sleeper" ] || kill "$sleeper" 2>/dev/null || true; exit 0' TERM INT

# rotate FILE SIZE: FILE.1..FILE.KEEP shift up one, FILE is copied to FILE.1 and cut.
rotate() {
  local f=$1 size=$2 i
  for ((i = keep - 1; i >= 1; i--)); do
    if [ -f "$f.$i" ]; then mv -f "$f.$i" "$f.$((i + 1))"; fi
  done
  local copy=""
  if [ "$keep" -gt 0 ]; then
    cp "$f" "$f.1"
    copy=", the copy is ${f##*/}.1"
  fi
  : >"$f"
  echo "$(date -u +%FT%TZ) ${f##*/}: $size bytes, over $max; cut$copy"
}

echo "$(date -u +%FT%TZ) keeping every log in $dir under $max bytes ($keep copies), checked every ${interval}s"
while :; do
  for f in "$dir"/*.log; do
    [ -f "$f" ] || continue
    size=$(stat -c %s "$f" 2>/dev/null) || continue
    if [ "$size" -gt "$max" ]; then
      rotate "$f" "$size" || echo "$(date -u +%FT%TZ) ${f##*/}: could not rotate it; will try again" >&2
    fi
  done
  sleep "$interval" &
  sleeper=$!
  wait "$sleeper" || true
  sleeper=""
done
