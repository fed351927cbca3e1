// Package fakepeer is an in-process Fabric peer for the SDK's tests: the Gateway service (evaluate,
// endorse, submit, commit status, chaincode events) and the filtered Deliver service, served with TLS
// on a 127.0.0.1 port. It checks every signature it receives, so the SDK's signing runs for real, and
// lets each test script the answers. A [Ledger] behind one or more fake gateways orders and commits
// the transactions handed over with Fabric's rules for transaction ids (an orderer that loses some,
// duplicates invalidated as DUPLICATE_TXID), so that tests can count what reached the ledger. WriteNetwork writes a profiles folder, a wallet and the TLS CA
// pointing at it, without using the SDK.
package fakepeer

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/healthledger/healthledger/internal/testpki"
	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// Call is one proposal as the fake gateway received it.
type Call struct {
	TxID      string
	Channel   string
	Chaincode string
	Fn        string
	Args      []string
	Transient map[string][]byte
	Orgs      []string
	MSPID     string
}

// Gateway is an in-process Fabric Gateway and Deliver service on a real TLS listener, so that
// the SDK's fabric-gateway adapter, its signing and its stream handling run for real.
type Gateway struct {
	gateway.UnimplementedGatewayServer
	peer.UnimplementedDeliverServer

	mu         sync.Mutex
	calls      []Call
	submitted  []string
	statuses   []string
	EvaluateFn func(c Call) ([]byte, error)
	EndorseFn  func(c Call) ([]byte, error)
	// SubmitFn answers a hand-over; an error fails it before it reaches the Ledger.
	SubmitFn func(txID string) error
	// SubmitHook runs on the n-th hand-over this gateway receives (0 for the first), after SubmitFn
	// and before the Ledger: it may fail it, or hang until ctx ends (a gateway stuck on an orderer
	// that is gone). It may hand the transaction to the Ledger itself (Ledger.Broadcast) and then
	// fail, as a gateway that lost the orderer's answer.
	SubmitHook func(ctx context.Context, n int, txID string) error
	// StatusFn answers a commit status request in place of the Ledger.
	StatusFn func(txID string) (peer.TxValidationCode, error)
	// StatusHook runs on the n-th commit status request this gateway receives (0 for the first),
	// before it is answered: it may fail it, or hang until ctx ends (a status that never arrives).
	StatusHook func(ctx context.Context, n int, txID string) error
	// Ledger, when set, receives every hand-over that SubmitFn and SubmitHook let through, and answers
	// the commit status requests when StatusFn is nil. Several gateways may share one.
	Ledger   *Ledger
	EventsFn func(req *gateway.ChaincodeEventsRequest, stream gateway.Gateway_ChaincodeEventsServer) error
	BlocksFn func(env *common.Envelope, stream peer.Deliver_DeliverFilteredServer) error
}

func (f *Gateway) record(c Call) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, c)
}

// Recorded returns the proposals received (evaluations and endorsements), in order.
func (f *Gateway) Recorded() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Call(nil), f.calls...)
}

// Submitted returns the transaction id of every hand-over (Submit) received, in order, whatever its
// outcome.
func (f *Gateway) Submitted() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.submitted...)
}

// StatusAsked returns the transaction id of every commit status request received, in order.
func (f *Gateway) StatusAsked() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.statuses...)
}

// count records id in list and returns its 0-based position.
func (f *Gateway) count(list *[]string, id string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	*list = append(*list, id)
	return len(*list) - 1
}

// verifySigned checks an ECDSA signature over SHA-256 of msg by the serialized identity creator.
func verifySigned(creator, msg, sig []byte) (string, error) {
	var sid msp.SerializedIdentity
	if err := proto.Unmarshal(creator, &sid); err != nil {
		return "", err
	}
	cert, err := identity.CertificateFromPEM(sid.GetIdBytes())
	if err != nil {
		return "", err
	}
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if !ok {
		return "", errors.New("not an ECDSA key")
	}
	digest := sha256.Sum256(msg)
	if !ecdsa.VerifyASN1(pub, digest[:], sig) {
		return "", errors.New("bad signature")
	}
	return sid.GetMspid(), nil
}

func parseSignedProposal(sp *peer.SignedProposal, orgs []string) (Call, error) {
	var prop peer.Proposal
	if err := proto.Unmarshal(sp.GetProposalBytes(), &prop); err != nil {
		return Call{}, err
	}
	var hdr common.Header
	if err := proto.Unmarshal(prop.GetHeader(), &hdr); err != nil {
		return Call{}, err
	}
	var ch common.ChannelHeader
	if err := proto.Unmarshal(hdr.GetChannelHeader(), &ch); err != nil {
		return Call{}, err
	}
	var sh common.SignatureHeader
	if err := proto.Unmarshal(hdr.GetSignatureHeader(), &sh); err != nil {
		return Call{}, err
	}
	mspID, err := verifySigned(sh.GetCreator(), sp.GetProposalBytes(), sp.GetSignature())
	if err != nil {
		return Call{}, fmt.Errorf("proposal signature: %w", err)
	}
	var pp peer.ChaincodeProposalPayload
	if err := proto.Unmarshal(prop.GetPayload(), &pp); err != nil {
		return Call{}, err
	}
	var spec peer.ChaincodeInvocationSpec
	if err := proto.Unmarshal(pp.GetInput(), &spec); err != nil {
		return Call{}, err
	}
	args := spec.GetChaincodeSpec().GetInput().GetArgs()
	c := Call{
		TxID:      ch.GetTxId(),
		Channel:   ch.GetChannelId(),
		Chaincode: spec.GetChaincodeSpec().GetChaincodeId().GetName(),
		Transient: pp.GetTransientMap(),
		Orgs:      orgs,
		MSPID:     mspID,
	}
	if len(args) > 0 {
		c.Fn = string(args[0])
		for _, a := range args[1:] {
			c.Args = append(c.Args, string(a))
		}
	}
	return c, nil
}

func (f *Gateway) Evaluate(_ context.Context, req *gateway.EvaluateRequest) (*gateway.EvaluateResponse, error) {
	c, err := parseSignedProposal(req.GetProposedTransaction(), req.GetTargetOrganizations())
	if err != nil {
		return nil, err
	}
	f.record(c)
	if f.EvaluateFn == nil {
		return nil, errors.New("evaluate not scripted")
	}
	res, err := f.EvaluateFn(c)
	if err != nil {
		return nil, err
	}
	return &gateway.EvaluateResponse{Result: &peer.Response{Status: 200, Payload: res}}, nil
}

func (f *Gateway) Endorse(_ context.Context, req *gateway.EndorseRequest) (*gateway.EndorseResponse, error) {
	c, err := parseSignedProposal(req.GetProposedTransaction(), req.GetEndorsingOrganizations())
	if err != nil {
		return nil, err
	}
	f.record(c)
	if f.EndorseFn == nil {
		return nil, errors.New("endorse not scripted")
	}
	res, err := f.EndorseFn(c)
	if err != nil {
		return nil, err
	}
	env, err := PreparedEnvelope(c.Channel, c.TxID, res)
	if err != nil {
		return nil, err
	}
	return &gateway.EndorseResponse{PreparedTransaction: env}, nil
}

// PreparedEnvelope builds the smallest transaction envelope fabric-gateway can read a result from.
func PreparedEnvelope(channel, txID string, result []byte) (*common.Envelope, error) {
	var firstErr error
	m := func(p proto.Message) []byte {
		b, err := proto.Marshal(p)
		if err != nil && firstErr == nil {
			firstErr = err
		}
		return b
	}
	action := &peer.ChaincodeAction{Response: &peer.Response{Status: 200, Payload: result}}
	prp := &peer.ProposalResponsePayload{Extension: m(action)}
	cap := &peer.ChaincodeActionPayload{Action: &peer.ChaincodeEndorsedAction{ProposalResponsePayload: m(prp)}}
	tx := &peer.Transaction{Actions: []*peer.TransactionAction{{Payload: m(cap)}}}
	ch := &common.ChannelHeader{ChannelId: channel, TxId: txID, Type: int32(common.HeaderType_ENDORSER_TRANSACTION)}
	payload := &common.Payload{Header: &common.Header{ChannelHeader: m(ch)}, Data: m(tx)}
	env := &common.Envelope{Payload: m(payload)}
	return env, firstErr
}

func (f *Gateway) Submit(ctx context.Context, req *gateway.SubmitRequest) (*gateway.SubmitResponse, error) {
	if len(req.GetPreparedTransaction().GetSignature()) == 0 {
		return nil, errors.New("unsigned transaction")
	}
	txID := req.GetTransactionId()
	n := f.count(&f.submitted, txID)
	if f.SubmitFn != nil {
		if err := f.SubmitFn(txID); err != nil {
			return nil, err
		}
	}
	if f.SubmitHook != nil {
		if err := f.SubmitHook(ctx, n, txID); err != nil {
			return nil, err
		}
	}
	if f.Ledger != nil {
		f.Ledger.Broadcast(txID)
	}
	return &gateway.SubmitResponse{}, nil
}

func (f *Gateway) CommitStatus(ctx context.Context, req *gateway.SignedCommitStatusRequest) (*gateway.CommitStatusResponse, error) {
	var r gateway.CommitStatusRequest
	if err := proto.Unmarshal(req.GetRequest(), &r); err != nil {
		return nil, err
	}
	if _, err := verifySigned(r.GetIdentity(), req.GetRequest(), req.GetSignature()); err != nil {
		return nil, fmt.Errorf("commit status signature: %w", err)
	}
	txID := r.GetTransactionId()
	n := f.count(&f.statuses, txID)
	if f.StatusHook != nil {
		if err := f.StatusHook(ctx, n, txID); err != nil {
			return nil, err
		}
	}
	switch {
	case f.StatusFn != nil:
		c, err := f.StatusFn(txID)
		if err != nil {
			return nil, err
		}
		return &gateway.CommitStatusResponse{Result: c, BlockNumber: 7}, nil
	case f.Ledger != nil:
		c, err := f.Ledger.Status(ctx, txID)
		if err != nil {
			return nil, status.FromContextError(err).Err()
		}
		return &gateway.CommitStatusResponse{Result: c.Code, BlockNumber: c.Block}, nil
	}
	return &gateway.CommitStatusResponse{Result: peer.TxValidationCode_VALID, BlockNumber: 7}, nil
}

func (f *Gateway) ChaincodeEvents(req *gateway.SignedChaincodeEventsRequest, stream gateway.Gateway_ChaincodeEventsServer) error {
	var r gateway.ChaincodeEventsRequest
	if err := proto.Unmarshal(req.GetRequest(), &r); err != nil {
		return err
	}
	if _, err := verifySigned(r.GetIdentity(), req.GetRequest(), req.GetSignature()); err != nil {
		return fmt.Errorf("events signature: %w", err)
	}
	if f.EventsFn == nil {
		return errors.New("events not scripted")
	}
	return f.EventsFn(&r, stream)
}

func (f *Gateway) DeliverFiltered(stream peer.Deliver_DeliverFilteredServer) error {
	env, err := stream.Recv()
	if err != nil {
		return err
	}
	var p common.Payload
	if err := proto.Unmarshal(env.GetPayload(), &p); err != nil {
		return err
	}
	var sh common.SignatureHeader
	if err := proto.Unmarshal(p.GetHeader().GetSignatureHeader(), &sh); err != nil {
		return err
	}
	if _, err := verifySigned(sh.GetCreator(), env.GetPayload(), env.GetSignature()); err != nil {
		return fmt.Errorf("deliver signature: %w", err)
	}
	if f.BlocksFn == nil {
		return errors.New("blocks not scripted")
	}
	return f.BlocksFn(env, stream)
}

// Start serves f on 127.0.0.1 with a TLS certificate issued by ca (for peer0.hospital.test,
// 127.0.0.1 and localhost) until the test ends, and returns its address.
func Start(t testing.TB, ca *testpki.CA, f *Gateway) string {
	t.Helper()
	srvCert, err := ca.IssueServer("peer0.hospital.test", "127.0.0.1", "localhost")
	require.NoError(t, err)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := grpc.NewServer(grpc.Creds(credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{srvCert.TLS()}, MinVersion: tls.VersionTLS12})))
	gateway.RegisterGatewayServer(srv, f)
	peer.RegisterDeliverServer(srv, f)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return lis.Addr().String()
}

// FreeAddr returns a 127.0.0.1 address nothing listens on.
func FreeAddr(t testing.TB) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := lis.Addr().String()
	require.NoError(t, lis.Close())
	return addr
}

// User is a demo identity WriteNetwork puts in the wallet.
type User struct {
	Name    string
	Org     string // hospital or insurer
	Role    string
	Subject string
}

// Network is what WriteNetwork wrote.
type Network struct {
	Root     string // holds profiles/, wallet/, crypto/
	Profiles string // the profiles folder (network.json)
	Profile  string // profiles/hospital.json
	Wallet   string
}

// WriteNetwork writes, under root, a profiles folder whose hospital.json points at the peer
// addresses given (tried in order) with ca as TLS CA, an insurer.json pointing at the same peer, a
// network.json listing both orgs and the users, and a wallet with a certificate (issued by ca, with
// role and subject attributes) for each user.
func WriteNetwork(t testing.TB, root string, ca *testpki.CA, peers []string, users ...User) Network {
	t.Helper()
	n := Network{Root: root, Profiles: filepath.Join(root, "profiles"), Wallet: filepath.Join(root, "wallet")}
	n.Profile = filepath.Join(n.Profiles, "hospital.json")
	require.NoError(t, os.MkdirAll(filepath.Join(root, "crypto"), 0o755))
	require.NoError(t, os.MkdirAll(n.Profiles, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(root, "crypto", "tlsca.pem"), ca.CertPEM, 0o644))

	entries := []map[string]string{}
	for i, addr := range peers {
		entries = append(entries, map[string]string{
			"name": fmt.Sprintf("peer%d.hospital.test", i), "endpoint": addr,
			"tlsCACert": "../crypto/tlsca.pem", "hostOverride": "peer0.hospital.test",
		})
	}
	orgs := map[string]string{"hospital": "HospitalMSP", "insurer": "InsurerMSP"}
	for org, msp := range orgs {
		writeJSON(t, filepath.Join(n.Profiles, org+".json"), map[string]any{
			"name": org, "mspId": msp, "channel": "healthchannel", "peers": entries,
			"ca":     map[string]string{"name": "ca-" + org, "url": "https://127.0.0.1:1", "tlsCACert": "../crypto/tlsca.pem"},
			"wallet": "../wallet",
		})
	}
	ids := []map[string]string{}
	for _, u := range users {
		msp := orgs[u.Org]
		ids = append(ids, map[string]string{"name": u.Name, "org": u.Org, "mspId": msp, "role": u.Role, "subject": u.Subject})
		issued, err := ca.IssueUser(u.Name, map[string]string{"role": u.Role, "subject": u.Subject})
		require.NoError(t, err)
		dir := filepath.Join(n.Wallet, u.Name)
		require.NoError(t, ca.WriteMSP(dir, issued))
		writeJSON(t, filepath.Join(dir, "identity.json"), map[string]string{"name": u.Name, "org": u.Org, "mspId": msp, "role": u.Role, "subject": u.Subject})
	}
	writeJSON(t, filepath.Join(n.Profiles, "network.json"), map[string]any{
		"layout": "default", "channel": "healthchannel", "wallet": "../wallet",
		"orgs": []map[string]any{
			{"name": "hospital", "mspId": "HospitalMSP", "profile": "hospital.json", "roles": []string{"patient", "provider", "pharmacist"}},
			{"name": "insurer", "mspId": "InsurerMSP", "profile": "insurer.json", "roles": []string{"insurer", "auditor"}},
		},
		"identities": ids,
		"chaincodes": []string{"baseline", "consent", "provenance", "claims"},
	})
	return n
}

func writeJSON(t testing.TB, path string, v any) {
	t.Helper()
	data, err := json.MarshalIndent(v, "", "  ")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, data, 0o644))
}
