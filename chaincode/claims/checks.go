package claims

import (
	"strings"

	"github.com/healthledger/healthledger/chaincode/claims/claimstypes"
	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/consent/consenttypes"
	"github.com/healthledger/healthledger/chaincode/internal/ccutil"
	"github.com/healthledger/healthledger/chaincode/internal/txstate"
	"github.com/healthledger/healthledger/chaincode/provenance/provenancetypes"
)

// readDetails reads, normalizes and validates the transient claim details.
func readDetails(ctx txstate.Context, claimType claimstypes.ClaimType, today string) (claimstypes.ClaimDetails, error) {
	var d claimstypes.ClaimDetails
	if err := ccutil.TransientJSON(ctx, claimstypes.TransientClaim, "the transient claim details", &d); err != nil {
		return claimstypes.ClaimDetails{}, err
	}
	if err := d.CheckSize(); err != nil {
		return claimstypes.ClaimDetails{}, err
	}
	d = d.Normalized()
	if err := d.Validate(claimType, today); err != nil {
		return claimstypes.ClaimDetails{}, err
	}
	return d, nil
}

// checkConsent asks the consent chaincode whether the patient permits disclose of class Claim to the
// insurer's organisation for payment (HPAYMT), now.
func checkConsent(ctx txstate.Context, patient, insurerMSP string) error {
	grantee := consenttypes.Grantee{MSPID: insurerMSP}.String()
	var d consenttypes.Decision
	args := []string{patient, grantee, string(consenttypes.ActionDisclose), string(consenttypes.PurposePayment), string(consenttypes.ClassClaim)}
	if err := ccutil.InvokeJSON(ctx, ConsentChaincode, "CheckAccess", args, &d); err != nil {
		return relay(err, codes.Of(err), "checking the consent of patient %s", patient)
	}
	if !d.Permitted() {
		reason := d.Reason
		if reason == "" {
			reason = "denied"
		}
		return codes.New(codes.Forbidden, "no consent for %s of %s to %s for %s: %s", consenttypes.ActionDisclose, consenttypes.ClassClaim, insurerMSP, consenttypes.PurposePayment, reason)
	}
	return nil
}

// checkUnits asks the provenance chaincode about every unit the drug lines name: it must be dispensed,
// by the caller's pharmacy (MSP id and GLN), and not recalled. The units come from the private
// details, so the messages name the line, never the unit, and do not relay provenance's own message
// (which names the unit it was asked about).
func checkUnits(ctx txstate.Context, caller ccutil.Caller, d claimstypes.ClaimDetails) error {
	for i, l := range d.Lines {
		if l.Unit == nil {
			continue
		}
		var u provenancetypes.Unit
		if err := ccutil.InvokeJSON(ctx, ProvenanceChaincode, "GetUnit", []string{l.Unit.GTIN, l.Unit.Serial}, &u); err != nil {
			code := codes.Of(err)
			switch code {
			case codes.NotFound:
				return codes.Wrap(codes.PreconditionFailed, err, "line %d: its unit is unknown to provenance", i+1)
			case "":
				code = codes.Internal
			}
			return codes.Wrap(code, err, "line %d: asking provenance about its unit failed with %s", i+1, codes.Of(err))
		}
		if u.Status != provenancetypes.UnitDispensed {
			return codes.New(codes.PreconditionFailed, "line %d: its unit is %s, not dispensed", i+1, u.Status)
		}
		if u.DispensedBy == nil || u.DispensedBy.MSPID != caller.MSPID || u.DispensedBy.GLN != caller.Subject {
			by := "nobody"
			if u.DispensedBy != nil {
				by = u.DispensedBy.String()
			}
			return codes.New(codes.Forbidden, "line %d: its unit was dispensed by %s, not by pharmacy %s@%s", i+1, by, caller.Subject, caller.MSPID)
		}
		if u.Recalled {
			return codes.New(codes.PreconditionFailed, "line %d: its unit is recalled", i+1)
		}
	}
	return nil
}

// relay reports the failure err of a call to another chaincode as code, with the context given by
// format and args, followed by the called chaincode's own message. A failure without a stable code is
// INTERNAL.
func relay(err error, code codes.Code, format string, args ...any) error {
	if code == "" {
		code = codes.Internal
	}
	msg := strings.TrimPrefix(err.Error(), string(codes.Of(err))+": ")
	return codes.Wrap(code, err, format+": %s", append(args, msg)...)
}

func unitFingerprints(pepper []byte, d claimstypes.ClaimDetails) []string {
	out := []string{}
	for _, l := range d.Lines {
		if l.Unit != nil {
			out = append(out, unitFingerprint(pepper, *l.Unit))
		}
	}
	return out
}

// checkDuplicates refuses a claim whose fingerprint, or one of whose units, a live claim other than
// self (and other than released, the original a replacement retires) already holds.
func checkDuplicates(st *store, fp string, unitFPs []string, d claimstypes.ClaimDetails, self, released string) error {
	holder, err := st.indexHolder(objClaimFP, fp)
	if err != nil {
		return err
	}
	if holder != "" && holder != self && holder != released {
		return codes.New(codes.Duplicate, "claim %s duplicates claim %s (same provider, patient, services, dates and charges); send a replacement (frequency 7) naming it instead", self, holder)
	}
	lines := []int{} // the line of each unit fingerprint
	for i, l := range d.Lines {
		if l.Unit != nil {
			lines = append(lines, i+1)
		}
	}
	for i, ufp := range unitFPs {
		holder, err := st.indexHolder(objUnitFP, ufp)
		if err != nil {
			return err
		}
		if holder != "" && holder != self && holder != released {
			return codes.New(codes.Duplicate, "the unit of line %d is already claimed by claim %s", lines[i], holder)
		}
	}
	return nil
}

// holdSubmission puts the claim's fingerprint and units in the duplicate indexes.
func holdSubmission(st *store, cs *claimState, unitFPs []string) error {
	if err := st.holdIndex(objClaimFP, cs.Fingerprint, cs.Record.ClaimID); err != nil {
		return err
	}
	for _, ufp := range unitFPs {
		if err := st.holdIndex(objUnitFP, ufp, cs.Record.ClaimID); err != nil {
			return err
		}
	}
	cs.UnitFPs = unitFPs
	return nil
}
