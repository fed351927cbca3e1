package sdk

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// eventHandler serves one connection: send delivers a block's events; hold blocks until the client
// goes away.
type eventHandler func(start uint64, after string, send func(block uint64, txIDs ...string) error, hold func() error) error

// eventScript plays a chaincode events service: each connection gets the next handler.
type eventScript struct {
	mu       sync.Mutex
	handlers []eventHandler
	starts   []string // "block/after" per connection
}

func (s *eventScript) serve(req *gateway.ChaincodeEventsRequest, stream gateway.Gateway_ChaincodeEventsServer) error {
	start := req.GetStartPosition().GetSpecified().GetNumber()
	if _, ok := req.GetStartPosition().GetType().(*orderer.SeekPosition_NextCommit); ok {
		start = 1 << 62
	}
	s.mu.Lock()
	s.starts = append(s.starts, startKey(start, req.GetAfterTransactionId()))
	n := len(s.starts) - 1
	var h eventHandler
	if n < len(s.handlers) {
		h = s.handlers[n]
	}
	s.mu.Unlock()
	if h == nil {
		<-stream.Context().Done()
		return stream.Context().Err()
	}
	send := func(block uint64, txIDs ...string) error {
		resp := &gateway.ChaincodeEventsResponse{BlockNumber: block}
		for _, id := range txIDs {
			resp.Events = append(resp.Events, &peer.ChaincodeEvent{ChaincodeId: req.GetChaincodeId(), TxId: id, EventName: "Granted", Payload: []byte(`{"id":"` + id + `"}`)})
		}
		return stream.Send(resp)
	}
	hold := func() error {
		<-stream.Context().Done()
		return stream.Context().Err()
	}
	return h(start, req.GetAfterTransactionId(), send, hold)
}

func (s *eventScript) connections() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.starts...)
}

func startKey(block uint64, after string) string {
	if block == 1<<62 {
		return "next"
	}
	return filepath.Join(itoa(block), after)
}

func itoa(n uint64) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}

func fastReconnect() EventOption {
	return WithReconnect(RetryPolicy{MaxAttempts: 5, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond})
}

func nextN(t *testing.T, s *ChaincodeEventStream, n int) []ChaincodeEvent {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out := []ChaincodeEvent{}
	for range n {
		e, err := s.Next(ctx)
		require.NoError(t, err)
		out = append(out, e)
	}
	return out
}

func txIDs(events []ChaincodeEvent) []string {
	out := []string{}
	for _, e := range events {
		out = append(out, e.TransactionID)
	}
	return out
}

func chainInfo(height uint64) func(gwCall) ([]byte, error) {
	return func(c gwCall) ([]byte, error) {
		if c.Chaincode != "qscc" || c.Fn != "GetChainInfo" {
			return nil, errors.New("unexpected evaluate")
		}
		return proto.Marshal(&common.BlockchainInfo{Height: height})
	}
}

func TestChaincodeEventsResumeAfterThePeerGoesAway(t *testing.T) {
	script := &eventScript{handlers: []eventHandler{
		func(_ uint64, _ string, send func(uint64, ...string) error, hold func() error) error {
			if err := send(5, "tx-a", "tx-b"); err != nil {
				return err
			}
			return status.Error(codes.Unavailable, "peer restarting")
		},
		func(_ uint64, _ string, send func(uint64, ...string) error, hold func() error) error {
			if err := send(6, "tx-c"); err != nil {
				return err
			}
			return hold()
		},
	}}
	f := &fakeGateway{EventsFn: script.serve}
	c := connectFixture(t, newNetFixture(t, f))
	var notified []string
	var mu sync.Mutex
	s, err := c.ChaincodeEvents(context.Background(), "consent", WithStartBlock(5), fastReconnect(),
		WithReconnectNotify(func(attempt int, err error) {
			mu.Lock()
			defer mu.Unlock()
			notified = append(notified, status.Code(err).String())
		}))
	require.NoError(t, err)
	defer s.Close()

	got := nextN(t, s, 3)
	require.Equal(t, []string{"tx-a", "tx-b", "tx-c"}, txIDs(got))
	require.Equal(t, []string{"5", "5/tx-b"}, script.connections(), "the second connection resumes after the last event received")
	require.Equal(t, "consent", got[0].Chaincode)
	require.Equal(t, "Granted", got[0].Name)
	var payload struct {
		ID string `json:"id"`
	}
	require.NoError(t, got[2].Decode(&payload))
	require.Equal(t, "tx-c", payload.ID)
	mu.Lock()
	require.Equal(t, []string{"Unavailable"}, notified)
	mu.Unlock()
}

func TestACheckpointResumesExactlyAfterTheLastAcknowledgedEvent(t *testing.T) {
	cpPath := filepath.Join(t.TempDir(), "cp.json")
	script := &eventScript{handlers: []eventHandler{
		func(_ uint64, _ string, send func(uint64, ...string) error, hold func() error) error {
			if err := send(5, "tx-a", "tx-b"); err != nil {
				return err
			}
			return hold()
		},
		func(_ uint64, after string, send func(uint64, ...string) error, hold func() error) error {
			// The restarted listener acknowledged tx-a only: tx-b comes again, then tx-c.
			if after != "tx-a" {
				return status.Error(codes.InvalidArgument, "resumed at the wrong place: "+after)
			}
			if err := send(5, "tx-b"); err != nil {
				return err
			}
			if err := send(6, "tx-c"); err != nil {
				return err
			}
			return hold()
		},
	}}
	f := &fakeGateway{EventsFn: script.serve}
	c := connectFixture(t, newNetFixture(t, f))

	first, err := c.ChaincodeEvents(context.Background(), "consent", WithStartBlock(5), WithCheckpointFile(cpPath))
	require.NoError(t, err)
	got := nextN(t, first, 2)
	require.NoError(t, first.Ack(got[0]))
	require.Equal(t, Checkpoint{Stream: "chaincode:consent", BlockNumber: 5, TransactionID: "tx-a"}, first.Checkpoint())
	// The listener dies before acknowledging tx-b.
	require.NoError(t, first.Close())

	cp, err := NewCheckpointFile(cpPath)
	require.NoError(t, err)
	saved, ok, err := cp.Load()
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "tx-a", saved.TransactionID)

	second, err := c.ChaincodeEvents(context.Background(), "consent", WithStartBlock(1), WithCheckpointFile(cpPath))
	require.NoError(t, err)
	defer second.Close()
	again := nextN(t, second, 2)
	require.Equal(t, []string{"tx-b", "tx-c"}, txIDs(again))
	require.Equal(t, []string{"5", "5/tx-a"}, script.connections(), "the checkpoint wins over WithStartBlock")
	require.NoError(t, second.Ack(again[1]))
	saved, _, err = cp.Load()
	require.NoError(t, err)
	require.Equal(t, Checkpoint{Stream: "chaincode:consent", BlockNumber: 6, TransactionID: "tx-c"}, saved)
}

func TestAFreshStreamPinsTheCurrentHeightInItsCheckpoint(t *testing.T) {
	cpPath := filepath.Join(t.TempDir(), "cp.json")
	script := &eventScript{}
	f := &fakeGateway{EventsFn: script.serve, EvaluateFn: chainInfo(9)}
	c := connectFixture(t, newNetFixture(t, f))
	s, err := c.ChaincodeEvents(context.Background(), "consent", WithCheckpointFile(cpPath))
	require.NoError(t, err)
	defer s.Close()
	require.Eventually(t, func() bool { return len(script.connections()) == 1 }, 5*time.Second, 5*time.Millisecond)
	require.Equal(t, []string{"9"}, script.connections())
	cp, err := NewCheckpointFile(cpPath)
	require.NoError(t, err)
	saved, ok, err := cp.Load()
	require.NoError(t, err)
	require.True(t, ok, "the start is saved before any event, so a restart misses nothing")
	require.Equal(t, uint64(9), saved.BlockNumber)
}

func TestAStreamEndedByAnErrorSaysWhich(t *testing.T) {
	script := &eventScript{handlers: []eventHandler{
		func(uint64, string, func(uint64, ...string) error, func() error) error {
			return status.Error(codes.PermissionDenied, "access denied to channel")
		},
	}}
	f := &fakeGateway{EventsFn: script.serve}
	c := connectFixture(t, newNetFixture(t, f))
	s, err := c.ChaincodeEvents(context.Background(), "consent", WithStartBlock(0), fastReconnect())
	require.NoError(t, err)
	_, err = s.Next(context.Background())
	var se *StreamError
	require.ErrorAs(t, err, &se)
	require.Equal(t, codes.PermissionDenied, status.Code(err))
	require.Contains(t, err.Error(), "access denied to channel")
	require.Equal(t, err, s.Err())
	require.Len(t, script.connections(), 1, "a permission failure is not retried")
}

func TestReconnectionGivesUpAfterItsAttempts(t *testing.T) {
	script := &eventScript{}
	for range 10 {
		script.handlers = append(script.handlers, func(uint64, string, func(uint64, ...string) error, func() error) error {
			return status.Error(codes.Unavailable, "connection refused")
		})
	}
	f := &fakeGateway{EventsFn: script.serve}
	c := connectFixture(t, newNetFixture(t, f))
	s, err := c.ChaincodeEvents(context.Background(), "consent", WithStartBlock(0),
		WithReconnect(RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond}))
	require.NoError(t, err)
	_, err = s.Next(context.Background())
	var se *StreamError
	require.ErrorAs(t, err, &se)
	require.Equal(t, 2, se.Attempts)
	require.Equal(t, codes.Unavailable, status.Code(err))
	require.Len(t, script.connections(), 3)
}

func TestAcknowledgementsAreChecked(t *testing.T) {
	script := &eventScript{handlers: []eventHandler{
		func(_ uint64, _ string, send func(uint64, ...string) error, hold func() error) error {
			if err := send(2, "tx-a", "tx-b"); err != nil {
				return err
			}
			return hold()
		},
	}}
	f := &fakeGateway{EventsFn: script.serve}
	c := connectFixture(t, newNetFixture(t, f))
	s, err := c.ChaincodeEvents(context.Background(), "consent", WithStartBlock(2))
	require.NoError(t, err)
	defer s.Close()
	got := nextN(t, s, 2)

	t.Run("an event from elsewhere is refused", func(t *testing.T) {
		require.Error(t, s.Ack(ChaincodeEvent{BlockNumber: 9, TransactionID: "forged"}))
	})
	t.Run("acknowledging the later event covers the earlier one", func(t *testing.T) {
		require.NoError(t, s.Ack(got[1]))
		require.Equal(t, "tx-b", s.Checkpoint().TransactionID)
	})
	t.Run("acknowledging an earlier event again changes nothing", func(t *testing.T) {
		require.NoError(t, s.Ack(got[0]))
		require.Equal(t, "tx-b", s.Checkpoint().TransactionID)
	})
}

func TestACheckpointOfAnotherStreamIsRefused(t *testing.T) {
	cpPath := filepath.Join(t.TempDir(), "cp.json")
	cp, err := NewCheckpointFile(cpPath)
	require.NoError(t, err)
	require.NoError(t, cp.Save(Checkpoint{Stream: "chaincode:claims", BlockNumber: 3}))
	f := &fakeGateway{EventsFn: (&eventScript{}).serve}
	c := connectFixture(t, newNetFixture(t, f))
	_, err = c.ChaincodeEvents(context.Background(), "consent", WithCheckpoint(cp))
	require.ErrorContains(t, err, `"chaincode:claims"`)
}

func TestNextHonoursItsContextAndCloseEndsTheStream(t *testing.T) {
	f := &fakeGateway{EventsFn: (&eventScript{}).serve}
	c := connectFixture(t, newNetFixture(t, f))
	s, err := c.ChaincodeEvents(context.Background(), "consent", WithStartBlock(0))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err = s.Next(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.NoError(t, s.Err(), "the stream is still running")
	require.NoError(t, s.Close())
	_, err = s.Next(context.Background())
	require.ErrorIs(t, err, ErrStreamClosed)
}

func TestTheStreamEndsWithItsContext(t *testing.T) {
	f := &fakeGateway{EventsFn: (&eventScript{}).serve}
	c := connectFixture(t, newNetFixture(t, f))
	ctx, cancel := context.WithCancel(context.Background())
	s, err := c.ChaincodeEvents(ctx, "consent", WithStartBlock(0))
	require.NoError(t, err)
	cancel()
	_, err = s.Next(context.Background())
	require.ErrorIs(t, err, context.Canceled)
}

func TestBlockEventsDeliverFilteredBlocksAndCheckpointTheNextOne(t *testing.T) {
	var mu sync.Mutex
	var starts []uint64
	f := &fakeGateway{BlocksFn: func(env *common.Envelope, stream peer.Deliver_DeliverFilteredServer) error {
		var p common.Payload
		if err := proto.Unmarshal(env.GetPayload(), &p); err != nil {
			return err
		}
		var seek orderer.SeekInfo
		if err := proto.Unmarshal(p.GetData(), &seek); err != nil {
			return err
		}
		start := seek.GetStart().GetSpecified().GetNumber()
		mu.Lock()
		starts = append(starts, start)
		n := len(starts)
		mu.Unlock()
		if n > 1 {
			return stream.Send(&peer.DeliverResponse{Type: &peer.DeliverResponse_Status{Status: common.Status_FORBIDDEN}})
		}
		for b := start; b < start+2; b++ {
			fb := &peer.FilteredBlock{Number: b, FilteredTransactions: []*peer.FilteredTransaction{{
				Txid: "tx-" + itoa(b), Type: common.HeaderType_ENDORSER_TRANSACTION, TxValidationCode: peer.TxValidationCode_VALID,
				Data: &peer.FilteredTransaction_TransactionActions{TransactionActions: &peer.FilteredTransactionActions{
					ChaincodeActions: []*peer.FilteredChaincodeAction{{ChaincodeEvent: &peer.ChaincodeEvent{ChaincodeId: "consent", EventName: "Granted"}}},
				}},
			}}}
			if err := stream.Send(&peer.DeliverResponse{Type: &peer.DeliverResponse_FilteredBlock{FilteredBlock: fb}}); err != nil {
				return err
			}
		}
		return stream.Send(&peer.DeliverResponse{Type: &peer.DeliverResponse_Status{Status: common.Status_SERVICE_UNAVAILABLE}})
	}}
	c := connectFixture(t, newNetFixture(t, f))
	cpPath := filepath.Join(t.TempDir(), "blocks.json")
	s, err := c.BlockEvents(context.Background(), WithStartBlock(3), WithCheckpointFile(cpPath), fastReconnect())
	require.NoError(t, err)
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	b3, err := s.Next(ctx)
	require.NoError(t, err)
	b4, err := s.Next(ctx)
	require.NoError(t, err)
	require.Equal(t, uint64(3), b3.Number)
	require.Equal(t, uint64(4), b4.Number)
	require.Equal(t, []BlockTransaction{{ID: "tx-3", Type: "ENDORSER_TRANSACTION", Status: "VALID", Valid: true,
		Events: []BlockEvent{{Chaincode: "consent", Name: "Granted"}}}}, b3.Transactions)
	require.NoError(t, s.Ack(b4))
	require.Equal(t, uint64(5), s.Checkpoint().BlockNumber)

	// The service said SERVICE_UNAVAILABLE: the stream reconnected from block 5 and was then refused.
	_, err = s.Next(ctx)
	require.ErrorContains(t, err, "FORBIDDEN")
	mu.Lock()
	require.Equal(t, []uint64{3, 5}, starts)
	mu.Unlock()
}

func TestClosingTheClientEndsItsStreams(t *testing.T) {
	f := &fakeGateway{EventsFn: (&eventScript{}).serve}
	fx := newNetFixture(t, f)
	n, err := LoadNetwork(fx.dir)
	require.NoError(t, err)
	c, err := n.Connect(context.Background(), "patient1")
	require.NoError(t, err)
	s, err := c.ChaincodeEvents(context.Background(), "consent", WithStartBlock(0), fastReconnect())
	require.NoError(t, err)
	require.NoError(t, c.Close())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = s.Next(ctx)
	require.ErrorIs(t, err, ErrStreamClosed)
}
