package bench

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/healthledger/healthledger/internal/procstat"
)

// DocInfo is what the benchmark page says about how it was made.
type DocInfo struct {
	// Command is the command that produced the page (make bench).
	Command string
	// Took is how long that command ran, when known.
	Took time.Duration
	// Note is a paragraph placed above the results (e.g. "a development run on a busy machine").
	Note string
	// Settings are network settings the channel does not record (the peers' gateway concurrency ...),
	// as the script that started the network set them.
	Settings []string
}

// The published Fabric 2.5 figure the baseline write is stated next to.
const (
	fabricBlogTPS  = 2900
	fabricBlogName = "Benchmarking Hyperledger Fabric 2.5 Performance"
	fabricBlogDate = "16 February 2023"
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

// RenderMarkdown writes docs/benchmarks.md from a matrix report and the tuning reports.
func RenderMarkdown(w io.Writer, m *MatrixReport, tunings []*TuningReport, doc DocInfo) error {
	a := Analyze(m)
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }

	p("# Benchmarks\n\n")
	p("How fast is healthledger, and what does the contract logic cost on top of Fabric itself? Every\n")
	p("figure below is measured by `hlbench` (cmd/hlbench) through the SDK, on a fresh\n")
	p("native network, and every domain figure is stated as a **ratio to the baseline chaincode** (a blind\n")
	p("write and a read of one key) measured in the same run, on the same network, minutes apart. The\n")
	p("ratios carry over to other machines far better than the absolute numbers do.\n\n")
	p("Reproduce: `%s`", doc.Command)
	if doc.Took > 0 {
		p(" (took %s here)", doc.Took.Round(time.Second))
	}
	p(". Generated from the results of `%s` on %s.\n\n", m.Command, m.Started.Format("2006-01-02 15:04 UTC"))
	if doc.Note != "" {
		p("> %s\n\n", strings.ReplaceAll(strings.TrimSpace(doc.Note), "\n", "\n> "))
	}

	p("## Throughput and latency\n\n")
	p("Closed loop, %s per workload after a %s warm-up; submits with %d workers, queries with %d. tx/s\n",
		m.Config.Duration, m.Config.Warmup, m.Config.SubmitConcurrency, m.Config.EvaluateConcurrency)
	p("counts committed transactions (queries for the query workloads); latency is per operation, from\n")
	p("the call to the commit (or to the answer). Retries are off: every failure is counted.\n\n")
	p("| Workload | Kind | tx/s | × baseline | p50 ms | p95 ms | p99 ms | max ms | errors | target |\n")
	p("|---|---|--:|--:|--:|--:|--:|--:|--:|---|\n")
	base := func(r *Result, label string) {
		if r == nil {
			return
		}
		l := r.Stats.Latency
		p("| %s (%s) | %s | %s | 1.00× | %s | %s | %s | %s | %d | reference |\n", r.Workload, label, r.Kind,
			tps(r.Stats.TxPerSecond), num(l.P50Ms), num(l.P95Ms), num(l.P99Ms), num(l.MaxMs), r.Stats.Failed)
	}
	if a.WriteStart != nil || a.WriteEnd != nil {
		p("| **baseline-write** (mean of start and end) | submit | **%s** | 1.00× | | | | | | reference |\n", tps(a.WriteRef))
	}
	base(a.WriteStart, "start")
	base(a.WriteEnd, "end")
	if a.ReadStart != nil || a.ReadEnd != nil {
		p("| **baseline-read** (mean of start and end) | evaluate | **%s** | 1.00× | | | | | | reference |\n", tps(a.ReadRef))
	}
	base(a.ReadStart, "start")
	base(a.ReadEnd, "end")
	for _, row := range a.Rows {
		r := row.Run.Result
		if r == nil {
			why := row.Run.Skipped
			if why == "" {
				why = row.Run.Error
			}
			p("| %s | %s | not run | | | | | | | %s |\n", row.Run.Workload, row.Spec.Kind, escape(why))
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
		p("| %s | %s | %s | %s | %s | %s | %s | %s | %d | %s |\n", name, r.Kind, tps(r.Stats.TxPerSecond), formatRatio(row.Ratio),
			num(l.P50Ms), num(l.P95Ms), num(l.P99Ms), num(l.MaxMs), r.Stats.Failed, target)
	}
	p("\nThe baselines were measured at the start and at the end of the run: write %s then %s tx/s (drift %.0f%%),\n",
		tpsOf(a.WriteStart), tpsOf(a.WriteEnd), 100*a.WriteDrift)
	p("read %s then %s queries/s (drift %.0f%%). A drift of more than a few percent says the machine's\n", tpsOf(a.ReadStart), tpsOf(a.ReadEnd), 100*a.ReadDrift)
	p("load changed during the run, and bounds how far the ratios can be trusted.\n\n")
	p("What each operation does:\n\n")
	for _, s := range m.Specs {
		p("- `%s` (%s): %s.\n", s.Name, s.Chaincode, s.Summary)
	}
	p("\n")
	writeErrors(&b, m)

	p("## Targets\n\n")
	p("| Target | Workload | Measured | Verdict |\n|---|---|---|---|\n")
	for _, row := range a.Rows {
		if row.Spec.Target == nil {
			continue
		}
		t := row.Spec.Target
		goal := "≥ " + formatRatio(t.MinRatio) + " " + refName(row.Spec.Kind)
		if t.MaxP50 > 0 {
			goal += fmt.Sprintf(", p50 < %s", formatMs(float64(t.MaxP50)/float64(time.Millisecond)))
		}
		p("| %s | %s | %s | **%s** |\n", goal, row.Spec.Name, row.Why, row.Target)
	}
	for _, s := range a.Scaling {
		verdict := s.Target
		if verdict == "" {
			verdict = Missed
		}
		p("| scaling ratio ≤ %.2f | %s | %.2f | **%s** |\n", ScalingLimit, s.Workload, s.Ratio, verdict)
	}
	p("\nCI times nothing: these verdicts are for people to read.\n\n")

	p("## Scaling\n\n")
	if len(a.Scaling) == 0 {
		p("Not measured in this run (it needs two scaling points: `-records 1000,100000`).\n\n")
	} else {
		p("The queries that must cost what they return, whatever else the ledger holds, measured with %s and\n", countOf(m.Config.Records[0]))
		p("with %s records of *other* patients or batches on the ledger. Ratio = throughput with few ÷\n", countOf(m.Config.Records[len(m.Config.Records)-1]))
		p("throughput with many (1.00 means no cost; the target is ≤ %.2f); the p50 ratio is the other way round.\n\n", ScalingLimit)
		p("| Workload | records of others | tx/s | p50 ms | records of others | tx/s | p50 ms | ratio | p50 ratio |\n")
		p("|---|--:|--:|--:|--:|--:|--:|--:|--:|\n")
		for _, s := range a.Scaling {
			if s.Small == nil || s.Large == nil {
				p("| %s | not measured at both points | | | | | | | |\n", s.Workload)
				continue
			}
			p("| %s | %d | %s | %s | %d | %s | %s | **%.2f** | %.2f |\n", s.Workload,
				s.Small.Records, tps(s.Small.Stats.TxPerSecond), num(s.Small.Stats.Latency.P50Ms),
				s.Large.Records, tps(s.Large.Stats.TxPerSecond), num(s.Large.Stats.Latency.P50Ms), s.Ratio, s.P50Ratio)
		}
		p("\nThe records of others are real transactions: consents granted by enrolled patients (one per\n")
		p("transaction: the contract has no batch grant), and serialised units in batches of %d commissioned\n", unitsPerOtherBatch)
		p("with their serials in one transaction each (the contract's batch call). The workloads measured\n")
		p("between the two points add a few thousand records more to the large point.\n\n")
	}

	p("## BatchTimeout: latency against throughput\n\n")
	if len(tunings) == 0 {
		p("Not measured in this run.\n\n")
	} else {
		writeTuning(&b, tunings)
	}

	writeDefaults(&b, m, tunings)

	p("## CPU and memory\n\n")
	p("Of the network's processes during each measurement window (from /proc/<pid>/stat and status for\n")
	p("the pids in `$HL_NETWORK_DIR/pids`), in percent of one core; RSS is the largest resident set seen.\n")
	p("\"chaincode\" is the workload's own chaincode servers (one per org). \"host\" is the whole machine,\n")
	p("others' processes included.\n\n")
	p("| Workload | peers CPU | orderers CPU | chaincode CPU | hlbench CPU | host CPU | peers RSS MiB | orderers RSS MiB | chaincode RSS MiB |\n")
	p("|---|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, r := range m.Runs {
		if r.Result == nil || r.Result.Resources == nil {
			continue
		}
		u := r.Result.Resources
		peer, ord, cc := group(u, "peer"), group(u, "orderer"), group(u, "chaincode:"+r.Result.Chaincode)
		p("| %s (%s) | %.0f%% | %.0f%% | %.0f%% | %.0f%% | %.0f%% | %.0f | %.0f | %.0f |\n", r.Workload, r.Phase,
			peer.CPUPercent, ord.CPUPercent, cc.CPUPercent, u.Self.CPUPercent, u.HostCPUPercent, peer.RSSMaxMB, ord.RSSMaxMB, cc.RSSMaxMB)
	}
	p("\n")

	p("## Machine\n\n")
	mi := m.Machine
	p("- CPU: %s, %d cores visible (shared with whatever else runs on the machine)\n", orUnknown(mi.CPUModel), mi.Cores)
	p("- Memory: %.1f GB; kernel %s; %s; %s\n", mi.MemoryGB, orUnknown(mi.Kernel), mi.OS, mi.Go)
	if len(mi.LoadAverage) == 3 {
		p("- Load average when the run began: %.2f, %.2f, %.2f (1, 5, 15 min)\n", mi.LoadAverage[0], mi.LoadAverage[1], mi.LoadAverage[2])
	}
	p("- Every node (orderers, peers, CAs, chaincode servers) and hlbench itself on this one machine, as native\n")
	p("  processes on 127.0.0.1 with TLS everywhere\n\n")

	p("## Network settings\n\n")
	writeNetwork(&b, m.Network)
	if len(doc.Settings) > 0 {
		p("Set by the script that started the network (not recorded in the channel):\n\n")
		for _, s := range doc.Settings {
			p("- `%s`\n", s)
		}
		p("\n")
	}

	p("## Method\n\n")
	p("- `make bench` runs `test-network-scripts/bench.sh`: it starts a fresh network in its own state folder\n")
	p("  and ports, runs `hlbench matrix` on it, then `hlbench tune` (baseline-write at several concurrencies),\n")
	p("  stops and purges it, starts a second network with a longer BatchTimeout for the tuning comparison,\n")
	p("  and renders this page with `hlbench report`.\n")
	p("- Order of the matrix: baseline write and read; the domain queries (at the first scaling point of\n")
	p("  records of others) then the domain writes; the scaling queries again at the last point; baseline read\n")
	p("  and write again. The ratios use the mean of the two baseline measurements of their kind.\n")
	p("- Each workload first prepares what it needs (identities, consents, batches, coverages, claims to\n")
	p("  adjudicate), unmeasured, then runs a warm-up whose operations are not counted, then the measurement\n")
	p("  window. An operation counts when it completes inside the window; throughput is successes ÷ window.\n")
	p("  Operations still in flight when the window closes finish but are not counted.\n")
	p("- Operations that would conflict if run together never are: each worker's writes go to keys (patients,\n")
	p("  batches, coverages) no other operation in flight touches, as a real application would arrange.\n")
	p("- Percentiles are nearest-rank over every measured latency (no histogram buckets).\n")
	p("- SDK retries are off, so an MVCC conflict or a timeout shows as an error, not as latency.\n\n")

	p("## Running hlbench by hand\n\n")
	p("```sh\n")
	p("go build -o bin/hlbench ./cmd/hlbench\n")
	p("bin/hlbench list                                            # the workloads\n")
	p("bin/hlbench run -w baseline-write -c 48 -d 15s              # closed loop: 48 workers, as fast as they go\n")
	p("bin/hlbench run -w consent-checkaccess -c 8 -n 20000        # a fixed number of operations\n")
	p("bin/hlbench run -w baseline-write -rate 150 -open -c 200 -d 30s  # open loop at 150 ops/s\n")
	p("bin/hlbench run -w provenance-verify -records 100000 -json  # after preloading 100,000 units of other batches\n")
	p("```\n\n")
	p("It finds the network through `-profiles` (default `$HEALTHLEDGER_NETWORK`, else `$HL_NETWORK_DIR/profiles`,\n")
	p("else `.network/profiles`) and the processes to measure through `-netdir` (the folder holding `pids/`).\n")
	p("`-rate` caps the operations started per second; with `-open` they start on that schedule whether or not\n")
	p("earlier ones finished (up to `-c` in flight), and latency counts from the scheduled start, so queueing\n")
	p("shows. `-retries N` turns SDK retries on and counts them. Output is text, or JSON with `-json` / `-o FILE`.\n\n")

	p("## Next to the published Fabric 2.5 figure\n\n")
	p("The Hyperledger blog post \"%s\" (%s) reports about %s tx/s for 100-byte blind\n", fabricBlogName, fabricBlogDate, commas(fabricBlogTPS))
	p("writes with Fabric 2.5 and the Gateway, measured with Caliper on dedicated hardware: a 40-thread Xeon, 1\n")
	p("orderer, 2 peer organisations with one peer each. Here the baseline write committed **%s tx/s**\n", tps(a.WriteRef))
	p("(%d-byte values, endorsed by %s) with %d orderers and %d peer organisations, every node, the\n", m.ValueSize, baselineEndorsers(m.Network), m.Network.Orderers, len(m.Network.Orgs))
	p("chaincode servers and the load generator itself sharing %d cores (%s) with other work: %.1f%% of the\n", mi.Cores, orUnknown(mi.CPUModel), 100*a.WriteRef/fabricBlogTPS)
	p("published figure on about 1/%d of its hardware threads%s. The absolute number says what this machine\n", max(1, 40/max(mi.Cores, 1)), differences(m.Network))
	p("can do; the ratios above say what healthledger's contracts cost on top of Fabric, and those carry over.\n")

	_, err := io.WriteString(w, b.String())
	return err
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

func writeErrors(b *strings.Builder, m *MatrixReport) {
	failed := false
	for _, r := range m.Runs {
		if r.Result != nil && len(r.Result.Stats.Errors) > 0 {
			failed = true
		}
	}
	if !failed {
		b.WriteString("No operation failed.\n\n")
		return
	}
	b.WriteString("Failed operations, by code (an example message each):\n\n")
	for _, r := range m.Runs {
		if r.Result == nil {
			continue
		}
		for _, e := range r.Result.Stats.Errors {
			fmt.Fprintf(b, "- %s (%s): %s × %d: `%s`\n", r.Workload, r.Phase, e.Code, e.Count, escape(e.Example))
		}
	}
	b.WriteString("\n")
}

func writeTuning(b *strings.Builder, tunings []*TuningReport) {
	concs := []int{}
	for _, t := range tunings {
		for _, r := range t.Points {
			if !slices.Contains(concs, r.Config.Concurrency) {
				concs = append(concs, r.Config.Concurrency)
			}
		}
	}
	slices.Sort(concs)
	fmt.Fprintf(b, "baseline-write at several concurrencies on networks that differ only in BatchTimeout (each a fresh\n")
	fmt.Fprintf(b, "network; MaxMessageCount as below). A block is cut when it holds MaxMessageCount transactions or\n")
	fmt.Fprintf(b, "when BatchTimeout has passed since its first: at low load the timeout sets the latency, and only\n")
	fmt.Fprintf(b, "enough transactions in flight fill blocks before it expires.\n\n")
	b.WriteString("| Concurrency |")
	for _, t := range tunings {
		fmt.Fprintf(b, " BatchTimeout %s: tx/s | p50 ms | p99 ms |", orUnknown(t.Network.BatchTimeout))
	}
	b.WriteString("\n|--:|")
	for range tunings {
		b.WriteString("--:|--:|--:|")
	}
	b.WriteString("\n")
	for _, c := range concs {
		fmt.Fprintf(b, "| %d |", c)
		for _, t := range tunings {
			var r *Result
			for _, x := range t.Points {
				if x.Config.Concurrency == c {
					r = x
				}
			}
			if r == nil {
				b.WriteString(" | | |")
				continue
			}
			fmt.Fprintf(b, " %s | %s | %s |", tps(r.Stats.TxPerSecond), num(r.Stats.Latency.P50Ms), num(r.Stats.Latency.P99Ms))
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
	for _, t := range tunings {
		fmt.Fprintf(b, "- BatchTimeout %s, MaxMessageCount %d, %d orderers: `%s`, %s per point.\n", orUnknown(t.Network.BatchTimeout),
			t.Network.MaxMessageCount, t.Network.Orderers, t.Command, durationOf(t))
	}
	b.WriteString("\n")
}

func durationOf(t *TuningReport) string {
	if len(t.Points) == 0 {
		return "no point"
	}
	return t.Points[0].Config.Duration.String()
}

func writeNetwork(b *strings.Builder, n NetworkInfo) {
	fmt.Fprintf(b, "Read from the live channel configuration and chaincode definitions:\n\n")
	fmt.Fprintf(b, "- Channel `%s`, layout `%s`, peer orgs %s (one peer each, LevelDB)\n", n.Channel, n.Layout, strings.Join(n.Orgs, ", "))
	fmt.Fprintf(b, "- Ordering: %s with %d orderers; BatchTimeout %s, MaxMessageCount %d, PreferredMaxBytes %d\n",
		orUnknown(n.OrdererType), n.Orderers, orUnknown(n.BatchTimeout), n.MaxMessageCount, n.PreferredMaxBytes)
	fmt.Fprintf(b, "- Endorsement policies (the channel's default, /Channel/Application/Endorsement, is %s):\n", orUnknown(n.ChannelEndorsement))
	for _, line := range n.policySummary() {
		fmt.Fprintf(b, "  - %s\n", line)
	}
	for _, pr := range n.Problems {
		fmt.Fprintf(b, "- Could not read: %s\n", escape(pr))
	}
	b.WriteString("\n")
}

// writeDefaults explains the network's and hlbench's default settings with this run's figures.
func writeDefaults(b *strings.Builder, m *MatrixReport, tunings []*TuningReport) {
	b.WriteString("## The defaults, and why\n\n")
	fmt.Fprintf(b, "`network.sh` starts the network with BatchTimeout %s and MaxMessageCount %d (`HL_BATCH_TIMEOUT`,\n",
		orUnknown(m.Network.BatchTimeout), m.Network.MaxMessageCount)
	b.WriteString("`HL_MAX_MESSAGE_COUNT`) and a gateway concurrency limit of 500 per peer (`HL_GATEWAY_CONCURRENCY`);\n")
	fmt.Fprintf(b, "hlbench submits with %d workers and queries with %d.\n\n", m.Config.SubmitConcurrency, m.Config.EvaluateConcurrency)
	short, long := tuningAt(tunings, 0, 1), tuningAt(tunings, 1, 1)
	if short != nil && long != nil {
		fmt.Fprintf(b, "- **BatchTimeout.** With one client in flight a transaction waits for the block timeout: p50 %s ms at\n",
			num(short.Stats.Latency.P50Ms))
		fmt.Fprintf(b, "  %s against %s ms at %s (table above). The longer timeout only catches up once enough\n",
			orUnknown(tunings[0].Network.BatchTimeout), num(long.Stats.Latency.P50Ms), orUnknown(tunings[1].Network.BatchTimeout))
		b.WriteString("  transactions are in flight to fill blocks by count. The people this serves wait at a counter or a\n")
		b.WriteString("  bedside, so the short timeout is the default; a batch-loading deployment may raise it.\n")
	}
	b.WriteString("- **MaxMessageCount.** At this machine's ceiling (the baseline write above) a block of this size\n")
	b.WriteString("  is cut by count every few hundred milliseconds under full load, and by the timeout otherwise;\n")
	b.WriteString("  larger blocks would only add latency here.\n")
	b.WriteString("- **Gateway concurrency 500.** Far more than two cores can serve; it bounds the memory a flood of\n")
	b.WriteString("  requests can take. Past it the gateway answers ResourceExhausted, which the SDK retries.\n")
	b.WriteString("- **Client concurrency.** Submits need many transactions in flight to fill blocks before the\n")
	b.WriteString("  timeout; the tuning table shows throughput rising with concurrency until the machine's CPU is\n")
	b.WriteString("  the limit, and latency rising after that. Queries take a few milliseconds and saturate the\n")
	b.WriteString("  two cores with a handful of workers.\n\n")
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
