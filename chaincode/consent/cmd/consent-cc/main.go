// Command consent-cc runs the healthledger consent chaincode. With CHAINCODE_SERVER_ADDRESS and
// CORE_CHAINCODE_ID_NAME set it serves as chaincode-as-a-service (TLS from CORE_PEER_TLS_ENABLED,
// CORE_TLS_CLIENT_KEY_FILE, CORE_TLS_CLIENT_CERT_FILE and CORE_PEER_TLS_ROOTCERT_FILE); otherwise it
// connects to the peer the classic way.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/healthledger/healthledger/chaincode/consent"
	"github.com/healthledger/healthledger/chaincode/internal/pprofserver"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "consent-cc: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	cc, err := consent.NewChaincode()
	if err != nil {
		return err
	}
	// HL_PPROF_ADDR=127.0.0.1:PORT also serves net/http/pprof there (docs/profiles.md).
	prof, err := pprofserver.FromEnv(context.Background(), os.Getenv)
	if err != nil {
		return err
	}
	if prof != nil {
		fmt.Fprintf(os.Stderr, "consent-cc: serving pprof on http://%s/debug/pprof/\n", prof.Addr())
	}
	serveErr := cc.Start()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	profErr := prof.Shutdown(ctx)
	if serveErr != nil {
		return fmt.Errorf("serving the consent chaincode: %w", serveErr)
	}
	return profErr
}
