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
	"time"

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
//
// [Wallet.Put] replaces an entry as a whole (see there): a crash in the middle of a renewal leaves
// the old identity, never a certificate with another identity's key.
type Wallet struct {
	dir string
	// exchange swaps two folders atomically (renameExchange; tests replace it).
	exchange func(a, b string) error
	// failAt, when set (tests only), is called at each step of a replacement and stops it there
	// with its error, as a crash would.
	failAt func(step string) error
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
	return &Wallet{dir: abs, exchange: renameExchange}, nil
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
		// A replacement without an atomic exchange stopped between its two renames: the entry is
		// still whole in its .old folder.
		old := filepath.Join(w.dir, oldName(name))
		if _, err := os.Stat(filepath.Join(old, "signcerts")); err != nil {
			return nil, fmt.Errorf("wallet entry %q in %s: %w", name, w.dir, ErrNotFound)
		}
		dir = old
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
	files := []walletFile{
		{"keystore/key.pem", creds.PrivateKey, 0o600},
		{"signcerts/cert.pem", creds.Certificate, 0o644},
		{"cacerts/ca.pem", creds.CACerts, 0o644},
		{"identity.json", append(meta, '\n'), 0o644},
	}
	if err := w.replace(name, files); err != nil {
		return fmt.Errorf("wallet put %q: %w", name, err)
	}
	return nil
}

type walletFile struct {
	rel  string
	data []byte
	mode os.FileMode
}

// errNoExchange: the platform or file system cannot swap two folders atomically.
var errNoExchange = errors.New("atomic exchange not supported")

func stagedPrefix(name string) string { return "." + name + ".staged-" }
func oldName(name string) string      { return "." + name + ".old" }

// replace writes files as the entry name. They are written and synced into a new hidden folder
// (.<name>.staged-*) next to the entry, which then takes the entry's place in one step: a rename when
// there is no entry, else an atomic exchange of the two folders (Linux renameat2 RENAME_EXCHANGE),
// after which the old one is removed. Where no exchange is possible, the old entry is renamed to
// .<name>.old first, and [Wallet.Get] reads it there until the new one is in place. At every point a
// reader finds a whole entry: the old one or the new one.
func (w *Wallet) replace(name string, files []walletFile) error {
	if err := os.MkdirAll(w.dir, 0o700); err != nil {
		return err
	}
	w.removeStale(name)
	staged, err := os.MkdirTemp(w.dir, stagedPrefix(name))
	if err != nil {
		return err
	}
	abandon := func(err error) error {
		_ = os.RemoveAll(staged)
		return err
	}
	for _, f := range files {
		if len(f.data) == 0 {
			continue
		}
		if err := writeFileSynced(filepath.Join(staged, f.rel), f.data, f.mode); err != nil {
			return abandon(err)
		}
		if err := w.step("wrote " + f.rel); err != nil {
			return err // as a crash: the staged folder stays, hidden, until removeStale
		}
	}
	if err := syncDir(staged); err != nil {
		return abandon(err)
	}
	if err := w.step("staged"); err != nil {
		return err
	}
	target := filepath.Join(w.dir, name)
	if _, err := os.Lstat(target); errors.Is(err, fs.ErrNotExist) {
		if err := os.Rename(staged, target); err != nil {
			return abandon(err)
		}
		_ = os.RemoveAll(filepath.Join(w.dir, oldName(name)))
		return syncDir(w.dir)
	}
	exchange := w.exchange
	if exchange == nil {
		exchange = renameExchange
	}
	switch err := exchange(staged, target); {
	case err == nil:
		// staged now holds the old entry.
		if err := syncDir(w.dir); err != nil {
			return err
		}
		if err := w.step("exchanged"); err != nil {
			return err
		}
		_ = os.RemoveAll(staged)
		return nil
	case !errors.Is(err, errNoExchange):
		return abandon(err)
	}
	old := filepath.Join(w.dir, oldName(name))
	if err := os.RemoveAll(old); err != nil {
		return abandon(err)
	}
	if err := os.Rename(target, old); err != nil {
		return abandon(err)
	}
	if err := w.step("moved the old entry aside"); err != nil {
		return err
	}
	if err := os.Rename(staged, target); err != nil {
		return err // the entry stays whole in old, where Get reads it
	}
	if err := syncDir(w.dir); err != nil {
		return err
	}
	_ = os.RemoveAll(old)
	return nil
}

func (w *Wallet) step(name string) error {
	if w.failAt == nil {
		return nil
	}
	return w.failAt(name)
}

// removeStale removes staged folders of name left by a replacement that stopped (a crash) more than
// a minute ago; a younger one may be another process's, in progress.
func (w *Wallet) removeStale(name string) {
	matches, _ := filepath.Glob(filepath.Join(w.dir, stagedPrefix(name)+"*"))
	for _, m := range matches {
		if st, err := os.Stat(m); err == nil && time.Since(st.ModTime()) > time.Minute {
			_ = os.RemoveAll(m)
		}
	}
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
		if !e.IsDir() {
			continue
		}
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			// A replacement stopped between its two renames: the entry is in its .old folder.
			base, ok := strings.CutSuffix(strings.TrimPrefix(name, "."), ".old")
			if !ok || checkName(base) != nil {
				continue
			}
			if _, err := os.Lstat(filepath.Join(w.dir, base)); !errors.Is(err, fs.ErrNotExist) {
				continue
			}
			name = base
		}
		if _, err := w.Get(name); errors.Is(err, ErrNotFound) {
			continue
		}
		if _, err := os.Stat(filepath.Join(w.dir, e.Name(), "signcerts")); err != nil {
			continue
		}
		creds, err := w.Get(name)
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

// writeFileSynced writes data to a new file at path with mode and syncs it, creating folders with
// mode 0700.
func writeFileSynced(path string, data []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if err := f.Chmod(mode); err != nil { // whatever the umask
		_ = f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

// syncDir makes the entries of dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
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
