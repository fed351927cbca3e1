package consenttypes_test

import (
	"strings"
	"testing"
	"time"

	"github.com/healthledger/healthledger/chaincode/codes"
	ct "github.com/healthledger/healthledger/chaincode/consent/consenttypes"
	"github.com/stretchr/testify/require"
)

func validConsent() ct.Consent {
	return ct.Consent{
		ID: "c-1", Patient: "pat-7f3a9c21", Grantee: "HospitalMSP", Decision: ct.Permit,
		Actions:  []ct.Action{ct.ActionAccess},
		Purposes: []ct.Purpose{ct.PurposeTreatment},
		Classes:  []ct.DataClass{ct.ClassObservation},
	}
}

func TestConsentValidate(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		mutate func(*ct.Consent)
	}{
		{"a malformed id", func(c *ct.Consent) { c.ID = "c 1" }},
		{"an empty id", func(c *ct.Consent) { c.ID = "" }},
		{"a malformed patient", func(c *ct.Consent) { c.Patient = "pat/1" }},
		{"a malformed grantee", func(c *ct.Consent) { c.Grantee = "HospitalMSP/nurse" }},
		{"an unknown decision", func(c *ct.Consent) { c.Decision = "maybe" }},
		{"no action", func(c *ct.Consent) { c.Actions = nil }},
		{"an unknown action", func(c *ct.Consent) { c.Actions = []ct.Action{"sell"} }},
		{"no purpose", func(c *ct.Consent) { c.Purposes = []ct.Purpose{} }},
		{"an unknown purpose", func(c *ct.Consent) { c.Purposes = []ct.Purpose{"FUN"} }},
		{"no data class", func(c *ct.Consent) { c.Classes = nil }},
		{"an unknown data class", func(c *ct.Consent) { c.Classes = []ct.DataClass{"Genome"} }},
		{"a period that ends before it starts", func(c *ct.Consent) { c.Period = ct.Period{Start: t0, End: t0.Add(-time.Hour)} }},
		{"an empty period", func(c *ct.Consent) { c.Period = ct.Period{Start: t0, End: t0} }},
		{"a relative policy URI", func(c *ct.Consent) { c.PolicyURI = "policies/research" }},
		{"an overlong policy URI", func(c *ct.Consent) { c.PolicyURI = "https://x.example/" + strings.Repeat("a", ct.MaxPolicyURILen) }},
	}
	for _, tc := range tests {
		t.Run(tc.name+" is an invalid argument", func(t *testing.T) {
			c := validConsent()
			tc.mutate(&c)
			c.Normalize()
			require.ErrorIs(t, c.Validate(), &codes.Error{Code: codes.InvalidArgument})
		})
	}
	t.Run("a complete consent is valid", func(t *testing.T) {
		c := validConsent()
		c.Period = ct.Period{Start: t0, End: t0.Add(time.Hour)}
		c.PolicyURI = "https://hospital.example/policies/treatment-v1"
		c.Normalize()
		require.NoError(t, c.Validate())
	})
}

func TestConsentNormalize(t *testing.T) {
	t.Run("lists are deduplicated and put in canonical order", func(t *testing.T) {
		c := validConsent()
		c.Actions = []ct.Action{ct.ActionDisclose, ct.ActionAccess, ct.ActionDisclose}
		c.Purposes = []ct.Purpose{ct.PurposePayment, ct.PurposeTreatment}
		c.Classes = []ct.DataClass{ct.ClassClaim, ct.ClassObservation, ct.ClassClaim}
		c.Normalize()
		require.Equal(t, []ct.Action{ct.ActionAccess, ct.ActionDisclose}, c.Actions)
		require.Equal(t, []ct.Purpose{ct.PurposeTreatment, ct.PurposePayment}, c.Purposes)
		require.Equal(t, []ct.DataClass{ct.ClassObservation, ct.ClassClaim}, c.Classes)
	})
	t.Run("a class list with the wildcard becomes just the wildcard", func(t *testing.T) {
		c := validConsent()
		c.Classes = []ct.DataClass{ct.ClassClaim, ct.AllClasses}
		c.Normalize()
		require.Equal(t, []ct.DataClass{ct.AllClasses}, c.Classes)
	})
	t.Run("the same terms in another order are the same terms", func(t *testing.T) {
		a, b := validConsent(), validConsent()
		a.Actions = []ct.Action{ct.ActionUse, ct.ActionAccess}
		b.Actions = []ct.Action{ct.ActionAccess, ct.ActionUse}
		a.Normalize()
		b.Normalize()
		require.True(t, a.SameTerms(&b))
		b.Decision = ct.Deny
		require.False(t, a.SameTerms(&b))
	})
}

func TestCheckSHA256(t *testing.T) {
	good := strings.Repeat("ab", 32)
	t.Run("64 hex digits pass, in lowercase", func(t *testing.T) {
		got, err := ct.CheckSHA256(strings.ToUpper(good))
		require.NoError(t, err)
		require.Equal(t, good, got)
	})
	for name, in := range map[string]string{
		"a short digest":  good[:62],
		"a long digest":   good + "ab",
		"non-hex digits":  strings.Repeat("zz", 32),
		"an empty digest": "",
	} {
		t.Run(name+" is an invalid argument", func(t *testing.T) {
			_, err := ct.CheckSHA256(in)
			require.ErrorIs(t, err, &codes.Error{Code: codes.InvalidArgument})
		})
	}
}

func TestRecordDetailsValidate(t *testing.T) {
	tests := []struct {
		name string
		in   ct.RecordDetails
		ok   bool
	}{
		{"an absolute uri with a description is valid", ct.RecordDetails{URI: "https://ehr.example/r/1", Description: "x"}, true},
		{"a urn is valid", ct.RecordDetails{URI: "urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66"}, true},
		{"a missing uri is invalid", ct.RecordDetails{Description: "x"}, false},
		{"a relative uri is invalid", ct.RecordDetails{URI: "r/1"}, false},
		{"an overlong description is invalid", ct.RecordDetails{URI: "https://ehr.example/r/1", Description: strings.Repeat("d", ct.MaxDescriptionLen+1)}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.in.Validate()
			if tc.ok {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, &codes.Error{Code: codes.InvalidArgument})
			require.NotContains(t, err.Error(), "r/1", "the message must not echo private values")
		})
	}
}

func TestCheckReason(t *testing.T) {
	require.NoError(t, ct.CheckReason(""))
	require.NoError(t, ct.CheckReason("patient moved to another provider"))
	require.ErrorIs(t, ct.CheckReason("line\nbreak"), &codes.Error{Code: codes.InvalidArgument})
	require.ErrorIs(t, ct.CheckReason(strings.Repeat("r", ct.MaxReasonLen+1)), &codes.Error{Code: codes.InvalidArgument})
}

func TestCheckVocabulary(t *testing.T) {
	for _, p := range []string{"TREAT", "ETREAT", "HPAYMT", "HOPERAT", "HRESCH", "PUBHLTH"} {
		_, err := ct.CheckPurpose(p)
		require.NoError(t, err, p)
	}
	for _, k := range []string{"Observation", "Condition", "MedicationRequest", "DiagnosticReport", "Immunization", "Claim"} {
		_, err := ct.CheckDataClass(k)
		require.NoError(t, err, k)
	}
	_, err := ct.CheckDataClass("*")
	require.ErrorIs(t, err, &codes.Error{Code: codes.InvalidArgument}, "a request names one class")
	_, err = ct.CheckAction("read")
	require.ErrorIs(t, err, &codes.Error{Code: codes.InvalidArgument})
	_, err = ct.CheckPurpose("treat")
	require.ErrorIs(t, err, &codes.Error{Code: codes.InvalidArgument}, "codes are case-sensitive")
}
