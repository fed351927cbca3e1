//go:build tools

package healthledger

import (
	_ "github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	_ "github.com/hyperledger/fabric-gateway/pkg/client"
	_ "github.com/stretchr/testify/require"
)
