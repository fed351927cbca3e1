package claims

import (
	"time"

	"github.com/healthledger/healthledger/chaincode/claims/claimstypes"
	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/consent/consenttypes"
	"github.com/healthledger/healthledger/chaincode/internal/ccutil"
	"github.com/healthledger/healthledger/chaincode/provenance/provenancetypes"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
)

// SubmitClaim accepts a claim: claimJSON is the public ClaimSubmission (id, patient, coverage,
// frequency code, original claim), and the transient field "claim" holds the ClaimDetails (diagnoses,
// service lines, total, nonce). A provider submits professional claims, a pharmacist pharmacy claims.
//
// The provider is the caller; the insurer is the coverage's. The claim is accepted only when the
// coverage belongs to the patient, the patient's consent permits disclose of class Claim to the
// insurer's organisation for HPAYMT (FORBIDDEN otherwise), every drug line names a unit provenance
// recorded as dispensed by this pharmacy and not recalled, and it is not a duplicate of a live claim
// (DUPLICATE, naming it). A replacement (frequency 7) or void (8) names its original instead: the
// original becomes replaced or voided, and a void claim is recorded closed.
//
// The same id again with the same content returns DUPLICATE; with other content CONFLICT. The answer
// is the public header only: a submit's answer is written into the block.
func (c *Contract) SubmitClaim(ctx contractapi.TransactionContextInterface, claimJSON string) (*claimstypes.ClaimHeader, error) {
	caller, err := ccutil.RequireRole(ctx, "SubmitClaim", ccutil.RoleProvider, ccutil.RolePharmacist)
	if err != nil {
		return nil, err
	}
	var sub claimstypes.ClaimSubmission
	if err := claimstypes.DecodeStrict("the claim header", []byte(claimJSON), &sub); err != nil {
		return nil, err
	}
	sub = sub.Normalized()
	if err := sub.Validate(); err != nil {
		return nil, err
	}
	if (sub.ProviderMSP != "" && sub.ProviderMSP != caller.MSPID) || (sub.Provider != "" && sub.Provider != caller.Subject) {
		return nil, codes.New(codes.Forbidden, "SubmitClaim: %s cannot submit for provider %s of %s", who(caller), sub.Provider, sub.ProviderMSP)
	}
	claimType := claimstypes.ClaimProfessional
	if caller.Is(ccutil.RolePharmacist) {
		claimType = claimstypes.ClaimPharmacy
	}
	now, err := ccutil.TxTime(ctx)
	if err != nil {
		return nil, err
	}
	details, err := readDetails(ctx, claimType, now.Format(claimstypes.DateLayout))
	if err != nil {
		return nil, err
	}

	st := newStore(ctx)
	cov, err := st.loadCoverage(sub.CoverageID)
	if err != nil {
		return nil, err
	}
	if cov.Member != sub.Patient {
		return nil, codes.New(codes.InvalidArgument, "coverage %s does not cover patient %s", cov.ID, sub.Patient)
	}
	if (sub.InsurerMSP != "" && sub.InsurerMSP != cov.InsurerMSP) || (sub.Insurer != "" && sub.Insurer != cov.Insurer) {
		return nil, codes.New(codes.InvalidArgument, "coverage %s is held with insurer %s of %s, not %s of %s", cov.ID, cov.Insurer, cov.InsurerMSP, sub.Insurer, sub.InsurerMSP)
	}
	pepper, err := st.pepper()
	if err != nil {
		return nil, err
	}
	fp := claimFingerprint(pepper, caller.MSPID, caller.Subject, sub.Patient, details)

	h := &claimstypes.ClaimHeader{
		ID:              sub.ID,
		ClaimType:       claimType,
		ProviderMSP:     caller.MSPID,
		Provider:        caller.Subject,
		Patient:         sub.Patient,
		InsurerMSP:      cov.InsurerMSP,
		Insurer:         cov.Insurer,
		CoverageID:      cov.ID,
		Status:          claimstypes.StatusSubmitted,
		FrequencyCode:   sub.FrequencyCode,
		OriginalClaimID: sub.OriginalClaimID,
		DetailsHash:     claimstypes.HashDetails(details),
		SubmittedAt:     now,
		UpdatedAt:       now,
	}
	if sub.FrequencyCode == claimstypes.FrequencyVoid {
		h.Status = claimstypes.StatusClosed
	}
	if existing, err := st.loadClaim(sub.ID); err == nil {
		return nil, sameClaim(st, existing, h, fp)
	} else if !isCode(err, codes.NotFound) {
		return nil, err
	}

	var orig *claimstypes.ClaimHeader
	if sub.FrequencyCode != claimstypes.FrequencyOriginal {
		if orig, err = checkOriginal(st, caller, h); err != nil {
			return nil, err
		}
	}
	if err := checkConsent(ctx, h.Patient, h.InsurerMSP); err != nil {
		return nil, err
	}
	if err := checkUnits(ctx, caller, details); err != nil {
		return nil, err
	}
	unitFPs := unitFingerprints(pepper, details)
	if sub.FrequencyCode != claimstypes.FrequencyVoid {
		released := ""
		if orig != nil {
			released = orig.ID
		}
		if err := checkDuplicates(st, fp, unitFPs, details, sub.ID, released); err != nil {
			return nil, err
		}
	}

	related := ""
	if orig != nil {
		if err := retireOriginal(st, orig, h, now); err != nil {
			return nil, err
		}
		related = orig.ID
	}
	cs := &claimState{
		Record:      claimstypes.ClaimRecord{ClaimID: h.ID, DetailsHash: h.DetailsHash, Details: details},
		Fingerprint: fp,
	}
	if sub.FrequencyCode != claimstypes.FrequencyVoid {
		if err := holdSubmission(st, cs, unitFPs); err != nil {
			return nil, err
		}
	}
	if err := st.saveClaim(nil, h); err != nil {
		return nil, err
	}
	if err := st.saveClaimState(cs); err != nil {
		return nil, err
	}
	if err := st.flush(); err != nil {
		return nil, err
	}
	if sub.FrequencyCode == claimstypes.FrequencyVoid {
		voided := *orig
		voided.Status, voided.UpdatedAt = claimstypes.StatusVoided, now
		return h, emitClaim(ctx, claimstypes.EventClaimVoided, &voided, h.ID)
	}
	return h, emitClaim(ctx, claimstypes.EventClaimSubmitted, h, related)
}

// sameClaim answers a submission whose id exists: DUPLICATE when it is the same claim again (same
// provider, patient, coverage, frequency, original and fingerprint), CONFLICT otherwise.
func sameClaim(st *store, existing, h *claimstypes.ClaimHeader, fp string) error {
	if existing.ProviderMSP == h.ProviderMSP && existing.Provider == h.Provider && existing.Patient == h.Patient &&
		existing.CoverageID == h.CoverageID && existing.FrequencyCode == h.FrequencyCode && existing.OriginalClaimID == h.OriginalClaimID {
		cs, err := st.loadClaimState(existing.ID)
		if err != nil {
			return err
		}
		if cs.Fingerprint == fp {
			return codes.New(codes.Duplicate, "claim %s was already submitted with this content", existing.ID)
		}
	}
	return codes.New(codes.Conflict, "claim id %s is already taken by another claim", existing.ID)
}

// checkOriginal loads and checks the original claim a replacement or void names.
func checkOriginal(st *store, caller ccutil.Caller, h *claimstypes.ClaimHeader) (*claimstypes.ClaimHeader, error) {
	orig, err := st.loadClaim(h.OriginalClaimID)
	if err != nil {
		if isCode(err, codes.NotFound) {
			return nil, codes.New(codes.NotFound, "original claim %s", h.OriginalClaimID)
		}
		return nil, err
	}
	action := "replace"
	allowed := []claimstypes.Status{claimstypes.StatusSubmitted, claimstypes.StatusPended, claimstypes.StatusResubmitted, claimstypes.StatusAdjudicated, claimstypes.StatusAppealed}
	if h.FrequencyCode == claimstypes.FrequencyVoid {
		action = "void"
		allowed = []claimstypes.Status{claimstypes.StatusSubmitted, claimstypes.StatusPended, claimstypes.StatusResubmitted}
	}
	if err := requireClaimProvider(caller, orig, action); err != nil {
		return nil, err
	}
	if orig.Patient != h.Patient || orig.InsurerMSP != h.InsurerMSP || orig.Insurer != h.Insurer {
		return nil, codes.New(codes.InvalidArgument, "claim %s is for patient %s with insurer %s of %s: a %s must keep the patient and the insurer", orig.ID, orig.Patient, orig.Insurer, orig.InsurerMSP, action)
	}
	if err := requireStatus(orig, action, allowed...); err != nil {
		return nil, err
	}
	return orig, nil
}

// retireOriginal marks the original of a replacement or void as replaced or voided, releases its
// duplicate-index keys and, for an adjudicated original, takes its contributions back out of the
// accumulators.
func retireOriginal(st *store, orig, h *claimstypes.ClaimHeader, now time.Time) error {
	cs, err := st.loadClaimState(orig.ID)
	if err != nil {
		return err
	}
	if err := st.releaseSubmission(cs); err != nil {
		return err
	}
	if cs.Record.Adjudication != nil {
		if err := st.releaseLines(cs); err != nil {
			return err
		}
		rec, err := st.loadCoverageRecord(orig.CoverageID)
		if err != nil {
			return err
		}
		rec.Accumulators = reverseAdjudication(rec.Accumulators, cs.Record.Adjudication)
		if err := st.saveCoverageRecord(rec); err != nil {
			return err
		}
	}
	next := *orig
	next.Status = claimstypes.StatusReplaced
	next.StatusReason = "replaced by claim " + h.ID
	if h.FrequencyCode == claimstypes.FrequencyVoid {
		next.Status = claimstypes.StatusVoided
		next.StatusReason = "voided by claim " + h.ID
	}
	next.RelatedClaimID = h.ID
	next.UpdatedAt = now
	if err := st.saveClaim(orig, &next); err != nil {
		return err
	}
	return st.saveClaimState(cs)
}

// Resubmit answers a pend: the claim's provider sends new details (transient field "claim"). The
// consent, the drug units and the duplicate checks run again on them.
func (c *Contract) Resubmit(ctx contractapi.TransactionContextInterface, claimID string) (*claimstypes.ClaimHeader, error) {
	caller, err := ccutil.RequireRole(ctx, "Resubmit", ccutil.RoleProvider, ccutil.RolePharmacist)
	if err != nil {
		return nil, err
	}
	if err := claimstypes.CheckID("claim id", claimID); err != nil {
		return nil, err
	}
	now, err := ccutil.TxTime(ctx)
	if err != nil {
		return nil, err
	}
	st := newStore(ctx)
	h, err := st.loadClaim(claimID)
	if err != nil {
		return nil, err
	}
	if err := requireClaimProvider(caller, h, "Resubmit"); err != nil {
		return nil, err
	}
	details, err := readDetails(ctx, h.ClaimType, now.Format(claimstypes.DateLayout))
	if err != nil {
		return nil, err
	}
	if err := requireStatus(h, "Resubmit", claimstypes.StatusPended); err != nil {
		return nil, err
	}
	if err := checkConsent(ctx, h.Patient, h.InsurerMSP); err != nil {
		return nil, err
	}
	if err := checkUnits(ctx, caller, details); err != nil {
		return nil, err
	}
	pepper, err := st.pepper()
	if err != nil {
		return nil, err
	}
	fp := claimFingerprint(pepper, h.ProviderMSP, h.Provider, h.Patient, details)
	unitFPs := unitFingerprints(pepper, details)
	if err := checkDuplicates(st, fp, unitFPs, details, h.ID, ""); err != nil {
		return nil, err
	}
	cs, err := st.loadClaimState(h.ID)
	if err != nil {
		return nil, err
	}
	if err := st.releaseSubmission(cs); err != nil {
		return nil, err
	}
	cs.Record.Details = details
	cs.Record.DetailsHash = claimstypes.HashDetails(details)
	cs.Fingerprint = fp
	if err := holdSubmission(st, cs, unitFPs); err != nil {
		return nil, err
	}
	next := *h
	next.Status = claimstypes.StatusResubmitted
	next.DetailsHash = cs.Record.DetailsHash
	next.StatusReason = ""
	next.UpdatedAt = now
	if err := st.saveClaim(h, &next); err != nil {
		return nil, err
	}
	if err := st.saveClaimState(cs); err != nil {
		return nil, err
	}
	if err := st.flush(); err != nil {
		return nil, err
	}
	return &next, emitClaim(ctx, claimstypes.EventClaimResubmitted, &next, "")
}

// readDetails reads, normalizes and validates the transient claim details.
func readDetails(ctx contractapi.TransactionContextInterface, claimType claimstypes.ClaimType, today string) (claimstypes.ClaimDetails, error) {
	raw, err := ccutil.Transient(ctx, claimstypes.TransientClaim)
	if err != nil {
		return claimstypes.ClaimDetails{}, err
	}
	var d claimstypes.ClaimDetails
	if err := claimstypes.DecodeStrict("the transient claim details", raw, &d); err != nil {
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
func checkConsent(ctx contractapi.TransactionContextInterface, patient, insurerMSP string) error {
	grantee := consenttypes.Grantee{MSPID: insurerMSP}.String()
	var d consenttypes.Decision
	args := []string{patient, grantee, string(consenttypes.ActionDisclose), string(consenttypes.PurposePayment), string(consenttypes.ClassClaim)}
	if err := ccutil.InvokeJSON(ctx, ConsentChaincode, "CheckAccess", args, &d); err != nil {
		ce := ccutil.AsCode(err)
		return codes.New(ce.Code, "checking the consent of patient %s: %s", patient, ce.Message)
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
// by the caller's pharmacy (MSP id and GLN), and not recalled.
func checkUnits(ctx contractapi.TransactionContextInterface, caller ccutil.Caller, d claimstypes.ClaimDetails) error {
	for i, l := range d.Lines {
		if l.Unit == nil {
			continue
		}
		var u provenancetypes.Unit
		if err := ccutil.InvokeJSON(ctx, ProvenanceChaincode, "GetUnit", []string{l.Unit.GTIN, l.Unit.Serial}, &u); err != nil {
			ce := ccutil.AsCode(err)
			if ce.Code == codes.NotFound {
				return codes.New(codes.PreconditionFailed, "line %d: unit %s is unknown to provenance: %s", i+1, unitString(l.Unit), ce.Message)
			}
			return codes.New(ce.Code, "line %d: asking provenance about unit %s: %s", i+1, unitString(l.Unit), ce.Message)
		}
		if u.Status != provenancetypes.UnitDispensed {
			return codes.New(codes.PreconditionFailed, "line %d: unit %s is %s, not dispensed", i+1, unitString(l.Unit), u.Status)
		}
		if u.DispensedBy == nil || u.DispensedBy.MSPID != caller.MSPID || u.DispensedBy.GLN != caller.Subject {
			by := "nobody"
			if u.DispensedBy != nil {
				by = u.DispensedBy.String()
			}
			return codes.New(codes.Forbidden, "line %d: unit %s was dispensed by %s, not by pharmacy %s@%s", i+1, unitString(l.Unit), by, caller.Subject, caller.MSPID)
		}
		if u.Recalled {
			return codes.New(codes.PreconditionFailed, "line %d: unit %s is recalled", i+1, unitString(l.Unit))
		}
	}
	return nil
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
	units := []*claimstypes.UnitRef{}
	for _, l := range d.Lines {
		if l.Unit != nil {
			units = append(units, l.Unit)
		}
	}
	for i, ufp := range unitFPs {
		holder, err := st.indexHolder(objUnitFP, ufp)
		if err != nil {
			return err
		}
		if holder != "" && holder != self && holder != released {
			return codes.New(codes.Duplicate, "unit %s is already claimed by claim %s", unitString(units[i]), holder)
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
