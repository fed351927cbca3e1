//go:build faults

package faults

import (
	"context"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
)

// gateway is one org's raw Fabric Gateway connection, as its admin, to the baseline chaincode. It
// reads only the profiles that network.sh writes, so it does not depend on the project's SDK: the
// WAL-replay test checks the orderers, not the SDK.
type gateway struct {
	org      string
	conn     *grpc.ClientConn
	gw       *client.Gateway
	contract *client.Contract
}

func (g *gateway) Close() {
	g.gw.Close()
	g.conn.Close()
}

// connect opens the gateway of the first org in network.json.
func (c *cluster) connect() (*gateway, error) {
	dir := filepath.Join(c.netdir, "profiles")
	var nj struct {
		Channel string `json:"channel"`
		Orgs    []struct {
			Name    string `json:"name"`
			Profile string `json:"profile"`
		} `json:"orgs"`
	}
	if err := readJSON(filepath.Join(dir, "network.json"), &nj); err != nil {
		return nil, err
	}
	if len(nj.Orgs) == 0 {
		return nil, fmt.Errorf("%s lists no org", filepath.Join(dir, "network.json"))
	}
	var p struct {
		MSPID string `json:"mspId"`
		Peers []struct {
			Endpoint     string `json:"endpoint"`
			TLSCACert    string `json:"tlsCACert"`
			HostOverride string `json:"hostOverride"`
		} `json:"peers"`
		AdminMSP string `json:"adminMsp"`
	}
	org := nj.Orgs[0]
	if err := readJSON(filepath.Join(dir, org.Profile), &p); err != nil {
		return nil, err
	}
	if len(p.Peers) == 0 {
		return nil, fmt.Errorf("profile %s lists no peer", org.Profile)
	}
	peer := p.Peers[0]
	if !strings.HasPrefix(peer.Endpoint, "127.0.0.1:") {
		return nil, fmt.Errorf("peer endpoint %s is not on 127.0.0.1", peer.Endpoint)
	}
	caPEM, err := os.ReadFile(filepath.Join(dir, peer.TLSCACert))
	if err != nil {
		return nil, fmt.Errorf("reading the TLS CA of %s: %w", org.Name, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("no certificate in the TLS CA file of %s", org.Name)
	}
	id, sign, err := loadMSP(filepath.Join(dir, p.AdminMSP), p.MSPID)
	if err != nil {
		return nil, err
	}
	conn, err := grpc.NewClient(peer.Endpoint, grpc.WithTransportCredentials(credentials.NewClientTLSFromCert(pool, peer.HostOverride)))
	if err != nil {
		return nil, fmt.Errorf("dialing %s: %w", peer.Endpoint, err)
	}
	gw, err := client.Connect(id, client.WithSign(sign), client.WithClientConnection(conn))
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("connecting to %s's gateway: %w", org.Name, err)
	}
	return &gateway{org: org.Name, conn: conn, gw: gw, contract: gw.GetNetwork(nj.Channel).GetContract("baseline")}, nil
}

// submit submits a baseline transaction and waits for it to commit.
func (g *gateway) submit(ctx context.Context, fn string, args ...string) error {
	if _, err := g.contract.SubmitWithContext(ctx, fn, client.WithArguments(args...)); err != nil {
		return fmt.Errorf("%s through %s's gateway: %w", fn, g.org, err)
	}
	return nil
}

func loadMSP(dir, mspID string) (*identity.X509Identity, identity.Sign, error) {
	certPEM, err := firstFile(filepath.Join(dir, "signcerts"))
	if err != nil {
		return nil, nil, err
	}
	cert, err := identity.CertificateFromPEM(certPEM)
	if err != nil {
		return nil, nil, fmt.Errorf("parsing the certificate in %s: %w", dir, err)
	}
	id, err := identity.NewX509Identity(mspID, cert)
	if err != nil {
		return nil, nil, fmt.Errorf("identity from %s: %w", dir, err)
	}
	keyPEM, err := firstFile(filepath.Join(dir, "keystore"))
	if err != nil {
		return nil, nil, err
	}
	key, err := identity.PrivateKeyFromPEM(keyPEM)
	if err != nil {
		return nil, nil, fmt.Errorf("parsing the key in %s: %w", dir, err)
	}
	sign, err := identity.NewPrivateKeySign(key)
	if err != nil {
		return nil, nil, fmt.Errorf("signer from %s: %w", dir, err)
	}
	return id, sign, nil
}
