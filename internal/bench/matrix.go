package bench

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// MatrixConfig is how the standard matrix runs.
type MatrixConfig struct {
	// SubmitConcurrency and EvaluateConcurrency are the workers of submit and evaluate workloads. A
	// commit waits for a block, so submits need many in flight to fill blocks; a query does not.
	SubmitConcurrency   int      `json:"submitConcurrency"`
	EvaluateConcurrency int      `json:"evaluateConcurrency"`
	Duration            Duration `json:"duration"`
	Warmup              Duration `json:"warmup"`
	// Records are the scaling points: the records of other patients or batches on the ledger. The
	// domain workloads are measured at the first; the scaling workloads again at the last.
	Records []int `json:"records"`
	// Workloads limits the domain workloads (default: every registered one whose chaincode is
	// deployed). The baselines always run.
	Workloads []string `json:"workloads,omitempty"`
}

// DefaultMatrixConfig is what `make bench` runs.
func DefaultMatrixConfig() MatrixConfig {
	return MatrixConfig{
		SubmitConcurrency: 48, EvaluateConcurrency: 8,
		Duration: Duration(15 * time.Second), Warmup: Duration(3 * time.Second),
		Records: []int{1_000, 100_000},
	}
}

// Phase names where in the matrix a run sits.
type Phase string

// The phases of the matrix, in order.
const (
	PhaseBaselineStart Phase = "baseline-start"
	PhaseDomain        Phase = "domain"
	PhaseScaling       Phase = "scaling"
	PhaseBaselineEnd   Phase = "baseline-end"
)

// MatrixRun is one run of the matrix: its result, or why it has none.
type MatrixRun struct {
	Phase    Phase   `json:"phase"`
	Workload string  `json:"workload"`
	Result   *Result `json:"result,omitempty"`
	Skipped  string  `json:"skipped,omitempty"`
	Error    string  `json:"error,omitempty"`
}

// MatrixReport is everything one matrix run measured, with what it was measured on.
type MatrixReport struct {
	Started  time.Time    `json:"started"`
	Finished time.Time    `json:"finished"`
	Command  string       `json:"command"`
	Machine  MachineInfo  `json:"machine"`
	Network  NetworkInfo  `json:"network"`
	Config   MatrixConfig `json:"config"`
	// ValueSize is the baseline value size in bytes.
	ValueSize int         `json:"valueSize"`
	Runs      []MatrixRun `json:"runs"`
	// Specs describes the workloads that ran: kind, transactions per operation, target.
	Specs []SpecInfo `json:"specs"`
}

// SpecInfo is what a report needs to know about a workload.
type SpecInfo struct {
	Name      string  `json:"name"`
	Summary   string  `json:"summary"`
	Chaincode string  `json:"chaincode"`
	Kind      Kind    `json:"kind"`
	TxPerOp   int     `json:"txPerOp"`
	Target    *Target `json:"target,omitempty"`
	Scales    bool    `json:"scales"`
}

// scaling workloads are those that preload records of others and are measured at every scaling
// point.
func (s Spec) scales() bool {
	return slices.Contains([]string{ConsentCheckAccess, ConsentList, ProvenanceVerify, ProvenanceList}, s.Name)
}

func infoOf(s Spec) SpecInfo {
	return SpecInfo{Name: s.Name, Summary: s.Summary, Chaincode: s.Chaincode, Kind: s.Kind, TxPerOp: s.txPerOp(), Target: s.Target, Scales: s.scales()}
}

// RunMatrix runs the standard matrix on env's network:
//
//  1. baseline-write and baseline-read;
//  2. every domain workload, the queries first, with env.Records = the first scaling point: so the
//     queries see that many records of others, before the writes add their own;
//  3. the scaling workloads again, after topping the records of others up to the last point;
//  4. baseline-read and baseline-write again.
//
// Each workload's throughput is then a ratio to the mean of the two baseline measurements of its
// kind, taken minutes apart in the same run. A workload that cannot run (its chaincode is not
// deployed) is recorded as skipped; one that fails to prepare, with its error; the matrix goes on.
func RunMatrix(ctx context.Context, env *Env, cfg MatrixConfig, opts RunOptions) (*MatrixReport, error) {
	if cfg.SubmitConcurrency < 1 || cfg.EvaluateConcurrency < 1 || cfg.Duration <= 0 || cfg.Warmup < 0 {
		return nil, fmt.Errorf("%w: the matrix needs concurrencies of at least 1 and a duration", ErrConfig)
	}
	for i, r := range cfg.Records {
		if r < 0 || (i > 0 && r <= cfg.Records[i-1]) {
			return nil, fmt.Errorf("%w: scaling points must be increasing and not negative: %v", ErrConfig, cfg.Records)
		}
	}
	reg := Workloads()
	var domain []Spec
	for _, s := range reg.All() {
		if s.Name == BaselineWrite || s.Name == BaselineRead {
			continue
		}
		if len(cfg.Workloads) > 0 && !slices.Contains(cfg.Workloads, s.Name) {
			continue
		}
		domain = append(domain, s)
	}
	for _, name := range cfg.Workloads {
		if _, err := reg.Get(name); err != nil {
			return nil, err
		}
	}
	// Queries first (see above), registration order otherwise.
	slices.SortStableFunc(domain, func(a, b Spec) int {
		switch {
		case a.Kind == b.Kind:
			return 0
		case a.Kind == Evaluate:
			return -1
		}
		return 1
	})
	rep := &MatrixReport{Started: time.Now().UTC(), Machine: ReadMachineInfo(), Config: cfg, ValueSize: env.ValueSize, Runs: []MatrixRun{}, Specs: []SpecInfo{}}
	if id, err := baselineIdentity(env); err == nil {
		rep.Network = ReadNetworkInfo(ctx, env, id)
	}
	write, _ := reg.Get(BaselineWrite)
	read, _ := reg.Get(BaselineRead)
	rep.Specs = append(rep.Specs, infoOf(write), infoOf(read))
	for _, s := range domain {
		rep.Specs = append(rep.Specs, infoOf(s))
	}
	run := func(phase Phase, s Spec) {
		if ctx.Err() != nil {
			rep.Runs = append(rep.Runs, MatrixRun{Phase: phase, Workload: s.Name, Skipped: "interrupted"})
			return
		}
		c := Config{Workload: s.Name, Concurrency: cfg.SubmitConcurrency, Duration: cfg.Duration, Warmup: cfg.Warmup}
		if s.Kind == Evaluate {
			c.Concurrency = cfg.EvaluateConcurrency
		}
		env.logf("matrix: %s %s (records of others: %d)", phase, s.Name, env.Records)
		res, err := Run(ctx, env, s, c, opts)
		mr := MatrixRun{Phase: phase, Workload: s.Name, Result: res}
		switch {
		case errors.Is(err, ErrUnavailableWorkload):
			mr.Skipped = err.Error()
		case err != nil:
			mr.Error = err.Error()
		}
		if res != nil {
			env.logf("matrix: %s: %.1f tx/s, p50 %.1f ms, %d errors", s.Name, res.Stats.TxPerSecond, res.Stats.Latency.P50Ms, res.Stats.Failed)
		} else {
			env.logf("matrix: %s: %s%s", s.Name, mr.Skipped, mr.Error)
		}
		rep.Runs = append(rep.Runs, mr)
	}
	env.Records = 0
	if len(cfg.Records) > 0 {
		env.Records = cfg.Records[0]
	}
	run(PhaseBaselineStart, write)
	run(PhaseBaselineStart, read)
	for _, s := range domain {
		run(PhaseDomain, s)
	}
	if len(cfg.Records) > 1 {
		env.Records = cfg.Records[len(cfg.Records)-1]
		for _, s := range domain {
			if s.scales() {
				run(PhaseScaling, s)
			}
		}
	}
	run(PhaseBaselineEnd, read)
	run(PhaseBaselineEnd, write)
	rep.Finished = time.Now().UTC()
	return rep, nil
}

// TuningReport is baseline-write measured at several concurrencies on one network: the
// latency/throughput trade-off of its BatchTimeout.
type TuningReport struct {
	Started time.Time   `json:"started"`
	Command string      `json:"command"`
	Machine MachineInfo `json:"machine"`
	Network NetworkInfo `json:"network"`
	Points  []*Result   `json:"points"`
}

// RunTuning measures baseline-write at each concurrency for d after warm-up w: a sweep of that one
// workload (RunSweep), reported as the BatchTimeout comparison wants it.
func RunTuning(ctx context.Context, env *Env, concurrencies []int, d, w time.Duration, opts RunOptions) (*TuningReport, error) {
	if len(concurrencies) == 0 || d <= 0 {
		return nil, fmt.Errorf("%w: tuning needs concurrencies and a duration", ErrConfig)
	}
	sw, err := RunSweep(ctx, env, SweepConfig{Workloads: []string{BaselineWrite}, Concurrencies: concurrencies, Duration: Duration(d), Warmup: Duration(w)}, opts)
	if err != nil {
		return nil, err
	}
	rep := &TuningReport{Started: sw.Started, Machine: sw.Machine, Network: sw.Network, Points: []*Result{}}
	for _, p := range sw.Points {
		switch {
		case p.Error != "" || (p.Skipped != "" && p.Skipped != "interrupted"):
			return nil, fmt.Errorf("baseline-write at concurrency %d: %s%s", p.Concurrency, p.Skipped, p.Error)
		case p.Result != nil:
			rep.Points = append(rep.Points, p.Result)
		}
	}
	return rep, nil
}
