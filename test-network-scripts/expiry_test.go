package scripts_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// expiryLib runs script with lib/expiry.sh sourced, NETDIR set to netdir, and stdin as its input.
func expiryLib(t *testing.T, netdir, stdin, script string) string {
	t.Helper()
	full := `set -euo pipefail; HL_T0=0; NETDIR=$1; source lib/common.sh; source lib/expiry.sh
` + script
	cmd := exec.Command("bash", "-c", full, "bash", netdir)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	return string(out)
}

func TestExpiryReportListsTheSoonestAndWarnsWithinTheThreshold(t *testing.T) {
	const day = 86400
	now := int64(1_800_000_000)
	at := func(days int64) string { return strconv.FormatInt(now+days*day, 10) }
	in := strings.Join([]string{
		at(400) + " node peer0.hospital.healthledger.test",
		at(31) + " wallet patient1",
		at(29) + " tls orderer1.orderer.healthledger.test",
		at(-2) + " wallet pharmacist1",
		at(3650) + " ca hospital.healthledger.test",
		"0 unreadable:admin Admin@pharma.healthledger.test",
	}, "\n") + "\n"
	out := expiryLib(t, "/nonexistent", in, fmt.Sprintf("expiry_report %d 30 3", now))
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	require.Equal(t, "  certificates: 6; 2 expired or due within 30 days (HL_CERT_WARN_DAYS); the soonest to expire:", lines[0])
	day0 := func(days int64) string { return time.Unix(now+days*day, 0).UTC().Format("2006-01-02") }
	require.Equal(t, []string{
		"    " + day0(-2) + "     -2 d  wallet    pharmacist1",
		"    " + day0(29) + "     29 d  tls       orderer1.orderer.healthledger.test",
		"    " + day0(31) + "     31 d  wallet    patient1",
	}, lines[1:4], out)
	require.Contains(t, out, "warning: the certificate of Admin@pharma.healthledger.test (admin) cannot be read")
	require.Contains(t, out, "warning: EXPIRED on "+day0(-2)+": wallet certificate of pharmacist1")
	require.Contains(t, out, "warning: expires in 29 days ("+day0(29)+"): tls certificate of orderer1.orderer.healthledger.test")
	require.NotContains(t, out, "certificate of patient1", "31 days is outside a 30-day threshold")
	require.NotContains(t, out, "peer0.hospital", "only the 3 soonest are listed")

	// A wider threshold warns of more; zero warns only of what has expired.
	out = expiryLib(t, "/nonexistent", in, fmt.Sprintf("expiry_report %d 400 3", now))
	require.Contains(t, out, "4 expired or due within 400 days")
	require.Contains(t, out, "expires in 400 days ("+day0(400)+"): node certificate of peer0.hospital.healthledger.test")
	out = expiryLib(t, "/nonexistent", in, fmt.Sprintf("expiry_report %d 0 3", now))
	require.Contains(t, out, "1 expired or due within 0 days")
	out = expiryLib(t, "/nonexistent", "", fmt.Sprintf("expiry_report %d 30 3", now))
	require.Contains(t, out, "certificates: none found in /nonexistent")
}

// TestCertExpiriesReadsEveryKindOfCertificate: real certificates in a state folder laid out as
// network.sh's, each found with its kind, name and notAfter.
func TestCertExpiriesReadsEveryKindOfCertificate(t *testing.T) {
	netdir := t.TempDir()
	org := filepath.Join(netdir, "crypto", "peerOrganizations", "hospital.example.test")
	files := map[string]int{
		filepath.Join(org, "peers", "peer0.hospital.example.test", "msp", "signcerts", "peer0-cert.pem"): 10,
		filepath.Join(org, "peers", "peer0.hospital.example.test", "tls", "server.crt"):                  20,
		filepath.Join(org, "ca", "ca.hospital.example.test-cert.pem"):                                    3650,
		filepath.Join(org, "tlsca", "tlsca.hospital.example.test-cert.pem"):                              3000,
		filepath.Join(org, "users", "Admin@hospital.example.test", "msp", "signcerts", "a-cert.pem"):     40,
		filepath.Join(org, "users", "Admin@hospital.example.test", "tls", "client.crt"):                  50,
		filepath.Join(netdir, "wallet", "patient1", "signcerts", "cert.pem"):                             60,
	}
	for path, days := range files {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		out, err := exec.Command("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
			"-nodes", "-keyout", path+".key", "-out", path, "-days", strconv.Itoa(days), "-subj", "/CN=test").CombinedOutput()
		require.NoError(t, err, string(out))
	}
	broken := filepath.Join(netdir, "wallet", "broken", "signcerts", "cert.pem")
	require.NoError(t, os.MkdirAll(filepath.Dir(broken), 0o755))
	require.NoError(t, os.WriteFile(broken, []byte("not a certificate\n"), 0o644))

	out := expiryLib(t, netdir, "", "cert_expiries")
	got := map[string]int64{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		require.Len(t, f, 3, line)
		n, err := strconv.ParseInt(f[0], 10, 64)
		require.NoError(t, err, line)
		got[f[1]+" "+f[2]] = n
	}
	now := time.Now().Unix()
	want := map[string]int{
		"node peer0.hospital.example.test": 10, "tls peer0.hospital.example.test": 20,
		"ca hospital.example.test": 3650, "tlsca hospital.example.test": 3000,
		"admin Admin@hospital.example.test": 40, "admin-tls Admin@hospital.example.test": 50,
		"wallet patient1": 60,
	}
	require.Len(t, got, len(want)+1, out)
	for k, days := range want {
		require.Contains(t, got, k, out)
		require.InDelta(t, float64(now+int64(days)*86400), float64(got[k]), 120, k)
	}
	require.Equal(t, int64(0), got["unreadable:wallet broken"], out)

	report := expiryLib(t, netdir, "", "cert_expiries | expiry_report $(date +%s) 15 2")
	require.Contains(t, report, "certificates: 8; 1 expired or due within 15 days")
	require.Contains(t, report, "node      peer0.hospital.example.test")
	require.Contains(t, report, "warning: the certificate of broken (wallet) cannot be read")
}

func TestStatusRefusesABadWarningThreshold(t *testing.T) {
	netdir := filepath.Join(t.TempDir(), "none")
	for _, bad := range []string{"-1", "30d", "3651", "1e3", " "} {
		out, code := runEnv(t, []string{"HL_NETWORK_DIR=" + netdir, "HL_CERT_WARN_DAYS=" + bad}, "status")
		require.Equal(t, 2, code, out)
		require.Contains(t, out, "HL_CERT_WARN_DAYS must be a whole number of days from 0 to 3650, not '"+bad+"'")
	}
	for _, good := range []string{"0", "30", "3650", "007"} {
		out, code := runEnv(t, []string{"HL_NETWORK_DIR=" + netdir, "HL_CERT_WARN_DAYS=" + good}, "status")
		require.Equal(t, 1, code, out)
		require.Contains(t, out, "no network in", good)
	}
}
