package claims

import (
	"fmt"
	"testing"

	"github.com/healthledger/healthledger/chaincode/claims/claimstypes"
	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/internal/cctest"
)

// fullTerms is a coverage of patient1 at the bounds: MaxCoveredCodes CPT codes, each with a fee
// schedule entry.
func fullTerms(f *fixture) claimstypes.CoverageTerms {
	return f.terms(func(t *claimstypes.CoverageTerms) {
		t.CoveredCodes = make([]string, claimstypes.MaxCoveredCodes)
		t.FeeSchedule = make([]claimstypes.FeeScheduleEntry, claimstypes.MaxFeeSchedule)
		for i := range t.CoveredCodes {
			t.CoveredCodes[i] = fmt.Sprintf("%05d", 10_000+i)
			t.FeeSchedule[i] = claimstypes.FeeScheduleEntry{Code: t.CoveredCodes[i], AllowedUnitCents: 9_000}
		}
		t.AnnualLimitCents = 0
	})
}

// fullDetails is a professional claim at the bounds: MaxDiagnoses diagnoses and MaxLines lines, each
// pointing at every diagnosis.
func fullDetails(f *fixture, charge int64) claimstypes.ClaimDetails {
	return f.details(func(d *claimstypes.ClaimDetails) {
		d.Diagnoses = make([]string, claimstypes.MaxDiagnoses)
		pointers := make([]int, claimstypes.MaxDiagnoses)
		for i := range d.Diagnoses {
			d.Diagnoses[i] = fmt.Sprintf("E%02d.9", 10+i)
			pointers[i] = i + 1
		}
		d.Lines = make([]claimstypes.ServiceLine, claimstypes.MaxLines)
		for i := range d.Lines {
			d.Lines[i] = claimstypes.ServiceLine{Code: fmt.Sprintf("%05d", 10_000+i), ServiceDate: "2024-12-01", Quantity: 3,
				UnitChargeCents: charge, DiagnosisPointers: pointers}
		}
	})
}

// pharmacyDetails is a pharmacy claim at the bounds: MaxLines drug lines, each naming a unit that the
// fake provenance knows as dispensed by pharmacist1.
func pharmacyDetails(f *fixture) claimstypes.ClaimDetails {
	return f.details(func(d *claimstypes.ClaimDetails) {
		d.Lines = make([]claimstypes.ServiceLine, claimstypes.MaxLines)
		for i := range d.Lines {
			serial := fmt.Sprintf("SER%017d", i)
			f.unit(serial, "dispensed", f.pharmacy(), false)
			d.Lines[i] = claimstypes.ServiceLine{Code: testGTIN, ServiceDate: "2024-12-01", Quantity: 1, UnitChargeCents: 1_000,
				Unit: &claimstypes.UnitRef{GTIN: testGTIN, Serial: serial}}
		}
	})
}

// BenchmarkWorstInput measures, through the chaincode's real Invoke (as Evaluate, so the ledger stays
// as set up), the most expensive inputs within the bounds of docs/claims.md: the largest coverage
// terms, the largest claims, and the adjudication of the one against the other.
//
//	go test -run '^$' -bench WorstInput ./chaincode/claims/
func BenchmarkWorstInput(b *testing.B) {
	cases := []struct {
		name string
		call func(f *fixture) (who, fn string, args []string, transient map[string][]byte)
		want codes.Code
	}{
		{"RegisterCoverage with 2,000 covered codes and 2,000 fee schedule entries", func(f *fixture) (string, string, []string, map[string][]byte) {
			return "insurer1", "RegisterCoverage", []string{"cov-big2"}, jsonTransient(f.t, claimstypes.TransientCoverage, fullTerms(f))
		}, ""},
		{"SubmitClaim with 12 diagnoses and 50 lines", func(f *fixture) (string, string, []string, map[string][]byte) {
			return "provider1", "SubmitClaim", []string{toJSON(f.t, submission("c-big2"))}, jsonTransient(f.t, claimstypes.TransientClaim, fullDetails(f, 2_000))
		}, ""},
		{"SubmitClaim of a pharmacy with 50 drug lines, 50 calls to provenance", func(f *fixture) (string, string, []string, map[string][]byte) {
			return "pharmacist1", "SubmitClaim", []string{toJSON(f.t, submission("c-drugs"))}, jsonTransient(f.t, claimstypes.TransientClaim, pharmacyDetails(f))
		}, ""},
		{"Adjudicate 50 lines against 2,000 codes and fees", func(f *fixture) (string, string, []string, map[string][]byte) {
			return "insurer1", "Adjudicate", []string{"c-big"}, nil
		}, ""},
		{"RegisterCoverage with 2,001 covered codes, refused before normalising", func(f *fixture) (string, string, []string, map[string][]byte) {
			terms := fullTerms(f)
			terms.CoveredCodes = append(terms.CoveredCodes, "99999")
			return "insurer1", "RegisterCoverage", []string{"cov-big2"}, jsonTransient(f.t, claimstypes.TransientCoverage, terms)
		}, codes.InvalidArgument},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			f := newFixture(b)
			cctest.RequireOK(b, f.registerCoverageAs("insurer1", covID, fullTerms(f)))
			f.permit(pat1)
			cctest.RequireOK(b, f.submitAs("provider1", submission("c-big"), fullDetails(f, 1_000)))
			who, fn, args, transient := tc.call(f)
			id := f.who(who)
			res := f.l.Evaluate(cc, id, fn, args, cctest.WithTransient(transient))
			if tc.want == "" {
				cctest.RequireOK(b, res)
			} else {
				cctest.RequireCode(b, res, tc.want)
			}
			n := 0
			for _, a := range args {
				n += len(a)
			}
			for _, v := range transient {
				n += len(v)
			}
			b.SetBytes(int64(n))
			for b.Loop() {
				f.l.Evaluate(cc, id, fn, args, cctest.WithTransient(transient))
			}
		})
	}
}
