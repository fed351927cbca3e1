package sdk

// This file is the engine under the event streams of events.go: a pump receives from the peer,
// reconnects as needed and hands items to Next one at a time; Ack moves the checkpoint.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
)

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
