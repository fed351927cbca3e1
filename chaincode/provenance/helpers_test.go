package provenance_test

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/internal/cctest"
	"github.com/healthledger/healthledger/chaincode/internal/orgroles"
	"github.com/healthledger/healthledger/chaincode/provenance"
	"github.com/healthledger/healthledger/chaincode/provenance/provenancetypes"
	"github.com/stretchr/testify/require"
)

const (
	cc          = "provenance"
	gtin        = "00614141000418"
	gtin13      = "0614141000418"
	gtin2       = "00614141000425"
	lot         = "LOT-A1"
	lot2        = "LOT-B2"
	made        = "2024-06-01"
	expiry      = "2027-06-30"
	glnMfr      = "0614141000005"
	glnMfr2     = "0614141000043"
	glnDist     = "0614141000012"
	glnPharm    = "0614141000029"
	glnPh2      = "0614141000036"
	pharmaMSP   = "PharmaMSP"
	hospitalMSP = "HospitalMSP"
	insurerMSP  = "InsurerMSP"
	genericsMSP = "GenericsMSP"
)

// world is a ledger with the provenance chaincode and the demo identities.
type world struct {
	t       testing.TB
	l       *cctest.Ledger
	mfr     *cctest.Identity
	mfr2    *cctest.Identity
	dist    *cctest.Identity
	pharm   *cctest.Identity
	pharm2  *cctest.Identity
	auditor *cctest.Identity
	patient *cctest.Identity
}

func party(msp, gln string) provenancetypes.Party { return provenancetypes.Party{MSPID: msp, GLN: gln} }

var (
	pMfr   = party(pharmaMSP, glnMfr)
	pDist  = party(pharmaMSP, glnDist)
	pPharm = party(hospitalMSP, glnPharm)
	pPh2   = party(hospitalMSP, glnPh2)
)

// sharedChaincode builds the chaincode once for the test binary: building it (reflection and schema
// compilation) is the slowest part of a test, and a ContractChaincode keeps no state between calls.
// TestThroughNewChaincode builds its own.
var sharedChaincode = sync.OnceValues(provenance.NewChaincode)

// testMap is the consortium map of the test world: PharmaMSP makes and distributes, under GS1
// company prefix 0614141; GenericsMSP makes under 0312345; HospitalMSP and ClinicMSP (a second
// pharmacy organisation) dispense; InsurerMSP audits.
func testMap() orgroles.Map {
	return orgroles.Map{
		Version: 1,
		Roles: map[string][]string{
			"manufacturer": {pharmaMSP, genericsMSP},
			"distributor":  {pharmaMSP},
			"pharmacist":   {hospitalMSP, clinicMSP},
			"auditor":      {insurerMSP},
			"patient":      {hospitalMSP},
			"provider":     {hospitalMSP},
			"insurer":      {insurerMSP},
		},
		GS1Prefixes: map[string][]string{pharmaMSP: {"0614141"}, genericsMSP: {"0312345"}},
	}
}

// installMap installs m as the provenance chaincode's consortium map, in place of the default
// layout's that the ledger installs, as deploy would.
func installMap(tb testing.TB, l *cctest.Ledger, m orgroles.Map) {
	tb.Helper()
	require.NoError(tb, m.Validate())
	l.InstallConsortium(cc, &m)
}

func newWorld(t testing.TB) *world {
	t.Helper()
	l := cctest.New(t)
	chaincode, err := sharedChaincode()
	require.NoError(t, err)
	l.Register(cc, chaincode)
	installMap(t, l, testMap())
	return &world{
		t:       t,
		l:       l,
		mfr:     l.Identity(pharmaMSP, "manufacturer1", cctest.RoleAttrs("manufacturer", glnMfr)),
		mfr2:    l.Identity(pharmaMSP, "manufacturer2", cctest.RoleAttrs("manufacturer", glnMfr2)),
		dist:    l.Identity(pharmaMSP, "distributor1", cctest.RoleAttrs("distributor", glnDist)),
		pharm:   l.Identity(hospitalMSP, "pharmacist1", cctest.RoleAttrs("pharmacist", glnPharm)),
		pharm2:  l.Identity(hospitalMSP, "pharmacist2", cctest.RoleAttrs("pharmacist", glnPh2)),
		auditor: l.Identity(insurerMSP, "auditor1", cctest.RoleAttrs("auditor", "AUD-0001")),
		patient: l.Identity(hospitalMSP, "patient1", cctest.RoleAttrs("patient", "pat-7f3a9c21")),
	}
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	raw, err := json.Marshal(v)
	require.NoError(t, err)
	return string(raw)
}

func (w *world) invoke(id *cctest.Identity, fn string, args ...string) *cctest.Result {
	w.t.Helper()
	return w.l.Invoke(cc, id, fn, args)
}

func (w *world) evaluate(id *cctest.Identity, fn string, args ...string) *cctest.Result {
	w.t.Helper()
	return w.l.Evaluate(cc, id, fn, args)
}

// fails requires that the call fails with code and that the ledger did not change.
func (w *world) fails(code codes.Code, id *cctest.Identity, fn string, args ...string) *codes.Error {
	w.t.Helper()
	before := w.l.Snapshot()
	res := w.l.Invoke(cc, id, fn, args)
	ce := cctest.RequireCode(w.t, res, code)
	w.l.RequireUnchanged(w.t, before)
	return ce
}

func productSpec(g string) provenancetypes.ProductSpec {
	return provenancetypes.ProductSpec{GTIN: g, Name: "Insulin glargine", Strength: "100 U/mL", DosageForm: "solution for injection",
		Storage: &provenancetypes.TempRange{MinCelsius: 2, MaxCelsius: 8}}
}

func serials(prefix string, from, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%06d", prefix, from+i)
	}
	return out
}

// setupProduct registers the product and the distributor and pharmacies as parties.
func (w *world) setupProduct() {
	w.t.Helper()
	cctest.RequireOK(w.t, w.invoke(w.mfr, "RegisterProduct", mustJSON(w.t, productSpec(gtin))))
	for _, id := range []*cctest.Identity{w.dist, w.pharm, w.pharm2, w.mfr} {
		cctest.RequireOK(w.t, w.invoke(id, "RegisterParty"))
	}
}

// commission registers everything and commissions lot with the given serials.
func (w *world) commission(lotNo string, quantity int, sn []string) provenancetypes.Batch {
	w.t.Helper()
	spec := provenancetypes.BatchSpec{GTIN: gtin, Lot: lotNo, ManufacturedOn: made, Expiry: expiry, Quantity: quantity, Serials: sn}
	return cctest.Decode[provenancetypes.Batch](w.t, w.invoke(w.mfr, "CommissionBatch", mustJSON(w.t, spec)))
}

func (w *world) ship(from *cctest.Identity, id, lotNo string, to provenancetypes.Party, sn []string) provenancetypes.Shipment {
	w.t.Helper()
	spec := provenancetypes.ShipmentSpec{ShipmentID: id, GTIN: gtin, Lot: lotNo, Serials: sn, Receiver: to}
	return cctest.Decode[provenancetypes.Shipment](w.t, w.invoke(from, "Ship", mustJSON(w.t, spec)))
}

func (w *world) receive(by *cctest.Identity, id string) provenancetypes.Shipment {
	w.t.Helper()
	return cctest.Decode[provenancetypes.Shipment](w.t, w.invoke(by, "Receive", id))
}

func (w *world) unit(serial string) provenancetypes.Unit {
	w.t.Helper()
	return cctest.Decode[provenancetypes.Unit](w.t, w.evaluate(w.patient, "GetUnit", gtin, serial))
}

func (w *world) batch(lotNo string) provenancetypes.Batch {
	w.t.Helper()
	return cctest.Decode[provenancetypes.Batch](w.t, w.evaluate(w.patient, "GetBatch", gtin, lotNo))
}

func (w *world) verify(serial, lotNo, exp string) string {
	w.t.Helper()
	return cctest.Decode[provenancetypes.VerifyResult](w.t, w.evaluate(w.pharm, "Verify", gtin, serial, lotNo, exp)).Result
}

// supplyChain commissions lot with 10 serials S000000..S000009, ships the batch to the distributor,
// who receives it and ships S000000..S000002 to pharmacist1, who receives them.
func (w *world) supplyChain() {
	w.t.Helper()
	w.setupProduct()
	w.commission(lot, 10, serials("S", 0, 10))
	w.ship(w.mfr, "sh-1", lot, pDist, nil)
	w.receive(w.dist, "sh-1")
	w.ship(w.dist, "sh-2", lot, pPharm, serials("S", 0, 3))
	w.receive(w.pharm, "sh-2")
}
