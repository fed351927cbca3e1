package main

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/gateway-client/fhir"
	"github.com/healthledger/healthledger/gateway-client/sdktest"
	"github.com/stretchr/testify/require"
)

// recordedAnswers answers GetConsent, ListAccessLog, GetClaim and GetClaimDetails with the chaincode
// answers recorded in gateway-client/fhir/testdata/recorded; paid=false drops the claim's payment.
func recordedAnswers(t *testing.T, paid bool) sdktest.Handler {
	t.Helper()
	read := func(name string) map[string]json.RawMessage {
		raw, err := os.ReadFile("../../gateway-client/fhir/testdata/recorded/" + name)
		require.NoError(t, err)
		var m map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(raw, &m))
		return m
	}
	consentRec, claimRec := read("consent.json"), read("claim-paid.json")
	var consents []json.RawMessage
	require.NoError(t, json.Unmarshal(consentRec["consents"], &consents))
	record := claimRec["record"]
	if !paid {
		var m map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(record, &m))
		delete(m, "payment")
		var err error
		record, err = json.Marshal(m)
		require.NoError(t, err)
	}
	return func(_ context.Context, call sdktest.Call) ([]byte, error) {
		switch call.Function {
		case "GetConsent":
			for _, c := range consents {
				var head struct{ ID string }
				if json.Unmarshal(c, &head) == nil && head.ID == call.Args[0] {
					return c, nil
				}
			}
			return nil, codes.New(codes.NotFound, "consent %s", call.Args[0])
		case "ListAccessLog":
			return json.Marshal(map[string]any{"items": consentRec["accessLog"], "bookmark": ""})
		case "GetClaim":
			return claimRec["header"], nil
		case "GetClaimDetails":
			return sdktest.Sealed(call, json.RawMessage(record))
		}
		return nil, codes.New(codes.InvalidArgument, "unexpected %s", call.Function)
	}
}

func TestExportCommands(t *testing.T) {
	c := testClient(t, recordedAnswers(t, true))
	resourceOf := func(out string) map[string]any {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(out), &m), out)
		return m
	}

	out, errOut, code := runHlctl(t, c, nil, "consent", "export", "consent", "c-treat")
	require.Equal(t, 0, code, errOut)
	m := resourceOf(out)
	require.Equal(t, "Consent", m["resourceType"])
	require.Equal(t, "Patient/pat-7f3a9c21", m["patient"].(map[string]any)["reference"])

	out, errOut, code = runHlctl(t, c, nil, "consent", "export", "audit-events", "pat-7f3a9c21", "--limit", "1")
	require.Equal(t, 0, code, errOut)
	m = resourceOf(out)
	require.Equal(t, "Bundle", m["resourceType"])
	require.Len(t, m["entry"], 1)

	out, errOut, code = runHlctl(t, c, nil, "--json", "claims", "export", "eob", "clm-fhir")
	require.Equal(t, 0, code, errOut)
	m = resourceOf(out)
	require.Equal(t, "ExplanationOfBenefit", m["resourceType"])
	require.Equal(t, "partial", m["outcome"])

	out, errOut, code = runHlctl(t, c, nil, "claims", "export", "835", "clm-fhir", "--control", "9")
	require.Equal(t, 0, code, errOut)
	r, err := fhir.Parse835(out)
	require.NoError(t, err)
	require.NoError(t, r.Check())
	require.Equal(t, "000000009", r.ISAControl)

	out, errOut, code = runHlctl(t, c, nil, "--json", "claims", "export", "835", "clm-fhir")
	require.Equal(t, 0, code, errOut)
	var text string
	require.NoError(t, json.Unmarshal([]byte(out), &text))
	require.True(t, strings.HasPrefix(text, "ISA*"))

	_, errOut, code = runHlctl(t, c, nil, "claims", "export", "835", "clm-fhir", "--control", "1000000000")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "INVALID_ARGUMENT")
	_, errOut, code = runHlctl(t, c, nil, "claims", "export", "eob")
	require.Equal(t, 2, code, errOut)

	unpaid := testClient(t, recordedAnswers(t, false))
	out, errOut, code = runHlctl(t, unpaid, nil, "claims", "export", "835", "clm-fhir")
	require.Equal(t, 1, code)
	require.Empty(t, out)
	require.Contains(t, errOut, "PRECONDITION_FAILED")
	require.Equal(t, 1, strings.Count(strings.TrimSpace(errOut), "\n")+1, "one line: %s", errOut)
}
