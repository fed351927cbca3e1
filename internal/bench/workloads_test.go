package bench

import (
	"strconv"
	"testing"
	"time"

	"github.com/healthledger/healthledger/chaincode/claims/claimstypes"
	"github.com/healthledger/healthledger/chaincode/consent/consenttypes"
	"github.com/healthledger/healthledger/chaincode/provenance/provenancetypes"
	"github.com/stretchr/testify/require"
)

func TestRegistry(t *testing.T) {
	specs := Workloads().All()
	seen := map[string]bool{}
	for _, s := range specs {
		t.Run(s.Name+" is complete", func(t *testing.T) {
			require.False(t, seen[s.Name], "names are unique")
			seen[s.Name] = true
			require.NotEmpty(t, s.Summary)
			require.NotEmpty(t, s.Chaincode)
			require.Contains(t, []Kind{Submit, Evaluate}, s.Kind)
			require.NotNil(t, s.Prepare)
			if s.Target != nil {
				require.Positive(t, s.Target.MinRatio)
			}
		})
	}
	t.Run("the issue's workloads are all registered", func(t *testing.T) {
		for _, name := range []string{BaselineWrite, BaselineRead, ConsentGrant, ConsentCheckAccess, ConsentRecordAccess,
			ProvenanceShipReceive, ProvenanceVerify, ClaimsSubmit, ClaimsAdjudicate} {
			require.True(t, seen[name], name)
		}
	})
	t.Run("the targets are the issue's", func(t *testing.T) {
		reg := Workloads()
		for name, want := range map[string]Target{
			ConsentGrant: {MinRatio: 0.8}, ConsentRecordAccess: {MinRatio: 0.8}, ProvenanceShipReceive: {MinRatio: 0.8},
			ClaimsSubmit: {MinRatio: 0.5}, ConsentCheckAccess: {MinRatio: 0.8, MaxP50: Duration(20 * time.Millisecond)},
			ProvenanceVerify: {MinRatio: 0.8, MaxP50: Duration(20 * time.Millisecond)},
		} {
			s, err := reg.Get(name)
			require.NoError(t, err)
			require.Equal(t, want, *s.Target, name)
		}
	})
}

func TestGeneratedIdentifiersAreValid(t *testing.T) {
	// A long run id and large operation numbers: the worst case for length limits.
	for _, runID := range []string{newRunID(), "zzzzzzzzzffff"} {
		t.Run("ids of run "+runID, func(t *testing.T) {
			gtin := benchGTIN(runID)
			norm, err := provenancetypes.NormalizeGTIN(gtin)
			require.NoError(t, err)
			require.Equal(t, gtin, norm, "a GTIN-14 with its check digit")
			tag := shortTag(runID)
			require.LessOrEqual(t, len(tag), 8)
			for _, lot := range []string{"S" + tag + "-" + strconv.Itoa(999), "V" + tag, "O" + tag + "-" + strconv.Itoa(9999)} {
				require.NoError(t, provenancetypes.CheckLot(lot), lot)
			}
			for _, serial := range []string{"O" + tag + "-9999-99", "V" + tag + "-999", "S" + tag + "-999-9"} {
				require.NoError(t, provenancetypes.CheckSerial(serial), serial)
			}
			big := strconv.FormatUint(1<<40, 10)
			for _, id := range []string{"hlb-" + runID + "-g" + big, "hlb-" + runID + "-o9999-99", "hlb-" + runID + "-r" + big,
				"hlb-" + runID + "-s" + big, "hlb-" + runID + "-cov" + big, "hlb-" + runID + "-a99-" + big} {
				require.NoError(t, consenttypes.CheckID("id", id), id)
				require.NoError(t, claimstypes.CheckID("id", id), id)
			}
			require.NoError(t, consenttypes.CheckID("patient", "pat-"+runID+"-o9999-99999"))
		})
	}
}

func TestClaimCharges(t *testing.T) {
	f := &claimsFixture{coverages: []string{"c0", "c1"}, chargeBase: 1_000 + 8999*100_000}
	seen := map[int64]bool{}
	for _, n := range []uint64{0, 1, 99_999, 100_000 / 7 * 3} {
		sub, d, err := f.claim("id", n)
		require.NoError(t, err)
		require.NoError(t, d.Validate(claimstypes.ClaimProfessional, time.Now().UTC().Format(claimstypes.DateLayout)))
		require.Less(t, d.Lines[0].UnitChargeCents, int64(1_000_000_000))
		require.False(t, seen[d.TotalCents], "distinct charges make distinct fingerprints")
		seen[d.TotalCents] = true
		require.Equal(t, f.coverages[n%2], sub.CoverageID)
	}
}

func TestAdjudicationPool(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want int
	}{
		{"a count covers the count, the warm-up and one per worker", Config{Concurrency: 4, Count: 100, Warmup: Duration(time.Second)}, 100 + poolRateCap + 4},
		{"a timed run covers the cap rate over warm-up and window", Config{Concurrency: 8, Duration: Duration(10 * time.Second), Warmup: Duration(2 * time.Second)}, 12*poolRateCap + 8},
		{"a rate limit sizes the pool instead of the cap", Config{Concurrency: 8, Duration: Duration(10 * time.Second), Rate: 50}, 500 + 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { require.Equal(t, tt.want, adjudicationPool(tt.cfg)) })
	}
}

func TestConsentGrantOperationsInFlightNeverSharePairs(t *testing.T) {
	// prepareConsentGrant enrolls max(16, ceil(4c/g)) patients; operations in flight are c
	// consecutive numbers (closed loop), which must land on c distinct (patient, org) pairs.
	for _, c := range []int{1, 8, 48, 96} {
		for _, g := range []int{2, 3} {
			pats := max(16, (4*c+g-1)/g)
			pairs := pats * g
			t.Run("concurrency "+strconv.Itoa(c)+" over "+strconv.Itoa(g)+" orgs", func(t *testing.T) {
				for start := 0; start < 3*pairs; start += 7 {
					used := map[int]bool{}
					for n := start; n < start+2*c; n++ { // twice c: stragglers from the previous round
						p := n % pairs
						require.False(t, used[p], "ops %d..%d share pair %d", start, start+2*c, p)
						used[p] = true
					}
				}
			})
		}
	}
}
