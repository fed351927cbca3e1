//go:build integration

package integration

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
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
	// Every orderer and peer (node and TLS), every CA (its server's TLS, the CA and the TLS CA), every
	// org's admin (and its TLS), and every wallet identity: 48 on the default layout.
	orderers := len(regexp.MustCompile(`(?m)^  orderer\d*\s`).FindAllString(out, -1))
	require.NotZero(t, orderers, out)
	peers := len(env.net.Orgs())
	cas := peers + 1 // one per org and the orderer org's
	wallet, err := os.ReadDir(filepath.Join(strings.TrimPrefix(dir, "HL_NETWORK_DIR="), "wallet"))
	require.NoError(t, err)
	identities := 0
	for _, e := range wallet {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			identities++
		}
	}
	require.GreaterOrEqual(t, n, (orderers+peers)*2+cas*3+cas*2+identities, out)
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
