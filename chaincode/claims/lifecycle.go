package claims

import (
	"strings"

	"github.com/healthledger/healthledger/chaincode/claims/claimstypes"
	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/internal/ccutil"
	"github.com/healthledger/healthledger/chaincode/internal/txstate"
	"github.com/healthledger/healthledger/chaincode/wire"
)

// transition is what every life-cycle function shares: the caller with the right role, a valid id, the
// claim, the party and status checks, the transaction time.
type transition struct {
	st    *store
	claim *claimstypes.ClaimHeader
	next  claimstypes.ClaimHeader
}

// party says who may make a transition.
type party int

const (
	byProvider party = iota
	byInsurer
)

func begin(ctx txstate.Context, action, claimID, reason string, by party, from ...claimstypes.Status) (*transition, error) {
	roles := []string{wire.RoleInsurer}
	if by == byProvider {
		roles = []string{wire.RoleProvider, wire.RolePharmacist}
	}
	caller, err := ccutil.RequireRole(ctx, action, roles...)
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
	h, err := visibleClaim(st, action, claimID, func(h *claimstypes.ClaimHeader) bool {
		if by == byProvider {
			return isClaimProvider(caller, h)
		}
		return isClaimInsurer(caller, h)
	})
	if err != nil {
		return nil, err
	}
	if err := requireStatus(h, action, from...); err != nil {
		return nil, err
	}
	t := &transition{st: st, claim: h, next: *h}
	t.next.UpdatedAt = now
	t.next.StatusReason = strings.TrimSpace(reason)
	return t, nil
}

// commit saves the claim's new header and emits the event.
func (t *transition) commit(ctx txstate.Context, event string) (*claimstypes.ClaimHeader, error) {
	if err := t.st.saveClaim(t.claim, &t.next); err != nil {
		return nil, err
	}
	return &t.next, emitClaim(ctx, event, &t.next, "")
}

// Pend asks the provider for information: submitted or resubmitted -> pended. Insurer only. The reason
// is public: it must not carry clinical content.
func (c *Contract) Pend(ctx txstate.Context, claimID, reason string) (*claimstypes.ClaimHeader, error) {
	if err := claimstypes.CheckReason(reason); err != nil {
		return nil, err
	}
	t, err := begin(ctx, "Pend", claimID, reason, byInsurer, claimstypes.StatusSubmitted, claimstypes.StatusResubmitted)
	if err != nil {
		return nil, err
	}
	t.next.Status = claimstypes.StatusPended
	return t.commit(ctx, claimstypes.EventClaimPended)
}

// Adjudicate computes the claim's outcome against its coverage (see adjudicateLines) and updates the
// coverage's accumulators: submitted, resubmitted or appealed -> adjudicated. Insurer only. After an
// appeal the first adjudication's contributions are taken out of the accumulators before the claim is
// computed again. The answer is the public header; the amounts are read with GetClaimDetails.
func (c *Contract) Adjudicate(ctx txstate.Context, claimID string) (*claimstypes.ClaimHeader, error) {
	t, err := begin(ctx, "Adjudicate", claimID, "", byInsurer, claimstypes.StatusSubmitted, claimstypes.StatusResubmitted, claimstypes.StatusAppealed)
	if err != nil {
		return nil, err
	}
	h, st := t.claim, t.st
	cs, err := st.loadClaimState(h.ID)
	if err != nil {
		return nil, err
	}
	cov, err := st.loadCoverage(h.CoverageID)
	if err != nil {
		return nil, err
	}
	rec, err := st.loadCoverageRecord(h.CoverageID)
	if err != nil {
		return nil, err
	}
	pepper, err := st.pepper()
	if err != nil {
		return nil, err
	}
	round := 1
	if prev := cs.Record.Adjudication; prev != nil {
		rec.Accumulators = reverseAdjudication(rec.Accumulators, prev)
		if err := st.releaseLines(cs); err != nil {
			return nil, err
		}
		round = prev.Round + 1
	}

	lines := cs.Record.Details.Lines
	fps := make([]string, len(lines))
	duplicate := make([]bool, len(lines))
	seen := map[string]bool{}
	for i, l := range lines {
		fps[i] = lineFingerprint(pepper, h.ProviderMSP, h.Provider, h.Patient, l)
		if seen[fps[i]] {
			duplicate[i] = true
			continue
		}
		seen[fps[i]] = true
		holder, err := st.indexHolder(objLineFP, fps[i])
		if err != nil {
			return nil, err
		}
		duplicate[i] = holder != "" && holder != h.ID
	}

	res := adjudicateLines(rec.Terms, rec.Accumulators, lines, duplicate)
	adj := res.result
	adj.Round = round
	adj.CoverageID = cov.ID
	adj.TermsHash = cov.TermsHash
	adj.AdjudicatedAt = t.next.UpdatedAt
	cs.LineFPs = []string{}
	for i, fp := range fps {
		if res.indexed[i] {
			if err := st.holdIndex(objLineFP, fp, h.ID); err != nil {
				return nil, err
			}
			cs.LineFPs = append(cs.LineFPs, fp)
		}
	}
	cs.Record.Adjudication = &adj
	rec.Accumulators = res.accumulators
	if err := st.saveClaimState(cs); err != nil {
		return nil, err
	}
	if err := st.saveCoverageRecord(rec); err != nil {
		return nil, err
	}
	t.next.Status = claimstypes.StatusAdjudicated
	t.next.Outcome = adj.Outcome
	return t.commit(ctx, claimstypes.EventClaimAdjudicated)
}

// Pay records the insurer's payment (transient field "payment": amountCents and paymentRef) for an
// approved or partial claim: adjudicated -> paid. The amount must equal the adjudicated paid total.
// Insurer only. The amount and reference stay private.
func (c *Contract) Pay(ctx txstate.Context, claimID string) (*claimstypes.ClaimHeader, error) {
	t, err := begin(ctx, "Pay", claimID, "", byInsurer, claimstypes.StatusAdjudicated)
	if err != nil {
		return nil, err
	}
	var p claimstypes.PaymentInput
	if err := ccutil.TransientJSON(ctx, claimstypes.TransientPayment, "the transient payment", &p); err != nil {
		return nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if t.claim.Outcome == claimstypes.OutcomeDenied {
		return nil, codes.New(codes.PreconditionFailed, "Pay: claim %s was denied: there is nothing to pay; it can be appealed or closed", claimID)
	}
	cs, err := t.st.loadClaimState(claimID)
	if err != nil {
		return nil, err
	}
	adj := cs.Record.Adjudication
	if adj == nil {
		return nil, codes.New(codes.Internal, "claim %s is adjudicated but has no adjudication on this peer", claimID)
	}
	if p.AmountCents != adj.TotalPaidCents {
		return nil, codes.New(codes.InvalidArgument, "the payment amount does not match the adjudicated paid amount of claim %s", claimID)
	}
	cs.Record.Payment = &claimstypes.Payment{AmountCents: p.AmountCents, PaymentRef: p.PaymentRef, PaidAt: t.next.UpdatedAt}
	if err := t.st.saveClaimState(cs); err != nil {
		return nil, err
	}
	t.next.Status = claimstypes.StatusPaid
	return t.commit(ctx, claimstypes.EventClaimPaid)
}

// Close ends a claim: paid, or adjudicated and denied -> closed. Insurer only.
func (c *Contract) Close(ctx txstate.Context, claimID string) (*claimstypes.ClaimHeader, error) {
	t, err := begin(ctx, "Close", claimID, "", byInsurer, claimstypes.StatusPaid, claimstypes.StatusAdjudicated)
	if err != nil {
		return nil, err
	}
	if t.claim.Status == claimstypes.StatusAdjudicated && t.claim.Outcome != claimstypes.OutcomeDenied {
		return nil, codes.New(codes.PreconditionFailed, "Close: claim %s was %s: record its payment first", claimID, t.claim.Outcome)
	}
	t.next.Status = claimstypes.StatusClosed
	return t.commit(ctx, claimstypes.EventClaimClosed)
}

// Appeal asks for a second adjudication of a denied claim: adjudicated (denied) -> appealed, once per
// claim. The claim's provider only. The reason is public: it must not carry clinical content.
func (c *Contract) Appeal(ctx txstate.Context, claimID, reason string) (*claimstypes.ClaimHeader, error) {
	if err := claimstypes.CheckReason(reason); err != nil {
		return nil, err
	}
	t, err := begin(ctx, "Appeal", claimID, reason, byProvider, claimstypes.StatusAdjudicated)
	if err != nil {
		return nil, err
	}
	if t.claim.Outcome != claimstypes.OutcomeDenied {
		return nil, codes.New(codes.PreconditionFailed, "Appeal: claim %s was %s; only a denied claim can be appealed", claimID, t.claim.Outcome)
	}
	if t.claim.AppealCount >= 1 {
		return nil, codes.New(codes.PreconditionFailed, "Appeal: claim %s was already appealed once", claimID)
	}
	t.next.Status = claimstypes.StatusAppealed
	t.next.AppealCount++
	return t.commit(ctx, claimstypes.EventClaimAppealed)
}

// Void cancels a claim before adjudication: submitted, pended or resubmitted -> voided. The claim's
// provider only. Its fingerprint and units are released, so the services can be billed again.
func (c *Contract) Void(ctx txstate.Context, claimID, reason string) (*claimstypes.ClaimHeader, error) {
	if err := claimstypes.CheckReason(reason); err != nil {
		return nil, err
	}
	t, err := begin(ctx, "Void", claimID, reason, byProvider, claimstypes.StatusSubmitted, claimstypes.StatusPended, claimstypes.StatusResubmitted)
	if err != nil {
		return nil, err
	}
	cs, err := t.st.loadClaimState(claimID)
	if err != nil {
		return nil, err
	}
	if err := t.st.releaseSubmission(cs); err != nil {
		return nil, err
	}
	if err := t.st.saveClaimState(cs); err != nil {
		return nil, err
	}
	t.next.Status = claimstypes.StatusVoided
	return t.commit(ctx, claimstypes.EventClaimVoided)
}
