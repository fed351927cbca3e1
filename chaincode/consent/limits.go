package consent

import (
	"github.com/healthledger/healthledger/chaincode/consent/consenttypes"
	"github.com/healthledger/healthledger/chaincode/internal/ccguard"
	"github.com/healthledger/healthledger/chaincode/internal/ccutil"
)

// The raw bounds on arguments that are no document: the Limits table of docs/consent.md.
const (
	// maxIDArg bounds each argument of a function that takes ids, vocabulary terms, grantees and
	// hashes: an id has at most 64 bytes, a grantee 142, a hash 64.
	maxIDArg = 256
	// maxTextArg bounds each argument of a function that takes a reason (at most
	// consenttypes.MaxReasonLen bytes) or a page's bookmark (a composite key of ids).
	maxTextArg = 1 << 10
)

// Limits returns the bounds the guard checks on every call, before the contract parses anything.
// docs/consent.md lists them.
func Limits() ccguard.Limits {
	ids := ccguard.Func{MaxArg: maxIDArg}
	// sealed: a private read, which takes the caller's seal key (docs/privacy.md, Sealed answers).
	sealed := ccguard.Func{MaxArg: maxIDArg, Transient: ccutil.SealKeyBound()}
	text := ccguard.Func{MaxArg: maxTextArg}
	doc := ccguard.Func{MaxArg: consenttypes.MaxConsentBytes}
	return ccguard.Limits{
		"Grant":  doc,
		"Update": doc,

		"Revoke":         text,
		"RequestErasure": text,
		"EraseRecord":    text,

		"ListConsentsByPatient": text,
		"ListConsentsByGrantee": text,
		"ListAccessLog":         text,
		"ListDelegates":         text,
		"ListRecordsByPatient":  text,

		"GetConsent":       ids,
		"ConsentHistory":   ids,
		"CheckAccess":      ids,
		"RecordAccess":     ids,
		"AddDelegate":      ids,
		"RemoveDelegate":   ids,
		"VerifyRecord":     ids,
		"GetRecord":        ids,
		"RecordHistory":    ids,
		"GetRecordDetails": sealed,
		"RegisterPatient":  ids,
		"CompleteRecovery": ids,
		"GetPatient":       ids,
		"CheckPatient":     ids,
		"ApproveRecovery":  ids,
		"RotatePatientKey": {MaxArg: maxPEMArg},
		"RegisterRecord":   ids,
		"PutRecordDetails": {MaxArg: maxIDArg, Transient: map[string]int{
			consenttypes.TransientRecord: consenttypes.MaxRecordDetailsBytes,
		}},
	}
}
