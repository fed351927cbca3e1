package fhir

import (
	"encoding/json"
	"strconv"

	"github.com/healthledger/healthledger/chaincode/claims/claimstypes"
)

// ClaimView is a claim as its provider or insurer reads it: the public header (GetClaim) and the
// private record (GetClaimDetails: details, adjudication and payment).
type ClaimView struct {
	Header claimstypes.ClaimHeader
	Record claimstypes.ClaimRecord
}

// EOBResource is a FHIR R4 ExplanationOfBenefit.
type EOBResource struct {
	ResourceType string          `json:"resourceType"`
	ID           string          `json:"id"`
	Identifier   []Identifier    `json:"identifier"`
	Status       string          `json:"status"`
	Type         CodeableConcept `json:"type"`
	Use          string          `json:"use"`
	Patient      Reference       `json:"patient"`
	Created      string          `json:"created"`
	Insurer      Reference       `json:"insurer"`
	Provider     Reference       `json:"provider"`
	Related      []EOBRelated    `json:"related,omitempty"`
	Outcome      string          `json:"outcome"`
	Disposition  string          `json:"disposition,omitempty"`
	Insurance    []EOBInsurance  `json:"insurance"`
	Diagnosis    []EOBDiagnosis  `json:"diagnosis,omitempty"`
	Item         []EOBItem       `json:"item,omitempty"`
	Total        []EOBTotal      `json:"total,omitempty"`
	Payment      *EOBPayment     `json:"payment,omitempty"`
}

// EOBRelated is ExplanationOfBenefit.related (the claim a replacement or void refers to).
type EOBRelated struct {
	Claim        *Reference       `json:"claim,omitempty"`
	Relationship *CodeableConcept `json:"relationship,omitempty"`
}

// EOBInsurance is ExplanationOfBenefit.insurance.
type EOBInsurance struct {
	Focal    bool      `json:"focal"`
	Coverage Reference `json:"coverage"`
}

// EOBDiagnosis is ExplanationOfBenefit.diagnosis.
type EOBDiagnosis struct {
	Sequence                 int             `json:"sequence"`
	DiagnosisCodeableConcept CodeableConcept `json:"diagnosisCodeableConcept"`
}

// EOBItem is ExplanationOfBenefit.item.
type EOBItem struct {
	Sequence          int               `json:"sequence"`
	DiagnosisSequence []int             `json:"diagnosisSequence,omitempty"`
	ProductOrService  CodeableConcept   `json:"productOrService"`
	ServicedDate      string            `json:"servicedDate,omitempty"`
	Quantity          *Quantity         `json:"quantity,omitempty"`
	UnitPrice         *Money            `json:"unitPrice,omitempty"`
	Net               *Money            `json:"net,omitempty"`
	Adjudication      []EOBAdjudication `json:"adjudication,omitempty"`
}

// EOBAdjudication is ExplanationOfBenefit.item.adjudication.
type EOBAdjudication struct {
	Category CodeableConcept  `json:"category"`
	Reason   *CodeableConcept `json:"reason,omitempty"`
	Amount   *Money           `json:"amount,omitempty"`
}

// EOBTotal is ExplanationOfBenefit.total.
type EOBTotal struct {
	Category CodeableConcept `json:"category"`
	Amount   Money           `json:"amount"`
}

// EOBPayment is ExplanationOfBenefit.payment.
type EOBPayment struct {
	Type       *CodeableConcept `json:"type,omitempty"`
	Date       string           `json:"date,omitempty"`
	Amount     *Money           `json:"amount,omitempty"`
	Identifier *Identifier      `json:"identifier,omitempty"`
}

// eobStatus maps every claim status to ExplanationOfBenefit.status: a claim in its life cycle is
// active; a voided or replaced one is cancelled.
var eobStatus = map[claimstypes.Status]string{
	claimstypes.StatusSubmitted:   "active",
	claimstypes.StatusPended:      "active",
	claimstypes.StatusResubmitted: "active",
	claimstypes.StatusAdjudicated: "active",
	claimstypes.StatusAppealed:    "active",
	claimstypes.StatusPaid:        "active",
	claimstypes.StatusClosed:      "active",
	claimstypes.StatusVoided:      "cancelled",
	claimstypes.StatusReplaced:    "cancelled",
}

// eobOutcome maps every adjudication outcome to ExplanationOfBenefit.outcome (RemittanceOutcome):
// a denied claim was processed in full, so it is complete; its lines carry the denial.
var eobOutcome = map[claimstypes.Outcome]string{
	claimstypes.OutcomeApproved: "complete",
	claimstypes.OutcomePartial:  "partial",
	claimstypes.OutcomeDenied:   "complete",
}

// claimTypeCode maps every claim type to the FHIR claim-type code.
var claimTypeCode = map[claimstypes.ClaimType][2]string{
	claimstypes.ClaimProfessional: {"professional", "Professional"},
	claimstypes.ClaimPharmacy:     {"pharmacy", "Pharmacy"},
}

// serviceSystem maps every service code kind to its FHIR code system.
var serviceSystem = map[claimstypes.CodeKind]string{
	claimstypes.CodeCPT:   SystemCPT,
	claimstypes.CodeHCPCS: SystemHCPCS,
	claimstypes.CodeNDC:   SystemNDC,
	claimstypes.CodeGTIN:  SystemGTIN,
}

// adjustmentCategory maps every adjustment kind to the adjudication category its amount is reported
// under: the FHIR adjudication code system where it has one, the CARIN Blue Button one otherwise.
var adjustmentCategory = map[claimstypes.AdjustmentKind]Coding{
	claimstypes.AdjDeductible:     {System: SystemAdjudication, Code: "deductible", Display: "Deductible"},
	claimstypes.AdjCopay:          {System: SystemAdjudication, Code: "copay", Display: "CoPay"},
	claimstypes.AdjCoinsurance:    {System: SystemC4BBAdjudicaton, Code: "coinsurance", Display: "Co-insurance"},
	claimstypes.AdjBenefitMaximum: {System: SystemC4BBAdjudicaton, Code: "noncovered", Display: "Noncovered"},
	claimstypes.AdjFeeSchedule:    {System: SystemC4BBAdjudicaton, Code: "discount", Display: "Discount"},
	claimstypes.AdjNotCovered:     {System: SystemC4BBAdjudicaton, Code: "noncovered", Display: "Noncovered"},
	claimstypes.AdjOutsidePeriod:  {System: SystemC4BBAdjudicaton, Code: "noncovered", Display: "Noncovered"},
	claimstypes.AdjDuplicate:      {System: SystemC4BBAdjudicaton, Code: "noncovered", Display: "Noncovered"},
}

// The line and claim total categories.
var (
	catSubmitted = Coding{System: SystemAdjudication, Code: "submitted", Display: "Submitted Amount"}
	catEligible  = Coding{System: SystemAdjudication, Code: "eligible", Display: "Eligible Amount"}
	catBenefit   = Coding{System: SystemAdjudication, Code: "benefit", Display: "Benefit Amount"}
	catMember    = Coding{System: SystemC4BBAdjudicaton, Code: "memberliability", Display: "Member liability"}
)

// checkAdjustment returns an error unless a's group and reason are known X12 values that go together
// with its kind, as the claims chaincode writes them.
func checkAdjustment(a claimstypes.Adjustment) error {
	want := map[claimstypes.AdjustmentKind][]string{
		claimstypes.AdjDeductible: {"PR", "1"}, claimstypes.AdjCoinsurance: {"PR", "2"},
		claimstypes.AdjCopay: {"PR", "3"}, claimstypes.AdjBenefitMaximum: {"PR", "119"},
		claimstypes.AdjFeeSchedule: {"CO", "45"}, claimstypes.AdjNotCovered: {"CO", "96"},
		claimstypes.AdjOutsidePeriod: {"CO", "26", "27"}, claimstypes.AdjDuplicate: {"OA", "18"},
	}[a.Kind]
	if want == nil {
		return invalid("adjustment kind %q has no mapping", a.Kind)
	}
	if a.Group != want[0] {
		return invalid("adjustment kind %q has group %q, want %q", a.Kind, a.Group, want[0])
	}
	for _, r := range want[1:] {
		if a.Reason == r {
			return nil
		}
	}
	return invalid("adjustment kind %q has reason code %q, want one of %v", a.Kind, a.Reason, want[1:])
}

// ExplanationOfBenefit converts a claim, as its provider or insurer reads it, into a FHIR R4
// ExplanationOfBenefit. A claim not yet adjudicated has outcome queued and no adjudication.
func ExplanationOfBenefit(v ClaimView) (*EOBResource, error) {
	h, rec := v.Header, v.Record
	if h.ID == "" || rec.ClaimID != h.ID {
		return nil, invalid("the claim record %q does not belong to claim %q", rec.ClaimID, h.ID)
	}
	status, ok := eobStatus[h.Status]
	if !ok {
		return nil, invalid("claim status %q has no FHIR mapping", h.Status)
	}
	ct, ok := claimTypeCode[h.ClaimType]
	if !ok {
		return nil, invalid("claim type %q has no FHIR mapping", h.ClaimType)
	}
	outcome := "queued"
	if rec.Adjudication != nil {
		if outcome, ok = eobOutcome[rec.Adjudication.Outcome]; !ok {
			return nil, invalid("adjudication outcome %q has no FHIR mapping", rec.Adjudication.Outcome)
		}
	}
	provider := Reference{Type: "Practitioner", Identifier: &Identifier{System: SystemNPI, Value: h.Provider}, Display: h.ProviderMSP}
	if h.ClaimType == claimstypes.ClaimPharmacy {
		provider = Reference{Type: "Organization", Identifier: &Identifier{System: SystemGLN, Value: h.Provider}, Display: h.ProviderMSP}
	}
	r := &EOBResource{
		ResourceType: "ExplanationOfBenefit",
		ID:           fhirID(h.ID),
		Identifier:   []Identifier{{System: SystemClaim, Value: h.ID}},
		Status:       status,
		Type:         cc(SystemClaimType, ct[0], ct[1]),
		Use:          "claim",
		Patient:      Reference{Reference: "Patient/" + h.Patient},
		Created:      instant(h.SubmittedAt),
		Insurer:      Reference{Type: "Organization", Identifier: &Identifier{System: SystemPayer, Value: h.Insurer}, Display: h.InsurerMSP},
		Provider:     provider,
		Outcome:      outcome,
		Insurance:    []EOBInsurance{{Focal: true, Coverage: Reference{Reference: "Coverage/" + h.CoverageID}}},
	}
	switch h.FrequencyCode {
	case claimstypes.FrequencyOriginal, "":
	case claimstypes.FrequencyReplacement, claimstypes.FrequencyVoid:
		rel := cc("http://terminology.hl7.org/CodeSystem/ex-relatedclaimrelationship", "prior", "Prior Claim")
		r.Related = []EOBRelated{{Claim: &Reference{Reference: "Claim/" + h.OriginalClaimID}, Relationship: &rel}}
	default:
		return nil, invalid("claim frequency code %q has no mapping", h.FrequencyCode)
	}
	for i, d := range rec.Details.Diagnoses {
		r.Diagnosis = append(r.Diagnosis, EOBDiagnosis{Sequence: i + 1, DiagnosisCodeableConcept: cc(SystemICD10CM, d, "")})
	}
	var adj []claimstypes.LineResult
	if rec.Adjudication != nil {
		adj = rec.Adjudication.Lines
		if len(adj) != len(rec.Details.Lines) {
			return nil, invalid("the adjudication has %d lines, the details %d", len(adj), len(rec.Details.Lines))
		}
	}
	for i, l := range rec.Details.Lines {
		code, kind, ok := claimstypes.NormalizeServiceCode(l.Code)
		if !ok {
			return nil, invalid("service line %d: its code is not a CPT, HCPCS, NDC or GTIN code", i+1)
		}
		system, ok := serviceSystem[kind]
		if !ok {
			return nil, invalid("service code kind %q has no FHIR code system", kind)
		}
		item := EOBItem{
			Sequence:          i + 1,
			DiagnosisSequence: l.DiagnosisPointers,
			ProductOrService:  cc(system, code, ""),
			ServicedDate:      l.ServiceDate,
			Quantity:          &Quantity{Value: decimalInt(l.Quantity)},
			UnitPrice:         money(l.UnitChargeCents),
			Net:               money(l.ChargeCents()),
			Adjudication:      []EOBAdjudication{{Category: CodeableConcept{Coding: []Coding{catSubmitted}}, Amount: money(l.ChargeCents())}},
		}
		if adj != nil {
			lr := adj[i]
			if lr.Sequence != i+1 {
				return nil, invalid("adjudicated line %d has sequence %d", i+1, lr.Sequence)
			}
			item.Adjudication = append(item.Adjudication,
				EOBAdjudication{Category: CodeableConcept{Coding: []Coding{catEligible}}, Amount: money(lr.AllowedCents)},
				EOBAdjudication{Category: CodeableConcept{Coding: []Coding{catBenefit}}, Amount: money(lr.PaidCents)},
				EOBAdjudication{Category: CodeableConcept{Coding: []Coding{catMember}}, Amount: money(lr.PatientRespCents)},
			)
			for _, a := range lr.Adjustments {
				if err := checkAdjustment(a); err != nil {
					return nil, err
				}
				reason := CodeableConcept{Coding: []Coding{{System: SystemCARC, Code: a.Reason}}, Text: a.Group + "-" + a.Reason}
				item.Adjudication = append(item.Adjudication, EOBAdjudication{
					Category: CodeableConcept{Coding: []Coding{adjustmentCategory[a.Kind]}}, Reason: &reason, Amount: money(a.AmountCents)})
			}
		}
		r.Item = append(r.Item, item)
	}
	if a := rec.Adjudication; a != nil {
		r.Total = []EOBTotal{
			{Category: CodeableConcept{Coding: []Coding{catSubmitted}}, Amount: *money(a.TotalChargeCents)},
			{Category: CodeableConcept{Coding: []Coding{catEligible}}, Amount: *money(a.TotalAllowedCents)},
			{Category: CodeableConcept{Coding: []Coding{catBenefit}}, Amount: *money(a.TotalPaidCents)},
			{Category: CodeableConcept{Coding: []Coding{catMember}}, Amount: *money(a.TotalPatientRespCents)},
		}
	} else {
		r.Total = []EOBTotal{{Category: CodeableConcept{Coding: []Coding{catSubmitted}}, Amount: *money(rec.Details.TotalCents)}}
	}
	if p := rec.Payment; p != nil {
		if rec.Adjudication == nil {
			return nil, invalid("claim %q has a payment but no adjudication", h.ID)
		}
		typ := cc(SystemPaymentType, "complete", "Complete")
		if p.AmountCents != rec.Adjudication.TotalPaidCents {
			typ = cc(SystemPaymentType, "partial", "Partial")
		}
		r.Payment = &EOBPayment{Type: &typ, Date: p.PaidAt.UTC().Format(claimstypes.DateLayout), Amount: money(p.AmountCents),
			Identifier: &Identifier{System: SystemPayment, Value: p.PaymentRef}}
	}
	return r, nil
}

// decimalInt writes a whole number as a JSON number.
func decimalInt(n int64) json.Number { return json.Number(strconv.FormatInt(n, 10)) }
