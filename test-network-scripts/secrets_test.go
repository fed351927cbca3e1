package scripts_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var hex32 = regexp.MustCompile(`^[0-9a-f]{32}$`)

// identitiesLib runs script with the identity helpers sourced, NETDIR set to netdir and BIN to a
// folder whose fabric-ca-client is testdata/fake-fabric-ca-client (its CA kept in netdir/fake-ca).
func identitiesLib(t *testing.T, netdir, script string, env ...string) (string, error) {
	t.Helper()
	bin := filepath.Join(netdir, "fake-bin")
	require.NoError(t, os.MkdirAll(bin, 0o755))
	fake, err := filepath.Abs("testdata/fake-fabric-ca-client")
	require.NoError(t, err)
	_ = os.Symlink(fake, filepath.Join(bin, "fabric-ca-client"))
	full := `set -euo pipefail; HL_T0=$(date +%s); NETDIR=$1; BIN=$2; CHANNEL=ch
ORDERER_ORG=orderer DOMAIN=example.test; declare -A CA_PORT=([hospital]=7054) MSP=([hospital]=HospitalMSP)
source lib/common.sh; source lib/nodes.sh; source lib/identities.sh
mkdir -p "$NETDIR/logs"
` + script
	cmd := exec.Command("bash", "-c", full, "bash", netdir, bin)
	cmd.Env = append(os.Environ(), "FAKE_CA_DB="+filepath.Join(netdir, "fake-ca"))
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	st, err := os.Stat(path)
	require.NoError(t, err)
	return st.Mode().Perm()
}

// requireNowhereElse fails when secret is in any file under netdir but its own secrets file, or in
// any command line the fake CA client got.
func requireNowhereElse(t *testing.T, netdir, secret, own string) {
	t.Helper()
	require.NoError(t, filepath.Walk(netdir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() || path == own || strings.HasPrefix(path, filepath.Join(netdir, "fake-ca")+"/") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		require.NotContains(t, string(data), secret, "the secret is in %s", path)
		return nil
	}))
	argv, err := os.ReadFile(filepath.Join(netdir, "fake-ca", "argv"))
	require.NoError(t, err)
	require.NotContains(t, string(argv), secret, "the secret was on a command line")
}

func TestEnrolmentSecretsAreRandomPrivateAndKept(t *testing.T) {
	netdir := t.TempDir()
	out, err := identitiesLib(t, netdir, `ca_secret hospital patient1; ca_secret hospital patient1; ca_secret hospital patient2; random_secret`)
	require.NoError(t, err, out)
	lines := strings.Fields(out)
	require.Len(t, lines, 4)
	for _, l := range lines {
		require.Regexp(t, hex32, l)
	}
	require.Equal(t, lines[0], lines[1], "a secret is chosen once and kept")
	require.NotEqual(t, lines[0], lines[2])
	require.NotEqual(t, lines[2], lines[3])
	f := filepath.Join(netdir, "secrets", "hospital", "patient1")
	require.Equal(t, os.FileMode(0o600), mode(t, f))
	require.Equal(t, os.FileMode(0o700), mode(t, filepath.Join(netdir, "secrets")))
	require.Equal(t, os.FileMode(0o700), mode(t, filepath.Join(netdir, "secrets", "hospital")))
	data, err := os.ReadFile(f)
	require.NoError(t, err)
	require.Equal(t, lines[0]+"\n", string(data))

	t.Run("a damaged secrets file stops the script", func(t *testing.T) {
		require.NoError(t, os.WriteFile(f, []byte("patient1-secret\n"), 0o600))
		out, err := identitiesLib(t, netdir, `ca_secret hospital patient1`)
		require.Error(t, err)
		require.Contains(t, out, "does not hold a 32-hex-character secret")
		require.NotContains(t, out, "patient1-secret")
	})
}

func TestANewNetworkGetsARandomCABootstrapSecret(t *testing.T) {
	netdir := t.TempDir()
	out, err := identitiesLib(t, netdir, `source lib/config.sh; NET_LAYOUT=default; unset HL_CA_ADMIN_SECRET; store_settings; echo "exported=${#HL_CA_ADMIN_SECRET}"`)
	require.NoError(t, err, out)
	require.Contains(t, out, "exported=32")
	data, err := os.ReadFile(filepath.Join(netdir, "settings"))
	require.NoError(t, err)
	require.Regexp(t, regexp.MustCompile(`(?m)^HL_CA_ADMIN_SECRET=[0-9a-f]{32}$`), string(data))
	require.Equal(t, os.FileMode(0o600), mode(t, filepath.Join(netdir, "settings")))

	other := t.TempDir()
	out, err = identitiesLib(t, other, `source lib/config.sh; NET_LAYOUT=default; store_settings`, "HL_CA_ADMIN_SECRET=adminpw")
	require.Error(t, err)
	require.Contains(t, out, "HL_CA_ADMIN_SECRET is shorter than 32 characters")
	require.NotContains(t, out, "adminpw")
	require.NoFileExists(t, filepath.Join(other, "settings"))
}

// TestAnIdentityIsEnrolledOnceIntoAWholeWalletEntry drives register_enroll against the fake CA
// client: the secret travels only in the environment, the wallet entry appears whole, an identity
// whose certificate is lost cannot be enrolled again (a clear error, nothing left half-made), and a
// certificate enrolled by a run cut short is moved in without a second enrollment.
func TestAnIdentityIsEnrolledOnceIntoAWholeWalletEntry(t *testing.T) {
	netdir := t.TempDir()
	enroll := `register_enroll hospital "$ID" "$NETDIR/wallet/$ID" HospitalMSP patient "pat-$ID" --id.attrs "role=patient:ecert"`
	out, err := identitiesLib(t, netdir, enroll, "ID=patient1")
	require.NoError(t, err, out)
	entry := filepath.Join(netdir, "wallet", "patient1")
	for _, f := range []string{"identity.json", "signcerts/cert.pem", "keystore/key.pem", "cacerts/ca.pem"} {
		require.FileExists(t, filepath.Join(entry, f))
	}
	require.Equal(t, os.FileMode(0o600), mode(t, filepath.Join(entry, "keystore", "key.pem")))
	idJSON, err := os.ReadFile(filepath.Join(entry, "identity.json"))
	require.NoError(t, err)
	require.Contains(t, string(idJSON), `"subject": "pat-patient1"`)
	secretFile := filepath.Join(netdir, "secrets", "hospital", "patient1")
	secret, err := os.ReadFile(secretFile)
	require.NoError(t, err)
	s := strings.TrimSpace(string(secret))
	require.Regexp(t, hex32, s)
	registered, err := os.ReadFile(filepath.Join(netdir, "fake-ca", "patient1.secret"))
	require.NoError(t, err)
	require.Equal(t, s, strings.TrimSpace(string(registered)), "registered with the stored secret")
	require.NotContains(t, out, s)
	requireNowhereElse(t, netdir, s, secretFile)

	t.Run("a lost certificate is not enrolled again", func(t *testing.T) {
		require.NoError(t, os.RemoveAll(entry))
		out, err := identitiesLib(t, netdir, enroll, "ID=patient1")
		require.Error(t, err)
		require.Contains(t, out, "refused to enroll patient1 (Authentication failure)")
		require.Contains(t, out, "has used its one enrolment")
		require.NotContains(t, out, s)
		require.NoDirExists(t, entry)
		require.NoDirExists(t, filepath.Join(netdir, "wallet", ".patient1.enrolling"))
		requireNowhereElse(t, netdir, s, secretFile)
	})
	t.Run("a certificate enrolled by a run cut short is moved in", func(t *testing.T) {
		// The run registered patient2 and the CA enrolled it into the staging folder; then it stopped.
		out, err := identitiesLib(t, netdir, `s=$(ca_secret hospital patient2)
FABRIC_CA_CLIENT_ID_SECRET=$s ca_client hospital register --id.name patient2 >/dev/null
FABRIC_CA_CLIENT_URL="https://patient2:$s@127.0.0.1:7054" ca_client hospital enroll -M "$NETDIR/wallet/.patient2.enrolling" >/dev/null`)
		require.NoError(t, err, out)
		out, err = identitiesLib(t, netdir, enroll, "ID=patient2")
		require.NoError(t, err, out)
		require.Contains(t, out, "moving in the certificate enrolled by a run cut short")
		require.FileExists(t, filepath.Join(netdir, "wallet", "patient2", "identity.json"))
		require.NoDirExists(t, filepath.Join(netdir, "wallet", ".patient2.enrolling"))
		argv, err := os.ReadFile(filepath.Join(netdir, "fake-ca", "argv"))
		require.NoError(t, err)
		require.Equal(t, 1, strings.Count(string(argv), "enroll -M "+filepath.Join(netdir, "wallet", ".patient2.enrolling")), "enrolled once")
	})
}

// TestTracingNeverShowsTheCASecret: bash -x would print every expanded secret; network.sh turns it
// off before it reads one.
func TestTracingNeverShowsTheCASecret(t *testing.T) {
	const secret = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
	netdir := fakeNetwork(t, strings.Replace(storedSettings, "HL_CA_ADMIN_SECRET=adminpw", "HL_CA_ADMIN_SECRET="+secret, 1))
	cmd := exec.Command("bash", "-x", "./network.sh", "status")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HL_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "HL_NETWORK_DIR="+netdir)
	out, _ := cmd.CombinedOutput()
	require.Contains(t, string(out), "tracing turned off")
	require.Contains(t, string(out), "0 of 10 nodes healthy", "the command itself still runs")
	require.NotContains(t, string(out), secret)
}
