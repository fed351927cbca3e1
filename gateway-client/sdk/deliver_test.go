package sdk

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/healthledger/healthledger/internal/fakepeer"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// quickDelivery makes lost transactions and hung hand-overs show within a test's patience.
func quickDelivery() Option {
	return WithTimeouts(Timeouts{Submit: 300 * time.Millisecond, CommitStatus: 5 * time.Second, Rebroadcast: 150 * time.Millisecond})
}

// ledgerPeer is a fake peer with a ledger behind it, whose endorsements answer "ok".
func ledgerPeer(l *fakepeer.Ledger) *fakeGateway {
	return &fakeGateway{EndorseFn: func(gwCall) ([]byte, error) { return []byte("ok"), nil }, Ledger: l}
}

// distinct returns the distinct values of ids, in first-seen order.
func distinct(ids []string) []string {
	var out []string
	for _, id := range ids {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// requireCommittedOnce asserts what a call whose transaction committed as txID left on the ledger:
// every hand-over carried txID, its first copy committed VALID, and every other copy was invalidated
// as DUPLICATE_TXID.
func requireCommittedOnce(t *testing.T, l *fakepeer.Ledger, txID string) {
	t.Helper()
	require.Equal(t, []string{txID}, distinct(l.Broadcasts()), "one transaction id handed over")
	valid := 0
	for _, b := range l.Blocks() {
		require.Equal(t, txID, b.TxID)
		switch b.Code {
		case peer.TxValidationCode_VALID:
			valid++
		case peer.TxValidationCode_DUPLICATE_TXID:
		default:
			t.Fatalf("block %d: %s", b.Block, b.Code)
		}
	}
	require.Equal(t, 1, valid, "committed once")
}

func TestATransactionWhoseStatusIsLateIsHandedOverAgainAndCommitsOnce(t *testing.T) {
	cases := []struct {
		name string
		// script sets up the fake peer and its ledger.
		script func(f *fakeGateway, l *fakepeer.Ledger)
		// resends is how many times at least the same transaction must have been handed over again (a
		// slow machine may make a status late once more).
		resends int
	}{
		{"a transaction the orderer loses is handed over again",
			func(f *fakeGateway, l *fakepeer.Ledger) { l.Lose = func(n int, _ string) bool { return n == 0 } }, 1},
		{"a transaction the orderer loses twice is handed over a third time",
			func(f *fakeGateway, l *fakepeer.Ledger) { l.Lose = func(n int, _ string) bool { return n < 2 } }, 2},
		{"a status that never arrives for the first two requests ends with the first copy's status",
			func(f *fakeGateway, l *fakepeer.Ledger) {
				f.StatusHook = func(ctx context.Context, n int, _ string) error {
					if n < 2 {
						<-ctx.Done()
						return ctx.Err()
					}
					return nil
				}
			}, 2},
		{"a hand-over that hangs before the orderer is abandoned and made again",
			func(f *fakeGateway, l *fakepeer.Ledger) {
				f.SubmitHook = func(ctx context.Context, n int, _ string) error {
					if n == 0 {
						<-ctx.Done()
						return ctx.Err()
					}
					return nil
				}
			}, 1},
		{"a hand-over that hangs after the orderer took the transaction is made again",
			func(f *fakeGateway, l *fakepeer.Ledger) {
				f.SubmitHook = func(ctx context.Context, n int, txID string) error {
					if n == 0 {
						l.Broadcast(txID)
						<-ctx.Done()
						return ctx.Err()
					}
					return nil
				}
			}, 1},
		{"a hand-over that times out in the gateway is made again",
			func(f *fakeGateway, l *fakepeer.Ledger) {
				f.SubmitHook = func(_ context.Context, n int, _ string) error {
					if n == 0 {
						return status.Error(codes.DeadlineExceeded, "submit timeout expired while broadcasting to ordering service")
					}
					return nil
				}
			}, 1},
		{"orderers unavailable for longer than the retry policy's attempts are waited for",
			func(f *fakeGateway, l *fakepeer.Ledger) {
				f.SubmitFn = func(string) error {
					if len(f.Submitted()) <= 6 {
						return status.Error(codes.Unavailable, "no orderers could successfully process transaction")
					}
					return nil
				}
			}, 6},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := &fakepeer.Ledger{}
			f := ledgerPeer(l)
			tc.script(f, l)
			c := connectFixture(t, newNetFixture(t, f), fastRetry(), quickDelivery())
			tx, err := c.Contract("baseline").SubmitTx(context.Background(), "Write", []string{"k", "v"})
			require.NoError(t, err)
			require.Len(t, f.Recorded(), 1, "endorsed once")
			require.Equal(t, 1, tx.Attempts)
			require.GreaterOrEqual(t, tx.Resends, tc.resends)
			require.Len(t, f.Submitted(), tx.Resends+1)
			require.Equal(t, []string{tx.TransactionID}, distinct(f.Submitted()), "the same transaction every time")
			requireCommittedOnce(t, l, tx.TransactionID)
		})
	}
}

func TestADuplicateTxIDStatusForTheCallsOwnTransactionIsAskedAgain(t *testing.T) {
	cases := []struct {
		name    string
		answers []peer.TxValidationCode
		want    peer.TxValidationCode
	}{
		{"the first copy's VALID is success",
			[]peer.TxValidationCode{peer.TxValidationCode_DUPLICATE_TXID, peer.TxValidationCode_VALID}, peer.TxValidationCode_VALID},
		{"a DUPLICATE_TXID that persists is reported, not retried",
			[]peer.TxValidationCode{peer.TxValidationCode_DUPLICATE_TXID}, peer.TxValidationCode_DUPLICATE_TXID},
		{"the first copy's ENDORSEMENT_POLICY_FAILURE is reported",
			[]peer.TxValidationCode{peer.TxValidationCode_DUPLICATE_TXID, peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE}, peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var asked atomic.Int32
			f := answering("ok")
			f.StatusFn = func(string) (peer.TxValidationCode, error) {
				n := int(asked.Add(1)) - 1
				return tc.answers[min(n, len(tc.answers)-1)], nil
			}
			c := connectFixture(t, newNetFixture(t, f), fastRetry(), WithTimeouts(Timeouts{Rebroadcast: 10 * time.Second}))
			tx, err := c.Contract("baseline").SubmitTx(context.Background(), "Write", []string{"k", "v"})
			require.Len(t, f.Recorded(), 1, "never endorsed again")
			require.Len(t, distinct(f.Submitted()), 1)
			if tc.want == peer.TxValidationCode_VALID {
				require.NoError(t, err)
				require.Equal(t, f.Submitted()[0], tx.TransactionID)
				require.Equal(t, int32(2), asked.Load())
				return
			}
			var ce *CommitError
			require.ErrorAs(t, err, &ce)
			require.Equal(t, tc.want, ce.Code)
			require.NotErrorIs(t, err, ErrConflict)
			if tc.want == peer.TxValidationCode_DUPLICATE_TXID {
				require.Equal(t, int32(duplicateAsks+1), asked.Load())
			}
		})
	}
}

func TestATransactionThatNeverCommitsEndsAtTheCommitDeadlineWithOneTransactionID(t *testing.T) {
	cases := []struct {
		name    string
		opts    []Option
		minSent int
		maxSent int
	}{
		{"with retries, the same transaction is handed over again until the deadline", []Option{fastRetry()}, 4, 12},
		{"without retries, it is handed over once", []Option{WithoutRetry()}, 1, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := &fakepeer.Ledger{Lose: func(int, string) bool { return true }}
			f := ledgerPeer(l)
			opts := append(tc.opts, WithTimeouts(Timeouts{CommitStatus: time.Second, Rebroadcast: 150 * time.Millisecond}))
			c := connectFixture(t, newNetFixture(t, f), opts...)
			start := time.Now()
			_, err := c.Contract("baseline").Submit(context.Background(), "Write", []string{"k", "v"})
			require.ErrorIs(t, err, context.DeadlineExceeded)
			require.Less(t, time.Since(start), 3*time.Second)
			require.Len(t, f.Recorded(), 1, "endorsed once")
			sent := l.Broadcasts()
			require.Len(t, distinct(sent), 1)
			require.GreaterOrEqual(t, len(sent), tc.minSent)
			require.LessOrEqual(t, len(sent), tc.maxSent)
			require.Empty(t, l.Blocks())
		})
	}
}

func TestTheCallersDeadlineBoundsTheResends(t *testing.T) {
	l := &fakepeer.Ledger{Lose: func(int, string) bool { return true }}
	f := ledgerPeer(l)
	c := connectFixture(t, newNetFixture(t, f), fastRetry(), WithTimeouts(Timeouts{Rebroadcast: 100 * time.Millisecond}))
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	_, err := c.Contract("baseline").Submit(ctx, "Write", []string{"k", "v"})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Len(t, distinct(l.Broadcasts()), 1)
	require.GreaterOrEqual(t, len(l.Broadcasts()), 3, "resent every 100ms until the caller's deadline")
}

func TestAReadConflictAfterAResendIsEndorsedAnewOnlyOnceItsFirstCopyFailed(t *testing.T) {
	l := &fakepeer.Ledger{}
	var first atomic.Value
	l.Lose = func(n int, _ string) bool { return n == 0 }
	l.Code = func(txID string) peer.TxValidationCode {
		if first.CompareAndSwap(nil, txID) {
			return peer.TxValidationCode_MVCC_READ_CONFLICT
		}
		return peer.TxValidationCode_VALID
	}
	f := ledgerPeer(l)
	c := connectFixture(t, newNetFixture(t, f), fastRetry(), quickDelivery())
	tx, err := c.Contract("baseline").SubmitTx(context.Background(), "Add", []string{"k", "1"})
	require.NoError(t, err)
	require.Equal(t, 2, tx.Attempts)
	require.GreaterOrEqual(t, tx.Resends, 1)

	failed := first.Load().(string)
	require.NotEqual(t, failed, tx.TransactionID)
	sent := l.Broadcasts()
	require.Equal(t, []string{failed, tx.TransactionID}, distinct(sent))
	require.GreaterOrEqual(t, slices.Index(sent, tx.TransactionID), 2, "the lost copy, then the one that committed invalid")
	require.NotContains(t, sent[slices.Index(sent, tx.TransactionID):], failed,
		"the second transaction id is handed over only after the first one's copy committed invalid")
	valid := 0
	for _, b := range l.Blocks() {
		if b.Code == peer.TxValidationCode_VALID {
			valid++
			require.Equal(t, tx.TransactionID, b.TxID)
		}
	}
	require.Equal(t, 1, valid)
}

func TestConcurrentCallsThroughALossyOrdererEachCommitOneTransaction(t *testing.T) {
	l := &fakepeer.Ledger{Lose: func(n int, _ string) bool { return n%3 == 0 }, Delay: 20 * time.Millisecond}
	f := ledgerPeer(l)
	c := connectFixture(t, newNetFixture(t, f), fastRetry(), quickDelivery())
	const callers = 16
	txIDs := make([]string, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			tx, err := c.Contract("baseline").SubmitTx(context.Background(), "Write", []string{fmt.Sprint("k", i), "v"})
			if err == nil {
				txIDs[i] = tx.TransactionID
			}
		})
	}
	wg.Wait()

	// Which call each transaction id belongs to: its endorsement's arguments.
	callOf := map[string]string{}
	for _, r := range f.Recorded() {
		callOf[r.TxID] = r.Args[0]
	}
	require.Len(t, callOf, callers, "one endorsement per call")
	perCall := map[string][]string{}
	for _, id := range distinct(l.Broadcasts()) {
		perCall[callOf[id]] = append(perCall[callOf[id]], id)
	}
	valid := map[string]int{}
	for _, b := range l.Blocks() {
		if b.Code == peer.TxValidationCode_VALID {
			valid[b.TxID]++
		}
	}
	for i, id := range txIDs {
		require.NotEmpty(t, id, "call %d failed", i)
		require.Equal(t, []string{id}, perCall[fmt.Sprint("k", i)], "call %d handed over one transaction id", i)
		require.Equal(t, 1, valid[id], "call %d committed once", i)
	}
	require.Greater(t, len(l.Broadcasts()), callers, "some were handed over again")
}

func TestAnEndorsementThatFailsIsMadeAnewAndOnlyTheLastTransactionIsHandedOver(t *testing.T) {
	cases := []struct {
		name string
		fail func() error
	}{
		{"endorsing peers unavailable", func() error { return status.Error(codes.Unavailable, "no endorsing peers") }},
		{"endorsing peers overloaded", func() error { return status.Error(codes.ResourceExhausted, "too many requests") }},
		{"endorsing peers that disagree", endorsementMismatch},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := &fakepeer.Ledger{}
			f := ledgerPeer(l)
			var endorsements atomic.Int32
			f.EndorseFn = func(gwCall) ([]byte, error) {
				if endorsements.Add(1) < 3 {
					return nil, tc.fail()
				}
				return []byte("ok"), nil
			}
			c := connectFixture(t, newNetFixture(t, f), fastRetry(), quickDelivery())
			tx, err := c.Contract("baseline").SubmitTx(context.Background(), "Write", []string{"k", "v"})
			require.NoError(t, err)
			require.Equal(t, 3, tx.Attempts)
			require.Len(t, distinct(txIDsOf(f.Recorded())), 3, "each endorsement a new transaction")
			require.Equal(t, []string{tx.TransactionID}, f.Submitted(), "only the endorsed one handed over")
			requireCommittedOnce(t, l, tx.TransactionID)
		})
	}
}

func txIDsOf(calls []gwCall) []string {
	out := make([]string, len(calls))
	for i, c := range calls {
		out[i] = c.TxID
	}
	return out
}
