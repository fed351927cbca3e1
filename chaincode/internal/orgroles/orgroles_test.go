package orgroles_test

import (
	"encoding/json"
	"testing"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/internal/cctest"
	"github.com/healthledger/healthledger/chaincode/internal/orgroles"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
)

func TestAllowsOrgsForAndOwnsGTIN(t *testing.T) {
	m := cctest.DefaultConsortium()
	require.True(t, m.Allows("patient", "HospitalMSP"))
	require.False(t, m.Allows("patient", "InsurerMSP"))
	require.False(t, m.Allows("manufacturer", "HospitalMSP"))
	require.False(t, m.Allows("root", "HospitalMSP"), "an unknown role is granted to nobody")
	require.Equal(t, []string{"InsurerMSP"}, m.OrgsFor("auditor"))
	require.Empty(t, m.OrgsFor("root"))
	require.Equal(t, []string{"HospitalMSP", "InsurerMSP", "PharmaMSP"}, m.Orgs())

	require.True(t, m.OwnsGTIN("PharmaMSP", "10614141000415"))
	require.True(t, m.OwnsGTIN("PharmaMSP", "00614141999996"))
	require.False(t, m.OwnsGTIN("HospitalMSP", "10614141000415"), "another org's prefix")
	require.False(t, m.OwnsGTIN("PharmaMSP", "10614142000415"), "another prefix")
	require.False(t, m.OwnsGTIN("PharmaMSP", "06141410004150"), "the prefix starts after the indicator digit")
	require.False(t, m.OwnsGTIN("PharmaMSP", "1061414100041"), "13 digits")
	require.False(t, m.OwnsGTIN("PharmaMSP", "1061414100041x"), "not digits")

	var none *orgroles.Map
	require.False(t, none.Allows("patient", "HospitalMSP"))
	require.False(t, none.OwnsGTIN("PharmaMSP", "10614141000415"))
}

func TestValidateRefusesABadMap(t *testing.T) {
	good := func() *orgroles.Map { return cctest.DefaultConsortium() }
	require.NoError(t, good().Validate())
	for name, mutate := range map[string]func(m *orgroles.Map){
		"an unknown role":            func(m *orgroles.Map) { m.Roles["admin"] = []string{"HospitalMSP"} },
		"a malformed MSP id":         func(m *orgroles.Map) { m.Roles["patient"] = []string{"Hospital MSP"} },
		"an org listed twice":        func(m *orgroles.Map) { m.Roles["patient"] = []string{"HospitalMSP", "HospitalMSP"} },
		"a role with no org":         func(m *orgroles.Map) { m.Roles["patient"] = []string{} },
		"no role at all":             func(m *orgroles.Map) { m.Roles = nil },
		"a short prefix":             func(m *orgroles.Map) { m.GS1Prefixes["PharmaMSP"] = []string{"06141"} },
		"a long prefix":              func(m *orgroles.Map) { m.GS1Prefixes["PharmaMSP"] = []string{"0614141000000"} },
		"a prefix that is no digits": func(m *orgroles.Map) { m.GS1Prefixes["PharmaMSP"] = []string{"06141a1"} },
		"a prefix owned by two orgs": func(m *orgroles.Map) { m.GS1Prefixes["HospitalMSP"] = []string{"0614141"} },
		"a prefix inside another":    func(m *orgroles.Map) { m.GS1Prefixes["HospitalMSP"] = []string{"06141410"} },
		"a prefix listed twice":      func(m *orgroles.Map) { m.GS1Prefixes["PharmaMSP"] = []string{"0614141", "0614141"} },
		"an org with no prefix":      func(m *orgroles.Map) { m.GS1Prefixes["HospitalMSP"] = nil },
		"a malformed prefix owner":   func(m *orgroles.Map) { m.GS1Prefixes["Pharma/MSP"] = []string{"0700000"} },
		"version zero":               func(m *orgroles.Map) { m.Version = 0 },
	} {
		m := good()
		mutate(m)
		var ce *codes.Error
		require.ErrorAs(t, m.Validate(), &ce, name)
		require.Equal(t, codes.InvalidArgument, ce.Code, name)
	}
}

func TestParseIsStrict(t *testing.T) {
	raw, err := json.Marshal(cctest.DefaultConsortium())
	require.NoError(t, err)
	m, err := orgroles.Parse(raw)
	require.NoError(t, err)
	require.True(t, m.Equal(cctest.DefaultConsortium()))
	for name, bad := range map[string]string{
		"an unknown field": `{"roles":{"patient":["HospitalMSP"]},"gs1Prefixes":{},"version":1,"extra":1}`,
		"two values":       string(raw) + string(raw),
		"not JSON":         `roles`,
		"too large":        `{"roles":{"patient":["` + string(make([]byte, orgroles.MaxMapBytes)) + `"]}}`,
	} {
		_, err := orgroles.Parse([]byte(bad))
		var ce *codes.Error
		require.ErrorAs(t, err, &ce, name)
		require.Equal(t, codes.InvalidArgument, ce.Code, name)
	}
}

func TestEqualIgnoresOrderAndVersion(t *testing.T) {
	a, b := cctest.DefaultConsortium(), cctest.DefaultConsortium()
	a.Roles["patient"] = []string{"HospitalMSP", "InsurerMSP"}
	b.Roles["patient"] = []string{"InsurerMSP", "HospitalMSP"}
	b.Version = 7
	require.True(t, a.Equal(b))
	b.GS1Prefixes["PharmaMSP"] = []string{"0614142"}
	require.False(t, a.Equal(b))
}

func TestMajorityPolicyNeedsMoreThanHalfOfThePeers(t *testing.T) {
	for n, want := range map[int]int32{1: 1, 2: 2, 3: 2, 4: 3, 5: 3} {
		orgs := []string{"A", "B", "C", "D", "E"}[:n]
		raw, err := orgroles.MajorityPolicy(orgs)
		require.NoError(t, err)
		var env common.SignaturePolicyEnvelope
		require.NoError(t, proto.Unmarshal(raw, &env))
		require.Equal(t, want, env.GetRule().GetNOutOf().GetN(), "%d orgs", n)
		require.Len(t, env.GetRule().GetNOutOf().GetRules(), n)
		require.Len(t, env.GetIdentities(), n)
		for i, id := range env.GetIdentities() {
			require.Equal(t, msp.MSPPrincipal_ROLE, id.GetPrincipalClassification())
			var role msp.MSPRole
			require.NoError(t, proto.Unmarshal(id.GetPrincipal(), &role))
			require.Equal(t, orgs[i], role.GetMspIdentifier())
			require.Equal(t, msp.MSPRole_PEER, role.GetRole())
			require.Equal(t, int32(i), env.GetRule().GetNOutOf().GetRules()[i].GetSignedBy())
		}
	}
	_, err := orgroles.MajorityPolicy(nil)
	require.Error(t, err)
}
