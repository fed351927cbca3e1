package claims

import (
	"testing"

	"github.com/healthledger/healthledger/chaincode/claims/claimstypes"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// engineTerms is a plan for the arithmetic tests: covered 99213, 80053 and 36415 in 2024.
func engineTerms(mod func(*claimstypes.CoverageTerms)) claimstypes.CoverageTerms {
	t := claimstypes.CoverageTerms{
		Member: "pat-1", PlanID: "PPO", PeriodStart: "2024-01-01", PeriodEnd: "2024-12-31",
		CoveredCodes: []string{"36415", "80053", "99213"},
	}
	if mod != nil {
		mod(&t)
	}
	return t
}

func line(code, date string, qty, unit int64) claimstypes.ServiceLine {
	return claimstypes.ServiceLine{Code: code, ServiceDate: date, Quantity: qty, UnitChargeCents: unit}
}

// want is the expected result of one line.
type want struct {
	allowed, paid, patient int64
	denied                 bool
	adj                    map[claimstypes.AdjustmentKind]int64
}

func TestAdjudicationArithmetic(t *testing.T) {
	cases := []struct {
		name    string
		terms   claimstypes.CoverageTerms
		acc     []claimstypes.Accumulator
		lines   []claimstypes.ServiceLine
		dup     []bool
		want    []want
		outcome claimstypes.Outcome
		accOut  []claimstypes.Accumulator
	}{
		{
			name:    "a partly met deductible takes what is left of it, then coinsurance applies to the rest",
			terms:   engineTerms(func(t *claimstypes.CoverageTerms) { t.DeductibleCents = 50_000; t.CoinsuranceBP = 2_000 }),
			acc:     []claimstypes.Accumulator{{Year: 2024, DeductibleMetCents: 30_000, PaidCents: 1_000}},
			lines:   []claimstypes.ServiceLine{line("99213", "2024-03-01", 1, 50_000)},
			want:    []want{{allowed: 50_000, paid: 24_000, patient: 26_000, adj: map[claimstypes.AdjustmentKind]int64{claimstypes.AdjDeductible: 20_000, claimstypes.AdjCoinsurance: 6_000}}},
			outcome: claimstypes.OutcomeApproved,
			accOut:  []claimstypes.Accumulator{{Year: 2024, DeductibleMetCents: 50_000, PaidCents: 25_000}},
		},
		{
			name:  "a deductible larger than the claim leaves nothing for the plan to pay",
			terms: engineTerms(func(t *claimstypes.CoverageTerms) { t.DeductibleCents = 100_000; t.CoinsuranceBP = 2_000 }),
			lines: []claimstypes.ServiceLine{line("99213", "2024-03-01", 1, 15_000), line("80053", "2024-03-01", 1, 5_000)},
			want: []want{
				{allowed: 15_000, paid: 0, patient: 15_000, adj: map[claimstypes.AdjustmentKind]int64{claimstypes.AdjDeductible: 15_000}},
				{allowed: 5_000, paid: 0, patient: 5_000, adj: map[claimstypes.AdjustmentKind]int64{claimstypes.AdjDeductible: 5_000}},
			},
			outcome: claimstypes.OutcomeApproved,
			accOut:  []claimstypes.Accumulator{{Year: 2024, DeductibleMetCents: 20_000}},
		},
		{
			name:    "coinsurance is the patient's share in basis points",
			terms:   engineTerms(func(t *claimstypes.CoverageTerms) { t.CoinsuranceBP = 2_000 }),
			lines:   []claimstypes.ServiceLine{line("99213", "2024-03-01", 3, 4_115)},
			want:    []want{{allowed: 12_345, paid: 9_876, patient: 2_469, adj: map[claimstypes.AdjustmentKind]int64{claimstypes.AdjCoinsurance: 2_469}}},
			outcome: claimstypes.OutcomeApproved,
			accOut:  []claimstypes.Accumulator{{Year: 2024, PaidCents: 9_876}},
		},
		{
			name:  "coinsurance rounds half a cent up and less than half down",
			terms: engineTerms(func(t *claimstypes.CoverageTerms) { t.CoinsuranceBP = 1_000 }),
			lines: []claimstypes.ServiceLine{line("99213", "2024-03-01", 1, 25), line("80053", "2024-03-01", 1, 24)},
			want: []want{
				{allowed: 25, paid: 22, patient: 3, adj: map[claimstypes.AdjustmentKind]int64{claimstypes.AdjCoinsurance: 3}},
				{allowed: 24, paid: 22, patient: 2, adj: map[claimstypes.AdjustmentKind]int64{claimstypes.AdjCoinsurance: 2}},
			},
			outcome: claimstypes.OutcomeApproved,
			accOut:  []claimstypes.Accumulator{{Year: 2024, PaidCents: 44}},
		},
		{
			name:  "a copay is taken once per claim, from the first lines",
			terms: engineTerms(func(t *claimstypes.CoverageTerms) { t.CopayCents = 2_500 }),
			lines: []claimstypes.ServiceLine{line("99213", "2024-03-01", 1, 1_000), line("80053", "2024-03-01", 1, 3_000), line("36415", "2024-03-01", 1, 800)},
			want: []want{
				{allowed: 1_000, paid: 0, patient: 1_000, adj: map[claimstypes.AdjustmentKind]int64{claimstypes.AdjCopay: 1_000}},
				{allowed: 3_000, paid: 1_500, patient: 1_500, adj: map[claimstypes.AdjustmentKind]int64{claimstypes.AdjCopay: 1_500}},
				{allowed: 800, paid: 800, patient: 0, adj: map[claimstypes.AdjustmentKind]int64{}},
			},
			outcome: claimstypes.OutcomeApproved,
			accOut:  []claimstypes.Accumulator{{Year: 2024, PaidCents: 2_300}},
		},
		{
			name:  "a copay applies after the deductible",
			terms: engineTerms(func(t *claimstypes.CoverageTerms) { t.DeductibleCents = 5_000; t.CopayCents = 2_000 }),
			lines: []claimstypes.ServiceLine{line("99213", "2024-03-01", 1, 10_000)},
			want: []want{
				{allowed: 10_000, paid: 3_000, patient: 7_000, adj: map[claimstypes.AdjustmentKind]int64{claimstypes.AdjDeductible: 5_000, claimstypes.AdjCopay: 2_000}},
			},
			outcome: claimstypes.OutcomeApproved,
			accOut:  []claimstypes.Accumulator{{Year: 2024, DeductibleMetCents: 5_000, PaidCents: 3_000}},
		},
		{
			name:  "the annual limit crossed mid-claim cuts one line in part and denies the next",
			terms: engineTerms(func(t *claimstypes.CoverageTerms) { t.AnnualLimitCents = 100_000 }),
			acc:   []claimstypes.Accumulator{{Year: 2024, PaidCents: 90_000}},
			lines: []claimstypes.ServiceLine{line("99213", "2024-03-01", 1, 8_000), line("80053", "2024-03-01", 1, 8_000), line("36415", "2024-03-01", 1, 8_000)},
			want: []want{
				{allowed: 8_000, paid: 8_000, patient: 0, adj: map[claimstypes.AdjustmentKind]int64{}},
				{allowed: 8_000, paid: 2_000, patient: 6_000, adj: map[claimstypes.AdjustmentKind]int64{claimstypes.AdjBenefitMaximum: 6_000}},
				{allowed: 8_000, paid: 0, patient: 8_000, denied: true, adj: map[claimstypes.AdjustmentKind]int64{claimstypes.AdjBenefitMaximum: 8_000}},
			},
			outcome: claimstypes.OutcomePartial,
			accOut:  []claimstypes.Accumulator{{Year: 2024, PaidCents: 100_000}},
		},
		{
			name:  "the annual limit caps the plan's share after coinsurance",
			terms: engineTerms(func(t *claimstypes.CoverageTerms) { t.CoinsuranceBP = 2_000; t.AnnualLimitCents = 10_000 }),
			acc:   []claimstypes.Accumulator{{Year: 2024, PaidCents: 6_000}},
			lines: []claimstypes.ServiceLine{line("99213", "2024-03-01", 1, 10_000)},
			want: []want{
				{allowed: 10_000, paid: 4_000, patient: 6_000, adj: map[claimstypes.AdjustmentKind]int64{claimstypes.AdjCoinsurance: 2_000, claimstypes.AdjBenefitMaximum: 4_000}},
			},
			outcome: claimstypes.OutcomePartial,
			accOut:  []claimstypes.Accumulator{{Year: 2024, PaidCents: 10_000}},
		},
		{
			name:  "a line whose code the coverage does not list is denied as not covered",
			terms: engineTerms(func(t *claimstypes.CoverageTerms) { t.CoinsuranceBP = 2_000 }),
			lines: []claimstypes.ServiceLine{line("99213", "2024-03-01", 1, 10_000), line("97110", "2024-03-01", 2, 4_000)},
			want: []want{
				{allowed: 10_000, paid: 8_000, patient: 2_000, adj: map[claimstypes.AdjustmentKind]int64{claimstypes.AdjCoinsurance: 2_000}},
				{allowed: 0, paid: 0, patient: 0, denied: true, adj: map[claimstypes.AdjustmentKind]int64{claimstypes.AdjNotCovered: 8_000}},
			},
			outcome: claimstypes.OutcomePartial,
			accOut:  []claimstypes.Accumulator{{Year: 2024, PaidCents: 8_000}},
		},
		{
			name:  "lines outside the coverage period are denied and every line denied denies the claim",
			terms: engineTerms(func(t *claimstypes.CoverageTerms) { t.PeriodStart = "2024-02-01"; t.PeriodEnd = "2024-02-29" }),
			lines: []claimstypes.ServiceLine{line("99213", "2024-01-31", 1, 10_000), line("99213", "2024-03-01", 1, 10_000)},
			want: []want{
				{denied: true, adj: map[claimstypes.AdjustmentKind]int64{claimstypes.AdjOutsidePeriod: 10_000}},
				{denied: true, adj: map[claimstypes.AdjustmentKind]int64{claimstypes.AdjOutsidePeriod: 10_000}},
			},
			outcome: claimstypes.OutcomeDenied,
			accOut:  []claimstypes.Accumulator{},
		},
		{
			name:  "a duplicate line is denied before any other rule",
			terms: engineTerms(nil),
			lines: []claimstypes.ServiceLine{line("99213", "2024-03-01", 1, 10_000), line("97110", "2023-03-01", 1, 10_000)},
			dup:   []bool{false, true},
			want: []want{
				{allowed: 10_000, paid: 10_000, adj: map[claimstypes.AdjustmentKind]int64{}},
				{denied: true, adj: map[claimstypes.AdjustmentKind]int64{claimstypes.AdjDuplicate: 10_000}},
			},
			outcome: claimstypes.OutcomePartial,
			accOut:  []claimstypes.Accumulator{{Year: 2024, PaidCents: 10_000}},
		},
		{
			name: "the fee schedule caps the allowed amount and the deductible applies to the allowed amount",
			terms: engineTerms(func(t *claimstypes.CoverageTerms) {
				t.DeductibleCents = 1_000
				t.FeeSchedule = []claimstypes.FeeScheduleEntry{{Code: "99213", AllowedUnitCents: 9_000}, {Code: "80053", AllowedUnitCents: 99_999}}
			}),
			lines: []claimstypes.ServiceLine{line("99213", "2024-03-01", 2, 12_000), line("80053", "2024-03-01", 1, 3_000)},
			want: []want{
				{allowed: 18_000, paid: 17_000, patient: 1_000, adj: map[claimstypes.AdjustmentKind]int64{claimstypes.AdjFeeSchedule: 6_000, claimstypes.AdjDeductible: 1_000}},
				{allowed: 3_000, paid: 3_000, adj: map[claimstypes.AdjustmentKind]int64{}},
			},
			outcome: claimstypes.OutcomeApproved,
			accOut:  []claimstypes.Accumulator{{Year: 2024, DeductibleMetCents: 1_000, PaidCents: 20_000}},
		},
		{
			name: "each calendar year of service has its own deductible and limit",
			terms: engineTerms(func(t *claimstypes.CoverageTerms) {
				t.PeriodStart = "2024-07-01"
				t.PeriodEnd = "2025-06-30"
				t.DeductibleCents = 5_000
			}),
			acc:   []claimstypes.Accumulator{{Year: 2024, DeductibleMetCents: 5_000}},
			lines: []claimstypes.ServiceLine{line("99213", "2024-12-31", 1, 10_000), line("99213", "2025-01-02", 1, 10_000)},
			want: []want{
				{allowed: 10_000, paid: 10_000, adj: map[claimstypes.AdjustmentKind]int64{}},
				{allowed: 10_000, paid: 5_000, patient: 5_000, adj: map[claimstypes.AdjustmentKind]int64{claimstypes.AdjDeductible: 5_000}},
			},
			outcome: claimstypes.OutcomeApproved,
			accOut:  []claimstypes.Accumulator{{Year: 2024, DeductibleMetCents: 5_000, PaidCents: 10_000}, {Year: 2025, DeductibleMetCents: 5_000, PaidCents: 5_000}},
		},
		{
			name:    "a covered line with no charge is approved with nothing to pay",
			terms:   engineTerms(func(t *claimstypes.CoverageTerms) { t.CoinsuranceBP = 2_000 }),
			lines:   []claimstypes.ServiceLine{line("36415", "2024-03-01", 1, 0)},
			want:    []want{{adj: map[claimstypes.AdjustmentKind]int64{}}},
			outcome: claimstypes.OutcomeApproved,
			accOut:  []claimstypes.Accumulator{},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dup := tc.dup
			if dup == nil {
				dup = make([]bool, len(tc.lines))
			}
			got := adjudicateLines(tc.terms, tc.acc, tc.lines, dup)
			require.Len(t, got.result.Lines, len(tc.want))
			var charge, allowed, paid, patient int64
			for i, w := range tc.want {
				l := got.result.Lines[i]
				assert.Equal(t, i+1, l.Sequence)
				assert.Equal(t, tc.lines[i].ChargeCents(), l.ChargeCents, "line %d charge", i+1)
				assert.Equal(t, w.allowed, l.AllowedCents, "line %d allowed", i+1)
				assert.Equal(t, w.paid, l.PaidCents, "line %d paid", i+1)
				assert.Equal(t, w.patient, l.PatientRespCents, "line %d patient responsibility", i+1)
				assert.Equal(t, w.denied, l.Denied, "line %d denied", i+1)
				adj := map[claimstypes.AdjustmentKind]int64{}
				for _, a := range l.Adjustments {
					adj[a.Kind] += a.AmountCents
				}
				assert.Equal(t, w.adj, adj, "line %d adjustments", i+1)
				requireBalanced(t, l)
				charge += l.ChargeCents
				allowed += l.AllowedCents
				paid += l.PaidCents
				patient += l.PatientRespCents
			}
			assert.Equal(t, tc.outcome, got.result.Outcome)
			assert.Equal(t, charge, got.result.TotalChargeCents)
			assert.Equal(t, allowed, got.result.TotalAllowedCents)
			assert.Equal(t, paid, got.result.TotalPaidCents)
			assert.Equal(t, patient, got.result.TotalPatientRespCents)
			assert.Equal(t, tc.accOut, got.accumulators)
		})
	}
}

// requireBalanced checks a line's books: charge = allowed + CO/OA adjustments, and allowed = paid +
// patient responsibility = paid + PR adjustments.
func requireBalanced(t *testing.T, l claimstypes.LineResult) {
	t.Helper()
	var pr, other int64
	for _, a := range l.Adjustments {
		if !l.Denied {
			require.Positive(t, a.AmountCents, "an adjustment of line %d has no amount", l.Sequence)
		}
		if a.Group == claimstypes.GroupPatient {
			pr += a.AmountCents
		} else {
			other += a.AmountCents
		}
	}
	if l.ChargeCents > 0 || !l.Denied {
		require.Equal(t, l.ChargeCents, l.AllowedCents+other, "line %d: charge is not allowed + CO/OA", l.Sequence)
	}
	require.Equal(t, l.AllowedCents, l.PaidCents+l.PatientRespCents, "line %d: allowed is not paid + patient", l.Sequence)
	require.Equal(t, l.PatientRespCents, pr, "line %d: patient responsibility is not the PR adjustments", l.Sequence)
}

func TestAdjudicationCarriesTheX12Codes(t *testing.T) {
	terms := engineTerms(func(t *claimstypes.CoverageTerms) {
		t.DeductibleCents = 100
		t.CoinsuranceBP = 1_000
		t.AnnualLimitCents = 1_000
		t.PeriodStart, t.PeriodEnd = "2024-02-01", "2024-11-30"
		t.FeeSchedule = []claimstypes.FeeScheduleEntry{{Code: "99213", AllowedUnitCents: 2_000}}
	})
	lines := []claimstypes.ServiceLine{
		line("99213", "2024-03-01", 1, 3_000), // CO-45, PR-1, PR-2, PR-119
		line("97110", "2024-03-01", 1, 100),   // CO-96
		line("99213", "2024-01-01", 1, 100),   // CO-26
		line("99213", "2024-12-01", 1, 100),   // CO-27
		line("80053", "2024-03-01", 1, 100),   // OA-18
	}
	got := adjudicateLines(terms, nil, lines, []bool{false, false, false, false, true})
	codesOf := func(i int) []string {
		out := []string{}
		for _, a := range got.result.Lines[i].Adjustments {
			out = append(out, a.Group+"-"+a.Reason)
		}
		return out
	}
	assert.Equal(t, []string{"CO-45", "PR-1", "PR-2", "PR-119"}, codesOf(0))
	assert.Equal(t, []string{"CO-96"}, codesOf(1))
	assert.Equal(t, []string{"CO-26"}, codesOf(2))
	assert.Equal(t, []string{"CO-27"}, codesOf(3))
	assert.Equal(t, []string{"OA-18"}, codesOf(4))
	assert.Equal(t, []bool{true, false, false, false, false}, got.indexed)
}

func TestAdjudicationIsDeterministic(t *testing.T) {
	terms := engineTerms(func(t *claimstypes.CoverageTerms) {
		t.DeductibleCents = 7_777
		t.CoinsuranceBP = 3_333
		t.AnnualLimitCents = 50_000
	})
	lines := []claimstypes.ServiceLine{line("99213", "2024-03-01", 3, 9_999), line("80053", "2024-04-01", 7, 1_234), line("36415", "2024-05-01", 1, 45_678)}
	acc := []claimstypes.Accumulator{{Year: 2024, DeductibleMetCents: 1_000, PaidCents: 2_000}}
	first := adjudicateLines(terms, acc, lines, nil)
	for i := 0; i < 20; i++ {
		require.Equal(t, first, adjudicateLines(terms, acc, lines, nil))
	}
	assert.Equal(t, []claimstypes.Accumulator{{Year: 2024, DeductibleMetCents: 1_000, PaidCents: 2_000}}, acc, "the input accumulators are not modified")
}

func TestReversingAnAdjudicationRestoresTheAccumulators(t *testing.T) {
	terms := engineTerms(func(t *claimstypes.CoverageTerms) {
		t.PeriodEnd = "2025-12-31"
		t.DeductibleCents = 20_000
		t.CoinsuranceBP = 2_000
		t.AnnualLimitCents = 60_000
	})
	before := []claimstypes.Accumulator{{Year: 2023, PaidCents: 5}, {Year: 2024, DeductibleMetCents: 5_000, PaidCents: 40_000}}
	lines := []claimstypes.ServiceLine{line("99213", "2024-03-01", 1, 30_000), line("80053", "2024-03-02", 1, 30_000), line("36415", "2025-01-02", 1, 30_000)}
	got := adjudicateLines(terms, before, lines, nil)
	require.NotEqual(t, before, got.accumulators)
	assert.Equal(t, before, reverseAdjudication(got.accumulators, &got.result))
}

// TestTheWorkedExampleOfTheDocs keeps docs/claims.md honest: it is the example printed there.
func TestTheWorkedExampleOfTheDocs(t *testing.T) {
	terms := engineTerms(func(t *claimstypes.CoverageTerms) {
		t.CoveredCodes = []string{"36415", "80053", "99214"}
		t.DeductibleCents = 50_000
		t.CoinsuranceBP = 2_000
		t.AnnualLimitCents = 1_000_000
		t.FeeSchedule = []claimstypes.FeeScheduleEntry{{Code: "99214", AllowedUnitCents: 13_000}}
	})
	acc := []claimstypes.Accumulator{{Year: 2024, DeductibleMetCents: 40_000, PaidCents: 995_000}}
	lines := []claimstypes.ServiceLine{
		line("99214", "2024-06-03", 1, 18_000),
		line("80053", "2024-06-03", 1, 4_555),
		line("97110", "2024-06-03", 2, 6_000),
		line("36415", "2024-06-03", 1, 1_249),
	}
	got := adjudicateLines(terms, acc, lines, nil)
	type row struct{ allowed, paid, patient int64 }
	rows := []row{}
	for _, l := range got.result.Lines {
		rows = append(rows, row{l.AllowedCents, l.PaidCents, l.PatientRespCents})
		requireBalanced(t, l)
	}
	assert.Equal(t, []row{{13_000, 2_400, 10_600}, {4_555, 2_600, 1_955}, {0, 0, 0}, {1_249, 0, 1_249}}, rows)
	assert.Equal(t, []bool{false, false, true, true}, []bool{got.result.Lines[0].Denied, got.result.Lines[1].Denied, got.result.Lines[2].Denied, got.result.Lines[3].Denied})
	assert.Equal(t, claimstypes.OutcomePartial, got.result.Outcome)
	assert.Equal(t, int64(35_804), got.result.TotalChargeCents)
	assert.Equal(t, int64(18_804), got.result.TotalAllowedCents)
	assert.Equal(t, int64(5_000), got.result.TotalPaidCents)
	assert.Equal(t, int64(13_804), got.result.TotalPatientRespCents)
	assert.Equal(t, []claimstypes.Accumulator{{Year: 2024, DeductibleMetCents: 50_000, PaidCents: 1_000_000}}, got.accumulators)
}
