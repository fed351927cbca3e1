//go:build faults

// Package faults injects faults (killed processes, restarts, a CA stopped, every process killed at
// once) into a live native Fabric network and checks that it recovers. Each test starts a network of
// its own with test-network-scripts/network.sh in its own state folder and stops it afterwards;
// nothing here touches another network.
//
// Run: test-network-scripts/faults.sh (make faults), or
//
//	go test -tags faults -race -count=1 -timeout 60m -v ./integration/faults/...
//
// The tests:
//   - TestFaultsUnderLoad (scenarios_test.go): writers submit through the project's SDK while one
//     node after another is killed and started again, on one network; each scenario prints a row of
//     figures and asserts them (nothing lost, nothing committed twice, recovery within bounds);
//   - TestOrdererRejoinsAfterWALReplay (walreplay_test.go): the etcdraft WAL deadlock regression test;
//   - TestSnapshotIntervalCost (snapshotcost_test.go): a measurement, run only on request.
//
// Environment:
//   - HL_NETWORK_DIR: the state folder (default <repo>/.network-faults), purged before and after;
//   - HL_PORT_OFFSET: added to every port of the network (default 25000; offsets 10000 apart collide,
//     since a CA's operations port is its port + 10000);
//   - HL_FAULTS_BUDGET: ci (short, for CI) or full (the default): see budget_test.go, which lists the
//     variables that override a budget's parts;
//   - HL_FAULTS_REPORT: a file the figures table is appended to;
//   - HL_FAULTS_REUSE=1: use the network already running in HL_NETWORK_DIR and leave it running (to
//     develop a scenario; not for CI);
//   - HL_FAULTS_RESTARTS, HL_FAULTS_WAL_MB, HL_FAULTS_REJOIN_TIMEOUT: see walreplay_test.go.
//
// The processes that network.sh starts outlive it: the test process becomes their child subreaper,
// reaps the ones it ends, and fails if any is left after network.sh down.
package faults

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/healthledger/healthledger/gateway-client/sdk"
	"github.com/healthledger/healthledger/internal/netproc"
)

func TestMain(m *testing.M) {
	// Processes that network.sh starts are re-parented to this process when the script exits, so
	// that this process can reap the ones it kills, and no zombie is left behind.
	if err := netproc.BecomeSubreaper(); err != nil {
		fmt.Fprintln(os.Stderr, "faults:", err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// cluster is a network that a test started, and what the test needs to reach it.
type cluster struct {
	root     string   // the repository
	netdir   string   // the network's state folder
	env      []string // the environment of every network.sh run
	channel  string
	orderers []*orderer
	admin    *http.Client // the orderer org admin's mutual-TLS client for the participation API
	started  map[int]string
	reused   bool // HL_FAULTS_REUSE: the network was running before the test and is left running
}

// startCluster brings up a network with the baseline chaincode in the state folder of the faults
// suite, with extra environment variables for network.sh, and stops it when the test ends.
func startCluster(t *testing.T, extra ...string) *cluster {
	t.Helper()
	root, err := netproc.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	netdir := os.Getenv("HL_NETWORK_DIR")
	if netdir == "" {
		netdir = filepath.Join(root, ".network-faults")
	}
	offset := os.Getenv("HL_PORT_OFFSET")
	if offset == "" {
		offset = "25000"
	}
	c := &cluster{root: root, netdir: netdir, started: map[int]string{}}
	c.env = append(os.Environ(), "HL_NETWORK_DIR="+netdir, "HL_PORT_OFFSET="+offset)
	c.env = append(c.env, extra...)

	if os.Getenv("HL_FAULTS_REUSE") == "1" {
		c.reuse(t)
	} else {
		c.up(t, offset)
	}
	c.recordPids()

	var nj struct {
		Channel string `json:"channel"`
	}
	if err := readJSON(filepath.Join(netdir, "profiles", "network.json"), &nj); err != nil {
		t.Fatal(err)
	}
	c.channel = nj.Channel
	if err := c.loadOrderers(); err != nil {
		t.Fatal(err)
	}
	if c.admin, err = c.adminClient(); err != nil {
		t.Fatal(err)
	}
	return c
}

// up purges the state folder and starts a new network there.
func (c *cluster) up(t *testing.T, offset string) {
	t.Helper()
	if out, err := c.network(5*time.Minute, "down", "--purge"); err != nil {
		t.Fatalf("clearing %s: %v\n%s", c.netdir, err, out)
	}
	t.Cleanup(func() { c.teardown(t) })
	start := time.Now()
	// No chaincode but baseline: 'up' would deploy all of them, and wait on a readiness probe that
	// this suite replaces with its own retried submits.
	for try := 1; ; try++ {
		out, err := c.network(15*time.Minute, "up", "--no-deploy")
		if err == nil {
			break
		}
		// Our ports lie in Linux's ephemeral range (32768-60999): a client socket of any process
		// can hold one for a moment. network.sh stopped what it started; try again.
		if try < 3 && strings.Contains(out, "bind: address already in use") {
			t.Logf("network.sh up: a port was taken while starting (try %d); again", try)
			continue
		}
		t.Fatalf("network.sh up: %v\n%s", err, out)
	}
	if out, err := c.network(15*time.Minute, "deploy", "baseline"); err != nil {
		t.Fatalf("network.sh deploy baseline: %v\n%s", err, out)
	}
	t.Logf("network up in %s (%s, ports +%s)", time.Since(start).Round(time.Second), c.netdir, offset)
}

// reuse takes the network already running in the state folder (HL_FAULTS_REUSE=1), deploying baseline
// if needed, and leaves it running at the end.
func (c *cluster) reuse(t *testing.T) {
	t.Helper()
	c.reused = true
	if out, err := c.network(5*time.Minute, "status"); err != nil {
		t.Fatalf("HL_FAULTS_REUSE=1, but the network in %s is not healthy: %v\n%s", c.netdir, err, out)
	}
	var nj struct {
		Chaincodes []string `json:"chaincodes"`
	}
	if err := readJSON(filepath.Join(c.netdir, "profiles", "network.json"), &nj); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(nj.Chaincodes, "baseline") {
		if out, err := c.network(15*time.Minute, "deploy", "baseline"); err != nil {
			t.Fatalf("network.sh deploy baseline: %v\n%s", err, out)
		}
	}
	t.Cleanup(func() { t.Logf("HL_FAULTS_REUSE=1: the network in %s is left running", c.netdir) })
	t.Logf("reusing the network running in %s", c.netdir)
}

// network runs network.sh with the cluster's environment, bounded by timeout, and returns its output.
func (c *cluster) network(timeout time.Duration, args ...string) (string, error) {
	return c.networkEnv(nil, timeout, args...)
}

// networkEnv runs network.sh like network, with extra environment variables.
func (c *cluster) networkEnv(extra []string, timeout time.Duration, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(c.root, "test-network-scripts", "network.sh"), args...)
	cmd.Env = append(append([]string(nil), c.env...), extra...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	// network.sh's own children (curl, go, ...) keep the pipe open after a time-out kill: stop
	// waiting for them then.
	cmd.WaitDelay = 10 * time.Second
	err := cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("network.sh %s: no answer after %s: %w", strings.Join(args, " "), timeout, ctx.Err())
	} else if err != nil {
		err = fmt.Errorf("network.sh %s: %w", strings.Join(args, " "), err)
	}
	return out.String(), err
}

// hasCommand tells whether network.sh offers cmd (its usage names it).
func (c *cluster) hasCommand(cmd string) bool {
	out, _ := c.network(time.Minute, "help")
	return regexp.MustCompile(`network\.sh ` + regexp.QuoteMeta(cmd) + `\b`).MatchString(out)
}

// start runs 'network.sh start name', which returns once the node is healthy and, for an orderer or
// a peer, back in consensus and caught up (at most catchup), and returns how long that took.
func (c *cluster) start(name string, catchup time.Duration) (time.Duration, error) {
	begin := time.Now()
	out, err := c.networkEnv([]string{fmt.Sprintf("HL_CATCHUP_TIMEOUT=%d", int(catchup.Seconds()))},
		catchup+2*time.Minute, "start", name)
	c.recordPids()
	if err != nil {
		return time.Since(begin), fmt.Errorf("%w\n%s", err, strings.TrimSpace(out))
	}
	return time.Since(begin), nil
}

var leaderRe = regexp.MustCompile(`(?m)^\s*raft leader: (\S+)`)

// waitHealthy waits until 'network.sh status' reports every node healthy with one Raft leader, and
// returns the leader's name.
func (c *cluster) waitHealthy(within time.Duration) (string, error) {
	deadline := time.Now().Add(within)
	for {
		out, err := c.network(2*time.Minute, "status")
		if err == nil {
			if m := leaderRe.FindStringSubmatch(out); m != nil {
				return m[1], nil
			}
			err = errors.New("no 'raft leader:' line")
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("the network in %s was not healthy within %s: %w\n%s", c.netdir, within, err, out)
		}
		time.Sleep(2 * time.Second)
	}
}

// recordPids remembers every process the network runs now, to check at the end that none is left.
func (c *cluster) recordPids() {
	for name, pid := range netproc.PIDs(c.netdir) {
		c.started[pid] = name
	}
}

// pidOf returns the pid of the process network.sh recorded as name if that process still runs the
// binary network.sh started (the check network.sh itself makes), or 0.
func (c *cluster) pidOf(name string) int {
	pf := filepath.Join(c.netdir, "pids", name+".pid")
	raw, err := os.ReadFile(pf)
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil || pid <= 0 {
		return 0
	}
	want, err := os.ReadFile(pf + ".cmd")
	if err != nil {
		return 0
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || !strings.HasPrefix(strings.ReplaceAll(string(cmdline), "\x00", " "), strings.TrimSpace(string(want))) {
		return 0
	}
	return pid
}

// signal sends sig to the network's process name, which this run started, and for a signal that
// ends it, waits until it has ended and reaps it.
func (c *cluster) signal(name string, sig syscall.Signal, wait time.Duration) error {
	pid := c.pidOf(name)
	if pid == 0 {
		return fmt.Errorf("%s is not running", name)
	}
	c.started[pid] = name
	if err := syscall.Kill(pid, sig); err != nil {
		return fmt.Errorf("signal %v to %s (pid %d): %w", sig, name, pid, err)
	}
	if !netproc.Gone(pid, wait) {
		return fmt.Errorf("%s (pid %d) still exists %s after signal %v", name, pid, wait, sig)
	}
	return nil
}

// killAll sends SIGKILL to every process of the network at once (a power loss, as the processes see
// it), then waits until all have ended and reaps them. It returns the names it killed, sorted.
func (c *cluster) killAll(wait time.Duration) ([]string, error) {
	victims := map[string]int{}
	for name := range netproc.PIDs(c.netdir) {
		if pid := c.pidOf(name); pid != 0 {
			victims[name] = pid
		}
	}
	// First every signal, then the waits: no process sees another die before its own end.
	var errs []error
	for name, pid := range victims {
		c.started[pid] = name
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			errs = append(errs, fmt.Errorf("SIGKILL to %s (pid %d): %w", name, pid, err))
		}
	}
	names := make([]string, 0, len(victims))
	for name, pid := range victims {
		names = append(names, name)
		if !netproc.Gone(pid, wait) {
			errs = append(errs, fmt.Errorf("%s (pid %d) still exists %s after SIGKILL", name, pid, wait))
		}
	}
	sort.Strings(names)
	return names, errors.Join(errs...)
}

// teardown stops the network, reaps its processes and fails the test if any is left.
func (c *cluster) teardown(t *testing.T) {
	c.recordPids()
	if out, err := c.network(5*time.Minute, "down", "--purge"); err != nil {
		t.Errorf("network.sh down: %v\n%s", err, out)
	}
	var left []string
	for pid, name := range c.started {
		if !netproc.Gone(pid, 5*time.Second) {
			left = append(left, fmt.Sprintf("%s (pid %d)", name, pid))
		}
	}
	sort.Strings(left)
	if len(left) > 0 {
		t.Errorf("processes left after network.sh down: %s", strings.Join(left, ", "))
	} else {
		t.Logf("network down, %d processes ended, none left", len(c.started))
	}
}

// sdkNetwork loads the network's profiles folder through the SDK.
func (c *cluster) sdkNetwork() (*sdk.Network, error) {
	net, err := sdk.LoadNetwork(filepath.Join(c.netdir, "profiles"))
	if err != nil {
		return nil, fmt.Errorf("loading the profiles of %s: %w", c.netdir, err)
	}
	return net, nil
}
