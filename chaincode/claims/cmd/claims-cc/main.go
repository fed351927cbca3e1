// Command claims-cc runs the healthledger claims chaincode: as chaincode-as-a-service when
// CHAINCODE_SERVER_ADDRESS and CORE_CHAINCODE_ID_NAME are set, with pprof when HL_PPROF_ADDR is
// (package ccserver says how).
package main

import (
	"fmt"
	"os"

	"github.com/healthledger/healthledger/chaincode/claims"
	"github.com/healthledger/healthledger/chaincode/internal/ccserver"
)

func main() {
	cc, err := claims.NewChaincode()
	if err == nil {
		err = ccserver.Run("claims-cc", cc, os.Getenv, os.Stderr)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "claims-cc: %v\n", err)
		os.Exit(1)
	}
}
