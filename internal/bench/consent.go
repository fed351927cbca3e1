package bench

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/healthledger/healthledger/chaincode/consent/consenttypes"
	"github.com/healthledger/healthledger/gateway-client/consent"
	"github.com/healthledger/healthledger/gateway-client/sdk"
)

// The consent workloads.
const (
	ConsentGrant        = "consent-grant"
	ConsentCheckAccess  = "consent-checkaccess"
	ConsentRecordAccess = "consent-recordaccess"
	ConsentList         = "consent-list"
)

// consentsPerPair is how many active consents one patient may hold for one grantee organisation
// (the chaincode's bound, which keeps every decision's cost constant).
const consentsPerPair = consenttypes.MaxActivePerGrantee

func consentWorkloads() []Spec {
	return []Spec{
		{
			Name:      ConsentGrant,
			Summary:   "a patient grants a new consent (permit, access, TREAT, Observation) to an org's role",
			Chaincode: "consent",
			Kind:      Submit,
			Target:    &Target{MinRatio: 0.8},
			Prepare:   prepareConsentGrant,
		},
		{
			Name:      ConsentCheckAccess,
			Summary:   "a provider asks CheckAccess for a patient who holds a permitting consent",
			Chaincode: "consent",
			Kind:      Evaluate,
			Target:    &Target{MinRatio: 0.8, MaxP50: 20 * msec},
			Prepare:   prepareCheckAccess,
		},
		{
			Name:      ConsentRecordAccess,
			Summary:   "a provider logs a permitted read of a patient's Observation (RecordAccess)",
			Chaincode: "consent",
			Kind:      Submit,
			Target:    &Target{MinRatio: 0.8},
			Prepare:   prepareRecordAccess,
		},
		{
			Name:      ConsentList,
			Summary:   "a patient lists the first page (10) of their consents",
			Chaincode: "consent",
			Kind:      Evaluate,
			Prepare:   prepareConsentList,
		},
	}
}

// consentFixture is one patient holding a consent that permits every provider of the provider org
// to access Observations for treatment, and one such provider.
type consentFixture struct {
	patient, provider sdk.IdentityInfo
}

func loadConsentFixture(ctx context.Context, env *Env) (consentFixture, error) {
	return Once(env, "consent-fixture", func() (consentFixture, error) {
		var f consentFixture
		var err error
		if f.patient, err = env.Identity("patient", 0); err != nil {
			return f, err
		}
		if f.provider, err = env.Identity("provider", 0); err != nil {
			return f, err
		}
		c, err := env.Loader(ctx, f.patient.Name)
		if err != nil {
			return f, err
		}
		if err := registerPatient(ctx, consent.New(c)); err != nil {
			return f, err
		}
		_, err = consent.New(c).Grant(ctx, consenttypes.Consent{
			// One fixture consent per patient, whatever the run: separate hlbench runs on one
			// network then list and check the same consents, and stay comparable.
			ID:       "hlb-fixture-" + f.patient.Subject,
			Patient:  f.patient.Subject,
			Grantee:  consenttypes.Grantee{MSPID: f.provider.MSPID, Role: consenttypes.RoleProvider}.String(),
			Decision: consenttypes.Permit,
			Actions:  []consenttypes.Action{consenttypes.ActionAccess},
			Purposes: []consenttypes.Purpose{consenttypes.PurposeTreatment},
			Classes:  []consenttypes.DataClass{consenttypes.ClassObservation},
		})
		if err != nil && !errors.Is(err, sdk.ErrDuplicate) {
			return f, fmt.Errorf("granting the fixture consent: %w", err)
		}
		env.logf("consent: %s permits %s/provider to access Observations for TREAT", f.patient.Name, f.provider.MSPID)
		return f, nil
	})
}

// grantees are the grantee organisations consents of synthetic patients go to: every org, by the
// first role its members hold.
func grantees(env *Env) []consenttypes.Grantee {
	var out []consenttypes.Grantee
	for _, o := range env.Net.Orgs() {
		g := consenttypes.Grantee{MSPID: o.MSPID}
		if len(o.Roles) > 0 {
			g.Role = o.Roles[0]
		}
		out = append(out, g)
	}
	return out
}

// registerPatient registers the client's patient (RegisterPatient: the patient's id bound to its key),
// which every patient needs before writing; a patient already registered with this key is fine.
func registerPatient(ctx context.Context, k *consent.Client) error {
	if _, err := k.RegisterPatient(ctx); err != nil && !errors.Is(err, sdk.ErrDuplicate) {
		return fmt.Errorf("registering the patient: %w", err)
	}
	return nil
}

// grantConsent grants consent id of patient to g.
func grantConsent(ctx context.Context, k *consent.Client, id, patient string, g consenttypes.Grantee) error {
	_, err := k.Grant(ctx, consenttypes.Consent{
		ID: id, Patient: patient, Grantee: g.String(), Decision: consenttypes.Permit,
		Actions:  []consenttypes.Action{consenttypes.ActionAccess},
		Purposes: []consenttypes.Purpose{consenttypes.PurposeTreatment},
		Classes:  []consenttypes.DataClass{consenttypes.ClassObservation},
	})
	return err
}

// prepareConsentGrant enrolls enough patients that concurrent grants never share a (patient, grantee
// org) pair, whose consents the chaincode counts with a range read (two grants of one pair in one
// block would conflict), and that the run stays below the 100 consents a pair may hold.
func prepareConsentGrant(ctx context.Context, env *Env, cfg Config) (Op, error) {
	gs := grantees(env)
	n := max(16, (4*cfg.Concurrency+len(gs)-1)/len(gs))
	env.logf("%s: enrolling %d patients (room for %d grants)", ConsentGrant, n, n*len(gs)*(consentsPerPair-1))
	pats, err := env.EnrollUsers(ctx, "patient", "g", n)
	if err != nil {
		return nil, fmt.Errorf("enrolling patients: %w", err)
	}
	clients := make([]*consent.Client, len(pats))
	loaders := make([]*consent.Client, len(pats))
	for i, p := range pats {
		c, err := env.Client(ctx, p.Name)
		if err != nil {
			return nil, err
		}
		l, err := env.Loader(ctx, p.Name)
		if err != nil {
			return nil, err
		}
		clients[i], loaders[i] = consent.New(c), consent.New(l)
	}
	// Register every patient (their key pinned) and grant one consent each before measuring, so that
	// the measured grants are all alike.
	prefix := "hlb-" + env.RunID + "-g"
	if err := Parallel(ctx, len(pats), 16, func(ctx context.Context, i int) error {
		if err := registerPatient(ctx, loaders[i]); err != nil {
			return err
		}
		return grantConsent(ctx, loaders[i], prefix+"b"+strconv.Itoa(i), pats[i].Subject, gs[0])
	}); err != nil {
		return nil, fmt.Errorf("binding the patients: %w", err)
	}
	pairs := len(pats) * len(gs)
	return func(ctx context.Context, op uint64) error {
		pair := int(op % uint64(pairs))
		p, g := pair%len(pats), pair/len(pats)
		return grantConsent(ctx, clients[p], prefix+strconv.FormatUint(op, 10), pats[p].Subject, gs[g])
	}, nil
}

func prepareCheckAccess(ctx context.Context, env *Env, _ Config) (Op, error) {
	f, err := loadConsentFixture(ctx, env)
	if err != nil {
		return nil, err
	}
	if err := growConsentsOfOthers(ctx, env, ConsentCheckAccess); err != nil {
		return nil, err
	}
	c, err := env.Client(ctx, f.provider.Name)
	if err != nil {
		return nil, err
	}
	k := consent.New(c)
	asker := consenttypes.Grantee{MSPID: f.provider.MSPID, Role: f.provider.Role, Subject: f.provider.Subject}
	return func(ctx context.Context, _ uint64) error {
		d, err := k.CheckAccess(ctx, f.patient.Subject, asker, consenttypes.ActionAccess, consenttypes.PurposeTreatment, consenttypes.ClassObservation)
		if err != nil {
			return err
		}
		if !d.Permitted() {
			return fmt.Errorf("%w: CheckAccess answered %s (%s), want permit", ErrWrongAnswer, d.Decision, d.Reason)
		}
		return nil
	}, nil
}

func prepareRecordAccess(ctx context.Context, env *Env, _ Config) (Op, error) {
	f, err := loadConsentFixture(ctx, env)
	if err != nil {
		return nil, err
	}
	c, err := env.Client(ctx, f.provider.Name)
	if err != nil {
		return nil, err
	}
	k := consent.New(c)
	prefix := "hlb-" + env.RunID + "-r"
	return func(ctx context.Context, n uint64) error {
		_, err := k.RecordAccess(ctx, f.patient.Subject, consenttypes.ClassObservation, consenttypes.PurposeTreatment, prefix+strconv.FormatUint(n, 10))
		return err
	}, nil
}

func prepareConsentList(ctx context.Context, env *Env, _ Config) (Op, error) {
	f, err := loadConsentFixture(ctx, env)
	if err != nil {
		return nil, err
	}
	if err := growConsentsOfOthers(ctx, env, ConsentList); err != nil {
		return nil, err
	}
	c, err := env.Client(ctx, f.patient.Name)
	if err != nil {
		return nil, err
	}
	k := consent.New(c)
	return func(ctx context.Context, _ uint64) error {
		page, err := k.ListConsentsByPatient(ctx, f.patient.Subject, 10, "")
		if err != nil {
			return err
		}
		if len(page.Items) == 0 {
			return fmt.Errorf("%w: the patient's consent list is empty", ErrWrongAnswer)
		}
		return nil
	}, nil
}

// consentOthers is the population of consents of other patients that the scaling figures put on the
// ledger: synthetic patients, each holding up to 100 consents for each grantee org.
type consentOthers struct {
	mu       sync.Mutex
	patients []sdk.IdentityInfo
	// held counts the consents of each (patient, grantee) pair, patient-major.
	held  []int
	total int
}

// growConsentsOfOthers brings the consents of other patients on the ledger up to env.Records (never
// down) and notes the count for the workload's result.
func growConsentsOfOthers(ctx context.Context, env *Env, workload string) error {
	pop, err := Once(env, "consent-others", func() (*consentOthers, error) { return &consentOthers{}, nil })
	if err != nil {
		return err
	}
	pop.mu.Lock()
	defer pop.mu.Unlock()
	gs := grantees(env)
	perPatient := len(gs) * consentsPerPair
	missing := env.Records - pop.total
	if missing > 0 {
		// Enough patients for the records, and for 64 independent pairs (the preload's parallelism).
		const streams = 64
		want := max((env.Records+perPatient-1)/perPatient, (streams+len(gs)-1)/len(gs))
		if extra := want - len(pop.patients); extra > 0 {
			env.logf("%s: enrolling %d more patients for the consents of others", workload, extra)
			pats, err := env.EnrollUsers(ctx, "patient", "o"+strconv.Itoa(len(pop.patients)), extra)
			if err != nil {
				return fmt.Errorf("enrolling other patients: %w", err)
			}
			pop.patients = append(pop.patients, pats...)
			pop.held = append(pop.held, make([]int, extra*len(gs))...)
		}
		// Deal the missing consents round-robin over the pairs that have room; each pair is then
		// granted sequentially (its grants would conflict in one block), the pairs in parallel.
		queue := make([]int, len(pop.held))
		for left, i := missing, 0; left > 0; i = (i + 1) % len(queue) {
			if pop.held[i]+queue[i] < consentsPerPair {
				queue[i]++
				left--
			}
		}
		env.logf("%s: granting %d consents of other patients (%d on the ledger so far)", workload, missing, pop.total)
		var done sync.Mutex
		err := Parallel(ctx, len(queue), streams, func(ctx context.Context, pair int) error {
			if queue[pair] == 0 {
				return nil
			}
			p, g := pop.patients[pair/len(gs)], gs[pair%len(gs)]
			c, err := env.Loader(ctx, p.Name)
			if err != nil {
				return err
			}
			k := consent.New(c)
			if err := registerPatient(ctx, k); err != nil {
				return err
			}
			for range queue[pair] {
				done.Lock()
				id := fmt.Sprintf("hlb-%s-o%d-%d", env.RunID, pair, pop.held[pair])
				done.Unlock()
				if err := grantConsent(ctx, k, id, p.Subject, g); err != nil && !errors.Is(err, sdk.ErrDuplicate) {
					return fmt.Errorf("granting %s: %w", id, err)
				}
				done.Lock()
				pop.held[pair]++
				pop.total++
				done.Unlock()
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	env.setRecords(workload, pop.total)
	return nil
}
