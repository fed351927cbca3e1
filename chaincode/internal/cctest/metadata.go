package cctest

import (
	"encoding/json"
	"slices"
)

// metadataFunction is the system contract function that answers a chaincode's contractapi metadata.
const metadataFunction = "org.hyperledger.fabric:GetMetadata"

// chaincodeMetadata is the part of contractapi's metadata that Transactions reads.
type chaincodeMetadata struct {
	Contracts map[string]struct {
		Default      bool `json:"default"`
		Transactions []struct {
			Name string   `json:"name"`
			Tags []string `json:"tag"`
		} `json:"transactions"`
	} `json:"contracts"`
}

// Transactions reads the metadata of a contractapi chaincode (evaluating
// org.hyperledger.fabric:GetMetadata as caller) and returns the functions of its default contract,
// sorted: those tagged EVALUATE, which clients evaluate, and the others, which they submit. A test
// that pins both lists catches a helper that leaks out as a transaction and a query that is not
// declared evaluate-only.
func (l *Ledger) Transactions(chaincode string, caller *Identity) (evaluate, submit []string) {
	l.tb.Helper()
	res := l.Evaluate(chaincode, caller, metadataFunction, nil)
	if !res.OK() {
		l.tb.Fatalf("cctest: reading the metadata of %s: %s", chaincode, res)
		return nil, nil
	}
	var meta chaincodeMetadata
	if err := json.Unmarshal(res.Payload, &meta); err != nil {
		l.tb.Fatalf("cctest: decoding the metadata of %s: %v", chaincode, err)
		return nil, nil
	}
	evaluate, submit = []string{}, []string{}
	for _, c := range meta.Contracts {
		if !c.Default {
			continue
		}
		for _, tx := range c.Transactions {
			if slices.Contains(tx.Tags, "EVALUATE") {
				evaluate = append(evaluate, tx.Name)
			} else {
				submit = append(submit, tx.Name)
			}
		}
	}
	slices.Sort(evaluate)
	slices.Sort(submit)
	return evaluate, submit
}
