// Package stats is hlbench's accounting: it records the outcome of every measured operation and
// summarises them as throughput, latency percentiles and errors counted by code.
//
// Percentiles use the nearest-rank method on the exact latencies (no histogram, no interpolation):
// the p-th percentile of n sorted values is the value at rank ceil(p/100 * n). Every reported
// percentile is therefore a latency that was actually observed.
package stats

import (
	"cmp"
	"math"
	"slices"
	"sync"
	"time"
)

// Recorder collects operation outcomes. It is safe for concurrent use.
type Recorder struct {
	mu        sync.Mutex
	latencies []time.Duration // of the operations that succeeded
	failed    int
	retries   int
	byCause   map[string]int
	errors    map[string]*ErrorCount
}

// NewRecorder returns an empty recorder; sizeHint preallocates room for that many latencies.
func NewRecorder(sizeHint int) *Recorder {
	return &Recorder{
		latencies: make([]time.Duration, 0, max(sizeHint, 0)),
		byCause:   map[string]int{},
		errors:    map[string]*ErrorCount{},
	}
}

// RetryCause records n retries of one measured operation made for cause (ENDORSEMENT_MISMATCH,
// MVCC_READ_CONFLICT, UNAVAILABLE ...). Success and Failure count the retries themselves; this only
// splits them by cause.
func (r *Recorder) RetryCause(cause string, n int) {
	if n <= 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.byCause[cause] += n
}

// Success records an operation that succeeded after latency, having been retried retries times.
func (r *Recorder) Success(latency time.Duration, retries int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.latencies = append(r.latencies, latency)
	r.retries += max(retries, 0)
}

// Failure records an operation that failed with the stable code (e.g. CONFLICT, MVCC_READ_CONFLICT,
// DEADLINE_EXCEEDED) after retries retries. The first message seen for a code is kept as its example.
func (r *Recorder) Failure(code, message string, retries int) {
	if code == "" {
		code = "UNKNOWN"
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed++
	r.retries += max(retries, 0)
	e, ok := r.errors[code]
	if !ok {
		e = &ErrorCount{Code: code, Example: message}
		r.errors[code] = e
	}
	e.Count++
}

// Summary describes what a recorder holds over a measurement window of length elapsed. Each
// successful operation commits txPerOp transactions.
func (r *Recorder) Summary(elapsed time.Duration, txPerOp int) Summary {
	r.mu.Lock()
	lat := slices.Clone(r.latencies)
	s := Summary{
		Succeeded: len(r.latencies),
		Failed:    r.failed,
		Retries:   r.retries,
		Errors:    make([]ErrorCount, 0, len(r.errors)),
	}
	for cause, n := range r.byCause {
		s.RetriesByCause = append(s.RetriesByCause, RetryCount{Cause: cause, Count: n})
	}
	for _, e := range r.errors {
		s.Errors = append(s.Errors, *e)
	}
	r.mu.Unlock()

	s.Ops = s.Succeeded + s.Failed
	s.TxPerOp = max(txPerOp, 1)
	s.ElapsedSeconds = elapsed.Seconds()
	if elapsed > 0 {
		s.OpsPerSecond = float64(s.Succeeded) / elapsed.Seconds()
		s.TxPerSecond = s.OpsPerSecond * float64(s.TxPerOp)
	}
	s.Latency = Summarize(lat)
	slices.SortFunc(s.RetriesByCause, func(a, b RetryCount) int {
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		return cmp.Compare(a.Cause, b.Cause)
	})
	slices.SortFunc(s.Errors, func(a, b ErrorCount) int {
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		return cmp.Compare(a.Code, b.Code)
	})
	return s
}

// Summary is the outcome of a measurement window.
type Summary struct {
	// Ops counts the measured operations: Succeeded + Failed.
	Ops       int `json:"ops"`
	Succeeded int `json:"succeeded"`
	Failed    int `json:"failed"`
	// Retries counts the retries the SDK made inside the measured operations (0 when retries are off).
	Retries int `json:"retries"`
	// RetriesByCause splits Retries by why the SDK retried (ENDORSEMENT_MISMATCH, MVCC_READ_CONFLICT,
	// UNAVAILABLE ...), most frequent first; empty when there was none.
	RetriesByCause []RetryCount `json:"retriesByCause,omitempty"`
	// TxPerOp is how many transactions one successful operation commits (or queries it evaluates).
	TxPerOp        int     `json:"txPerOp"`
	ElapsedSeconds float64 `json:"elapsedSeconds"`
	// OpsPerSecond counts successful operations only; TxPerSecond is OpsPerSecond * TxPerOp.
	OpsPerSecond float64 `json:"opsPerSecond"`
	TxPerSecond  float64 `json:"txPerSecond"`
	// Latency describes the successful operations.
	Latency Latency `json:"latency"`
	// Errors counts the failed operations by code, most frequent first; their counts sum to Failed.
	Errors []ErrorCount `json:"errors"`
}

// RetryCount is how many retries the SDK made for one cause.
type RetryCount struct {
	Cause string `json:"cause"`
	Count int    `json:"count"`
}

// ErrorRate is the share of measured operations that failed, 0 when none was measured.
func (s Summary) ErrorRate() float64 {
	if s.Ops == 0 {
		return 0
	}
	return float64(s.Failed) / float64(s.Ops)
}

// ErrorCount is how often one code was seen, with the first message that carried it.
type ErrorCount struct {
	Code    string `json:"code"`
	Count   int    `json:"count"`
	Example string `json:"example"`
}

// Latency is the distribution of a set of latencies, in milliseconds.
type Latency struct {
	Count  int     `json:"count"`
	MinMs  float64 `json:"minMs"`
	MeanMs float64 `json:"meanMs"`
	P50Ms  float64 `json:"p50Ms"`
	P95Ms  float64 `json:"p95Ms"`
	P99Ms  float64 `json:"p99Ms"`
	MaxMs  float64 `json:"maxMs"`
}

// Summarize describes latencies (in any order; the slice is sorted in place). An empty set gives
// zeros.
func Summarize(latencies []time.Duration) Latency {
	if len(latencies) == 0 {
		return Latency{}
	}
	slices.Sort(latencies)
	var sum time.Duration
	for _, d := range latencies {
		sum += d
	}
	return Latency{
		Count:  len(latencies),
		MinMs:  ms(latencies[0]),
		MeanMs: ms(sum / time.Duration(len(latencies))),
		P50Ms:  ms(Percentile(latencies, 50)),
		P95Ms:  ms(Percentile(latencies, 95)),
		P99Ms:  ms(Percentile(latencies, 99)),
		MaxMs:  ms(latencies[len(latencies)-1]),
	}
}

// Percentile returns the p-th percentile (0 < p <= 100) of sorted by the nearest-rank method: the
// smallest value such that at least p percent of the values are less than or equal to it. It returns 0
// for an empty slice; p is clamped to (0, 100].
func Percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	// p*n first, then /100: 95*100/100 is exactly 95, whereas 0.95*100 is not. The small epsilon
	// keeps a product that lands a rounding error above an integer on that integer.
	rank := int(math.Ceil(p*float64(n)/100 - 1e-9))
	rank = min(max(rank, 1), n)
	return sorted[rank-1]
}

func ms(d time.Duration) float64 {
	return float64(d) / float64(time.Millisecond)
}
