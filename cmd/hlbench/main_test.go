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
