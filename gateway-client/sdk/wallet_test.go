package sdk

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/healthledger/healthledger/internal/testpki"
	"github.com/stretchr/testify/require"
)

func newCreds(t *testing.T, ca *testpki.CA, name string, attrs map[string]string) *Credentials {
	t.Helper()
	u, err := ca.IssueUser(name, attrs)
	require.NoError(t, err)
	return &Credentials{Info: IdentityInfo{Name: name, Org: "hospital", MSPID: "HospitalMSP"}, Certificate: u.CertPEM, PrivateKey: u.KeyPEM, CACerts: ca.CertPEM}
}

func TestAWalletEntryRoundTrips(t *testing.T) {
	ca, err := testpki.NewCA("ca")
	require.NoError(t, err)
	dir := filepath.Join(t.TempDir(), "wallet")
	w, err := OpenWallet(dir)
	require.NoError(t, err)
	in := newCreds(t, ca, "patient1", map[string]string{"role": "patient", "subject": "pat-7f3a9c21"})
	require.NoError(t, w.Put(in))

	got, err := w.Get("patient1")
	require.NoError(t, err)
	require.Equal(t, IdentityInfo{Name: "patient1", Org: "hospital", MSPID: "HospitalMSP", Role: "patient", Subject: "pat-7f3a9c21"}, got.Info)
	require.Equal(t, in.Certificate, got.Certificate)
	require.Equal(t, in.PrivateKey, got.PrivateKey)
	require.Equal(t, ca.CertPEM, got.CACerts)

	for rel, mode := range map[string]os.FileMode{
		"keystore/key.pem":   0o600,
		"signcerts/cert.pem": 0o644,
		"identity.json":      0o644,
	} {
		st, err := os.Stat(filepath.Join(dir, "patient1", rel))
		require.NoError(t, err)
		require.Equal(t, mode, st.Mode().Perm(), rel)
	}
	st, err := os.Stat(filepath.Join(dir, "patient1", "keystore"))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o700), st.Mode().Perm())
}

func TestAWalletListsItsEntriesByName(t *testing.T) {
	ca, err := testpki.NewCA("ca")
	require.NoError(t, err)
	w, err := OpenWallet(t.TempDir())
	require.NoError(t, err)
	empty, err := w.List()
	require.NoError(t, err)
	require.Equal(t, []IdentityInfo{}, empty)
	require.NoError(t, w.Put(newCreds(t, ca, "provider1", map[string]string{"role": "provider"})))
	require.NoError(t, w.Put(newCreds(t, ca, "auditor1", map[string]string{"role": "auditor"})))
	got, err := w.List()
	require.NoError(t, err)
	require.Len(t, got, 2)
	require.Equal(t, "auditor1", got[0].Name)
	require.Equal(t, "provider", got[1].Role)
}

func TestAWalletRefusesBadInputAndWritesNothing(t *testing.T) {
	ca, err := testpki.NewCA("ca")
	require.NoError(t, err)
	other := newCreds(t, ca, "x", nil)
	cases := []struct {
		name  string
		creds *Credentials
	}{
		{"a nil entry is refused", nil},
		{"a name with a slash is refused", func() *Credentials { c := newCreds(t, ca, "a", nil); c.Info.Name = "../evil"; return c }()},
		{"an empty name is refused", func() *Credentials { c := newCreds(t, ca, "a", nil); c.Info.Name = ""; return c }()},
		{"a key that is not the certificate's is refused", func() *Credentials { c := newCreds(t, ca, "b", nil); c.PrivateKey = other.PrivateKey; return c }()},
		{"garbage instead of a certificate is refused", func() *Credentials { c := newCreds(t, ca, "c", nil); c.Certificate = []byte("nope"); return c }()},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			w, err := OpenWallet(dir)
			require.NoError(t, err)
			require.Error(t, w.Put(tc.creds))
			entries, err := os.ReadDir(dir)
			require.NoError(t, err)
			require.Empty(t, entries)
		})
	}
}

func TestAMissingWalletEntryIsErrNotFound(t *testing.T) {
	w, err := OpenWallet(t.TempDir())
	require.NoError(t, err)
	_, err = w.Get("nobody")
	require.ErrorIs(t, err, ErrNotFound)
}

func TestAnMSPFolderLoadsWithItsAttributes(t *testing.T) {
	ca, err := testpki.NewCA("ca")
	require.NoError(t, err)
	u, err := ca.IssueUser("distributor1", map[string]string{"role": "distributor", "subject": "0614141000012"})
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, ca.WriteMSP(dir, u))
	// Fabric CA names key files <ski>_sk; any name works.
	require.NoError(t, os.Rename(filepath.Join(dir, "keystore", "key.pem"), filepath.Join(dir, "keystore", "abc_sk")))
	creds, err := LoadMSPDir(dir, "PharmaMSP")
	require.NoError(t, err)
	require.Equal(t, IdentityInfo{Name: "distributor1", MSPID: "PharmaMSP", Role: "distributor", Subject: "0614141000012"}, creds.Info)
	attrs, err := creds.Attributes()
	require.NoError(t, err)
	require.Equal(t, "distributor", attrs["role"])

	_, err = LoadMSPDir(t.TempDir(), "PharmaMSP")
	require.ErrorContains(t, err, "signcerts")
}
