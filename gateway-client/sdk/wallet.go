package sdk

import (
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hyperledger/fabric-gateway/pkg/identity"
)

// Credentials are one identity's certificate and private key, with what is known about it.
type Credentials struct {
	// Info names the identity; Role and Subject come from the certificate's attributes.
	Info IdentityInfo `json:"info"`
	// Certificate is the PEM enrollment certificate.
	Certificate []byte `json:"-"`
	// PrivateKey is the PEM (PKCS#8) private key.
	PrivateKey []byte `json:"-"`
	// CACerts is the PEM chain of the issuing CA, when known.
	CACerts []byte `json:"-"`
}

// Check verifies that the certificate and the key parse and belong together.
func (c *Credentials) Check() error {
	cert, err := identity.CertificateFromPEM(c.Certificate)
	if err != nil {
		return fmt.Errorf("certificate: %w", err)
	}
	key, err := identity.PrivateKeyFromPEM(c.PrivateKey)
	if err != nil {
		return fmt.Errorf("private key: %w", err)
	}
	pub, ok := key.(crypto.Signer)
	if !ok {
		return errors.New("private key: unsupported type")
	}
	eq, ok := pub.Public().(interface{ Equal(x crypto.PublicKey) bool })
	if !ok || !eq.Equal(cert.PublicKey) {
		return errors.New("private key does not match the certificate")
	}
	return nil
}

// Attributes returns the Fabric CA attributes embedded in the certificate (role, subject, hf.* ...).
func (c *Credentials) Attributes() (map[string]string, error) {
	cert, err := identity.CertificateFromPEM(c.Certificate)
	if err != nil {
		return nil, fmt.Errorf("certificate: %w", err)
	}
	return certAttributes(cert)
}

// attrOID is the certificate extension in which Fabric CA embeds attributes.
var attrOID = asn1.ObjectIdentifier{1, 2, 3, 4, 5, 6, 7, 8, 1}

func certAttributes(cert *x509.Certificate) (map[string]string, error) {
	out := map[string]string{}
	for _, ext := range cert.Extensions {
		if !ext.Id.Equal(attrOID) {
			continue
		}
		var v struct {
			Attrs map[string]string `json:"attrs"`
		}
		if err := json.Unmarshal(ext.Value, &v); err != nil {
			return nil, fmt.Errorf("certificate attributes: %w", err)
		}
		for k, val := range v.Attrs {
			out[k] = val
		}
	}
	return out, nil
}

// infoFromCert fills the role, subject and (when empty) the name from the certificate.
func infoFromCert(info IdentityInfo, certPEM []byte) (IdentityInfo, error) {
	cert, err := identity.CertificateFromPEM(certPEM)
	if err != nil {
		return info, fmt.Errorf("certificate: %w", err)
	}
	attrs, err := certAttributes(cert)
	if err != nil {
		return info, err
	}
	if info.Name == "" {
		info.Name = cert.Subject.CommonName
	}
	if v, ok := attrs["role"]; ok {
		info.Role = v
	}
	if v, ok := attrs["subject"]; ok {
		info.Subject = v
	}
	return info, nil
}

// Wallet is a folder of identities, one MSP-style folder per entry:
//
//	<wallet>/<name>/signcerts/cert.pem
//	<wallet>/<name>/keystore/key.pem      (PKCS#8, mode 0600)
//	<wallet>/<name>/cacerts/ca.pem
//	<wallet>/<name>/identity.json         {"name","org","mspId","role","subject"}
type Wallet struct {
	dir string
}

// OpenWallet opens the wallet in dir. The folder need not exist yet: [Wallet.Put] creates it.
func OpenWallet(dir string) (*Wallet, error) {
	if dir == "" {
		return nil, errors.New("wallet: empty folder name")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("wallet %s: %w", dir, err)
	}
	if st, err := os.Stat(abs); err == nil && !st.IsDir() {
		return nil, fmt.Errorf("wallet %s: not a folder", abs)
	}
	return &Wallet{dir: abs}, nil
}

// Dir returns the wallet folder.
func (w *Wallet) Dir() string { return w.dir }

// Get reads one entry. Its error matches ErrNotFound when there is no such entry.
func (w *Wallet) Get(name string) (*Credentials, error) {
	if err := checkName(name); err != nil {
		return nil, fmt.Errorf("wallet entry: %w", err)
	}
	dir := filepath.Join(w.dir, name)
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("wallet entry %q in %s: %w", name, w.dir, ErrNotFound)
	}
	var info IdentityInfo
	data, err := os.ReadFile(filepath.Join(dir, "identity.json"))
	switch {
	case err == nil:
		if err := json.Unmarshal(data, &info); err != nil {
			return nil, fmt.Errorf("wallet entry %q: identity.json: %w", name, err)
		}
	case errors.Is(err, fs.ErrNotExist):
	default:
		return nil, fmt.Errorf("wallet entry %q: %w", name, err)
	}
	creds, err := readMSPDir(dir, info.MSPID)
	if err != nil {
		return nil, fmt.Errorf("wallet entry %q: %w", name, err)
	}
	// identity.json is authoritative for names; the certificate for role and subject when the file
	// has none.
	if info.Role == "" {
		info.Role = creds.Info.Role
	}
	if info.Subject == "" {
		info.Subject = creds.Info.Subject
	}
	info.Name = name
	creds.Info = info
	return creds, nil
}

// Put writes (or replaces) the entry named creds.Info.Name. The private key file gets mode 0600.
func (w *Wallet) Put(creds *Credentials) error {
	if creds == nil {
		return errors.New("wallet put: nil credentials")
	}
	name := creds.Info.Name
	if err := checkName(name); err != nil {
		return fmt.Errorf("wallet put: %w", err)
	}
	if err := creds.Check(); err != nil {
		return fmt.Errorf("wallet put %q: %w", name, err)
	}
	info, err := infoFromCert(creds.Info, creds.Certificate)
	if err != nil {
		return fmt.Errorf("wallet put %q: %w", name, err)
	}
	// Keep explicit values over the certificate's.
	if creds.Info.Role != "" {
		info.Role = creds.Info.Role
	}
	if creds.Info.Subject != "" {
		info.Subject = creds.Info.Subject
	}
	meta, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return fmt.Errorf("wallet put %q: %w", name, err)
	}
	dir := filepath.Join(w.dir, name)
	files := []struct {
		rel  string
		data []byte
		mode os.FileMode
	}{
		{"keystore/key.pem", creds.PrivateKey, 0o600},
		{"signcerts/cert.pem", creds.Certificate, 0o644},
		{"cacerts/ca.pem", creds.CACerts, 0o644},
		{"identity.json", append(meta, '\n'), 0o644},
	}
	for _, f := range files {
		if len(f.data) == 0 {
			continue
		}
		if err := writeFileAtomic(filepath.Join(dir, f.rel), f.data, f.mode); err != nil {
			return fmt.Errorf("wallet put %q: %w", name, err)
		}
	}
	return nil
}

// List returns the entries of the wallet, sorted by name. A missing wallet folder is an empty wallet.
func (w *Wallet) List() ([]IdentityInfo, error) {
	out := []IdentityInfo{}
	entries, err := os.ReadDir(w.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("wallet list: %w", err)
	}
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if _, err := os.Stat(filepath.Join(w.dir, e.Name(), "signcerts")); err != nil {
			continue
		}
		creds, err := w.Get(e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, creds.Info)
	}
	slices.SortFunc(out, func(a, b IdentityInfo) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// LoadMSPDir reads the identity in an MSP folder (signcerts/, keystore/, cacerts/) under the given MSP
// id. Its name is the certificate's common name; role and subject come from its attributes.
func LoadMSPDir(dir, mspID string) (*Credentials, error) {
	creds, err := readMSPDir(dir, mspID)
	if err != nil {
		return nil, fmt.Errorf("msp folder %s: %w", dir, err)
	}
	return creds, nil
}

func readMSPDir(dir, mspID string) (*Credentials, error) {
	cert, err := firstPEM(filepath.Join(dir, "signcerts"), "CERTIFICATE")
	if err != nil {
		return nil, err
	}
	key, err := firstPEM(filepath.Join(dir, "keystore"), "PRIVATE KEY")
	if err != nil {
		return nil, err
	}
	creds := &Credentials{Certificate: cert, PrivateKey: key}
	if ca, err := firstPEM(filepath.Join(dir, "cacerts"), "CERTIFICATE"); err == nil {
		creds.CACerts = ca
	}
	info, err := infoFromCert(IdentityInfo{MSPID: mspID}, cert)
	if err != nil {
		return nil, err
	}
	creds.Info = info
	if err := creds.Check(); err != nil {
		return nil, err
	}
	return creds, nil
}

// firstPEM returns the first file in dir (by name) holding a PEM block whose type ends with kind.
func firstPEM(dir, kind string) ([]byte, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", filepath.Base(dir), err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", e.Name(), err)
		}
		if b, _ := pem.Decode(data); b != nil && strings.HasSuffix(b.Type, kind) {
			return data, nil
		}
	}
	return nil, fmt.Errorf("no %s found in %s", strings.ToLower(kind), dir)
}

// writeFileAtomic writes data to path through a temporary file and a rename, creating folders with
// mode 0700.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	cleanup := func(e error) error {
		_ = tmp.Close()
		_ = os.Remove(name)
		return e
	}
	if err := tmp.Chmod(mode); err != nil {
		return cleanup(err)
	}
	if _, err := tmp.Write(data); err != nil {
		return cleanup(err)
	}
	if err := tmp.Sync(); err != nil {
		return cleanup(err)
	}
	if err := tmp.Close(); err != nil {
		_ = os.Remove(name)
		return err
	}
	if err := os.Rename(name, path); err != nil {
		_ = os.Remove(name)
		return err
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}
