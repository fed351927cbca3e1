// Package claims is the healthledger claims chaincode: insurers register coverage, providers and
// pharmacists submit claims (FHIR Claim / X12 837 vocabulary), the contract rejects duplicates and
// claims without the patient's consent, and adjudicates deterministically against the coverage
// (X12 835 vocabulary: allowed, paid, patient responsibility and adjustment reason codes), through a
// state machine with pend, resubmission, appeal, void, payment and closing.
//
// Only ids, parties, status, outcome and hashes are public. Coverage terms, accumulators, claim
// details, adjudications and payments travel as transient data and live in the private data
// collection claimstypes.Collection, whose members are the provider and insurer organisations.
//
// The contract decides who may call what from the caller's certificate (MSP id plus the role and
// subject attributes) and from the parties recorded in state, never from arguments, and never
// hard-codes an MSP id. docs/claims.md holds the data model, the state diagram, the adjudication rules,
// the access matrix, the endorsement and the collection.
package claims

import (
	"fmt"

	"github.com/healthledger/healthledger/chaincode/claims/claimstypes"
	"github.com/healthledger/healthledger/chaincode/internal/ccguard"
	"github.com/healthledger/healthledger/chaincode/internal/ccutil"
	"github.com/healthledger/healthledger/chaincode/internal/txstate"
)

// The chaincodes the contract calls, by their names on the channel.
const (
	ConsentChaincode    = "consent"    // CheckAccess: may the insurer receive the claim?
	ProvenanceChaincode = "provenance" // GetUnit: was the drug unit dispensed by this pharmacy?
)

// Contract is the claims chaincode's single, default contract: its functions are called by their bare
// names (SubmitClaim, Adjudicate ...).
type Contract struct {
	ccutil.Contract
}

// GetEvaluateTransactions names the functions that only read: clients evaluate them.
func (c *Contract) GetEvaluateTransactions() []string {
	return []string{
		"GetCoverage", "GetCoverageTerms", "GetClaim", "GetClaimDetails",
		"ListClaimsByProvider", "ListClaimsByInsurer", "ListClaimsByStatus", "ClaimHistory", "GetConsortium",
	}
}

// NewChaincode builds the claims chaincode: contractapi's, behind the guard (package ccguard) with
// the bounds of [Limits].
func NewChaincode() (*ccguard.Chaincode, error) {
	cc, err := ccguard.New(&Contract{}, Limits())
	if err != nil {
		return nil, fmt.Errorf("building the claims chaincode: %w", err)
	}
	cc.Info().Title = "healthledger claims"
	cc.Info().Version = "1.0.0"
	return cc, nil
}

// emitClaim sets the transaction's event for a claim.
func emitClaim(ctx txstate.Context, name string, h *claimstypes.ClaimHeader, related string) error {
	return ccutil.Emit(ctx, name, claimstypes.ClaimEvent{
		ClaimID:        h.ID,
		Status:         h.Status,
		Outcome:        h.Outcome,
		ProviderMSP:    h.ProviderMSP,
		Provider:       h.Provider,
		InsurerMSP:     h.InsurerMSP,
		Insurer:        h.Insurer,
		RelatedClaimID: related,
		At:             h.UpdatedAt,
	})
}
