package consenttypes_test

import (
	"testing"
	"time"

	"github.com/healthledger/healthledger/chaincode/consent/consenttypes"
	"github.com/stretchr/testify/require"
)

func TestDecide(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	provider1 := consenttypes.Grantee{MSPID: "HospitalMSP", Role: "provider", Subject: "1003000126"}
	req := consenttypes.Request{Patient: "pat-1", Grantee: provider1, Action: consenttypes.ActionAccess, Purpose: consenttypes.PurposeTreatment, Class: consenttypes.ClassObservation}
	permit := func(id string, mods ...func(*consenttypes.Consent)) consenttypes.Consent {
		c := consenttypes.Consent{
			ID: id, Patient: "pat-1", Grantee: "HospitalMSP", Decision: consenttypes.Permit, Status: consenttypes.StatusActive,
			Actions: []consenttypes.Action{consenttypes.ActionAccess}, Purposes: []consenttypes.Purpose{consenttypes.PurposeTreatment},
			Classes: []consenttypes.DataClass{consenttypes.ClassObservation},
		}
		for _, m := range mods {
			m(&c)
		}
		return c
	}
	asDeny := func(c *consenttypes.Consent) { c.Decision = consenttypes.Deny }
	tests := []struct {
		name     string
		consents []consenttypes.Consent
		req      func(consenttypes.Request) consenttypes.Request
		want     consenttypes.Verdict
		ids      []string
		reason   string
	}{
		{name: "no consent gives the default deny", want: consenttypes.Deny, ids: []string{}, reason: "no active consent permits"},
		{name: "a matching permit permits", consents: []consenttypes.Consent{permit("c-1")}, want: consenttypes.Permit, ids: []string{"c-1"}},
		{name: "every matching permit is named, sorted", consents: []consenttypes.Consent{permit("c-2"), permit("c-1")}, want: consenttypes.Permit, ids: []string{"c-1", "c-2"}},
		{name: "a deny overrides a permit", consents: []consenttypes.Consent{permit("c-1"), permit("c-9", asDeny)}, want: consenttypes.Deny, ids: []string{"c-9"}, reason: "deny overrides"},
		{name: "a deny for another class does not override", consents: []consenttypes.Consent{permit("c-1"), permit("c-9", asDeny, func(c *consenttypes.Consent) { c.Classes = []consenttypes.DataClass{consenttypes.ClassClaim} })}, want: consenttypes.Permit, ids: []string{"c-1"}},
		{name: "a wildcard class permits any class", consents: []consenttypes.Consent{permit("c-1", func(c *consenttypes.Consent) { c.Classes = []consenttypes.DataClass{consenttypes.AllClasses} })}, want: consenttypes.Permit, ids: []string{"c-1"}},
		{name: "an expired consent does not permit", consents: []consenttypes.Consent{permit("c-1", func(c *consenttypes.Consent) { c.Period.End = now })}, want: consenttypes.Deny, ids: []string{}, reason: "expired"},
		{name: "a not-yet-valid consent does not permit", consents: []consenttypes.Consent{permit("c-1", func(c *consenttypes.Consent) { c.Period.Start = now.Add(time.Second) })}, want: consenttypes.Deny, ids: []string{}, reason: "not valid before"},
		{name: "a consent valid from this instant permits", consents: []consenttypes.Consent{permit("c-1", func(c *consenttypes.Consent) { c.Period.Start = now })}, want: consenttypes.Permit, ids: []string{"c-1"}},
		{name: "an expired deny no longer denies", consents: []consenttypes.Consent{permit("c-1"), permit("c-9", asDeny, func(c *consenttypes.Consent) { c.Period.End = now.Add(-time.Hour) })}, want: consenttypes.Permit, ids: []string{"c-1"}},
		{name: "a revoked consent does not count", consents: []consenttypes.Consent{permit("c-1", func(c *consenttypes.Consent) { c.Status = consenttypes.StatusInactive })}, want: consenttypes.Deny, ids: []string{}},
		{name: "another patient's consent does not count", consents: []consenttypes.Consent{permit("c-1", func(c *consenttypes.Consent) { c.Patient = "pat-2" })}, want: consenttypes.Deny, ids: []string{}},
		{name: "a consent for a colleague does not count", consents: []consenttypes.Consent{permit("c-1", func(c *consenttypes.Consent) { c.Grantee = "HospitalMSP/provider/1003000134" })}, want: consenttypes.Deny, ids: []string{}},
		{name: "a consent for the requester's role counts", consents: []consenttypes.Consent{permit("c-1", func(c *consenttypes.Consent) { c.Grantee = "HospitalMSP/provider" })}, want: consenttypes.Permit, ids: []string{"c-1"}},
		{name: "a treatment consent does not permit emergency access",
			consents: []consenttypes.Consent{permit("c-1")},
			req:      func(r consenttypes.Request) consenttypes.Request { r.Purpose = consenttypes.PurposeEmergency; return r },
			want:     consenttypes.Deny, ids: []string{}, reason: "ETREAT"},
		{name: "a consent naming ETREAT permits emergency access",
			consents: []consenttypes.Consent{permit("c-1", func(c *consenttypes.Consent) {
				c.Purposes = []consenttypes.Purpose{consenttypes.PurposeTreatment, consenttypes.PurposeEmergency}
			})},
			req:  func(r consenttypes.Request) consenttypes.Request { r.Purpose = consenttypes.PurposeEmergency; return r },
			want: consenttypes.Permit, ids: []string{"c-1"}},
		{name: "a permit for access does not permit disclosure",
			consents: []consenttypes.Consent{permit("c-1")},
			req:      func(r consenttypes.Request) consenttypes.Request { r.Action = consenttypes.ActionDisclose; return r },
			want:     consenttypes.Deny, ids: []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := req
			if tc.req != nil {
				r = tc.req(r)
			}
			d := consenttypes.Decide(tc.consents, r, now)
			require.Equal(t, tc.want, d.Decision, d.Reason)
			require.Equal(t, tc.ids, d.ConsentIDs)
			require.Equal(t, now, d.At)
			require.Contains(t, d.Reason, tc.reason)
		})
	}
}
