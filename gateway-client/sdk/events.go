package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
)

// ChaincodeEvent is one event a chaincode emitted in a committed transaction.
type ChaincodeEvent struct {
	BlockNumber   uint64 `json:"blockNumber"`
	TransactionID string `json:"transactionId"`
	Chaincode     string `json:"chaincode"`
	Name          string `json:"name"`
	// Payload is the event's payload; healthledger chaincodes emit JSON.
	Payload []byte `json:"payload"`

	// seq orders the events one stream delivered (1, 2, ...); 0 for events from elsewhere.
	seq uint64
	// stream is the stream that delivered the event.
	stream *pump[ChaincodeEvent]
}

// Decode decodes the JSON payload into v.
func (e ChaincodeEvent) Decode(v any) error {
	if err := json.Unmarshal(e.Payload, v); err != nil {
		return fmt.Errorf("event %s of %s (tx %s): decode payload: %w", e.Name, e.Chaincode, e.TransactionID, err)
	}
	return nil
}

// DecodeEvent decodes the JSON payload of e into a T.
func DecodeEvent[T any](e ChaincodeEvent) (*T, error) {
	out := new(T)
	if err := e.Decode(out); err != nil {
		return nil, err
	}
	return out, nil
}

// Block is a committed block, as the filtered block service reports it: its transactions with their
// validation status and the names of their chaincode events (without payloads).
type Block struct {
	Number       uint64             `json:"number"`
	Transactions []BlockTransaction `json:"transactions"`

	seq    uint64
	stream *pump[Block]
}

// BlockTransaction is one transaction of a [Block].
type BlockTransaction struct {
	ID string `json:"id"`
	// Type is the header type (ENDORSER_TRANSACTION, CONFIG ...).
	Type string `json:"type"`
	// Status is the validation code (VALID, MVCC_READ_CONFLICT ...).
	Status string `json:"status"`
	Valid  bool   `json:"valid"`
	// Events names the chaincode events the transaction emitted.
	Events []BlockEvent `json:"events"`
}

// BlockEvent names one chaincode event within a [BlockTransaction].
type BlockEvent struct {
	Chaincode string `json:"chaincode"`
	Name      string `json:"name"`
}

// Checkpoint is a stream's position: the block to read next and, within it, the transaction of the
// last processed event ("" when no event of that block was processed).
type Checkpoint struct {
	// Stream names the stream the checkpoint belongs to (chaincode:<name> or blocks); a stream refuses
	// a checkpoint saved by another.
	Stream        string `json:"stream,omitempty"`
	BlockNumber   uint64 `json:"blockNumber"`
	TransactionID string `json:"transactionId,omitempty"`
}

// Checkpointer stores a stream's checkpoint. Load reports false when none was saved yet. Save must be
// atomic: after a crash, Load returns either the old or the new checkpoint.
type Checkpointer interface {
	Load() (Checkpoint, bool, error)
	Save(Checkpoint) error
}

// EventOption configures an event stream.
type EventOption func(*eventConfig) error

type eventConfig struct {
	startBlock *uint64
	checkpoint Checkpointer
	reconnect  RetryPolicy
	notify     func(attempt int, err error)
}

// DefaultReconnectPolicy is how streams reconnect when the peer goes away: without limit (MaxAttempts
// 0), waiting up to 200ms before the first attempt and doubling up to 5s.
func DefaultReconnectPolicy() RetryPolicy {
	return RetryPolicy{MaxAttempts: 0, BaseDelay: 200 * time.Millisecond, MaxDelay: 5 * time.Second}
}

// WithStartBlock starts the stream at a block. A saved checkpoint takes precedence. Without either, a
// stream starts at the next block to commit.
func WithStartBlock(n uint64) EventOption {
	return func(c *eventConfig) error {
		c.startBlock = &n
		return nil
	}
}

// WithCheckpoint resumes the stream from cp and saves there each position the caller acknowledges.
func WithCheckpoint(cp Checkpointer) EventOption {
	return func(c *eventConfig) error {
		if cp == nil {
			return errors.New("checkpoint: nil")
		}
		c.checkpoint = cp
		return nil
	}
}

// WithCheckpointFile is WithCheckpoint with a [CheckpointFile] at path.
func WithCheckpointFile(path string) EventOption {
	return func(c *eventConfig) error {
		cp, err := NewCheckpointFile(path)
		if err != nil {
			return err
		}
		c.checkpoint = cp
		return nil
	}
}

// WithReconnect sets how the stream reconnects after the peer goes away. MaxAttempts counts the
// consecutive failed attempts before the stream gives up; 0 means never give up.
func WithReconnect(p RetryPolicy) EventOption {
	return func(c *eventConfig) error {
		if p.MaxAttempts < 0 || p.BaseDelay < 0 || p.MaxDelay < 0 {
			return errors.New("reconnect policy: negative values")
		}
		c.reconnect = p
		return nil
	}
}

// WithReconnectNotify calls f before each reconnection attempt, with the attempt number (1, 2, ...)
// and the error that broke the stream. f must not block.
func WithReconnectNotify(f func(attempt int, err error)) EventOption {
	return func(c *eventConfig) error {
		c.notify = f
		return nil
	}
}

// ChaincodeEventStream delivers a chaincode's events in commit order. Next returns them one at a
// time; Ack records that the caller processed one (and all before it), which moves the checkpoint.
// After a restart, a stream with the same checkpoint resumes exactly after the last acknowledged
// event: an event acknowledged is never delivered again, and none is skipped. An event processed but
// not yet acknowledged when the process dies is delivered again: processing then acknowledging is
// at-least-once, and exactly-once when the processing is idempotent or saved in one transaction with
// the checkpoint.
type ChaincodeEventStream struct {
	p *pump[ChaincodeEvent]
}

// BlockEventStream delivers committed blocks in order, with the same Next / Ack contract as
// [ChaincodeEventStream].
type BlockEventStream struct {
	p *pump[Block]
}

// ChaincodeEvents subscribes to the events of a chaincode. The stream lives until ctx ends, Close is
// called, or an error it cannot recover from; it reconnects by itself when the peer goes away, through
// the profile's next peer when the client fails over.
func (c *Client) ChaincodeEvents(ctx context.Context, chaincode string, opts ...EventOption) (*ChaincodeEventStream, error) {
	if chaincode == "" {
		return nil, errors.New("chaincode events: empty chaincode name")
	}
	open := func(ctx context.Context, from position) (func() ([]ChaincodeEvent, error), error) {
		s := c.current()
		r, err := s.b.chaincodeEvents(ctx, chaincode, from)
		if err != nil {
			c.failover(ctx, s, err)
			return nil, err
		}
		return func() ([]ChaincodeEvent, error) {
			batch, err := r.recv()
			if err != nil {
				// When the peer is gone, the reconnection goes to the profile's next peer.
				c.failover(ctx, s, err)
				return nil, err
			}
			out := make([]ChaincodeEvent, 0, len(batch.events))
			for _, e := range batch.events {
				out = append(out, ChaincodeEvent{
					BlockNumber:   e.BlockNumber,
					TransactionID: e.TransactionID,
					Chaincode:     e.ChaincodeName,
					Name:          e.EventName,
					Payload:       e.Payload,
				})
			}
			return out, nil
		}, nil
	}
	after := func(e ChaincodeEvent) position {
		return position{set: true, block: e.BlockNumber, afterTxID: e.TransactionID}
	}
	p, err := startPump(ctx, c, "chaincode:"+chaincode, open, after, func(e *ChaincodeEvent, seq uint64, s *pump[ChaincodeEvent]) {
		e.seq, e.stream = seq, s
	}, opts)
	if err != nil {
		return nil, fmt.Errorf("chaincode events of %s: %w", chaincode, err)
	}
	return &ChaincodeEventStream{p: p}, nil
}

// BlockEvents subscribes to the channel's committed blocks.
func (c *Client) BlockEvents(ctx context.Context, opts ...EventOption) (*BlockEventStream, error) {
	open := func(ctx context.Context, from position) (func() ([]Block, error), error) {
		s := c.current()
		r, err := s.b.blocks(ctx, from)
		if err != nil {
			c.failover(ctx, s, err)
			return nil, err
		}
		return func() ([]Block, error) {
			b, err := r.recv()
			if err != nil {
				c.failover(ctx, s, err)
				return nil, err
			}
			return []Block{b}, nil
		}, nil
	}
	after := func(b Block) position { return position{set: true, block: b.Number + 1} }
	p, err := startPump(ctx, c, "blocks", open, after, func(b *Block, seq uint64, s *pump[Block]) {
		b.seq, b.stream = seq, s
	}, opts)
	if err != nil {
		return nil, fmt.Errorf("block events: %w", err)
	}
	return &BlockEventStream{p: p}, nil
}

// Next returns the next event, waiting for it until ctx ends. When the stream has ended it returns
// the error that ended it (see [ChaincodeEventStream.Err]); when ctx ends first, ctx's error, and the
// stream stays usable.
func (s *ChaincodeEventStream) Next(ctx context.Context) (ChaincodeEvent, error) {
	return s.p.next(ctx)
}

// Ack records that e, and every event delivered before it, was processed, and saves the checkpoint.
// Acknowledging an event again is harmless; acknowledging one this stream did not deliver is an error.
func (s *ChaincodeEventStream) Ack(e ChaincodeEvent) error {
	return s.p.ack(e.seq, e.stream, position{set: true, block: e.BlockNumber, afterTxID: e.TransactionID})
}

// Err returns the error that ended the stream, or nil while it runs. After Close it is ErrStreamClosed.
func (s *ChaincodeEventStream) Err() error { return s.p.errNow() }

// Checkpoint returns the position of the last acknowledged event.
func (s *ChaincodeEventStream) Checkpoint() Checkpoint { return s.p.checkpointNow() }

// Close ends the stream. Events delivered and not acknowledged will be delivered again by the next
// stream resuming from the same checkpoint.
func (s *ChaincodeEventStream) Close() error { return s.p.close() }

// Next returns the next block; see [ChaincodeEventStream.Next].
func (s *BlockEventStream) Next(ctx context.Context) (Block, error) { return s.p.next(ctx) }

// Ack records that b, and every block before it, was processed; see [ChaincodeEventStream.Ack].
func (s *BlockEventStream) Ack(b Block) error {
	return s.p.ack(b.seq, b.stream, position{set: true, block: b.Number + 1})
}

// Err returns the error that ended the stream, or nil while it runs.
func (s *BlockEventStream) Err() error { return s.p.errNow() }

// Checkpoint returns the position after the last acknowledged block.
func (s *BlockEventStream) Checkpoint() Checkpoint { return s.p.checkpointNow() }

// Close ends the stream.
func (s *BlockEventStream) Close() error { return s.p.close() }

// ErrStreamClosed is what Next returns after Close.
var ErrStreamClosed = errors.New("event stream closed")

// StreamError is the error that ended an event stream: the last failure, and how many consecutive
// reconnection attempts were made.
type StreamError struct {
	Stream   string
	Attempts int
	Err      error
}

// Error describes why the stream ended.
func (e *StreamError) Error() string {
	if e.Attempts > 0 {
		return fmt.Sprintf("event stream %s ended after %d reconnection attempts: %s", e.Stream, e.Attempts, oneLine(e.Err))
	}
	return fmt.Sprintf("event stream %s ended: %s", e.Stream, oneLine(e.Err))
}

// Unwrap returns the failure.
func (e *StreamError) Unwrap() error { return e.Err }

// pump runs one stream: a goroutine receives from the peer (reconnecting as needed) and hands items
// to next one at a time; ack moves the checkpoint.
type pump[T any] struct {
	name  string
	items chan T
	done  chan struct{} // closed when the receiving goroutine has ended
	stop  context.CancelFunc
	// clientLife ends when the client is closed.
	clientLife context.Context

	mu        sync.Mutex
	err       error
	delivered uint64 // seq of the last item next returned
	acked     uint64 // seq of the last item acknowledged
	cp        Checkpointer
	current   Checkpoint
}

func startPump[T any](
	ctx context.Context,
	c *Client,
	name string,
	open func(context.Context, position) (func() ([]T, error), error),
	after func(T) position,
	stamp func(*T, uint64, *pump[T]),
	opts []EventOption,
) (*pump[T], error) {
	cfg := eventConfig{reconnect: DefaultReconnectPolicy()}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	from := position{}
	current := Checkpoint{Stream: name}
	if cfg.checkpoint != nil {
		saved, ok, err := cfg.checkpoint.Load()
		if err != nil {
			return nil, fmt.Errorf("load checkpoint: %w", err)
		}
		if ok {
			if saved.Stream != "" && saved.Stream != name {
				return nil, fmt.Errorf("checkpoint belongs to stream %q, not %q", saved.Stream, name)
			}
			from = position{set: true, block: saved.BlockNumber, afterTxID: saved.TransactionID}
			current = Checkpoint{Stream: name, BlockNumber: saved.BlockNumber, TransactionID: saved.TransactionID}
		}
	}
	if !from.set && cfg.startBlock != nil {
		from = position{set: true, block: *cfg.startBlock}
	}
	if !from.set {
		// Pin "now" to a block number, so a reconnection before the first event misses nothing.
		if h, err := c.height(ctx); err == nil {
			from = position{set: true, block: h}
		}
	}
	if from.set && from.afterTxID == "" {
		current = Checkpoint{Stream: name, BlockNumber: from.block}
	}
	if cfg.checkpoint != nil && from.set {
		if err := cfg.checkpoint.Save(current); err != nil {
			return nil, fmt.Errorf("save checkpoint: %w", err)
		}
	}

	runCtx, cancel := context.WithCancel(ctx)
	stopWatch := context.AfterFunc(c.life, cancel)
	p := &pump[T]{
		clientLife: c.life,
		name:       name,
		items:      make(chan T),
		done:       make(chan struct{}),
		stop:       cancel,
		cp:         cfg.checkpoint,
		current:    current,
	}
	// Open the first connection here, so that a stream that cannot start says so at once.
	recv, err := open(runCtx, from)
	if err != nil && !reconnectable(err) {
		stopWatch()
		cancel()
		return nil, err
	}
	go func() {
		<-p.done
		stopWatch()
	}()
	go p.run(runCtx, c.cfg.sleep, cfg, from, recv, err, open, after, stamp)
	return p, nil
}

func (p *pump[T]) run(
	ctx context.Context,
	sleep func(context.Context, time.Duration) error,
	cfg eventConfig,
	from position,
	recv func() ([]T, error),
	openErr error,
	open func(context.Context, position) (func() ([]T, error), error),
	after func(T) position,
	stamp func(*T, uint64, *pump[T]),
) {
	defer close(p.done)
	var seq uint64
	attempts := 0
	lastErr := openErr
	for {
		if recv == nil {
			if ctx.Err() != nil {
				p.fail(ctx.Err(), 0)
				return
			}
			attempts++
			if cfg.reconnect.MaxAttempts > 0 && attempts > cfg.reconnect.MaxAttempts {
				p.fail(lastErr, attempts-1)
				return
			}
			if cfg.notify != nil {
				cfg.notify(attempts, lastErr)
			}
			if err := sleep(ctx, cfg.reconnect.jittered(attempts)); err != nil {
				p.fail(err, 0)
				return
			}
			r, err := open(ctx, from)
			if err != nil {
				if ctx.Err() != nil {
					p.fail(ctx.Err(), 0)
					return
				}
				if !reconnectable(err) {
					p.fail(err, attempts)
					return
				}
				lastErr = err
				continue
			}
			recv = r
		}
		items, err := recv()
		if err != nil {
			recv = nil
			if ctx.Err() != nil {
				p.fail(ctx.Err(), 0)
				return
			}
			if !reconnectable(err) {
				p.fail(err, 0)
				return
			}
			lastErr = err
			continue
		}
		attempts = 0
		for _, it := range items {
			seq++
			stamp(&it, seq, p)
			select {
			case p.items <- it:
				from = after(it)
			case <-ctx.Done():
				p.fail(ctx.Err(), 0)
				return
			}
		}
	}
}

// fail records the error that ended the stream (the first one wins).
func (p *pump[T]) fail(err error, attempts int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return
	}
	if p.clientLife.Err() != nil {
		p.err = ErrStreamClosed
		return
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		p.err = err
		return
	}
	p.err = &StreamError{Stream: p.name, Attempts: attempts, Err: err}
}

func (p *pump[T]) next(ctx context.Context) (T, error) {
	var zero T
	select {
	case it := <-p.items:
		p.mu.Lock()
		defer p.mu.Unlock()
		// Items carry their seq; record the highest delivered.
		p.delivered++
		return it, nil
	case <-p.done:
		return zero, p.errNow()
	case <-ctx.Done():
		return zero, ctx.Err()
	}
}

func (p *pump[T]) ack(seq uint64, from *pump[T], pos position) error {
	if from != p || seq == 0 {
		return errors.New("ack: the event was not delivered by this stream")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if seq > p.delivered {
		return errors.New("ack: the event was not delivered yet")
	}
	if seq <= p.acked {
		return nil
	}
	cp := Checkpoint{Stream: p.name, BlockNumber: pos.block, TransactionID: pos.afterTxID}
	if p.cp != nil {
		if err := p.cp.Save(cp); err != nil {
			return fmt.Errorf("ack: save checkpoint: %w", err)
		}
	}
	p.acked = seq
	p.current = cp
	return nil
}

func (p *pump[T]) errNow() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

func (p *pump[T]) checkpointNow() Checkpoint {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.current
}

func (p *pump[T]) close() error {
	p.mu.Lock()
	if p.err == nil {
		p.err = ErrStreamClosed
	}
	p.mu.Unlock()
	p.stop()
	<-p.done
	return nil
}

// reconnectable reports a stream failure that reconnecting may cure: the peer went away, is
// overloaded or restarting, or the stream ended.
func reconnectable(err error) bool {
	if errors.Is(err, io.EOF) || isDeliverUnavailable(err) {
		return true
	}
	switch grpcCode(err) {
	case codes.Unavailable, codes.ResourceExhausted, codes.Aborted, codes.Internal,
		codes.DeadlineExceeded, codes.Canceled:
		return true
	}
	return false
}

// height returns the channel's block height (the number of the next block), asked of the query
// system chaincode.
func (c *Client) height(ctx context.Context) (uint64, error) {
	res, err := c.Contract("qscc").Evaluate(ctx, "GetChainInfo", []string{c.channel})
	if err != nil {
		return 0, err
	}
	var info common.BlockchainInfo
	if err := proto.Unmarshal(res, &info); err != nil {
		return 0, fmt.Errorf("chain info: %w", err)
	}
	return info.GetHeight(), nil
}
