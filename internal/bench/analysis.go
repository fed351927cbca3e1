package bench

import (
	"fmt"
	"math"
	"time"
)

// ScalingLimit is the largest acceptable ratio of a query's throughput with few records of others to
// its throughput with many: a query that costs what it returns stays near 1.
const ScalingLimit = 1.25

// Verdicts of a target.
const (
	Met    = "met"
	Missed = "missed"
)

// Analysis turns a matrix report into the figures the documentation shows: ratios to the baselines,
// targets met or missed, scaling ratios.
type Analysis struct {
	// WriteStart ... ReadEnd are the four baseline measurements (nil when missing).
	WriteStart, WriteEnd, ReadStart, ReadEnd *Result
	// WriteRef and ReadRef are the baselines the ratios use: the mean of start and end (or the one
	// that exists).
	WriteRef, ReadRef float64
	// WriteDrift and ReadDrift are |start - end| / mean: how much the platform moved during the run.
	WriteDrift, ReadDrift float64
	Rows                  []Row
	Scaling               []ScalingRow
}

// Row is one workload measured in the domain phase.
type Row struct {
	Spec   SpecInfo
	Run    MatrixRun
	Ratio  float64 // to the baseline of its kind; 0 when either is missing
	Target string  // Met, Missed or "" when the workload has no target
	Why    string  // what the target compared
}

// ScalingRow compares a scaling workload at the first and at the last scaling point.
type ScalingRow struct {
	Workload     string
	Small, Large *Result
	// Ratio is throughput with few records over throughput with many (above 1: slower with more
	// records); P50Ratio is p50 with many over p50 with few.
	Ratio, P50Ratio float64
	Target          string
}

// Analyze computes the figures of a matrix report.
func Analyze(m *MatrixReport) Analysis {
	var a Analysis
	specs := map[string]SpecInfo{}
	for _, s := range m.Specs {
		specs[s.Name] = s
	}
	small := map[string]*Result{}
	for _, r := range m.Runs {
		switch {
		case r.Phase == PhaseBaselineStart && r.Workload == BaselineWrite:
			a.WriteStart = r.Result
		case r.Phase == PhaseBaselineEnd && r.Workload == BaselineWrite:
			a.WriteEnd = r.Result
		case r.Phase == PhaseBaselineStart && r.Workload == BaselineRead:
			a.ReadStart = r.Result
		case r.Phase == PhaseBaselineEnd && r.Workload == BaselineRead:
			a.ReadEnd = r.Result
		}
	}
	a.WriteRef, a.WriteDrift = reference(a.WriteStart, a.WriteEnd)
	a.ReadRef, a.ReadDrift = reference(a.ReadStart, a.ReadEnd)
	for _, r := range m.Runs {
		switch r.Phase {
		case PhaseDomain:
			row := Row{Spec: specs[r.Workload], Run: r}
			ref := a.WriteRef
			if row.Spec.Kind == Evaluate {
				ref = a.ReadRef
			}
			if r.Result != nil && ref > 0 {
				row.Ratio = r.Result.Stats.TxPerSecond / ref
			}
			row.Target, row.Why = judge(row.Spec.Target, row.Ratio, r.Result)
			a.Rows = append(a.Rows, row)
			if row.Spec.Scales && r.Result != nil {
				small[r.Workload] = r.Result
			}
		case PhaseScaling:
			s := ScalingRow{Workload: r.Workload, Small: small[r.Workload], Large: r.Result}
			if s.Small != nil && s.Large != nil && s.Large.Stats.TxPerSecond > 0 && s.Small.Stats.Latency.P50Ms > 0 {
				s.Ratio = s.Small.Stats.TxPerSecond / s.Large.Stats.TxPerSecond
				s.P50Ratio = s.Large.Stats.Latency.P50Ms / s.Small.Stats.Latency.P50Ms
				s.Target = Met
				if s.Ratio > ScalingLimit {
					s.Target = Missed
				}
			}
			a.Scaling = append(a.Scaling, s)
		}
	}
	return a
}

// reference is the mean of two baseline throughputs (or the one present) and their relative drift.
func reference(start, end *Result) (float64, float64) {
	switch {
	case start != nil && end != nil:
		s, e := start.Stats.TxPerSecond, end.Stats.TxPerSecond
		mean := (s + e) / 2
		if mean == 0 {
			return 0, 0
		}
		return mean, math.Abs(s-e) / mean
	case start != nil:
		return start.Stats.TxPerSecond, 0
	case end != nil:
		return end.Stats.TxPerSecond, 0
	}
	return 0, 0
}

// judge decides a target: the ratio must reach MinRatio and, when set, p50 must stay under MaxP50.
// A run with failed operations cannot meet a target.
func judge(t *Target, ratio float64, r *Result) (string, string) {
	if t == nil {
		return "", ""
	}
	if r == nil || ratio == 0 {
		return Missed, "not measured"
	}
	why := formatRatio(ratio) + " vs ≥ " + formatRatio(t.MinRatio)
	if ratio < t.MinRatio && formatRatio(ratio) == formatRatio(t.MinRatio) {
		why = fmt.Sprintf("%.3f× vs ≥ %.3f×", ratio, t.MinRatio) // rounding must not hide a miss
	}
	ok := ratio >= t.MinRatio
	if t.MaxP50 > 0 {
		p50 := time.Duration(r.Stats.Latency.P50Ms * float64(time.Millisecond))
		why += ", p50 " + formatMs(r.Stats.Latency.P50Ms) + " vs < " + formatMs(float64(t.MaxP50)/float64(time.Millisecond))
		ok = ok && p50 < time.Duration(t.MaxP50)
	}
	if r.Stats.Failed > 0 {
		why += ", with failed operations"
		ok = false
	}
	if ok {
		return Met, why
	}
	return Missed, why
}
