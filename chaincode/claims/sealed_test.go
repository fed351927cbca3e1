package claims

import (
	"bytes"
	"testing"

	"github.com/healthledger/healthledger/chaincode/claims/claimstypes"
	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/internal/cctest"
	"github.com/healthledger/healthledger/chaincode/seal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The private reads answer sealed: a client that submits one puts no private data into the block
// (docs/privacy.md, Sealed answers).
func TestPrivateReadsAnswerSealed(t *testing.T) {
	f := newFixture(t)
	f.setup()
	f.submit("clm-1")
	reads := []struct {
		fn, arg string
		private []string // plain values of the private record, which the sealed answer must not hold
	}{
		{"GetClaimDetails", "clm-1", []string{"E11.9", "99213", "80053"}},
		{"GetCoverageTerms", covID, []string{"PPO-GOLD", "36415"}},
	}
	for _, r := range reads {
		t.Run(r.fn+" submitted with a key answers a sealed envelope that opens to the plain answer", func(t *testing.T) {
			key, err := seal.NewKey()
			require.NoError(t, err)
			res := f.l.Clone(t).Invoke(cc, f.who("insurer1"), r.fn, []string{r.arg}, cctest.WithSealKey(key))
			cctest.RequireOK(t, res)
			require.True(t, seal.IsSealed(res.Payload), "answer %s", res.Payload)
			for _, p := range r.private {
				require.NotContains(t, string(res.Payload), p)
			}
			plain, err := seal.OpenPayload(key, r.fn, res.TxID, res.Payload)
			require.NoError(t, err)
			for _, p := range r.private {
				require.Contains(t, string(plain), p, "the opened answer holds the private record")
			}
			_, err = seal.OpenPayload(cctest.SealKey(), r.fn, res.TxID, res.Payload)
			require.ErrorIs(t, err, seal.ErrOpen, "another key does not open it")
		})
		t.Run(r.fn+" gives every endorsing peer the same bytes", func(t *testing.T) {
			a := f.l.Clone(t).Evaluate(cc, f.who("insurer1"), r.fn, []string{r.arg}, cctest.WithSealKey(cctest.SealKey()), cctest.WithTxID("tx-same"))
			b := f.l.Clone(t).Evaluate(cc, f.who("insurer1"), r.fn, []string{r.arg}, cctest.WithSealKey(cctest.SealKey()), cctest.WithTxID("tx-same"))
			cctest.RequireOK(t, a)
			require.Equal(t, a.Payload, b.Payload)
			c := f.l.Clone(t).Evaluate(cc, f.who("insurer1"), r.fn, []string{r.arg}, cctest.WithSealKey(cctest.SealKey()), cctest.WithTxID("tx-other"))
			require.False(t, bytes.Equal(a.Payload, c.Payload), "another transaction, another box")
		})
		for name, opts := range map[string][]cctest.CallOption{
			"without a key":          nil,
			"with an empty key":      {cctest.WithSealKey([]byte{})},
			"with a 16-byte key":     {cctest.WithSealKey(make([]byte, 16))},
			"with a 33-byte key":     {cctest.WithSealKey(make([]byte, 33))},
			"with the key elsewhere": {cctest.WithTransient(map[string][]byte{"seal": cctest.SealKey()})},
		} {
			t.Run(r.fn+" submitted "+name+" is refused and changes nothing", func(t *testing.T) {
				l := f.l.Clone(t)
				before := l.Snapshot()
				res := l.Invoke(cc, f.who("insurer1"), r.fn, []string{r.arg}, opts...)
				ce := cctest.RequireCode(t, res, codes.InvalidArgument)
				assert.Contains(t, ce.Message, seal.TransientKey)
				assert.Empty(t, res.Payload)
				assert.False(t, res.Committed)
				assert.Zero(t, res.Writes)
				l.RequireUnchanged(t, before)
			})
		}
	}
	t.Run("a refused reader learns nothing more with a key", func(t *testing.T) {
		// The answer of a missing object (no existence oracle), key or not.
		cctest.RequireCode(t, f.evaluate("provider2", "GetClaimDetails", "clm-1"), codes.NotFound)
		cctest.RequireCode(t, f.evaluate("insurer2", "GetCoverageTerms", covID), codes.NotFound)
	})
	t.Run("the opened answers decode as the wire types", func(t *testing.T) {
		rec := cctest.DecodeSealed[claimstypes.ClaimRecord](t, f.evaluate("insurer1", "GetClaimDetails", "clm-1"))
		assert.Equal(t, "clm-1", rec.ClaimID)
		terms := cctest.DecodeSealed[claimstypes.CoverageRecord](t, f.evaluate("insurer1", "GetCoverageTerms", covID))
		assert.Equal(t, covID, terms.CoverageID)
	})
}
