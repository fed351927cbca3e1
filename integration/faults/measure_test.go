//go:build faults

package faults

import (
	"errors"
	"testing"
	"time"
)

// These tests check the suite's own arithmetic on made-up calls; they need no network
// (go test -tags faults -run 'TestFigures|TestTally' ./integration/faults/).

var t0 = time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)

func at(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }

// steady returns acknowledged calls of one writer, one every step seconds from `from` to `to`,
// each lasting step seconds.
func steady(from, to, step float64) []*call {
	var out []*call
	for i := 0; from+float64(i)*step < to-step/2; i++ {
		s := from + float64(i)*step
		out = append(out, &call{org: "hospital", start: at(s), end: at(s + step)})
	}
	return out
}

func TestFiguresOfAFaultWithAStall(t *testing.T) {
	// 10 calls a second until the fault at 10 s, nothing until 16 s, then 10 a second again; one call
	// in flight at the fault commits at 16.5 s, and one call fails.
	calls := append(steady(0, 10, 0.1), steady(16, 30, 0.1)...)
	calls = append(calls,
		&call{org: "pharma", start: at(9.95), end: at(16.5)},
		&call{org: "pharma", start: at(12), end: at(13), err: errors.New("unavailable")})
	fault := at(10)

	f := measure("stall", 1, calls, at(0), fault, at(30))
	tests := []struct {
		name string
		got  float64
		want float64
	}{
		{"the rate before leaves out the ramp-up", f.base, 10},
		{"the next commit is the first call started after the fault", f.nextCommit.Seconds(), 6.1},
		{"the throughput is back at the first commit of the first window at 80%", f.recovered.Seconds(), 6.1},
		{"acknowledged calls are counted", float64(f.acked), 241},
		{"failed calls are counted", float64(f.failed), 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := tc.got - tc.want; diff > 0.01 || diff < -0.01 {
				t.Errorf("got %.2f, want %.2f", tc.got, tc.want)
			}
		})
	}
	if d, ok := nextCommit(calls, fault, "pharma"); ok {
		t.Errorf("pharma's only call after the fault failed, yet a next commit %s", d)
	}
	if p := longestPause(calls, fault, at(30)); p < 6*time.Second || p > 6200*time.Millisecond {
		t.Errorf("longest pause %s, want 6.1 s (the fault to the first commit after the stall)", p)
	}
	if low, from := lowestWindow(calls, fault, at(30)); low != 0 || from > 3*time.Second {
		t.Errorf("lowest window %.1f/s from %s, want 0 from the start of the stall", low, from)
	}
}

func TestFiguresOfAFaultWithoutEffect(t *testing.T) {
	calls := steady(0, 20, 0.1)
	f := measure("none", 1, calls, at(0), at(10), at(20))
	if f.nextCommit < 0 || f.nextCommit > 200*time.Millisecond {
		t.Errorf("next commit %s, want within 0.2 s", f.nextCommit)
	}
	if f.recovered != 0 {
		t.Errorf("recovered after %s, want 0: the throughput never dropped", f.recovered)
	}
}

func TestFiguresOfAFaultNeverRecovered(t *testing.T) {
	calls := append(steady(0, 10, 0.1), steady(10, 20, 0.5)...)
	f := measure("slow", 1, calls, at(0), at(10), at(20))
	if f.recovered >= 0 {
		t.Errorf("recovered after %s at a fifth of the rate", f.recovered)
	}
	if row := f.row(); row == "" {
		t.Error("no row")
	}
}

func TestTallyClassifiesEveryCall(t *testing.T) {
	fail := errors.New("deadline")
	calls := []*call{
		{key: "ok"},
		{key: "lost-on-one-peer"},
		{key: "twice", err: nil},
		{key: "failed-absent", err: fail},
		{key: "failed-present", err: fail},
		{key: "failed-diverged", err: fail},
	}
	counts := [][]int{{1, 1, 1}, {1, 0, 1}, {2, 2, 2}, {0, 0, 0}, {1, 1, 1}, {0, 1, 0}}
	var f figures
	examples := tally(calls, counts, &f)
	if f.lost != 1 || f.twice != 1 || f.failedPresent != 1 || f.diverged != 1 {
		t.Errorf("lost %d, twice %d, failed but present %d, diverged %d; want 1 of each", f.lost, f.twice, f.failedPresent, f.diverged)
	}
	if len(examples) != 3 {
		t.Errorf("%d examples, want one per problem (lost, twice, diverged): %q", len(examples), examples)
	}
}
