//go:build integration

package integration

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/healthledger/healthledger/chaincode/consent/consenttypes"
	"github.com/healthledger/healthledger/gateway-client/consent"
	"github.com/healthledger/healthledger/gateway-client/sdk"
	"github.com/stretchr/testify/require"
)

// The consent tests run against a shared network that keeps every earlier run's data. Each test uses
// its own purpose/class pair, so that its consents (a deny above all) never decide another test's
// requests, and revokes every consent it grants: a patient may hold at most
// ct.MaxActivePerGrantee active consents per organisation, expired ones included.

func TestConsentStoryGrantAccessLogRevokeDeny(t *testing.T) {
	pat, prov := consentPatient(t), identity(t, "provider", 0)
	pc, vc := consentClient(t, pat), consentClient(t, prov)
	since := time.Now().Add(-time.Minute)
	const purpose, class = consenttypes.PurposeTreatment, consenttypes.ClassEncounter

	id := unique("it-consent-story")
	granted := consentGrant(t, pc, consenttypes.Consent{
		ID: id, Patient: pat.Subject, Grantee: consentParty(prov), Decision: consenttypes.Permit,
		Actions: []consenttypes.Action{consenttypes.ActionAccess}, Purposes: []consenttypes.Purpose{purpose}, Classes: []consenttypes.DataClass{class},
	})
	require.Equal(t, consenttypes.StatusActive, granted.Status)
	require.Equal(t, 1, granted.Version)
	require.Equal(t, consentParty(pat), granted.Grantor)

	consentEventuallyDecides(t, vc, pat.Subject, consentGrantee(prov), consenttypes.ActionAccess, purpose, class, consenttypes.Permit, []string{id})

	recordID := unique("it-consent-enc")
	entry, err := vc.RecordAccess(ctx(t), pat.Subject, class, purpose, recordID)
	require.NoError(t, err, "the provider's access is permitted by consent %s", id)
	require.Equal(t, recordID+"@"+entry.TxID, entry.ID)
	require.Equal(t, consentParty(prov), entry.Accessor)
	require.Equal(t, []string{id}, entry.ConsentIDs)
	require.Equal(t, pat.Subject, entry.Patient)

	var logged []consenttypes.AccessEntry
	eventually(t, "the patient seeing the access in their log", func() error {
		logged = consentLogEntries(t, pc, pat.Subject, recordID, since)
		if len(logged) == 0 {
			return fmt.Errorf("no entry for record %s in the access log of %s", recordID, pat.Subject)
		}
		return nil
	})
	require.Len(t, logged, 1)
	require.Equal(t, entry.ID, logged[0].ID)
	require.Equal(t, consentParty(prov), logged[0].Accessor)
	require.Equal(t, consenttypes.ActionAccess, logged[0].Action)
	require.Equal(t, class, logged[0].DataClass)
	require.Equal(t, purpose, logged[0].Purpose)
	require.Equal(t, []string{id}, logged[0].ConsentIDs)

	revoked, err := pc.Revoke(ctx(t), id, "the patient changed their mind")
	require.NoError(t, err)
	require.Equal(t, consenttypes.StatusInactive, revoked.Status)
	require.Equal(t, 2, revoked.Version)
	require.Equal(t, consentParty(pat), revoked.RevokedBy)

	consentEventuallyDecides(t, vc, pat.Subject, consentGrantee(prov), consenttypes.ActionAccess, purpose, class, consenttypes.Deny, []string{})
	_, err = vc.RecordAccess(ctx(t), pat.Subject, class, purpose, recordID)
	require.ErrorIs(t, err, sdk.ErrForbidden, "the provider's access after the revocation")

	after := consentLogEntries(t, pc, pat.Subject, recordID, since)
	require.Equal(t, logged, after, "the denied access stored nothing: the log holds only the permitted access")

	history, err := pc.ConsentHistory(ctx(t), id)
	require.NoError(t, err)
	require.Len(t, history, 2, "the grant and the revocation")
	require.Equal(t, consenttypes.StatusActive, history[0].Value.Status)
	require.Equal(t, consenttypes.StatusInactive, history[1].Value.Status)
}

func TestConsentExpiredConsentDeniesAccess(t *testing.T) {
	pat, prov := consentPatient(t), identity(t, "provider", 0)
	pc, vc := consentClient(t, pat), consentClient(t, prov)
	since := time.Now().Add(-time.Minute)
	const purpose, class = consenttypes.PurposeTreatment, consenttypes.ClassImmunization

	// Transaction time is the client's proposal time, so the end is measured on this machine's clock.
	end := time.Now().Add(8 * time.Second).UTC()
	id := unique("it-consent-expiring")
	consentGrant(t, pc, consenttypes.Consent{
		ID: id, Patient: pat.Subject, Grantee: consentParty(prov), Decision: consenttypes.Permit,
		Actions: []consenttypes.Action{consenttypes.ActionAccess}, Purposes: []consenttypes.Purpose{purpose}, Classes: []consenttypes.DataClass{class},
		Period: consenttypes.Period{End: end},
	})

	before := unique("it-consent-imm")
	entry, err := vc.RecordAccess(ctx(t), pat.Subject, class, purpose, before)
	require.NoError(t, err, "the consent is in force until %s", end)
	require.Equal(t, []string{id}, entry.ConsentIDs)
	require.True(t, entry.At.Before(end), "the access at %s precedes the end %s", entry.At, end)

	time.Sleep(time.Until(end) + time.Second)

	d, err := vc.CheckAccess(ctx(t), pat.Subject, consentGrantee(prov), consenttypes.ActionAccess, purpose, class)
	require.NoError(t, err)
	require.Equal(t, consenttypes.Deny, d.Decision)
	require.Empty(t, d.ConsentIDs, "an expired consent decides nothing")
	require.Contains(t, d.Reason, id, "the reason names the consent that expired")
	require.False(t, d.At.Before(end))

	after := unique("it-consent-imm")
	_, err = vc.RecordAccess(ctx(t), pat.Subject, class, purpose, after)
	require.ErrorIs(t, err, sdk.ErrForbidden, "an access after the consent's end")
	require.Empty(t, consentLogEntries(t, pc, pat.Subject, after, since), "the denied access stored nothing")
	require.Len(t, consentLogEntries(t, pc, pat.Subject, before, since), 1)

	still, err := pc.GetConsent(ctx(t), id)
	require.NoError(t, err)
	require.Equal(t, consenttypes.StatusActive, still.Status, "expiry is not revocation: the consent keeps its status")

	t.Run("a period wholly in the past is refused at grant", func(t *testing.T) {
		past := unique("it-consent-past")
		_, err := pc.Grant(ctx(t), consenttypes.Consent{
			ID: past, Patient: pat.Subject, Grantee: consentParty(prov), Decision: consenttypes.Permit,
			Actions: []consenttypes.Action{consenttypes.ActionAccess}, Purposes: []consenttypes.Purpose{purpose}, Classes: []consenttypes.DataClass{class},
			Period: consenttypes.Period{Start: time.Now().Add(-2 * time.Hour), End: time.Now().Add(-time.Hour)},
		})
		require.ErrorIs(t, err, sdk.ErrInvalidArgument)
		_, err = pc.GetConsent(ctx(t), past)
		require.ErrorIs(t, err, sdk.ErrNotFound, "the refused grant stored nothing")
	})
}

func TestConsentDenyOverridesPermit(t *testing.T) {
	pat, prov := consentPatient(t), identity(t, "provider", 0)
	pc, vc := consentClient(t, pat), consentClient(t, prov)
	const purpose, class = consenttypes.PurposeOperations, consenttypes.ClassCarePlan
	terms := func(id string, grantee string, decision consenttypes.Verdict) consenttypes.Consent {
		return consenttypes.Consent{
			ID: id, Patient: pat.Subject, Grantee: grantee, Decision: decision,
			Actions: []consenttypes.Action{consenttypes.ActionAccess}, Purposes: []consenttypes.Purpose{purpose}, Classes: []consenttypes.DataClass{class},
		}
	}

	permitID, denyID := unique("it-consent-permit"), unique("it-consent-deny")
	consentGrant(t, pc, terms(permitID, prov.MSPID, consenttypes.Permit))
	consentEventuallyDecides(t, vc, pat.Subject, consentGrantee(prov), consenttypes.ActionAccess, purpose, class, consenttypes.Permit, []string{permitID})

	consentGrant(t, pc, terms(denyID, consentParty(prov), consenttypes.Deny))
	d := consentEventuallyDecides(t, vc, pat.Subject, consentGrantee(prov), consenttypes.ActionAccess, purpose, class, consenttypes.Deny, []string{denyID})
	require.NotContains(t, d.ConsentIDs, permitID, "the decision names the deny, not the permit it overrides")

	_, err := vc.RecordAccess(ctx(t), pat.Subject, class, purpose, unique("it-consent-careplan"))
	require.ErrorIs(t, err, sdk.ErrForbidden, "the provider's access under a deny")

	t.Run("the deny for one provider leaves the org-wide permit to the others", func(t *testing.T) {
		ids := env.net.Identities("provider")
		i := slices.IndexFunc(ids, func(id sdk.IdentityInfo) bool { return id.MSPID == prov.MSPID && id.Subject != prov.Subject })
		if i < 0 {
			t.Skip("the layout has no second provider in the first provider's org")
		}
		other := consentClient(t, ids[i])
		d, err := other.CheckAccess(ctx(t), pat.Subject, consentGrantee(ids[i]), consenttypes.ActionAccess, purpose, class)
		require.NoError(t, err)
		require.Equal(t, consenttypes.Permit, d.Decision)
		require.Equal(t, []string{permitID}, d.ConsentIDs)
	})

	t.Run("revoking the deny restores the permit", func(t *testing.T) {
		_, err := pc.Revoke(ctx(t), denyID, "")
		require.NoError(t, err)
		consentEventuallyDecides(t, vc, pat.Subject, consentGrantee(prov), consenttypes.ActionAccess, purpose, class, consenttypes.Permit, []string{permitID})
	})
}

func TestConsentCrossOrgDenials(t *testing.T) {
	pat, prov, ins := consentPatient(t), identity(t, "provider", 0), identity(t, "insurer", 0)
	pc, vc, ic := consentClient(t, pat), consentClient(t, prov), consentClient(t, ins)
	const class = consenttypes.ClassDiagnosticReport

	// A consent for the provider, and a record the provider registers under it.
	provConsent := unique("it-consent-xorg")
	consentGrant(t, pc, consenttypes.Consent{
		ID: provConsent, Patient: pat.Subject, Grantee: consentParty(prov), Decision: consenttypes.Permit,
		Actions:  []consenttypes.Action{consenttypes.ActionAccess, consenttypes.ActionCollect},
		Purposes: []consenttypes.Purpose{consenttypes.PurposeTreatment}, Classes: []consenttypes.DataClass{class},
	})
	rec := &consentRegister(t, vc, "", pat.Subject, class, consenttypes.RecordDetails{URI: "https://ehr.invalid/" + unique("dr"), Description: "lab report"}, nil).Record

	someConsent := func(id string) consenttypes.Consent {
		return consenttypes.Consent{
			ID: id, Patient: pat.Subject, Grantee: ins.MSPID, Decision: consenttypes.Permit,
			Actions: []consenttypes.Action{consenttypes.ActionAccess}, Purposes: []consenttypes.Purpose{consenttypes.PurposeTreatment}, Classes: []consenttypes.DataClass{consenttypes.AllClasses},
		}
	}

	t.Run("an identity of another org cannot grant for the patient nor read their log or consents", func(t *testing.T) {
		out, ok := consentOutsider(pat)
		if !ok {
			t.Skip("every identity of the layout is in the patient's org")
		}
		oc := consentClient(t, out)
		id := unique("it-consent-forged")
		_, err := oc.Grant(ctx(t), someConsent(id))
		require.ErrorIs(t, err, sdk.ErrForbidden, "%s granting for %s", consentParty(out), pat.Subject)
		_, err = pc.GetConsent(ctx(t), id)
		require.ErrorIs(t, err, sdk.ErrNotFound, "the refused grant stored nothing")
		_, err = oc.ListAccessLog(ctx(t), pat.Subject, 0, "")
		require.ErrorIs(t, err, sdk.ErrForbidden)
		_, err = oc.ListConsentsByPatient(ctx(t), pat.Subject, 0, "")
		require.ErrorIs(t, err, sdk.ErrForbidden)
		_, err = oc.Revoke(ctx(t), provConsent, "")
		require.ErrorIs(t, err, sdk.ErrNotFound, "a consent the caller may not manage answers as a missing one")
		consentHidden(t, oc, rec, "reading the record's details from another org", func() error {
			_, err := oc.GetRecordDetails(ctx(t), rec.ID)
			return err
		})
	})

	t.Run("an insurer cannot grant for the patient nor read their log", func(t *testing.T) {
		id := unique("it-consent-byinsurer")
		_, err := ic.Grant(ctx(t), someConsent(id))
		require.ErrorIs(t, err, sdk.ErrForbidden)
		_, err = pc.GetConsent(ctx(t), id)
		require.ErrorIs(t, err, sdk.ErrNotFound, "the refused grant stored nothing")
		_, err = ic.ListAccessLog(ctx(t), pat.Subject, 0, "")
		require.ErrorIs(t, err, sdk.ErrForbidden)
	})

	t.Run("a provider cannot grant for the patient", func(t *testing.T) {
		id := unique("it-consent-byprovider")
		_, err := vc.Grant(ctx(t), someConsent(id))
		require.ErrorIs(t, err, sdk.ErrForbidden)
		_, err = pc.GetConsent(ctx(t), id)
		require.ErrorIs(t, err, sdk.ErrNotFound)
	})

	t.Run("a patient cannot read another patient's consents, log or records", func(t *testing.T) {
		ids := env.net.Identities("patient")
		i := slices.IndexFunc(ids, func(id sdk.IdentityInfo) bool { return id.Subject != pat.Subject })
		if i < 0 {
			t.Skip("the layout has a single patient")
		}
		oc := consentClient(t, ids[i])
		_, err := oc.ListConsentsByPatient(ctx(t), pat.Subject, 0, "")
		require.ErrorIs(t, err, sdk.ErrForbidden)
		_, err = oc.ListAccessLog(ctx(t), pat.Subject, 0, "")
		require.ErrorIs(t, err, sdk.ErrForbidden)
		_, err = oc.GetConsent(ctx(t), provConsent)
		require.ErrorIs(t, err, sdk.ErrNotFound)
		_, err = oc.ListRecordsByPatient(ctx(t), pat.Subject, 0, "")
		require.ErrorIs(t, err, sdk.ErrForbidden)
		consentHidden(t, oc, rec, "another patient reading the record", func() error {
			_, err := oc.GetRecord(ctx(t), rec.ID)
			return err
		})
		_, err = oc.Grant(ctx(t), someConsent(unique("it-consent-bypatient")))
		require.ErrorIs(t, err, sdk.ErrForbidden)
		_, err = oc.Revoke(ctx(t), provConsent, "")
		require.ErrorIs(t, err, sdk.ErrNotFound)
	})

	t.Run("an insurer sees only what a consent permits", func(t *testing.T) {
		consentHidden(t, ic, rec, "the insurer reading the record before any consent lets it", func() error {
			_, err := ic.GetRecord(ctx(t), rec.ID)
			return err
		})
		_, err := ic.GetConsent(ctx(t), provConsent)
		require.ErrorIs(t, err, sdk.ErrNotFound, "a consent naming the provider is not the insurer's to read")
		_, err = ic.ListRecordsByPatient(ctx(t), pat.Subject, 0, "")
		require.ErrorIs(t, err, sdk.ErrForbidden)
		_, err = ic.ListConsentsByPatient(ctx(t), pat.Subject, 0, "")
		require.ErrorIs(t, err, sdk.ErrForbidden)
		if prov.MSPID != ins.MSPID {
			_, err = ic.CheckAccess(ctx(t), pat.Subject, consentGrantee(prov), consenttypes.ActionAccess, consenttypes.PurposeTreatment, class)
			require.ErrorIs(t, err, sdk.ErrForbidden, "an insurer asks only about its own org")
		}

		insConsent := unique("it-consent-insurer")
		consentGrant(t, pc, consenttypes.Consent{
			ID: insConsent, Patient: pat.Subject, Grantee: ins.MSPID + "/" + ins.Role, Decision: consenttypes.Permit,
			Actions: []consenttypes.Action{consenttypes.ActionAccess}, Purposes: []consenttypes.Purpose{consenttypes.PurposeCoverage}, Classes: []consenttypes.DataClass{class},
		})
		var got *consenttypes.Record
		eventually(t, "the insurer reading the record its consent covers", func() error {
			got, err = ic.GetRecord(ctx(t), rec.ID)
			return err
		})
		require.Equal(t, rec.SHA256, got.SHA256)
		mine, err := ic.GetConsent(ctx(t), insConsent)
		require.NoError(t, err, "the insurer reads the consent naming it")
		require.Equal(t, insConsent, mine.ID)

		_, err = ic.GetRecordDetails(ctx(t), rec.ID)
		require.ErrorIs(t, err, sdk.ErrNotFound, "a consent never opens the private details to an insurer")
		_, err = ic.GetConsent(ctx(t), provConsent)
		require.ErrorIs(t, err, sdk.ErrNotFound)
		_, err = ic.ListAccessLog(ctx(t), pat.Subject, 0, "")
		require.ErrorIs(t, err, sdk.ErrForbidden)
		_, err = ic.RecordAccess(ctx(t), pat.Subject, class, consenttypes.PurposePayment, rec.ID)
		require.ErrorIs(t, err, sdk.ErrForbidden, "the consent names COVERAGE, not HPAYMT")

		_, err = pc.Revoke(ctx(t), insConsent, "")
		require.NoError(t, err)
		eventually(t, "the insurer losing the record with its consent", func() error {
			if _, err := ic.GetRecord(ctx(t), rec.ID); !errors.Is(err, sdk.ErrNotFound) {
				return fmt.Errorf("GetRecord after the revocation: %v, want the answer of a missing record", err)
			}
			return nil
		})
	})
}

func TestConsentRecordErasurePurgesDetailsAndKeepsTheHash(t *testing.T) {
	pat, prov := consentPatient(t), identity(t, "provider", 0)
	pc, vc := consentClient(t, pat), consentClient(t, prov)
	const class = consenttypes.ClassImagingStudy

	consentGrant(t, pc, consenttypes.Consent{
		ID: unique("it-consent-collect"), Patient: pat.Subject, Grantee: consentParty(prov), Decision: consenttypes.Permit,
		Actions: []consenttypes.Action{consenttypes.ActionCollect}, Purposes: []consenttypes.Purpose{consenttypes.PurposeTreatment}, Classes: []consenttypes.DataClass{class},
	})
	document := []byte("DICOM study " + unique("img"))
	details := consenttypes.RecordDetails{URI: "https://pacs.invalid/" + unique("study"), Description: "chest CT"}
	reg := consentRegister(t, vc, "", pat.Subject, class, details, document)
	rec := &reg.Record
	salted, err := consenttypes.Anchor(reg.Salt, document)
	require.NoError(t, err)
	require.Equal(t, salted, rec.SHA256, "the anchor is the document's HMAC under the record's salt")
	require.NotEqual(t, consent.Digest(document), rec.SHA256, "the anchor is no plain digest a guesser could compute")
	require.Equal(t, consenttypes.CollectionFor(prov.MSPID), rec.Collection)

	verifier := consentClient(t, identity(t, "insurer", 0))
	if out, ok := consentOutsider(pat); ok {
		verifier = consentClient(t, out)
	}
	eventually(t, "verifying the document through another org", func() error {
		v, err := verifier.VerifyDocument(ctx(t), rec.ID, reg.Salt, document)
		if err != nil {
			return err
		}
		if v.Result != consenttypes.Match || v.Erased {
			return fmt.Errorf("verification %+v, want a match, not erased", v)
		}
		return nil
	})
	v, err := verifier.VerifyDocument(ctx(t), rec.ID, reg.Salt, append(document, '!'))
	require.NoError(t, err)
	require.Equal(t, consenttypes.Mismatch, v.Result, "a changed document does not verify")
	v, err = verifier.VerifyRecord(ctx(t), rec.ID, consent.Digest(document))
	require.NoError(t, err)
	require.Equal(t, consenttypes.Mismatch, v.Result, "the plain digest of the right document confirms nothing without the salt")

	readers := consentDetailReaders(t, rec, pat, prov)
	for _, r := range readers {
		view, err := r.read(ctx(t))
		require.NoError(t, err, "%s reads the details before the erasure", r.name)
		require.Equal(t, details.URI, view.URI, "%s", r.name)
		require.Equal(t, details.Description, view.Description, "%s", r.name)
	}

	// The details never reached a peer outside the collection, even one asked directly by a client of
	// a member org.
	pinned := connect(t, pat.Name).Contract(consent.Chaincode)
	for _, org := range env.net.Orgs() {
		if consenttypes.CollectionFor(org.MSPID) == rec.Collection || consenttypes.CollectionFor(pat.MSPID) != rec.Collection {
			continue
		}
		eventually(t, "asking the peers of "+org.Name+" for the details", func() error {
			view, err := sdk.EvaluateSealedJSON[consenttypes.RecordDetailsView](ctx(t), pinned, "GetRecordDetails", []string{rec.ID}, sdk.WithEndorsingOrgs(org.MSPID))
			if err == nil {
				t.Fatalf("the peers of %s, outside collection %s, answered details %+v", org.Name, rec.Collection, view)
			}
			switch {
			case errors.Is(err, sdk.ErrUnavailable), errors.Is(err, sdk.ErrNotFound) && strings.Contains(err.Error(), "not held"):
				t.Logf("the peers of %s, outside the collection: %v", org.Name, err)
				return nil
			case errors.Is(err, sdk.ErrNotFound):
				return err // the public anchor itself has not reached that peer yet
			}
			t.Fatalf("the peers of %s: %v, want the details not held or unavailable", org.Name, err)
			return nil
		})
	}

	_, err = vc.EraseRecord(ctx(t), rec.ID, "")
	require.ErrorIs(t, err, sdk.ErrPreconditionFailed, "the custodian erases only at the patient's request")

	requested, err := pc.RequestErasure(ctx(t), rec.ID, "patient request")
	require.NoError(t, err)
	require.True(t, requested.ErasureRequested)
	require.Equal(t, consentParty(pat), requested.ErasureRequestedBy)

	var erased *consenttypes.Record
	eventually(t, "the custodian erasing at the patient's request", func() error {
		erased, err = vc.EraseRecord(ctx(t), rec.ID, "erased at the patient's request")
		if errors.Is(err, sdk.ErrPreconditionFailed) {
			return err // the request has not reached the custodian's peer yet
		}
		require.NoError(t, err)
		return nil
	})
	require.True(t, erased.Erased)
	require.Equal(t, consentParty(prov), erased.ErasedBy)
	_, err = pc.EraseRecord(ctx(t), rec.ID, "")
	require.ErrorIs(t, err, sdk.ErrDuplicate, "erasing twice")

	for _, r := range readers {
		eventually(t, r.name+" finding the details gone", func() error {
			view, err := r.read(ctx(t))
			if errors.Is(err, sdk.ErrNotFound) {
				return nil
			}
			return fmt.Errorf("details after the erasure: %+v, %v; want not found", view, err)
		})
	}

	// The verifier is another org's client: its peer may commit the erasure a block later.
	eventually(t, "the verifier's peer seeing the erasure", func() error {
		v, err = verifier.VerifyDocument(ctx(t), rec.ID, reg.Salt, document)
		if err != nil {
			return err
		}
		if !v.Erased {
			return fmt.Errorf("verification %+v does not say erased yet", v)
		}
		return nil
	})
	require.Equal(t, consenttypes.Match, v.Result, "the hash outlives the details")
	require.True(t, v.Erased)

	history, err := pc.RecordHistory(ctx(t), rec.ID)
	require.NoError(t, err)
	require.Len(t, history, 3, "registration, erasure request, erasure")
	require.False(t, history[0].Value.Erased)
	require.True(t, history[1].Value.ErasureRequested)
	require.False(t, history[1].Value.Erased)
	require.True(t, history[2].Value.Erased)
	require.Equal(t, consentParty(prov), history[2].Value.ErasedBy)
	require.Equal(t, rec.SHA256, history[2].Value.SHA256)
}

func TestConsentPrivateDetailsNeverReachABlock(t *testing.T) {
	pat, prov := consentPatient(t), identity(t, "provider", 0)
	pc, vc := consentClient(t, pat), consentClient(t, prov)
	const class = consenttypes.ClassDocumentReference

	consentGrant(t, pc, consenttypes.Consent{
		ID: unique("it-consent-marker"), Patient: pat.Subject, Grantee: consentParty(prov), Decision: consenttypes.Permit,
		Actions: []consenttypes.Action{consenttypes.ActionCollect}, Purposes: []consenttypes.Purpose{consenttypes.PurposeTreatment}, Classes: []consenttypes.DataClass{class},
	})
	private := unique("MARKER")
	// The control: the record id is public, so its marker must be found, in the very block that carries
	// the private details' hash.
	public := unique("PUBMARK")
	require.NotContains(t, public, private)
	rec := &consentRegister(t, vc, public, pat.Subject, class,
		consenttypes.RecordDetails{URI: "https://ehr.invalid/doc/" + private, Description: "discharge letter " + private}, nil).Record
	require.Equal(t, public, rec.ID)

	view, err := vc.GetRecordDetails(ctx(t), rec.ID)
	require.NoError(t, err, "the custodian reads the details back")
	require.Contains(t, view.URI, private, "the private marker was stored")

	// Scan the blocks as a peer outside the collection holds them, when the layout has one.
	scanner := prov
	if out, ok := consentOutsider(pat); ok {
		scanner = out
	}
	sc := connect(t, scanner.Name)
	eventually(t, "the registration reaching the peer of "+scanner.Name, func() error {
		v, err := consent.New(sc).VerifyRecord(ctx(t), rec.ID, rec.SHA256)
		if err == nil && v.Result != consenttypes.Match {
			err = fmt.Errorf("record %s is not on the peer yet", rec.ID)
		}
		return err
	})
	require.NotEmpty(t, blocksContaining(t, sc, []byte(public)), "the scan finds the public marker (control)")
	require.Empty(t, blocksContaining(t, sc, []byte(private)), "no block holds the private marker")
}

// consentHidden waits until c's peer holds rec (VerifyRecord with its anchor matches: any role may ask)
// and requires call then to fail as for a missing record: NOT_FOUND, with a message that names
// neither the record's patient nor its custodian's collection.
func consentHidden(t *testing.T, c *consent.Client, rec *consenttypes.Record, what string, call func() error) {
	t.Helper()
	eventually(t, what+" (waiting for the record to reach the peer)", func() error {
		v, err := c.VerifyRecord(ctx(t), rec.ID, rec.SHA256)
		if err != nil {
			return err
		}
		if v.Result != consenttypes.Match {
			return fmt.Errorf("record %s is not on the peer yet", rec.ID)
		}
		return nil
	})
	err := call()
	require.ErrorIs(t, err, sdk.ErrNotFound, what)
	require.NotContains(t, err.Error(), rec.Patient, what)
	require.NotContains(t, err.Error(), rec.Collection, what)
}

// consentPatient returns the patient the consent tests act for: the last demo patient, the one other
// suites are least likely to use.
func consentPatient(t *testing.T) sdk.IdentityInfo {
	t.Helper()
	ids := env.net.Identities("patient")
	require.NotEmpty(t, ids, "the network has no patient identity")
	return ids[len(ids)-1]
}

// consentOutsider returns an identity, not a patient, of an org other than pat's.
func consentOutsider(pat sdk.IdentityInfo) (sdk.IdentityInfo, bool) {
	for _, id := range env.net.Identities("") {
		if id.MSPID != pat.MSPID && id.Role != "patient" {
			return id, true
		}
	}
	return sdk.IdentityInfo{}, false
}

// consentClient connects id and returns its typed consent client; a patient is registered first
// (consentRegistered).
func consentClient(t *testing.T, id sdk.IdentityInfo) *consent.Client {
	t.Helper()
	c := consent.New(connect(t, id.Name))
	if id.Role == "patient" {
		consentRegistered(t, c)
	}
	return c
}

// consentRegistered registers the patient of client pc (RegisterPatient), unless the patient is
// already registered with this key: every patient must register before writing. Suites running in
// parallel may register the same patient at once; the loser's conflict is retried.
func consentRegistered(t *testing.T, pc *consent.Client) {
	t.Helper()
	eventually(t, "registering the patient", func() error {
		if _, err := pc.RegisterPatient(ctx(t)); err != nil && !errors.Is(err, sdk.ErrDuplicate) {
			return err
		}
		return nil
	})
}

// consentParty is id as the chaincode names a caller: "<MSP>/<role>/<subject>".
func consentParty(id sdk.IdentityInfo) string {
	return id.MSPID + "/" + id.Role + "/" + id.Subject
}

// consentGrantee is id as a requesting grantee.
func consentGrantee(id sdk.IdentityInfo) consenttypes.Grantee {
	return consenttypes.Grantee{MSPID: id.MSPID, Role: id.Role, Subject: id.Subject}
}

// consentGrant grants c through the patient's client pc and revokes it when the test ends, so runs on
// a shared network never exhaust the patient's active consents.
func consentGrant(t *testing.T, pc *consent.Client, c consenttypes.Consent) *consenttypes.Consent {
	t.Helper()
	granted, err := pc.Grant(ctx(t), c)
	require.NoError(t, err, "granting consent %s", c.ID)
	require.Equal(t, c.ID, granted.ID)
	t.Cleanup(func() {
		cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := pc.Revoke(cctx, c.ID, "integration test cleanup"); err != nil && !errors.Is(err, sdk.ErrDuplicate) {
			t.Errorf("revoking consent %s at cleanup: %v", c.ID, err)
		}
	})
	return granted
}

// consentRegister registers record id ("" for a fresh one) of class for patient through the provider's
// client vc, with the given private details; a nil document stands for the record id.
func consentRegister(t *testing.T, vc *consent.Client, id, patient string, class consenttypes.DataClass, details consenttypes.RecordDetails, document []byte) *consent.Registration {
	t.Helper()
	if id == "" {
		id = unique("it-consent-rec")
	}
	if len(document) == 0 {
		document = []byte(id)
	}
	var rec *consent.Registration
	eventually(t, "registering record "+id, func() error {
		var err error
		rec, err = vc.RegisterRecord(ctx(t), consent.RegisterRequest{
			RecordID: id, Patient: patient, DataClass: class, Document: document, Details: details,
		})
		if errors.Is(err, sdk.ErrForbidden) {
			return err // the collect consent has not reached the endorsing peer yet
		}
		if err != nil {
			t.Fatalf("registering record %s: %v", id, err)
		}
		return nil
	})
	require.Equal(t, id, rec.ID)
	require.Equal(t, patient, rec.Patient)
	require.NotContains(t, fmt.Sprintf("%+v", rec.Record), details.URI, "the answer holds no private detail")
	return rec
}

// consentEventuallyDecides waits until c's CheckAccess answers verdict naming exactly ids, and returns
// that decision.
func consentEventuallyDecides(t *testing.T, c *consent.Client, patient string, grantee consenttypes.Grantee, action consenttypes.Action, purpose consenttypes.Purpose, class consenttypes.DataClass, verdict consenttypes.Verdict, ids []string) *consenttypes.Decision {
	t.Helper()
	var d *consenttypes.Decision
	eventually(t, fmt.Sprintf("%s %s %s %s of %s deciding %s", grantee, action, purpose, class, patient, verdict), func() error {
		var err error
		d, err = c.CheckAccess(ctx(t), patient, grantee, action, purpose, class)
		if err != nil {
			return err
		}
		if d.Decision != verdict || !slices.Equal(d.ConsentIDs, ids) {
			return fmt.Errorf("decision %s naming %v (%s), want %s naming %v", d.Decision, d.ConsentIDs, d.Reason, verdict, ids)
		}
		return nil
	})
	return d
}

// consentLogEntries returns the entries of patient's access log about recordID, reading the log
// (newest first) back to since.
func consentLogEntries(t *testing.T, pc *consent.Client, patient, recordID string, since time.Time) []consenttypes.AccessEntry {
	t.Helper()
	out := []consenttypes.AccessEntry{}
	bookmark := ""
	for {
		page, err := pc.ListAccessLog(ctx(t), patient, 100, bookmark)
		require.NoError(t, err)
		for _, e := range page.Items {
			if e.RecordID == recordID {
				out = append(out, e)
			}
		}
		if page.Bookmark == "" || len(page.Items) == 0 || page.Items[len(page.Items)-1].At.Before(since) {
			return out
		}
		bookmark = page.Bookmark
	}
}

// consentDetailReader reads a record's private details one way: through one identity, on one peer.
type consentDetailReader struct {
	name string
	read func(ctx context.Context) (*consenttypes.RecordDetailsView, error)
}

// consentDetailReaders lists every way to read rec's details on a member peer of its collection: for
// every org whose collection it is, the typed client of each identity of that org allowed to read
// (the custodian provider, the patient), and a call pinned to that org's peers.
func consentDetailReaders(t *testing.T, rec *consenttypes.Record, pat, prov sdk.IdentityInfo) []consentDetailReader {
	t.Helper()
	var out []consentDetailReader
	for _, org := range env.net.Orgs() {
		if consenttypes.CollectionFor(org.MSPID) != rec.Collection {
			continue
		}
		for _, id := range []sdk.IdentityInfo{prov, pat} {
			if id.MSPID != org.MSPID {
				continue
			}
			c := connect(t, id.Name)
			typed := consent.New(c)
			out = append(out,
				consentDetailReader{name: id.Name + " through its gateway", read: func(ctx context.Context) (*consenttypes.RecordDetailsView, error) {
					return typed.GetRecordDetails(ctx, rec.ID)
				}},
				consentDetailReader{name: id.Name + " on the peers of " + org.Name, read: func(ctx context.Context) (*consenttypes.RecordDetailsView, error) {
					return sdk.EvaluateSealedJSON[consenttypes.RecordDetailsView](ctx, c.Contract(consent.Chaincode), "GetRecordDetails",
						[]string{rec.ID}, sdk.WithEndorsingOrgs(org.MSPID))
				}},
			)
		}
	}
	require.NotEmpty(t, out, "no org of the network is a member of collection %s", rec.Collection)
	names := make([]string, 0, len(out))
	for _, r := range out {
		names = append(names, r.name)
	}
	t.Logf("reading the details of %s as: %s", rec.ID, strings.Join(names, "; "))
	return out
}
