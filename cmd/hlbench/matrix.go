package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/healthledger/healthledger/internal/bench"
)

func cmdMatrix(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("hlbench matrix", flag.ContinueOnError)
	fs.SetOutput(stderr)
	def := bench.DefaultMatrixConfig()
	var (
		nf        netFlags
		duration  = time.Duration(def.Duration)
		warmup    = time.Duration(def.Warmup)
		records   = joinInts(def.Records)
		workloads string
		out       string
	)
	nf.register(fs)
	fs.IntVar(&def.SubmitConcurrency, "c-submit", def.SubmitConcurrency, "workers of the submit workloads")
	fs.IntVar(&def.EvaluateConcurrency, "c-evaluate", def.EvaluateConcurrency, "workers of the query workloads")
	fs.DurationVar(&duration, "d", duration, "measurement window of each workload")
	fs.DurationVar(&warmup, "warmup", warmup, "unmeasured warm-up before each window")
	fs.StringVar(&records, "records", records, "scaling points: records of other patients or batches on the ledger (comma-separated, increasing; empty: none)")
	fs.StringVar(&workloads, "w", "", "domain workloads to run (comma-separated; default all)")
	fs.StringVar(&out, "o", "bench-matrix.json", "where to write the results (JSON)")
	if err := fs.Parse(args); err != nil {
		return usageErr(err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "hlbench matrix: unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	points, err := parseInts(records)
	if err != nil {
		fmt.Fprintf(stderr, "hlbench matrix: -records: %v\n", err)
		return errUsage
	}
	def.Duration, def.Warmup, def.Records = bench.Duration(duration), bench.Duration(warmup), points
	if workloads != "" {
		def.Workloads = strings.Split(workloads, ",")
	}
	env, pids, err := nf.open(stderr)
	if err != nil {
		return err
	}
	defer func() { _ = env.Close() }()
	rep, err := bench.RunMatrix(ctx, env, def, bench.RunOptions{PIDDir: pids})
	if err != nil {
		return err
	}
	rep.Command = commandLine("matrix", args)
	if err := writeJSON(out, rep); err != nil {
		return err
	}
	a := bench.Analyze(rep)
	fmt.Fprintf(stdout, "baseline-write %.1f tx/s, baseline-read %.1f queries/s (drift %.0f%% / %.0f%%)\n", a.WriteRef, a.ReadRef, 100*a.WriteDrift, 100*a.ReadDrift)
	for _, row := range a.Rows {
		if row.Run.Result == nil {
			fmt.Fprintf(stdout, "%-26s not run: %s%s\n", row.Run.Workload, row.Run.Skipped, row.Run.Error)
			continue
		}
		fmt.Fprintf(stdout, "%-26s %8.1f tx/s  %.2fx  p50 %6.1f ms  %s %s\n", row.Run.Workload, row.Run.Result.Stats.TxPerSecond, row.Ratio,
			row.Run.Result.Stats.Latency.P50Ms, row.Target, row.Why)
	}
	for _, s := range a.Scaling {
		fmt.Fprintf(stdout, "scaling %-18s ratio %.2f (p50 ratio %.2f) %s\n", s.Workload, s.Ratio, s.P50Ratio, s.Target)
	}
	fmt.Fprintf(stdout, "results in %s\n", out)
	return nil
}

func cmdTune(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("hlbench tune", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		nf       netFlags
		concs    = "1,8,32,96"
		duration = 10 * time.Second
		warmup   = 2 * time.Second
		out      string
	)
	nf.register(fs)
	fs.StringVar(&concs, "c", concs, "concurrencies to measure baseline-write at (comma-separated)")
	fs.DurationVar(&duration, "d", duration, "measurement window of each point")
	fs.DurationVar(&warmup, "warmup", warmup, "unmeasured warm-up before each window")
	fs.StringVar(&out, "o", "bench-tuning.json", "where to write the results (JSON)")
	if err := fs.Parse(args); err != nil {
		return usageErr(err)
	}
	points, err := parseInts(concs)
	if err != nil || len(points) == 0 || points[0] < 1 {
		fmt.Fprintf(stderr, "hlbench tune: -c wants concurrencies of at least 1, got %q\n", concs)
		return errUsage
	}
	env, pids, err := nf.open(stderr)
	if err != nil {
		return err
	}
	defer func() { _ = env.Close() }()
	rep, err := bench.RunTuning(ctx, env, points, duration, warmup, bench.RunOptions{PIDDir: pids})
	if err != nil {
		return err
	}
	rep.Command = commandLine("tune", args)
	if err := writeJSON(out, rep); err != nil {
		return err
	}
	for _, r := range rep.Points {
		fmt.Fprintf(stdout, "BatchTimeout %s concurrency %3d: %7.1f tx/s  p50 %6.1f ms  p99 %6.1f ms\n", rep.Network.BatchTimeout,
			r.Config.Concurrency, r.Stats.TxPerSecond, r.Stats.Latency.P50Ms, r.Stats.Latency.P99Ms)
	}
	fmt.Fprintf(stdout, "results in %s\n", out)
	return nil
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func cmdReport(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("hlbench report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		matrix   string
		tunings  listFlag
		settings listFlag
		out      string
		doc      bench.DocInfo
		noteFile string
		sweep    string
	)
	fs.StringVar(&sweep, "sweep", "", "results of hlbench sweep, shown as the Concurrency sweep section")
	fs.StringVar(&doc.SweepChart, "sweep-chart", "", "the sweep's chart as the page links it (e.g. bench-sweep.svg; 'hlbench chart' draws it)")
	fs.StringVar(&doc.SweepNote, "sweep-note", "", "a paragraph to put above the sweep's table")
	fs.StringVar(&matrix, "matrix", "bench-matrix.json", "results of hlbench matrix")
	fs.Var(&tunings, "tuning", "results of hlbench tune (repeat, one per BatchTimeout)")
	fs.Var(&settings, "setting", "a network setting to state (repeatable), e.g. HL_GATEWAY_CONCURRENCY=500")
	fs.StringVar(&out, "o", "", "write the page here (default stdout)")
	fs.StringVar(&doc.Command, "command", "make bench", "the command that reproduces the page")
	fs.DurationVar(&doc.Took, "took", 0, "how long that command ran")
	fs.StringVar(&doc.Note, "note", "", "a paragraph to put above the results")
	fs.StringVar(&noteFile, "note-file", "", "read the note from this file")
	if err := fs.Parse(args); err != nil {
		return usageErr(err)
	}
	if noteFile != "" {
		raw, err := os.ReadFile(noteFile)
		if err != nil {
			return fmt.Errorf("reading the note: %w", err)
		}
		doc.Note = string(raw)
	}
	doc.Settings = settings
	var m bench.MatrixReport
	if err := readJSON(matrix, &m); err != nil {
		return err
	}
	ts := make([]*bench.TuningReport, 0, len(tunings))
	for _, f := range tunings {
		var t bench.TuningReport
		if err := readJSON(f, &t); err != nil {
			return err
		}
		ts = append(ts, &t)
	}
	if sweep != "" {
		var sw bench.SweepReport
		if err := readJSON(sweep, &sw); err != nil {
			return err
		}
		doc.Sweep = &sw
	}
	w := stdout
	if out != "" {
		f, err := os.Create(out)
		if err != nil {
			return fmt.Errorf("writing the page: %w", err)
		}
		defer func() { _ = f.Close() }()
		w = f
	}
	return bench.RenderMarkdown(w, &m, ts, doc)
}

func readJSON(path string, v any) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading results: %w", err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	return nil
}

func parseInts(s string) ([]int, error) {
	out := []int{}
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(strings.ReplaceAll(f, "_", ""))
		if f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("%q is not a count", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}

// commandLine renders the hlbench command that ran, for the record.
func commandLine(sub string, args []string) string {
	return strings.TrimSpace("hlbench " + sub + " " + strings.Join(args, " "))
}
