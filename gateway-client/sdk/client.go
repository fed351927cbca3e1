package sdk

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"google.golang.org/grpc"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials"
)

// Client is one identity connected to a gateway peer. It is safe for concurrent use; Close it when
// done.
//
// A client connected from a profile keeps the profile's peer list: when a call finds its peer
// unreachable, the client connects to the next reachable peer of the list and carries on there (see
// [Contract.SubmitTx] for what is repeated at each stage). [Client.Peer] reports the peer in use.
type Client struct {
	cfg     *config
	info    IdentityInfo
	network *Network
	profile *Profile
	channel string

	// dial opens a session to the peer at an index of peers; nil when the client cannot fail over
	// (a test client).
	dial  func(ctx context.Context, index int) (*session, error)
	peers []PeerEndpoint

	// failMu serialises failovers, so that concurrent calls that find the same peer gone dial once.
	// It also guards failedBack.
	failMu sync.Mutex
	// failedBack is when a return to the client's own org's peers last failed (see Client.failback).
	failedBack time.Time
	// mu guards cur, draining and closed.
	mu       sync.Mutex
	cur      *session
	draining []*session // replaced sessions still used by calls in flight
	closed   bool

	// events is the client that event streams are opened through, when an events identity was chosen
	// ([WithEventIdentity]); nil when they use this client's own identity.
	events *Client

	// life ends when the client is closed; event streams end with it.
	life      context.Context
	endLife   context.CancelFunc
	closeOnce sync.Once
	closeErr  error
}

// newClient assembles a client around a backend that cannot fail over.
func newClient(b backend, cfg *config, info IdentityInfo, prof *Profile, peer PeerEndpoint, channel string) *Client {
	return newSessionClient(&session{b: b, peer: peer, index: -1}, cfg, info, prof, channel)
}

func newSessionClient(s *session, cfg *config, info IdentityInfo, prof *Profile, channel string) *Client {
	life, end := context.WithCancel(context.Background())
	return &Client{cur: s, cfg: cfg, info: info, network: cfg.network, profile: prof, channel: channel, life: life, endLife: end}
}

// Connect reads the connection profile at profilePath, loads the identity chosen by the options
// ([WithIdentity], [WithMSPDir] or [WithCredentials]) and connects to the first of the profile's peers
// that answers within the connect timeout (then [WithFallbackOrgs]' peers). When every peer fails,
// the error lists each failure. The client keeps the peer list and fails over to the next peer when
// its own goes away (see [Client]).
//
// Defaults: the profile's wallet, [DefaultTimeouts], [DefaultConnectTimeout], [DefaultRetryPolicy].
func Connect(ctx context.Context, profilePath string, opts ...Option) (*Client, error) {
	cfg := defaultConfig()
	if err := cfg.apply(opts); err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	prof, err := LoadProfile(profilePath)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	events, err := cfg.eventsIdentity(prof)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	c, err := connect(ctx, cfg, prof)
	if err != nil || events == "" {
		return c, err
	}
	// The event streams' own client: the same profile, peers, timeouts and retries, as the events
	// identity, from the same wallet.
	ecfg := *cfg
	ecfg.identityName, ecfg.creds, ecfg.mspDir = events, nil, ""
	ecfg.eventIdentity, ecfg.profileEventIdentity = "", false
	ec, err := connect(ctx, &ecfg, prof)
	if err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("connect the events identity: %w", err)
	}
	c.events = ec
	return c, nil
}

// connect connects the identity cfg chose to a peer of prof.
func connect(ctx context.Context, cfg *config, prof *Profile) (*Client, error) {
	creds, err := cfg.credentials(prof)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	id, sign, err := signer(creds)
	if err != nil {
		return nil, fmt.Errorf("connect as %q: %w", creds.Info.Name, err)
	}
	peers, err := cfg.peerList(prof)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	d := &dialer{peers: peers, cfg: cfg, channel: prof.Channel, id: id, sign: sign}
	s, err := d.first(ctx)
	if err != nil {
		return nil, fmt.Errorf("connect as %q: %w", creds.Info.Name, err)
	}
	c := newSessionClient(s, cfg, creds.Info, prof, prof.Channel)
	c.dial, c.peers = d.open, peers
	return c, nil
}

// eventsIdentity returns the wallet entry the event streams connect as: [WithEventIdentity]'s, else
// the profile's EventsIdentity when [WithProfileEventIdentity] asked for it, else "" (the client's own
// identity).
func (c *config) eventsIdentity(prof *Profile) (string, error) {
	switch {
	case c.eventIdentity != "":
		return c.eventIdentity, nil
	case !c.profileEventIdentity:
		return "", nil
	case prof.EventsIdentity == "":
		return "", fmt.Errorf("events identity: the profile of %s names none", prof.Name)
	default:
		return prof.EventsIdentity, nil
	}
}

// credentials finds the identity the options chose.
func (c *config) credentials(prof *Profile) (*Credentials, error) {
	var creds *Credentials
	switch {
	case c.creds != nil:
		cp := *c.creds
		creds = &cp
	case c.mspDir != "":
		cr, err := LoadMSPDir(c.mspDir, prof.MSPID)
		if err != nil {
			return nil, err
		}
		creds = cr
	case c.identityName != "":
		dir := c.walletDir
		if dir == "" {
			dir = prof.Wallet
		}
		if dir == "" {
			return nil, fmt.Errorf("identity %q: the profile names no wallet; use WithWallet", c.identityName)
		}
		w, err := OpenWallet(dir)
		if err != nil {
			return nil, err
		}
		cr, err := w.Get(c.identityName)
		if err != nil {
			return nil, err
		}
		creds = cr
	default:
		return nil, errors.New("no identity chosen: use WithIdentity, WithMSPDir or WithCredentials")
	}
	if creds.Info.MSPID == "" {
		creds.Info.MSPID = prof.MSPID
	}
	if creds.Info.Org == "" && creds.Info.MSPID == prof.MSPID {
		creds.Info.Org = prof.Name
	}
	return creds, nil
}

// signer builds the fabric-gateway identity and signing function of creds.
func signer(creds *Credentials) (*identity.X509Identity, identity.Sign, error) {
	cert, err := identity.CertificateFromPEM(creds.Certificate)
	if err != nil {
		return nil, nil, fmt.Errorf("certificate: %w", err)
	}
	key, err := identity.PrivateKeyFromPEM(creds.PrivateKey)
	if err != nil {
		return nil, nil, fmt.Errorf("private key: %w", err)
	}
	id, err := identity.NewX509Identity(creds.Info.MSPID, cert)
	if err != nil {
		return nil, nil, fmt.Errorf("identity: %w", err)
	}
	sign, err := identity.NewPrivateKeySign(key)
	if err != nil {
		return nil, nil, fmt.Errorf("private key: %w", err)
	}
	return id, sign, nil
}

// peerTLS builds the TLS configuration for a peer from its profile entry.
func peerTLS(p PeerEndpoint) (*tls.Config, error) {
	pemData, err := os.ReadFile(p.TLSCACert)
	if err != nil {
		return nil, fmt.Errorf("tls ca: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemData) {
		return nil, fmt.Errorf("tls ca %s: no certificate found", p.TLSCACert)
	}
	serverName := p.HostOverride
	if serverName == "" {
		host, _, err := net.SplitHostPort(p.Endpoint)
		if err != nil {
			return nil, fmt.Errorf("endpoint %q: %w", p.Endpoint, err)
		}
		serverName = host
	}
	return &tls.Config{RootCAs: pool, ServerName: serverName, MinVersion: tls.VersionTLS12}, nil
}

// dialPeer dials one peer and makes sure it answers: a TLS handshake (which gives a clear error), then
// the gRPC connection reaching the Ready state, both within the connect timeout.
func dialPeer(ctx context.Context, p PeerEndpoint, cfg *config) (*grpc.ClientConn, error) {
	tlsCfg, err := peerTLS(p)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.connectTimeout)
	defer cancel()

	probe := tls.Dialer{Config: tlsCfg.Clone()}
	raw, err := probe.DialContext(ctx, "tcp", p.Endpoint)
	if err != nil {
		return nil, err
	}
	_ = raw.Close()

	conn, err := grpc.NewClient(p.Endpoint, grpc.WithTransportCredentials(credentials.NewTLS(tlsCfg)))
	if err != nil {
		return nil, err
	}
	conn.Connect()
	for {
		st := conn.GetState()
		if st == connectivity.Ready {
			return conn, nil
		}
		if st == connectivity.Shutdown {
			_ = conn.Close()
			return nil, errors.New("connection shut down")
		}
		if !conn.WaitForStateChange(ctx, st) {
			_ = conn.Close()
			return nil, fmt.Errorf("not ready within %s (last state %s)", cfg.connectTimeout, st)
		}
	}
}

// Contract returns the named chaincode on the client's channel.
func (c *Client) Contract(chaincode string) *Contract {
	return &Contract{c: c, name: chaincode}
}

// Identity describes the connected identity.
func (c *Client) Identity() IdentityInfo { return c.info }

// Network returns the network the client was connected through, or nil when it was connected from a
// bare profile.
func (c *Client) Network() *Network { return c.network }

// Profile returns the connection profile, or nil for a test client.
func (c *Client) Profile() *Profile { return c.profile }

// Peer returns the gateway peer the client uses now: the first reachable peer of the profile at
// Connect, and after a failover the peer the client moved to.
func (c *Client) Peer() PeerEndpoint {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cur.peer
}

// Channel returns the channel name.
func (c *Client) Channel() string { return c.channel }

// Close releases the connection and ends the client's event streams (their Next returns
// ErrStreamClosed). Calls after Close fail.
func (c *Client) Close() error {
	c.closeOnce.Do(func() {
		c.endLife()
		c.mu.Lock()
		c.closed = true
		cur, draining := c.cur, c.draining
		c.draining = nil
		c.mu.Unlock()
		c.closeErr = cur.close()
		for _, s := range draining {
			_ = s.close()
		}
		if c.events != nil {
			if err := c.events.Close(); err != nil && c.closeErr == nil {
				c.closeErr = err
			}
		}
	})
	return c.closeErr
}
