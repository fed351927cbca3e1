package sdktest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/healthledger/healthledger/gateway-client/sdk"
)

// chaincodes are the chaincodes a network written by [Server.WriteNetwork] lists as deployed.
func chaincodes() []string { return []string{"baseline", "consent", "provenance", "claims"} }

// WriteNetwork writes into dir a profiles folder for ids, as `network.sh up` writes one for a live
// network, so that programs that take such a folder run against the server unchanged:
//
//   - network.json, on channel [Channel], listing the orgs of ids (in order of first appearance;
//     an id without an org belongs to one named after its MSP id: HospitalMSP gives hospital), the
//     roles each org's ids hold, the ids themselves and the four healthledger chaincodes (baseline,
//     consent, provenance, claims);
//   - <org>.json, a connection profile per org whose one peer is the server, and tlsca.pem;
//   - wallet/, credentials for each id, issued by [Server.Credentials].
//
// [sdk.LoadNetwork](dir) then reads it and [sdk.Network.Connect] connects any of ids. Every id needs
// a name.
func (s *Server) WriteNetwork(dir string, ids ...sdk.IdentityInfo) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("sdktest: %w", err)
	}
	wallet, err := sdk.OpenWallet(filepath.Join(dir, "wallet"))
	if err != nil {
		return fmt.Errorf("sdktest: %w", err)
	}
	f := sdk.NetworkDescription{Layout: "sdktest", Channel: Channel, Wallet: "wallet", Orgs: []sdk.OrgInfo{}, Identities: []sdk.IdentityInfo{},
		Chaincodes: chaincodes()}
	for _, id := range ids {
		if id.Name == "" {
			return errors.New("sdktest: write network: an identity has no name")
		}
		if id.MSPID == "" {
			id.MSPID = DefaultMSPID
		}
		id.Org = orgOf(id)
		i := slices.IndexFunc(f.Orgs, func(o sdk.OrgInfo) bool { return o.Name == id.Org })
		if i < 0 {
			f.Orgs = append(f.Orgs, sdk.OrgInfo{Name: id.Org, MSPID: id.MSPID, Profile: id.Org + ".json", Roles: []string{}})
			i = len(f.Orgs) - 1
		}
		if f.Orgs[i].MSPID != id.MSPID {
			return fmt.Errorf("sdktest: write network: org %s has MSP id %s, and %s says %s", id.Org, f.Orgs[i].MSPID, id.Name, id.MSPID)
		}
		if id.Role != "" && !slices.Contains(f.Orgs[i].Roles, id.Role) {
			f.Orgs[i].Roles = append(f.Orgs[i].Roles, id.Role)
		}
		creds, err := s.Credentials(id)
		if err != nil {
			return err
		}
		if err := wallet.Put(creds); err != nil {
			return fmt.Errorf("sdktest: %w", err)
		}
		f.Identities = append(f.Identities, id)
	}
	for _, o := range f.Orgs {
		p := s.Profile(o.Name, o.MSPID, Channel)
		p.Wallet = "wallet"
		if _, err := s.writeProfile(dir, o.Profile, p); err != nil {
			return err
		}
	}
	if err := sdk.WriteNetwork(dir, &f); err != nil {
		return fmt.Errorf("sdktest: %w", err)
	}
	return nil
}
