//go:build faults

package faults

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestOrdererRejoinsAfterWALReplay is the regression test for the etcdraft WAL replay deadlock
// (fabric#4199; our patch: network/fabric/patches/0001-etcdraft-wal-deadlock.patch). An orderer whose
// Raft WAL holds a few MB of blocks and the channel's config changes, with no Raft snapshot, is
// killed with SIGKILL and restarted, again and again. Every time, its replay must finish and it must
// rejoin: the cluster commits a new transaction and the orderer's channel height equals the others'.
//
// Unpatched, the replay hangs in most restarts: the log stops at "switched to configuration
// voters=(1)" or "(1 2)", and a goroutine dump shows node.run sending on applyC while Chain.apply
// sends on WALSyncC. On a hang the test takes that dump (SIGQUIT), reports it, and goes on with the
// next restart, so that one run counts the hangs.
//
// Environment: HL_FAULTS_RESTARTS (default: the budget's, 20, or 5 with HL_FAULTS_BUDGET=ci),
// HL_FAULTS_WAL_MB (MB written before the restarts, default 8), HL_FAULTS_REJOIN_TIMEOUT (how long a
// restarted orderer may take to rejoin, default 120s), HL_FAULTS_VICTIM (the orderer to restart,
// default the last one).
func TestOrdererRejoinsAfterWALReplay(t *testing.T) {
	restarts := loadBudget(t).restarts
	walMB := envInt(t, "HL_FAULTS_WAL_MB", 8)
	rejoinTimeout := envDuration(t, "HL_FAULTS_REJOIN_TIMEOUT", 120*time.Second)

	// A snapshot interval far above what the test writes: the WAL keeps every entry since the
	// channel began, config changes included, as on a network before its first snapshot.
	c := startCluster(t, "HL_SNAPSHOT_INTERVAL_SIZE=100 MB")
	victim := c.orderers[len(c.orderers)-1]
	if name := os.Getenv("HL_FAULTS_VICTIM"); name != "" {
		if victim = c.orderer(name); victim == nil {
			t.Fatalf("HL_FAULTS_VICTIM=%s: no such orderer", name)
		}
	}
	restartCmd := []string{"up", "--no-deploy"}
	if c.hasCommand("start") {
		restartCmd = []string{"start", victim.name}
	}
	t.Logf("victim %s, %d restarts with 'network.sh %s', rejoin within %s", victim.name, restarts, strings.Join(restartCmd, " "), rejoinTimeout)

	gw, err := c.connect()
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()

	// The gateway can take a while to see every org's peer (gossip): retry the first submit.
	if err := retrySubmit(t, gw, 2*time.Minute, "Write", "walreplay-ready", "1"); err != nil {
		t.Fatalf("the network never committed a first transaction: %v", err)
	}
	start := time.Now()
	for i := 0; i < walMB; i++ {
		if err := retrySubmit(t, gw, time.Minute, "WriteSized", fmt.Sprintf("walreplay-%d", i), strconv.Itoa(1<<20)); err != nil {
			t.Fatalf("writing MB %d of %d: %v", i+1, walMB, err)
		}
	}
	t.Logf("wrote %d MB through %s's gateway in %s", walMB, gw.org, time.Since(start).Round(100*time.Millisecond))
	if _, err := c.waitEqualHeights(context.Background(), time.Minute, nil, 0); err != nil {
		t.Fatal(err)
	}
	ledger, _ := dirSize(victim.ledgerDir, "")
	snapBytes, snaps := dirSize(victim.snapDir, ".snap")
	t.Logf("%s before the restarts: ledger %.1f MB, %d Raft snapshots (%d bytes)", victim.name, float64(ledger)/(1<<20), snaps, snapBytes)
	if snaps > 0 {
		t.Fatalf("%s has a Raft snapshot already: its WAL replay would skip the config changes, which this test is about", victim.name)
	}

	var hangs []int
	var rejoinTimes []time.Duration
	for i := 1; i <= restarts; i++ {
		before := c.heights(context.Background())[victim.name]
		if c.pidOf(victim.name) != 0 {
			if err := c.signal(victim.name, syscall.SIGKILL, 10*time.Second); err != nil {
				t.Fatalf("restart %d: %v", i, err)
			}
		}
		killed := time.Now()
		// 'network.sh start' waits until the orderer is back in the Raft cluster, at most
		// HL_CATCHUP_TIMEOUT seconds: a hung replay makes it fail with the orderer still running.
		catchup := fmt.Sprintf("HL_CATCHUP_TIMEOUT=%d", int(rejoinTimeout.Seconds()))
		out, err := c.networkEnv([]string{catchup}, rejoinTimeout+5*time.Minute, restartCmd...)
		c.recordPids()
		if err != nil && c.pidOf(victim.name) == 0 {
			t.Fatalf("restart %d: %v, and %s is not running\n%s", i, err, victim.name, out)
		}
		if err == nil {
			err = c.waitRejoin(t, gw, victim, before, rejoinTimeout, fmt.Sprintf("walreplay-after-%d", i))
		} else {
			err = fmt.Errorf("%w\n%s", err, strings.TrimSpace(out))
		}
		if err == nil {
			// The point of the test: the replay applied the channel's Raft config changes again.
			if !votersRe.MatchString(c.logSinceStart(victim.name)) {
				t.Errorf("restart %d: %s's log has no 'switched to configuration' line: its replay did not go through the config changes this test is about", i, victim.name)
			}
			rejoinTimes = append(rejoinTimes, time.Since(killed))
			t.Logf("restart %d/%d: %s replayed its WAL and rejoined %s after the kill", i, restarts, victim.name, time.Since(killed).Round(100*time.Millisecond))
			continue
		}
		hangs = append(hangs, i)
		t.Logf("restart %d/%d: HUNG: %v", i, restarts, err)
		t.Logf("restart %d/%d: %s", i, restarts, c.hangEvidence(victim.name))
	}

	_, snaps = dirSize(victim.snapDir, ".snap")
	if snaps > 0 {
		t.Errorf("%s took a Raft snapshot during the test: later restarts did not replay the config changes", victim.name)
	}
	var slowest time.Duration
	for _, d := range rejoinTimes {
		slowest = max(slowest, d)
	}
	t.Logf("%d restarts: %d rejoined (slowest %s), %d hung %v", restarts, len(rejoinTimes), slowest.Round(100*time.Millisecond), len(hangs), hangs)
	f := &figures{scenario: fmt.Sprintf("WAL replay: %s SIGKILL, start, %d times (%d MB, no snapshot)", victim.name, restarts, walMB), back: slowest}
	f.note("%d of %d rejoined, kill to rejoined %s", len(rejoinTimes), restarts, spread(rejoinTimes))
	if len(hangs) > 0 {
		f.note("%d hung (restarts %v)", len(hangs), hangs)
	} else {
		f.note("none hung")
	}
	report(t, f)
	if len(hangs) > 0 {
		t.Errorf("%d of %d WAL replays of %s hung (restarts %v): the etcdraft WAL deadlock (fabric#4199); is network/fabric/bin built with network/fabric/patches?", len(hangs), restarts, victim.name, hangs)
	}
}

// retrySubmit submits until one commits or within ends, 30 s per try.
func retrySubmit(t *testing.T, gw *gateway, within time.Duration, fn string, args ...string) error {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := gw.submit(ctx, fn, args...)
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no commit within %s: %w", within, err)
		}
		time.Sleep(time.Second)
	}
}

// waitRejoin waits until the restarted victim is part of the cluster again: a new transaction
// commits, and the victim's height goes past before and equals every other orderer's. (Its height
// alone says nothing: a hung orderer keeps the height its ledger had.)
func (c *cluster) waitRejoin(t *testing.T, gw *gateway, victim *orderer, before uint64, within time.Duration, key string) error {
	t.Helper()
	start := time.Now()
	if err := retrySubmit(t, gw, within, "Write", key, start.UTC().Format(time.RFC3339Nano)); err != nil {
		return fmt.Errorf("the cluster did not commit with %s restarted: %w", victim.name, err)
	}
	_, err := c.waitEqualHeights(context.Background(), within-time.Since(start), victim, before)
	return err
}

// waitEqualHeights waits until every orderer answers with the same channel height, which for victim
// (if any) must exceed above, and returns it.
func (c *cluster) waitEqualHeights(ctx context.Context, within time.Duration, victim *orderer, above uint64) (uint64, error) {
	deadline := time.Now().Add(within)
	var hs map[string]uint64
	for {
		hs = c.heights(ctx)
		if len(hs) == len(c.orderers) {
			var h uint64
			equal := true
			for _, v := range hs {
				if h == 0 {
					h = v
				}
				equal = equal && v == h
			}
			if equal && (victim == nil || hs[victim.name] > above) {
				return h, nil
			}
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("channel heights never became equal within %s: %v (%s had %d before its restart)", within.Round(time.Second), hs, nameOf(victim), above)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// spread describes durations as "min-max s (median m s)".
func spread(ds []time.Duration) string {
	if len(ds) == 0 {
		return "none"
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return fmt.Sprintf("%.1f-%.1f s (median %.1f s)", s[0].Seconds(), s[len(s)-1].Seconds(), s[len(s)/2].Seconds())
}

func nameOf(o *orderer) string {
	if o == nil {
		return "none"
	}
	return o.name
}

var votersRe = regexp.MustCompile(`switched to configuration voters=\(([0-9 ]*)\)`)

// hangEvidence describes a hung replay: the last Raft configuration the victim's log reached, and
// the etcdraft goroutines of the dump that SIGQUIT makes it print (it exits then).
func (c *cluster) hangEvidence(name string) string {
	log := c.logSinceStart(name)
	last := "no 'switched to configuration' line"
	if m := votersRe.FindAllStringSubmatch(log, -1); len(m) > 0 {
		last = "last Raft configuration in its log: voters=(" + m[len(m)-1][1] + ")"
	}
	if err := c.signal(name, syscall.SIGQUIT, 30*time.Second); err != nil {
		if err := c.signal(name, syscall.SIGKILL, 10*time.Second); err != nil {
			return last + "; " + err.Error()
		}
		return last + "; no goroutine dump (SIGQUIT did not end it; killed)"
	}
	stuck := etcdraftGoroutines(c.logSinceStart(name))
	if len(stuck) == 0 {
		return last + "; the goroutine dump shows no etcdraft node.run or Chain.apply goroutine"
	}
	return last + "; goroutine dump:\n    " + strings.Join(stuck, "\n    ")
}

// etcdraftGoroutines picks from a Go goroutine dump the goroutines in etcdraft's node.run or
// Chain.apply: each as its state and its topmost etcdraft frame with the file and line.
func etcdraftGoroutines(dump string) []string {
	var out []string
	for _, block := range strings.Split(dump, "\n\n") {
		block = strings.TrimSpace(block)
		if !strings.HasPrefix(block, "goroutine ") ||
			!(strings.Contains(block, "etcdraft.(*node).run(") || strings.Contains(block, "etcdraft.(*Chain).apply(")) {
			continue
		}
		lines := strings.Split(block, "\n")
		desc := strings.TrimSuffix(lines[0], ":")
		for j := 1; j+1 < len(lines); j++ {
			if strings.Contains(lines[j], "etcdraft.(") {
				fn := lines[j]
				if k := strings.LastIndex(fn, "("); k > 0 {
					fn = fn[:k]
				}
				fn = fn[strings.LastIndex(fn, "/")+1:]
				loc := strings.Fields(strings.TrimSpace(lines[j+1]))
				if len(loc) > 0 {
					desc += ": " + fn + " at " + loc[0][strings.LastIndex(loc[0], "/")+1:]
				}
				break
			}
		}
		out = append(out, desc)
	}
	return out
}
