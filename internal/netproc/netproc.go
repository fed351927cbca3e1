// Package netproc holds what the test suites that start a native network share: finding the
// repository, becoming the child subreaper of the processes network.sh starts, reading the PIDs it
// recorded, and waiting for a process to be gone. It is Linux-only in effect: elsewhere the
// subreaper is a no-op.
package netproc

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// RepoRoot returns the repository that holds the working directory: the first folder above it with
// test-network-scripts/network.sh.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("finding the repository: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "test-network-scripts", "network.sh")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no test-network-scripts/network.sh above the working directory")
		}
		dir = parent
	}
}

// BecomeSubreaper makes the calling process the parent of the orphans among its descendants. The
// processes network.sh starts outlive the script; as their subreaper, a test can reap the ones it
// ends, so none is left behind as a zombie.
func BecomeSubreaper() error {
	if runtime.GOOS != "linux" {
		return nil
	}
	const prSetChildSubreaper = 36
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0); errno != 0 {
		return fmt.Errorf("becoming a child subreaper: %w", errno)
	}
	return nil
}

// PIDs reads the processes network.sh recorded in netdir/pids, by name.
func PIDs(netdir string) map[string]int {
	out := map[string]int{}
	files, _ := filepath.Glob(filepath.Join(netdir, "pids", "*.pid"))
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if pid, err := strconv.Atoi(strings.TrimSpace(string(raw))); err == nil {
			out[strings.TrimSuffix(filepath.Base(f), ".pid")] = pid
		}
	}
	return out
}

// Gone reaps pid if it is a finished child of ours and reports whether it no longer exists, waiting
// at most wait.
func Gone(pid int, wait time.Duration) bool {
	deadline := time.Now().Add(wait)
	for {
		var ws syscall.WaitStatus
		_, _ = syscall.Wait4(pid, &ws, syscall.WNOHANG, nil)
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); os.IsNotExist(err) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
}
