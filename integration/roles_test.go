//go:build integration

package integration

// Roles belong to organisations, by consortium decision, tried on the live network with a raw
// fabric-gateway client (github.com/hyperledger/fabric-gateway/pkg/client: rawConnect, rawAdminOf in
// acl_test.go), never the project's SDK:
//
//   - an org's own CA, through its registrar, mints a certificate with a role the consortium map does
//     not give that org, with the subject of a real holder of the role; every transaction of consent,
//     provenance and claims that the role opens refuses it with FORBIDDEN;
//   - SetConsortium endorsed by one org's peer only is invalid at commit (ENDORSEMENT_POLICY_FAILURE)
//     and the map stays as it was; SetConsortium by a client that is no org admin is FORBIDDEN.

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/wire"
	"github.com/healthledger/healthledger/gateway-client/sdk"
	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/status"
)

// rolesChaincodes are the chaincodes whose role checks the tests try, where deployed.
var rolesChaincodes = []string{"consent", "provenance", "claims"}

// rolesDeployed returns the rolesChaincodes the network has, or skips.
func rolesDeployed(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, cc := range rolesChaincodes {
		if slices.Contains(env.net.Chaincodes(), cc) {
			out = append(out, cc)
		}
	}
	if len(out) == 0 {
		t.Skip("none of consent, provenance, claims is deployed")
	}
	return out
}

// rolesErrCode is the chaincode's stable code in a raw gateway error (the per-peer details of an
// endorsement failure first, then the status message), or "" when it carries none.
func rolesErrCode(err error) codes.Code {
	if err == nil {
		return ""
	}
	msgs := []string{err.Error()}
	if st, ok := status.FromError(err); ok {
		msgs = append(msgs, st.Message())
		for _, d := range st.Details() {
			if m, ok := d.(interface{ GetMessage() string }); ok {
				msgs = append(msgs, m.GetMessage())
			}
		}
	}
	for _, m := range msgs {
		for _, c := range codes.All() {
			if strings.Contains(m, string(c)+":") {
				return c
			}
		}
	}
	return ""
}

// rolesMint has org's CA (its registrar, from the wallet) register and enroll a client with the given
// role and subject: what a member org's admin can always do with its own CA.
func rolesMint(t *testing.T, org, role, subject string) *sdk.Credentials {
	t.Helper()
	prof, err := env.net.Profile(org)
	require.NoError(t, err)
	require.NotNil(t, prof.CA, "the %s profile names no CA", org)
	ca, err := sdk.NewCAClient(*prof.CA)
	require.NoError(t, err)
	registrar := walletCreds(t, "registrar."+org)
	name := unique("rogue-" + role + "-" + org)
	secret, err := ca.Register(ctx(t), registrar, sdk.RegisterRequest{Name: name, Attributes: []sdk.Attribute{
		{Name: "role", Value: role, ECert: true}, {Name: "subject", Value: subject, ECert: true},
	}})
	require.NoError(t, err, "registering %s at the CA of %s", name, org)
	creds, err := ca.Enroll(ctx(t), sdk.EnrollRequest{Name: name, Secret: secret})
	require.NoError(t, err, "enrolling %s at the CA of %s", name, org)
	creds.Info.Name, creds.Info.Org, creds.Info.MSPID = name, org, prof.MSPID
	return creds
}

// rolesTx is one transaction of a chaincode, from its contract metadata.
type rolesTx struct {
	name   string
	params []string // each parameter's JSON schema type
}

// rolesTransactions reads a chaincode's transactions from its metadata, the inherited consortium
// transactions left out.
func rolesTransactions(t *testing.T, c *rawClient, cc string) []rolesTx {
	t.Helper()
	raw, err := c.net.GetContract(cc).EvaluateTransaction("org.hyperledger.fabric:GetMetadata")
	require.NoError(t, err, "the metadata of %s", cc)
	var meta struct {
		Contracts map[string]struct {
			Transactions []struct {
				Name       string `json:"name"`
				Parameters []struct {
					Schema struct {
						Type string `json:"type"`
					} `json:"schema"`
				} `json:"parameters"`
			} `json:"transactions"`
		} `json:"contracts"`
	}
	require.NoError(t, json.Unmarshal(raw, &meta))
	var out []rolesTx
	for name, contract := range meta.Contracts {
		if strings.HasPrefix(name, "org.hyperledger.fabric") {
			continue // contractapi's system contract
		}
		for _, tx := range contract.Transactions {
			if _, shared := map[string]bool{"SetConsortium": true, "GetConsortium": true}[tx.Name]; shared {
				continue
			}
			r := rolesTx{name: tx.Name}
			for _, p := range tx.Parameters {
				r.params = append(r.params, p.Schema.Type)
			}
			out = append(out, r)
		}
	}
	require.NotEmpty(t, out, "%s declares no transaction", cc)
	return out
}

// placeholders are arguments of the right count and type: they reach the contract's own checks.
func (tx rolesTx) placeholders() []string {
	args := make([]string, len(tx.params))
	for i, typ := range tx.params {
		switch typ {
		case "integer", "number":
			args[i] = "0"
		case "boolean":
			args[i] = "false"
		default:
			args[i] = "x"
		}
	}
	return args
}

// rolesMap is the consortium map as GetConsortium answers it (chaincode/internal/orgroles.Map, which
// this package may not import).
type rolesMap struct {
	Roles       map[string][]string `json:"roles"`
	GS1Prefixes map[string][]string `json:"gs1Prefixes"`
	Version     int                 `json:"version"`
}

func (m *rolesMap) Allows(role, mspID string) bool { return slices.Contains(m.Roles[role], mspID) }

// Equal compares roles and prefixes as sets; versions are left out.
func (m *rolesMap) Equal(o *rolesMap) bool {
	norm := func(x map[string][]string) string {
		c := map[string][]string{}
		for k, v := range x {
			v = slices.Clone(v)
			slices.Sort(v)
			c[k] = v
		}
		raw, _ := json.Marshal(c) // map keys are sorted by encoding/json
		return string(raw)
	}
	return norm(m.Roles) == norm(o.Roles) && norm(m.GS1Prefixes) == norm(o.GS1Prefixes)
}

// rolesConsortium reads the map as c sees it on cc.
func rolesConsortium(t *testing.T, c *rawClient, cc string) *rolesMap {
	t.Helper()
	raw, err := c.net.GetContract(cc).EvaluateTransaction("GetConsortium")
	require.NoError(t, err, "GetConsortium of %s", cc)
	var m rolesMap
	require.NoError(t, json.Unmarshal(raw, &m))
	return &m
}

func TestARoleFromAnOrgNotEntitledToItIsForbiddenEverywhere(t *testing.T) {
	ccs := rolesDeployed(t)
	orgs := env.net.Orgs()
	require.GreaterOrEqual(t, len(orgs), 2)
	admin := rawAdminOf(t, orgs[0].Name)
	m := rolesConsortium(t, admin, ccs[0])
	txs := map[string][]rolesTx{}
	for _, cc := range ccs {
		txs[cc] = rolesTransactions(t, admin, cc)
	}
	for _, role := range wire.Roles() {
		t.Run(role, func(t *testing.T) {
			holders := env.net.Identities(role)
			require.NotEmpty(t, holders, "the network has no %s identity", role)
			holder := holders[0]
			require.True(t, m.Allows(role, holder.MSPID), "the map grants %s to %v, not to the layout's %s", role, m.Roles[role], holder.MSPID)
			real := rawClientOf(t, holder.Name)
			tried := 0
			for _, o := range orgs {
				if m.Allows(role, o.MSPID) {
					continue
				}
				rogue := rawConnect(t, o.Name, "rogue "+role+" of "+o.Name, rolesMint(t, o.Name, role, holder.Subject))
				for _, cc := range ccs {
					for _, tx := range txs[cc] {
						args := tx.placeholders()
						_, realErr := real.net.GetContract(cc).EvaluateTransaction(tx.name, args...)
						realCode := rolesErrCode(realErr)
						if realCode == codes.Forbidden {
							continue // the role does not open this transaction
						}
						_, err := rogue.net.GetContract(cc).EvaluateTransaction(tx.name, args...)
						require.Error(t, err, "%s.%s answered a %s of %s", cc, tx.name, role, o.MSPID)
						// Every function reads the caller before its arguments or the ledger: the rogue
						// certificate is refused for the map's reason even where the real holder's
						// placeholders fail the argument checks or name nothing, so it learns neither.
						got := rolesErrCode(err)
						require.Equal(t, codes.Forbidden, got, "%s.%s as a %s of %s (the real holder got %q): %v", cc, tx.name, role, o.MSPID, realCode, err)
						require.Contains(t, err.Error()+statusDetails(err), "consortium map", "%s.%s refuses for the map's reason", cc, tx.name)
						tried++
					}
				}
			}
			if tried == 0 {
				t.Skipf("every org of the network is entitled to %s", role)
			}
			t.Logf("%s: %d calls by certificates of orgs not entitled to it FORBIDDEN, none refused earlier for its arguments", role, tried)
		})
	}

	t.Run("a submit is refused at endorsement and writes nothing", func(t *testing.T) {
		o, ok := rolesUnentitled(m, wire.RoleProvider, orgs)
		if !ok {
			t.Skip("every org may hold provider")
		}
		rogue := rawConnect(t, o.Name, "rogue provider", rolesMint(t, o.Name, wire.RoleProvider, identity(t, wire.RoleProvider, 0).Subject))
		for _, cc := range ccs {
			for _, tx := range txs[cc] {
				_, err := rogue.net.GetContract(cc).Submit(tx.name, client.WithArguments(tx.placeholders()...))
				if err == nil {
					t.Errorf("%s.%s committed for a provider of %s", cc, tx.name, o.MSPID)
					continue
				}
				var endorseErr *client.EndorseError
				if !errors.As(err, &endorseErr) {
					t.Errorf("%s.%s failed past endorsement: %v", cc, tx.name, err)
				}
			}
		}
	})
}

// rolesUnentitled returns an org the map does not give role.
func rolesUnentitled(m *rolesMap, role string, orgs []sdk.OrgInfo) (sdk.OrgInfo, bool) {
	for _, o := range orgs {
		if !m.Allows(role, o.MSPID) {
			return o, true
		}
	}
	return sdk.OrgInfo{}, false
}

// statusDetails is the text of a gRPC error's per-peer details.
func statusDetails(err error) string {
	st, ok := status.FromError(err)
	if !ok {
		return ""
	}
	var b strings.Builder
	for _, d := range st.Details() {
		if m, ok := d.(interface{ GetMessage() string }); ok {
			b.WriteString(" " + m.GetMessage())
		}
	}
	return b.String()
}

func TestTheConsortiumMapChangesOnlyWithAMajority(t *testing.T) {
	ccs := rolesDeployed(t)
	orgs := env.net.Orgs()
	require.GreaterOrEqual(t, len(orgs), 2, "a majority of one org is that org")
	admin := rawAdminOf(t, orgs[0].Name)
	for _, cc := range ccs {
		t.Run(cc, func(t *testing.T) {
			before := rolesConsortium(t, admin, cc)
			next := *before
			next.Version = before.Version + 1
			next.Roles = map[string][]string{}
			for role, msps := range before.Roles {
				next.Roles[role] = slices.Clone(msps)
			}
			// The change an org would like alone: every role for itself.
			for _, role := range wire.Roles() {
				if !slices.Contains(next.Roles[role], orgs[0].MSPID) {
					next.Roles[role] = append(next.Roles[role], orgs[0].MSPID)
				}
			}
			raw, err := json.Marshal(next)
			require.NoError(t, err)

			t.Run("endorsed by one org only, it is invalid at commit", func(t *testing.T) {
				prop, err := admin.net.GetContract(cc).NewProposal("SetConsortium", client.WithArguments(string(raw)),
					client.WithEndorsingOrganizations(orgs[0].MSPID))
				require.NoError(t, err)
				tx, err := prop.EndorseWithContext(ctx(t))
				require.NoError(t, err, "the org's own peer endorses")
				commit, err := tx.SubmitWithContext(ctx(t))
				require.NoError(t, err)
				st, err := commit.StatusWithContext(ctx(t))
				require.NoError(t, err)
				require.False(t, st.Successful)
				require.Equal(t, peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE, st.Code)
				for _, o := range orgs {
					eventually(t, "the map of "+cc+" unchanged on "+o.Name, func() error {
						got := rolesConsortium(t, rawAdminOf(t, o.Name), cc)
						if got.Version != before.Version || !got.Equal(before) {
							return errors.New("the map changed")
						}
						return nil
					})
				}
			})

			t.Run("a client that is no org admin is FORBIDDEN", func(t *testing.T) {
				for _, role := range []string{wire.RolePatient, wire.RoleAuditor} {
					c := rawClientOf(t, identity(t, role, 0).Name)
					_, err := c.net.GetContract(cc).Submit("SetConsortium", client.WithArguments(string(raw)))
					require.Equal(t, codes.Forbidden, rolesErrCode(err), "%s: %v", role, err)
				}
				require.Equal(t, before.Version, rolesConsortium(t, admin, cc).Version)
			})
		})
	}
}
