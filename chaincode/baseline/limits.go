package baseline

import (
	"fmt"

	"github.com/healthledger/healthledger/chaincode/internal/ccguard"
)

// maxKeyArg bounds each argument of a function that takes a key (an id of at most 64 bytes) and, for
// WriteSized and Add, an integer.
const maxKeyArg = 256

// Limits returns the bounds the guard checks on every call: a value of Write may have MaxValueSize
// bytes; every other argument is a key or an integer.
func Limits() ccguard.Limits {
	keys := ccguard.Func{MaxArg: maxKeyArg}
	return ccguard.Limits{
		"Write":      {MaxArg: MaxValueSize},
		"WriteSized": keys,
		"Read":       keys,
		"Size":       keys,
		"Add":        keys,
		"Delete":     keys,
	}
}

// NewChaincode builds the baseline chaincode: contractapi's, behind the guard (package ccguard) with
// the bounds of [Limits], like the domain chaincodes, so that the benchmark ratios compare logic.
func NewChaincode() (*ccguard.Chaincode, error) {
	cc, err := ccguard.New(&Contract{}, Limits())
	if err != nil {
		return nil, fmt.Errorf("building the baseline chaincode: %w", err)
	}
	cc.Info().Title = "healthledger baseline"
	return cc, nil
}
