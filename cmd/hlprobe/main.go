// Command hlprobe is network.sh's gossip readiness check. Through every org's gateway it submits a
// baseline write that every org endorses, then reads it back through every other org's gateway. It
// succeeds only once every peer sees every other org's peer, which is what applications need.
//
// Usage: hlprobe -profiles DIR [-timeout 20s]
package main

import (
	"context"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/healthledger/healthledger/gateway-client/sdk"
	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
)

// conn is one org's gateway, connected as the org's admin.
type conn struct {
	org  string
	grpc *grpc.ClientConn
	gw   *client.Gateway
	ct   *client.Contract
}

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// run is hlprobe with its arguments and output streams: it returns the exit code (0 ready, 1 not
// ready or failed, 2 usage).
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("hlprobe", flag.ContinueOnError)
	flags.SetOutput(stderr)
	dir := flags.String("profiles", "", "the profiles folder that network.sh writes")
	timeout := flags.Duration("timeout", 20*time.Second, "how long one probe round may take")
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *dir == "" {
		fmt.Fprintln(stderr, "hlprobe: -profiles is required")
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	if err := probe(ctx, *dir); err != nil {
		fmt.Fprintf(stderr, "hlprobe: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, "hlprobe: every org's gateway committed a write endorsed by every org and read the others'")
	return 0
}

// probe writes through every org's gateway and reads each write back through every org's gateway.
func probe(ctx context.Context, dir string) error {
	net, err := sdk.LoadNetwork(dir)
	if err != nil {
		return err
	}
	var msps []string
	var conns []*conn
	defer func() {
		for _, c := range conns {
			c.gw.Close()
			c.grpc.Close()
		}
	}()
	for _, o := range net.Orgs() {
		c, err := connect(net, o)
		if err != nil {
			return err
		}
		conns = append(conns, c)
		msps = append(msps, o.MSPID)
	}
	stamp := time.Now().UTC().Format(time.RFC3339Nano)
	for _, c := range conns {
		key := "probe-" + c.org
		if _, err := c.ct.SubmitWithContext(ctx, "Write", client.WithArguments(key, stamp), client.WithEndorsingOrganizations(msps...)); err != nil {
			return fmt.Errorf("submit through %s's gateway: %w", c.org, err)
		}
		for _, other := range conns {
			got, err := other.ct.EvaluateWithContext(ctx, "Read", client.WithArguments(key))
			if err != nil {
				return fmt.Errorf("read %s through %s's gateway: %w", key, other.org, err)
			}
			if string(got) != stamp {
				return fmt.Errorf("read %s through %s's gateway: got %q, want %q", key, other.org, got, stamp)
			}
		}
	}
	return nil
}

// connect opens a gateway to the org's first peer as the org's admin (the profile's adminMsp).
func connect(net *sdk.Network, o sdk.OrgInfo) (*conn, error) {
	p, err := net.Profile(o.Name)
	if err != nil {
		return nil, err
	}
	if p.AdminMSP == "" {
		return nil, fmt.Errorf("the profile of %s names no admin MSP folder (adminMsp)", o.Name)
	}
	peer := p.Peers[0]
	caPEM, err := os.ReadFile(peer.TLSCACert)
	if err != nil {
		return nil, fmt.Errorf("reading the TLS CA of %s: %w", o.Name, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("no certificate in the TLS CA file of %s", o.Name)
	}
	id, sign, err := loadMSP(p.AdminMSP, p.MSPID)
	if err != nil {
		return nil, err
	}
	gc, err := grpc.NewClient(peer.Endpoint, grpc.WithTransportCredentials(credentials.NewClientTLSFromCert(pool, peer.HostOverride)))
	if err != nil {
		return nil, fmt.Errorf("dialing %s: %w", peer.Endpoint, err)
	}
	gw, err := client.Connect(id, client.WithSign(sign), client.WithClientConnection(gc))
	if err != nil {
		gc.Close()
		return nil, fmt.Errorf("connecting to %s's gateway: %w", o.Name, err)
	}
	return &conn{org: o.Name, grpc: gc, gw: gw, ct: gw.GetNetwork(net.Channel()).GetContract("baseline")}, nil
}

// loadMSP reads the identity in an MSP folder and makes its signer.
func loadMSP(dir, mspID string) (*identity.X509Identity, identity.Sign, error) {
	creds, err := sdk.LoadMSPDir(dir, mspID)
	if err != nil {
		return nil, nil, err
	}
	cert, err := identity.CertificateFromPEM(creds.Certificate)
	if err != nil {
		return nil, nil, fmt.Errorf("parsing the certificate in %s: %w", dir, err)
	}
	id, err := identity.NewX509Identity(mspID, cert)
	if err != nil {
		return nil, nil, fmt.Errorf("identity from %s: %w", dir, err)
	}
	key, err := identity.PrivateKeyFromPEM(creds.PrivateKey)
	if err != nil {
		return nil, nil, fmt.Errorf("parsing the key in %s: %w", dir, err)
	}
	sign, err := identity.NewPrivateKeySign(key)
	if err != nil {
		return nil, nil, fmt.Errorf("signer from %s: %w", dir, err)
	}
	return id, sign, nil
}
