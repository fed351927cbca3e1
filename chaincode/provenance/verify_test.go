package provenance_test

import (
	"testing"
	"time"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/internal/cctest"
	"github.com/healthledger/healthledger/chaincode/provenance/provenancetypes"
	"github.com/stretchr/testify/require"
)

func TestVerify(t *testing.T) {
	cases := []struct {
		name   string
		setup  func(w *world)
		serial string
		lot    string
		expiry string
		want   string
	}{
		{"a genuine unit is verified", nil, "S000004", lot, expiry, provenancetypes.VerifyVerified},
		{"the GS1 YYMMDD expiry form is accepted", nil, "S000004", lot, "270630", provenancetypes.VerifyVerified},
		{"an unknown serial is unknown", nil, "S999999", lot, expiry, provenancetypes.VerifyUnknownSerial},
		{"a wrong lot is a lot mismatch", nil, "S000004", lot2, expiry, provenancetypes.VerifyLotMismatch},
		{"a wrong expiry is an expiry mismatch", nil, "S000004", lot, "2027-06-29", provenancetypes.VerifyExpiryMismatch},
		{"a lot mismatch comes before an expiry mismatch", nil, "S000004", lot2, "2027-06-29", provenancetypes.VerifyLotMismatch},
		{"a dispensed unit is dispensed", func(w *world) {
			cctest.RequireOK(w.t, w.invoke(w.pharm, "Dispense", gtin, "S000000", ""))
		}, "S000000", lot, expiry, provenancetypes.VerifyDispensed},
		{"a recalled and dispensed unit is recalled", func(w *world) {
			cctest.RequireOK(w.t, w.invoke(w.pharm, "Dispense", gtin, "S000000", ""))
			cctest.RequireOK(w.t, w.invoke(w.mfr, "Recall", gtin, lot, "contamination"))
		}, "S000000", lot, expiry, provenancetypes.VerifyRecalled},
		{"a recalled unit with a wrong expiry is an expiry mismatch", func(w *world) {
			cctest.RequireOK(w.t, w.invoke(w.mfr, "Recall", gtin, lot, "contamination"))
		}, "S000000", lot, "2028-01-01", provenancetypes.VerifyExpiryMismatch},
		{"a recalled and quarantined unit is recalled", func(w *world) {
			cctest.RequireOK(w.t, w.invoke(w.dist, "Quarantine", gtin, lot, "suspect"))
			cctest.RequireOK(w.t, w.invoke(w.mfr, "Recall", gtin, lot, "contamination"))
		}, "S000004", lot, expiry, provenancetypes.VerifyRecalled},
		{"a quarantined unit with an excursion is quarantined", func(w *world) {
			cctest.RequireOK(w.t, w.invoke(w.dist, "RecordReadings", mustJSON(w.t, readings([]string{"S000004"}, 30, provenancetypes.UOMCelsius))))
			cctest.RequireOK(w.t, w.invoke(w.dist, "Quarantine", gtin, lot, "suspect"))
		}, "S000004", lot, expiry, provenancetypes.VerifyQuarantined},
		{"a dispensed unit of a batch with an excursion is excursion", func(w *world) {
			cctest.RequireOK(w.t, w.invoke(w.pharm, "Dispense", gtin, "S000000", ""))
			cctest.RequireOK(w.t, w.invoke(w.dist, "RecordReadings", mustJSON(w.t, readings([]string{"S000004"}, 30, provenancetypes.UOMCelsius))))
		}, "S000000", lot, expiry, provenancetypes.VerifyExcursion},
		{"a destroyed unit of a quarantined batch is decommissioned", func(w *world) {
			cctest.RequireOK(w.t, w.invoke(w.dist, "Quarantine", gtin, lot, "suspect"))
			cctest.RequireOK(w.t, w.invoke(w.dist, "Destroy", mustJSON(w.t, unitAction([]string{"S000004"}, "crushed"))))
		}, "S000004", lot, expiry, provenancetypes.VerifyDecommissioned},
		{"an expired unit is expired", func(w *world) {
			w.l.SetClock(time.Date(2027, 7, 1, 0, 0, 0, 0, time.UTC))
		}, "S000004", lot, expiry, provenancetypes.VerifyExpired},
		{"a unit is sellable through its expiry date", func(w *world) {
			w.l.SetClock(time.Date(2027, 6, 30, 23, 59, 0, 0, time.UTC))
		}, "S000004", lot, expiry, provenancetypes.VerifyVerified},
		{"an expired and dispensed unit is dispensed", func(w *world) {
			cctest.RequireOK(w.t, w.invoke(w.pharm, "Dispense", gtin, "S000000", ""))
			w.l.SetClock(time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC))
		}, "S000000", lot, expiry, provenancetypes.VerifyDispensed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			w.supplyChain()
			w.commission(lot2, 1, []string{"Z1"})
			if tc.setup != nil {
				tc.setup(w)
			}
			res := w.evaluate(w.patient, "Verify", gtin13, tc.serial, tc.lot, tc.expiry)
			vr := cctest.Decode[provenancetypes.VerifyResult](t, res)
			require.Equal(t, tc.want, vr.Result)
			require.Equal(t, gtin, vr.GTIN)
			require.Equal(t, tc.serial, vr.Serial)
			require.Equal(t, res.Time, vr.CheckedAt)
			require.False(t, res.Committed)
		})
	}
	t.Run("bad input is refused", func(t *testing.T) {
		w := newWorld(t)
		w.supplyChain()
		for _, args := range [][]string{
			{"00614141000419", "S000000", lot, expiry},
			{gtin, "", lot, expiry},
			{gtin, "S000000", "", expiry},
			{gtin, "S000000", lot, "30/06/2027"},
			{gtin, "S000000", lot, "271331"},
		} {
			cctest.RequireCode(t, w.evaluate(w.pharm, "Verify", args...), codes.InvalidArgument)
		}
	})
	t.Run("any member verifies, even without a role", func(t *testing.T) {
		w := newWorld(t)
		w.supplyChain()
		anon := w.l.Identity("Org9MSP", "anon", nil)
		vr := cctest.Decode[provenancetypes.VerifyResult](t, w.evaluate(anon, "Verify", gtin, "S000004", lot, expiry))
		require.Equal(t, provenancetypes.VerifyVerified, vr.Result)
	})
}

func TestGetUnit(t *testing.T) {
	w := newWorld(t)
	w.supplyChain()
	cctest.RequireOK(t, w.invoke(w.pharm, "Dispense", gtin, "S000002", ""))
	cctest.RequireOK(t, w.invoke(w.auditor, "Recall", gtin, lot, "stability failure"))
	u := w.unit("S000002")
	require.Equal(t, provenancetypes.UnitDispensed, u.Status)
	require.True(t, u.Recalled, "recalled comes from the batch")
	require.Equal(t, &pPharm, u.DispensedBy)
	require.Equal(t, expiry, u.Expiry)
	cctest.RequireCode(t, w.evaluate(w.patient, "GetUnit", gtin, "S999999"), codes.NotFound)
	cctest.RequireCode(t, w.evaluate(w.patient, "GetUnit", "0061414100041", "S000002"), codes.InvalidArgument)
	cctest.RequireCode(t, w.evaluate(w.patient, "GetUnit", gtin, "bad\x01serial"), codes.InvalidArgument)
}

// TestSafeToDispense drives units into every counter state on the in-memory ledger and checks what
// VerifyResult.SafeToDispense, the one answer hlctl and the SDK's callers act on, makes of the
// chaincode's real Verify answers: only a verified unit that is not suspect is safe.
func TestSafeToDispense(t *testing.T) {
	dispense := func(w *world, serial string) {
		cctest.RequireOK(w.t, w.invoke(w.pharm, "Dispense", gtin, serial, ""))
	}
	cases := []struct {
		name   string
		setup  func(w *world)
		serial string
		lot    string
		expiry string
		state  string
	}{
		{"a genuine clean unit is safe", nil, "S000001", lot, expiry, provenancetypes.VerifyVerified},
		{"an unknown serial", nil, "S999999", lot, expiry, provenancetypes.VerifyUnknownSerial},
		{"a wrong lot in the barcode", nil, "S000001", lot2, expiry, provenancetypes.VerifyLotMismatch},
		{"a wrong expiry in the barcode", nil, "S000001", lot, "2027-06-29", provenancetypes.VerifyExpiryMismatch},
		{"a recalled unit", func(w *world) {
			cctest.RequireOK(w.t, w.invoke(w.mfr, "Recall", gtin, lot, "contamination"))
		}, "S000001", lot, expiry, provenancetypes.VerifyRecalled},
		{"a destroyed unit", func(w *world) {
			cctest.RequireOK(w.t, w.invoke(w.dist, "Destroy", mustJSON(w.t, unitAction([]string{"S000004"}, "crushed"))))
		}, "S000004", lot, expiry, provenancetypes.VerifyDecommissioned},
		{"a quarantined unit", func(w *world) {
			cctest.RequireOK(w.t, w.invoke(w.dist, "Quarantine", gtin, lot, "damaged cartons"))
		}, "S000001", lot, expiry, provenancetypes.VerifyQuarantined},
		{"a unit of a batch with an excursion", func(w *world) {
			cctest.RequireOK(w.t, w.invoke(w.dist, "RecordReadings", mustJSON(w.t, readings([]string{"S000004"}, 30, provenancetypes.UOMCelsius))))
		}, "S000001", lot, expiry, provenancetypes.VerifyExcursion},
		{"a unit of a batch the auditor flagged suspect, which Verify calls verified", func(w *world) {
			cctest.RequireOK(w.t, w.invoke(w.auditor, "FlagSuspect", gtin, lot, "counterfeit report"))
		}, "S000001", lot, expiry, provenancetypes.CounterSuspect},
		{"a unit dispensed twice, flagged suspect", func(w *world) {
			dispense(w, "S000000")
			w.invoke(w.pharm, "Dispense", gtin, "S000000", "") // committed, not accepted: flags the unit
		}, "S000000", lot, expiry, provenancetypes.CounterSuspect},
		{"an expired unit of a suspect batch", func(w *world) {
			cctest.RequireOK(w.t, w.invoke(w.auditor, "FlagSuspect", gtin, lot, "counterfeit report"))
			w.l.SetClock(time.Date(2027, 7, 1, 0, 0, 0, 0, time.UTC))
		}, "S000001", lot, expiry, provenancetypes.CounterSuspect},
		{"a recalled unit of a suspect batch stays recalled", func(w *world) {
			cctest.RequireOK(w.t, w.invoke(w.auditor, "FlagSuspect", gtin, lot, "counterfeit report"))
			cctest.RequireOK(w.t, w.invoke(w.mfr, "Recall", gtin, lot, "contamination"))
		}, "S000001", lot, expiry, provenancetypes.VerifyRecalled},
		{"a dispensed unit", func(w *world) { dispense(w, "S000000") }, "S000000", lot, expiry, provenancetypes.VerifyDispensed},
		{"an expired unit", func(w *world) {
			w.l.SetClock(time.Date(2027, 7, 1, 0, 0, 0, 0, time.UTC))
		}, "S000001", lot, expiry, provenancetypes.VerifyExpired},
		{"a cleared suspect batch is safe again", func(w *world) {
			cctest.RequireOK(w.t, w.invoke(w.auditor, "FlagSuspect", gtin, lot, "counterfeit report"))
			cctest.RequireOK(w.t, w.invoke(w.auditor, "ClearSuspect", gtin, lot, "", "report withdrawn"))
		}, "S000001", lot, expiry, provenancetypes.VerifyVerified},
	}
	seen := map[string]bool{}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			w.supplyChain()
			w.commission(lot2, 1, []string{"Z1"})
			if tc.setup != nil {
				tc.setup(w)
			}
			vr := cctest.Decode[provenancetypes.VerifyResult](t, w.evaluate(w.pharm, "Verify", gtin, tc.serial, tc.lot, tc.expiry))
			safe, state := vr.SafeToDispense()
			require.Equal(t, tc.state, state, "Verify answered %+v", vr)
			require.Equal(t, tc.state == provenancetypes.VerifyVerified, safe)
			if state == provenancetypes.CounterSuspect {
				require.True(t, vr.Suspect)
			}
			seen[state] = true
		})
	}
	for _, s := range provenancetypes.CounterStates() {
		if s != provenancetypes.CounterUnrecognized {
			require.True(t, seen[s], "no case reaches the counter state %s", s)
		}
	}
}
