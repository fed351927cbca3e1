package claims

import (
	"slices"
	"strconv"

	"github.com/healthledger/healthledger/chaincode/claims/claimstypes"
)

// The X12 claim adjustment reason codes (CARC) the contract uses.
const (
	carcDeductible     = "1"
	carcCoinsurance    = "2"
	carcCopay          = "3"
	carcDuplicate      = "18"
	carcBeforePeriod   = "26"
	carcAfterPeriod    = "27"
	carcFeeSchedule    = "45"
	carcNotCovered     = "96"
	carcBenefitMaximum = "119"
)

// adjudication is the pure result of adjudicateLines.
type adjudication struct {
	result       claimstypes.Adjudication  // Outcome, Lines and totals; the caller fills the rest
	accumulators []claimstypes.Accumulator // the coverage's accumulators after this claim
	indexed      []bool                    // per line: processed, so held in the line duplicate index
}

// adjudicateLines computes a claim's adjudication from the coverage terms, the coverage's
// accumulators and the claim's lines. duplicate[i] says line i is an exact duplicate of a service
// already processed. It uses integer cents only, and reads nothing but its arguments, so every
// endorsing peer computes the same result.
//
// Lines are processed in order. A line is denied for the whole charge, checking in this order:
// an exact duplicate (OA-18), a date of service before (CO-26) or after (CO-27) the coverage period, a
// code the coverage does not list (CO-96). Otherwise:
//
//	allowed  = charge, capped at quantity x fee-schedule unit price (CO-45 for the difference)
//	deduct   = min(allowed, deductible - deductible met this year)                  PR-1
//	rest     = allowed - deduct
//	copay    = min(rest, copay not yet taken by earlier lines of this claim)        PR-3
//	  or coins = round half up(rest x coinsurance bp / 10000)                       PR-2
//	plan     = rest - copay - coins
//	paid     = min(plan, annual limit - paid this year)  (no cap when the limit is 0)
//	excess   = plan - paid                                                          PR-119
//	patient responsibility = deduct + copay + coins + excess
//
// "This year" is the calendar year of the date of service; each line updates the accumulators before
// the next line is computed. A line whose plan share is cut to zero by the annual limit counts as
// denied; one cut only in part counts as reduced. The outcome is denied when every line is denied,
// approved when none is denied or reduced, partial otherwise.
func adjudicateLines(terms claimstypes.CoverageTerms, acc []claimstypes.Accumulator, lines []claimstypes.ServiceLine, duplicate []bool) adjudication {
	covered := make(map[string]bool, len(terms.CoveredCodes))
	for _, c := range terms.CoveredCodes {
		covered[c] = true
	}
	fees := make(map[string]int64, len(terms.FeeSchedule))
	for _, f := range terms.FeeSchedule {
		fees[f.Code] = f.AllowedUnitCents
	}
	totals := accumulatorMap(acc)
	copayLeft := terms.CopayCents

	out := adjudication{
		result:  claimstypes.Adjudication{Lines: make([]claimstypes.LineResult, 0, len(lines))},
		indexed: make([]bool, len(lines)),
	}
	denied, reduced := 0, 0
	for i, l := range lines {
		charge := l.ChargeCents()
		r := claimstypes.LineResult{Sequence: i + 1, Code: l.Code, ServiceDate: l.ServiceDate, ChargeCents: charge, Adjustments: []claimstypes.Adjustment{}}
		if adj, ok := denial(terms, covered, l, i < len(duplicate) && duplicate[i]); ok {
			adj.AmountCents = charge
			r.Denied = true
			r.Adjustments = append(r.Adjustments, adj)
			out.result.Lines = append(out.result.Lines, r)
			out.result.TotalChargeCents += charge
			denied++
			continue
		}
		out.indexed[i] = true

		allowed := charge
		if unit, ok := fees[l.Code]; ok && unit*l.Quantity < allowed {
			r.Adjustments = appendAdj(r.Adjustments, claimstypes.GroupContractual, carcFeeSchedule, claimstypes.AdjFeeSchedule, allowed-unit*l.Quantity)
			allowed = unit * l.Quantity
		}
		a := totals.year(serviceYear(l.ServiceDate))

		deduct := min(allowed, max(0, terms.DeductibleCents-a.DeductibleMetCents))
		a.DeductibleMetCents += deduct
		rest := allowed - deduct

		var copay, coins int64
		if terms.CopayCents > 0 {
			copay = min(rest, copayLeft)
			copayLeft -= copay
		} else {
			coins = roundHalfUp(rest*terms.CoinsuranceBP, claimstypes.BasisPoints)
		}
		plan := rest - copay - coins

		paid := plan
		if terms.AnnualLimitCents > 0 {
			paid = min(plan, max(0, terms.AnnualLimitCents-a.PaidCents))
		}
		excess := plan - paid
		a.PaidCents += paid

		r.Adjustments = appendAdj(r.Adjustments, claimstypes.GroupPatient, carcDeductible, claimstypes.AdjDeductible, deduct)
		r.Adjustments = appendAdj(r.Adjustments, claimstypes.GroupPatient, carcCoinsurance, claimstypes.AdjCoinsurance, coins)
		r.Adjustments = appendAdj(r.Adjustments, claimstypes.GroupPatient, carcCopay, claimstypes.AdjCopay, copay)
		r.Adjustments = appendAdj(r.Adjustments, claimstypes.GroupPatient, carcBenefitMaximum, claimstypes.AdjBenefitMaximum, excess)
		r.AllowedCents = allowed
		r.PaidCents = paid
		r.PatientRespCents = deduct + copay + coins + excess
		if excess > 0 {
			if paid == 0 {
				r.Denied = true
				denied++
			} else {
				reduced++
			}
		}
		out.result.Lines = append(out.result.Lines, r)
		out.result.TotalChargeCents += charge
		out.result.TotalAllowedCents += allowed
		out.result.TotalPaidCents += paid
		out.result.TotalPatientRespCents += r.PatientRespCents
	}
	switch {
	case denied == len(lines):
		out.result.Outcome = claimstypes.OutcomeDenied
	case denied == 0 && reduced == 0:
		out.result.Outcome = claimstypes.OutcomeApproved
	default:
		out.result.Outcome = claimstypes.OutcomePartial
	}
	out.accumulators = totals.slice()
	return out
}

// denial returns the adjustment that denies a line outright, if one applies.
func denial(terms claimstypes.CoverageTerms, covered map[string]bool, l claimstypes.ServiceLine, duplicate bool) (claimstypes.Adjustment, bool) {
	switch {
	case duplicate:
		return claimstypes.Adjustment{Group: claimstypes.GroupOther, Reason: carcDuplicate, Kind: claimstypes.AdjDuplicate}, true
	case l.ServiceDate < terms.PeriodStart:
		return claimstypes.Adjustment{Group: claimstypes.GroupContractual, Reason: carcBeforePeriod, Kind: claimstypes.AdjOutsidePeriod}, true
	case l.ServiceDate > terms.PeriodEnd:
		return claimstypes.Adjustment{Group: claimstypes.GroupContractual, Reason: carcAfterPeriod, Kind: claimstypes.AdjOutsidePeriod}, true
	case !covered[l.Code]:
		return claimstypes.Adjustment{Group: claimstypes.GroupContractual, Reason: carcNotCovered, Kind: claimstypes.AdjNotCovered}, true
	}
	return claimstypes.Adjustment{}, false
}

func appendAdj(adjs []claimstypes.Adjustment, group, reason string, kind claimstypes.AdjustmentKind, cents int64) []claimstypes.Adjustment {
	if cents == 0 {
		return adjs
	}
	return append(adjs, claimstypes.Adjustment{Group: group, Reason: reason, Kind: kind, AmountCents: cents})
}

// roundHalfUp divides a non-negative n by d, rounding halves up: the contract's one rounding rule.
func roundHalfUp(n, d int64) int64 {
	return (n + d/2) / d
}

// serviceYear is the calendar year of a validated YYYY-MM-DD date.
func serviceYear(date string) int {
	y, _ := strconv.Atoi(date[:4])
	return y
}

// reverseAdjudication takes a previous adjudication's contributions back out of the accumulators:
// the deductible it applied and what it paid, per year of service. It runs before a re-adjudication
// and when an adjudicated claim is replaced.
func reverseAdjudication(acc []claimstypes.Accumulator, prev *claimstypes.Adjudication) []claimstypes.Accumulator {
	totals := accumulatorMap(acc)
	for _, l := range prev.Lines {
		var deduct int64
		for _, a := range l.Adjustments {
			if a.Kind == claimstypes.AdjDeductible {
				deduct += a.AmountCents
			}
		}
		if deduct == 0 && l.PaidCents == 0 {
			continue
		}
		a := totals.year(serviceYear(l.ServiceDate))
		a.DeductibleMetCents = max(0, a.DeductibleMetCents-deduct)
		a.PaidCents = max(0, a.PaidCents-l.PaidCents)
	}
	return totals.slice()
}

// accumulators indexes a coverage's accumulators by year.
type accumulators map[int]*claimstypes.Accumulator

func accumulatorMap(acc []claimstypes.Accumulator) accumulators {
	m := make(accumulators, len(acc))
	for _, a := range acc {
		a := a
		m[a.Year] = &a
	}
	return m
}

func (m accumulators) year(y int) *claimstypes.Accumulator {
	a, ok := m[y]
	if !ok {
		a = &claimstypes.Accumulator{Year: y}
		m[y] = a
	}
	return a
}

// slice returns the non-zero accumulators, oldest year first.
func (m accumulators) slice() []claimstypes.Accumulator {
	out := make([]claimstypes.Accumulator, 0, len(m))
	for _, a := range m {
		if a.DeductibleMetCents != 0 || a.PaidCents != 0 {
			out = append(out, *a)
		}
	}
	slices.SortFunc(out, func(a, b claimstypes.Accumulator) int { return a.Year - b.Year })
	return out
}
