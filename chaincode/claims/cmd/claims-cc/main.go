// Command claims-cc runs the healthledger claims chaincode. With CHAINCODE_SERVER_ADDRESS and
// CORE_CHAINCODE_ID_NAME set it serves as chaincode-as-a-service (TLS from CORE_PEER_TLS_ENABLED,
// CORE_TLS_CLIENT_KEY_FILE, CORE_TLS_CLIENT_CERT_FILE and CORE_PEER_TLS_ROOTCERT_FILE); otherwise it
// connects to the peer the classic way.
package main

import (
	"fmt"
	"os"

	"github.com/healthledger/healthledger/chaincode/claims"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "claims-cc: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	cc, err := claims.NewChaincode()
	if err != nil {
		return err
	}
	if err := cc.Start(); err != nil {
		return fmt.Errorf("serving the claims chaincode: %w", err)
	}
	return nil
}
