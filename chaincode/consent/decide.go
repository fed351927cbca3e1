package consent

import (
	"time"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/consent/consenttypes"
	"github.com/healthledger/healthledger/chaincode/internal/ccutil"
	"github.com/healthledger/healthledger/chaincode/internal/txstate"
	"github.com/healthledger/healthledger/chaincode/wire"
)

// CheckAccess answers whether grantee may do action for purpose on dataClass of patient at the
// transaction's time: permit or deny, the consents that decided it and why. Deny overrides permit; a
// consent outside its period does not count; ETREAT needs a consent that names it. It reads only the
// patient's active consents for the grantee's organisation (at most MaxActivePerGrantee), so it costs
// the same whatever else the ledger holds.
//
// Callers (docs/consent.md, "Who may ask CheckAccess"): the patient, a delegate, an auditor, a
// non-patient caller that the grantee covers (a grantee asking about itself), and a provider or
// pharmacist asking whether it may disclose (action disclose: a data holder deciding a disclosure, as
// the claims chaincode asks for every claim); each answer of that last kind is logged on the chaincode
// server. Others get FORBIDDEN, decided before any consent is read.
func (s *Contract) CheckAccess(ctx txstate.Context, patient, grantee, action, purpose, dataClass string) (*consenttypes.Decision, error) {
	caller, err := callerOf(ctx, "CheckAccess")
	if err != nil {
		return nil, err
	}
	req, err := parseRequest(patient, grantee, action, purpose, dataClass)
	if err != nil {
		return nil, err
	}
	logged, err := s.authorizeCheck(ctx, caller, req)
	if err != nil {
		return nil, err
	}
	now, err := ccutil.TxTime(ctx)
	if err != nil {
		return nil, err
	}
	consents, err := activeConsents(ctx, req.Patient, req.Grantee.MSPID)
	if err != nil {
		return nil, err
	}
	d := consenttypes.Decide(consents, req, now)
	if logged {
		s.logDecision(ctx, caller, req, d)
	}
	return &d, nil
}

func parseRequest(patient, grantee, action, purpose, dataClass string) (consenttypes.Request, error) {
	if err := wire.CheckID("patient", patient); err != nil {
		return consenttypes.Request{}, err
	}
	g, err := consenttypes.ParseGrantee(grantee)
	if err != nil {
		return consenttypes.Request{}, err
	}
	a, err := consenttypes.CheckAction(action)
	if err != nil {
		return consenttypes.Request{}, err
	}
	p, err := consenttypes.CheckPurpose(purpose)
	if err != nil {
		return consenttypes.Request{}, err
	}
	k, err := consenttypes.CheckDataClass(dataClass)
	if err != nil {
		return consenttypes.Request{}, err
	}
	return consenttypes.Request{Patient: patient, Grantee: g, Action: a, Purpose: p, Class: k}, nil
}

// authorizeCheck returns FORBIDDEN unless the caller may ask CheckAccess this question, and whether
// the answer is to be logged (a data holder asking about a disclosure to another grantee).
func (s *Contract) authorizeCheck(ctx txstate.Context, caller ccutil.Caller, req consenttypes.Request) (bool, error) {
	switch {
	case caller.Is(wire.RoleAuditor):
		return false, nil
	case caller.Role != wire.RolePatient && req.Grantee.Covers(granteeOf(caller)):
		return false, nil // the grantee asking about itself
	}
	rel, _, err := s.relationTo(ctx, caller, req.Patient, "CheckAccess")
	if err != nil {
		return false, err
	}
	if rel != relNone {
		return false, nil
	}
	if caller.Is(wire.RoleProvider, wire.RolePharmacist) && req.Action == consenttypes.ActionDisclose {
		return true, nil
	}
	return false, codes.New(codes.Forbidden, "CheckAccess: %s may ask only about itself as the grantee, or as a provider or pharmacist about a disclosure; "+
		"the patient, a delegate or an auditor may ask anything", partyOf(caller))
}

// activeConsents reads the patient's active consents for one grantee organisation: one bounded range
// read of the decision index. It is not paginated, so a transaction that then writes (RecordAccess,
// RegisterRecord) may use it, and Fabric's phantom-read check invalidates that transaction when a
// consent of the range changes before it commits.
func activeConsents(ctx txstate.Context, patient, mspID string) ([]consenttypes.Consent, error) {
	iter, err := ctx.GetStub().GetStateByPartialCompositeKey(objConsentByPatGrOrg, []string{patient, mspID})
	if err != nil {
		return nil, codes.New(codes.Internal, "reading the consents of %s for %s: %v", patient, mspID, err)
	}
	defer iter.Close()
	out := []consenttypes.Consent{}
	for iter.HasNext() {
		kv, err := iter.Next()
		if err != nil {
			return nil, codes.New(codes.Internal, "reading the consents of %s for %s: %v", patient, mspID, err)
		}
		c, err := ccutil.DecodeJSON[consenttypes.Consent](kv.GetKey(), kv.GetValue())
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// decideAnyPurpose answers whether some purpose permits action on class for grantee: the first purpose,
// in canonical order, whose decision is permit, with that decision. When none permits it reports the
// TREAT decision and an empty purpose.
func decideAnyPurpose(consents []consenttypes.Consent, patient string, g consenttypes.Grantee, action consenttypes.Action, class consenttypes.DataClass, now time.Time) (consenttypes.Decision, consenttypes.Purpose) {
	var first consenttypes.Decision
	for i, p := range consenttypes.Purposes() {
		d := consenttypes.Decide(consents, consenttypes.Request{Patient: patient, Grantee: g, Action: action, Purpose: p, Class: class}, now)
		if d.Permitted() {
			return d, p
		}
		if i == 0 {
			first = d
		}
	}
	first.Reason = "no purpose of use permits it (for " + string(consenttypes.PurposeTreatment) + ": " + first.Reason + ")"
	return first, ""
}
