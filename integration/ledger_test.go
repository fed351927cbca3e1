//go:build integration

package integration

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/healthledger/healthledger/gateway-client/sdk"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
)

// chainHeight asks c's peer, through the query system chaincode, how many blocks the channel has.
func chainHeight(t *testing.T, c *sdk.Client) uint64 {
	t.Helper()
	raw, err := c.Contract("qscc").Evaluate(ctx(t), "GetChainInfo", []string{env.net.Channel()})
	require.NoError(t, err)
	var info common.BlockchainInfo
	require.NoError(t, proto.Unmarshal(raw, &info))
	return info.GetHeight()
}

// blocksContaining fetches every block of the channel from c's peer and returns the numbers of those
// whose bytes contain marker. It also checks that something was scanned, so an empty answer means
// the marker is absent, not that nothing was looked at.
func blocksContaining(t *testing.T, c *sdk.Client, marker []byte) []uint64 {
	t.Helper()
	height := chainHeight(t, c)
	require.Greater(t, height, uint64(1), "the channel has no blocks to scan")
	var found []uint64
	total := 0
	for n := uint64(0); n < height; n++ {
		raw, err := c.Contract("qscc").Evaluate(ctx(t), "GetBlockByNumber", []string{env.net.Channel(), strconv.FormatUint(n, 10)})
		require.NoError(t, err)
		var b common.Block
		require.NoError(t, proto.Unmarshal(raw, &b), "block %d does not decode", n)
		total += len(raw)
		if bytes.Contains(raw, marker) {
			found = append(found, n)
		}
	}
	require.Positive(t, total)
	return found
}

// peerDataContains reports whether any file under the state folder of org's peer holds marker. It
// only works on a network this suite started (the test must skip otherwise).
func peerDataContains(t *testing.T, org string, marker []byte) bool {
	t.Helper()
	require.NotEmpty(t, env.netdir, "peerDataContains needs a network this suite started")
	dir := filepath.Join(env.netdir, "data", "peer0-"+org)
	found := false
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || found {
			return err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return nil // files the peer is rotating may vanish under us
		}
		found = bytes.Contains(raw, marker)
		return nil
	})
	require.NoError(t, err)
	return found
}
