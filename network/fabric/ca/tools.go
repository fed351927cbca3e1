//go:build tools

// Package ca pins the Fabric CA commands that the native network runs. build.sh builds them.
package ca

import (
	_ "github.com/hyperledger/fabric-ca/cmd/fabric-ca-client"
	_ "github.com/hyperledger/fabric-ca/cmd/fabric-ca-server"
)
