package claims

import (
	"testing"

	"github.com/healthledger/healthledger/chaincode/claims/claimstypes"
	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/internal/cctest"
	"github.com/stretchr/testify/require"
)

// TestTransactionsAreDeclared pins the contract's surface, read from its real metadata: the queries
// are declared evaluate-only, and no helper leaks out as a transaction.
func TestTransactionsAreDeclared(t *testing.T) {
	f := newFixture(t)
	evaluate, submit := f.l.Transactions(cc, f.who("auditor1"))
	require.Equal(t, []string{"ClaimHistory", "GetClaim", "GetClaimDetails", "GetConsortium", "GetCoverage", "GetCoverageTerms",
		"ListClaimsByInsurer", "ListClaimsByProvider", "ListClaimsByStatus"}, evaluate)
	require.Equal(t, []string{"Adjudicate", "Appeal", "Close", "Pay", "Pend", "RegisterCoverage", "Resubmit",
		"SetConsortium", "SubmitClaim", "UpdateCoverage", "Void"}, submit)
}

func TestAnUnknownFunctionIsAnInvalidArgument(t *testing.T) {
	f := newFixture(t)
	before := f.l.Snapshot()
	ce := f.requireFails(t, f.invoke("provider1", "PayMe", "clm-1"), codes.InvalidArgument, before)
	require.Equal(t, `unknown function "PayMe"`, ce.Message)
}

// TestTrailingDataIsRefusedAndChangesNothing sends each JSON input of the contract, valid but for a
// stray '}' after it (which a decoder that asks json.Decoder.More would accept), to a ledger where the
// call would otherwise succeed.
func TestTrailingDataIsRefusedAndChangesNothing(t *testing.T) {
	f := newFixture(t)
	f.setup()
	f.submit("clm-paid")
	cctest.RequireOK(t, f.invoke("insurer1", "Adjudicate", "clm-paid"))
	header := toJSON(t, submission("clm-1"))
	details := toJSON(t, f.details(func(d *claimstypes.ClaimDetails) { d.Lines[0].UnitChargeCents = 16_000 }))
	terms := toJSON(t, f.terms(func(c *claimstypes.CoverageTerms) { c.CopayCents, c.CoinsuranceBP = 2_000, 0 }))
	payment := toJSON(t, claimstypes.PaymentInput{AmountCents: f.state("clm-paid").Record.Adjudication.TotalPaidCents, PaymentRef: "EFT-1"})
	call := func(caller, fn, arg, field, value string) *cctest.Result {
		return f.l.Invoke(cc, f.who(caller), fn, []string{arg}, cctest.WithTransient(map[string][]byte{field: []byte(value)}))
	}
	cases := []struct {
		name string
		call func() *cctest.Result
	}{
		{"the claim header", func() *cctest.Result {
			return call("provider1", "SubmitClaim", header+"}", claimstypes.TransientClaim, details)
		}},
		{"the transient claim details", func() *cctest.Result {
			return call("provider1", "SubmitClaim", header, claimstypes.TransientClaim, details+"}")
		}},
		{"the transient coverage terms", func() *cctest.Result {
			return call("insurer1", "UpdateCoverage", covID, claimstypes.TransientCoverage, terms+"}")
		}},
		{"the transient payment", func() *cctest.Result {
			return call("insurer1", "Pay", "clm-paid", claimstypes.TransientPayment, payment+"}")
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name+" with a stray closing brace is refused", func(t *testing.T) {
			before := f.l.Snapshot()
			ce := f.requireFails(t, tc.call(), codes.InvalidArgument, before)
			require.NotContains(t, ce.Message, "E11.9", "the message does not quote the private input")
		})
	}
	t.Run("the same inputs without it are accepted", func(t *testing.T) {
		cctest.RequireOK(t, call("provider1", "SubmitClaim", header, claimstypes.TransientClaim, details))
		cctest.RequireOK(t, call("insurer1", "UpdateCoverage", covID, claimstypes.TransientCoverage, terms))
		cctest.RequireOK(t, call("insurer1", "Pay", "clm-paid", claimstypes.TransientPayment, payment))
	})
}
