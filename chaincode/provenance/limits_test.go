package provenance_test

import (
	"os"
	"strings"
	"testing"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/internal/cctest"
	"github.com/healthledger/healthledger/chaincode/provenance"
	"github.com/healthledger/healthledger/chaincode/provenance/provenancetypes"
	"github.com/stretchr/testify/require"
)

func TestFrameworkRefusalsAreInvalidArgument(t *testing.T) {
	tests := []struct {
		name string
		fn   string
		args []string
		want string
	}{
		{"a wrong argument count", "Verify", []string{gtin, "S000000", lot}, "Verify takes 4 arguments, got 3"},
		{"too many arguments", "RegisterParty", []string{"extra"}, "RegisterParty takes 0 arguments, got 1"},
		{"a page size that is not an integer", "BatchCustody", []string{gtin, lot, "1e3", ""}, "argument 3 of BatchCustody must be an integer"},
		{"a batch that is not JSON", "CommissionBatch", []string{`[`}, "batch is not valid JSON of the expected shape"},
		{"an unknown function", "Teleport", []string{gtin}, `unknown function "Teleport"`},
		{"a reason over 1 KiB", "Recall", []string{gtin, lot, strings.Repeat("r", 1025)}, "argument 3 of Recall is 1025 bytes, more than its limit of 1024"},
		{"a readings document over 512 KiB", "RecordReadings", []string{strings.Repeat(" ", provenancetypes.MaxReadingsBytes+1)}, "argument 1 of RecordReadings is"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			w.setupProduct()
			before := w.l.Snapshot()
			ce := cctest.RequireCode(t, w.invoke(w.mfr, tc.fn, tc.args...), codes.InvalidArgument)
			require.Contains(t, ce.Message, tc.want)
			w.l.RequireUnchanged(t, before)
		})
	}
}

func TestAFullListOfSerialsFitsItsBound(t *testing.T) {
	// 2,000 serials of 20 characters that Go's JSON escapes (< > & become \u003c ...) fit the batch.
	sn := make([]string, provenancetypes.MaxSerialsPerTx)
	for i := range sn {
		sn[i] = strings.Repeat("<", 14) + serials("", i, 1)[0]
	}
	spec := provenancetypes.BatchSpec{GTIN: gtin, Lot: lot, ManufacturedOn: made, Expiry: expiry, Quantity: len(sn), Serials: sn}
	raw := mustJSON(t, spec)
	require.Less(t, len(raw), provenancetypes.MaxBatchBytes)
	require.Less(t, len(mustJSON(t, sn)), provenancetypes.MaxSerialsBytes)
	w := newWorld(t)
	w.setupProduct()
	cctest.RequireOK(t, w.invoke(w.mfr, "CommissionBatch", raw))
}

func TestTheLimitsTableIsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/provenance.md")
	require.NoError(t, err)
	require.NoError(t, provenance.Limits().CheckDocumented(doc))
}
