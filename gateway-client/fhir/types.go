package fhir

import (
	"encoding/json"
	"fmt"
)

// The FHIR R4 data types the conversions use: only the elements they fill.

// Coding is a FHIR Coding.
type Coding struct {
	System  string `json:"system,omitempty"`
	Code    string `json:"code,omitempty"`
	Display string `json:"display,omitempty"`
}

// CodeableConcept is a FHIR CodeableConcept.
type CodeableConcept struct {
	Coding []Coding `json:"coding,omitempty"`
	Text   string   `json:"text,omitempty"`
}

// Identifier is a FHIR Identifier.
type Identifier struct {
	System string `json:"system,omitempty"`
	Value  string `json:"value,omitempty"`
}

// Reference is a FHIR Reference: a literal reference or a logical one (identifier), with the type of
// the resource it names.
type Reference struct {
	Reference  string      `json:"reference,omitempty"`
	Type       string      `json:"type,omitempty"`
	Identifier *Identifier `json:"identifier,omitempty"`
	Display    string      `json:"display,omitempty"`
}

// Period is a FHIR Period (dateTimes).
type Period struct {
	Start string `json:"start,omitempty"`
	End   string `json:"end,omitempty"`
}

// Money is a FHIR Money: a decimal value and an ISO 4217 currency.
type Money struct {
	Value    json.Number `json:"value"`
	Currency string      `json:"currency"`
}

// Quantity is a FHIR Quantity (here only a count of units).
type Quantity struct {
	Value json.Number `json:"value"`
}

// Currency is the currency of every amount: the claims chaincode keeps integer cents of US dollars.
const Currency = "USD"

// money returns cents as a FHIR Money.
func money(cents int64) *Money { return &Money{Value: decimal(cents), Currency: Currency} }

// decimal writes cents as an exact decimal with two places ("12.34", "-0.50").
func decimal(cents int64) json.Number {
	sign := ""
	u := uint64(cents)
	if cents < 0 {
		sign, u = "-", uint64(-cents)
	}
	return json.Number(fmt.Sprintf("%s%d.%02d", sign, u/100, u%100))
}

// cc is a CodeableConcept of one coding.
func cc(system, code, display string) CodeableConcept {
	return CodeableConcept{Coding: []Coding{{System: system, Code: code, Display: display}}}
}

// Code systems and identifier systems.
const (
	SystemConsentScope    = "http://terminology.hl7.org/CodeSystem/consentscope"
	SystemLOINC           = "http://loinc.org"
	SystemConsentAction   = "http://terminology.hl7.org/CodeSystem/consentaction"
	SystemActReason       = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
	SystemActCode         = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
	SystemParticipation   = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
	SystemResourceTypes   = "http://hl7.org/fhir/resource-types"
	SystemDICOM           = "http://dicom.nema.org/resources/ontology/DCM"
	SystemSourceType      = "http://terminology.hl7.org/CodeSystem/security-source-type"
	SystemEntityType      = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
	SystemObjectRole      = "http://terminology.hl7.org/CodeSystem/object-role"
	SystemAuditEventType  = "http://terminology.hl7.org/CodeSystem/audit-event-type"
	SystemClaimType       = "http://terminology.hl7.org/CodeSystem/claim-type"
	SystemAdjudication    = "http://terminology.hl7.org/CodeSystem/adjudication"
	SystemC4BBAdjudicaton = "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBAdjudication"
	SystemCARC            = "https://x12.org/codes/claim-adjustment-reason-codes"
	SystemPaymentType     = "http://terminology.hl7.org/CodeSystem/ex-paymenttype"
	SystemICD10CM         = "http://hl7.org/fhir/sid/icd-10-cm"
	SystemCPT             = "http://www.ama-assn.org/go/cpt"
	SystemHCPCS           = "urn:oid:2.16.840.1.113883.6.285"
	SystemNDC             = "http://hl7.org/fhir/sid/ndc"
	SystemGTIN            = "urn:oid:1.3.160"
	SystemNPI             = "http://hl7.org/fhir/sid/us-npi"
	SystemGLN             = "urn:oid:1.3.88"

	// The ledger's own identifier systems.
	SystemIdentity = "urn:healthledger:identity" // "<MSPID>/<role>/<subject>" or a grantee form
	SystemMSP      = "urn:healthledger:msp"      // an organisation's MSP id
	SystemConsent  = "urn:healthledger:consent"  // a consent id
	SystemRecord   = "urn:healthledger:record"   // a record anchor id
	SystemTx       = "urn:healthledger:tx"       // a ledger transaction id
	SystemClaim    = "urn:healthledger:claim"    // a claim id
	SystemPayer    = "urn:healthledger:payer"    // an insurer's payer id
	SystemPayment  = "urn:healthledger:payment"  // a payment reference (EFT trace)
	SystemLedger   = "urn:healthledger:ledger"   // "<channel>/<chaincode>"
)
