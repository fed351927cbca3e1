package sdk

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/healthledger/healthledger/internal/fakepeer"
	"github.com/healthledger/healthledger/internal/testpki"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"
)

// startStoppablePeer serves f as fakepeer.Start does, and also returns a function that stops it the
// way a peer process that exits does: the listener and every connection close. Stop may be called
// more than once, but never from inside one of f's handlers (it waits for them): use go stop().
func startStoppablePeer(t *testing.T, ca *testpki.CA, f *fakeGateway) (string, func()) {
	t.Helper()
	return startStoppablePeerAt(t, ca, f, "127.0.0.1:0")
}

// startStoppablePeerAt is startStoppablePeer on a given address: a stopped peer started again.
func startStoppablePeerAt(t *testing.T, ca *testpki.CA, f *fakeGateway, addr string) (string, func()) {
	t.Helper()
	cert, err := ca.IssueServer("peer0.hospital.test", "127.0.0.1", "localhost")
	require.NoError(t, err)
	lis, err := net.Listen("tcp", addr)
	require.NoError(t, err)
	srv := grpc.NewServer(grpc.Creds(credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{cert.TLS()}, MinVersion: tls.VersionTLS12})))
	gateway.RegisterGatewayServer(srv, f)
	peer.RegisterDeliverServer(srv, f)
	go func() { _ = srv.Serve(lis) }()
	var once sync.Once
	stop := func() { once.Do(srv.Stop) }
	t.Cleanup(stop)
	return lis.Addr().String(), stop
}

// twoPeers is a client connected through a profile that lists two fake peers.
type twoPeers struct {
	first, second *fakeGateway
	addr1, addr2  string
	stopFirst     func()
	c             *Client
}

// failoverRetry allows enough quick attempts that the moment a stopped peer's connection is seen
// down does not matter.
func failoverRetry() Option {
	return WithRetry(RetryPolicy{MaxAttempts: 8, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond})
}

func newTwoPeers(t *testing.T, first, second *fakeGateway, opts ...Option) *twoPeers {
	t.Helper()
	ca, err := testpki.NewCA("healthledger-test-ca")
	require.NoError(t, err)
	a1, stop1 := startStoppablePeer(t, ca, first)
	a2, _ := startStoppablePeer(t, ca, second)
	n := fakepeer.WriteNetwork(t, t.TempDir(), ca, []string{a1, a2},
		fakepeer.User{Name: "patient1", Org: "hospital", Role: "patient", Subject: "pat-7f3a9c21"})
	fx := &netFixture{dir: n.Profiles, profile: n.Profile, wallet: n.Wallet, ca: ca, gw: first, addr: a1}
	c := connectFixture(t, fx, append([]Option{failoverRetry()}, opts...)...)
	require.Equal(t, a1, c.Peer().Endpoint, "the first listed peer answers first")
	return &twoPeers{first: first, second: second, addr1: a1, addr2: a2, stopFirst: stop1, c: c}
}

// answering is a fake peer whose evaluations and endorsements answer with its name.
func answering(name string) *fakeGateway {
	return &fakeGateway{
		EvaluateFn: func(gwCall) ([]byte, error) { return []byte(name), nil },
		EndorseFn:  func(gwCall) ([]byte, error) { return []byte(name), nil },
	}
}

func TestAClientWhosePeerStopsMovesToTheProfilesNextPeer(t *testing.T) {
	tp := newTwoPeers(t, answering("first"), answering("second"))
	ctx := context.Background()
	got, err := tp.c.Contract("baseline").Evaluate(ctx, "Read", []string{"k"})
	require.NoError(t, err)
	require.Equal(t, "first", string(got))

	tp.stopFirst()

	t.Run("the next evaluation succeeds through the second peer", func(t *testing.T) {
		got, err := tp.c.Contract("baseline").Evaluate(ctx, "Read", []string{"k"})
		require.NoError(t, err)
		require.Equal(t, "second", string(got))
		require.Equal(t, tp.addr2, tp.c.Peer().Endpoint)
		require.Equal(t, "peer1.hospital.test", tp.c.Peer().Name)
	})
	t.Run("the next submit is endorsed and committed through the second peer", func(t *testing.T) {
		tx, err := tp.c.Contract("baseline").SubmitTx(ctx, "Write", []string{"k", "v"})
		require.NoError(t, err)
		require.Equal(t, "second", string(tx.Result))
		require.Equal(t, 1, tx.Attempts, "the client already uses the second peer")
		endorsed := tp.second.Recorded()
		require.Equal(t, tx.TransactionID, endorsed[len(endorsed)-1].TxID)
	})
	require.Len(t, tp.first.Recorded(), 1, "the stopped peer saw only the first call")
}

func TestASubmitWhosePeerStopsIsEndorsedThroughTheNextPeer(t *testing.T) {
	tp := newTwoPeers(t, answering("first"), answering("second"))
	tp.stopFirst()
	tx, err := tp.c.Contract("baseline").SubmitTx(context.Background(), "Write", []string{"k", "v"})
	require.NoError(t, err)
	require.Equal(t, "second", string(tx.Result))
	// The failed endorsement counts; one more when the connection was seen down only after a wait.
	require.GreaterOrEqual(t, tx.Attempts, 2)
	require.LessOrEqual(t, tx.Attempts, 3)
	require.Empty(t, tp.first.Recorded())
	require.Len(t, tp.second.Recorded(), 1)
	require.Equal(t, tp.addr2, tp.c.Peer().Endpoint)
}

func TestAPeerThatAnswersUnavailableIsNotLeft(t *testing.T) {
	first := &fakeGateway{EvaluateFn: func(gwCall) ([]byte, error) {
		// The gateway peer is up; what it depends on is not.
		return nil, status.Error(codes.Unavailable, "no endorsing peers available")
	}}
	tp := newTwoPeers(t, first, answering("second"), WithRetry(RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond}))
	_, err := tp.c.Contract("baseline").Evaluate(context.Background(), "Read", []string{"k"})
	require.ErrorIs(t, err, ErrUnavailable)
	require.Len(t, tp.first.Recorded(), 3, "retried on the same peer")
	require.Empty(t, tp.second.Recorded())
	require.Equal(t, tp.addr1, tp.c.Peer().Endpoint)
}

func TestAPeerGoneDuringTheHandOverIsSentTheSameTransactionThroughTheNextPeer(t *testing.T) {
	var stopFirst func()
	first := answering("first")
	first.SubmitFn = func(string) error {
		go stopFirst()
		return status.Error(codes.Unavailable, "shutting down")
	}
	var mu sync.Mutex
	var handedOver []string
	second := answering("second")
	second.SubmitFn = func(txID string) error {
		mu.Lock()
		defer mu.Unlock()
		handedOver = append(handedOver, txID)
		return nil
	}
	statusAsked := make(chan string, 1)
	second.StatusFn = func(txID string) (peer.TxValidationCode, error) {
		statusAsked <- txID
		return peer.TxValidationCode_VALID, nil
	}
	tp := newTwoPeers(t, first, second)
	stopFirst = tp.stopFirst

	tx, err := tp.c.Contract("baseline").SubmitTx(context.Background(), "Write", []string{"k", "v"})
	require.NoError(t, err)
	require.Equal(t, "first", string(tx.Result), "the result of the one endorsement")
	require.Len(t, tp.first.Recorded(), 1, "endorsed once")
	require.Empty(t, tp.second.Recorded(), "never endorsed again")
	mu.Lock()
	require.Equal(t, []string{tx.TransactionID}, handedOver, "the same transaction, through the second peer")
	mu.Unlock()
	require.Equal(t, tx.TransactionID, <-statusAsked)
	require.Equal(t, tp.addr2, tp.c.Peer().Endpoint)
}

func TestAPeerGoneWhileWaitingForTheCommitIsAskedAgainThroughTheNextPeer(t *testing.T) {
	var stopFirst func()
	var submits atomic.Int32
	first := answering("first")
	first.SubmitFn = func(string) error {
		submits.Add(1)
		return nil
	}
	first.StatusFn = func(string) (peer.TxValidationCode, error) {
		go stopFirst()
		return 0, status.Error(codes.Unavailable, "shutting down")
	}
	second := answering("second")
	second.SubmitFn = func(string) error {
		submits.Add(1)
		return nil
	}
	statusAsked := make(chan string, 1)
	second.StatusFn = func(txID string) (peer.TxValidationCode, error) {
		statusAsked <- txID
		return peer.TxValidationCode_VALID, nil
	}
	tp := newTwoPeers(t, first, second)
	stopFirst = tp.stopFirst

	tx, err := tp.c.Contract("baseline").SubmitTx(context.Background(), "Write", []string{"k", "v"})
	require.NoError(t, err)
	require.Equal(t, uint64(7), tx.BlockNumber)
	require.Equal(t, tx.TransactionID, <-statusAsked, "the status of the same transaction")
	require.Equal(t, int32(1), submits.Load(), "handed to the orderers once")
	require.Len(t, tp.first.Recorded(), 1, "endorsed once")
	require.Empty(t, tp.second.Recorded(), "never endorsed again")
	require.Equal(t, tp.addr2, tp.c.Peer().Endpoint)
}

func TestConcurrentCallsFailOverTogether(t *testing.T) {
	tp := newTwoPeers(t, answering("first"), answering("second"))
	const callers = 8
	ctx := context.Background()
	run := func(rounds int) []error {
		errs := make([]error, callers*rounds)
		var wg sync.WaitGroup
		for i := range callers {
			wg.Go(func() {
				for r := range rounds {
					var err error
					if r%2 == 0 {
						_, err = tp.c.Contract("baseline").Evaluate(ctx, "Read", []string{"k"})
					} else {
						_, err = tp.c.Contract("baseline").Submit(ctx, "Write", []string{"k", fmt.Sprint(i)})
					}
					errs[i*rounds+r] = err
				}
			})
		}
		wg.Wait()
		return errs
	}
	for _, err := range run(1) {
		require.NoError(t, err)
	}
	tp.stopFirst()
	for _, err := range run(4) {
		require.NoError(t, err)
	}
	require.Equal(t, tp.addr2, tp.c.Peer().Endpoint)
	require.Len(t, tp.first.Recorded(), callers)
	require.Len(t, tp.second.Recorded(), callers*4)
}

func TestWhenNoPeerIsLeftTheCallFailsUnavailableAndTheClientStays(t *testing.T) {
	tp := newTwoPeers(t, answering("first"), answering("second"), WithRetry(RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond}))
	tp.stopFirst()
	tp.c.dial = func(context.Context, int) (*session, error) { return nil, fmt.Errorf("refused") }
	_, err := tp.c.Contract("baseline").Evaluate(context.Background(), "Read", []string{"k"})
	require.ErrorIs(t, err, ErrUnavailable)
	require.Equal(t, tp.addr1, tp.c.Peer().Endpoint)
}

func TestAnEventStreamReconnectsThroughTheNextPeer(t *testing.T) {
	one := &eventScript{handlers: []eventHandler{
		func(_ uint64, _ string, send func(uint64, ...string) error, hold func() error) error {
			if err := send(5, "tx-a"); err != nil {
				return err
			}
			return hold()
		},
	}}
	two := &eventScript{handlers: []eventHandler{
		func(_ uint64, _ string, send func(uint64, ...string) error, hold func() error) error {
			if err := send(6, "tx-b"); err != nil {
				return err
			}
			return hold()
		},
	}}
	tp := newTwoPeers(t, &fakeGateway{EventsFn: one.serve}, &fakeGateway{EventsFn: two.serve})
	s, err := tp.c.ChaincodeEvents(context.Background(), "consent", WithStartBlock(5), fastReconnect())
	require.NoError(t, err)
	defer s.Close()

	require.Equal(t, []string{"tx-a"}, txIDs(nextN(t, s, 1)))
	tp.stopFirst()
	require.Equal(t, []string{"tx-b"}, txIDs(nextN(t, s, 1)))
	require.Equal(t, []string{"5/tx-a"}, two.connections(), "the second peer is asked to resume after the last event received")
	require.Equal(t, tp.addr2, tp.c.Peer().Endpoint)
}

func TestClosingAClientAfterAFailoverClosesEveryConnection(t *testing.T) {
	tp := newTwoPeers(t, answering("first"), answering("second"))
	tp.stopFirst()
	_, err := tp.c.Contract("baseline").Evaluate(context.Background(), "Read", []string{"k"})
	require.NoError(t, err)
	require.NoError(t, tp.c.Close())
	_, err = tp.c.Contract("baseline").Evaluate(context.Background(), "Read", []string{"k"})
	require.Error(t, err, "calls after Close fail")
	require.Equal(t, tp.addr2, tp.c.Peer().Endpoint, "no failover after Close")
	tp.c.mu.Lock()
	defer tp.c.mu.Unlock()
	require.Empty(t, tp.c.draining)
}

func TestALostTransactionWhosePeerStopsIsHandedOverAgainThroughTheNextPeer(t *testing.T) {
	l := &fakepeer.Ledger{Lose: func(n int, _ string) bool { return n == 0 }}
	var stopFirst func()
	first, second := ledgerPeer(l), ledgerPeer(l)
	first.StatusHook = func(ctx context.Context, _ int, _ string) error {
		go stopFirst() // the peer dies while the client waits for a commit that will never come
		<-ctx.Done()
		return ctx.Err()
	}
	tp := newTwoPeers(t, first, second, quickDelivery())
	stopFirst = tp.stopFirst

	tx, err := tp.c.Contract("baseline").SubmitTx(context.Background(), "Write", []string{"k", "v"})
	require.NoError(t, err)
	require.Len(t, first.Recorded(), 1, "endorsed once")
	require.Empty(t, second.Recorded(), "never endorsed again")
	require.Equal(t, []string{tx.TransactionID}, first.Submitted())
	require.Equal(t, []string{tx.TransactionID}, distinct(second.Submitted()), "the same transaction, through the second peer")
	requireCommittedOnce(t, l, tx.TransactionID)
	require.Equal(t, tp.addr2, tp.c.Peer().Endpoint)
}
