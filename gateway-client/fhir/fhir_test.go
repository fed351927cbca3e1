package fhir_test

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/healthledger/healthledger/chaincode/claims/claimstypes"
	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/consent/consenttypes"
	"github.com/healthledger/healthledger/gateway-client/fhir"
	"github.com/healthledger/healthledger/gateway-client/fhir/fhirschema"
	"github.com/stretchr/testify/require"
)

var (
	schemaOnce sync.Once
	schema     *fhirschema.Validator
	schemaErr  error
)

// validator loads the vendored R4 schema once for the package's tests.
func validator(t *testing.T) *fhirschema.Validator {
	t.Helper()
	schemaOnce.Do(func() { schema, schemaErr = fhirschema.Load("testdata/schema/fhir.schema.json.gz") })
	require.NoError(t, schemaErr)
	return schema
}

var t0 = time.Date(2025, 3, 1, 9, 30, 0, 0, time.UTC)

func sampleConsent() consenttypes.Consent {
	return consenttypes.Consent{
		ID: "c-1", Patient: "pat-7f3a9c21", Grantee: "InsurerMSP/insurer", Decision: consenttypes.Permit,
		Actions:  []consenttypes.Action{consenttypes.ActionAccess, consenttypes.ActionDisclose},
		Purposes: []consenttypes.Purpose{consenttypes.PurposePayment, consenttypes.PurposeTreatment},
		Classes:  []consenttypes.DataClass{consenttypes.ClassClaim, consenttypes.ClassObservation},
		Period:   consenttypes.Period{Start: t0, End: t0.AddDate(1, 0, 0)},
		Status:   consenttypes.StatusActive, Version: 1, Grantor: "HospitalMSP/patient/pat-7f3a9c21", CreatedAt: t0,
	}
}

func sampleEntry() consenttypes.AccessEntry {
	return consenttypes.AccessEntry{
		ID: "rec-1@0a1b2c", Patient: "pat-7f3a9c21", Accessor: "HospitalMSP/provider/1003000126",
		Action: consenttypes.ActionAccess, DataClass: consenttypes.ClassObservation, Purpose: consenttypes.PurposeTreatment,
		RecordID: "rec-1", ConsentIDs: []string{"c-1"}, At: t0.Add(time.Hour), TxID: "0a1b2c",
	}
}

var src = fhir.Source{Channel: "healthchannel", Chaincode: "consent", Peer: "peer0.hospital.example.com"}

// paidClaim is a professional claim after adjudication and payment, as the claims chaincode answers.
func paidClaim() fhir.ClaimView {
	paidAt := t0.Add(48 * time.Hour)
	return fhir.ClaimView{
		Header: claimstypes.ClaimHeader{ID: "clm-1", ClaimType: claimstypes.ClaimProfessional, ProviderMSP: "HospitalMSP", Provider: "1003000126",
			Patient: "pat-7f3a9c21", InsurerMSP: "InsurerMSP", Insurer: "PAYER-0001", CoverageID: "cov-1", Status: claimstypes.StatusPaid,
			Outcome: claimstypes.OutcomePartial, FrequencyCode: claimstypes.FrequencyOriginal, SubmittedAt: t0, UpdatedAt: paidAt},
		Record: claimstypes.ClaimRecord{ClaimID: "clm-1",
			Details: claimstypes.ClaimDetails{Diagnoses: []string{"E11.9", "I10"}, TotalCents: 20_000, Lines: []claimstypes.ServiceLine{
				{Code: "99213", ServiceDate: "2025-02-27", Quantity: 1, UnitChargeCents: 15_000, DiagnosisPointers: []int{1, 2}},
				{Code: "00002143380", ServiceDate: "2025-02-27", Quantity: 2, UnitChargeCents: 2_500, DiagnosisPointers: []int{1}},
			}},
			Adjudication: &claimstypes.Adjudication{Round: 1, Outcome: claimstypes.OutcomePartial, CoverageID: "cov-1", Lines: []claimstypes.LineResult{
				{Sequence: 1, Code: "99213", ServiceDate: "2025-02-27", ChargeCents: 15_000, AllowedCents: 12_000, PaidCents: 8_000, PatientRespCents: 4_000,
					Adjustments: []claimstypes.Adjustment{
						{Group: "CO", Reason: "45", Kind: claimstypes.AdjFeeSchedule, AmountCents: 3_000},
						{Group: "PR", Reason: "1", Kind: claimstypes.AdjDeductible, AmountCents: 2_000},
						{Group: "PR", Reason: "2", Kind: claimstypes.AdjCoinsurance, AmountCents: 2_000},
					}},
				{Sequence: 2, Code: "00002143380", ServiceDate: "2025-02-27", ChargeCents: 5_000, Denied: true,
					Adjustments: []claimstypes.Adjustment{{Group: "CO", Reason: "96", Kind: claimstypes.AdjNotCovered, AmountCents: 5_000}}},
			}, TotalChargeCents: 20_000, TotalAllowedCents: 12_000, TotalPaidCents: 8_000, TotalPatientRespCents: 4_000, AdjudicatedAt: t0.Add(24 * time.Hour)},
			Payment: &claimstypes.Payment{AmountCents: 8_000, PaymentRef: "EFT-000123", PaidAt: paidAt},
		},
	}
}

func TestEveryExportValidates(t *testing.T) {
	v := validator(t)
	c, err := fhir.Consent(sampleConsent(), t0)
	require.NoError(t, err)
	require.NoError(t, v.ValidateValue(c))
	a, err := fhir.AuditEvent(sampleEntry(), src)
	require.NoError(t, err)
	require.NoError(t, v.ValidateValue(a))
	for _, typ := range []fhir.BundleType{fhir.BundleCollection, fhir.BundleSearchset} {
		b, err := fhir.AuditBundle([]consenttypes.AccessEntry{sampleEntry(), {ID: "patient-registered@tx9", Patient: "pat-7f3a9c21",
			Accessor: "HospitalMSP/patient/pat-7f3a9c21", Action: consenttypes.ActionPatientRegistered, At: t0, TxID: "tx9", Detail: "key sha256:ab"}}, src, typ)
		require.NoError(t, err)
		require.NoError(t, v.ValidateValue(b))
		require.Len(t, b.Entry, 2)
	}
	e, err := fhir.ExplanationOfBenefit(paidClaim())
	require.NoError(t, err)
	require.NoError(t, v.ValidateValue(e))
}

func TestConsentMapping(t *testing.T) {
	c, err := fhir.Consent(sampleConsent(), t0)
	require.NoError(t, err)
	require.Equal(t, "active", c.Status)
	require.Equal(t, "Patient/pat-7f3a9c21", c.Patient.Reference)
	require.Equal(t, "permit", c.Provision.Type)
	require.Equal(t, "Organization", c.Provision.Actor[0].Reference.Type)
	require.Equal(t, "InsurerMSP/insurer", c.Provision.Actor[0].Reference.Identifier.Value)
	require.Equal(t, []string{"access", "disclose"}, []string{c.Provision.Action[0].Coding[0].Code, c.Provision.Action[1].Coding[0].Code})
	require.Equal(t, fhir.SystemActReason, c.Provision.Purpose[0].System)
	require.Equal(t, "HPAYMT", c.Provision.Purpose[0].Code)
	require.Equal(t, "Claim", c.Provision.Class[0].Code)
	require.Equal(t, "2026-03-01T09:30:00Z", c.Provision.Period.End)
	require.Equal(t, "Patient", c.Performer[0].Type)

	expired, err := fhir.Consent(sampleConsent(), t0.AddDate(1, 0, 0))
	require.NoError(t, err)
	require.Equal(t, "inactive", expired.Status, "a consent whose period ended is inactive")
	revoked := sampleConsent()
	revoked.Status = consenttypes.StatusInactive
	revoked.Decision = consenttypes.Deny
	revoked.Classes = []consenttypes.DataClass{consenttypes.AllClasses}
	r, err := fhir.Consent(revoked, t0)
	require.NoError(t, err)
	require.Equal(t, "inactive", r.Status)
	require.Equal(t, "deny", r.Provision.Type)
	require.Empty(t, r.Provision.Class, "every class: the provision names none")
}

func TestUnmappableValuesAreErrors(t *testing.T) {
	for name, mod := range map[string]func(*consenttypes.Consent){
		"status":   func(c *consenttypes.Consent) { c.Status = "suspended" },
		"decision": func(c *consenttypes.Consent) { c.Decision = "maybe" },
		"action":   func(c *consenttypes.Consent) { c.Actions = append(c.Actions, "read") },
		"purpose":  func(c *consenttypes.Consent) { c.Purposes = append(c.Purposes, "BTG") },
		"class":    func(c *consenttypes.Consent) { c.Classes = append(c.Classes, "Patient") },
		"grantee":  func(c *consenttypes.Consent) { c.Grantee = "InsurerMSP/janitor" },
	} {
		c := sampleConsent()
		mod(&c)
		_, err := fhir.Consent(c, t0)
		require.Error(t, err, name)
		require.Equal(t, codes.InvalidArgument, codes.Of(err), name)
	}
	e := sampleEntry()
	e.Action = "peek"
	_, err := fhir.AuditEvent(e, src)
	require.Equal(t, codes.InvalidArgument, codes.Of(err))
	e = sampleEntry()
	e.Purpose = "NOPE"
	_, err = fhir.AuditEvent(e, src)
	require.Equal(t, codes.InvalidArgument, codes.Of(err))
	_, err = fhir.AuditBundle(nil, src, "history")
	require.Equal(t, codes.InvalidArgument, codes.Of(err))

	for name, mod := range map[string]func(*fhir.ClaimView){
		"status":      func(v *fhir.ClaimView) { v.Header.Status = "lost" },
		"type":        func(v *fhir.ClaimView) { v.Header.ClaimType = "dental" },
		"outcome":     func(v *fhir.ClaimView) { v.Record.Adjudication.Outcome = "maybe" },
		"kind":        func(v *fhir.ClaimView) { v.Record.Adjudication.Lines[0].Adjustments[0].Kind = "bribe" },
		"group":       func(v *fhir.ClaimView) { v.Record.Adjudication.Lines[0].Adjustments[0].Group = "PI" },
		"reason":      func(v *fhir.ClaimView) { v.Record.Adjudication.Lines[0].Adjustments[0].Reason = "253" },
		"frequency":   func(v *fhir.ClaimView) { v.Header.FrequencyCode = "9" },
		"code":        func(v *fhir.ClaimView) { v.Record.Details.Lines[0].Code = "xyz" },
		"other-claim": func(v *fhir.ClaimView) { v.Record.ClaimID = "clm-2" },
	} {
		v := paidClaim()
		mod(&v)
		_, err := fhir.ExplanationOfBenefit(v)
		require.Equal(t, codes.InvalidArgument, codes.Of(err), name)
	}
}

func TestEOBMapping(t *testing.T) {
	e, err := fhir.ExplanationOfBenefit(paidClaim())
	require.NoError(t, err)
	require.Equal(t, "active", e.Status)
	require.Equal(t, "claim", e.Use)
	require.Equal(t, "partial", e.Outcome)
	require.Equal(t, "professional", e.Type.Coding[0].Code)
	require.Equal(t, fhir.SystemICD10CM, e.Diagnosis[0].DiagnosisCodeableConcept.Coding[0].System)
	require.Equal(t, fhir.SystemCPT, e.Item[0].ProductOrService.Coding[0].System)
	require.Equal(t, fhir.SystemNDC, e.Item[1].ProductOrService.Coding[0].System)
	cats := map[string]string{}
	for _, a := range e.Item[0].Adjudication {
		cats[a.Category.Coding[0].Code] = string(a.Amount.Value)
	}
	require.Equal(t, map[string]string{"submitted": "150.00", "eligible": "120.00", "benefit": "80.00", "memberliability": "40.00",
		"discount": "30.00", "deductible": "20.00", "coinsurance": "20.00"}, cats)
	require.Equal(t, "80.00", string(e.Payment.Amount.Value))
	require.Equal(t, "complete", e.Payment.Type.Coding[0].Code)
	require.Equal(t, "2025-03-03", e.Payment.Date)

	queued := paidClaim()
	queued.Header.Status = claimstypes.StatusSubmitted
	queued.Record.Adjudication, queued.Record.Payment = nil, nil
	q, err := fhir.ExplanationOfBenefit(queued)
	require.NoError(t, err)
	require.Equal(t, "queued", q.Outcome)
	require.NoError(t, validator(t).ValidateValue(q))
	denied := paidClaim()
	denied.Header.Status = claimstypes.StatusVoided
	d, err := fhir.ExplanationOfBenefit(denied)
	require.NoError(t, err)
	require.Equal(t, "cancelled", d.Status)
}

// mutate marshals a resource to a generic object, applies f and returns the JSON.
func mutate(t *testing.T, doc any, f func(m map[string]any)) []byte {
	t.Helper()
	raw, err := json.Marshal(doc)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m))
	f(m)
	out, err := json.Marshal(m)
	require.NoError(t, err)
	return out
}

func TestBrokenDocumentsFailValidation(t *testing.T) {
	v := validator(t)
	c, err := fhir.Consent(sampleConsent(), t0)
	require.NoError(t, err)
	a, err := fhir.AuditEvent(sampleEntry(), src)
	require.NoError(t, err)
	e, err := fhir.ExplanationOfBenefit(paidClaim())
	require.NoError(t, err)
	b, err := fhir.AuditBundle([]consenttypes.AccessEntry{sampleEntry()}, src, fhir.BundleSearchset)
	require.NoError(t, err)
	for name, doc := range map[string][]byte{
		"consent status revoked":     mutate(t, c, func(m map[string]any) { m["status"] = "revoked" }),
		"consent without scope":      mutate(t, c, func(m map[string]any) { delete(m, "scope") }),
		"consent provision maybe":    mutate(t, c, func(m map[string]any) { m["provision"].(map[string]any)["type"] = "maybe" }),
		"consent unknown element":    mutate(t, c, func(m map[string]any) { m["grantee"] = "InsurerMSP" }),
		"audit action X":             mutate(t, a, func(m map[string]any) { m["action"] = "X" }),
		"audit outcome 1":            mutate(t, a, func(m map[string]any) { m["outcome"] = "1" }),
		"audit without agent":        mutate(t, a, func(m map[string]any) { delete(m, "agent") }),
		"audit recorded not instant": mutate(t, a, func(m map[string]any) { m["recorded"] = "yesterday" }),
		"eob status paid":            mutate(t, e, func(m map[string]any) { m["status"] = "paid" }),
		"eob without insurance":      mutate(t, e, func(m map[string]any) { delete(m, "insurance") }),
		"eob outcome with spaces":    mutate(t, e, func(m map[string]any) { m["outcome"] = " complete" }),
		"eob money as string":        mutate(t, e, func(m map[string]any) { m["payment"].(map[string]any)["amount"].(map[string]any)["value"] = "80.00" }),
		"bundle type list":           mutate(t, b, func(m map[string]any) { m["type"] = "list" }),
		"bundle bad entry": mutate(t, b, func(m map[string]any) {
			m["entry"].([]any)[0].(map[string]any)["resource"].(map[string]any)["action"] = "Z"
		}),
		"unknown resource type": mutate(t, c, func(m map[string]any) { m["resourceType"] = "Permission" }),
	} {
		require.Error(t, v.Validate(doc), name)
	}
	// The limits of the JSON schema: it does not require primitive elements (Consent.status) and does
	// not enumerate ExplanationOfBenefit.outcome; the conversions guarantee both instead.
	require.NoError(t, v.Validate(mutate(t, c, func(m map[string]any) { delete(m, "status") })))
	require.NoError(t, v.Validate(mutate(t, e, func(m map[string]any) { m["outcome"] = "approved" })))
}

func TestRemittance835Balances(t *testing.T) {
	text, err := fhir.Remittance835(paidClaim(), fhir.X12Options{Control: 42})
	require.NoError(t, err)
	r, err := fhir.Parse835(text)
	require.NoError(t, err)
	require.NoError(t, r.Check())
	require.Equal(t, "000000042", r.ISAControl)
	require.Equal(t, "42", r.GSControl)
	require.Equal(t, int64(8_000), r.PaymentCents)
	require.Equal(t, "EFT-000123", r.TraceNumber)
	require.Len(t, r.Claims, 1)
	clp := r.Claims[0]
	require.Equal(t, "clm-1", clp.ID)
	require.Equal(t, "1", clp.Status)
	require.Equal(t, "pat-7f3a9c21", clp.Patient)
	require.Equal(t, []int64{20_000, 8_000, 4_000}, []int64{clp.ChargeCents, clp.PaidCents, clp.PatientRespCents})
	require.Len(t, clp.Services, 2)
	require.Equal(t, "HC", clp.Services[0].Qualifier)
	require.Equal(t, "N4", clp.Services[1].Qualifier)
	require.Equal(t, int64(2), clp.Services[1].Units)
	require.Equal(t, []fhir.RemittanceAdjustment{{Group: "CO", Reason: "45", AmountCents: 3_000}, {Group: "PR", Reason: "1", AmountCents: 2_000},
		{Group: "PR", Reason: "2", AmountCents: 2_000}}, clp.Services[0].Adjustments)
	require.Contains(t, text, "CAS*PR*1*20**2*20~")
	require.Contains(t, text, "SVC*HC:99213*150*80**1~")
	lines := strings.Split(strings.TrimSpace(text), "\n")
	require.True(t, strings.HasPrefix(lines[len(lines)-1], "IEA*1*000000042~"))
	require.Len(t, lines[0], 106, "the ISA segment has its fixed width")

	// Each tampering breaks one of the checks.
	for name, edit := range map[string][2]string{
		"line paid":     {"SVC*HC:99213*150*80**1~", "SVC*HC:99213*150*81**1~"},
		"cas amount":    {"CAS*CO*45*30~", "CAS*CO*45*31~"},
		"clp paid":      {"*150*80*40*CI*", "*200*81*40*CI*"},
		"bpr":           {"BPR*I*80*C", "BPR*I*90*C"},
		"iea control":   {"IEA*1*000000042~", "IEA*1*000000043~"},
		"ge control":    {"GE*1*42~", "GE*1*41~"},
		"segment count": {"SE*", "SE*1"},
	} {
		bad := strings.Replace(text, edit[0], edit[1], 1)
		if name == "clp paid" {
			bad = strings.Replace(text, "*200*80*40*CI*", "*200*81*40*CI*", 1)
		}
		require.NotEqual(t, text, bad, name)
		r, err := fhir.Parse835(bad)
		require.NoError(t, err, name)
		require.Error(t, r.Check(), name)
	}
	// Dropping a segment makes SE01 wrong.
	r, err = fhir.Parse835(strings.Replace(text, "DTM*405*20250303~\n", "", 1))
	require.NoError(t, err)
	require.ErrorContains(t, r.Check(), "SE01")
}

func TestRemittance835Refuses(t *testing.T) {
	unpaid := paidClaim()
	unpaid.Record.Payment = nil
	_, err := fhir.Remittance835(unpaid, fhir.X12Options{})
	require.Equal(t, codes.PreconditionFailed, codes.Of(err))
	gtin := paidClaim()
	gtin.Record.Adjudication.Lines[1].Code = "00614141000012"
	_, err = fhir.Remittance835(gtin, fhir.X12Options{})
	require.Equal(t, codes.InvalidArgument, codes.Of(err))
	delim := paidClaim()
	delim.Record.Payment.PaymentRef = "EFT*1~"
	_, err = fhir.Remittance835(delim, fhir.X12Options{})
	require.Equal(t, codes.InvalidArgument, codes.Of(err))
	_, err = fhir.Remittance835(paidClaim(), fhir.X12Options{Control: 1_000_000_000})
	require.Equal(t, codes.InvalidArgument, codes.Of(err))
	kind := paidClaim()
	kind.Record.Adjudication.Lines[0].Adjustments[1].Reason = "3"
	_, err = fhir.Remittance835(kind, fhir.X12Options{})
	require.Equal(t, codes.InvalidArgument, codes.Of(err))
}
