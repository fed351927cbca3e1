// Command baseline-cc runs the baseline chaincode: as chaincode-as-a-service when
// CHAINCODE_SERVER_ADDRESS and CORE_CHAINCODE_ID_NAME are set, with pprof when HL_PPROF_ADDR is
// (package ccserver says how).
package main

import (
	"fmt"
	"os"

	"github.com/healthledger/healthledger/chaincode/baseline"
	"github.com/healthledger/healthledger/chaincode/internal/ccserver"
)

// buildTag names a build; the deploy script can set it at link time (-X main.buildTag=...).
var buildTag string

func main() {
	cc, err := baseline.NewChaincode()
	if err == nil {
		if buildTag != "" {
			cc.Info().Version = buildTag
		}
		err = ccserver.Run("baseline-cc", cc, os.Getenv, os.Stderr)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "baseline-cc: %v\n", err)
		os.Exit(1)
	}
}
