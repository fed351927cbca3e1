//go:build faults

package faults

import (
	"context"
	"strings"
	"testing"
	"time"
)

// powerLoss is scenario f: every process of the network killed with SIGKILL at once under load (a
// power loss, as the processes see it; the machine's page cache survives, see docs/reliability.md),
// then 'network.sh up'. The writers keep going through the outage with the same clients. Every
// acknowledged write must be on every peer afterwards, and the network must commit again: the
// writers' next commit within the next-commit bound of 'up' returning, and the throughput back at 80%
// within the recovery bound of it.
func (s *suite) powerLoss(t *testing.T) {
	ctx := context.Background()
	s.healthy(t)
	row := "f. power loss: every process SIGKILL, up --no-deploy"
	ld := startLoad(ctx, t, s.net, row, s.prefix("power"), s.b.writers)
	time.Sleep(s.b.load)
	fault := time.Now()
	names, err := s.c.killAll(10 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("SIGKILL to %d processes at once: %s", len(names), strings.Join(names, " "))
	time.Sleep(s.b.down)

	// --no-deploy: with nothing running, 'up' would deploy every chaincode again (the others this
	// network never had, and baseline anew if its source changed since); it starts the chaincode
	// servers that ran, with the packages they ran, either way.
	begin := time.Now()
	var out string
	for try := 1; ; try++ {
		out, err = s.c.network(15*time.Minute, "up", "--no-deploy")
		s.c.recordPids()
		if err == nil || try == 3 || !strings.Contains(out, "address already in use") {
			break
		}
		t.Logf("network.sh up: a port was taken while starting (try %d); again", try)
	}
	upTook := time.Since(begin)
	upAt := time.Now()
	if err != nil {
		_ = ld.finish(2 * time.Minute)
		t.Fatalf("network.sh up after the power loss: %v\n%s", err, out)
	}
	t.Logf("network.sh up took %s", upTook.Round(100*time.Millisecond))

	base := baseRate(ld.snapshot(), baseFrom(ld.started, fault), fault)
	ld.runUntil(fault, base, upAt.Add(s.b.after), upAt.Add(s.b.after+s.b.maxRecovery))
	if err := ld.finish(2 * time.Minute); err != nil {
		t.Error(err)
	}
	calls := ld.snapshot()
	f := measure(row, s.b.writers, calls, ld.started, fault, ld.stopped)
	f.back = upTook
	afterUp, ok := firstAckAfter(calls, upAt, "")
	if ok {
		f.note("first commit %.1f s after 'up' returned", afterUp.Seconds())
	}
	s.verify(t, calls, f)
	report(t, f)

	if f.acked == 0 {
		t.Errorf("no call was acknowledged")
	}
	if f.lost != 0 {
		t.Errorf("%d acknowledged writes are missing on some peer after the power loss", f.lost)
	}
	if f.twice != 0 {
		t.Errorf("%d calls committed twice", f.twice)
	}
	if f.diverged != 0 {
		t.Errorf("%d failed calls' writes are on some peers and not on others", f.diverged)
	}
	if !ok || afterUp > s.b.maxNextCommit {
		t.Errorf("no commit within %s of 'network.sh up' returning (HL_FAULTS_NEXT_COMMIT): first after %.1f s (negative: never)", s.b.maxNextCommit, afterUp.Seconds())
	}
	if f.recovered < 0 || f.recovered-upAt.Sub(fault) > s.b.maxRecovery {
		t.Errorf("the throughput was not back at 80%% of %.0f tx/s within %s of 'up' returning (HL_FAULTS_RECOVERY): %.1f s after the fault, 'up' returned after %.1f s",
			f.base, s.b.maxRecovery, f.recovered.Seconds(), upAt.Sub(fault).Seconds())
	}
}
