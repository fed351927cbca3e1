//go:build faults

package faults

import (
	"os"
	"testing"
	"time"
)

// budget is how much of each scenario a run affords, and the bounds its figures are held to.
//
// HL_FAULTS_BUDGET chooses one: "full" (the default, for a developer's machine: longer loads, 20
// WAL-replay restarts) or "ci" (a fixed short one: the whole suite in about 10 minutes on 2 cores).
// These variables override a part of it:
//
//	HL_FAULTS_WRITERS      concurrent writers                              (12)
//	HL_FAULTS_LOAD         load before each fault: the throughput baseline (ci 8s, full 20s)
//	HL_FAULTS_DOWN         how long a killed node stays down under load    (ci 5s, full 15s)
//	HL_FAULTS_AFTER        load at least this long after the node is back  (ci 5s, full 15s)
//	HL_FAULTS_RESTARTS     WAL-replay restarts                             (ci 5, full 20)
//	HL_FAULTS_RECOVERY     bound: fault to throughput back at 80%          (60s)
//	HL_FAULTS_NEXT_COMMIT  bound: fault to the next commit, when the fault
//	                       leaves a quorum of orderers and 2 of 3 peers    (10s)
//	HL_FAULTS_ELECTION_SLACK  bound: the new Raft leader's election to the
//	                       next commit, after the leader is killed         (5s)
//	HL_FAULTS_CATCHUP      bound: 'network.sh start' back in consensus     (180s)
type budget struct {
	name     string
	writers  int
	load     time.Duration
	down     time.Duration
	after    time.Duration
	restarts int

	maxRecovery      time.Duration
	maxNextCommit    time.Duration
	maxAfterElection time.Duration
	catchup          time.Duration
}

// loadBudget reads the budget from the environment.
func loadBudget(t *testing.T) budget {
	t.Helper()
	b := budget{name: "full", writers: 12, load: 20 * time.Second, down: 15 * time.Second,
		after: 15 * time.Second, restarts: 20}
	switch v := os.Getenv("HL_FAULTS_BUDGET"); v {
	case "", "full":
	case "ci":
		b = budget{name: "ci", writers: 12, load: 8 * time.Second, down: 5 * time.Second,
			after: 5 * time.Second, restarts: 5}
	default:
		t.Fatalf("HL_FAULTS_BUDGET must be ci or full, not %q", v)
	}
	b.writers = envInt(t, "HL_FAULTS_WRITERS", b.writers)
	b.load = envDuration(t, "HL_FAULTS_LOAD", b.load)
	b.down = envDuration(t, "HL_FAULTS_DOWN", b.down)
	b.after = envDuration(t, "HL_FAULTS_AFTER", b.after)
	b.restarts = envInt(t, "HL_FAULTS_RESTARTS", b.restarts)
	b.maxRecovery = envDuration(t, "HL_FAULTS_RECOVERY", 60*time.Second)
	b.maxNextCommit = envDuration(t, "HL_FAULTS_NEXT_COMMIT", 10*time.Second)
	b.maxAfterElection = envDuration(t, "HL_FAULTS_ELECTION_SLACK", 5*time.Second)
	b.catchup = envDuration(t, "HL_FAULTS_CATCHUP", 180*time.Second)
	return b
}
