package consent_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/healthledger/healthledger/chaincode/consent/consenttypes"
	"github.com/healthledger/healthledger/chaincode/internal/cctest"
	"github.com/healthledger/healthledger/chaincode/seal"
	"github.com/stretchr/testify/require"
)

// phiMarker is planted in every private value of the fuzz fixture (the details of record r-1) and of
// the seeds (the transient "record"): no public state, event, error or submit answer may hold it.
const phiMarker = "PHIMARK"

// fuzzFixture is the ledger every fuzz input starts from: consent c-1 of patient1 for InsurerMSP,
// c-collect letting HospitalMSP access and collect Observations for treatment, patient3 as
// patient1's delegate, record r-1 of patient1 whose private details hold phiMarker, one access, and
// two organisations' approvals of a recovery of patient1 to patient1b's key.
func fuzzFixture(tb testing.TB) *fixture {
	tb.Helper()
	f := newFixture(tb)
	f.grant("patient1", consentDoc("c-1", pat1, insurer, actions(consenttypes.ActionDisclose),
		purposes(consenttypes.PurposePayment), classes(consenttypes.ClassClaim)))
	f.grant("patient1", consentDoc("c-collect", pat1, hospital, classes(consenttypes.ClassObservation)))
	cctest.RequireOK(tb, f.invoke("patient1", "AddDelegate", pat3, hospital))
	cctest.RequireOK(tb, f.registerRecord("provider1", recordDetails(tb, "https://ehr.invalid/"+phiMarker+"/r-1", phiMarker+" lab report"),
		"r-1", pat1, "Observation", sum("document")))
	// r-3 is anchored, its details (fuzzDetailsR3) not yet stored.
	cctest.RequireOK(tb, f.invoke("provider1", "RegisterRecord", "r-3", pat1, "Observation", sum("r-3"), sum(fuzzDetailsR3)))
	cctest.RequireOK(tb, f.invoke("provider1", "RecordAccess", pat1, "Observation", "TREAT", "r-1"))
	// patient1b's key is approved by two organisations: it may complete a recovery.
	k := consenttypes.KeyHash(f.who("patient1b").Cert.RawSubjectPublicKeyInfo)
	cctest.RequireOK(tb, f.invoke("hospitalAdmin", "ApproveRecovery", pat1, k))
	cctest.RequireOK(tb, f.invoke("insurerAdmin", "ApproveRecovery", pat1, k))
	return f
}

// caller indexes the identities of a fuzz input: matrixCallers, in order.
func caller(name string) uint8 { return uint8(slices.Index(matrixCallers, name)) }

// nextConsortium is the default consortium map at version 2: what SetConsortium accepts next.
func nextConsortium(tb testing.TB) string {
	m := cctest.DefaultConsortium()
	m.Version = 2
	return asJSON(tb, m)
}

// fuzzDetailsR3 are the private details record r-3 of the fuzz fixture is anchored with.
const fuzzDetailsR3 = `{"uri":"https://ehr.invalid/` + phiMarker + `/r-3","description":"` + phiMarker + ` scan","salt":"c2FsdHNhbHRzYWx0c2FsdA"}`

func recordTransient(details string) map[string][]byte {
	return map[string][]byte{consenttypes.TransientRecord: []byte(details)}
}

// fuzzSeeds reach every transaction with a call that the fuzz fixture accepts, and add refusals of
// the guard and of the contract.
func fuzzSeeds(tb testing.TB) (accepted, refused []cctest.Seed) {
	grant := `{"id":"c-new","patient":"pat-7f3a9c21","grantee":"PharmaMSP","decision":"permit","actions":["use"],"purposes":["HRESCH"],"dataClasses":["*"]}`
	update := `{"id":"c-1","patient":"pat-7f3a9c21","grantee":"InsurerMSP","decision":"permit","actions":["disclose","use"],"purposes":["HPAYMT"],"dataClasses":["Claim"],"version":1}`
	details := `{"uri":"https://ehr.invalid/` + phiMarker + `/r-2","description":"` + phiMarker + ` x-ray","salt":"c2FsdHNhbHRzYWx0c2FsdA"}`
	junk := `{"id":"c-j","patient":"pat-7f3a9c21","grantee":"PharmaMSP","decision":"permit","actions":["` +
		strings.Repeat(`x","`, consenttypes.MaxListLen) + `x"],"purposes":["TREAT"],"dataClasses":["*"]}`
	p1, p3 := caller("patient1"), caller("patient3")
	sealKey := map[string][]byte{seal.TransientKey: cctest.SealKey()}
	prov, aud, mfr := caller("provider1"), caller("auditor1"), caller("manufacturer1")
	accepted = []cctest.Seed{
		{Who: p1, Fn: "Grant", Args: []string{grant}},
		{Who: p1, Fn: "Update", Args: []string{update}},
		{Who: p3, Fn: "Revoke", Args: []string{"c-1", "no longer needed"}},
		{Who: aud, Fn: "GetConsent", Args: []string{"c-1"}},
		{Who: caller("insurer1"), Fn: "ConsentHistory", Args: []string{"c-1"}},
		{Who: p1, Fn: "ListConsentsByPatient", Args: []string{pat1, "0", ""}},
		{Who: aud, Fn: "ListConsentsByGrantee", Args: []string{insurer, "10", ""}},
		{Who: prov, Fn: "CheckAccess", Args: []string{pat1, hospital + "/provider/" + npi1, "access", "TREAT", "Observation"}},
		{Who: prov, Fn: "RecordAccess", Args: []string{pat1, "Observation", "TREAT", "r-1"}},
		{Who: p1, Fn: "ListAccessLog", Args: []string{pat1, "0", ""}},
		{Who: p1, Fn: "AddDelegate", Args: []string{"guardian-1", hospital}},
		{Who: p1, Fn: "RemoveDelegate", Args: []string{pat3, hospital}},
		{Who: p3, Fn: "ListDelegates", Args: []string{pat1, "0", ""}},
		{Who: prov, Fn: "RegisterRecord", Args: []string{"r-2", pat1, "Observation", sum("r-2"), sum(details)}},
		{Who: prov, Fn: "PutRecordDetails", Args: []string{"r-3"}, Transient: recordTransient(fuzzDetailsR3)},
		{Who: mfr, Fn: "VerifyRecord", Args: []string{"r-1", sum("document")}},
		{Who: p1, Fn: "GetRecord", Args: []string{"r-1"}},
		{Who: aud, Fn: "RecordHistory", Args: []string{"r-1"}},
		{Who: p1, Fn: "GetRecordDetails", Args: []string{"r-1"}, Transient: sealKey},
		{Who: aud, Fn: "ListRecordsByPatient", Args: []string{pat1, "0", ""}},
		{Who: p1, Fn: "RequestErasure", Args: []string{"r-1", ""}},
		{Who: p3, Fn: "EraseRecord", Args: []string{"r-1", "patient request"}},
		{Who: caller("patient4"), Fn: "RegisterPatient"},
		{Who: aud, Fn: "GetPatient", Args: []string{pat1}},
		{Who: p1, Fn: "CheckPatient", Args: []string{pat1}},
		{Who: p1, Fn: "RotatePatientKey", Args: []string{rotateKeyPEM, rotateSig}},
		{Who: caller("insurerAdmin"), Fn: "ApproveRecovery", Args: []string{pat1, rotateKeyHash}},
		{Who: caller("patient1b"), Fn: "CompleteRecovery"},
		{Who: aud, Fn: "GetConsortium"},
		{Who: caller("hospitalAdmin"), Fn: "SetConsortium", Args: []string{nextConsortium(tb)}},
	}
	refused = []cctest.Seed{
		// The guard's refusals, then the contract's.
		{Who: p1, Fn: "Grant"},
		{Who: p1, Fn: "Grant", Args: []string{grant, grant}},
		{Who: p1, Fn: "ListAccessLog", Args: []string{pat1, "ten", ""}},
		{Who: p1, Fn: "Grant", Args: []string{"{"}},
		{Who: p1, Fn: "grant", Args: []string{grant}},
		{Who: p1, Fn: "Contract:Grant", Args: []string{grant}},
		{Who: p1, Fn: ""},
		{Who: p1, Fn: "Grant", Args: []string{junk}},
		{Who: prov, Fn: "PutRecordDetails", Args: []string{"r-3"},
			Transient: recordTransient(`{"uri":"no uri ` + phiMarker + `","` + phiMarker + `":1}`)},
		{Who: prov, Fn: "PutRecordDetails", Args: []string{"r-3"},
			Transient: recordTransient(`{"uri":"` + phiMarker + `"}`)},
		{Who: prov, Fn: "PutRecordDetails", Args: []string{"r-3"}, Transient: recordTransient(details)},
		{Who: caller("noattrs"), Fn: "GetRecordDetails", Args: []string{"r-1"}, Transient: sealKey},
		{Who: caller("patient1b"), Fn: "Grant", Args: []string{grant}},
		{Who: caller("patient4"), Fn: "AddDelegate", Args: []string{"guardian-1", hospital}},
		{Who: p1, Fn: "RotatePatientKey", Args: []string{rotateKeyPEM, "MEUCIQ=="}},
		{Who: caller("patient1b"), Fn: "RotatePatientKey", Args: []string{rotateKeyPEM, rotateSig}},
		// A private read without a seal key, and with a key that is no key.
		{Who: p1, Fn: "GetRecordDetails", Args: []string{"r-1"}},
		{Who: p1, Fn: "GetRecordDetails", Args: []string{"r-1"}, Transient: map[string][]byte{seal.TransientKey: []byte("short")}},
	}
	return accepted, refused
}

// TestTheFuzzSeedsReachEveryTransaction keeps testdata/fuzz/FuzzConsent in step with fuzzSeeds
// (HL_UPDATE_CORPUS=1 rewrites it) and checks that the accepted seeds call every transaction, and
// succeed, and that the refused ones are refused.
func TestTheFuzzSeedsReachEveryTransaction(t *testing.T) {
	accepted, refused := fuzzSeeds(t)
	cctest.SyncCorpus(t, "testdata/fuzz/FuzzConsent", append(slices.Clone(accepted), refused...))
	fx := fuzzFixture(t)
	evaluate, submit := fx.l.Transactions(cc, fx.who("auditor1"))
	for _, fn := range append(evaluate, submit...) {
		require.True(t, slices.ContainsFunc(accepted, func(s cctest.Seed) bool { return s.Fn == fn }), "no seed calls %s", fn)
	}
	for i, s := range append(slices.Clone(accepted), refused...) {
		res := fx.l.Clone(t).Invoke(cc, fx.who(matrixCallers[s.Who]), s.Fn, s.Args, cctest.WithTransient(s.Transient))
		require.Equal(t, i < len(accepted), res.OK(), "seed %d (%s): %s", i, s.Fn, res)
	}
}

// FuzzConsent calls the consent chaincode through its router, as a client would, with any caller,
// function name, arguments and transient data, from the fuzz fixture, and checks the invariants of
// cctest.CheckCall: a refusal carries a stable code (never INTERNAL), writes nothing and sets no
// event; private input never reaches public state, an event, an error or any answer: a client may
// submit even an evaluate-only function, and then its answer goes into a block (the private reads
// answer sealed, docs/privacy.md).
func FuzzConsent(f *testing.F) {
	fx := fuzzFixture(f)
	evaluate, submit := fx.l.Transactions(cc, fx.who("auditor1"))
	inv := cctest.Invariants{Chaincode: cc, Submit: append(evaluate, submit...), Marker: phiMarker}
	callers := make([]*cctest.Identity, len(matrixCallers))
	for i, name := range matrixCallers {
		callers[i] = fx.who(name)
	}
	f.Fuzz(func(t *testing.T, who uint8, fn, args string, transient []byte) {
		l := fx.l.Clone(t)
		l.CheckCall(t, inv, callers[int(who)%len(callers)], fn, cctest.SplitArgs(args), cctest.SplitTransient(transient))
	})
}
