package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
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
// the profile's next peer when the client fails over. It reads as the events identity when one was
// chosen ([WithEventIdentity]): the channel's ACLs refuse chaincode events to ordinary client
// certificates, and such a stream ends with [ErrForbidden].
func (c *Client) ChaincodeEvents(ctx context.Context, chaincode string, opts ...EventOption) (*ChaincodeEventStream, error) {
	if chaincode == "" {
		return nil, errors.New("chaincode events: empty chaincode name")
	}
	if c.events != nil {
		return c.events.ChaincodeEvents(ctx, chaincode, opts...)
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
		return nil, openError("chaincode events of "+chaincode, err)
	}
	return &ChaincodeEventStream{p: p}, nil
}

// BlockEvents subscribes to the channel's committed blocks (filtered: transaction ids, validation
// codes and event names). Like [Client.ChaincodeEvents] it reads as the events identity when one was
// chosen.
func (c *Client) BlockEvents(ctx context.Context, opts ...EventOption) (*BlockEventStream, error) {
	if c.events != nil {
		return c.events.BlockEvents(ctx, opts...)
	}
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
		return nil, openError("block events", err)
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

// Is matches [ErrForbidden] when the gateway refused the stream's identity (gRPC PermissionDenied:
// the channel's ACLs admit no ordinary client certificate to chaincode events; see
// [WithEventIdentity]).
func (e *StreamError) Is(target error) bool {
	return target == ErrForbidden && isPermissionDenied(e.Err)
}

// openError is the error of a stream that could not start: [ErrForbidden] joins a refusal by the
// channel's ACLs.
func openError(what string, err error) error {
	if isPermissionDenied(err) {
		return fmt.Errorf("%s: %w: %w", what, ErrForbidden, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}
