// Package consent is the healthledger consent chaincode: patients grant, update and revoke FHIR-style
// consents (who may do what with which class of their data, for which purpose, until when); providers
// ask for a decision and record every read in an enforced access log; health records are anchored by
// their SHA-256 while their location and description stay in a private data collection of the
// registering organisation, which the patient can have purged.
//
// The contract decides who may call what from the caller's certificate (MSP id plus the role and
// subject attributes), never from arguments. docs/consent.md holds the data model, the key layout, the
// access matrix and the privacy model.
package consent

import (
	"fmt"
	"io"
	"os"

	"github.com/healthledger/healthledger/chaincode/internal/ccguard"
	"github.com/healthledger/healthledger/chaincode/internal/ccutil"
)

// Contract is the consent chaincode's single, default contract: its functions are called by their
// bare names (Grant, CheckAccess ...).
type Contract struct {
	ccutil.Contract
	log io.Writer // where refusals of a patient certificate are logged; nil: standard error
}

func (s *Contract) logOut() io.Writer {
	if s.log == nil {
		return os.Stderr
	}
	return s.log
}

// GetEvaluateTransactions names the functions that only read: clients evaluate them.
func (s *Contract) GetEvaluateTransactions() []string {
	return []string{
		"GetConsent", "ListConsentsByPatient", "ListConsentsByGrantee", "ConsentHistory", "CheckAccess",
		"ListAccessLog", "ListDelegates", "GetPatient", "CheckPatient", "GetConsortium", "VerifyRecord", "GetRecord", "GetRecordDetails", "RecordHistory",
		"ListRecordsByPatient",
	}
}

// NewChaincode builds the consent chaincode: contractapi's, behind the guard (package ccguard) with
// the bounds of [Limits].
func NewChaincode() (*ccguard.Chaincode, error) {
	return NewChaincodeLogging(os.Stderr)
}

// NewChaincodeLogging is NewChaincode with the refusals of patient certificates (one JSON line each:
// tx id, MSP, patient id, function, reason) written to log.
func NewChaincodeLogging(log io.Writer) (*ccguard.Chaincode, error) {
	cc, err := ccguard.New(&Contract{log: log}, Limits())
	if err != nil {
		return nil, fmt.Errorf("building the consent chaincode: %w", err)
	}
	cc.Info().Title = "healthledger consent"
	cc.Info().Version = "1.0.0"
	return cc, nil
}
