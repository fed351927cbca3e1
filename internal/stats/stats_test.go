package stats

import (
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func msList(values ...int) []time.Duration {
	out := make([]time.Duration, len(values))
	for i, v := range values {
		out[i] = time.Duration(v) * time.Millisecond
	}
	return out
}

func oneToN(n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = time.Duration(i+1) * time.Millisecond
	}
	return out
}

func TestPercentile(t *testing.T) {
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"the median of 1..100 is 50", oneToN(100), 50, 50 * time.Millisecond},
		{"p95 of 1..100 is 95, not 96", oneToN(100), 95, 95 * time.Millisecond},
		{"p99 of 1..100 is 99", oneToN(100), 99, 99 * time.Millisecond},
		{"p100 of 1..100 is the maximum", oneToN(100), 100, 100 * time.Millisecond},
		{"p95 of 1..1000 is 950", oneToN(1000), 95, 950 * time.Millisecond},
		{"p99.9 of 1..1000 is 999", oneToN(1000), 99.9, 999 * time.Millisecond},
		{"the median of an odd count is the middle value", msList(1, 2, 3, 4, 5), 50, 3 * time.Millisecond},
		{"the median of an even count is the lower middle value", msList(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{"p99 of ten values is the largest", oneToN(10), 99, 10 * time.Millisecond},
		{"p1 of ten values is the smallest", oneToN(10), 1, 1 * time.Millisecond},
		{"any percentile of one value is that value", msList(7), 95, 7 * time.Millisecond},
		{"a percentile of nothing is zero", nil, 50, 0},
		{"p0 is clamped to the smallest value", oneToN(10), 0, 1 * time.Millisecond},
		{"p above 100 is clamped to the largest value", oneToN(10), 150, 10 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, Percentile(tt.sorted, tt.p))
		})
	}
}

func TestSummarize(t *testing.T) {
	t.Run("a shuffled 1..200 gives the nearest-rank percentiles in order", func(t *testing.T) {
		lat := oneToN(200)
		for i := range lat { // a deterministic shuffle: reverse pairs
			j := len(lat) - 1 - i
			if i < j && i%3 == 0 {
				lat[i], lat[j] = lat[j], lat[i]
			}
		}
		got := Summarize(lat)
		require.Equal(t, Latency{Count: 200, MinMs: 1, MeanMs: 100.5, P50Ms: 100, P95Ms: 190, P99Ms: 198, MaxMs: 200}, got)
	})
	t.Run("a skewed distribution keeps its tail in p99 and max", func(t *testing.T) {
		lat := make([]time.Duration, 0, 100)
		for range 99 {
			lat = append(lat, 10*time.Millisecond)
		}
		lat = append(lat, 900*time.Millisecond) // 100 values, one slow
		got := Summarize(lat)
		require.Equal(t, 10.0, got.P50Ms)
		require.Equal(t, 10.0, got.P99Ms)
		require.Equal(t, 900.0, got.MaxMs)
		require.InDelta(t, 18.9, got.MeanMs, 1e-9)
	})
	t.Run("no latency gives zeros", func(t *testing.T) {
		require.Equal(t, Latency{}, Summarize(nil))
	})
	t.Run("sub-millisecond latencies keep their fraction", func(t *testing.T) {
		got := Summarize([]time.Duration{1500 * time.Microsecond})
		require.Equal(t, 1.5, got.P50Ms)
	})
}

func TestRecorderAccounting(t *testing.T) {
	t.Run("errors are counted by code and sum to the failures", func(t *testing.T) {
		r := NewRecorder(0)
		for i := range 10 {
			r.Success(time.Duration(i+1)*time.Millisecond, 0)
		}
		r.Failure("MVCC_READ_CONFLICT", "tx abc failed: MVCC_READ_CONFLICT", 0)
		r.Failure("NOT_FOUND", "key k1", 0)
		r.Failure("MVCC_READ_CONFLICT", "tx def failed: MVCC_READ_CONFLICT", 0)
		r.Failure("", "something odd", 0)

		s := r.Summary(2*time.Second, 1)
		require.Equal(t, 14, s.Ops)
		require.Equal(t, 10, s.Succeeded)
		require.Equal(t, 4, s.Failed)
		require.Equal(t, []ErrorCount{
			{Code: "MVCC_READ_CONFLICT", Count: 2, Example: "tx abc failed: MVCC_READ_CONFLICT"},
			{Code: "NOT_FOUND", Count: 1, Example: "key k1"},
			{Code: "UNKNOWN", Count: 1, Example: "something odd"},
		}, s.Errors)
		sum := 0
		for _, e := range s.Errors {
			sum += e.Count
		}
		require.Equal(t, s.Failed, sum)
		require.InDelta(t, 4.0/14.0, s.ErrorRate(), 1e-12)
	})
	t.Run("throughput counts successes only, times the transactions per operation", func(t *testing.T) {
		r := NewRecorder(0)
		for range 50 {
			r.Success(time.Millisecond, 0)
		}
		for range 50 {
			r.Failure("FORBIDDEN", "no", 0)
		}
		s := r.Summary(5*time.Second, 2)
		require.Equal(t, 10.0, s.OpsPerSecond)
		require.Equal(t, 20.0, s.TxPerSecond)
		require.Equal(t, 50, s.Latency.Count, "failed operations carry no latency")
	})
	t.Run("retries are counted apart from failures", func(t *testing.T) {
		r := NewRecorder(0)
		r.Success(time.Millisecond, 2)
		r.Failure("CONFLICT", "still conflicting", 3)
		r.Success(time.Millisecond, -1) // nonsense is ignored
		s := r.Summary(time.Second, 1)
		require.Equal(t, 5, s.Retries)
		require.Equal(t, 1, s.Failed)
		require.Equal(t, 2, s.Succeeded)
	})
	t.Run("an empty recorder over no time reports zeros, not NaN", func(t *testing.T) {
		s := NewRecorder(0).Summary(0, 0)
		require.Zero(t, s.TxPerSecond)
		require.Zero(t, s.ErrorRate())
		require.Equal(t, 1, s.TxPerOp)
		require.NotNil(t, s.Errors)
		raw, err := json.Marshal(s)
		require.NoError(t, err)
		require.Contains(t, string(raw), `"errors":[]`)
	})
	t.Run("concurrent recording loses nothing", func(t *testing.T) {
		r := NewRecorder(0)
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 500 {
					if (w+i)%5 == 0 {
						r.Failure("UNAVAILABLE", "down", 1)
					} else {
						r.Success(time.Duration(i)*time.Microsecond, 0)
					}
				}
			}()
		}
		wg.Wait()
		s := r.Summary(time.Second, 1)
		require.Equal(t, 4000, s.Ops)
		require.Equal(t, 800, s.Failed)
		require.Equal(t, 800, s.Retries)
		require.Equal(t, 3200, s.Latency.Count)
	})
	t.Run("the summary leaves the recorder usable", func(t *testing.T) {
		r := NewRecorder(0)
		r.Success(3*time.Millisecond, 0)
		r.Success(1*time.Millisecond, 0)
		_ = r.Summary(time.Second, 1)
		r.Success(2*time.Millisecond, 0)
		s := r.Summary(time.Second, 1)
		require.Equal(t, 3, s.Succeeded)
		require.Equal(t, 2.0, s.Latency.P50Ms)
	})
}
