// Tests of network.sh's answers to bad input. They start no Fabric process: each case must fail
// before anything is started, and the test checks that nothing was.
package scripts_test

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// run runs network.sh with a private state folder and port offset, returning its output and exit code.
func run(t *testing.T, netdir string, offset int, args ...string) (string, int) {
	t.Helper()
	return runEnv(t, []string{"HL_NETWORK_DIR=" + netdir, "HL_PORT_OFFSET=" + strconv.Itoa(offset)}, args...)
}

// runEnv runs network.sh with the caller's environment minus every HL_ variable, plus env.
func runEnv(t *testing.T, env []string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command("./network.sh", args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HL_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return string(out), code
}

func requireNothingStarted(t *testing.T, netdir string) {
	t.Helper()
	pids, _ := filepath.Glob(filepath.Join(netdir, "pids", "*.pid"))
	require.Empty(t, pids, "a failed command left recorded processes")
}

func TestBadInputGetsAClearErrorAndStartsNothing(t *testing.T) {
	cases := []struct {
		name string
		args []string
		code int
		says string
	}{
		{"an unknown subcommand", []string{"bogus"}, 2, "unknown command 'bogus'"},
		{"no subcommand", nil, 2, "network.sh up"},
		{"an unknown chaincode", []string{"deploy", "nope"}, 1, "unknown chaincode 'nope'"},
		{"deploy without a name", []string{"deploy"}, 1, "deploy needs a chaincode name"},
		{"deploy before up", []string{"deploy", "baseline"}, 1, "not running (deploy before up?)"},
		{"an unknown layout", []string{"up", "--layout", "nope"}, 1, "unknown layout 'nope'"},
		{"an unknown flag to up", []string{"up", "--fast"}, 1, "unknown argument '--fast'"},
		{"an unknown flag to down", []string{"down", "--all"}, 1, "unknown argument '--all'"},
		{"a target folder that does not exist", []string{"deploy", "consent", "--target", "/nonexistent"}, 1, "is not a folder"},
		{"the benchmark chaincode onto a target", []string{"deploy", "baseline", "--target", "/nonexistent"}, 1, "never deployed onto a target"},
		{"a log that does not exist", []string{"logs", "nope"}, 1, "no log named 'nope'"},
		{"a log cap that is no number", []string{"up"}, 1, "HL_LOG_MAX_MB must be a positive whole number of MiB, not '64M'"},
		{"a negative count of log copies", []string{"up"}, 1, "HL_LOG_KEEP must be 0 to 100, not '-1'"},
		{"a log check interval of zero", []string{"up"}, 1, "HL_LOG_CHECK_SECONDS must be a positive whole number, not '0'"},
		{"revoke without a name", []string{"revoke", "--reason", "keycompromise"}, 2, "revoke: name the wallet identity"},
		{"revoke without a reason", []string{"revoke", "patient1"}, 2, "revoke: --reason is required"},
		{"revoke with a reason RFC 5280 lacks", []string{"revoke", "patient1", "--reason", "stolen"}, 2, "revoke: unknown reason 'stolen' (one of: unspecified keycompromise"},
		{"revoke with an unknown flag", []string{"revoke", "patient1", "--force"}, 2, "revoke: unknown argument '--force'"},
		{"revoke two at once", []string{"revoke", "patient1", "patient2", "--reason", "keycompromise"}, 2, "revoke: one identity at a time"},
		{"revoke before up", []string{"revoke", "patient1", "--reason", "keycompromise"}, 1, "no network in"},
	}
	envOf := map[string]string{
		"a log cap that is no number":    "HL_LOG_MAX_MB=64M",
		"a negative count of log copies": "HL_LOG_KEEP=-1",
		"a log check interval of zero":   "HL_LOG_CHECK_SECONDS=0",
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			netdir := t.TempDir()
			env := []string{"HL_NETWORK_DIR=" + netdir, "HL_PORT_OFFSET=30000"}
			if kv, ok := envOf[tc.name]; ok {
				env = append(env, kv)
			}
			out, code := runEnv(t, env, tc.args...)
			require.Equal(t, tc.code, code, out)
			require.Contains(t, out, tc.says)
			requireNothingStarted(t, netdir)
		})
	}
}

func TestUpRefusesAPortInUse(t *testing.T) {
	const offset = 31000
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(7051+offset))
	require.NoError(t, err)
	defer l.Close()

	netdir := t.TempDir()
	out, code := run(t, netdir, offset, "up")
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "ports already in use: "+strconv.Itoa(7051+offset))
	requireNothingStarted(t, netdir)
}

func TestDownIsIdempotent(t *testing.T) {
	netdir := t.TempDir()
	for i := 0; i < 2; i++ {
		out, code := run(t, netdir, 30000, "down", "--purge")
		require.Equal(t, 0, code, out)
		require.Contains(t, out, "stopped 0 processes")
	}
}

func TestStatusOfNoNetworkSaysSo(t *testing.T) {
	out, code := run(t, filepath.Join(t.TempDir(), "none"), 30000, "status")
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "no network in")
}

// fakeNetwork makes a state folder that holds only a settings file, as the first up writes it: enough
// for the commands that read a network's settings, with no process behind it.
func fakeNetwork(t *testing.T, settings string) string {
	t.Helper()
	netdir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(netdir, "settings"), []byte(settings), 0o600))
	return netdir
}

const storedSettings = `# test
layout=default
HL_PORT_OFFSET=40000
HL_BATCH_TIMEOUT=100ms
HL_MAX_MESSAGE_COUNT=50
HL_SNAPSHOT_INTERVAL_SIZE=1 MB
HL_CA_ADMIN_SECRET=adminpw
`

func TestOneNodeCommandsAnswerBadNamesAndUsage(t *testing.T) {
	known := "known: orderer1 orderer2 orderer3 peer0-hospital peer0-pharma peer0-insurer ca-orderer ca-hospital ca-pharma ca-insurer"
	cases := []struct {
		name string
		args []string
		code int
		says string
	}{
		{"start without a name", []string{"start"}, 2, "start needs one node name"},
		{"restart without a name", []string{"restart"}, 2, "restart needs one node name"},
		{"stop without a name", []string{"stop"}, 2, "stop needs one node name"},
		{"start with two names", []string{"start", "orderer1", "orderer2"}, 2, "start needs one node name"},
		{"start with a flag", []string{"start", "--all"}, 2, "start: unknown argument '--all'"},
		{"start of an unknown node", []string{"start", "peer1-hospital"}, 2, "no node named 'peer1-hospital'"},
		{"restart of an unknown node", []string{"restart", "orderer9"}, 2, "no node named 'orderer9'"},
		{"stop of an unknown node", []string{"stop", "nope"}, 2, "no node named 'nope'"},
		{"start of an unknown chaincode server", []string{"start", "cc-nope-hospital"}, 2, "no node named 'cc-nope-hospital'"},
		{"status with an argument", []string{"status", "orderer1"}, 2, "status takes no argument"},
		{"start of a node of a network never brought up", []string{"start", "peer0-hospital"}, 1, "was never brought up"},
		{"stop of a node that is not running", []string{"stop", "orderer2"}, 0, "orderer2 is not running"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			netdir := fakeNetwork(t, storedSettings)
			out, code := run(t, netdir, 40000, tc.args...)
			require.Equal(t, tc.code, code, out)
			require.Contains(t, out, tc.says)
			if strings.Contains(tc.says, "no node named") {
				require.Contains(t, out, known, "an unknown name gets the list of known ones")
			}
			requireNothingStarted(t, netdir)
		})
	}
}

func TestOneNodeCommandsNeedANetwork(t *testing.T) {
	for _, cmd := range []string{"start", "restart"} {
		netdir := t.TempDir()
		out, code := run(t, netdir, 40000, cmd, "peer0-hospital")
		require.Equal(t, 1, code, out)
		require.Contains(t, out, "no network in "+netdir)
		requireNothingStarted(t, netdir)
	}
	out, code := run(t, t.TempDir(), 40000, "stop", "peer0-hospital")
	require.Equal(t, 2, code, out)
	require.Contains(t, out, "no process named 'peer0-hospital'")
}

func TestAConflictingStoredSettingIsRefused(t *testing.T) {
	cases := []struct {
		name string
		env  []string
		args []string
		says []string
	}{
		{"another port offset on up", []string{"HL_PORT_OFFSET=30000"}, []string{"up"},
			[]string{"HL_PORT_OFFSET=30000 in the environment, but the network was made with HL_PORT_OFFSET=40000"}},
		{"another port offset on start", []string{"HL_PORT_OFFSET=30000"}, []string{"start", "peer0-hospital"},
			[]string{"HL_PORT_OFFSET=30000 in the environment, but the network was made with HL_PORT_OFFSET=40000"}},
		{"another port offset on restart", []string{"HL_PORT_OFFSET=0"}, []string{"restart", "orderer1"},
			[]string{"HL_PORT_OFFSET=0 in the environment, but the network was made with HL_PORT_OFFSET=40000"}},
		{"another port offset on deploy", []string{"HL_PORT_OFFSET=30000"}, []string{"deploy", "baseline"},
			[]string{"HL_PORT_OFFSET=30000 in the environment"}},
		{"another port offset on status", []string{"HL_PORT_OFFSET=30000"}, []string{"status"},
			[]string{"HL_PORT_OFFSET=30000 in the environment"}},
		{"another batch timeout and message count at once", []string{"HL_BATCH_TIMEOUT=2s", "HL_MAX_MESSAGE_COUNT=10"}, []string{"up"},
			[]string{"HL_BATCH_TIMEOUT=2s in the environment, but the network was made with HL_BATCH_TIMEOUT=100ms",
				"HL_MAX_MESSAGE_COUNT=10 in the environment, but the network was made with HL_MAX_MESSAGE_COUNT=50"}},
		{"another snapshot interval", []string{"HL_SNAPSHOT_INTERVAL_SIZE=16 MB"}, []string{"up"},
			[]string{"HL_SNAPSHOT_INTERVAL_SIZE=16 MB in the environment, but the network was made with HL_SNAPSHOT_INTERVAL_SIZE=1 MB"}},
		{"another CA secret, not shown", []string{"HL_CA_ADMIN_SECRET=s3cret-new"}, []string{"up"},
			[]string{"HL_CA_ADMIN_SECRET in the environment differs from the value stored with the network"}},
		{"another layout", nil, []string{"up", "--layout", "test-network"},
			[]string{"holds a 'default' network, not 'test-network'"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			netdir := fakeNetwork(t, storedSettings)
			out, code := runEnv(t, append([]string{"HL_NETWORK_DIR=" + netdir}, tc.env...), tc.args...)
			require.Equal(t, 1, code, out)
			for _, s := range tc.says {
				require.Contains(t, out, s)
			}
			require.NotContains(t, out, "s3cret-new", "a secret is never printed")
			if !strings.Contains(tc.name, "layout") {
				require.Contains(t, out, "unset the variable to use them")
			}
			requireNothingStarted(t, netdir)
			raw, err := os.ReadFile(filepath.Join(netdir, "settings"))
			require.NoError(t, err)
			require.Equal(t, storedSettings, string(raw), "the stored settings are left as they were")
		})
	}
}

func TestStoredSettingsApplyWhenTheVariableIsUnset(t *testing.T) {
	netdir := fakeNetwork(t, storedSettings)
	// No HL_PORT_OFFSET: status reads the network on the stored offset's ports.
	out, code := runEnv(t, []string{"HL_NETWORK_DIR=" + netdir}, "status")
	require.Equal(t, 1, code, out) // nothing runs
	require.Contains(t, out, "port offset 40000")
	require.Contains(t, out, "orderer1                       127.0.0.1:47050   stopped")
	require.Contains(t, out, "peer0-pharma (PharmaMSP)       127.0.0.1:48051   stopped")
	// The same value as stored is no conflict.
	out, code = runEnv(t, []string{"HL_NETWORK_DIR=" + netdir, "HL_PORT_OFFSET=40000", "HL_BATCH_TIMEOUT=100ms"}, "status")
	require.Equal(t, 1, code, out)
	require.NotContains(t, out, "in the environment")
	require.Contains(t, out, "0 of 10 nodes healthy")
}

func TestALegacyLayoutFileStillNamesTheLayout(t *testing.T) {
	netdir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(netdir, "layout"), []byte("test-network\n"), 0o644))
	out, code := run(t, netdir, 30000, "up", "--layout", "default")
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "holds a 'test-network' network, not 'default'")
	out, code = run(t, netdir, 30000, "status")
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "layout test-network")
}

// bashFn runs a function of the sourced libraries with the given arguments and returns its output.
func bashFn(t *testing.T, fn string, args ...string) string {
	t.Helper()
	script := `set -euo pipefail; HL_T0=0; NETDIR=/nonexistent; CHANNEL=ch
source lib/common.sh; source lib/nodes.sh; "$@"`
	cmd := exec.Command("bash", append([]string{"-c", script, "bash", fn}, args...)...)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	return strings.TrimSpace(string(out))
}

func TestVerdictsTellOutOfConsensusAndBehindFromHealthy(t *testing.T) {
	const top, margin = "52", "5"
	orderer := []struct{ info, want string }{
		{"active consenter 52 1 3 3", "healthy (height 52, Raft leader, 3 of 3 active)"},
		{"active consenter 50 0 3 3", "healthy (height 50, follower, 3 of 3 active)"},
		{"active consenter 52 0 2 3", "healthy (height 52, follower, 2 of 3 active)"},
		{"active consenter 40 0 3 3", "running, behind (height 40 of 52)"},
		{"active consenter 40 0 0 3", "running, out of consensus (knows no Raft leader; height 40 of 52)"},
		{"active consenter 52 0 1 3", "running, out of consensus (follower that sees 1 of 3 nodes active, fewer than a quorum of 2; height 52 of 52)"},
		{"onboarding follower 12 0 0 0", "running, out of consensus (channel onboarding, follower; height 12 of 52)"},
		{"active follower 52 0 0 0", "running, out of consensus (follower, not a consenter; height 52 of 52)"},
		{"active consenter 52 0 0 0", "running, out of consensus (its Raft chain reports no cluster: not started?; height 52 of 52)"},
		{"active consenter 1 1 1 1", "healthy (height 1, Raft leader, 1 of 1 active)"},
	}
	for _, c := range orderer {
		got := bashFn(t, "orderer_verdict", c.info, top, margin)
		if c.info == "active consenter 1 1 1 1" {
			got = bashFn(t, "orderer_verdict", c.info, "1", margin)
		}
		require.Equal(t, c.want, got, c.info)
	}
	require.Equal(t, "healthy (height 48)", bashFn(t, "peer_verdict", "48", top, margin))
	require.Equal(t, "running, behind (height 40 of 52)", bashFn(t, "peer_verdict", "40", top, margin))
	require.Equal(t, "running, behind (height 51 of 52)", bashFn(t, "peer_verdict", "51", top, "0"))
}

func TestMetricsParsesOurChannelOnly(t *testing.T) {
	text := `# HELP consensus_etcdraft_is_leader x
consensus_etcdraft_is_leader{channel="other"} 1
consensus_etcdraft_is_leader{channel="ch"} 0
consensus_etcdraft_active_nodes{channel="ch"} 3
consensus_etcdraft_cluster_size{channel="ch"} 3
ledger_blockchain_height{channel="ch"} 1e+06
`
	require.Equal(t, "0 3 3", bashFn(t, "metrics", text, "consensus_etcdraft_is_leader", "consensus_etcdraft_active_nodes", "consensus_etcdraft_cluster_size"))
	require.Equal(t, "1000000", bashFn(t, "metrics", text, "ledger_blockchain_height"))
	require.Equal(t, "-", bashFn(t, "metrics", "consensus_etcdraft_is_leader{channel=\"other\"} 1", "consensus_etcdraft_is_leader"))
}

// TestLiveCrashRecovery brings up a network of its own (without chaincodes, about 30 s) and checks
// what an operator does after a crash: kill -9 of a peer and of an orderer, then start; a resume
// refused because a stopped node's port is taken, which leaves every running node running; restart.
// It runs only with HL_LIVE_TESTS=1; HL_LIVE_PORT_OFFSET (default 45000) and HL_LIVE_NETWORK_DIR
// (default a temporary folder) place the network. It needs the Fabric binaries (network/fabric/build.sh).
func TestLiveCrashRecovery(t *testing.T) {
	if os.Getenv("HL_LIVE_TESTS") != "1" {
		t.Skip("set HL_LIVE_TESTS=1 to run a live network (HL_LIVE_PORT_OFFSET, HL_LIVE_NETWORK_DIR)")
	}
	offset := 45000
	if v := os.Getenv("HL_LIVE_PORT_OFFSET"); v != "" {
		var err error
		offset, err = strconv.Atoi(v)
		require.NoError(t, err)
	}
	netdir := os.Getenv("HL_LIVE_NETWORK_DIR")
	if netdir == "" {
		netdir = filepath.Join(t.TempDir(), "net")
	}
	sh := func(args ...string) (string, int) {
		t.Helper()
		start := time.Now()
		out, code := run(t, netdir, offset, args...)
		t.Logf("network.sh %s: exit %d in %s\n%s", strings.Join(args, " "), code, time.Since(start).Round(time.Second), out)
		return out, code
	}
	pidOf := func(name string) int {
		raw, err := os.ReadFile(filepath.Join(netdir, "pids", name+".pid"))
		require.NoError(t, err)
		pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
		require.NoError(t, err)
		return pid
	}
	// running: the process exists and has not ended (a zombie has: the processes network.sh starts
	// outlive it, and whoever inherits them reaps them when it gets to it).
	running := func(pid int) bool {
		raw, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
		if err != nil {
			return false
		}
		f := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+1:]))
		return len(f) > 0 && f[0] != "Z"
	}
	runningPids := func() map[string]int {
		out := map[string]int{}
		files, _ := filepath.Glob(filepath.Join(netdir, "pids", "*.pid"))
		for _, f := range files {
			name := strings.TrimSuffix(filepath.Base(f), ".pid")
			if pid := pidOf(name); running(pid) {
				out[name] = pid
			}
		}
		return out
	}
	kill9 := func(name string) {
		pid := pidOf(name)
		require.NoError(t, syscall.Kill(pid, syscall.SIGKILL))
		for i := 0; i < 50 && running(pid); i++ {
			time.Sleep(100 * time.Millisecond)
		}
	}
	_, _ = sh("down", "--purge")
	t.Cleanup(func() {
		before := runningPids()
		_, _ = run(t, netdir, offset, "down", "--purge")
		for name, pid := range before {
			if running(pid) {
				t.Errorf("%s (pid %d) still runs after down", name, pid)
			}
		}
	})

	out, code := sh("up", "--no-deploy")
	require.Equal(t, 0, code, out)
	out, code = sh("status")
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "all 10 nodes healthy")

	// A peer killed: status says so; start brings it back, caught up.
	kill9("peer0-pharma")
	out, code = sh("status")
	require.Equal(t, 1, code, out)
	require.Regexp(t, `peer0-pharma \(PharmaMSP\) +127\.0\.0\.1:\d+ +stopped`, out)
	out, code = sh("start", "peer0-pharma")
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "peer0-pharma: caught up")
	out, code = sh("start", "peer0-pharma")
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "peer0-pharma is already running")

	// A resume whose stopped node cannot start: refused, and every running node keeps running.
	kill9("peer0-insurer")
	// The port is free once the killed peer's sockets are gone (and no outgoing connection happens
	// to use it as its source port: offsets put these ports in Linux's ephemeral range).
	var l net.Listener
	var err error
	for i := 0; i < 100; i++ {
		if l, err = net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(9051+offset)); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	require.NoError(t, err)
	before := runningPids()
	out, code = sh("up", "--no-deploy")
	require.NotEqual(t, 0, code, out)
	require.Contains(t, out, "peer0-insurer cannot start: its port 127.0.0.1:"+strconv.Itoa(9051+offset)+" is in use")
	require.Equal(t, before, runningPids(), "a failed resume stops nothing")
	out, code = sh("start", "peer0-insurer")
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "peer0-insurer cannot start")
	require.NoError(t, l.Close())
	out, code = sh("up", "--no-deploy")
	require.Equal(t, 0, code, out)
	for name, pid := range before {
		require.Equal(t, pid, runningPids()[name], "%s kept running through the resume", name)
	}

	// An orderer killed: start waits until it is back in the Raft cluster.
	kill9("orderer2")
	out, code = sh("start", "orderer2")
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "orderer2: back in the Raft cluster")

	// restart = stop + start, of a running CA and peer.
	for _, n := range []string{"ca-hospital", "peer0-hospital"} {
		old := pidOf(n)
		out, code = sh("restart", n)
		require.Equal(t, 0, code, out)
		require.NotEqual(t, old, pidOf(n))
	}
	out, code = sh("status")
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "all 10 nodes healthy")
}

// TestLogKeeperCutsALogOverItsCapAndTheWriterGoesOn: a log over the cap is copied to .1 (the older
// copy moves to .2, the oldest beyond KEEP is dropped) and cut, while a writer that opened it for
// appending, as network.sh's nodes do, goes on at the new end; a log under the cap is left alone;
// TERM ends the keeper at once; bad arguments are refused with exit 2 before anything is touched.
func TestLogKeeperCutsALogOverItsCapAndTheWriterGoesOn(t *testing.T) {
	dir := t.TempDir()
	big, small := filepath.Join(dir, "peer0-a.log"), filepath.Join(dir, "orderer1.log")
	require.NoError(t, os.WriteFile(big+".1", []byte("older copy\n"), 0o644))
	require.NoError(t, os.WriteFile(big+".2", []byte("oldest copy\n"), 0o644))
	require.NoError(t, os.WriteFile(small, []byte("small\n"), 0o644))
	w, err := os.OpenFile(big, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	require.NoError(t, err)
	defer w.Close()
	first := strings.Repeat("x", 2000) + "\n"
	_, err = w.WriteString(first)
	require.NoError(t, err)

	for _, bad := range [][]string{{dir, "0", "2", "1"}, {dir, "1000", "x", "1"}, {dir, "1000", "2", "0"}, {filepath.Join(dir, "nope"), "1000", "2", "1"}, {dir}} {
		out, err := exec.Command("bash", append([]string{"lib/logkeeper.sh"}, bad...)...).CombinedOutput()
		var ee *exec.ExitError
		require.ErrorAs(t, err, &ee, "%v: %s", bad, out)
		require.Equal(t, 2, ee.ExitCode(), "%v: %s", bad, out)
	}
	before, err := os.ReadFile(big)
	require.NoError(t, err)
	require.Equal(t, first, string(before), "a refused keeper touched nothing")

	keeper := exec.Command("bash", "lib/logkeeper.sh", dir, "1000", "2", "1")
	outFile := filepath.Join(t.TempDir(), "keeper.out") // not in dir: the keeper's own output is no log it keeps
	of, err := os.Create(outFile)
	require.NoError(t, err)
	defer of.Close()
	keeper.Stdout, keeper.Stderr = of, of
	require.NoError(t, keeper.Start())
	output := func() string { raw, _ := os.ReadFile(outFile); return string(raw) }
	deadline := time.Now().Add(10 * time.Second)
	for {
		if fi, err := os.Stat(big); err == nil && fi.Size() == 0 {
			break
		}
		require.False(t, time.Now().After(deadline), "the log was not cut within 10s: %s", output())
		time.Sleep(50 * time.Millisecond)
	}
	_, err = w.WriteString("after the cut\n")
	require.NoError(t, err)
	now, err := os.ReadFile(big)
	require.NoError(t, err)
	require.Equal(t, "after the cut\n", string(now), "the writer goes on at the new end, with no hole")
	copy1, err := os.ReadFile(big + ".1")
	require.NoError(t, err)
	require.Equal(t, first, string(copy1))
	copy2, err := os.ReadFile(big + ".2")
	require.NoError(t, err)
	require.Equal(t, "older copy\n", string(copy2), "the oldest copy beyond KEEP is dropped")
	require.NoFileExists(t, big+".3")
	kept, err := os.ReadFile(small)
	require.NoError(t, err)
	require.Equal(t, "small\n", string(kept))

	require.NoError(t, keeper.Process.Signal(syscall.SIGTERM))
	done := make(chan error, 1)
	go func() { done <- keeper.Wait() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = keeper.Process.Kill()
		t.Fatalf("the keeper did not end within 5s of TERM: %s", output())
	}
	require.Contains(t, output(), "peer0-a.log: 2001 bytes, over 1000; cut, the copy is peer0-a.log.1")
}

// TestRevokeRefusesWhatIsNotARevocableWalletIdentity: before it asks any CA or peer, revoke refuses a
// name with no wallet entry and an org's CA registrar.
func TestRevokeRefusesWhatIsNotARevocableWalletIdentity(t *testing.T) {
	netdir := fakeNetwork(t, storedSettings)
	out, code := run(t, netdir, 40000, "revoke", "nobody", "--reason", "keycompromise")
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "revoke: unknown identity 'nobody' (no wallet entry "+filepath.Join(netdir, "wallet", "nobody")+")")
	reg := filepath.Join(netdir, "wallet", "registrar.hospital")
	require.NoError(t, os.MkdirAll(filepath.Join(reg, "signcerts"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(reg, "identity.json"), []byte(`{"name":"registrar.hospital","org":"hospital"}`), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(reg, "signcerts", "cert.pem"), []byte("x"), 0o644))
	out, code = run(t, netdir, 40000, "revoke", "registrar.hospital", "--reason", "keycompromise")
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "revoke: registrar.hospital is its org's CA registrar")
	requireNothingStarted(t, netdir)
}
