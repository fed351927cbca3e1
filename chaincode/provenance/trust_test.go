package provenance_test

import (
	"testing"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/internal/cctest"
	"github.com/healthledger/healthledger/chaincode/provenance/provenancetypes"
	"github.com/stretchr/testify/require"
)

// The parties of the trust tests: a pharmacy of a second organisation, and a rogue organisation.
const (
	clinicMSP = "ClinicMSP"
	glnOther  = "0614141000050"
	rogueMSP  = "RogueMSP"
	glnRogue  = "0614141000067"
)

var pOther = party(clinicMSP, glnOther)

// otherPharmacy makes a pharmacist of a second organisation, registers it and has the distributor
// ship it S000006 and S000007, which it receives.
func (w *world) otherPharmacy() *cctest.Identity {
	w.t.Helper()
	id := w.l.Identity(clinicMSP, "pharmacist3", cctest.RoleAttrs("pharmacist", glnOther))
	cctest.RequireOK(w.t, w.invoke(id, "RegisterParty"))
	w.ship(w.dist, "sh-clinic", lot, pOther, []string{"S000006", "S000007"})
	w.receive(id, "sh-clinic")
	return id
}

// doubleDispense has pharmacist1 dispense S000001 twice: the unit is suspect.
func (w *world) doubleDispense() {
	w.t.Helper()
	cctest.RequireOK(w.t, w.invoke(w.pharm, "Dispense", gtin, "S000001", `{"eventId":"rx-1"}`))
	cctest.RequireOK(w.t, w.invoke(w.pharm, "Dispense", gtin, "S000001", `{"eventId":"rx-2"}`))
	require.True(w.t, w.unit("S000001").Suspect)
}

func TestAnAuditorClearsASuspectUnit(t *testing.T) {
	w := newWorld(t)
	w.supplyChain()
	w.doubleDispense()
	require.Len(t, w.batch(lot).SuspectReports, 1)

	res := w.invoke(w.auditor, "ClearSuspect", gtin, lot, "S000001", "scanner read one pack twice")
	ev := cctest.RequireEvent[provenancetypes.Event](t, res, provenancetypes.EventSuspectCleared)
	require.Equal(t, party(insurerMSP, "AUD-0001"), ev.Actor)
	require.Equal(t, "scanner read one pack twice", ev.Reason)
	require.Equal(t, []string{"S000001"}, ev.Serials)
	require.Equal(t, provenancetypes.ScopeUnits, ev.Scope)

	u := w.unit("S000001")
	require.False(t, u.Suspect)
	require.Nil(t, u.SuspectInfo)
	require.Equal(t, &provenancetypes.Flag{Reason: "scanner read one pack twice", At: res.Time, By: party(insurerMSP, "AUD-0001")}, u.SuspectCleared)
	require.Equal(t, provenancetypes.UnitDispensed, u.Status, "clearing does not undo the dispense")
	require.Empty(t, w.batch(lot).SuspectReports, "the unit's report against its batch is withdrawn")
	vr := cctest.Decode[provenancetypes.VerifyResult](t, w.evaluate(w.pharm, "Verify", gtin, "S000001", lot, expiry))
	require.False(t, vr.Suspect)

	// The unit's custody shows the double dispense and its clearing, with who and why.
	events, _ := walk[provenancetypes.Event](t, w, "UnitCustody", 3, gtin, "S000001")
	types := eventTypes(events)
	require.Equal(t, []string{provenancetypes.EventDispensed, provenancetypes.EventDispenseRejected, provenancetypes.EventSuspectCleared}, types[len(types)-3:])
	last := events[len(events)-1]
	require.Equal(t, "scanner read one pack twice", last.Reason)
	require.Equal(t, party(insurerMSP, "AUD-0001"), last.Actor)

	// The unit's key history holds the flag and then the clearing.
	hist := w.l.History(cc, w.l.Key("unit", gtin, "S000001"))
	require.GreaterOrEqual(t, len(hist), 3)
	require.Contains(t, string(hist[len(hist)-2].Value), `"suspect":{"reason":"double dispense`)
	cleared := hist[len(hist)-1]
	require.Equal(t, res.TxID, cleared.TxID)
	require.Contains(t, string(cleared.Value), `"suspectCleared":{"reason":"scanner read one pack twice"`)
	require.Contains(t, string(cleared.Value), `"by":{"mspId":"InsurerMSP","gln":"AUD-0001"}`)
	require.NotContains(t, string(cleared.Value), `"suspect":`)

	// Clearing what is not flagged is refused and changes nothing.
	w.fails(codes.PreconditionFailed, w.auditor, "ClearSuspect", gtin, lot, "S000001", "again")
	w.fails(codes.PreconditionFailed, w.auditor, "ClearSuspect", gtin, lot, "", "not suspect")

	// Flagged again later, the unit reads suspect again.
	cctest.RequireOK(t, w.invoke(w.pharm, "Dispense", gtin, "S000001", ""))
	u = w.unit("S000001")
	require.True(t, u.Suspect)
	require.Nil(t, u.SuspectCleared)
}

func TestAnAuditorFlagsAndClearsASuspectBatch(t *testing.T) {
	w := newWorld(t)
	w.supplyChain()
	w.doubleDispense()

	res := w.invoke(w.auditor, "FlagSuspect", gtin, lot, "counterfeit packs seen at a wholesaler")
	ev := cctest.RequireEvent[provenancetypes.Event](t, res, provenancetypes.EventSuspectFlagged)
	require.Equal(t, provenancetypes.ScopeBatch, ev.Scope)
	b := w.batch(lot)
	require.True(t, b.Suspect)
	require.Equal(t, provenancetypes.BatchSuspect, b.Status)
	require.Equal(t, party(insurerMSP, "AUD-0001"), b.SuspectInfo.By)
	require.True(t, w.unit("S000008").Suspect)
	w.fails(codes.Duplicate, w.auditor, "FlagSuspect", gtin, lot, "again")

	res = w.invoke(w.auditor, "ClearSuspect", gtin, lot, "", "the packs were parallel imports, not counterfeit")
	cctest.RequireEvent[provenancetypes.Event](t, res, provenancetypes.EventSuspectCleared)
	b = w.batch(lot)
	require.False(t, b.Suspect)
	require.Nil(t, b.SuspectInfo)
	require.Empty(t, b.SuspectReports)
	require.Equal(t, "the packs were parallel imports, not counterfeit", b.SuspectCleared.Reason)
	require.Equal(t, provenancetypes.BatchActive, b.Status)
	require.False(t, w.unit("S000008").Suspect)
	require.True(t, w.unit("S000001").Suspect, "a unit's own flag is cleared on its own")
	page := cctest.Decode[provenancetypes.BatchPage](t, w.evaluate(w.auditor, "ListBatchesByStatus", provenancetypes.BatchSuspect, "0", ""))
	require.Empty(t, page.Items)

	// Every unit's custody shows the batch's flag and its clearing; so does the batch's.
	events, _ := walk[provenancetypes.Event](t, w, "UnitCustody", 4, gtin, "S000008")
	types := eventTypes(events)
	require.Equal(t, []string{provenancetypes.EventSuspectFlagged, provenancetypes.EventSuspectCleared}, types[len(types)-2:])
	events, _ = walk[provenancetypes.Event](t, w, "BatchCustody", 4, gtin, lot)
	require.Equal(t, "the packs were parallel imports, not counterfeit", events[len(events)-1].Reason)
	hist := w.l.History(cc, w.l.Key("batch", gtin, lot))
	require.Equal(t, res.TxID, hist[len(hist)-1].TxID)
	require.Contains(t, string(hist[len(hist)-1].Value), `"suspectCleared":{"reason":"the packs were parallel imports, not counterfeit"`)
}

func TestOnlyAnAuditorFlagsOrClearsSuspects(t *testing.T) {
	w := newWorld(t)
	w.supplyChain()
	w.doubleDispense()
	for _, id := range []*cctest.Identity{w.mfr, w.dist, w.pharm, w.pharm2, w.patient} {
		w.fails(codes.Forbidden, id, "ClearSuspect", gtin, lot, "S000001", "mine")
		w.fails(codes.Forbidden, id, "FlagSuspect", gtin, lot, "theirs")
	}
	cctest.RequireOK(t, w.invoke(w.auditor, "FlagSuspect", gtin, lot, "review"))
	for _, id := range []*cctest.Identity{w.mfr, w.dist, w.pharm, w.pharm2, w.patient} {
		w.fails(codes.Forbidden, id, "ClearSuspect", gtin, lot, "", "mine")
	}
	require.True(t, w.unit("S000001").Suspect)
	require.True(t, w.batch(lot).Suspect)
}

func TestClearSuspectRefusesBadInput(t *testing.T) {
	w := newWorld(t)
	w.supplyChain()
	w.doubleDispense()
	w.commission(lot2, 2, serials("T", 0, 2))
	w.fails(codes.InvalidArgument, w.auditor, "ClearSuspect", gtin, lot, "S000001", "")
	w.fails(codes.InvalidArgument, w.auditor, "ClearSuspect", gtin, lot, "bad serial", "x")
	w.fails(codes.InvalidArgument, w.auditor, "ClearSuspect", "00614141000411", lot, "S000001", "x")
	w.fails(codes.InvalidArgument, w.auditor, "ClearSuspect", gtin, lot2, "S000001", "x")
	w.fails(codes.NotFound, w.auditor, "ClearSuspect", gtin, lot, "S999999", "x")
	w.fails(codes.NotFound, w.auditor, "ClearSuspect", gtin, "LOT-Z9", "S000001", "x")
	w.fails(codes.InvalidArgument, w.auditor, "FlagSuspect", gtin, lot, "")
	w.fails(codes.NotFound, w.auditor, "FlagSuspect", gtin, "LOT-Z9", "x")
}

// TestClearingAUnitWithdrawsItsReport: after an auditor clears the first organisation's unit, a
// second organisation's double dispense is one report, not two, and does not flag the batch.
func TestClearingAUnitWithdrawsItsReport(t *testing.T) {
	w := newWorld(t)
	w.supplyChain()
	other := w.otherPharmacy()
	w.doubleDispense()
	cctest.RequireOK(t, w.invoke(w.auditor, "ClearSuspect", gtin, lot, "S000001", "benign"))
	cctest.RequireOK(t, w.invoke(other, "Dispense", gtin, "S000006", ""))
	cctest.RequireOK(t, w.invoke(other, "Dispense", gtin, "S000006", ""))
	b := w.batch(lot)
	require.False(t, b.Suspect)
	require.Len(t, b.SuspectReports, 1)
	require.Equal(t, pOther, b.SuspectReports[0].By)
}

// A GTIN of GenericsMSP's GS1 company prefix 0312345 (item reference 00001).
const gtinGenerics = "00312345000011"

func TestRegisterProductNeedsTheCallersGS1Prefix(t *testing.T) {
	t.Run("a manufacturer registers GTINs of its organisation's prefix, whatever the indicator digit", func(t *testing.T) {
		w := newWorld(t)
		cctest.RequireOK(t, w.invoke(w.mfr, "RegisterProduct", mustJSON(t, productSpec(gtin))))
		cctest.RequireOK(t, w.invoke(w.mfr, "RegisterProduct", mustJSON(t, productSpec("10614141000415"))))
		generics := w.l.Identity(genericsMSP, "manufacturer7", cctest.RoleAttrs("manufacturer", glnRogue))
		cctest.RequireOK(t, w.invoke(generics, "RegisterProduct", mustJSON(t, productSpec(gtinGenerics))))
	})
	t.Run("a manufacturer of another organisation may not register a GTIN of PharmaMSP's prefix", func(t *testing.T) {
		w := newWorld(t)
		generics := w.l.Identity(genericsMSP, "manufacturer7", cctest.RoleAttrs("manufacturer", glnRogue))
		ce := w.fails(codes.Forbidden, generics, "RegisterProduct", mustJSON(t, productSpec(gtin)))
		require.Contains(t, ce.Message, "GS1 company prefix")
		cctest.RequireCode(t, w.evaluate(w.patient, "GetProduct", gtin), codes.NotFound)
		// The rightful owner registers it afterwards.
		cctest.RequireOK(t, w.invoke(w.mfr, "RegisterProduct", mustJSON(t, productSpec(gtin))))
	})
	t.Run("a manufacturer may not register a GTIN of another organisation's prefix, nor of no organisation's", func(t *testing.T) {
		w := newWorld(t)
		w.fails(codes.Forbidden, w.mfr, "RegisterProduct", mustJSON(t, productSpec(gtinGenerics)))
		w.fails(codes.Forbidden, w.mfr, "RegisterProduct", mustJSON(t, productSpec("00999999000019")))
		// 061414 is a shorter start of PharmaMSP's prefix, not the prefix.
		w.fails(codes.Forbidden, w.mfr, "RegisterProduct", mustJSON(t, productSpec("00614140000013")))
	})
	t.Run("an organisation not entitled to the manufacturer role may not register, even under its own GLN", func(t *testing.T) {
		w := newWorld(t)
		for _, msp := range []string{hospitalMSP, insurerMSP, rogueMSP} {
			id := w.l.Identity(msp, "fake-manufacturer", cctest.RoleAttrs("manufacturer", glnMfr))
			w.fails(codes.Forbidden, id, "RegisterProduct", mustJSON(t, productSpec(gtin)))
		}
	})
	t.Run("without a consortium map nothing is registered", func(t *testing.T) {
		w := newWorld(t)
		w.l.InstallConsortium(cc, nil)
		before := w.l.Snapshot()
		res := w.invoke(w.mfr, "RegisterProduct", mustJSON(t, productSpec(gtin)))
		require.False(t, res.OK())
		require.NotEqual(t, codes.Internal, codes.Of(res.Err()))
		w.l.RequireUnchanged(t, before)
	})
}

// TestBatchesOfAProductOnlyByItsManufacturer: the product's registering party commissions its
// batches and adds their serials; another manufacturer, of its organisation or another, may not.
func TestBatchesOfAProductOnlyByItsManufacturer(t *testing.T) {
	w := newWorld(t)
	w.setupProduct()
	w.commission(lot, 10, serials("S", 0, 2))
	generics := w.l.Identity(genericsMSP, "manufacturer7", cctest.RoleAttrs("manufacturer", glnRogue))
	spec := provenancetypes.BatchSpec{GTIN: gtin, Lot: lot2, ManufacturedOn: made, Expiry: expiry, Quantity: 1, Serials: []string{"X1"}}
	for _, id := range []*cctest.Identity{generics, w.mfr2} {
		w.fails(codes.Forbidden, id, "CommissionBatch", mustJSON(t, spec))
		w.fails(codes.Forbidden, id, "AddSerials", gtin, lot, `["X2"]`)
	}
}
