// Package baseline is the platform-ceiling reference: a blind write and a read of one key of a given
// size, plus the few calls the SDK's integration tests need (a read-modify-write counter and an
// admin-only delete). Benchmarks state every domain chaincode's cost as a ratio to these calls.
package baseline

import (
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/internal/ccutil"
	"github.com/healthledger/healthledger/chaincode/internal/txstate"
	"github.com/healthledger/healthledger/chaincode/wire"
)

// MaxValueSize bounds a stored value: 1 MiB.
const MaxValueSize = 1 << 20

const keyPrefix = "baseline~"

// EventAdded is the event Add emits, with an [AddedEvent] payload.
const EventAdded = "Added"

// AddedEvent is the payload of [EventAdded]: the key and its new value.
type AddedEvent struct {
	Key   string `json:"key"`
	Value int    `json:"value"`
}

// Contract is the baseline contract. Like the domain contracts it works on the transaction's
// txstate.State (one map and one sorted flush more than raw stub calls, nothing a benchmark can see),
// so that the ratios compare the contracts' logic, not two ways to write.
type Contract struct {
	ccutil.Contract
}

// GetEvaluateTransactions declares the read-only functions.
func (c *Contract) GetEvaluateTransactions() []string {
	return []string{"Read", "Size"}
}

func stateKey(key string) (string, error) {
	if err := wire.CheckID("key", key); err != nil {
		return "", err
	}
	return keyPrefix + key, nil
}

// Write stores value under key, whatever was there: a blind write.
func (c *Contract) Write(ctx txstate.Context, key, value string) error {
	k, err := stateKey(key)
	if err != nil {
		return err
	}
	if len(value) > MaxValueSize {
		return codes.New(codes.InvalidArgument, "value of %d bytes exceeds %d", len(value), MaxValueSize)
	}
	ctx.State().Put(k, []byte(value))
	return nil
}

// WriteSized stores a value of size bytes under key without sending it: the value repeats the
// transaction id, so every write is distinct and every peer computes the same bytes.
func (c *Contract) WriteSized(ctx txstate.Context, key string, size int) error {
	if size < 1 || size > MaxValueSize {
		return codes.New(codes.InvalidArgument, "size %d is outside 1..%d", size, MaxValueSize)
	}
	seed := ctx.GetStub().GetTxID()
	if seed == "" {
		seed = "x"
	}
	value := strings.Repeat(seed, size/len(seed)+1)[:size]
	return c.Write(ctx, key, value)
}

// Read returns the value stored under key, or NOT_FOUND.
func (c *Contract) Read(ctx txstate.Context, key string) (string, error) {
	k, err := stateKey(key)
	if err != nil {
		return "", err
	}
	v, err := ctx.State().Get(k)
	if err != nil {
		return "", err
	}
	if v == nil {
		return "", codes.New(codes.NotFound, "key %s", key)
	}
	return string(v), nil
}

// Size returns the size in bytes of the value under key, or NOT_FOUND.
func (c *Contract) Size(ctx txstate.Context, key string) (int, error) {
	v, err := c.Read(ctx, key)
	if err != nil {
		return 0, err
	}
	return len(v), nil
}

// Add reads the integer under key (0 when absent), adds delta and stores the sum, which it returns.
// A sum outside int's range (64 bits on the peers) is refused as INVALID_ARGUMENT (that delta cannot be added to that
// value) and stores nothing. Concurrent Adds of one key conflict (MVCC_READ_CONFLICT) and must be
// retried by the client. It emits [EventAdded], the chaincode event that integration tests read
// through the gateway's chaincode events.
func (c *Contract) Add(ctx txstate.Context, key string, delta int) (int, error) {
	k, err := stateKey(key)
	if err != nil {
		return 0, err
	}
	raw, err := ctx.State().Get(k)
	if err != nil {
		return 0, err
	}
	n := 0
	if raw != nil {
		if n, err = strconv.Atoi(string(raw)); err != nil {
			return 0, codes.New(codes.PreconditionFailed, "key %s does not hold an integer", key)
		}
	}
	if (delta > 0 && n > math.MaxInt-delta) || (delta < 0 && n < math.MinInt-delta) {
		return 0, codes.New(codes.InvalidArgument, "adding %d to the %d under key %s overflows the integer range", delta, n, key)
	}
	n += delta
	ctx.State().Put(k, []byte(strconv.Itoa(n)))
	if err := ccutil.Emit(ctx, EventAdded, AddedEvent{Key: key, Value: n}); err != nil {
		return 0, err
	}
	return n, nil
}

// Delete removes key. Only an org admin (a certificate with the admin node OU) may delete.
func (c *Contract) Delete(ctx txstate.Context, key string) error {
	k, err := stateKey(key)
	if err != nil {
		return err
	}
	cert, err := ctx.GetClientIdentity().GetX509Certificate()
	if err != nil || cert == nil {
		return codes.New(codes.Internal, "reading the caller's certificate: %v", err)
	}
	if !slices.Contains(cert.Subject.OrganizationalUnit, "admin") {
		return codes.New(codes.Forbidden, "only an org admin may delete %s", key)
	}
	v, err := ctx.State().Get(k)
	if err != nil {
		return err
	}
	if v == nil {
		return codes.New(codes.NotFound, "key %s", key)
	}
	ctx.State().Del(k)
	return nil
}
