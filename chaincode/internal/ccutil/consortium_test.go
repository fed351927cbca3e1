package ccutil_test

import (
	"encoding/json"
	"testing"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/internal/cctest"
	"github.com/healthledger/healthledger/chaincode/internal/ccutil"
	"github.com/healthledger/healthledger/chaincode/internal/orgroles"
	"github.com/healthledger/healthledger/chaincode/wire"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
)

func mapJSON(t *testing.T, m *orgroles.Map) string {
	t.Helper()
	raw, err := json.Marshal(m)
	require.NoError(t, err)
	return string(raw)
}

// requireMajorityPolicy checks that ep is OutOf(n, the orgs' peers).
func requireMajorityPolicy(t *testing.T, ep []byte, n int32, orgs ...string) {
	t.Helper()
	require.NotNil(t, ep, "the key carries a key-level endorsement policy")
	var env common.SignaturePolicyEnvelope
	require.NoError(t, proto.Unmarshal(ep, &env))
	require.Equal(t, n, env.GetRule().GetNOutOf().GetN())
	var got []string
	for _, id := range env.GetIdentities() {
		var role msp.MSPRole
		require.NoError(t, proto.Unmarshal(id.GetPrincipal(), &role))
		require.Equal(t, msp.MSPRole_PEER, role.GetRole())
		got = append(got, role.GetMspIdentifier())
	}
	require.Equal(t, orgs, got)
}

func TestTheFirstSetConsortiumWritesTheMapAndItsMajorityPolicy(t *testing.T) {
	l := cctest.New(t, cctest.WithConsortium(nil))
	l.Deploy("util", &testContract{})
	admin := l.AdminIdentity("HospitalMSP", "admin")
	provider := l.Identity("HospitalMSP", "provider1", cctest.RoleAttrs(wire.RoleProvider, "1003000126"))
	cctest.RequireCode(t, l.Evaluate("util", admin, "GetConsortium", nil), codes.PreconditionFailed)

	m := cctest.DefaultConsortium()
	m.Version = 2
	cctest.RequireCode(t, l.Invoke("util", admin, "SetConsortium", []string{mapJSON(t, m)}), codes.Conflict)
	m.Version = 1
	res := l.Invoke("util", admin, "SetConsortium", []string{mapJSON(t, m)})
	require.True(t, m.Equal(cctest.Decode[*orgroles.Map](t, res)))
	ev := cctest.RequireEvent[ccutil.ConsortiumSet](t, res, ccutil.EventConsortiumSet)
	require.Equal(t, ccutil.ConsortiumSet{Version: 1, Orgs: []string{"HospitalMSP", "InsurerMSP", "PharmaMSP"}, SetBy: "HospitalMSP"}, ev)
	requireMajorityPolicy(t, l.ValidationParameter("util", orgroles.Key()), 2, "HospitalMSP", "InsurerMSP", "PharmaMSP")
	got := cctest.Decode[*orgroles.Map](t, l.Evaluate("util", provider, "GetConsortium", nil))
	require.True(t, m.Equal(got))
	require.Equal(t, 1, got.Version)
	cctest.RequireOK(t, l.Evaluate("util", provider, "Who", nil))
}

func TestSetConsortiumChangesTheMapForTheNextCall(t *testing.T) {
	l, provider := setup(t)
	admin := l.AdminIdentity("InsurerMSP", "admin")
	m := cctest.DefaultConsortium()
	m.Version = 2
	m.Roles[wire.RoleProvider] = []string{"PharmaMSP"}
	m.GS1Prefixes["InsurerMSP"] = []string{"0700001"}
	m.Roles["patient"] = append(m.Roles["patient"], "TownMSP")
	cctest.RequireOK(t, l.Invoke("util", admin, "SetConsortium", []string{mapJSON(t, m)}))
	requireMajorityPolicy(t, l.ValidationParameter("util", orgroles.Key()), 3, "HospitalMSP", "InsurerMSP", "PharmaMSP", "TownMSP")

	cctest.RequireCode(t, l.Evaluate("util", provider, "Who", nil), codes.Forbidden)
	cctest.RequireOK(t, l.Evaluate("util", l.Identity("PharmaMSP", "p", cctest.RoleAttrs(wire.RoleProvider, "1")), "Who", nil))
	require.Len(t, l.History("util", orgroles.Key()), 1, "one committed write")

	t.Run("the next version follows", func(t *testing.T) {
		m.Version = 3
		cctest.RequireOK(t, l.Invoke("util", l.AdminIdentity("TownMSP", "admin"), "SetConsortium", []string{mapJSON(t, m)}))
	})
}

func TestSetConsortiumRefusalsChangeNothing(t *testing.T) {
	l, provider := setup(t)
	admin := l.AdminIdentity("PharmaMSP", "admin")
	next := func(mutate func(m *orgroles.Map)) string {
		m := cctest.DefaultConsortium()
		m.Version = 2
		if mutate != nil {
			mutate(m)
		}
		return mapJSON(t, m)
	}
	for name, tc := range map[string]struct {
		who  *cctest.Identity
		arg  string
		code codes.Code
	}{
		"a client that is no admin":                {provider, next(nil), codes.Forbidden},
		"a client without attributes":              {l.Identity("PharmaMSP", "plain", nil), next(nil), codes.Forbidden},
		"an admin of an org the map does not name": {l.AdminIdentity("OutsiderMSP", "admin"), next(nil), codes.Forbidden},
		"an admin naming itself in a new map":      {l.AdminIdentity("OutsiderMSP", "admin2"), next(func(m *orgroles.Map) { m.Roles["auditor"] = []string{"OutsiderMSP"} }), codes.Forbidden},
		"the same version again":                   {admin, next(func(m *orgroles.Map) { m.Version = 1 }), codes.Conflict},
		"a version that skips one":                 {admin, next(func(m *orgroles.Map) { m.Version = 3 }), codes.Conflict},
		"an unknown role":                          {admin, next(func(m *orgroles.Map) { m.Roles["root"] = []string{"PharmaMSP"} }), codes.InvalidArgument},
		"a prefix of two orgs":                     {admin, next(func(m *orgroles.Map) { m.GS1Prefixes["HospitalMSP"] = []string{"0614141"} }), codes.InvalidArgument},
		"a prefix of 5 digits":                     {admin, next(func(m *orgroles.Map) { m.GS1Prefixes["PharmaMSP"] = []string{"06141"} }), codes.InvalidArgument},
		"not JSON":                                 {admin, "{", codes.InvalidArgument},
		"an unknown field":                         {admin, `{"roles":{"patient":["HospitalMSP"]},"version":2,"owner":"me"}`, codes.InvalidArgument},
	} {
		before := l.Snapshot()
		cctest.RequireCode(t, l.Invoke("util", tc.who, "SetConsortium", []string{tc.arg}), tc.code)
		l.RequireUnchanged(t, before)
		require.Nil(t, l.ValidationParameter("util", orgroles.Key()), name)
	}
	cctest.RequireOK(t, l.Invoke("util", admin, "SetConsortium", []string{next(nil)}))
}
