package claims

import (
	"fmt"
	"slices"
	"testing"

	"github.com/healthledger/healthledger/chaincode/claims/claimstypes"
	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/internal/cctest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestClaimLifecycleFromSubmissionToClose(t *testing.T) {
	f := newFixture(t)
	f.setup()
	f.submit("clm-1")

	steps := []struct {
		name   string
		call   func() *cctest.Result
		event  string
		status claimstypes.Status
	}{
		{"the insurer pends the claim for information", func() *cctest.Result {
			return f.invoke("insurer1", "Pend", "clm-1", "send the visit notes")
		}, claimstypes.EventClaimPended, claimstypes.StatusPended},
		{"the provider resubmits it with new details", func() *cctest.Result {
			return f.l.Invoke(cc, f.who("provider1"), "Resubmit", []string{"clm-1"},
				cctest.WithTransientJSON(claimstypes.TransientClaim, f.details(func(d *claimstypes.ClaimDetails) { d.Diagnoses = []string{"E11.65", "I10"} })))
		}, claimstypes.EventClaimResubmitted, claimstypes.StatusResubmitted},
		{"the insurer pends it again", func() *cctest.Result {
			return f.invoke("insurer1", "Pend", "clm-1", "the notes are unsigned")
		}, claimstypes.EventClaimPended, claimstypes.StatusPended},
		{"the provider resubmits it again", func() *cctest.Result {
			return f.l.Invoke(cc, f.who("provider1"), "Resubmit", []string{"clm-1"},
				cctest.WithTransientJSON(claimstypes.TransientClaim, f.details(nil)))
		}, claimstypes.EventClaimResubmitted, claimstypes.StatusResubmitted},
		{"the insurer adjudicates it", func() *cctest.Result {
			return f.invoke("insurer1", "Adjudicate", "clm-1")
		}, claimstypes.EventClaimAdjudicated, claimstypes.StatusAdjudicated},
		{"the insurer records the payment", func() *cctest.Result { return f.pay("clm-1") }, claimstypes.EventClaimPaid, claimstypes.StatusPaid},
		{"the insurer closes it", func() *cctest.Result { return f.invoke("insurer1", "Close", "clm-1") }, claimstypes.EventClaimClosed, claimstypes.StatusClosed},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			res := s.call()
			h := cctest.Decode[claimstypes.ClaimHeader](t, res)
			assert.Equal(t, s.status, h.Status)
			assert.Equal(t, res.Time, h.UpdatedAt)
			assert.Equal(t, h, f.header("clm-1"))
			ev := cctest.RequireEvent[claimstypes.ClaimEvent](t, res, s.event)
			assert.Equal(t, "clm-1", ev.ClaimID)
			assert.Equal(t, s.status, ev.Status)
		})
	}

	t.Run("the history shows every status, oldest first", func(t *testing.T) {
		hist := cctest.Decode[[]claimstypes.ClaimHistoryEntry](t, f.evaluate("provider1", "ClaimHistory", "clm-1"))
		got := []claimstypes.Status{}
		for _, e := range hist {
			require.NotNil(t, e.Value)
			got = append(got, e.Value.Status)
		}
		assert.Equal(t, []claimstypes.Status{claimstypes.StatusSubmitted, claimstypes.StatusPended, claimstypes.StatusResubmitted, claimstypes.StatusPended,
			claimstypes.StatusResubmitted, claimstypes.StatusAdjudicated, claimstypes.StatusPaid, claimstypes.StatusClosed}, got)
		assert.Equal(t, "send the visit notes", hist[1].Value.StatusReason)
	})
	t.Run("the private record holds the final details, adjudication and payment", func(t *testing.T) {
		rec := cctest.DecodeSealed[claimstypes.ClaimRecord](t, f.evaluate("insurer1", "GetClaimDetails", "clm-1"))
		assert.Equal(t, f.header("clm-1").DetailsHash, claimstypes.HashDetails(rec.Details))
		assert.Equal(t, []string{"E11.9", "I10"}, rec.Details.Diagnoses)
		require.NotNil(t, rec.Adjudication)
		require.NotNil(t, rec.Payment)
		assert.Equal(t, rec.Adjudication.TotalPaidCents, rec.Payment.AmountCents)
		assert.Equal(t, "EFT-clm-1", rec.Payment.PaymentRef)
	})
}

func TestResubmitRefreshesTheDetailsAndTheirChecks(t *testing.T) {
	f := newFixture(t)
	f.setup()
	f.submit("clm-1")
	other := f.details(func(d *claimstypes.ClaimDetails) { d.Lines[1].ServiceDate = "2024-11-15" })
	cctest.RequireOK(t, f.submitAs("provider1", submission("clm-2"), other))
	cctest.RequireOK(t, f.invoke("insurer1", "Pend", "clm-1", "send the visit notes"))
	resubmit := func(d *claimstypes.ClaimDetails) *cctest.Result {
		var opts []cctest.CallOption
		if d != nil {
			opts = append(opts, cctest.WithTransientJSON(claimstypes.TransientClaim, *d))
		}
		return f.l.Invoke(cc, f.who("provider1"), "Resubmit", []string{"clm-1"}, opts...)
	}

	t.Run("refuses missing details", func(t *testing.T) {
		before := f.l.Snapshot()
		f.requireFails(t, resubmit(nil), codes.InvalidArgument, before)
	})
	t.Run("refuses details that duplicate another claim", func(t *testing.T) {
		before := f.l.Snapshot()
		d := f.details(func(d *claimstypes.ClaimDetails) { d.Lines[1].ServiceDate = "2024-11-15" })
		ce := f.requireFails(t, resubmit(&d), codes.Duplicate, before)
		assert.Contains(t, ce.Message, "claim clm-2")
	})
	t.Run("refuses once the patient's consent is gone", func(t *testing.T) {
		f.l.SetState(ConsentChaincode, consentKey([]string{pat1, insurerMSP, "disclose", "HPAYMT", "Claim"}), nil)
		defer f.permit(pat1)
		before := f.l.Snapshot()
		d := f.details(func(d *claimstypes.ClaimDetails) { d.Lines[0].UnitChargeCents = 16_000 })
		f.requireFails(t, resubmit(&d), codes.Forbidden, before)
	})
	t.Run("another provider may not resubmit", func(t *testing.T) {
		before := f.l.Snapshot()
		res := f.l.Invoke(cc, f.who("provider2"), "Resubmit", []string{"clm-1"}, cctest.WithTransientJSON(claimstypes.TransientClaim, f.details(nil)))
		f.requireFails(t, res, codes.NotFound, before)
	})

	d := f.details(func(d *claimstypes.ClaimDetails) { d.Lines[0].UnitChargeCents = 16_000 })
	h := cctest.Decode[claimstypes.ClaimHeader](t, resubmit(&d))
	t.Run("the header carries the hash of the new details", func(t *testing.T) {
		assert.Equal(t, claimstypes.HashDetails(d), h.DetailsHash)
		assert.Equal(t, d.Normalized(), f.state("clm-1").Record.Details)
		assert.Empty(t, h.StatusReason)
	})
	t.Run("the old content is free again and the new one is held", func(t *testing.T) {
		cctest.RequireOK(t, f.submitAs("provider1", submission("clm-3"), f.details(nil)))
		before := f.l.Snapshot()
		again := f.details(func(d *claimstypes.ClaimDetails) { d.Lines[0].UnitChargeCents = 16_000 })
		f.requireFails(t, f.submitAs("provider1", submission("clm-4"), again), codes.Duplicate, before)
	})
}

// operations are the life-cycle calls, each with arguments that are valid in themselves.
func operations() []string {
	return []string{"Pend", "Resubmit", "Adjudicate", "Pay", "Close", "Appeal", "Void"}
}

func (f *fixture) operate(t testing.TB, op, id string, n int) *cctest.Result {
	t.Helper()
	switch op {
	case "Pend":
		return f.invoke("insurer1", "Pend", id, "need more information")
	case "Resubmit":
		d := f.details(func(d *claimstypes.ClaimDetails) { d.Lines[0].UnitChargeCents = 500_000 + int64(n) })
		return f.l.Invoke(cc, f.who("provider1"), "Resubmit", []string{id}, cctest.WithTransientJSON(claimstypes.TransientClaim, d))
	case "Adjudicate":
		return f.invoke("insurer1", "Adjudicate", id)
	case "Pay":
		var amount int64
		if adj := f.state(id).Record.Adjudication; adj != nil {
			amount = adj.TotalPaidCents
		}
		return f.l.Invoke(cc, f.who("insurer1"), "Pay", []string{id},
			cctest.WithTransientJSON(claimstypes.TransientPayment, claimstypes.PaymentInput{AmountCents: amount, PaymentRef: "EFT-1"}))
	case "Close":
		return f.invoke("insurer1", "Close", id)
	case "Appeal":
		return f.invoke("provider1", "Appeal", id, "the service is covered")
	case "Void":
		return f.invoke("provider1", "Void", id, "billed in error")
	}
	t.Fatalf("unknown operation %s", op)
	return nil
}

// reach submits claim id (the n-th of the test, so its content is unique) and drives it to a state.
func (f *fixture) reach(t testing.TB, state, id string, n int) {
	t.Helper()
	covered := f.details(func(d *claimstypes.ClaimDetails) { d.Lines[0].UnitChargeCents = 10_000 + int64(n) })
	notCovered := f.details(func(d *claimstypes.ClaimDetails) {
		d.Lines = []claimstypes.ServiceLine{{Code: "97110", ServiceDate: "2024-12-01", Quantity: 1, UnitChargeCents: 10_000 + int64(n)}}
	})
	d := covered
	if state == "denied" || state == "appealed" || state == "denied after appeal" {
		d = notCovered
	}
	cctest.RequireOK(t, f.submitAs("provider1", submission(id), d))
	steps := map[string][]string{
		"submitted":           {},
		"pended":              {"Pend"},
		"resubmitted":         {"Pend", "Resubmit"},
		"approved":            {"Adjudicate"},
		"denied":              {"Adjudicate"},
		"appealed":            {"Adjudicate", "Appeal"},
		"denied after appeal": {"Adjudicate", "Appeal", "Adjudicate"},
		"paid":                {"Adjudicate", "Pay"},
		"closed":              {"Adjudicate", "Pay", "Close"},
		"voided":              {"Void"},
	}[state]
	for _, op := range steps {
		cctest.RequireOK(t, f.operate(t, op, id, n))
	}
	if state == "replaced" {
		sub := submission(id + "r")
		sub.FrequencyCode, sub.OriginalClaimID = claimstypes.FrequencyReplacement, id
		cctest.RequireOK(t, f.submitAs("provider1", sub, f.details(func(d *claimstypes.ClaimDetails) { d.Lines[0].UnitChargeCents = 900_000 + int64(n) })))
	}
}

func TestEveryTransition(t *testing.T) {
	f := newFixture(t)
	cctest.RequireOK(t, f.registerCoverageAs("insurer1", covID, f.terms(func(c *claimstypes.CoverageTerms) { c.AnnualLimitCents = 0 })))
	f.permit(pat1)

	allowed := map[string][]string{
		"submitted":           {"Pend", "Adjudicate", "Void"},
		"pended":              {"Resubmit", "Void"},
		"resubmitted":         {"Pend", "Adjudicate", "Void"},
		"approved":            {"Pay"},
		"denied":              {"Close", "Appeal"},
		"appealed":            {"Adjudicate"},
		"denied after appeal": {"Close"},
		"paid":                {"Close"},
		"closed":              {},
		"voided":              {},
		"replaced":            {},
	}
	states := []string{"submitted", "pended", "resubmitted", "approved", "denied", "appealed", "denied after appeal", "paid", "closed", "voided", "replaced"}
	n := 0
	for _, state := range states {
		for _, op := range operations() {
			n++
			ok := slices.Contains(allowed[state], op)
			name := fmt.Sprintf("%s on a %s claim is refused", op, state)
			if ok {
				name = fmt.Sprintf("%s on a %s claim is allowed", op, state)
			}
			t.Run(name, func(t *testing.T) {
				id := fmt.Sprintf("clm-%d", n)
				f.reach(t, state, id, n)
				before := f.l.Snapshot()
				res := f.operate(t, op, id, n)
				if ok {
					cctest.RequireOK(t, res)
					require.NotNil(t, res.Event)
				} else {
					f.requireFails(t, res, codes.PreconditionFailed, before)
				}
			})
		}
	}
}

func TestTransitionsNeedTheRightParty(t *testing.T) {
	f := newFixture(t)
	f.setup()
	f.submit("clm-1")
	before := f.l.Snapshot()
	cases := []struct {
		name   string
		caller string
		fn     string
		args   []string
		code   codes.Code
	}{
		{"a provider may not pend", "provider1", "Pend", []string{"clm-1", "r"}, codes.Forbidden},
		{"another payer of the same organisation may not pend", "insurer2", "Pend", []string{"clm-1", "r"}, codes.NotFound},
		{"an insurer of another organisation may not adjudicate", "rivalInsurer", "Adjudicate", []string{"clm-1"}, codes.NotFound},
		{"an auditor may not adjudicate", "auditor1", "Adjudicate", []string{"clm-1"}, codes.Forbidden},
		{"the insurer may not void", "insurer1", "Void", []string{"clm-1", "r"}, codes.Forbidden},
		{"another provider may not void", "provider2", "Void", []string{"clm-1", "r"}, codes.NotFound},
		{"the pharmacist may not void a provider's claim", "pharmacist1", "Void", []string{"clm-1", "r"}, codes.NotFound},
		{"the patient may not appeal", "patient1", "Appeal", []string{"clm-1", "r"}, codes.Forbidden},
		{"a provider may not close", "provider1", "Close", []string{"clm-1"}, codes.Forbidden},
		{"an unknown claim is not found", "insurer1", "Adjudicate", []string{"clm-404"}, codes.NotFound},
		{"a malformed claim id is an invalid argument", "insurer1", "Adjudicate", []string{"clm 1"}, codes.InvalidArgument},
		{"a pend without a reason is an invalid argument", "insurer1", "Pend", []string{"clm-1", " "}, codes.InvalidArgument},
		{"a void with a reason of control characters is an invalid argument", "provider1", "Void", []string{"clm-1", "a\x00b\n"}, codes.InvalidArgument},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f.requireFails(t, f.invoke(tc.caller, tc.fn, tc.args...), tc.code, before)
		})
	}
}

func TestAdjudicationThroughTheContract(t *testing.T) {
	f := newFixture(t)
	f.setup()

	// $200 against a $500 deductible: all of it is the patient's.
	f.submit("clm-1")
	res := f.invoke("insurer1", "Adjudicate", "clm-1")
	h := cctest.Decode[claimstypes.ClaimHeader](t, res)
	t.Run("a claim under the deductible is approved with nothing paid", func(t *testing.T) {
		assert.Equal(t, claimstypes.OutcomeApproved, h.Outcome)
		ev := cctest.RequireEvent[claimstypes.ClaimEvent](t, res, claimstypes.EventClaimAdjudicated)
		assert.Equal(t, claimstypes.OutcomeApproved, ev.Outcome)
		adj := f.state("clm-1").Record.Adjudication
		assert.Equal(t, int64(0), adj.TotalPaidCents)
		assert.Equal(t, int64(20_000), adj.TotalPatientRespCents)
		assert.Equal(t, 1, adj.Round)
		assert.Equal(t, covID, adj.CoverageID)
		assert.Equal(t, res.Time, adj.AdjudicatedAt)
	})
	t.Run("the answer and the public state carry no amounts", func(t *testing.T) {
		assert.NotContains(t, string(res.Payload), "20000")
		assert.NotContains(t, string(f.l.State(cc, f.l.Key(objClaim, "clm-1"))), "20000")
	})

	// $400 with $300 of deductible left: $300 deductible, 20 % of $100 coinsurance, $80 paid.
	d := f.details(func(d *claimstypes.ClaimDetails) {
		d.Lines = []claimstypes.ServiceLine{{Code: "99213", ServiceDate: "2024-12-02", Quantity: 2, UnitChargeCents: 20_000}}
	})
	cctest.RequireOK(t, f.submitAs("provider1", submission("clm-2"), d))
	cctest.RequireOK(t, f.invoke("insurer1", "Adjudicate", "clm-2"))
	t.Run("the next claim meets the rest of the deductible and pays after coinsurance", func(t *testing.T) {
		rec := cctest.DecodeSealed[claimstypes.ClaimRecord](t, f.evaluate("provider1", "GetClaimDetails", "clm-2"))
		l := rec.Adjudication.Lines[0]
		assert.Equal(t, int64(40_000), l.AllowedCents)
		assert.Equal(t, int64(8_000), l.PaidCents)
		assert.Equal(t, int64(32_000), l.PatientRespCents)
		assert.Equal(t, []claimstypes.Adjustment{
			{Group: "PR", Reason: "1", Kind: claimstypes.AdjDeductible, AmountCents: 30_000},
			{Group: "PR", Reason: "2", Kind: claimstypes.AdjCoinsurance, AmountCents: 2_000},
		}, l.Adjustments)
	})
	t.Run("the accumulators hold the deductible met and the amount paid this year", func(t *testing.T) {
		rec := cctest.DecodeSealed[claimstypes.CoverageRecord](t, f.evaluate("insurer1", "GetCoverageTerms", covID))
		assert.Equal(t, []claimstypes.Accumulator{{Year: 2024, DeductibleMetCents: 50_000, PaidCents: 8_000}}, rec.Accumulators)
	})

	// The office visit of clm-1 again, with a venipuncture: the visit is an exact duplicate.
	d3 := f.details(func(d *claimstypes.ClaimDetails) {
		d.Lines[1] = claimstypes.ServiceLine{Code: "36415", ServiceDate: "2024-12-01", Quantity: 1, UnitChargeCents: 1_000}
	})
	cctest.RequireOK(t, f.submitAs("provider1", submission("clm-3"), d3))
	cctest.RequireOK(t, f.invoke("insurer1", "Adjudicate", "clm-3"))
	t.Run("a service already processed on another claim is denied as a duplicate", func(t *testing.T) {
		adj := f.state("clm-3").Record.Adjudication
		assert.Equal(t, claimstypes.OutcomePartial, adj.Outcome)
		assert.True(t, adj.Lines[0].Denied)
		assert.Equal(t, claimstypes.AdjDuplicate, adj.Lines[0].Adjustments[0].Kind)
		assert.False(t, adj.Lines[1].Denied)
		assert.Equal(t, int64(800), adj.Lines[1].PaidCents)
	})
}

func TestAppeal(t *testing.T) {
	f := newFixture(t)
	f.setup()
	physio := f.details(func(d *claimstypes.ClaimDetails) {
		d.Lines = []claimstypes.ServiceLine{{Code: "97110", ServiceDate: "2024-12-01", Quantity: 2, UnitChargeCents: 5_000}}
	})
	cctest.RequireOK(t, f.submitAs("provider1", submission("clm-1"), physio))
	h := cctest.Decode[claimstypes.ClaimHeader](t, f.invoke("insurer1", "Adjudicate", "clm-1"))
	require.Equal(t, claimstypes.OutcomeDenied, h.Outcome)

	t.Run("another provider may not appeal", func(t *testing.T) {
		before := f.l.Snapshot()
		f.requireFails(t, f.invoke("provider2", "Appeal", "clm-1", "covered"), codes.NotFound, before)
	})
	res := f.invoke("provider1", "Appeal", "clm-1", "97110 is covered by the plan")
	t.Run("the provider appeals a denied claim", func(t *testing.T) {
		h := cctest.Decode[claimstypes.ClaimHeader](t, res)
		assert.Equal(t, claimstypes.StatusAppealed, h.Status)
		assert.Equal(t, 1, h.AppealCount)
		assert.Equal(t, "97110 is covered by the plan", h.StatusReason)
		cctest.RequireEvent[claimstypes.ClaimEvent](t, res, claimstypes.EventClaimAppealed)
	})
	t.Run("the claim is adjudicated again against the corrected coverage", func(t *testing.T) {
		terms := f.terms(func(c *claimstypes.CoverageTerms) { c.CoveredCodes = append(c.CoveredCodes, "97110") })
		cctest.RequireOK(t, f.l.Invoke(cc, f.who("insurer1"), "UpdateCoverage", []string{covID}, cctest.WithTransientJSON(claimstypes.TransientCoverage, terms)))
		h := cctest.Decode[claimstypes.ClaimHeader](t, f.invoke("insurer1", "Adjudicate", "clm-1"))
		assert.Equal(t, claimstypes.OutcomeApproved, h.Outcome)
		adj := f.state("clm-1").Record.Adjudication
		assert.Equal(t, 2, adj.Round)
		assert.Equal(t, claimstypes.HashTerms(terms), adj.TermsHash)
	})
	t.Run("an approved claim cannot be appealed", func(t *testing.T) {
		before := f.l.Snapshot()
		ce := f.requireFails(t, f.invoke("provider1", "Appeal", "clm-1", "again"), codes.PreconditionFailed, before)
		assert.Contains(t, ce.Message, "only a denied claim")
	})
	t.Run("a claim denied again after its appeal cannot be appealed twice", func(t *testing.T) {
		d := f.details(func(d *claimstypes.ClaimDetails) {
			d.Lines = []claimstypes.ServiceLine{{Code: "97112", ServiceDate: "2024-12-01", Quantity: 1, UnitChargeCents: 5_000}}
		})
		cctest.RequireOK(t, f.submitAs("provider1", submission("clm-2"), d))
		cctest.RequireOK(t, f.invoke("insurer1", "Adjudicate", "clm-2"))
		cctest.RequireOK(t, f.invoke("provider1", "Appeal", "clm-2", "covered"))
		cctest.RequireOK(t, f.invoke("insurer1", "Adjudicate", "clm-2"))
		before := f.l.Snapshot()
		ce := f.requireFails(t, f.invoke("provider1", "Appeal", "clm-2", "covered"), codes.PreconditionFailed, before)
		assert.Contains(t, ce.Message, "already appealed once")
		cctest.RequireOK(t, f.invoke("insurer1", "Close", "clm-2"))
	})
}

func TestReadjudicationTakesTheFirstResultOutOfTheAccumulators(t *testing.T) {
	f := newFixture(t)
	update := func(mod func(*claimstypes.CoverageTerms)) {
		t.Helper()
		res := f.l.Invoke(cc, f.who("insurer1"), "UpdateCoverage", []string{covID}, cctest.WithTransientJSON(claimstypes.TransientCoverage, f.terms(mod)))
		cctest.RequireOK(t, res)
	}
	noShare := func(c *claimstypes.CoverageTerms) {
		c.CoinsuranceBP = 0
		c.DeductibleCents = 0
		c.AnnualLimitCents = 2_000
	}
	cctest.RequireOK(t, f.registerCoverageAs("insurer1", covID, f.terms(noShare)))
	f.permit(pat1)

	// $20 uses up the $20 annual limit.
	cctest.RequireOK(t, f.submitAs("provider1", submission("clm-1"), f.details(func(d *claimstypes.ClaimDetails) {
		d.Lines = []claimstypes.ServiceLine{{Code: "36415", ServiceDate: "2024-12-01", Quantity: 1, UnitChargeCents: 2_000}}
	})))
	cctest.RequireOK(t, f.invoke("insurer1", "Adjudicate", "clm-1"))
	// With a $100 deductible, $150 is $100 deductible and $50 over the limit: denied, yet it met the deductible.
	update(func(c *claimstypes.CoverageTerms) { noShare(c); c.DeductibleCents = 10_000 })
	cctest.RequireOK(t, f.submitAs("provider1", submission("clm-2"), f.details(func(d *claimstypes.ClaimDetails) {
		d.Lines = []claimstypes.ServiceLine{{Code: "99213", ServiceDate: "2024-12-01", Quantity: 1, UnitChargeCents: 15_000}}
	})))
	h := cctest.Decode[claimstypes.ClaimHeader](t, f.invoke("insurer1", "Adjudicate", "clm-2"))
	require.Equal(t, claimstypes.OutcomeDenied, h.Outcome)
	require.Equal(t, []claimstypes.Accumulator{{Year: 2024, DeductibleMetCents: 10_000, PaidCents: 2_000}}, f.coverageRecord(covID).Accumulators)

	cctest.RequireOK(t, f.invoke("provider1", "Appeal", "clm-2", "the limit was raised"))
	update(func(c *claimstypes.CoverageTerms) {
		noShare(c)
		c.DeductibleCents = 10_000
		c.AnnualLimitCents = 100_000
	})
	h = cctest.Decode[claimstypes.ClaimHeader](t, f.invoke("insurer1", "Adjudicate", "clm-2"))

	assert.Equal(t, claimstypes.OutcomeApproved, h.Outcome)
	adj := f.state("clm-2").Record.Adjudication
	assert.Equal(t, int64(5_000), adj.TotalPaidCents, "the deductible applies again, as if the first round never happened")
	assert.Equal(t, []claimstypes.Accumulator{{Year: 2024, DeductibleMetCents: 10_000, PaidCents: 7_000}}, f.coverageRecord(covID).Accumulators)
}

func TestPay(t *testing.T) {
	f := newFixture(t)
	f.setup()
	d := f.details(func(d *claimstypes.ClaimDetails) {
		d.Lines = []claimstypes.ServiceLine{{Code: "99213", ServiceDate: "2024-12-01", Quantity: 1, UnitChargeCents: 100_000}}
	})
	cctest.RequireOK(t, f.submitAs("provider1", submission("clm-1"), d))
	cctest.RequireOK(t, f.invoke("insurer1", "Adjudicate", "clm-1"))
	paid := f.state("clm-1").Record.Adjudication.TotalPaidCents
	require.Equal(t, int64(40_000), paid) // $1000 - $500 deductible - 20 % of $500
	pay := func(caller string, transient map[string][]byte) *cctest.Result {
		return f.l.Invoke(cc, f.who(caller), "Pay", []string{"clm-1"}, cctest.WithTransient(transient))
	}
	payment := func(amount int64, ref string) map[string][]byte {
		return map[string][]byte{claimstypes.TransientPayment: []byte(toJSON(t, claimstypes.PaymentInput{AmountCents: amount, PaymentRef: ref}))}
	}

	cases := []struct {
		name      string
		caller    string
		transient map[string][]byte
		code      codes.Code
	}{
		{"an amount other than the adjudicated one", "insurer1", payment(paid-1, "EFT-1"), codes.InvalidArgument},
		{"a negative amount", "insurer1", payment(-1, "EFT-1"), codes.InvalidArgument},
		{"a malformed payment reference", "insurer1", payment(paid, "EFT 1"), codes.InvalidArgument},
		{"a missing payment", "insurer1", map[string][]byte{}, codes.InvalidArgument},
		{"a payment that is not JSON", "insurer1", map[string][]byte{claimstypes.TransientPayment: []byte("40000")}, codes.InvalidArgument},
		{"a payment by the provider", "provider1", payment(paid, "EFT-1"), codes.Forbidden},
	}
	for _, tc := range cases {
		t.Run("refuses "+tc.name, func(t *testing.T) {
			before := f.l.Snapshot()
			f.requireFails(t, pay(tc.caller, tc.transient), tc.code, before)
		})
	}
	t.Run("records the adjudicated amount privately", func(t *testing.T) {
		res := pay("insurer1", payment(paid, "EFT-20241205-1"))
		h := cctest.Decode[claimstypes.ClaimHeader](t, res)
		assert.Equal(t, claimstypes.StatusPaid, h.Status)
		assert.Equal(t, &claimstypes.Payment{AmountCents: paid, PaymentRef: "EFT-20241205-1", PaidAt: res.Time}, f.state("clm-1").Record.Payment)
		assert.NotContains(t, string(res.Payload), "EFT-20241205-1")
		assert.NotContains(t, string(res.Event.Payload), "40000")
	})
	t.Run("refuses to pay a denied claim", func(t *testing.T) {
		cctest.RequireOK(t, f.submitAs("provider1", submission("clm-2"), f.details(func(d *claimstypes.ClaimDetails) {
			d.Lines = []claimstypes.ServiceLine{{Code: "97110", ServiceDate: "2024-12-01", Quantity: 1, UnitChargeCents: 100}}
		})))
		cctest.RequireOK(t, f.invoke("insurer1", "Adjudicate", "clm-2"))
		before := f.l.Snapshot()
		res := f.l.Invoke(cc, f.who("insurer1"), "Pay", []string{"clm-2"}, cctest.WithTransient(payment(0, "EFT-2")))
		ce := f.requireFails(t, res, codes.PreconditionFailed, before)
		assert.Contains(t, ce.Message, "denied")
	})
}

func TestVoid(t *testing.T) {
	f := newFixture(t)
	f.setup()
	f.submit("clm-1")
	res := f.invoke("provider1", "Void", "clm-1", "billed in error")
	h := cctest.Decode[claimstypes.ClaimHeader](t, res)
	assert.Equal(t, claimstypes.StatusVoided, h.Status)
	assert.Equal(t, "billed in error", h.StatusReason)
	ev := cctest.RequireEvent[claimstypes.ClaimEvent](t, res, claimstypes.EventClaimVoided)
	assert.Equal(t, claimstypes.ClaimEvent{ClaimID: "clm-1", Status: claimstypes.StatusVoided, ProviderMSP: hospitalMSP, Provider: npi1,
		InsurerMSP: insurerMSP, Insurer: payer1, At: res.Time}, ev)
	assert.Empty(t, f.state("clm-1").Fingerprint, "the fingerprint is released")
}
