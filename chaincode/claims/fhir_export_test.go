package claims

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/healthledger/healthledger/chaincode/claims/claimstypes"
	"github.com/healthledger/healthledger/chaincode/internal/cctest"
	"github.com/healthledger/healthledger/gateway-client/fhir"
	"github.com/stretchr/testify/require"
)

// recordedDir holds the chaincode answers that the fhir package's tests convert and validate against
// the FHIR R4 schema. This test produces them from the real contract; it fails when they drift, and
// rewrites them when HEALTHLEDGER_UPDATE_RECORDED=1.
var recordedDir = filepath.Join("..", "..", "gateway-client", "fhir", "testdata", "recorded")

// claimRecording is the content of claim-paid.json: a claim as its insurer reads it once paid.
type claimRecording struct {
	Header claimstypes.ClaimHeader `json:"header"`
	Record claimstypes.ClaimRecord `json:"record"`
}

func TestFHIRExportFromChaincodeAnswers(t *testing.T) {
	f := newFixture(t)
	// A $50 deductible, 20 % coinsurance and a fee schedule that caps the visit at $120.
	cctest.RequireOK(t, f.registerCoverageAs("insurer1", covID, f.terms(func(t *claimstypes.CoverageTerms) {
		t.DeductibleCents = 5_000
		t.FeeSchedule = []claimstypes.FeeScheduleEntry{{Code: "99213", AllowedUnitCents: 12_000}}
	})))
	f.permit(pat1)
	// Three lines: a visit (CO-45, PR-1, PR-2), a panel (PR-2) and an uncovered code (CO-96): the
	// outcome is partial.
	d := f.details(func(d *claimstypes.ClaimDetails) {
		d.Lines = append(d.Lines, claimstypes.ServiceLine{Code: "99214", ServiceDate: "2024-12-01", Quantity: 2, UnitChargeCents: 4_000, DiagnosisPointers: []int{2}})
	})
	cctest.RequireOK(t, f.submitAs("provider1", submission("clm-fhir"), d))
	cctest.RequireOK(t, f.invoke("insurer1", "Adjudicate", "clm-fhir"))
	cctest.RequireOK(t, f.pay("clm-fhir"))

	rec := claimRecording{
		Header: cctest.Decode[claimstypes.ClaimHeader](t, f.evaluate("insurer1", "GetClaim", "clm-fhir")),
		Record: cctest.DecodeSealed[claimstypes.ClaimRecord](t, f.evaluate("insurer1", "GetClaimDetails", "clm-fhir")),
	}
	require.Equal(t, rec.Record, cctest.DecodeSealed[claimstypes.ClaimRecord](t, f.evaluate("provider1", "GetClaimDetails", "clm-fhir")),
		"the provider reads the same record as the insurer")
	require.Equal(t, claimstypes.StatusPaid, rec.Header.Status)
	require.Equal(t, claimstypes.OutcomePartial, rec.Record.Adjudication.Outcome)
	matchRecording(t, "claim-paid.json", rec)

	view := fhir.ClaimView{Header: rec.Header, Record: rec.Record}
	eob, err := fhir.ExplanationOfBenefit(view)
	require.NoError(t, err)
	require.Equal(t, "partial", eob.Outcome)
	require.Len(t, eob.Item, 3)
	require.Equal(t, decimalOf(rec.Record.Payment.AmountCents), string(eob.Payment.Amount.Value))

	text, err := fhir.Remittance835(view, fhir.X12Options{})
	require.NoError(t, err)
	r, err := fhir.Parse835(text)
	require.NoError(t, err)
	require.NoError(t, r.Check())
	require.Equal(t, rec.Record.Adjudication.TotalPaidCents, r.PaymentCents)
	groups := map[string]bool{}
	for _, s := range r.Claims[0].Services {
		for _, a := range s.Adjustments {
			groups[a.Group+"-"+a.Reason] = true
		}
	}
	require.True(t, groups["CO-45"] && groups["CO-96"] && groups["PR-1"] && groups["PR-2"], "the uncovered line and the deductible reach the 835: %v", groups)
}

// decimalOf writes cents as FHIR's two-place decimal.
func decimalOf(cents int64) string { return fmt.Sprintf("%d.%02d", cents/100, cents%100) }

// matchRecording requires that v, as JSON, equals the recorded file, or rewrites the file when
// HEALTHLEDGER_UPDATE_RECORDED=1.
func matchRecording(t *testing.T, name string, v any) {
	t.Helper()
	raw, err := json.MarshalIndent(v, "", "  ")
	require.NoError(t, err)
	path := filepath.Join(recordedDir, name)
	if os.Getenv("HEALTHLEDGER_UPDATE_RECORDED") == "1" {
		require.NoError(t, os.WriteFile(path, append(raw, '\n'), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run with HEALTHLEDGER_UPDATE_RECORDED=1 to record %s", name)
	require.JSONEq(t, string(want), string(raw), "the recorded answers in %s drifted from the chaincode: rerun with HEALTHLEDGER_UPDATE_RECORDED=1 and review the diff", name)
}
