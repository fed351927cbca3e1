package provenancetypes

// Counter states: the answer of [VerifyResult.SafeToDispense], what a pharmacy counter does with a
// scanned unit. Every Verify result is one, with the same name; two more exist only at the counter.
const (
	// CounterSuspect is a unit that Verify found verified, dispensed or expired while it or its batch
	// is flagged suspect (a suspected counterfeit or diversion; see FlagSuspect and the double
	// dispense reports).
	CounterSuspect = "suspect"
	// CounterUnrecognized is a Verify result this version does not know (or an empty one): it is
	// never safe.
	CounterUnrecognized = "unrecognized"
)

// CounterStates lists every state SafeToDispense answers, in order of precedence; the one safe
// state, VerifyVerified, is last.
func CounterStates() []string {
	return []string{VerifyUnknownSerial, VerifyLotMismatch, VerifyExpiryMismatch, VerifyRecalled,
		VerifyDecommissioned, VerifyQuarantined, VerifyExcursion, CounterSuspect, VerifyDispensed,
		VerifyExpired, CounterUnrecognized, VerifyVerified}
}

// SafeToDispense answers the pharmacy counter's question for a Verify answer: may this unit be
// handed to a patient? Only a unit that Verify found verified and that is not flagged suspect (by its
// own flag or its batch's) is safe; state is then VerifyVerified. Otherwise state says why not: the
// Verify result, except that a suspect unit whose result is verified, dispensed or expired is
// CounterSuspect (a suspected counterfeit calls for quarantine and investigation, more than a
// dispensed or an expired unit does; the identity mismatches, recalls, decommissioning, quarantine
// and excursions already stop the unit and keep their own state). A result this version does not
// know, an empty one, or a nil answer is CounterUnrecognized. This is the one place the answer is
// computed: hlctl's `provenance verify --strict`, the demo and hlbench use it.
func (r *VerifyResult) SafeToDispense() (safe bool, state string) {
	if r == nil {
		return false, CounterUnrecognized
	}
	switch r.Result {
	case VerifyVerified, VerifyDispensed, VerifyExpired:
		if r.Suspect {
			return false, CounterSuspect
		}
		return r.Result == VerifyVerified, r.Result
	case VerifyUnknownSerial, VerifyLotMismatch, VerifyExpiryMismatch, VerifyRecalled,
		VerifyDecommissioned, VerifyQuarantined, VerifyExcursion:
		return false, r.Result
	}
	return false, CounterUnrecognized
}
