package claims

import (
	"github.com/healthledger/healthledger/chaincode/claims/claimstypes"
	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/internal/ccutil"
	"github.com/healthledger/healthledger/chaincode/internal/txstate"
)

// hidden is the one answer a caller gets for a claim or coverage it may not see, whether or not it
// exists: NOT_FOUND, built from the function, the kind and the id the caller passed, and nothing read
// from the ledger (docs/privacy.md, "No existence oracles").
func hidden(action, kind, id string) error {
	return codes.New(codes.NotFound, "%s: no %s %s that this caller may see", action, kind, id)
}

// visibleClaim loads claim id for a caller that may see it (may), and answers hidden for a missing
// claim and a refused one alike.
func visibleClaim(st *store, action, id string, may func(*claimstypes.ClaimHeader) bool) (*claimstypes.ClaimHeader, error) {
	h, err := st.loadClaim(id)
	if err != nil {
		if codes.Of(err) == codes.NotFound {
			return nil, hidden(action, "claim", id)
		}
		return nil, err
	}
	if !may(h) {
		return nil, hidden(action, "claim", id)
	}
	return h, nil
}

// visibleCoverage is visibleClaim for a coverage.
func visibleCoverage(st *store, action, id string, may func(*claimstypes.CoverageHeader) bool) (*claimstypes.CoverageHeader, error) {
	h, err := st.loadCoverage(id)
	if err != nil {
		if codes.Of(err) == codes.NotFound {
			return nil, hidden(action, "coverage", id)
		}
		return nil, err
	}
	if !may(h) {
		return nil, hidden(action, "coverage", id)
	}
	return h, nil
}

// boundOrHidden applies consent's patient binding (requireBoundPatient) to a caller that reads an
// object as its patient: a certificate with the patient's id but not the registered key gets the
// object's hidden answer, not a refusal that would confirm whose the object is.
func boundOrHidden(ctx txstate.Context, c ccutil.Caller, patient, action, kind, id string) error {
	err := requireBoundPatient(ctx, c, patient, action)
	if err != nil && codes.Of(err) == codes.Forbidden {
		return hidden(action, kind, id)
	}
	return err
}
