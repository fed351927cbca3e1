package claims

import (
	"strings"
	"testing"

	"github.com/healthledger/healthledger/chaincode/claims/claimstypes"
	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/internal/cctest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTheChaincodeBuildsWithItsMetadata(t *testing.T) {
	c, err := NewChaincode()
	require.NoError(t, err)
	assert.Equal(t, "healthledger claims", c.Info().Title)
}

func TestRegisterCoverage(t *testing.T) {
	f := newFixture(t)
	terms := f.terms(nil)
	res := f.registerCoverageAs("insurer1", covID, terms)
	h := cctest.Decode[claimstypes.CoverageHeader](t, res)

	t.Run("records the payer from the caller's certificate and the hash of the terms", func(t *testing.T) {
		assert.Equal(t, covID, h.ID)
		assert.Equal(t, insurerMSP, h.InsurerMSP)
		assert.Equal(t, payer1, h.Insurer)
		assert.Equal(t, pat1, h.Member)
		assert.Equal(t, claimstypes.HashTerms(terms), h.TermsHash)
		assert.Equal(t, res.Time, h.RegisteredAt)
	})
	t.Run("keeps the terms out of public state", func(t *testing.T) {
		raw := string(f.l.State(cc, f.l.Key(objCoverage, covID)))
		require.NotEmpty(t, raw)
		for _, secret := range []string{"PPO-GOLD", "50000", "99213", terms.Nonce} {
			assert.NotContains(t, raw, secret)
		}
	})
	t.Run("keeps the terms and empty accumulators in the private collection", func(t *testing.T) {
		rec := f.coverageRecord(covID)
		assert.Equal(t, terms.Normalized(), rec.Terms)
		assert.Empty(t, rec.Accumulators)
	})
	t.Run("creates the collection's fingerprint secret once", func(t *testing.T) {
		pepper := f.l.PrivateData(cc, claimstypes.Collection, f.l.Key(objPepper))
		require.NotNil(t, pepper)
		cctest.RequireOK(t, f.registerCoverageAs("insurer1", "cov-2", f.terms(nil)))
		assert.Equal(t, pepper, f.l.PrivateData(cc, claimstypes.Collection, f.l.Key(objPepper)))
	})
	t.Run("emits CoverageRegistered without the terms", func(t *testing.T) {
		ev := cctest.RequireEvent[claimstypes.CoverageEvent](t, res, claimstypes.EventCoverageRegistered)
		assert.Equal(t, claimstypes.CoverageEvent{CoverageID: covID, InsurerMSP: insurerMSP, Insurer: payer1, TermsHash: h.TermsHash, At: res.Time}, ev)
	})
}

func TestRegisterCoverageRefusals(t *testing.T) {
	f := newFixture(t)
	cctest.RequireOK(t, f.registerCoverageAs("insurer1", covID, f.terms(nil)))
	before := f.l.Snapshot()

	t.Run("a provider may not register coverage", func(t *testing.T) {
		f.requireFails(t, f.registerCoverageAs("provider1", "cov-x", f.terms(nil)), codes.Forbidden, before)
	})
	t.Run("a caller without a role may not register coverage", func(t *testing.T) {
		f.requireFails(t, f.registerCoverageAs("noRole", "cov-x", f.terms(nil)), codes.Forbidden, before)
	})
	t.Run("a malformed coverage id is an invalid argument", func(t *testing.T) {
		f.requireFails(t, f.registerCoverageAs("insurer1", "cov x", f.terms(nil)), codes.InvalidArgument, before)
	})
	t.Run("missing transient terms are an invalid argument", func(t *testing.T) {
		res := f.l.Invoke(cc, f.who("insurer1"), "RegisterCoverage", []string{"cov-x"})
		f.requireFails(t, res, codes.InvalidArgument, before)
	})
	t.Run("terms with an unknown field are an invalid argument", func(t *testing.T) {
		res := f.l.Invoke(cc, f.who("insurer1"), "RegisterCoverage", []string{"cov-x"},
			cctest.WithTransient(map[string][]byte{claimstypes.TransientCoverage: []byte(`{"member":"pat-1","ssn":"123"}`)}))
		f.requireFails(t, res, codes.InvalidArgument, before)
	})
	t.Run("coinsurance and a copay together are an invalid argument", func(t *testing.T) {
		terms := f.terms(func(c *claimstypes.CoverageTerms) { c.CopayCents = 2_000 })
		f.requireFails(t, f.registerCoverageAs("insurer1", "cov-x", terms), codes.InvalidArgument, before)
	})
	t.Run("the same id with the same terms and a new nonce is a duplicate", func(t *testing.T) {
		f.requireFails(t, f.registerCoverageAs("insurer1", covID, f.terms(nil)), codes.Duplicate, before)
	})
	t.Run("the same id with other terms is a conflict", func(t *testing.T) {
		terms := f.terms(func(c *claimstypes.CoverageTerms) { c.DeductibleCents = 1 })
		f.requireFails(t, f.registerCoverageAs("insurer1", covID, terms), codes.Conflict, before)
	})
	t.Run("the same id from another payer is a conflict", func(t *testing.T) {
		f.requireFails(t, f.registerCoverageAs("insurer2", covID, f.terms(nil)), codes.Conflict, before)
	})
}

func TestUpdateCoverage(t *testing.T) {
	f := newFixture(t)
	f.setup()
	f.submit("clm-1")
	cctest.RequireOK(t, f.invoke("insurer1", "Adjudicate", "clm-1"))
	acc := f.coverageRecord(covID).Accumulators
	require.NotEmpty(t, acc)
	update := func(caller string, terms claimstypes.CoverageTerms) *cctest.Result {
		return f.l.Invoke(cc, f.who(caller), "UpdateCoverage", []string{covID}, cctest.WithTransientJSON(claimstypes.TransientCoverage, terms))
	}

	t.Run("another payer may not update the coverage", func(t *testing.T) {
		before := f.l.Snapshot()
		f.requireFails(t, update("insurer2", f.terms(nil)), codes.NotFound, before) // the answer of a missing coverage
	})
	t.Run("the member cannot change", func(t *testing.T) {
		before := f.l.Snapshot()
		f.requireFails(t, update("insurer1", f.terms(func(c *claimstypes.CoverageTerms) { c.Member = pat2 })), codes.InvalidArgument, before)
	})
	t.Run("an unknown coverage is not found", func(t *testing.T) {
		before := f.l.Snapshot()
		res := f.l.Invoke(cc, f.who("insurer1"), "UpdateCoverage", []string{"cov-404"}, cctest.WithTransientJSON(claimstypes.TransientCoverage, f.terms(nil)))
		f.requireFails(t, res, codes.NotFound, before)
	})
	t.Run("new terms replace the old ones and keep the accumulators", func(t *testing.T) {
		terms := f.terms(func(c *claimstypes.CoverageTerms) { c.CoinsuranceBP = 3_000 })
		res := update("insurer1", terms)
		h := cctest.Decode[claimstypes.CoverageHeader](t, res)
		assert.Equal(t, claimstypes.HashTerms(terms), h.TermsHash)
		assert.Equal(t, res.Time, h.UpdatedAt)
		rec := f.coverageRecord(covID)
		assert.Equal(t, int64(3_000), rec.Terms.CoinsuranceBP)
		assert.Equal(t, acc, rec.Accumulators)
		cctest.RequireEvent[claimstypes.CoverageEvent](t, res, claimstypes.EventCoverageUpdated)

		t.Run("and the same terms again change nothing", func(t *testing.T) {
			before := f.l.Snapshot()
			res := update("insurer1", terms)
			cctest.RequireOK(t, res)
			assert.Nil(t, res.Event)
			f.l.RequireUnchanged(t, before)
		})
	})
}

func TestCoverageReaders(t *testing.T) {
	f := newFixture(t)
	f.setup()
	cases := []struct {
		caller       string
		header, full bool
	}{
		{"insurer1", true, true},
		{"insurer2", false, false},
		{"auditor1", true, true},
		{"auditorPharma", true, false},
		{"patient1", true, true},
		{"patient2", false, false},
		{"provider1", true, false},
		{"pharmacist1", true, false},
		{"manufacturer1", false, false},
		{"rivalInsurer", false, false},
	}
	for _, tc := range cases {
		name := func(what string, ok bool) string {
			if ok {
				return tc.caller + " reads the coverage's " + what
			}
			return tc.caller + " may not read the coverage's " + what
		}
		t.Run(name("header", tc.header), func(t *testing.T) {
			res := f.evaluate(tc.caller, "GetCoverage", covID)
			if tc.header {
				assert.Equal(t, pat1, cctest.Decode[claimstypes.CoverageHeader](t, res).Member)
			} else {
				cctest.RequireCode(t, res, codes.NotFound)
				assert.Equal(t, strings.ReplaceAll(f.evaluate(tc.caller, "GetCoverage", "cov-404").Message, "cov-404", covID), res.Message)
			}
		})
		t.Run(name("terms", tc.full), func(t *testing.T) {
			res := f.evaluate(tc.caller, "GetCoverageTerms", covID)
			if tc.full {
				assert.Equal(t, "PPO-GOLD", cctest.DecodeSealed[claimstypes.CoverageRecord](t, res).Terms.PlanID)
			} else {
				cctest.RequireCode(t, res, codes.NotFound)
				assert.NotContains(t, res.Message, pat1)
			}
		})
	}
	t.Run("an unknown coverage is not found", func(t *testing.T) {
		ce := cctest.RequireCode(t, f.evaluate("insurer1", "GetCoverage", "cov-404"), codes.NotFound)
		assert.True(t, strings.Contains(ce.Message, "cov-404"))
	})
}
