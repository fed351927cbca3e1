package orgroles_test

import (
	"fmt"
	"io"
	"regexp"
	"strconv"
	"testing"

	"github.com/healthledger/healthledger/chaincode/claims"
	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/consent"
	"github.com/healthledger/healthledger/chaincode/internal/ccguard"
	"github.com/healthledger/healthledger/chaincode/internal/cctest"
	"github.com/healthledger/healthledger/chaincode/provenance"
	"github.com/healthledger/healthledger/chaincode/wire"
	"github.com/stretchr/testify/require"
)

// takes reads the argument count from the guard's refusal of a call with the wrong count.
var takes = regexp.MustCompile(`takes (\d+) argument`)

// argsFor returns placeholder arguments of the count fn takes, as the guard says.
func argsFor(t *testing.T, l *cctest.Ledger, cc string, who *cctest.Identity, fn string) []string {
	t.Helper()
	res := l.Evaluate(cc, who, fn, []string{"x", "x", "x", "x", "x", "x", "x", "x", "x"})
	m := takes.FindStringSubmatch(res.Message)
	require.NotNil(t, m, "%s.%s: %s", cc, fn, res)
	n, err := strconv.Atoi(m[1])
	require.NoError(t, err)
	args := make([]string, n)
	for i := range args {
		args[i] = "1"
	}
	return args
}

// TestEveryChaincodeRefusesARoleTheMapDoesNotGiveTheOrg drives every transaction of the real
// consent, provenance and claims chaincodes through their guarded routers: for each role, a
// certificate of an org the default map does not give the role, with the subject of the real
// holder, is FORBIDDEN wherever the real holder is not, and changes nothing.
func TestEveryChaincodeRefusesARoleTheMapDoesNotGiveTheOrg(t *testing.T) {
	l := cctest.New(t)
	build := map[string]func() (*ccguard.Chaincode, error){
		"consent":    func() (*ccguard.Chaincode, error) { return consent.NewChaincodeLogging(io.Discard) },
		"provenance": provenance.NewChaincode,
		"claims":     claims.NewChaincode,
	}
	names := []string{"consent", "provenance", "claims"}
	for _, name := range names {
		cc, err := build[name]()
		require.NoError(t, err)
		l.Register(name, cc)
	}
	m := cctest.DefaultConsortium()
	orgs := []string{cctest.HospitalMSP, cctest.PharmaMSP, cctest.InsurerMSP}
	for _, role := range wire.Roles() {
		holderOrg := m.OrgsFor(role)[0]
		real := l.Identity(holderOrg, "real-"+role, cctest.RoleAttrs(role, "s-1"))
		forbidden := 0
		for _, org := range orgs {
			if m.Allows(role, org) {
				continue
			}
			rogue := l.Identity(org, fmt.Sprintf("rogue-%s-%s", role, org), cctest.RoleAttrs(role, "s-1"))
			for _, name := range names {
				evaluate, submit := l.Transactions(name, real)
				for _, fn := range append(evaluate, submit...) {
					if fn == "SetConsortium" || fn == "GetConsortium" {
						continue
					}
					args := argsFor(t, l, name, real, fn)
					realRes := l.Clone(t).Invoke(name, real, fn, args)
					if ce, _ := codes.Parse(realRes.Message); !realRes.OK() && ce != nil && ce.Code == codes.Forbidden {
						continue // the role does not open fn
					}
					before := l.Snapshot()
					res := l.Invoke(name, rogue, fn, args)
					l.RequireUnchanged(t, before)
					require.False(t, res.OK(), "%s.%s answered a %s of %s", name, fn, role, org)
					ce, ok := codes.Parse(res.Message)
					require.True(t, ok, "%s.%s: %s", name, fn, res)
					if ce.Code == codes.Forbidden {
						require.Contains(t, ce.Message, "consortium map", "%s.%s", name, fn)
						forbidden++
						continue
					}
					// Otherwise the placeholders were refused before any role check, as for the real
					// holder.
					realCE, _ := codes.Parse(realRes.Message)
					require.NotNil(t, realCE, "%s.%s: a %s of %s got %s where the real one succeeded", name, fn, role, org, ce.Code)
					require.Equal(t, realCE.Code, ce.Code, "%s.%s as a %s of %s: %s", name, fn, role, org, ce.Message)
				}
			}
		}
		t.Logf("%s: %d calls by certificates of orgs without the role FORBIDDEN", role, forbidden)
		require.Positive(t, forbidden, "no transaction refused a %s of another org with FORBIDDEN", role)
	}
}
