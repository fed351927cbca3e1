//go:build integration

package integration

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/healthledger/healthledger/chaincode/provenance/provenancetypes"
	"github.com/healthledger/healthledger/gateway-client/epcis"
	"github.com/healthledger/healthledger/gateway-client/epcis/epcisschema"
	"github.com/stretchr/testify/require"
)

// TestProvenanceEPCISExport runs a supply chain on the live network (commissioning, shipments of the
// main stock and of units, receipts, cold-chain readings with an excursion and its clearance, a
// dispense, a recall), exports the batch's and a unit's chain of custody as EPCIS 2.0 through the SDK
// and through the hlctl binary, and checks every document against the official GS1 schema.
func TestProvenanceEPCISExport(t *testing.T) {
	w := provSetup(t)
	b := provToPharmacy(t, w, "LOT-EPCIS", provSerials("E", 4), 2)

	at := time.Now().UTC().Add(-2 * time.Minute).Truncate(time.Second)
	reading := func(c float64, off time.Duration) provenancetypes.SensorReading {
		return provenancetypes.SensorReading{Time: at.Add(off), Value: &c, UOM: provenancetypes.UOMCelsius, SensorID: "logger-it-1"}
	}
	_, err := w.pharm.prov.RecordReadings(ctx(t), provenancetypes.ReadingsSpec{GTIN: b.GTIN, Lot: b.Lot, Serials: []string{"E00001"},
		Readings: []provenancetypes.SensorReading{reading(4.5, 0), reading(11, time.Minute)}})
	require.NoError(t, err)
	provSync(t, w)
	_, err = w.aud.prov.ClearExcursion(ctx(t), b.GTIN, b.Lot, "logger placed against the door seal")
	require.NoError(t, err)
	provSync(t, w)
	fill := unique("prov-epcis-fill")
	_, err = w.pharm.prov.Dispense(ctx(t), b.GTIN, "E00001", provenancetypes.EventContext{EventID: fill})
	require.NoError(t, err)
	provSync(t, w)
	_, err = w.mfr.prov.Recall(ctx(t), b.GTIN, b.Lot, "sterility assurance")
	require.NoError(t, err)
	provSync(t, w)

	v, err := epcisschema.New()
	require.NoError(t, err)
	custody := provWalk(t, 50, func(bm string) (*provenancetypes.EventPage, error) {
		return w.aud.prov.BatchCustody(ctx(t), b.GTIN, b.Lot, 50, bm)
	})
	wantTypes := []string{provenancetypes.EventBatchCommissioned, provenancetypes.EventShipped, provenancetypes.EventReceived,
		provenancetypes.EventShipped, provenancetypes.EventReceived, provenancetypes.EventExcursionDetected,
		provenancetypes.EventExcursionCleared, provenancetypes.EventDispensed, provenancetypes.EventRecalled}
	require.Equal(t, wantTypes, provTypes(custody))

	// check validates one exported document and returns its events.
	check := func(t *testing.T, raw []byte, n int) []json.RawMessage {
		t.Helper()
		require.NoError(t, v.Validate(raw), "%s", raw)
		require.NotContains(t, string(raw), fill, "the client's event id is not exported")
		require.NotContains(t, string(raw), "sterility", "free text is not exported")
		var doc struct {
			Context []any `json:"@context"`
			Type    string
			Body    struct {
				EventList []json.RawMessage `json:"eventList"`
			} `json:"epcisBody"`
		}
		require.NoError(t, json.Unmarshal(raw, &doc))
		require.Equal(t, epcis.ContextURL, doc.Context[0])
		require.Equal(t, "EPCISDocument", doc.Type)
		require.Len(t, doc.Body.EventList, n)
		return doc.Body.EventList
	}

	sdkDoc, err := w.aud.prov.EPCISForBatch(ctx(t), b.GTIN, b.Lot)
	require.NoError(t, err)
	sdkRaw, err := json.Marshal(sdkDoc)
	require.NoError(t, err)
	sdkEvents := check(t, sdkRaw, len(wantTypes))
	for i, e := range sdkDoc.Body.EventList {
		require.Equal(t, wantTypes[i], e.ChaincodeEvent)
		require.Equal(t, custody[i].TxID, e.TxID)
	}
	ship := sdkDoc.Body.EventList[1]
	require.Equal(t, "shipping", ship.BizStep)
	require.Equal(t, "https://id.gs1.org/417/"+w.mfr.party.GLN, ship.SourceList[0].Source)
	require.Equal(t, "https://id.gs1.org/417/"+w.dist.party.GLN, ship.DestinationList[0].Destination)
	require.Equal(t, "urn:epcglobal:cbv:bt:"+w.mfr.party.GLN+":"+custody[1].ShipmentID, ship.BizTransactionList[0].BizTransaction)
	excursion := sdkDoc.Body.EventList[5]
	require.Equal(t, "non_conformant", excursion.Disposition)
	require.Len(t, excursion.SensorElementList[0].SensorReport, 2)
	require.Equal(t, "ALARM_CONDITION", excursion.SensorElementList[0].SensorReport[1].Exception)
	require.Equal(t, []string{"https://id.gs1.org/01/" + b.GTIN + "/21/E00001"}, sdkDoc.Body.EventList[7].EPCList)

	unitDoc, err := w.aud.prov.EPCISForUnit(ctx(t), b.GTIN, "E00001")
	require.NoError(t, err)
	unitRaw, err := json.Marshal(unitDoc)
	require.NoError(t, err)
	check(t, unitRaw, len(unitDoc.Body.EventList))
	require.Equal(t, provenancetypes.EventDispensed, unitDoc.Body.EventList[len(unitDoc.Body.EventList)-2].ChaincodeEvent)

	bin := sdkBuildHlctl(t)
	who := w.aud.c.Identity().Name
	run := sdkHlctl(t, bin, "--identity", who, "provenance", "epcis", "batch", "--validate", b.GTIN, b.Lot)
	require.Equal(t, 0, run.code, run.stderr)
	cliEvents := check(t, []byte(run.stdout), len(wantTypes))
	for i := range cliEvents {
		require.JSONEq(t, string(sdkEvents[i]), string(cliEvents[i]), "hlctl and the SDK export event %d alike", i)
	}
	run = sdkHlctl(t, bin, "--identity", who, "provenance", "epcis", "unit", b.GTIN, "E00001")
	require.Equal(t, 0, run.code, run.stderr)
	check(t, []byte(run.stdout), len(unitDoc.Body.EventList))
	run = sdkHlctl(t, bin, "--identity", who, "provenance", "epcis", "batch", b.GTIN, "LOT-NONE")
	require.Equal(t, 1, run.code)
	require.Contains(t, run.stderr, "NOT_FOUND")
}
