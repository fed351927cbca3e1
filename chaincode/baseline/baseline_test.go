package baseline_test

import (
	"strings"
	"testing"

	"github.com/healthledger/healthledger/chaincode/baseline"
	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/internal/cctest"
	"github.com/stretchr/testify/require"
)

func setup(t *testing.T) (*cctest.Ledger, *cctest.Identity) {
	l := cctest.New(t)
	cc, err := baseline.NewChaincode()
	require.NoError(t, err)
	l.Register("baseline", cc)
	return l, l.Identity("HospitalMSP", "patient1", cctest.RoleAttrs("patient", "pat-1"))
}

func TestWriteThenReadReturnsTheValue(t *testing.T) {
	l, who := setup(t)
	cctest.RequireOK(t, l.Invoke("baseline", who, "Write", []string{"k1", "hello"}))
	got := l.Evaluate("baseline", who, "Read", []string{"k1"})
	cctest.RequireOK(t, got)
	require.Equal(t, "hello", string(got.Payload))
}

func TestWriteSizedStoresExactlyThatManyBytes(t *testing.T) {
	l, who := setup(t)
	cctest.RequireOK(t, l.Invoke("baseline", who, "WriteSized", []string{"k1", "1000"}))
	got := l.Evaluate("baseline", who, "Size", []string{"k1"})
	cctest.RequireOK(t, got)
	require.Equal(t, "1000", string(got.Payload))
}

func TestReadOfAMissingKeyIsNotFound(t *testing.T) {
	l, who := setup(t)
	cctest.RequireCode(t, l.Evaluate("baseline", who, "Read", []string{"nope"}), codes.NotFound)
}

func TestAddAccumulates(t *testing.T) {
	l, who := setup(t)
	cctest.RequireOK(t, l.Invoke("baseline", who, "Add", []string{"n", "5"}))
	res := l.Invoke("baseline", who, "Add", []string{"n", "-2"})
	cctest.RequireOK(t, res)
	require.Equal(t, "3", string(res.Payload))
	require.Equal(t, baseline.EventAdded, res.Event.Name)
	require.JSONEq(t, `{"key":"n","value":3}`, string(res.Event.Payload))
}

func TestBadInputIsRefusedAndChangesNothing(t *testing.T) {
	cases := []struct {
		name string
		fn   string
		args []string
		code codes.Code
	}{
		{"a malformed key", "Write", []string{"bad key!", "v"}, codes.InvalidArgument},
		{"an empty key", "Write", []string{"", "v"}, codes.InvalidArgument},
		{"a value over the limit", "Write", []string{"k", strings.Repeat("x", baseline.MaxValueSize+1)}, codes.InvalidArgument},
		{"a size of zero", "WriteSized", []string{"k", "0"}, codes.InvalidArgument},
		{"a size over the limit", "WriteSized", []string{"k", "2000000"}, codes.InvalidArgument},
		{"adding to a key that holds text", "Add", []string{"text", "1"}, codes.PreconditionFailed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l, who := setup(t)
			cctest.RequireOK(t, l.Invoke("baseline", who, "Write", []string{"text", "abc"}))
			before := l.Snapshot()
			cctest.RequireCode(t, l.Invoke("baseline", who, tc.fn, tc.args), tc.code)
			l.RequireUnchanged(t, before)
		})
	}
}

func TestOnlyAnOrgAdminDeletes(t *testing.T) {
	l, who := setup(t)
	cctest.RequireOK(t, l.Invoke("baseline", who, "Write", []string{"k", "v"}))
	before := l.Snapshot()
	cctest.RequireCode(t, l.Invoke("baseline", who, "Delete", []string{"k"}), codes.Forbidden)
	l.RequireUnchanged(t, before)

	admin := l.AdminIdentity("HospitalMSP", "Admin")
	cctest.RequireOK(t, l.Invoke("baseline", admin, "Delete", []string{"k"}))
	cctest.RequireCode(t, l.Evaluate("baseline", who, "Read", []string{"k"}), codes.NotFound)
	cctest.RequireCode(t, l.Invoke("baseline", admin, "Delete", []string{"k"}), codes.NotFound)
}

// TestTransactionsAreDeclared pins the contract's surface, read from its real metadata.
func TestTransactionsAreDeclared(t *testing.T) {
	l, who := setup(t)
	evaluate, submit := l.Transactions("baseline", who)
	require.Equal(t, []string{"Read", "Size"}, evaluate)
	require.Equal(t, []string{"Add", "Delete", "GetConsortium", "SetConsortium", "Write", "WriteSized"}, submit)
}

func TestAnUnknownFunctionIsAnInvalidArgument(t *testing.T) {
	l, who := setup(t)
	before := l.Snapshot()
	ce := cctest.RequireCode(t, l.Invoke("baseline", who, "WriteEverything", []string{"k"}), codes.InvalidArgument)
	require.Equal(t, `unknown function "WriteEverything"`, ce.Message)
	l.RequireUnchanged(t, before)
}

func TestFrameworkRefusalsAreInvalidArgument(t *testing.T) {
	for _, tc := range []struct {
		name, fn string
		args     []string
		want     string
	}{
		{"a wrong argument count", "Write", []string{"k1"}, "Write takes 2 arguments, got 1"},
		{"a size that is not an integer", "WriteSized", []string{"k1", "big"}, "argument 2 of WriteSized must be an integer"},
		{"an unknown function", "Erase", []string{"k1"}, `unknown function "Erase"`},
		{"a value over 1 MiB", "Write", []string{"k1", strings.Repeat("v", baseline.MaxValueSize+1)}, "argument 2 of Write is 1048577 bytes, more than its limit of 1048576"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, who := setup(t)
			before := l.Snapshot()
			ce := cctest.RequireCode(t, l.Invoke("baseline", who, tc.fn, tc.args), codes.InvalidArgument)
			require.Equal(t, tc.want, ce.Message)
			l.RequireUnchanged(t, before)
		})
	}
}

func TestAddRefusesOverflowAndChangesNothing(t *testing.T) {
	const max, min = "9223372036854775807", "-9223372036854775808"
	for _, tc := range []struct {
		name, start, delta, want string
	}{
		{"past the largest integer", max, "1", "adding 1 to the " + max + " under key n overflows the integer range"},
		{"a large delta past the largest", "2", max, "adding " + max + " to the 2 under key n overflows the integer range"},
		{"past the smallest integer", min, "-1", "adding -1 to the " + min + " under key n overflows the integer range"},
		{"a large negative delta past the smallest", "-2", min, "adding " + min + " to the -2 under key n overflows the integer range"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, who := setup(t)
			cctest.RequireOK(t, l.Invoke("baseline", who, "Write", []string{"n", tc.start}))
			before := l.Snapshot()
			ce := cctest.RequireCode(t, l.Invoke("baseline", who, "Add", []string{"n", tc.delta}), codes.InvalidArgument)
			require.Equal(t, tc.want, ce.Message)
			l.RequireUnchanged(t, before)
		})
	}
}

func TestAddReachesTheBoundsExactly(t *testing.T) {
	l, who := setup(t)
	cctest.RequireOK(t, l.Invoke("baseline", who, "Write", []string{"n", "9223372036854775806"}))
	res := l.Invoke("baseline", who, "Add", []string{"n", "1"})
	cctest.RequireOK(t, res)
	require.Equal(t, "9223372036854775807", string(res.Payload))
	cctest.RequireOK(t, l.Invoke("baseline", who, "Write", []string{"m", "-9223372036854775807"}))
	res = l.Invoke("baseline", who, "Add", []string{"m", "-1"})
	cctest.RequireOK(t, res)
	require.Equal(t, "-9223372036854775808", string(res.Payload))
}

func TestAddOfADeltaBeyondTheIntegerRangeIsRefused(t *testing.T) {
	l, who := setup(t)
	before := l.Snapshot()
	cctest.RequireCode(t, l.Invoke("baseline", who, "Add", []string{"n", "9223372036854775808"}), codes.InvalidArgument)
	l.RequireUnchanged(t, before)
}
