package bench

import (
	_ "embed"
	"fmt"
	"io"
	"strings"
	"text/template"
	"time"
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
	// Sweep is a concurrency sweep to show, nil for none; SweepChart is the path of its chart as the
	// page links it (e.g. bench-sweep.svg), "" for no chart; SweepNote a paragraph above its table.
	Sweep      *SweepReport
	SweepChart string
	SweepNote  string
}

// The published Fabric 2.5 figure the baseline write is stated next to.
const (
	fabricBlogTPS  = 2900
	fabricBlogName = "Benchmarking Hyperledger Fabric 2.5 Performance"
	fabricBlogDate = "16 February 2023"
)

// benchmarksPage is the page's prose and layout; RenderMarkdown fills it with a pageData.
//
//go:embed benchmarks.md.tmpl
var benchmarksPage string

// pageTemplate is parsed once; executing it is safe for concurrent use.
var pageTemplate = template.Must(template.New("benchmarks.md").Option("missingkey=error").Parse(benchmarksPage))

// pageData is everything the page shows, each figure already formatted.
type pageData struct {
	Command, Took, MatrixCommand, Started, Note string

	Duration, Warmup                       string
	SubmitConcurrency, EvaluateConcurrency int
	// WriteMean and ReadMean are the reference throughputs; "" when no baseline of that kind ran.
	WriteMean, ReadMean           string
	WriteBaselines, ReadBaselines []baselineRow
	Rows                          []workloadRow

	WriteStart, WriteEnd, WriteDrift string
	ReadStart, ReadEnd, ReadDrift    string

	Specs    []SpecInfo
	Failures []failureLine
	Targets  []targetRow
	Scaling  *scalingSection // nil when not measured
	Tuning   *tuningSection  // nil when not measured
	Sweep    *sweepSection   // nil when not measured
	Defaults defaultsSection
	Usage    []usageRow
	Machine  machineSection
	Network  networkSection
	Settings []string

	Published publishedSection
}

type baselineRow struct {
	Workload, Label, Kind, TPS, P50, P95, P99, Max string
	Errors                                         int
}

type workloadRow struct {
	// NotRun rows have a Name, a Kind and, as Target, why they did not run.
	NotRun                                             bool
	Name, Kind, TPS, Ratio, P50, P95, P99, Max, Target string
	Errors                                             int
}

type failureLine struct {
	Workload, Phase, Code, Example string
	Count                          int
}

type targetRow struct{ Goal, Workload, Measured, Verdict string }

type scalingSection struct {
	Few, Many, Limit string
	Rows             []scalingRow
	UnitsPerBatch    int
}

type scalingRow struct {
	// Partial rows were not measured at both points.
	Partial                                                 bool
	Workload                                                string
	SmallRecords, LargeRecords                              int
	SmallTPS, SmallP50, LargeTPS, LargeP50, Ratio, P50Ratio string
}

type tuningSection struct {
	Networks []tuningNetwork
	Rows     []tuningRow
}

type tuningNetwork struct {
	BatchTimeout, Command, PointDuration string
	MaxMessageCount                      uint32
	Orderers                             int
}

type tuningRow struct {
	Concurrency int
	Cells       []tuningCell // one per network
}

type tuningCell struct {
	Measured      bool
	TPS, P50, P99 string
}

type defaultsSection struct {
	BatchTimeout                           string
	MaxMessageCount                        uint32
	SubmitConcurrency, EvaluateConcurrency int
	// Timeouts compares the first two tunings at concurrency 1; nil without both.
	Timeouts *timeoutComparison
}

type timeoutComparison struct{ Short, ShortP50, Long, LongP50 string }

type usageRow struct {
	Workload, Phase                                     string
	PeerCPU, OrdererCPU, ChaincodeCPU, SelfCPU, HostCPU string
	PeerRSS, OrdererRSS, ChaincodeRSS                   string
}

type machineSection struct {
	CPU, MemoryGB, Kernel, OS, Go string
	Cores                         int
	// Load is the load average when the run began; "" when unknown.
	Load string
}

type networkSection struct {
	Channel, Layout, Orgs, OrdererType, BatchTimeout, ChannelEndorsement string
	Orderers                                                             int
	MaxMessageCount, PreferredMaxBytes                                   uint32
	Policies, Problems                                                   []string
}

type publishedSection struct {
	Title, Date, TPS, WriteRef, Endorsers, CPU, Percent, Differences string
	ValueSize, Orderers, Orgs, Cores, Fraction                       int
}

// RenderMarkdown writes docs/benchmarks.md from a matrix report and the tuning reports.
func RenderMarkdown(w io.Writer, m *MatrixReport, tunings []*TuningReport, doc DocInfo) error {
	var b strings.Builder
	if err := pageTemplate.Execute(&b, newPageData(m, tunings, doc)); err != nil {
		return fmt.Errorf("render the benchmark page: %w", err)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// newPageData computes and formats every figure of the page.
func newPageData(m *MatrixReport, tunings []*TuningReport, doc DocInfo) pageData {
	a := Analyze(m)
	d := pageData{
		Command:             doc.Command,
		MatrixCommand:       m.Command,
		Started:             m.Started.Format("2006-01-02 15:04 UTC"),
		Duration:            m.Config.Duration.String(),
		Warmup:              m.Config.Warmup.String(),
		SubmitConcurrency:   m.Config.SubmitConcurrency,
		EvaluateConcurrency: m.Config.EvaluateConcurrency,
		WriteStart:          tpsOf(a.WriteStart), WriteEnd: tpsOf(a.WriteEnd), WriteDrift: fmt.Sprintf("%.0f", 100*a.WriteDrift),
		ReadStart: tpsOf(a.ReadStart), ReadEnd: tpsOf(a.ReadEnd), ReadDrift: fmt.Sprintf("%.0f", 100*a.ReadDrift),
		Specs:    m.Specs,
		Settings: doc.Settings,
	}
	if doc.Took > 0 {
		d.Took = doc.Took.Round(time.Second).String()
	}
	if doc.Note != "" {
		d.Note = strings.ReplaceAll(strings.TrimSpace(doc.Note), "\n", "\n> ")
	}
	if a.WriteStart != nil || a.WriteEnd != nil {
		d.WriteMean = tps(a.WriteRef)
	}
	if a.ReadStart != nil || a.ReadEnd != nil {
		d.ReadMean = tps(a.ReadRef)
	}
	d.WriteBaselines = baselineRows(a.WriteStart, a.WriteEnd)
	d.ReadBaselines = baselineRows(a.ReadStart, a.ReadEnd)
	d.Rows = workloadRows(a)
	d.Failures = failureLines(m)
	d.Targets = targetRows(a)
	d.Scaling = newScalingSection(m, a)
	d.Tuning = newTuningSection(tunings)
	d.Sweep = newSweepSection(doc.Sweep, doc.SweepChart, doc.SweepNote)
	d.Defaults = newDefaultsSection(m, tunings)
	d.Usage = usageRows(m)
	d.Machine = newMachineSection(m.Machine)
	d.Network = newNetworkSection(m.Network)
	d.Published = newPublishedSection(m, a)
	return d
}

type sweepSection struct {
	Started, Command, Duration, Warmup, Chart, Note, CPU string
	Cores                                                int
	Rows                                                 []sweepRow
}

type sweepRow struct {
	// NotRun rows say why in Why.
	NotRun                       bool
	Workload, TPS, P50, P99, Why string
	Concurrency, Failed, Retries int
}

func newSweepSection(rep *SweepReport, chart, note string) *sweepSection {
	if rep == nil {
		return nil
	}
	s := &sweepSection{
		Started: rep.Started.Format("2006-01-02 15:04 UTC"), Command: rep.Command,
		Duration: rep.Config.Duration.String(), Warmup: rep.Config.Warmup.String(), Chart: chart,
		CPU: rep.Machine.CPUModel, Cores: rep.Machine.Cores,
	}
	if note != "" {
		s.Note = strings.ReplaceAll(strings.TrimSpace(note), "\n", "\n> ")
	}
	for _, p := range rep.Points {
		if p.Result == nil {
			s.Rows = append(s.Rows, sweepRow{NotRun: true, Workload: p.Workload, Concurrency: p.Concurrency, Why: escape(p.Skipped + p.Error)})
			continue
		}
		st := p.Result.Stats
		row := sweepRow{Workload: p.Workload, Concurrency: p.Concurrency, TPS: tps(st.TxPerSecond),
			P50: num(st.Latency.P50Ms), P99: num(st.Latency.P99Ms), Failed: st.Failed, Retries: st.Retries}
		if st.Succeeded == 0 { // no latency was measured
			row.P50, row.P99 = "—", "—"
		}
		s.Rows = append(s.Rows, row)
	}
	return s
}

// RenderSweepSection writes the "Concurrency sweep" section of the benchmark page on its own (the
// same text RenderMarkdown puts in the page), for a sweep run apart from the matrix.
func RenderSweepSection(w io.Writer, rep *SweepReport, chart, note string) error {
	if rep == nil {
		return fmt.Errorf("%w: no sweep to render", ErrConfig)
	}
	var b strings.Builder
	if err := pageTemplate.ExecuteTemplate(&b, "sweep", newSweepSection(rep, chart, note)); err != nil {
		return fmt.Errorf("render the sweep section: %w", err)
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("writing the sweep section: %w", err)
	}
	return nil
}
