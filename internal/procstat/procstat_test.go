package procstat

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// statLine builds a /proc/<pid>/stat line with the given command, utime, stime and starttime.
func statLine(comm string, utime, stime, start uint64) string {
	// fields 3..13, then 14 utime, 15 stime, 16..21, 22 starttime, then a few more
	return fmt.Sprintf("4242 (%s) S 1 4242 4242 0 -1 4194560 100 0 0 0 %d %d 0 0 20 0 12 0 %d 1000000 500 18446744073709551615 0 0 0 0",
		comm, utime, stime, start)
}

func statusText(rssKB uint64) string {
	return fmt.Sprintf("Name:\tpeer\nState:\tS (sleeping)\nVmPeak:\t  900000 kB\nVmRSS:\t  %d kB\nThreads:\t12\n", rssKB)
}

func TestParseStat(t *testing.T) {
	tests := []struct {
		name string
		line string
		want Snapshot
	}{
		{"a plain command name", statLine("peer", 150, 50, 9000), Snapshot{CPUTicks: 200, StartTicks: 9000}},
		{"a command name with spaces and parentheses", statLine("we) (ird name", 7, 3, 12), Snapshot{CPUTicks: 10, StartTicks: 12}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseStat([]byte(tt.line))
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
	bad := []struct{ name, line string }{
		{"a line without a command name is refused", "4242 peer S 1"},
		{"a truncated line is refused", "4242 (peer) S 1 2 3"},
		{"a non-numeric utime is refused", "4242 (peer) S 1 4242 4242 0 -1 4194560 100 0 0 0 x 1 0 0 20 0 12 0 9 1 1"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseStat([]byte(tt.line))
			require.Error(t, err)
		})
	}
}

func TestParseRSS(t *testing.T) {
	t.Run("VmRSS in kB becomes bytes", func(t *testing.T) {
		got, err := ParseRSS([]byte(statusText(2048)))
		require.NoError(t, err)
		require.Equal(t, uint64(2048*1024), got)
	})
	t.Run("a status without VmRSS (a zombie) gives 0", func(t *testing.T) {
		got, err := ParseRSS([]byte("Name:\tx\nState:\tZ (zombie)\n"))
		require.NoError(t, err)
		require.Zero(t, got)
	})
	t.Run("a malformed VmRSS is refused", func(t *testing.T) {
		_, err := ParseRSS([]byte("VmRSS:\tlots\n"))
		require.Error(t, err)
	})
}

func TestParseHostCPU(t *testing.T) {
	t.Run("busy excludes idle and iowait, and guest time is not counted twice", func(t *testing.T) {
		data := "cpu  100 10 50 800 40 5 5 0 30 0\ncpu0 50 5 25 400 20 2 2 0 15 0\nintr 1 2 3\n"
		got, err := ParseHostCPU([]byte(data))
		require.NoError(t, err)
		require.Equal(t, HostCPU{Busy: 170, Total: 1010}, got)
	})
	t.Run("no aggregate line is an error", func(t *testing.T) {
		_, err := ParseHostCPU([]byte("cpu0 1 2 3 4 5\n"))
		require.Error(t, err)
	})
}

func TestGroupOf(t *testing.T) {
	tests := map[string]string{
		"orderer1":              "orderer",
		"peer0-hospital":        "peer",
		"ca-orderer":            "ca",
		"cc-baseline-hospital":  "chaincode:baseline",
		"cc-provenance-insurer": "chaincode:provenance",
		"probe":                 "other",
	}
	for name, want := range tests {
		t.Run(name+" is in group "+want, func(t *testing.T) {
			require.Equal(t, want, GroupOf(name))
		})
	}
}

func TestFromPIDDir(t *testing.T) {
	t.Run("pid files become processes sorted by name", func(t *testing.T) {
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, "peer0-pharma.pid"), []byte("31\n"), 0o644))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "orderer1.pid"), []byte("12"), 0o644))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "orderer1.pid.cmd"), []byte("/bin/orderer"), 0o644))
		got, err := FromPIDDir(dir)
		require.NoError(t, err)
		require.Equal(t, []Process{
			{Name: "orderer1", PID: 12, Group: "orderer"},
			{Name: "peer0-pharma", PID: 31, Group: "peer"},
		}, got)
	})
	t.Run("a missing folder gives no process", func(t *testing.T) {
		got, err := FromPIDDir(filepath.Join(t.TempDir(), "nope"))
		require.NoError(t, err)
		require.Empty(t, got)
	})
	t.Run("a pid file without a pid is an error", func(t *testing.T) {
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, "peer0-x.pid"), []byte("soon"), 0o644))
		_, err := FromPIDDir(dir)
		require.ErrorContains(t, err, "does not hold a pid")
	})
}

func TestClockTicksFromAuxv(t *testing.T) {
	entry := func(k, v uint64) []byte {
		b := make([]byte, 16)
		binary.NativeEndian.PutUint64(b, k)
		binary.NativeEndian.PutUint64(b[8:], v)
		return b
	}
	t.Run("AT_CLKTCK is found among other entries", func(t *testing.T) {
		raw := append(append(append(entry(6, 4096), entry(17, 250)...), entry(0, 0)...), entry(17, 99)...)
		require.Equal(t, uint64(250), clockTicksFromAuxv(raw))
	})
	t.Run("without AT_CLKTCK it falls back to 100", func(t *testing.T) {
		require.Equal(t, uint64(100), clockTicksFromAuxv(entry(6, 4096)))
	})
}

// fakeProc is a /proc with one process whose counters the test moves.
type fakeProc struct {
	root string
}

func newFakeProc(t *testing.T) *fakeProc {
	t.Helper()
	f := &fakeProc{root: t.TempDir()}
	require.NoError(t, os.MkdirAll(filepath.Join(f.root, "self"), 0o755))
	auxv := make([]byte, 32)
	binary.NativeEndian.PutUint64(auxv, 17)
	binary.NativeEndian.PutUint64(auxv[8:], 100)
	require.NoError(t, os.WriteFile(filepath.Join(f.root, "self", "auxv"), auxv, 0o644))
	return f
}

func (f *fakeProc) set(t *testing.T, pid int, ticks, start, rssKB uint64) {
	t.Helper()
	dir := filepath.Join(f.root, fmt.Sprint(pid))
	require.NoError(t, os.MkdirAll(dir, 0o755))
	writeAtomic(t, filepath.Join(dir, "stat"), statLine("x", ticks, 0, start))
	writeAtomic(t, filepath.Join(dir, "status"), statusText(rssKB))
}

// writeAtomic replaces a file as the kernel's /proc does: a sampler reading at the same moment
// sees the old text or the new one, never an empty or half-written file.
func writeAtomic(t *testing.T, path, text string) {
	t.Helper()
	tmp := path + ".tmp"
	require.NoError(t, os.WriteFile(tmp, []byte(text), 0o644))
	require.NoError(t, os.Rename(tmp, path))
}

func (f *fakeProc) host(t *testing.T, busy, idle uint64) {
	t.Helper()
	line := fmt.Sprintf("cpu  %d 0 0 %d 0 0 0 0 0 0\n", busy, idle)
	writeAtomic(t, filepath.Join(f.root, "stat"), line)
}

func TestSampler(t *testing.T) {
	t.Run("CPU is the tick difference over the window, memory the mean and max of the samples", func(t *testing.T) {
		f := newFakeProc(t)
		f.set(t, 10, 1000, 5, 1024) // 1 MiB
		f.host(t, 0, 0)
		s := Start(f.root, []Process{{Name: "peer0-a", PID: 10, Group: "peer"}}, 10*time.Millisecond, 2)
		time.Sleep(50 * time.Millisecond)
		f.set(t, 10, 1100, 5, 3072) // +1 s of CPU, 3 MiB
		f.host(t, 300, 100)         // 75% of 2 cores busy
		time.Sleep(50 * time.Millisecond)
		u := s.Stop()

		require.Len(t, u.Processes, 1)
		p := u.Processes[0]
		require.Equal(t, 1.0, p.CPUSeconds)
		require.InDelta(t, 100/u.Seconds, p.CPUPercent, 0.2, "1 s of CPU over the window")
		require.Equal(t, 3.0, p.RSSMaxMB)
		require.Greater(t, p.RSSMeanMB, 1.0)
		require.Less(t, p.RSSMeanMB, 3.0)
		require.Empty(t, p.Note)
		require.Equal(t, []ProcessUsage{{Name: "peer", Processes: 1, CPUPercent: p.CPUPercent, CPUSeconds: 1, RSSMeanMB: p.RSSMeanMB, RSSMaxMB: 3}}, u.Groups)
		require.Equal(t, 1.0, u.Network.CPUSeconds)
		require.Equal(t, 150.0, u.HostCPUPercent)
	})
	t.Run("a process that ends or restarts is marked, keeping what was measured before", func(t *testing.T) {
		f := newFakeProc(t)
		f.set(t, 10, 100, 5, 1024)
		f.set(t, 11, 100, 5, 1024)
		s := Start(f.root, []Process{{Name: "orderer1", PID: 10, Group: "orderer"}, {Name: "orderer2", PID: 11, Group: "orderer"}}, 5*time.Millisecond, 2)
		f.set(t, 10, 150, 5, 1024)
		time.Sleep(40 * time.Millisecond)
		require.NoError(t, os.RemoveAll(filepath.Join(f.root, "10")))
		f.set(t, 11, 900, 77, 1024) // same pid, another process
		u := s.Stop()
		require.Equal(t, "ended during the run", u.Processes[0].Note)
		require.Equal(t, 0.5, u.Processes[0].CPUSeconds)
		require.Equal(t, "restarted during the run (pid reused)", u.Processes[1].Note)
		require.Zero(t, u.Processes[1].CPUSeconds)
		require.Contains(t, u.Groups[0].Note, "incomplete")
	})
	t.Run("a process missing at the start is reported with a note and zeros", func(t *testing.T) {
		f := newFakeProc(t)
		u := Start(f.root, []Process{{Name: "peer0-x", PID: 99, Group: "peer"}}, time.Millisecond, 1).Stop()
		require.Contains(t, u.Processes[0].Note, "not readable at start")
		require.Zero(t, u.Processes[0].RSSMaxMB)
	})
	t.Run("the real /proc describes this process", func(t *testing.T) {
		if runtime.GOOS != "linux" {
			t.Skip("needs /proc")
		}
		snap, err := Read("/proc", os.Getpid())
		require.NoError(t, err)
		require.Positive(t, snap.RSSBytes)
		require.Positive(t, snap.StartTicks)
		u := Start("/proc", nil, 5*time.Millisecond, runtime.NumCPU()).Stop()
		require.Equal(t, "hlbench", u.Self.Name)
		require.Positive(t, u.Self.RSSMaxMB)
	})
}
