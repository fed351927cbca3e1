package bench

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/healthledger/healthledger/internal/procstat"
	"github.com/healthledger/healthledger/internal/stats"
	"github.com/stretchr/testify/require"
)

func result(name string, kind Kind, txs, p50 float64, failed int) *Result {
	r := &Result{Workload: name, Kind: kind, Chaincode: "x", Config: Config{Concurrency: 8, Duration: Duration(10 * time.Second)},
		Stats: stats.Summary{Ops: 100 + failed, Succeeded: 100, Failed: failed, TxPerOp: 1, ElapsedSeconds: 10, TxPerSecond: txs,
			Latency: stats.Latency{Count: 100, MinMs: p50 / 2, P50Ms: p50, P95Ms: p50 * 2, P99Ms: p50 * 3, MaxMs: p50 * 4},
			Errors:  []stats.ErrorCount{}}}
	if failed > 0 {
		r.Stats.Errors = []stats.ErrorCount{{Code: "MVCC_READ_CONFLICT", Count: failed, Example: "tx x | failed"}}
	}
	return r
}

// sampleMatrix is a matrix report with known figures: write baselines 100 and 80 (mean 90), read
// baselines 1000 and 1000.
func sampleMatrix() *MatrixReport {
	specs := []SpecInfo{}
	for _, s := range Workloads().All() {
		specs = append(specs, infoOf(s))
	}
	withRes := func(r *Result, u float64) *Result {
		r.Resources = &procstat.Usage{Groups: []procstat.ProcessUsage{{Name: "peer", Processes: 3, CPUPercent: u, RSSMaxMB: 300}}}
		return r
	}
	return &MatrixReport{
		Command: "hlbench matrix -d 10s", Started: time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC),
		Machine:   MachineInfo{CPUModel: "Test CPU", Cores: 2, MemoryGB: 8, LoadAverage: []float64{1, 2, 3}},
		Network:   NetworkInfo{Channel: "ch", Orgs: []string{"AMSP", "BMSP"}, Orderers: 3, BatchTimeout: "100ms", MaxMessageCount: 50, ChannelEndorsement: "MAJORITY Endorsement", Endorsement: map[string]string{"baseline": "channel policy /Channel/Application/Endorsement"}},
		Config:    MatrixConfig{SubmitConcurrency: 48, EvaluateConcurrency: 8, Duration: Duration(10 * time.Second), Warmup: Duration(time.Second), Records: []int{1000, 100000}},
		ValueSize: 100,
		Specs:     specs,
		Runs: []MatrixRun{
			{Phase: PhaseBaselineStart, Workload: BaselineWrite, Result: withRes(result(BaselineWrite, Submit, 100, 150, 0), 90)},
			{Phase: PhaseBaselineStart, Workload: BaselineRead, Result: result(BaselineRead, Evaluate, 1000, 5, 0)},
			{Phase: PhaseDomain, Workload: ConsentCheckAccess, Result: withRecords(result(ConsentCheckAccess, Evaluate, 850, 25, 0), 1000)},
			{Phase: PhaseDomain, Workload: ProvenanceVerify, Result: withRecords(result(ProvenanceVerify, Evaluate, 900, 6, 0), 1000)},
			{Phase: PhaseDomain, Workload: ConsentGrant, Result: result(ConsentGrant, Submit, 81, 160, 0)},
			{Phase: PhaseDomain, Workload: ConsentRecordAccess, Result: result(ConsentRecordAccess, Submit, 95, 160, 3)},
			{Phase: PhaseDomain, Workload: ClaimsSubmit, Skipped: "workload unavailable on this network: chaincode claims is not deployed"},
			{Phase: PhaseScaling, Workload: ConsentCheckAccess, Result: withRecords(result(ConsentCheckAccess, Evaluate, 770, 27, 0), 100000)},
			{Phase: PhaseScaling, Workload: ProvenanceVerify, Result: withRecords(result(ProvenanceVerify, Evaluate, 600, 9, 0), 100000)},
			{Phase: PhaseBaselineEnd, Workload: BaselineRead, Result: result(BaselineRead, Evaluate, 1000, 5, 0)},
			{Phase: PhaseBaselineEnd, Workload: BaselineWrite, Result: result(BaselineWrite, Submit, 80, 170, 0)},
		},
	}
}

func withRecords(r *Result, n int) *Result { r.Records = n; return r }

func rowOf(t *testing.T, a Analysis, name string) Row {
	t.Helper()
	for _, r := range a.Rows {
		if r.Run.Workload == name {
			return r
		}
	}
	t.Fatalf("no row %s", name)
	return Row{}
}

func TestAnalyze(t *testing.T) {
	a := Analyze(sampleMatrix())
	t.Run("the baselines are the mean of start and end, with their drift", func(t *testing.T) {
		require.Equal(t, 90.0, a.WriteRef)
		require.InDelta(t, 20.0/90.0, a.WriteDrift, 1e-12)
		require.Equal(t, 1000.0, a.ReadRef)
		require.Zero(t, a.ReadDrift)
	})
	t.Run("a write is compared with the write baseline and meets 0.8x at 0.9x", func(t *testing.T) {
		r := rowOf(t, a, ConsentGrant)
		require.InDelta(t, 0.9, r.Ratio, 1e-12)
		require.Equal(t, Met, r.Target)
	})
	t.Run("a query is compared with the read baseline and misses on a slow p50 despite its ratio", func(t *testing.T) {
		r := rowOf(t, a, ConsentCheckAccess)
		require.InDelta(t, 0.85, r.Ratio, 1e-12)
		require.Equal(t, Missed, r.Target)
		require.Contains(t, r.Why, "p50")
	})
	t.Run("a ratio just under the target is shown precisely enough to see the miss", func(t *testing.T) {
		verdict, why := judge(&Target{MinRatio: 0.8}, 0.7956, result("w", Submit, 1, 1, 0))
		require.Equal(t, Missed, verdict)
		require.Equal(t, "0.796× vs ≥ 0.800×", why)
	})
	t.Run("failed operations miss the target whatever the ratio", func(t *testing.T) {
		r := rowOf(t, a, ConsentRecordAccess)
		require.Greater(t, r.Ratio, 0.8)
		require.Equal(t, Missed, r.Target)
	})
	t.Run("a skipped workload has no ratio and misses its target", func(t *testing.T) {
		r := rowOf(t, a, ClaimsSubmit)
		require.Zero(t, r.Ratio)
		require.Equal(t, Missed, r.Target)
	})
	t.Run("scaling compares the first and the last point", func(t *testing.T) {
		require.Len(t, a.Scaling, 2)
		ca, v := a.Scaling[0], a.Scaling[1]
		require.InDelta(t, 850.0/770.0, ca.Ratio, 1e-12)
		require.InDelta(t, 27.0/25.0, ca.P50Ratio, 1e-12)
		require.Equal(t, Met, ca.Target)
		require.InDelta(t, 1.5, v.Ratio, 1e-12)
		require.Equal(t, Missed, v.Target)
	})
	t.Run("a report without baselines gives no ratio rather than a division by zero", func(t *testing.T) {
		m := sampleMatrix()
		m.Runs = m.Runs[2:5]
		b := Analyze(m)
		require.Zero(t, b.WriteRef)
		for _, r := range b.Rows {
			require.Zero(t, r.Ratio)
		}
	})
}

func TestRenderMarkdown(t *testing.T) {
	m := sampleMatrix()
	tune := func(bt string, tx1, tx2 float64) *TuningReport {
		return &TuningReport{Command: "hlbench tune", Network: NetworkInfo{BatchTimeout: bt, MaxMessageCount: 50, Orderers: 3},
			Points: []*Result{result(BaselineWrite, Submit, tx1, 120, 0), result(BaselineWrite, Submit, tx2, 300, 0)}}
	}
	t1, t2 := tune("100ms", 10, 200), tune("500ms", 2, 150)
	t1.Points[1].Config.Concurrency, t2.Points[1].Config.Concurrency = 32, 32
	t1.Points[0].Config.Concurrency, t2.Points[0].Config.Concurrency = 1, 1

	// The page is rendered from JSON, as hlbench report does.
	raw, err := json.Marshal(m)
	require.NoError(t, err)
	var back MatrixReport
	require.NoError(t, json.Unmarshal(raw, &back))

	var buf bytes.Buffer
	require.NoError(t, RenderMarkdown(&buf, &back, []*TuningReport{t1, t2}, DocInfo{Command: "make bench", Took: 25 * time.Minute, Note: "A development run.", Settings: []string{"HL_GATEWAY_CONCURRENCY=500"}}))
	page := buf.String()
	for _, want := range []string{
		"# Benchmarks",
		"Reproduce: `make bench` (took 25m0s here)",
		"> A development run.",
		"| **baseline-write** (mean of start and end) | submit | **90.0** |",
		"| consent-grant | submit | 81.0 | 0.90× |",
		"| claims-submit | submit | not run |",
		"drift 22%",
		"| consent-checkaccess | 1000 | 850 | 25.0 | 100000 | 770 | 27.0 | **1.10** | 1.08 |",
		"| scaling ratio ≤ 1.25 | provenance-verify | 1.50 | **missed** |",
		"BatchTimeout 100ms: tx/s | p50 ms | p99 ms | BatchTimeout 500ms: tx/s",
		"| 1 | 10.0 | 120 | 360 | 2.0 | 120 | 360 |",
		"| 32 | 200 | 300 | 900 | 150 | 300 | 900 |",
		"MVCC_READ_CONFLICT × 3: `tx x \\| failed`",
		"the channel's default, /Channel/Application/Endorsement, is MAJORITY Endorsement",
		"`HL_GATEWAY_CONCURRENCY=500`",
		"about 2,900 tx/s for 100-byte blind",
		"**90.0 tx/s**",
		"(100-byte values, endorsed by a majority, 2 of 2 orgs) with 3 orderers and 2 peer organisations",
		"3.1% of the",
		"about 1/20 of its hardware threads, and with 3 Raft orderers instead of one.",
		"Test CPU, 2 cores",
		"| baseline-write (baseline-start) | 90% |",
	} {
		require.Contains(t, page, want)
	}
	require.NotContains(t, page, "NaN")
	require.NotContains(t, page, "%!")
	// Every table row has as many cells as its header.
	lines := strings.Split(page, "\n")
	for i := 1; i < len(lines); i++ {
		if strings.HasPrefix(lines[i], "|--") || strings.HasPrefix(lines[i], "|---") {
			header := strings.Count(lines[i-1], "|") - strings.Count(lines[i-1], "\\|")
			for j := i + 1; j < len(lines) && strings.HasPrefix(lines[j], "|"); j++ {
				require.Equal(t, header, strings.Count(lines[j], "|")-strings.Count(lines[j], "\\|"), "row %q under %q", lines[j], lines[i-1])
			}
		}
	}
}

func TestCommas(t *testing.T) {
	for in, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 100000: "100,000", 1234567: "1,234,567"} {
		t.Run(want, func(t *testing.T) { require.Equal(t, want, commas(in)) })
	}
}
