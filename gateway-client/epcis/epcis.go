// Package epcis turns the chain of custody that the provenance chaincode records into a GS1 EPCIS 2.0
// JSON-LD document (an EPCISDocument) that another traceability system can ingest.
//
// The conversion is pure: [FromBatch] and [FromUnit] take what the chaincode's reads answer (GetBatch
// or GetUnit, and every page of BatchCustody or UnitCustody) and the document's creation time, and
// return a [Document] that marshals to the EPCIS 2.0 JSON binding. The SDK's
// provenance.Client.EPCISForBatch and EPCISForUnit do the reads; package epcisschema validates a
// document against the official GS1 EPCIS 2.0 JSON schema.
//
// # Identifiers
//
// Every identifier is a GS1 Digital Link URI on the canonical resolver https://id.gs1.org:
//
//   - a unit (SGTIN): https://id.gs1.org/01/{gtin-14}/21/{serial}
//   - a lot (LGTIN class, in quantityList): https://id.gs1.org/01/{gtin-14}/10/{lot}
//   - a read point or business location (a GLN): https://id.gs1.org/414/{gln}
//   - a party of a shipment (source and destination): https://id.gs1.org/417/{gln}
//
// EPCIS 2.0 accepts Digital Link URIs wherever it accepts EPC URNs. The EPC URN forms
// (urn:epc:id:sgtin:..., urn:epc:id:sgln:...) split a GTIN or a GLN after the GS1 company prefix,
// whose length the identifier does not tell: the consortium map knows the prefixes of the
// manufacturers only, not of distributors' and pharmacies' GLNs, and a prefix removed from the map
// would make old history unexportable. A read point that a client recorded as an SGLN URN (or any
// other absolute URI) is exported as it was given.
//
// # Events
//
// Each custody event becomes one ObjectEvent: [Mapping] lists the action, business step and
// disposition of each chaincode event type, and an event of a type not listed there is an error,
// never dropped. Events of units carry their epcList; events of a whole batch or of its main stock
// carry a quantityList of the lot. Commissioning events carry the lot and expiry as ILMD, shipments
// and receipts a bizTransactionList (the shipment, a despatch advice) with sourceList and
// destinationList, and cold-chain readings a sensorElementList (temperature in °C). The chaincode
// has no notion of cases or packing (a shipment of serials names them, it does not pack them into
// an SSCC), so no AggregationEvent is ever produced.
//
// Free text (recall reasons, notes), the client's own event ids and the list of a recall's holders
// are not exported: the export says what happened to the goods, where and when, and nothing else.
// Each event carries the ledger transaction that recorded it (hl:txId) and its chaincode event type
// (hl:eventType), in the healthledger namespace urn:healthledger:provenance:.
package epcis

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	pt "github.com/healthledger/healthledger/chaincode/provenance/provenancetypes"
)

// Document constants.
const (
	// ContextURL is the GS1 EPCIS 2.0 JSON-LD context.
	ContextURL = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
	// SchemaVersion is the EPCIS schema version the documents declare.
	SchemaVersion = "2.0"
	// DigitalLinkBase is the GS1 Digital Link resolver the identifiers are written on.
	DigitalLinkBase = "https://id.gs1.org"
	// Namespace is the IRI of the prefix "hl" of the healthledger extension properties.
	Namespace = "urn:healthledger:provenance:"
)

// EPCIS event and document types, source/destination types and the sensor vocabulary used.
const (
	TypeDocument    = "EPCISDocument"
	TypeObjectEvent = "ObjectEvent"
	OwningParty     = "owning_party"
	// BizTransactionDespatchAdvice is the CBV business transaction type of a shipment.
	BizTransactionDespatchAdvice = "desadv"
	MeasurementTemperature       = "Temperature"
	AlarmCondition               = "ALARM_CONDITION"
)

// ErrUnmappable is wrapped by every failure to convert: an unknown event type, an event of another
// batch, a malformed identifier.
var ErrUnmappable = errors.New("epcis: cannot convert")

// Document is an EPCIS 2.0 EPCISDocument.
type Document struct {
	Context       []any     `json:"@context"`
	Type          string    `json:"type"`
	SchemaVersion string    `json:"schemaVersion"`
	CreationDate  string    `json:"creationDate"`
	Body          EventList `json:"epcisBody"`
}

// EventList is the body of a document.
type EventList struct {
	EventList []ObjectEvent `json:"eventList"`
}

// ObjectEvent is an EPCIS 2.0 ObjectEvent.
type ObjectEvent struct {
	Type                string            `json:"type"`
	EventID             string            `json:"eventID"`
	EventTime           string            `json:"eventTime"`
	RecordTime          string            `json:"recordTime,omitempty"`
	EventTimeZoneOffset string            `json:"eventTimeZoneOffset"`
	Action              string            `json:"action"`
	EPCList             []string          `json:"epcList,omitempty"`
	QuantityList        []QuantityElement `json:"quantityList,omitempty"`
	BizStep             string            `json:"bizStep"`
	Disposition         string            `json:"disposition"`
	ReadPoint           *Location         `json:"readPoint,omitempty"`
	BizLocation         *Location         `json:"bizLocation,omitempty"`
	BizTransactionList  []BizTransaction  `json:"bizTransactionList,omitempty"`
	SourceList          []Source          `json:"sourceList,omitempty"`
	DestinationList     []Destination     `json:"destinationList,omitempty"`
	SensorElementList   []SensorElement   `json:"sensorElementList,omitempty"`
	ILMD                map[string]string `json:"ilmd,omitempty"`
	// ChaincodeEvent is the chaincode's event type (hl:eventType), TxID the ledger transaction that
	// recorded the event (hl:txId).
	ChaincodeEvent string `json:"hl:eventType"`
	TxID           string `json:"hl:txId"`
}

// QuantityElement is a quantity of a class (here a lot). Quantity is omitted when unknown.
type QuantityElement struct {
	EPCClass string `json:"epcClass"`
	Quantity *int   `json:"quantity,omitempty"`
}

// Location is a read point or a business location.
type Location struct {
	ID string `json:"id"`
}

// BizTransaction is a business transaction an event belongs to.
type BizTransaction struct {
	Type           string `json:"type,omitempty"`
	BizTransaction string `json:"bizTransaction"`
}

// Source is a party goods come from.
type Source struct {
	Type   string `json:"type"`
	Source string `json:"source"`
}

// Destination is a party goods go to.
type Destination struct {
	Type        string `json:"type"`
	Destination string `json:"destination"`
}

// SensorElement is the readings of one sensor.
type SensorElement struct {
	SensorMetadata *SensorMetadata `json:"sensorMetadata,omitempty"`
	SensorReport   []SensorReport  `json:"sensorReport"`
}

// SensorMetadata identifies the sensor.
type SensorMetadata struct {
	DeviceID string `json:"deviceID,omitempty"`
}

// SensorReport is one reading.
type SensorReport struct {
	Type      string  `json:"type"`
	Exception string  `json:"exception,omitempty"`
	Time      string  `json:"time"`
	Value     float64 `json:"value"`
	UOM       string  `json:"uom"`
}

// EventMapping is how a chaincode event type is expressed in EPCIS.
type EventMapping struct {
	Action, BizStep, Disposition string
}

// Mapping returns the EPCIS action, CBV business step and CBV disposition of a chaincode custody
// event type, and false for a type that has no mapping (ProductRegistered and PartyRegistered are
// not custody events; anything else is unknown).
func Mapping(eventType string) (EventMapping, bool) {
	m := func(a, s, d string) (EventMapping, bool) { return EventMapping{a, s, d}, true }
	switch eventType {
	case pt.EventBatchCommissioned, pt.EventSerialsCommissioned:
		return m(pt.ActionAdd, pt.BizStepCommissioning, pt.DispositionActive)
	case pt.EventShipped:
		return m(pt.ActionObserve, pt.BizStepShipping, pt.DispositionInTransit)
	case pt.EventReceived:
		return m(pt.ActionObserve, pt.BizStepReceiving, pt.DispositionInProgress)
	case pt.EventDispensed:
		return m(pt.ActionObserve, pt.BizStepDispensing, pt.DispositionDispensed)
	case pt.EventDispenseRejected:
		return m(pt.ActionObserve, pt.BizStepDispensing, pt.DispositionNonSellableOther)
	case pt.EventDecommissioned:
		return m(pt.ActionDelete, pt.BizStepDecommissioning, pt.DispositionInactive)
	case pt.EventDestroyed:
		return m(pt.ActionDelete, pt.BizStepDestroying, pt.DispositionDestroyed)
	case pt.EventRecalled:
		return m(pt.ActionObserve, pt.BizStepHolding, pt.DispositionRecalled)
	case pt.EventQuarantined:
		return m(pt.ActionObserve, pt.BizStepHolding, pt.DispositionNonSellableOther)
	case pt.EventQuarantineReleased:
		return m(pt.ActionObserve, pt.BizStepInspecting, pt.DispositionActive)
	case pt.EventReadingsRecorded:
		return m(pt.ActionObserve, pt.BizStepSensorReporting, pt.DispositionConformant)
	case pt.EventExcursionDetected:
		return m(pt.ActionObserve, pt.BizStepSensorReporting, pt.DispositionNonConformant)
	case pt.EventExcursionCleared:
		return m(pt.ActionObserve, pt.BizStepInspecting, pt.DispositionConformant)
	case pt.EventSuspectFlagged:
		return m(pt.ActionObserve, pt.BizStepInspecting, pt.DispositionNonSellableOther)
	case pt.EventSuspectCleared:
		return m(pt.ActionObserve, pt.BizStepInspecting, pt.DispositionConformant)
	}
	return EventMapping{}, false
}

// FromBatch builds the document of a batch's chain of custody: b as GetBatch answers it and events
// as BatchCustody answers them, every page, oldest first.
func FromBatch(b pt.Batch, events []pt.Event, created time.Time) (*Document, error) {
	return build(b.GTIN, b.Lot, b.Expiry, events, created)
}

// FromUnit builds the document of a unit's chain of custody: u as GetUnit answers it and events as
// UnitCustody answers them, every page, oldest first.
func FromUnit(u pt.Unit, events []pt.Event, created time.Time) (*Document, error) {
	if err := pt.CheckSerial(u.Serial); err != nil {
		return nil, fmt.Errorf("%w: unit: %w", ErrUnmappable, err)
	}
	return build(u.GTIN, u.Lot, u.Expiry, events, created)
}

func build(gtin, lot, expiry string, events []pt.Event, created time.Time) (*Document, error) {
	g, err := pt.NormalizeGTIN(gtin)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnmappable, err)
	}
	if err := pt.CheckLot(lot); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnmappable, err)
	}
	if created.IsZero() {
		return nil, fmt.Errorf("%w: no creation date", ErrUnmappable)
	}
	doc := &Document{
		Context:       []any{ContextURL, map[string]string{"hl": Namespace}},
		Type:          TypeDocument,
		SchemaVersion: SchemaVersion,
		CreationDate:  timestamp(created),
		Body:          EventList{EventList: make([]ObjectEvent, 0, len(events))},
	}
	c := converter{gtin: g, lot: lot, expiry: expiry}
	for i := range events {
		oe, err := c.event(&events[i])
		if err != nil {
			return nil, fmt.Errorf("%w: event %d (%s, tx %s): %w", ErrUnmappable, i, events[i].Type, events[i].TxID, err)
		}
		doc.Body.EventList = append(doc.Body.EventList, *oe)
	}
	return doc, nil
}

type converter struct {
	gtin, lot, expiry string
}

func (c converter) event(ev *pt.Event) (*ObjectEvent, error) {
	m, ok := Mapping(ev.Type)
	if !ok {
		return nil, fmt.Errorf("event type %q has no EPCIS mapping", ev.Type)
	}
	// The chaincode records its own vocabulary with each event: a difference means this mapping is
	// out of date, and the export would misstate the event.
	for _, f := range []struct{ what, got, want string }{
		{"action", ev.Action, m.Action}, {"bizStep", ev.BizStep, m.BizStep}, {"disposition", ev.Disposition, m.Disposition},
	} {
		if f.got != f.want {
			return nil, fmt.Errorf("recorded %s %q, the mapping says %q", f.what, f.got, f.want)
		}
	}
	if ev.GTIN != c.gtin || ev.Lot != c.lot {
		return nil, fmt.Errorf("event of %s lot %s in the history of %s lot %s", ev.GTIN, ev.Lot, c.gtin, c.lot)
	}
	if ev.EventTime.IsZero() || ev.TxID == "" {
		return nil, errors.New("no event time or transaction id")
	}
	oe := &ObjectEvent{
		Type:                TypeObjectEvent,
		EventID:             eventID(ev.TxID),
		EventTime:           timestamp(ev.EventTime),
		EventTimeZoneOffset: "+00:00",
		Action:              m.Action,
		BizStep:             m.BizStep,
		Disposition:         m.Disposition,
		ChaincodeEvent:      ev.Type,
		TxID:                ev.TxID,
	}
	if !ev.RecordTime.IsZero() {
		oe.RecordTime = timestamp(ev.RecordTime)
	}
	var err error
	if oe.ReadPoint, err = location(ev.ReadPoint); err != nil {
		return nil, fmt.Errorf("read point: %w", err)
	}
	if oe.BizLocation, err = location(ev.BizLocation); err != nil {
		return nil, fmt.Errorf("business location: %w", err)
	}
	if len(ev.Serials) > 0 {
		for _, s := range ev.Serials {
			if err := pt.CheckSerial(s); err != nil {
				return nil, err
			}
			oe.EPCList = append(oe.EPCList, SGTIN(c.gtin, s))
		}
	} else {
		q := QuantityElement{EPCClass: LGTIN(c.gtin, c.lot)}
		if ev.Quantity > 0 {
			n := ev.Quantity
			q.Quantity = &n
		}
		oe.QuantityList = []QuantityElement{q}
	}
	if m.Action == pt.ActionAdd {
		oe.ILMD = map[string]string{"cbvmda:lotNumber": c.lot}
		if c.expiry != "" {
			oe.ILMD["cbvmda:itemExpirationDate"] = c.expiry
		}
	}
	switch ev.Type {
	case pt.EventShipped, pt.EventReceived:
		if err := shipment(oe, ev); err != nil {
			return nil, err
		}
	case pt.EventReadingsRecorded, pt.EventExcursionDetected:
		if len(ev.Readings) == 0 {
			return nil, errors.New("sensor event without readings")
		}
		oe.SensorElementList = sensors(ev)
	}
	return oe, nil
}

// shipment adds the shipment (a despatch advice of its sender) and its parties.
func shipment(oe *ObjectEvent, ev *pt.Event) error {
	if ev.ShipmentID == "" || ev.Source == nil || ev.Destination == nil {
		return errors.New("shipment event without shipment id, source or destination")
	}
	from, err := PartyURI(ev.Source.GLN)
	if err != nil {
		return fmt.Errorf("source: %w", err)
	}
	to, err := PartyURI(ev.Destination.GLN)
	if err != nil {
		return fmt.Errorf("destination: %w", err)
	}
	oe.BizTransactionList = []BizTransaction{{
		Type:           BizTransactionDespatchAdvice,
		BizTransaction: "urn:epcglobal:cbv:bt:" + ev.Source.GLN + ":" + escape(ev.ShipmentID),
	}}
	oe.SourceList = []Source{{Type: OwningParty, Source: from}}
	oe.DestinationList = []Destination{{Type: OwningParty, Destination: to}}
	return nil
}

// sensors groups the readings by sensor, in the order of their first reading. Values are in °C;
// with an excursion, the readings outside the product's range carry ALARM_CONDITION.
func sensors(ev *pt.Event) []SensorElement {
	var out []SensorElement
	at := map[string]int{}
	for _, r := range ev.Readings {
		i, ok := at[r.SensorID]
		if !ok {
			i = len(out)
			at[r.SensorID] = i
			el := SensorElement{}
			if r.SensorID != "" {
				el.SensorMetadata = &SensorMetadata{DeviceID: pointURI("sensor", r.SensorID)}
			}
			out = append(out, el)
		}
		rep := SensorReport{Type: MeasurementTemperature, Time: timestamp(r.Time), Value: r.Celsius, UOM: pt.UOMCelsius}
		if ev.Excursion != nil && !ev.Excursion.Range.Contains(r.Celsius) {
			rep.Exception = AlarmCondition
		}
		out[i].SensorReport = append(out[i].SensorReport, rep)
	}
	return out
}

// SGTIN is the Digital Link URI of a unit.
func SGTIN(gtin14, serial string) string {
	return DigitalLinkBase + "/01/" + gtin14 + "/21/" + escape(serial)
}

// LGTIN is the Digital Link URI of a lot of a product (its class).
func LGTIN(gtin14, lot string) string {
	return DigitalLinkBase + "/01/" + gtin14 + "/10/" + escape(lot)
}

// LocationURI is the Digital Link URI of a physical location identified by a GLN.
func LocationURI(gln string) (string, error) {
	if err := pt.CheckGLN(gln); err != nil {
		return "", err
	}
	return DigitalLinkBase + "/414/" + gln, nil
}

// PartyURI is the Digital Link URI of a party identified by a GLN.
func PartyURI(gln string) (string, error) {
	if err := pt.CheckGLN(gln); err != nil {
		return "", err
	}
	return DigitalLinkBase + "/417/" + gln, nil
}

// location converts a read point or business location: a GLN becomes its Digital Link URI, an
// absolute URI (an SGLN URN) stays as it is, another name becomes a URN of the healthledger
// namespace, and nothing is no location.
func location(p string) (*Location, error) {
	if p == "" {
		return nil, nil
	}
	if pt.CheckGLN(p) == nil {
		u, err := LocationURI(p)
		return &Location{ID: u}, err
	}
	return &Location{ID: pointURI("point", p)}, nil
}

// pointURI keeps an absolute URI and turns any other name into a URN of the healthledger namespace.
func pointURI(kind, s string) string {
	if u, err := url.Parse(s); err == nil && u.IsAbs() && !strings.ContainsAny(s, " \t") {
		return s
	}
	return Namespace + kind + ":" + escape(s)
}

// eventID is a stable id of the event of transaction txID: the EPCIS eventID must be a URI, and one
// transaction records one custody event. The client's own event id is not exported.
func eventID(txID string) string {
	h := sha256.Sum256([]byte("healthledger/provenance/event\x00" + txID))
	h[6] = h[6]&0x0f | 0x80 // UUID version 8 (RFC 9562: application-defined)
	h[8] = h[8]&0x3f | 0x80 // RFC 9562 variant
	return fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

func timestamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// escape percent-encodes every byte outside the URI unreserved set, as GS1 Digital Link asks of
// serials and lots: character set 82 includes '/', '%', '?', '&' and other URI delimiters.
func escape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch >= 'A' && ch <= 'Z' || ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || strings.IndexByte("-._~", ch) >= 0 {
			b.WriteByte(ch)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", ch)
	}
	return b.String()
}
