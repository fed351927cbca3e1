package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/healthledger/healthledger/gateway-client/sdk"
)

// Kind says which baseline a workload is compared with.
type Kind string

// The kinds of workload.
const (
	// Submit workloads commit transactions; they are compared with baseline-write.
	Submit Kind = "submit"
	// Evaluate workloads query one peer; they are compared with baseline-read.
	Evaluate Kind = "evaluate"
)

// Op performs operation n of a run (n counts from 0 and is unique within the run, so it can name
// keys and ids). It returns nil when every transaction of the operation succeeded.
type Op func(ctx context.Context, n uint64) error

// Spec describes one workload. A domain workload is one Spec, usually built by one small function
// next to the others of its chaincode (see baseline.go, consent.go ...).
type Spec struct {
	// Name is what -workload takes, e.g. baseline-write, consent-grant.
	Name string
	// Summary says in one line what an operation does.
	Summary string
	// Chaincode is the chaincode the workload needs deployed.
	Chaincode string
	// Kind selects the baseline for the ratio.
	Kind Kind
	// TxPerOp is how many transactions (or queries) one operation makes; 0 means 1.
	TxPerOp int
	// Target is the published goal for this workload, if any.
	Target *Target
	// Prepare connects, preloads what the operations need and returns the operation. It runs before
	// the measurement and is not timed. cfg is the load the operation will see (its concurrency
	// tells how many independent keys or identities the operations need to avoid conflicting).
	Prepare func(ctx context.Context, env *Env, cfg Config) (Op, error)
}

// Target is a goal a workload should meet: a throughput ratio to its baseline and, optionally, a
// p50 latency bound.
type Target struct {
	MinRatio float64  `json:"minRatio"`
	MaxP50   Duration `json:"maxP50,omitempty"`
}

func (s Spec) txPerOp() int { return max(s.TxPerOp, 1) }

// ErrUnknownWorkload is returned for a workload name no registry entry has.
var ErrUnknownWorkload = errors.New("unknown workload")

// ErrUnavailableWorkload is returned when the network lacks what a workload needs (a chaincode, an
// identity with a role).
var ErrUnavailableWorkload = errors.New("workload unavailable on this network")

// ErrWrongAnswer marks an operation whose call succeeded but whose answer was not the expected one
// (a CheckAccess that denies what a consent permits): counted as WRONG_ANSWER.
var ErrWrongAnswer = errors.New("WRONG_ANSWER")

// msec is a millisecond, for targets.
const msec = Duration(time.Millisecond)

// Registry holds the workloads hlbench knows, in a fixed order.
type Registry struct {
	specs []Spec
}

// Workloads returns the registry of every workload hlbench knows. This is the registration point:
// each chaincode contributes the specs its function returns.
func Workloads() *Registry {
	r := &Registry{}
	r.add(baselineWorkloads()...)
	r.add(consentWorkloads()...)
	r.add(provenanceWorkloads()...)
	r.add(claimsWorkloads()...)
	return r
}

func (r *Registry) add(specs ...Spec) {
	r.specs = append(r.specs, specs...)
}

// All returns every spec in registration order.
func (r *Registry) All() []Spec { return slices.Clone(r.specs) }

// Get returns the spec named name, or an error matching ErrUnknownWorkload that lists the names.
func (r *Registry) Get(name string) (Spec, error) {
	for _, s := range r.specs {
		if s.Name == name {
			return s, nil
		}
	}
	names := make([]string, len(r.specs))
	for i, s := range r.specs {
		names[i] = s.Name
	}
	return Spec{}, fmt.Errorf("%w %q; known: %v", ErrUnknownWorkload, name, names)
}

// Env is what workloads run against: the network, shared connections and the run's parameters.
// It is safe for concurrent use. Close it when done.
type Env struct {
	// Net is the network under test.
	Net *sdk.Network
	// RunID is unique to this process; workloads put it in every key and id they create, so runs
	// never collide on a ledger that keeps everything.
	RunID string
	// ValueSize is the size in bytes of a baseline value (default 100).
	ValueSize int
	// Records is how many records of other patients or batches the scaling workloads want on the
	// ledger before they measure (0: none preloaded).
	Records int
	// Logf reports progress (preloading ...); nil discards it.
	Logf func(format string, args ...any)
	// Retry is the SDK retry policy of the measured calls; nil switches retries off, so that every
	// failure is counted.
	Retry *sdk.RetryPolicy

	// connect makes a connection; Net.Connect unless a test says otherwise.
	connect func(ctx context.Context, name string, opts ...sdk.Option) (*sdk.Client, error)

	mu      sync.Mutex
	clients map[clientKey]*sdk.Client
	state   map[string]any
	records map[string]int
	creds   map[string]synthetic
}

type clientKey struct {
	name  string
	retry bool
}

// NewEnv returns an environment over net with a fresh run id and the defaults.
func NewEnv(net *sdk.Network) *Env {
	e := &Env{
		Net:       net,
		RunID:     newRunID(),
		ValueSize: 100,
		clients:   map[clientKey]*sdk.Client{},
		state:     map[string]any{},
		records:   map[string]int{},
		creds:     map[string]synthetic{},
	}
	e.connect = e.connectAny
	return e
}

func newRunID() string {
	// base-36 milliseconds (short and sorted by time) and a random suffix (two processes started in
	// the same millisecond).
	var b [2]byte
	_, _ = rand.Read(b[:])
	return strconv.FormatInt(time.Now().UnixMilli(), 36) + hex.EncodeToString(b[:])
}

func (e *Env) logf(format string, args ...any) {
	if e.Logf != nil {
		e.Logf(format, args...)
	}
}

// Client returns the shared connection of the named identity for measured calls (retries as set by
// Env.Retry). Connections are made once and reused by every worker.
func (e *Env) Client(ctx context.Context, name string) (*sdk.Client, error) {
	return e.client(ctx, name, false)
}

// Loader returns the shared connection of the named identity for preloading: it keeps the SDK's
// default retries, since a preload is not measured and must complete.
func (e *Env) Loader(ctx context.Context, name string) (*sdk.Client, error) {
	return e.client(ctx, name, true)
}

func (e *Env) client(ctx context.Context, name string, loader bool) (*sdk.Client, error) {
	k := clientKey{name: name, retry: loader}
	e.mu.Lock()
	c, ok := e.clients[k]
	e.mu.Unlock()
	if ok {
		return c, nil
	}
	var opts []sdk.Option
	switch {
	case loader:
	case e.Retry == nil:
		opts = append(opts, sdk.WithoutRetry())
	default:
		opts = append(opts, sdk.WithRetry(*e.Retry), sdk.WithRetryObserver(NoteRetry))
	}
	c, err := e.connect(ctx, name, opts...)
	if err != nil {
		return nil, fmt.Errorf("connecting %s: %w", name, err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if prev, ok := e.clients[k]; ok { // connected concurrently: keep the first
		_ = c.Close()
		return prev, nil
	}
	e.clients[k] = c
	return c, nil
}

// Identity returns the i-th identity (0-based) holding role, or an error matching
// ErrUnavailableWorkload.
func (e *Env) Identity(role string, i int) (sdk.IdentityInfo, error) {
	ids := e.Net.Identities(role)
	if len(ids) <= i {
		return sdk.IdentityInfo{}, fmt.Errorf("%w: it needs %d identities with role %s, the network lists %d",
			ErrUnavailableWorkload, i+1, role, len(ids))
	}
	return ids[i], nil
}

// Once runs load the first time key is asked for in this environment and remembers its result, so
// workloads that share a preload (the consents that CheckAccess and RecordAccess read) make it once.
func Once[T any](e *Env, key string, load func() (T, error)) (T, error) {
	e.mu.Lock()
	if v, ok := e.state[key]; ok {
		e.mu.Unlock()
		return v.(T), nil
	}
	e.mu.Unlock()
	v, err := load()
	if err != nil {
		var zero T
		return zero, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if prev, ok := e.state[key]; ok { // loaded concurrently: keep the first
		return prev.(T), nil
	}
	e.state[key] = v
	return v, nil
}

// setRecords notes how many records of others the ledger holds for a workload's measurement.
func (e *Env) setRecords(workload string, n int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.records[workload] = n
}

func (e *Env) recordsFor(workload string) (int, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	n, ok := e.records[workload]
	return n, ok
}

// Close closes every connection.
func (e *Env) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	var errs []error
	for k, c := range e.clients {
		if err := c.Close(); err != nil {
			errs = append(errs, fmt.Errorf("closing %s: %w", k.name, err))
		}
	}
	clear(e.clients)
	return errors.Join(errs...)
}

// requireChaincode returns an error matching ErrUnavailableWorkload unless name is deployed.
func (e *Env) requireChaincode(name string) error {
	if !slices.Contains(e.Net.Chaincodes(), name) {
		return fmt.Errorf("%w: chaincode %s is not deployed (deployed: %v)", ErrUnavailableWorkload, name, e.Net.Chaincodes())
	}
	return nil
}

// Parallel runs fn(ctx, i) for i in [0, n) on conc goroutines and returns the first error; it stops
// handing out work after an error or when ctx ends. Preloads use it.
func Parallel(ctx context.Context, n, conc int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	conc = min(max(conc, 1), max(n, 1))
	var (
		mu    sync.Mutex
		next  int
		first error
		wg    sync.WaitGroup
	)
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				if first != nil || next >= n || ctx.Err() != nil {
					mu.Unlock()
					return
				}
				i := next
				next++
				mu.Unlock()
				if err := fn(ctx, i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
						cancel()
					}
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return first
	}
	if err := ctx.Err(); err != nil && next < n {
		return fmt.Errorf("preload interrupted: %w", err)
	}
	return nil
}
