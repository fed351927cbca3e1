package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/gateway-client/sdk"
	"github.com/healthledger/healthledger/gateway-client/sdktest"
	"github.com/healthledger/healthledger/internal/stats"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
)

const testNetworkJSON = `{"layout":"default","channel":"healthchannel",
 "orgs":[{"name":"hospital","mspId":"HospitalMSP","profile":"hospital.json","roles":["patient","provider"]},
         {"name":"pharma","mspId":"PharmaMSP","profile":"pharma.json","roles":["manufacturer","distributor"]}],
 "identities":[{"name":"patient1","org":"hospital","mspId":"HospitalMSP","role":"patient","subject":"pat-1"},
               {"name":"provider1","org":"hospital","mspId":"HospitalMSP","role":"provider","subject":"1003000126"}],
 "chaincodes":["baseline"]}`

// testEnv is an environment whose connections are test clients answered by h.
func testEnv(t *testing.T, h sdktest.Handler) *Env {
	t.Helper()
	net, err := sdk.ParseNetwork([]byte(testNetworkJSON), t.TempDir())
	require.NoError(t, err)
	env := NewEnv(net)
	env.connect = func(_ context.Context, name string, opts ...sdk.Option) (*sdk.Client, error) {
		id, err := net.Identity(name)
		if err != nil {
			return nil, err
		}
		return sdktest.NewClient(h, id, append(opts, sdk.WithNetwork(net))...)
	}
	t.Cleanup(func() { _ = env.Close() })
	return env
}

// fakeSpec is a workload whose operation is fn.
func fakeSpec(fn Op) Spec {
	return Spec{
		Name: "fake", Chaincode: "baseline", Kind: Submit,
		Prepare: func(context.Context, *Env, Config) (Op, error) { return fn, nil },
	}
}

func sleepOp(d time.Duration, calls *atomic.Int64) Op {
	return func(ctx context.Context, _ uint64) error {
		calls.Add(1)
		time.Sleep(d)
		return nil
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"a count with a concurrency is valid", Config{Workload: "w", Concurrency: 4, Count: 10}, true},
		{"a duration with a rate is valid", Config{Workload: "w", Concurrency: 1, Duration: Duration(time.Second), Rate: 5}, true},
		{"an open loop with a rate is valid", Config{Workload: "w", Concurrency: 8, Duration: Duration(time.Second), Rate: 50, OpenLoop: true}, true},
		{"no workload is refused", Config{Concurrency: 1, Count: 1}, false},
		{"zero concurrency is refused", Config{Workload: "w", Count: 1}, false},
		{"neither count nor duration is refused", Config{Workload: "w", Concurrency: 1}, false},
		{"both count and duration are refused", Config{Workload: "w", Concurrency: 1, Count: 1, Duration: Duration(time.Second)}, false},
		{"a negative rate is refused", Config{Workload: "w", Concurrency: 1, Count: 1, Rate: -1}, false},
		{"an open loop without a rate is refused", Config{Workload: "w", Concurrency: 1, Count: 1, OpenLoop: true}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.ok {
				require.NoError(t, err)
				require.Equal(t, Duration(time.Minute), tt.cfg.OpTimeout, "the default timeout is filled in")
			} else {
				require.ErrorIs(t, err, ErrConfig)
			}
		})
	}
}

func TestRunCountsExactlyTheRequestedOperations(t *testing.T) {
	env := testEnv(t, nil)
	var calls atomic.Int64
	res, err := Run(context.Background(), env, fakeSpec(sleepOp(time.Millisecond, &calls)),
		Config{Workload: "fake", Concurrency: 4, Count: 50}, RunOptions{})
	require.NoError(t, err)
	require.Equal(t, int64(50), calls.Load())
	require.Equal(t, 50, res.Stats.Ops)
	require.Equal(t, 50, res.Stats.Succeeded)
	require.Positive(t, res.Stats.TxPerSecond)
	l := res.Stats.Latency
	require.GreaterOrEqual(t, l.MinMs, 1.0)
	require.True(t, l.MinMs <= l.P50Ms && l.P50Ms <= l.P95Ms && l.P95Ms <= l.P99Ms && l.P99Ms <= l.MaxMs, "%+v", l)
	require.Nil(t, res.Resources, "no pid folder, no resource figures")
	require.False(t, res.Interrupted)
}

func TestRunCountsAfterTheWarmup(t *testing.T) {
	env := testEnv(t, nil)
	var calls atomic.Int64
	began := time.Now()
	res, err := Run(context.Background(), env, fakeSpec(sleepOp(2*time.Millisecond, &calls)),
		Config{Workload: "fake", Concurrency: 2, Count: 20, Warmup: Duration(40 * time.Millisecond)}, RunOptions{})
	wall := time.Since(began)
	require.NoError(t, err)
	require.Equal(t, 20, res.Stats.Ops, "exactly the count is measured")
	require.Greater(t, calls.Load(), int64(20), "warm-up operations ran too")
	require.Positive(t, res.Stats.ElapsedSeconds)
	require.LessOrEqual(t, res.Stats.ElapsedSeconds, (wall - 40*time.Millisecond).Seconds(), "the window opens after the warm-up")
}

func TestRunCountsErrorsByCode(t *testing.T) {
	env := testEnv(t, nil)
	op := func(_ context.Context, n uint64) error {
		switch n % 4 {
		case 1:
			return fmt.Errorf("calling: %w", context.DeadlineExceeded)
		case 2:
			panic("boom")
		}
		return nil
	}
	res, err := Run(context.Background(), env, fakeSpec(op), Config{Workload: "fake", Concurrency: 1, Count: 40}, RunOptions{})
	require.NoError(t, err)
	require.Equal(t, 40, res.Stats.Ops)
	require.Equal(t, 20, res.Stats.Succeeded)
	require.Equal(t, 20, res.Stats.Failed)
	got := map[string]int{}
	for _, e := range res.Stats.Errors {
		got[e.Code] = e.Count
	}
	require.Equal(t, map[string]int{"DEADLINE_EXCEEDED": 10, "PANIC": 10}, got)
}

func TestRunByDuration(t *testing.T) {
	t.Run("a timed window measures what completes inside it, after the warm-up", func(t *testing.T) {
		env := testEnv(t, nil)
		var calls atomic.Int64
		res, err := Run(context.Background(), env, fakeSpec(sleepOp(5*time.Millisecond, &calls)), Config{
			Workload: "fake", Concurrency: 2, Duration: Duration(200 * time.Millisecond), Warmup: Duration(50 * time.Millisecond),
		}, RunOptions{})
		require.NoError(t, err)
		require.InDelta(t, 0.2, res.Stats.ElapsedSeconds, 1e-9)
		require.Positive(t, res.Stats.Succeeded)
		require.Less(t, int64(res.Stats.Ops), calls.Load(), "warm-up operations are run but not measured")
		require.LessOrEqual(t, res.Drained, 2, "at most one operation per worker is in flight when the window closes")
		require.InDelta(t, float64(res.Stats.Succeeded)/0.2, res.Stats.TxPerSecond, 1e-6)
	})
	t.Run("a rate limit paces a closed loop", func(t *testing.T) {
		env := testEnv(t, nil)
		var calls atomic.Int64
		res, err := Run(context.Background(), env, fakeSpec(sleepOp(0, &calls)), Config{
			Workload: "fake", Concurrency: 4, Duration: Duration(500 * time.Millisecond), Rate: 100,
		}, RunOptions{})
		require.NoError(t, err)
		require.InDelta(t, 50, res.Stats.Ops, 8, "100/s for half a second")
	})
	t.Run("an open loop keeps to its schedule and counts the queueing in the latency", func(t *testing.T) {
		env := testEnv(t, nil)
		var calls atomic.Int64
		// 200 arrivals/s, but two slots of 20 ms serve only 100/s: a queue builds up.
		res, err := Run(context.Background(), env, fakeSpec(sleepOp(20*time.Millisecond, &calls)), Config{
			Workload: "fake", Concurrency: 2, Duration: Duration(300 * time.Millisecond), Rate: 200, OpenLoop: true,
		}, RunOptions{})
		require.NoError(t, err)
		require.Greater(t, res.Stats.Latency.P99Ms, 60.0, "latency counts from the scheduled start")
		require.Greater(t, res.MaxStartLagMs, 20.0)
	})
	t.Run("an interrupted run stops early and says so", func(t *testing.T) {
		env := testEnv(t, nil)
		var calls atomic.Int64
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		started := time.Now()
		res, err := Run(ctx, env, fakeSpec(sleepOp(2*time.Millisecond, &calls)), Config{
			Workload: "fake", Concurrency: 2, Duration: Duration(time.Minute),
		}, RunOptions{})
		require.NoError(t, err)
		require.Less(t, time.Since(started), 5*time.Second)
		require.True(t, res.Interrupted)
		require.Less(t, res.Stats.ElapsedSeconds, 1.0)
		require.Positive(t, res.Stats.Succeeded)
	})
}

func TestRunFailures(t *testing.T) {
	t.Run("a workload whose chaincode is not deployed is unavailable", func(t *testing.T) {
		env := testEnv(t, nil)
		spec := fakeSpec(nil)
		spec.Chaincode = "claims"
		_, err := Run(context.Background(), env, spec, Config{Workload: "fake", Concurrency: 1, Count: 1}, RunOptions{})
		require.ErrorIs(t, err, ErrUnavailableWorkload)
	})
	t.Run("a failed preparation fails the run", func(t *testing.T) {
		env := testEnv(t, nil)
		boom := errors.New("no data")
		spec := Spec{Name: "fake", Chaincode: "baseline", Prepare: func(context.Context, *Env, Config) (Op, error) { return nil, boom }}
		_, err := Run(context.Background(), env, spec, Config{Workload: "fake", Concurrency: 1, Count: 1}, RunOptions{})
		require.ErrorIs(t, err, boom)
	})
	t.Run("an invalid configuration runs nothing", func(t *testing.T) {
		env := testEnv(t, nil)
		var calls atomic.Int64
		_, err := Run(context.Background(), env, fakeSpec(sleepOp(0, &calls)), Config{Workload: "fake"}, RunOptions{})
		require.ErrorIs(t, err, ErrConfig)
		require.Zero(t, calls.Load())
	})
}

func TestRunMeasuresTheNetworkProcesses(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs /proc")
	}
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "peer0-test.pid"), fmt.Appendf(nil, "%d\n", os.Getpid()), 0o644))
	env := testEnv(t, nil)
	var calls atomic.Int64
	res, err := Run(context.Background(), env, fakeSpec(sleepOp(time.Millisecond, &calls)),
		Config{Workload: "fake", Concurrency: 1, Count: 20}, RunOptions{PIDDir: dir, SampleInterval: 5 * time.Millisecond})
	require.NoError(t, err)
	require.NotNil(t, res.Resources)
	require.Len(t, res.Resources.Processes, 1)
	require.Equal(t, "peer", res.Resources.Processes[0].Group)
	require.Positive(t, res.Resources.Processes[0].RSSMaxMB)
	require.Empty(t, res.Resources.Processes[0].Note)
}

func TestClassify(t *testing.T) {
	handler := func(_ context.Context, call sdktest.Call) ([]byte, error) {
		switch call.Args[0] {
		case "notfound":
			return nil, codes.New(codes.NotFound, "key %s", call.Args[0])
		case "mvcc":
			return nil, &sdk.CommitError{TransactionID: call.TransactionID, Code: peer.TxValidationCode_MVCC_READ_CONFLICT}
		case "down":
			return nil, grpcUnavailable("peer down")
		case "aborted":
			return nil, grpcAborted("endorsement mismatch")
		case "mismatch":
			return nil, grpcAborted("failed to assemble transaction: ProposalResponsePayloads do not match")
		}
		return []byte("ok"), nil
	}
	env := testEnv(t, handler)
	c, err := env.Client(context.Background(), "patient1")
	require.NoError(t, err)
	k := c.Contract("baseline")
	tests := []struct {
		arg  string
		want string
	}{
		{"notfound", "NOT_FOUND"},
		{"mvcc", "MVCC_READ_CONFLICT"},
		{"down", "UNAVAILABLE"},
		{"aborted", "GRPC_ABORTED"},
		{"mismatch", "ENDORSEMENT_MISMATCH"},
	}
	for _, tt := range tests {
		t.Run("a "+tt.arg+" failure is "+tt.want, func(t *testing.T) {
			_, err := k.Submit(context.Background(), "Write", []string{tt.arg, "v"})
			require.Error(t, err)
			require.Equal(t, tt.want, Classify(err))
		})
	}
	t.Run("measured clients do not retry, so the failure is counted once", func(t *testing.T) {
		var calls atomic.Int64
		counting := testEnv(t, func(ctx context.Context, call sdktest.Call) ([]byte, error) {
			calls.Add(1)
			return handler(ctx, call)
		})
		c, err := counting.Client(context.Background(), "patient1")
		require.NoError(t, err)
		_, err = c.Contract("baseline").Submit(context.Background(), "Write", []string{"mvcc", "v"})
		require.Error(t, err)
		require.Equal(t, int64(1), calls.Load())
	})
	t.Run("deadline, cancellation and unknown errors have their own codes", func(t *testing.T) {
		require.Equal(t, "DEADLINE_EXCEEDED", Classify(fmt.Errorf("x: %w", context.DeadlineExceeded)))
		require.Equal(t, "CANCELED", Classify(context.Canceled))
		require.Equal(t, "OTHER", Classify(errors.New("odd")))
		require.Empty(t, Classify(nil))
	})
}

// TestRunCountsTheSDKsRetriesByCause checks that with retries on, every retry the SDK makes inside a
// measured operation is counted, by cause, whichever call made it (Submit here, which returns no
// attempt count), and that a mismatch that outlasts the retries is counted as ENDORSEMENT_MISMATCH.
func TestRunCountsTheSDKsRetriesByCause(t *testing.T) {
	var mu sync.Mutex
	tries := map[string]int{}
	env := testEnv(t, func(_ context.Context, call sdktest.Call) ([]byte, error) {
		mu.Lock()
		defer mu.Unlock()
		key := call.Args[0]
		tries[key]++
		switch {
		case key == "k-3": // the peers never agree
			return nil, grpcAborted("failed to assemble transaction: ProposalResponsePayloads do not match")
		case tries[key] == 1: // a lagging endorser
			return nil, grpcAborted("failed to assemble transaction: ProposalResponsePayloads do not match")
		case tries[key] == 2:
			return nil, &sdk.CommitError{TransactionID: call.TransactionID, Code: peer.TxValidationCode_MVCC_READ_CONFLICT}
		}
		return []byte("ok"), nil
	})
	env.Retry = &sdk.RetryPolicy{MaxAttempts: 4, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond}
	spec := Spec{
		Name: "fake", Chaincode: "baseline", Kind: Submit,
		Prepare: func(ctx context.Context, env *Env, _ Config) (Op, error) {
			c, err := env.Client(ctx, "patient1")
			if err != nil {
				return nil, err
			}
			k := c.Contract("baseline")
			return func(ctx context.Context, n uint64) error {
				_, err := k.Submit(ctx, "Write", []string{"k-" + strconv.FormatUint(n, 10), "v"})
				return err
			}, nil
		},
	}
	res, err := Run(context.Background(), env, spec, Config{Workload: "fake", Concurrency: 2, Count: 5}, RunOptions{})
	require.NoError(t, err)
	s := res.Stats
	require.Equal(t, 4, s.Succeeded)
	require.Equal(t, 1, s.Failed)
	require.Equal(t, []stats.ErrorCount{{Code: "ENDORSEMENT_MISMATCH", Count: 1, Example: s.Errors[0].Example}}, s.Errors)
	require.Contains(t, s.Errors[0].Example, "endorsing peers returned different results")
	// 4 operations retried twice (a mismatch, then an MVCC conflict), one 3 times (mismatches).
	require.Equal(t, 11, s.Retries)
	require.Equal(t, []stats.RetryCount{{Cause: "ENDORSEMENT_MISMATCH", Count: 7}, {Cause: "MVCC_READ_CONFLICT", Count: 4}}, s.RetriesByCause)

	var out strings.Builder
	require.NoError(t, WriteText(&out, res))
	require.Contains(t, out.String(), "11 retries")
	require.Contains(t, out.String(), "ENDORSEMENT_MISMATCH x7, MVCC_READ_CONFLICT x4")
}

func TestBaselineWorkloads(t *testing.T) {
	var mu sync.Mutex
	store := map[string]string{}
	handler := func(_ context.Context, call sdktest.Call) ([]byte, error) {
		mu.Lock()
		defer mu.Unlock()
		switch call.Function {
		case "Write":
			store[call.Args[0]] = call.Args[1]
			return nil, nil
		case "Read":
			v, ok := store[call.Args[0]]
			if !ok {
				return nil, codes.New(codes.NotFound, "key %s", call.Args[0])
			}
			return []byte(v), nil
		}
		return nil, codes.New(codes.InvalidArgument, "unknown function %s", call.Function)
	}
	reg := Workloads()
	t.Run("baseline-write writes distinct keys with values of the configured size", func(t *testing.T) {
		env := testEnv(t, handler)
		env.ValueSize = 64
		spec, err := reg.Get(BaselineWrite)
		require.NoError(t, err)
		res, err := Run(context.Background(), env, spec, Config{Workload: BaselineWrite, Concurrency: 3, Count: 30}, RunOptions{})
		require.NoError(t, err)
		require.Equal(t, 30, res.Stats.Succeeded)
		mu.Lock()
		defer mu.Unlock()
		require.Len(t, store, 30)
		for k, v := range store {
			require.Len(t, v, 64, k)
		}
	})
	t.Run("baseline-read preloads its keys once and reads them back", func(t *testing.T) {
		env := testEnv(t, handler)
		spec, err := reg.Get(BaselineRead)
		require.NoError(t, err)
		for range 2 {
			res, err := Run(context.Background(), env, spec, Config{Workload: BaselineRead, Concurrency: 2, Count: 250}, RunOptions{})
			require.NoError(t, err)
			require.Equal(t, 250, res.Stats.Succeeded, "%+v", res.Stats.Errors)
		}
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for k := range store {
			if len(k) > 3 && k[:3] == "br-" {
				n++
			}
		}
		require.Equal(t, readKeys, n)
	})
	t.Run("an unknown workload lists the known ones", func(t *testing.T) {
		_, err := reg.Get("nope")
		require.ErrorIs(t, err, ErrUnknownWorkload)
		require.ErrorContains(t, err, BaselineWrite)
	})
}

func TestDurationJSON(t *testing.T) {
	raw, err := json.Marshal(Config{Workload: "w", Concurrency: 1, Duration: Duration(1500 * time.Millisecond)})
	require.NoError(t, err)
	require.Contains(t, string(raw), `"duration":"1.5s"`)
	var back Config
	require.NoError(t, json.Unmarshal(raw, &back))
	require.Equal(t, Duration(1500*time.Millisecond), back.Duration)
	require.Error(t, json.Unmarshal([]byte(`{"duration":12}`), &back))
}

func TestParallel(t *testing.T) {
	t.Run("every index runs once", func(t *testing.T) {
		var seen sync.Map
		var n atomic.Int64
		require.NoError(t, Parallel(context.Background(), 100, 7, func(_ context.Context, i int) error {
			_, dup := seen.LoadOrStore(i, true)
			require.False(t, dup)
			n.Add(1)
			return nil
		}))
		require.Equal(t, int64(100), n.Load())
	})
	t.Run("the first error stops the work", func(t *testing.T) {
		boom := errors.New("boom")
		var n atomic.Int64
		err := Parallel(context.Background(), 1000, 2, func(_ context.Context, i int) error {
			n.Add(1)
			if i == 5 {
				return boom
			}
			return nil
		})
		require.ErrorIs(t, err, boom)
		require.Less(t, n.Load(), int64(1000))
	})
	t.Run("nothing to do is no error", func(t *testing.T) {
		require.NoError(t, Parallel(context.Background(), 0, 4, func(context.Context, int) error { return errors.New("never") }))
	})
}
