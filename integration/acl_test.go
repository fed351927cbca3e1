//go:build integration

package integration

// The channel's ACLs, tried with a raw fabric-gateway client and raw Deliver streams (not the SDK):
// an ordinary client certificate (a patient, a provider, an insurer) reads no block, by qscc, by the
// peer's block delivery or by the orderer's; an org admin, a peer and the org's events service
// identity do; every client still submits and reads its commit status.

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/asn1"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/healthledger/healthledger/gateway-client/sdk"
	"github.com/hyperledger/fabric-gateway/pkg/client"
	fgid "github.com/hyperledger/fabric-gateway/pkg/identity"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// rawClient is one identity connected to one org's gateway peer with fabric-gateway's own client.
type rawClient struct {
	name string
	gw   *client.Gateway
	net  *client.Network
	peer *grpc.ClientConn
	sign fgid.Sign
}

// dialTLS opens a gRPC connection to endpoint, verifying its TLS certificate against caFile.
func dialTLS(t *testing.T, endpoint, caFile, serverName string) *grpc.ClientConn {
	t.Helper()
	pemData, err := os.ReadFile(caFile)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(pemData), "no certificate in %s", caFile)
	cfg := &tls.Config{RootCAs: pool, ServerName: serverName, MinVersion: tls.VersionTLS12}
	conn, err := grpc.NewClient(endpoint, grpc.WithTransportCredentials(credentials.NewTLS(cfg)))
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// rawConnect connects creds to the first gateway peer of org's profile.
func rawConnect(t *testing.T, org, name string, creds *sdk.Credentials) *rawClient {
	t.Helper()
	prof, err := env.net.Profile(org)
	require.NoError(t, err)
	require.NotEmpty(t, prof.Peers)
	p := prof.Peers[0]
	server := p.HostOverride
	if server == "" {
		server = "127.0.0.1"
	}
	conn := dialTLS(t, p.Endpoint, p.TLSCACert, server)
	cert, err := fgid.CertificateFromPEM(creds.Certificate)
	require.NoError(t, err)
	id, err := fgid.NewX509Identity(prof.MSPID, cert)
	require.NoError(t, err)
	key, err := fgid.PrivateKeyFromPEM(creds.PrivateKey)
	require.NoError(t, err)
	sign, err := fgid.NewPrivateKeySign(key)
	require.NoError(t, err)
	gw, err := client.Connect(id, client.WithSign(sign), client.WithClientConnection(conn),
		client.WithEvaluateTimeout(30*time.Second), client.WithEndorseTimeout(30*time.Second),
		client.WithSubmitTimeout(30*time.Second), client.WithCommitStatusTimeout(time.Minute))
	require.NoError(t, err)
	t.Cleanup(func() { _ = gw.Close() })
	return &rawClient{name: name, gw: gw, net: gw.GetNetwork(env.net.Channel()), peer: conn, sign: sign}
}

// walletCreds reads a wallet entry.
func walletCreds(t *testing.T, name string) *sdk.Credentials {
	t.Helper()
	w, err := sdk.OpenWallet(env.net.WalletDir())
	require.NoError(t, err)
	creds, err := w.Get(name)
	require.NoError(t, err, "wallet entry %s", name)
	return creds
}

// rawClientOf connects a wallet identity to its own org's peer.
func rawClientOf(t *testing.T, name string) *rawClient {
	t.Helper()
	creds := walletCreds(t, name)
	return rawConnect(t, creds.Info.Org, name, creds)
}

// rawAdminOf connects the org's admin (the profile's AdminMSP) to the org's peer.
func rawAdminOf(t *testing.T, org string) *rawClient {
	t.Helper()
	prof, err := env.net.Profile(org)
	require.NoError(t, err)
	if prof.AdminMSP == "" {
		t.Skipf("the profile of %s names no admin MSP", org)
	}
	creds, err := sdk.LoadMSPDir(prof.AdminMSP, prof.MSPID)
	require.NoError(t, err)
	return rawConnect(t, org, "admin of "+org, creds)
}

// rawEventsOf connects the org's events service identity (the profile's EventsIdentity).
func rawEventsOf(t *testing.T, org string) *rawClient {
	t.Helper()
	prof, err := env.net.Profile(org)
	require.NoError(t, err)
	require.NotEmpty(t, prof.EventsIdentity, "the profile of %s names no events identity", org)
	return rawConnect(t, org, prof.EventsIdentity, walletCreds(t, prof.EventsIdentity))
}

// qscc asks the query system chaincode, through the gateway's Evaluate.
func (c *rawClient) qscc(fn string, args ...string) ([]byte, error) {
	return c.net.GetContract("qscc").EvaluateTransaction(fn, append([]string{env.net.Channel()}, args...)...)
}

// deliverStatus is what a Deliver stream answered first: a block (status 0, block true) or a status.
type deliverStatus struct {
	status common.Status
	block  bool
}

// firstAnswer reads the first answer of a Deliver stream: a block, or the status that ends it.
func firstAnswer[R interface{ GetStatus() common.Status }](t *testing.T, recv func() (R, error), isBlock func(R) bool) deliverStatus {
	t.Helper()
	r, err := recv()
	if errors.Is(err, io.EOF) {
		t.Fatal("the Deliver stream ended without an answer")
	}
	require.NoError(t, err)
	if isBlock(r) {
		return deliverStatus{block: true}
	}
	return deliverStatus{status: r.GetStatus()}
}

// seekGenesis is a signed request for block 0 (then the blocks after it), as c's identity.
func (c *rawClient) seekGenesis(t *testing.T) *common.Envelope {
	t.Helper()
	req, err := c.net.NewBlockEventsRequest(client.WithStartBlock(0))
	require.NoError(t, err)
	raw, err := req.Bytes()
	require.NoError(t, err)
	envl := &common.Envelope{}
	require.NoError(t, proto.Unmarshal(raw, envl))
	// Bytes is the request unsigned (Events signs it on the way): sign it here.
	envl.Signature, err = c.sign(req.Digest())
	require.NoError(t, err)
	return envl
}

// peerDeliver asks the peer's three Deliver services for block 0 as c and returns what each answered.
func (c *rawClient) peerDeliver(t *testing.T) map[string]deliverStatus {
	t.Helper()
	out := map[string]deliverStatus{}
	dc := peer.NewDeliverClient(c.peer)
	type stream interface {
		Send(*common.Envelope) error
		Recv() (*peer.DeliverResponse, error)
		CloseSend() error
	}
	for name, open := range map[string]func(context.Context, ...grpc.CallOption) (stream, error){
		"Deliver": func(ctx context.Context, o ...grpc.CallOption) (stream, error) { return dc.Deliver(ctx, o...) },
		"DeliverFiltered": func(ctx context.Context, o ...grpc.CallOption) (stream, error) {
			return dc.DeliverFiltered(ctx, o...)
		},
		"DeliverWithPrivateData": func(ctx context.Context, o ...grpc.CallOption) (stream, error) {
			return dc.DeliverWithPrivateData(ctx, o...)
		},
	} {
		sctx, cancel := context.WithTimeout(ctx(t), 30*time.Second)
		s, err := open(sctx)
		require.NoError(t, err)
		require.NoError(t, s.Send(c.seekGenesis(t)))
		out[name] = firstAnswer(t, s.Recv, func(r *peer.DeliverResponse) bool {
			return r.GetBlock() != nil || r.GetFilteredBlock() != nil || r.GetBlockAndPrivateData() != nil
		})
		_ = s.CloseSend()
		cancel()
	}
	return out
}

// ordererDeliver asks an orderer for block 0 as c.
func (c *rawClient) ordererDeliver(t *testing.T) deliverStatus {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(env.profiles, "network.json"))
	require.NoError(t, err)
	var desc sdk.NetworkDescription
	require.NoError(t, json.Unmarshal(raw, &desc))
	if desc.Orderer == nil {
		t.Skip("network.json names no orderer")
	}
	ca := desc.Orderer.TLSCACert
	if !filepath.IsAbs(ca) {
		ca = filepath.Join(env.profiles, ca)
	}
	server := desc.Orderer.HostOverride
	if server == "" {
		server = "127.0.0.1"
	}
	conn := dialTLS(t, desc.Orderer.Endpoint, ca, server)
	sctx, cancel := context.WithTimeout(ctx(t), 30*time.Second)
	defer cancel()
	s, err := orderer.NewAtomicBroadcastClient(conn).Deliver(sctx)
	require.NoError(t, err)
	require.NoError(t, s.Send(c.seekGenesis(t)))
	defer func() { _ = s.CloseSend() }()
	return firstAnswer(t, s.Recv, func(r *orderer.DeliverResponse) bool { return r.GetBlock() != nil })
}

// aBlockAndTx returns the hash of block 1 and the id of a transaction in it, read as reader.
func aBlockAndTx(t *testing.T, reader *rawClient) (blockHash []byte, txID string) {
	t.Helper()
	raw, err := reader.qscc("GetBlockByNumber", "1")
	require.NoError(t, err, "%s reading block 1", reader.name)
	var b common.Block
	require.NoError(t, proto.Unmarshal(raw, &b))
	return blockHeaderHash(t, b.GetHeader()), firstChannelHeader(t, &b).GetTxId()
}

// firstChannelHeader decodes the channel header of the first transaction of b.
func firstChannelHeader(t *testing.T, b *common.Block) *common.ChannelHeader {
	t.Helper()
	require.NotEmpty(t, b.GetData().GetData())
	envl := &common.Envelope{}
	require.NoError(t, proto.Unmarshal(b.GetData().GetData()[0], envl))
	payload := &common.Payload{}
	require.NoError(t, proto.Unmarshal(envl.GetPayload(), payload))
	ch := &common.ChannelHeader{}
	require.NoError(t, proto.Unmarshal(payload.GetHeader().GetChannelHeader(), ch))
	return ch
}

// TestBlocksAreClosedToClients: a patient's, a provider's and an insurer's certificates read no block
// and no transaction, by qscc or by block delivery from a peer or an orderer; the channel's height
// (the height and the config block stay open: no transaction content).
func TestBlocksAreClosedToClients(t *testing.T) {
	admin := rawAdminOf(t, identity(t, "patient", 0).Org)
	hash, txID := aBlockAndTx(t, admin)
	for _, role := range []string{"patient", "provider", "insurer"} {
		id := identity(t, role, 0)
		t.Run(role, func(t *testing.T) {
			c := rawClientOf(t, id.Name)
			for _, q := range [][]string{
				{"GetBlockByNumber", "0"},
				{"GetBlockByNumber", "1"},
				{"GetBlockByHash", string(hash)},
				{"GetBlockByTxID", txID},
				{"GetTransactionByID", txID},
			} {
				raw, err := c.qscc(q[0], q[1:]...)
				require.Error(t, err, "%s (%s) read qscc %s: %d bytes", id.Name, role, q[0], len(raw))
				require.Contains(t, err.Error(), "access denied", "%s: qscc %s", id.Name, q[0])
			}
			// The height (and the last block's hash) stays open to members: no content.
			raw, err := c.qscc("GetChainInfo")
			require.NoError(t, err, "%s: qscc GetChainInfo", id.Name)
			var info common.BlockchainInfo
			require.NoError(t, proto.Unmarshal(raw, &info))
			require.Positive(t, info.GetHeight())
			// The config block (the channel config, no transaction) stays open to members.
			raw, err = c.net.GetContract("cscc").EvaluateTransaction("GetConfigBlock", env.net.Channel())
			require.NoError(t, err, "%s: cscc GetConfigBlock", id.Name)
			requireOnlyConfig(t, raw)
			for svc, got := range c.peerDeliver(t) {
				require.Equal(t, deliverStatus{status: common.Status_FORBIDDEN}, got, "%s: peer %s", id.Name, svc)
			}
			require.Equal(t, deliverStatus{status: common.Status_FORBIDDEN}, c.ordererDeliver(t), "%s: orderer Deliver", id.Name)

			// The gateway's chaincode events read blocks too: closed to clients as well.
			for _, cc := range env.net.Chaincodes() {
				err := c.gatewayEventsRefused(t, cc)
				require.Equal(t, codes.PermissionDenied, status.Code(err), "%s: chaincode events of %s: %v", id.Name, cc, err)
			}
		})
	}
}

// TestBlocksAreOpenToAdminsAndTheEventsService: each org's admin and events service identity read
// blocks by qscc and by the peer's and the orderer's block delivery.
func TestBlocksAreOpenToAdminsAndTheEventsService(t *testing.T) {
	for _, o := range env.net.Orgs() {
		for _, c := range []*rawClient{rawAdminOf(t, o.Name), rawEventsOf(t, o.Name)} {
			t.Run(o.Name+"/"+c.name, func(t *testing.T) {
				raw, err := c.qscc("GetBlockByNumber", "0")
				require.NoError(t, err)
				require.NotEmpty(t, raw)
				_, err = c.qscc("GetChainInfo")
				require.NoError(t, err)
				for svc, got := range c.peerDeliver(t) {
					require.True(t, got.block, "%s: peer %s answered %s", c.name, svc, got.status)
				}
				require.True(t, c.ordererDeliver(t).block, "%s: orderer Deliver refused", c.name)
			})
		}
	}
}

// TestClientsStillSubmitAndReadCommitStatus: a provider submits through the raw gateway and reads
// its commit status (gateway/CommitStatus stays open to every member).
func TestClientsStillSubmitAndReadCommitStatus(t *testing.T) {
	if !slices.Contains(env.net.Chaincodes(), "baseline") {
		t.Skip("baseline is not deployed on this network")
	}
	c := rawClientOf(t, identity(t, "provider", 0).Name)
	key := unique("acl")
	_, commit, err := c.net.GetContract("baseline").SubmitAsync("Add", client.WithArguments(key, "1"))
	require.NoError(t, err)
	st, err := commit.StatusWithContext(ctx(t))
	require.NoError(t, err)
	require.True(t, st.Successful, "status %s", st.Code)
	raw, err := c.net.GetContract("baseline").EvaluateTransaction("Read", key)
	require.NoError(t, err)
	require.Equal(t, "1", string(raw))
}

// TestChaincodeEventsReachTheEventsService: the events service identity of each org receives a
// chaincode event through the gateway's ChaincodeEvents (a baseline Add emits one).
func TestChaincodeEventsReachTheEventsService(t *testing.T) {
	if !slices.Contains(env.net.Chaincodes(), "baseline") {
		t.Skip("baseline is not deployed on this network")
	}
	writer := rawClientOf(t, identity(t, "provider", 0).Name)
	key := unique("acl-event")
	_, err := writer.net.GetContract("baseline").Submit("Add", client.WithArguments(key, "2"))
	require.NoError(t, err)
	for _, o := range env.net.Orgs() {
		svc := rawEventsOf(t, o.Name)
		t.Run(o.Name, func(t *testing.T) {
			sctx, cancel := context.WithTimeout(ctx(t), time.Minute)
			defer cancel()
			events, err := svc.net.ChaincodeEvents(sctx, "baseline", client.WithStartBlock(0))
			require.NoError(t, err)
			for {
				select {
				case e, ok := <-events:
					require.True(t, ok, "the chaincode events stream of %s ended", svc.name)
					if e.EventName == "Added" && strings.Contains(string(e.Payload), key) {
						return
					}
				case <-sctx.Done():
					t.Fatalf("the Added event of %s did not reach %s", key, svc.name)
				}
			}
		})
	}
}

// gatewayEventsRefused opens the gateway's ChaincodeEvents stream as c and returns the error that
// ends it (nil if an event came).
func (c *rawClient) gatewayEventsRefused(t *testing.T, chaincode string) error {
	t.Helper()
	req, err := c.net.NewChaincodeEventsRequest(chaincode, client.WithStartBlock(0))
	require.NoError(t, err)
	raw, err := req.Bytes()
	require.NoError(t, err)
	signed := &gateway.SignedChaincodeEventsRequest{}
	require.NoError(t, proto.Unmarshal(raw, signed))
	signed.Signature, err = c.sign(req.Digest())
	require.NoError(t, err)
	sctx, cancel := context.WithTimeout(ctx(t), 30*time.Second)
	defer cancel()
	s, err := gateway.NewGatewayClient(c.peer).ChaincodeEvents(sctx, signed)
	require.NoError(t, err)
	_, err = s.Recv()
	return err
}

// blockHeaderHash is the hash that qscc's GetBlockByHash looks a block up by: SHA-256 over the ASN.1
// DER of the header's number, previous hash and data hash.
func blockHeaderHash(t *testing.T, h *common.BlockHeader) []byte {
	t.Helper()
	der, err := asn1.Marshal(struct {
		Number       *big.Int
		PreviousHash []byte
		DataHash     []byte
	}{new(big.Int).SetUint64(h.GetNumber()), h.GetPreviousHash(), h.GetDataHash()})
	require.NoError(t, err)
	sum := sha256.Sum256(der)
	return sum[:]
}

// TestBlockHelpersReadAsABlockReader: the suite's block helpers (chainHeight, blocksContaining),
// given an ordinary client, read as its org's block reader and find a transaction that client made.
func TestBlockHelpersReadAsABlockReader(t *testing.T) {
	if !slices.Contains(env.net.Chaincodes(), "baseline") {
		t.Skip("baseline is not deployed on this network")
	}
	c := connect(t, identity(t, "provider", 0).Name)
	key := unique("acl-helper")
	tx, err := c.Contract("baseline").SubmitTx(ctx(t), "Write", []string{key, "v"})
	require.NoError(t, err)
	require.Less(t, tx.BlockNumber, chainHeight(t, c))
	require.Contains(t, blocksContaining(t, c, []byte(tx.TransactionID)), tx.BlockNumber)
	_, err = c.Contract("qscc").Evaluate(ctx(t), "GetBlockByNumber", []string{env.net.Channel(), "0"})
	require.ErrorIs(t, err, sdk.ErrForbidden, "the client itself reads no block")
}

// TestSDKEventStreamsReadAsTheEventsIdentity: an SDK client of a provider, connected with
// WithProfileEventIdentity, receives a baseline event through ChaincodeEvents and blocks through
// BlockEvents, while it submits as the provider; the same client without it is refused.
func TestSDKEventStreamsReadAsTheEventsIdentity(t *testing.T) {
	if !slices.Contains(env.net.Chaincodes(), "baseline") {
		t.Skip("baseline is not deployed on this network")
	}
	name := identity(t, "provider", 0).Name
	c := connect(t, name, sdk.WithProfileEventIdentity())
	plain := connect(t, name)
	key := unique("acl-sdk-event")
	tx, err := c.Contract("baseline").SubmitTx(ctx(t), "Add", []string{key, "5"})
	require.NoError(t, err)
	require.Equal(t, name, c.Identity().Name, "transactions still go as the provider")

	events, err := c.ChaincodeEvents(ctx(t), "baseline", sdk.WithStartBlock(tx.BlockNumber))
	require.NoError(t, err)
	defer func() { _ = events.Close() }()
	for {
		e, err := events.Next(ctx(t))
		require.NoError(t, err)
		if e.TransactionID == tx.TransactionID {
			require.Equal(t, "Added", e.Name)
			require.JSONEq(t, `{"key":"`+key+`","value":5}`, string(e.Payload))
			break
		}
	}
	blocks, err := c.BlockEvents(ctx(t), sdk.WithStartBlock(tx.BlockNumber))
	require.NoError(t, err)
	defer func() { _ = blocks.Close() }()
	b, err := blocks.Next(ctx(t))
	require.NoError(t, err)
	require.Equal(t, tx.BlockNumber, b.Number)

	refused, err := plain.ChaincodeEvents(ctx(t), "baseline", sdk.WithStartBlock(tx.BlockNumber))
	if err == nil {
		defer func() { _ = refused.Close() }()
		_, err = refused.Next(ctx(t))
	}
	require.ErrorIs(t, err, sdk.ErrForbidden, "a provider's own chaincode events stream")
	refusedBlocks, err := plain.BlockEvents(ctx(t), sdk.WithStartBlock(tx.BlockNumber))
	if err == nil {
		defer func() { _ = refusedBlocks.Close() }()
		_, err = refusedBlocks.Next(ctx(t))
	}
	require.ErrorIs(t, err, sdk.ErrForbidden, "a provider's own block events stream")
}

// aclScript runs test-network-scripts/acl.sh against the suite's network, with extra environment.
func aclScript(t *testing.T, extra []string, args ...string) (string, error) {
	t.Helper()
	dir := env.netdir
	if dir == "" {
		dir = os.Getenv("HL_NETWORK_DIR")
	}
	if dir == "" {
		t.Skip("changing the channel's ACLs needs a network this suite started (or HL_NETWORK_DIR)")
	}
	cmd := exec.CommandContext(ctx(t), filepath.Join(env.root, "test-network-scripts", "acl.sh"),
		append(args, "--target", env.profiles)...)
	cmd.Env = append(append(os.Environ(), "HL_NETWORK_DIR="+dir), extra...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestACLsChangeOnlyByAMajorityOfAdmins: one org's admin alone cannot change an ACL (the update is
// refused, the ACL unchanged); a majority can, and the peers apply it at once. Shown on filtered
// blocks, opened to members and closed again.
func TestACLsChangeOnlyByAMajorityOfAdmins(t *testing.T) {
	const res = "event/FilteredBlock"
	open, closed := res+"=/Channel/Application/Members", res+"=/Channel/Application/Readers"
	_, err := aclScript(t, nil, "set", closed)
	require.NoError(t, err)
	t.Cleanup(func() {
		out, err := aclScript(t, nil, "set", closed)
		require.NoError(t, err, out)
	})
	patient := rawClientOf(t, identity(t, "patient", 0).Name)
	filtered := func() deliverStatus { return patient.peerDeliver(t)["DeliverFiltered"] }
	require.Equal(t, deliverStatus{status: common.Status_FORBIDDEN}, filtered())

	out, err := aclScript(t, []string{"HL_ACL_SIGNERS=1"}, "set", open)
	require.Error(t, err, "one admin changed an ACL: %s", out)
	require.Contains(t, out, "Admins' sub-policies to be satisfied")
	show, err := aclScript(t, nil, "show")
	require.NoError(t, err)
	require.Contains(t, show, res+" /Channel/Application/Readers")
	require.Equal(t, deliverStatus{status: common.Status_FORBIDDEN}, filtered(), "the refused update changed nothing")

	out, err = aclScript(t, nil, "set", open)
	require.NoError(t, err, out)
	require.True(t, filtered().block, "members read filtered blocks once a majority opened them")
	require.Equal(t, deliverStatus{status: common.Status_FORBIDDEN}, patient.peerDeliver(t)["Deliver"], "full blocks stay closed")

	out, err = aclScript(t, nil, "set", closed)
	require.NoError(t, err, out)
	require.Equal(t, deliverStatus{status: common.Status_FORBIDDEN}, filtered())
}

// requireOnlyConfig checks that raw is a block holding one CONFIG transaction and nothing else.
func requireOnlyConfig(t *testing.T, raw []byte) {
	t.Helper()
	var b common.Block
	require.NoError(t, proto.Unmarshal(raw, &b))
	require.Len(t, b.GetData().GetData(), 1)
	require.Equal(t, int32(common.HeaderType_CONFIG), firstChannelHeader(t, &b).GetType())
}
