package provenance_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/healthledger/healthledger/chaincode/internal/cctest"
	"github.com/healthledger/healthledger/chaincode/provenance/provenancetypes"
	"github.com/stretchr/testify/require"
)

// fuzzWorld is the ledger every fuzz input starts from: the supply chain of supplyChain (lot with
// S000000..S000009, S000000..S000002 at pharmacist1), S000009 shipped on to pharmacist2 and not yet
// received (sh-4), lot2 still with its manufacturer (two serials, quarantined), and lot3 with a
// temperature excursion, which an auditor flagged suspect.
func fuzzWorld(tb testing.TB) *world {
	tb.Helper()
	w := newWorld(tb)
	w.supplyChain()
	w.ship(w.dist, "sh-4", lot, pPh2, []string{"S000009"})
	w.commission(lot2, 10, serials("T", 0, 2))
	cctest.RequireOK(tb, w.invoke(w.auditor, "Quarantine", gtin, lot2, "inspection"))
	w.commission("LOT-C3", 5, serials("U", 0, 5))
	cctest.RequireOK(tb, w.invoke(w.mfr, "RecordReadings", mustJSON(tb, oneReading("LOT-C3", "U000000", 20))))
	cctest.RequireOK(tb, w.invoke(w.auditor, "FlagSuspect", gtin, "LOT-C3", "under review"))
	return w
}

func oneReading(lotNo, serial string, celsius float64) provenancetypes.ReadingsSpec {
	return provenancetypes.ReadingsSpec{GTIN: gtin, Lot: lotNo, Serials: []string{serial},
		Readings: []provenancetypes.SensorReading{{Time: time.Date(2025, 1, 1, 8, 0, 0, 0, time.UTC), Value: &celsius, UOM: provenancetypes.UOMCelsius}}}
}

// fuzzCallers are the identities a fuzz input picks from by index.
func (w *world) fuzzCallers() []*cctest.Identity {
	return []*cctest.Identity{w.mfr, w.mfr2, w.dist, w.pharm, w.pharm2, w.auditor, w.patient, w.l.AdminIdentity(pharmaMSP, "pharma-admin")}
}

// The indexes of fuzzCallers.
const (
	fzMfr uint8 = iota
	fzMfr2
	fzDist
	fzPharm
	fzPharm2
	fzAuditor
	fzPatient
	fzAdmin
)

// fuzzSeeds reach every transaction with a call that the fuzz world accepts, and add refusals of the
// guard and of the contract.
func fuzzSeeds(tb testing.TB) (accepted, refused []cctest.Seed) {
	js := func(v any) string { return mustJSON(tb, v) }
	batch := provenancetypes.BatchSpec{GTIN: gtin, Lot: "LOT-D4", ManufacturedOn: made, Expiry: expiry, Quantity: 3, Serials: []string{"V000000"}}
	ship := provenancetypes.ShipmentSpec{ShipmentID: "sh-5", GTIN: gtin, Lot: lot, Serials: []string{"S000005"}, Receiver: pPh2}
	nextMap := testMap()
	nextMap.Version = 2
	action := func(serial, reason string) string {
		return js(provenancetypes.UnitAction{GTIN: gtin, Lot: lot, Serials: []string{serial}, Reason: reason})
	}
	accepted = []cctest.Seed{
		{Who: fzMfr, Fn: "RegisterProduct", Args: []string{js(productSpec(gtin2))}},
		{Who: fzPatient, Fn: "GetProduct", Args: []string{gtin13}},
		{Who: fzMfr2, Fn: "RegisterParty"},
		{Who: fzPatient, Fn: "GetParty", Args: []string{pharmaMSP, glnDist}},
		{Who: fzMfr, Fn: "CommissionBatch", Args: []string{js(batch)}},
		{Who: fzMfr, Fn: "AddSerials", Args: []string{gtin, lot2, `["T000002","T000003"]`}},
		{Who: fzPatient, Fn: "GetBatch", Args: []string{gtin, lot}},
		{Who: fzDist, Fn: "Ship", Args: []string{js(ship)}},
		{Who: fzPharm2, Fn: "Receive", Args: []string{"sh-4"}},
		{Who: fzPatient, Fn: "GetShipment", Args: []string{"sh-1"}},
		{Who: fzMfr, Fn: "Recall", Args: []string{gtin, lot, "contamination"}},
		{Who: fzPharm, Fn: "Quarantine", Args: []string{gtin, lot, "damaged packaging"}},
		{Who: fzAuditor, Fn: "ReleaseQuarantine", Args: []string{gtin, lot2, "inspected"}},
		{Who: fzAuditor, Fn: "ClearExcursion", Args: []string{gtin, "LOT-C3", "probe fault"}},
		{Who: fzPharm, Fn: "RecordReadings", Args: []string{js(oneReading(lot, "S000000", 5))}},
		{Who: fzAuditor, Fn: "BatchCustody", Args: []string{gtin, lot, "0", ""}},
		{Who: fzAuditor, Fn: "UnitCustody", Args: []string{gtin, "S000000", "2", ""}},
		{Who: fzDist, Fn: "ListBatchesByOwner", Args: []string{pharmaMSP, glnDist, "0", ""}},
		{Who: fzAuditor, Fn: "ListBatchesByStatus", Args: []string{"quarantined", "0", ""}},
		{Who: fzPharm, Fn: "Dispense", Args: []string{gtin, "S000000", `{"eventId":"disp-1"}`}},
		{Who: fzPharm, Fn: "Decommission", Args: []string{action("S000001", "damaged")}},
		{Who: fzPharm, Fn: "Destroy", Args: []string{action("S000002", "expired")}},
		{Who: fzPharm, Fn: "Verify", Args: []string{gtin, "S000000", lot, expiry}},
		{Who: fzPatient, Fn: "GetUnit", Args: []string{gtin, "S000000"}},
		{Who: fzAuditor, Fn: "FlagSuspect", Args: []string{gtin, lot, "counterfeit report"}},
		{Who: fzAuditor, Fn: "ClearSuspect", Args: []string{gtin, "LOT-C3", "", "reviewed"}},
		{Who: fzPatient, Fn: "GetConsortium"},
		{Who: fzAdmin, Fn: "SetConsortium", Args: []string{js(nextMap)}},
	}
	refused = []cctest.Seed{
		{Who: fzMfr, Fn: "CommissionBatch"},
		{Who: fzPatient, Fn: "GetUnit", Args: []string{gtin}},
		{Who: fzAuditor, Fn: "BatchCustody", Args: []string{gtin, lot, "x", ""}},
		{Who: fzAuditor, Fn: "BatchCustody", Args: []string{gtin, lot, "9223372036854775808", ""}},
		{Who: fzMfr, Fn: "CommissionBatch", Args: []string{`{"gtin":`}},
		{Who: fzMfr, Fn: "verify", Args: []string{gtin, "S000000", lot, expiry}},
		{Who: fzMfr, Fn: "org.hyperledger.fabric:Nope"},
		{Who: fzMfr, Fn: "AddSerials", Args: []string{gtin, lot2, `["T000002","T000002"]`}},
		{Who: fzMfr, Fn: "AddSerials", Args: []string{gtin, lot2, `["` + strings.Repeat("T", 21) + `"]`}},
		{Who: fzPharm, Fn: "RecordReadings", Args: []string{`{"gtin":"` + gtin + `","lot":"` + lot + `","serials":["S000000"],"readings":[{"time":"2025-01-01T08:00:00Z","value":1,"uom":"XYZ"}]}`}},
		{Who: fzPharm, Fn: "Dispense", Args: []string{gtin, "S000009", ""}},
		{Who: fzAuditor, Fn: "ListBatchesByStatus", Args: []string{"active", "0", "\x00batch\x00"}},
		{Who: fzPharm2, Fn: "Dispense", Args: []string{gtin, "S000000", ""}},
		{Who: fzPharm, Fn: "ClearSuspect", Args: []string{gtin, "LOT-C3", "", "mine"}},
		{Who: fzAuditor, Fn: "ClearSuspect", Args: []string{gtin, lot, "S000000", "not flagged"}},
		{Who: fzMfr, Fn: "SetConsortium", Args: []string{js(nextMap)}},
		{Who: fzMfr2, Fn: "RegisterProduct", Args: []string{js(productSpec("00312345000011"))}},
	}
	return accepted, refused
}

// TestTheFuzzSeedsReachEveryTransaction keeps testdata/fuzz/FuzzProvenance in step with fuzzSeeds
// (HL_UPDATE_CORPUS=1 rewrites it) and checks that the accepted seeds call every transaction, and
// succeed, and that the refused ones are refused.
func TestTheFuzzSeedsReachEveryTransaction(t *testing.T) {
	accepted, refused := fuzzSeeds(t)
	cctest.SyncCorpus(t, "testdata/fuzz/FuzzProvenance", append(slices.Clone(accepted), refused...))
	w := fuzzWorld(t)
	evaluate, submit := w.l.Transactions(cc, w.auditor)
	for _, fn := range append(evaluate, submit...) {
		require.True(t, slices.ContainsFunc(accepted, func(s cctest.Seed) bool { return s.Fn == fn }), "no seed calls %s", fn)
	}
	callers := w.fuzzCallers()
	for i, s := range append(slices.Clone(accepted), refused...) {
		res := w.l.Clone(t).Invoke(cc, callers[s.Who], s.Fn, s.Args, cctest.WithTransient(s.Transient))
		require.Equal(t, i < len(accepted), res.OK(), "seed %d (%s): %s", i, s.Fn, res)
	}
}

// FuzzProvenance calls the provenance chaincode through its router, as a client would, with any
// caller, function name, arguments and transient data, from the fuzz world, and checks the
// invariants of cctest.CheckCall: a refusal carries a stable code (never INTERNAL), writes nothing
// and sets no event. Provenance takes no private input, so there is no marker to follow.
func FuzzProvenance(f *testing.F) {
	w := fuzzWorld(f)
	_, submit := w.l.Transactions(cc, w.auditor)
	inv := cctest.Invariants{Chaincode: cc, Submit: submit}
	callers := w.fuzzCallers()
	f.Fuzz(func(t *testing.T, who uint8, fn, args string, transient []byte) {
		l := w.l.Clone(t)
		l.CheckCall(t, inv, callers[int(who)%len(callers)], fn, cctest.SplitArgs(args), cctest.SplitTransient(transient))
	})
}
