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

// blockReader connects, to the peer c uses, an identity that the channel's ACLs let read blocks: the
// events service identity that the profile of c's org names, else the org's admin. Ordinary client
// certificates (patients, providers ...) may not read blocks (docs/operators.md, Channel ACLs).
func blockReader(t *testing.T, c *sdk.Client) *sdk.Client {
	t.Helper()
	prof := c.Profile()
	require.NotNil(t, prof, "the client has no profile to find a block reader in")
	var opt sdk.Option
	switch {
	case prof.EventsIdentity != "":
		opt = sdk.WithIdentity(prof.EventsIdentity)
	case prof.AdminMSP != "":
		opt = sdk.WithMSPDir(prof.AdminMSP)
	default:
		t.Fatalf("the profile of %s names neither an events identity nor an admin MSP: no one to read blocks as", prof.Name)
	}
	r, err := sdk.Connect(ctx(t), prof.Path(), opt, sdk.WithWallet(env.net.WalletDir()))
	require.NoError(t, err)
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// chainHeight asks the peer of c's org, through the query system chaincode, how many blocks the
// channel has (as a block reader of that org: see blockReader).
func chainHeight(t *testing.T, c *sdk.Client) uint64 {
	t.Helper()
	return readerHeight(t, blockReader(t, c))
}

func readerHeight(t *testing.T, r *sdk.Client) uint64 {
	t.Helper()
	raw, err := r.Contract("qscc").Evaluate(ctx(t), "GetChainInfo", []string{env.net.Channel()})
	require.NoError(t, err)
	var info common.BlockchainInfo
	require.NoError(t, proto.Unmarshal(raw, &info))
	return info.GetHeight()
}

// blocksContaining fetches every block of the channel from the peer of c's org (as a block reader of
// that org: see blockReader) and returns the numbers of those whose bytes contain marker. It also
// checks that something was scanned, so an empty answer means the marker is absent, not that nothing
// was looked at.
func blocksContaining(t *testing.T, c *sdk.Client, marker []byte) []uint64 {
	t.Helper()
	r := blockReader(t, c)
	height := readerHeight(t, r)
	require.Greater(t, height, uint64(1), "the channel has no blocks to scan")
	var found []uint64
	total := 0
	for n := uint64(0); n < height; n++ {
		raw, err := r.Contract("qscc").Evaluate(ctx(t), "GetBlockByNumber", []string{env.net.Channel(), strconv.FormatUint(n, 10)})
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
