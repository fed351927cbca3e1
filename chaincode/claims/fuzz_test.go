package claims

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/healthledger/healthledger/chaincode/claims/claimstypes"
	"github.com/healthledger/healthledger/chaincode/internal/cctest"
	"github.com/healthledger/healthledger/chaincode/seal"
	"github.com/stretchr/testify/require"
)

// phiMarker is planted in every private value of the fuzz fixture and of the seeds (plan ids, nonces,
// payment references): no public state, event, error or submit answer may hold it.
const phiMarker = "PHIMARK"

// fuzzCallerNames are the identities a fuzz input picks from by index.
var fuzzCallerNames = []string{"provider1", "provider2", "pharmacist1", "insurer1", "insurer2", "auditor1", "patient1", "noRole", "rivalInsurer", "hospitalAdmin"}

func fuzzCaller(name string) uint8 { return uint8(slices.Index(fuzzCallerNames, name)) }

// fuzzFixture is the ledger every fuzz input starts from: coverage cov-1 of patient1 with insurer1
// (its plan id and nonce hold phiMarker), patient1's consent to disclose claims, and claims of
// provider1 in the states the life cycle leaves from: c-sub submitted, c-pend pended, c-adj approved,
// c-paid paid, c-denied denied. Every nonce holds phiMarker.
func fuzzFixture(tb testing.TB) *fixture {
	tb.Helper()
	f := newFixture(tb)
	f.noncePrefix = phiMarker + "-"
	cctest.RequireOK(tb, f.registerCoverageAs("insurer1", covID, f.terms(func(t *claimstypes.CoverageTerms) {
		t.PlanID, t.AnnualLimitCents = "PLAN-"+phiMarker, 0
	})))
	f.permit(pat1)
	for i, s := range []struct{ id, state string }{
		{"c-sub", "submitted"}, {"c-pend", "pended"}, {"c-adj", "approved"}, {"c-paid", "paid"}, {"c-denied", "denied"},
	} {
		f.reach(tb, s.state, s.id, i+1)
	}
	return f
}

// publicTransient is the part of a call's transient input that is public by design: the member id of
// coverage terms, which the coverage's public header carries.
func publicTransient(transient map[string][]byte) []string {
	var t struct {
		Member string `json:"member"`
	}
	if json.Unmarshal(transient[claimstypes.TransientCoverage], &t) != nil {
		return nil
	}
	return []string{t.Member}
}

func jsonTransient(tb testing.TB, field string, v any) map[string][]byte {
	return map[string][]byte{field: []byte(toJSON(tb, v))}
}

// fuzzSeeds reach every transaction with a call that the fuzz fixture fx accepts, and add refusals
// of the guard and of the contract, several of them with private input that the refusal must not
// repeat.
func fuzzSeeds(fx *fixture) (accepted, refused []cctest.Seed) {
	tb := fx.t
	prov, insr, aud := fuzzCaller("provider1"), fuzzCaller("insurer1"), fuzzCaller("auditor1")
	sealKey := map[string][]byte{seal.TransientKey: cctest.SealKey()}
	terms := fx.terms(func(t *claimstypes.CoverageTerms) { t.Member, t.PlanID = pat2, "PLAN-"+phiMarker })
	newTerms := fx.terms(func(t *claimstypes.CoverageTerms) { t.PlanID, t.DeductibleCents = "PLAN-"+phiMarker, 10_000 })
	fresh := fx.details(func(d *claimstypes.ClaimDetails) { d.Lines[0].UnitChargeCents = 77_700 })
	resub := fx.details(func(d *claimstypes.ClaimDetails) { d.Lines[0].UnitChargeCents = 88_800 })
	paid := fx.state("c-adj").Record.Adjudication.TotalPaidCents
	payment := claimstypes.PaymentInput{AmountCents: paid, PaymentRef: "EFT-" + phiMarker}
	badDx := fx.details(func(d *claimstypes.ClaimDetails) { d.Diagnoses = []string{"E11.9", phiMarker} })
	drug := fx.details(func(d *claimstypes.ClaimDetails) {
		d.Lines = []claimstypes.ServiceLine{{Code: testGTIN, ServiceDate: "2024-12-01", Quantity: 1, UnitChargeCents: 1_000,
			Unit: &claimstypes.UnitRef{GTIN: testGTIN, Serial: phiMarker}}}
	})
	accepted = []cctest.Seed{
		{Who: insr, Fn: "RegisterCoverage", Args: []string{"cov-2"}, Transient: jsonTransient(tb, claimstypes.TransientCoverage, terms)},
		{Who: insr, Fn: "UpdateCoverage", Args: []string{covID}, Transient: jsonTransient(tb, claimstypes.TransientCoverage, newTerms)},
		{Who: prov, Fn: "GetCoverage", Args: []string{covID}},
		{Who: insr, Fn: "GetCoverageTerms", Args: []string{covID}, Transient: sealKey},
		{Who: prov, Fn: "SubmitClaim", Args: []string{toJSON(tb, submission("c-new"))}, Transient: jsonTransient(tb, claimstypes.TransientClaim, fresh)},
		{Who: prov, Fn: "Resubmit", Args: []string{"c-pend"}, Transient: jsonTransient(tb, claimstypes.TransientClaim, resub)},
		{Who: insr, Fn: "Pend", Args: []string{"c-sub", "need the operative report"}},
		{Who: insr, Fn: "Adjudicate", Args: []string{"c-sub"}},
		{Who: insr, Fn: "Pay", Args: []string{"c-adj"}, Transient: jsonTransient(tb, claimstypes.TransientPayment, payment)},
		{Who: insr, Fn: "Close", Args: []string{"c-paid"}},
		{Who: prov, Fn: "Appeal", Args: []string{"c-denied", "the service is covered"}},
		{Who: prov, Fn: "Void", Args: []string{"c-sub", "billed in error"}},
		{Who: prov, Fn: "GetClaim", Args: []string{"c-sub"}},
		{Who: insr, Fn: "GetClaimDetails", Args: []string{"c-sub"}, Transient: sealKey},
		{Who: aud, Fn: "ClaimHistory", Args: []string{"c-paid"}},
		{Who: prov, Fn: "ListClaimsByProvider", Args: []string{hospitalMSP, npi1, "0", ""}},
		{Who: insr, Fn: "ListClaimsByInsurer", Args: []string{insurerMSP, "2", ""}},
		{Who: aud, Fn: "ListClaimsByStatus", Args: []string{"submitted", "0", ""}},
		{Who: aud, Fn: "GetConsortium"},
		{Who: fuzzCaller("hospitalAdmin"), Fn: "SetConsortium", Args: []string{nextConsortium(fx)}},
	}
	refused = []cctest.Seed{
		{Who: prov, Fn: "SubmitClaim"},
		{Who: prov, Fn: "GetClaim", Args: []string{"c-sub", "c-adj"}},
		{Who: aud, Fn: "ListClaimsByStatus", Args: []string{"submitted", "many", ""}},
		{Who: prov, Fn: "SubmitClaim", Args: []string{"{"}, Transient: jsonTransient(tb, claimstypes.TransientClaim, fresh)},
		{Who: prov, Fn: "Submit", Args: []string{toJSON(tb, submission("c-x"))}},
		{Who: prov, Fn: "SubmitClaim", Args: []string{toJSON(tb, submission("c-x"))}, Transient: jsonTransient(tb, claimstypes.TransientClaim, badDx)},
		{Who: fuzzCaller("pharmacist1"), Fn: "SubmitClaim", Args: []string{toJSON(tb, submission("c-x"))}, Transient: jsonTransient(tb, claimstypes.TransientClaim, drug)},
		{Who: prov, Fn: "SubmitClaim", Args: []string{toJSON(tb, submission("c-x"))},
			Transient: map[string][]byte{claimstypes.TransientClaim: []byte(`{"` + phiMarker + `":1}`)}},
		{Who: insr, Fn: "RegisterCoverage", Args: []string{"cov-3"},
			Transient: jsonTransient(tb, claimstypes.TransientCoverage, fx.terms(func(t *claimstypes.CoverageTerms) { t.Member, t.PlanID = pat2, "PLAN "+phiMarker }))},
		{Who: insr, Fn: "Pay", Args: []string{"c-adj"}, Transient: jsonTransient(tb, claimstypes.TransientPayment, claimstypes.PaymentInput{AmountCents: paid, PaymentRef: "EFT " + phiMarker})},
		{Who: insr, Fn: "Pay", Args: []string{"c-adj"}, Transient: jsonTransient(tb, claimstypes.TransientPayment, claimstypes.PaymentInput{AmountCents: paid + 1, PaymentRef: "EFT-" + phiMarker})},
		// A private read without a seal key, and with a key that is no key.
		{Who: insr, Fn: "GetClaimDetails", Args: []string{"c-sub"}},
		{Who: insr, Fn: "GetCoverageTerms", Args: []string{covID}, Transient: map[string][]byte{seal.TransientKey: []byte(phiMarker)}},
	}
	return accepted, refused
}

// nextConsortium is the fixture's consortium map at its next version: what SetConsortium accepts.
func nextConsortium(fx *fixture) string {
	m := layoutConsortium(fx.hospital, fx.insurer)
	m.Version++
	return toJSON(fx.t, m)
}

// TestTheFuzzSeedsReachEveryTransaction keeps testdata/fuzz/FuzzClaims in step with fuzzSeeds
// (HL_UPDATE_CORPUS=1 rewrites it) and checks that the accepted seeds call every transaction, and
// succeed, and that the refused ones are refused.
func TestTheFuzzSeedsReachEveryTransaction(t *testing.T) {
	fx := fuzzFixture(t)
	accepted, refused := fuzzSeeds(fx)
	cctest.SyncCorpus(t, "testdata/fuzz/FuzzClaims", append(slices.Clone(accepted), refused...))
	evaluate, submit := fx.l.Transactions(cc, fx.who("auditor1"))
	for _, fn := range append(evaluate, submit...) {
		require.True(t, slices.ContainsFunc(accepted, func(s cctest.Seed) bool { return s.Fn == fn }), "no seed calls %s", fn)
	}
	for i, s := range append(slices.Clone(accepted), refused...) {
		res := fx.l.Clone(t).Invoke(cc, fx.who(fuzzCallerNames[s.Who]), s.Fn, s.Args, cctest.WithTransient(s.Transient))
		require.Equal(t, i < len(accepted), res.OK(), "seed %d (%s): %s", i, s.Fn, res)
	}
}

// FuzzClaims calls the claims chaincode through its router, as a client would, with any caller,
// function name, arguments and transient data, from the fuzz fixture (with the fake consent and
// provenance chaincodes), and checks the invariants of cctest.CheckCall: a refusal carries a stable
// code (never INTERNAL), writes nothing and sets no event; private input never reaches public state,
// an event, an error or any answer: a client may submit even an evaluate-only function, and then its
// answer goes into a block (the private reads answer sealed, docs/privacy.md).
func FuzzClaims(f *testing.F) {
	fx := fuzzFixture(f)
	evaluate, submit := fx.l.Transactions(cc, fx.who("auditor1"))
	inv := cctest.Invariants{Chaincode: cc, Submit: append(evaluate, submit...), Marker: phiMarker, Public: publicTransient}
	callers := make([]*cctest.Identity, len(fuzzCallerNames))
	for i, name := range fuzzCallerNames {
		callers[i] = fx.who(name)
	}
	f.Fuzz(func(t *testing.T, who uint8, fn, args string, transient []byte) {
		l := fx.l.Clone(t)
		l.CheckCall(t, inv, callers[int(who)%len(callers)], fn, cctest.SplitArgs(args), cctest.SplitTransient(transient))
	})
}
