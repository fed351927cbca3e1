package provenance_test

import (
	"time"

	"testing"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/internal/cctest"
	"github.com/healthledger/healthledger/chaincode/provenance/provenancetypes"
	"github.com/stretchr/testify/require"
)

func holdings(t *testing.T, w *world, p provenancetypes.Party) map[string][2]int {
	t.Helper()
	page := cctest.Decode[provenancetypes.HoldingPage](t, w.evaluate(w.patient, "ListBatchesByOwner", p.MSPID, p.GLN, "0", ""))
	out := map[string][2]int{}
	for _, h := range page.Items {
		out[h.Lot] = [2]int{h.Held, h.Inbound}
	}
	return out
}

func TestShipAndReceive(t *testing.T) {
	t.Run("the batch goes from manufacturer to distributor and units on to a pharmacy", func(t *testing.T) {
		w := newWorld(t)
		w.setupProduct()
		w.commission(lot, 10, serials("S", 0, 10))

		res := w.invoke(w.mfr, "Ship", mustJSON(t, provenancetypes.ShipmentSpec{ShipmentID: "sh-1", GTIN: gtin13, Lot: lot, Receiver: pDist}))
		sh := cctest.Decode[provenancetypes.Shipment](t, res)
		require.True(t, sh.WholeBatch)
		require.Equal(t, 10, sh.Quantity)
		require.Equal(t, provenancetypes.ShipmentInTransit, sh.Status)
		ev := cctest.RequireEvent[provenancetypes.Event](t, res, provenancetypes.EventShipped)
		require.Equal(t, provenancetypes.BizStepShipping, ev.BizStep)
		require.Equal(t, provenancetypes.DispositionInTransit, ev.Disposition)
		require.Equal(t, &pDist, ev.Destination)

		u := w.unit("S000005")
		require.Equal(t, provenancetypes.UnitInTransit, u.Status)
		require.Equal(t, pMfr, u.Holder, "custody stays with the sender until receipt")
		require.Equal(t, &pDist, u.Receiver)
		require.Equal(t, map[string][2]int{lot: {0, 10}}, holdings(t, w, pDist))

		res = w.invoke(w.dist, "Receive", "sh-1")
		sh = cctest.Decode[provenancetypes.Shipment](t, res)
		require.Equal(t, provenancetypes.ShipmentReceived, sh.Status)
		require.Equal(t, res.Time, *sh.ReceivedAt)
		ev = cctest.RequireEvent[provenancetypes.Event](t, res, provenancetypes.EventReceived)
		require.Equal(t, provenancetypes.BizStepReceiving, ev.BizStep)
		require.Equal(t, glnDist, ev.BizLocation)
		require.Equal(t, pDist, w.unit("S000005").Holder)
		require.Equal(t, provenancetypes.UnitActive, w.unit("S000005").Status)
		require.Empty(t, holdings(t, w, pMfr))
		require.Equal(t, map[string][2]int{lot: {10, 0}}, holdings(t, w, pDist))

		w.ship(w.dist, "sh-2", lot, pPharm, serials("S", 0, 3))
		require.Equal(t, 7, w.batch(lot).MainStock)
		require.Equal(t, provenancetypes.UnitInTransit, w.unit("S000001").Status)
		require.Equal(t, provenancetypes.UnitActive, w.unit("S000004").Status)
		w.receive(w.pharm, "sh-2")
		require.Equal(t, pPharm, w.unit("S000001").Holder)
		require.Equal(t, pDist, w.unit("S000004").Holder)
		require.Equal(t, map[string][2]int{lot: {7, 0}}, holdings(t, w, pDist))
		require.Equal(t, map[string][2]int{lot: {3, 0}}, holdings(t, w, pPharm))

		got := cctest.Decode[provenancetypes.Shipment](t, w.evaluate(w.auditor, "GetShipment", "sh-2"))
		require.Equal(t, serials("S", 0, 3), got.Serials)
	})
	t.Run("the same shipment again is a duplicate and a reused id a conflict", func(t *testing.T) {
		w := newWorld(t)
		w.setupProduct()
		w.commission(lot, 10, serials("S", 0, 10))
		spec := provenancetypes.ShipmentSpec{ShipmentID: "sh-1", GTIN: gtin, Lot: lot, Serials: []string{"S000001"}, Receiver: pDist}
		cctest.RequireOK(t, w.invoke(w.mfr, "Ship", mustJSON(t, spec)))
		w.fails(codes.Duplicate, w.mfr, "Ship", mustJSON(t, spec))
		spec.Serials = []string{"S000002"}
		w.fails(codes.Conflict, w.mfr, "Ship", mustJSON(t, spec))
	})
	t.Run("a receive by anyone but the named receiver is forbidden", func(t *testing.T) {
		w := newWorld(t)
		w.setupProduct()
		w.commission(lot, 10, serials("S", 0, 10))
		w.ship(w.mfr, "sh-1", lot, pDist, nil)
		w.fails(codes.Forbidden, w.pharm, "Receive", "sh-1")
		w.fails(codes.Forbidden, w.mfr, "Receive", "sh-1")
		w.fails(codes.Forbidden, w.auditor, "Receive", "sh-1")
		w.fails(codes.Forbidden, w.patient, "Receive", "sh-1")
		w.receive(w.dist, "sh-1")
		w.fails(codes.Duplicate, w.dist, "Receive", "sh-1")
		w.fails(codes.NotFound, w.dist, "Receive", "sh-9")
		w.fails(codes.InvalidArgument, w.dist, "Receive", "sh 1")
	})
	t.Run("only the current custodian ships", func(t *testing.T) {
		w := newWorld(t)
		w.supplyChain()
		w.fails(codes.Forbidden, w.mfr, "Ship", mustJSON(t, provenancetypes.ShipmentSpec{ShipmentID: "x1", GTIN: gtin, Lot: lot, Receiver: pPharm}))
		w.fails(codes.Forbidden, w.dist, "Ship", mustJSON(t, provenancetypes.ShipmentSpec{ShipmentID: "x2", GTIN: gtin, Lot: lot, Serials: []string{"S000000"}, Receiver: pPh2}))
		w.fails(codes.Forbidden, w.pharm2, "Ship", mustJSON(t, provenancetypes.ShipmentSpec{ShipmentID: "x3", GTIN: gtin, Lot: lot, Serials: []string{"S000000"}, Receiver: pDist}))
		w.fails(codes.Forbidden, w.patient, "Ship", mustJSON(t, provenancetypes.ShipmentSpec{ShipmentID: "x4", GTIN: gtin, Lot: lot, Receiver: pDist}))
		w.fails(codes.Forbidden, w.auditor, "Ship", mustJSON(t, provenancetypes.ShipmentSpec{ShipmentID: "x5", GTIN: gtin, Lot: lot, Receiver: pDist}))
	})
	t.Run("goods in transit are not shipped again", func(t *testing.T) {
		w := newWorld(t)
		w.setupProduct()
		w.commission(lot, 10, serials("S", 0, 10))
		w.ship(w.mfr, "sh-1", lot, pDist, nil)
		w.fails(codes.PreconditionFailed, w.mfr, "Ship", mustJSON(t, provenancetypes.ShipmentSpec{ShipmentID: "sh-2", GTIN: gtin, Lot: lot, Receiver: pPharm}))
		w.fails(codes.PreconditionFailed, w.mfr, "Ship", mustJSON(t, provenancetypes.ShipmentSpec{ShipmentID: "sh-3", GTIN: gtin, Lot: lot, Serials: []string{"S000001"}, Receiver: pPharm}))
	})
	t.Run("an empty main stock is not shipped", func(t *testing.T) {
		w := newWorld(t)
		w.setupProduct()
		w.commission(lot, 10, nil)
		w.fails(codes.PreconditionFailed, w.mfr, "Ship", mustJSON(t, provenancetypes.ShipmentSpec{ShipmentID: "sh-1", GTIN: gtin, Lot: lot, Receiver: pDist}))
	})
	t.Run("unknown goods are not found", func(t *testing.T) {
		w := newWorld(t)
		w.setupProduct()
		w.commission(lot, 10, serials("S", 0, 10))
		w.fails(codes.NotFound, w.mfr, "Ship", mustJSON(t, provenancetypes.ShipmentSpec{ShipmentID: "sh-1", GTIN: gtin, Lot: lot2, Receiver: pDist}))
		w.fails(codes.NotFound, w.mfr, "Ship", mustJSON(t, provenancetypes.ShipmentSpec{ShipmentID: "sh-1", GTIN: gtin, Lot: lot, Serials: []string{"S000001", "NOPE"}, Receiver: pDist}))
	})
	bad := []struct {
		name string
		spec provenancetypes.ShipmentSpec
	}{
		{"an unregistered receiver is an unknown receiver", provenancetypes.ShipmentSpec{ShipmentID: "s", GTIN: gtin, Lot: lot, Receiver: party(insurerMSP, "0614141000081")}},
		{"a receiver with a malformed GLN is an unknown receiver", provenancetypes.ShipmentSpec{ShipmentID: "s", GTIN: gtin, Lot: lot, Receiver: party(pharmaMSP, "0614141000013")}},
		{"a receiver of another MSP is an unknown receiver", provenancetypes.ShipmentSpec{ShipmentID: "s", GTIN: gtin, Lot: lot, Receiver: party("OtherMSP", glnDist)}},
		{"a receiver without an MSP id is an unknown receiver", provenancetypes.ShipmentSpec{ShipmentID: "s", GTIN: gtin, Lot: lot, Receiver: party("", glnDist)}},
		{"shipping to oneself is refused", provenancetypes.ShipmentSpec{ShipmentID: "s", GTIN: gtin, Lot: lot, Receiver: pMfr}},
		{"a malformed shipment id is refused", provenancetypes.ShipmentSpec{ShipmentID: "s 1", GTIN: gtin, Lot: lot, Receiver: pDist}},
		{"a bad GTIN is refused", provenancetypes.ShipmentSpec{ShipmentID: "s", GTIN: "00614141000410", Lot: lot, Receiver: pDist}},
		{"a repeated serial is refused", provenancetypes.ShipmentSpec{ShipmentID: "s", GTIN: gtin, Lot: lot, Serials: []string{"S000001", "S000001"}, Receiver: pDist}},
		{"more units than a shipment takes are refused", provenancetypes.ShipmentSpec{ShipmentID: "s", GTIN: gtin, Lot: lot, Serials: serials("S", 0, provenancetypes.MaxUnitsPerTx+1), Receiver: pDist}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			w.setupProduct()
			w.commission(lot, 10, serials("S", 0, 10))
			ce := w.fails(codes.InvalidArgument, w.mfr, "Ship", mustJSON(t, tc.spec))
			if tc.spec.Receiver != pMfr && tc.spec.ShipmentID == "s" && tc.spec.GTIN == gtin && tc.spec.Serials == nil {
				require.Contains(t, ce.Message, "unknown receiver")
			}
		})
	}
	t.Run("an empty serial list is refused", func(t *testing.T) {
		w := newWorld(t)
		w.setupProduct()
		w.commission(lot, 10, serials("S", 0, 10))
		w.fails(codes.InvalidArgument, w.mfr, "Ship", `{"shipmentId":"s","gtin":"00614141000418","lot":"LOT-A1","serials":[],"receiver":{"mspId":"PharmaMSP","gln":"0614141000012"}}`)
	})
	t.Run("a serial of another lot is refused", func(t *testing.T) {
		w := newWorld(t)
		w.setupProduct()
		w.commission(lot, 10, serials("S", 0, 10))
		w.commission(lot2, 10, serials("T", 0, 10))
		w.fails(codes.InvalidArgument, w.mfr, "Ship", mustJSON(t, provenancetypes.ShipmentSpec{ShipmentID: "s", GTIN: gtin, Lot: lot, Serials: []string{"T000001"}, Receiver: pDist}))
	})
	t.Run("an event time far in the future is refused", func(t *testing.T) {
		w := newWorld(t)
		w.setupProduct()
		w.commission(lot, 10, serials("S", 0, 10))
		future := cctest.DefaultStart().AddDate(1, 0, 0)
		spec := provenancetypes.ShipmentSpec{ShipmentID: "s", GTIN: gtin, Lot: lot, Receiver: pDist, EventContext: provenancetypes.EventContext{EventTime: &future}}
		w.fails(codes.InvalidArgument, w.mfr, "Ship", mustJSON(t, spec))
	})
	t.Run("the event context given is recorded", func(t *testing.T) {
		w := newWorld(t)
		w.setupProduct()
		w.commission(lot, 10, serials("S", 0, 10))
		at := cctest.DefaultStart().Add(-time.Hour)
		spec := provenancetypes.ShipmentSpec{ShipmentID: "s", GTIN: gtin, Lot: lot, Receiver: pDist,
			EventContext: provenancetypes.EventContext{EventTime: &at, ReadPoint: "urn:epc:id:sgln:0614141.00000.dock2", BizLocation: glnMfr}}
		ev := cctest.RequireEvent[provenancetypes.Event](t, w.invoke(w.mfr, "Ship", mustJSON(t, spec)), provenancetypes.EventShipped)
		require.True(t, at.Equal(ev.EventTime))
		require.Equal(t, "urn:epc:id:sgln:0614141.00000.dock2", ev.ReadPoint)
	})
	t.Run("a quarantined batch is not shipped", func(t *testing.T) {
		w := newWorld(t)
		w.setupProduct()
		w.commission(lot, 10, serials("S", 0, 10))
		cctest.RequireOK(t, w.invoke(w.mfr, "Quarantine", gtin, lot, "tamper evidence"))
		w.fails(codes.PreconditionFailed, w.mfr, "Ship", mustJSON(t, provenancetypes.ShipmentSpec{ShipmentID: "s", GTIN: gtin, Lot: lot, Receiver: pDist}))
	})
	t.Run("an unknown shipment is not found", func(t *testing.T) {
		w := newWorld(t)
		cctest.RequireCode(t, w.evaluate(w.patient, "GetShipment", "nope"), codes.NotFound)
	})
}
