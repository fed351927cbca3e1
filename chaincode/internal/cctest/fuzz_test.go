package cctest_test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/internal/cctest"
	"github.com/healthledger/healthledger/chaincode/internal/ccutil"
	"github.com/healthledger/healthledger/chaincode/internal/txstate"
	"github.com/stretchr/testify/require"
)

func TestArgsAndTransientDataRoundTrip(t *testing.T) {
	for _, args := range [][]string{{}, {""}, {"a"}, {"a", "", "b c"}} {
		require.Equal(t, args, cctest.SplitArgs(cctest.JoinArgs(args...)))
	}
	require.Equal(t, []string{"b"}, cctest.SplitArgs("ignored\x1fb"), "text before the first separator is ignored")

	m := map[string][]byte{"claim": []byte(`{"x":1}`), "": []byte("v"), "empty": {}}
	require.Equal(t, m, cctest.SplitTransient(cctest.JoinTransient(m)))
	require.Equal(t, map[string][]byte{}, cctest.SplitTransient(nil))
	require.Equal(t, map[string][]byte{"name": {}}, cctest.SplitTransient([]byte("name")))
}

func TestAClonePlaysTheSameCallsAlone(t *testing.T) {
	f := setup(t)
	cctest.RequireOK(t, f.l.Invoke(itemsCC, f.alice, "Put", []string{"i-1", "one"}))
	a, b := f.l.Clone(t), f.l.Clone(t)
	ra := a.Invoke(itemsCC, f.alice, "Put", []string{"i-2", "two"})
	rb := b.Invoke(itemsCC, f.alice, "Put", []string{"i-2", "two"})
	cctest.RequireOK(t, ra)
	require.Equal(t, ra.TxID, rb.TxID, "same transaction count")
	require.Equal(t, ra.Time, rb.Time, "same clock")
	require.Len(t, a.Keys(itemsCC), 2)
	require.Len(t, f.l.Keys(itemsCC), 1, "the original is untouched")
	require.Len(t, f.l.Events(), 1)
	require.Len(t, a.Events(), 2)
	require.Equal(t, "one", cctest.Decode[Item](t, a.Evaluate(itemsCC, f.bob, "Get", []string{"pat-1", "i-1"})).Value, "identities of the original work on the clone")
}

// leakyContract breaks each invariant CheckCall checks, one function each.
type leakyContract struct {
	ccutil.Contract
}

func (c *leakyContract) GetEvaluateTransactions() []string { return []string{"Peek"} }

func secret(ctx txstate.Context) string {
	raw, _ := ccutil.Transient(ctx, "secret")
	return string(raw)
}

func (c *leakyContract) Refuse(txstate.Context) error             { return codes.New(codes.NotFound, "nothing") }
func (c *leakyContract) Peek(ctx txstate.Context) (string, error) { return secret(ctx), nil }
func (c *leakyContract) Store(ctx txstate.Context, v string) error {
	ctx.State().Put("k", []byte(v))
	return nil
}
func (c *leakyContract) Leak(ctx txstate.Context) error {
	ctx.State().Put("k", []byte(secret(ctx)))
	return nil
}
func (c *leakyContract) Shout(ctx txstate.Context) error {
	return codes.New(codes.InvalidArgument, "bad secret %q", secret(ctx))
}
func (c *leakyContract) Tell(ctx txstate.Context) (string, error) { return secret(ctx), nil }
func (c *leakyContract) Emit(ctx txstate.Context) error {
	return ccutil.Emit(ctx, "Told", secret(ctx))
}
func (c *leakyContract) Crash(txstate.Context) error { panic("boom") }
func (c *leakyContract) Uncoded(txstate.Context) error {
	return fmt.Errorf("no code")
}

// recorder is a testing.TB whose Fatalf records the failure and ends the goroutine.
type recorder struct {
	testing.TB
	failure string
}

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failure = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func checkCall(t *testing.T, l *cctest.Ledger, inv cctest.Invariants, who *cctest.Identity, fn string, args ...string) string {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		l.CheckCall(r, inv, who, fn, args, map[string][]byte{"secret": []byte("xPHIx")})
	}()
	<-done
	return r.failure
}

func TestCheckCallCatchesEveryBrokenInvariant(t *testing.T) {
	l := cctest.New(t)
	l.Deploy("leaky", &leakyContract{})
	who := l.Identity("HospitalMSP", "patient1", cctest.RoleAttrs("patient", "pat-1"))
	evaluate, submit := l.Transactions("leaky", who)
	require.Equal(t, []string{"Peek"}, evaluate)
	inv := cctest.Invariants{Chaincode: "leaky", Submit: submit, Marker: "PHI"}
	tests := []struct {
		fn   string
		args []string
		want string // "" when the call keeps the invariants
	}{
		{"Refuse", nil, ""},
		{"Peek", nil, ""},
		{"Store", []string{"a PHI value the caller made public itself"}, ""},
		{"Nope", nil, ""},
		{"Leak", nil, "public data holds private data: state leaky key k"},
		{"Shout", nil, "repeats private input"},
		{"Tell", nil, "goes into a block"},
		{"Emit", nil, "event Told"},
		{"Crash", nil, "INTERNAL"},
		{"Uncoded", nil, "INTERNAL"},
	}
	for _, tc := range tests {
		t.Run(tc.fn, func(t *testing.T) {
			got := checkCall(t, l.Clone(t), inv, who, tc.fn, tc.args...)
			if tc.want == "" {
				require.Empty(t, got)
				return
			}
			require.Contains(t, got, tc.want)
		})
	}
}

func TestTheSeedCorpusIsWrittenThenChecked(t *testing.T) {
	dir := t.TempDir()
	seeds := []cctest.Seed{
		{Who: 3, Fn: "Put", Args: []string{"i-1", "v"}, Transient: map[string][]byte{"secret": []byte("s")}},
		{Who: 0, Fn: "org.hyperledger.fabric:GetMetadata"},
	}
	t.Setenv(cctest.EnvUpdateCorpus, "1")
	cctest.SyncCorpus(t, dir, seeds)
	raw, err := os.ReadFile(filepath.Join(dir, "seed-000-Put"))
	require.NoError(t, err)
	require.Equal(t, "go test fuzz v1\nbyte('\\x03')\nstring(\"Put\")\nstring(\"\\x1fi-1\\x1fv\")\n[]byte(\"secret\\x1ds\")\n", string(raw))
	require.FileExists(t, filepath.Join(dir, "seed-001-orghyperledgerfabricGetMetadata"))

	t.Setenv(cctest.EnvUpdateCorpus, "")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "4f2a-found-by-the-fuzzer"), []byte("kept"), 0o644))
	cctest.SyncCorpus(t, dir, seeds)
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		cctest.SyncCorpus(r, dir, seeds[:1])
	}()
	<-done
	require.Contains(t, r.failure, "seed-001-orghyperledgerfabricGetMetadata is left over")
}
