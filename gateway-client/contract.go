package gatewayclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// Contract is one chaincode on the client's channel. Function names are bare (the chaincodes use a
// single default contract).
type Contract struct {
	c    *Client
	name string
}

// Name returns the chaincode name.
func (k *Contract) Name() string { return k.name }

// Committed describes a committed transaction.
type Committed struct {
	// TransactionID is the id of the transaction that committed.
	TransactionID string `json:"transactionId"`
	// BlockNumber is the block it committed in.
	BlockNumber uint64 `json:"blockNumber"`
	// Result is the chaincode's response payload.
	Result []byte `json:"result"`
	// Attempts is how many tries it took, the first included.
	Attempts int `json:"attempts"`
}

// Evaluate runs fn as a query on one peer and returns its payload. It retries, within the retry
// policy, while peers are unavailable or overloaded. Errors are [*Error].
func (k *Contract) Evaluate(ctx context.Context, fn string, args []string, opts ...CallOption) ([]byte, error) {
	p, err := k.proposal(fn, args, opts)
	if err != nil {
		return nil, err
	}
	r := k.c.retrier()
	for {
		sctx, cancel := stageContext(ctx, k.c.cfg.timeouts.Evaluate)
		res, err := k.c.b.evaluate(sctx, p)
		cancel()
		if err == nil {
			return res, nil
		}
		if !transientFailure(err) || !r.again(ctx) {
			return nil, mapError(k.name, fn, "", r.attempts, err)
		}
	}
}

// Submit endorses fn, sends it to the orderers and waits for its commit, then returns the chaincode's
// payload. See [Contract.SubmitTx] for the retries. Errors are [*Error].
func (k *Contract) Submit(ctx context.Context, fn string, args []string, opts ...CallOption) ([]byte, error) {
	c, err := k.SubmitTx(ctx, fn, args, opts...)
	if err != nil {
		return nil, err
	}
	return c.Result, nil
}

// SubmitTx is [Contract.Submit] returning the transaction id and block as well.
//
// Within the retry policy it endorses again when endorsement finds the peers unavailable or overloaded
// or when the transaction fails to commit with MVCC_READ_CONFLICT or PHANTOM_READ_CONFLICT; it resends
// the same signed transaction when the hand-over to the orderers finds the gateway unavailable (a
// transaction id commits at most once), and asks again for the commit status when that request finds
// the gateway unavailable.
//
// The error underneath an [*Error] is a *client.EndorseError, *client.SubmitError,
// *client.CommitStatusError (each with per-peer details) or a [*CommitError].
func (k *Contract) SubmitTx(ctx context.Context, fn string, args []string, opts ...CallOption) (*Committed, error) {
	p, err := k.proposal(fn, args, opts)
	if err != nil {
		return nil, err
	}
	t := k.c.cfg.timeouts
	r := k.c.retrier()
	fail := func(txID string, err error) (*Committed, error) {
		return nil, mapError(k.name, fn, txID, r.attempts, err)
	}
	for {
		sctx, cancel := stageContext(ctx, t.Endorse)
		tx, err := k.c.b.endorse(sctx, p)
		cancel()
		if err != nil {
			if (transientFailure(err) || isReadConflict(err)) && r.again(ctx) {
				continue
			}
			return fail("", err)
		}
		txID := tx.transactionID()

		var commit committing
		for {
			sctx, cancel := stageContext(ctx, t.Submit)
			commit, err = tx.submit(sctx)
			cancel()
			if err == nil {
				break
			}
			if transientFailure(err) && r.again(ctx) {
				continue
			}
			return fail(txID, err)
		}

		var st commitStatus
		for {
			sctx, cancel := stageContext(ctx, t.CommitStatus)
			st, err = commit.status(sctx)
			cancel()
			if err == nil {
				break
			}
			if transientFailure(err) && r.again(ctx) {
				continue
			}
			return fail(txID, err)
		}

		if st.code == peer.TxValidationCode_VALID {
			return &Committed{TransactionID: txID, BlockNumber: st.blockNumber, Result: tx.result(), Attempts: r.attempts}, nil
		}
		cerr := &CommitError{TransactionID: txID, Code: st.code, BlockNumber: st.blockNumber}
		if isReadConflict(cerr) && r.again(ctx) {
			continue
		}
		return fail(txID, cerr)
	}
}

func (k *Contract) proposal(fn string, args []string, opts []CallOption) (proposal, error) {
	if fn == "" {
		return proposal{}, &Error{Chaincode: k.name, Code: "", Message: "empty function name", sentinel: ErrInvalidArgument}
	}
	if k.name == "" {
		return proposal{}, &Error{Function: fn, Message: "empty chaincode name", sentinel: ErrInvalidArgument}
	}
	var cc callConfig
	for _, o := range opts {
		if o != nil {
			o(&cc)
		}
	}
	return proposal{
		chaincode:     k.name,
		function:      fn,
		args:          slices.Clone(args),
		transient:     cc.transient,
		endorsingOrgs: cc.endorsingOrgs,
	}, nil
}

// EvaluateJSON evaluates fn and decodes its JSON payload into a T. An empty payload (a chaincode
// returning a nil slice or nothing) decodes as the zero T.
func EvaluateJSON[T any](ctx context.Context, k *Contract, fn string, args []string, opts ...CallOption) (*T, error) {
	res, err := k.Evaluate(ctx, fn, args, opts...)
	if err != nil {
		return nil, err
	}
	return decodeResult[T](k.name, fn, res)
}

// SubmitJSON submits fn and decodes its JSON payload into a T. An empty payload decodes as the zero T.
func SubmitJSON[T any](ctx context.Context, k *Contract, fn string, args []string, opts ...CallOption) (*T, error) {
	res, err := k.Submit(ctx, fn, args, opts...)
	if err != nil {
		return nil, err
	}
	return decodeResult[T](k.name, fn, res)
}

func decodeResult[T any](chaincode, fn string, res []byte) (*T, error) {
	out := new(T)
	if len(bytes.TrimSpace(res)) == 0 {
		return out, nil
	}
	if err := json.Unmarshal(res, out); err != nil {
		return nil, fmt.Errorf("%s.%s: decode response as %T: %w", chaincode, fn, *out, err)
	}
	return out, nil
}

// stageContext bounds one stage with timeout unless ctx already has a deadline.
func stageContext(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok || timeout <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, timeout)
}

// retrier counts the tries of one call and waits between them.
type retrier struct {
	policy   RetryPolicy
	sleep    func(context.Context, time.Duration) error
	attempts int
}

func (c *Client) retrier() *retrier {
	return &retrier{policy: c.cfg.retry, sleep: c.cfg.sleep, attempts: 1}
}

// again reports whether one more try is allowed, after waiting the backoff. It is false when the
// attempts are used up or ctx ends during the wait.
func (r *retrier) again(ctx context.Context) bool {
	if r.attempts >= r.policy.MaxAttempts || ctx.Err() != nil {
		return false
	}
	if err := r.sleep(ctx, r.policy.jittered(r.attempts)); err != nil {
		return false
	}
	r.attempts++
	return true
}

// isReadConflict reports a commit failure that endorsing again can cure.
func isReadConflict(err error) bool {
	var ce *CommitError
	if !errors.As(err, &ce) {
		return false
	}
	return ce.Code == peer.TxValidationCode_MVCC_READ_CONFLICT || ce.Code == peer.TxValidationCode_PHANTOM_READ_CONFLICT
}

// Retryable reports whether the SDK retries a call that failed with err: a peer unavailable or
// overloaded (gRPC Unavailable or ResourceExhausted), or a commit that failed with MVCC_READ_CONFLICT
// or PHANTOM_READ_CONFLICT. Chaincode failures (stable codes) are never retried.
func Retryable(err error) bool {
	if err == nil {
		return false
	}
	if _, ok := parseCode(err); ok {
		return false
	}
	return isUnavailable(err) || isReadConflict(err)
}

// transientFailure reports a peer unavailable or overloaded, as opposed to a chaincode failure.
func transientFailure(err error) bool {
	if _, ok := parseCode(err); ok {
		return false
	}
	return isUnavailable(err)
}
