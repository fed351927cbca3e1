package claims

import (
	"time"

	"github.com/healthledger/healthledger/chaincode/claims/claimstypes"
	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/internal/ccutil"
	"github.com/healthledger/healthledger/chaincode/internal/txstate"
	"github.com/healthledger/healthledger/chaincode/wire"
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
func (c *Contract) SubmitClaim(ctx txstate.Context, claimJSON string) (*claimstypes.ClaimHeader, error) {
	s, err := openSubmission(ctx, claimJSON)
	if err != nil {
		return nil, err
	}
	switch s.claim.FrequencyCode {
	case claimstypes.FrequencyReplacement:
		return s.replacement()
	case claimstypes.FrequencyVoid:
		return s.void()
	default:
		return s.original()
	}
}

// incoming is a SubmitClaim that passed the checks every frequency shares: a well-formed header
// and details, the caller's own claim, a coverage of the patient with the named insurer, and an id
// that no claim holds yet.
type incoming struct {
	ctx         txstate.Context
	st          *store
	caller      ccutil.Caller
	now         time.Time
	details     claimstypes.ClaimDetails
	pepper      []byte
	fingerprint string
	claim       *claimstypes.ClaimHeader // the header to record
}

// openSubmission reads a submission and runs the checks every frequency shares.
func openSubmission(ctx txstate.Context, claimJSON string) (*incoming, error) {
	caller, err := ccutil.RequireRole(ctx, "SubmitClaim", wire.RoleProvider, wire.RolePharmacist)
	if err != nil {
		return nil, err
	}
	sub, err := readSubmission(claimJSON)
	if err != nil {
		return nil, err
	}
	if (sub.ProviderMSP != "" && sub.ProviderMSP != caller.MSPID) || (sub.Provider != "" && sub.Provider != caller.Subject) {
		return nil, codes.New(codes.Forbidden, "SubmitClaim: %s cannot submit for provider %s of %s", who(caller), sub.Provider, sub.ProviderMSP)
	}
	claimType := claimstypes.ClaimProfessional
	if caller.Is(wire.RolePharmacist) {
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
	cov, err := coverageFor(st, sub)
	if err != nil {
		return nil, err
	}
	pepper, err := st.pepper()
	if err != nil {
		return nil, err
	}
	s := &incoming{
		ctx: ctx, st: st, caller: caller, now: now, details: details, pepper: pepper,
		fingerprint: claimFingerprint(pepper, caller.MSPID, caller.Subject, sub.Patient, details),
		claim: &claimstypes.ClaimHeader{
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
		},
	}
	if existing, err := st.loadClaim(sub.ID); err == nil {
		return nil, sameClaim(st, existing, s.claim, s.fingerprint)
	} else if codes.Of(err) != codes.NotFound {
		return nil, err
	}
	return s, nil
}

// readSubmission decodes, normalizes and validates the public claim header.
func readSubmission(claimJSON string) (claimstypes.ClaimSubmission, error) {
	var sub claimstypes.ClaimSubmission
	if err := wire.DecodeStrict("the claim header", []byte(claimJSON), &sub); err != nil {
		return sub, err
	}
	sub = sub.Normalized()
	return sub, sub.Validate()
}

// coverageFor loads the coverage a submission names and checks that it covers the patient, with the
// insurer the submission names (if it names one).
func coverageFor(st *store, sub claimstypes.ClaimSubmission) (*claimstypes.CoverageHeader, error) {
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
	return cov, nil
}

// original records a new claim (frequency 1): consent and units checked, no live duplicate, its
// fingerprint and units held in the duplicate indexes.
func (s *incoming) original() (*claimstypes.ClaimHeader, error) {
	if err := s.checkDisclosure(); err != nil {
		return nil, err
	}
	unitFPs := unitFingerprints(s.pepper, s.details)
	if err := checkDuplicates(s.st, s.fingerprint, unitFPs, s.details, s.claim.ID, ""); err != nil {
		return nil, err
	}
	cs := s.record()
	if err := holdSubmission(s.st, cs, unitFPs); err != nil {
		return nil, err
	}
	if err := s.save(cs); err != nil {
		return nil, err
	}
	return s.claim, emitClaim(s.ctx, claimstypes.EventClaimSubmitted, s.claim, "")
}

// replacement records a claim that replaces its original (frequency 7): as an original claim, except
// that the original's own fingerprint and units do not count as duplicates, and the original becomes
// replaced (its adjudication, if any, taken back out of the accumulators).
func (s *incoming) replacement() (*claimstypes.ClaimHeader, error) {
	orig, err := checkOriginal(s.st, s.caller, s.claim)
	if err != nil {
		return nil, err
	}
	if err := s.checkDisclosure(); err != nil {
		return nil, err
	}
	unitFPs := unitFingerprints(s.pepper, s.details)
	if err := checkDuplicates(s.st, s.fingerprint, unitFPs, s.details, s.claim.ID, orig.ID); err != nil {
		return nil, err
	}
	if err := retireOriginal(s.st, orig, s.claim, s.now); err != nil {
		return nil, err
	}
	cs := s.record()
	if err := holdSubmission(s.st, cs, unitFPs); err != nil {
		return nil, err
	}
	if err := s.save(cs); err != nil {
		return nil, err
	}
	return s.claim, emitClaim(s.ctx, claimstypes.EventClaimSubmitted, s.claim, orig.ID)
}

// void records a void claim (frequency 8), closed at once, and voids its original, which releases the
// original's fingerprint and units. The void claim holds no index entry. Its event is the original's
// ClaimVoided.
func (s *incoming) void() (*claimstypes.ClaimHeader, error) {
	orig, err := checkOriginal(s.st, s.caller, s.claim)
	if err != nil {
		return nil, err
	}
	if err := s.checkDisclosure(); err != nil {
		return nil, err
	}
	s.claim.Status = claimstypes.StatusClosed
	if err := retireOriginal(s.st, orig, s.claim, s.now); err != nil {
		return nil, err
	}
	if err := s.save(s.record()); err != nil {
		return nil, err
	}
	voided := *orig
	voided.Status, voided.UpdatedAt = claimstypes.StatusVoided, s.now
	return s.claim, emitClaim(s.ctx, claimstypes.EventClaimVoided, &voided, s.claim.ID)
}

// checkDisclosure asks the other chaincodes whether the claim may go to the insurer: the patient's
// consent, and the dispense of every drug unit it names.
func (s *incoming) checkDisclosure() error {
	if err := checkConsent(s.ctx, s.claim.Patient, s.claim.InsurerMSP); err != nil {
		return err
	}
	return checkUnits(s.ctx, s.caller, s.details)
}

// record is the claim's private record as it starts.
func (s *incoming) record() *claimState {
	return &claimState{
		Record:      claimstypes.ClaimRecord{ClaimID: s.claim.ID, DetailsHash: s.claim.DetailsHash, Details: s.details},
		Fingerprint: s.fingerprint,
	}
}

// save writes the new claim's header, with its indexes, and its private record.
func (s *incoming) save(cs *claimState) error {
	if err := s.st.saveClaim(nil, s.claim); err != nil {
		return err
	}
	return s.st.saveClaimState(cs)
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
	action := "replace"
	allowed := []claimstypes.Status{claimstypes.StatusSubmitted, claimstypes.StatusPended, claimstypes.StatusResubmitted, claimstypes.StatusAdjudicated, claimstypes.StatusAppealed}
	if h.FrequencyCode == claimstypes.FrequencyVoid {
		action = "void"
		allowed = []claimstypes.Status{claimstypes.StatusSubmitted, claimstypes.StatusPended, claimstypes.StatusResubmitted}
	}
	// Only the original's provider learns anything about it: a missing original and another
	// provider's get the same answer.
	orig, err := visibleClaim(st, "SubmitClaim ("+action+")", h.OriginalClaimID, func(o *claimstypes.ClaimHeader) bool { return isClaimProvider(caller, o) })
	if err != nil {
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
func (c *Contract) Resubmit(ctx txstate.Context, claimID string) (*claimstypes.ClaimHeader, error) {
	caller, err := ccutil.RequireRole(ctx, "Resubmit", wire.RoleProvider, wire.RolePharmacist)
	if err != nil {
		return nil, err
	}
	if err := wire.CheckID("claim id", claimID); err != nil {
		return nil, err
	}
	now, err := ccutil.TxTime(ctx)
	if err != nil {
		return nil, err
	}
	st := newStore(ctx)
	h, err := visibleClaim(st, "Resubmit", claimID, func(h *claimstypes.ClaimHeader) bool { return isClaimProvider(caller, h) })
	if err != nil {
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
	return &next, emitClaim(ctx, claimstypes.EventClaimResubmitted, &next, "")
}
