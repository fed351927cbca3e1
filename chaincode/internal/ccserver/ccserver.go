// Package ccserver is the shared main of every healthledger chaincode server. Run serves a chaincode
// as chaincode-as-a-service when CHAINCODE_SERVER_ADDRESS and CORE_CHAINCODE_ID_NAME are set (TLS
// from CORE_PEER_TLS_ENABLED, CORE_TLS_CLIENT_KEY_FILE, CORE_TLS_CLIENT_CERT_FILE and
// CORE_PEER_TLS_ROOTCERT_FILE, as contractapi reads them), and, with HL_PPROF_ADDR=127.0.0.1:PORT,
// also serves net/http/pprof there (docs/profiles.md).
//
// The chaincode it serves is the guarded one (package ccguard), not contractapi's ContractChaincode,
// whose own Start would serve the unguarded router: [Serve] does what that Start does, for any
// shim.Chaincode.
package ccserver

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/healthledger/healthledger/chaincode/internal/pprofserver"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
)

// The environment that chooses how a chaincode is served: contractapi's names.
const (
	EnvServerAddress = "CHAINCODE_SERVER_ADDRESS"
	EnvChaincodeID   = "CORE_CHAINCODE_ID_NAME"
	EnvTLSEnabled    = "CORE_PEER_TLS_ENABLED"
	EnvTLSKey        = "CORE_TLS_CLIENT_KEY_FILE"
	EnvTLSCert       = "CORE_TLS_CLIENT_CERT_FILE"
	EnvTLSRootCert   = "CORE_PEER_TLS_ROOTCERT_FILE"
)

// Run serves cc until it stops (see [Serve]). name labels the messages written to log; getenv reads
// the environment (os.Getenv).
func Run(name string, cc shim.Chaincode, getenv func(string) string, log io.Writer) error {
	return run(name, func() error { return Serve(cc, getenv) }, getenv, log)
}

// run serves with start, and pprof beside it when the environment asks for it.
func run(name string, start func() error, getenv func(string) string, log io.Writer) error {
	prof, err := pprofserver.FromEnv(context.Background(), getenv)
	if err != nil {
		return err
	}
	if prof != nil {
		fmt.Fprintf(log, "%s: serving pprof on http://%s/debug/pprof/\n", name, prof.Addr())
	}
	serveErr := start()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	profErr := prof.Shutdown(ctx)
	if serveErr != nil {
		return fmt.Errorf("serving %s: %w", name, serveErr)
	}
	return profErr
}

// Serve serves cc until it stops: as chaincode-as-a-service on EnvServerAddress when both it and
// EnvChaincodeID are set, else by connecting to the peer (shim.Start), as contractapi's
// ContractChaincode.Start does.
func Serve(cc shim.Chaincode, getenv func(string) string) error {
	server, err := serverConfig(cc, getenv)
	if err != nil {
		return err
	}
	if server == nil {
		return shim.Start(cc)
	}
	return server.Start()
}

// serverConfig returns the chaincode-as-a-service server the environment asks for, or nil when it
// asks for none.
func serverConfig(cc shim.Chaincode, getenv func(string) string) (*shim.ChaincodeServer, error) {
	addr, id := getenv(EnvServerAddress), getenv(EnvChaincodeID)
	if addr == "" || id == "" {
		return nil, nil
	}
	tls, err := tlsProperties(getenv)
	if err != nil {
		return nil, err
	}
	return &shim.ChaincodeServer{CCID: id, Address: addr, CC: cc, TLSProps: tls}, nil
}

// tlsProperties reads the server's TLS key, certificate and client CA from the files the
// environment names, when CORE_PEER_TLS_ENABLED is true.
func tlsProperties(getenv func(string) string) (shim.TLSProperties, error) {
	if on, err := strconv.ParseBool(getenv(EnvTLSEnabled)); err != nil || !on {
		return shim.TLSProperties{Disabled: true}, nil
	}
	read := func(env string) ([]byte, error) {
		raw, err := os.ReadFile(getenv(env))
		if err != nil {
			return nil, fmt.Errorf("reading the TLS file %s names: %w", env, err)
		}
		return raw, nil
	}
	key, err := read(EnvTLSKey)
	if err != nil {
		return shim.TLSProperties{}, err
	}
	cert, err := read(EnvTLSCert)
	if err != nil {
		return shim.TLSProperties{}, err
	}
	var root []byte
	if getenv(EnvTLSRootCert) != "" {
		if root, err = read(EnvTLSRootCert); err != nil {
			return shim.TLSProperties{}, err
		}
	}
	return shim.TLSProperties{Key: key, Cert: cert, ClientCACerts: root}, nil
}
