package ccguard_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/internal/ccguard"
	"github.com/healthledger/healthledger/chaincode/internal/cctest"
	"github.com/healthledger/healthledger/chaincode/internal/ccutil"
	"github.com/healthledger/healthledger/chaincode/internal/txstate"
	"github.com/stretchr/testify/require"
)

// guardedContract has a transaction of every shape the guard tells apart.
type guardedContract struct {
	ccutil.Contract
}

func (c *guardedContract) GetEvaluateTransactions() []string { return []string{"List", "Secret"} }

// Echo answers its argument.
func (c *guardedContract) Echo(_ txstate.Context, s string) (string, error) { return s, nil }

// List answers its page size.
func (c *guardedContract) List(_ txstate.Context, _ string, pageSize int, _ string) (int, error) {
	return pageSize, nil
}

// Secret answers the length of the transient field "secret".
func (c *guardedContract) Secret(ctx txstate.Context) (int, error) {
	raw, err := ccutil.Transient(ctx, "secret")
	return len(raw), err
}

// Crash panics.
func (c *guardedContract) Crash(txstate.Context) error { panic("boom: s3cr3t") }

// Uncoded fails without a stable code.
func (c *guardedContract) Uncoded(txstate.Context) error { return errors.New("s3cr3t went wrong") }

func limits() ccguard.Limits {
	return ccguard.Limits{
		"Echo":    {MaxArg: 16},
		"List":    {MaxArg: 64},
		"Secret":  {MaxArg: 1, Transient: map[string]int{"secret": 8}},
		"Crash":   {MaxArg: 1},
		"Uncoded": {MaxArg: 1},
	}
}

func setup(t *testing.T) (*cctest.Ledger, *cctest.Identity, *bytes.Buffer) {
	t.Helper()
	var log bytes.Buffer
	cc, err := ccguard.New(&guardedContract{}, limits(), ccguard.WithLog(&log))
	require.NoError(t, err)
	l := cctest.New(t)
	l.Register("g", cc)
	return l, l.Identity("HospitalMSP", "provider1", cctest.RoleAttrs("provider", "1003000126")), &log
}

func TestRefusalsCarryACode(t *testing.T) {
	tests := []struct {
		name      string
		fn        string
		args      []string
		transient map[string][]byte
		want      string // the whole message
	}{
		{"an unknown function", "Nope", nil, nil, `INVALID_ARGUMENT: unknown function "Nope"`},
		{"a blank function name", "", nil, nil, `INVALID_ARGUMENT: unknown function ""`},
		{"a lower-case alias, which contractapi would route", "echo", []string{"x"}, nil, `INVALID_ARGUMENT: unknown function "echo"`},
		{"a contract-qualified name", "guardedContract:Echo", []string{"x"}, nil, `INVALID_ARGUMENT: unknown function "guardedContract:Echo"`},
		{"too few arguments", "List", []string{"p", "1"}, nil, "INVALID_ARGUMENT: List takes 3 arguments, got 2"},
		{"too many arguments, which contractapi would ignore", "Echo", []string{"a", "b"}, nil, "INVALID_ARGUMENT: Echo takes 1 argument, got 2"},
		{"an argument for a function that takes none", "Crash", []string{"a"}, nil, "INVALID_ARGUMENT: Crash takes 0 arguments, got 1"},
		{"an argument over its bound", "Echo", []string{strings.Repeat("s3cr3t", 3)}, nil, "INVALID_ARGUMENT: argument 1 of Echo is 18 bytes, more than its limit of 16"},
		{"a page size that is not an integer", "List", []string{"p", "s3cr3t", ""}, nil, "INVALID_ARGUMENT: argument 2 of List must be an integer"},
		{"a page size beyond int", "List", []string{"p", "99999999999999999999", ""}, nil, "INVALID_ARGUMENT: argument 2 of List must be an integer"},
		{"a transient field over its bound", "Secret", nil, map[string][]byte{"secret": []byte("s3cr3t-s3cr3t")}, `INVALID_ARGUMENT: transient field "secret" of Secret is 13 bytes, more than its limit of 8`},
		{"a missing transient field (the contract's refusal)", "Secret", nil, nil, `INVALID_ARGUMENT: transient field "secret" is missing`},
		{"metadata asked with an argument", ccguard.MetadataFunction, []string{"x"}, nil, "INVALID_ARGUMENT: " + ccguard.MetadataFunction + " takes 0 arguments, got 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, who, log := setup(t)
			before := l.Snapshot()
			res := l.Invoke("g", who, tc.fn, tc.args, cctest.WithTransient(tc.transient))
			cctest.RequireCode(t, res, codes.InvalidArgument)
			require.Equal(t, tc.want, res.Message)
			require.NotContains(t, res.Message, "s3cr3t", "a refusal never repeats the input")
			require.Zero(t, res.Writes)
			l.RequireUnchanged(t, before)
			require.Empty(t, log.String())
		})
	}
}

func TestCallsWithinTheBoundsGoThrough(t *testing.T) {
	l, who, _ := setup(t)
	require.Equal(t, "abc", cctest.Decode[string](t, l.Evaluate("g", who, "Echo", []string{"abc"})))
	require.Equal(t, strings.Repeat("x", 16), cctest.Decode[string](t, l.Evaluate("g", who, "Echo", []string{strings.Repeat("x", 16)})))
	require.Equal(t, 7, cctest.Decode[int](t, l.Evaluate("g", who, "List", []string{"p", "7", ""})))
	require.Equal(t, 0, cctest.Decode[int](t, l.Evaluate("g", who, "List", []string{"p", "", ""})), "an empty integer is 0, as contractapi reads it")
	require.Equal(t, 8, cctest.Decode[int](t, l.Evaluate("g", who, "Secret", nil, cctest.WithTransient(map[string][]byte{"secret": []byte("12345678")}))))

	t.Run("a transient field the function does not read passes unread", func(t *testing.T) {
		// A chaincode called by another one sees the caller's transient data.
		res := l.Evaluate("g", who, "Echo", []string{"abc"}, cctest.WithTransient(map[string][]byte{"claim": bytes.Repeat([]byte("x"), 1<<16)}))
		require.Equal(t, "abc", cctest.Decode[string](t, res))
	})
	t.Run("the metadata function answers", func(t *testing.T) {
		evaluate, submit := l.Transactions("g", who)
		require.Equal(t, []string{"List", "Secret"}, evaluate)
		require.Equal(t, []string{"Crash", "Echo", "GetConsortium", "SetConsortium", "Uncoded"}, submit)
	})
}

func TestAPanicIsInternalAndTheServerGoesOn(t *testing.T) {
	l, who, log := setup(t)
	res := l.Invoke("g", who, "Crash", nil)
	cctest.RequireCode(t, res, codes.Internal)
	require.Equal(t, "INTERNAL: Crash failed unexpectedly (a panic, logged by the chaincode server)", res.Message)
	require.Contains(t, log.String(), "guardedContract.Crash tx "+res.TxID+" panicked: boom: s3cr3t")
	require.Contains(t, log.String(), "goroutine", "the log has the stack")
	cctest.RequireOK(t, l.Invoke("g", who, "Echo", []string{"x"}))
}

func TestAnUncodedFailureIsInternalAndItsTextIsOnlyLogged(t *testing.T) {
	l, who, log := setup(t)
	res := l.Invoke("g", who, "Uncoded", nil)
	cctest.RequireCode(t, res, codes.Internal)
	require.NotContains(t, res.Message, "s3cr3t")
	require.Contains(t, log.String(), "failed without a stable code: s3cr3t went wrong")
}

func TestNewWantsABoundForEveryTransactionAndNoOther(t *testing.T) {
	tests := []struct {
		name   string
		change func(ccguard.Limits)
		want   string
	}{
		{"a transaction without limits", func(l ccguard.Limits) { delete(l, "Echo") }, "no limits for Echo"},
		{"limits of a function the contract lacks", func(l ccguard.Limits) { l["Nope"] = ccguard.Func{MaxArg: 1} }, "limits for functions the contract lacks: Nope"},
		{"a zero argument bound", func(l ccguard.Limits) { l["Echo"] = ccguard.Func{} }, "not positive for Echo"},
		{"a zero transient bound", func(l ccguard.Limits) { l["Secret"] = ccguard.Func{MaxArg: 1, Transient: map[string]int{"secret": 0}} }, "not positive for Secret"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lim := limits()
			tc.change(lim)
			_, err := ccguard.New(&guardedContract{}, lim)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestTheGuardSeesTheTransactionsContractapiMakes(t *testing.T) {
	cc, err := ccguard.New(&guardedContract{}, limits())
	require.NoError(t, err)
	require.Equal(t, []string{"Crash", "Echo", "GetConsortium", "List", "Secret", "SetConsortium", "Uncoded"}, cc.Transactions())
	shared, ok := cc.Limits("SetConsortium")
	require.True(t, ok, "the transactions inherited from ccutil.Contract are bounded by ccutil.SharedLimits")
	require.Equal(t, ccutil.SharedLimits()["SetConsortium"], shared.MaxArg)
	f, ok := cc.Limits("Secret")
	require.True(t, ok)
	require.Equal(t, 8, f.Transient["secret"])
	_, ok = cc.Limits(ccguard.MetadataFunction)
	require.False(t, ok)

	uniform, err := ccguard.Uniform(&guardedContract{}, ccguard.Func{MaxArg: 3})
	require.NoError(t, err)
	require.Len(t, uniform, 7, "the contract's 5 and the 2 it inherits from ccutil.Contract")
}

func TestALimitsTableMustMatchTheCode(t *testing.T) {
	require.Equal(t, []string{"256 B", "1 KiB", "288 KiB", "1 MiB", "1500 B"}, []string{ccguard.Size(256), ccguard.Size(1024), ccguard.Size(288 << 10), ccguard.Size(1 << 20), ccguard.Size(1500)})
	good := "# x\n\n## Limits\n\n| Transaction | Each argument | Transient |\n|---|---|---|\n" +
		"| `Echo` | 16 B | — |\n| `List` | 64 B | — |\n| `Secret` | 1 B | `secret` 8 B |\n| `Crash`, `Uncoded` | 1 B | — |\n\n## Next\n| `Echo` | 99 B | |\n"
	require.NoError(t, limits().CheckDocumented([]byte(good)))
	for name, doc := range map[string]string{
		"a missing row":            strings.Replace(good, "| `Echo` | 16 B | — |\n", "", 1),
		"a wrong argument bound":   strings.Replace(good, "| `Echo` | 16 B |", "| `Echo` | 17 B |", 1),
		"a wrong transient bound":  strings.Replace(good, "`secret` 8 B", "`secret` 9 B", 1),
		"an undocumented field":    strings.Replace(good, "| `List` | 64 B | — |", "| `List` | 64 B | `x` 1 B |", 1),
		"no Limits section at all": "# x\n",
	} {
		require.Error(t, limits().CheckDocumented([]byte(doc)), name)
	}
}
