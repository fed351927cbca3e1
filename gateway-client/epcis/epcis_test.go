package epcis_test

import (
	"encoding/json"
	"regexp"
	"testing"
	"time"

	pt "github.com/healthledger/healthledger/chaincode/provenance/provenancetypes"
	"github.com/healthledger/healthledger/gateway-client/epcis"
	"github.com/healthledger/healthledger/gateway-client/epcis/epcisschema"
	"github.com/stretchr/testify/require"
)

const (
	gtin   = "00614141000418"
	lot    = "LOT-A1"
	glnMfr = "0614141000005"
	glnPh  = "0614141000029"
)

var (
	t0      = time.Date(2025, 1, 2, 9, 30, 0, 0, time.UTC)
	created = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	batch   = pt.Batch{GTIN: gtin, Lot: lot, Expiry: "2027-06-30"}
)

// event is a custody event of the batch as the chaincode records one of type typ, with the
// chaincode's own vocabulary for it.
func event(typ, txID string, serials ...string) pt.Event {
	m, _ := epcis.Mapping(typ)
	ev := pt.Event{EventID: txID, Type: typ, Action: m.Action, BizStep: m.BizStep, Disposition: m.Disposition,
		EventTime: t0, RecordTime: t0, ReadPoint: glnMfr, BizLocation: glnMfr, GTIN: gtin, Lot: lot,
		Scope: pt.ScopeBatch, Quantity: 10, Actor: pt.Party{MSPID: "PharmaMSP", GLN: glnMfr}, TxID: txID}
	if len(serials) > 0 {
		ev.Scope, ev.Serials, ev.Quantity = pt.ScopeUnits, serials, len(serials)
	}
	return ev
}

func TestMappingCoversEveryCustodyEventAndNothingElse(t *testing.T) {
	custody := []string{pt.EventBatchCommissioned, pt.EventSerialsCommissioned, pt.EventShipped, pt.EventReceived,
		pt.EventDispensed, pt.EventDispenseRejected, pt.EventDecommissioned, pt.EventDestroyed, pt.EventRecalled,
		pt.EventQuarantined, pt.EventQuarantineReleased, pt.EventReadingsRecorded, pt.EventExcursionDetected,
		pt.EventExcursionCleared, pt.EventSuspectFlagged, pt.EventSuspectCleared}
	for _, typ := range custody {
		m, ok := epcis.Mapping(typ)
		require.True(t, ok, typ)
		require.NotEmpty(t, m.Action, typ)
		require.NotEmpty(t, m.BizStep, typ)
		require.NotEmpty(t, m.Disposition, typ)
	}
	for _, typ := range []string{pt.EventProductRegistered, pt.EventPartyRegistered, "Teleported", ""} {
		_, ok := epcis.Mapping(typ)
		require.False(t, ok, typ)
	}
}

func TestConversionRefusesWhatItCannotMap(t *testing.T) {
	good := event(pt.EventRecalled, "tx1")
	cases := map[string]func(*pt.Event){
		"an unknown event type":                  func(e *pt.Event) { e.Type = "Teleported" },
		"a registration is not custody":          func(e *pt.Event) { e.Type = pt.EventProductRegistered },
		"a bizStep the mapping does not say":     func(e *pt.Event) { e.BizStep = pt.BizStepShipping },
		"a disposition the mapping does not say": func(e *pt.Event) { e.Disposition = pt.DispositionActive },
		"an event of another lot":                func(e *pt.Event) { e.Lot = "LOT-B2" },
		"an event of another product":            func(e *pt.Event) { e.GTIN = "00614141000425" },
		"no event time":                          func(e *pt.Event) { e.EventTime = time.Time{} },
		"no transaction id":                      func(e *pt.Event) { e.TxID = "" },
		"a shipment without its parties":         func(e *pt.Event) { *e = event(pt.EventShipped, "tx1") },
		"readings without readings":              func(e *pt.Event) { *e = event(pt.EventReadingsRecorded, "tx1", "S1") },
		"a malformed serial":                     func(e *pt.Event) { e.Serials = []string{"S 1"} },
	}
	for name, change := range cases {
		t.Run(name, func(t *testing.T) {
			bad := good
			change(&bad)
			_, err := epcis.FromBatch(batch, []pt.Event{good, bad}, created)
			require.ErrorIs(t, err, epcis.ErrUnmappable)
			require.Contains(t, err.Error(), "event 1")
		})
	}
	_, err := epcis.FromBatch(batch, []pt.Event{good}, time.Time{})
	require.ErrorIs(t, err, epcis.ErrUnmappable, "no creation date")
	_, err = epcis.FromUnit(pt.Unit{GTIN: gtin, Lot: lot, Serial: ""}, nil, created)
	require.ErrorIs(t, err, epcis.ErrUnmappable, "no serial")
}

func TestIdentifiersAreDigitalLinkURIs(t *testing.T) {
	// Character set 82 has URI delimiters: they are percent-encoded.
	require.Equal(t, "https://id.gs1.org/01/00614141000418/21/A%2FB%25C%3F%26%22x", epcis.SGTIN(gtin, `A/B%C?&"x`))
	require.Equal(t, "https://id.gs1.org/01/00614141000418/10/LOT-A1.b_2", epcis.LGTIN(gtin, "LOT-A1.b_2"))
	u, err := epcis.LocationURI(glnPh)
	require.NoError(t, err)
	require.Equal(t, "https://id.gs1.org/414/0614141000029", u)
	_, err = epcis.LocationURI("0614141000028")
	require.Error(t, err, "bad check digit")
	_, err = epcis.PartyURI("AUD-0001")
	require.Error(t, err)
}

func TestEventIDsAreStableUUIDs(t *testing.T) {
	doc1, err := epcis.FromBatch(batch, []pt.Event{event(pt.EventRecalled, "tx1"), event(pt.EventRecalled, "tx2")}, created)
	require.NoError(t, err)
	doc2, err := epcis.FromBatch(batch, []pt.Event{event(pt.EventRecalled, "tx1")}, created.Add(time.Hour))
	require.NoError(t, err)
	uuid := regexp.MustCompile(`^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	id1, id2 := doc1.Body.EventList[0].EventID, doc1.Body.EventList[1].EventID
	require.Regexp(t, uuid, id1)
	require.Regexp(t, uuid, id2)
	require.NotEqual(t, id1, id2)
	require.Equal(t, id1, doc2.Body.EventList[0].EventID, "the same transaction gets the same event id")
}

func TestLocations(t *testing.T) {
	ev := event(pt.EventDispensed, "tx1", "S1")
	ev.ReadPoint, ev.BizLocation = "urn:epc:id:sgln:0614141.00002.counter1", glnPh
	aud := event(pt.EventSuspectFlagged, "tx2")
	aud.ReadPoint, aud.BizLocation = "", "" // an auditor has no GLN
	named := event(pt.EventQuarantined, "tx3")
	named.ReadPoint = "COLD-ROOM-2"
	doc, err := epcis.FromBatch(batch, []pt.Event{ev, aud, named}, created)
	require.NoError(t, err)
	l := doc.Body.EventList
	require.Equal(t, &epcis.Location{ID: "urn:epc:id:sgln:0614141.00002.counter1"}, l[0].ReadPoint)
	require.Equal(t, &epcis.Location{ID: "https://id.gs1.org/414/0614141000029"}, l[0].BizLocation)
	require.Nil(t, l[1].ReadPoint)
	require.Nil(t, l[1].BizLocation)
	require.Equal(t, &epcis.Location{ID: "urn:healthledger:provenance:point:COLD-ROOM-2"}, l[2].ReadPoint)
	v, err := epcisschema.New()
	require.NoError(t, err)
	raw, err := json.Marshal(doc)
	require.NoError(t, err)
	require.NoError(t, v.Validate(raw))
}
