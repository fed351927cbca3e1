package provenance_test

import (
	"strings"
	"testing"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/internal/cctest"
	"github.com/stretchr/testify/require"
)

// TestReadsCheckTheCallerFirst: every read refuses a role the consortium map does not grant the
// caller's organisation before it looks at its arguments, so such a certificate learns neither which
// arguments are well formed nor what exists; a member certificate without a role still reads.
func TestReadsCheckTheCallerFirst(t *testing.T) {
	w := newWorld(t)
	rogue := w.l.Identity(insurerMSP, "rogue", cctest.RoleAttrs("manufacturer", glnMfr))
	plain := w.l.Identity(hospitalMSP, "plain", nil)
	reads := map[string][]string{
		"GetBatch": {"x", "x"}, "GetShipment": {"x"}, "GetProduct": {"x"}, "GetParty": {"x", "x"}, "Verify": {"x", "x", "x", "x"},
		"GetUnit": {"x", "x"}, "BatchCustody": {"x", "x", "0", ""}, "UnitCustody": {"x", "x", "0", ""},
		"ListBatchesByOwner": {"x", "x", "0", ""}, "ListBatchesByStatus": {"x", "0", ""},
	}
	for fn, args := range reads {
		ce := cctest.RequireCode(t, w.evaluate(rogue, fn, args...), codes.Forbidden)
		require.True(t, strings.Contains(ce.Message, "consortium map"), "%s: %s", fn, ce.Message)
		res := w.evaluate(plain, fn, args...)
		require.NotEqual(t, codes.Forbidden, codes.Of(res.Err()), "%s refuses a member without a role: %s", fn, res)
	}
}
