//go:build faults

package faults

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/healthledger/healthledger/gateway-client/sdk"
	"google.golang.org/grpc/status"
)

// call is one write of the load: a baseline Add of 1 to a key of its own, so that the key's value
// counts the call's valid commits (two would be a call committed twice).
type call struct {
	writer  int
	org     string // the org whose gateway the writer's client connected to
	key     string
	start   time.Time
	end     time.Time
	err     error
	txID    string
	block   uint64
	resends int
}

func (c *call) acked() bool { return c.err == nil }

// load is a number of writers, each submitting one call after another through the project's SDK until
// stopped. The writers share one client per org (writer i uses org i mod the number of orgs), each
// connected to its org's gateway with the other orgs' gateways as fallbacks, as an application that
// wants to survive its gateway peer's death would.
type load struct {
	name    string
	prefix  string
	clients []*sdk.Client
	stop    chan struct{}
	abort   context.CancelFunc
	wg      sync.WaitGroup
	started time.Time

	mu      sync.Mutex
	calls   []*call
	stopped time.Time
}

// errorPause is how long a writer waits after a failed call before its next one, as an application
// would, rather than spin while a node is down.
const errorPause = 200 * time.Millisecond

// startLoad connects the clients and starts the writers; the keys are prefix-wWW-NNNNNN.
func startLoad(ctx context.Context, t *testing.T, net *sdk.Network, name, prefix string, writers int) *load {
	t.Helper()
	clients, err := orgClients(ctx, net)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, abort := context.WithCancel(context.WithoutCancel(ctx))
	l := &load{name: name, prefix: prefix, clients: clients, stop: make(chan struct{}), abort: abort, started: time.Now()}
	for w := range writers {
		l.wg.Add(1)
		go l.write(runCtx, w)
	}
	t.Cleanup(func() { l.finish(time.Second) })
	return l
}

// orgClients connects one client per org of the network, as the org's first identity in network.json,
// with every other org as a fallback.
func orgClients(ctx context.Context, net *sdk.Network) ([]*sdk.Client, error) {
	var clients []*sdk.Client
	closeAll := func() {
		for _, c := range clients {
			_ = c.Close()
		}
	}
	orgs := net.Orgs()
	for _, org := range orgs {
		var who string
		for _, id := range net.Identities("") {
			if id.Org == org.Name {
				who = id.Name
				break
			}
		}
		if who == "" {
			closeAll()
			return nil, fmt.Errorf("network.json lists no identity of %s", org.Name)
		}
		var others []string
		for _, o := range orgs {
			if o.Name != org.Name {
				others = append(others, o.Name)
			}
		}
		c, err := net.Connect(ctx, who, sdk.WithFallbackOrgs(others...))
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("connecting %s of %s: %w", who, org.Name, err)
		}
		clients = append(clients, c)
	}
	return clients, nil
}

func (l *load) write(ctx context.Context, w int) {
	defer l.wg.Done()
	client := l.clients[w%len(l.clients)]
	baseline := client.Contract("baseline")
	for seq := 0; ; seq++ {
		select {
		case <-l.stop:
			return
		default:
		}
		c := &call{writer: w, org: client.Identity().Org, key: fmt.Sprintf("%s-w%02d-%06d", l.prefix, w, seq), start: time.Now()}
		// No deadline of our own: the SDK's default stage timeouts apply, as in an application.
		tx, err := baseline.SubmitTx(ctx, "Add", []string{c.key, "1"})
		c.end = time.Now()
		if err != nil {
			c.err = err
		} else {
			c.txID, c.block, c.resends = tx.TransactionID, tx.BlockNumber, tx.Resends
		}
		l.mu.Lock()
		l.calls = append(l.calls, c)
		l.mu.Unlock()
		if err != nil {
			select {
			case <-l.stop:
				return
			case <-time.After(errorPause):
			}
		}
	}
}

// snapshot returns the calls finished so far, in the order they finished.
func (l *load) snapshot() []*call {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.calls)
}

// finish stops the writers: no new call starts, and the calls in flight may end by themselves within
// wait (the SDK's own deadlines end every call within about 75 s); then they are cancelled. It returns
// an error when a writer was still in a call after wait, and closes the clients.
func (l *load) finish(wait time.Duration) error {
	l.mu.Lock()
	first := l.stopped.IsZero()
	if first {
		l.stopped = time.Now()
		close(l.stop)
	}
	l.mu.Unlock()
	if !first {
		return nil
	}
	done := make(chan struct{})
	go func() {
		l.wg.Wait()
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-time.After(wait):
		err = fmt.Errorf("%s: writers were still in a call %s after the load stopped; cancelled", l.name, wait)
		l.abort()
		<-done
	}
	l.abort()
	for _, c := range l.clients {
		_ = c.Close()
	}
	return err
}

// runUntil keeps the load running until at least minEnd, then until the throughput is back at 80% of
// the rate before the fault, or maxEnd.
func (l *load) runUntil(fault time.Time, base float64, minEnd, maxEnd time.Time) {
	for {
		now := time.Now()
		if !now.Before(maxEnd) {
			return
		}
		if !now.Before(minEnd) {
			if d, ok := recoveredAfter(l.snapshot(), fault, base, now); ok && d >= 0 {
				return
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// failureKind names what a failed call ran into, for the tally in the notes: the stable code, the
// commit's validation code, or the gRPC status underneath.
func failureKind(err error) string {
	var ce *sdk.CommitError
	if errors.As(err, &ce) {
		return "commit " + ce.Code.String()
	}
	if code := sdk.CodeOf(err); code != "" {
		return string(code)
	}
	var e *sdk.Error
	if errors.As(err, &e) && e.Err != nil {
		if st, ok := status.FromError(e.Err); ok {
			return st.Code().String()
		}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "DeadlineExceeded"
	}
	return "other"
}
