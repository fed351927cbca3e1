package bench

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"sync"
	"time"

	"github.com/healthledger/healthledger/chaincode/provenance/provenancetypes"
	"github.com/healthledger/healthledger/gateway-client/provenance"
	"github.com/healthledger/healthledger/gateway-client/sdk"
)

// The provenance workloads.
const (
	ProvenanceShipReceive = "provenance-ship-receive"
	ProvenanceVerify      = "provenance-verify"
	ProvenanceList        = "provenance-list"
)

const (
	// verifySerials is the number of units of the batch that provenance-verify checks.
	verifySerials = 1000
	// unitsPerOtherBatch is the size of the batches the scaling preload commissions.
	unitsPerOtherBatch = 100
	// benchExpiry is the expiry of every batch the benchmark commissions: far enough not to expire.
	benchExpiry = "2035-12-31"
)

func provenanceWorkloads() []Spec {
	return []Spec{
		{
			Name:      ProvenanceShipReceive,
			Summary:   "a batch's holder ships its main stock to the other party, which receives it (2 transactions)",
			Chaincode: "provenance",
			Kind:      Submit,
			TxPerOp:   2,
			Target:    &Target{MinRatio: 0.8},
			Prepare:   prepareShipReceive,
		},
		{
			Name:      ProvenanceVerify,
			Summary:   "a pharmacist verifies a unit (GTIN, serial, lot, expiry) of a 1,000-unit batch",
			Chaincode: "provenance",
			Kind:      Evaluate,
			Target:    &Target{MinRatio: 0.8, MaxP50: 20 * msec},
			Prepare:   prepareVerify,
		},
		{
			Name:      ProvenanceList,
			Summary:   "the first page (10) of the batches a manufacturer holds (ListBatchesByOwner)",
			Chaincode: "provenance",
			Kind:      Evaluate,
			Prepare:   prepareProvenanceList,
		},
	}
}

// provenanceFixture is a product of this run registered by a manufacturer, and the parties that move
// and verify it.
type provenanceFixture struct {
	gtin                      string
	manufacturer, distributor sdk.IdentityInfo
	verifier                  sdk.IdentityInfo
	tag                       string // short, unique per run: lots and serials carry it (20 characters at most)
}

// benchGTIN derives a GTIN-14 from the run id under the GS1 demo company prefix 0614141, so every run
// registers its own product; the last digit is the GS1 check digit.
func benchGTIN(runID string) string {
	h := fnv.New32a()
	_, _ = h.Write([]byte(runID))
	body := fmt.Sprintf("10614141%05d", h.Sum32()%100000) // indicator 1, prefix, item reference
	sum := 0
	for i := range len(body) {
		d := int(body[len(body)-1-i] - '0')
		if i%2 == 0 {
			d *= 3
		}
		sum += d
	}
	return body + strconv.Itoa((10-sum%10)%10)
}

// shortTag is an 8-character base-36 digest of the run id, for lots and serials.
func shortTag(runID string) string {
	h := fnv.New64a()
	_, _ = h.Write([]byte(runID))
	s := strconv.FormatUint(h.Sum64(), 36)
	return s[:min(8, len(s))]
}

func loadProvenanceFixture(ctx context.Context, env *Env) (provenanceFixture, error) {
	return Once(env, "provenance-fixture", func() (provenanceFixture, error) {
		f := provenanceFixture{gtin: benchGTIN(env.RunID), tag: shortTag(env.RunID)}
		var err error
		if f.manufacturer, err = env.Identity("manufacturer", 0); err != nil {
			return f, err
		}
		if f.distributor, err = env.Identity("distributor", 0); err != nil {
			return f, err
		}
		if f.verifier, err = env.Identity("pharmacist", 0); err != nil {
			if f.verifier, err = env.Identity("distributor", 0); err != nil {
				return f, err
			}
		}
		for _, id := range []sdk.IdentityInfo{f.manufacturer, f.distributor} {
			c, err := env.Loader(ctx, id.Name)
			if err != nil {
				return f, err
			}
			if _, err := provenance.New(c).EnsureRegistered(ctx); err != nil {
				return f, fmt.Errorf("registering %s as a party: %w", id.Name, err)
			}
		}
		c, err := env.Loader(ctx, f.manufacturer.Name)
		if err != nil {
			return f, err
		}
		_, err = provenance.New(c).RegisterProduct(ctx, provenancetypes.ProductSpec{
			GTIN: f.gtin, Name: "hlbench test product", Strength: "10 mg", DosageForm: "tablet",
			Storage: &provenancetypes.TempRange{MinCelsius: 2, MaxCelsius: 8},
		})
		if err != nil && !errors.Is(err, sdk.ErrDuplicate) {
			return f, fmt.Errorf("registering product %s: %w", f.gtin, err)
		}
		env.logf("provenance: product %s registered by %s", f.gtin, f.manufacturer.Name)
		return f, nil
	})
}

// serials returns n serials tag-prefix-i for i in [from, from+n).
func serials(prefix string, from, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = prefix + strconv.Itoa(from+i)
	}
	return out
}

// commission commissions batch lot of the fixture's product with the given serials, unless a
// previous attempt already did.
func commission(ctx context.Context, k *provenance.Client, f provenanceFixture, lot string, units []string) error {
	_, err := k.CommissionAll(ctx, provenancetypes.BatchSpec{
		GTIN: f.gtin, Lot: lot, ManufacturedOn: "2025-01-15", Expiry: benchExpiry, Quantity: len(units),
	}, units)
	if err != nil && !errors.Is(err, sdk.ErrDuplicate) {
		return fmt.Errorf("commissioning lot %s: %w", lot, err)
	}
	return nil
}

// shipSlot is one batch that ship+receive moves back and forth.
type shipSlot struct {
	mu      sync.Mutex
	lot     string
	atDist  bool   // the distributor holds it (else the manufacturer)
	pending string // a shipment sent but not received (after a failed receive)
}

// prepareShipReceive commissions twice as many batches as there are workers, so that no two
// operations in flight move the same batch (a batch's record is read and written by both steps).
func prepareShipReceive(ctx context.Context, env *Env, cfg Config) (Op, error) {
	f, err := loadProvenanceFixture(ctx, env)
	if err != nil {
		return nil, err
	}
	n := max(8, 2*cfg.Concurrency)
	loader, err := env.Loader(ctx, f.manufacturer.Name)
	if err != nil {
		return nil, err
	}
	lk := provenance.New(loader)
	slots := make([]*shipSlot, n)
	env.logf("%s: commissioning %d batches of 10 units", ProvenanceShipReceive, n)
	if err := Parallel(ctx, n, 16, func(ctx context.Context, i int) error {
		lot := "S" + f.tag + "-" + strconv.Itoa(i)
		slots[i] = &shipSlot{lot: lot}
		return commission(ctx, lk, f, lot, serials(lot+"-", 0, 10))
	}); err != nil {
		return nil, err
	}
	mc, err := env.Client(ctx, f.manufacturer.Name)
	if err != nil {
		return nil, err
	}
	dc, err := env.Client(ctx, f.distributor.Name)
	if err != nil {
		return nil, err
	}
	parties := [2]*provenance.Client{provenance.New(mc), provenance.New(dc)}
	party := [2]provenancetypes.Party{{MSPID: f.manufacturer.MSPID, GLN: f.manufacturer.Subject}, {MSPID: f.distributor.MSPID, GLN: f.distributor.Subject}}
	prefix := "hlb-" + env.RunID + "-s"
	return func(ctx context.Context, op uint64) error {
		s := slots[op%uint64(n)]
		s.mu.Lock()
		defer s.mu.Unlock()
		from := 0
		if s.atDist {
			from = 1
		}
		to := 1 - from
		if s.pending != "" { // a receive failed earlier: finish that move first (not measured apart)
			if _, err := parties[to].Receive(ctx, s.pending); err != nil && !errors.Is(err, sdk.ErrDuplicate) {
				return err
			}
			s.pending, s.atDist = "", !s.atDist
			from, to = to, from
		}
		id := prefix + strconv.FormatUint(op, 10)
		if _, err := parties[from].Ship(ctx, provenancetypes.ShipmentSpec{ShipmentID: id, GTIN: f.gtin, Lot: s.lot, Receiver: party[to]}); err != nil {
			return err
		}
		if err := receiveWhenSeen(ctx, parties[to], id); err != nil {
			s.pending = id
			return err
		}
		s.atDist = !s.atDist
		return nil
	}, nil
}

// receiveWhenSeen receives shipment id, retrying while an endorsing peer has not yet committed the
// block that holds the shipment. Peers commit independently: the ship's commit status comes from the
// sender's gateway peer, and the receive is endorsed by a majority of orgs, one of which may lag by a
// block. A real receiver acts much later; a benchmark that receives at once must wait the same way
// an application that reads its own write through another org would. The wait counts in the latency.
func receiveWhenSeen(ctx context.Context, k *provenance.Client, id string) error {
	const wait = 3 * time.Second
	deadline := time.Now().Add(wait)
	for {
		_, err := k.Receive(ctx, id)
		if err == nil || !errors.Is(err, sdk.ErrNotFound) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// verifyBatch commissions the 1,000-unit batch that Verify checks.
func verifyBatch(ctx context.Context, env *Env, f provenanceFixture) (string, error) {
	return Once(env, "provenance-verify-batch", func() (string, error) {
		lot := "V" + f.tag
		c, err := env.Loader(ctx, f.manufacturer.Name)
		if err != nil {
			return "", err
		}
		env.logf("%s: commissioning lot %s with %d units", ProvenanceVerify, lot, verifySerials)
		return lot, commission(ctx, provenance.New(c), f, lot, serials(lot+"-", 0, verifySerials))
	})
}

func prepareVerify(ctx context.Context, env *Env, _ Config) (Op, error) {
	f, err := loadProvenanceFixture(ctx, env)
	if err != nil {
		return nil, err
	}
	lot, err := verifyBatch(ctx, env, f)
	if err != nil {
		return nil, err
	}
	if err := growUnitsOfOthers(ctx, env, f, ProvenanceVerify); err != nil {
		return nil, err
	}
	c, err := env.Client(ctx, f.verifier.Name)
	if err != nil {
		return nil, err
	}
	k := provenance.New(c)
	return func(ctx context.Context, n uint64) error {
		serial := lot + "-" + strconv.FormatUint(n%verifySerials, 10)
		res, err := k.Verify(ctx, f.gtin, serial, lot, benchExpiry)
		if err != nil {
			return err
		}
		if safe, state := res.SafeToDispense(); !safe {
			return fmt.Errorf("%w: Verify of %s answered %s (suspect %v), not safe to dispense: %s", ErrWrongAnswer, serial, res.Result, res.Suspect, state)
		}
		return nil
	}, nil
}

func prepareProvenanceList(ctx context.Context, env *Env, _ Config) (Op, error) {
	f, err := loadProvenanceFixture(ctx, env)
	if err != nil {
		return nil, err
	}
	if _, err := verifyBatch(ctx, env, f); err != nil {
		return nil, err
	}
	if err := growUnitsOfOthers(ctx, env, f, ProvenanceList); err != nil {
		return nil, err
	}
	c, err := env.Client(ctx, f.manufacturer.Name)
	if err != nil {
		return nil, err
	}
	k := provenance.New(c)
	owner := provenancetypes.Party{MSPID: f.manufacturer.MSPID, GLN: f.manufacturer.Subject}
	return func(ctx context.Context, _ uint64) error {
		page, err := k.ListBatchesByOwner(ctx, owner, 10, "")
		if err != nil {
			return err
		}
		if len(page.Items) == 0 {
			return fmt.Errorf("%w: the manufacturer holds no batch", ErrWrongAnswer)
		}
		return nil
	}, nil
}

// unitsOfOthers is the population of serialised units in other batches that the scaling figures put
// on the ledger, in batches of 100 units (one transaction each: the batch and its serials).
type unitsOfOthers struct {
	mu      sync.Mutex
	batches int
}

// growUnitsOfOthers brings the units of other batches up to env.Records (rounded up to whole batches)
// and notes the count for the workload's result.
func growUnitsOfOthers(ctx context.Context, env *Env, f provenanceFixture, workload string) error {
	pop, err := Once(env, "provenance-others", func() (*unitsOfOthers, error) { return &unitsOfOthers{}, nil })
	if err != nil {
		return err
	}
	pop.mu.Lock()
	defer pop.mu.Unlock()
	want := (env.Records + unitsPerOtherBatch - 1) / unitsPerOtherBatch
	if missing := want - pop.batches; missing > 0 {
		c, err := env.Loader(ctx, f.manufacturer.Name)
		if err != nil {
			return err
		}
		k := provenance.New(c)
		env.logf("%s: commissioning %d batches of %d units of other lots (%d units on the ledger so far)",
			workload, missing, unitsPerOtherBatch, pop.batches*unitsPerOtherBatch)
		first := pop.batches
		if err := Parallel(ctx, missing, 32, func(ctx context.Context, i int) error {
			lot := "O" + f.tag + "-" + strconv.Itoa(first+i)
			return commission(ctx, k, f, lot, serials(lot+"-", 0, unitsPerOtherBatch))
		}); err != nil {
			return err
		}
		pop.batches = want
	}
	env.setRecords(workload, pop.batches*unitsPerOtherBatch)
	return nil
}
