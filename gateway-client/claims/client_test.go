package claims_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"

	"github.com/healthledger/healthledger/chaincode/claims/claimstypes"
	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/seal"
	"github.com/healthledger/healthledger/gateway-client/claims"
	"github.com/healthledger/healthledger/gateway-client/sdk"
	"github.com/healthledger/healthledger/gateway-client/sdktest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// gateway is a fake gateway: it records every call and answers per function name.
type gateway struct {
	mu      sync.Mutex
	calls   []sdktest.Call
	answers map[string][]byte
	errs    map[string]error
}

func newGateway() *gateway {
	return &gateway{answers: map[string][]byte{}, errs: map[string]error{}}
}

func (g *gateway) handle(_ context.Context, call sdktest.Call) ([]byte, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.calls = append(g.calls, call)
	if err := g.errs[call.Function]; err != nil {
		return nil, err
	}
	a, ok := g.answers[call.Function]
	if !ok {
		a = []byte(`{}`)
	}
	if call.Function == "GetClaimDetails" || call.Function == "GetCoverageTerms" {
		// The private reads answer sealed, as the chaincode does.
		return sdktest.Sealed(call, json.RawMessage(a))
	}
	return a, nil
}

func (g *gateway) answer(t *testing.T, fn string, v any) {
	t.Helper()
	raw, err := json.Marshal(v)
	require.NoError(t, err)
	g.mu.Lock()
	defer g.mu.Unlock()
	g.answers[fn] = raw
}

func (g *gateway) recorded() []sdktest.Call {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]sdktest.Call(nil), g.calls...)
}

func (g *gateway) last(t *testing.T) sdktest.Call {
	t.Helper()
	calls := g.recorded()
	require.NotEmpty(t, calls, "no call reached the gateway")
	return calls[len(calls)-1]
}

const networkJSON = `{"layout":"default","channel":"healthchannel","wallet":"../wallet",
 "orgs":[{"name":"hospital","mspId":"HospitalMSP","profile":"hospital.json","roles":["patient","provider","pharmacist"]},
         {"name":"pharma","mspId":"PharmaMSP","profile":"pharma.json","roles":["manufacturer","distributor"]},
         {"name":"insurer","mspId":"InsurerMSP","profile":"insurer.json","roles":["insurer","auditor"]}],
 "identities":[], "chaincodes":["baseline","consent","provenance","claims"]}`

var (
	provider1   = sdk.IdentityInfo{Name: "provider1", MSPID: "HospitalMSP", Role: "provider", Subject: "1003000126"}
	pharmacist1 = sdk.IdentityInfo{Name: "pharmacist1", MSPID: "HospitalMSP", Role: "pharmacist", Subject: "0614141000029"}
	insurer1    = sdk.IdentityInfo{Name: "insurer1", MSPID: "InsurerMSP", Role: "insurer", Subject: "PAYER-0001"}
)

func newClient(t *testing.T, g *gateway, id sdk.IdentityInfo, withNetwork bool) *claims.Client {
	t.Helper()
	opts := []sdk.Option{sdk.WithoutRetry()}
	if withNetwork {
		net, err := sdk.ParseNetwork([]byte(networkJSON), t.TempDir())
		require.NoError(t, err)
		opts = append(opts, sdk.WithNetwork(net))
	}
	c, err := sdktest.NewClient(g.handle, id, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return claims.New(c)
}

func details() claimstypes.ClaimDetails {
	return claimstypes.ClaimDetails{
		Diagnoses:  []string{"E11.9"},
		Lines:      []claimstypes.ServiceLine{{Code: "99213", ServiceDate: "2024-12-01", Quantity: 1, UnitChargeCents: 15_000}},
		TotalCents: 15_000,
	}
}

func terms() claimstypes.CoverageTerms {
	return claimstypes.CoverageTerms{Member: "pat-7f3a9c21", PlanID: "PPO", PeriodStart: "2024-01-01", PeriodEnd: "2025-12-31",
		CoveredCodes: []string{"99213"}, DeductibleCents: 50_000, CoinsuranceBP: 2_000}
}

func header(id string) claimstypes.ClaimHeader {
	return claimstypes.ClaimHeader{ID: id, ClaimType: claimstypes.ClaimProfessional, ProviderMSP: "HospitalMSP", Provider: "1003000126",
		Patient: "pat-7f3a9c21", InsurerMSP: "InsurerMSP", Insurer: "PAYER-0001", CoverageID: "cov-1", Status: claimstypes.StatusSubmitted}
}

func TestSubmitClaim(t *testing.T) {
	g := newGateway()
	g.answer(t, "SubmitClaim", header("clm-1"))
	c := newClient(t, g, provider1, true)

	h, err := c.SubmitClaim(context.Background(), claimstypes.ClaimSubmission{ID: "clm-1", Patient: "pat-7f3a9c21", CoverageID: "cov-1"}, details())
	require.NoError(t, err)
	assert.Equal(t, "clm-1", h.ID)

	call := g.last(t)
	t.Run("submits the public header as the one argument", func(t *testing.T) {
		assert.True(t, call.Submit)
		assert.Equal(t, "claims", call.Chaincode)
		require.Len(t, call.Args, 1)
		assert.JSONEq(t, `{"id":"clm-1","patient":"pat-7f3a9c21","coverageId":"cov-1","frequencyCode":"1"}`, call.Args[0])
	})
	t.Run("passes the details as transient data with a fresh nonce", func(t *testing.T) {
		var sent claimstypes.ClaimDetails
		require.NoError(t, json.Unmarshal(call.Transient[claimstypes.TransientClaim], &sent))
		assert.Len(t, sent.Nonce, 64)
		assert.Equal(t, details().Lines, sent.Lines)
		assert.NotContains(t, call.Args[0], "E11.9")
	})
	t.Run("asks the provider's and the insurer's organisations to endorse", func(t *testing.T) {
		assert.Equal(t, []string{"HospitalMSP", "InsurerMSP"}, call.EndorsingOrgs)
	})
	t.Run("keeps a nonce the caller chose", func(t *testing.T) {
		d := details()
		d.Nonce = "my-own-nonce-0123456789abcdef0123"
		_, err := c.SubmitClaim(context.Background(), claimstypes.ClaimSubmission{ID: "clm-1", Patient: "pat-7f3a9c21", CoverageID: "cov-1"}, d)
		require.NoError(t, err)
		var sent claimstypes.ClaimDetails
		require.NoError(t, json.Unmarshal(g.last(t).Transient[claimstypes.TransientClaim], &sent))
		assert.Equal(t, d.Nonce, sent.Nonce)
	})
}

func TestSubmitClaimWithoutANetworkLeavesTheEndorsersToTheGateway(t *testing.T) {
	g := newGateway()
	g.answer(t, "SubmitClaim", header("clm-1"))
	c := newClient(t, g, provider1, false)
	_, err := c.SubmitClaim(context.Background(), claimstypes.ClaimSubmission{ID: "clm-1", Patient: "pat-7f3a9c21", CoverageID: "cov-1"}, details())
	require.NoError(t, err)
	assert.Empty(t, g.last(t).EndorsingOrgs)

	t.Run("unless the submission names the insurer organisation", func(t *testing.T) {
		sub := claimstypes.ClaimSubmission{ID: "clm-1", Patient: "pat-7f3a9c21", CoverageID: "cov-1", InsurerMSP: "Org9MSP"}
		_, err := c.SubmitClaim(context.Background(), sub, details())
		require.NoError(t, err)
		assert.Equal(t, []string{"HospitalMSP", "Org9MSP"}, g.last(t).EndorsingOrgs)
	})
}

func TestBadInputFailsLocally(t *testing.T) {
	g := newGateway()
	c := newClient(t, g, provider1, true)
	ctx := context.Background()
	sub := claimstypes.ClaimSubmission{ID: "clm-1", Patient: "pat-7f3a9c21", CoverageID: "cov-1"}
	cases := []struct {
		name string
		call func() error
	}{
		{"a total that is not the sum of the lines", func() error {
			d := details()
			d.TotalCents++
			_, err := c.SubmitClaim(ctx, sub, d)
			return err
		}},
		{"a malformed ICD-10 code", func() error {
			d := details()
			d.Diagnoses = []string{"1234"}
			_, err := c.SubmitClaim(ctx, sub, d)
			return err
		}},
		{"a drug line on a provider's claim", func() error {
			d := details()
			d.Lines[0].Code = "00614141000012"
			d.Lines[0].Unit = &claimstypes.UnitRef{GTIN: "00614141000012", Serial: "1"}
			_, err := c.SubmitClaim(ctx, sub, d)
			return err
		}},
		{"a replacement without its original", func() error {
			s := sub
			s.FrequencyCode = claimstypes.FrequencyReplacement
			_, err := c.SubmitClaim(ctx, s, details())
			return err
		}},
		{"a malformed claim id", func() error { _, err := c.Adjudicate(ctx, "clm 1"); return err }},
		{"an empty pend reason", func() error { _, err := c.Pend(ctx, "clm-1", ""); return err }},
		{"a negative payment", func() error { _, err := c.Pay(ctx, "clm-1", -1, "EFT-1"); return err }},
		{"an unknown status", func() error { _, err := c.ListClaimsByStatus(ctx, "lost", 10, ""); return err }},
		{"a page size above the maximum", func() error { _, err := c.ListClaimsByInsurer(ctx, "InsurerMSP", 501, ""); return err }},
		{"coverage terms with coinsurance and a copay", func() error {
			tm := terms()
			tm.CopayCents = 1
			_, err := c.RegisterCoverage(ctx, "cov-1", tm)
			return err
		}},
	}
	for _, tc := range cases {
		t.Run("refuses "+tc.name+" without a call", func(t *testing.T) {
			err := tc.call()
			require.ErrorIs(t, err, sdk.ErrInvalidArgument)
			assert.Empty(t, g.recorded())
		})
	}
}

func TestChaincodeErrorsMapToSentinels(t *testing.T) {
	g := newGateway()
	g.errs["SubmitClaim"] = codes.New(codes.Duplicate, "claim clm-2 duplicates claim clm-1")
	g.errs["GetClaimDetails"] = codes.New(codes.Forbidden, "GetClaimDetails: no")
	c := newClient(t, g, provider1, true)

	_, err := c.SubmitClaim(context.Background(), claimstypes.ClaimSubmission{ID: "clm-2", Patient: "pat-7f3a9c21", CoverageID: "cov-1"}, details())
	require.ErrorIs(t, err, sdk.ErrDuplicate)
	assert.Contains(t, err.Error(), "clm-1")
	var ge *sdk.Error
	require.ErrorAs(t, err, &ge)
	assert.Equal(t, codes.Duplicate, ge.Code)

	_, err = c.GetClaimDetails(context.Background(), "clm-1")
	require.ErrorIs(t, err, sdk.ErrForbidden)
}

func TestTransitionsAreEndorsedByTheClaimsParties(t *testing.T) {
	g := newGateway()
	h := header("clm-1")
	h.ProviderMSP, h.InsurerMSP = "ClinicMSP", "InsurerMSP"
	g.answer(t, "GetClaim", h)
	adjudicated := h
	adjudicated.Status, adjudicated.Outcome = claimstypes.StatusAdjudicated, claimstypes.OutcomeApproved
	g.answer(t, "Adjudicate", adjudicated)
	c := newClient(t, g, insurer1, true)

	got, err := c.Adjudicate(context.Background(), "clm-1")
	require.NoError(t, err)
	assert.Equal(t, claimstypes.OutcomeApproved, got.Outcome)
	calls := g.recorded()
	require.Len(t, calls, 2)
	t.Run("reads the claim's parties first", func(t *testing.T) {
		assert.False(t, calls[0].Submit)
		assert.Equal(t, "GetClaim", calls[0].Function)
	})
	t.Run("then asks both parties' organisations to endorse", func(t *testing.T) {
		assert.True(t, calls[1].Submit)
		assert.Equal(t, []string{"clm-1"}, calls[1].Args)
		assert.Equal(t, []string{"ClinicMSP", "InsurerMSP"}, calls[1].EndorsingOrgs)
	})
	t.Run("remembers the parties for the next call", func(t *testing.T) {
		_, err := c.Pay(context.Background(), "clm-1", 12_000, "EFT-1")
		require.NoError(t, err)
		calls := g.recorded()
		require.Len(t, calls, 3)
		pay := calls[2]
		assert.Equal(t, "Pay", pay.Function)
		assert.Equal(t, []string{"clm-1"}, pay.Args)
		assert.Equal(t, []string{"ClinicMSP", "InsurerMSP"}, pay.EndorsingOrgs)
		assert.JSONEq(t, `{"amountCents":12000,"paymentRef":"EFT-1"}`, string(pay.Transient[claimstypes.TransientPayment]))
	})
	t.Run("a claim that cannot be read is not submitted", func(t *testing.T) {
		g.errs["GetClaim"] = codes.New(codes.NotFound, "claim clm-9")
		_, err := c.Close(context.Background(), "clm-9")
		require.ErrorIs(t, err, sdk.ErrNotFound)
		assert.Len(t, g.recorded(), 4)
	})
}

func TestLifecycleCallsSendTheirArguments(t *testing.T) {
	g := newGateway()
	g.answer(t, "SubmitClaim", header("clm-1"))
	c := newClient(t, g, provider1, true)
	ctx := context.Background()
	_, err := c.SubmitClaim(ctx, claimstypes.ClaimSubmission{ID: "clm-1", Patient: "pat-7f3a9c21", CoverageID: "cov-1"}, details())
	require.NoError(t, err)

	cases := []struct {
		name string
		call func() error
		fn   string
		args []string
	}{
		{"Pend sends the id and the reason", func() error { _, err := c.Pend(ctx, "clm-1", "notes"); return err }, "Pend", []string{"clm-1", "notes"}},
		{"Appeal sends the id and the reason", func() error { _, err := c.Appeal(ctx, "clm-1", "covered"); return err }, "Appeal", []string{"clm-1", "covered"}},
		{"Void sends the id and the reason", func() error { _, err := c.Void(ctx, "clm-1", "error"); return err }, "Void", []string{"clm-1", "error"}},
		{"Close sends the id", func() error { _, err := c.Close(ctx, "clm-1"); return err }, "Close", []string{"clm-1"}},
		{"Resubmit sends the id and the details as transient data", func() error {
			_, err := c.Resubmit(ctx, "clm-1", details())
			return err
		}, "Resubmit", []string{"clm-1"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.NoError(t, tc.call())
			call := g.last(t)
			assert.True(t, call.Submit)
			assert.Equal(t, tc.fn, call.Function)
			assert.Equal(t, tc.args, call.Args)
			assert.Equal(t, []string{"HospitalMSP", "InsurerMSP"}, call.EndorsingOrgs)
			if tc.fn == "Resubmit" {
				assert.Contains(t, string(call.Transient[claimstypes.TransientClaim]), `"nonce"`)
			}
		})
	}
	assert.Len(t, g.recorded(), 1+len(cases), "the submitted claim's parties were remembered")
}

func TestPharmacistsSubmitDrugLines(t *testing.T) {
	g := newGateway()
	g.answer(t, "SubmitClaim", header("rx-1"))
	c := newClient(t, g, pharmacist1, true)
	d := claimstypes.ClaimDetails{
		Diagnoses: []string{"E11.9"},
		Lines: []claimstypes.ServiceLine{{Code: "00614141000012", ServiceDate: "2024-12-01", Quantity: 1, UnitChargeCents: 4_200,
			Unit: &claimstypes.UnitRef{GTIN: "00614141000012", Serial: "SN-1"}}},
		TotalCents: 4_200,
	}
	_, err := c.SubmitClaim(context.Background(), claimstypes.ClaimSubmission{ID: "rx-1", Patient: "pat-7f3a9c21", CoverageID: "cov-1"}, d)
	require.NoError(t, err)
	assert.Equal(t, []string{"HospitalMSP", "InsurerMSP"}, g.last(t).EndorsingOrgs)
}

func TestRegisterCoverage(t *testing.T) {
	g := newGateway()
	g.answer(t, "RegisterCoverage", claimstypes.CoverageHeader{ID: "cov-1", InsurerMSP: "InsurerMSP", Insurer: "PAYER-0001", Member: "pat-7f3a9c21"})
	c := newClient(t, g, insurer1, true)
	h, err := c.RegisterCoverage(context.Background(), "cov-1", terms())
	require.NoError(t, err)
	assert.Equal(t, "pat-7f3a9c21", h.Member)

	call := g.last(t)
	assert.Equal(t, []string{"cov-1"}, call.Args)
	assert.Equal(t, []string{"InsurerMSP", "HospitalMSP"}, call.EndorsingOrgs)
	var sent claimstypes.CoverageTerms
	require.NoError(t, json.Unmarshal(call.Transient[claimstypes.TransientCoverage], &sent))
	assert.Len(t, sent.Nonce, 64)
	assert.Equal(t, int64(2_000), sent.CoinsuranceBP)

	t.Run("without a network the gateway picks the endorsers", func(t *testing.T) {
		g := newGateway()
		c := newClient(t, g, insurer1, false)
		_, err := c.UpdateCoverage(context.Background(), "cov-1", terms())
		require.NoError(t, err)
		assert.Equal(t, "UpdateCoverage", g.last(t).Function)
		assert.Empty(t, g.last(t).EndorsingOrgs)
	})
}

func TestVerifyClaimDetails(t *testing.T) {
	d := details()
	d.Nonce = "0123456789abcdef0123456789abcdef"
	g := newGateway()
	h := header("clm-1")
	h.DetailsHash = claimstypes.HashDetails(d)
	g.answer(t, "GetClaim", h)
	g.answer(t, "GetClaimDetails", claimstypes.ClaimRecord{ClaimID: "clm-1", DetailsHash: h.DetailsHash, Details: d})
	c := newClient(t, g, insurer1, true)

	rec, err := c.VerifyClaimDetails(context.Background(), "clm-1")
	require.NoError(t, err)
	assert.Equal(t, d, rec.Details)

	t.Run("details that do not hash to the header are a mismatch", func(t *testing.T) {
		tampered := d
		tampered.TotalCents = 1
		g.answer(t, "GetClaimDetails", claimstypes.ClaimRecord{ClaimID: "clm-1", DetailsHash: h.DetailsHash, Details: tampered})
		_, err := c.VerifyClaimDetails(context.Background(), "clm-1")
		require.ErrorIs(t, err, claims.ErrDetailsMismatch)
	})
}

func TestQueries(t *testing.T) {
	g := newGateway()
	g.answer(t, "ListClaimsByProvider", map[string]any{"items": nil, "bookmark": ""})
	g.answer(t, "ListClaimsByStatus", claimstypes.ClaimPage{Items: []claimstypes.ClaimHeader{header("clm-1")}, Bookmark: "next"})
	g.answer(t, "ClaimHistory", nil)
	c := newClient(t, g, insurer1, true)
	ctx := context.Background()

	p, err := c.ListClaimsByProvider(ctx, "HospitalMSP", "1003000126", 0, "")
	require.NoError(t, err)
	assert.NotNil(t, p.Items)
	assert.Empty(t, p.Items)
	assert.Equal(t, []string{"HospitalMSP", "1003000126", "0", ""}, g.last(t).Args)
	assert.False(t, g.last(t).Submit)

	p, err = c.ListClaimsByStatus(ctx, claimstypes.StatusPended, 25, "bm")
	require.NoError(t, err)
	assert.Equal(t, "next", p.Bookmark)
	assert.Equal(t, []string{"pended", "25", "bm"}, g.last(t).Args)

	_, err = c.ListClaimsByInsurer(ctx, "InsurerMSP", 10, "")
	require.NoError(t, err)
	assert.Equal(t, []string{"InsurerMSP", "10", ""}, g.last(t).Args)

	hist, err := c.ClaimHistory(ctx, "clm-1")
	require.NoError(t, err)
	assert.NotNil(t, hist)

	g.answer(t, "GetCoverageTerms", claimstypes.CoverageRecord{CoverageID: "cov-1", Terms: claimstypes.CoverageTerms{PlanID: "PPO-GOLD"}})
	cov, err := c.GetCoverageTerms(ctx, "cov-1")
	require.NoError(t, err)
	assert.NotNil(t, cov.Accumulators)
	assert.Equal(t, "PPO-GOLD", cov.Terms.PlanID, "the sealed answer opens to the plain terms")
	sealed := g.last(t)
	assert.Len(t, sealed.Transient[seal.TransientKey], seal.KeySize, "a sealed read carries a fresh seal key")
	assert.Equal(t, []string{insurer1.MSPID}, sealed.EndorsingOrgs, "and sends it to the caller's org only")
}

func TestDecodeEvent(t *testing.T) {
	ev, err := claims.DecodeEvent(sdk.ChaincodeEvent{Name: claimstypes.EventClaimAdjudicated, Payload: []byte(`{"claimId":"clm-1","status":"adjudicated","outcome":"partial"}`)})
	require.NoError(t, err)
	require.IsType(t, &claimstypes.ClaimEvent{}, ev)
	assert.Equal(t, claimstypes.OutcomePartial, ev.(*claimstypes.ClaimEvent).Outcome)

	ev, err = claims.DecodeEvent(sdk.ChaincodeEvent{Name: claimstypes.EventCoverageRegistered, Payload: []byte(`{"coverageId":"cov-1"}`)})
	require.NoError(t, err)
	require.IsType(t, &claimstypes.CoverageEvent{}, ev)

	_, err = claims.DecodeEvent(sdk.ChaincodeEvent{Name: "Unknown"})
	require.Error(t, err)
	assert.False(t, errors.Is(err, sdk.ErrInvalidArgument))
}
