// Package provenance is the provenance chaincode of healthledger: drug products, batches and serialised
// units, and their chain of custody, in the GS1 EPCIS / DSCSA vocabulary.
//
// A manufacturer registers a product (GTIN) and commissions batches (GTIN + lot) with their serials.
// Goods move by Ship (the current custodian names a registered receiver) and Receive (only that
// receiver, custody passes then). A pharmacist dispenses a unit once; a second dispense is caught and
// flags the unit and its batch suspect. Manufacturers and auditors recall; suspect product is
// quarantined; holders record temperature readings, and a reading outside the product's range marks the
// batch with an excursion until an auditor clears it. Verify answers the DSCSA question for one product
// identifier (GTIN, serial, lot, expiry) reading two keys, whatever the size of the batch or the ledger.
//
// The data model, the key layout, the event vocabulary, the access matrix and the Verify precedence
// are in docs/provenance.md. Wire types are in package provenancetypes.
package provenance

import (
	"fmt"

	"github.com/healthledger/healthledger/chaincode/internal/ccguard"
	"github.com/healthledger/healthledger/chaincode/internal/ccutil"
)

// Contract is the provenance contract. It is the chaincode's only (default) contract, so function
// names are bare: "Verify", not "Contract:Verify".
type Contract struct {
	ccutil.Contract
}

// GetEvaluateTransactions lists the read-only functions.
func (c *Contract) GetEvaluateTransactions() []string {
	return []string{
		"GetProduct", "GetParty", "GetBatch", "GetShipment", "GetUnit", "Verify",
		"BatchCustody", "UnitCustody", "ListBatchesByOwner", "ListBatchesByStatus", "GetConsortium",
	}
}

// NewChaincode builds the provenance chaincode: contractapi's, behind the guard (package ccguard) with
// the bounds of [Limits].
func NewChaincode() (*ccguard.Chaincode, error) {
	cc, err := ccguard.New(&Contract{}, Limits())
	if err != nil {
		return nil, fmt.Errorf("building the provenance chaincode: %w", err)
	}
	cc.Info().Title = "healthledger provenance"
	cc.Info().Version = "1.0.0"
	return cc, nil
}
