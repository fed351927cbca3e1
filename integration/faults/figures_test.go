//go:build faults

package faults

import (
	"cmp"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// figures is one scenario's row of the table.
type figures struct {
	scenario string
	writers  int
	acked    int
	failed   int
	// lost: acknowledged, but absent on some peer at the end.
	lost int
	// twice: a call's key counted 2 or more on some peer: two valid commits of one call.
	twice int
	// failedPresent: the call returned an error, yet its write is on every peer (allowed: the error
	// came after the transaction was handed over, and it committed).
	failedPresent int
	// diverged: a call's key present on some peers and absent on others at the end.
	diverged int
	// nextCommit: from the fault to the first commit of a call that started after the fault;
	// negative when there was none.
	nextCommit time.Duration
	// recovered: from the fault to the first commit of the first recoveryWindow whose throughput is
	// at least 80% of the rate before the fault; negative when there was none.
	recovered time.Duration
	// back: how long 'network.sh start' took to have the node back (healthy, and for an orderer or a
	// peer, in consensus and caught up); zero when no node was started.
	back time.Duration
	// base is the rate before the fault, in acknowledged calls a second.
	base  float64
	notes []string
	// firstFailure is the first error message of each kind of failure, for the log.
	firstFailure map[string]string
	// timeline is the calls acknowledged and failed in each second around the fault, for the log.
	timeline string
}

// recoveryWindow is the span over which the throughput after a fault is compared with the rate
// before it.
const recoveryWindow = 3 * time.Second

// rampUp is the start of a load that the rate before the fault leaves out: clients connecting, and
// the first endorsements of a chaincode on each peer.
const rampUp = 2 * time.Second

// baseFrom is where the rate before a fault is measured from: after the load's ramp-up, unless that
// leaves less than 3 s.
func baseFrom(loadStart, fault time.Time) time.Time {
	if from := loadStart.Add(rampUp); fault.Sub(from) >= 3*time.Second {
		return from
	}
	return loadStart
}

// baseRate is the rate of acknowledged calls between from and to, per second.
func baseRate(calls []*call, from, to time.Time) float64 {
	n := 0
	for _, c := range calls {
		if c.acked() && !c.end.Before(from) && c.end.Before(to) {
			n++
		}
	}
	return float64(n) / to.Sub(from).Seconds()
}

// nextCommit returns the time from the fault to the first acknowledgement of a call that started
// after it (in flight calls may have been ordered before the fault), and false when there was none.
func nextCommit(calls []*call, fault time.Time, org string) (time.Duration, bool) {
	var first time.Time
	for _, c := range calls {
		if c.acked() && !c.start.Before(fault) && (org == "" || c.org == org) && (first.IsZero() || c.end.Before(first)) {
			first = c.end
		}
	}
	if first.IsZero() {
		return -1, false
	}
	return first.Sub(fault), true
}

// firstAckAfter returns the time from t to the first acknowledgement after t of a call of org's
// writers ("" for any), and false when there was none.
func firstAckAfter(calls []*call, t time.Time, org string) (time.Duration, bool) {
	var first time.Time
	for _, c := range calls {
		if c.acked() && c.end.After(t) && (org == "" || c.org == org) && (first.IsZero() || c.end.Before(first)) {
			first = c.end
		}
	}
	if first.IsZero() {
		return -1, false
	}
	return first.Sub(t), true
}

// recoveredAfter returns the time from the fault to the first commit of the first window
// [T, T+recoveryWindow) (T in steps of 250 ms from the fault) whose rate is at least 80% of base,
// looking only at windows that ended by now; false when there is none yet.
func recoveredAfter(calls []*call, fault time.Time, base float64, now time.Time) (time.Duration, bool) {
	var ends []time.Time
	for _, c := range calls {
		if c.acked() && !c.end.Before(fault) {
			ends = append(ends, c.end)
		}
	}
	slices.SortFunc(ends, func(a, b time.Time) int { return a.Compare(b) })
	need := 0.8 * base * recoveryWindow.Seconds()
	lo, hi := 0, 0
	for t := fault; !t.Add(recoveryWindow).After(now); t = t.Add(250 * time.Millisecond) {
		for lo < len(ends) && ends[lo].Before(t) {
			lo++
		}
		for hi < len(ends) && ends[hi].Before(t.Add(recoveryWindow)) {
			hi++
		}
		if float64(hi-lo) >= need && hi > lo {
			return ends[lo].Sub(fault), true
		}
	}
	return -1, false
}

// lowestWindow returns the lowest rate over a recoveryWindow (in steps of 250 ms) from the fault to
// stopped, and where that window starts, counted from the fault. A dip that comes later than the
// fault itself (a restarted node catching up) shows here, not in recoveredAfter.
func lowestWindow(calls []*call, fault, stopped time.Time) (float64, time.Duration) {
	var ends []time.Time
	for _, c := range calls {
		if c.acked() && !c.end.Before(fault) {
			ends = append(ends, c.end)
		}
	}
	slices.SortFunc(ends, func(a, b time.Time) int { return a.Compare(b) })
	lowest, at := -1.0, time.Duration(0)
	lo, hi := 0, 0
	for t := fault; !t.Add(recoveryWindow).After(stopped); t = t.Add(250 * time.Millisecond) {
		for lo < len(ends) && ends[lo].Before(t) {
			lo++
		}
		for hi < len(ends) && ends[hi].Before(t.Add(recoveryWindow)) {
			hi++
		}
		if r := float64(hi-lo) / recoveryWindow.Seconds(); lowest < 0 || r < lowest {
			lowest, at = r, t.Sub(fault)
		}
	}
	return max(lowest, 0), at
}

// longestPause is the longest time between two consecutive acknowledgements from from to to.
func longestPause(calls []*call, from, to time.Time) time.Duration {
	ends := []time.Time{from, to}
	for _, c := range calls {
		if c.acked() && c.end.After(from) && c.end.Before(to) {
			ends = append(ends, c.end)
		}
	}
	slices.SortFunc(ends, func(a, b time.Time) int { return a.Compare(b) })
	var longest time.Duration
	for i := 1; i < len(ends); i++ {
		longest = max(longest, ends[i].Sub(ends[i-1]))
	}
	return longest
}

// measure fills the figures that the calls alone give (the verifier adds the ledger's side).
func measure(name string, writers int, calls []*call, loadStart, fault, stopped time.Time) *figures {
	f := &figures{scenario: name, writers: writers, firstFailure: map[string]string{}}
	kinds, byOrg := map[string]int{}, map[string]int{}
	resent := 0
	for _, c := range calls {
		if c.acked() {
			f.acked++
			if c.resends > 0 {
				resent++
			}
		} else {
			f.failed++
			kind := failureKind(c.err)
			kinds[kind]++
			byOrg[c.org]++
			if _, ok := f.firstFailure[kind]; !ok {
				f.firstFailure[kind] = fmt.Sprintf("%s (writer %d via %s, %s after the load began)", c.err, c.writer, c.org, c.end.Sub(loadStart).Round(100*time.Millisecond))
			}
		}
	}
	f.base = baseRate(calls, baseFrom(loadStart, fault), fault)
	f.nextCommit, _ = nextCommit(calls, fault, "")
	f.recovered, _ = recoveredAfter(calls, fault, f.base, stopped)
	f.notes = append(f.notes, fmt.Sprintf("%.0f tx/s before", f.base))
	if low, at := lowestWindow(calls, fault, stopped); f.base > 0 {
		f.note("lowest 3 s after the fault %.0f%% (from +%.1f s)", 100*low/f.base, at.Seconds())
	}
	f.note("longest pause %.1f s", longestPause(calls, fault.Add(-time.Second), stopped).Seconds())
	if resent > 0 {
		f.notes = append(f.notes, fmt.Sprintf("%d acked after a resend", resent))
	}
	if len(kinds) > 0 {
		names := slices.SortedFunc(maps.Keys(kinds), func(a, b string) int {
			return cmp.Or(cmp.Compare(kinds[b], kinds[a]), strings.Compare(a, b))
		})
		var parts []string
		for _, k := range names {
			parts = append(parts, fmt.Sprintf("%d %s", kinds[k], k))
		}
		var orgs []string
		for _, o := range slices.Sorted(maps.Keys(byOrg)) {
			orgs = append(orgs, fmt.Sprintf("%s %d", o, byOrg[o]))
		}
		f.notes = append(f.notes, "failures: "+strings.Join(parts, ", ")+" (through "+strings.Join(orgs, ", ")+")")
	}
	f.timeline = timeline(calls, fault, stopped)
	return f
}

// timeline is the calls that ended in each second from 3 s before the fault to stopped, as
// "second:acked/failed" (seconds counted from the fault), for the log.
func timeline(calls []*call, fault, stopped time.Time) string {
	first, last := -3, int(stopped.Sub(fault)/time.Second)
	acked := make([]int, last-first+1)
	failed := make([]int, last-first+1)
	for _, c := range calls {
		d := c.end.Sub(fault)
		i := int(d/time.Second) - first
		if d < 0 {
			i--
		}
		if i < 0 || i >= len(acked) {
			continue
		}
		if c.acked() {
			acked[i]++
		} else {
			failed[i]++
		}
	}
	parts := make([]string, len(acked))
	for i := range acked {
		parts[i] = fmt.Sprintf("%d:%d/%d", i+first, acked[i], failed[i])
	}
	return strings.Join(parts, " ")
}

func (f *figures) note(format string, args ...any) {
	f.notes = append(f.notes, fmt.Sprintf(format, args...))
}

// tableHeader is the head of the figures table, in Markdown.
const tableHeader = "| scenario | writers | acked | failed | lost | committed twice | failed but present | fault → next commit (s) | fault → 80% throughput (s) | node back (s) | notes |\n" +
	"|---|---|---|---|---|---|---|---|---|---|---|\n"

// row is the figures as a row of the table.
func (f *figures) row() string {
	secs := func(d time.Duration, none string) string {
		if d < 0 {
			return none
		}
		return fmt.Sprintf("%.1f", d.Seconds())
	}
	back := "-"
	if f.back > 0 {
		back = secs(f.back, "-")
	}
	if f.writers == 0 { // no load: a row of node figures only
		return fmt.Sprintf("| %s | - | - | - | - | - | - | - | - | %s | %s |\n", f.scenario, back, strings.Join(f.notes, "; "))
	}
	return fmt.Sprintf("| %s | %d | %d | %d | %d | %d | %d | %s | %s | %s | %s |\n", f.scenario, f.writers,
		f.acked, f.failed, f.lost, f.twice, f.failedPresent,
		secs(f.nextCommit, "none"), secs(f.recovered, "never"), back, strings.Join(f.notes, "; "))
}

// logFailures logs the first error of each kind of failure.
func logFailures(t *testing.T, f *figures) {
	t.Helper()
	for _, k := range slices.Sorted(maps.Keys(f.firstFailure)) {
		t.Logf("first %s failure: %s", k, f.firstFailure[k])
	}
}

// report logs the row and appends it to the file HL_FAULTS_REPORT names, if any, writing the table's
// head first when the file is new.
func report(t *testing.T, f *figures) {
	t.Helper()
	logFailures(t, f)
	if f.timeline != "" {
		t.Logf("calls ended per second from the fault (s:acked/failed): %s", f.timeline)
	}
	t.Logf("figures:\n%s%s", tableHeader, f.row())
	path := os.Getenv("HL_FAULTS_REPORT")
	if path == "" {
		return
	}
	out, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Errorf("HL_FAULTS_REPORT: %v", err)
		return
	}
	defer out.Close()
	text := f.row()
	if st, err := out.Stat(); err == nil && st.Size() == 0 {
		text = tableHeader + text
	}
	if _, err := out.WriteString(text); err != nil {
		t.Errorf("HL_FAULTS_REPORT: %v", err)
	}
}
