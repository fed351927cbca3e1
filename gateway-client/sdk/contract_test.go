package sdk

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// stageBackend is a fake backend that records the deadline each stage received.
type stageBackend struct {
	mu        sync.Mutex
	deadlines map[string]time.Duration
	endorseFn func() error
}

func (b *stageBackend) note(ctx context.Context, stage string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if dl, ok := ctx.Deadline(); ok {
		b.deadlines[stage] = time.Until(dl)
	} else {
		b.deadlines[stage] = -1
	}
}

func (b *stageBackend) evaluate(ctx context.Context, p proposal) ([]byte, string, error) {
	b.note(ctx, "evaluate")
	return nil, "tx-0", nil
}

func (b *stageBackend) endorse(ctx context.Context, p proposal) (endorsed, error) {
	b.note(ctx, "endorse")
	if b.endorseFn != nil {
		if err := b.endorseFn(); err != nil {
			return nil, err
		}
	}
	return stageTx{b}, nil
}

func (b *stageBackend) chaincodeEvents(context.Context, string, position) (eventReceiver, error) {
	return nil, errors.New("no events")
}
func (b *stageBackend) blocks(context.Context, position) (blockReceiver, error) {
	return nil, errors.New("no blocks")
}
func (b *stageBackend) close() error { return nil }

type stageTx struct{ b *stageBackend }

func (t stageTx) transactionID() string { return "tx-1" }
func (t stageTx) result() []byte        { return []byte("r") }
func (t stageTx) submit(ctx context.Context) (committing, error) {
	t.b.note(ctx, "submit")
	return t, nil
}
func (t stageTx) status(ctx context.Context) (commitStatus, error) {
	t.b.note(ctx, "commit")
	return commitStatus{code: peer.TxValidationCode_VALID}, nil
}

func newStageClient(t *testing.T, b backend, opts ...Option) *Client {
	t.Helper()
	cfg := defaultConfig()
	require.NoError(t, cfg.apply(opts))
	return newClient(b, cfg, IdentityInfo{}, nil, PeerEndpoint{}, "healthchannel")
}

func TestEachStageGetsItsOwnDefaultTimeout(t *testing.T) {
	cases := []struct {
		name     string
		timeouts Timeouts
		want     map[string]time.Duration
	}{
		{"a wait for the commit shorter than the rebroadcast interval ends with the commit deadline",
			Timeouts{Endorse: 11 * time.Second, Submit: 22 * time.Second, CommitStatus: 33 * time.Second, Rebroadcast: 44 * time.Second},
			map[string]time.Duration{"endorse": 11 * time.Second, "submit": 22 * time.Second, "commit": 33 * time.Second}},
		{"a wait for the commit is cut at the rebroadcast interval",
			Timeouts{Endorse: 11 * time.Second, Submit: 22 * time.Second, CommitStatus: 33 * time.Second},
			map[string]time.Duration{"endorse": 11 * time.Second, "submit": 22 * time.Second, "commit": DefaultRebroadcast}},
		{"a hand-over is cut at the commit deadline",
			Timeouts{Submit: time.Minute, CommitStatus: 10 * time.Second, Rebroadcast: 44 * time.Second},
			map[string]time.Duration{"endorse": 15 * time.Second, "submit": 10 * time.Second, "commit": 10 * time.Second}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := &stageBackend{deadlines: map[string]time.Duration{}}
			c := newStageClient(t, b, WithTimeouts(tc.timeouts))
			_, err := c.Contract("baseline").Submit(context.Background(), "Write", []string{"k", "v"})
			require.NoError(t, err)
			for stage, d := range tc.want {
				require.InDelta(t, float64(d), float64(b.deadlines[stage]), float64(time.Second), stage)
			}
		})
	}
}

func TestTheCallersDeadlineReplacesTheStageTimeoutsButNotTheRebroadcastInterval(t *testing.T) {
	b := &stageBackend{deadlines: map[string]time.Duration{}}
	c := newStageClient(t, b)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Minute)
	defer cancel()
	_, err := c.Contract("baseline").Submit(ctx, "Write", []string{"k", "v"})
	require.NoError(t, err)
	require.Greater(t, b.deadlines["endorse"], 80*time.Minute)
	// A hand-over and a wait for the commit are cut short and repeated, with the same transaction.
	require.InDelta(t, float64(DefaultTimeouts().Submit), float64(b.deadlines["submit"]), float64(time.Second))
	require.InDelta(t, float64(DefaultRebroadcast), float64(b.deadlines["commit"]), float64(time.Second))
}

func TestRetriesWaitWithJitteredBackoffAndStopWithTheContext(t *testing.T) {
	b := &stageBackend{deadlines: map[string]time.Duration{}, endorseFn: func() error {
		return status.Error(codes.Unavailable, "down")
	}}
	var waits []time.Duration
	policy := RetryPolicy{MaxAttempts: 5, BaseDelay: 100 * time.Millisecond, MaxDelay: 250 * time.Millisecond}
	c := newStageClient(t, b, WithRetry(policy))
	c.cfg.sleep = func(ctx context.Context, d time.Duration) error {
		waits = append(waits, d)
		return nil
	}
	_, err := c.Contract("baseline").Submit(context.Background(), "Write", nil)
	require.ErrorIs(t, err, ErrUnavailable)
	require.Len(t, waits, 4)
	bounds := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 250 * time.Millisecond, 250 * time.Millisecond}
	for i, w := range waits {
		require.GreaterOrEqual(t, w, bounds[i]/2, "wait %d", i)
		require.LessOrEqual(t, w, bounds[i], "wait %d", i)
	}

	t.Run("a cancelled context stops the retries", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		calls := 0
		c.cfg.sleep = func(ctx context.Context, d time.Duration) error {
			calls++
			cancel()
			return ctx.Err()
		}
		_, err := c.Contract("baseline").Submit(ctx, "Write", nil)
		require.ErrorIs(t, err, ErrUnavailable)
		require.Equal(t, 1, calls)
	})
}

func TestBadOptionsAreRefused(t *testing.T) {
	cases := []struct {
		name string
		opt  Option
	}{
		{"zero attempts are refused", WithRetry(RetryPolicy{MaxAttempts: 0})},
		{"a max delay below the base delay is refused", WithRetry(RetryPolicy{MaxAttempts: 2, BaseDelay: time.Second, MaxDelay: time.Millisecond})},
		{"negative timeouts are refused", WithTimeouts(Timeouts{Evaluate: -time.Second})},
		{"a negative rebroadcast interval is refused", WithTimeouts(Timeouts{Rebroadcast: -time.Second})},
		{"an empty fallback org is refused", WithFallbackOrgs("")},
		{"a zero connect timeout is refused", WithConnectTimeout(0)},
		{"an identity name with a slash is refused", WithIdentity("../x")},
		{"an empty wallet folder is refused", WithWallet("")},
		{"nil credentials are refused", WithCredentials(nil)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.Error(t, defaultConfig().apply([]Option{tc.opt}))
			_, err := Connect(context.Background(), "/nonexistent.json", tc.opt)
			require.Error(t, err)
		})
	}
}

func TestAnEmptyPayloadDecodesAsTheZeroValue(t *testing.T) {
	fx := newNetFixture(t, &fakeGateway{EvaluateFn: func(c gwCall) ([]byte, error) {
		if c.Fn == "Get" {
			return []byte("not json"), nil
		}
		return nil, nil
	}})
	c := connectFixture(t, fx)
	got, err := EvaluateJSON[[]string](context.Background(), c.Contract("consent"), "List", nil)
	require.NoError(t, err)
	require.Empty(t, *got)

	_, err = EvaluateJSON[map[string]string](context.Background(), c.Contract("consent"), "Get", nil)
	require.ErrorContains(t, err, "consent.Get: decode response")
}

// What a handler sees of a call is tested in package sdktest (TestAHandlerSeesEveryDetailOfACall).
