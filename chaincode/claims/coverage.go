package claims

import (
	"github.com/healthledger/healthledger/chaincode/claims/claimstypes"
	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/internal/ccutil"
	"github.com/healthledger/healthledger/chaincode/internal/txstate"
	"github.com/healthledger/healthledger/chaincode/seal"
	"github.com/healthledger/healthledger/chaincode/wire"
)

// RegisterCoverage records a member's coverage, with the terms (CoverageTerms JSON) in the transient
// field "coverage". Only an insurer may call it; the insurer becomes the coverage's payer. The public
// header holds the ids and the terms' hash; the terms and accumulators go to the private collection.
//
// Registering the same id again with the same terms (the nonce aside) by the same insurer returns
// DUPLICATE; with anything else CONFLICT.
func (c *Contract) RegisterCoverage(ctx txstate.Context, coverageID string) (*claimstypes.CoverageHeader, error) {
	caller, err := ccutil.RequireRole(ctx, "RegisterCoverage", wire.RoleInsurer)
	if err != nil {
		return nil, err
	}
	if err := wire.CheckID("coverage id", coverageID); err != nil {
		return nil, err
	}
	terms, err := readTerms(ctx)
	if err != nil {
		return nil, err
	}
	now, err := ccutil.TxTime(ctx)
	if err != nil {
		return nil, err
	}
	st := newStore(ctx)
	existing, err := st.loadCoverage(coverageID)
	switch {
	case err == nil:
		return nil, sameCoverage(st, caller, existing, terms)
	case codes.Of(err) != codes.NotFound:
		return nil, err
	}

	h := &claimstypes.CoverageHeader{
		ID:           coverageID,
		InsurerMSP:   caller.MSPID,
		Insurer:      caller.Subject,
		Member:       terms.Member,
		TermsHash:    claimstypes.HashTerms(terms),
		RegisteredAt: now,
		UpdatedAt:    now,
	}
	k, err := st.Key(objCoverage, coverageID)
	if err != nil {
		return nil, err
	}
	if err := st.PutJSON(k, h); err != nil {
		return nil, err
	}
	if err := st.saveCoverageRecord(&claimstypes.CoverageRecord{CoverageID: coverageID, Terms: terms, Accumulators: []claimstypes.Accumulator{}}); err != nil {
		return nil, err
	}
	if err := st.ensurePepper(terms.Nonce, ctx.GetStub().GetTxID()); err != nil {
		return nil, err
	}
	return h, emitCoverage(ctx, claimstypes.EventCoverageRegistered, h)
}

// sameCoverage answers a second registration of an existing id.
func sameCoverage(st *store, caller ccutil.Caller, h *claimstypes.CoverageHeader, terms claimstypes.CoverageTerms) error {
	if isCoverageInsurer(caller, h) && h.Member == terms.Member {
		rec, err := st.loadCoverageRecord(h.ID)
		if err != nil {
			return err
		}
		a, b := rec.Terms, terms
		a.Nonce, b.Nonce = "", ""
		if claimstypes.HashTerms(a) == claimstypes.HashTerms(b) {
			return codes.New(codes.Duplicate, "coverage %s is already registered with these terms", h.ID)
		}
	}
	return codes.New(codes.Conflict, "coverage %s already exists with other terms or another insurer", h.ID)
}

// UpdateCoverage replaces the terms of a coverage (transient field "coverage"), keeping its
// accumulators. Only the coverage's insurer may call it, and the member cannot change. Claims
// adjudicated later use the new terms; past adjudications keep the termsHash they used. The same
// terms again change nothing and emit no event.
func (c *Contract) UpdateCoverage(ctx txstate.Context, coverageID string) (*claimstypes.CoverageHeader, error) {
	caller, err := ccutil.RequireRole(ctx, "UpdateCoverage", wire.RoleInsurer)
	if err != nil {
		return nil, err
	}
	if err := wire.CheckID("coverage id", coverageID); err != nil {
		return nil, err
	}
	terms, err := readTerms(ctx)
	if err != nil {
		return nil, err
	}
	now, err := ccutil.TxTime(ctx)
	if err != nil {
		return nil, err
	}
	st := newStore(ctx)
	h, err := visibleCoverage(st, "UpdateCoverage", coverageID, func(h *claimstypes.CoverageHeader) bool { return isCoverageInsurer(caller, h) })
	if err != nil {
		return nil, err
	}
	if terms.Member != h.Member {
		return nil, codes.New(codes.InvalidArgument, "coverage %s belongs to member %s; the member cannot change", h.ID, h.Member)
	}
	hash := claimstypes.HashTerms(terms)
	if hash == h.TermsHash {
		return h, nil
	}
	rec, err := st.loadCoverageRecord(coverageID)
	if err != nil {
		return nil, err
	}
	rec.Terms = terms
	next := *h
	next.TermsHash = hash
	next.UpdatedAt = now
	k, err := st.Key(objCoverage, coverageID)
	if err != nil {
		return nil, err
	}
	if err := st.PutJSON(k, &next); err != nil {
		return nil, err
	}
	if err := st.saveCoverageRecord(rec); err != nil {
		return nil, err
	}
	return &next, emitCoverage(ctx, claimstypes.EventCoverageUpdated, &next)
}

// GetCoverage returns a coverage's public header. Readers: its insurer, its member, providers,
// pharmacists and auditors.
func (c *Contract) GetCoverage(ctx txstate.Context, coverageID string) (*claimstypes.CoverageHeader, error) {
	caller, err := ccutil.CallerOf(ctx)
	if err != nil {
		return nil, err
	}
	if err := wire.CheckID("coverage id", coverageID); err != nil {
		return nil, err
	}
	h, err := visibleCoverage(newStore(ctx), "GetCoverage", coverageID, func(h *claimstypes.CoverageHeader) bool { return canReadCoverage(caller, h) })
	if err != nil {
		return nil, err
	}
	if err := boundOrHidden(ctx, caller, h.Member, "GetCoverage", "coverage", coverageID); err != nil {
		return nil, err
	}
	return h, nil
}

// GetCoverageTerms returns a coverage's private terms and accumulators. Readers: its insurer, its
// member and an auditor of the insurer's organisation.
//
// The answer is sealed under the caller's key (transient field seal.TransientKey; docs/privacy.md).
func (c *Contract) GetCoverageTerms(ctx txstate.Context, coverageID string) (*seal.Envelope, error) {
	caller, err := ccutil.CallerOf(ctx)
	if err != nil {
		return nil, err
	}
	if err := wire.CheckID("coverage id", coverageID); err != nil {
		return nil, err
	}
	st := newStore(ctx)
	h, err := visibleCoverage(st, "GetCoverageTerms", coverageID, func(h *claimstypes.CoverageHeader) bool { return canReadCoverageTerms(caller, h) })
	if err != nil {
		return nil, err
	}
	if err := boundOrHidden(ctx, caller, h.Member, "GetCoverageTerms", "coverage", coverageID); err != nil {
		return nil, err
	}
	rec, err := st.loadCoverageRecord(coverageID)
	if err != nil {
		return nil, err
	}
	return ccutil.Sealed(ctx, "GetCoverageTerms", rec)
}

// readTerms reads, normalizes and validates the transient coverage terms.
func readTerms(ctx txstate.Context) (claimstypes.CoverageTerms, error) {
	var t claimstypes.CoverageTerms
	if err := ccutil.TransientJSON(ctx, claimstypes.TransientCoverage, "the transient coverage terms", &t); err != nil {
		return claimstypes.CoverageTerms{}, err
	}
	if err := t.CheckSize(); err != nil {
		return claimstypes.CoverageTerms{}, err
	}
	t = t.Normalized()
	if err := t.Validate(); err != nil {
		return claimstypes.CoverageTerms{}, err
	}
	return t, nil
}

func emitCoverage(ctx txstate.Context, name string, h *claimstypes.CoverageHeader) error {
	return ccutil.Emit(ctx, name, claimstypes.CoverageEvent{
		CoverageID: h.ID,
		InsurerMSP: h.InsurerMSP,
		Insurer:    h.Insurer,
		TermsHash:  h.TermsHash,
		At:         h.UpdatedAt,
	})
}
