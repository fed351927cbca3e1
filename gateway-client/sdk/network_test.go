package sdk

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

const networkJSON = `{"layout":"default","channel":"healthchannel","wallet":"../wallet",
 "orgs":[{"name":"hospital","mspId":"HospitalMSP","profile":"hospital.json","roles":["patient","provider","pharmacist"]},
         {"name":"pharma","mspId":"PharmaMSP","profile":"pharma.json","roles":["manufacturer","distributor"]},
         {"name":"insurer","mspId":"InsurerMSP","profile":"insurer.json","roles":["insurer","auditor"]}],
 "identities":[{"name":"patient1","org":"hospital","mspId":"HospitalMSP","role":"patient","subject":"pat-7f3a9c21"},
               {"name":"provider1","org":"hospital","mspId":"HospitalMSP","role":"provider","subject":"1003000126"},
               {"name":"insurer1","org":"insurer","mspId":"InsurerMSP","role":"insurer","subject":"PAYER-0001"}],
 "chaincodes":["baseline","consent","provenance","claims"]}`

func TestANetworkDescriptionAnswersQuestions(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, NetworkFile), []byte(networkJSON), 0o644))
	n, err := LoadNetwork(dir)
	require.NoError(t, err)

	require.Equal(t, "healthchannel", n.Channel())
	require.Equal(t, "default", n.Layout())
	require.Equal(t, filepath.Join(filepath.Dir(dir), "wallet"), n.WalletDir())
	require.Equal(t, []string{"baseline", "consent", "provenance", "claims"}, n.Chaincodes())
	require.Len(t, n.Orgs(), 3)

	t.Run("MSPForRole finds the org of a role", func(t *testing.T) {
		require.Equal(t, "PharmaMSP", n.MSPForRole("distributor"))
		require.Equal(t, "InsurerMSP", n.MSPForRole("auditor"))
		require.Equal(t, "", n.MSPForRole("astronaut"))
		require.Equal(t, []string{"HospitalMSP"}, n.MSPsForRole("patient"))
	})
	t.Run("Identities filters by role", func(t *testing.T) {
		require.Len(t, n.Identities(""), 3)
		got := n.Identities("provider")
		require.Len(t, got, 1)
		require.Equal(t, "provider1", got[0].Name)
		require.Equal(t, []IdentityInfo{}, n.Identities("astronaut"))
	})
	t.Run("Identity finds a listed identity", func(t *testing.T) {
		id, err := n.Identity("insurer1")
		require.NoError(t, err)
		require.Equal(t, "PAYER-0001", id.Subject)
		_, err = n.Identity("nobody")
		require.ErrorIs(t, err, ErrNotFound)
	})
	t.Run("ProfilePath resolves by org name or MSP id", func(t *testing.T) {
		p, err := n.ProfilePath("pharma")
		require.NoError(t, err)
		require.Equal(t, filepath.Join(dir, "pharma.json"), p)
		p2, err := n.ProfilePath("PharmaMSP")
		require.NoError(t, err)
		require.Equal(t, p, p2)
		_, err = n.ProfilePath("mars")
		require.ErrorIs(t, err, ErrNotFound)
	})
	t.Run("Orgs returns copies", func(t *testing.T) {
		orgs := n.Orgs()
		orgs[0].Roles[0] = "changed"
		require.Equal(t, "HospitalMSP", n.MSPForRole("patient"))
	})
}

func TestABadNetworkDescriptionIsRefused(t *testing.T) {
	cases := []struct {
		name, json, want string
	}{
		{"not JSON is refused", `{`, "unexpected end"},
		{"a missing channel is refused", `{"orgs":[{"name":"a","mspId":"A","profile":"a.json"}]}`, "channel is missing"},
		{"no orgs is refused", `{"channel":"c"}`, "no orgs"},
		{"an identity of an unknown org is refused", `{"channel":"c","orgs":[{"name":"a","mspId":"A","profile":"a.json"}],"identities":[{"name":"x","org":"b"}]}`, "listed org"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseNetwork([]byte(tc.json), "/tmp/x")
			require.ErrorContains(t, err, tc.want)
		})
	}
	_, err := LoadNetwork(t.TempDir())
	require.ErrorContains(t, err, "network.json")
}

func TestAWrittenNetworkDescriptionReadsBack(t *testing.T) {
	dir := t.TempDir()
	d := &NetworkDescription{
		Layout: "default", Channel: "healthchannel", Wallet: "../wallet",
		Orderer: &OrdererEndpoint{Endpoint: "127.0.0.1:7050", TLSCACert: "../crypto/orderer-tlsca.pem"},
		Orgs:    []OrgInfo{{Name: "hospital", MSPID: "HospitalMSP", Profile: "hospital.json"}},
	}
	require.NoError(t, WriteNetwork(dir, d))
	data, err := os.ReadFile(filepath.Join(dir, NetworkFile))
	require.NoError(t, err)
	require.Equal(t, `{
  "layout": "default",
  "channel": "healthchannel",
  "wallet": "../wallet",
  "orderer": {
    "endpoint": "127.0.0.1:7050",
    "tlsCACert": "../crypto/orderer-tlsca.pem"
  },
  "orgs": [
    {
      "name": "hospital",
      "mspId": "HospitalMSP",
      "profile": "hospital.json",
      "roles": []
    }
  ],
  "identities": [],
  "chaincodes": []
}
`, string(data), "absent lists are written as []")
	require.Nil(t, d.Orgs[0].Roles, "WriteNetwork leaves its argument alone")

	n, err := LoadNetwork(dir)
	require.NoError(t, err)
	require.Equal(t, "healthchannel", n.Channel())
	require.Equal(t, "default", n.Layout())

	t.Run("a description LoadNetwork would refuse is not written", func(t *testing.T) {
		bad := *d
		bad.Identities = []IdentityInfo{{Name: "x", Org: "mars"}}
		other := t.TempDir()
		require.ErrorContains(t, WriteNetwork(other, &bad), "listed org")
		require.NoFileExists(t, filepath.Join(other, NetworkFile))
	})
}
