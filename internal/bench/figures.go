package bench

// The page's figures: the rows of each section of the benchmark page, and how its numbers are
// written.

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/healthledger/healthledger/internal/procstat"
)

func formatRatio(r float64) string { return fmt.Sprintf("%.2f×", r) }

func formatMs(ms float64) string {
	switch {
	case ms >= 100:
		return fmt.Sprintf("%.0f ms", ms)
	case ms >= 10:
		return fmt.Sprintf("%.1f ms", ms)
	}
	return fmt.Sprintf("%.2f ms", ms)
}

func num(ms float64) string {
	switch {
	case ms >= 100:
		return fmt.Sprintf("%.0f", ms)
	case ms >= 10:
		return fmt.Sprintf("%.1f", ms)
	}
	return fmt.Sprintf("%.2f", ms)
}

func tps(v float64) string {
	if v >= 100 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

func baselineRows(start, end *Result) []baselineRow {
	var rows []baselineRow
	for _, x := range []struct {
		r     *Result
		label string
	}{{start, "start"}, {end, "end"}} {
		if x.r == nil {
			continue
		}
		l := x.r.Stats.Latency
		rows = append(rows, baselineRow{Workload: x.r.Workload, Label: x.label, Kind: fmt.Sprint(x.r.Kind), TPS: tps(x.r.Stats.TxPerSecond),
			P50: num(l.P50Ms), P95: num(l.P95Ms), P99: num(l.P99Ms), Max: num(l.MaxMs), Errors: x.r.Stats.Failed})
	}
	return rows
}

func workloadRows(a Analysis) []workloadRow {
	rows := make([]workloadRow, 0, len(a.Rows))
	for _, row := range a.Rows {
		r := row.Run.Result
		if r == nil {
			why := row.Run.Skipped
			if why == "" {
				why = row.Run.Error
			}
			rows = append(rows, workloadRow{NotRun: true, Name: row.Run.Workload, Kind: fmt.Sprint(row.Spec.Kind), Target: escape(why)})
			continue
		}
		l := r.Stats.Latency
		name := r.Workload
		if r.Stats.TxPerOp > 1 {
			name += fmt.Sprintf(" (%d tx per operation)", r.Stats.TxPerOp)
		}
		target := "—"
		if row.Target != "" {
			target = fmt.Sprintf("**%s** (%s)", row.Target, row.Why)
		}
		rows = append(rows, workloadRow{Name: name, Kind: fmt.Sprint(r.Kind), TPS: tps(r.Stats.TxPerSecond), Ratio: formatRatio(row.Ratio),
			P50: num(l.P50Ms), P95: num(l.P95Ms), P99: num(l.P99Ms), Max: num(l.MaxMs), Errors: r.Stats.Failed, Target: target})
	}
	return rows
}

// failureLines lists the failed operations of every run, by code, with an example message each.
func failureLines(m *MatrixReport) []failureLine {
	var out []failureLine
	for _, r := range m.Runs {
		if r.Result == nil {
			continue
		}
		for _, e := range r.Result.Stats.Errors {
			out = append(out, failureLine{Workload: r.Workload, Phase: fmt.Sprint(r.Phase), Code: e.Code, Count: e.Count, Example: escape(e.Example)})
		}
	}
	return out
}

func targetRows(a Analysis) []targetRow {
	var out []targetRow
	for _, row := range a.Rows {
		if row.Spec.Target == nil {
			continue
		}
		t := row.Spec.Target
		goal := "≥ " + formatRatio(t.MinRatio) + " " + refName(row.Spec.Kind)
		if t.MaxP50 > 0 {
			goal += fmt.Sprintf(", p50 < %s", formatMs(float64(t.MaxP50)/float64(time.Millisecond)))
		}
		out = append(out, targetRow{Goal: goal, Workload: row.Spec.Name, Measured: row.Why, Verdict: row.Target})
	}
	for _, s := range a.Scaling {
		verdict := s.Target
		if verdict == "" {
			verdict = Missed
		}
		out = append(out, targetRow{Goal: fmt.Sprintf("scaling ratio ≤ %.2f", ScalingLimit), Workload: s.Workload,
			Measured: fmt.Sprintf("%.2f", s.Ratio), Verdict: verdict})
	}
	return out
}

func newScalingSection(m *MatrixReport, a Analysis) *scalingSection {
	if len(a.Scaling) == 0 {
		return nil
	}
	sec := &scalingSection{
		Few:           countOf(m.Config.Records[0]),
		Many:          countOf(m.Config.Records[len(m.Config.Records)-1]),
		Limit:         fmt.Sprintf("%.2f", ScalingLimit),
		UnitsPerBatch: unitsPerOtherBatch,
	}
	for _, s := range a.Scaling {
		if s.Small == nil || s.Large == nil {
			sec.Rows = append(sec.Rows, scalingRow{Partial: true, Workload: s.Workload})
			continue
		}
		sec.Rows = append(sec.Rows, scalingRow{Workload: s.Workload,
			SmallRecords: s.Small.Records, SmallTPS: tps(s.Small.Stats.TxPerSecond), SmallP50: num(s.Small.Stats.Latency.P50Ms),
			LargeRecords: s.Large.Records, LargeTPS: tps(s.Large.Stats.TxPerSecond), LargeP50: num(s.Large.Stats.Latency.P50Ms),
			Ratio: fmt.Sprintf("%.2f", s.Ratio), P50Ratio: fmt.Sprintf("%.2f", s.P50Ratio)})
	}
	return sec
}

// newTuningSection lays out the tunings side by side, one row per concurrency any of them measured.
func newTuningSection(tunings []*TuningReport) *tuningSection {
	if len(tunings) == 0 {
		return nil
	}
	sec := &tuningSection{}
	concs := []int{}
	for _, t := range tunings {
		sec.Networks = append(sec.Networks, tuningNetwork{BatchTimeout: orUnknown(t.Network.BatchTimeout), MaxMessageCount: t.Network.MaxMessageCount,
			Orderers: t.Network.Orderers, Command: t.Command, PointDuration: durationOf(t)})
		for _, r := range t.Points {
			if !slices.Contains(concs, r.Config.Concurrency) {
				concs = append(concs, r.Config.Concurrency)
			}
		}
	}
	slices.Sort(concs)
	for _, c := range concs {
		row := tuningRow{Concurrency: c}
		for _, t := range tunings {
			var r *Result
			for _, x := range t.Points {
				if x.Config.Concurrency == c {
					r = x
				}
			}
			if r == nil {
				row.Cells = append(row.Cells, tuningCell{})
				continue
			}
			row.Cells = append(row.Cells, tuningCell{Measured: true, TPS: tps(r.Stats.TxPerSecond), P50: num(r.Stats.Latency.P50Ms), P99: num(r.Stats.Latency.P99Ms)})
		}
		sec.Rows = append(sec.Rows, row)
	}
	return sec
}

func durationOf(t *TuningReport) string {
	if len(t.Points) == 0 {
		return "no point"
	}
	return t.Points[0].Config.Duration.String()
}

// newDefaultsSection explains the network's and hlbench's default settings with this run's figures.
func newDefaultsSection(m *MatrixReport, tunings []*TuningReport) defaultsSection {
	sec := defaultsSection{BatchTimeout: orUnknown(m.Network.BatchTimeout), MaxMessageCount: m.Network.MaxMessageCount,
		SubmitConcurrency: m.Config.SubmitConcurrency, EvaluateConcurrency: m.Config.EvaluateConcurrency}
	short, long := tuningAt(tunings, 0, 1), tuningAt(tunings, 1, 1)
	if short != nil && long != nil {
		sec.Timeouts = &timeoutComparison{Short: orUnknown(tunings[0].Network.BatchTimeout), ShortP50: num(short.Stats.Latency.P50Ms),
			Long: orUnknown(tunings[1].Network.BatchTimeout), LongP50: num(long.Stats.Latency.P50Ms)}
	}
	return sec
}

// tuningAt returns the point of tuning i measured at concurrency c, or nil.
func tuningAt(tunings []*TuningReport, i, c int) *Result {
	if i >= len(tunings) {
		return nil
	}
	for _, r := range tunings[i].Points {
		if r.Config.Concurrency == c {
			return r
		}
	}
	return nil
}

func usageRows(m *MatrixReport) []usageRow {
	var out []usageRow
	pct := func(v float64) string { return fmt.Sprintf("%.0f", v) }
	for _, r := range m.Runs {
		if r.Result == nil || r.Result.Resources == nil {
			continue
		}
		u := r.Result.Resources
		peer, ord, cc := group(u, "peer"), group(u, "orderer"), group(u, "chaincode:"+r.Result.Chaincode)
		out = append(out, usageRow{Workload: r.Workload, Phase: fmt.Sprint(r.Phase),
			PeerCPU: pct(peer.CPUPercent), OrdererCPU: pct(ord.CPUPercent), ChaincodeCPU: pct(cc.CPUPercent),
			SelfCPU: pct(u.Self.CPUPercent), HostCPU: pct(u.HostCPUPercent),
			PeerRSS: pct(peer.RSSMaxMB), OrdererRSS: pct(ord.RSSMaxMB), ChaincodeRSS: pct(cc.RSSMaxMB)})
	}
	return out
}

func newMachineSection(mi MachineInfo) machineSection {
	sec := machineSection{CPU: orUnknown(mi.CPUModel), Cores: mi.Cores, MemoryGB: fmt.Sprintf("%.1f", mi.MemoryGB),
		Kernel: orUnknown(mi.Kernel), OS: mi.OS, Go: mi.Go}
	if len(mi.LoadAverage) == 3 {
		sec.Load = fmt.Sprintf("%.2f, %.2f, %.2f", mi.LoadAverage[0], mi.LoadAverage[1], mi.LoadAverage[2])
	}
	return sec
}

func newNetworkSection(n NetworkInfo) networkSection {
	sec := networkSection{Channel: n.Channel, Layout: n.Layout, Orgs: strings.Join(n.Orgs, ", "),
		OrdererType: orUnknown(n.OrdererType), Orderers: n.Orderers, BatchTimeout: orUnknown(n.BatchTimeout),
		MaxMessageCount: n.MaxMessageCount, PreferredMaxBytes: n.PreferredMaxBytes,
		ChannelEndorsement: orUnknown(n.ChannelEndorsement), Policies: n.policySummary()}
	for _, pr := range n.Problems {
		sec.Problems = append(sec.Problems, escape(pr))
	}
	return sec
}

// newPublishedSection sets the baseline write next to the published Fabric 2.5 figure.
func newPublishedSection(m *MatrixReport, a Analysis) publishedSection {
	mi := m.Machine
	return publishedSection{
		Title: fabricBlogName, Date: fabricBlogDate, TPS: commas(fabricBlogTPS), WriteRef: tps(a.WriteRef),
		ValueSize: m.ValueSize, Endorsers: baselineEndorsers(m.Network), Orderers: m.Network.Orderers, Orgs: len(m.Network.Orgs),
		Cores: mi.Cores, CPU: orUnknown(mi.CPUModel), Percent: fmt.Sprintf("%.1f", 100*a.WriteRef/fabricBlogTPS),
		Fraction: max(1, 40/max(mi.Cores, 1)), Differences: differences(m.Network),
	}
}

// differences names how the network differs from the published one (1 orderer, 2 peer orgs).
func differences(n NetworkInfo) string {
	var d []string
	if n.Orderers > 1 {
		d = append(d, fmt.Sprintf("%d Raft orderers instead of one", n.Orderers))
	}
	if len(n.Orgs) > 2 {
		d = append(d, fmt.Sprintf("%d peers validating every block instead of two", len(n.Orgs)))
	}
	if len(d) == 0 {
		return ""
	}
	return ", and with " + strings.Join(d, " and ")
}

// baselineEndorsers says in words who endorses the baseline chaincode.
func baselineEndorsers(n NetworkInfo) string {
	policy, ok := n.Endorsement["baseline"]
	switch {
	case !ok:
		return "an unknown policy"
	case strings.Contains(policy, "/Channel/Application/Endorsement") && strings.HasPrefix(n.ChannelEndorsement, "MAJORITY") && len(n.Orgs) > 0:
		return fmt.Sprintf("a majority, %d of %d orgs", len(n.Orgs)/2+1, len(n.Orgs))
	}
	return policy
}

func tpsOf(r *Result) string {
	if r == nil {
		return "—"
	}
	return tps(r.Stats.TxPerSecond)
}

func refName(k Kind) string {
	if k == Evaluate {
		return "baseline read"
	}
	return "baseline write"
}

func countOf(n int) string { return commas(n) }

func commas(n int) string {
	s := fmt.Sprint(n)
	var out []string
	for len(s) > 3 {
		out = append([]string{s[len(s)-3:]}, out...)
		s = s[:len(s)-3]
	}
	return strings.Join(append([]string{s}, out...), ",")
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// escape keeps a message from breaking a table row.
func escape(s string) string {
	s = strings.ReplaceAll(s, "|", "\\|")
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > 160 {
		s = s[:157] + "..."
	}
	return s
}

func group(u *procstat.Usage, name string) procstat.ProcessUsage {
	for _, g := range u.Groups {
		if g.Name == name {
			return g
		}
	}
	return procstat.ProcessUsage{Name: name}
}
