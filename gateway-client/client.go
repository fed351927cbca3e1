package gatewayclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-gateway/pkg/hash"
	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"google.golang.org/grpc"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials"
)

// Client is one identity connected to one gateway peer. It is safe for concurrent use; Close it when
// done.
type Client struct {
	b       backend
	cfg     *config
	info    IdentityInfo
	network *Network
	profile *Profile
	peer    PeerEndpoint
	channel string

	// life ends when the client is closed; event streams end with it.
	life      context.Context
	endLife   context.CancelFunc
	closeOnce sync.Once
	closeErr  error
}

// newClient assembles a client around a backend.
func newClient(b backend, cfg *config, info IdentityInfo, prof *Profile, peer PeerEndpoint, channel string) *Client {
	life, end := context.WithCancel(context.Background())
	return &Client{b: b, cfg: cfg, info: info, network: cfg.network, profile: prof, peer: peer, channel: channel, life: life, endLife: end}
}

// Connect reads the connection profile at profilePath, loads the identity chosen by the options
// ([WithIdentity], [WithMSPDir] or [WithCredentials]) and connects to the first of the profile's peers
// that answers within the connect timeout. When every peer fails, the error lists each failure.
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
	creds, err := cfg.credentials(prof)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	id, sign, err := signer(creds)
	if err != nil {
		return nil, fmt.Errorf("connect as %q: %w", creds.Info.Name, err)
	}
	conn, peerEP, err := dialFirst(ctx, prof.Peers, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect as %q: %w", creds.Info.Name, err)
	}
	gw, err := client.Connect(id,
		client.WithSign(sign),
		client.WithHash(hash.SHA256),
		client.WithClientConnection(conn),
		client.WithEvaluateTimeout(cfg.timeouts.Evaluate),
		client.WithEndorseTimeout(cfg.timeouts.Endorse),
		client.WithSubmitTimeout(cfg.timeouts.Submit),
		client.WithCommitStatusTimeout(cfg.timeouts.CommitStatus),
	)
	if err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("connect as %q: %w", creds.Info.Name, err)
	}
	net := gw.GetNetwork(prof.Channel)
	b := &gatewayBackend{
		gw:      gw,
		network: net,
		streams: streamOpener{conn: conn, network: net, sign: sign, channel: prof.Channel, id: id},
		closeFn: conn.Close,
	}
	return newClient(b, cfg, creds.Info, prof, peerEP, prof.Channel), nil
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

// dialFirst connects to the first peer that answers.
func dialFirst(ctx context.Context, peers []PeerEndpoint, cfg *config) (*grpc.ClientConn, PeerEndpoint, error) {
	var errs []error
	for _, p := range peers {
		conn, err := dialPeer(ctx, p, cfg)
		if err == nil {
			return conn, p, nil
		}
		errs = append(errs, fmt.Errorf("peer %s (%s): %w", p.Name, p.Endpoint, err))
		if ctx.Err() != nil {
			break
		}
	}
	return nil, PeerEndpoint{}, fmt.Errorf("no peer reachable: %w", errors.Join(errs...))
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

// Peer returns the gateway peer the client is connected to.
func (c *Client) Peer() PeerEndpoint { return c.peer }

// Channel returns the channel name.
func (c *Client) Channel() string { return c.channel }

// Close releases the connection and ends the client's event streams (their Next returns
// ErrStreamClosed). Calls after Close fail.
func (c *Client) Close() error {
	c.closeOnce.Do(func() {
		c.endLife()
		c.closeErr = c.b.close()
	})
	return c.closeErr
}
