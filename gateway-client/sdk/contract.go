package sdk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
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
	// Attempts is how many tries the retry policy counted, the first included: every endorsement
	// attempt, a failed one too. Resends of the same transaction are counted apart, in Resends.
	Attempts int `json:"attempts"`
	// Resends is how many times the same signed transaction was handed to the orderers again, because
	// a hand-over failed or the commit status was late (see [Timeouts.Rebroadcast]).
	Resends int `json:"resends,omitempty"`
}

// Evaluate runs fn as a query on one peer and returns its payload. It retries, within the retry
// policy, while peers are unavailable or overloaded; when the client's peer is gone it moves to the
// profile's next reachable peer and evaluates there. A query with private data of the caller's org
// (see [WithFallbackOrgs]) runs only on a peer of that org. Errors are [*Error].
func (k *Contract) Evaluate(ctx context.Context, fn string, args []string, opts ...CallOption) ([]byte, error) {
	res, _, err := k.evaluate(ctx, fn, args, opts)
	return res, err
}

// evaluate is Evaluate, returning the id of the transaction proposed (the last attempt's) as well.
func (k *Contract) evaluate(ctx context.Context, fn string, args []string, opts []CallOption) ([]byte, string, error) {
	p, err := k.proposal(fn, args, opts)
	if err != nil {
		return nil, "", err
	}
	c := k.c
	r := c.retrier(k.name, fn)
	for {
		pn := c.pin()
		if err := pn.ownOrg(ctx, p); err != nil {
			pn.unpin()
			return nil, "", mapError(k.name, fn, "", r.attempts, err)
		}
		sctx, cancel := stageContext(ctx, c.cfg.timeouts.Evaluate)
		res, txID, err := pn.s.b.evaluate(sctx, p)
		cancel()
		pn.unpin()
		if err == nil {
			return res, txID, nil
		}
		if !transientFailure(err) || !r.retry(ctx, c, pn.s, err) {
			return nil, "", mapError(k.name, fn, "", r.attempts, err)
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
// Endorsement. Within the retry policy it endorses again (a new transaction) when endorsement finds
// the peers unavailable or overloaded, when the endorsing peers' results differ
// ("ProposalResponsePayloads do not match": peers at different heights), and when the transaction
// fails to commit with MVCC_READ_CONFLICT or PHANTOM_READ_CONFLICT; in each case nothing reached the
// ledger.
//
// Delivery. Once endorsed, the transaction is never endorsed again except after such a failed commit:
// until its commit status arrives or the deadline passes (the context's, or Timeouts.CommitStatus),
// the SDK hands the same signed transaction (same id) to the orderers again when the hand-over finds
// the gateway unavailable, overloaded or timed out (Timeouts.Submit), and when its commit status has
// not arrived within Timeouts.Rebroadcast (an orderer may have lost it); and it asks again for the
// status of the same id when that request finds the gateway unavailable. A transaction id commits at
// most once: a second copy that reaches a block is invalidated as DUPLICATE_TXID, and when a peer
// answers DUPLICATE_TXID for the id the SDK asks again, for the first copy's status. These repeats
// are bounded by the deadline, not by the retry policy's attempts; [WithoutRetry] switches them off.
//
// Failover. When a stage fails because the client's gateway peer is gone, the client moves to the
// profile's next reachable peer and repeats that stage there, with the same rules: endorsement with a
// new proposal, the hand-over with the same signed transaction, the commit status for the same
// transaction id. A call with private data of the caller's org is endorsed only through a peer of that
// org (see [WithFallbackOrgs]).
//
// The error underneath an [*Error] is a *client.EndorseError, *client.SubmitError,
// *client.CommitStatusError (each with per-peer details) or a [*CommitError].
func (k *Contract) SubmitTx(ctx context.Context, fn string, args []string, opts ...CallOption) (*Committed, error) {
	p, err := k.proposal(fn, args, opts)
	if err != nil {
		return nil, err
	}
	c := k.c
	r := c.retrier(k.name, fn)
	resends := 0
	fail := func(txID string, err error) (*Committed, error) {
		return nil, mapError(k.name, fn, txID, r.attempts, err)
	}
	// pn is the session the transaction goes through; it follows the client's failovers.
	pn := c.pin()
	defer func() { pn.unpin() }()
	for {
		if err := pn.ownOrg(ctx, p); err != nil {
			return fail("", err)
		}
		sctx, cancel := stageContext(ctx, c.cfg.timeouts.Endorse)
		tx, err := pn.s.b.endorse(sctx, p)
		cancel()
		if err != nil {
			if transientFailure(err) {
				again := r.retry(ctx, c, pn.s, err)
				pn.follow()
				if again {
					continue
				}
			} else if (isReadConflict(err) || isEndorsementMismatch(err)) && r.again(ctx, err) {
				continue
			}
			return fail("", err)
		}
		txID := tx.transactionID()

		d := &delivery{c: c, pin: pn, tx: tx}
		st, err := d.run(ctx)
		resends += d.resends()
		if err != nil {
			return fail(txID, err)
		}
		if st.code == peer.TxValidationCode_VALID {
			return &Committed{TransactionID: txID, BlockNumber: st.blockNumber, Result: tx.result(),
				Attempts: r.attempts, Resends: resends}, nil
		}
		cerr := &CommitError{TransactionID: txID, Code: st.code, BlockNumber: st.blockNumber}
		// The failed commit changed nothing, and its id can never commit now (a later copy would be a
		// DUPLICATE_TXID): endorsing anew is safe.
		if isReadConflict(cerr) && r.again(ctx, cerr) {
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
		orgBound:      len(cc.transient) > 0 || slices.Contains(cc.endorsingOrgs, k.c.info.MSPID),
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

// retrier counts the tries of one call, waits between them and tells the client's retry observer.
type retrier struct {
	policy    RetryPolicy
	sleep     func(context.Context, time.Duration) error
	observe   func(context.Context, Retry)
	chaincode string
	function  string
	attempts  int
}

func (c *Client) retrier(chaincode, fn string) *retrier {
	return &retrier{policy: c.cfg.retry, sleep: c.cfg.sleep, observe: c.cfg.retryObserver,
		chaincode: chaincode, function: fn, attempts: 1}
}

// again reports whether one more try is allowed after the failure err, after waiting the backoff. It
// is false when the attempts are used up or ctx ends during the wait.
func (r *retrier) again(ctx context.Context, err error) bool {
	if r.attempts >= r.policy.MaxAttempts || ctx.Err() != nil {
		return false
	}
	if err := r.sleep(ctx, r.policy.jittered(r.attempts)); err != nil {
		return false
	}
	r.next(ctx, err)
	return true
}

// now reports whether one more try is allowed after the failure err, without waiting.
func (r *retrier) now(ctx context.Context, err error) bool {
	if r.attempts >= r.policy.MaxAttempts || ctx.Err() != nil {
		return false
	}
	r.next(ctx, err)
	return true
}

// next counts the next attempt and reports it to the observer.
func (r *retrier) next(ctx context.Context, err error) {
	r.attempts++
	if r.observe != nil {
		r.observe(ctx, Retry{Chaincode: r.chaincode, Function: r.function, Attempt: r.attempts, Cause: RetryCauseOf(err), Err: err})
	}
}

// retry handles a transient failure of a call on s: when s's peer is gone the client fails over
// (even when no attempt is left, so that the next call goes to a peer that answers) and the call may
// be tried again at once on the new peer; otherwise it may be tried again after the backoff. A
// connection may be seen down only a moment after a call on it failed, so the peer is checked again
// after the wait.
func (r *retrier) retry(ctx context.Context, c *Client, s *session, err error) bool {
	if c.failover(ctx, s, err) {
		return r.now(ctx, err)
	}
	if !r.again(ctx, err) {
		return false
	}
	c.failover(ctx, s, err)
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

// isEndorsementMismatch reports an endorsement whose peers returned different results ("ProposalResponsePayloads do not
// match", gRPC Aborted): typically a read-modify-write endorsed by peers at different block heights.
// Nothing reached the ledger, so endorsing again is safe.
func isEndorsementMismatch(err error) bool {
	return grpcCode(err) == codes.Aborted && saysAnywhere(err, "ProposalResponsePayloads do not match")
}

// isChaincodeUnreachable reports a peer that could not reach its chaincode server ("could not launch
// chaincode ...: connection refused", gRPC Aborted on an endorsement, Unknown on an evaluation): the
// server is down or restarting. Nothing ran, so asking again is safe, and it is unavailability, not
// a chaincode failure.
func isChaincodeUnreachable(err error) bool {
	c := grpcCode(err)
	return (c == codes.Aborted || c == codes.Unknown) && saysAnywhere(err, "could not launch chaincode")
}

// saysAnywhere reports whether text stands in err's gRPC status message, in one of its per-peer
// details, or in its text.
func saysAnywhere(err error, text string) bool {
	if st, ok := status.FromError(err); ok && strings.Contains(st.Message(), text) {
		return true
	}
	for _, d := range detailsOf(err) {
		if strings.Contains(d.GetMessage(), text) {
			return true
		}
	}
	return strings.Contains(err.Error(), text)
}

// Retry describes one retry the SDK is about to make, as a [WithRetryObserver] function sees it.
type Retry struct {
	// Chaincode and Function name the call.
	Chaincode string
	Function  string
	// Attempt is the number of the try about to be made: 2 for the first retry.
	Attempt int
	// Cause is why the previous try failed (see [RetryCauseOf]).
	Cause string
	// Err is the failure of the previous try.
	Err error
}

// The causes of a retry, as [RetryCauseOf] names them; a commit that failed validation is named by its
// validation code (MVCC_READ_CONFLICT, PHANTOM_READ_CONFLICT).
const (
	// RetryUnavailable: the peer or gateway was unavailable or overloaded (gRPC Unavailable,
	// ResourceExhausted) or could not reach its chaincode server.
	RetryUnavailable = "UNAVAILABLE"
	// RetryEndorsementMismatch: the endorsing peers returned different results
	// ("ProposalResponsePayloads do not match"), typically peers at different block heights.
	RetryEndorsementMismatch = "ENDORSEMENT_MISMATCH"
)

// RetryCauseOf names the failure err for retry accounting: [RetryEndorsementMismatch], the validation
// code of a failed commit (MVCC_READ_CONFLICT ...), [RetryUnavailable], or "" for a failure the SDK
// does not retry.
func RetryCauseOf(err error) string {
	var ce *CommitError
	switch {
	case err == nil:
		return ""
	case isEndorsementMismatch(err):
		return RetryEndorsementMismatch
	case errors.As(err, &ce) && isReadConflict(err):
		return ce.Code.String()
	case transientFailure(err):
		return RetryUnavailable
	}
	return ""
}

// Retryable reports whether the SDK retries a call that failed with err: a peer unavailable or
// overloaded (gRPC Unavailable or ResourceExhausted), a peer that could not reach its chaincode
// server ("could not launch chaincode"), endorsing peers whose results differ
// ("ProposalResponsePayloads do not match"), or a commit that failed with MVCC_READ_CONFLICT or
// PHANTOM_READ_CONFLICT. Chaincode failures (stable codes) are never retried.
func Retryable(err error) bool {
	if err == nil {
		return false
	}
	if _, ok := parseCode(err); ok {
		return false
	}
	return transientFailure(err) || isReadConflict(err) || isEndorsementMismatch(err)
}

// transientFailure reports a peer unavailable or overloaded, or its chaincode server unreachable, as
// opposed to a chaincode failure.
func transientFailure(err error) bool {
	if _, ok := parseCode(err); ok {
		return false
	}
	return isUnavailable(err) || isChaincodeUnreachable(err)
}
