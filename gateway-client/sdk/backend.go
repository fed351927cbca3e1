package sdk

import (
	"context"
	"fmt"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// backend is the narrow seam between the SDK and a Fabric gateway: every network call the SDK makes
// goes through it. gatewayBackend drives fabric-gateway; tests supply fakes.
type backend interface {
	// evaluate runs a query; it returns the answer and the id of the transaction proposed.
	evaluate(ctx context.Context, p proposal) ([]byte, string, error)
	// endorse gets a transaction endorsed.
	endorse(ctx context.Context, p proposal) (endorsed, error)
	// chaincodeEvents opens a stream of a chaincode's events, starting at from.
	chaincodeEvents(ctx context.Context, chaincode string, from position) (eventReceiver, error)
	// blocks opens a stream of (filtered) blocks, starting at from.
	blocks(ctx context.Context, from position) (blockReceiver, error)
	// close releases the connection.
	close() error
}

// proposal is one transaction proposal.
type proposal struct {
	chaincode     string
	function      string
	args          []string
	transient     map[string][]byte
	endorsingOrgs []string
	// orgBound marks a proposal that carries the caller's org's private data (transient data, or the
	// caller's org among the endorsing orgs): it goes only through a peer of the caller's org.
	orgBound bool
}

// endorsed is an endorsed transaction, ready to submit. Submitting it again resends the same signed
// transaction (same id), which can never commit twice: a second copy that reaches a block is
// invalidated as DUPLICATE_TXID, and the peers' ledgers answer for the first.
type endorsed interface {
	transactionID() string
	result() []byte
	submit(ctx context.Context) (committing, error)
}

// committing is a submitted transaction whose commit can be waited for; asking again is harmless. A
// peer answers from its ledger when the transaction id has committed (the first copy, when several
// were sent), and otherwise waits for it.
type committing interface {
	status(ctx context.Context) (commitStatus, error)
}

// commitStatus is the outcome of a commit.
type commitStatus struct {
	code        peer.TxValidationCode
	blockNumber uint64
}

// position is where an event stream starts: "next commit" when !set; otherwise block, skipping the
// events of that block up to and including afterTxID.
type position struct {
	set       bool
	block     uint64
	afterTxID string
}

// eventBatch is what one receive of a chaincode event stream yields: the events of one block.
type eventBatch struct {
	blockNumber uint64
	events      []*client.ChaincodeEvent
}

type eventReceiver interface {
	recv() (eventBatch, error)
}

type blockReceiver interface {
	recv() (Block, error)
}

// gatewayBackend drives fabric-gateway over one gRPC connection.
type gatewayBackend struct {
	gw      *client.Gateway
	network *client.Network
	streams streamOpener
	closeFn func() error
}

func (b *gatewayBackend) close() error {
	gwErr := b.gw.Close()
	if b.closeFn != nil {
		if err := b.closeFn(); err != nil {
			return err
		}
	}
	return gwErr
}

func (b *gatewayBackend) newProposal(p proposal) (*client.Proposal, error) {
	opts := []client.ProposalOption{client.WithArguments(p.args...)}
	if len(p.transient) > 0 {
		opts = append(opts, client.WithTransient(p.transient))
	}
	if len(p.endorsingOrgs) > 0 {
		opts = append(opts, client.WithEndorsingOrganizations(p.endorsingOrgs...))
	}
	prop, err := b.network.GetContract(p.chaincode).NewProposal(p.function, opts...)
	if err != nil {
		return nil, fmt.Errorf("build proposal: %w", err)
	}
	return prop, nil
}

func (b *gatewayBackend) evaluate(ctx context.Context, p proposal) ([]byte, string, error) {
	prop, err := b.newProposal(p)
	if err != nil {
		return nil, "", err
	}
	res, err := prop.EvaluateWithContext(ctx)
	return res, prop.TransactionID(), err
}

func (b *gatewayBackend) endorse(ctx context.Context, p proposal) (endorsed, error) {
	prop, err := b.newProposal(p)
	if err != nil {
		return nil, err
	}
	tx, err := prop.EndorseWithContext(ctx)
	if err != nil {
		return nil, err
	}
	return gatewayTx{tx}, nil
}

type gatewayTx struct{ tx *client.Transaction }

func (t gatewayTx) transactionID() string { return t.tx.TransactionID() }
func (t gatewayTx) result() []byte        { return t.tx.Result() }

func (t gatewayTx) submit(ctx context.Context) (committing, error) {
	c, err := t.tx.SubmitWithContext(ctx)
	if err != nil {
		return nil, err
	}
	return gatewayCommit{c}, nil
}

type gatewayCommit struct{ c *client.Commit }

func (c gatewayCommit) status(ctx context.Context) (commitStatus, error) {
	st, err := c.c.StatusWithContext(ctx)
	if err != nil {
		return commitStatus{}, err
	}
	return commitStatus{code: st.Code, blockNumber: st.BlockNumber}, nil
}
