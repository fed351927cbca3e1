package sdk

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// Profile is a connection profile: one org's gateway peers, its CA and its wallet, as `network.sh up`
// writes them into <org>.json. Paths in the file are relative to the file's folder; [LoadProfile]
// makes them absolute.
type Profile struct {
	// Name is the org's short name (hospital).
	Name string `json:"name"`
	// MSPID is the org's MSP id (HospitalMSP).
	MSPID string `json:"mspId"`
	// Channel is the application channel.
	Channel string `json:"channel"`
	// Peers are the gateway peers, tried in order.
	Peers []PeerEndpoint `json:"peers"`
	// CA is the org's Fabric CA, when it has one.
	CA *CAEndpoint `json:"ca,omitempty"`
	// Wallet is the folder of the org's identities.
	Wallet string `json:"wallet,omitempty"`

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
}

// CAEndpoint is one Fabric CA.
type CAEndpoint struct {
	// Name is the CA name within the server (ca-hospital); empty selects the default CA.
	Name string `json:"name,omitempty"`
	// URL is the https address of the CA server.
	URL string `json:"url"`
	// TLSCACert is the PEM file of the CA that signed the CA server's TLS certificate.
	TLSCACert string `json:"tlsCACert"`
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
	if err := p.check(); err != nil {
		return nil, fmt.Errorf("profile %s: %w", path, err)
	}
	for i := range p.Peers {
		p.Peers[i].TLSCACert = resolve(dir, p.Peers[i].TLSCACert)
	}
	if p.CA != nil {
		p.CA.TLSCACert = resolve(dir, p.CA.TLSCACert)
	}
	p.Wallet = resolve(dir, p.Wallet)
	return &p, nil
}

// Path returns the file the profile was read from.
func (p *Profile) Path() string { return p.path }

func (p *Profile) check() error {
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
	return errors.Join(errs...)
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
