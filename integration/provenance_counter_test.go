//go:build integration

package integration

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/healthledger/healthledger/chaincode/provenance/provenancetypes"
	"github.com/healthledger/healthledger/gateway-client/provenance"
	"github.com/stretchr/testify/require"
)

// TestProvenanceCounterCheckStrictExitCodes drives units into every counter state on the live
// network and runs the real hlctl binary's `provenance verify --strict` on each, as a pharmacist at
// the counter: only a verified unit that is not suspect passes (exit 0); every other state fails with
// its own exit code (docs/hlctl.md).
func TestProvenanceCounterCheckStrictExitCodes(t *testing.T) {
	bin := sdkBuildHlctl(t)
	w := provSetup(t)
	pharmacist := w.pharm.c.Identity().Name

	// One batch at the pharmacy: K00001 stays clean, K00002 is dispensed, K00003 is dispensed twice
	// (which flags it suspect), and the distributor destroys K00004, which it holds.
	b := provToPharmacy(t, w, "LOT-CTR-A", provSerials("K", 4), 3)
	for _, serial := range []string{"K00002", "K00003"} {
		_, err := w.pharm.prov.Dispense(ctx(t), b.GTIN, serial, provenancetypes.EventContext{})
		require.NoError(t, err, "dispensing %s", serial)
		provSync(t, w)
	}
	_, err := w.pharm.prov.Dispense(ctx(t), b.GTIN, "K00003", provenancetypes.EventContext{})
	var rejected *provenance.DispenseRejectedError
	require.ErrorAs(t, err, &rejected, "a second dispense of K00003")
	provSync(t, w)
	_, err = w.dist.prov.Destroy(ctx(t), provenancetypes.UnitAction{GTIN: b.GTIN, Lot: b.Lot, Serials: []string{"K00004"}, Reason: "crushed carton"})
	require.NoError(t, err)
	provSync(t, w)

	// One batch per batch-level state, each still with the manufacturer.
	flagged := func(lot string, flag func(b *provenancetypes.Batch) error) *provenancetypes.Batch {
		t.Helper()
		fb := provCommission(t, w, lot, []string{lot + "-1"})
		require.NoError(t, flag(fb), "flagging %s", lot)
		provSync(t, w)
		return fb
	}
	suspect := flagged("LOT-CTR-S", func(fb *provenancetypes.Batch) error {
		_, err := w.aud.prov.FlagSuspect(ctx(t), fb.GTIN, fb.Lot, "integration test: counterfeit report")
		return err
	})
	recalled := flagged("LOT-CTR-R", func(fb *provenancetypes.Batch) error {
		_, err := w.mfr.prov.Recall(ctx(t), fb.GTIN, fb.Lot, "integration test: assay out of specification")
		return err
	})
	quarantined := flagged("LOT-CTR-Q", func(fb *provenancetypes.Batch) error {
		_, err := w.mfr.prov.Quarantine(ctx(t), fb.GTIN, fb.Lot, "integration test: damaged cartons")
		return err
	})
	excursion := flagged("LOT-CTR-E", func(fb *provenancetypes.Batch) error {
		v := 25.0
		_, err := w.mfr.prov.RecordReadings(ctx(t), provenancetypes.ReadingsSpec{
			GTIN: fb.GTIN, Lot: fb.Lot, Serials: []string{fb.Lot + "-1"},
			Readings: []provenancetypes.SensorReading{{Time: time.Now().Add(-time.Minute).UTC(), Value: &v, UOM: provenancetypes.UOMCelsius, SensorID: "logger-9"}},
		})
		return err
	})
	// An expired batch: made two years ago, expired yesterday.
	today := time.Now().UTC()
	spec := provBatchSpec(w, "LOT-CTR-X", 1)
	spec.ManufacturedOn = today.AddDate(-2, 0, 0).Format(provenancetypes.DateLayout)
	spec.Expiry = today.AddDate(0, 0, -1).Format(provenancetypes.DateLayout)
	spec.Serials = []string{"LOT-CTR-X-1"}
	expired, err := w.mfr.prov.CommissionBatch(ctx(t), spec)
	require.NoError(t, err)
	provSync(t, w)

	cases := []struct {
		name                      string
		gtin, serial, lot, expiry string
		result, state             string
		suspect                   bool
		exit                      int
	}{
		{"a verified clean unit passes", b.GTIN, "K00001", b.Lot, b.Expiry, provenancetypes.VerifyVerified, provenancetypes.VerifyVerified, false, 0},
		{"a unit of a batch flagged suspect, which Verify calls verified, fails", suspect.GTIN, suspect.Lot + "-1", suspect.Lot, suspect.Expiry, provenancetypes.VerifyVerified, provenancetypes.CounterSuspect, true, 17},
		{"a unit dispensed twice is suspect", b.GTIN, "K00003", b.Lot, b.Expiry, provenancetypes.VerifyDispensed, provenancetypes.CounterSuspect, true, 17},
		{"a recalled unit", recalled.GTIN, recalled.Lot + "-1", recalled.Lot, recalled.Expiry, provenancetypes.VerifyRecalled, provenancetypes.VerifyRecalled, false, 13},
		{"an expired unit", expired.GTIN, expired.Lot + "-1", expired.Lot, expired.Expiry, provenancetypes.VerifyExpired, provenancetypes.VerifyExpired, false, 19},
		{"a dispensed unit", b.GTIN, "K00002", b.Lot, b.Expiry, provenancetypes.VerifyDispensed, provenancetypes.VerifyDispensed, false, 18},
		{"an unknown serial", b.GTIN, "K99999", b.Lot, b.Expiry, provenancetypes.VerifyUnknownSerial, provenancetypes.VerifyUnknownSerial, false, 10},
		{"a barcode with another lot", b.GTIN, "K00001", "LOT-CTR-FAKE", b.Expiry, provenancetypes.VerifyLotMismatch, provenancetypes.VerifyLotMismatch, false, 11},
		{"a barcode with another expiry", b.GTIN, "K00001", b.Lot, "2099-01-31", provenancetypes.VerifyExpiryMismatch, provenancetypes.VerifyExpiryMismatch, false, 12},
		{"a destroyed unit", b.GTIN, "K00004", b.Lot, b.Expiry, provenancetypes.VerifyDecommissioned, provenancetypes.VerifyDecommissioned, false, 14},
		{"a quarantined unit", quarantined.GTIN, quarantined.Lot + "-1", quarantined.Lot, quarantined.Expiry, provenancetypes.VerifyQuarantined, provenancetypes.VerifyQuarantined, false, 15},
		{"a unit with a cold-chain excursion", excursion.GTIN, excursion.Lot + "-1", excursion.Lot, excursion.Expiry, provenancetypes.VerifyExcursion, provenancetypes.VerifyExcursion, false, 16},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := sdkHlctl(t, bin, "--identity", pharmacist, "--json", "provenance", "verify", "--strict", tc.gtin, tc.serial, tc.lot, tc.expiry)
			require.Equal(t, tc.exit, res.code, "stdout %s stderr %s", res.stdout, res.stderr)
			var got struct {
				Result         string `json:"result"`
				Suspect        bool   `json:"suspect"`
				SafeToDispense bool   `json:"safeToDispense"`
				State          string `json:"state"`
			}
			require.NoError(t, json.Unmarshal([]byte(res.stdout), &got), res.stdout)
			require.Equal(t, tc.result, got.Result)
			require.Equal(t, tc.suspect, got.Suspect)
			require.Equal(t, tc.state, got.State)
			require.Equal(t, tc.exit == 0, got.SafeToDispense)
			if tc.exit == 0 {
				require.Empty(t, res.stderr)
				return
			}
			require.Equal(t, 1, strings.Count(res.stderr, "\n"), "one line: %q", res.stderr)
			require.Contains(t, res.stderr, "not safe to dispense: "+tc.state)
		})
	}

	t.Run("a scanned barcode of the clean unit passes, of the suspect batch fails", func(t *testing.T) {
		scan := func(gtin, serial, lot, expiry string) string {
			t.Helper()
			exp, err := provenancetypes.ParseDate(expiry)
			require.NoError(t, err)
			return "(01)" + gtin + "(17)" + exp.Format("060102") + "(10)" + lot + "(21)" + serial
		}
		res := sdkHlctl(t, bin, "--identity", pharmacist, "provenance", "verify", "--strict", "--scan", scan(b.GTIN, "K00001", b.Lot, b.Expiry))
		require.Equal(t, 0, res.code, res.stderr)
		require.Contains(t, res.stdout, "safeToDispense: true")
		res = sdkHlctl(t, bin, "--identity", pharmacist, "provenance", "verify", "--strict", "--scan", scan(suspect.GTIN, suspect.Lot+"-1", suspect.Lot, suspect.Expiry))
		require.Equal(t, 17, res.code, res.stderr)
		require.Contains(t, res.stdout, "state: suspect")
	})
}
