//go:build integration

// Package integration runs healthledger against a live Fabric network: real orderers, peers, CAs
// and chaincode servers.
//
// The target is a folder of connection profiles (network.json, one profile per org, and the wallet
// they name). When HEALTHLEDGER_NETWORK names such a folder, the suite runs against that network and
// leaves it alone. Otherwise it starts the default network with test-network-scripts/network.sh in a
// state folder of its own (.network-it, or HEALTHLEDGER_IT_DIR; ports shifted by HL_PORT_OFFSET),
// runs, stops it, and fails if any process it started is left.
//
// No test names an MSP id, a port or a channel: each reads them from the profiles, and picks
// identities by role.
package integration

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/healthledger/healthledger/gateway-client/sdk"
	"github.com/healthledger/healthledger/internal/netproc"
)

// suite is what TestMain sets up once for every test: the network under test.
type suite struct {
	root     string       // the repository
	profiles string       // the profiles folder
	netdir   string       // the state folder of a network this run started; "" for a foreign one
	net      *sdk.Network // network.json, loaded
}

// the suite of this run; set once by TestMain before any test runs, read-only afterwards.
var env *suite

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	root, err := netproc.RepoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "harness:", err)
		return 1
	}
	s := &suite{root: root}
	if dir := os.Getenv("HEALTHLEDGER_NETWORK"); dir != "" {
		s.profiles = dir
		fmt.Printf("harness: using the network whose profiles are in %s\n", dir)
	} else {
		// Processes the network script starts outlive it; becoming their subreaper lets this process
		// reap them when they end, so none is left behind as a zombie either.
		if err := netproc.BecomeSubreaper(); err != nil {
			fmt.Fprintln(os.Stderr, "harness:", err)
			return 1
		}
		// Its own state folder (purged before and after), movable for parallel runs together with
		// HL_PORT_OFFSET, which network.sh reads from the environment.
		s.netdir = filepath.Join(root, ".network-it")
		if dir := os.Getenv("HEALTHLEDGER_IT_DIR"); dir != "" {
			s.netdir = dir
		}
		s.profiles = filepath.Join(s.netdir, "profiles")
		if err := s.network("down", "--purge"); err != nil {
			fmt.Fprintln(os.Stderr, "harness:", err)
			return 1
		}
		start := time.Now()
		// The foundation and bench smoke tests write through the baseline chaincode, which network.sh
		// deploys only on benchmark networks, when asked.
		if err := s.network("up", "--with-baseline"); err != nil {
			fmt.Fprintln(os.Stderr, "harness: network up failed:", err)
			s.teardown()
			return 1
		}
		fmt.Printf("harness: network up in %s\n", time.Since(start).Round(time.Second))
	}
	s.net, err = sdk.LoadNetwork(s.profiles)
	if err != nil {
		fmt.Fprintln(os.Stderr, "harness:", err)
		s.teardown()
		return 1
	}
	env = s
	code := m.Run()
	if s.netdir != "" {
		if left := s.teardown(); left != "" {
			fmt.Fprintln(os.Stderr, "harness: FAIL: processes left after network down:", left)
			return 1
		}
		fmt.Println("harness: network down, no process left")
	}
	return code
}

// network runs test-network-scripts/network.sh with the suite's state folder.
func (s *suite) network(args ...string) error {
	cmd := exec.Command(filepath.Join(s.root, "test-network-scripts", "network.sh"), args...)
	cmd.Env = append(os.Environ(), "HL_NETWORK_DIR="+s.netdir)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("network.sh %s: %w", strings.Join(args, " "), err)
	}
	return nil
}

// networkOutput runs network.sh and returns what it printed.
func (s *suite) networkOutput(args ...string) (string, error) {
	return s.networkOutputEnv(nil, args...)
}

// networkOutputEnv runs network.sh with extra environment variables and returns what it printed.
func (s *suite) networkOutputEnv(extra []string, args ...string) (string, error) {
	cmd := exec.Command(filepath.Join(s.root, "test-network-scripts", "network.sh"), args...)
	cmd.Env = append(append(os.Environ(), "HL_NETWORK_DIR="+s.netdir), extra...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// teardown stops the network, reaps its processes and reports any that still exist.
func (s *suite) teardown() string {
	started := netproc.PIDs(s.netdir)
	if err := s.network("down", "--purge"); err != nil {
		fmt.Fprintln(os.Stderr, "harness:", err)
	}
	var left []string
	for name, pid := range started {
		if !netproc.Gone(pid, 5*time.Second) {
			left = append(left, fmt.Sprintf("%s (pid %d)", name, pid))
		}
	}
	return strings.Join(left, ", ")
}

// ctx is a test's context, bounded so that a hung call fails the test instead of the suite.
func ctx(t *testing.T) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

// connect connects identity name of the network under test.
func connect(t *testing.T, name string, opts ...sdk.Option) *sdk.Client {
	t.Helper()
	c, err := env.net.Connect(ctx(t), name, opts...)
	if err != nil {
		t.Fatalf("connecting %s: %v", name, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// identity returns the i-th identity holding role (0-based), failing the test if there is none.
func identity(t *testing.T, role string, i int) sdk.IdentityInfo {
	t.Helper()
	ids := env.net.Identities(role)
	if len(ids) <= i {
		t.Fatalf("the network has %d identities with role %s; the test needs %d", len(ids), role, i+1)
	}
	return ids[i]
}

// identityOfOrg returns an identity belonging to org (by org name), any role.
func identityOfOrg(t *testing.T, org string) sdk.IdentityInfo {
	t.Helper()
	for _, o := range env.net.Orgs() {
		if o.Name != org {
			continue
		}
		for _, role := range o.Roles {
			if ids := env.net.Identities(role); len(ids) > 0 {
				for _, id := range ids {
					if id.Org == org {
						return id
					}
				}
			}
		}
	}
	t.Fatalf("no identity of org %s", org)
	return sdk.IdentityInfo{}
}

// unique returns a name no earlier run of the suite used, for keys and ids.
func unique(prefix string) string {
	return fmt.Sprintf("%s-%d", prefix, time.Now().UnixNano())
}

// eventually retries check until it succeeds or 15 s pass. Peers commit a block independently, so a
// transaction committed through one org's gateway reaches another org's peer a moment later.
func eventually(t *testing.T, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still failing after 15s: %v", what, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// orgClients connects one identity of every org of the network under test, any role: a client per
// org's peer, for syncPeers.
func orgClients(t *testing.T) []*sdk.Client {
	t.Helper()
	var out []*sdk.Client
	for _, o := range env.net.Orgs() {
		out = append(out, connect(t, identityOfOrg(t, o.Name).Name))
	}
	return out
}

// syncPeers waits until the peer of every client has the blocks of the most advanced one. A submit
// returns once the gateway's own peer committed it; another org's peer may lag a block, and a
// transaction endorsed there next would read the state before it (a forbidden or mismatched
// endorsement that no client caused).
func syncPeers(t *testing.T, clients []*sdk.Client) {
	t.Helper()
	var target uint64
	for _, c := range clients {
		h, err := provHeight(ctx(t), c)
		if err != nil {
			t.Fatalf("syncing peers: %v", err)
		}
		target = max(target, h)
	}
	for _, c := range clients {
		eventually(t, "peer of "+c.Identity().MSPID+" catching up", func() error {
			h, err := provHeight(ctx(t), c)
			if err != nil {
				return err
			}
			if h < target {
				return fmt.Errorf("height %d, want %d", h, target)
			}
			return nil
		})
	}
}
