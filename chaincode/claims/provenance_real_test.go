package claims

import (
	"testing"

	"github.com/healthledger/healthledger/chaincode/claims/claimstypes"
	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/internal/cctest"
	"github.com/healthledger/healthledger/chaincode/provenance"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWithTheRealProvenanceChaincode(t *testing.T) {
	f := newFixture(t)
	real, err := provenance.NewChaincode()
	require.NoError(t, err)
	f.l.Register(ProvenanceChaincode, real)
	f.setup()
	prov := func(caller, fn string, args ...string) {
		t.Helper()
		cctest.RequireOK(t, f.l.Invoke(ProvenanceChaincode, f.who(caller), fn, args))
	}
	// A manufacturer commissions two serialized units, ships them to the pharmacy, which receives them
	// and dispenses one.
	prov("manufacturer1", "RegisterParty")
	prov("pharmacist1", "RegisterParty")
	prov("manufacturer1", "RegisterProduct", `{"gtin":"`+testGTIN+`","name":"Metformin","strength":"500 mg","dosageForm":"tablet","storage":{"minCelsius":15,"maxCelsius":25}}`)
	prov("manufacturer1", "CommissionBatch", `{"gtin":"`+testGTIN+`","lot":"L1","manufacturedOn":"2024-06-01","expiry":"2027-01-31","quantity":2,"serials":["SN-1","SN-2"]}`)
	prov("manufacturer1", "Ship", `{"shipmentId":"shp-1","gtin":"`+testGTIN+`","lot":"L1","receiver":{"mspId":"HospitalMSP","gln":"`+pharmGLN+`"}}`)
	prov("pharmacist1", "Receive", "shp-1")
	prov("pharmacist1", "Dispense", testGTIN, "SN-1", "{}")

	drug := func(serial string) claimstypes.ClaimDetails {
		return f.details(func(d *claimstypes.ClaimDetails) {
			d.Lines = []claimstypes.ServiceLine{{Code: testGTIN, ServiceDate: "2024-12-01", Quantity: 1, UnitChargeCents: 4_200,
				Unit: &claimstypes.UnitRef{GTIN: testGTIN, Serial: serial}}}
		})
	}
	t.Run("a claim for the unit the pharmacy dispensed is accepted", func(t *testing.T) {
		h := cctest.Decode[claimstypes.ClaimHeader](t, f.submitAs("pharmacist1", submission("rx-1"), drug("SN-1")))
		assert.Equal(t, claimstypes.ClaimPharmacy, h.ClaimType)
	})
	t.Run("a claim for a unit still on the shelf is refused", func(t *testing.T) {
		before := f.l.Snapshot()
		ce := f.requireFails(t, f.submitAs("pharmacist1", submission("rx-2"), drug("SN-2")), codes.PreconditionFailed, before)
		assert.Contains(t, ce.Message, "not dispensed")
	})
	t.Run("a claim for a unit of a recalled batch is refused", func(t *testing.T) {
		prov("pharmacist1", "Dispense", testGTIN, "SN-2", "{}")
		prov("manufacturer1", "Recall", testGTIN, "L1", "contamination")
		before := f.l.Snapshot()
		ce := f.requireFails(t, f.submitAs("pharmacist1", submission("rx-2"), drug("SN-2")), codes.PreconditionFailed, before)
		assert.Contains(t, ce.Message, "recalled")
	})
}
