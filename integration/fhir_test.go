//go:build integration

package integration

import (
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/healthledger/healthledger/chaincode/claims/claimstypes"
	"github.com/healthledger/healthledger/chaincode/consent/consenttypes"
	"github.com/healthledger/healthledger/gateway-client/fhir"
	"github.com/healthledger/healthledger/gateway-client/fhir/fhirschema"
	"github.com/healthledger/healthledger/gateway-client/sdk"
	"github.com/stretchr/testify/require"
)

// TestFHIRExportsOfALiveConsentAccessAndPaidClaim grants a consent, makes an access under it, runs a
// claim to paid, and exports the four documents (Consent, AuditEvent Bundle, ExplanationOfBenefit,
// 835) through the SDK and through the real hlctl binary: the FHIR ones validate against the official
// R4 JSON schema, the 835 parses back and balances.
func TestFHIRExportsOfALiveConsentAccessAndPaidClaim(t *testing.T) {
	start := time.Now()
	schema, err := fhirschema.Load(filepath.Join(env.root, "gateway-client", "fhir", "testdata", "schema", "fhir.schema.json.gz"))
	require.NoError(t, err)
	// Compiling the schema (once per Validator) costs far more than any export: do it first, so the
	// timings below are the exports'.
	require.Error(t, schema.Validate([]byte(`{"resourceType":"Consent"}`)), "a Consent without scope and category")
	t.Logf("schema loaded and compiled in %s", time.Since(start).Round(time.Millisecond))
	start = time.Now()
	cast := claimsConnectCast(t)
	who, patient := claimsPayingPatient(t, cast)
	prov := cast.provider.info

	// The consent and the access it permits (a purpose/class pair no other test uses).
	const purpose, class = consenttypes.PurposeCareManagement, consenttypes.ClassAllergyIntolerance
	consentID := unique("it-fhir-consent")
	consentGrant(t, patient.consent, consenttypes.Consent{
		ID: consentID, Patient: who.Subject, Grantee: consentParty(prov), Decision: consenttypes.Permit,
		Actions: []consenttypes.Action{consenttypes.ActionAccess}, Purposes: []consenttypes.Purpose{purpose}, Classes: []consenttypes.DataClass{class},
		Period: consenttypes.Period{End: time.Now().Add(24 * time.Hour).UTC().Truncate(time.Second)},
	})
	consentEventuallyDecides(t, cast.provider.consent, who.Subject, consentGrantee(prov), consenttypes.ActionAccess, purpose, class, consenttypes.Permit, []string{consentID})
	recordID := unique("it-fhir-rec")
	entry, err := cast.provider.consent.RecordAccess(ctx(t), who.Subject, class, purpose, recordID)
	require.NoError(t, err)

	// The claim, to paid: a covered visit and panel, and an uncovered code (CO-96).
	v := claimsNewVariant()
	cov := claimsRegisterCoverage(t, cast.insurer, claimstypes.CoverageTerms{
		Member: who.Subject, PlanID: "PLAN-IT-FHIR", PeriodStart: "2000-01-01", PeriodEnd: "2099-12-31",
		CoveredCodes: []string{"99214", "80053"}, DeductibleCents: 1000, CoinsuranceBP: 2000, AnnualLimitCents: 0,
		FeeSchedule: []claimstypes.FeeScheduleEntry{{Code: "99214", AllowedUnitCents: 13000}, {Code: "80053", AllowedUnitCents: 4552}},
		Nonce:       claimsNonce(t, "claims-it-terms-"),
	}, cast.provider)
	details := claimsDetails(t, []string{"E11.9", "I10"},
		claimstypes.ServiceLine{Code: "99214", ServiceDate: v.date, Quantity: 1, UnitChargeCents: 18000 + v.cents, DiagnosisPointers: []int{1}},
		claimstypes.ServiceLine{Code: "80053", ServiceDate: v.date, Quantity: 1, UnitChargeCents: 5000 + v.cents, DiagnosisPointers: []int{1, 2}},
		claimstypes.ServiceLine{Code: "36415", ServiceDate: v.date, Quantity: 2, UnitChargeCents: 1300 + v.cents},
	)
	claimID := unique("it-fhir-clm")
	_, err = cast.provider.claims.SubmitClaim(ctx(t), claimstypes.ClaimSubmission{ID: claimID, Patient: who.Subject, CoverageID: cov.ID}, details)
	require.NoError(t, err)
	claimsAwaitStatus(t, claimID, claimstypes.StatusSubmitted, cast.insurer)
	adj, err := cast.insurer.claims.Adjudicate(ctx(t), claimID)
	require.NoError(t, err)
	require.Equal(t, claimstypes.OutcomePartial, adj.Outcome)
	rec, err := cast.insurer.claims.GetClaimDetails(ctx(t), claimID)
	require.NoError(t, err)
	paidCents := rec.Adjudication.TotalPaidCents
	claimsAwaitStatus(t, claimID, claimstypes.StatusAdjudicated, cast.provider)
	_, err = cast.insurer.claims.Pay(ctx(t), claimID, paidCents, "EFT-IT-"+strconv.FormatInt(time.Now().UnixNano(), 10))
	require.NoError(t, err)
	claimsAwaitStatus(t, claimID, claimstypes.StatusPaid, cast.provider)
	t.Logf("setup (consent, access, claim to paid) took %s", time.Since(start).Round(time.Millisecond))

	// Through the SDK.
	exportStart := time.Now()
	fc, err := patient.consent.FHIRConsent(ctx(t), consentID)
	t.Logf("SDK FHIRConsent took %s", time.Since(exportStart).Round(time.Millisecond))
	require.NoError(t, err)
	require.Equal(t, "active", fc.Status)
	require.Equal(t, "Patient/"+who.Subject, fc.Patient.Reference)
	require.NoError(t, schema.ValidateValue(fc), "Consent")

	var bundle *fhir.Bundle
	eventually(t, "the access in the patient's log", func() error {
		var err error
		bundle, err = patient.consent.FHIRAuditEvents(ctx(t), who.Subject, 50)
		if err != nil {
			return err
		}
		if fhirAuditFor(bundle, recordID) == nil {
			return errNotYet("no AuditEvent for record " + recordID)
		}
		return nil
	})
	require.NoError(t, schema.ValidateValue(bundle), "AuditEvent Bundle")
	ev := fhirAuditFor(bundle, recordID)
	require.Equal(t, "Consent/"+consentID, ev.Entity[2].What.Reference)
	require.Equal(t, entry.TxID, ev.Entity[1].Detail[0].ValueString)
	require.Equal(t, string(purpose), ev.PurposeOfEvent[0].Coding[0].Code)

	for _, reader := range []*claimsParty{cast.insurer, cast.provider} {
		eob, err := reader.claims.ExplanationOfBenefit(ctx(t), claimID)
		require.NoError(t, err, reader.info.Name)
		require.NoError(t, schema.ValidateValue(eob), "ExplanationOfBenefit as %s", reader.info.Name)
		require.Equal(t, "partial", eob.Outcome)
		require.Len(t, eob.Item, 3)
	}
	_, err = patient.claims.ExplanationOfBenefit(ctx(t), claimID)
	require.ErrorIs(t, err, sdk.ErrNotFound, "the patient does not read the private details, so gets no EOB: the answer of a missing claim")

	remitStart := time.Now()
	text, err := cast.insurer.claims.Remittance835(ctx(t), claimID, fhir.X12Options{Control: 5})
	t.Logf("SDK Remittance835 took %s (%d bytes, %d segments)", time.Since(remitStart).Round(time.Millisecond), len(text), strings.Count(text, "~"))
	require.NoError(t, err)
	fhirRequireBalanced(t, text, paidCents)
	t.Logf("SDK exports (Consent, Bundle of %d AuditEvents, 3 EOB reads, 835) and validation took %s", len(bundle.Entry), time.Since(exportStart).Round(time.Millisecond))

	// Through hlctl.
	bin := sdkBuildHlctl(t)
	for _, tc := range []struct {
		identity string
		args     []string
		resource string
	}{
		{who.Name, []string{"consent", "export", "consent", consentID}, "Consent"},
		{who.Name, []string{"consent", "export", "audit-events", who.Subject, "--limit", "50"}, "Bundle"},
		{cast.insurer.info.Name, []string{"claims", "export", "eob", claimID}, "ExplanationOfBenefit"},
		{prov.Name, []string{"--json", "claims", "export", "eob", claimID}, "ExplanationOfBenefit"},
	} {
		run := sdkHlctl(t, bin, append([]string{"--identity", tc.identity}, tc.args...)...)
		require.Equal(t, 0, run.code, "hlctl %v: %s", tc.args, run.stderr)
		require.NoError(t, schema.Validate([]byte(run.stdout)), "hlctl %v", tc.args)
		var head struct{ ResourceType string }
		require.NoError(t, json.Unmarshal([]byte(run.stdout), &head))
		require.Equal(t, tc.resource, head.ResourceType)
	}
	run := sdkHlctl(t, bin, "--identity", cast.insurer.info.Name, "claims", "export", "835", claimID, "--control", "77")
	require.Equal(t, 0, run.code, run.stderr)
	fhirRequireBalanced(t, run.stdout, paidCents)
	run = sdkHlctl(t, bin, "--identity", who.Name, "claims", "export", "eob", claimID)
	require.Equal(t, 1, run.code)
	require.Empty(t, run.stdout)
	require.Contains(t, run.stderr, "NOT_FOUND", "the answer of a missing claim: no existence oracle")
	require.NotContains(t, run.stderr, "E11.9", "a refusal names no diagnosis")
}

// fhirAuditFor returns the AuditEvent of the bundle about recordID, or nil.
func fhirAuditFor(b *fhir.Bundle, recordID string) *fhir.AuditEventResource {
	for _, e := range b.Entry {
		ev, ok := e.Resource.(*fhir.AuditEventResource)
		if !ok {
			continue
		}
		for _, ent := range ev.Entity {
			if ent.What != nil && ent.What.Identifier != nil && ent.What.Identifier.Value == recordID {
				return ev
			}
		}
	}
	return nil
}

// fhirRequireBalanced parses an 835 back and checks its envelope and balances, and the payment.
func fhirRequireBalanced(t *testing.T, text string, paidCents int64) {
	t.Helper()
	r, err := fhir.Parse835(text)
	require.NoError(t, err)
	require.NoError(t, r.Check(), text)
	require.Equal(t, paidCents, r.PaymentCents)
	require.Len(t, r.Claims, 1)
	require.Len(t, r.Claims[0].Services, 3)
	groups := []string{}
	for _, s := range r.Claims[0].Services {
		for _, a := range s.Adjustments {
			groups = append(groups, a.Group+"-"+a.Reason)
		}
	}
	require.Contains(t, strings.Join(groups, " "), "CO-96", "the uncovered line")
	require.Contains(t, strings.Join(groups, " "), "CO-45", "the fee schedule")
}

type errNotYet string

func (e errNotYet) Error() string { return string(e) }
