//go:build integration

package integration

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/healthledger/healthledger/chaincode/consent/consenttypes"
	"github.com/healthledger/healthledger/gateway-client/consent"
	"github.com/healthledger/healthledger/gateway-client/sdk"
	"github.com/stretchr/testify/require"
)

// stateDir is the network's state folder: the one this run started, or else the folder above the
// profiles when it holds network.sh's secrets (a network started by hand); otherwise the test skips.
func stateDir(t *testing.T) string {
	t.Helper()
	if env.netdir != "" {
		return env.netdir
	}
	dir := filepath.Dir(filepath.Clean(env.profiles))
	if _, err := os.Stat(filepath.Join(dir, "secrets")); err != nil {
		t.Skipf("the network under test keeps no network.sh state folder next to %s", env.profiles)
	}
	return dir
}

// networkSecrets returns every secret network.sh keeps: the enrolment secrets in secrets/ (file path
// to secret) and the CAs' bootstrap secret from settings. Each file must be mode 0600.
func networkSecrets(t *testing.T, netdir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	hex32 := regexp.MustCompile(`^[0-9a-f]{32}$`)
	require.NoError(t, filepath.Walk(filepath.Join(netdir, "secrets"), func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if info.IsDir() {
			require.Equal(t, os.FileMode(0o700), info.Mode().Perm(), "%s", path)
			return nil
		}
		require.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "%s", path)
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		s := strings.TrimSpace(string(data))
		require.Regexp(t, hex32, s, "%s holds no 128-bit secret", path)
		out[path] = s
		return nil
	}))
	settings := filepath.Join(netdir, "settings")
	st, err := os.Stat(settings)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm(), "%s", settings)
	f, err := os.Open(settings)
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "HL_CA_ADMIN_SECRET="); ok {
			out[settings] = v
		}
	}
	require.Contains(t, out, settings, "no HL_CA_ADMIN_SECRET in %s", settings)
	return out
}

// TestEnrolmentOneSecretOneCertificateThenReenroll: what an outsider who reaches a CA's port can do
// with a demo user's name. The old guessable secret (<name>-secret) enrolls nothing; the real secret,
// which only the state folder holds (mode 0600), has been used by network.sh and is refused a second
// time (the CA's log names the reason: the maximum enrollment allowance). Only the current
// certificate renews the identity (reenroll); the renewed certificate is in the wallet and works on
// the chaincodes; the previous one, revoked, renews nothing. No log, profile or CA client file in the
// state folder holds a secret.
func TestEnrolmentOneSecretOneCertificateThenReenroll(t *testing.T) {
	netdir := stateDir(t)
	user := identity(t, "auditor", 0) // read-mostly: renewing its key disturbs no other test
	prof, err := env.net.Profile(user.Org)
	require.NoError(t, err)
	require.NotNil(t, prof.CA, "the %s profile names no CA", user.Org)
	ca, err := prof.CAClient()
	require.NoError(t, err)

	_, err = ca.Enroll(ctx(t), sdk.EnrollRequest{Name: user.Name, Secret: user.Name + "-secret"})
	require.ErrorIs(t, err, sdk.ErrEnrollmentRefused, "the old guessable secret")
	t.Logf("the guessable secret: %v", err)

	secrets := networkSecrets(t, netdir)
	secret, ok := secrets[filepath.Join(netdir, "secrets", user.Org, user.Name)]
	require.True(t, ok, "no secret of %s in %s", user.Name, filepath.Join(netdir, "secrets", user.Org))
	_, err = ca.Enroll(ctx(t), sdk.EnrollRequest{Name: user.Name, Secret: secret})
	require.ErrorIs(t, err, sdk.ErrEnrollmentRefused, "a second enrollment with the real secret")
	require.ErrorIs(t, err, sdk.ErrForbidden)
	require.Contains(t, err.Error(), "used its enrollments (renew with reenroll)")
	require.NotContains(t, err.Error(), secret)
	t.Logf("a second enrollment: %v", err)
	caLog, err := os.ReadFile(filepath.Join(netdir, "logs", "ca-"+user.Org+".log"))
	require.NoError(t, err)
	require.Contains(t, string(caLog), "The identity "+user.Name+" has already enrolled 1 times, it has reached its maximum enrollment allowance",
		"the CA refused the real secret for another reason than the one enrollment")

	w, err := sdk.OpenWallet(env.net.WalletDir())
	require.NoError(t, err)
	current, err := w.Get(user.Name)
	require.NoError(t, err)
	renewed, err := ca.Reenroll(ctx(t), current, sdk.ReenrollRequest{})
	require.NoError(t, err)
	require.NoError(t, renewed.Check())
	require.NotEqual(t, string(current.Certificate), string(renewed.Certificate))
	require.Equal(t, user.Role, renewed.Info.Role)
	require.Equal(t, user.Subject, renewed.Info.Subject)
	require.NoError(t, w.Put(renewed))
	require.NoError(t, ca.RevokeSelf(ctx(t), current, ""))
	inWallet, err := w.Get(user.Name)
	require.NoError(t, err)
	require.Equal(t, string(renewed.Certificate), string(inWallet.Certificate), "the wallet holds the renewed certificate")
	require.Equal(t, string(renewed.PrivateKey), string(inWallet.PrivateKey))

	// The renewed identity, read from the wallet, works on the chaincodes: a consent query as the
	// auditor it is, and a committed write.
	c, err := env.net.Connect(ctx(t), user.Name)
	require.NoError(t, err)
	defer c.Close()
	_, err = consent.New(c).ListConsentsByGrantee(ctx(t), consenttypes.Grantee{MSPID: prof.MSPID}, 10, "")
	require.NoError(t, err, "an auditor's consent query with the renewed certificate")
	_, err = c.Contract("baseline").Submit(ctx(t), "Add", []string{unique("reenrolled"), "1"})
	require.NoError(t, err, "a write with the renewed certificate")

	_, err = ca.Reenroll(ctx(t), current, sdk.ReenrollRequest{})
	require.ErrorIs(t, err, sdk.ErrForbidden, "the previous, revoked, certificate renews nothing")
	t.Logf("a reenroll with the previous certificate: %v", err)

	// No log (network.sh's, the nodes', the CA clients'), profile or CA client file holds a secret.
	var scanned int
	for _, root := range []string{"logs", "profiles", "ca-clients", "pids"} {
		require.NoError(t, filepath.Walk(filepath.Join(netdir, root), func(path string, info os.FileInfo, err error) error {
			if err != nil || info.IsDir() {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			scanned++
			for file, s := range secrets {
				// Not require.NotContains: its message would print the file, and the secret with it.
				require.False(t, strings.Contains(string(data), s), "%s holds the secret kept in %s", path, file)
			}
			return nil
		}))
	}
	t.Logf("%d secrets, none in the %d files of logs/, profiles/, ca-clients/ and pids/", len(secrets), scanned)
}
