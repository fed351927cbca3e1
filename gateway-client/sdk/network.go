package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// NetworkFile is the name of the network description in a profiles folder.
const NetworkFile = "network.json"

// IdentityInfo describes one identity: its wallet name, org, MSP id, and the role and subject
// attributes of its certificate.
type IdentityInfo struct {
	Name    string `json:"name"`
	Org     string `json:"org,omitempty"`
	MSPID   string `json:"mspId"`
	Role    string `json:"role,omitempty"`
	Subject string `json:"subject,omitempty"`
}

// OrgInfo describes one peer org of the network.
type OrgInfo struct {
	// Name is the org's short name (hospital).
	Name string `json:"name"`
	// MSPID is its MSP id.
	MSPID string `json:"mspId"`
	// Profile is the file name of its connection profile, relative to the profiles folder.
	Profile string `json:"profile"`
	// Roles are the roles its members hold.
	Roles []string `json:"roles"`
}

// NetworkDescription is the content of network.json, the one schema of that file: every field
// `network.sh up` writes (with `hlctl network profiles`, through [WriteNetwork]) is declared here.
// Paths are relative to the profiles folder. Applications read it through [LoadNetwork].
type NetworkDescription struct {
	// Layout is the layout the network was started with (default). Optional.
	Layout string `json:"layout,omitempty"`
	// Channel is the application channel.
	Channel string `json:"channel"`
	// Wallet is the wallet folder. Optional: ../wallet when absent.
	Wallet string `json:"wallet,omitempty"`
	// Orderer is an orderer to send channel and lifecycle transactions to (network.sh deploy).
	// Optional: applications never need it, their gateway peers reach the orderers.
	Orderer *OrdererEndpoint `json:"orderer,omitempty"`
	// Orgs are the peer orgs, each with its connection profile.
	Orgs []OrgInfo `json:"orgs"`
	// Identities are the demo identities, each in the wallet under its name.
	Identities []IdentityInfo `json:"identities"`
	// Chaincodes are the chaincodes deployed on the channel.
	Chaincodes []string `json:"chaincodes"`
}

// OrdererEndpoint is one orderer.
type OrdererEndpoint struct {
	// Endpoint is host:port to dial.
	Endpoint string `json:"endpoint"`
	// TLSCACert is the PEM file of the CA that signed the orderer's TLS certificate.
	TLSCACert string `json:"tlsCACert"`
	// HostOverride is the name to verify in the orderer's TLS certificate, when it is not the host
	// dialed. Optional.
	HostOverride string `json:"hostOverride,omitempty"`
}

// Network is a running healthledger network as described by network.json in a profiles folder: its
// channel, orgs, demo identities and chaincodes. It is read-only and safe for concurrent use.
type Network struct {
	dir  string
	file NetworkDescription
}

// LoadNetwork reads dir/network.json.
func LoadNetwork(dir string) (*Network, error) {
	if dir == "" {
		return nil, errors.New("network: empty profiles folder name")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("network %s: %w", dir, err)
	}
	data, err := os.ReadFile(filepath.Join(abs, NetworkFile))
	if err != nil {
		return nil, fmt.Errorf("read network: %w", err)
	}
	return ParseNetwork(data, abs)
}

// ParseNetwork checks a network description as found in network.json; dir is the profiles folder its
// relative paths are resolved against.
func ParseNetwork(data []byte, dir string) (*Network, error) {
	var f NetworkDescription
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("network %s: %w", dir, err)
	}
	if err := f.Check(); err != nil {
		return nil, fmt.Errorf("network %s: %w", dir, err)
	}
	for i := range f.Orgs {
		if f.Orgs[i].Roles == nil {
			f.Orgs[i].Roles = []string{}
		}
	}
	if f.Identities == nil {
		f.Identities = []IdentityInfo{}
	}
	if f.Chaincodes == nil {
		f.Chaincodes = []string{}
	}
	if f.Wallet == "" {
		f.Wallet = "../wallet"
	}
	return &Network{dir: dir, file: f}, nil
}

// Check makes the checks of [ParseNetwork] and [WriteNetwork]: a channel, at least one org, each with
// a name, an MSP id and a profile, identities of listed orgs, and, when present, an orderer with an
// endpoint and a TLS CA. It returns every problem found.
func (f *NetworkDescription) Check() error {
	var errs []error
	if f.Channel == "" {
		errs = append(errs, errors.New("channel is missing"))
	}
	if len(f.Orgs) == 0 {
		errs = append(errs, errors.New("no orgs listed"))
	}
	orgs := map[string]bool{}
	for i, o := range f.Orgs {
		if o.Name == "" || o.MSPID == "" || o.Profile == "" {
			errs = append(errs, fmt.Errorf("orgs[%d]: name, mspId and profile are required", i))
		}
		orgs[o.Name] = true
	}
	for i, id := range f.Identities {
		if id.Name == "" || !orgs[id.Org] {
			errs = append(errs, fmt.Errorf("identities[%d] (%q): needs a name and a listed org", i, id.Name))
		}
	}
	if o := f.Orderer; o != nil && (o.Endpoint == "" || o.TLSCACert == "") {
		errs = append(errs, errors.New("orderer: endpoint and tlsCACert are required"))
	}
	return errors.Join(errs...)
}

// WriteNetwork writes d to dir/network.json as `network.sh up` does (JSON indented by two spaces, in
// the order of [NetworkDescription]; absent lists as []), after the checks [LoadNetwork] makes. The
// file is replaced atomically; dir must exist.
func WriteNetwork(dir string, d *NetworkDescription) error {
	path := filepath.Join(dir, NetworkFile)
	if err := d.Check(); err != nil {
		return fmt.Errorf("network %s: %w", dir, err)
	}
	out := *d
	out.Orgs = slices.Clone(d.Orgs)
	for i := range out.Orgs {
		if out.Orgs[i].Roles == nil {
			out.Orgs[i].Roles = []string{}
		}
	}
	if out.Identities == nil {
		out.Identities = []IdentityInfo{}
	}
	if out.Chaincodes == nil {
		out.Chaincodes = []string{}
	}
	return writeJSONFile(path, &out)
}

// Dir returns the profiles folder.
func (n *Network) Dir() string { return n.dir }

// Layout returns the layout name (default, or another org mapping).
func (n *Network) Layout() string { return n.file.Layout }

// Channel returns the application channel.
func (n *Network) Channel() string { return n.file.Channel }

// WalletDir returns the wallet folder.
func (n *Network) WalletDir() string { return resolve(n.dir, n.file.Wallet) }

// Chaincodes returns the chaincodes deployed on the channel.
func (n *Network) Chaincodes() []string { return slices.Clone(n.file.Chaincodes) }

// Orgs returns the peer orgs.
func (n *Network) Orgs() []OrgInfo {
	out := make([]OrgInfo, len(n.file.Orgs))
	for i, o := range n.file.Orgs {
		o.Roles = slices.Clone(o.Roles)
		out[i] = o
	}
	return out
}

// Org returns the org with the given short name or MSP id.
func (n *Network) Org(nameOrMSPID string) (OrgInfo, error) {
	for _, o := range n.file.Orgs {
		if o.Name == nameOrMSPID || o.MSPID == nameOrMSPID {
			o.Roles = slices.Clone(o.Roles)
			return o, nil
		}
	}
	return OrgInfo{}, fmt.Errorf("org %q: %w", nameOrMSPID, ErrNotFound)
}

// ProfilePath returns the connection profile file of an org (short name or MSP id).
func (n *Network) ProfilePath(org string) (string, error) {
	o, err := n.Org(org)
	if err != nil {
		return "", err
	}
	return resolve(n.dir, o.Profile), nil
}

// Profile loads the connection profile of an org (short name or MSP id).
func (n *Network) Profile(org string) (*Profile, error) {
	path, err := n.ProfilePath(org)
	if err != nil {
		return nil, err
	}
	return LoadProfile(path)
}

// MSPForRole returns the MSP id of the first org whose members hold role, or "" when none does.
func (n *Network) MSPForRole(role string) string {
	for _, o := range n.file.Orgs {
		if slices.Contains(o.Roles, role) {
			return o.MSPID
		}
	}
	return ""
}

// MSPsForRole returns the MSP ids of every org whose members hold role, in network order.
func (n *Network) MSPsForRole(role string) []string {
	out := []string{}
	for _, o := range n.file.Orgs {
		if slices.Contains(o.Roles, role) && !slices.Contains(out, o.MSPID) {
			out = append(out, o.MSPID)
		}
	}
	return out
}

// Identities returns the identities listed in network.json holding role; "" returns them all.
func (n *Network) Identities(role string) []IdentityInfo {
	out := []IdentityInfo{}
	for _, id := range n.file.Identities {
		if role == "" || id.Role == role {
			out = append(out, id)
		}
	}
	return out
}

// Identity returns the identity with the given name: one listed in network.json, or else one found in
// the wallet (for example just enrolled). Its error matches ErrNotFound when there is none.
func (n *Network) Identity(name string) (IdentityInfo, error) {
	for _, id := range n.file.Identities {
		if id.Name == name {
			return id, nil
		}
	}
	w, err := OpenWallet(n.WalletDir())
	if err != nil {
		return IdentityInfo{}, fmt.Errorf("identity %q: %w", name, ErrNotFound)
	}
	creds, err := w.Get(name)
	if err != nil {
		return IdentityInfo{}, err
	}
	return creds.Info, nil
}

// Connect connects the named identity to a gateway peer of its org. Options may override the
// timeouts, the retry policy, or the identity source.
func (n *Network) Connect(ctx context.Context, identityName string, opts ...Option) (*Client, error) {
	id, err := n.Identity(identityName)
	if err != nil {
		return nil, err
	}
	org := id.Org
	if org == "" {
		org = id.MSPID
	}
	path, err := n.ProfilePath(org)
	if err != nil {
		return nil, fmt.Errorf("identity %q: %w", identityName, err)
	}
	all := append([]Option{WithIdentity(identityName), WithWallet(n.WalletDir()), WithNetwork(n)}, opts...)
	return Connect(ctx, path, all...)
}

// WithFallbackOrgs lets a client fail over to the gateway peers of other orgs (short names or MSP
// ids, whose profiles the network lists) when every peer of its own profile is gone. They are tried
// after the profile's own peers, in the order given; the client keeps its identity, and the other
// org's gateway endorses for it as for any client. It needs the network ([Network.Connect] sets it,
// or [WithNetwork]).
//
// Private data never goes through another org's gateway: a call that carries transient data
// ([WithTransient]) or names the caller's own org among its endorsing orgs ([WithEndorsingOrgs]) is
// sent only through a peer of the caller's org. When the client is on another org's peer, such a call
// first tries to bring the client back to its own org's peers, and fails with [ErrUnavailable] when
// none answers. What follows an endorsement (the hand-over of the signed transaction and the commit
// status) carries no transient data and may go through any peer.
func WithFallbackOrgs(orgs ...string) Option {
	return func(c *config) error {
		for _, o := range orgs {
			if o == "" {
				return errors.New("fallback orgs: empty org name")
			}
			c.fallbackOrgs = append(c.fallbackOrgs, o)
		}
		return nil
	}
}

// peerList returns the peers a client of prof may use, in the order it tries them: the profile's
// peers (marked with the profile's MSP id unless they name another), then the peers of the fallback
// orgs (marked with theirs). A peer listed twice is kept once, at its first place.
func (c *config) peerList(prof *Profile) ([]PeerEndpoint, error) {
	var out []PeerEndpoint
	seen := map[string]bool{}
	add := func(p PeerEndpoint, msp string) {
		if p.MSPID == "" {
			p.MSPID = msp
		}
		if !seen[p.Endpoint] {
			seen[p.Endpoint] = true
			out = append(out, p)
		}
	}
	for _, p := range prof.Peers {
		add(p, prof.MSPID)
	}
	if len(c.fallbackOrgs) > 0 && c.network == nil {
		return nil, errors.New("fallback orgs need the network: use Network.Connect or WithNetwork")
	}
	for _, name := range c.fallbackOrgs {
		o, err := c.network.Org(name)
		if err != nil {
			return nil, fmt.Errorf("fallback org: %w", err)
		}
		p, err := c.network.Profile(o.Name)
		if err != nil {
			return nil, fmt.Errorf("fallback org %s: %w", o.Name, err)
		}
		for _, peer := range p.Peers {
			add(peer, p.MSPID)
		}
	}
	return out, nil
}

// WithNetwork attaches a network description to the client, for [Client.Network].
func WithNetwork(n *Network) Option {
	return func(c *config) error {
		c.network = n
		return nil
	}
}
