package sdk

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/healthledger/healthledger/chaincode/seal"
)

// ErrUnsealed: the answer of a sealed read did not open: it was not a sealed envelope (a chaincode
// that does not seal this function), or it does not open with the call's key for this function and
// transaction (changed on the way). errors.Is matches seal.ErrNotSealed or seal.ErrOpen as well.
var ErrUnsealed = errors.New("sealed answer does not open")

// EvaluateSealed evaluates fn, a function that returns private data sealed (docs/privacy.md, Sealed
// answers), and returns its plain answer. It draws a fresh seal key, passes it as transient field
// seal.TransientKey and opens the envelope the chaincode answers. Unless opts name endorsing orgs,
// the query runs only on a peer of the caller's org, so the key reaches no other org. Errors are
// [*Error]; one that matches [ErrUnsealed] when the answer does not open.
func (k *Contract) EvaluateSealed(ctx context.Context, fn string, args []string, opts ...CallOption) ([]byte, error) {
	key, opts, err := k.sealOpts(fn, opts)
	if err != nil {
		return nil, err
	}
	res, txID, err := k.evaluate(ctx, fn, args, opts)
	if err != nil {
		return nil, err
	}
	return k.open(key, fn, txID, res)
}

// SubmitSealed submits fn, a function that returns private data sealed, waits for its commit and
// returns the committed transaction with its plain answer in Result; the block holds only the
// envelope. Only a client that means its read to be on the ledger (as an audit trail) submits one:
// see [Contract.EvaluateSealed] for the key. Unless opts name endorsing orgs, endorsement is
// restricted to the caller's own org, so the key (which opens the envelope in the block) reaches no
// peer outside it. A chaincode whose endorsement policy needs other orgs then fails the commit with
// ENDORSEMENT_POLICY_FAILURE ([*CommitError]); name the collection's member orgs with
// [WithEndorsingOrgs] instead, never an org outside the collection. Retries and errors as
// [Contract.SubmitTx].
func (k *Contract) SubmitSealed(ctx context.Context, fn string, args []string, opts ...CallOption) (*Committed, error) {
	key, opts, err := k.sealOpts(fn, opts)
	if err != nil {
		return nil, err
	}
	tx, err := k.SubmitTx(ctx, fn, args, opts...)
	if err != nil {
		return nil, err
	}
	plain, err := k.open(key, fn, tx.TransactionID, tx.Result)
	if err != nil {
		return nil, err
	}
	out := *tx
	out.Result = plain
	return &out, nil
}

// EvaluateSealedJSON is [Contract.EvaluateSealed] decoding the plain JSON answer into a T.
func EvaluateSealedJSON[T any](ctx context.Context, k *Contract, fn string, args []string, opts ...CallOption) (*T, error) {
	res, err := k.EvaluateSealed(ctx, fn, args, opts...)
	if err != nil {
		return nil, err
	}
	return decodeResult[T](k.name, fn, res)
}

// sealOpts draws a key and adds it, and the caller's org as the endorsing org unless opts name some,
// to opts.
func (k *Contract) sealOpts(fn string, opts []CallOption) ([]byte, []CallOption, error) {
	key, err := seal.NewKey()
	if err != nil {
		return nil, nil, &Error{Chaincode: k.name, Function: fn, Message: err.Error(), Err: err}
	}
	var cc callConfig
	for _, o := range opts {
		if o != nil {
			o(&cc)
		}
	}
	out := slices.Clone(opts)
	if len(cc.endorsingOrgs) == 0 {
		if msp := k.c.info.MSPID; msp != "" {
			out = append(out, WithEndorsingOrgs(msp))
		}
	}
	out = append(out, WithTransient(map[string][]byte{seal.TransientKey: key}))
	return key, out, nil
}

// open opens the sealed answer res of fn in transaction txID.
func (k *Contract) open(key []byte, fn, txID string, res []byte) ([]byte, error) {
	plain, err := seal.OpenPayload(key, fn, txID, res)
	if err != nil {
		return nil, &Error{Chaincode: k.name, Function: fn, TransactionID: txID, Attempts: 1,
			Message: fmt.Sprintf("the answer does not open: %v", err), Err: err, sentinel: ErrUnsealed}
	}
	return plain, nil
}
