package provenance

import (
	"github.com/healthledger/healthledger/chaincode/internal/ccguard"
	"github.com/healthledger/healthledger/chaincode/provenance/provenancetypes"
)

// The raw bounds on arguments that are no document: the Limits table of docs/provenance.md.
const (
	// maxIDArg bounds each argument of a function that takes GTINs, lots, serials, GLNs, MSP ids,
	// shipment ids and dates (at most 64 bytes each).
	maxIDArg = 256
	// maxTextArg bounds each argument of a function that takes a reason or a note (at most
	// provenancetypes.MaxTextLen bytes), a status or a page's bookmark (a composite key).
	maxTextArg = 1 << 10
)

// Limits returns the bounds the guard checks on every call, before the contract parses anything.
// docs/provenance.md lists them.
func Limits() ccguard.Limits {
	ids := ccguard.Func{MaxArg: maxIDArg}
	text := ccguard.Func{MaxArg: maxTextArg}
	units := ccguard.Func{MaxArg: provenancetypes.MaxUnitsBytes}
	return ccguard.Limits{
		"RegisterProduct": {MaxArg: provenancetypes.MaxProductBytes},
		"CommissionBatch": {MaxArg: provenancetypes.MaxBatchBytes},
		"AddSerials":      {MaxArg: provenancetypes.MaxSerialsBytes},
		"Ship":            units,
		"Decommission":    units,
		"Destroy":         units,
		"RecordReadings":  {MaxArg: provenancetypes.MaxReadingsBytes},
		"Dispense":        {MaxArg: provenancetypes.MaxEventBytes},

		"Recall":            text,
		"Quarantine":        text,
		"ReleaseQuarantine": text,
		"ClearExcursion":    text,
		"FlagSuspect":       text,
		"ClearSuspect":      text,

		"BatchCustody":        text,
		"UnitCustody":         text,
		"ListBatchesByOwner":  text,
		"ListBatchesByStatus": text,

		"RegisterParty": ids,
		"GetProduct":    ids,
		"GetParty":      ids,
		"GetBatch":      ids,
		"Receive":       ids,
		"GetShipment":   ids,
		"Verify":        ids,
		"GetUnit":       ids,
	}
}
