package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/healthledger/healthledger/internal/bench"
	"github.com/stretchr/testify/require"
)

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestCommandLine(t *testing.T) {
	t.Run("list names every workload with its chaincode and kind", func(t *testing.T) {
		code, out, _ := runCLI(t, "list")
		require.Equal(t, 0, code)
		for _, s := range bench.Workloads().All() {
			require.Contains(t, out, s.Name)
		}
		require.Contains(t, out, "evaluate")
	})
	t.Run("an unknown command is a usage error", func(t *testing.T) {
		code, _, errOut := runCLI(t, "launch")
		require.Equal(t, 2, code)
		require.Contains(t, errOut, `unknown command "launch"`)
	})
	t.Run("help is not an error", func(t *testing.T) {
		code, out, _ := runCLI(t, "help")
		require.Equal(t, 0, code)
		require.Contains(t, out, "matrix")
	})
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"zero concurrency is refused before connecting", []string{"run", "-c", "0"}, "concurrency 0"},
		{"an open loop without a rate is refused", []string{"run", "-open", "-d", "1s"}, "open loop needs a rate"},
		{"a stray argument is refused", []string{"run", "extra"}, `unexpected argument "extra"`},
		{"an undefined flag is refused", []string{"run", "-bogus"}, "flag provided but not defined"},
		{"a malformed scaling point is refused", []string{"matrix", "-records", "1000,lots"}, `"lots" is not a count`},
		{"a tuning concurrency below 1 is refused", []string{"tune", "-c", "0"}, "concurrencies of at least 1"},
		{"a sweep concurrency below 1 is refused before connecting", []string{"sweep", "-c", "0,8"}, "at least 1 and increasing"},
		{"sweep concurrencies out of order are refused", []string{"sweep", "-c", "24,8"}, "at least 1 and increasing"},
		{"a malformed sweep concurrency is refused", []string{"sweep", "-c", "8,many"}, `"many" is not a count`},
		{"an unknown sweep workload is refused before connecting", []string{"sweep", "-w", "baseline-write,nope"}, `"nope"`},
		{"a stray chart argument is refused", []string{"chart", "extra"}, `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runCLI(t, tt.args...)
			require.Equal(t, 2, code)
			require.Contains(t, errOut, tt.want)
		})
	}
	t.Run("a missing network is an error that says where it looked", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "nothing")
		code, _, errOut := runCLI(t, "run", "-profiles", dir, "-d", "1s")
		require.Equal(t, 1, code)
		require.Contains(t, errOut, "loading the network")
		require.Contains(t, errOut, dir)
	})
	t.Run("a negative number of attempts is refused before connecting", func(t *testing.T) {
		code, _, errOut := runCLI(t, "run", "-retries", "-2", "-profiles", filepath.Join(t.TempDir(), "nothing"))
		require.Equal(t, 1, code)
		require.Contains(t, errOut, "-retries must be -1 (the SDK's default), 0 or 1 (off), or a number of attempts; not -2")
	})
	t.Run("an unknown workload lists the known ones", func(t *testing.T) {
		code, _, errOut := runCLI(t, "run", "-w", "nope", "-profiles", t.TempDir())
		require.Equal(t, 1, code)
		require.Contains(t, errOut, bench.BaselineWrite)
	})
}

func TestReportRendersSavedResults(t *testing.T) {
	dir := t.TempDir()
	m := &bench.MatrixReport{
		Command: "hlbench matrix", Started: time.Now().UTC(),
		Config: bench.DefaultMatrixConfig(), ValueSize: 100,
		Runs:  []bench.MatrixRun{{Phase: bench.PhaseBaselineStart, Workload: bench.BaselineWrite, Skipped: "not deployed"}},
		Specs: []bench.SpecInfo{},
	}
	require.NoError(t, writeJSON(filepath.Join(dir, "m.json"), m))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "note.md"), []byte("From a test."), 0o644))
	out := filepath.Join(dir, "benchmarks.md")
	code, _, errOut := runCLI(t, "report", "-matrix", filepath.Join(dir, "m.json"), "-note-file", filepath.Join(dir, "note.md"), "-o", out)
	require.Equal(t, 0, code, errOut)
	page, err := os.ReadFile(out)
	require.NoError(t, err)
	require.Contains(t, string(page), "# Benchmarks")
	require.Contains(t, string(page), "> From a test.")

	t.Run("results that are not JSON are an error", func(t *testing.T) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, "bad.json"), []byte("{"), 0o644))
		code, _, errOut := runCLI(t, "report", "-matrix", filepath.Join(dir, "bad.json"))
		require.Equal(t, 1, code)
		require.Contains(t, errOut, "bad.json")
	})
}

func TestParseInts(t *testing.T) {
	tests := []struct {
		in   string
		want []int
		ok   bool
	}{
		{"1000,100000", []int{1000, 100000}, true},
		{"1_000, 100_000", []int{1000, 100000}, true},
		{"", []int{}, true},
		{"5,-1", nil, false},
		{"x", nil, false},
	}
	for _, tt := range tests {
		t.Run("parsing "+tt.in, func(t *testing.T) {
			got, err := parseInts(tt.in)
			if !tt.ok {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestChartRendersASavedSweep(t *testing.T) {
	dir := t.TempDir()
	point := func(w string, c int, txs, p50, p99 float64, ok int) bench.SweepPoint {
		r := &bench.Result{Workload: w, Config: bench.Config{Workload: w, Concurrency: c}}
		r.Stats.Succeeded, r.Stats.Ops, r.Stats.TxPerSecond = ok, ok, txs
		r.Stats.Latency.P50Ms, r.Stats.Latency.P99Ms = p50, p99
		return bench.SweepPoint{Workload: w, Concurrency: c, Result: r}
	}
	rep := &bench.SweepReport{Command: "hlbench sweep -c 8,24", Started: time.Date(2026, 12, 6, 4, 20, 0, 0, time.UTC),
		Machine: bench.MachineInfo{Cores: 2}, Config: bench.DefaultSweepConfig(),
		Points: []bench.SweepPoint{point(bench.BaselineWrite, 8, 60, 120, 200, 600), point(bench.BaselineWrite, 24, 150, 150, 300, 1500)}}
	in := filepath.Join(dir, "sweep.json")
	require.NoError(t, writeJSON(in, rep))

	svg, md := filepath.Join(dir, "bench-sweep.svg"), filepath.Join(dir, "sweep.md")
	code, _, errOut := runCLI(t, "chart", "-sweep", in, "-svg", svg, "-md", md, "-note", "One short run.")
	require.Equal(t, 0, code, errOut)
	chart, err := os.ReadFile(svg)
	require.NoError(t, err)
	require.Contains(t, string(chart), "<svg xmlns=")
	require.Contains(t, string(chart), "2026-12-06, 2 cores")
	section, err := os.ReadFile(md)
	require.NoError(t, err)
	require.Contains(t, string(section), "](bench-sweep.svg)")
	require.Contains(t, string(section), "| baseline-write | 24 | 150 | 150 | 300 | 0 | 0 |")
	require.Contains(t, string(section), "> One short run.")

	t.Run("without -svg or -md the chart goes to stdout", func(t *testing.T) {
		code, out, errOut := runCLI(t, "chart", "-sweep", in)
		require.Equal(t, 0, code, errOut)
		require.Equal(t, string(chart), out)
	})
	t.Run("report puts the sweep into the page", func(t *testing.T) {
		m := &bench.MatrixReport{Command: "hlbench matrix", Config: bench.DefaultMatrixConfig(), Specs: []bench.SpecInfo{},
			Runs: []bench.MatrixRun{{Phase: bench.PhaseBaselineStart, Workload: bench.BaselineWrite, Skipped: "not deployed"}}}
		require.NoError(t, writeJSON(filepath.Join(dir, "m.json"), m))
		code, out, errOut := runCLI(t, "report", "-matrix", filepath.Join(dir, "m.json"), "-sweep", in, "-sweep-chart", "bench-sweep.svg")
		require.Equal(t, 0, code, errOut)
		require.Contains(t, out, "## Concurrency sweep")
		require.Contains(t, out, "![Throughput against latency")
	})
	t.Run("a sweep with nothing measured is an error, and no chart is written", func(t *testing.T) {
		empty := filepath.Join(dir, "empty.json")
		require.NoError(t, writeJSON(empty, &bench.SweepReport{Points: []bench.SweepPoint{{Workload: bench.BaselineWrite, Concurrency: 8, Error: "prepare failed"}}}))
		out := filepath.Join(dir, "none.svg")
		code, _, errOut := runCLI(t, "chart", "-sweep", empty, "-svg", out)
		require.Equal(t, 1, code)
		require.Contains(t, errOut, "no measured point")
		require.NoFileExists(t, out)
	})
	t.Run("a zero latency is an error", func(t *testing.T) {
		bad := filepath.Join(dir, "zero.json")
		require.NoError(t, writeJSON(bad, &bench.SweepReport{Points: []bench.SweepPoint{point(bench.BaselineWrite, 8, 60, 0, 200, 600)}}))
		code, _, errOut := runCLI(t, "chart", "-sweep", bad, "-svg", filepath.Join(dir, "zero.svg"))
		require.Equal(t, 1, code)
		require.Contains(t, errOut, "p50 is 0")
	})
}
