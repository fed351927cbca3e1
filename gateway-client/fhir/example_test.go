package fhir_test

import (
	"encoding/json"
	"fmt"
	"log"
	"time"

	"github.com/healthledger/healthledger/chaincode/claims/claimstypes"
	"github.com/healthledger/healthledger/chaincode/consent/consenttypes"
	"github.com/healthledger/healthledger/gateway-client/fhir"
)

// A consent as the chaincode answers it becomes a FHIR R4 Consent.
func ExampleConsent() {
	at := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	r, err := fhir.Consent(consenttypes.Consent{
		ID: "c-1", Patient: "pat-7f3a9c21", Grantee: "InsurerMSP", Decision: consenttypes.Permit,
		Actions:  []consenttypes.Action{consenttypes.ActionDisclose},
		Purposes: []consenttypes.Purpose{consenttypes.PurposePayment},
		Classes:  []consenttypes.DataClass{consenttypes.ClassClaim},
		Status:   consenttypes.StatusActive, CreatedAt: at,
	}, at)
	if err != nil {
		log.Fatal(err)
	}
	out, err := json.Marshal(r.Provision)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(r.Status, r.Patient.Reference)
	fmt.Println(string(out))
	// Output:
	// active Patient/pat-7f3a9c21
	// {"type":"permit","actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP","display":"information recipient"}]},"reference":{"type":"Organization","identifier":{"system":"urn:healthledger:identity","value":"InsurerMSP"}}}],"action":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentaction","code":"disclose","display":"Disclose"}]}],"purpose":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActReason","code":"HPAYMT","display":"healthcare payment"}],"class":[{"system":"http://hl7.org/fhir/resource-types","code":"Claim"}]}
}

// A paid claim becomes an 835 whose totals Parse835 and Check verify.
func ExampleRemittance835() {
	at := time.Date(2025, 3, 3, 14, 5, 0, 0, time.UTC)
	v := fhir.ClaimView{
		Header: claimstypes.ClaimHeader{ID: "clm-1", ClaimType: claimstypes.ClaimProfessional, ProviderMSP: "HospitalMSP", Provider: "1003000126",
			Patient: "pat-7f3a9c21", InsurerMSP: "InsurerMSP", Insurer: "PAYER-0001", CoverageID: "cov-1", Status: claimstypes.StatusPaid,
			FrequencyCode: claimstypes.FrequencyOriginal, SubmittedAt: at.AddDate(0, 0, -2)},
		Record: claimstypes.ClaimRecord{ClaimID: "clm-1",
			Details: claimstypes.ClaimDetails{Diagnoses: []string{"I10"}, TotalCents: 15_000,
				Lines: []claimstypes.ServiceLine{{Code: "99213", ServiceDate: "2025-03-01", Quantity: 1, UnitChargeCents: 15_000}}},
			Adjudication: &claimstypes.Adjudication{Outcome: claimstypes.OutcomeApproved, Lines: []claimstypes.LineResult{{
				Sequence: 1, Code: "99213", ServiceDate: "2025-03-01", ChargeCents: 15_000, AllowedCents: 12_000, PaidCents: 9_600, PatientRespCents: 2_400,
				Adjustments: []claimstypes.Adjustment{
					{Group: "CO", Reason: "45", Kind: claimstypes.AdjFeeSchedule, AmountCents: 3_000},
					{Group: "PR", Reason: "2", Kind: claimstypes.AdjCoinsurance, AmountCents: 2_400},
				}}},
				TotalChargeCents: 15_000, TotalAllowedCents: 12_000, TotalPaidCents: 9_600, TotalPatientRespCents: 2_400},
			Payment: &claimstypes.Payment{AmountCents: 9_600, PaymentRef: "EFT-0001", PaidAt: at},
		},
	}
	text, err := fhir.Remittance835(v, fhir.X12Options{Control: 1})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(text)
	r, err := fhir.Parse835(text)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("balanced:", r.Check() == nil)
	// Output:
	// ISA*00*          *00*          *ZZ*PAYER-0001     *ZZ*1003000126     *250303*1405*^*00501*000000001*0*T*:~
	// GS*HP*PAYER-0001*1003000126*20250303*1405*1*X*005010X221A1~
	// ST*835*0001*005010X221A1~
	// BPR*I*96*C*CHK************20250303~
	// TRN*1*EFT-0001*PAYER-0001~
	// DTM*405*20250303~
	// N1*PR*InsurerMSP~
	// REF*2U*PAYER-0001~
	// N1*PE*HospitalMSP*XX*1003000126~
	// LX*1~
	// CLP*clm-1*1*150*96*24*CI*clm-1**1~
	// NM1*QC*1******MI*pat-7f3a9c21~
	// DTM*050*20250301~
	// SVC*HC:99213*150*96**1~
	// DTM*472*20250301~
	// CAS*CO*45*30~
	// CAS*PR*2*24~
	// REF*6R*1~
	// AMT*B6*120~
	// SE*18*0001~
	// GE*1*1~
	// IEA*1*000000001~
	// balanced: true
}
