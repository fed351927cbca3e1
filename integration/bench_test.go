//go:build integration

package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/healthledger/healthledger/internal/bench"
	"github.com/stretchr/testify/require"
)

// TestBenchBaselineSmokeRunProducesAWellFormedReport drives hlbench's engine in-process for a few
// seconds of baseline writes and reads at low concurrency. It checks the shape of the report (counts,
// ordered percentiles, errors that add up, JSON that decodes, process figures when the network is
// ours), never a speed.
func TestBenchBaselineSmokeRunProducesAWellFormedReport(t *testing.T) {
	env0 := bench.NewEnv(env.net)
	t.Cleanup(func() { _ = env0.Close() })
	opts := bench.RunOptions{SampleInterval: 100 * time.Millisecond}
	if env.netdir != "" {
		opts.PIDDir = filepath.Join(env.netdir, "pids")
	}
	reg := bench.Workloads()

	for _, name := range []string{bench.BaselineWrite, bench.BaselineRead} {
		t.Run(name+" reports counts, ordered percentiles and decodable JSON", func(t *testing.T) {
			spec, err := reg.Get(name)
			require.NoError(t, err)
			cfg := bench.Config{
				Workload: name, Concurrency: 4,
				Duration: bench.Duration(3 * time.Second), Warmup: bench.Duration(500 * time.Millisecond),
				OpTimeout: bench.Duration(30 * time.Second),
			}
			res, err := bench.Run(ctx(t), env0, spec, cfg, opts)
			require.NoError(t, err)

			s := res.Stats
			require.Positive(t, s.Ops, "operations were measured")
			require.Positive(t, s.Succeeded)
			require.Zero(t, s.Failed, "unexpected errors: %+v", s.Errors)
			sum := 0
			for _, e := range s.Errors {
				sum += e.Count
			}
			require.Equal(t, s.Failed, sum, "errors by code add up to the failures")
			require.Equal(t, s.Succeeded+s.Failed, s.Ops)
			require.InDelta(t, 3.0, s.ElapsedSeconds, 1e-6, "a timed window is exactly its duration")
			require.InDelta(t, float64(s.Succeeded)/s.ElapsedSeconds, s.TxPerSecond, 1e-6)

			l := s.Latency
			require.Equal(t, s.Succeeded, l.Count)
			require.Positive(t, l.MinMs)
			require.True(t, l.MinMs <= l.P50Ms && l.P50Ms <= l.P95Ms && l.P95Ms <= l.P99Ms && l.P99Ms <= l.MaxMs,
				"percentiles in order: %+v", l)

			raw, err := json.Marshal(res)
			require.NoError(t, err)
			var back bench.Result
			require.NoError(t, json.Unmarshal(raw, &back))
			require.Equal(t, res.Stats, back.Stats)
			require.Equal(t, res.Config, back.Config)
			var generic map[string]any
			require.NoError(t, json.Unmarshal(raw, &generic))
			for _, k := range []string{"workload", "kind", "config", "stats", "started"} {
				require.Contains(t, generic, k)
			}
			require.Contains(t, generic["stats"], "latency")

			var text bytes.Buffer
			require.NoError(t, bench.WriteText(&text, res))
			require.Contains(t, text.String(), "throughput")
			require.Contains(t, text.String(), "p99")

			if env.netdir == "" {
				require.Nil(t, res.Resources, "a foreign network's processes are not ours to read")
				return
			}
			require.NotNil(t, res.Resources)
			var peers *float64
			for _, g := range res.Resources.Groups {
				if g.Name == "peer" {
					peers = &g.RSSMaxMB
					require.Equal(t, len(env.net.Orgs()), g.Processes, "one peer per org")
				}
			}
			require.NotNil(t, peers, "the peers are measured: %+v", res.Resources.Groups)
			require.Positive(t, *peers)
		})
	}

	t.Run("the network settings are read from the channel, not assumed", func(t *testing.T) {
		ids := env.net.Identities("")
		require.NotEmpty(t, ids)
		c, cancel := context.WithTimeout(ctx(t), time.Minute)
		defer cancel()
		info := bench.ReadNetworkInfo(c, env0, ids[0].Name)
		require.Empty(t, info.Problems)
		require.Equal(t, env.net.Channel(), info.Channel)
		require.Positive(t, info.Orderers)
		require.NotEmpty(t, info.BatchTimeout)
		require.Positive(t, info.MaxMessageCount)
		require.Contains(t, info.Endorsement, "baseline")
	})
}
