package ccserver

import (
	"io"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
)

// RunWith is Run with start in place of serving a chaincode.
func RunWith(name string, start func() error, getenv func(string) string, log io.Writer) error {
	return run(name, start, getenv, log)
}

// ServerConfig is serverConfig.
func ServerConfig(cc shim.Chaincode, getenv func(string) string) (*shim.ChaincodeServer, error) {
	return serverConfig(cc, getenv)
}
