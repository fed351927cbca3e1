package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/healthledger/healthledger/gateway-client/sdk"
	"github.com/stretchr/testify/require"
)

// defaultLayoutFacts are the flags network.sh passes to `hlctl network profiles` for the default
// layout (port offset 0), with its state folder at root.
func defaultLayoutFacts(root string) []string {
	crypto := filepath.Join(root, "crypto")
	args := []string{"network", "profiles", "--dir", filepath.Join(root, "profiles"), "--layout", "default",
		"--channel", "healthchannel", "--wallet-dir", filepath.Join(root, "wallet"),
		"--orderer", "127.0.0.1:7050",
		"--orderer-tls-ca", filepath.Join(crypto, "ordererOrganizations/orderer.healthledger.test/tlsca/tlsca.orderer.healthledger.test-cert.pem")}
	orgs := []struct{ name, msp, port, caPort, ccBase, roles string }{
		{"hospital", "HospitalMSP", "7051", "7054", "11000", "patient,provider,pharmacist"},
		{"pharma", "PharmaMSP", "8051", "8054", "11100", "manufacturer,distributor"},
		{"insurer", "InsurerMSP", "9051", "9054", "11200", "insurer,auditor"},
	}
	for _, o := range orgs {
		d := o.name + ".healthledger.test"
		org := filepath.Join(crypto, "peerOrganizations", d)
		args = append(args, "--org", o.name+"="+o.msp, "--roles", o.name+"="+o.roles,
			"--peer", o.name+"=127.0.0.1:"+o.port, "--peer-host", o.name+"=peer0."+d,
			"--peer-tls-ca", o.name+"="+filepath.Join(org, "tlsca", "tlsca."+d+"-cert.pem"),
			"--ca-name", o.name+"=ca-"+o.name, "--ca-url", o.name+"=https://127.0.0.1:"+o.caPort,
			"--ca-tls-ca", o.name+"="+filepath.Join(org, "peers", "ca."+d, "tls", "ca.crt"),
			"--registrar", o.name+"=registrar."+o.name,
			"--admin-msp", o.name+"="+filepath.Join(org, "users", "Admin@"+d, "msp"),
			"--chaincode-servers", o.name+"=127.0.0.1:"+o.ccBase)
	}
	for _, u := range []string{
		"patient1=hospital:patient:pat-7f3a9c21", "patient2=hospital:patient:pat-2b8e4d10",
		"patient3=hospital:patient:pat-c91d05e7", "provider1=hospital:provider:1003000126",
		"provider2=hospital:provider:1003000134", "pharmacist1=hospital:pharmacist:0614141000029",
		"manufacturer1=pharma:manufacturer:0614141000005", "distributor1=pharma:distributor:0614141000012",
		"insurer1=insurer:insurer:PAYER-0001", "auditor1=insurer:auditor:AUD-0001",
	} {
		args = append(args, "--user", u)
	}
	return append(args, "--chaincodes", "baseline", "--chaincodes", "consent,provenance,claims")
}

func TestNetworkProfilesWritesWhatJqWrote(t *testing.T) {
	root := t.TempDir()
	out, errOut, code := runHlctl(t, nil, nil, append(defaultLayoutFacts(root), "--json")...)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, filepath.Join(root, "profiles", "network.json"))

	for _, name := range []string{"hospital.json", "pharma.json", "insurer.json", "network.json"} {
		want, err := os.ReadFile(filepath.Join("testdata", "jq-profiles", name))
		require.NoError(t, err)
		got, err := os.ReadFile(filepath.Join(root, "profiles", name))
		require.NoError(t, err)
		require.Equal(t, string(want), string(got), name)
	}

	t.Run("the SDK reads what it wrote", func(t *testing.T) {
		n, err := sdk.LoadNetwork(filepath.Join(root, "profiles"))
		require.NoError(t, err)
		require.Equal(t, filepath.Join(root, "wallet"), n.WalletDir())
		p, err := n.Profile("pharma")
		require.NoError(t, err)
		require.Equal(t, "registrar.pharma", p.CA.Registrar)
		require.Equal(t, filepath.Join(root, "crypto/peerOrganizations/pharma.healthledger.test/users/Admin@pharma.healthledger.test/msp"), p.AdminMSP)
		require.Equal(t, &sdk.ChaincodeServers{Host: "127.0.0.1", PortBase: 11100}, p.ChaincodeServers)
	})
}

func TestNetworkProfilesRefusesBadFactsAndWritesNothing(t *testing.T) {
	cases := []struct {
		name   string
		change func(args []string) []string
		want   string
	}{
		{"a fact about an org that is not an --org is refused", func(a []string) []string {
			return append(a, "--peer", "mars=127.0.0.1:1")
		}, "mars is not an --org"},
		{"a fact given twice for one org is refused", func(a []string) []string {
			return append(a, "--roles", "pharma=auditor")
		}, "--roles is given twice for pharma"},
		{"an org given twice is refused", func(a []string) []string {
			return append(a, "--org", "pharma=OtherMSP")
		}, "--org pharma is given twice"},
		{"a fact that is not org=value is refused", func(a []string) []string {
			return append(a, "--peer", "127.0.0.1:7051")
		}, "want name=value"},
		{"chaincode servers without a port are refused", func(a []string) []string {
			return replaceFact(a, "--chaincode-servers", "hospital=127.0.0.1")
		}, "want host:port"},
		{"a user of an unlisted org is refused", func(a []string) []string {
			return append(a, "--user", "x=mars:patient:pat-1")
		}, "needs a name and a listed org"},
		{"an org without a peer is refused", func(a []string) []string {
			return removeFact(a, "--peer", "insurer=")
		}, "the profile of insurer"},
		{"a CA without https is refused", func(a []string) []string {
			return replaceFact(a, "--ca-url", "hospital=http://127.0.0.1:7054")
		}, "is not https"},
		{"no --dir is refused", func(a []string) []string {
			return removeFact(a, "--dir", "")
		}, "--dir, --channel and at least one --org are required"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			out, errOut, code := runHlctl(t, nil, nil, tc.change(defaultLayoutFacts(root))...)
			require.Equal(t, 2, code, errOut)
			require.Empty(t, out)
			require.Contains(t, errOut, tc.want)
			require.Equal(t, 1, strings.Count(errOut, "\n"), errOut)
			require.NoDirExists(t, filepath.Join(root, "profiles"))
		})
	}
}

// replaceFact replaces the value of the first flag whose value starts like value (up to its '=').
func replaceFact(args []string, flag, value string) []string {
	prefix, _, _ := strings.Cut(value, "=")
	out := append([]string(nil), args...)
	for i := 0; i+1 < len(out); i++ {
		if out[i] == flag && strings.HasPrefix(out[i+1], prefix+"=") {
			out[i+1] = value
			return out
		}
	}
	panic("no " + flag + " " + prefix)
}

// removeFact removes the first flag whose value starts with prefix.
func removeFact(args []string, flag, prefix string) []string {
	for i := 0; i+1 < len(args); i++ {
		if args[i] == flag && strings.HasPrefix(args[i+1], prefix) {
			return append(append([]string(nil), args[:i]...), args[i+2:]...)
		}
	}
	panic("no " + flag + " " + prefix)
}
