package consenttypes_test

import (
	"testing"
	"time"

	ct "github.com/healthledger/healthledger/chaincode/consent/consenttypes"
	"github.com/stretchr/testify/require"
)

func TestDecide(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	provider1 := ct.Grantee{MSPID: "HospitalMSP", Role: "provider", Subject: "1003000126"}
	req := ct.Request{Patient: "pat-1", Grantee: provider1, Action: ct.ActionAccess, Purpose: ct.PurposeTreatment, Class: ct.ClassObservation}
	permit := func(id string, mods ...func(*ct.Consent)) ct.Consent {
		c := ct.Consent{
			ID: id, Patient: "pat-1", Grantee: "HospitalMSP", Decision: ct.Permit, Status: ct.StatusActive,
			Actions: []ct.Action{ct.ActionAccess}, Purposes: []ct.Purpose{ct.PurposeTreatment},
			Classes: []ct.DataClass{ct.ClassObservation},
		}
		for _, m := range mods {
			m(&c)
		}
		return c
	}
	asDeny := func(c *ct.Consent) { c.Decision = ct.Deny }
	tests := []struct {
		name     string
		consents []ct.Consent
		req      func(ct.Request) ct.Request
		want     ct.Verdict
		ids      []string
		reason   string
	}{
		{name: "no consent gives the default deny", want: ct.Deny, ids: []string{}, reason: "no active consent permits"},
		{name: "a matching permit permits", consents: []ct.Consent{permit("c-1")}, want: ct.Permit, ids: []string{"c-1"}},
		{name: "every matching permit is named, sorted", consents: []ct.Consent{permit("c-2"), permit("c-1")}, want: ct.Permit, ids: []string{"c-1", "c-2"}},
		{name: "a deny overrides a permit", consents: []ct.Consent{permit("c-1"), permit("c-9", asDeny)}, want: ct.Deny, ids: []string{"c-9"}, reason: "deny overrides"},
		{name: "a deny for another class does not override", consents: []ct.Consent{permit("c-1"), permit("c-9", asDeny, func(c *ct.Consent) { c.Classes = []ct.DataClass{ct.ClassClaim} })}, want: ct.Permit, ids: []string{"c-1"}},
		{name: "a wildcard class permits any class", consents: []ct.Consent{permit("c-1", func(c *ct.Consent) { c.Classes = []ct.DataClass{ct.AllClasses} })}, want: ct.Permit, ids: []string{"c-1"}},
		{name: "an expired consent does not permit", consents: []ct.Consent{permit("c-1", func(c *ct.Consent) { c.Period.End = now })}, want: ct.Deny, ids: []string{}, reason: "expired"},
		{name: "a not-yet-valid consent does not permit", consents: []ct.Consent{permit("c-1", func(c *ct.Consent) { c.Period.Start = now.Add(time.Second) })}, want: ct.Deny, ids: []string{}, reason: "not valid before"},
		{name: "a consent valid from this instant permits", consents: []ct.Consent{permit("c-1", func(c *ct.Consent) { c.Period.Start = now })}, want: ct.Permit, ids: []string{"c-1"}},
		{name: "an expired deny no longer denies", consents: []ct.Consent{permit("c-1"), permit("c-9", asDeny, func(c *ct.Consent) { c.Period.End = now.Add(-time.Hour) })}, want: ct.Permit, ids: []string{"c-1"}},
		{name: "a revoked consent does not count", consents: []ct.Consent{permit("c-1", func(c *ct.Consent) { c.Status = ct.StatusInactive })}, want: ct.Deny, ids: []string{}},
		{name: "another patient's consent does not count", consents: []ct.Consent{permit("c-1", func(c *ct.Consent) { c.Patient = "pat-2" })}, want: ct.Deny, ids: []string{}},
		{name: "a consent for a colleague does not count", consents: []ct.Consent{permit("c-1", func(c *ct.Consent) { c.Grantee = "HospitalMSP/provider/1003000134" })}, want: ct.Deny, ids: []string{}},
		{name: "a consent for the requester's role counts", consents: []ct.Consent{permit("c-1", func(c *ct.Consent) { c.Grantee = "HospitalMSP/provider" })}, want: ct.Permit, ids: []string{"c-1"}},
		{name: "a treatment consent does not permit emergency access",
			consents: []ct.Consent{permit("c-1")},
			req:      func(r ct.Request) ct.Request { r.Purpose = ct.PurposeEmergency; return r },
			want:     ct.Deny, ids: []string{}, reason: "ETREAT"},
		{name: "a consent naming ETREAT permits emergency access",
			consents: []ct.Consent{permit("c-1", func(c *ct.Consent) { c.Purposes = []ct.Purpose{ct.PurposeTreatment, ct.PurposeEmergency} })},
			req:      func(r ct.Request) ct.Request { r.Purpose = ct.PurposeEmergency; return r },
			want:     ct.Permit, ids: []string{"c-1"}},
		{name: "a permit for access does not permit disclosure",
			consents: []ct.Consent{permit("c-1")},
			req:      func(r ct.Request) ct.Request { r.Action = ct.ActionDisclose; return r },
			want:     ct.Deny, ids: []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := req
			if tc.req != nil {
				r = tc.req(r)
			}
			d := ct.Decide(tc.consents, r, now)
			require.Equal(t, tc.want, d.Decision, d.Reason)
			require.Equal(t, tc.ids, d.ConsentIDs)
			require.Equal(t, now, d.At)
			require.Contains(t, d.Reason, tc.reason)
		})
	}
}
