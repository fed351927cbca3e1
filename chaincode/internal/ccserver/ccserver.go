// Package ccserver is the shared main of every healthledger chaincode server. Run serves a chaincode
// as chaincode-as-a-service when CHAINCODE_SERVER_ADDRESS and CORE_CHAINCODE_ID_NAME are set (TLS
// from CORE_PEER_TLS_ENABLED, CORE_TLS_CLIENT_KEY_FILE, CORE_TLS_CLIENT_CERT_FILE and
// CORE_PEER_TLS_ROOTCERT_FILE, as contractapi reads them), and, with HL_PPROF_ADDR=127.0.0.1:PORT,
// also serves net/http/pprof there (docs/profiles.md).
package ccserver

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/healthledger/healthledger/chaincode/internal/pprofserver"
)

// Starter is what Run serves: a *contractapi.ContractChaincode.
type Starter interface {
	Start() error
}

// Run serves cc until it stops. name labels the messages written to log; getenv reads the
// environment (os.Getenv).
func Run(name string, cc Starter, getenv func(string) string, log io.Writer) error {
	prof, err := pprofserver.FromEnv(context.Background(), getenv)
	if err != nil {
		return err
	}
	if prof != nil {
		fmt.Fprintf(log, "%s: serving pprof on http://%s/debug/pprof/\n", name, prof.Addr())
	}
	serveErr := cc.Start()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	profErr := prof.Shutdown(ctx)
	if serveErr != nil {
		return fmt.Errorf("serving %s: %w", name, serveErr)
	}
	return profErr
}
