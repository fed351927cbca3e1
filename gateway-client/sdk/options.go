package sdk

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// Timeouts bound each stage of a call when the caller's context has no deadline. A zero field keeps
// its default. When the context has a deadline, that deadline alone applies.
type Timeouts struct {
	// Evaluate bounds an evaluation (a query). Default 5s.
	Evaluate time.Duration `json:"evaluate"`
	// Endorse bounds the endorsement of a submitted transaction. Default 15s.
	Endorse time.Duration `json:"endorse"`
	// Submit bounds one hand-over of an endorsed transaction to the orderers; one that takes longer is
	// abandoned and the same signed transaction handed over again. Unlike the other stage timeouts it
	// applies also when the context has a deadline. Default 5s.
	Submit time.Duration `json:"submit"`
	// CommitStatus bounds everything that follows endorsement: the hand-over to the orderers, the
	// wait for the commit, and every resend of the same signed transaction. Default 1m.
	CommitStatus time.Duration `json:"commitStatus"`
	// Rebroadcast is how long the SDK waits for the commit status of a transaction it handed to the
	// orderers before it hands the same signed transaction over again (an orderer can lose a
	// transaction it accepted, for example when it crashes as the Raft leader). Unlike the stage
	// timeouts it applies also when the context has a deadline. Default 3s; keep it well above the
	// channel's normal commit latency (at least 10 times its BatchTimeout), or commits that are merely
	// slow are resent for nothing (harmless, but extra work for the orderers and peers).
	Rebroadcast time.Duration `json:"rebroadcast"`
}

// DefaultRebroadcast is the default [Timeouts.Rebroadcast]: 30 times the network's default
// BatchTimeout of 100ms, and about 10 times a commit's latency under load.
const DefaultRebroadcast = 3 * time.Second

// DefaultTimeouts returns the documented default stage timeouts.
func DefaultTimeouts() Timeouts {
	return Timeouts{Evaluate: 5 * time.Second, Endorse: 15 * time.Second, Submit: 5 * time.Second,
		CommitStatus: time.Minute, Rebroadcast: DefaultRebroadcast}
}

// DefaultConnectTimeout bounds the dial and probe of one peer before the next one is tried.
const DefaultConnectTimeout = 5 * time.Second

// RetryPolicy bounds the retries of a call. A call is tried at most MaxAttempts times in all; before
// retry n (1 for the first) it waits a random time between Backoff(n)/2 and Backoff(n).
type RetryPolicy struct {
	// MaxAttempts counts every try, the first included; 1 switches retries off. Default 4.
	MaxAttempts int `json:"maxAttempts"`
	// BaseDelay is the longest wait before the first retry; it doubles for each further retry.
	// Default 100ms.
	BaseDelay time.Duration `json:"baseDelay"`
	// MaxDelay caps the wait. Default 2s.
	MaxDelay time.Duration `json:"maxDelay"`
}

// DefaultRetryPolicy returns the documented default: 4 attempts, 100ms doubling up to 2s. It keeps a
// failing call short and suits writes that rarely conflict; calls on a key that many clients write at
// once need more attempts (pass a larger MaxAttempts to [WithRetry], and bound the whole call with the
// context's deadline).
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxAttempts: 4, BaseDelay: 100 * time.Millisecond, MaxDelay: 2 * time.Second}
}

// Backoff returns the longest wait before retry n (1 for the first retry): BaseDelay doubled n-1
// times, capped at MaxDelay.
func (p RetryPolicy) Backoff(n int) time.Duration {
	if n < 1 || p.BaseDelay <= 0 {
		return 0
	}
	ceiling := max(p.MaxDelay, p.BaseDelay)
	d := p.BaseDelay
	for i := 1; i < n; i++ {
		if d > ceiling/2 {
			return ceiling
		}
		d *= 2
	}
	return min(d, ceiling)
}

// Validate reports whether the policy is usable.
func (p RetryPolicy) Validate() error {
	switch {
	case p.MaxAttempts < 1:
		return fmt.Errorf("retry policy: MaxAttempts must be at least 1, got %d", p.MaxAttempts)
	case p.BaseDelay < 0 || p.MaxDelay < 0:
		return errors.New("retry policy: delays must not be negative")
	case p.MaxDelay < p.BaseDelay:
		return fmt.Errorf("retry policy: MaxDelay %s is below BaseDelay %s", p.MaxDelay, p.BaseDelay)
	}
	return nil
}

// jittered draws the actual wait before retry n.
func (p RetryPolicy) jittered(n int) time.Duration {
	b := p.Backoff(n)
	if b <= 1 {
		return b
	}
	half := b / 2
	return half + rand.N(b-half+1)
}

// Option configures [Connect] and [Network.Connect].
type Option func(*config) error

// config is what the options set.
type config struct {
	identityName   string
	walletDir      string
	mspDir         string
	creds          *Credentials
	timeouts       Timeouts
	connectTimeout time.Duration
	retry          RetryPolicy
	network        *Network
	fallbackOrgs   []string

	// eventIdentity is the wallet entry event streams connect as ([WithEventIdentity]);
	// profileEventIdentity asks for the profile's ([WithProfileEventIdentity]).
	eventIdentity        string
	profileEventIdentity bool

	// retryObserver is told of every retry ([WithRetryObserver]).
	retryObserver func(context.Context, Retry)

	// sleep waits between retries; tests replace it.
	sleep func(ctx context.Context, d time.Duration) error
}

func defaultConfig() *config {
	return &config{
		timeouts:       DefaultTimeouts(),
		connectTimeout: DefaultConnectTimeout,
		retry:          DefaultRetryPolicy(),
		sleep:          sleepCtx,
	}
}

func (c *config) apply(opts []Option) error {
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(c); err != nil {
			return err
		}
	}
	return nil
}

// WithIdentity selects the wallet entry to connect as. The wallet is the profile's unless [WithWallet]
// names another.
func WithIdentity(name string) Option {
	return func(c *config) error {
		if err := checkName(name); err != nil {
			return fmt.Errorf("identity: %w", err)
		}
		c.identityName = name
		return nil
	}
}

// WithEventIdentity opens the client's event streams ([Client.ChaincodeEvents], [Client.BlockEvents])
// as the named wallet entry instead of the client's own identity, through a second connection to the
// same peers. The channel's ACLs refuse blocks and chaincode events to ordinary client certificates
// (patients, providers, insurers ...); an org's events service identity (the profile's
// EventsIdentity, see docs/operators.md) may read them. Transactions still go as the client's own
// identity. The entry is read from the client's wallet ([WithWallet] or the profile's), whatever
// identity source the client itself uses.
func WithEventIdentity(name string) Option {
	return func(c *config) error {
		if err := checkName(name); err != nil {
			return fmt.Errorf("event identity: %w", err)
		}
		c.eventIdentity = name
		return nil
	}
}

// WithProfileEventIdentity is [WithEventIdentity] with the events identity that the profile names
// (its EventsIdentity); connecting fails when it names none.
func WithProfileEventIdentity() Option {
	return func(c *config) error {
		c.profileEventIdentity = true
		return nil
	}
}

// WithWallet names the wallet folder to read identities from, instead of the profile's.
func WithWallet(dir string) Option {
	return func(c *config) error {
		if dir == "" {
			return errors.New("wallet: empty folder name")
		}
		c.walletDir = dir
		return nil
	}
}

// WithMSPDir connects with the identity in an MSP folder (signcerts/, keystore/), under the profile's
// MSP id.
func WithMSPDir(dir string) Option {
	return func(c *config) error {
		if dir == "" {
			return errors.New("msp folder: empty name")
		}
		c.mspDir = dir
		return nil
	}
}

// WithCredentials connects with credentials already in memory, for example fresh from [CAClient.Enroll].
func WithCredentials(creds *Credentials) Option {
	return func(c *config) error {
		if creds == nil {
			return errors.New("credentials: nil")
		}
		c.creds = creds
		return nil
	}
}

// WithTimeouts sets the per-stage timeouts; zero fields keep their defaults.
func WithTimeouts(t Timeouts) Option {
	return func(c *config) error {
		if t.Evaluate < 0 || t.Endorse < 0 || t.Submit < 0 || t.CommitStatus < 0 || t.Rebroadcast < 0 {
			return errors.New("timeouts must not be negative")
		}
		if t.Evaluate > 0 {
			c.timeouts.Evaluate = t.Evaluate
		}
		if t.Endorse > 0 {
			c.timeouts.Endorse = t.Endorse
		}
		if t.Submit > 0 {
			c.timeouts.Submit = t.Submit
		}
		if t.CommitStatus > 0 {
			c.timeouts.CommitStatus = t.CommitStatus
		}
		if t.Rebroadcast > 0 {
			c.timeouts.Rebroadcast = t.Rebroadcast
		}
		return nil
	}
}

// WithConnectTimeout bounds the dial and probe of each peer (default [DefaultConnectTimeout]).
func WithConnectTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("connect timeout must be positive, got %s", d)
		}
		c.connectTimeout = d
		return nil
	}
}

// WithRetry replaces the default [RetryPolicy].
func WithRetry(p RetryPolicy) Option {
	return func(c *config) error {
		if err := p.Validate(); err != nil {
			return err
		}
		c.retry = p
		return nil
	}
}

// WithoutRetry switches retries off: every call is tried once, and a transaction is handed to the
// orderers once (no resend when its commit status is late; the wait lasts Timeouts.CommitStatus).
func WithoutRetry() Option {
	return func(c *config) error {
		c.retry = RetryPolicy{MaxAttempts: 1}
		return nil
	}
}

// WithRetryObserver has fn told of every retry a call of the client makes, before it is made (after
// the backoff): which call, which attempt, and why the previous one failed. fn runs on the calling
// goroutine with the call's context, so a caller can attribute retries to its own operations (hlbench
// counts them this way); it must be quick and must not call the client. A nil fn removes the observer.
func WithRetryObserver(fn func(ctx context.Context, r Retry)) Option {
	return func(c *config) error {
		c.retryObserver = fn
		return nil
	}
}

// CallOption configures one call.
type CallOption func(*callConfig)

type callConfig struct {
	transient     map[string][]byte
	endorsingOrgs []string
}

// WithTransient passes transient data (private inputs that stay out of the transaction).
func WithTransient(data map[string][]byte) CallOption {
	return func(c *callConfig) {
		if c.transient == nil {
			c.transient = make(map[string][]byte, len(data))
		}
		for k, v := range data {
			c.transient[k] = v
		}
	}
}

// WithEndorsingOrgs restricts endorsement (and, for an evaluation, the peers asked) to the given MSP
// ids, as private data collections require.
func WithEndorsingOrgs(mspIDs ...string) CallOption {
	return func(c *callConfig) {
		for _, id := range mspIDs {
			if id != "" {
				c.endorsingOrgs = append(c.endorsingOrgs, id)
			}
		}
	}
}

// sleepCtx waits for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
