package consent_test

import (
	"testing"
	"time"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/consent/consenttypes"
	"github.com/healthledger/healthledger/chaincode/internal/cctest"
	"github.com/stretchr/testify/require"
)

func TestGrant(t *testing.T) {
	t.Run("the patient grants a consent that is stored, indexed and announced", func(t *testing.T) {
		f := newFixture(t)
		res := f.invoke("patient1", "Grant", asJSON(t, consentDoc("c-1", pat1, hospital+"/provider",
			actions(consenttypes.ActionUse, consenttypes.ActionAccess, consenttypes.ActionAccess))))
		got := cctest.Decode[consenttypes.Consent](t, res)
		require.Equal(t, consenttypes.StatusActive, got.Status)
		require.Equal(t, 1, got.Version)
		require.Equal(t, []consenttypes.Action{consenttypes.ActionAccess, consenttypes.ActionUse}, got.Actions, "actions are normalized")
		require.Equal(t, "HospitalMSP/patient/"+pat1, got.Grantor)
		require.Equal(t, got.Grantor, got.CreatedBy)
		require.Equal(t, res.Time, got.CreatedAt)
		require.Equal(t, res.Time, got.UpdatedAt)

		stored := cctest.StateJSON[consenttypes.Consent](t, f.l, cc, f.l.Key("consent", "c-1"))
		require.Equal(t, got, stored)
		require.NotNil(t, f.l.State(cc, f.l.Key("consent~pg", pat1, hospital, "c-1")), "decision index")
		require.NotNil(t, f.l.State(cc, f.l.Key("consent~p", pat1, "c-1")), "patient index")
		require.NotNil(t, f.l.State(cc, f.l.Key("consent~g", hospital, "provider", "", "c-1")), "grantee index")

		ev := cctest.RequireEvent[consenttypes.ConsentEvent](t, res, consenttypes.EventConsentGranted)
		require.Equal(t, consenttypes.ConsentEvent{ConsentID: "c-1", Patient: pat1, Grantee: "HospitalMSP/provider", Decision: consenttypes.Permit,
			Status: consenttypes.StatusActive, Version: 1, By: got.Grantor, At: res.Time}, ev)
	})

	t.Run("server-managed fields sent by the client are ignored", func(t *testing.T) {
		f := newFixture(t)
		doc := consentDoc("c-1", pat1, hospital)
		doc.Status, doc.Version, doc.Grantor, doc.CreatedBy = consenttypes.StatusInactive, 7, "InsurerMSP/insurer/x", "someone"
		got := f.grant("patient1", doc)
		require.Equal(t, consenttypes.StatusActive, got.Status)
		require.Equal(t, 1, got.Version)
		require.Equal(t, "HospitalMSP/patient/"+pat1, got.Grantor)
		require.Equal(t, got.Grantor, got.CreatedBy)
	})

	t.Run("granting the same id with the same terms is a duplicate and changes nothing", func(t *testing.T) {
		f := newFixture(t)
		f.grant("patient1", consentDoc("c-1", pat1, hospital))
		before := f.l.Snapshot()
		ce := cctest.RequireCode(t, f.invoke("patient1", "Grant", asJSON(t, consentDoc("c-1", pat1, hospital))), codes.Duplicate)
		require.Contains(t, ce.Message, "c-1")
		f.l.RequireUnchanged(t, before)
	})

	t.Run("granting the same id with other terms is a conflict and changes nothing", func(t *testing.T) {
		f := newFixture(t)
		f.grant("patient1", consentDoc("c-1", pat1, hospital))
		before := f.l.Snapshot()
		cctest.RequireCode(t, f.invoke("patient1", "Grant", asJSON(t, consentDoc("c-1", pat1, insurer))), codes.Conflict)
		f.l.RequireUnchanged(t, before)
	})

	t.Run("a recorded delegate grants for the patient", func(t *testing.T) {
		f := newFixture(t)
		cctest.RequireOK(t, f.invoke("patient1", "AddDelegate", pat2, hospital))
		got := f.grant("patient2", consentDoc("c-1", pat1, hospital))
		require.Equal(t, "HospitalMSP/patient/"+pat2, got.Grantor)
	})

	t.Run("a patient may not hold more active consents for one organisation than the bound", func(t *testing.T) {
		f := newFixture(t)
		for i := range consenttypes.MaxActivePerGrantee {
			f.grant("patient1", consentDoc("c-"+itoa(i), pat1, hospital))
		}
		f.grant("patient1", consentDoc("c-other-org", pat1, insurer))
		before := f.l.Snapshot()
		cctest.RequireCode(t, f.invoke("patient1", "Grant", asJSON(t, consentDoc("c-over", pat1, hospital))), codes.PreconditionFailed)
		f.l.RequireUnchanged(t, before)
		cctest.RequireOK(t, f.invoke("patient1", "Revoke", "c-0", "no longer needed"))
		f.grant("patient1", consentDoc("c-over", pat1, hospital))
	})
}

func TestGrantRejectsBadInput(t *testing.T) {
	start := cctest.DefaultStart()
	tests := []struct {
		name string
		doc  string
	}{
		{"malformed JSON", `{"id":`},
		{"an unknown field", `{"id":"c-1","patient":"pat-7f3a9c21","grantee":"HospitalMSP","decision":"permit","actions":["access"],"purposes":["TREAT"],"dataClasses":["Claim"],"color":"red"}`},
		{"trailing data", `{"id":"c-1","patient":"pat-7f3a9c21","grantee":"HospitalMSP","decision":"permit","actions":["access"],"purposes":["TREAT"],"dataClasses":["Claim"]} {}`},
		{"a stray closing brace after the document", `{"id":"c-1","patient":"pat-7f3a9c21","grantee":"HospitalMSP","decision":"permit","actions":["access"],"purposes":["TREAT"],"dataClasses":["Claim"]}}`},
		{"a stray closing bracket after the document", `{"id":"c-1","patient":"pat-7f3a9c21","grantee":"HospitalMSP","decision":"permit","actions":["access"],"purposes":["TREAT"],"dataClasses":["Claim"]}]`},
		{"a malformed id", asJSON(t, consentDoc("c 1", pat1, hospital))},
		{"an unknown action", asJSON(t, consentDoc("c-1", pat1, hospital, actions("sell")))},
		{"an unknown purpose", asJSON(t, consentDoc("c-1", pat1, hospital, purposes("FUN")))},
		{"an unknown data class", asJSON(t, consentDoc("c-1", pat1, hospital, classes("Genome")))},
		{"a period that ends before it starts", asJSON(t, consentDoc("c-1", pat1, hospital, period(start.Add(48*time.Hour), start.Add(24*time.Hour))))},
		{"a period that is already over", asJSON(t, consentDoc("c-1", pat1, hospital, period(time.Time{}, start.Add(-time.Hour))))},
		{"a malformed grantee", asJSON(t, consentDoc("c-1", pat1, "HospitalMSP/nurse"))},
		{"an unknown decision", asJSON(t, consentDoc("c-1", pat1, hospital, func(c *consenttypes.Consent) { c.Decision = "allow" }))},
	}
	for _, tc := range tests {
		t.Run(tc.name+" is an invalid argument and changes nothing", func(t *testing.T) {
			f := newFixture(t)
			before := f.l.Snapshot()
			cctest.RequireCode(t, f.invoke("patient1", "Grant", tc.doc), codes.InvalidArgument)
			f.l.RequireUnchanged(t, before)
		})
	}
}

func TestUpdate(t *testing.T) {
	t.Run("an update bumps the version and keeps the old version in history", func(t *testing.T) {
		f := newFixture(t)
		v1 := f.grant("patient1", consentDoc("c-1", pat1, hospital))
		doc := consentDoc("c-1", pat1, hospital, classes(consenttypes.AllClasses))
		doc.Version = 1
		res := f.invoke("patient1", "Update", asJSON(t, doc))
		v2 := cctest.Decode[consenttypes.Consent](t, res)
		require.Equal(t, 2, v2.Version)
		require.Equal(t, []consenttypes.DataClass{consenttypes.AllClasses}, v2.Classes)
		require.Equal(t, v1.CreatedAt, v2.CreatedAt)
		require.Equal(t, res.Time, v2.UpdatedAt)
		ev := cctest.RequireEvent[consenttypes.ConsentEvent](t, res, consenttypes.EventConsentUpdated)
		require.Equal(t, 2, ev.Version)

		hist := cctest.Decode[[]consenttypes.ConsentVersion](t, f.eval("patient1", "ConsentHistory", "c-1"))
		require.Len(t, hist, 2)
		require.Equal(t, 1, hist[0].Value.Version)
		require.Equal(t, []consenttypes.DataClass{consenttypes.ClassObservation, consenttypes.ClassCondition}, hist[0].Value.Classes)
		require.Equal(t, 2, hist[1].Value.Version)

		d := f.check("provider1", pat1, hospital+"/provider/"+npi1, consenttypes.ActionAccess, consenttypes.PurposeTreatment, consenttypes.ClassImmunization)
		require.Equal(t, consenttypes.Permit, d.Decision, "the new terms decide from the next transaction")
	})

	t.Run("moving a consent to another organisation moves its indexes", func(t *testing.T) {
		f := newFixture(t)
		f.grant("patient1", consentDoc("c-1", pat1, hospital))
		cctest.RequireOK(t, f.invoke("patient1", "Update", asJSON(t, consentDoc("c-1", pat1, insurer+"/insurer"))))
		require.Nil(t, f.l.State(cc, f.l.Key("consent~pg", pat1, hospital, "c-1")))
		require.NotNil(t, f.l.State(cc, f.l.Key("consent~pg", pat1, insurer, "c-1")))
		require.Nil(t, f.l.State(cc, f.l.Key("consent~g", hospital, "", "", "c-1")))
		require.NotNil(t, f.l.State(cc, f.l.Key("consent~g", insurer, "insurer", "", "c-1")))
		d := f.check("provider1", pat1, hospital, consenttypes.ActionAccess, consenttypes.PurposeTreatment, consenttypes.ClassObservation)
		require.Equal(t, consenttypes.Deny, d.Decision)
	})

	failures := []struct {
		name   string
		caller string
		doc    func() consenttypes.Consent
		code   codes.Code
	}{
		{"an update against a stale version is a conflict", "patient1",
			func() consenttypes.Consent { d := consentDoc("c-1", pat1, insurer); d.Version = 5; return d }, codes.Conflict},
		{"an update with the same terms is a duplicate", "patient1",
			func() consenttypes.Consent { return consentDoc("c-1", pat1, hospital) }, codes.Duplicate},
		{"an update of an unknown consent is not found", "patient1",
			func() consenttypes.Consent { return consentDoc("c-404", pat1, hospital) }, codes.NotFound},
		{"an update that moves the consent to another patient is not found", "patient2",
			func() consenttypes.Consent { return consentDoc("c-1", pat2, hospital) }, codes.NotFound},
		{"a provider may not update a patient's consent", "provider1",
			func() consenttypes.Consent { return consentDoc("c-1", pat1, insurer) }, codes.Forbidden},
		{"another patient may not update the consent", "patient2",
			func() consenttypes.Consent { return consentDoc("c-1", pat1, insurer) }, codes.Forbidden},
		{"an update with an unknown purpose is an invalid argument", "patient1",
			func() consenttypes.Consent { return consentDoc("c-1", pat1, hospital, purposes("FUN")) }, codes.InvalidArgument},
	}
	for _, tc := range failures {
		t.Run(tc.name+" and changes nothing", func(t *testing.T) {
			f := newFixture(t)
			f.grant("patient1", consentDoc("c-1", pat1, hospital))
			before := f.l.Snapshot()
			cctest.RequireCode(t, f.invoke(tc.caller, "Update", asJSON(t, tc.doc())), tc.code)
			f.l.RequireUnchanged(t, before)
		})
	}

	t.Run("a revoked consent cannot be updated", func(t *testing.T) {
		f := newFixture(t)
		f.grant("patient1", consentDoc("c-1", pat1, hospital))
		cctest.RequireOK(t, f.invoke("patient1", "Revoke", "c-1", ""))
		cctest.RequireCode(t, f.invoke("patient1", "Update", asJSON(t, consentDoc("c-1", pat1, insurer))), codes.PreconditionFailed)
	})
}

func TestRevoke(t *testing.T) {
	t.Run("a revocation takes effect in the next transaction", func(t *testing.T) {
		f := newFixture(t)
		f.grant("patient1", consentDoc("c-1", pat1, hospital))
		provider := hospital + "/provider/" + npi1
		require.Equal(t, consenttypes.Permit, f.check("provider1", pat1, provider, consenttypes.ActionAccess, consenttypes.PurposeTreatment, consenttypes.ClassObservation).Decision)

		res := f.invoke("patient1", "Revoke", "c-1", "changed my mind")
		got := cctest.Decode[consenttypes.Consent](t, res)
		require.Equal(t, consenttypes.StatusInactive, got.Status)
		require.Equal(t, 2, got.Version)
		require.Equal(t, res.Time, got.RevokedAt)
		require.Equal(t, "changed my mind", got.RevokeReason)
		ev := cctest.RequireEvent[consenttypes.ConsentEvent](t, res, consenttypes.EventConsentRevoked)
		require.Equal(t, consenttypes.StatusInactive, ev.Status)
		require.Nil(t, f.l.State(cc, f.l.Key("consent~pg", pat1, hospital, "c-1")), "revoked consents leave the decision index")

		require.Equal(t, consenttypes.Deny, f.check("provider1", pat1, provider, consenttypes.ActionAccess, consenttypes.PurposeTreatment, consenttypes.ClassObservation).Decision)
		page := cctest.Decode[consenttypes.ConsentPage](t, f.eval("patient1", "ListConsentsByPatient", pat1, "0", ""))
		require.Len(t, page.Items, 1, "a revoked consent stays listed")
		require.Equal(t, consenttypes.StatusInactive, page.Items[0].Status)
	})

	t.Run("revoking twice is a duplicate", func(t *testing.T) {
		f := newFixture(t)
		f.grant("patient1", consentDoc("c-1", pat1, hospital))
		cctest.RequireOK(t, f.invoke("patient1", "Revoke", "c-1", ""))
		before := f.l.Snapshot()
		cctest.RequireCode(t, f.invoke("patient1", "Revoke", "c-1", ""), codes.Duplicate)
		f.l.RequireUnchanged(t, before)
	})

	t.Run("revoking an unknown consent is not found", func(t *testing.T) {
		f := newFixture(t)
		cctest.RequireCode(t, f.invoke("patient1", "Revoke", "c-404", ""), codes.NotFound)
	})

	t.Run("a reason with a control character is an invalid argument", func(t *testing.T) {
		f := newFixture(t)
		f.grant("patient1", consentDoc("c-1", pat1, hospital))
		cctest.RequireCode(t, f.invoke("patient1", "Revoke", "c-1", "a\x00b"), codes.InvalidArgument)
	})
}

func TestGetConsent(t *testing.T) {
	tests := []struct {
		caller string
		code   codes.Code // "" = allowed
	}{
		{"patient1", ""},
		{"auditor1", ""},
		{"insurer1", ""},             // the consent names InsurerMSP/insurer
		{"patient2", codes.NotFound}, // the answer of a missing consent
		{"provider1", codes.NotFound},
		{"manufacturer1", codes.NotFound},
		{"impostor1", codes.Forbidden}, // a role the map does not grant its MSP, refused before any lookup
		{"noattrs", codes.Forbidden},
	}
	f := newFixture(t)
	f.grant("patient1", consentDoc("c-1", pat1, insurer+"/insurer", actions(consenttypes.ActionDisclose), purposes(consenttypes.PurposePayment), classes(consenttypes.ClassClaim)))
	for _, tc := range tests {
		name := tc.caller + " may read the consent"
		if tc.code != "" {
			name = tc.caller + " may not read the consent"
		}
		t.Run(name, func(t *testing.T) {
			res := f.eval(tc.caller, "GetConsent", "c-1")
			if tc.code == "" {
				require.Equal(t, "c-1", cctest.Decode[consenttypes.Consent](t, res).ID)
				return
			}
			cctest.RequireCode(t, res, tc.code)
		})
	}
	t.Run("an unknown consent is not found", func(t *testing.T) {
		cctest.RequireCode(t, f.eval("patient1", "GetConsent", "c-404"), codes.NotFound)
	})
	t.Run("a malformed id is an invalid argument", func(t *testing.T) {
		cctest.RequireCode(t, f.eval("patient1", "GetConsent", "c/1"), codes.InvalidArgument)
	})
}

func TestListConsentsByPatient(t *testing.T) {
	f := newFixture(t)
	for i := range 5 {
		f.grant("patient1", consentDoc("c-"+itoa(i), pat1, hospital))
	}
	f.grant("patient2", consentDoc("d-1", pat2, hospital))

	t.Run("pages follow bookmarks to the end", func(t *testing.T) {
		var ids []string
		bookmark := ""
		for range 5 {
			page := cctest.Decode[consenttypes.ConsentPage](t, f.eval("patient1", "ListConsentsByPatient", pat1, "2", bookmark))
			for _, c := range page.Items {
				ids = append(ids, c.ID)
			}
			bookmark = page.Bookmark
			if bookmark == "" {
				break
			}
		}
		require.Equal(t, []string{"c-0", "c-1", "c-2", "c-3", "c-4"}, ids)
	})

	t.Run("a bookmark of another query is refused", func(t *testing.T) {
		forged := f.l.Key("consent~p", pat2, "d-1")
		cctest.RequireCode(t, f.eval("patient1", "ListConsentsByPatient", pat1, "2", forged), codes.InvalidArgument)
	})

	t.Run("a page size above the maximum is refused", func(t *testing.T) {
		cctest.RequireCode(t, f.eval("patient1", "ListConsentsByPatient", pat1, "100000", ""), codes.InvalidArgument)
	})

	for _, tc := range []struct {
		caller string
		ok     bool
	}{
		{"patient1", true}, {"auditor1", true}, {"patient2", false}, {"provider1", false}, {"insurer1", false}, {"impostor1", false},
	} {
		verb := "may"
		if !tc.ok {
			verb = "may not"
		}
		t.Run(tc.caller+" "+verb+" list patient1's consents", func(t *testing.T) {
			res := f.eval(tc.caller, "ListConsentsByPatient", pat1, "0", "")
			if tc.ok {
				require.Len(t, cctest.Decode[consenttypes.ConsentPage](t, res).Items, 5)
				return
			}
			cctest.RequireCode(t, res, codes.Forbidden)
		})
	}
}

func TestListConsentsByGrantee(t *testing.T) {
	f := newFixture(t)
	f.grant("patient1", consentDoc("c-org", pat1, hospital))
	f.grant("patient1", consentDoc("c-role", pat1, hospital+"/provider"))
	f.grant("patient1", consentDoc("c-one", pat1, hospital+"/provider/"+npi1))
	f.grant("patient2", consentDoc("c-ins", pat2, insurer))

	ids := func(p consenttypes.ConsentPage) []string {
		out := []string{}
		for _, c := range p.Items {
			out = append(out, c.ID)
		}
		return out
	}
	tests := []struct {
		name    string
		caller  string
		grantee string
		want    []string
	}{
		{"an organisation lists every consent naming it", "provider1", hospital, []string{"c-org", "c-role", "c-one"}},
		{"a role lists its consents and its individuals'", "provider1", hospital + "/provider", []string{"c-role", "c-one"}},
		{"an individual lists its own consents", "provider1", hospital + "/provider/" + npi1, []string{"c-one"}},
		{"an insurer lists the consents naming its organisation", "insurer1", insurer, []string{"c-ins"}},
		{"an auditor lists any organisation", "auditor1", hospital, []string{"c-org", "c-role", "c-one"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ids(cctest.Decode[consenttypes.ConsentPage](t, f.eval(tc.caller, "ListConsentsByGrantee", tc.grantee, "0", "")))
			require.ElementsMatch(t, tc.want, got)
		})
	}
	for _, tc := range []struct{ name, caller, grantee string }{
		{"a patient may not list the consents of its own organisation", "patient2", hospital},
		{"an insurer may not list the consents of another organisation", "insurer1", hospital},
		{"a provider may not list the consents of the insurer", "provider1", insurer},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cctest.RequireCode(t, f.eval(tc.caller, "ListConsentsByGrantee", tc.grantee, "0", ""), codes.Forbidden)
		})
	}
	t.Run("a malformed grantee is an invalid argument", func(t *testing.T) {
		cctest.RequireCode(t, f.eval("auditor1", "ListConsentsByGrantee", "Hospital MSP", "0", ""), codes.InvalidArgument)
	})
}

// TestTrailingDataIsRefusedAndChangesNothing sends each JSON input of the contract, valid but for a
// stray '}' after it (which a decoder that asks json.Decoder.More would accept), to a ledger where the
// call would otherwise succeed.
func TestTrailingDataIsRefusedAndChangesNothing(t *testing.T) {
	t.Run("an update of an existing consent", func(t *testing.T) {
		f := newFixture(t)
		f.grant("patient1", consentDoc("c-1", pat1, hospital))
		doc := asJSON(t, consentDoc("c-1", pat1, hospital, classes(consenttypes.AllClasses)))
		before := f.l.Snapshot()
		cctest.RequireCode(t, f.invoke("patient1", "Update", doc+"}"), codes.InvalidArgument)
		f.l.RequireUnchanged(t, before)
		cctest.RequireOK(t, f.invoke("patient1", "Update", doc))
	})
	t.Run("the transient details of a record", func(t *testing.T) {
		f := newFixture(t)
		f.grant("patient1", consentDoc("c-collect", pat1, hospital, classes(consenttypes.ClassObservation)))
		details := asJSON(t, consenttypes.RecordDetails{URI: "https://ehr.example/r/1", Description: "d", Salt: "c2FsdHNhbHRzYWx0c2FsdA"})
		cctest.RequireOK(t, f.invoke("provider1", "RegisterRecord", "r-1", pat1, string(consenttypes.ClassObservation), sum("document"), sum(details)))
		before := f.l.Snapshot()
		res := f.invokeWith("provider1", "PutRecordDetails", []cctest.CallOption{cctest.WithTransient(map[string][]byte{consenttypes.TransientRecord: []byte(details + "}")})}, "r-1")
		ce := cctest.RequireCode(t, res, codes.InvalidArgument)
		require.NotContains(t, ce.Message, "ehr.example", "the message does not quote the private input")
		f.l.RequireUnchanged(t, before)
		cctest.RequireOK(t, f.invokeWith("provider1", "PutRecordDetails", []cctest.CallOption{cctest.WithTransient(map[string][]byte{consenttypes.TransientRecord: []byte(details)})}, "r-1"))
	})
}
