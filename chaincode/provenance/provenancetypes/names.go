package provenancetypes

// Limits per transaction.
const (
	// MaxSerialsPerTx is the largest chunk of serials that CommissionBatch or AddSerials accepts.
	MaxSerialsPerTx = 2000
	// MaxUnitsPerTx is the largest set of units that Ship, Decommission, Destroy or RecordReadings names.
	MaxUnitsPerTx = 1000
	// MaxReadingsPerTx is the largest number of sensor readings in one RecordReadings.
	MaxReadingsPerTx = 1000
	// MaxQuantity is the largest declared quantity of a batch.
	MaxQuantity = 1_000_000
	// MaxTextLen bounds free text: names, reasons, notes.
	MaxTextLen = 500
)

// The raw sizes of the JSON documents the transactions take, which the chaincode's guard checks
// before anything is decoded. A serial may need 123 bytes in JSON (20 characters, each escaped as
// \uXXXX, as Go escapes <, > and &, plus its quotes and comma), so a full list of serials fits.
const (
	MaxProductBytes  = 16 << 10  // RegisterProduct: a ProductSpec
	MaxBatchBytes    = 288 << 10 // CommissionBatch: a BatchSpec with up to MaxSerialsPerTx serials
	MaxSerialsBytes  = 288 << 10 // AddSerials: a JSON list of up to MaxSerialsPerTx serials
	MaxUnitsBytes    = 144 << 10 // Ship, Decommission, Destroy: a document with up to MaxUnitsPerTx serials
	MaxReadingsBytes = 512 << 10 // RecordReadings: a ReadingsSpec with up to MaxUnitsPerTx serials and MaxReadingsPerTx readings
	MaxEventBytes    = 4 << 10   // Dispense: an EventContext
)

// Unit statuses. The main stock of a batch (Custody.State) uses the same words.
const (
	UnitActive         = "active"
	UnitInTransit      = "in_transit"
	UnitDispensed      = "dispensed"
	UnitDecommissioned = "decommissioned"
	UnitDestroyed      = "destroyed"
)

// Batch statuses, as ListBatchesByStatus takes them. A batch is listed under every flag it carries, and
// under BatchActive when it carries none.
const (
	BatchActive      = "active"
	BatchRecalled    = "recalled"
	BatchQuarantined = "quarantined"
	BatchExcursion   = "excursion"
	BatchSuspect     = "suspect"
)

// BatchStatuses lists the batch statuses, most severe first.
func BatchStatuses() []string {
	return []string{BatchRecalled, BatchQuarantined, BatchExcursion, BatchSuspect, BatchActive}
}

// Shipment statuses.
const (
	ShipmentInTransit = "in_transit"
	ShipmentReceived  = "received"
)

// Verify answers, in order of precedence: when several apply, the first wins.
const (
	VerifyUnknownSerial  = "unknown_serial"
	VerifyLotMismatch    = "lot_mismatch"
	VerifyExpiryMismatch = "expiry_mismatch"
	VerifyRecalled       = "recalled"
	VerifyDecommissioned = "decommissioned"
	VerifyQuarantined    = "quarantined"
	VerifyExcursion      = "excursion"
	VerifyDispensed      = "dispensed"
	VerifyExpired        = "expired"
	VerifyVerified       = "verified"
)

// VerifyResults lists the Verify answers in order of precedence.
func VerifyResults() []string {
	return []string{VerifyUnknownSerial, VerifyLotMismatch, VerifyExpiryMismatch, VerifyRecalled,
		VerifyDecommissioned, VerifyQuarantined, VerifyExcursion, VerifyDispensed, VerifyExpired, VerifyVerified}
}

// Chaincode event names. Every state change sets exactly one.
const (
	EventProductRegistered   = "ProductRegistered"
	EventPartyRegistered     = "PartyRegistered"
	EventBatchCommissioned   = "BatchCommissioned"
	EventSerialsCommissioned = "SerialsCommissioned"
	EventShipped             = "Shipped"
	EventReceived            = "Received"
	EventDispensed           = "Dispensed"
	EventDispenseRejected    = "DispenseRejected"
	EventDecommissioned      = "Decommissioned"
	EventDestroyed           = "Destroyed"
	EventRecalled            = "Recalled"
	EventQuarantined         = "Quarantined"
	EventQuarantineReleased  = "QuarantineReleased"
	EventReadingsRecorded    = "ReadingsRecorded"
	EventExcursionDetected   = "ExcursionDetected"
	EventExcursionCleared    = "ExcursionCleared"
	EventSuspectFlagged      = "SuspectFlagged"
	EventSuspectCleared      = "SuspectCleared"
)

// SuspectQuorum is how many distinct organisations must report a double dispense in a batch before
// the batch as a whole is flagged suspect (an auditor may flag it alone).
const SuspectQuorum = 2

// EPCIS actions.
const (
	ActionAdd     = "ADD"
	ActionObserve = "OBSERVE"
	ActionDelete  = "DELETE"
)

// CBV 2.0 business steps used by the chaincode.
const (
	BizStepCommissioning   = "commissioning"
	BizStepShipping        = "shipping"
	BizStepReceiving       = "receiving"
	BizStepDispensing      = "dispensing"
	BizStepDecommissioning = "decommissioning"
	BizStepDestroying      = "destroying"
	BizStepHolding         = "holding"
	BizStepInspecting      = "inspecting"
	BizStepSensorReporting = "sensor_reporting"
)

// CBV 2.0 dispositions used by the chaincode.
const (
	DispositionActive           = "active"
	DispositionInTransit        = "in_transit"
	DispositionInProgress       = "in_progress"
	DispositionDispensed        = "dispensed"
	DispositionInactive         = "inactive"
	DispositionDestroyed        = "destroyed"
	DispositionRecalled         = "recalled"
	DispositionNonSellableOther = "non_sellable_other"
	DispositionSellable         = "sellable_not_accessible"
	DispositionConformant       = "conformant"
	DispositionNonConformant    = "non_conformant"
)

// Event scopes: which units an event concerns.
const (
	// ScopeBatch: every unit of the batch (commissioning of the batch, recall, quarantine, readings...).
	ScopeBatch = "batch"
	// ScopeStock: the batch's main stock (units that never moved on their own).
	ScopeStock = "stock"
	// ScopeUnits: the units listed in Serials.
	ScopeUnits = "units"
)

// Units of measure of a temperature reading (UN/CEFACT codes, as EPCIS uses them).
const (
	UOMCelsius    = "CEL"
	UOMFahrenheit = "FAH"
	UOMKelvin     = "KEL"
)
