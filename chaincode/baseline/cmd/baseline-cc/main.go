// Command baseline-cc serves the baseline chaincode, as a chaincode server when
// CHAINCODE_SERVER_ADDRESS and CORE_CHAINCODE_ID_NAME are set. With HL_PPROF_ADDR=127.0.0.1:PORT it
// also serves net/http/pprof on that address (docs/profiles.md).
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/healthledger/healthledger/chaincode/baseline"
	"github.com/healthledger/healthledger/chaincode/internal/pprofserver"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
)

// buildTag names a build; the deploy script can set it at link time (-X main.buildTag=...).
var buildTag string

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "baseline-cc: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	cc, err := contractapi.NewChaincode(&baseline.Contract{})
	if err != nil {
		return fmt.Errorf("building the baseline chaincode: %w", err)
	}
	cc.Info.Title = "healthledger baseline"
	if buildTag != "" {
		cc.Info.Version = buildTag
	}
	prof, err := pprofserver.FromEnv(context.Background(), os.Getenv)
	if err != nil {
		return err
	}
	if prof != nil {
		fmt.Fprintf(os.Stderr, "baseline-cc: serving pprof on http://%s/debug/pprof/\n", prof.Addr())
	}
	serveErr := cc.Start()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	profErr := prof.Shutdown(ctx)
	if serveErr != nil {
		return fmt.Errorf("serving the baseline chaincode: %w", serveErr)
	}
	return profErr
}
