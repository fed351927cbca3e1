// Package consenttypes holds the wire types of the consent chaincode: the consent itself (FHIR Consent
// vocabulary), the access decision, the access log entry, the health-record anchor, the delegate, the
// pages the queries return and the events the chaincode emits, with the validation of pure values.
//
// It imports neither the chaincode shim nor the gateway client, so the chaincode and the SDK share one
// definition. Validation failures are *codes.Error values with code INVALID_ARGUMENT.
package consenttypes

import (
	"slices"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/wire"
)

// Verdict is the effect of a consent provision and the answer of a decision: permit or deny.
type Verdict string

// The two verdicts (FHIR Consent.provision.type).
const (
	Permit Verdict = "permit"
	Deny   Verdict = "deny"
)

// Valid reports whether v is permit or deny.
func (v Verdict) Valid() bool { return v == Permit || v == Deny }

// Action is what a grantee does with the data (FHIR consent-action).
type Action string

// The actions, in their canonical order.
const (
	ActionAccess   Action = "access"
	ActionCollect  Action = "collect"
	ActionUse      Action = "use"
	ActionDisclose Action = "disclose"
	ActionCorrect  Action = "correct"
)

// Actions lists every action in canonical order.
func Actions() []Action {
	return []Action{ActionAccess, ActionCollect, ActionUse, ActionDisclose, ActionCorrect}
}

// Valid reports whether a is a known action.
func (a Action) Valid() bool { return slices.Contains(Actions(), a) }

// Purpose is a purpose of use, an HL7 v3 PurposeOfUse code.
type Purpose string

// The purposes of use, in their canonical order.
const (
	PurposeTreatment           Purpose = "TREAT"    // treatment
	PurposeEmergency           Purpose = "ETREAT"   // emergency treatment (break the glass)
	PurposePayment             Purpose = "HPAYMT"   // healthcare payment
	PurposeOperations          Purpose = "HOPERAT"  // healthcare operations
	PurposeResearch            Purpose = "HRESCH"   // healthcare research
	PurposePublicHealth        Purpose = "PUBHLTH"  // public health
	PurposeCareManagement      Purpose = "CAREMGT"  // care management
	PurposeClinicalTrial       Purpose = "CLINTRCH" // clinical trial research
	PurposeCoverage            Purpose = "COVERAGE" // coverage under policy or program
	PurposePatientRequest      Purpose = "PATRQT"   // patient requested
	PurposeFamilyRequest       Purpose = "FAMRQT"   // family requested
	PurposeLegal               Purpose = "HLEGAL"   // legal
	PurposeHealthcareMarketing Purpose = "HMARKT"   // marketing
)

// Purposes lists every purpose of use in canonical order.
func Purposes() []Purpose {
	return []Purpose{
		PurposeTreatment, PurposeEmergency, PurposePayment, PurposeOperations, PurposeResearch,
		PurposePublicHealth, PurposeCareManagement, PurposeClinicalTrial, PurposeCoverage,
		PurposePatientRequest, PurposeFamilyRequest, PurposeLegal, PurposeHealthcareMarketing,
	}
}

// Valid reports whether p is a known purpose of use.
func (p Purpose) Valid() bool { return slices.Contains(Purposes(), p) }

// DataClass is a class of health data, named after its FHIR resource type, or AllClasses.
type DataClass string

// The data classes, in their canonical order.
const (
	ClassObservation          DataClass = "Observation"
	ClassCondition            DataClass = "Condition"
	ClassMedicationRequest    DataClass = "MedicationRequest"
	ClassMedicationDispense   DataClass = "MedicationDispense"
	ClassDiagnosticReport     DataClass = "DiagnosticReport"
	ClassImmunization         DataClass = "Immunization"
	ClassAllergyIntolerance   DataClass = "AllergyIntolerance"
	ClassProcedure            DataClass = "Procedure"
	ClassEncounter            DataClass = "Encounter"
	ClassCarePlan             DataClass = "CarePlan"
	ClassImagingStudy         DataClass = "ImagingStudy"
	ClassDocumentReference    DataClass = "DocumentReference"
	ClassClaim                DataClass = "Claim"
	ClassExplanationOfBenefit DataClass = "ExplanationOfBenefit"
	ClassCoverage             DataClass = "Coverage"

	// AllClasses in a consent covers every data class. A request always names one concrete class.
	AllClasses DataClass = "*"
)

// DataClasses lists every concrete data class in canonical order (AllClasses is not among them).
func DataClasses() []DataClass {
	return []DataClass{
		ClassObservation, ClassCondition, ClassMedicationRequest, ClassMedicationDispense,
		ClassDiagnosticReport, ClassImmunization, ClassAllergyIntolerance, ClassProcedure,
		ClassEncounter, ClassCarePlan, ClassImagingStudy, ClassDocumentReference, ClassClaim,
		ClassExplanationOfBenefit, ClassCoverage,
	}
}

// Valid reports whether c is a known concrete data class (AllClasses is not one).
func (c DataClass) Valid() bool { return slices.Contains(DataClasses(), c) }

// Status is the state of a consent (FHIR Consent.status).
type Status string

// The statuses a consent goes through: active when granted, inactive once revoked.
const (
	StatusActive   Status = "active"
	StatusInactive Status = "inactive"
)

// CheckAction returns INVALID_ARGUMENT unless s is a known action.
func CheckAction(s string) (Action, error) {
	a := Action(s)
	if !a.Valid() {
		return "", codes.New(codes.InvalidArgument, "unknown action %s: want one of %v", wire.Quote(s), Actions())
	}
	return a, nil
}

// CheckPurpose returns INVALID_ARGUMENT unless s is a known purpose of use.
func CheckPurpose(s string) (Purpose, error) {
	p := Purpose(s)
	if !p.Valid() {
		return "", codes.New(codes.InvalidArgument, "unknown purpose of use %s: want one of %v", wire.Quote(s), Purposes())
	}
	return p, nil
}

// CheckDataClass returns INVALID_ARGUMENT unless s is a known concrete data class. A request, a record
// and an access always name one class, so "*" is refused here.
func CheckDataClass(s string) (DataClass, error) {
	c := DataClass(s)
	if c == AllClasses {
		return "", codes.New(codes.InvalidArgument, "data class %s is only valid inside a consent: name one class", wire.Quote(s))
	}
	if !c.Valid() {
		return "", codes.New(codes.InvalidArgument, "unknown data class %s: want one of %v", wire.Quote(s), DataClasses())
	}
	return c, nil
}
