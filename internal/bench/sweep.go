package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"text/tabwriter"
	"time"
)

// SweepConfig is how a concurrency sweep runs: every workload at every concurrency.
type SweepConfig struct {
	Workloads     []string `json:"workloads"`
	Concurrencies []int    `json:"concurrencies"`
	Duration      Duration `json:"duration"`
	Warmup        Duration `json:"warmup"`
}

// DefaultSweepConfig is what `hlbench sweep` runs without flags.
func DefaultSweepConfig() SweepConfig {
	return SweepConfig{
		Workloads:     []string{BaselineWrite, ConsentGrant, ProvenanceVerify, ClaimsSubmit},
		Concurrencies: []int{8, 24, 48, 100, 200},
		Duration:      Duration(10 * time.Second), Warmup: Duration(2 * time.Second),
	}
}

// Validate checks that the sweep can run: workloads that exist (each once), concurrencies of at
// least 1 in increasing order, a window and a warm-up that is not negative.
func (c SweepConfig) Validate() error {
	if len(c.Workloads) == 0 || len(c.Concurrencies) == 0 {
		return fmt.Errorf("%w: a sweep needs workloads and concurrencies", ErrConfig)
	}
	if c.Duration <= 0 || c.Warmup < 0 {
		return fmt.Errorf("%w: a sweep needs a duration and a warm-up that is not negative", ErrConfig)
	}
	for i, n := range c.Concurrencies {
		if n < 1 || (i > 0 && n <= c.Concurrencies[i-1]) {
			return fmt.Errorf("%w: concurrencies must be at least 1 and increasing: %v", ErrConfig, c.Concurrencies)
		}
	}
	reg := Workloads()
	for i, w := range c.Workloads {
		if _, err := reg.Get(w); err != nil {
			return err
		}
		if slices.Contains(c.Workloads[:i], w) {
			return fmt.Errorf("%w: workload %s named twice", ErrConfig, w)
		}
	}
	return nil
}

// SweepPoint is one workload at one concurrency: its result, or why it has none.
type SweepPoint struct {
	Workload    string  `json:"workload"`
	Concurrency int     `json:"concurrency"`
	Result      *Result `json:"result,omitempty"`
	Skipped     string  `json:"skipped,omitempty"`
	Error       string  `json:"error,omitempty"`
}

// SweepReport is everything one sweep measured, with what it was measured on.
type SweepReport struct {
	Started  time.Time    `json:"started"`
	Finished time.Time    `json:"finished"`
	Command  string       `json:"command"`
	Machine  MachineInfo  `json:"machine"`
	Network  NetworkInfo  `json:"network"`
	Config   SweepConfig  `json:"config"`
	Points   []SweepPoint `json:"points"`
}

// RunSweep runs each workload of cfg at each of its concurrencies, in that order (a workload's
// points one after the other, lowest concurrency first), each for cfg.Duration after cfg.Warmup.
// A point that cannot run (chaincode not deployed) is recorded as skipped, one that fails to prepare
// with its error, and the sweep goes on; an interruption records the points left as skipped.
func RunSweep(ctx context.Context, env *Env, cfg SweepConfig, opts RunOptions) (*SweepReport, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	reg := Workloads()
	rep := &SweepReport{Started: time.Now().UTC(), Machine: ReadMachineInfo(), Config: cfg, Points: []SweepPoint{}}
	if id, err := baselineIdentity(env); err == nil {
		rep.Network = ReadNetworkInfo(ctx, env, id)
	}
	// Each point prepares afresh and numbers its operations from 0, so each gets a run id of its
	// own: a second point of consent-grant or claims-submit must not register the same users or
	// submit the same ids as the first.
	base := env.RunID
	defer func() { env.RunID = base }()
	for _, name := range cfg.Workloads {
		spec, _ := reg.Get(name) // checked by Validate
		for _, c := range cfg.Concurrencies {
			p := SweepPoint{Workload: name, Concurrency: c}
			if ctx.Err() != nil {
				p.Skipped = "interrupted"
				rep.Points = append(rep.Points, p)
				continue
			}
			env.RunID = base + "p" + strconv.Itoa(len(rep.Points))
			env.logf("sweep: %s at concurrency %d", name, c)
			res, err := Run(ctx, env, spec, Config{Workload: name, Concurrency: c, Duration: cfg.Duration, Warmup: cfg.Warmup}, opts)
			p.Result = res
			switch {
			case errors.Is(err, ErrUnavailableWorkload):
				p.Skipped = err.Error()
			case err != nil:
				p.Error = err.Error()
			}
			if res != nil {
				env.logf("sweep: %s c=%d: %.1f tx/s, p50 %.1f ms, p99 %.1f ms, %d failed, %d retries", name, c,
					res.Stats.TxPerSecond, res.Stats.Latency.P50Ms, res.Stats.Latency.P99Ms, res.Stats.Failed, res.Stats.Retries)
			}
			rep.Points = append(rep.Points, p)
		}
	}
	rep.Finished = time.Now().UTC()
	return rep, nil
}

// WriteSweepText writes a sweep as a table for a person to read.
func WriteSweepText(w io.Writer, rep *SweepReport) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "workload\tconcurrency\ttx/s\tp50 ms\tp99 ms\tfailed\tretries\t")
	for _, p := range rep.Points {
		if p.Result == nil {
			// The reason trails the columns, so that a long one leaves them aligned.
			fmt.Fprintf(tw, "%s\t%d\t-\t-\t-\t-\t-\t  not run: %s%s\n", p.Workload, p.Concurrency, p.Skipped, p.Error)
			continue
		}
		s := p.Result.Stats
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.1f\t%.1f\t%d\t%d\t\n", p.Workload, p.Concurrency, s.TxPerSecond, s.Latency.P50Ms, s.Latency.P99Ms, s.Failed, s.Retries)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("writing the sweep: %w", err)
	}
	return nil
}
