package provenance_test

import (
	"strings"
	"testing"
	"time"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/internal/cctest"
	"github.com/healthledger/healthledger/chaincode/provenance/provenancetypes"
)

// BenchmarkWorstInput measures, through the chaincode's real Invoke (as Evaluate, so the ledger stays
// as set up), the most expensive inputs within the bounds of docs/provenance.md: the longest lists of
// serials and readings, with 20-character serials.
//
//	go test -run '^$' -bench WorstInput ./chaincode/provenance/
func BenchmarkWorstInput(b *testing.B) {
	long := func(prefix string, from, n int) []string {
		out := serials(prefix, from, n)
		for i := range out {
			out[i] += strings.Repeat("x", 20-len(out[i]))
		}
		return out
	}
	held := long("H", 0, provenancetypes.MaxSerialsPerTx) // commissioned by setup, held by the manufacturer
	units := held[:provenancetypes.MaxUnitsPerTx]
	readings := make([]provenancetypes.SensorReading, provenancetypes.MaxReadingsPerTx)
	for i := range readings {
		v := 4.5
		readings[i] = provenancetypes.SensorReading{Time: time.Date(2024, 12, 31, 0, 0, i%60, 0, time.UTC), Value: &v,
			UOM: provenancetypes.UOMCelsius, SensorID: "urn:epc:id:sgln:0614141.00001." + strings.Repeat("9", 90)}
	}
	cases := []struct {
		name string
		fn   string
		args func(w *world) []string
		want codes.Code
	}{
		{"CommissionBatch with 2,000 serials", "CommissionBatch", func(w *world) []string {
			spec := provenancetypes.BatchSpec{GTIN: gtin, Lot: "LOT-NEW", ManufacturedOn: made, Expiry: expiry,
				Quantity: provenancetypes.MaxSerialsPerTx, Serials: long("N", 0, provenancetypes.MaxSerialsPerTx)}
			return []string{mustJSON(w.t, spec)}
		}, ""},
		{"AddSerials with 2,000 serials", "AddSerials", func(w *world) []string {
			return []string{gtin, "LOT-ROOM", mustJSON(w.t, long("A", 0, provenancetypes.MaxSerialsPerTx))}
		}, ""},
		{"Ship of 1,000 units", "Ship", func(w *world) []string {
			return []string{mustJSON(w.t, provenancetypes.ShipmentSpec{ShipmentID: "sh-big", GTIN: gtin, Lot: "LOT-BIG", Serials: units, Receiver: pDist})}
		}, ""},
		{"Decommission of 1,000 units", "Decommission", func(w *world) []string {
			return []string{mustJSON(w.t, provenancetypes.UnitAction{GTIN: gtin, Lot: "LOT-BIG", Serials: units, Reason: "damaged in storage"})}
		}, ""},
		{"RecordReadings of 1,000 readings taken with 1,000 units", "RecordReadings", func(w *world) []string {
			return []string{mustJSON(w.t, provenancetypes.ReadingsSpec{GTIN: gtin, Lot: "LOT-BIG", Serials: units, Readings: readings})}
		}, ""},
		{"AddSerials with 2,000 serials of which the last is repeated, refused", "AddSerials", func(w *world) []string {
			sn := long("A", 0, provenancetypes.MaxSerialsPerTx)
			sn[len(sn)-1] = sn[0]
			return []string{gtin, "LOT-ROOM", mustJSON(w.t, sn)}
		}, codes.InvalidArgument},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			w := newWorld(b)
			w.setupProduct()
			w.commission("LOT-BIG", provenancetypes.MaxSerialsPerTx, held)
			w.commission("LOT-ROOM", 2*provenancetypes.MaxSerialsPerTx, nil)
			args := tc.args(w)
			res := w.l.Evaluate(cc, w.mfr, tc.fn, args)
			if tc.want == "" {
				cctest.RequireOK(b, res)
			} else {
				cctest.RequireCode(b, res, tc.want)
			}
			n := 0
			for _, a := range args {
				n += len(a)
			}
			b.SetBytes(int64(n))
			for b.Loop() {
				w.l.Evaluate(cc, w.mfr, tc.fn, args)
			}
		})
	}
}
