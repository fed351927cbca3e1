package claims

import (
	"os"
	"strings"
	"testing"

	"github.com/healthledger/healthledger/chaincode/claims/claimstypes"
	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/internal/cctest"
	"github.com/stretchr/testify/require"
)

func TestFrameworkRefusalsAreInvalidArgument(t *testing.T) {
	tests := []struct {
		name      string
		fn        string
		args      []string
		transient map[string][]byte
		want      string
	}{
		{"a wrong argument count", "GetClaim", nil, nil, "GetClaim takes 1 argument, got 0"},
		{"a page size that is not an integer", "ListClaimsByStatus", []string{"submitted", "-", ""}, nil, "argument 2 of ListClaimsByStatus must be an integer"},
		{"a claim header that is not JSON", "SubmitClaim", []string{"claim"}, nil, "the claim header is not valid JSON of the expected shape"},
		{"an unknown function", "submitClaim", []string{"{}"}, nil, `unknown function "submitClaim"`},
		{"claim details over 64 KiB", "SubmitClaim", []string{`{}`},
			map[string][]byte{claimstypes.TransientClaim: []byte(strings.Repeat(" ", claimstypes.MaxClaimDetailsBytes+1))},
			`transient field "claim" of SubmitClaim is 65537 bytes, more than its limit of 65536`},
		{"a claim header over 4 KiB", "SubmitClaim", []string{strings.Repeat(" ", claimstypes.MaxSubmissionBytes+1)}, nil, "argument 1 of SubmitClaim is 4097 bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.setup()
			before := f.l.Snapshot()
			ce := cctest.RequireCode(t, f.l.Invoke(cc, f.who("provider1"), tc.fn, tc.args, cctest.WithTransient(tc.transient)), codes.InvalidArgument)
			require.Contains(t, ce.Message, tc.want)
			f.l.RequireUnchanged(t, before)
		})
	}
}

// TestRefusalsOfPrivateInputNameTheFieldNotTheValue: every message about the transient details,
// terms and payment names where the fault is, and repeats nothing of the input.
func TestRefusalsOfPrivateInputNameTheFieldNotTheValue(t *testing.T) {
	const secret = "Z99SECRET"
	f := newFixture(t)
	f.setup()
	tests := []struct {
		name string
		res  func() *cctest.Result
		want string
	}{
		{"a malformed diagnosis", func() *cctest.Result {
			return f.submitAs("provider1", submission("c-x"), f.details(func(d *claimstypes.ClaimDetails) { d.Diagnoses[1] = secret }))
		}, "diagnosis 2 is not an ICD-10-CM code"},
		{"a malformed service code", func() *cctest.Result {
			return f.submitAs("provider1", submission("c-x"), f.details(func(d *claimstypes.ClaimDetails) { d.Lines[0].Code = secret }))
		}, "line 1: its code is not a CPT, HCPCS, NDC or GTIN code"},
		{"a unit provenance does not know", func() *cctest.Result {
			return f.submitAs("pharmacist1", submission("c-x"), f.details(func(d *claimstypes.ClaimDetails) {
				d.Lines = []claimstypes.ServiceLine{{Code: testGTIN, ServiceDate: "2024-12-01", Quantity: 1, UnitChargeCents: 100,
					Unit: &claimstypes.UnitRef{GTIN: testGTIN, Serial: secret}}}
			}))
		}, "line 1: its unit is unknown to provenance"},
		{"an unknown field of the details", func() *cctest.Result {
			return f.l.Invoke(cc, f.who("provider1"), "SubmitClaim", []string{toJSON(t, submission("c-x"))},
				cctest.WithTransient(map[string][]byte{claimstypes.TransientClaim: []byte(`{"` + secret + `":1}`)}))
		}, "it has a field the chaincode does not know"},
		{"a malformed plan id", func() *cctest.Result {
			return f.registerCoverageAs("insurer1", "cov-x", f.terms(func(c *claimstypes.CoverageTerms) { c.PlanID = secret + "!" }))
		}, "the plan id is malformed"},
		{"a malformed covered code", func() *cctest.Result {
			return f.registerCoverageAs("insurer1", "cov-x", f.terms(func(c *claimstypes.CoverageTerms) { c.CoveredCodes = []string{secret} }))
		}, "covered code 1 (in sorted order) is not a CPT, HCPCS, NDC or GTIN code"},
		{"too many fee schedule entries", func() *cctest.Result {
			return f.registerCoverageAs("insurer1", "cov-x", f.terms(func(c *claimstypes.CoverageTerms) {
				c.FeeSchedule = make([]claimstypes.FeeScheduleEntry, claimstypes.MaxFeeSchedule+1)
			}))
		}, "more than 2000 fee schedule entries"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := f.l.Snapshot()
			res := tc.res()
			require.False(t, res.OK())
			require.Contains(t, res.Message, tc.want)
			require.NotContains(t, res.Message, secret)
			f.l.RequireUnchanged(t, before)
		})
	}
}

func TestTheLimitsTableIsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/claims.md")
	require.NoError(t, err)
	require.NoError(t, Limits().CheckDocumented(doc))
}
