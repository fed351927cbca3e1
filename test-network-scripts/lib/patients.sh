# shellcheck shell=bash
# Patient registration (issue 14): a patient writes nothing in the consent chaincode before binding
# their id to their certificate's key with RegisterPatient. Sourced by network.sh after lib/common.sh
# and lib/identities.sh (it needs NETDIR, IDENTITIES, log, die, log_file and hlctl_bin).

# register_patients: registers every patient identity of the layout (IDENTITIES lines
# "name org role subject" with role patient) through hlctl, as that patient. A patient already
# registered with the same key is fine (hlctl exits non-zero with DUPLICATE, which is ignored); any
# other failure stops with the hlctl log's path. Call it once the consent chaincode is deployed and the
# profiles are written (after deploy in `up`, and in `deploy` after an upgrade).
register_patients() {
  local hlctl line name iorg role subject out n=0
  hlctl=$(hlctl_bin)
  for line in "${IDENTITIES[@]}"; do
    read -r name iorg role subject <<<"$line"
    [ "$role" = patient ] || continue
    if ! out=$(HEALTHLEDGER_NETWORK="$NETDIR/profiles" "$hlctl" --identity "$name" consent register-patient 2>&1); then
      printf '%s\n' "$out" >>"$(log_file hlctl)"
      case "$out" in
        *DUPLICATE*|*"already registered with this key"*) ;;
        *) die "registering patient $name ($subject) failed; read $(log_file hlctl)" ;;
      esac
    fi
    n=$((n + 1))
  done
  log "registered $n patient(s) in the consent chaincode"
}
