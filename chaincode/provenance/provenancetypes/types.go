// Package provenancetypes holds the wire types of the provenance chaincode: products, parties,
// batches, units, shipments, custody events, sensor readings and verification answers, with the GS1
// checks (GTIN and GLN check digits, serial and lot characters, dates) that both the chaincode and the
// SDK apply.
//
// The vocabulary is GS1 EPCIS 2.0 / CBV 2.0 as used for the US DSCSA: an event carries a business step
// (bizStep) and a disposition, an event time, a read point and a business location (a GLN).
//
// The package imports neither the chaincode shim, nor contractapi, nor the gateway, so the chaincode and
// the SDK share one definition of every JSON field.
package provenancetypes

import "time"

// Party is a supply-chain party: the MSP id of its organisation and its GLN (the `subject` attribute of
// its members' certificates).
type Party struct {
	MSPID string `json:"mspId"`
	GLN   string `json:"gln"`
}

// String renders the party as "GLN@MSP".
func (p Party) String() string { return p.GLN + "@" + p.MSPID }

// PartyRecord is a party that registered itself, so that goods can be shipped to it.
type PartyRecord struct {
	MSPID        string    `json:"mspId"`
	GLN          string    `json:"gln"`
	Role         string    `json:"role"`
	RegisteredAt time.Time `json:"registeredAt"`
}

// Party returns the record's party.
func (r PartyRecord) Party() Party { return Party{MSPID: r.MSPID, GLN: r.GLN} }

// TempRange is a storage temperature range in degrees Celsius, both ends included.
type TempRange struct {
	MinCelsius float64 `json:"minCelsius"`
	MaxCelsius float64 `json:"maxCelsius"`
}

// Contains reports whether celsius lies inside the range.
func (r TempRange) Contains(celsius float64) bool {
	return celsius >= r.MinCelsius && celsius <= r.MaxCelsius
}

// ProductSpec is what a manufacturer sends to RegisterProduct.
type ProductSpec struct {
	GTIN       string     `json:"gtin"`
	Name       string     `json:"name"`
	Strength   string     `json:"strength"`
	DosageForm string     `json:"dosageForm"`
	Storage    *TempRange `json:"storage,omitempty" metadata:",optional"`
}

// Product is a registered trade item. Its manufacturer is the party that registered it.
type Product struct {
	GTIN         string    `json:"gtin"`
	Name         string    `json:"name"`
	Strength     string    `json:"strength"`
	DosageForm   string    `json:"dosageForm"`
	Storage      TempRange `json:"storage"`
	Manufacturer Party     `json:"manufacturer"`
	RegisteredAt time.Time `json:"registeredAt"`
}

// EventContext is the optional "when and where" of an event. Absent fields default to the transaction
// time and the caller's GLN. EventID, when given, is the client's id of the event (idempotency).
type EventContext struct {
	EventID     string     `json:"eventId,omitempty" metadata:",optional"`
	EventTime   *time.Time `json:"eventTime,omitempty" metadata:",optional"`
	ReadPoint   string     `json:"readPoint,omitempty" metadata:",optional"`
	BizLocation string     `json:"bizLocation,omitempty" metadata:",optional"`
}

// BatchSpec is what a manufacturer sends to CommissionBatch. Serials may be given inline, up to
// MaxSerialsPerTx; more are added with AddSerials.
type BatchSpec struct {
	GTIN           string   `json:"gtin"`
	Lot            string   `json:"lot"`
	ManufacturedOn string   `json:"manufacturedOn"`
	Expiry         string   `json:"expiry"`
	Quantity       int      `json:"quantity"`
	Serials        []string `json:"serials,omitempty" metadata:",optional"`
	EventContext
}

// Custody is who holds a batch's main stock (the units that never moved on their own) and in what
// state it is.
type Custody struct {
	Holder     Party  `json:"holder"`
	State      string `json:"state"`
	ShipmentID string `json:"shipmentId,omitempty" metadata:",optional"`
	Receiver   *Party `json:"receiver,omitempty" metadata:",optional"`
}

// Flag records why, when and by whom a batch-level flag was set.
type Flag struct {
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
	By     Party     `json:"by"`
}

// SuspectReport is one organisation's evidence that a batch may hold counterfeit or diverted units:
// By, the holder of unit Serial, dispensed it a second time (a duplicate serial at its counter).
type SuspectReport struct {
	By     Party     `json:"by"`
	Serial string    `json:"serial"`
	At     time.Time `json:"at"`
	TxID   string    `json:"txId"`
}

// Excursion is the first reading that left the product's storage range.
type Excursion struct {
	ReadingTime  time.Time `json:"readingTime"`
	ValueCelsius float64   `json:"valueCelsius"`
	Range        TempRange `json:"range"`
	SensorID     string    `json:"sensorId,omitempty" metadata:",optional"`
	DetectedAt   time.Time `json:"detectedAt"`
	By           Party     `json:"by"`
}

// Batch is a lot of one product. Batch-level flags (recalled, quarantined, excursion, suspect) apply to
// every unit of the batch wherever it is.
type Batch struct {
	GTIN           string `json:"gtin"`
	Lot            string `json:"lot"`
	ManufacturedOn string `json:"manufacturedOn"`
	Expiry         string `json:"expiry"`
	// Quantity is the declared size of the batch; SerialCount how many serials are commissioned.
	Quantity    int `json:"quantity"`
	SerialCount int `json:"serialCount"`
	// MainStock counts the units that never moved, or ended, on their own: they follow Custody.
	MainStock    int   `json:"mainStock"`
	Manufacturer Party `json:"manufacturer"`
	// Custody is the holder and state of the main stock.
	Custody Custody `json:"custody"`
	// Status is the most severe status tag (see StatusTags).
	Status        string     `json:"status"`
	Recalled      bool       `json:"recalled"`
	Recall        *Flag      `json:"recall,omitempty" metadata:",optional"`
	Quarantined   bool       `json:"quarantined"`
	Quarantine    *Flag      `json:"quarantine,omitempty" metadata:",optional"`
	Excursion     bool       `json:"excursion"`
	ExcursionInfo *Excursion `json:"excursionInfo,omitempty" metadata:",optional"`
	Suspect       bool       `json:"suspect"`
	SuspectInfo   *Flag      `json:"suspectInfo,omitempty" metadata:",optional"`
	// SuspectReports is the evidence towards flagging the batch suspect: at most one standing report
	// per organisation (the first), each a double dispense seen by that organisation's pharmacy. The
	// batch becomes suspect when reports from SuspectQuorum distinct organisations stand.
	SuspectReports []SuspectReport `json:"suspectReports,omitempty" metadata:",optional"`
	// SuspectCleared is the auditor's last clearing of the batch's suspect flag: who, when and why.
	SuspectCleared *Flag     `json:"suspectCleared,omitempty" metadata:",optional"`
	CommissionedAt time.Time `json:"commissionedAt"`
	UpdatedAt      time.Time `json:"updatedAt"`
}

// StatusTags are the batch statuses that ListBatchesByStatus finds the batch under: every flag that is
// set, or BatchActive when none is.
func (b *Batch) StatusTags() []string {
	tags := []string{}
	if b.Recalled {
		tags = append(tags, BatchRecalled)
	}
	if b.Quarantined {
		tags = append(tags, BatchQuarantined)
	}
	if b.Excursion {
		tags = append(tags, BatchExcursion)
	}
	if b.Suspect {
		tags = append(tags, BatchSuspect)
	}
	if len(tags) == 0 {
		tags = append(tags, BatchActive)
	}
	return tags
}

// HeadlineStatus is the most severe of the batch's status tags.
func (b *Batch) HeadlineStatus() string { return b.StatusTags()[0] }

// Unit is one serialised unit as GetUnit answers: its own state and the flags of its batch.
type Unit struct {
	GTIN            string     `json:"gtin"`
	Serial          string     `json:"serial"`
	Lot             string     `json:"lot"`
	Expiry          string     `json:"expiry"`
	Status          string     `json:"status"`
	Holder          Party      `json:"holder"`
	ShipmentID      string     `json:"shipmentId,omitempty" metadata:",optional"`
	Receiver        *Party     `json:"receiver,omitempty" metadata:",optional"`
	Recalled        bool       `json:"recalled"`
	Quarantined     bool       `json:"quarantined"`
	Excursion       bool       `json:"excursion"`
	Suspect         bool       `json:"suspect"`
	SuspectInfo     *Flag      `json:"suspectInfo,omitempty" metadata:",optional"`
	SuspectCleared  *Flag      `json:"suspectCleared,omitempty" metadata:",optional"`
	DispensedBy     *Party     `json:"dispensedBy,omitempty" metadata:",optional"`
	DispensedAt     *time.Time `json:"dispensedAt,omitempty" metadata:",optional"`
	DispenseEventID string     `json:"dispenseEventId,omitempty" metadata:",optional"`
}

// ShipmentSpec is what the current owner sends to Ship. Without serials it ships the batch's main
// stock; with serials (at most MaxUnitsPerShipment) it ships those units.
type ShipmentSpec struct {
	ShipmentID string   `json:"shipmentId"`
	GTIN       string   `json:"gtin"`
	Lot        string   `json:"lot"`
	Serials    []string `json:"serials,omitempty" metadata:",optional"`
	Receiver   Party    `json:"receiver"`
	EventContext
}

// Shipment is a recorded shipment.
type Shipment struct {
	ShipmentID string     `json:"shipmentId"`
	GTIN       string     `json:"gtin"`
	Lot        string     `json:"lot"`
	WholeBatch bool       `json:"wholeBatch"`
	Serials    []string   `json:"serials,omitempty" metadata:",optional"`
	Quantity   int        `json:"quantity"`
	Sender     Party      `json:"sender"`
	Receiver   Party      `json:"receiver"`
	Status     string     `json:"status"`
	ShippedAt  time.Time  `json:"shippedAt"`
	ReceivedAt *time.Time `json:"receivedAt,omitempty" metadata:",optional"`
}

// UnitAction is what Decommission and Destroy take: the caller's units of one batch (or, without
// serials, the batch's main stock that the caller holds) and why.
type UnitAction struct {
	GTIN    string   `json:"gtin"`
	Lot     string   `json:"lot"`
	Serials []string `json:"serials,omitempty" metadata:",optional"`
	Reason  string   `json:"reason"`
	EventContext
}

// SensorReading is one EPCIS sensor report as a holder sends it. Value is required (a pointer, to tell
// a missing value from zero); UOM is the unit of measure: CEL, FAH or KEL.
type SensorReading struct {
	Time     time.Time `json:"time"`
	Value    *float64  `json:"value,omitempty" metadata:",optional"`
	UOM      string    `json:"uom"`
	SensorID string    `json:"sensorId,omitempty" metadata:",optional"`
}

// RecordedReading is a sensor report as the chaincode recorded it, with its value in Celsius.
type RecordedReading struct {
	Time     time.Time `json:"time"`
	Value    float64   `json:"value"`
	UOM      string    `json:"uom"`
	Celsius  float64   `json:"celsius"`
	SensorID string    `json:"sensorId,omitempty" metadata:",optional"`
}

// ReadingsSpec is what a holder sends to RecordReadings: readings taken with the named units of one
// batch.
type ReadingsSpec struct {
	GTIN     string          `json:"gtin"`
	Lot      string          `json:"lot"`
	Serials  []string        `json:"serials"`
	Readings []SensorReading `json:"readings"`
	EventContext
}

// Event is one custody event (an EPCIS ObjectEvent) in the chain of custody of a batch and its units.
// It is also the payload of the chaincode event of the same Type.
type Event struct {
	EventID     string            `json:"eventId"`
	Type        string            `json:"type"`
	Action      string            `json:"action"`
	BizStep     string            `json:"bizStep"`
	Disposition string            `json:"disposition"`
	EventTime   time.Time         `json:"eventTime"`
	RecordTime  time.Time         `json:"recordTime"`
	ReadPoint   string            `json:"readPoint"`
	BizLocation string            `json:"bizLocation"`
	GTIN        string            `json:"gtin"`
	Lot         string            `json:"lot"`
	Scope       string            `json:"scope"`
	Serials     []string          `json:"serials,omitempty" metadata:",optional"`
	Quantity    int               `json:"quantity"`
	Actor       Party             `json:"actor"`
	ShipmentID  string            `json:"shipmentId,omitempty" metadata:",optional"`
	Source      *Party            `json:"source,omitempty" metadata:",optional"`
	Destination *Party            `json:"destination,omitempty" metadata:",optional"`
	Reason      string            `json:"reason,omitempty" metadata:",optional"`
	Holders     []Party           `json:"holders,omitempty" metadata:",optional"`
	Readings    []RecordedReading `json:"readings,omitempty" metadata:",optional"`
	Excursion   *Excursion        `json:"excursion,omitempty" metadata:",optional"`
	TxID        string            `json:"txId"`
}

// DispenseResult is the answer of Dispense. A repeated dispense of a unit by its holder is committed (it
// flags the unit suspect, and reports it as evidence against the batch) but not accepted: Accepted is
// false and Code is PRECONDITION_FAILED.
type DispenseResult struct {
	Accepted bool   `json:"accepted"`
	Code     string `json:"code,omitempty" metadata:",optional"`
	Reason   string `json:"reason,omitempty" metadata:",optional"`
	Unit     Unit   `json:"unit"`
	Event    Event  `json:"event"`
}

// VerifyResult is the answer of Verify.
type VerifyResult struct {
	Result    string    `json:"result"`
	GTIN      string    `json:"gtin"`
	Serial    string    `json:"serial"`
	CheckedAt time.Time `json:"checkedAt"`
	Suspect   bool      `json:"suspect,omitempty" metadata:",optional"`
}

// Holding is what one party holds of one batch: units of which it is the custodian (Held) and units
// shipped to it and not yet received (Inbound).
type Holding struct {
	Party   Party  `json:"party"`
	GTIN    string `json:"gtin"`
	Lot     string `json:"lot"`
	Held    int    `json:"held"`
	Inbound int    `json:"inbound"`
}

// BatchHolding is one item of ListBatchesByOwner: a holding with the batch's expiry and status.
type BatchHolding struct {
	Holding
	Expiry string `json:"expiry"`
	Status string `json:"status"`
}

// EventPage is one page of custody events.
type EventPage struct {
	Items    []Event `json:"items"`
	Bookmark string  `json:"bookmark"`
}

// BatchPage is one page of batches.
type BatchPage struct {
	Items    []Batch `json:"items"`
	Bookmark string  `json:"bookmark"`
}

// HoldingPage is one page of a party's holdings.
type HoldingPage struct {
	Items    []BatchHolding `json:"items"`
	Bookmark string         `json:"bookmark"`
}
