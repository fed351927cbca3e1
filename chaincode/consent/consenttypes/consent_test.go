package consenttypes_test

import (
	"strings"
	"testing"
	"time"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/consent/consenttypes"
	"github.com/stretchr/testify/require"
)

func validConsent() consenttypes.Consent {
	return consenttypes.Consent{
		ID: "c-1", Patient: "pat-7f3a9c21", Grantee: "HospitalMSP", Decision: consenttypes.Permit,
		Actions:  []consenttypes.Action{consenttypes.ActionAccess},
		Purposes: []consenttypes.Purpose{consenttypes.PurposeTreatment},
		Classes:  []consenttypes.DataClass{consenttypes.ClassObservation},
	}
}

func TestConsentValidate(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		mutate func(*consenttypes.Consent)
	}{
		{"a malformed id", func(c *consenttypes.Consent) { c.ID = "c 1" }},
		{"an empty id", func(c *consenttypes.Consent) { c.ID = "" }},
		{"a malformed patient", func(c *consenttypes.Consent) { c.Patient = "pat/1" }},
		{"a malformed grantee", func(c *consenttypes.Consent) { c.Grantee = "HospitalMSP/nurse" }},
		{"an unknown decision", func(c *consenttypes.Consent) { c.Decision = "maybe" }},
		{"no action", func(c *consenttypes.Consent) { c.Actions = nil }},
		{"an unknown action", func(c *consenttypes.Consent) { c.Actions = []consenttypes.Action{"sell"} }},
		{"no purpose", func(c *consenttypes.Consent) { c.Purposes = []consenttypes.Purpose{} }},
		{"an unknown purpose", func(c *consenttypes.Consent) { c.Purposes = []consenttypes.Purpose{"FUN"} }},
		{"no data class", func(c *consenttypes.Consent) { c.Classes = nil }},
		{"an unknown data class", func(c *consenttypes.Consent) { c.Classes = []consenttypes.DataClass{"Genome"} }},
		{"a period that ends before it starts", func(c *consenttypes.Consent) { c.Period = consenttypes.Period{Start: t0, End: t0.Add(-time.Hour)} }},
		{"an empty period", func(c *consenttypes.Consent) { c.Period = consenttypes.Period{Start: t0, End: t0} }},
		{"a relative policy URI", func(c *consenttypes.Consent) { c.PolicyURI = "policies/research" }},
		{"an overlong policy URI", func(c *consenttypes.Consent) {
			c.PolicyURI = "https://x.example/" + strings.Repeat("a", consenttypes.MaxPolicyURILen)
		}},
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
		c.Period = consenttypes.Period{Start: t0, End: t0.Add(time.Hour)}
		c.PolicyURI = "https://hospital.example/policies/treatment-v1"
		c.Normalize()
		require.NoError(t, c.Validate())
	})
}

func TestConsentNormalize(t *testing.T) {
	t.Run("lists are deduplicated and put in canonical order", func(t *testing.T) {
		c := validConsent()
		c.Actions = []consenttypes.Action{consenttypes.ActionDisclose, consenttypes.ActionAccess, consenttypes.ActionDisclose}
		c.Purposes = []consenttypes.Purpose{consenttypes.PurposePayment, consenttypes.PurposeTreatment}
		c.Classes = []consenttypes.DataClass{consenttypes.ClassClaim, consenttypes.ClassObservation, consenttypes.ClassClaim}
		c.Normalize()
		require.Equal(t, []consenttypes.Action{consenttypes.ActionAccess, consenttypes.ActionDisclose}, c.Actions)
		require.Equal(t, []consenttypes.Purpose{consenttypes.PurposeTreatment, consenttypes.PurposePayment}, c.Purposes)
		require.Equal(t, []consenttypes.DataClass{consenttypes.ClassObservation, consenttypes.ClassClaim}, c.Classes)
	})
	t.Run("a class list with the wildcard becomes just the wildcard", func(t *testing.T) {
		c := validConsent()
		c.Classes = []consenttypes.DataClass{consenttypes.ClassClaim, consenttypes.AllClasses}
		c.Normalize()
		require.Equal(t, []consenttypes.DataClass{consenttypes.AllClasses}, c.Classes)
	})
	t.Run("the same terms in another order are the same terms", func(t *testing.T) {
		a, b := validConsent(), validConsent()
		a.Actions = []consenttypes.Action{consenttypes.ActionUse, consenttypes.ActionAccess}
		b.Actions = []consenttypes.Action{consenttypes.ActionAccess, consenttypes.ActionUse}
		a.Normalize()
		b.Normalize()
		require.True(t, a.SameTerms(&b))
		b.Decision = consenttypes.Deny
		require.False(t, a.SameTerms(&b))
	})
}

func TestCheckSHA256(t *testing.T) {
	good := strings.Repeat("ab", 32)
	t.Run("64 hex digits pass, in lowercase", func(t *testing.T) {
		got, err := consenttypes.CheckSHA256(strings.ToUpper(good))
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
			_, err := consenttypes.CheckSHA256(in)
			require.ErrorIs(t, err, &codes.Error{Code: codes.InvalidArgument})
		})
	}
}

func TestRecordDetailsValidate(t *testing.T) {
	tests := []struct {
		name string
		in   consenttypes.RecordDetails
		ok   bool
	}{
		{"an absolute uri with a description is valid", consenttypes.RecordDetails{URI: "https://ehr.example/r/1", Description: "x", Salt: goodSalt}, true},
		{"a urn is valid", consenttypes.RecordDetails{URI: "urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66", Salt: goodSalt}, true},
		{"a padded standard base64 salt is valid", consenttypes.RecordDetails{URI: "https://ehr.example/r/1", Salt: "c2FsdHNhbHRzYWx0c2FsdA=="}, true},
		{"details without a salt are invalid", consenttypes.RecordDetails{URI: "https://ehr.example/r/1"}, false},
		{"a salt of 15 bytes is invalid", consenttypes.RecordDetails{URI: "https://ehr.example/r/1", Salt: "c2FsdHNhbHRzYWx0c2Fs"}, false},
		{"a salt of one repeated byte is invalid", consenttypes.RecordDetails{URI: "https://ehr.example/r/1", Salt: "AAAAAAAAAAAAAAAAAAAAAA"}, false},
		{"a salt that is not base64 is invalid", consenttypes.RecordDetails{URI: "https://ehr.example/r/1", Salt: "not base64 at all, not at all!"}, false},
		{"a missing uri is invalid", consenttypes.RecordDetails{Description: "x"}, false},
		{"a relative uri is invalid", consenttypes.RecordDetails{URI: "r/1"}, false},
		{"an overlong description is invalid", consenttypes.RecordDetails{URI: "https://ehr.example/r/1", Description: strings.Repeat("d", consenttypes.MaxDescriptionLen+1)}, false},
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
	require.NoError(t, consenttypes.CheckReason(""))
	require.NoError(t, consenttypes.CheckReason("patient moved to another provider"))
	require.ErrorIs(t, consenttypes.CheckReason("line\nbreak"), &codes.Error{Code: codes.InvalidArgument})
	require.ErrorIs(t, consenttypes.CheckReason(strings.Repeat("r", consenttypes.MaxReasonLen+1)), &codes.Error{Code: codes.InvalidArgument})
}

func TestCheckVocabulary(t *testing.T) {
	for _, p := range []string{"TREAT", "ETREAT", "HPAYMT", "HOPERAT", "HRESCH", "PUBHLTH"} {
		_, err := consenttypes.CheckPurpose(p)
		require.NoError(t, err, p)
	}
	for _, k := range []string{"Observation", "Condition", "MedicationRequest", "DiagnosticReport", "Immunization", "Claim"} {
		_, err := consenttypes.CheckDataClass(k)
		require.NoError(t, err, k)
	}
	_, err := consenttypes.CheckDataClass("*")
	require.ErrorIs(t, err, &codes.Error{Code: codes.InvalidArgument}, "a request names one class")
	_, err = consenttypes.CheckAction("read")
	require.ErrorIs(t, err, &codes.Error{Code: codes.InvalidArgument})
	_, err = consenttypes.CheckPurpose("treat")
	require.ErrorIs(t, err, &codes.Error{Code: codes.InvalidArgument}, "codes are case-sensitive")
}

func TestNormalizeDedupesInCanonicalOrderThenKeepsUnknownsInTheirFirstOrder(t *testing.T) {
	c := validConsent()
	c.Actions = []consenttypes.Action{"x", "use", "x", "access", "y", "use", "y"}
	c.Purposes = []consenttypes.Purpose{"TREAT", "TREAT"}
	c.Classes = []consenttypes.DataClass{"Condition", "Observation", "Condition"}
	c.Normalize()
	require.Equal(t, []consenttypes.Action{"access", "use", "x", "y"}, c.Actions)
	require.Equal(t, []consenttypes.Purpose{"TREAT"}, c.Purposes)
	require.Equal(t, []consenttypes.DataClass{"Observation", "Condition"}, c.Classes)
	err := c.Validate()
	require.ErrorContains(t, err, `unknown action "x"`, "Validate names the first unknown entry")
}

func TestCheckSizeBoundsTheListsBeforeAnyWork(t *testing.T) {
	ok := consenttypes.Consent{Actions: make([]consenttypes.Action, consenttypes.MaxListLen)}
	require.NoError(t, ok.CheckSize())
	over := consenttypes.Consent{Classes: make([]consenttypes.DataClass, consenttypes.MaxListLen+1)}
	require.EqualError(t, over.CheckSize(), "INVALID_ARGUMENT: the consent's dataClasses hold 65 entries, more than 64")
	long := consenttypes.Consent{Purposes: []consenttypes.Purpose{"TREAT", consenttypes.Purpose(strings.Repeat("p", 65))}}
	require.EqualError(t, long.CheckSize(), "INVALID_ARGUMENT: entry 2 of the consent's purposes is longer than 64 bytes")
	require.ErrorContains(t, over.Validate(), "more than 64", "Validate checks the sizes first")
}
