package claims

import (
	"github.com/healthledger/healthledger/chaincode/claims/claimstypes"
	"github.com/healthledger/healthledger/chaincode/internal/ccguard"
	"github.com/healthledger/healthledger/chaincode/internal/ccutil"
)

// The raw bounds on arguments that are no document: the Limits table of docs/claims.md.
const (
	// maxIDArg bounds each argument of a function that takes only ids (at most 64 bytes each).
	maxIDArg = 256
	// maxTextArg bounds each argument of a function that takes a reason (at most
	// claimstypes.MaxReasonLen bytes), a status or a page's bookmark (a composite key of ids).
	maxTextArg = 1 << 10
)

// Limits returns the bounds the guard checks on every call, before the contract parses anything.
// docs/claims.md lists them.
func Limits() ccguard.Limits {
	ids := ccguard.Func{MaxArg: maxIDArg}
	// sealed: a private read, which takes the caller's seal key (docs/privacy.md, Sealed answers).
	sealed := ccguard.Func{MaxArg: maxIDArg, Transient: ccutil.SealKeyBound()}
	text := ccguard.Func{MaxArg: maxTextArg}
	coverage := ccguard.Func{MaxArg: maxIDArg, Transient: map[string]int{claimstypes.TransientCoverage: claimstypes.MaxCoverageTermsBytes}}
	return ccguard.Limits{
		"RegisterCoverage": coverage,
		"UpdateCoverage":   coverage,
		"SubmitClaim": {MaxArg: claimstypes.MaxSubmissionBytes, Transient: map[string]int{
			claimstypes.TransientClaim: claimstypes.MaxClaimDetailsBytes,
		}},
		"Resubmit": {MaxArg: maxIDArg, Transient: map[string]int{
			claimstypes.TransientClaim: claimstypes.MaxClaimDetailsBytes,
		}},
		"Pay": {MaxArg: maxIDArg, Transient: map[string]int{
			claimstypes.TransientPayment: claimstypes.MaxPaymentBytes,
		}},

		"Pend":   text,
		"Appeal": text,
		"Void":   text,

		"ListClaimsByProvider": text,
		"ListClaimsByInsurer":  text,
		"ListClaimsByStatus":   text,

		"GetCoverage":      ids,
		"GetCoverageTerms": sealed,
		"Adjudicate":       ids,
		"Close":            ids,
		"GetClaim":         ids,
		"GetClaimDetails":  sealed,
		"ClaimHistory":     ids,
	}
}
