package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/healthledger/healthledger/gateway-client/sdk"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// networkGroup is `hlctl network ...`: the files that describe a network.
func networkGroup(env *Env) *cobra.Command {
	return group("network", "write the files that describe a network (connection profiles, network.json)", coreGroupID,
		profilesCommand(env),
		readersOUCommand(env),
	)
}

const profilesLong = `Writes one connection profile per org (<dir>/<org>.json) and <dir>/network.json, in the schema of
the SDK's Profile and NetworkDescription types, from facts given as flags. network.sh up calls it; so
can anyone describing another network for hlctl, the SDK and network.sh deploy --target.

Facts about an org are given as ORG=VALUE, one flag per fact, each flag once per org; --org lists
the orgs in order. Paths are read relative to the current folder and written relative to --dir, so
the folder moves with the network. Files are checked as the SDK reads them before any is written.`

const profilesExample = `  hlctl network profiles --dir .network/profiles --layout default --channel healthchannel \
    --wallet-dir .network/wallet \
    --orderer 127.0.0.1:7050 --orderer-tls-ca .network/crypto/ordererOrganizations/.../tlsca.pem \
    --org hospital=HospitalMSP --roles hospital=patient,provider,pharmacist \
    --peer hospital=127.0.0.1:7051 --peer-host hospital=peer0.hospital.healthledger.test \
    --peer-tls-ca hospital=.network/crypto/peerOrganizations/.../tlsca.pem \
    --ca-name hospital=ca-hospital --ca-url hospital=https://127.0.0.1:7054 \
    --ca-tls-ca hospital=.network/crypto/.../ca.crt --registrar hospital=registrar.hospital \
    --admin-msp hospital=.network/crypto/.../users/Admin@hospital.healthledger.test/msp \
    --chaincode-servers hospital=127.0.0.1:11000 --events-identity hospital=events.hospital \
    --user patient1=hospital:patient:pat-7f3a9c21 --chaincodes baseline,consent`

// profilesFlags are the facts `network profiles` writes.
type profilesFlags struct {
	dir, layout, channel, walletDir string
	orderer, ordererTLSCA           string
	orgs                            *[]string
	chaincodes                      *[]string
	users                           *[]string
	// byOrg are the ORG=VALUE facts, by flag name.
	byOrg map[string]*[]string
}

// profilesOrgFlags are the ORG=VALUE flags and their usage.
func profilesOrgFlags() [][2]string {
	return [][2]string{
		{"roles", "`org=roles` its members hold, comma separated"},
		{"peer", "`org=host:port` of its gateway peer"},
		{"peer-host", "`org=name` of its peer: the host name in the peer's TLS certificate"},
		{"peer-tls-ca", "`org=file` of the CA that signed the peer's TLS certificate"},
		{"ca-url", "`org=url` of its Fabric CA (https)"},
		{"ca-name", "`org=name` of its CA within the CA server"},
		{"ca-tls-ca", "`org=file` of the CA that signed the CA server's TLS certificate"},
		{"registrar", "`org=name` of the wallet entry that registers users with its CA"},
		{"admin-msp", "`org=folder` of an admin's MSP (for network.sh deploy and hlprobe)"},
		{"chaincode-servers", "`org=host:port` where its chaincode servers listen: the address of port index 0"},
		{"events-identity", "`org=name` of the wallet entry of its events service identity (the one its event streams read blocks as)"},
	}
}

func profilesCommand(env *Env) *cobra.Command {
	cmd := command("profiles --dir <folder> --channel <name> --org <org>=<msp-id> ...",
		"write the connection profiles and network.json from facts (orgs, MSP ids, ports, paths)",
		func(fs *pflag.FlagSet) Runner {
			f := &profilesFlags{byOrg: map[string]*[]string{}}
			fs.StringVar(&f.dir, "dir", "", "profiles `folder` to write (created if missing)")
			fs.StringVar(&f.layout, "layout", "", "the network's layout `name`")
			fs.StringVar(&f.channel, "channel", "", "the application `channel`")
			fs.StringVar(&f.walletDir, "wallet-dir", "", "the wallet `folder` the profiles point at")
			fs.StringVar(&f.orderer, "orderer", "", "`host:port` of an orderer")
			fs.StringVar(&f.ordererTLSCA, "orderer-tls-ca", "", "`file` of the CA that signed the orderer's TLS certificate")
			f.orgs = fs.StringArray("org", nil, "a peer org as `org=msp-id` (repeat, in order)")
			for _, o := range profilesOrgFlags() {
				f.byOrg[o[0]] = fs.StringArray(o[0], nil, o[1])
			}
			f.users = fs.StringArray("user", nil, "a demo identity as `name=org:role:subject` (repeat)")
			f.chaincodes = fs.StringSlice("chaincodes", nil, "`names` of the chaincodes deployed (comma separated or repeated)")
			return func(_ context.Context, args []string) error {
				if len(args) != 0 {
					return Usagef("network profiles takes no arguments (use flags)")
				}
				return writeProfiles(env, f)
			}
		})
	cmd.Long = profilesLong
	cmd.Example = profilesExample
	return cmd
}

// writeProfiles builds the files from the facts, checks them all, then writes them.
func writeProfiles(env *Env, f *profilesFlags) error {
	if f.dir == "" || f.channel == "" || len(*f.orgs) == 0 {
		return Usagef("network profiles: --dir, --channel and at least one --org are required")
	}
	desc, profiles, err := f.build()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(f.dir, 0o755); err != nil {
		return fmt.Errorf("profiles folder: %w", err)
	}
	written := []string{}
	for i, p := range profiles {
		path := filepath.Join(f.dir, desc.Orgs[i].Profile)
		if err := sdk.WriteProfile(path, p); err != nil {
			return err
		}
		written = append(written, path)
	}
	if err := sdk.WriteNetwork(f.dir, desc); err != nil {
		return err
	}
	written = append(written, filepath.Join(f.dir, sdk.NetworkFile))
	return env.Print(struct {
		Written []string `json:"written"`
	}{written})
}

// build turns the facts into network.json and one profile per org, in the order of --org.
func (f *profilesFlags) build() (*sdk.NetworkDescription, []*sdk.Profile, error) {
	rel := func(path string) (string, error) { return relativeTo(f.dir, path) }
	var orgNames []string
	msp := map[string]string{}
	for _, kv := range *f.orgs {
		org, id, err := splitFact("org", kv)
		if err != nil {
			return nil, nil, err
		}
		if _, dup := msp[org]; dup {
			return nil, nil, Usagef("--org %s is given twice", org)
		}
		orgNames = append(orgNames, org)
		msp[org] = id
	}
	facts := map[string]map[string]string{}
	for name, values := range f.byOrg {
		facts[name] = map[string]string{}
		for _, kv := range *values {
			org, v, err := splitFact(name, kv)
			if err != nil {
				return nil, nil, err
			}
			if _, ok := msp[org]; !ok {
				return nil, nil, Usagef("--%s %s: %s is not an --org", name, kv, org)
			}
			if _, dup := facts[name][org]; dup {
				return nil, nil, Usagef("--%s is given twice for %s", name, org)
			}
			facts[name][org] = v
		}
	}
	wallet, err := rel(f.walletDir)
	if err != nil {
		return nil, nil, err
	}
	desc := &sdk.NetworkDescription{Layout: f.layout, Channel: f.channel, Wallet: wallet, Chaincodes: listValues(*f.chaincodes)}
	if f.orderer != "" || f.ordererTLSCA != "" {
		tls, err := rel(f.ordererTLSCA)
		if err != nil {
			return nil, nil, err
		}
		desc.Orderer = &sdk.OrdererEndpoint{Endpoint: f.orderer, TLSCACert: tls}
	}
	var profiles []*sdk.Profile
	for _, org := range orgNames {
		fact := func(name string) string { return facts[name][org] }
		desc.Orgs = append(desc.Orgs, sdk.OrgInfo{Name: org, MSPID: msp[org], Profile: org + ".json", Roles: listValues(strings.Split(fact("roles"), ","))})
		p := &sdk.Profile{Name: org, MSPID: msp[org], Channel: f.channel, Wallet: wallet}
		if fact("peer") != "" || fact("peer-tls-ca") != "" {
			tls, err := rel(fact("peer-tls-ca"))
			if err != nil {
				return nil, nil, err
			}
			host := fact("peer-host")
			name := host
			if name == "" {
				name = fact("peer")
			}
			p.Peers = []sdk.PeerEndpoint{{Name: name, Endpoint: fact("peer"), TLSCACert: tls, HostOverride: host}}
		}
		if fact("ca-url") != "" || fact("ca-tls-ca") != "" || fact("ca-name") != "" || fact("registrar") != "" {
			tls, err := rel(fact("ca-tls-ca"))
			if err != nil {
				return nil, nil, err
			}
			p.CA = &sdk.CAEndpoint{Name: fact("ca-name"), URL: fact("ca-url"), TLSCACert: tls, Registrar: fact("registrar")}
		}
		if name := fact("events-identity"); name != "" {
			p.EventsIdentity = name
		}
		if p.AdminMSP, err = rel(fact("admin-msp")); err != nil {
			return nil, nil, err
		}
		if s := fact("chaincode-servers"); s != "" {
			host, port, err := net.SplitHostPort(s)
			n, perr := strconv.Atoi(port)
			if err != nil || perr != nil {
				return nil, nil, Usagef("--chaincode-servers %s=%s: want host:port", org, s)
			}
			p.ChaincodeServers = &sdk.ChaincodeServers{Host: host, PortBase: n}
		}
		profiles = append(profiles, p)
	}
	for _, kv := range *f.users {
		name, v, err := splitFact("user", kv)
		if err != nil {
			return nil, nil, err
		}
		parts := strings.SplitN(v, ":", 3)
		if len(parts) != 3 {
			return nil, nil, Usagef("--user %s: want name=org:role:subject", kv)
		}
		desc.Identities = append(desc.Identities, sdk.IdentityInfo{Name: name, Org: parts[0], MSPID: msp[parts[0]], Role: parts[1], Subject: parts[2]})
	}
	// Check everything before writing anything: a half-written folder would mix two networks.
	for _, p := range profiles {
		if err := p.Check(); err != nil {
			return nil, nil, Usagef("the profile of %s: %v", p.Name, err)
		}
	}
	if err := desc.Check(); err != nil {
		return nil, nil, Usagef("network.json: %v", err)
	}
	return desc, profiles, nil
}

// splitFact splits the value of --flag, NAME=VALUE.
func splitFact(flag, kv string) (string, string, error) {
	name, value, ok := strings.Cut(kv, "=")
	if !ok || name == "" {
		return "", "", Usagef("--%s %q: want name=value", flag, kv)
	}
	return name, value, nil
}

// relativeTo returns path relative to dir ("" stays ""); both are taken relative to the current
// folder.
func relativeTo(dir, path string) (string, error) {
	if path == "" {
		return "", nil
	}
	absDir, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("profiles folder: %w", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("path %s: %w", path, err)
	}
	rel, err := filepath.Rel(absDir, abs)
	if err != nil {
		return "", fmt.Errorf("path %s: %w", path, err)
	}
	return rel, nil
}
