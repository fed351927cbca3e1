package bench

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/healthledger/healthledger/internal/procstat"
	"github.com/healthledger/healthledger/internal/stats"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden pages in testdata/")

// goldenResult is a measured workload with round figures derived from txs and p50.
func goldenResult(name, chaincode string, kind Kind, txs, p50 float64, records int, errs ...stats.ErrorCount) *Result {
	failed := 0
	for _, e := range errs {
		failed += e.Count
	}
	if errs == nil {
		errs = []stats.ErrorCount{}
	}
	return &Result{Workload: name, Chaincode: chaincode, Kind: kind, Records: records,
		Config: Config{Workload: name, Concurrency: 8, Duration: Duration(10 * time.Second)},
		Stats: stats.Summary{Ops: 100 + failed, Succeeded: 100, Failed: failed, TxPerOp: 1, ElapsedSeconds: 10, TxPerSecond: txs,
			Latency: stats.Latency{Count: 100, MinMs: p50 / 2, P50Ms: p50, P95Ms: p50 * 2, P99Ms: p50 * 3, MaxMs: p50 * 4},
			Errors:  errs}}
}

func withUsage(r *Result, peer, orderer, cc, self, host float64) *Result {
	r.Resources = &procstat.Usage{
		Groups: []procstat.ProcessUsage{
			{Name: "peer", Processes: 3, CPUPercent: peer, RSSMaxMB: 310},
			{Name: "orderer", Processes: 3, CPUPercent: orderer, RSSMaxMB: 120},
			{Name: "chaincode:" + r.Chaincode, Processes: 3, CPUPercent: cc, RSSMaxMB: 40},
		},
		Self:           procstat.ProcessUsage{Name: "hlbench", CPUPercent: self},
		HostCPUPercent: host,
	}
	return r
}

// goldenFullMatrix exercises every part of the page: both baselines twice, targets met and missed,
// a workload of several transactions per operation, a skipped and a failed workload, errors whose
// messages hold a table separator, two scaling points, resource figures and network problems.
func goldenFullMatrix() *MatrixReport {
	specs := []SpecInfo{
		{Name: BaselineWrite, Summary: "a blind write of one key", Chaincode: "baseline", Kind: Submit, TxPerOp: 1},
		{Name: BaselineRead, Summary: "a read of one key", Chaincode: "baseline", Kind: Evaluate, TxPerOp: 1},
		{Name: "consent-checkaccess", Summary: "a decision", Chaincode: "consent", Kind: Evaluate, TxPerOp: 1, Scales: true,
			Target: &Target{MinRatio: 0.5, MaxP50: Duration(20 * time.Millisecond)}},
		{Name: "provenance-verify", Summary: "a verification", Chaincode: "provenance", Kind: Evaluate, TxPerOp: 1, Scales: true,
			Target: &Target{MinRatio: 0.8}},
		{Name: "consent-grant", Summary: "a grant", Chaincode: "consent", Kind: Submit, TxPerOp: 1, Target: &Target{MinRatio: 0.8}},
		{Name: "provenance-ship", Summary: "a shipment and its receipt", Chaincode: "provenance", Kind: Submit, TxPerOp: 2},
		{Name: "claims-submit", Summary: "a claim", Chaincode: "claims", Kind: Submit, TxPerOp: 1, Target: &Target{MinRatio: 0.5}},
		{Name: "claims-adjudicate", Summary: "an adjudication", Chaincode: "claims", Kind: Submit, TxPerOp: 1},
	}
	ship := goldenResult("provenance-ship", "provenance", Submit, 40, 320, 0)
	ship.Stats.TxPerOp = 2
	return &MatrixReport{
		Command: "hlbench matrix -d 10s -records 1000,100000", Started: time.Date(2026, 3, 4, 5, 6, 0, 0, time.UTC),
		Machine: MachineInfo{CPUModel: "Test CPU @ 2.0GHz", Cores: 2, MemoryGB: 7.6, Kernel: "6.1.0", OS: "linux/amd64", Go: "go1.26",
			LoadAverage: []float64{0.5, 1.25, 2}},
		Network: NetworkInfo{Channel: "healthchannel", Layout: "default", Orgs: []string{"HospitalMSP", "PharmaMSP", "InsurerMSP"},
			Orderers: 3, OrdererType: "etcdraft", BatchTimeout: "100ms", MaxMessageCount: 50, PreferredMaxBytes: 2097152,
			ChannelEndorsement: "MAJORITY Endorsement",
			Endorsement:        map[string]string{"baseline": "channel policy /Channel/Application/Endorsement", "consent": "OR('HospitalMSP.peer')"},
			Problems:           []string{"claims: definition | not found"}},
		Config:    MatrixConfig{SubmitConcurrency: 48, EvaluateConcurrency: 8, Duration: Duration(10 * time.Second), Warmup: Duration(2 * time.Second), Records: []int{1000, 100000}},
		ValueSize: 100,
		Specs:     specs,
		Runs: []MatrixRun{
			{Phase: PhaseBaselineStart, Workload: BaselineWrite, Result: withUsage(goldenResult(BaselineWrite, "baseline", Submit, 410, 150, 0), 95, 30, 12.4, 20, 187)},
			{Phase: PhaseBaselineStart, Workload: BaselineRead, Result: goldenResult(BaselineRead, "baseline", Evaluate, 1500, 4.2, 0)},
			{Phase: PhaseDomain, Workload: "consent-checkaccess", Result: goldenResult("consent-checkaccess", "consent", Evaluate, 900, 25, 1000)},
			{Phase: PhaseDomain, Workload: "provenance-verify", Result: withUsage(goldenResult("provenance-verify", "provenance", Evaluate, 1350, 5.5, 1000), 80, 0, 35, 15, 150)},
			{Phase: PhaseDomain, Workload: "consent-grant", Result: goldenResult("consent-grant", "consent", Submit, 350, 160, 0,
				stats.ErrorCount{Code: "MVCC_READ_CONFLICT", Count: 3, Example: "transaction abc | failed to commit"},
				stats.ErrorCount{Code: "DEADLINE_EXCEEDED", Count: 1, Example: "context deadline exceeded\nafter 15s"})},
			{Phase: PhaseDomain, Workload: "provenance-ship", Result: ship},
			{Phase: PhaseDomain, Workload: "claims-submit", Skipped: "workload unavailable on this network: chaincode claims is not deployed"},
			{Phase: PhaseDomain, Workload: "claims-adjudicate", Error: "prepare: no insurer | identity"},
			{Phase: PhaseScaling, Workload: "consent-checkaccess", Result: goldenResult("consent-checkaccess", "consent", Evaluate, 820, 27, 100000)},
			{Phase: PhaseScaling, Workload: "provenance-verify", Result: goldenResult("provenance-verify", "provenance", Evaluate, 900, 9, 100000)},
			{Phase: PhaseBaselineEnd, Workload: BaselineRead, Result: goldenResult(BaselineRead, "baseline", Evaluate, 1450, 4.4, 0)},
			{Phase: PhaseBaselineEnd, Workload: BaselineWrite, Result: goldenResult(BaselineWrite, "baseline", Submit, 390, 170, 0)},
		},
	}
}

func goldenTuning(batchTimeout string, points ...[3]float64) *TuningReport {
	t := &TuningReport{Command: "hlbench tune -c 1,8,48", Network: NetworkInfo{BatchTimeout: batchTimeout, MaxMessageCount: 50, Orderers: 3}}
	for _, pt := range points {
		r := goldenResult(BaselineWrite, "baseline", Submit, pt[1], pt[2], 0)
		r.Config.Concurrency = int(pt[0])
		t.Points = append(t.Points, r)
	}
	return t
}

// goldenSparseMatrix is a run with little in it: one write baseline only, no scaling point, no
// failures, no load average, no resource figures, a single org with an unknown endorsement policy.
func goldenSparseMatrix() *MatrixReport {
	return &MatrixReport{
		Command: "hlbench matrix -w consent-grant", Started: time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC),
		Machine:   MachineInfo{Cores: 1},
		Network:   NetworkInfo{Channel: "ch", Orgs: []string{"AMSP"}, Orderers: 1, Endorsement: map[string]string{}},
		Config:    MatrixConfig{SubmitConcurrency: 4, EvaluateConcurrency: 2, Duration: Duration(time.Second), Warmup: Duration(0), Records: []int{10}},
		ValueSize: 32,
		Specs:     []SpecInfo{{Name: "consent-grant", Summary: "a grant", Chaincode: "consent", Kind: Submit, TxPerOp: 1}},
		Runs: []MatrixRun{
			{Phase: PhaseBaselineStart, Workload: BaselineWrite, Result: goldenResult(BaselineWrite, "baseline", Submit, 12.5, 80, 0)},
			{Phase: PhaseDomain, Workload: "consent-grant", Result: goldenResult("consent-grant", "consent", Submit, 9.75, 95, 0)},
		},
	}
}

// TestRenderMarkdownGolden pins the page byte for byte. After an intended change of the page, rewrite
// the golden files with: go test ./internal/bench -run TestRenderMarkdownGolden -update
func TestRenderMarkdownGolden(t *testing.T) {
	tests := []struct {
		name    string
		m       *MatrixReport
		tunings []*TuningReport
		doc     DocInfo
	}{
		{"full", goldenFullMatrix(),
			[]*TuningReport{
				goldenTuning("100ms", [3]float64{1, 8.5, 120}, [3]float64{8, 60, 130}, [3]float64{48, 400, 160}),
				goldenTuning("500ms", [3]float64{1, 1.9, 530}, [3]float64{48, 380, 600}),
			},
			DocInfo{Command: "make bench", Took: 16*time.Minute + 31*time.Second + 400*time.Millisecond,
				Note: "A development run on a shared machine.\nFigures vary by ±10 %.", Settings: []string{"HL_GATEWAY_CONCURRENCY=500", "HL_BATCH_TIMEOUT=100ms"}}},
		{"sparse", goldenSparseMatrix(), nil, DocInfo{Command: "make bench"}},
		{"one tuning", goldenSparseMatrix(),
			[]*TuningReport{goldenTuning("", [3]float64{1, 5, 250})},
			DocInfo{Command: "hlbench report"}},
	}
	for _, tc := range tests {
		t.Run("the "+tc.name+" page is unchanged", func(t *testing.T) {
			var buf bytes.Buffer
			require.NoError(t, RenderMarkdown(&buf, tc.m, tc.tunings, tc.doc))
			path := filepath.Join("testdata", "benchmarks-"+strings.ReplaceAll(tc.name, " ", "-")+".md")
			if *update {
				require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err)
			require.Equal(t, string(want), buf.String())
		})
	}
}
