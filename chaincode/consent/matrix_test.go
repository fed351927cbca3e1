package consent_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/consent/consenttypes"
	"github.com/healthledger/healthledger/chaincode/internal/cctest"
	"github.com/stretchr/testify/require"
)

// The callers of the access matrix, in the roles docs/consent.md names. patient1 is "the patient",
// patient3 its recorded delegate, patient2 another patient, impostor1 a certificate of another MSP
// that claims patient1's subject id; provider1/pharmacist1 belong to the custodian organisation.
// distributor1 completes the consortium map's roles; outsider1 is a provider certificate of an MSP the
// map does not name.
var matrixCallers = []string{
	"patient1", "patient3", "patient2", "provider1", "pharmacist1", "insurer1", "auditor1", "manufacturer1", "distributor1", "impostor1", "noattrs",
	"patient1b", "patient4", "hospitalAdmin", "insurerAdmin", "outsider1",
}

// roleHolders are the callers whose certificate carries a role the map grants their organisation.
var roleHolders = []string{"patient1", "patient3", "patient2", "provider1", "pharmacist1", "insurer1", "auditor1", "manufacturer1", "distributor1",
	"patient1b", "patient4"}

// TestAccessMatrix runs every transaction as every caller on a fresh ledger holding: consent c-1 of
// patient1 letting InsurerMSP insurers receive claims for payment, consent c-collect letting
// HospitalMSP access and collect Observations for treatment, record r-1 of patient1 registered by
// provider1, and patient3 as patient1's delegate. A caller inside a transaction's allowed set must
// succeed (or get the code listed in expect). A caller outside it must be refused (FORBIDDEN, or the
// NOT_FOUND of an object it may not see), change nothing, name no patient it did not pass, and get
// byte for byte the answer it gets on a ledger where c-1 and r-1 do not exist: no existence oracle.
func TestAccessMatrix(t *testing.T) {
	self := []string{"patient1", "patient3"}
	owners := []string{"patient1", "patient3", "auditor1"}
	custodian := []string{"provider1", "pharmacist1"}
	rows := []struct {
		fn       string
		args     []string
		opts     []cctest.CallOption
		evalOnly bool
		allowed  []string
		expect   map[string]codes.Code // allowed callers that get a code other than success
	}{
		{fn: "Grant", args: []string{`{"id":"c-new","patient":"pat-7f3a9c21","grantee":"PharmaMSP","decision":"permit","actions":["use"],"purposes":["HRESCH"],"dataClasses":["*"]}`}, allowed: self},
		{fn: "Update", args: []string{`{"id":"c-1","patient":"pat-7f3a9c21","grantee":"InsurerMSP","decision":"permit","actions":["disclose"],"purposes":["HPAYMT"],"dataClasses":["Claim"]}`}, allowed: self},
		{fn: "Revoke", args: []string{"c-1", ""}, allowed: self},
		{fn: "GetConsent", args: []string{"c-1"}, evalOnly: true, allowed: append(slices.Clone(owners), "insurer1")},
		{fn: "ConsentHistory", args: []string{"c-1"}, evalOnly: true, allowed: append(slices.Clone(owners), "insurer1")},
		{fn: "ListConsentsByPatient", args: []string{pat1, "0", ""}, evalOnly: true, allowed: owners},
		{fn: "ListConsentsByGrantee", args: []string{hospital, "0", ""}, evalOnly: true, allowed: append(slices.Clone(custodian), "auditor1")},
		{fn: "CheckAccess", args: []string{pat1, hospital, "access", "TREAT", "Observation"}, evalOnly: true, allowed: append(slices.Clone(owners), custodian...)},
		{fn: "RecordAccess", args: []string{pat1, "Observation", "TREAT", "r-1"}, allowed: custodian},
		{fn: "ListAccessLog", args: []string{pat1, "0", ""}, evalOnly: true, allowed: owners},
		{fn: "AddDelegate", args: []string{"x-1", hospital}, allowed: []string{"patient1", "patient2", "patient3"}},
		{fn: "RemoveDelegate", args: []string{pat3, hospital}, allowed: []string{"patient1", "patient2", "patient3"},
			expect: map[string]codes.Code{"patient2": codes.NotFound, "patient3": codes.NotFound}},
		{fn: "ListDelegates", args: []string{pat1, "0", ""}, evalOnly: true, allowed: owners},
		{fn: "RegisterRecord", args: []string{"r-2", pat1, "Observation", sum("r-2"), sum("details")}, allowed: custodian},
		{fn: "PutRecordDetails", args: []string{"r-1"}, opts: recordOpt(t, "https://ehr.example/r/1", "private description"), allowed: custodian,
			expect: map[string]codes.Code{"provider1": codes.Duplicate, "pharmacist1": codes.Duplicate}},
		{fn: "VerifyRecord", args: []string{"r-1", sum("document")}, evalOnly: true, allowed: roleHolders},
		{fn: "GetRecord", args: []string{"r-1"}, evalOnly: true, allowed: append(slices.Clone(owners), custodian...)},
		{fn: "RecordHistory", args: []string{"r-1"}, evalOnly: true, allowed: append(slices.Clone(owners), custodian...)},
		{fn: "GetRecordDetails", args: []string{"r-1"}, opts: []cctest.CallOption{cctest.WithSealKey(cctest.SealKey())}, evalOnly: true, allowed: append(slices.Clone(self), custodian...)},
		{fn: "ListRecordsByPatient", args: []string{pat1, "0", ""}, evalOnly: true, allowed: owners},
		{fn: "RequestErasure", args: []string{"r-1", ""}, allowed: self},
		{fn: "EraseRecord", args: []string{"r-1", ""}, allowed: append(slices.Clone(self), custodian...),
			expect: map[string]codes.Code{"provider1": codes.PreconditionFailed, "pharmacist1": codes.PreconditionFailed}},
		{fn: "RegisterPatient", allowed: []string{"patient1", "patient2", "patient3", "patient4"},
			expect: map[string]codes.Code{"patient1": codes.Duplicate, "patient2": codes.Duplicate, "patient3": codes.Duplicate}},
		{fn: "GetPatient", args: []string{pat1}, evalOnly: true, allowed: append(slices.Clone(owners), "hospitalAdmin", "insurerAdmin")},
		{fn: "CheckPatient", args: []string{pat1}, evalOnly: true, allowed: []string{"patient1"}},
		{fn: "RotatePatientKey", args: []string{rotateKeyPEM, rotateSig}, allowed: []string{"patient1"}},
		{fn: "ApproveRecovery", args: []string{pat1, rotateKeyHash}, allowed: []string{"hospitalAdmin", "insurerAdmin"}},
		{fn: "CompleteRecovery", allowed: []string{"patient1", "patient2", "patient3"},
			expect: map[string]codes.Code{"patient1": codes.Duplicate, "patient2": codes.Duplicate, "patient3": codes.Duplicate}},
	}
	for _, row := range rows {
		for _, caller := range matrixCallers {
			allowed := slices.Contains(row.allowed, caller)
			name := row.fn + " by " + caller + " is forbidden"
			if allowed {
				name = row.fn + " by " + caller + " is allowed"
			}
			t.Run(name, func(t *testing.T) {
				f := matrixFixture(t, true)
				before := f.l.Snapshot()
				call := func(f *fixture) *cctest.Result {
					if row.evalOnly {
						return f.l.Evaluate(cc, f.who(caller), row.fn, row.args, row.opts...)
					}
					return f.l.Invoke(cc, f.who(caller), row.fn, row.args, row.opts...)
				}
				res := call(f)
				switch {
				case !allowed:
					require.False(t, res.OK(), "%s answered %s", row.fn, res)
					code := codes.Of(res.Err())
					require.Contains(t, []codes.Code{codes.Forbidden, codes.NotFound}, code, "%s", res)
					f.l.RequireUnchanged(t, before)
					passed := slices.ContainsFunc(row.args, func(a string) bool { return strings.Contains(a, pat1) })
					if !passed && f.who(caller).Attrs["subject"] != pat1 {
						require.NotContains(t, res.Message, pat1, "the refusal names a patient the caller did not pass")
					}
					missing := call(matrixFixture(t, false))
					require.Equal(t, missing.Status, res.Status)
					require.Equal(t, missing.Message, res.Message, "the answer tells whether c-1 or r-1 exists")
				case row.expect[caller] != "":
					cctest.RequireCode(t, res, row.expect[caller])
				default:
					cctest.RequireOK(t, res)
				}
			})
		}
	}
}

// matrixFixture is the matrix's ledger: patient3 is patient1's delegate and HospitalMSP may collect
// patient1's Observations (c-collect); with objects, consent c-1 and record r-1 exist too.
func matrixFixture(t *testing.T, objects bool) *fixture {
	t.Helper()
	f := newFixture(t)
	cctest.RequireOK(t, f.invoke("patient1", "AddDelegate", pat3, hospital))
	f.grant("patient1", consentDoc("c-collect", pat1, hospital, classes(consenttypes.ClassObservation)))
	if objects {
		f.grant("patient1", consentDoc("c-1", pat1, insurer+"/insurer", actions(consenttypes.ActionDisclose), purposes(consenttypes.PurposePayment), classes(consenttypes.ClassClaim)))
		f.register("r-1", "document", "https://ehr.example/r/1")
	}
	return f
}

// TestEvaluateTransactionsAreDeclared pins the contract's surface, read from its real metadata: the
// queries are declared evaluate-only, and no helper leaks out as a transaction.
func TestEvaluateTransactionsAreDeclared(t *testing.T) {
	f := newFixture(t)
	evaluate, submit := f.l.Transactions(cc, f.who("auditor1"))
	require.Equal(t, []string{"CheckAccess", "CheckPatient", "ConsentHistory", "GetConsent", "GetConsortium", "GetPatient", "GetRecord", "GetRecordDetails", "ListAccessLog",
		"ListConsentsByGrantee", "ListConsentsByPatient", "ListDelegates", "ListRecordsByPatient", "RecordHistory", "VerifyRecord"}, evaluate)
	require.Equal(t, []string{"AddDelegate", "ApproveRecovery", "CompleteRecovery", "EraseRecord", "Grant", "PutRecordDetails", "RecordAccess", "RegisterPatient",
		"RegisterRecord", "RemoveDelegate", "RequestErasure", "Revoke", "RotatePatientKey", "SetConsortium", "Update"}, submit)
}

func TestAnUnknownFunctionIsAnInvalidArgument(t *testing.T) {
	f := newFixture(t)
	before := f.l.Snapshot()
	ce := cctest.RequireCode(t, f.invoke("patient1", "GrantEverything", "{}"), codes.InvalidArgument)
	require.Equal(t, `unknown function "GrantEverything"`, ce.Message)
	f.l.RequireUnchanged(t, before)
}
