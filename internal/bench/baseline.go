package bench

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// The baseline workloads: what the platform itself does on the same network, the denominators of
// every ratio.
const (
	BaselineWrite = "baseline-write"
	BaselineRead  = "baseline-read"
)

// readKeys is how many keys baseline-read cycles through.
const readKeys = 100

func baselineWorkloads() []Spec {
	return []Spec{
		{
			Name:      BaselineWrite,
			Summary:   "blind write of a new key with a value of -value-size bytes (100)",
			Chaincode: "baseline",
			Kind:      Submit,
			Prepare:   prepareBaselineWrite,
		},
		{
			Name:      BaselineRead,
			Summary:   "read of one of 100 preloaded keys, evaluated on the caller's peer",
			Chaincode: "baseline",
			Kind:      Evaluate,
			Prepare:   prepareBaselineRead,
		},
	}
}

// baselineIdentity is the identity the baseline workloads call as: the first one the network lists.
// The baseline contract does not look at roles.
func baselineIdentity(env *Env) (string, error) {
	ids := env.Net.Identities("")
	if len(ids) == 0 {
		return "", fmt.Errorf("%w: the network lists no identity", ErrUnavailableWorkload)
	}
	return ids[0].Name, nil
}

// value returns a value of size bytes that starts with tag, so that every write is distinct.
func value(tag string, size int) string {
	size = max(size, 1)
	if len(tag) >= size {
		return tag[:size]
	}
	return tag + strings.Repeat("x", size-len(tag))
}

func prepareBaselineWrite(ctx context.Context, env *Env, _ Config) (Op, error) {
	name, err := baselineIdentity(env)
	if err != nil {
		return nil, err
	}
	c, err := env.Client(ctx, name)
	if err != nil {
		return nil, err
	}
	k := c.Contract("baseline")
	prefix := "bw-" + env.RunID + "-"
	size := env.ValueSize
	return func(ctx context.Context, n uint64) error {
		key := prefix + strconv.FormatUint(n, 10)
		_, err := k.SubmitTx(ctx, "Write", []string{key, value(key+"|", size)})
		return err
	}, nil
}

func prepareBaselineRead(ctx context.Context, env *Env, _ Config) (Op, error) {
	name, err := baselineIdentity(env)
	if err != nil {
		return nil, err
	}
	size := env.ValueSize
	prefix := "br-" + env.RunID + "-" + strconv.Itoa(size) + "-"
	if _, err := Once(env, prefix, func() (bool, error) {
		loader, err := env.Loader(ctx, name)
		if err != nil {
			return false, err
		}
		env.logf("baseline-read: writing %d keys of %d bytes", readKeys, size)
		k := loader.Contract("baseline")
		return true, Parallel(ctx, readKeys, 16, func(ctx context.Context, i int) error {
			key := prefix + strconv.Itoa(i)
			if _, err := k.Submit(ctx, "Write", []string{key, value(key+"|", size)}); err != nil {
				return fmt.Errorf("preloading %s: %w", key, err)
			}
			return nil
		})
	}); err != nil {
		return nil, err
	}
	c, err := env.Client(ctx, name)
	if err != nil {
		return nil, err
	}
	k := c.Contract("baseline")
	return func(ctx context.Context, n uint64) error {
		key := prefix + strconv.FormatUint(n%readKeys, 10)
		got, err := k.Evaluate(ctx, "Read", []string{key})
		if err != nil {
			return err
		}
		if len(got) != size {
			return fmt.Errorf("%w: read %s: %d bytes, want %d", ErrWrongAnswer, key, len(got), size)
		}
		return nil
	}, nil
}
