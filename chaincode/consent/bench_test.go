package consent_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/consent/consenttypes"
	"github.com/healthledger/healthledger/chaincode/internal/cctest"
)

// listOf returns a JSON list of n copies of term.
func listOf(term string, n int) string {
	return `["` + strings.TrimSuffix(strings.Repeat(term+`","`, n), `","`) + `"]`
}

// junkList returns a JSON list of n distinct unknown terms: "j00000", "j00001" ... Distinct, since
// the quadratic normalisation of the issue grew with the distinct unknown entries.
func junkList(n int) string {
	terms := make([]string, n)
	for i := range terms {
		terms[i] = fmt.Sprintf("j%05d", i)
	}
	return `["` + strings.Join(terms, `","`) + `"]`
}

// consentJSON is a consent document of patient1 for PharmaMSP with the given JSON lists.
func consentJSON(id, actions, purposes, classes string) string {
	return `{"id":"` + id + `","patient":"` + pat1 + `","grantee":"` + pharma + `","decision":"permit","actions":` + actions +
		`,"purposes":` + purposes + `,"dataClasses":` + classes + `}`
}

// fullConsents grants patient1's maximum of active consents for HospitalMSP, each naming only access.
func fullConsents(f *fixture) {
	for i := range consenttypes.MaxActivePerGrantee {
		f.grant("patient1", consentDoc(fmt.Sprintf("c-%03d", i), pat1, hospital, actions(consenttypes.ActionAccess),
			purposes(consenttypes.Purposes()...), classes(consenttypes.AllClasses)))
	}
}

// BenchmarkWorstInput measures, through the chaincode's real Invoke (as Evaluate, so the ledger stays
// as set up), the most expensive inputs within the bounds of docs/consent.md, and the input of the
// issue that made normalisation quadratic, which the guard now refuses.
//
//	go test -run '^$' -bench WorstInput ./chaincode/consent/
func BenchmarkWorstInput(b *testing.B) {
	junkTerm := strings.Repeat("j", consenttypes.MaxTermLen)
	known := func(all []string) string {
		out := make([]string, consenttypes.MaxListLen)
		for i := range out {
			out[i] = all[i%len(all)]
		}
		return `["` + strings.Join(out, `","`) + `"]`
	}
	var actionNames, purposeNames, classNames []string
	for _, a := range consenttypes.Actions() {
		actionNames = append(actionNames, string(a))
	}
	for _, p := range consenttypes.Purposes() {
		purposeNames = append(purposeNames, string(p))
	}
	for _, c := range consenttypes.DataClasses() {
		classNames = append(classNames, string(c))
	}
	details := `{"uri":"https://ehr.invalid/` + strings.Repeat("u", consenttypes.MaxRecordURILen-20) + `","description":"` +
		strings.Repeat("d", consenttypes.MaxDescriptionLen) + `","salt":"` + strings.Repeat("s", consenttypes.MaxSaltLen) + `"}`

	cases := []struct {
		name  string
		full  bool // with patient1's 100 active consents for HospitalMSP
		who   string
		fn    string
		args  []string
		opts  []cctest.CallOption
		want  codes.Code // "" for success
		bytes int
	}{
		{name: "Grant with the issue's 80,000 junk actions (720 kB), refused by the guard", who: "patient1", fn: "Grant",
			args: []string{consentJSON("c-x", junkList(80_000), `["TREAT"]`, `["*"]`)}, want: codes.InvalidArgument},
		{name: "Grant with 64 distinct junk actions, refused after normalising", who: "patient1", fn: "Grant",
			args: []string{consentJSON("c-x", junkList(consenttypes.MaxListLen), `["TREAT"]`, `["*"]`)}, want: codes.InvalidArgument},
		{name: "Grant with 3 lists of 64 unknown 64-byte terms, refused after normalising", who: "patient1", fn: "Grant",
			args: []string{consentJSON("c-x", listOf(junkTerm, 64), listOf(junkTerm, 64), listOf(junkTerm, 64))}, want: codes.InvalidArgument},
		{name: "Grant with 3 lists of 64 known terms, repeats included", who: "patient1", fn: "Grant",
			args: []string{consentJSON("c-x", known(actionNames), known(purposeNames), known(classNames))}},
		{name: "CheckAccess over 100 active consents", full: true, who: "provider1", fn: "CheckAccess",
			args: []string{pat1, hospital + "/provider/" + npi1, "access", "TREAT", "Observation"}},
		{name: "RegisterRecord deciding 13 purposes over 100 consents, refused", full: true, who: "provider1", fn: "RegisterRecord",
			args: []string{"r-x", pat1, "Observation", sum("r-x"), sum(details)}, want: codes.Forbidden},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			f := newFixture(b)
			if tc.full {
				fullConsents(f)
			}
			who := f.who(tc.who)
			check := func(res *cctest.Result) {
				if tc.want == "" {
					cctest.RequireOK(b, res)
				} else {
					cctest.RequireCode(b, res, tc.want)
				}
			}
			check(f.l.Evaluate(cc, who, tc.fn, tc.args, tc.opts...))
			n := 0
			for _, a := range tc.args {
				n += len(a)
			}
			b.SetBytes(int64(n))
			for b.Loop() {
				f.l.Evaluate(cc, who, tc.fn, tc.args, tc.opts...)
			}
		})
	}
}
