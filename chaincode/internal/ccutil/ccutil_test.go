package ccutil_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/internal/cctest"
	"github.com/healthledger/healthledger/chaincode/internal/ccutil"
	"github.com/healthledger/healthledger/chaincode/internal/txstate"
	"github.com/healthledger/healthledger/chaincode/wire"
	"github.com/stretchr/testify/require"
)

type item struct {
	ID string `json:"id"`
}

type itemPage ccutil.Page[item]

// testContract exercises ccutil the way the real contracts do.
type testContract struct {
	ccutil.Contract
}

func (c *testContract) GetEvaluateTransactions() []string { return []string{"List", "Who"} }

func (c *testContract) Put(ctx txstate.Context, group, id string) error {
	if err := wire.CheckID("id", id); err != nil {
		return err
	}
	k, err := ctx.State().Key("item", group, id)
	if err != nil {
		return err
	}
	if err := ctx.State().PutJSON(k, item{ID: id}); err != nil {
		return err
	}
	return ccutil.Emit(ctx, "ItemPut", item{ID: id})
}

func (c *testContract) List(ctx txstate.Context, group string, size int, bookmark string) (*itemPage, error) {
	p, err := ccutil.ListByPartialKey(ctx, "item", []string{group}, size, bookmark, ccutil.DecodeJSON[item])
	if err != nil {
		return nil, err
	}
	return (*itemPage)(p), nil
}

func (c *testContract) Who(ctx txstate.Context) (string, error) {
	caller, err := ccutil.RequireRole(ctx, "Who", wire.RoleProvider, wire.RoleAuditor)
	if err != nil {
		return "", err
	}
	return caller.MSPID + "/" + caller.Role + "/" + caller.Subject, nil
}

func setup(t *testing.T) (*cctest.Ledger, *cctest.Identity) {
	l := cctest.New(t)
	l.Deploy("util", &testContract{})
	return l, l.Identity("HospitalMSP", "provider1", cctest.RoleAttrs("provider", "1003000126"))
}

func TestRequireRoleReadsTheCertificate(t *testing.T) {
	l, provider := setup(t)
	res := l.Evaluate("util", provider, "Who", nil)
	cctest.RequireOK(t, res)
	require.Equal(t, "HospitalMSP/provider/1003000126", string(res.Payload))

	patient := l.Identity("HospitalMSP", "patient1", cctest.RoleAttrs("patient", "pat-1"))
	cctest.RequireCode(t, l.Evaluate("util", patient, "Who", nil), codes.Forbidden)
	nobody := l.Identity("HospitalMSP", "nobody", nil)
	cctest.RequireCode(t, l.Evaluate("util", nobody, "Who", nil), codes.Forbidden)
}

func TestPagesFollowTheBookmarkAndStayInTheirIndex(t *testing.T) {
	l, who := setup(t)
	for i := 0; i < 5; i++ {
		cctest.RequireOK(t, l.Invoke("util", who, "Put", []string{"a", fmt.Sprintf("a%d", i)}))
	}
	cctest.RequireOK(t, l.Invoke("util", who, "Put", []string{"b", "b0"}))

	var seen []string
	bookmark := ""
	for pages := 0; ; pages++ {
		require.Less(t, pages, 5, "paging does not end")
		p := cctest.Decode[itemPage](t, l.Evaluate("util", who, "List", []string{"a", "2", bookmark}))
		for _, it := range p.Items {
			seen = append(seen, it.ID)
		}
		if p.Bookmark == "" {
			break
		}
		bookmark = p.Bookmark
	}
	require.Equal(t, []string{"a0", "a1", "a2", "a3", "a4"}, seen)

	// A bookmark taken from another index is refused, not followed.
	other := cctest.Decode[itemPage](t, l.Evaluate("util", who, "List", []string{"a", "1", ""}))
	require.NotEmpty(t, other.Bookmark)
	cctest.RequireCode(t, l.Evaluate("util", who, "List", []string{"b", "1", other.Bookmark}), codes.InvalidArgument)
}

func TestPageSizeLimits(t *testing.T) {
	l, who := setup(t)
	cctest.RequireCode(t, l.Evaluate("util", who, "List", []string{"a", "-1", ""}), codes.InvalidArgument)
	cctest.RequireCode(t, l.Evaluate("util", who, "List", []string{"a", "501", ""}), codes.InvalidArgument)
	p := cctest.Decode[itemPage](t, l.Evaluate("util", who, "List", []string{"a", "0", ""}))
	require.NotNil(t, p.Items)
	require.Empty(t, p.Items)
}

func TestAnUnknownFunctionIsInvalidArgument(t *testing.T) {
	l, who := setup(t)
	for _, call := range []func(string, *cctest.Identity, string, []string, ...cctest.CallOption) *cctest.Result{l.Invoke, l.Evaluate} {
		res := call("util", who, "NoSuchFunction", []string{"x"})
		ce := cctest.RequireCode(t, res, codes.InvalidArgument)
		require.Equal(t, `unknown function "NoSuchFunction"`, ce.Message)
	}
	long := strings.Repeat("F", 100)
	ce := cctest.RequireCode(t, l.Invoke("util", who, long, nil), codes.InvalidArgument)
	require.Equal(t, `unknown function "`+long[:64]+`"`, ce.Message, "the name is cut at 64 characters")
}

func TestTheContractsHooksAreNoTransactions(t *testing.T) {
	l, who := setup(t)
	evaluate, submit := l.Transactions("util", who)
	require.Equal(t, []string{"List", "Who"}, evaluate)
	require.Equal(t, []string{"GetConsortium", "Put", "SetConsortium"}, submit, "the consortium transactions are inherited; the hooks are not transactions")
}

func TestEventsCarryThePayload(t *testing.T) {
	l, who := setup(t)
	ev := cctest.RequireEvent[item](t, l.Invoke("util", who, "Put", []string{"a", "x1"}), "ItemPut")
	require.Equal(t, "x1", ev.ID)
}

func TestCallerOfRefusesARoleTheConsortiumDoesNotGrantTheOrg(t *testing.T) {
	l, provider := setup(t)
	cctest.RequireOK(t, l.Evaluate("util", provider, "Who", nil))
	for _, who := range []*cctest.Identity{
		l.Identity("PharmaMSP", "rogue-provider", cctest.RoleAttrs(wire.RoleProvider, "1003000126")),
		l.Identity("InsurerMSP", "rogue-auditor", cctest.RoleAttrs(wire.RoleAuditor+"x", "a-1")),
		l.Identity("OutsiderMSP", "outsider", cctest.RoleAttrs(wire.RoleProvider, "1003000126")),
	} {
		before := l.Snapshot()
		ce := cctest.RequireCode(t, l.Invoke("util", who, "Who", nil), codes.Forbidden)
		require.Contains(t, ce.Message, "consortium map", who.Name)
		l.RequireUnchanged(t, before)
	}
	t.Run("an auditor of the entitled org passes", func(t *testing.T) {
		cctest.RequireOK(t, l.Evaluate("util", l.Identity("InsurerMSP", "auditor", cctest.RoleAttrs(wire.RoleAuditor, "a-1")), "Who", nil))
	})
	t.Run("a certificate without a role is not refused by the map", func(t *testing.T) {
		plain := l.Identity("PharmaMSP", "plain", nil)
		cctest.RequireOK(t, l.Invoke("util", plain, "Put", []string{"g", "i-1"}))
	})
}

func TestCallerOfFailsClosedWithoutAMap(t *testing.T) {
	l := cctest.New(t, cctest.WithConsortium(nil))
	l.Deploy("util", &testContract{})
	provider := l.Identity("HospitalMSP", "provider1", cctest.RoleAttrs(wire.RoleProvider, "1003000126"))
	cctest.RequireCode(t, l.Evaluate("util", provider, "Who", nil), codes.PreconditionFailed)
	l.InstallConsortium("util", cctest.DefaultConsortium())
	cctest.RequireOK(t, l.Evaluate("util", provider, "Who", nil))
}
