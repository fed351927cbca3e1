package consent_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/consent"
	"github.com/healthledger/healthledger/chaincode/consent/consenttypes"
	"github.com/healthledger/healthledger/chaincode/internal/cctest"
	"github.com/stretchr/testify/require"
)

const testSalt = "c2FsdHNhbHRzYWx0c2FsdA"

// TestRecordAccessRevealsNoRecordItMayNotRead: a record of another patient, of another class, and no
// permitting consent at all get one refusal, byte for byte, which names neither the record's patient
// nor a consent; nothing is stored.
func TestRecordAccessRevealsNoRecordItMayNotRead(t *testing.T) {
	args := []string{pat1, "Observation", "TREAT", "r-x"}
	answer := func(permit bool, record func(f *fixture)) *cctest.Result {
		f := newFixture(t)
		if record != nil {
			record(f)
		}
		if permit {
			f.grant("patient1", consentDoc("c-obs", pat1, hospital, classes(consenttypes.ClassObservation)))
		}
		before := f.l.Snapshot()
		res := f.invoke("provider1", "RecordAccess", args...)
		f.l.RequireUnchanged(t, before)
		return res
	}
	ofPatient2 := func(f *fixture) {
		f.grant("patient2", consentDoc("c-p2", pat2, hospital, classes(consenttypes.ClassObservation)))
		res := f.registerRecord("provider1", recordDetails(t, "https://ehr.example/r/x", "d"), "r-x", pat2, "Observation", sum("x"))
		cctest.RequireOK(t, res)
	}
	ofAnotherClass := func(f *fixture) {
		f.grant("patient1", consentDoc("c-cond", pat1, hospital, classes(consenttypes.ClassCondition)))
		cctest.RequireOK(t, f.registerRecord("provider1", recordDetails(t, "https://ehr.example/r/x", "d"), "r-x", pat1, "Condition", sum("x")))
	}
	noConsent := answer(false, nil)
	ce := cctest.RequireCode(t, noConsent, codes.Forbidden)
	for name, res := range map[string]*cctest.Result{
		"a record of another patient":               answer(true, ofPatient2),
		"a record of another class":                 answer(true, ofAnotherClass),
		"a record of another patient and no permit": answer(false, ofPatient2),
	} {
		t.Run(name, func(t *testing.T) {
			require.Equal(t, noConsent.Message, res.Message)
			require.NotContains(t, res.Message, pat2)
			require.NotContains(t, res.Message, "Condition")
			require.NotContains(t, res.Message, "c-")
		})
	}
	require.Contains(t, ce.Message, "r-x")
	t.Run("a permitted read of a missing record is logged", func(t *testing.T) {
		cctest.RequireOK(t, answerOK(t, args))
	})
}

func answerOK(t *testing.T, args []string) *cctest.Result {
	f := newFixture(t)
	f.grant("patient1", consentDoc("c-obs", pat1, hospital, classes(consenttypes.ClassObservation)))
	return f.invoke("provider1", "RecordAccess", args...)
}

// TestCheckAccessAnswersTheGranteeAboutItself: a provider may no longer ask how a patient's consents
// treat another grantee, except whether it may disclose to it (what claims asks), and that answer is
// logged on the chaincode server.
func TestCheckAccessAnswersTheGranteeAboutItself(t *testing.T) {
	var logged bytes.Buffer
	chaincode, err := consent.NewChaincodeLogging(&logged)
	require.NoError(t, err)
	f := newFixtureOf(t, chaincode, nil, true)
	f.grant("patient1", consentDoc("c-1", pat1, insurer, actions(consenttypes.ActionDisclose, consenttypes.ActionAccess), purposes(consenttypes.PurposePayment), classes(consenttypes.ClassClaim)))
	logged.Reset()
	refused := []struct{ caller, grantee, action string }{
		{"provider1", insurer, "access"},
		{"provider1", hospital + "/provider/" + npi2, "access"}, // a colleague
		{"pharmacist1", insurer, "use"},
		{"insurer1", hospital, "disclose"},
		{"manufacturer1", insurer, "disclose"},
	}
	for _, tc := range refused {
		ce := cctest.RequireCode(t, f.eval(tc.caller, "CheckAccess", pat1, tc.grantee, tc.action, "HPAYMT", "Claim"), codes.Forbidden)
		require.NotContains(t, ce.Message, pat1, "the refusal repeats the patient")
	}
	require.Empty(t, logged.String(), "a refusal is no decision")
	for _, who := range []string{"insurer1", "auditor1", "patient1"} {
		d := cctest.Decode[consenttypes.Decision](t, f.eval(who, "CheckAccess", pat1, insurer, "access", "HPAYMT", "Claim"))
		require.Equal(t, consenttypes.Permit, d.Decision)
	}
	require.Empty(t, logged.String(), "the grantee, the patient and auditors are not logged")
	res := f.eval("provider1", "CheckAccess", pat1, insurer, "disclose", "HPAYMT", "Claim")
	require.Equal(t, consenttypes.Permit, cctest.Decode[consenttypes.Decision](t, res).Decision)
	var line map[string]string
	require.NoError(t, json.Unmarshal(bytes.TrimSpace(logged.Bytes()), &line))
	require.Equal(t, map[string]string{"event": "consent.disclosure-checked", "txId": res.TxID, "caller": hospital + "/provider/" + npi1,
		"patient": pat1, "grantee": insurer, "action": "disclose", "purpose": "HPAYMT", "dataClass": "Claim", "decision": "permit"}, line)
}

// TestRefusalsOfConsentsNameNoPatient: Revoke, GetConsent and ConsentHistory of another patient's
// consent answer as for a missing one, and Grant of a taken id tells nothing of its holder.
func TestRefusalsOfConsentsNameNoPatient(t *testing.T) {
	f := newFixture(t)
	f.grant("patient1", consentDoc("c-1", pat1, insurer))
	for _, fn := range []string{"Revoke", "GetConsent", "ConsentHistory"} {
		args := map[string][]string{"Revoke": {"c-1", ""}}[fn]
		if args == nil {
			args = []string{"c-1"}
		}
		missingArgs := append([]string{"c-404"}, args[1:]...)
		var present, missing *cctest.Result
		if fn == "Revoke" {
			present, missing = f.invoke("patient2", fn, args...), f.invoke("patient2", fn, missingArgs...)
		} else {
			present, missing = f.eval("patient2", fn, args...), f.eval("patient2", fn, missingArgs...)
		}
		ce := cctest.RequireCode(t, present, codes.NotFound)
		require.NotContains(t, ce.Message, pat1)
		require.Equal(t, strings.ReplaceAll(missing.Message, "c-404", "c-1"), present.Message, fn)
	}
	ce := cctest.RequireCode(t, f.invoke("patient2", "Grant", asJSON(t, consentDoc("c-1", pat2, insurer))), codes.Conflict)
	require.NotContains(t, ce.Message, pat1)
	require.NotContains(t, ce.Message, "active")
	require.NotContains(t, ce.Message, "version")
}

// TestRecordDetailsNeedASalt: PutRecordDetails refuses details without a salt of 16 random bytes,
// and stores nothing.
func TestRecordDetailsNeedASalt(t *testing.T) {
	for name, salt := range map[string]string{"no salt": "", "a one-byte salt": "QQ", "15 bytes": "c2FsdHNhbHRzYWx0c2Fs",
		"16 equal bytes": "AAAAAAAAAAAAAAAAAAAAAA"} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			f.grant("patient1", consentDoc("c-collect", pat1, hospital, classes(consenttypes.ClassObservation)))
			details := []byte(asJSON(t, consenttypes.RecordDetails{URI: "https://ehr.example/r/1", Salt: salt}))
			cctest.RequireOK(t, f.invoke("provider1", "RegisterRecord", "r-1", pat1, "Observation", sum("doc"), sum(string(details))))
			before := f.l.Snapshot()
			put := []cctest.CallOption{cctest.WithTransient(map[string][]byte{consenttypes.TransientRecord: details})}
			cctest.RequireCode(t, f.invokeWith("provider1", "PutRecordDetails", put, "r-1"), codes.InvalidArgument)
			f.l.RequireUnchanged(t, before)
		})
	}
}

// TestASaltedAnchorIsCheckedOnlyWithTheSalt: the anchor is the document's HMAC under the record's
// salt; a plain SHA-256 of the (guessable) document does not match, and erasure is told only on a
// match.
func TestASaltedAnchorIsCheckedOnlyWithTheSalt(t *testing.T) {
	f := newFixture(t)
	f.grant("patient1", consentDoc("c-collect", pat1, hospital, classes(consenttypes.ClassObservation)))
	doc := []byte("HIV-1/2 antibody: negative")
	anchor, err := consenttypes.Anchor(testSalt, doc)
	require.NoError(t, err)
	details := recordDetails(t, "https://ehr.example/r/1", "lab")
	cctest.RequireOK(t, f.registerRecord("provider1", details, "r-1", pat1, "Observation", anchor))
	verify := func(hash string) consenttypes.Verification {
		return cctest.Decode[consenttypes.Verification](t, f.eval("insurer1", "VerifyRecord", "r-1", hash))
	}
	require.Equal(t, consenttypes.Match, verify(anchor).Result)
	for _, guess := range []string{"HIV-1/2 antibody: negative", "HIV-1/2 antibody: positive"} {
		require.Equal(t, consenttypes.Mismatch, verify(sum(guess)).Result, "an unsalted hash of a guess confirms nothing")
	}
	cctest.RequireOK(t, f.invoke("patient1", "EraseRecord", "r-1", ""))
	require.Equal(t, consenttypes.Verification{RecordID: "r-1", Result: consenttypes.Mismatch}, verify(sum("x")), "erasure is told only on a match")
	require.Equal(t, consenttypes.Verification{RecordID: "r-1", Result: consenttypes.Match, Erased: true}, verify(anchor))
}
