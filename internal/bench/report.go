package bench

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteText writes a run's result for a person to read.
func WriteText(w io.Writer, r *Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	s := r.Stats
	mode := "closed loop"
	if r.Config.OpenLoop {
		mode = "open loop"
	}
	limit := "unlimited"
	if r.Config.Rate > 0 {
		limit = fmt.Sprintf("%.0f ops/s", r.Config.Rate)
	}
	size := fmt.Sprintf("%d ops", r.Config.Count)
	if r.Config.Count == 0 {
		size = r.Config.Duration.String()
	}
	fmt.Fprintf(tw, "workload\t%s (%s)\n", r.Workload, r.Summary)
	fmt.Fprintf(tw, "load\t%s, concurrency %d, %s after %s warm-up, rate %s\n", mode, r.Config.Concurrency, size, r.Config.Warmup, limit)
	if r.Records > 0 {
		fmt.Fprintf(tw, "ledger\t%d records of others preloaded\n", r.Records)
	}
	fmt.Fprintf(tw, "operations\t%d measured: %d succeeded, %d failed (%.1f%%), %d retries, %d drained\n",
		s.Ops, s.Succeeded, s.Failed, 100*s.ErrorRate(), s.Retries, r.Drained)
	if len(s.RetriesByCause) > 0 {
		causes := make([]string, 0, len(s.RetriesByCause))
		for _, c := range s.RetriesByCause {
			causes = append(causes, fmt.Sprintf("%s x%d", c.Cause, c.Count))
		}
		fmt.Fprintf(tw, "retries\t%s\n", strings.Join(causes, ", "))
	}
	unit := "tx/s committed"
	if r.Kind == Evaluate {
		unit = "queries/s"
	}
	fmt.Fprintf(tw, "throughput\t%.1f %s over %.2fs", s.TxPerSecond, unit, s.ElapsedSeconds)
	if s.TxPerOp > 1 {
		fmt.Fprintf(tw, " (%.1f ops/s, %d transactions each)", s.OpsPerSecond, s.TxPerOp)
	}
	fmt.Fprintln(tw)
	l := s.Latency
	fmt.Fprintf(tw, "latency ms\tp50 %.1f  p95 %.1f  p99 %.1f  max %.1f  (min %.1f, mean %.1f)\n", l.P50Ms, l.P95Ms, l.P99Ms, l.MaxMs, l.MinMs, l.MeanMs)
	if r.Config.OpenLoop {
		fmt.Fprintf(tw, "start lag\tmax %.1f ms past schedule\n", r.MaxStartLagMs)
	}
	if len(s.Errors) == 0 {
		fmt.Fprintf(tw, "errors\tnone\n")
	}
	for i, e := range s.Errors {
		label := ""
		if i == 0 {
			label = "errors"
		}
		fmt.Fprintf(tw, "%s\t%s x%d: %s\n", label, e.Code, e.Count, e.Example)
	}
	if u := r.Resources; u != nil {
		fmt.Fprintf(tw, "host\t%.0f%% CPU of %d cores (everything on the machine); hlbench itself %.0f%%, %.0f MiB\n",
			u.HostCPUPercent, u.Cores, u.Self.CPUPercent, u.Self.RSSMaxMB)
		for _, g := range u.Groups {
			note := ""
			if g.Note != "" {
				note = "  (" + g.Note + ")"
			}
			fmt.Fprintf(tw, "  %s x%d\t%.0f%% CPU, RSS mean %.0f MiB, max %.0f MiB%s\n", g.Name, g.Processes, g.CPUPercent, g.RSSMeanMB, g.RSSMaxMB, note)
		}
		fmt.Fprintf(tw, "  network total\t%.0f%% CPU, RSS max %.0f MiB\n", u.Network.CPUPercent, u.Network.RSSMaxMB)
	}
	if r.Interrupted {
		fmt.Fprintf(tw, "note\tinterrupted: the figures cover what ran\n")
	}
	return tw.Flush()
}

// String renders a Duration as time.Duration does.
func (d Duration) String() string { return time.Duration(d).String() }
