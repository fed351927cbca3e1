//go:build integration

package integration

import (
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestStatusShowsCertificateExpiry: network.sh status counts the network's certificates, lists the
// soonest to expire (the wallet identities: the Fabric CA issues them for a year, cryptogen the node
// certificates for ten), and warns of those within HL_CERT_WARN_DAYS.
func TestStatusShowsCertificateExpiry(t *testing.T) {
	dir := "HL_NETWORK_DIR=" + stateDir(t)
	out, err := env.networkOutputEnv([]string{dir, "HL_CERT_WARN_DAYS=30"}, "status")
	require.NoError(t, err, out)
	m := regexp.MustCompile(`certificates: (\d+); 0 expired or due within 30 days`).FindStringSubmatch(out)
	require.NotNil(t, m, out)
	n, err := strconv.Atoi(m[1])
	require.NoError(t, err)
	// 3 orderers and 3 peers (node and TLS), 4 CA servers' TLS, 4 CAs and 4 TLS CAs, 4 admins (and
	// their TLS), and the wallet: at least 13 identities and the 3 registrars.
	require.GreaterOrEqual(t, n, 6*2+4+4+4+4*2+16, out)
	require.Regexp(t, `\n    \d{4}-\d{2}-\d{2}    36\d d  wallet    `, out, "the soonest are the wallet identities")
	require.NotContains(t, out, "warning:")

	out, err = env.networkOutputEnv([]string{dir, "HL_CERT_WARN_DAYS=400"}, "status")
	require.NoError(t, err, out)
	require.Regexp(t, `warning: expires in 36\d days \(\d{4}-\d{2}-\d{2}\): wallet certificate of registrar\.`, out)
	require.NotRegexp(t, `warning: .* (node|tls|ca|tlsca) certificate`, out, "node certificates last ten years")

	out, err = env.networkOutputEnv([]string{dir, "HL_CERT_WARN_DAYS=soon"}, "status")
	require.Error(t, err)
	require.Contains(t, out, "HL_CERT_WARN_DAYS must be a whole number of days from 0 to 3650, not 'soon'")
}
