package consent_test

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/consent/consenttypes"
	"github.com/healthledger/healthledger/chaincode/internal/cctest"
	"github.com/stretchr/testify/require"
)

func TestRegisterRecord(t *testing.T) {
	t.Run("a provider with a collect permit anchors the hash and keeps the details private", func(t *testing.T) {
		f := newFixture(t)
		f.grant("patient1", consentDoc("c-1", pat1, hospital, actions(consenttypes.ActionCollect), purposes(consenttypes.PurposeResearch), classes(consenttypes.ClassObservation)))
		details := recordDetails(t, "https://ehr.example/r/1", "lipid panel")
		res := f.registerRecord("provider1", details, "r-1", pat1, "Observation", sum("document"))
		rec := cctest.Decode[consenttypes.Record](t, res)
		require.Equal(t, consenttypes.Record{
			ID: "r-1", Patient: pat1, DataClass: consenttypes.ClassObservation, SHA256: sum("document"),
			RegisteredBy: hospital + "/provider/" + npi1, RegisteredByMSP: hospital, RegisteredAt: res.Time,
			Collection: "consentRecordsHospitalMSP", DetailsHash: sum(string(details)), Purpose: consenttypes.PurposeResearch, ConsentIDs: []string{"c-1"},
		}, rec)
		require.Equal(t, sum(string(details)), hexOf(f.l.PrivateDataHash(cc, "consentRecordsHospitalMSP", "r-1")),
			"every peer can match the private write's hash with the anchor's commitment")
		require.Equal(t, rec, cctest.StateJSON[consenttypes.Record](t, f.l, cc, f.l.Key("record", "r-1")))
		private := f.l.PrivateData(cc, "consentRecordsHospitalMSP", "r-1")
		require.Contains(t, string(private), "https://ehr.example/r/1")
		require.NotNil(t, f.l.PrivateDataHash(cc, "consentRecordsHospitalMSP", "r-1"))
		ev := cctest.RequireEvent[consenttypes.RecordEvent](t, res, consenttypes.EventRecordRegistered)
		require.Equal(t, consenttypes.RecordEvent{RecordID: "r-1", Patient: pat1, DataClass: consenttypes.ClassObservation,
			Collection: "consentRecordsHospitalMSP", By: rec.RegisteredBy, At: res.Time}, ev)
	})

	t.Run("re-registering the same anchor is a duplicate, another anchor a conflict", func(t *testing.T) {
		f := newFixture(t)
		f.register("r-1", "document", "https://ehr.example/r/1")
		before := f.l.Snapshot()
		dh := sum(string(recordDetails(t, "https://ehr.example/r/1", "private description")))
		cctest.RequireCode(t, f.invoke("provider1", "RegisterRecord", "r-1", pat1, "Observation", sum("document"), dh), codes.Duplicate)
		cctest.RequireCode(t, f.invoke("provider2", "RegisterRecord", "r-1", pat1, "Observation", sum("other"), dh), codes.Conflict)
		cctest.RequireCode(t, f.invoke("provider1", "RegisterRecord", "r-1", pat1, "Observation", sum("document"), sum("other details")), codes.Conflict)
		f.l.RequireUnchanged(t, before)
	})

	good := sum("details")
	tests := []struct {
		name   string
		caller string
		dh     string
		args   []string
		code   codes.Code
	}{
		{"a wrong hash length is an invalid argument", "provider1", good, []string{"r-1", pat1, "Observation", sum("x")[:40]}, codes.InvalidArgument},
		{"a non-hex hash is an invalid argument", "provider1", good, []string{"r-1", pat1, "Observation", "zz" + sum("x")[2:]}, codes.InvalidArgument},
		{"a malformed record id is an invalid argument", "provider1", good, []string{"r/1", pat1, "Observation", sum("x")}, codes.InvalidArgument},
		{"an unknown class is an invalid argument", "provider1", good, []string{"r-1", pat1, "Genome", sum("x")}, codes.InvalidArgument},
		{"a details hash that is no SHA-256 is an invalid argument", "provider1", "details", []string{"r-1", pat1, "Observation", sum("x")}, codes.InvalidArgument},
		{"a provider without a collect permit for the class is forbidden", "provider1", good, []string{"r-1", pat1, "Condition", sum("x")}, codes.Forbidden},
		{"a provider of another patient is forbidden", "provider1", good, []string{"r-1", pat2, "Observation", sum("x")}, codes.Forbidden},
		{"a provider the patient denied is forbidden", "provider2", good, []string{"r-1", pat1, "Observation", sum("x")}, codes.Forbidden},
		{"a patient may not register", "patient1", good, []string{"r-1", pat1, "Observation", sum("x")}, codes.Forbidden},
		{"an insurer may not register", "insurer1", good, []string{"r-1", pat1, "Observation", sum("x")}, codes.Forbidden},
		{"a manufacturer may not register", "manufacturer1", good, []string{"r-1", pat1, "Observation", sum("x")}, codes.Forbidden},
	}
	for _, tc := range tests {
		t.Run(tc.name+" and nothing is stored", func(t *testing.T) {
			f := newFixture(t)
			f.grant("patient1", consentDoc("c-1", pat1, hospital, classes(consenttypes.ClassObservation)))
			f.grant("patient1", consentDoc("c-2", pat1, hospital+"/provider/"+npi2, deny, actions(consenttypes.ActionCollect), classes(consenttypes.AllClasses),
				purposes(consenttypes.Purposes()...)))
			before := f.l.Snapshot()
			res := f.invoke(tc.caller, "RegisterRecord", append(tc.args, tc.dh)...)
			ce := cctest.RequireCode(t, res, tc.code)
			require.NotContains(t, ce.Message, "ehr.example", "errors do not echo private details")
			f.l.RequireUnchanged(t, before)
		})
	}
}

// TestPutRecordDetails: the private details go in their own transaction, which writes only the
// collection, by the custodian, and only the details the anchor committed to.
func TestPutRecordDetails(t *testing.T) {
	details := recordDetails(t, "https://ehr.example/r/1", "lipid panel")
	anchored := func(t *testing.T) *fixture {
		f := newFixture(t)
		f.grant("patient1", consentDoc("c-1", pat1, hospital, classes(consenttypes.ClassObservation)))
		cctest.RequireOK(t, f.invoke("provider1", "RegisterRecord", "r-1", pat1, "Observation", sum("document"), sum(string(details))))
		return f
	}
	put := func(b []byte) []cctest.CallOption {
		return []cctest.CallOption{cctest.WithTransient(map[string][]byte{consenttypes.TransientRecord: b})}
	}
	t.Run("the custodian stores the committed details, and only them, in its collection", func(t *testing.T) {
		f := anchored(t)
		keys := f.l.Keys(cc)
		anchor := f.l.State(cc, f.l.Key("record", "r-1"))
		res := f.invokeWith("pharmacist1", "PutRecordDetails", put(details), "r-1")
		cctest.RequireOK(t, res)
		require.Equal(t, details, f.l.PrivateData(cc, "consentRecordsHospitalMSP", "r-1"))
		require.NotContains(t, string(res.Payload), "ehr.example", "the answer, which a block carries, is the public anchor")
		require.Equal(t, 1, res.Writes, "one write, the private one: the collection's endorsement policy alone applies")
		require.Equal(t, keys, f.l.Keys(cc))
		require.Equal(t, anchor, f.l.State(cc, f.l.Key("record", "r-1")))
		cctest.RequireCode(t, f.invokeWith("provider1", "PutRecordDetails", put(details), "r-1"), codes.Duplicate)
	})
	refusals := []struct {
		name   string
		caller string
		opts   []cctest.CallOption
		code   codes.Code
	}{
		{"details the anchor did not commit to", "provider1", put(recordDetails(t, "https://ehr.example/r/2", "other")), codes.InvalidArgument},
		{"missing transient data", "provider1", nil, codes.InvalidArgument},
		{"details without a uri", "provider1", put([]byte(`{"description":"d"}`)), codes.InvalidArgument},
		{"details that are not JSON", "provider1", put([]byte(`https://ehr.example/r/1`)), codes.InvalidArgument},
		{"a patient", "patient1", put(details), codes.Forbidden},
		{"an insurer", "insurer1", put(details), codes.Forbidden},
		{"the forged patient certificate", "patient1b", put(details), codes.Forbidden},
	}
	for _, tc := range refusals {
		t.Run(tc.name+" is refused and nothing is stored", func(t *testing.T) {
			f := anchored(t)
			before := f.l.Snapshot()
			ce := cctest.RequireCode(t, f.invokeWith(tc.caller, "PutRecordDetails", tc.opts, "r-1"), tc.code)
			require.NotContains(t, ce.Message, "ehr.example", "errors do not echo private details")
			f.l.RequireUnchanged(t, before)
		})
	}
	t.Run("an erased record takes no details", func(t *testing.T) {
		f := anchored(t)
		cctest.RequireOK(t, f.invoke("patient1", "EraseRecord", "r-1", ""))
		before := f.l.Snapshot()
		cctest.RequireCode(t, f.invokeWith("provider1", "PutRecordDetails", put(details), "r-1"), codes.PreconditionFailed)
		f.l.RequireUnchanged(t, before)
	})
	t.Run("an unknown record is not found", func(t *testing.T) {
		f := anchored(t)
		cctest.RequireCode(t, f.invokeWith("provider1", "PutRecordDetails", put(details), "r-9"), codes.NotFound)
	})
}

func TestVerifyRecord(t *testing.T) {
	f := newFixture(t)
	f.register("r-1", "document", "https://ehr.example/r/1")
	tests := []struct {
		name   string
		caller string
		hash   string
		want   string
	}{
		{"the presented document matches", "insurer1", sum("document"), consenttypes.Match},
		{"an altered document does not match", "distributor1", sum("document!"), consenttypes.Mismatch},
		{"an uppercase digest of the document matches", "patient2", upper(sum("document")), consenttypes.Match},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := cctest.Decode[consenttypes.Verification](t, f.eval(tc.caller, "VerifyRecord", "r-1", tc.hash))
			require.Equal(t, consenttypes.Verification{RecordID: "r-1", Result: tc.want, Erased: false}, v)
		})
	}
	t.Run("an unknown record answers mismatch, as a registered one does", func(t *testing.T) {
		missing := f.eval("insurer1", "VerifyRecord", "r-404", sum("document!"))
		present := f.eval("insurer1", "VerifyRecord", "r-1", sum("document!"))
		require.Equal(t, consenttypes.Verification{RecordID: "r-404", Result: consenttypes.Mismatch}, cctest.Decode[consenttypes.Verification](t, missing))
		require.Equal(t, strings.ReplaceAll(string(present.Payload), "r-1", "r-404"), string(missing.Payload))
	})
	t.Run("a certificate without a role may not verify", func(t *testing.T) {
		for _, who := range []string{"noattrs", "hospitalAdmin", "impostor1", "outsider1"} {
			cctest.RequireCode(t, f.eval(who, "VerifyRecord", "r-1", sum("document")), codes.Forbidden)
		}
	})
	t.Run("a short hash is an invalid argument", func(t *testing.T) {
		cctest.RequireCode(t, f.eval("insurer1", "VerifyRecord", "r-1", "abcd"), codes.InvalidArgument)
	})
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'f' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

func TestGetRecord(t *testing.T) {
	f := newFixture(t)
	f.register("r-1", "document", "https://ehr.example/r/1")
	f.grant("patient1", consentDoc("c-ins", pat1, insurer+"/insurer", actions(consenttypes.ActionAccess), purposes(consenttypes.PurposePayment), classes(consenttypes.ClassObservation)))
	tests := []struct {
		caller string
		code   codes.Code
	}{
		{"patient1", ""}, {"auditor1", ""}, {"provider2", ""}, {"pharmacist1", ""},
		{"insurer1", ""}, // a consent lets it access Observations
		// Who may not see the record gets the answer of a missing one; a role the map does not grant
		// is refused as such.
		{"patient2", codes.NotFound}, {"manufacturer1", codes.NotFound}, {"impostor1", codes.Forbidden},
	}
	for _, tc := range tests {
		verb := "may"
		if tc.code != "" {
			verb = "may not"
		}
		t.Run(tc.caller+" "+verb+" read the anchor and its history", func(t *testing.T) {
			res := f.eval(tc.caller, "GetRecord", "r-1")
			hist := f.eval(tc.caller, "RecordHistory", "r-1")
			if tc.code == "" {
				require.Equal(t, "r-1", cctest.Decode[consenttypes.Record](t, res).ID)
				require.Len(t, cctest.Decode[[]consenttypes.RecordVersion](t, hist), 1)
				return
			}
			cctest.RequireCode(t, res, tc.code)
			cctest.RequireCode(t, hist, tc.code)
		})
	}
	t.Run("an insurer whose consent is revoked may no longer read it", func(t *testing.T) {
		cctest.RequireOK(t, f.invoke("patient1", "Revoke", "c-ins", ""))
		cctest.RequireCode(t, f.eval("insurer1", "GetRecord", "r-1"), codes.NotFound)
	})
	t.Run("the records of a patient are listed for the patient only", func(t *testing.T) {
		page := cctest.Decode[consenttypes.RecordPage](t, f.eval("patient1", "ListRecordsByPatient", pat1, "0", ""))
		require.Len(t, page.Items, 1)
		cctest.RequireCode(t, f.eval("patient2", "ListRecordsByPatient", pat1, "0", ""), codes.Forbidden)
		cctest.RequireCode(t, f.eval("provider1", "ListRecordsByPatient", pat1, "0", ""), codes.Forbidden)
	})
}

func TestGetRecordDetails(t *testing.T) {
	f := newFixture(t)
	f.register("r-1", "document", "https://ehr.example/r/1")
	cctest.RequireOK(t, f.invoke("patient1", "AddDelegate", pat3, hospital))
	for _, who := range []string{"patient1", "patient3", "provider1", "provider2", "pharmacist1"} {
		t.Run(who+" may read the private details", func(t *testing.T) {
			v := cctest.DecodeSealed[consenttypes.RecordDetailsView](t, f.eval(who, "GetRecordDetails", "r-1"))
			require.Equal(t, consenttypes.RecordDetailsView{RecordID: "r-1", Collection: "consentRecordsHospitalMSP",
				URI: "https://ehr.example/r/1", Description: "private description", Salt: "c2FsdHNhbHRzYWx0c2FsdA"}, v)
		})
	}
	for _, who := range []string{"patient2", "insurer1", "auditor1", "manufacturer1", "impostor1", "noattrs"} {
		t.Run(who+" may not read the private details", func(t *testing.T) {
			code := codes.NotFound // the answer of a missing record
			if who == "impostor1" || who == "noattrs" {
				code = codes.Forbidden // refused for the certificate, before any lookup
			}
			ce := cctest.RequireCode(t, f.eval(who, "GetRecordDetails", "r-1"), code)
			require.NotContains(t, ce.Message, pat1)
			require.NotContains(t, ce.Message, "consentRecords", "the refusal names the record's collection")
		})
	}
	t.Run("an unknown record is not found", func(t *testing.T) {
		cctest.RequireCode(t, f.eval("patient1", "GetRecordDetails", "r-404"), codes.NotFound)
	})
}

func TestEraseRecord(t *testing.T) {
	t.Run("the patient erases: details purged, hash kept, history shows it", func(t *testing.T) {
		f := newFixture(t)
		f.register("r-1", "document", "https://ehr.example/r/1")
		res := f.invoke("patient1", "EraseRecord", "r-1", "patient request")
		rec := cctest.Decode[consenttypes.Record](t, res)
		require.True(t, rec.Erased)
		require.Equal(t, res.Time, rec.ErasedAt)
		require.Equal(t, hospital+"/patient/"+pat1, rec.ErasedBy)
		require.Equal(t, sum("document"), rec.SHA256)
		ev := cctest.RequireEvent[consenttypes.RecordEvent](t, res, consenttypes.EventRecordErased)
		require.Equal(t, "r-1", ev.RecordID)

		require.Nil(t, f.l.PrivateData(cc, "consentRecordsHospitalMSP", "r-1"), "the details are purged")
		require.Nil(t, f.l.PrivateDataHash(cc, "consentRecordsHospitalMSP", "r-1"), "their hash is purged too")
		cctest.RequireCode(t, f.eval("provider1", "GetRecordDetails", "r-1"), codes.NotFound)
		v := cctest.Decode[consenttypes.Verification](t, f.eval("insurer1", "VerifyRecord", "r-1", sum("document")))
		require.Equal(t, consenttypes.Verification{RecordID: "r-1", Result: consenttypes.Match, Erased: true}, v)

		hist := cctest.Decode[[]consenttypes.RecordVersion](t, f.eval("patient1", "RecordHistory", "r-1"))
		require.Len(t, hist, 2)
		require.False(t, hist[0].Value.Erased)
		require.True(t, hist[1].Value.Erased)
		require.Equal(t, res.TxID, hist[1].TxID)
	})

	t.Run("the custodian erases only after the patient asked", func(t *testing.T) {
		f := newFixture(t)
		f.register("r-1", "document", "https://ehr.example/r/1")
		before := f.l.Snapshot()
		cctest.RequireCode(t, f.invoke("provider2", "EraseRecord", "r-1", ""), codes.PreconditionFailed)
		f.l.RequireUnchanged(t, before)

		res := f.invoke("patient1", "RequestErasure", "r-1", "please erase")
		req := cctest.Decode[consenttypes.Record](t, res)
		require.True(t, req.ErasureRequested)
		cctest.RequireEvent[consenttypes.RecordEvent](t, res, consenttypes.EventErasureRequested)
		require.NotNil(t, f.l.PrivateData(cc, "consentRecordsHospitalMSP", "r-1"), "a request alone purges nothing")
		cctest.RequireCode(t, f.invoke("patient1", "RequestErasure", "r-1", ""), codes.Duplicate)

		rec := cctest.Decode[consenttypes.Record](t, f.invoke("provider2", "EraseRecord", "r-1", "done at the patient's request"))
		require.True(t, rec.Erased)
		require.Equal(t, hospital+"/provider/"+npi2, rec.ErasedBy)
		require.Nil(t, f.l.PrivateData(cc, "consentRecordsHospitalMSP", "r-1"))
	})

	failures := []struct {
		name   string
		caller string
		fn     string
		code   codes.Code
	}{
		{"another patient may not erase", "patient2", "EraseRecord", codes.NotFound},
		{"an insurer may not erase", "insurer1", "EraseRecord", codes.NotFound},
		{"an auditor may not erase", "auditor1", "EraseRecord", codes.NotFound},
		{"a provider of another organisation may not erase", "manufacturer1", "EraseRecord", codes.NotFound},
		{"a provider may not request erasure", "provider1", "RequestErasure", codes.NotFound},
		{"another patient may not request erasure", "patient2", "RequestErasure", codes.NotFound},
	}
	for _, tc := range failures {
		t.Run(tc.name+" and nothing changes", func(t *testing.T) {
			f := newFixture(t)
			f.register("r-1", "document", "https://ehr.example/r/1")
			before := f.l.Snapshot()
			refused := f.invoke(tc.caller, tc.fn, "r-1", "")
			cctest.RequireCode(t, refused, tc.code)
			f.l.RequireUnchanged(t, before)
			missing := f.invoke(tc.caller, tc.fn, "r-404", "")
			require.Equal(t, strings.ReplaceAll(missing.Message, "r-404", "r-1"), refused.Message, "a refused caller cannot tell r-1 from a missing record")
		})
	}

	t.Run("erasing twice is a duplicate", func(t *testing.T) {
		f := newFixture(t)
		f.register("r-1", "document", "https://ehr.example/r/1")
		cctest.RequireOK(t, f.invoke("patient1", "EraseRecord", "r-1", ""))
		before := f.l.Snapshot()
		cctest.RequireCode(t, f.invoke("patient1", "EraseRecord", "r-1", ""), codes.Duplicate)
		f.l.RequireUnchanged(t, before)
	})

	t.Run("erasing an unknown record is not found", func(t *testing.T) {
		f := newFixture(t)
		cctest.RequireCode(t, f.invoke("patient1", "EraseRecord", "r-404", ""), codes.NotFound)
	})
}

func TestGetRecordDetailsOfAnErasedRecordChecksThePurge(t *testing.T) {
	f := newFixture(t)
	f.register("r-1", "document", "https://ehr.example/r/1")
	// A record flagged erased whose details were never purged: only a broken erase could leave this.
	key := f.l.Key("record", "r-1")
	rec := cctest.StateJSON[consenttypes.Record](t, f.l, cc, key)
	rec.Erased = true
	f.l.SetState(cc, key, []byte(asJSON(t, rec)))
	cctest.RequireCode(t, f.eval("provider1", "GetRecordDetails", "r-1"), codes.Internal)

	// A real erase purges the details, and the answer is NOT_FOUND.
	g := newFixture(t)
	g.register("r-1", "document", "https://ehr.example/r/1")
	cctest.RequireOK(t, g.invoke("patient1", "EraseRecord", "r-1", "patient request"))
	cctest.RequireCode(t, g.eval("provider1", "GetRecordDetails", "r-1"), codes.NotFound)
}

func hexOf(b []byte) string { return hex.EncodeToString(b) }
