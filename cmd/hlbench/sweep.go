package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/healthledger/healthledger/internal/bench"
)

func cmdSweep(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("hlbench sweep", flag.ContinueOnError)
	fs.SetOutput(stderr)
	def := bench.DefaultSweepConfig()
	var (
		nf        netFlags
		workloads = strings.Join(def.Workloads, ",")
		concs     = joinInts(def.Concurrencies)
		duration  = time.Duration(def.Duration)
		warmup    = time.Duration(def.Warmup)
		out       string
	)
	nf.register(fs)
	fs.StringVar(&workloads, "w", workloads, "workloads to sweep (comma-separated; 'hlbench list' shows them)")
	fs.StringVar(&concs, "c", concs, "concurrencies to run each workload at (comma-separated, increasing)")
	fs.DurationVar(&duration, "d", duration, "measurement window of each point")
	fs.DurationVar(&warmup, "warmup", warmup, "unmeasured warm-up before each window")
	fs.StringVar(&out, "o", "bench-sweep.json", "where to write the results (JSON; 'hlbench chart' renders them)")
	if err := fs.Parse(args); err != nil {
		return usageErr(err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "hlbench sweep: unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	points, err := parseInts(concs)
	if err != nil {
		fmt.Fprintf(stderr, "hlbench sweep: -c: %v\n", err)
		return errUsage
	}
	cfg := bench.SweepConfig{Concurrencies: points, Duration: bench.Duration(duration), Warmup: bench.Duration(warmup)}
	for _, w := range strings.Split(workloads, ",") {
		if w = strings.TrimSpace(w); w != "" {
			cfg.Workloads = append(cfg.Workloads, w)
		}
	}
	if err := cfg.Validate(); err != nil {
		fmt.Fprintf(stderr, "hlbench sweep: %v\n", err)
		return errUsage
	}
	env, pids, err := nf.open(stderr)
	if err != nil {
		return err
	}
	defer func() { _ = env.Close() }()
	rep, err := bench.RunSweep(ctx, env, cfg, bench.RunOptions{PIDDir: pids})
	if err != nil {
		return err
	}
	rep.Command = commandLine("sweep", args)
	if err := writeJSON(out, rep); err != nil {
		return err
	}
	if err := bench.WriteSweepText(stdout, rep); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "results in %s\n", out)
	return nil
}

func cmdChart(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("hlbench chart", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		in, svg, md, ref, title, note string
	)
	fs.StringVar(&in, "sweep", "bench-sweep.json", "results of hlbench sweep")
	fs.StringVar(&svg, "svg", "", "write the throughput-latency chart (SVG) here (default stdout, unless -md is given)")
	fs.StringVar(&md, "md", "", "also write the page's Concurrency sweep section (Markdown) here")
	fs.StringVar(&ref, "ref", "", "the chart's path as the section links it (default the base name of -svg)")
	fs.StringVar(&title, "title", "", "the chart's title (default: says what was measured, where and when)")
	fs.StringVar(&note, "note", "", "a paragraph to put above the section's table")
	if err := fs.Parse(args); err != nil {
		return usageErr(err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "hlbench chart: unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	var rep bench.SweepReport
	if err := readJSON(in, &rep); err != nil {
		return err
	}
	series, err := bench.SweepSeries(&rep)
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	if title == "" {
		title = fmt.Sprintf("hlbench sweep, %s, %d cores: latency against throughput", rep.Started.Format("2006-01-02"), rep.Machine.Cores)
	}
	var chart bytes.Buffer
	if err := bench.RenderSweepChart(&chart, title, series); err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	if ref == "" && svg != "" {
		ref = baseName(svg)
	}
	var section bytes.Buffer
	if md != "" {
		if err := bench.RenderSweepSection(&section, &rep, ref, note); err != nil {
			return err
		}
	}
	switch {
	case svg != "":
		if err := os.WriteFile(svg, chart.Bytes(), 0o644); err != nil {
			return fmt.Errorf("writing the chart: %w", err)
		}
	case md == "":
		if _, err := stdout.Write(chart.Bytes()); err != nil {
			return fmt.Errorf("writing the chart: %w", err)
		}
	}
	if md != "" {
		if err := os.WriteFile(md, section.Bytes(), 0o644); err != nil {
			return fmt.Errorf("writing the section: %w", err)
		}
	}
	return nil
}

func baseName(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}
