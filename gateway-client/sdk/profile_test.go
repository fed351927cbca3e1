package sdk

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAProfileResolvesItsPathsAgainstItsFolder(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hospital.json")
	require.NoError(t, os.WriteFile(path, []byte(`{"name":"hospital","mspId":"HospitalMSP","channel":"healthchannel",
 "peers":[{"name":"peer0","endpoint":"127.0.0.1:7051","tlsCACert":"../crypto/tls.pem","hostOverride":"peer0.hospital.healthledger.test"},
          {"name":"peer1","endpoint":"127.0.0.1:8051","tlsCACert":"/abs/tls.pem"}],
 "ca":{"name":"ca-hospital","url":"https://127.0.0.1:7054","tlsCACert":"../crypto/ca.pem"},
 "wallet":"../wallet"}`), 0o644))
	p, err := LoadProfile(path)
	require.NoError(t, err)
	parent := filepath.Dir(dir)
	require.Equal(t, filepath.Join(parent, "crypto", "tls.pem"), p.Peers[0].TLSCACert)
	require.Equal(t, "/abs/tls.pem", p.Peers[1].TLSCACert)
	require.Equal(t, filepath.Join(parent, "crypto", "ca.pem"), p.CA.TLSCACert)
	require.Equal(t, filepath.Join(parent, "wallet"), p.Wallet)
	require.Equal(t, path, p.Path())
}

func TestABadProfileIsRefusedWithEveryProblem(t *testing.T) {
	_, err := ParseProfile([]byte(`{"peers":[{"name":"p"}],"ca":{"url":"http://x"}}`), "/tmp/p.json")
	require.ErrorContains(t, err, "mspId is missing")
	require.ErrorContains(t, err, "channel is missing")
	require.ErrorContains(t, err, "peers[0]: endpoint is missing")
	require.ErrorContains(t, err, "is not https")
}

// fullProfile is a profile with every field set, as network.sh writes it.
func fullProfile() *Profile {
	return &Profile{
		Name: "hospital", MSPID: "HospitalMSP", Channel: "healthchannel",
		Peers: []PeerEndpoint{{Name: "peer0.hospital.healthledger.test", Endpoint: "127.0.0.1:7051",
			TLSCACert: "../crypto/tlsca.pem", HostOverride: "peer0.hospital.healthledger.test"}},
		CA:               &CAEndpoint{Name: "ca-hospital", URL: "https://127.0.0.1:7054", TLSCACert: "../crypto/ca.crt", Registrar: "registrar.hospital"},
		AdminMSP:         "../crypto/users/Admin@hospital.healthledger.test/msp",
		Wallet:           "../wallet",
		ChaincodeServers: &ChaincodeServers{Host: "127.0.0.1", PortBase: 11000},
	}
}

func TestAWrittenProfileIsWhatNetworkShWroteAndReadsBack(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hospital.json")
	require.NoError(t, WriteProfile(path, fullProfile()))

	data, err := os.ReadFile(path)
	require.NoError(t, err)
	// The layout jq wrote before: two-space indent, this key order, no HTML escapes, a final newline.
	require.Equal(t, `{
  "name": "hospital",
  "mspId": "HospitalMSP",
  "channel": "healthchannel",
  "peers": [
    {
      "name": "peer0.hospital.healthledger.test",
      "endpoint": "127.0.0.1:7051",
      "tlsCACert": "../crypto/tlsca.pem",
      "hostOverride": "peer0.hospital.healthledger.test"
    }
  ],
  "ca": {
    "name": "ca-hospital",
    "url": "https://127.0.0.1:7054",
    "tlsCACert": "../crypto/ca.crt",
    "registrar": "registrar.hospital"
  },
  "adminMsp": "../crypto/users/Admin@hospital.healthledger.test/msp",
  "wallet": "../wallet",
  "chaincodeServers": {
    "host": "127.0.0.1",
    "portBase": 11000
  }
}
`, string(data))
	st, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o644), st.Mode().Perm())

	p, err := LoadProfile(path)
	require.NoError(t, err)
	parent := filepath.Dir(dir)
	require.Equal(t, "registrar.hospital", p.CA.Registrar)
	require.Equal(t, filepath.Join(parent, "crypto", "users", "Admin@hospital.healthledger.test", "msp"), p.AdminMSP)
	require.Equal(t, &ChaincodeServers{Host: "127.0.0.1", PortBase: 11000}, p.ChaincodeServers)

	t.Run("the optional fields are left out when unset", func(t *testing.T) {
		bare := fullProfile()
		bare.CA, bare.AdminMSP, bare.Wallet, bare.ChaincodeServers = nil, "", "", nil
		bare.Peers[0].HostOverride = ""
		require.NoError(t, WriteProfile(path, bare))
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		for _, key := range []string{"ca", "adminMsp", "wallet", "chaincodeServers", "hostOverride"} {
			require.NotContains(t, string(data), `"`+key+`"`)
		}
	})
}

func TestWriteProfileRefusesWhatLoadProfileRefuses(t *testing.T) {
	cases := []struct {
		name   string
		change func(*Profile)
		want   string
	}{
		{"a profile without an MSP id is refused", func(p *Profile) { p.MSPID = "" }, "mspId is missing"},
		{"a profile without peers is refused", func(p *Profile) { p.Peers = nil }, "no peers listed"},
		{"a CA that is not https is refused", func(p *Profile) { p.CA.URL = "http://127.0.0.1:7054" }, "is not https"},
		{"chaincode servers without a port base are refused", func(p *Profile) { p.ChaincodeServers.PortBase = 0 }, "chaincodeServers"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := fullProfile()
			tc.change(p)
			path := filepath.Join(t.TempDir(), "p.json")
			require.ErrorContains(t, WriteProfile(path, p), tc.want)
			require.NoFileExists(t, path)
		})
	}
}
