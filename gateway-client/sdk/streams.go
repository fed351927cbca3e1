package sdk

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
)

// streamOpener opens event streams with the raw gRPC clients, so that the error that ends a stream
// reaches the caller (fabric-gateway's own Events channels close without saying why). The requests
// are still built and signed the fabric-gateway way.
type streamOpener struct {
	conn    grpc.ClientConnInterface
	network *client.Network
	sign    identity.Sign
	channel string
	id      identity.Identity
}

func (b *gatewayBackend) chaincodeEvents(ctx context.Context, chaincode string, from position) (eventReceiver, error) {
	return b.streams.chaincodeEvents(ctx, chaincode, from)
}

func (b *gatewayBackend) blocks(ctx context.Context, from position) (blockReceiver, error) {
	return b.streams.blocks(ctx, from)
}

func startOptions(from position) []client.ChaincodeEventsOption {
	switch {
	case !from.set:
		return nil
	case from.afterTxID != "":
		return []client.ChaincodeEventsOption{client.WithCheckpoint(checkpointAt{from.block, from.afterTxID})}
	default:
		return []client.ChaincodeEventsOption{client.WithStartBlock(from.block)}
	}
}

type checkpointAt struct {
	block uint64
	txID  string
}

func (c checkpointAt) BlockNumber() uint64   { return c.block }
func (c checkpointAt) TransactionID() string { return c.txID }

func (s streamOpener) chaincodeEvents(ctx context.Context, chaincode string, from position) (eventReceiver, error) {
	req, err := s.network.NewChaincodeEventsRequest(chaincode, startOptions(from)...)
	if err != nil {
		return nil, fmt.Errorf("build events request: %w", err)
	}
	raw, err := req.Bytes()
	if err != nil {
		return nil, err
	}
	signed := &gateway.SignedChaincodeEventsRequest{}
	if err := proto.Unmarshal(raw, signed); err != nil {
		return nil, fmt.Errorf("events request: %w", err)
	}
	sig, err := s.sign(req.Digest())
	if err != nil {
		return nil, fmt.Errorf("sign events request: %w", err)
	}
	signed.Signature = sig
	stream, err := gateway.NewGatewayClient(s.conn).ChaincodeEvents(ctx, signed)
	if err != nil {
		return nil, err
	}
	return gatewayEventReceiver{stream}, nil
}

type gatewayEventReceiver struct {
	stream gateway.Gateway_ChaincodeEventsClient
}

func (r gatewayEventReceiver) recv() (eventBatch, error) {
	resp, err := r.stream.Recv()
	if err != nil {
		return eventBatch{}, err
	}
	out := eventBatch{blockNumber: resp.GetBlockNumber(), events: make([]*client.ChaincodeEvent, 0, len(resp.GetEvents()))}
	for _, e := range resp.GetEvents() {
		out.events = append(out.events, &client.ChaincodeEvent{
			BlockNumber:   resp.GetBlockNumber(),
			TransactionID: e.GetTxId(),
			ChaincodeName: e.GetChaincodeId(),
			EventName:     e.GetEventName(),
			Payload:       e.GetPayload(),
		})
	}
	return out, nil
}

func (s streamOpener) blocks(ctx context.Context, from position) (blockReceiver, error) {
	var opts []client.BlockEventsOption
	if from.set {
		opts = append(opts, client.WithStartBlock(from.block))
	}
	req, err := s.network.NewFilteredBlockEventsRequest(opts...)
	if err != nil {
		return nil, fmt.Errorf("build block events request: %w", err)
	}
	raw, err := req.Bytes()
	if err != nil {
		return nil, err
	}
	env := &common.Envelope{}
	if err := proto.Unmarshal(raw, env); err != nil {
		return nil, fmt.Errorf("block events request: %w", err)
	}
	sig, err := s.sign(req.Digest())
	if err != nil {
		return nil, fmt.Errorf("sign block events request: %w", err)
	}
	env.Signature = sig
	stream, err := peer.NewDeliverClient(s.conn).DeliverFiltered(ctx)
	if err != nil {
		return nil, err
	}
	if err := stream.Send(env); err != nil {
		return nil, err
	}
	return deliverReceiver{stream}, nil
}

type deliverReceiver struct {
	stream peer.Deliver_DeliverFilteredClient
}

// errDeliverStatus is a deliver stream ended by a status message.
type deliverStatusError struct {
	status common.Status
}

func (e *deliverStatusError) Error() string {
	return fmt.Sprintf("deliver service ended the stream with status %d (%s)", int32(e.status), e.status.String())
}

// Is matches [ErrForbidden] for a FORBIDDEN status: the channel's ACLs refused the identity.
func (e *deliverStatusError) Is(target error) bool {
	return target == ErrForbidden && e.status == common.Status_FORBIDDEN
}

func (r deliverReceiver) recv() (Block, error) {
	for {
		resp, err := r.stream.Recv()
		if err != nil {
			return Block{}, err
		}
		switch t := resp.GetType().(type) {
		case *peer.DeliverResponse_FilteredBlock:
			return blockFromFiltered(t.FilteredBlock), nil
		case *peer.DeliverResponse_Status:
			if t.Status == common.Status_SUCCESS {
				return Block{}, io.EOF
			}
			return Block{}, &deliverStatusError{status: t.Status}
		}
	}
}

func blockFromFiltered(fb *peer.FilteredBlock) Block {
	b := Block{Number: fb.GetNumber(), Transactions: make([]BlockTransaction, 0, len(fb.GetFilteredTransactions()))}
	for _, tx := range fb.GetFilteredTransactions() {
		bt := BlockTransaction{
			ID:     tx.GetTxid(),
			Type:   tx.GetType().String(),
			Status: tx.GetTxValidationCode().String(),
			Valid:  tx.GetTxValidationCode() == peer.TxValidationCode_VALID,
			Events: []BlockEvent{},
		}
		for _, a := range tx.GetTransactionActions().GetChaincodeActions() {
			if ev := a.GetChaincodeEvent(); ev != nil {
				bt.Events = append(bt.Events, BlockEvent{Chaincode: ev.GetChaincodeId(), Name: ev.GetEventName()})
			}
		}
		b.Transactions = append(b.Transactions, bt)
	}
	return b
}

// isDeliverUnavailable reports a deliver status that a reconnect may cure.
func isDeliverUnavailable(err error) bool {
	var ds *deliverStatusError
	return errors.As(err, &ds) && ds.status == common.Status_SERVICE_UNAVAILABLE
}
