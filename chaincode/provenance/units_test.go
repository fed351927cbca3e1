package provenance_test

import (
	"testing"
	"time"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/internal/cctest"
	"github.com/healthledger/healthledger/chaincode/provenance/provenancetypes"
	"github.com/stretchr/testify/require"
)

func TestDispense(t *testing.T) {
	t.Run("a pharmacist dispenses a unit it holds", func(t *testing.T) {
		w := newWorld(t)
		w.supplyChain()
		res := w.invoke(w.pharm, "Dispense", gtin13, "S000001", `{"eventId":"rx-77","readPoint":"urn:epc:id:sgln:0614141.00002.counter1"}`)
		dr := cctest.Decode[provenancetypes.DispenseResult](t, res)
		require.True(t, dr.Accepted)
		require.Empty(t, dr.Code)
		require.Equal(t, provenancetypes.UnitDispensed, dr.Unit.Status)
		require.Equal(t, &pPharm, dr.Unit.DispensedBy)
		require.Equal(t, "rx-77", dr.Unit.DispenseEventID)
		ev := cctest.RequireEvent[provenancetypes.Event](t, res, provenancetypes.EventDispensed)
		require.Equal(t, "rx-77", ev.EventID)
		require.Equal(t, provenancetypes.BizStepDispensing, ev.BizStep)
		require.Equal(t, provenancetypes.DispositionDispensed, ev.Disposition)
		require.Equal(t, []string{"S000001"}, ev.Serials)
		require.Equal(t, "urn:epc:id:sgln:0614141.00002.counter1", ev.ReadPoint)
		u := w.unit("S000001")
		require.Equal(t, provenancetypes.UnitDispensed, u.Status)
		require.Equal(t, res.Time, *u.DispensedAt)
		require.Equal(t, provenancetypes.VerifyDispensed, w.verify("S000001", lot, expiry))
	})
	t.Run("the same dispense retried under its event id is a duplicate, not a double dispense", func(t *testing.T) {
		w := newWorld(t)
		w.supplyChain()
		cctest.RequireOK(t, w.invoke(w.pharm, "Dispense", gtin, "S000001", `{"eventId":"rx-1"}`))
		w.fails(codes.Duplicate, w.pharm, "Dispense", gtin, "S000001", `{"eventId":"rx-1"}`)
		require.False(t, w.unit("S000001").Suspect)
	})
	t.Run("the holder dispensing a unit again is a double dispense: the unit is suspect, the batch is not", func(t *testing.T) {
		w := newWorld(t)
		w.supplyChain()
		cctest.RequireOK(t, w.invoke(w.pharm, "Dispense", gtin, "S000001", `{"eventId":"rx-1"}`))
		res := w.invoke(w.pharm, "Dispense", gtin, "S000001", `{"eventId":"rx-2"}`)
		dr := cctest.Decode[provenancetypes.DispenseResult](t, res)
		require.False(t, dr.Accepted)
		require.Equal(t, string(codes.PreconditionFailed), dr.Code)
		require.Contains(t, dr.Reason, "already dispensed by "+pPharm.String())
		require.True(t, dr.Unit.Suspect)
		require.Equal(t, pPharm, dr.Unit.SuspectInfo.By)
		require.Equal(t, &pPharm, dr.Unit.DispensedBy, "the first dispense stands")
		require.Equal(t, "rx-1", dr.Unit.DispenseEventID)
		ev := cctest.RequireEvent[provenancetypes.Event](t, res, provenancetypes.EventDispenseRejected)
		require.Equal(t, pPharm, ev.Actor)
		require.Equal(t, "rx-2", ev.EventID)

		b := w.batch(lot)
		require.False(t, b.Suspect, "one organisation's report does not flag the batch")
		require.Equal(t, provenancetypes.BatchActive, b.Status)
		require.Equal(t, []provenancetypes.SuspectReport{{By: pPharm, Serial: "S000001", At: res.Time, TxID: res.TxID}}, b.SuspectReports)
		require.False(t, w.unit("S000005").Suspect, "the other units of the batch are not suspect")
		vr := cctest.Decode[provenancetypes.VerifyResult](t, w.evaluate(w.pharm, "Verify", gtin, "S000001", lot, expiry))
		require.Equal(t, provenancetypes.VerifyDispensed, vr.Result)
		require.True(t, vr.Suspect)
		page := cctest.Decode[provenancetypes.BatchPage](t, w.evaluate(w.auditor, "ListBatchesByStatus", provenancetypes.BatchSuspect, "0", ""))
		require.Empty(t, page.Items)

		// A third attempt, without an event id, is caught as well; the same organisation reports once.
		res = w.invoke(w.pharm, "Dispense", gtin, "S000001", "")
		require.False(t, cctest.Decode[provenancetypes.DispenseResult](t, res).Accepted)
		require.Len(t, w.batch(lot).SuspectReports, 1)
		// Another unit double dispensed at another GLN of the same organisation adds no second report.
		w.ship(w.dist, "sh-p2", lot, pPh2, []string{"S000004"})
		w.receive(w.pharm2, "sh-p2")
		cctest.RequireOK(t, w.invoke(w.pharm2, "Dispense", gtin, "S000004", ""))
		cctest.RequireOK(t, w.invoke(w.pharm2, "Dispense", gtin, "S000004", ""))
		require.True(t, w.unit("S000004").Suspect)
		b = w.batch(lot)
		require.False(t, b.Suspect, "two GLNs of one organisation are one party")
		require.Len(t, b.SuspectReports, 1)
	})
	t.Run("a party that does not hold a dispensed unit is forbidden to dispense it and flags nothing", func(t *testing.T) {
		w := newWorld(t)
		w.supplyChain()
		cctest.RequireOK(t, w.invoke(w.pharm, "Dispense", gtin, "S000001", `{"eventId":"rx-1"}`))
		// pharmacist2 holds units of the same batch, and of another org; neither holds S000001.
		w.ship(w.dist, "sh-p2", lot, pPh2, []string{"S000004"})
		w.receive(w.pharm2, "sh-p2")
		rogue := w.l.Identity(rogueMSP, "pharmacist9", cctest.RoleAttrs("pharmacist", glnRogue))
		for _, id := range []*cctest.Identity{w.pharm2, rogue} {
			for _, ec := range []string{"", `{"eventId":"rx-1"}`, `{"eventId":"rx-9"}`} {
				ce := w.fails(codes.Forbidden, id, "Dispense", gtin, "S000001", ec)
				require.NotContains(t, ce.Message, "double")
			}
		}
		u := w.unit("S000001")
		require.False(t, u.Suspect)
		require.Equal(t, provenancetypes.UnitDispensed, u.Status)
		b := w.batch(lot)
		require.False(t, b.Suspect)
		require.Empty(t, b.SuspectReports)
		vr := cctest.Decode[provenancetypes.VerifyResult](t, w.evaluate(w.pharm2, "Verify", gtin, "S000001", lot, expiry))
		require.False(t, vr.Suspect)
	})
	t.Run("double dispenses reported by two organisations flag the batch", func(t *testing.T) {
		w := newWorld(t)
		w.supplyChain()
		other := w.otherPharmacy()
		cctest.RequireOK(t, w.invoke(w.pharm, "Dispense", gtin, "S000001", ""))
		cctest.RequireOK(t, w.invoke(w.pharm, "Dispense", gtin, "S000001", ""))
		require.False(t, w.batch(lot).Suspect)

		cctest.RequireOK(t, w.invoke(other, "Dispense", gtin, "S000006", ""))
		res := w.invoke(other, "Dispense", gtin, "S000006", "")
		dr := cctest.Decode[provenancetypes.DispenseResult](t, res)
		require.False(t, dr.Accepted)
		ev := cctest.RequireEvent[provenancetypes.Event](t, res, provenancetypes.EventDispenseRejected)
		require.Contains(t, ev.Reason, "double dispenses reported by 2 organisations")
		b := w.batch(lot)
		require.True(t, b.Suspect)
		require.Equal(t, provenancetypes.BatchSuspect, b.Status)
		require.Equal(t, pOther, b.SuspectInfo.By)
		require.Len(t, b.SuspectReports, 2)
		require.True(t, w.unit("S000005").Suspect, "every unit of a suspect batch reads suspect")
		page := cctest.Decode[provenancetypes.BatchPage](t, w.evaluate(w.auditor, "ListBatchesByStatus", provenancetypes.BatchSuspect, "0", ""))
		require.Len(t, page.Items, 1)
		// The event that flagged the batch is in the custody of every unit of it.
		events, _ := walk[provenancetypes.Event](t, w, "UnitCustody", 5, gtin, "S000008")
		require.Equal(t, provenancetypes.EventDispenseRejected, events[len(events)-1].Type)
	})
	t.Run("only pharmacists dispense", func(t *testing.T) {
		w := newWorld(t)
		w.supplyChain()
		for _, id := range []*cctest.Identity{w.mfr, w.dist, w.auditor, w.patient} {
			w.fails(codes.Forbidden, id, "Dispense", gtin, "S000004", "")
		}
	})
	t.Run("a pharmacist does not dispense a unit it does not hold", func(t *testing.T) {
		w := newWorld(t)
		w.supplyChain()
		w.fails(codes.Forbidden, w.pharm2, "Dispense", gtin, "S000001", "")
		w.fails(codes.Forbidden, w.pharm, "Dispense", gtin, "S000004", "")
	})
	t.Run("a unit in transit is not dispensed", func(t *testing.T) {
		w := newWorld(t)
		w.supplyChain()
		w.ship(w.pharm, "back", lot, pDist, []string{"S000002"})
		w.fails(codes.PreconditionFailed, w.pharm, "Dispense", gtin, "S000002", "")
	})
	t.Run("a recalled, quarantined or excursion batch is not dispensed", func(t *testing.T) {
		for _, flag := range []string{"recall", "quarantine", "excursion"} {
			t.Run(flag, func(t *testing.T) {
				w := newWorld(t)
				w.supplyChain()
				switch flag {
				case "recall":
					cctest.RequireOK(t, w.invoke(w.mfr, "Recall", gtin, lot, "sterility"))
				case "quarantine":
					cctest.RequireOK(t, w.invoke(w.pharm, "Quarantine", gtin, lot, "damaged seal"))
				case "excursion":
					cctest.RequireOK(t, w.invoke(w.pharm, "RecordReadings", mustJSON(t, readings([]string{"S000000"}, 12, "CEL"))))
				}
				w.fails(codes.PreconditionFailed, w.pharm, "Dispense", gtin, "S000000", "")
			})
		}
	})
	t.Run("an expired unit is not dispensed", func(t *testing.T) {
		w := newWorld(t)
		w.supplyChain()
		w.l.SetClock(time.Date(2027, 7, 1, 0, 0, 1, 0, time.UTC))
		w.fails(codes.PreconditionFailed, w.pharm, "Dispense", gtin, "S000000", "")
	})
	t.Run("bad input is refused and an unknown unit is not found", func(t *testing.T) {
		w := newWorld(t)
		w.supplyChain()
		w.fails(codes.NotFound, w.pharm, "Dispense", gtin, "S999999", "")
		w.fails(codes.InvalidArgument, w.pharm, "Dispense", "00614141000411", "S000000", "")
		w.fails(codes.InvalidArgument, w.pharm, "Dispense", gtin, "", "")
		w.fails(codes.InvalidArgument, w.pharm, "Dispense", gtin, "S000000", `{"eventId":"bad id"}`)
		w.fails(codes.InvalidArgument, w.pharm, "Dispense", gtin, "S000000", `{"patient":"x"}`)
	})
}

func unitAction(sn []string, reason string) provenancetypes.UnitAction {
	return provenancetypes.UnitAction{GTIN: gtin, Lot: lot, Serials: sn, Reason: reason}
}

func TestDecommissionAndDestroy(t *testing.T) {
	t.Run("the holder decommissions units and then destroys them", func(t *testing.T) {
		w := newWorld(t)
		w.supplyChain()
		res := w.invoke(w.pharm, "Decommission", mustJSON(t, unitAction([]string{"S000001"}, "damaged")))
		ev := cctest.RequireEvent[provenancetypes.Event](t, res, provenancetypes.EventDecommissioned)
		require.Equal(t, provenancetypes.BizStepDecommissioning, ev.BizStep)
		require.Equal(t, provenancetypes.DispositionInactive, ev.Disposition)
		require.Equal(t, "damaged", ev.Reason)
		require.Equal(t, provenancetypes.UnitDecommissioned, w.unit("S000001").Status)
		require.Equal(t, provenancetypes.VerifyDecommissioned, w.verify("S000001", lot, expiry))
		w.fails(codes.PreconditionFailed, w.pharm, "Decommission", mustJSON(t, unitAction([]string{"S000001"}, "again")))
		w.fails(codes.PreconditionFailed, w.pharm, "Dispense", gtin, "S000001", "")

		res = w.invoke(w.pharm, "Destroy", mustJSON(t, unitAction([]string{"S000001"}, "incinerated")))
		ev = cctest.RequireEvent[provenancetypes.Event](t, res, provenancetypes.EventDestroyed)
		require.Equal(t, provenancetypes.DispositionDestroyed, ev.Disposition)
		require.Equal(t, provenancetypes.UnitDestroyed, w.unit("S000001").Status)
		w.fails(codes.PreconditionFailed, w.pharm, "Destroy", mustJSON(t, unitAction([]string{"S000001"}, "again")))
	})
	t.Run("the holder destroys its main stock in one write", func(t *testing.T) {
		w := newWorld(t)
		w.supplyChain()
		res := w.invoke(w.dist, "Destroy", mustJSON(t, unitAction(nil, "flood damage")))
		ev := cctest.RequireEvent[provenancetypes.Event](t, res, provenancetypes.EventDestroyed)
		require.Equal(t, provenancetypes.ScopeStock, ev.Scope)
		require.Equal(t, 7, ev.Quantity)
		require.Equal(t, provenancetypes.UnitDestroyed, w.batch(lot).Custody.State)
		require.Equal(t, provenancetypes.UnitDestroyed, w.unit("S000009").Status)
		require.Equal(t, provenancetypes.UnitActive, w.unit("S000000").Status, "units at the pharmacy are not the main stock")
		w.fails(codes.PreconditionFailed, w.dist, "Ship", mustJSON(t, provenancetypes.ShipmentSpec{ShipmentID: "s9", GTIN: gtin, Lot: lot, Receiver: pPharm}))
		w.fails(codes.PreconditionFailed, w.dist, "Decommission", mustJSON(t, unitAction(nil, "again")))
	})
	t.Run("the main stock is decommissioned by its holder only", func(t *testing.T) {
		w := newWorld(t)
		w.supplyChain()
		w.fails(codes.Forbidden, w.mfr, "Decommission", mustJSON(t, unitAction(nil, "mine")))
		cctest.RequireOK(t, w.invoke(w.dist, "Decommission", mustJSON(t, unitAction(nil, "discontinued"))))
		require.Equal(t, provenancetypes.VerifyDecommissioned, w.verify("S000008", lot, expiry))
	})
	t.Run("only the custodian decommissions or destroys units", func(t *testing.T) {
		w := newWorld(t)
		w.supplyChain()
		for _, fn := range []string{"Decommission", "Destroy"} {
			w.fails(codes.Forbidden, w.dist, fn, mustJSON(t, unitAction([]string{"S000001"}, "not mine")))
			w.fails(codes.Forbidden, w.auditor, fn, mustJSON(t, unitAction([]string{"S000001"}, "not mine")))
			w.fails(codes.Forbidden, w.patient, fn, mustJSON(t, unitAction([]string{"S000001"}, "not mine")))
		}
	})
	t.Run("bad requests are refused", func(t *testing.T) {
		w := newWorld(t)
		w.supplyChain()
		for _, fn := range []string{"Decommission", "Destroy"} {
			w.fails(codes.InvalidArgument, w.pharm, fn, mustJSON(t, unitAction([]string{"S000001"}, "")))
			w.fails(codes.InvalidArgument, w.pharm, fn, mustJSON(t, unitAction([]string{"S000001", "S000001"}, "x")))
			w.fails(codes.InvalidArgument, w.pharm, fn, `{"gtin":"1"}`)
			w.fails(codes.NotFound, w.pharm, fn, mustJSON(t, unitAction([]string{"S999999"}, "x")))
			w.fails(codes.NotFound, w.pharm, fn, mustJSON(t, provenancetypes.UnitAction{GTIN: gtin, Lot: lot2, Reason: "x"}))
		}
	})
}

func TestDispenseOutOfTheMainStock(t *testing.T) {
	w := newWorld(t)
	w.setupProduct()
	w.commission(lot, 4, serials("S", 0, 4))
	w.ship(w.mfr, "sh-1", lot, pPharm, nil)
	w.receive(w.pharm, "sh-1")
	cctest.RequireOK(t, w.invoke(w.pharm, "Dispense", gtin, "S000000", ""))
	require.Equal(t, 3, w.batch(lot).MainStock)

	// The rest goes back to the distributor; the pharmacy stays a holder of the dispensed unit.
	sh := w.ship(w.pharm, "back", lot, pDist, nil)
	require.Equal(t, 3, sh.Quantity)
	w.receive(w.dist, "back")
	require.Equal(t, map[string][2]int{lot: {1, 0}}, holdings(t, w, pPharm))
	require.Equal(t, map[string][2]int{lot: {3, 0}}, holdings(t, w, pDist))
	require.Equal(t, pPharm, w.unit("S000000").Holder)
	require.Equal(t, pDist, w.unit("S000001").Holder)
	ev := cctest.RequireEvent[provenancetypes.Event](t, w.invoke(w.mfr, "Recall", gtin, lot, "x"), provenancetypes.EventRecalled)
	require.ElementsMatch(t, []provenancetypes.Party{pPharm, pDist}, ev.Holders)

	events, _ := walk[provenancetypes.Event](t, w, "UnitCustody", 2, gtin, "S000000")
	require.Equal(t, []string{provenancetypes.EventBatchCommissioned, provenancetypes.EventShipped, provenancetypes.EventReceived, provenancetypes.EventDispensed, provenancetypes.EventRecalled}, eventTypes(events))
}
