// Command provenance-cc runs the healthledger provenance chaincode: as chaincode-as-a-service when
// CHAINCODE_SERVER_ADDRESS and CORE_CHAINCODE_ID_NAME are set, with pprof when HL_PPROF_ADDR is
// (package ccserver says how).
package main

import (
	"fmt"
	"os"

	"github.com/healthledger/healthledger/chaincode/internal/ccserver"
	"github.com/healthledger/healthledger/chaincode/provenance"
)

func main() {
	cc, err := provenance.NewChaincode()
	if err == nil {
		err = ccserver.Run("provenance-cc", cc, os.Getenv, os.Stderr)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "provenance-cc: %v\n", err)
		os.Exit(1)
	}
}
