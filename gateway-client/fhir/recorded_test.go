package fhir_test

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/healthledger/healthledger/chaincode/claims/claimstypes"
	"github.com/healthledger/healthledger/chaincode/consent/consenttypes"
	"github.com/healthledger/healthledger/gateway-client/fhir"
	"github.com/stretchr/testify/require"
)

// The files in testdata/recorded are answers of the real chaincodes, driven through the in-memory
// ledger by TestFHIRExportFromChaincodeAnswers in chaincode/consent and chaincode/claims, which fail
// when the files drift from what the contracts answer.

func readRecorded(t *testing.T, name string, v any) {
	t.Helper()
	raw, err := os.ReadFile("testdata/recorded/" + name)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, v))
}

func TestRecordedAnswersExportAndValidate(t *testing.T) {
	v := validator(t)
	var consent struct {
		Consents  []consenttypes.Consent     `json:"consents"`
		AccessLog []consenttypes.AccessEntry `json:"accessLog"`
		Now       time.Time                  `json:"now"`
	}
	readRecorded(t, "consent.json", &consent)
	require.Len(t, consent.Consents, 2)
	statuses := []string{}
	for _, c := range consent.Consents {
		r, err := fhir.Consent(c, consent.Now)
		require.NoError(t, err)
		require.NoError(t, v.ValidateValue(r), c.ID)
		statuses = append(statuses, r.Status)
	}
	require.Equal(t, []string{"active", "inactive"}, statuses)
	for _, typ := range []fhir.BundleType{fhir.BundleCollection, fhir.BundleSearchset} {
		b, err := fhir.AuditBundle(consent.AccessLog, fhir.Source{Channel: "healthchannel", Chaincode: "consent"}, typ)
		require.NoError(t, err)
		require.NoError(t, v.ValidateValue(b))
		require.Len(t, b.Entry, len(consent.AccessLog))
	}

	var claim struct {
		Header claimstypes.ClaimHeader `json:"header"`
		Record claimstypes.ClaimRecord `json:"record"`
	}
	readRecorded(t, "claim-paid.json", &claim)
	view := fhir.ClaimView{Header: claim.Header, Record: claim.Record}
	eob, err := fhir.ExplanationOfBenefit(view)
	require.NoError(t, err)
	require.NoError(t, v.ValidateValue(eob))
	require.Equal(t, "96.00", string(eob.Payment.Amount.Value))

	text, err := fhir.Remittance835(view, fhir.X12Options{Control: 7})
	require.NoError(t, err)
	r, err := fhir.Parse835(text)
	require.NoError(t, err)
	require.NoError(t, r.Check())
	require.Equal(t, int64(9_600), r.PaymentCents)
	require.Len(t, r.Claims[0].Services, 3)
}
