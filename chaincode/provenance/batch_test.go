package provenance_test

import (
	"testing"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/internal/cctest"
	"github.com/healthledger/healthledger/chaincode/provenance/provenancetypes"
	"github.com/stretchr/testify/require"
)

func batchSpec(sn []string) provenancetypes.BatchSpec {
	return provenancetypes.BatchSpec{GTIN: gtin, Lot: lot, ManufacturedOn: made, Expiry: expiry, Quantity: 5, Serials: sn}
}

func TestCommissionBatch(t *testing.T) {
	t.Run("the manufacturer commissions a batch with its serials and holds its main stock", func(t *testing.T) {
		w := newWorld(t)
		w.setupProduct()
		spec := batchSpec([]string{"S1", "S2"})
		spec.Expiry = "270600" // GS1 YYMMDD, day 00: the last day of the month
		res := w.invoke(w.mfr, "CommissionBatch", mustJSON(t, spec))
		b := cctest.Decode[provenancetypes.Batch](t, res)
		require.Equal(t, "2027-06-30", b.Expiry)
		require.Equal(t, 5, b.Quantity)
		require.Equal(t, 2, b.SerialCount)
		require.Equal(t, 2, b.MainStock)
		require.Equal(t, provenancetypes.Custody{Holder: pMfr, State: provenancetypes.UnitActive}, b.Custody)
		require.Equal(t, provenancetypes.BatchActive, b.Status)
		ev := cctest.RequireEvent[provenancetypes.Event](t, res, provenancetypes.EventBatchCommissioned)
		require.Equal(t, provenancetypes.BizStepCommissioning, ev.BizStep)
		require.Equal(t, provenancetypes.DispositionActive, ev.Disposition)
		require.Equal(t, glnMfr, ev.BizLocation)
		require.Equal(t, 2, ev.Quantity)

		u := w.unit("S2")
		require.Equal(t, provenancetypes.Unit{GTIN: gtin, Serial: "S2", Lot: lot, Expiry: "2027-06-30", Status: provenancetypes.UnitActive, Holder: pMfr}, u)
		h := cctest.Decode[provenancetypes.HoldingPage](t, w.evaluate(w.patient, "ListBatchesByOwner", pharmaMSP, glnMfr, "0", ""))
		require.Len(t, h.Items, 1)
		require.Equal(t, 2, h.Items[0].Held)
	})
	t.Run("the same batch again is a duplicate and other details a conflict", func(t *testing.T) {
		w := newWorld(t)
		w.setupProduct()
		cctest.RequireOK(t, w.invoke(w.mfr, "CommissionBatch", mustJSON(t, batchSpec(nil))))
		w.fails(codes.Duplicate, w.mfr, "CommissionBatch", mustJSON(t, batchSpec(nil)))
		other := batchSpec(nil)
		other.Quantity = 6
		w.fails(codes.Conflict, w.mfr, "CommissionBatch", mustJSON(t, other))
	})
	t.Run("another manufacturer may not commission a batch of the product", func(t *testing.T) {
		w := newWorld(t)
		w.setupProduct()
		w.fails(codes.Forbidden, w.mfr2, "CommissionBatch", mustJSON(t, batchSpec(nil)))
	})
	t.Run("only manufacturers commission", func(t *testing.T) {
		w := newWorld(t)
		w.setupProduct()
		for _, id := range []*cctest.Identity{w.dist, w.pharm, w.auditor, w.patient} {
			w.fails(codes.Forbidden, id, "CommissionBatch", mustJSON(t, batchSpec(nil)))
		}
	})
	t.Run("a batch of an unknown product is not found", func(t *testing.T) {
		w := newWorld(t)
		spec := batchSpec(nil)
		spec.GTIN = gtin2
		w.fails(codes.NotFound, w.mfr, "CommissionBatch", mustJSON(t, spec))
	})
	bad := []struct {
		name   string
		change func(*provenancetypes.BatchSpec)
	}{
		{"a bad GTIN check digit is refused", func(s *provenancetypes.BatchSpec) { s.GTIN = "00614141000417" }},
		{"expiry before manufacture is refused", func(s *provenancetypes.BatchSpec) { s.Expiry = "2024-05-31" }},
		{"expiry on the day of manufacture is refused", func(s *provenancetypes.BatchSpec) { s.Expiry = made }},
		{"a date that does not exist is refused", func(s *provenancetypes.BatchSpec) { s.Expiry = "2027-02-30" }},
		{"an empty serial is refused", func(s *provenancetypes.BatchSpec) { s.Serials = []string{"S1", ""} }},
		{"a duplicate serial is refused", func(s *provenancetypes.BatchSpec) { s.Serials = []string{"S1", "S2", "S1"} }},
		{"a serial longer than 20 characters is refused", func(s *provenancetypes.BatchSpec) { s.Serials = []string{"S123456789012345678901"} }},
		{"more serials than the quantity are refused", func(s *provenancetypes.BatchSpec) { s.Serials = serials("S", 0, 6) }},
		{"more serials than a chunk are refused", func(s *provenancetypes.BatchSpec) { s.Quantity = 3000; s.Serials = serials("S", 0, 2001) }},
		{"a zero quantity is refused", func(s *provenancetypes.BatchSpec) { s.Quantity = 0 }},
		{"an empty lot is refused", func(s *provenancetypes.BatchSpec) { s.Lot = "" }},
		{"a malformed business location is refused", func(s *provenancetypes.BatchSpec) { s.BizLocation = "0614141000006" }},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			w.setupProduct()
			spec := batchSpec(nil)
			tc.change(&spec)
			w.fails(codes.InvalidArgument, w.mfr, "CommissionBatch", mustJSON(t, spec))
		})
	}
	t.Run("a serial already commissioned in another lot is refused", func(t *testing.T) {
		w := newWorld(t)
		w.setupProduct()
		w.commission(lot2, 5, []string{"S1"})
		w.fails(codes.InvalidArgument, w.mfr, "CommissionBatch", mustJSON(t, batchSpec([]string{"S0", "S1"})))
	})
}

func TestAddSerials(t *testing.T) {
	t.Run("serials are added in chunks up to the quantity", func(t *testing.T) {
		w := newWorld(t)
		w.setupProduct()
		w.commission(lot, 5, nil)
		res := w.invoke(w.mfr, "AddSerials", gtin, lot, mustJSON(t, []string{"S1", "S2", "S3"}))
		b := cctest.Decode[provenancetypes.Batch](t, res)
		require.Equal(t, 3, b.SerialCount)
		ev := cctest.RequireEvent[provenancetypes.Event](t, res, provenancetypes.EventSerialsCommissioned)
		require.Equal(t, 3, ev.Quantity)
		w.fails(codes.InvalidArgument, w.mfr, "AddSerials", gtin, lot, mustJSON(t, []string{"S4", "S5", "S6"}))
		cctest.RequireOK(t, w.invoke(w.mfr, "AddSerials", gtin, lot, mustJSON(t, []string{"S4", "S5"})))
		require.Equal(t, 5, w.batch(lot).SerialCount)
		require.Equal(t, provenancetypes.VerifyVerified, w.verify("S5", lot, expiry))
	})
	t.Run("a serial already on the ledger or twice in the chunk is refused", func(t *testing.T) {
		w := newWorld(t)
		w.setupProduct()
		w.commission(lot, 5, []string{"S1"})
		w.fails(codes.InvalidArgument, w.mfr, "AddSerials", gtin, lot, mustJSON(t, []string{"S2", "S1"}))
		w.fails(codes.InvalidArgument, w.mfr, "AddSerials", gtin, lot, mustJSON(t, []string{"S2", "S2"}))
		w.fails(codes.InvalidArgument, w.mfr, "AddSerials", gtin, lot, mustJSON(t, []string{}))
		w.fails(codes.InvalidArgument, w.mfr, "AddSerials", gtin, lot, `["S2",`)
	})
	t.Run("a chunk larger than the limit is refused", func(t *testing.T) {
		w := newWorld(t)
		w.setupProduct()
		w.commission(lot, 10000, nil)
		w.fails(codes.InvalidArgument, w.mfr, "AddSerials", gtin, lot, mustJSON(t, serials("S", 0, provenancetypes.MaxSerialsPerTx+1)))
	})
	t.Run("only the batch's manufacturer adds serials", func(t *testing.T) {
		w := newWorld(t)
		w.setupProduct()
		w.commission(lot, 5, nil)
		w.fails(codes.Forbidden, w.mfr2, "AddSerials", gtin, lot, mustJSON(t, []string{"S1"}))
		w.fails(codes.Forbidden, w.dist, "AddSerials", gtin, lot, mustJSON(t, []string{"S1"}))
	})
	t.Run("serials are not added once the main stock has left the manufacturer", func(t *testing.T) {
		w := newWorld(t)
		w.setupProduct()
		w.commission(lot, 5, []string{"S1"})
		w.ship(w.mfr, "sh-1", lot, pDist, nil)
		w.fails(codes.PreconditionFailed, w.mfr, "AddSerials", gtin, lot, mustJSON(t, []string{"S2"}))
	})
	t.Run("serials of an unknown batch are not found", func(t *testing.T) {
		w := newWorld(t)
		w.setupProduct()
		w.fails(codes.NotFound, w.mfr, "AddSerials", gtin, lot, mustJSON(t, []string{"S1"}))
	})
}

// TestCommissionTenThousandSerials commissions a 10,000-serial batch in chunks; each unit stays
// individually verifiable, and Verify of the first and the last serial read the same keys.
func TestCommissionTenThousandSerials(t *testing.T) {
	if testing.Short() {
		t.Skip("commissions 10,000 serials")
	}
	w := newWorld(t)
	w.setupProduct()
	w.commission(lot, 10000, nil)
	for from := 0; from < 10000; from += provenancetypes.MaxSerialsPerTx {
		res := w.invoke(w.mfr, "AddSerials", gtin, lot, mustJSON(t, serials("U", from, provenancetypes.MaxSerialsPerTx)))
		cctest.RequireOK(t, res)
	}
	b := w.batch(lot)
	require.Equal(t, 10000, b.SerialCount)
	require.Equal(t, 10000, b.MainStock)
	require.Equal(t, provenancetypes.VerifyVerified, w.verify("U000000", lot, expiry))
	require.Equal(t, provenancetypes.VerifyVerified, w.verify("U009999", lot, expiry))
	require.Equal(t, provenancetypes.VerifyUnknownSerial, w.verify("U010000", lot, expiry))
	w.fails(codes.InvalidArgument, w.mfr, "AddSerials", gtin, lot, mustJSON(t, []string{"U010000"}))

	// Shipping the whole batch is one write of the batch, not one per unit.
	res := w.invoke(w.mfr, "Ship", mustJSON(t, provenancetypes.ShipmentSpec{ShipmentID: "big", GTIN: gtin, Lot: lot, Receiver: pDist}))
	cctest.RequireOK(t, res)
	require.Less(t, res.Writes, 10)
	require.Equal(t, provenancetypes.UnitInTransit, w.unit("U009999").Status)
}
