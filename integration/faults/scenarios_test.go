//go:build faults

package faults

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/healthledger/healthledger/gateway-client/sdk"
)

// TestFaultsUnderLoad runs the crash-tolerance scenarios one after another on one network, each
// under a load of writers that submit through the project's SDK:
//
//   - the Raft leader orderer killed (SIGKILL), then started again;
//   - a follower orderer killed, then started again;
//   - a peer killed (the gateway of a third of the writers), then started again;
//   - a chaincode server killed, then started again, its peer left running;
//   - a Fabric CA stopped while an identity enrolls, then started again;
//   - every process killed at once (a power loss), then 'network.sh up'.
//
// Each scenario reports a row of figures (see figures_test.go) and asserts them: no acknowledged write
// lost on any peer, no call committed twice, the peers agreeing, a next commit and the throughput
// back at 80% within the budget's bounds. Each leaves the network healthy for the next, which checks
// that first. The budget (HL_FAULTS_BUDGET, budget_test.go) sets the load's length.
func TestFaultsUnderLoad(t *testing.T) {
	b := loadBudget(t)
	c := startCluster(t)
	net, err := c.sdkNetwork()
	if err != nil {
		t.Fatal(err)
	}
	s := &suite{c: c, net: net, b: b, run: strconv.FormatInt(time.Now().Unix()%(1<<30), 36)}
	t.Logf("budget %s: %d writers, %s of load before each fault, nodes down %s, %s of load after", b.name, b.writers, b.load, b.down, b.after)
	s.ready(t)

	orgs := net.Orgs()
	first := orgs[0].Name
	t.Run("leader orderer killed", func(t *testing.T) {
		var victim string
		res := s.killUnderLoad(t, "a. Raft leader orderer SIGKILL, start", "leader", func(leader string) string {
			victim = leader
			return leader
		}, "")
		el, ok := elected(c, res.fault, victim)
		if !ok {
			report(t, res.f)
			t.Fatalf("no orderer logged a new Raft leader's election after %s was killed", victim)
		}
		res.f.note("new leader (Raft node %s) elected %.1f s after the kill", el.leader, el.at.Sub(res.fault).Seconds())
		report(t, res.f)
		s.assertCommon(t, res.f)
		if limit := el.at.Sub(res.fault) + b.maxAfterElection; res.f.nextCommit > limit {
			t.Errorf("the first commit after the leader was killed came %.1f s after the kill, %.1f s after the new leader's election (bound: %s after it, HL_FAULTS_ELECTION_SLACK)",
				res.f.nextCommit.Seconds(), (res.f.nextCommit - el.at.Sub(res.fault)).Seconds(), b.maxAfterElection)
		}
	})
	t.Run("follower orderer killed", func(t *testing.T) {
		res := s.killUnderLoad(t, "b. follower orderer SIGKILL, start", "follower", func(leader string) string {
			for _, o := range c.orderers {
				if o.name != leader {
					return o.name
				}
			}
			return ""
		}, "")
		report(t, res.f)
		s.assertCommon(t, res.f)
		s.assertNextCommit(t, res.f)
	})
	t.Run("peer killed", func(t *testing.T) {
		res := s.killUnderLoad(t, "c. peer0-"+first+" SIGKILL, start", "peer", func(string) string { return "peer0-" + first }, first)
		report(t, res.f)
		s.assertCommon(t, res.f)
		s.assertNextCommit(t, res.f)
		if res.orgNext < 0 || res.orgNext > b.maxNextCommit {
			t.Errorf("the writers whose gateway was peer0-%s committed next %.1f s after the kill (negative: never; bound %s, HL_FAULTS_NEXT_COMMIT)", first, res.orgNext.Seconds(), b.maxNextCommit)
		}
	})
	t.Run("chaincode server killed", func(t *testing.T) {
		peer := "peer0-" + first
		before := c.pidOf(peer)
		res := s.killUnderLoad(t, "d. cc-baseline-"+first+" SIGKILL, start", "cc", func(string) string { return "cc-baseline-" + first }, first)
		resumed, ok := firstAckAfter(res.calls, res.back, first)
		if ok {
			res.f.note("%s's writers committed again %.1f s after the server was back", first, resumed.Seconds())
		}
		report(t, res.f)
		s.assertCommon(t, res.f)
		s.assertNextCommit(t, res.f)
		if after := c.pidOf(peer); after != before || after == 0 {
			t.Errorf("%s was restarted or stopped (pid %d before, %d after): the chaincode server's restart must not need the peer's", peer, before, after)
		}
		if !ok || resumed > b.maxNextCommit {
			t.Errorf("%s's writers did not commit within %s of cc-baseline-%s being back (HL_FAULTS_NEXT_COMMIT): first after %.1f s (negative: never)", first, b.maxNextCommit, first, resumed.Seconds())
		}
	})
	t.Run("CA down during enroll", func(t *testing.T) { s.caDown(t, orgs[0]) })
	t.Run("power loss", s.powerLoss)
}

// suite is what the scenarios of one network share.
type suite struct {
	c   *cluster
	net *sdk.Network
	b   budget
	run string // in every key, so that runs on a reused network never share one
}

// prefix is the start of every key a scenario writes.
func (s *suite) prefix(short string) string { return "f" + s.run + "-" + short }

// ready waits until every org's gateway commits a write: at first, peers may not see each other yet
// (gossip).
func (s *suite) ready(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	clients, err := orgClients(ctx, s.net)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, c := range clients {
			_ = c.Close()
		}
	}()
	start := time.Now()
	for _, c := range clients {
		key := s.prefix("ready-" + c.Identity().Org)
		for {
			_, err := c.Contract("baseline").Submit(ctx, "Add", []string{key, "1"})
			if err == nil {
				break
			}
			if time.Since(start) > 2*time.Minute {
				t.Fatalf("%s's gateway never committed a first write: %v", c.Identity().Org, err)
			}
			time.Sleep(time.Second)
		}
	}
	t.Logf("every org's gateway commits (%s)", time.Since(start).Round(100*time.Millisecond))
}

// healthy waits until the network is healthy (a failed scenario may have left a node stopped: then
// 'network.sh up' starts it again once) and returns the Raft leader.
func (s *suite) healthy(t *testing.T) string {
	t.Helper()
	leader, err := s.c.waitHealthy(90 * time.Second)
	if err == nil {
		return leader
	}
	t.Logf("the network is not healthy before the scenario; 'network.sh up' to resume it: %v", err)
	if out, err := s.c.network(10*time.Minute, "up", "--no-deploy"); err != nil {
		t.Fatalf("network.sh up: %v\n%s", err, out)
	}
	s.c.recordPids()
	if leader, err = s.c.waitHealthy(90 * time.Second); err != nil {
		t.Fatal(err)
	}
	return leader
}

// killed is what killUnderLoad saw.
type killed struct {
	f       *figures
	calls   []*call
	fault   time.Time // the SIGKILL
	back    time.Time // 'network.sh start' returned
	orgNext time.Duration
}

// killUnderLoad runs the common course of a node scenario: load, SIGKILL of the node pick chooses
// (given the Raft leader), load while it is down, 'network.sh start' under load, load until the
// throughput is back, then the ledgers checked. org names the writers whose gateway the fault hits
// directly: their next commit after the fault is reported too.
func (s *suite) killUnderLoad(t *testing.T, row, short string, pick func(leader string) string, org string) *killed {
	t.Helper()
	ctx := context.Background()
	victim := pick(s.healthy(t))
	if victim == "" {
		t.Fatal("no node to kill")
	}
	ld := startLoad(ctx, t, s.net, row, s.prefix(short), s.b.writers)
	time.Sleep(s.b.load)
	fault := time.Now()
	if err := s.c.signal(victim, syscall.SIGKILL, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s killed (SIGKILL) under load; down for %s", victim, s.b.down)
	time.Sleep(s.b.down)
	back, err := s.c.start(victim, s.b.catchup)
	if err != nil {
		t.Fatalf("network.sh start %s: %v", victim, err)
	}
	backAt := time.Now()
	t.Logf("%s back after 'network.sh start' took %s", victim, back.Round(100*time.Millisecond))
	base := baseRate(ld.snapshot(), baseFrom(ld.started, fault), fault)
	ld.runUntil(fault, base, backAt.Add(s.b.after), later(fault.Add(s.b.maxRecovery+recoveryWindow), backAt.Add(s.b.after)))
	if err := ld.finish(2 * time.Minute); err != nil {
		t.Error(err)
	}
	calls := ld.snapshot()
	f := measure(row, s.b.writers, calls, ld.started, fault, ld.stopped)
	f.back = back
	res := &killed{f: f, calls: calls, fault: fault, back: backAt, orgNext: -1}
	if org != "" {
		res.orgNext, _ = nextCommit(calls, fault, org)
		f.note("%s's writers' next commit %.1f s after the fault", org, res.orgNext.Seconds())
	}
	s.verify(t, calls, f)
	return res
}

// verify waits until every orderer and peer has the same height, then reads every call's key on
// every peer, filling f.
func (s *suite) verify(t *testing.T, calls []*call, f *figures) {
	t.Helper()
	ctx := context.Background()
	v, err := newVerifier(ctx, s.net)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	h, err := v.waitConverged(ctx, s.c, 2*time.Minute)
	if err != nil {
		report(t, f)
		t.Fatal(err)
	}
	start := time.Now()
	examples, err := v.check(ctx, calls, f)
	if err != nil {
		report(t, f)
		t.Fatal(err)
	}
	t.Logf("every orderer and peer at height %d; %d keys read on %d peers in %s", h, len(calls), len(v.readers), time.Since(start).Round(100*time.Millisecond))
	for _, e := range examples {
		t.Log(e)
	}
}

// assertCommon holds every scenario's figures to the common bounds.
func (s *suite) assertCommon(t *testing.T, f *figures) {
	t.Helper()
	if f.acked == 0 {
		t.Errorf("no call was acknowledged")
	}
	if f.lost != 0 {
		t.Errorf("%d acknowledged writes are missing on some peer", f.lost)
	}
	if f.twice != 0 {
		t.Errorf("%d calls committed twice", f.twice)
	}
	if f.diverged != 0 {
		t.Errorf("%d failed calls' writes are on some peers and not on others", f.diverged)
	}
	if f.recovered < 0 || f.recovered > s.b.maxRecovery {
		t.Errorf("the throughput was not back at 80%% of %.0f tx/s within %s of the fault (HL_FAULTS_RECOVERY): %.1f s (negative: never)", f.base, s.b.maxRecovery, f.recovered.Seconds())
	}
}

// assertNextCommit holds a fault that leaves a quorum of orderers and 2 of 3 peers to the next-commit
// bound.
func (s *suite) assertNextCommit(t *testing.T, f *figures) {
	t.Helper()
	if f.nextCommit < 0 || f.nextCommit > s.b.maxNextCommit {
		t.Errorf("the next commit came %.1f s after the fault (negative: never); bound %s (HL_FAULTS_NEXT_COMMIT)", f.nextCommit.Seconds(), s.b.maxNextCommit)
	}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// election is a Raft leader's election that an orderer logged.
type election struct {
	at     time.Time
	leader string // the Raft node id
}

var (
	ansiRe     = regexp.MustCompile("\x1b\\[[0-9;]*m")
	electionRe = regexp.MustCompile(`(?m)^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) UTC .*elected leader (\d+) at term`)
)

// elected finds the first election of a leader that an orderer other than victim logged after the
// fault.
func elected(c *cluster, fault time.Time, victim string) (election, bool) {
	var first election
	for _, o := range c.orderers {
		if o.name == victim {
			continue
		}
		raw, err := os.ReadFile(fmt.Sprintf("%s/logs/%s.log", c.netdir, o.name))
		if err != nil {
			continue
		}
		for _, m := range electionRe.FindAllStringSubmatch(ansiRe.ReplaceAllString(string(raw), ""), -1) {
			at, err := time.ParseInLocation("2006-01-02 15:04:05.000", m[1], time.UTC)
			if err != nil || at.Before(fault.Truncate(time.Millisecond)) || m[2] == "0" {
				continue
			}
			if first.at.IsZero() || at.Before(first.at) {
				first = election{at: at, leader: m[2]}
			}
		}
	}
	return first, !first.at.IsZero()
}

// trim shortens an error message for a table cell.
func trim(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
