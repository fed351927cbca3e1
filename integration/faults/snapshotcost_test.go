//go:build faults

package faults

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestSnapshotIntervalCost measures what a Raft SnapshotIntervalSize costs the orderers: for each
// size, a network of its own takes the same writes (HL_FAULTS_COST_MB transactions of 1 MB, then
// HL_FAULTS_COST_SMALL small ones), and the test reports the snapshots taken, the orderers' CPU time
// and what their snapshot and WAL folders hold. It only measures (it fails only if the network does):
// set HL_FAULTS_MEASURE=1 to run it, and HL_FAULTS_SNAPSHOT_SIZES (default "1 MB,16 MB") to choose.
func TestSnapshotIntervalCost(t *testing.T) {
	if os.Getenv("HL_FAULTS_MEASURE") != "1" {
		t.Skip("a measurement, not a check: set HL_FAULTS_MEASURE=1 to run it")
	}
	sizes := strings.Split(os.Getenv("HL_FAULTS_SNAPSHOT_SIZES"), ",")
	if os.Getenv("HL_FAULTS_SNAPSHOT_SIZES") == "" {
		sizes = []string{"1 MB", "16 MB"}
	}
	bigTx := envInt(t, "HL_FAULTS_COST_MB", 24)
	smallTx := envInt(t, "HL_FAULTS_COST_SMALL", 300)
	var report []string
	for _, size := range sizes {
		size = strings.TrimSpace(size)
		t.Run(strings.ReplaceAll(size, " ", ""), func(t *testing.T) {
			c := startCluster(t, "HL_SNAPSHOT_INTERVAL_SIZE="+size)
			gw, err := c.connect()
			if err != nil {
				t.Fatal(err)
			}
			defer gw.Close()
			if err := retrySubmit(t, gw, 2*time.Minute, "Write", "cost-ready", "1"); err != nil {
				t.Fatalf("the network never committed a first transaction: %v", err)
			}
			cpu0 := c.orderersCPU(t)
			start := time.Now()
			for i := 0; i < bigTx; i++ {
				if err := retrySubmit(t, gw, time.Minute, "WriteSized", fmt.Sprintf("cost-big-%d", i), strconv.Itoa(1<<20)); err != nil {
					t.Fatal(err)
				}
			}
			bigTook := time.Since(start)
			start = time.Now()
			for i := 0; i < smallTx; i++ {
				if err := retrySubmit(t, gw, time.Minute, "Write", fmt.Sprintf("cost-small-%d", i), strconv.Itoa(i)); err != nil {
					t.Fatal(err)
				}
			}
			smallTook := time.Since(start)
			cpu := c.orderersCPU(t) - cpu0
			var snaps int
			var snapBytes, walBytes int64
			for _, o := range c.orderers {
				b, n := dirSize(o.snapDir, ".snap")
				snaps += n
				snapBytes += b
				w, _ := dirSize(o.walDir, ".wal")
				walBytes += w
			}
			line := fmt.Sprintf("SnapshotIntervalSize %s: %d x 1 MB in %s, %d small in %s (%.1f ms each); 3 orderers: %.1f s CPU, %d snapshot files kept (%.1f MB), WAL files %.0f MB",
				size, bigTx, bigTook.Round(100*time.Millisecond), smallTx, smallTook.Round(100*time.Millisecond),
				float64(smallTook.Milliseconds())/float64(smallTx), cpu.Seconds(), snaps, float64(snapBytes)/(1<<20), float64(walBytes)/(1<<20))
			for _, o := range c.orderers {
				line += fmt.Sprintf("; %s snapshots taken: %d", o.name, strings.Count(c.logSinceStart(o.name), "Persisting snapshot"))
			}
			t.Log(line)
			report = append(report, line)
		})
	}
	for _, l := range report {
		t.Log(l)
	}
}

// orderersCPU is the CPU time (user and system) that the network's orderers have used so far.
func (c *cluster) orderersCPU(t *testing.T) time.Duration {
	t.Helper()
	var ticks int64
	for _, o := range c.orderers {
		pid := c.pidOf(o.name)
		raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if pid == 0 || err != nil {
			t.Fatalf("reading the CPU time of %s: not running (%v)", o.name, err)
		}
		// the fields after the command name, which is in parentheses and may hold spaces
		s := string(raw)
		fields := strings.Fields(s[strings.LastIndex(s, ")")+1:])
		// utime and stime are fields 14 and 15 of the line, 12 and 13 after the name
		for _, f := range fields[11:13] {
			n, err := strconv.ParseInt(f, 10, 64)
			if err != nil {
				t.Fatalf("parsing /proc/%d/stat: %v", pid, err)
			}
			ticks += n
		}
	}
	return time.Duration(ticks) * time.Second / 100 // USER_HZ is 100 on Linux
}
