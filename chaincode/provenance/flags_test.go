package provenance_test

import (
	"testing"
	"time"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/internal/cctest"
	"github.com/healthledger/healthledger/chaincode/provenance/provenancetypes"
	"github.com/stretchr/testify/require"
)

func readings(sn []string, value float64, uom string) provenancetypes.ReadingsSpec {
	at := cctest.DefaultStart().Add(-time.Hour)
	return provenancetypes.ReadingsSpec{GTIN: gtin, Lot: lot, Serials: sn, Readings: []provenancetypes.SensorReading{
		{Time: at, Value: ptr(5.0), UOM: provenancetypes.UOMCelsius, SensorID: "logger-1"},
		{Time: at.Add(time.Minute), Value: &value, UOM: uom, SensorID: "logger-1"},
	}}
}

func ptr[T any](v T) *T { return &v }

func TestRecall(t *testing.T) {
	t.Run("a recall reaches units held by two different owners", func(t *testing.T) {
		w := newWorld(t)
		w.supplyChain()
		res := w.invoke(w.mfr, "Recall", gtin13, lot, "particulate matter")
		ev := cctest.RequireEvent[provenancetypes.Event](t, res, provenancetypes.EventRecalled)
		require.ElementsMatch(t, []provenancetypes.Party{pDist, pPharm}, ev.Holders)
		require.Equal(t, provenancetypes.DispositionRecalled, ev.Disposition)
		require.Equal(t, "particulate matter", ev.Reason)
		require.Equal(t, provenancetypes.ScopeBatch, ev.Scope)
		require.Equal(t, provenancetypes.VerifyRecalled, w.verify("S000000", lot, expiry), "a unit at the pharmacy")
		require.Equal(t, provenancetypes.VerifyRecalled, w.verify("S000009", lot, expiry), "a unit at the distributor")
		require.True(t, w.unit("S000000").Recalled)
		require.True(t, w.unit("S000009").Recalled)
		b := w.batch(lot)
		require.Equal(t, provenancetypes.BatchRecalled, b.Status)
		require.Equal(t, pMfr, b.Recall.By)
		page := cctest.Decode[provenancetypes.BatchPage](t, w.evaluate(w.auditor, "ListBatchesByStatus", provenancetypes.BatchRecalled, "0", ""))
		require.Len(t, page.Items, 1)
		require.Empty(t, cctest.Decode[provenancetypes.BatchPage](t, w.evaluate(w.auditor, "ListBatchesByStatus", provenancetypes.BatchActive, "0", "")).Items)
		w.fails(codes.Duplicate, w.auditor, "Recall", gtin, lot, "again")
	})
	t.Run("the recall event lists a receiver with goods in transit", func(t *testing.T) {
		w := newWorld(t)
		w.setupProduct()
		w.commission(lot, 4, serials("S", 0, 4))
		w.ship(w.mfr, "sh-1", lot, pDist, nil)
		ev := cctest.RequireEvent[provenancetypes.Event](t, w.invoke(w.auditor, "Recall", gtin, lot, "label error"), provenancetypes.EventRecalled)
		require.ElementsMatch(t, []provenancetypes.Party{pMfr, pDist}, ev.Holders)
		require.Equal(t, party(insurerMSP, "AUD-0001"), ev.Actor)
	})
	t.Run("only the batch's manufacturer or an auditor recalls", func(t *testing.T) {
		w := newWorld(t)
		w.supplyChain()
		for _, id := range []*cctest.Identity{w.mfr2, w.dist, w.pharm, w.patient} {
			w.fails(codes.Forbidden, id, "Recall", gtin, lot, "not mine")
		}
	})
	t.Run("a recall needs a reason and a known batch", func(t *testing.T) {
		w := newWorld(t)
		w.supplyChain()
		w.fails(codes.InvalidArgument, w.mfr, "Recall", gtin, lot, "  ")
		w.fails(codes.InvalidArgument, w.mfr, "Recall", "0614141000419", lot, "x")
		w.fails(codes.NotFound, w.mfr, "Recall", gtin, lot2, "x")
	})
}

func TestQuarantine(t *testing.T) {
	t.Run("a holder quarantines suspect product and an auditor releases it", func(t *testing.T) {
		w := newWorld(t)
		w.supplyChain()
		res := w.invoke(w.pharm, "Quarantine", gtin, lot, "broken tamper seal")
		ev := cctest.RequireEvent[provenancetypes.Event](t, res, provenancetypes.EventQuarantined)
		require.Equal(t, provenancetypes.BizStepHolding, ev.BizStep)
		require.Equal(t, provenancetypes.VerifyQuarantined, w.verify("S000008", lot, expiry))
		require.True(t, w.unit("S000000").Quarantined)
		w.fails(codes.Duplicate, w.dist, "Quarantine", gtin, lot, "again")
		w.fails(codes.Forbidden, w.dist, "ReleaseQuarantine", gtin, lot, "looks fine")
		w.fails(codes.Forbidden, w.pharm, "ReleaseQuarantine", gtin, lot, "looks fine")
		w.fails(codes.Forbidden, w.mfr2, "ReleaseQuarantine", gtin, lot, "looks fine")
		w.fails(codes.InvalidArgument, w.auditor, "ReleaseQuarantine", gtin, lot, "")

		res = w.invoke(w.auditor, "ReleaseQuarantine", gtin, lot, "seal batch defect, product intact")
		cctest.RequireEvent[provenancetypes.Event](t, res, provenancetypes.EventQuarantineReleased)
		require.Equal(t, provenancetypes.VerifyVerified, w.verify("S000008", lot, expiry))
		w.fails(codes.PreconditionFailed, w.auditor, "ReleaseQuarantine", gtin, lot, "again")
	})
	t.Run("the manufacturer quarantines and releases, and quarantined stock can be destroyed", func(t *testing.T) {
		w := newWorld(t)
		w.supplyChain()
		cctest.RequireOK(t, w.invoke(w.mfr, "Quarantine", gtin, lot, "counterfeit report"))
		cctest.RequireOK(t, w.invoke(w.dist, "Destroy", mustJSON(t, unitAction(nil, "quarantined stock"))))
		cctest.RequireOK(t, w.invoke(w.mfr, "ReleaseQuarantine", gtin, lot, "pharmacy units cleared"))
		require.Equal(t, provenancetypes.VerifyDecommissioned, w.verify("S000008", lot, expiry))
		require.Equal(t, provenancetypes.VerifyVerified, w.verify("S000000", lot, expiry))
	})
	t.Run("a party holding nothing of the batch may not quarantine it", func(t *testing.T) {
		w := newWorld(t)
		w.supplyChain()
		w.fails(codes.Forbidden, w.pharm2, "Quarantine", gtin, lot, "rumour")
		w.fails(codes.Forbidden, w.mfr2, "Quarantine", gtin, lot, "rumour")
		w.fails(codes.Forbidden, w.patient, "Quarantine", gtin, lot, "rumour")
	})
	t.Run("a quarantine needs a reason and a known batch", func(t *testing.T) {
		w := newWorld(t)
		w.supplyChain()
		w.fails(codes.InvalidArgument, w.auditor, "Quarantine", gtin, lot, "")
		w.fails(codes.NotFound, w.auditor, "Quarantine", gtin, lot2, "x")
	})
}

func TestRecordReadings(t *testing.T) {
	t.Run("readings within range are recorded and change no flag", func(t *testing.T) {
		w := newWorld(t)
		w.supplyChain()
		res := w.invoke(w.dist, "RecordReadings", mustJSON(t, readings([]string{"S000005"}, 46.4, provenancetypes.UOMFahrenheit)))
		ev := cctest.RequireEvent[provenancetypes.Event](t, res, provenancetypes.EventReadingsRecorded)
		require.Equal(t, provenancetypes.BizStepSensorReporting, ev.BizStep)
		require.Equal(t, provenancetypes.DispositionConformant, ev.Disposition)
		require.Len(t, ev.Readings, 2)
		require.InDelta(t, 8.0, ev.Readings[1].Celsius, 1e-9)
		require.False(t, w.batch(lot).Excursion)
		require.Equal(t, provenancetypes.VerifyVerified, w.verify("S000005", lot, expiry))
	})
	t.Run("a cold-chain excursion makes Verify answer excursion until an auditor clears it", func(t *testing.T) {
		w := newWorld(t)
		w.supplyChain()
		res := w.invoke(w.pharm, "RecordReadings", mustJSON(t, readings([]string{"S000000"}, 284.15, provenancetypes.UOMKelvin)))
		ev := cctest.RequireEvent[provenancetypes.Event](t, res, provenancetypes.EventExcursionDetected)
		require.Equal(t, provenancetypes.DispositionNonConformant, ev.Disposition)
		require.InDelta(t, 11.0, ev.Excursion.ValueCelsius, 1e-9)
		b := w.batch(lot)
		require.True(t, b.Excursion)
		require.Equal(t, provenancetypes.BatchExcursion, b.Status)
		require.Equal(t, "logger-1", b.ExcursionInfo.SensorID)
		require.Equal(t, provenancetypes.VerifyExcursion, w.verify("S000000", lot, expiry))
		require.Equal(t, provenancetypes.VerifyExcursion, w.verify("S000009", lot, expiry), "the whole batch")
		require.Len(t, cctest.Decode[provenancetypes.BatchPage](t, w.evaluate(w.pharm, "ListBatchesByStatus", provenancetypes.BatchExcursion, "0", "")).Items, 1)

		w.fails(codes.Forbidden, w.mfr, "ClearExcursion", gtin, lot, "fine")
		w.fails(codes.Forbidden, w.pharm, "ClearExcursion", gtin, lot, "fine")
		w.fails(codes.InvalidArgument, w.auditor, "ClearExcursion", gtin, lot, "")
		res = w.invoke(w.auditor, "ClearExcursion", gtin, lot, "stability data supports 11 C for 1 minute")
		cctest.RequireEvent[provenancetypes.Event](t, res, provenancetypes.EventExcursionCleared)
		require.Equal(t, provenancetypes.VerifyVerified, w.verify("S000000", lot, expiry))
		require.Equal(t, provenancetypes.BatchActive, w.batch(lot).Status)
		w.fails(codes.PreconditionFailed, w.auditor, "ClearExcursion", gtin, lot, "again")
	})
	t.Run("the receiver records readings of goods in transit to it", func(t *testing.T) {
		w := newWorld(t)
		w.setupProduct()
		w.commission(lot, 4, serials("S", 0, 4))
		w.ship(w.mfr, "sh-1", lot, pDist, nil)
		cctest.RequireOK(t, w.invoke(w.dist, "RecordReadings", mustJSON(t, readings([]string{"S000001"}, 1, provenancetypes.UOMCelsius))))
		require.True(t, w.batch(lot).Excursion)
		w.fails(codes.Forbidden, w.pharm, "RecordReadings", mustJSON(t, readings([]string{"S000001"}, 5, provenancetypes.UOMCelsius)))
	})
	t.Run("only the custodian of the named units records readings", func(t *testing.T) {
		w := newWorld(t)
		w.supplyChain()
		w.fails(codes.Forbidden, w.dist, "RecordReadings", mustJSON(t, readings([]string{"S000000"}, 5, provenancetypes.UOMCelsius)))
		w.fails(codes.Forbidden, w.pharm, "RecordReadings", mustJSON(t, readings([]string{"S000000", "S000009"}, 5, provenancetypes.UOMCelsius)))
		w.fails(codes.Forbidden, w.auditor, "RecordReadings", mustJSON(t, readings([]string{"S000000"}, 5, provenancetypes.UOMCelsius)))
	})
	bad := []struct {
		name   string
		change func(*provenancetypes.ReadingsSpec)
	}{
		{"a reading without a unit is refused", func(s *provenancetypes.ReadingsSpec) { s.Serials = nil }},
		{"a reading without a unit of measure is refused", func(s *provenancetypes.ReadingsSpec) { s.Readings[1].UOM = "" }},
		{"a reading in an unknown unit of measure is refused", func(s *provenancetypes.ReadingsSpec) { s.Readings[1].UOM = "RANKINE" }},
		{"a reading without a value is refused", func(s *provenancetypes.ReadingsSpec) { s.Readings[1].Value = nil }},
		{"a reading without a time is refused", func(s *provenancetypes.ReadingsSpec) { s.Readings[1].Time = time.Time{} }},
		{"a reading in the future is refused", func(s *provenancetypes.ReadingsSpec) { s.Readings[1].Time = cctest.DefaultStart().AddDate(0, 1, 0) }},
		{"no readings at all are refused", func(s *provenancetypes.ReadingsSpec) { s.Readings = nil }},
		{"a unit of another lot is refused", func(s *provenancetypes.ReadingsSpec) { s.Lot = lot2 }},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			w.supplyChain()
			w.commission(lot2, 2, []string{"X1"})
			spec := readings([]string{"S000000"}, 20, provenancetypes.UOMCelsius)
			tc.change(&spec)
			w.fails(codes.InvalidArgument, w.pharm, "RecordReadings", mustJSON(t, spec))
			require.False(t, w.batch(lot).Excursion)
		})
	}
	t.Run("readings of an unknown unit are not found", func(t *testing.T) {
		w := newWorld(t)
		w.supplyChain()
		w.fails(codes.NotFound, w.pharm, "RecordReadings", mustJSON(t, readings([]string{"S999999"}, 5, provenancetypes.UOMCelsius)))
	})
}
