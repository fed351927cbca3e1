package bench

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/healthledger/healthledger/chaincode/claims/claimstypes"
	"github.com/healthledger/healthledger/chaincode/consent/consenttypes"
	"github.com/healthledger/healthledger/gateway-client/claims"
	"github.com/healthledger/healthledger/gateway-client/consent"
	"github.com/healthledger/healthledger/gateway-client/sdk"
)

// The claims workloads.
const (
	ClaimsSubmit     = "claims-submit"
	ClaimsAdjudicate = "claims-adjudicate"
	ClaimsList       = "claims-list"
)

// ErrPoolExhausted marks an operation that found no prepared item left (claims-adjudicate ran past
// the claims it submitted beforehand): counted as POOL_EXHAUSTED.
var ErrPoolExhausted = errors.New("POOL_EXHAUSTED")

// poolRateCap is the throughput claims-adjudicate sizes its pool of submitted claims for when the
// run is timed and has no rate: more than this machine class commits.
const poolRateCap = 400

func claimsWorkloads() []Spec {
	return []Spec{
		{
			Name:      ClaimsSubmit,
			Summary:   "a provider submits a one-line professional claim (consent checked in the consent chaincode)",
			Chaincode: "claims",
			Kind:      Submit,
			Target:    &Target{MinRatio: 0.5},
			Prepare:   prepareClaimSubmit,
		},
		{
			Name:      ClaimsAdjudicate,
			Summary:   "the insurer adjudicates a submitted claim against its coverage (accumulators updated)",
			Chaincode: "claims",
			Kind:      Submit,
			Prepare:   prepareAdjudicate,
		},
		{
			Name:      ClaimsList,
			Summary:   "a provider lists the first page (10) of its claims",
			Chaincode: "claims",
			Kind:      Evaluate,
			Prepare:   prepareClaimsList,
		},
	}
}

// claimsFixture is a patient who consents to disclose claims to the insurer org for payment,
// coverages of that patient registered by the insurer, and the provider who bills.
type claimsFixture struct {
	patient, provider, insurer sdk.IdentityInfo
	coverages                  []string
	// chargeBase makes this run's charges, and so its claim fingerprints, differ from other runs'.
	chargeBase int64
}

// coverageCount is how many coverages the fixture registers: adjudications of one coverage update
// its accumulators and so conflict; with 2 per worker, concurrent ones never share a coverage.
func coverageCount(cfg Config) int { return max(8, 2*cfg.Concurrency) }

func loadClaimsFixture(ctx context.Context, env *Env, coverages int) (*claimsFixture, error) {
	f, err := Once(env, "claims-fixture", func() (*claimsFixture, error) {
		f := &claimsFixture{}
		var err error
		if f.patient, err = env.Identity("patient", 0); err != nil {
			return nil, err
		}
		if f.provider, err = env.Identity("provider", 0); err != nil {
			return nil, err
		}
		if f.insurer, err = env.Identity("insurer", 0); err != nil {
			return nil, err
		}
		h := fnv.New32a()
		_, _ = h.Write([]byte(env.RunID))
		f.chargeBase = 1_000 + int64(h.Sum32()%9000)*100_000
		pc, err := env.Loader(ctx, f.patient.Name)
		if err != nil {
			return nil, err
		}
		if err := registerPatient(ctx, consent.New(pc)); err != nil {
			return nil, err
		}
		_, err = consent.New(pc).Grant(ctx, consenttypes.Consent{
			ID: "hlb-" + env.RunID + "-pay", Patient: f.patient.Subject,
			Grantee: consenttypes.Grantee{MSPID: f.insurer.MSPID}.String(), Decision: consenttypes.Permit,
			Actions:  []consenttypes.Action{consenttypes.ActionDisclose},
			Purposes: []consenttypes.Purpose{consenttypes.PurposePayment},
			Classes:  []consenttypes.DataClass{consenttypes.ClassClaim},
		})
		if err != nil && !errors.Is(err, sdk.ErrDuplicate) {
			return nil, fmt.Errorf("granting the payment consent: %w", err)
		}
		env.logf("claims: %s permits %s to receive claims for payment", f.patient.Name, f.insurer.MSPID)
		return f, nil
	})
	if err != nil {
		return nil, err
	}
	return f, f.ensureCoverages(ctx, env, coverages)
}

// ensureCoverages registers coverages until the fixture has n. Loads run one after the other
// (Prepare is not called concurrently), so no lock is needed beyond Once's.
func (f *claimsFixture) ensureCoverages(ctx context.Context, env *Env, n int) error {
	have := len(f.coverages)
	if n <= have {
		return nil
	}
	ic, err := env.Loader(ctx, f.insurer.Name)
	if err != nil {
		return err
	}
	k := claims.New(ic)
	env.logf("claims: registering %d coverages of %s", n-have, f.patient.Name)
	ids := make([]string, n-have)
	if err := Parallel(ctx, len(ids), 8, func(ctx context.Context, i int) error {
		nonce, err := claims.NewNonce()
		if err != nil {
			return err
		}
		id := "hlb-" + env.RunID + "-cov" + strconv.Itoa(have+i)
		_, err = k.RegisterCoverage(ctx, id, claimstypes.CoverageTerms{
			Member: f.patient.Subject, PlanID: "PLAN-BENCH", PeriodStart: "2020-01-01", PeriodEnd: "2035-12-31",
			CoveredCodes: []string{"99213"}, DeductibleCents: 0, CoinsuranceBP: 2000, Nonce: nonce,
		})
		if err != nil && !errors.Is(err, sdk.ErrDuplicate) {
			return fmt.Errorf("registering coverage %s: %w", id, err)
		}
		ids[i] = id
		return nil
	}); err != nil {
		return err
	}
	f.coverages = append(f.coverages, ids...)
	return nil
}

// claim builds claim n: one office visit whose charge is unique to the run and to n, so no two
// claims are duplicates of each other.
func (f *claimsFixture) claim(id string, n uint64) (claimstypes.ClaimSubmission, claimstypes.ClaimDetails, error) {
	nonce, err := claims.NewNonce()
	if err != nil {
		return claimstypes.ClaimSubmission{}, claimstypes.ClaimDetails{}, fmt.Errorf("drawing a nonce: %w", err)
	}
	charge := f.chargeBase + int64(n%100_000)
	// yesterday (UTC): never after the transaction's date, whatever the clocks.
	day := time.Now().UTC().AddDate(0, 0, -1).Format(claimstypes.DateLayout)
	sub := claimstypes.ClaimSubmission{ID: id, Patient: f.patient.Subject, CoverageID: f.coverages[n%uint64(len(f.coverages))]}
	details := claimstypes.ClaimDetails{
		Diagnoses:  []string{"J06.9"},
		Lines:      []claimstypes.ServiceLine{{Code: "99213", ServiceDate: day, Quantity: 1, UnitChargeCents: charge, DiagnosisPointers: []int{1}}},
		TotalCents: charge,
		Nonce:      nonce,
	}
	return sub, details, nil
}

func prepareClaimSubmit(ctx context.Context, env *Env, _ Config) (Op, error) {
	f, err := loadClaimsFixture(ctx, env, 1)
	if err != nil {
		return nil, err
	}
	c, err := env.Client(ctx, f.provider.Name)
	if err != nil {
		return nil, err
	}
	k := claims.New(c)
	prefix := "hlb-" + env.RunID + "-c"
	return func(ctx context.Context, n uint64) error {
		sub, details, err := f.claim(prefix+strconv.FormatUint(n, 10), n)
		if err != nil {
			return err
		}
		_, err = k.SubmitClaim(ctx, sub, details)
		return err
	}, nil
}

// adjudicationPool is how many claims claims-adjudicate submits beforehand: the count plus what a
// warm-up may use, or for a timed run what poolRateCap (or the rate limit) would get through.
func adjudicationPool(cfg Config) int {
	rate := float64(poolRateCap)
	if cfg.Rate > 0 {
		rate = cfg.Rate
	}
	warm := int(rate * time.Duration(cfg.Warmup).Seconds())
	if cfg.Count > 0 {
		return cfg.Count + warm + cfg.Concurrency
	}
	return int(rate*time.Duration(cfg.Duration).Seconds()) + warm + cfg.Concurrency
}

// prepareAdjudicate submits the claims to adjudicate, spread over 2 coverages per worker. Operation
// n adjudicates claim n; past the pool it fails with POOL_EXHAUSTED, which the report shows.
func prepareAdjudicate(ctx context.Context, env *Env, cfg Config) (Op, error) {
	f, err := loadClaimsFixture(ctx, env, coverageCount(cfg))
	if err != nil {
		return nil, err
	}
	pool := adjudicationPool(cfg)
	loader, err := env.Loader(ctx, f.provider.Name)
	if err != nil {
		return nil, err
	}
	lk := claims.New(loader)
	round, err := Once(env, "claims-adjudicate-round", func() (*atomic.Int64, error) { return &atomic.Int64{}, nil })
	if err != nil {
		return nil, err
	}
	// Each preparation submits its own pool (a second run in the same process must not find its
	// claims adjudicated already), under ids and charges of its own.
	r := round.Add(1)
	prefix := "hlb-" + env.RunID + "-a" + strconv.FormatInt(r, 10) + "-"
	offset := uint64(r) * 100_000 / 7 // shifts the charges away from claims-submit's and other pools'
	env.logf("%s: submitting %d claims to adjudicate", ClaimsAdjudicate, pool)
	if err := Parallel(ctx, pool, 32, func(ctx context.Context, i int) error {
		sub, details, err := f.claim(prefix+strconv.Itoa(i), uint64(i)+offset)
		if err != nil {
			return err
		}
		sub.CoverageID = f.coverages[i%len(f.coverages)]
		if _, err := lk.SubmitClaim(ctx, sub, details); err != nil && !errors.Is(err, sdk.ErrDuplicate) {
			return fmt.Errorf("submitting claim %s: %w", sub.ID, err)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	c, err := env.Client(ctx, f.insurer.Name)
	if err != nil {
		return nil, err
	}
	k := claims.New(c)
	return func(ctx context.Context, n uint64) error {
		if n >= uint64(pool) {
			return fmt.Errorf("%w: %d claims were submitted beforehand; raise the rate estimate or shorten the run", ErrPoolExhausted, pool)
		}
		h, err := k.Adjudicate(ctx, prefix+strconv.FormatUint(n, 10))
		if err != nil {
			return err
		}
		if h.Status != claimstypes.StatusAdjudicated {
			return fmt.Errorf("%w: claim %s is %s after adjudication", ErrWrongAnswer, h.ID, h.Status)
		}
		return nil
	}, nil
}

func prepareClaimsList(ctx context.Context, env *Env, _ Config) (Op, error) {
	f, err := loadClaimsFixture(ctx, env, 1)
	if err != nil {
		return nil, err
	}
	lc, err := env.Loader(ctx, f.provider.Name)
	if err != nil {
		return nil, err
	}
	// One claim, so that the list is never empty even when claims-submit did not run.
	sub, details, err := f.claim("hlb-"+env.RunID+"-l0", 99_999)
	if err != nil {
		return nil, err
	}
	if _, err := claims.New(lc).SubmitClaim(ctx, sub, details); err != nil && !errors.Is(err, sdk.ErrDuplicate) {
		return nil, fmt.Errorf("submitting the listed claim: %w", err)
	}
	c, err := env.Client(ctx, f.provider.Name)
	if err != nil {
		return nil, err
	}
	k := claims.New(c)
	return func(ctx context.Context, _ uint64) error {
		page, err := k.ListClaimsByProvider(ctx, f.provider.MSPID, f.provider.Subject, 10, "")
		if err != nil {
			return err
		}
		if len(page.Items) == 0 {
			return fmt.Errorf("%w: the provider's claim list is empty", ErrWrongAnswer)
		}
		return nil
	}, nil
}
