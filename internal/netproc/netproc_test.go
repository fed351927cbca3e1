package netproc

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestRepoRootFindsTheScripts(t *testing.T) {
	root, err := RepoRoot()
	require.NoError(t, err)
	require.FileExists(t, filepath.Join(root, "test-network-scripts", "network.sh"))
}

func TestPIDsReadsWhatNetworkShRecorded(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "pids"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "pids", "peer0-a.pid"), []byte("123\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "pids", "junk.pid"), []byte("no pid"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "pids", "cc-x.pid.pkg"), []byte("pkg"), 0o644))
	require.Equal(t, map[string]int{"peer0-a": 123}, PIDs(dir))
	require.Empty(t, PIDs(filepath.Join(dir, "missing")))
}

func TestGoneReapsAnEndedChildAndWaitsForALiveOne(t *testing.T) {
	cmd := exec.Command("sleep", "30")
	require.NoError(t, cmd.Start())
	pid := cmd.Process.Pid
	require.False(t, Gone(pid, 100*time.Millisecond), "a running process is not gone")
	require.NoError(t, cmd.Process.Kill())
	require.True(t, Gone(pid, 5*time.Second), "a killed child is reaped and gone")
	_, err := os.Stat("/proc/" + strconv.Itoa(pid))
	require.True(t, os.IsNotExist(err))
}
