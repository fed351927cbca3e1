package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/healthledger/healthledger/gateway-client/sdk"
	"github.com/healthledger/healthledger/internal/procstat"
	"github.com/healthledger/healthledger/internal/stats"
	"google.golang.org/grpc/status"
)

// Duration is a time.Duration that reads and writes JSON as text ("5s", "250ms").
type Duration time.Duration

// MarshalJSON writes the duration as text.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON reads a duration written as text.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a duration must be text such as \"5s\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("parsing duration: %w", err)
	}
	*d = Duration(v)
	return nil
}

// Config is how one workload is driven.
type Config struct {
	Workload string `json:"workload"`
	// Concurrency is the number of workers (closed loop), or the most operations in flight at once
	// (open loop).
	Concurrency int `json:"concurrency"`
	// Count is the number of measured operations; when 0, Duration bounds the measurement instead.
	Count int `json:"count,omitempty"`
	// Duration is the length of the measurement window (after the warm-up).
	Duration Duration `json:"duration,omitempty"`
	// Warmup runs operations that are not measured before the window opens.
	Warmup Duration `json:"warmup"`
	// Rate limits the operations started per second; 0 means as fast as the workers go.
	Rate float64 `json:"rate,omitempty"`
	// OpenLoop starts operations on the Rate schedule whether or not earlier ones have finished
	// (up to Concurrency in flight); latency then counts from the scheduled start, so a queue that
	// builds up shows in it.
	OpenLoop bool `json:"openLoop"`
	// OpTimeout bounds one operation.
	OpTimeout Duration `json:"opTimeout"`
}

// ErrConfig is returned for a configuration that cannot run.
var ErrConfig = errors.New("invalid benchmark configuration")

// Validate checks the configuration and fills the defaults (OpTimeout 1m).
func (c *Config) Validate() error {
	switch {
	case c.Workload == "":
		return fmt.Errorf("%w: no workload", ErrConfig)
	case c.Concurrency < 1:
		return fmt.Errorf("%w: concurrency %d must be at least 1", ErrConfig, c.Concurrency)
	case c.Count < 0 || c.Duration < 0 || c.Warmup < 0 || c.Rate < 0 || c.OpTimeout < 0:
		return fmt.Errorf("%w: count, duration, warm-up, rate and timeout may not be negative", ErrConfig)
	case (c.Count > 0) == (c.Duration > 0):
		return fmt.Errorf("%w: give either a count or a duration", ErrConfig)
	case c.OpenLoop && c.Rate == 0:
		return fmt.Errorf("%w: an open loop needs a rate", ErrConfig)
	}
	if c.OpTimeout == 0 {
		c.OpTimeout = Duration(time.Minute)
	}
	return nil
}

// Result is the outcome of one workload run.
type Result struct {
	Workload  string `json:"workload"`
	Summary   string `json:"summary"`
	Chaincode string `json:"chaincode"`
	Kind      Kind   `json:"kind"`
	Config    Config `json:"config"`
	// Records is how many records of other patients or batches the workload preloaded (scaling).
	Records        int       `json:"records,omitempty"`
	Started        time.Time `json:"started"`
	PrepareSeconds float64   `json:"prepareSeconds"`
	// Stats are the measured operations.
	Stats stats.Summary `json:"stats"`
	// Drained counts operations still in flight when a timed window closed: finished, not measured.
	Drained int `json:"drained"`
	// MaxStartLagMs is, in an open loop, the longest an operation waited past its scheduled start
	// because Concurrency operations were already in flight.
	MaxStartLagMs float64 `json:"maxStartLagMs,omitempty"`
	// Interrupted says the run was cut short (its figures cover what ran).
	Interrupted bool `json:"interrupted,omitempty"`
	// Resources are the CPU and memory of the network's processes during the window; nil when the
	// network's pid files were not found.
	Resources *procstat.Usage `json:"resources,omitempty"`
}

// RunOptions are what Run needs besides the workload and its configuration.
type RunOptions struct {
	// PIDDir is the folder of the network's pid files ($HL_NETWORK_DIR/pids); "" skips the
	// resource measurement.
	PIDDir string
	// ProcRoot is /proc unless a test says otherwise.
	ProcRoot string
	// SampleInterval is how often memory is sampled (default 250ms).
	SampleInterval time.Duration
}

// Run prepares spec on env and drives it as cfg says. A failing operation is counted, never fatal;
// Run fails only when the workload cannot be prepared or the configuration is invalid. When ctx ends
// early, Run stops starting operations, lets those in flight finish and returns what it measured.
func Run(ctx context.Context, env *Env, spec Spec, cfg Config, opts RunOptions) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if opts.ProcRoot == "" {
		opts.ProcRoot = "/proc"
	}
	if err := env.requireChaincode(spec.Chaincode); err != nil {
		return nil, err
	}
	res := &Result{Workload: spec.Name, Summary: spec.Summary, Chaincode: spec.Chaincode, Kind: spec.Kind, Config: cfg}
	t0 := time.Now()
	op, err := spec.Prepare(ctx, env, cfg)
	if err != nil {
		return nil, fmt.Errorf("preparing %s: %w", spec.Name, err)
	}
	res.PrepareSeconds = time.Since(t0).Seconds()
	if n, ok := env.recordsFor(spec.Name); ok {
		res.Records = n
	}
	var procs []procstat.Process
	if opts.PIDDir != "" {
		if procs, err = procstat.FromPIDDir(opts.PIDDir); err != nil {
			return nil, fmt.Errorf("reading the network's processes: %w", err)
		}
	}
	d := &driver{cfg: cfg, op: op, rec: stats.NewRecorder(cfg.Count), procRoot: opts.ProcRoot, procs: procs, interval: opts.SampleInterval}
	res.Started = time.Now()
	d.run(ctx)
	res.Interrupted = d.interrupted()
	res.Stats = d.rec.Summary(d.elapsed(), spec.txPerOp())
	res.Drained = int(d.drained.Load())
	res.MaxStartLagMs = float64(d.maxLag.Load()) / float64(time.Millisecond)
	res.Resources = d.usage
	return res, nil
}

// driver runs one measurement.
type driver struct {
	cfg      Config
	op       Op
	rec      *stats.Recorder
	procRoot string
	procs    []procstat.Process
	interval time.Duration

	start, windowStart, windowEnd time.Time
	seq                           atomic.Uint64 // next operation number
	measured                      atomic.Int64  // operations admitted to the measurement (count mode)
	drained                       atomic.Int64
	maxLag                        atomic.Int64 // nanoseconds

	mu          sync.Mutex
	firstStart  time.Time // of a measured operation (count mode)
	lastEnd     time.Time // of a measured operation
	stopped     time.Time // when an interruption stopped the run
	sampler     *procstat.Sampler
	samplerOnce sync.Once
	usage       *procstat.Usage
}

func (d *driver) timed() bool { return d.cfg.Count == 0 }

func (d *driver) run(ctx context.Context) {
	d.start = time.Now()
	d.windowStart = d.start.Add(time.Duration(d.cfg.Warmup))
	if d.timed() {
		d.windowEnd = d.windowStart.Add(time.Duration(d.cfg.Duration))
	}
	stopWatch := context.AfterFunc(ctx, func() {
		d.mu.Lock()
		d.stopped = time.Now()
		d.mu.Unlock()
	})
	defer stopWatch()
	// The resources are measured over the window: start the sampler when it opens.
	startSampler := time.AfterFunc(time.Duration(d.cfg.Warmup), d.startSampler)
	if d.cfg.OpenLoop {
		d.openLoop(ctx)
	} else {
		d.closedLoop(ctx)
	}
	startSampler.Stop()
	d.startSampler() // a run shorter than its warm-up, or interrupted: still report something
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.sampler != nil {
		u := d.sampler.Stop()
		d.usage = &u
	}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func (d *driver) startSampler() {
	d.samplerOnce.Do(func() {
		if d.procs == nil {
			return
		}
		s := procstat.Start(d.procRoot, d.procs, d.interval, runtime.NumCPU())
		d.mu.Lock()
		d.sampler = s
		d.mu.Unlock()
	})
}

func (d *driver) interrupted() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return !d.stopped.IsZero()
}

// elapsed is the length of the measurement window.
func (d *driver) elapsed() time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.timed() {
		end := d.windowEnd
		if !d.stopped.IsZero() {
			// Interrupted: the window closed when the run stopped starting operations, or when the
			// last measured one finished, if later.
			if stop := later(d.stopped, d.lastEnd); stop.Before(end) {
				end = stop
			}
		}
		return max(end.Sub(d.windowStart), 0)
	}
	if d.firstStart.IsZero() {
		return 0
	}
	return d.lastEnd.Sub(d.firstStart)
}

// admit decides whether an operation about to start at t may start, and whether it is measured
// (count mode; in timed mode the completion time decides).
func (d *driver) admit(t time.Time) (start, measured bool) {
	if d.timed() {
		return t.Before(d.windowEnd), false
	}
	if t.Before(d.windowStart) {
		return true, false
	}
	if d.measured.Add(1) > int64(d.cfg.Count) {
		return false, false
	}
	return true, true
}

// exec runs operation n, which was due at due, and records it.
func (d *driver) exec(ctx context.Context, n uint64, due time.Time, measured bool) {
	opCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Duration(d.cfg.OpTimeout))
	defer cancel()
	tally := &attemptTally{}
	opCtx = context.WithValue(opCtx, tallyKey{}, tally)
	began := time.Now()
	err := d.safeOp(opCtx, n)
	end := time.Now()
	if d.timed() {
		switch {
		case end.Before(d.windowStart):
			return // warm-up
		case end.After(d.windowEnd):
			d.drained.Add(1)
			return
		}
	} else if !measured {
		return
	}
	d.mu.Lock()
	if d.firstStart.IsZero() || began.Before(d.firstStart) {
		d.firstStart = began
	}
	if end.After(d.lastEnd) {
		d.lastEnd = end
	}
	d.mu.Unlock()
	retries, byCause := tally.counts()
	for cause, n := range byCause {
		d.rec.RetryCause(cause, n)
	}
	if err != nil {
		var ge *sdk.Error
		if errors.As(err, &ge) && ge.Attempts > 1 {
			retries = max(retries, ge.Attempts-1)
		}
		d.rec.Failure(Classify(err), oneLine(err), retries)
		return
	}
	d.rec.Success(end.Sub(due), retries)
}

// safeOp runs the operation, turning a panic into an error: one bad operation must not end a run.
func (d *driver) safeOp(ctx context.Context, n uint64) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("PANIC: operation %d panicked: %v", n, r)
		}
	}()
	return d.op(ctx, n)
}

// due is when operation n is scheduled under the rate limit (zero time when unlimited).
func (d *driver) due(n uint64) time.Time {
	if d.cfg.Rate <= 0 {
		return time.Time{}
	}
	return d.start.Add(time.Duration(float64(n) / d.cfg.Rate * float64(time.Second)))
}

func (d *driver) closedLoop(ctx context.Context) {
	var wg sync.WaitGroup
	for range d.cfg.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				n := d.seq.Add(1) - 1
				if at := d.due(n); !at.IsZero() && !sleepUntil(ctx, at) {
					return
				}
				now := time.Now()
				ok, measured := d.admit(now)
				if !ok {
					return
				}
				d.exec(ctx, n, now, measured)
			}
		}()
	}
	wg.Wait()
}

func (d *driver) openLoop(ctx context.Context) {
	var wg sync.WaitGroup
	slots := make(chan struct{}, d.cfg.Concurrency)
	for n := uint64(0); ctx.Err() == nil; n++ {
		due := d.due(n)
		if !sleepUntil(ctx, due) {
			break
		}
		ok, measured := d.admit(due)
		if !ok {
			break
		}
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		if lag := time.Since(due); lag > time.Duration(d.maxLag.Load()) {
			d.maxLag.Store(int64(lag))
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			d.exec(ctx, n, due, measured)
		}()
	}
	wg.Wait()
}

// sleepUntil waits until t, reporting false when ctx ended first.
func sleepUntil(ctx context.Context, t time.Time) bool {
	wait := time.Until(t)
	if wait <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

type tallyKey struct{}

// attemptTally counts the SDK's retries inside one operation, by cause.
type attemptTally struct {
	mu      sync.Mutex
	byCause map[string]int
}

// NoteRetry counts one retry the SDK makes inside the operation that ctx belongs to. It is the
// measured clients' retry observer (sdk.WithRetryObserver), so every retry is counted, whichever
// typed client made the call and whether the call ended well or not.
func NoteRetry(ctx context.Context, r sdk.Retry) {
	t, ok := ctx.Value(tallyKey{}).(*attemptTally)
	if !ok {
		return
	}
	cause := r.Cause
	if cause == "" {
		cause = "OTHER"
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.byCause == nil {
		t.byCause = map[string]int{}
	}
	t.byCause[cause]++
}

// counts returns the retries counted and their split by cause.
func (t *attemptTally) counts() (int, map[string]int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	total := 0
	for _, n := range t.byCause {
		total += n
	}
	return total, maps.Clone(t.byCause)
}

// Classify returns the stable code of a failed operation: the chaincode's code (NOT_FOUND ...), the
// validation code of a transaction that failed to commit (MVCC_READ_CONFLICT ...), DEADLINE_EXCEEDED,
// CANCELED, the SDK's class (UNAVAILABLE ...), GRPC_<code> for another gRPC failure, or OTHER.
func Classify(err error) string {
	if err == nil {
		return ""
	}
	if c := sdk.CodeOf(err); c != "" {
		return string(c)
	}
	var ce *sdk.CommitError
	if errors.As(err, &ce) {
		return ce.Code.String()
	}
	switch {
	case errors.Is(err, ErrWrongAnswer):
		return "WRONG_ANSWER"
	case errors.Is(err, ErrPoolExhausted):
		return "POOL_EXHAUSTED"
	case errors.Is(err, context.DeadlineExceeded):
		return "DEADLINE_EXCEEDED"
	case errors.Is(err, context.Canceled):
		return "CANCELED"
	case errors.Is(err, sdk.ErrUnavailable):
		return "UNAVAILABLE"
	case errors.Is(err, sdk.ErrEndorsementMismatch):
		return sdk.RetryEndorsementMismatch
	case errors.Is(err, sdk.ErrConflict):
		return "CONFLICT"
	case errors.Is(err, sdk.ErrForbidden):
		return "FORBIDDEN"
	}
	if strings.HasPrefix(err.Error(), "PANIC:") {
		return "PANIC"
	}
	var grpcErr interface{ GRPCStatus() *status.Status }
	if errors.As(err, &grpcErr) {
		return "GRPC_" + strings.ToUpper(toSnake(grpcErr.GRPCStatus().Code().String()))
	}
	return "OTHER"
}

// toSnake turns a gRPC code name (DeadlineExceeded) into DEADLINE_EXCEEDED form.
func toSnake(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i > 0 && r >= 'A' && r <= 'Z' {
			b.WriteByte('_')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// oneLine shortens an error message to one line of at most 300 bytes.
func oneLine(err error) string {
	s := strings.Join(strings.Fields(err.Error()), " ")
	if len(s) > 300 {
		s = s[:297] + "..."
	}
	return s
}
