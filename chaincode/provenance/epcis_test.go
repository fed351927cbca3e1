package provenance_test

import (
	"encoding/json"
	"flag"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/healthledger/healthledger/chaincode/internal/cctest"
	"github.com/healthledger/healthledger/chaincode/provenance/provenancetypes"
	"github.com/healthledger/healthledger/gateway-client/epcis"
	"github.com/healthledger/healthledger/gateway-client/epcis/epcisschema"
	"github.com/stretchr/testify/require"
)

// custodyTypes are the chaincode event types that are custody events: every one must appear in the
// export of the history below.
var custodyTypes = []string{
	provenancetypes.EventBatchCommissioned, provenancetypes.EventSerialsCommissioned, provenancetypes.EventShipped,
	provenancetypes.EventReceived, provenancetypes.EventDispensed, provenancetypes.EventDispenseRejected,
	provenancetypes.EventDecommissioned, provenancetypes.EventDestroyed, provenancetypes.EventRecalled,
	provenancetypes.EventQuarantined, provenancetypes.EventQuarantineReleased, provenancetypes.EventReadingsRecorded,
	provenancetypes.EventExcursionDetected, provenancetypes.EventExcursionCleared, provenancetypes.EventSuspectFlagged,
	provenancetypes.EventSuspectCleared,
}

// Markers that a client put in free text and in its own event id: the export carries neither.
const (
	rxMarker     = "rx-fill-5521"
	reasonMarker = "REASON-MARKER-3390"
)

// everyEventKind runs a history through the real chaincode that records every kind of custody event
// of lot: commissioning (inline and AddSerials), shipments of the main stock and of serials (one with
// an SGLN read point), receipts, readings in and out of range, the excursion's clearance, a
// quarantine and its release, a dispense and a double dispense, a decommission and a destruction, an
// auditor's suspect flag and both clearings, and a recall.
func (w *world) everyEventKind() {
	t := w.t
	t.Helper()
	w.setupProduct()
	w.commission(lot, 20, serials("S", 0, 10))
	cctest.RequireOK(t, w.invoke(w.mfr, "AddSerials", gtin, lot, mustJSON(t, serials("S", 10, 2))))
	spec := provenancetypes.ShipmentSpec{ShipmentID: "sh-1", GTIN: gtin, Lot: lot, Receiver: pDist,
		EventContext: provenancetypes.EventContext{ReadPoint: "urn:epc:id:sgln:0614141.00000.dock2"}}
	cctest.RequireOK(t, w.invoke(w.mfr, "Ship", mustJSON(t, spec)))
	w.receive(w.dist, "sh-1")
	w.ship(w.dist, "sh-2", lot, pPharm, serials("S", 0, 3))
	w.receive(w.pharm, "sh-2")
	cctest.RequireOK(t, w.invoke(w.pharm, "RecordReadings", mustJSON(t, readings([]string{"S000000"}, 6, provenancetypes.UOMCelsius))))
	cctest.RequireOK(t, w.invoke(w.pharm, "RecordReadings", mustJSON(t, readings([]string{"S000000"}, 53.6, provenancetypes.UOMFahrenheit))))
	cctest.RequireOK(t, w.invoke(w.auditor, "ClearExcursion", gtin, lot, "logger fault "+reasonMarker))
	cctest.RequireOK(t, w.invoke(w.mfr, "Quarantine", gtin, lot, "inspection "+reasonMarker))
	cctest.RequireOK(t, w.invoke(w.mfr, "ReleaseQuarantine", gtin, lot, "inspected "+reasonMarker))
	cctest.RequireOK(t, w.invoke(w.pharm, "Dispense", gtin, "S000000", `{"eventId":"`+rxMarker+`"}`))
	cctest.RequireOK(t, w.invoke(w.pharm, "Dispense", gtin, "S000000", `{"eventId":"rx-fill-5522"}`))
	cctest.RequireOK(t, w.invoke(w.pharm, "Decommission", mustJSON(t, provenancetypes.UnitAction{GTIN: gtin, Lot: lot, Serials: []string{"S000001"}, Reason: "damaged " + reasonMarker})))
	cctest.RequireOK(t, w.invoke(w.pharm, "Destroy", mustJSON(t, provenancetypes.UnitAction{GTIN: gtin, Lot: lot, Serials: []string{"S000001"}, Reason: "incinerated " + reasonMarker})))
	cctest.RequireOK(t, w.invoke(w.auditor, "FlagSuspect", gtin, lot, "tip-off "+reasonMarker))
	cctest.RequireOK(t, w.invoke(w.auditor, "ClearSuspect", gtin, lot, "", "tip-off unfounded "+reasonMarker))
	cctest.RequireOK(t, w.invoke(w.auditor, "ClearSuspect", gtin, lot, "S000000", "scanner read twice "+reasonMarker))
	cctest.RequireOK(t, w.invoke(w.mfr, "Recall", gtin, lot, "sterility "+reasonMarker))
}

// custody reads every page of a custody query, pageSize events at a time.
func (w *world) custody(fn, gtinArg, key string, pageSize int) []provenancetypes.Event {
	w.t.Helper()
	var all []provenancetypes.Event
	bookmark := ""
	for {
		p := cctest.Decode[provenancetypes.EventPage](w.t, w.evaluate(w.patient, fn, gtinArg, key, strconv.Itoa(pageSize), bookmark))
		all = append(all, p.Items...)
		if bookmark = p.Bookmark; bookmark == "" {
			return all
		}
	}
}

// recordEPCIS, when set, is where TestEPCISExportOfEveryEventKind writes the chaincode's answers
// (GetBatch, every BatchCustody event, and GetUnit and UnitCustody of S000000) for the SDK's and
// hlctl's tests to serve: go test -run TestEPCIS ./chaincode/provenance/ -record-epcis=$PWD/gateway-client/provenance/testdata/epcis-history.json
var recordEPCIS = flag.String("record-epcis", "", "write the EPCIS history's chaincode answers to this `file`")

// RecordedHistory is the layout of the recorded answers.
type RecordedHistory struct {
	Batch        provenancetypes.Batch   `json:"batch"`
	BatchCustody []provenancetypes.Event `json:"batchCustody"`
	Unit         provenancetypes.Unit    `json:"unit"`
	UnitCustody  []provenancetypes.Event `json:"unitCustody"`
}

func marshalDoc(t *testing.T, doc *epcis.Document) []byte {
	t.Helper()
	raw, err := json.Marshal(doc)
	require.NoError(t, err)
	return raw
}

func eventsOfType(doc *epcis.Document, typ string) []epcis.ObjectEvent {
	var out []epcis.ObjectEvent
	for _, e := range doc.Body.EventList {
		if e.ChaincodeEvent == typ {
			out = append(out, e)
		}
	}
	return out
}

func TestEPCISExportOfEveryEventKind(t *testing.T) {
	w := newWorld(t)
	w.everyEventKind()
	v, err := epcisschema.New()
	require.NoError(t, err)
	created := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

	events := w.custody("BatchCustody", gtin, lot, 4)
	b := w.batch(lot)
	doc, err := epcis.FromBatch(b, events, created)
	require.NoError(t, err)
	raw := marshalDoc(t, doc)
	require.NoError(t, v.Validate(raw), "the batch's export must validate:\n%s", raw)
	require.Len(t, doc.Body.EventList, len(events))
	if *recordEPCIS != "" {
		rec := RecordedHistory{Batch: b, BatchCustody: events, Unit: w.unit("S000000"), UnitCustody: w.custody("UnitCustody", gtin, "S000000", 50)}
		out, err := json.MarshalIndent(rec, "", " ")
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(*recordEPCIS, append(out, '\n'), 0o644))
	}

	t.Run("every custody event kind is exported with its mapping", func(t *testing.T) {
		var seen []string
		for i, e := range doc.Body.EventList {
			require.Equal(t, events[i].Type, e.ChaincodeEvent, "export keeps custody order")
			require.Equal(t, events[i].TxID, e.TxID)
			m, ok := epcis.Mapping(e.ChaincodeEvent)
			require.True(t, ok)
			require.Equal(t, [3]string{m.Action, m.BizStep, m.Disposition}, [3]string{e.Action, e.BizStep, e.Disposition})
			require.Equal(t, "ObjectEvent", e.Type)
			require.Equal(t, "+00:00", e.EventTimeZoneOffset)
			if !slices.Contains(seen, e.ChaincodeEvent) {
				seen = append(seen, e.ChaincodeEvent)
			}
		}
		require.ElementsMatch(t, custodyTypes, seen)
	})

	t.Run("the document header is EPCIS 2.0", func(t *testing.T) {
		var top map[string]any
		require.NoError(t, json.Unmarshal(raw, &top))
		require.Equal(t, "EPCISDocument", top["type"])
		require.Equal(t, "2.0", top["schemaVersion"])
		require.Equal(t, "2025-03-01T12:00:00Z", top["creationDate"])
		require.Equal(t, epcis.ContextURL, top["@context"].([]any)[0])
	})

	t.Run("commissioning carries the lot and expiry, as a quantity of the lot", func(t *testing.T) {
		c := eventsOfType(doc, provenancetypes.EventBatchCommissioned)
		require.Len(t, c, 1)
		require.Equal(t, "ADD", c[0].Action)
		require.Equal(t, map[string]string{"cbvmda:lotNumber": lot, "cbvmda:itemExpirationDate": expiry}, c[0].ILMD)
		require.Equal(t, "https://id.gs1.org/01/00614141000418/10/LOT-A1", c[0].QuantityList[0].EPCClass)
		require.Equal(t, 10, *c[0].QuantityList[0].Quantity)
		require.Equal(t, &epcis.Location{ID: "https://id.gs1.org/414/" + glnMfr}, c[0].BizLocation)
		s := eventsOfType(doc, provenancetypes.EventSerialsCommissioned)
		require.Len(t, s, 1)
		require.Equal(t, 2, *s[0].QuantityList[0].Quantity)
	})

	t.Run("shipments carry the despatch advice, the parties, the units or the stock", func(t *testing.T) {
		sh := eventsOfType(doc, provenancetypes.EventShipped)
		require.Len(t, sh, 2)
		require.Equal(t, []epcis.BizTransaction{{Type: "desadv", BizTransaction: "urn:epcglobal:cbv:bt:" + glnMfr + ":sh-1"}}, sh[0].BizTransactionList)
		require.Equal(t, []epcis.Source{{Type: "owning_party", Source: "https://id.gs1.org/417/" + glnMfr}}, sh[0].SourceList)
		require.Equal(t, []epcis.Destination{{Type: "owning_party", Destination: "https://id.gs1.org/417/" + glnDist}}, sh[0].DestinationList)
		require.Equal(t, &epcis.Location{ID: "urn:epc:id:sgln:0614141.00000.dock2"}, sh[0].ReadPoint, "an SGLN read point is kept")
		require.Empty(t, sh[0].EPCList)
		require.Equal(t, 12, *sh[0].QuantityList[0].Quantity, "the main stock: 10 inline and 2 added")
		require.Equal(t, []string{
			"https://id.gs1.org/01/00614141000418/21/S000000",
			"https://id.gs1.org/01/00614141000418/21/S000001",
			"https://id.gs1.org/01/00614141000418/21/S000002",
		}, sh[1].EPCList)
		require.Equal(t, "urn:epcglobal:cbv:bt:"+glnDist+":sh-2", sh[1].BizTransactionList[0].BizTransaction)
		rc := eventsOfType(doc, provenancetypes.EventReceived)
		require.Len(t, rc, 2)
		require.Equal(t, sh[1].BizTransactionList, rc[1].BizTransactionList)
		require.Equal(t, "https://id.gs1.org/417/"+glnPharm, rc[1].DestinationList[0].Destination)
	})

	t.Run("readings are temperature sensor reports in Celsius", func(t *testing.T) {
		at := cctest.DefaultStart().Add(-time.Hour).UTC()
		ok := eventsOfType(doc, provenancetypes.EventReadingsRecorded)
		require.Len(t, ok, 1)
		require.Equal(t, []epcis.SensorElement{{
			SensorMetadata: &epcis.SensorMetadata{DeviceID: epcis.Namespace + "sensor:logger-1"},
			SensorReport: []epcis.SensorReport{
				{Type: "Temperature", Time: at.Format(time.RFC3339), Value: 5, UOM: "CEL"},
				{Type: "Temperature", Time: at.Add(time.Minute).Format(time.RFC3339), Value: 6, UOM: "CEL"},
			},
		}}, ok[0].SensorElementList)
		ex := eventsOfType(doc, provenancetypes.EventExcursionDetected)
		require.Len(t, ex, 1)
		reps := ex[0].SensorElementList[0].SensorReport
		require.Len(t, reps, 2)
		require.Empty(t, reps[0].Exception)
		require.Equal(t, "ALARM_CONDITION", reps[1].Exception, "53.6 °F is 12 °C, outside 2-8 °C")
		require.InDelta(t, 12, reps[1].Value, 1e-9)
		require.Equal(t, "CEL", reps[1].UOM)
	})

	t.Run("a dispense names its unit and not the client's id; free text stays out", func(t *testing.T) {
		d := eventsOfType(doc, provenancetypes.EventDispensed)
		require.Len(t, d, 1)
		require.Equal(t, []string{"https://id.gs1.org/01/00614141000418/21/S000000"}, d[0].EPCList)
		require.True(t, strings.HasPrefix(d[0].EventID, "urn:uuid:"))
		require.NotContains(t, string(raw), rxMarker)
		require.NotContains(t, string(raw), reasonMarker)
		require.NotContains(t, string(raw), "pat-7f3a9c21")
	})

	t.Run("a unit's export validates and holds its own and its batch's events", func(t *testing.T) {
		for _, serial := range []string{"S000000", "S000001", "S000009", "S000011"} {
			events := w.custody("UnitCustody", gtin, serial, 3)
			u := w.unit(serial)
			udoc, err := epcis.FromUnit(u, events, created)
			require.NoError(t, err)
			uraw := marshalDoc(t, udoc)
			require.NoError(t, v.Validate(uraw), "%s:\n%s", serial, uraw)
			require.NotContains(t, string(uraw), rxMarker)
			var types []string
			for _, e := range udoc.Body.EventList {
				types = append(types, e.ChaincodeEvent)
			}
			require.Contains(t, types, provenancetypes.EventRecalled, serial)
			switch serial {
			case "S000000":
				require.Contains(t, types, provenancetypes.EventDispensed)
				require.Contains(t, types, provenancetypes.EventDispenseRejected)
			case "S000001":
				require.Contains(t, types, provenancetypes.EventDestroyed)
			case "S000011":
				require.Equal(t, provenancetypes.EventSerialsCommissioned, types[0])
			}
		}
	})

	t.Run("the schema refuses a broken export", func(t *testing.T) {
		breakers := map[string]func(ev map[string]any){
			"a bizStep outside CBV":     func(ev map[string]any) { ev["bizStep"] = "shipped" },
			"no eventTime":              func(ev map[string]any) { delete(ev, "eventTime") },
			"a disposition outside CBV": func(ev map[string]any) { ev["disposition"] = "sold" },
			"an EPC that is no URI":     func(ev map[string]any) { ev["epcList"] = []any{"S000000"} },
			"a bad time zone offset":    func(ev map[string]any) { ev["eventTimeZoneOffset"] = "UTC" },
			"an unknown action":         func(ev map[string]any) { ev["action"] = "MOVE" },
		}
		for name, brk := range breakers {
			var top map[string]any
			require.NoError(t, json.Unmarshal(raw, &top))
			list := top["epcisBody"].(map[string]any)["eventList"].([]any)
			brk(list[len(list)/2].(map[string]any))
			bad, err := json.Marshal(top)
			require.NoError(t, err)
			require.Error(t, v.Validate(bad), name)
		}
	})
}
