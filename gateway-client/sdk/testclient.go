package sdk

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// Call is one request as a [Handler] sees it.
//
// Deprecated: use sdktest.Call (package gateway-client/sdktest).
type Call struct {
	Chaincode     string            `json:"chaincode"`
	Function      string            `json:"function"`
	Args          []string          `json:"args"`
	Transient     map[string][]byte `json:"transient,omitempty"`
	EndorsingOrgs []string          `json:"endorsingOrgs,omitempty"`
	// Submit is true for a submitted transaction, false for an evaluation.
	Submit bool `json:"submit"`
	// TransactionID is a fresh id for each submitted attempt; "" for evaluations.
	TransactionID string `json:"transactionId,omitempty"`
}

// Handler answers calls in place of a Fabric gateway. It returns the chaincode's payload, or an
// error: a *codes.Error (codes.New(codes.NotFound, ...)) maps to its sentinel as a real chaincode
// failure would; a gRPC status error with code Unavailable is retried; a [*CommitError] reports a
// failed commit (MVCC_READ_CONFLICT is retried by calling the handler again).
//
// Deprecated: use sdktest.Handler (package gateway-client/sdktest).
type Handler func(ctx context.Context, call Call) ([]byte, error)

// NewTestClient returns a client whose calls are answered by h, without any network, for unit tests
// of typed clients and applications. The options apply as for [Connect] (retry policy, timeouts,
// [WithNetwork]); identity options are ignored. Event streams are not available.
//
// Deprecated: use sdktest.NewClient (package gateway-client/sdktest), which runs the SDK's real
// gateway path against an in-process gateway. NewTestClient goes once its last callers have moved.
func NewTestClient(h Handler, id IdentityInfo, opts ...Option) (*Client, error) {
	if h == nil {
		return nil, errors.New("test client: nil handler")
	}
	cfg := defaultConfig()
	if err := cfg.apply(opts); err != nil {
		return nil, fmt.Errorf("test client: %w", err)
	}
	channel := "healthchannel"
	if cfg.network != nil {
		channel = cfg.network.Channel()
	}
	return newClient(handlerBackend{h: h}, cfg, id, nil, PeerEndpoint{Name: "test", Endpoint: "test"}, channel), nil
}

// handlerBackend adapts a Handler to the backend seam.
type handlerBackend struct {
	h Handler
}

func (b handlerBackend) call(p proposal, submit bool) Call {
	c := Call{
		Chaincode:     p.chaincode,
		Function:      p.function,
		Args:          slices.Clone(p.args),
		Transient:     maps.Clone(p.transient),
		EndorsingOrgs: slices.Clone(p.endorsingOrgs),
		Submit:        submit,
	}
	if c.Args == nil {
		c.Args = []string{}
	}
	if submit {
		c.TransactionID = newTxID()
	}
	return c
}

func (b handlerBackend) evaluate(ctx context.Context, p proposal) ([]byte, error) {
	return b.h(ctx, b.call(p, false))
}

func (b handlerBackend) endorse(ctx context.Context, p proposal) (endorsed, error) {
	c := b.call(p, true)
	res, err := b.h(ctx, c)
	var ce *CommitError
	if errors.As(err, &ce) {
		return handlerTx{id: c.TransactionID, res: res, code: ce.Code}, nil
	}
	if err != nil {
		return nil, err
	}
	return handlerTx{id: c.TransactionID, res: res, code: peer.TxValidationCode_VALID}, nil
}

func (b handlerBackend) chaincodeEvents(context.Context, string, position) (eventReceiver, error) {
	return nil, errors.New("event streams are not available on a test client")
}

func (b handlerBackend) blocks(context.Context, position) (blockReceiver, error) {
	return nil, errors.New("event streams are not available on a test client")
}

func (b handlerBackend) close() error { return nil }

type handlerTx struct {
	id   string
	res  []byte
	code peer.TxValidationCode
}

func (t handlerTx) transactionID() string { return t.id }
func (t handlerTx) result() []byte        { return t.res }
func (t handlerTx) submit(context.Context) (committing, error) {
	return t, nil
}
func (t handlerTx) status(context.Context) (commitStatus, error) {
	return commitStatus{code: t.code, blockNumber: 1}, nil
}

func newTxID() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
