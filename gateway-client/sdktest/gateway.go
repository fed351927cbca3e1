package sdktest

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/healthledger/healthledger/gateway-client/sdk"
	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// The gRPC status codes live in this file alone, apart from the chaincode's stable codes (package
// chaincode/codes), which the package never needs: any error that is not a gRPC status is a
// chaincode failure.

// gatewayService is the Fabric Gateway service a [Server] serves: it turns each proposal into a
// [Call], asks the handler, and answers the way a Fabric 2.5 gateway peer does. The Deliver service
// and chaincode event streams are left unimplemented.
type gatewayService struct {
	gateway.UnimplementedGatewayServer
	peer.UnimplementedDeliverServer

	h    Handler
	addr string
	// callerOf names the identities the server issued, by certificate PEM.
	callerOf func(certPEM []byte) (sdk.IdentityInfo, bool)

	mu      sync.Mutex
	height  uint64 // blocks committed so far
	commits map[string]commitOutcome
	// failing holds the validation code a handler chose for a transaction, until it is handed over.
	failing map[string]peer.TxValidationCode
}

// commitOutcome is what the commit status of one handed-over transaction reports.
type commitOutcome struct {
	code  peer.TxValidationCode
	block uint64
}

func newGatewayService(h Handler, callerOf func([]byte) (sdk.IdentityInfo, bool)) *gatewayService {
	return &gatewayService{
		h:        h,
		callerOf: callerOf,
		commits:  map[string]commitOutcome{},
		failing:  map[string]peer.TxValidationCode{},
	}
}

// Evaluate answers a query: the chain height itself for qscc GetChainInfo, the handler otherwise.
func (g *gatewayService) Evaluate(ctx context.Context, req *gateway.EvaluateRequest) (*gateway.EvaluateResponse, error) {
	call, _, err := g.parse(req.GetProposedTransaction(), req.GetTargetOrganizations())
	if err != nil {
		return nil, err
	}
	if call.Chaincode == "qscc" && call.Function == "GetChainInfo" {
		return g.chainInfo()
	}
	res, err := g.h(ctx, call)
	if err != nil {
		return nil, g.failure(call, err, true)
	}
	return &gateway.EvaluateResponse{Result: &peer.Response{Status: 200, Payload: res}}, nil
}

// Endorse answers a transaction proposal with a prepared transaction holding the handler's payload.
// A *sdk.CommitError from the handler endorses the transaction all the same and makes it fail
// validation with its code.
func (g *gatewayService) Endorse(ctx context.Context, req *gateway.EndorseRequest) (*gateway.EndorseResponse, error) {
	call, creator, err := g.parse(req.GetProposedTransaction(), req.GetEndorsingOrganizations())
	if err != nil {
		return nil, err
	}
	call.Submit = true
	res, err := g.h(ctx, call)
	var ce *sdk.CommitError
	if errors.As(err, &ce) {
		g.mu.Lock()
		g.failing[call.TransactionID] = ce.Code
		g.mu.Unlock()
	} else if err != nil {
		return nil, g.failure(call, err, false)
	}
	env, err := preparedTransaction(req.GetChannelId(), call.TransactionID, creator, res)
	if err != nil {
		return nil, status.Errorf(codes.Internal, "prepare transaction: %v", err)
	}
	return &gateway.EndorseResponse{PreparedTransaction: env}, nil
}

// Submit takes a signed transaction: it commits in the next block.
func (g *gatewayService) Submit(_ context.Context, req *gateway.SubmitRequest) (*gateway.SubmitResponse, error) {
	env := req.GetPreparedTransaction()
	var payload common.Payload
	if err := proto.Unmarshal(env.GetPayload(), &payload); err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "transaction payload: %v", err)
	}
	var sh common.SignatureHeader
	if err := proto.Unmarshal(payload.GetHeader().GetSignatureHeader(), &sh); err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "transaction signature header: %v", err)
	}
	if _, _, err := verify(sh.GetCreator(), env.GetPayload(), env.GetSignature()); err != nil {
		return nil, status.Errorf(codes.PermissionDenied, "transaction signature: %v", err)
	}
	txID := req.GetTransactionId()
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, done := g.commits[txID]; !done { // the same transaction sent again commits once
		code, failed := g.failing[txID]
		if !failed {
			code = peer.TxValidationCode_VALID
		}
		delete(g.failing, txID)
		g.height++
		g.commits[txID] = commitOutcome{code: code, block: g.height}
	}
	return &gateway.SubmitResponse{}, nil
}

// CommitStatus reports the outcome of a submitted transaction.
func (g *gatewayService) CommitStatus(_ context.Context, req *gateway.SignedCommitStatusRequest) (*gateway.CommitStatusResponse, error) {
	var r gateway.CommitStatusRequest
	if err := proto.Unmarshal(req.GetRequest(), &r); err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "commit status request: %v", err)
	}
	if _, _, err := verify(r.GetIdentity(), req.GetRequest(), req.GetSignature()); err != nil {
		return nil, status.Errorf(codes.PermissionDenied, "commit status signature: %v", err)
	}
	g.mu.Lock()
	out, ok := g.commits[r.GetTransactionId()]
	g.mu.Unlock()
	if !ok {
		return nil, status.Errorf(codes.NotFound, "transaction %s was never submitted", r.GetTransactionId())
	}
	return &gateway.CommitStatusResponse{Result: out.code, BlockNumber: out.block}, nil
}

// ChaincodeEvents is not served: a stream ends at once with this error.
func (g *gatewayService) ChaincodeEvents(*gateway.SignedChaincodeEventsRequest, gateway.Gateway_ChaincodeEventsServer) error {
	return status.Error(codes.Unimplemented, "sdktest: chaincode event streams are not served")
}

// DeliverFiltered is not served: a stream ends at once with this error.
func (g *gatewayService) DeliverFiltered(peer.Deliver_DeliverFilteredServer) error {
	return status.Error(codes.Unimplemented, "sdktest: block event streams are not served")
}

// chainInfo answers qscc GetChainInfo with the number of blocks committed, plus the genesis block.
func (g *gatewayService) chainInfo() (*gateway.EvaluateResponse, error) {
	g.mu.Lock()
	h := g.height + 1
	g.mu.Unlock()
	raw, err := proto.Marshal(&common.BlockchainInfo{Height: h})
	if err != nil {
		return nil, status.Errorf(codes.Internal, "chain info: %v", err)
	}
	return &gateway.EvaluateResponse{Result: &peer.Response{Status: 200, Payload: raw}}, nil
}

// failure turns a handler's error into what a gateway peer returns. A gRPC status error (including a
// wrapped one) passes through; a context error becomes its status; any other error is the chaincode's
// failure: status 500 with the error's text, reported in the per-peer details as "chaincode response
// 500, <text>" (Fabric's gateway, internal/pkg/gateway/apiutils.go), so the SDK reads the stable code
// from there as on a live network.
func (g *gatewayService) failure(call Call, err error, evaluate bool) error {
	if _, ok := status.FromError(err); ok {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return status.FromContextError(err).Err()
	}
	msg := "chaincode response 500, " + err.Error()
	code, text := codes.Aborted, "failed to endorse transaction, see attached details for more info"
	if evaluate {
		code, text = codes.Unknown, "evaluate call to endorser returned error: "+msg
	}
	st, detailErr := status.New(code, text).WithDetails(&gateway.ErrorDetail{Address: g.addr, MspId: call.Caller.MSPID, Message: msg})
	if detailErr != nil {
		return status.Error(code, text)
	}
	return st.Err()
}

// parse reads a signed proposal into a Call, after checking its signature, and returns its creator
// (the serialized identity that signed it).
func (g *gatewayService) parse(sp *peer.SignedProposal, orgs []string) (Call, []byte, error) {
	bad := func(what string, err error) (Call, []byte, error) {
		return Call{}, nil, status.Errorf(codes.InvalidArgument, "proposal %s: %v", what, err)
	}
	var prop peer.Proposal
	if err := proto.Unmarshal(sp.GetProposalBytes(), &prop); err != nil {
		return bad("", err)
	}
	var hdr common.Header
	if err := proto.Unmarshal(prop.GetHeader(), &hdr); err != nil {
		return bad("header", err)
	}
	var ch common.ChannelHeader
	if err := proto.Unmarshal(hdr.GetChannelHeader(), &ch); err != nil {
		return bad("channel header", err)
	}
	var sh common.SignatureHeader
	if err := proto.Unmarshal(hdr.GetSignatureHeader(), &sh); err != nil {
		return bad("signature header", err)
	}
	mspID, certPEM, err := verify(sh.GetCreator(), sp.GetProposalBytes(), sp.GetSignature())
	if err != nil {
		return Call{}, nil, status.Errorf(codes.PermissionDenied, "proposal signature: %v", err)
	}
	var pp peer.ChaincodeProposalPayload
	if err := proto.Unmarshal(prop.GetPayload(), &pp); err != nil {
		return bad("payload", err)
	}
	var spec peer.ChaincodeInvocationSpec
	if err := proto.Unmarshal(pp.GetInput(), &spec); err != nil {
		return bad("invocation", err)
	}
	call := Call{
		Chaincode:     spec.GetChaincodeSpec().GetChaincodeId().GetName(),
		Args:          []string{},
		Transient:     pp.GetTransientMap(),
		EndorsingOrgs: slices.Clone(orgs),
		TransactionID: ch.GetTxId(),
	}
	if len(call.Transient) == 0 {
		call.Transient = nil
	}
	if len(call.EndorsingOrgs) == 0 {
		call.EndorsingOrgs = nil
	}
	if args := spec.GetChaincodeSpec().GetInput().GetArgs(); len(args) > 0 {
		call.Function = string(args[0])
		for _, a := range args[1:] {
			call.Args = append(call.Args, string(a))
		}
	}
	call.Caller = g.caller(mspID, certPEM)
	return call, sh.GetCreator(), nil
}

// caller names the identity of a certificate: as issued by the server, or else from the certificate.
func (g *gatewayService) caller(mspID string, certPEM []byte) sdk.IdentityInfo {
	if g.callerOf != nil {
		if id, ok := g.callerOf(certPEM); ok {
			return id
		}
	}
	id := sdk.IdentityInfo{MSPID: mspID}
	if cert, err := identity.CertificateFromPEM(certPEM); err == nil {
		id.Name = cert.Subject.CommonName
	}
	if attrs, err := (&sdk.Credentials{Certificate: certPEM}).Attributes(); err == nil {
		id.Role, id.Subject = attrs["role"], attrs["subject"]
	}
	return id
}

// verify checks an ECDSA signature over SHA-256 of msg by the serialized identity creator, and
// returns the identity's MSP id and certificate.
func verify(creator, msg, sig []byte) (string, []byte, error) {
	var sid msp.SerializedIdentity
	if err := proto.Unmarshal(creator, &sid); err != nil {
		return "", nil, fmt.Errorf("creator: %w", err)
	}
	cert, err := identity.CertificateFromPEM(sid.GetIdBytes())
	if err != nil {
		return "", nil, fmt.Errorf("creator certificate: %w", err)
	}
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if !ok {
		return "", nil, errors.New("creator key is not ECDSA")
	}
	digest := sha256.Sum256(msg)
	if !ecdsa.VerifyASN1(pub, digest[:], sig) {
		return "", nil, errors.New("signature does not verify")
	}
	return sid.GetMspid(), sid.GetIdBytes(), nil
}

// preparedTransaction builds the smallest transaction envelope from which fabric-gateway reads the
// result and transaction id, with the proposal's creator in its signature header so that the
// signature the client adds can be checked.
func preparedTransaction(channel, txID string, creator, result []byte) (*common.Envelope, error) {
	var errs []error
	m := func(p proto.Message) []byte {
		b, err := proto.Marshal(p)
		errs = append(errs, err)
		return b
	}
	action := &peer.ChaincodeAction{Response: &peer.Response{Status: 200, Payload: result}}
	prp := &peer.ProposalResponsePayload{Extension: m(action)}
	cap := &peer.ChaincodeActionPayload{Action: &peer.ChaincodeEndorsedAction{ProposalResponsePayload: m(prp)}}
	tx := &peer.Transaction{Actions: []*peer.TransactionAction{{Payload: m(cap)}}}
	ch := &common.ChannelHeader{ChannelId: channel, TxId: txID, Type: int32(common.HeaderType_ENDORSER_TRANSACTION)}
	sh := &common.SignatureHeader{Creator: creator}
	payload := &common.Payload{Header: &common.Header{ChannelHeader: m(ch), SignatureHeader: m(sh)}, Data: m(tx)}
	env := &common.Envelope{Payload: m(payload)}
	return env, errors.Join(errs...)
}
