package sdktest

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/healthledger/healthledger/gateway-client/sdk"
	"github.com/healthledger/healthledger/internal/testpki"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
)

// Call is one request as a [Handler] sees it.
type Call struct {
	Chaincode string            `json:"chaincode"`
	Function  string            `json:"function"`
	Args      []string          `json:"args"`
	Transient map[string][]byte `json:"transient,omitempty"`
	// EndorsingOrgs are the organisations the client asked to endorse (or, for an evaluation, to
	// answer); nil when it left the choice to the gateway.
	EndorsingOrgs []string `json:"endorsingOrgs,omitempty"`
	// Submit is true for a submitted transaction, false for an evaluation.
	Submit bool `json:"submit"`
	// TransactionID is the id of the proposal's transaction, fresh for each attempt; an evaluation
	// has one too (a sealed answer is bound to it, package chaincode/seal), which never commits.
	TransactionID string `json:"transactionId,omitempty"`
	// Caller is the identity that signed the proposal: as given to [Server.Client] or
	// [Server.Credentials], or else read from its certificate (name, MSP id, role and subject).
	Caller sdk.IdentityInfo `json:"caller"`
}

// Handler answers calls in place of the chaincode. It returns the chaincode's payload, or an error,
// which reaches the client as the gateway would report it (see the package documentation): a
// *codes.Error, or any other error, is the chaincode's failure; a gRPC status error passes through;
// a [*sdk.CommitError] from a submitted call makes the transaction fail validation with its code.
// A handler may be called concurrently.
type Handler func(ctx context.Context, call Call) ([]byte, error)

// Channel is the channel a server's profiles name, unless [sdk.WithNetwork] names another.
const Channel = "healthchannel"

// DefaultMSPID is the MSP id of an identity given without one.
const DefaultMSPID = "TestMSP"

// Server is an in-process Fabric Gateway peer whose chaincode a [Handler] plays, served with TLS on
// a 127.0.0.1 port. Close it when done.
type Server struct {
	ca   *testpki.CA
	addr string
	srv  *grpc.Server
	gw   *gatewayService

	mu     sync.Mutex
	issued map[string]sdk.IdentityInfo // by certificate PEM

	closeOnce sync.Once
}

// NewServer starts a server whose calls h answers.
func NewServer(h Handler) (*Server, error) {
	if h == nil {
		return nil, errors.New("sdktest: nil handler")
	}
	ca, err := testpki.NewCA("sdktest-ca")
	if err != nil {
		return nil, fmt.Errorf("sdktest: CA: %w", err)
	}
	cert, err := ca.IssueServer("peer0.sdktest", "127.0.0.1", "localhost")
	if err != nil {
		return nil, fmt.Errorf("sdktest: TLS certificate: %w", err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("sdktest: listen: %w", err)
	}
	s := &Server{ca: ca, addr: lis.Addr().String(), issued: map[string]sdk.IdentityInfo{}}
	s.gw = newGatewayService(h, s.issuedTo)
	s.gw.addr = s.addr
	s.srv = grpc.NewServer(grpc.Creds(credentials.NewTLS(&tls.Config{
		Certificates: []tls.Certificate{cert.TLS()},
		MinVersion:   tls.VersionTLS12,
	})))
	gateway.RegisterGatewayServer(s.srv, s.gw)
	peer.RegisterDeliverServer(s.srv, s.gw)
	go func() { _ = s.srv.Serve(lis) }()
	return s, nil
}

// Addr returns the host:port the server listens on.
func (s *Server) Addr() string { return s.addr }

// TLSCACert returns the PEM certificate of the CA that signed the server's TLS certificate and the
// identities it issues.
func (s *Server) TLSCACert() []byte { return slices.Clone(s.ca.CertPEM) }

// Close stops the server at once; calls in flight fail.
func (s *Server) Close() {
	s.closeOnce.Do(s.srv.Stop)
}

// Credentials issues a certificate and key for id, with id's role and subject as Fabric CA
// attributes; calls signed with it name id as their [Call.Caller]. An id without an MSP id gets
// [DefaultMSPID].
func (s *Server) Credentials(id sdk.IdentityInfo) (*sdk.Credentials, error) {
	if id.MSPID == "" {
		id.MSPID = DefaultMSPID
	}
	attrs := map[string]string{}
	if id.Role != "" {
		attrs["role"] = id.Role
	}
	if id.Subject != "" {
		attrs["subject"] = id.Subject
	}
	cn := id.Name
	if cn == "" {
		cn = "sdktest-user"
	}
	issued, err := s.ca.IssueUser(cn, attrs)
	if err != nil {
		return nil, fmt.Errorf("sdktest: issue %q: %w", cn, err)
	}
	s.mu.Lock()
	s.issued[string(issued.CertPEM)] = id
	s.mu.Unlock()
	return &sdk.Credentials{Info: id, Certificate: issued.CertPEM, PrivateKey: issued.KeyPEM, CACerts: s.TLSCACert()}, nil
}

func (s *Server) issuedTo(certPEM []byte) (sdk.IdentityInfo, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.issued[string(certPEM)]
	return id, ok
}

// Profile returns a connection profile of the org named org, with MSP id mspID, whose one peer is
// the server. Its TLS CA path is the file name tlsca.pem, for a profile written next to the
// server's [Server.TLSCACert].
func (s *Server) Profile(org, mspID, channel string) sdk.Profile {
	return sdk.Profile{
		Name: org, MSPID: mspID, Channel: channel,
		Peers: []sdk.PeerEndpoint{{Name: "peer0.sdktest", Endpoint: s.addr, TLSCACert: "tlsca.pem"}},
	}
}

// Client connects a client to the server as id, through [sdk.Connect] and a connection profile of
// id's org, so the SDK's whole gateway path runs. The options apply as for [sdk.Connect] (retry
// policy, timeouts, [sdk.WithNetwork], whose channel the client then uses); identity options are
// ignored: the client signs with credentials the server issues for id. [sdk.Client.Identity] returns
// id, with [DefaultMSPID] when id has no MSP id.
func (s *Server) Client(ctx context.Context, id sdk.IdentityInfo, opts ...sdk.Option) (*sdk.Client, error) {
	creds, err := s.Credentials(id)
	if err != nil {
		return nil, err
	}
	all := append(slices.Clone(opts), sdk.WithCredentials(creds))
	c, err := s.connect(ctx, creds.Info, Channel, all)
	if err != nil {
		return nil, err
	}
	// A network description names its own channel: connect again on that one.
	if n := c.Network(); n != nil && n.Channel() != c.Channel() {
		_ = c.Close()
		return s.connect(ctx, creds.Info, n.Channel(), all)
	}
	return c, nil
}

// connect writes a profile for id on channel into a folder of its own, connects, and removes the
// folder: the client has read it and holds its connection.
func (s *Server) connect(ctx context.Context, id sdk.IdentityInfo, channel string, opts []sdk.Option) (*sdk.Client, error) {
	dir, err := os.MkdirTemp("", "sdktest-")
	if err != nil {
		return nil, fmt.Errorf("sdktest: %w", err)
	}
	defer os.RemoveAll(dir)
	path, err := s.writeProfile(dir, "profile.json", s.Profile(id.Org, id.MSPID, channel))
	if err != nil {
		return nil, err
	}
	c, err := sdk.Connect(ctx, path, opts...)
	if err != nil {
		return nil, fmt.Errorf("sdktest: %w", err)
	}
	return c, nil
}

// writeProfile writes p as dir/name with [sdk.WriteProfile], and the server's TLS CA as
// dir/tlsca.pem.
func (s *Server) writeProfile(dir, name string, p sdk.Profile) (string, error) {
	if err := os.WriteFile(filepath.Join(dir, "tlsca.pem"), s.ca.CertPEM, 0o644); err != nil {
		return "", fmt.Errorf("sdktest: %w", err)
	}
	path := filepath.Join(dir, name)
	if err := sdk.WriteProfile(path, &p); err != nil {
		return "", fmt.Errorf("sdktest: %w", err)
	}
	return path, nil
}

// NewClient starts a [Server] for h and returns a client connected to it as id (see
// [Server.Client]). The server lives as long as the client: it stops once the client is no longer
// referenced, so a handler must not hold the client it answers. Use [NewServer] to stop it at a
// moment of your choosing.
func NewClient(h Handler, id sdk.IdentityInfo, opts ...sdk.Option) (*sdk.Client, error) {
	s, err := NewServer(h)
	if err != nil {
		return nil, err
	}
	c, err := s.Client(context.Background(), id, opts...)
	if err != nil {
		s.Close()
		return nil, err
	}
	runtime.AddCleanup(c, func(s *Server) { s.Close() }, s)
	return c, nil
}

// orgOf returns id's org, or a name made from its MSP id (HospitalMSP: hospital).
func orgOf(id sdk.IdentityInfo) string {
	if id.Org != "" {
		return id.Org
	}
	return strings.ToLower(strings.TrimSuffix(id.MSPID, "MSP"))
}
