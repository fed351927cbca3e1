//go:build faults

package faults

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/healthledger/healthledger/gateway-client/sdk"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/protobuf/proto"
)

// verifier reads the ledger of every peer on its own: one client per org, connected as the org's
// admin to the org's one peer with no fallback, and every query pinned to that org's peers.
type verifier struct {
	channel string
	readers []*peerReader
}

type peerReader struct {
	org    string
	msp    string
	client *sdk.Client
}

// newVerifier connects to every org's peer. Close it when done.
func newVerifier(ctx context.Context, net *sdk.Network) (*verifier, error) {
	v := &verifier{channel: net.Channel()}
	for _, org := range net.Orgs() {
		path, err := net.ProfilePath(org.Name)
		if err != nil {
			v.Close()
			return nil, err
		}
		prof, err := net.Profile(org.Name)
		if err != nil {
			v.Close()
			return nil, err
		}
		c, err := sdk.Connect(ctx, path, sdk.WithMSPDir(prof.AdminMSP))
		if err != nil {
			v.Close()
			return nil, fmt.Errorf("connecting to %s's peer as its admin: %w", org.Name, err)
		}
		v.readers = append(v.readers, &peerReader{org: org.Name, msp: org.MSPID, client: c})
	}
	return v, nil
}

func (v *verifier) Close() {
	for _, r := range v.readers {
		_ = r.client.Close()
	}
}

// height asks the reader's peer for the channel's height.
func (v *verifier) height(ctx context.Context, r *peerReader) (uint64, error) {
	res, err := r.client.Contract("qscc").Evaluate(ctx, "GetChainInfo", []string{v.channel}, sdk.WithEndorsingOrgs(r.msp))
	if err != nil {
		return 0, fmt.Errorf("height of %s's peer: %w", r.org, err)
	}
	var info common.BlockchainInfo
	if err := proto.Unmarshal(res, &info); err != nil {
		return 0, fmt.Errorf("height of %s's peer: %w", r.org, err)
	}
	return info.GetHeight(), nil
}

// waitConverged waits until every orderer and every peer reports the same height of the channel, and
// returns it.
func (v *verifier) waitConverged(ctx context.Context, c *cluster, within time.Duration) (uint64, error) {
	deadline := time.Now().Add(within)
	for {
		seen := map[string]uint64{}
		var errs []error
		for name, h := range c.heights(ctx) {
			seen[name] = h
		}
		for _, r := range v.readers {
			h, err := v.height(ctx, r)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			seen["peer0-"+r.org] = h
		}
		var h uint64
		equal := len(seen) == len(c.orderers)+len(v.readers)
		for _, x := range seen {
			if h == 0 {
				h = x
			}
			equal = equal && x == h
		}
		if equal {
			return h, nil
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("heights not equal within %s: %s %w", within, formatHeights(seen), errors.Join(errs...))
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func formatHeights(hs map[string]uint64) string {
	names := make([]string, 0, len(hs))
	for n := range hs {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, 0, len(names))
	for _, n := range names {
		parts = append(parts, fmt.Sprintf("%s=%d", n, hs[n]))
	}
	return strings.Join(parts, " ")
}

// count reads key on the reader's peer: the value of the counter (the call's valid commits), 0 when
// absent. A failure to answer is tried again for up to 30 s.
func (v *verifier) count(ctx context.Context, r *peerReader, key string) (int, error) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := r.client.Contract("baseline").Evaluate(ctx, "Read", []string{key}, sdk.WithEndorsingOrgs(r.msp))
		switch {
		case err == nil:
			n, err := strconv.Atoi(string(res))
			if err != nil {
				return 0, fmt.Errorf("%s on %s's peer holds %q, not a count", key, r.org, res)
			}
			return n, nil
		case errors.Is(err, sdk.ErrNotFound):
			return 0, nil
		case time.Now().After(deadline) || ctx.Err() != nil:
			return 0, fmt.Errorf("reading %s on %s's peer: %w", key, r.org, err)
		}
		time.Sleep(time.Second)
	}
}

// check reads every call's key on every peer and fills the ledger's side of f: lost, twice,
// failedPresent, diverged. It returns examples of each problem found.
func (v *verifier) check(ctx context.Context, calls []*call, f *figures) ([]string, error) {
	counts := make([][]int, len(calls))
	jobs := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				row := make([]int, len(v.readers))
				for j, r := range v.readers {
					n, err := v.count(ctx, r, calls[i].key)
					if err != nil {
						mu.Lock()
						errs = append(errs, err)
						mu.Unlock()
					}
					row[j] = n
				}
				counts[i] = row
			}
		}()
	}
	for i := range calls {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if len(errs) > 0 {
		return nil, fmt.Errorf("%d reads failed, the first: %w", len(errs), errs[0])
	}
	return tally(calls, counts, f), nil
}

// tally fills the ledger's side of f from the counts every peer holds for each call's key
// (counts[i][j]: call i, peer j), and returns examples of each problem found.
func tally(calls []*call, counts [][]int, f *figures) []string {
	var examples []string
	example := func(format string, args ...any) {
		if len(examples) < 10 {
			examples = append(examples, fmt.Sprintf(format, args...))
		}
	}
	for i, c := range calls {
		present, most := 0, 0
		for _, n := range counts[i] {
			if n > 0 {
				present++
			}
			most = max(most, n)
		}
		if most >= 2 {
			f.twice++
			example("committed twice: %s (counts per peer %v, tx %s, err %v)", c.key, counts[i], c.txID, c.err)
		}
		switch {
		case c.acked() && present < len(counts[i]):
			f.lost++
			example("lost: %s acknowledged in block %d (tx %s) but counts per peer are %v", c.key, c.block, c.txID, counts[i])
		case !c.acked() && present == len(counts[i]):
			f.failedPresent++
		case !c.acked() && present > 0:
			f.diverged++
			example("diverged: %s (failed: %v) counts per peer %v", c.key, c.err, counts[i])
		}
	}
	return examples
}
