package sdk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// Profile is a connection profile: one org's gateway peers, its CA and its wallet, as `network.sh up`
// writes them into <org>.json (with `hlctl network profiles`, through [WriteProfile]). It is the one
// schema of that file: every field written is declared here. Paths in the file are relative to the
// file's folder; [LoadProfile] makes them absolute.
//
// Applications need only the peers, the MSP id, the channel and an identity; the optional fields
// serve operators' tools: AdminMSP and ChaincodeServers tell `network.sh deploy` how to install
// chaincode on the org's peer and where its chaincode servers listen, CA.Registrar tells hlbench
// which wallet entry may register users.
type Profile struct {
	// Name is the org's short name (hospital).
	Name string `json:"name"`
	// MSPID is the org's MSP id (HospitalMSP).
	MSPID string `json:"mspId"`
	// Channel is the application channel.
	Channel string `json:"channel"`
	// Peers are the gateway peers, tried in order. A peer of another org (its MSPID set to that org's)
	// is a fallback: see [WithFallbackOrgs] for what a client sends through it.
	Peers []PeerEndpoint `json:"peers"`
	// CA is the org's Fabric CA, when it has one.
	CA *CAEndpoint `json:"ca,omitempty"`
	// AdminMSP is the MSP folder of an admin of the org, when the profile is for an operator: the
	// identity that installs and approves chaincode (network.sh deploy) and that hlprobe acts as.
	// Optional.
	AdminMSP string `json:"adminMsp,omitempty"`
	// Wallet is the folder of the org's identities.
	Wallet string `json:"wallet,omitempty"`
	// EventsIdentity is the wallet entry of the org's events service identity: a client certificate
	// with the OU "events", which the channel's ACLs let read blocks and chaincode events while they
	// refuse ordinary client certificates (see docs/operators.md). [WithEventIdentity] and
	// [WithProfileEventIdentity] open a client's event streams as it. Optional.
	EventsIdentity string `json:"eventsIdentity,omitempty"`
	// ChaincodeServers is where the org's chaincode servers (chaincode as a service) listen, when
	// network.sh runs them. Optional.
	ChaincodeServers *ChaincodeServers `json:"chaincodeServers,omitempty"`

	path string
}

// PeerEndpoint is one gateway peer.
type PeerEndpoint struct {
	// Name is the peer's host name (peer0.hospital.healthledger.test).
	Name string `json:"name"`
	// Endpoint is host:port to dial.
	Endpoint string `json:"endpoint"`
	// TLSCACert is the PEM file of the CA that signed the peer's TLS certificate.
	TLSCACert string `json:"tlsCACert"`
	// HostOverride is the name to verify in the peer's TLS certificate, when it is not the host dialed.
	HostOverride string `json:"hostOverride,omitempty"`
	// MSPID is the MSP id of the peer's org; empty means the profile's org.
	MSPID string `json:"mspId,omitempty"`
}

// CAEndpoint is one Fabric CA.
type CAEndpoint struct {
	// Name is the CA name within the server (ca-hospital); empty selects the default CA.
	Name string `json:"name,omitempty"`
	// URL is the https address of the CA server.
	URL string `json:"url"`
	// TLSCACert is the PEM file of the CA that signed the CA server's TLS certificate.
	TLSCACert string `json:"tlsCACert"`
	// Registrar is the wallet name of the identity that registers users with this CA
	// (registrar.<org> on a network.sh network). Optional.
	Registrar string `json:"registrar,omitempty"`
}

// ChaincodeServers is where an org's chaincode servers listen: the server of a chaincode whose port
// index is i (CC_PORT_INDEX in network/config/<chaincode>/chaincode.conf) listens on
// Host:PortBase+i.
type ChaincodeServers struct {
	// Host is the address the org's peer dials the servers at (127.0.0.1).
	Host string `json:"host"`
	// PortBase is the port of the chaincode with index 0.
	PortBase int `json:"portBase"`
}

// LoadProfile reads and checks a connection profile, resolving its relative paths against the file's
// folder.
func LoadProfile(path string) (*Profile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read profile: %w", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("profile %s: %w", path, err)
	}
	return ParseProfile(data, abs)
}

// ParseProfile checks a connection profile read from path (used to resolve relative paths; it is not
// read).
func ParseProfile(data []byte, path string) (*Profile, error) {
	var p Profile
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("profile %s: %w", path, err)
	}
	p.path = path
	dir := filepath.Dir(path)
	if err := p.Check(); err != nil {
		return nil, fmt.Errorf("profile %s: %w", path, err)
	}
	for i := range p.Peers {
		p.Peers[i].TLSCACert = resolve(dir, p.Peers[i].TLSCACert)
	}
	if p.CA != nil {
		p.CA.TLSCACert = resolve(dir, p.CA.TLSCACert)
	}
	p.AdminMSP = resolve(dir, p.AdminMSP)
	p.Wallet = resolve(dir, p.Wallet)
	return &p, nil
}

// Path returns the file the profile was read from.
func (p *Profile) Path() string { return p.path }

// Check makes the checks of [ParseProfile] and [WriteProfile]: the MSP id, the channel, at least one
// peer with an endpoint and a TLS CA, and, when present, an https CA and chaincode servers with a
// host and a port. It returns every problem found.
func (p *Profile) Check() error {
	var errs []error
	if p.MSPID == "" {
		errs = append(errs, errors.New("mspId is missing"))
	}
	if p.Channel == "" {
		errs = append(errs, errors.New("channel is missing"))
	}
	if len(p.Peers) == 0 {
		errs = append(errs, errors.New("no peers listed"))
	}
	for i, peer := range p.Peers {
		if peer.Endpoint == "" {
			errs = append(errs, fmt.Errorf("peers[%d]: endpoint is missing", i))
		}
		if peer.TLSCACert == "" {
			errs = append(errs, fmt.Errorf("peers[%d]: tlsCACert is missing", i))
		}
	}
	if p.CA != nil {
		u, err := url.Parse(p.CA.URL)
		switch {
		case p.CA.URL == "":
			errs = append(errs, errors.New("ca: url is missing"))
		case err != nil:
			errs = append(errs, fmt.Errorf("ca: %w", err))
		case u.Scheme != "https":
			errs = append(errs, fmt.Errorf("ca: url %q is not https", p.CA.URL))
		}
		if p.CA.TLSCACert == "" {
			errs = append(errs, errors.New("ca: tlsCACert is missing"))
		}
	}
	if p.EventsIdentity != "" {
		if err := checkName(p.EventsIdentity); err != nil {
			errs = append(errs, fmt.Errorf("eventsIdentity: %w", err))
		}
	}
	if s := p.ChaincodeServers; s != nil && (s.Host == "" || s.PortBase <= 0 || s.PortBase > 65535) {
		errs = append(errs, fmt.Errorf("chaincodeServers: want a host and a portBase in 1-65535, not %q and %d", s.Host, s.PortBase))
	}
	return errors.Join(errs...)
}

// WriteProfile writes p to path as `network.sh up` does (JSON indented by two spaces, one field per
// line, in the order of [Profile]), after the checks [LoadProfile] makes. Paths are written as p holds
// them: relative ones are read back relative to path's folder. The file is replaced atomically.
func WriteProfile(path string, p *Profile) error {
	if err := p.Check(); err != nil {
		return fmt.Errorf("profile %s: %w", path, err)
	}
	return writeJSONFile(path, p)
}

// resolve makes a relative path absolute against dir; "" stays "".
func resolve(dir, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}

// checkName accepts names safe to use as one path element (wallet entries, orgs).
func checkName(name string) error {
	switch {
	case name == "":
		return errors.New("empty name")
	case name == "." || name == "..", strings.ContainsAny(name, `/\`), strings.ContainsRune(name, 0):
		return fmt.Errorf("name %q is not a plain name", name)
	case len(name) > 128:
		return fmt.Errorf("name %q is longer than 128 bytes", name)
	}
	return nil
}

// writeJSONFile writes v as JSON indented by two spaces, with a final newline and without HTML
// escapes (what jq writes), replacing path atomically.
func writeJSONFile(path string, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	if _, err := tmp.Write(buf.Bytes()); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
