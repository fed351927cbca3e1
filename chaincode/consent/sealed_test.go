package consent_test

import (
	"testing"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/consent/consenttypes"
	"github.com/healthledger/healthledger/chaincode/internal/cctest"
	"github.com/healthledger/healthledger/chaincode/seal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// GetRecordDetails answers sealed: a client that submits it puts no record location or description
// into the block (docs/privacy.md, Sealed answers).
func TestGetRecordDetailsAnswersSealed(t *testing.T) {
	const marker = "SEALMARK"
	f := newFixture(t)
	raw := asJSON(t, consenttypes.RecordDetails{URI: "https://ehr.example/" + marker + "/lab.pdf", Description: "lipid panel " + marker, Salt: "c2FsdHNhbHRzYWx0c2FsdA"})
	cctest.RequireOK(t, f.invokeWith("patient1", "Grant", nil, asJSON(t, consentDoc("c-1", pat1, hospital))))
	cctest.RequireOK(t, f.invokeWith("provider1", "RegisterRecord", nil, "r-1", pat1, "Observation", sum("document"), sum(raw)))
	cctest.RequireOK(t, f.invokeWith("provider1", "PutRecordDetails",
		[]cctest.CallOption{cctest.WithTransient(map[string][]byte{consenttypes.TransientRecord: []byte(raw)})}, "r-1"))

	t.Run("submitted with a key, the answer is sealed and opens to the details", func(t *testing.T) {
		key, err := seal.NewKey()
		require.NoError(t, err)
		res := f.l.Clone(t).Invoke(cc, f.who("provider1"), "GetRecordDetails", []string{"r-1"}, cctest.WithSealKey(key))
		cctest.RequireOK(t, res)
		require.True(t, res.Committed)
		require.NotContains(t, string(res.Payload), marker)
		require.NotContains(t, string(res.Payload), "ehr.example")
		v := cctest.Unseal[consenttypes.RecordDetailsView](t, res, key)
		assert.Equal(t, "https://ehr.example/"+marker+"/lab.pdf", v.URI)
		assert.Equal(t, "lipid panel "+marker, v.Description)
	})
	t.Run("two peers of one transaction seal the same bytes", func(t *testing.T) {
		a := f.l.Clone(t).Evaluate(cc, f.who("patient1"), "GetRecordDetails", []string{"r-1"}, cctest.WithSealKey(cctest.SealKey()), cctest.WithTxID("tx-1"))
		b := f.l.Clone(t).Evaluate(cc, f.who("patient1"), "GetRecordDetails", []string{"r-1"}, cctest.WithSealKey(cctest.SealKey()), cctest.WithTxID("tx-1"))
		cctest.RequireOK(t, a)
		require.Equal(t, a.Payload, b.Payload)
	})
	for name, opts := range map[string][]cctest.CallOption{
		"without a key":      nil,
		"with a 31-byte key": {cctest.WithSealKey(make([]byte, 31))},
		"with a 64-byte key": {cctest.WithSealKey(make([]byte, 64))},
	} {
		t.Run("submitted "+name+", it is refused and changes nothing", func(t *testing.T) {
			l := f.l.Clone(t)
			before := l.Snapshot()
			res := l.Invoke(cc, f.who("provider1"), "GetRecordDetails", []string{"r-1"}, opts...)
			ce := cctest.RequireCode(t, res, codes.InvalidArgument)
			assert.Contains(t, ce.Message, seal.TransientKey)
			assert.NotContains(t, res.Message, marker)
			assert.Zero(t, res.Writes)
			l.RequireUnchanged(t, before)
		})
	}
	t.Run("the authorization still comes first: a caller who may not see it gets the answer of a missing record, key or not", func(t *testing.T) {
		cctest.RequireCode(t, f.eval("patient2", "GetRecordDetails", "r-1"), codes.NotFound)
		cctest.RequireCode(t, f.l.Evaluate(cc, f.who("patient2"), "GetRecordDetails", []string{"r-1"}), codes.NotFound)
	})
}
