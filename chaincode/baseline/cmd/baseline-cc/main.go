// Command baseline-cc serves the baseline chaincode, as a chaincode server when
// CHAINCODE_SERVER_ADDRESS and CORE_CHAINCODE_ID_NAME are set.
package main

import (
	"fmt"
	"os"

	"github.com/healthledger/healthledger/chaincode/baseline"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
)

// buildTag names a build; the deploy script can set it at link time (-X main.buildTag=...).
var buildTag string

func main() {
	cc, err := contractapi.NewChaincode(&baseline.Contract{})
	if err != nil {
		fmt.Fprintf(os.Stderr, "baseline-cc: %v\n", err)
		os.Exit(1)
	}
	cc.Info.Title = "healthledger baseline"
	if buildTag != "" {
		cc.Info.Version = buildTag
	}
	if err := cc.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "baseline-cc: %v\n", err)
		os.Exit(1)
	}
}
