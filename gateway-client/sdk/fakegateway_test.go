package sdk

import (
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/healthledger/healthledger/internal/fakepeer"
	"github.com/healthledger/healthledger/internal/testpki"
	"github.com/stretchr/testify/require"
)

// gwCall and fakeGateway are the fake peer of internal/fakepeer.
type (
	gwCall      = fakepeer.Call
	fakeGateway = fakepeer.Gateway
)

// netFixture is a profiles folder (network.json, hospital.json, TLS CA, wallet) pointing at a fake
// gateway.
type netFixture struct {
	dir     string // the profiles folder
	profile string // hospital.json
	wallet  string
	ca      *testpki.CA
	gw      *fakeGateway
	addr    string
}

func freeAddr(t *testing.T) string { return fakepeer.FreeAddr(t) }

// newNetFixture starts f and writes a network whose hospital profile lists extraPeersFirst, then f.
func newNetFixture(t *testing.T, f *fakeGateway, extraPeersFirst ...string) *netFixture {
	t.Helper()
	ca, err := testpki.NewCA("healthledger-test-ca")
	require.NoError(t, err)
	addr := fakepeer.Start(t, ca, f)
	n := fakepeer.WriteNetwork(t, t.TempDir(), ca, append(extraPeersFirst, addr),
		fakepeer.User{Name: "patient1", Org: "hospital", Role: "patient", Subject: "pat-7f3a9c21"},
		fakepeer.User{Name: "insurer1", Org: "insurer", Role: "insurer", Subject: "PAYER-0001"},
	)
	return &netFixture{dir: n.Profiles, profile: n.Profile, wallet: n.Wallet, ca: ca, gw: f, addr: addr}
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := json.MarshalIndent(v, "", "  ")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, data, 0o644))
}

// connectFixture connects patient1 through the network description.
func connectFixture(t *testing.T, fx *netFixture, opts ...Option) *Client {
	t.Helper()
	n, err := LoadNetwork(fx.dir)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := n.Connect(ctx, "patient1", append([]Option{WithConnectTimeout(2 * time.Second)}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}
