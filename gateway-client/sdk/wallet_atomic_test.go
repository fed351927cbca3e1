package sdk

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/healthledger/healthledger/internal/testpki"
	"github.com/stretchr/testify/require"
)

var errCrash = errors.New("simulated crash")

// requireWhole checks that the wallet's patient1 is want exactly: its certificate with its own key.
func requireWhole(t *testing.T, w *Wallet, want *Credentials, when string) {
	t.Helper()
	got, err := w.Get("patient1")
	require.NoError(t, err, when)
	require.NoError(t, got.Check(), "%s: the certificate and the key do not belong together", when)
	require.Equal(t, string(want.Certificate), string(got.Certificate), when)
	require.Equal(t, string(want.PrivateKey), string(got.PrivateKey), when)
	list, err := w.List()
	require.NoError(t, err, when)
	require.Len(t, list, 1, "%s: the wallet lists %v", when, list)
}

// TestARenewalCutShortLeavesAWholeIdentity replaces a wallet entry and stops the replacement at each
// of its steps, as a crash would: the entry read afterwards is always a whole identity, the old one
// until the new one has taken its place, and the next replacement succeeds.
func TestARenewalCutShortLeavesAWholeIdentity(t *testing.T) {
	ca, err := testpki.NewCA("ca")
	require.NoError(t, err)
	attrs := map[string]string{"role": "patient", "subject": "pat-7f3a9c21"}
	modes := []struct {
		name     string
		exchange func(a, b string) error
		steps    []string
		// newAfter: the steps after which the new entry has already taken the old one's place
		newAfter map[string]bool
	}{
		{"atomic exchange", renameExchange,
			[]string{"wrote keystore/key.pem", "wrote signcerts/cert.pem", "wrote cacerts/ca.pem", "wrote identity.json", "staged", "exchanged"},
			map[string]bool{"exchanged": true}},
		{"two renames (no exchange on this file system)", func(_, _ string) error { return errNoExchange },
			[]string{"wrote keystore/key.pem", "wrote signcerts/cert.pem", "staged", "moved the old entry aside"},
			map[string]bool{}},
	}
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			for _, step := range m.steps {
				t.Run(step, func(t *testing.T) {
					dir := filepath.Join(t.TempDir(), "wallet")
					w, err := OpenWallet(dir)
					require.NoError(t, err)
					w.exchange = m.exchange
					v1 := newCreds(t, ca, "patient1", attrs)
					require.NoError(t, w.Put(v1))
					requireWhole(t, w, v1, "after the first put")

					v2 := newCreds(t, ca, "patient1", attrs)
					w.failAt = func(s string) error {
						if s == step {
							return errCrash
						}
						return nil
					}
					require.ErrorIs(t, w.Put(v2), errCrash)
					w.failAt = nil
					want := v1
					if m.newAfter[step] {
						want = v2
					}
					requireWhole(t, w, want, "after a crash at "+step)
					// Another process opening the wallet sees the same.
					w2, err := OpenWallet(dir)
					require.NoError(t, err)
					requireWhole(t, w2, want, "reopened after a crash at "+step)

					v3 := newCreds(t, ca, "patient1", attrs)
					w.exchange = m.exchange
					require.NoError(t, w.Put(v3))
					requireWhole(t, w, v3, "after the next put")
					st, err := os.Stat(filepath.Join(dir, "patient1", "keystore", "key.pem"))
					require.NoError(t, err)
					require.Equal(t, os.FileMode(0o600), st.Mode().Perm())
					_, err = os.Stat(filepath.Join(dir, oldName("patient1")))
					require.ErrorIs(t, err, os.ErrNotExist, "the old entry's folder is removed once the new one is in place")
				})
			}
		})
	}
}

// TestAReplacementLeavesNoTemporaryFolder: a replacement that runs to its end leaves only the entry.
func TestAReplacementLeavesNoTemporaryFolder(t *testing.T) {
	ca, err := testpki.NewCA("ca")
	require.NoError(t, err)
	dir := filepath.Join(t.TempDir(), "wallet")
	w, err := OpenWallet(dir)
	require.NoError(t, err)
	for range 3 {
		require.NoError(t, w.Put(newCreds(t, ca, "patient1", nil)))
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	require.Equal(t, "patient1", strings.Join(names, " "))
}
