package sdk

import (
	"context"
	"fmt"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// duplicateAsks bounds how often the commit status of a transaction is asked again when a peer
// answers DUPLICATE_TXID for it. That answer is about a second copy the SDK sent (the first copy is
// the one that counts); asked again, the peer's ledger answers for the first copy.
const duplicateAsks = 3

// delivery carries one endorsed transaction to its commit: it hands the signed transaction to the
// orderers, waits for the commit status, and hands the same signed transaction over again when the
// hand-over fails or the status is late. It never endorses: everything it sends has the transaction's
// one id, which commits at most once.
//
// Its retries are bounded by time (the phase deadline: the caller's deadline, or
// Timeouts.CommitStatus), not by the retry policy's attempts: once a transaction may have reached the
// orderers, giving up early would leave its outcome unknown, while resending it is always safe. Only
// [WithoutRetry] switches them off.
type delivery struct {
	c   *Client
	pin *pin
	tx  endorsed
	// commit is the transaction as handed over; nil until a hand-over succeeds, and again when the
	// transaction is to be handed over anew.
	commit committing

	// handOvers counts the hand-overs tried, the first included.
	handOvers int
	// failures counts the transient failures waited out, for the backoff.
	failures int
}

// run delivers d.tx and returns its commit status. A DUPLICATE_TXID status is asked again (up to
// duplicateAsks times) and returned only if it persists. Errors: the last failure of a hand-over or a
// status request, a gRPC DeadlineExceeded one when the phase deadline passed.
func (d *delivery) run(ctx context.Context) (commitStatus, error) {
	t := d.c.cfg.timeouts
	phase, cancel := stageContext(ctx, t.CommitStatus)
	defer cancel()
	retries := d.c.cfg.retry.MaxAttempts > 1
	dups := 0
	for {
		if d.commit == nil {
			// A hand-over that takes longer than Timeouts.Submit is abandoned and tried again: the
			// gateway may be stuck on an orderer that is gone.
			sctx, cancelTry := context.WithTimeout(phase, t.Submit)
			commit, err := d.tx.submit(sctx)
			cancelTry()
			d.handOvers++
			if err != nil {
				if !resendable(err) || !d.recover(phase, err, retries) {
					return commitStatus{}, err
				}
				continue
			}
			d.commit = commit
		}

		// The status: when it is late (Timeouts.Rebroadcast), the transaction is handed over again.
		sctx, cancelTry := phase, context.CancelFunc(func() {})
		if retries && t.Rebroadcast > 0 {
			sctx, cancelTry = context.WithTimeout(phase, t.Rebroadcast)
		}
		st, err := d.commit.status(sctx)
		cancelTry()
		// The peer may see the deadline pass a moment before this process does, and answer
		// DeadlineExceeded first: either way the status is late.
		late := retries && err != nil && isDeadlineExceeded(err) && phase.Err() == nil
		switch {
		case err == nil && st.code == peer.TxValidationCode_DUPLICATE_TXID && dups < duplicateAsks:
			dups++
			if d.c.cfg.sleep(phase, d.c.cfg.retry.jittered(dups)) != nil {
				return st, nil
			}
		case err == nil:
			return st, nil
		case late:
			d.commit = nil
		case transientFailure(err):
			if !d.recover(phase, err, retries) {
				return commitStatus{}, err
			}
		default:
			return commitStatus{}, err
		}
	}
}

// resends returns how many times the transaction was handed over again.
func (d *delivery) resends() int { return max(d.handOvers-1, 0) }

// resendable reports a failed hand-over after which the same transaction may be handed over again:
// the gateway was unavailable or overloaded, or the hand-over timed out (the gateway's own broadcast
// timeout, or Timeouts.Submit) and the phase is not over (run checks that).
func resendable(err error) bool {
	return transientFailure(err) || isDeadlineExceeded(err)
}

// recover handles a failure of the hand-over or of a status request: when the client's peer is gone,
// the client fails over and the transaction moves to the new peer at once (even without retries, so
// that the next call goes to a peer that answers); otherwise it waits the retry policy's backoff
// (attempts unbounded: the phase deadline bounds them) and moves the transaction when a failover
// happened meanwhile. It reports whether to go on.
func (d *delivery) recover(phase context.Context, err error, retries bool) bool {
	c := d.c
	moved := c.failover(phase, d.pin.s, err)
	if !retries || phase.Err() != nil {
		if moved {
			_ = d.follow()
		}
		return false
	}
	if !moved {
		d.failures++
		if c.cfg.sleep(phase, c.cfg.retry.jittered(d.failures)) != nil {
			return false
		}
		// A connection may be seen down only a moment after a call on it failed.
		c.failover(phase, d.pin.s, err)
	}
	return d.follow() == nil
}

// follow moves the transaction to the client's current session, when a failover changed it: the same
// signed transaction, and when it was handed over already, the same signed status request.
func (d *delivery) follow() error {
	if !d.pin.follow() {
		return nil
	}
	rs, ok := d.pin.s.b.(resumer)
	if !ok {
		return fmt.Errorf("a backend of type %T cannot take over a transaction", d.pin.s.b)
	}
	tx, err := rs.resumeTx(d.tx)
	if err != nil {
		return err
	}
	d.tx = tx
	if d.commit != nil {
		commit, err := rs.resumeCommit(d.commit)
		if err != nil {
			return err
		}
		d.commit = commit
	}
	return nil
}
