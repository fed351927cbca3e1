package consent_test

import (
	"testing"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/consent/consenttypes"
	"github.com/healthledger/healthledger/chaincode/internal/cctest"
	"github.com/stretchr/testify/require"
)

func TestRecordAccess(t *testing.T) {
	t.Run("a permitted read is logged with who, what, why, when and under which consent", func(t *testing.T) {
		f := newFixture(t)
		f.grant("patient1", consentDoc("c-1", pat1, hospital+"/provider"))
		res := f.invoke("provider1", "RecordAccess", pat1, "Observation", "TREAT", "r-1")
		e := cctest.Decode[consenttypes.AccessEntry](t, res)
		require.Equal(t, consenttypes.AccessEntry{
			ID: "r-1@" + res.TxID, Patient: pat1, Accessor: hospital + "/provider/" + npi1, Action: consenttypes.ActionAccess,
			DataClass: consenttypes.ClassObservation, Purpose: consenttypes.PurposeTreatment, RecordID: "r-1", ConsentIDs: []string{"c-1"},
			At: res.Time, TxID: res.TxID,
		}, e)
		ev := cctest.RequireEvent[consenttypes.AccessEvent](t, res, consenttypes.EventAccessRecorded)
		require.Equal(t, e.ID, ev.AccessID)
		require.Equal(t, []string{"c-1"}, ev.ConsentIDs)
		log := cctest.Decode[consenttypes.AccessLogPage](t, f.eval("patient1", "ListAccessLog", pat1, "0", ""))
		require.Len(t, log.Items, 2) // the read, then the registration
		require.Equal(t, e, log.Items[0])
		require.Equal(t, consenttypes.ActionPatientRegistered, log.Items[1].Action)
	})

	forbidden := []struct {
		name      string
		caller    string
		args      []string
		noConsent bool
	}{
		{"a provider without a consent", "provider1", []string{pat1, "Observation", "TREAT", "r-1"}, true},
		{"a provider reading a class the consent does not cover", "provider1", []string{pat1, "Claim", "TREAT", "r-1"}, false},
		{"a provider reading for a purpose the consent does not cover", "provider1", []string{pat1, "Observation", "HRESCH", "r-1"}, false},
		{"a provider in an emergency without an ETREAT consent", "provider1", []string{pat1, "Observation", "ETREAT", "r-1"}, false},
		{"a provider the patient denied", "provider2", []string{pat1, "Observation", "TREAT", "r-1"}, false},
		{"an insurer the consent does not name", "insurer1", []string{pat1, "Observation", "TREAT", "r-1"}, false},
		{"a patient", "patient1", []string{pat1, "Observation", "TREAT", "r-1"}, false},
		{"a certificate without attributes", "noattrs", []string{pat1, "Observation", "TREAT", "r-1"}, false},
	}
	for _, tc := range forbidden {
		t.Run(tc.name+" is forbidden and nothing is stored", func(t *testing.T) {
			f := newFixture(t)
			if !tc.noConsent {
				f.grant("patient1", consentDoc("c-1", pat1, hospital+"/provider", classes(consenttypes.ClassObservation)))
			}
			f.grant("patient1", consentDoc("c-2", pat1, hospital+"/provider/"+npi2, deny))
			before := f.l.Snapshot()
			cctest.RequireCode(t, f.invoke(tc.caller, "RecordAccess", tc.args...), codes.Forbidden)
			f.l.RequireUnchanged(t, before)
		})
	}

	invalid := []struct {
		name string
		args []string
	}{
		{"an unknown purpose", []string{pat1, "Observation", "FUN", "r-1"}},
		{"an unknown class", []string{pat1, "Genome", "TREAT", "r-1"}},
		{"a malformed record id", []string{pat1, "Observation", "TREAT", "r 1"}},
		{"a malformed patient", []string{"", "Observation", "TREAT", "r-1"}},
	}
	for _, tc := range invalid {
		t.Run(tc.name+" is an invalid argument and nothing is stored", func(t *testing.T) {
			f := newFixture(t)
			f.register("r-obs", "content", "https://ehr.example/r/obs")
			f.grant("patient1", consentDoc("c-1", pat1, hospital))
			before := f.l.Snapshot()
			cctest.RequireCode(t, f.invoke("provider1", "RecordAccess", tc.args...), codes.InvalidArgument)
			f.l.RequireUnchanged(t, before)
		})
	}

	t.Run("after a revocation the next access is forbidden", func(t *testing.T) {
		f := newFixture(t)
		f.grant("patient1", consentDoc("c-1", pat1, hospital))
		cctest.RequireOK(t, f.invoke("provider1", "RecordAccess", pat1, "Observation", "TREAT", "r-1"))
		cctest.RequireOK(t, f.invoke("patient1", "Revoke", "c-1", ""))
		cctest.RequireCode(t, f.invoke("provider1", "RecordAccess", pat1, "Observation", "TREAT", "r-1"), codes.Forbidden)
	})
}

func TestListAccessLog(t *testing.T) {
	f := newFixture(t)
	f.grant("patient1", consentDoc("c-1", pat1, hospital))
	f.grant("patient2", consentDoc("c-2", pat2, hospital))
	var txs []string
	for i := range 5 {
		res := f.invoke("provider1", "RecordAccess", pat1, "Observation", "TREAT", "r-"+itoa(i))
		cctest.RequireOK(t, res)
		txs = append(txs, res.TxID)
	}
	cctest.RequireOK(t, f.invoke("provider1", "RecordAccess", pat2, "Observation", "TREAT", "r-9"))

	t.Run("the log is newest first and pages follow bookmarks", func(t *testing.T) {
		var got []string
		bookmark := ""
		for range 5 {
			page := cctest.Decode[consenttypes.AccessLogPage](t, f.eval("patient1", "ListAccessLog", pat1, "2", bookmark))
			require.LessOrEqual(t, len(page.Items), 2)
			for _, e := range page.Items {
				require.Equal(t, pat1, e.Patient)
				got = append(got, e.TxID)
			}
			if bookmark = page.Bookmark; bookmark == "" {
				break
			}
		}
		require.Len(t, got, 6)
		require.Equal(t, []string{txs[4], txs[3], txs[2], txs[1], txs[0]}, got[:5], "the reads, newest first, then the registration")
	})

	t.Run("a bookmark from another patient's log is refused", func(t *testing.T) {
		page := cctest.Decode[consenttypes.AccessLogPage](t, f.eval("patient2", "ListAccessLog", pat2, "0", ""))
		require.Len(t, page.Items, 2) // the read and the registration
		forged := f.l.Key("access", pat1, "0")
		cctest.RequireCode(t, f.eval("patient2", "ListAccessLog", pat2, "1", forged), codes.InvalidArgument)
	})

	for _, tc := range []struct {
		caller string
		code   codes.Code
	}{
		{"patient1", ""}, {"auditor1", ""},
		{"patient2", codes.Forbidden}, {"provider1", codes.Forbidden}, {"insurer1", codes.Forbidden}, {"impostor1", codes.Forbidden},
	} {
		verb := "may"
		if tc.code != "" {
			verb = "may not"
		}
		t.Run(tc.caller+" "+verb+" list patient1's access log", func(t *testing.T) {
			res := f.eval(tc.caller, "ListAccessLog", pat1, "0", "")
			if tc.code == "" {
				require.Len(t, cctest.Decode[consenttypes.AccessLogPage](t, res).Items, 6) // 5 reads and the registration
				return
			}
			cctest.RequireCode(t, res, tc.code)
		})
	}
}

func TestDelegates(t *testing.T) {
	t.Run("a patient adds a guardian who may then manage the consents", func(t *testing.T) {
		f := newFixture(t)
		res := f.invoke("patient1", "AddDelegate", npi2, hospital)
		d := cctest.Decode[consenttypes.Delegate](t, res)
		require.Equal(t, consenttypes.Delegate{Patient: pat1, MSPID: hospital, Subject: npi2, AddedAt: res.Time, AddedBy: hospital + "/patient/" + pat1}, d)
		cctest.RequireEvent[consenttypes.DelegateEvent](t, res, consenttypes.EventDelegateAdded)

		got := f.grant("provider2", consentDoc("c-1", pat1, insurer))
		require.Equal(t, hospital+"/provider/"+npi2, got.Grantor)
		cctest.RequireOK(t, f.invoke("provider2", "Revoke", "c-1", "on the patient's behalf"))
		require.Len(t, cctest.Decode[consenttypes.ConsentPage](t, f.eval("provider2", "ListConsentsByPatient", pat1, "0", "")).Items, 1)
		require.Len(t, cctest.Decode[consenttypes.DelegatePage](t, f.eval("provider2", "ListDelegates", pat1, "0", "")).Items, 1)
	})

	t.Run("a removed delegate may no longer act", func(t *testing.T) {
		f := newFixture(t)
		cctest.RequireOK(t, f.invoke("patient1", "AddDelegate", npi2, hospital))
		res := f.invoke("patient1", "RemoveDelegate", npi2, hospital)
		cctest.RequireEvent[consenttypes.DelegateEvent](t, res, consenttypes.EventDelegateRemoved)
		before := f.l.Snapshot()
		cctest.RequireCode(t, f.invoke("provider2", "Grant", asJSON(t, consentDoc("c-1", pat1, insurer))), codes.Forbidden)
		f.l.RequireUnchanged(t, before)
		require.Empty(t, cctest.Decode[consenttypes.DelegatePage](t, f.eval("patient1", "ListDelegates", pat1, "0", "")).Items)
	})

	t.Run("a delegate of the same subject in another MSP is not the delegate", func(t *testing.T) {
		f := newFixture(t)
		cctest.RequireOK(t, f.invoke("patient1", "AddDelegate", npi2, pharma))
		cctest.RequireCode(t, f.invoke("provider2", "Grant", asJSON(t, consentDoc("c-1", pat1, insurer))), codes.Forbidden)
	})

	failures := []struct {
		name   string
		caller string
		fn     string
		args   []string
		code   codes.Code
	}{
		{"a provider may not add a delegate", "provider1", "AddDelegate", []string{npi2, hospital}, codes.Forbidden},
		{"an impostor may not add a delegate for the bound patient", "impostor1", "AddDelegate", []string{"x-1", insurer}, codes.Forbidden},
		{"a delegate may not add another delegate", "provider2", "AddDelegate", []string{"x-1", hospital}, codes.Forbidden},
		{"adding the same delegate twice is a duplicate", "patient1", "AddDelegate", []string{npi2, hospital}, codes.Duplicate},
		{"a patient may not delegate to themself", "patient1", "AddDelegate", []string{pat1, hospital}, codes.InvalidArgument},
		{"a malformed subject is an invalid argument", "patient1", "AddDelegate", []string{"a b", hospital}, codes.InvalidArgument},
		{"a malformed MSP id is an invalid argument", "patient1", "AddDelegate", []string{"x-1", "Hospital/MSP"}, codes.InvalidArgument},
		{"removing an unknown delegate is not found", "patient1", "RemoveDelegate", []string{"x-1", hospital}, codes.NotFound},
		{"a provider may not remove a delegate", "provider1", "RemoveDelegate", []string{npi2, hospital}, codes.Forbidden},
		{"a delegate may not remove itself", "provider2", "RemoveDelegate", []string{npi2, hospital}, codes.Forbidden},
	}
	for _, tc := range failures {
		t.Run(tc.name+" and nothing changes", func(t *testing.T) {
			f := newFixture(t)
			cctest.RequireOK(t, f.invoke("patient1", "AddDelegate", npi2, hospital))
			before := f.l.Snapshot()
			cctest.RequireCode(t, f.invoke(tc.caller, tc.fn, tc.args...), tc.code)
			f.l.RequireUnchanged(t, before)
		})
	}

	t.Run("only the patient, a delegate or an auditor lists the delegates", func(t *testing.T) {
		f := newFixture(t)
		cctest.RequireOK(t, f.invoke("patient1", "AddDelegate", npi2, hospital))
		require.Len(t, cctest.Decode[consenttypes.DelegatePage](t, f.eval("auditor1", "ListDelegates", pat1, "0", "")).Items, 1)
		for _, who := range []string{"patient2", "provider1", "insurer1"} {
			cctest.RequireCode(t, f.eval(who, "ListDelegates", pat1, "0", ""), codes.Forbidden)
		}
	})
}
