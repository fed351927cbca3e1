package consent_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/consent"
	"github.com/healthledger/healthledger/chaincode/consent/consenttypes"
	"github.com/healthledger/healthledger/chaincode/internal/cctest"
	"github.com/stretchr/testify/require"
)

func TestFrameworkRefusalsAreInvalidArgument(t *testing.T) {
	grant := asJSON(t, consentDoc("c-9", pat1, pharma))
	tests := []struct {
		name string
		fn   string
		args []string
		opts []cctest.CallOption
		want string
	}{
		{"a wrong argument count", "Grant", []string{grant, grant}, nil, "Grant takes 1 argument, got 2"},
		{"a page size that is not an integer", "ListConsentsByPatient", []string{pat1, "fifty", ""}, nil, "argument 2 of ListConsentsByPatient must be an integer"},
		{"a consent that is not JSON", "Grant", []string{`{"id":`}, nil, "the consent is not valid JSON of the expected shape"},
		{"an unknown function", "GrantAll", []string{grant}, nil, `unknown function "GrantAll"`},
		{"a consent over 16 KiB", "Grant", []string{grant + strings.Repeat(" ", consenttypes.MaxConsentBytes)}, nil, "argument 1 of Grant is"},
		{"record details over 16 KiB", "PutRecordDetails", []string{"r-9"},
			[]cctest.CallOption{cctest.WithTransient(recordTransient(strings.Repeat(" ", consenttypes.MaxRecordDetailsBytes+1)))},
			`transient field "record" of PutRecordDetails is 16385 bytes, more than its limit of 16384`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			before := f.l.Snapshot()
			ce := cctest.RequireCode(t, f.invokeWith("provider1", tc.fn, tc.opts, tc.args...), codes.InvalidArgument)
			require.Contains(t, ce.Message, tc.want)
			f.l.RequireUnchanged(t, before)
		})
	}
}

// TestJunkListsAreRefusedBeforeNormalising is the input: a consent with 80,000 unknown
// actions (709 kB; 720 kB here) took 9.7 s of chaincode CPU, normalised in quadratic time before validation. The
// guard refuses it now on its size alone; within the size bound, a list longer than MaxListLen is
// refused before normalising.
func TestJunkListsAreRefusedBeforeNormalising(t *testing.T) {
	f := newFixture(t)
	junk := consentJSON("c-j", junkList(80_000), `["TREAT"]`, `["*"]`)
	ce := cctest.RequireCode(t, f.invoke("patient1", "Grant", junk), codes.InvalidArgument)
	require.Equal(t, fmt.Sprintf("argument 1 of Grant is %d bytes, more than its limit of 16384", len(junk)), ce.Message)

	over := consentJSON("c-j", listOf("use", consenttypes.MaxListLen+1), `["TREAT"]`, `["*"]`)
	ce = cctest.RequireCode(t, f.invoke("patient1", "Grant", over), codes.InvalidArgument)
	require.Equal(t, "the consent's actions hold 65 entries, more than 64", ce.Message)

	long := consentJSON("c-j", `["`+strings.Repeat("u", consenttypes.MaxTermLen+1)+`"]`, `["TREAT"]`, `["*"]`)
	ce = cctest.RequireCode(t, f.invoke("patient1", "Grant", long), codes.InvalidArgument)
	require.Equal(t, "entry 1 of the consent's actions is longer than 64 bytes", ce.Message)

	atBound := consentJSON("c-j", listOf("use", consenttypes.MaxListLen), `["TREAT","TREAT"]`, `["*"]`)
	c := cctest.Decode[consenttypes.Consent](t, f.invoke("patient1", "Grant", atBound))
	require.Equal(t, []consenttypes.Action{consenttypes.ActionUse}, c.Actions, "repeats are dropped")
	require.Equal(t, []consenttypes.Purpose{consenttypes.PurposeTreatment}, c.Purposes)
}

func TestTheLimitsTableIsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/consent.md")
	require.NoError(t, err)
	require.NoError(t, consent.Limits().CheckDocumented(doc))
}
