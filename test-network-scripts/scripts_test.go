// Tests of network.sh's answers to bad input. They start no Fabric process: each case must fail
// before anything is started, and the test checks that nothing was.
package scripts_test

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// run runs network.sh with a private state folder and port offset, returning its output and exit code.
func run(t *testing.T, netdir string, offset int, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command("./network.sh", args...)
	cmd.Env = append(os.Environ(), "HL_NETWORK_DIR="+netdir, "HL_PORT_OFFSET="+strconv.Itoa(offset))
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
		{"a target folder that does not exist", []string{"deploy", "baseline", "--target", "/nonexistent"}, 1, "is not a folder"},
		{"a log that does not exist", []string{"logs", "nope"}, 1, "no log named 'nope'"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			netdir := t.TempDir()
			out, code := run(t, netdir, 30000, tc.args...)
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
