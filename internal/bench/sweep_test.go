package bench

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/healthledger/healthledger/gateway-client/sdktest"
	"github.com/healthledger/healthledger/internal/stats"
	"github.com/stretchr/testify/require"
)

func TestSweepConfigValidate(t *testing.T) {
	ok := SweepConfig{Workloads: []string{BaselineWrite}, Concurrencies: []int{1, 4}, Duration: Duration(time.Second)}
	require.NoError(t, ok.Validate())
	require.NoError(t, DefaultSweepConfig().Validate())
	for name, mutate := range map[string]func(*SweepConfig){
		"no workload":                  func(c *SweepConfig) { c.Workloads = nil },
		"no concurrency":               func(c *SweepConfig) { c.Concurrencies = nil },
		"a zero concurrency":           func(c *SweepConfig) { c.Concurrencies = []int{0, 4} },
		"concurrencies not increasing": func(c *SweepConfig) { c.Concurrencies = []int{4, 4} },
		"no duration":                  func(c *SweepConfig) { c.Duration = 0 },
		"a negative warm-up":           func(c *SweepConfig) { c.Warmup = -1 },
		"a workload twice":             func(c *SweepConfig) { c.Workloads = []string{BaselineWrite, BaselineWrite} },
	} {
		t.Run(name+" is refused", func(t *testing.T) {
			c := ok
			c.Workloads = append([]string(nil), ok.Workloads...)
			mutate(&c)
			require.ErrorIs(t, c.Validate(), ErrConfig)
		})
	}
	t.Run("an unknown workload is refused", func(t *testing.T) {
		c := ok
		c.Workloads = []string{"nope"}
		require.ErrorIs(t, c.Validate(), ErrUnknownWorkload)
	})
}

func TestRunSweep(t *testing.T) {
	var (
		writes atomic.Int64
		mu     sync.Mutex
		keys   = map[string]int{}
	)
	env := testEnv(t, func(_ context.Context, call sdktest.Call) ([]byte, error) {
		if call.Function == "Write" {
			writes.Add(1)
			mu.Lock()
			keys[call.Args[0]]++
			mu.Unlock()
		}
		return nil, nil
	})
	runID := env.RunID
	cfg := SweepConfig{Workloads: []string{BaselineWrite, ConsentGrant}, Concurrencies: []int{1, 3},
		Duration: Duration(150 * time.Millisecond), Warmup: Duration(20 * time.Millisecond)}
	rep, err := RunSweep(context.Background(), env, cfg, RunOptions{})
	require.NoError(t, err)
	require.Len(t, rep.Points, 4)
	for i, want := range []struct {
		w string
		c int
	}{{BaselineWrite, 1}, {BaselineWrite, 3}, {ConsentGrant, 1}, {ConsentGrant, 3}} {
		require.Equal(t, want.w, rep.Points[i].Workload)
		require.Equal(t, want.c, rep.Points[i].Concurrency)
	}
	for _, p := range rep.Points[:2] {
		require.NotNil(t, p.Result)
		require.Equal(t, p.Concurrency, p.Result.Config.Concurrency)
		require.Positive(t, p.Result.Stats.Succeeded)
		require.Positive(t, p.Result.Stats.TxPerSecond)
	}
	for _, p := range rep.Points[2:] {
		require.Nil(t, p.Result, "consent is not deployed on the test network")
		require.Contains(t, p.Skipped, "consent")
	}
	require.GreaterOrEqual(t, writes.Load(), int64(rep.Points[0].Result.Stats.Succeeded+rep.Points[1].Result.Stats.Succeeded))
	mu.Lock()
	for k, n := range keys {
		require.Equal(t, 1, n, "key %s written by two points: each point needs ids of its own", k)
	}
	mu.Unlock()
	require.Equal(t, runID, env.RunID, "the sweep gives the environment its run id back")

	var out bytes.Buffer
	require.NoError(t, WriteSweepText(&out, rep))
	lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	require.Len(t, lines, 5)
	require.Contains(t, lines[0], "p99 ms")
	require.Contains(t, lines[3], "not run: ")
	require.Equal(t, strings.Index(lines[0], "retries")+len("retries"), strings.Index(lines[3], "-  not run")+1,
		"a point that did not run keeps the columns aligned:\n%s", out.String())

	t.Run("an interrupted sweep records the points left as skipped", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		rep, err := RunSweep(ctx, env, cfg, RunOptions{})
		require.NoError(t, err)
		require.Len(t, rep.Points, 4)
		for _, p := range rep.Points {
			require.Equal(t, "interrupted", p.Skipped)
		}
	})
	t.Run("a bad configuration runs nothing", func(t *testing.T) {
		before := writes.Load()
		_, err := RunSweep(context.Background(), env, SweepConfig{Workloads: []string{BaselineWrite}, Concurrencies: []int{0}, Duration: Duration(time.Second)}, RunOptions{})
		require.ErrorIs(t, err, ErrConfig)
		require.Equal(t, before, writes.Load())
	})
	t.Run("tuning is a sweep of baseline-write", func(t *testing.T) {
		tr, err := RunTuning(context.Background(), env, []int{2, 5}, 100*time.Millisecond, 0, RunOptions{})
		require.NoError(t, err)
		require.Len(t, tr.Points, 2)
		require.Equal(t, 5, tr.Points[1].Config.Concurrency)
		require.Equal(t, BaselineWrite, tr.Points[1].Workload)
	})
}

// goldenSweep is a sweep with two workloads, one point that failed to prepare and one whose
// operations all failed.
func goldenSweep() *SweepReport {
	pt := func(w string, c int, txs, p50, p99 float64, failed, retries int) SweepPoint {
		r := goldenResult(w, "x", Submit, txs, p50, 0)
		r.Config.Concurrency = c
		r.Stats.Latency.P99Ms = p99
		r.Stats.Failed, r.Stats.Retries = failed, retries
		return SweepPoint{Workload: w, Concurrency: c, Result: r}
	}
	dead := pt(ConsentGrant, 100, 0, 0, 0, 40, 120)
	dead.Result.Stats.Succeeded = 0
	dead.Result.Stats.Errors = []stats.ErrorCount{{Code: "UNAVAILABLE", Count: 40}}
	return &SweepReport{
		Started: time.Date(2026, 12, 6, 4, 15, 0, 0, time.UTC), Command: "hlbench sweep -w baseline-write,consent-grant -c 8,24,100 -d 8s",
		Machine: MachineInfo{CPUModel: "Test CPU", Cores: 2},
		Config:  SweepConfig{Workloads: []string{BaselineWrite, ConsentGrant}, Concurrencies: []int{8, 24, 100}, Duration: Duration(8 * time.Second), Warmup: Duration(2 * time.Second)},
		Points: []SweepPoint{
			pt(BaselineWrite, 8, 61.5, 120, 180, 0, 0),
			pt(BaselineWrite, 24, 170, 135, 260, 0, 2),
			pt(BaselineWrite, 100, 310, 290, 740, 1, 9),
			pt(ConsentGrant, 8, 48, 150, 230, 0, 0),
			pt(ConsentGrant, 24, 121.25, 180, 410, 0, 3),
			dead,
			{Workload: ProvenanceVerify, Concurrency: 8, Skipped: "workload unavailable on this network: chaincode provenance | is not deployed"},
		},
	}
}

func TestSweepSection(t *testing.T) {
	rep := goldenSweep()
	var b bytes.Buffer
	require.NoError(t, RenderSweepSection(&b, rep, "bench-sweep.svg", "One short run."))
	got := b.String()
	for _, want := range []string{
		"## Concurrency sweep\n", "> One short run.\n", "8s per point after a 2s\nwarm-up",
		"2026-12-06 04:15 UTC, 2 shared cores (Test CPU)", "`" + rep.Command + "`",
		"](bench-sweep.svg)",
		"| baseline-write | 100 | 310 | 290 | 740 | 1 | 9 |\n",
		"| consent-grant | 24 | 121 | 180 | 410 | 0 | 3 |\n",
		"| consent-grant | 100 | 0.0 | — | — | 40 | 120 |\n", // all failed: no latency, yet in the table
		"| provenance-verify | 8 | not run: workload unavailable on this network: chaincode provenance \\| is not deployed | | | | |\n",
	} {
		require.Contains(t, got, want)
	}
	t.Run("without a chart there is no image", func(t *testing.T) {
		var b bytes.Buffer
		require.NoError(t, RenderSweepSection(&b, rep, "", ""))
		require.NotContains(t, b.String(), "![")
		require.NotContains(t, b.String(), "> ")
	})
	t.Run("the page holds the same section after the tuning table", func(t *testing.T) {
		var page bytes.Buffer
		require.NoError(t, RenderMarkdown(&page, goldenSparseMatrix(), nil, DocInfo{Command: "make bench", Sweep: rep, SweepChart: "bench-sweep.svg", SweepNote: "One short run."}))
		p := page.String()
		require.Contains(t, p, got)
		require.Less(t, strings.Index(p, "## BatchTimeout"), strings.Index(p, "## Concurrency sweep"))
		require.Less(t, strings.Index(p, "## Concurrency sweep"), strings.Index(p, "## The defaults"))
	})
	t.Run("no sweep is an error", func(t *testing.T) {
		require.ErrorIs(t, RenderSweepSection(&bytes.Buffer{}, nil, "", ""), ErrConfig)
	})
}
