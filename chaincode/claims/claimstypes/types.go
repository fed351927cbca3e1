// Package claimstypes holds the wire types of the claims chaincode: the coverage terms, the claim
// header and details, the adjudication result, the events, their enums, and the validation and
// hashing of these pure values.
//
// It imports neither the chaincode shim nor the gateway, so the contract and the SDK share one
// definition. Money is always integer cents (int64); coinsurance is in basis points (1 bp = 0.01 %).
// Dates of service and coverage periods are calendar dates "YYYY-MM-DD"; timestamps are the
// transaction times, in UTC.
//
// # Public and private
//
// [CoverageHeader] and [ClaimHeader] are public world state: ids, parties, status, outcome and a hash.
// [CoverageTerms], [CoverageRecord], [ClaimDetails], [ClaimRecord], [Adjudication] and [Payment] are
// PHI-grade: they travel as transient data and live only in the private data collection
// [Collection], shared by the provider and insurer organisations.
package claimstypes

import "time"

// Collection is the private data collection that holds coverage terms, accumulators, claim details,
// adjudications, payments and the duplicate indexes. Its members are the provider and insurer
// organisations only.
const Collection = "claimsPrivate"

// The transient data fields the contract reads.
const (
	TransientCoverage = "coverage" // CoverageTerms JSON, for RegisterCoverage and UpdateCoverage
	TransientClaim    = "claim"    // ClaimDetails JSON, for SubmitClaim and Resubmit
	TransientPayment  = "payment"  // PaymentInput JSON, for Pay
)

// Status is where a claim stands in its life cycle.
type Status string

// The claim statuses.
const (
	StatusSubmitted   Status = "submitted"   // accepted, waiting for adjudication
	StatusPended      Status = "pended"      // the insurer asked for information
	StatusResubmitted Status = "resubmitted" // the provider answered a pend with new details
	StatusAdjudicated Status = "adjudicated" // the contract computed the outcome
	StatusAppealed    Status = "appealed"    // a denied claim was appealed; waits for adjudication
	StatusPaid        Status = "paid"        // the insurer recorded the payment
	StatusClosed      Status = "closed"      // final
	StatusVoided      Status = "voided"      // cancelled by the provider before adjudication (final)
	StatusReplaced    Status = "replaced"    // superseded by a replacement claim (final)
)

// Statuses lists every status, in life-cycle order.
func Statuses() []Status {
	return []Status{StatusSubmitted, StatusPended, StatusResubmitted, StatusAdjudicated, StatusAppealed,
		StatusPaid, StatusClosed, StatusVoided, StatusReplaced}
}

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	for _, k := range Statuses() {
		if s == k {
			return true
		}
	}
	return false
}

// Final reports whether no transition leaves s.
func (s Status) Final() bool {
	return s == StatusClosed || s == StatusVoided || s == StatusReplaced
}

// Outcome is the result of an adjudication.
type Outcome string

// The adjudication outcomes.
const (
	OutcomeApproved Outcome = "approved" // every line processed in full
	OutcomePartial  Outcome = "partial"  // some lines denied, or payment cut by the benefit maximum
	OutcomeDenied   Outcome = "denied"   // every line denied
)

// Frequency is the X12 claim frequency type code (CLM05-3).
type Frequency string

// The supported frequency codes.
const (
	FrequencyOriginal    Frequency = "1" // an original claim
	FrequencyReplacement Frequency = "7" // replaces a prior claim, named by originalClaimId
	FrequencyVoid        Frequency = "8" // voids a prior claim, named by originalClaimId
)

// ClaimType says who submitted a claim and which codes its lines may carry.
type ClaimType string

// The claim types.
const (
	ClaimProfessional ClaimType = "professional" // submitted by a provider: CPT/HCPCS lines
	ClaimPharmacy     ClaimType = "pharmacy"     // submitted by a pharmacist: drug lines name a unit
)

// The chaincode event names. Every state change emits exactly one of them.
const (
	EventCoverageRegistered = "CoverageRegistered"
	EventCoverageUpdated    = "CoverageUpdated"
	EventClaimSubmitted     = "ClaimSubmitted"
	EventClaimPended        = "ClaimPended"
	EventClaimResubmitted   = "ClaimResubmitted"
	EventClaimAdjudicated   = "ClaimAdjudicated"
	EventClaimPaid          = "ClaimPaid"
	EventClaimClosed        = "ClaimClosed"
	EventClaimVoided        = "ClaimVoided"
	EventClaimAppealed      = "ClaimAppealed"
)

// EventNames lists every event name.
func EventNames() []string {
	return []string{EventCoverageRegistered, EventCoverageUpdated, EventClaimSubmitted, EventClaimPended,
		EventClaimResubmitted, EventClaimAdjudicated, EventClaimPaid, EventClaimClosed, EventClaimVoided,
		EventClaimAppealed}
}

// CoverageTerms is what an insurer registers for a member: the PHI-grade terms of the coverage. It is
// sent as transient data and kept only in the private collection.
type CoverageTerms struct {
	Member           string             `json:"member"`                                     // pseudonymous patient id
	PlanID           string             `json:"planId"`                                     // the insurer's plan id
	PeriodStart      string             `json:"periodStart"`                                // first covered date, YYYY-MM-DD
	PeriodEnd        string             `json:"periodEnd"`                                  // last covered date, YYYY-MM-DD
	CoveredCodes     []string           `json:"coveredCodes"`                               // CPT, HCPCS, NDC or GTIN codes
	DeductibleCents  int64              `json:"deductibleCents"`                            // per calendar year
	CoinsuranceBP    int64              `json:"coinsuranceBp"`                              // patient share, basis points
	CopayCents       int64              `json:"copayCents"`                                 // per claim; exclusive with coinsurance
	AnnualLimitCents int64              `json:"annualLimitCents"`                           // plan payments per calendar year; 0 = no limit
	FeeSchedule      []FeeScheduleEntry `json:"feeSchedule,omitempty" metadata:",optional"` // allowed unit prices
	Nonce            string             `json:"nonce"`                                      // random, 32-128 chars: hides the terms behind termsHash
}

// FeeScheduleEntry caps the allowed amount of a code: allowed = min(charge, quantity x AllowedUnitCents).
type FeeScheduleEntry struct {
	Code             string `json:"code"`
	AllowedUnitCents int64  `json:"allowedUnitCents"`
}

// Accumulator is a coverage's running totals for one calendar year of service.
type Accumulator struct {
	Year               int   `json:"year"`
	DeductibleMetCents int64 `json:"deductibleMetCents"`
	PaidCents          int64 `json:"paidCents"`
}

// CoverageHeader is the public part of a coverage.
type CoverageHeader struct {
	ID           string    `json:"id"`
	InsurerMSP   string    `json:"insurerMsp"`
	Insurer      string    `json:"insurer"` // payer id: the registering insurer's subject
	Member       string    `json:"member"`  // pseudonymous patient id
	TermsHash    string    `json:"termsHash"`
	RegisteredAt time.Time `json:"registeredAt"`
	UpdatedAt    time.Time `json:"updatedAt"`
}

// CoverageRecord is the private part of a coverage: its terms and its accumulators.
type CoverageRecord struct {
	CoverageID   string        `json:"coverageId"`
	Terms        CoverageTerms `json:"terms"`
	Accumulators []Accumulator `json:"accumulators"`
}

// ClaimSubmission is the public header a provider submits (the SubmitClaim argument). The parties are
// taken from the caller's certificate and from the coverage: when given here they must match.
type ClaimSubmission struct {
	ID              string    `json:"id"`
	Patient         string    `json:"patient"`
	CoverageID      string    `json:"coverageId"`
	FrequencyCode   Frequency `json:"frequencyCode,omitempty" metadata:",optional"`   // default "1"
	OriginalClaimID string    `json:"originalClaimId,omitempty" metadata:",optional"` // for "7" and "8"
	ProviderMSP     string    `json:"providerMsp,omitempty" metadata:",optional"`
	Provider        string    `json:"provider,omitempty" metadata:",optional"`
	InsurerMSP      string    `json:"insurerMsp,omitempty" metadata:",optional"`
	Insurer         string    `json:"insurer,omitempty" metadata:",optional"`
}

// ClaimDetails is the PHI-grade part of a claim, sent as transient data. Its canonical JSON (see
// [HashDetails]) is hashed into the public header's detailsHash.
type ClaimDetails struct {
	Diagnoses  []string      `json:"diagnoses"` // ICD-10-CM codes, principal first
	Lines      []ServiceLine `json:"lines"`
	TotalCents int64         `json:"totalCents"` // the sum of quantity x unitChargeCents over the lines
	Nonce      string        `json:"nonce"`      // random, 32-128 chars: hides the details behind detailsHash
}

// ServiceLine is one billed service or dispensed drug.
type ServiceLine struct {
	Code              string   `json:"code"`                                             // CPT, HCPCS, NDC or GTIN
	ServiceDate       string   `json:"serviceDate"`                                      // YYYY-MM-DD
	Quantity          int64    `json:"quantity"`                                         // units billed, 1..9999
	UnitChargeCents   int64    `json:"unitChargeCents"`                                  // 0..1e9
	DiagnosisPointers []int    `json:"diagnosisPointers,omitempty" metadata:",optional"` // 1-based into diagnoses
	Unit              *UnitRef `json:"unit,omitempty" metadata:",optional"`              // the dispensed unit (drug lines)
}

// ChargeCents is the line's charge: quantity x unit charge.
func (l ServiceLine) ChargeCents() int64 { return l.Quantity * l.UnitChargeCents }

// UnitRef names one serialized unit of a drug (GS1 GTIN + serial).
type UnitRef struct {
	GTIN   string `json:"gtin"`
	Serial string `json:"serial"`
}

// ClaimHeader is the public part of a claim. It carries no amounts and no clinical content.
type ClaimHeader struct {
	ID              string    `json:"id"`
	ClaimType       ClaimType `json:"claimType"`
	ProviderMSP     string    `json:"providerMsp"`
	Provider        string    `json:"provider"` // NPI, or the pharmacy's GLN
	Patient         string    `json:"patient"`  // pseudonymous
	InsurerMSP      string    `json:"insurerMsp"`
	Insurer         string    `json:"insurer"` // payer id
	CoverageID      string    `json:"coverageId"`
	Status          Status    `json:"status"`
	Outcome         Outcome   `json:"outcome,omitempty" metadata:",optional"`
	FrequencyCode   Frequency `json:"frequencyCode"`
	OriginalClaimID string    `json:"originalClaimId,omitempty" metadata:",optional"`
	RelatedClaimID  string    `json:"relatedClaimId,omitempty" metadata:",optional"` // the claim that replaced or voided this one
	DetailsHash     string    `json:"detailsHash"`                                   // sha256 hex of the canonical details JSON
	StatusReason    string    `json:"statusReason,omitempty" metadata:",optional"`   // the last pend, appeal or void reason (public)
	AppealCount     int       `json:"appealCount"`
	SubmittedAt     time.Time `json:"submittedAt"`
	UpdatedAt       time.Time `json:"updatedAt"`
}

// ClaimRecord is the private part of a claim, as GetClaimDetails returns it.
type ClaimRecord struct {
	ClaimID      string        `json:"claimId"`
	DetailsHash  string        `json:"detailsHash"`
	Details      ClaimDetails  `json:"details"`
	Adjudication *Adjudication `json:"adjudication,omitempty" metadata:",optional"`
	Payment      *Payment      `json:"payment,omitempty" metadata:",optional"`
}

// AdjustmentKind names why an amount was not paid by the plan.
type AdjustmentKind string

// The adjustment kinds, with their X12 claim adjustment reason code (CARC) and group.
const (
	AdjDeductible     AdjustmentKind = "deductible"      // PR-1
	AdjCoinsurance    AdjustmentKind = "coinsurance"     // PR-2
	AdjCopay          AdjustmentKind = "copay"           // PR-3
	AdjBenefitMaximum AdjustmentKind = "benefit_maximum" // PR-119
	AdjFeeSchedule    AdjustmentKind = "fee_schedule"    // CO-45
	AdjNotCovered     AdjustmentKind = "not_covered"     // CO-96
	AdjOutsidePeriod  AdjustmentKind = "outside_period"  // CO-26 (before the period) or CO-27 (after it)
	AdjDuplicate      AdjustmentKind = "duplicate"       // OA-18
)

// The X12 claim adjustment group codes.
const (
	GroupPatient     = "PR" // patient responsibility
	GroupContractual = "CO" // contractual obligation: not billable to the patient under this coverage
	GroupOther       = "OA" // other adjustment
)

// Adjustment is one X12 CAS entry: group, reason code and amount.
type Adjustment struct {
	Group       string         `json:"group"`  // PR, CO or OA
	Reason      string         `json:"reason"` // CARC code: 1, 2, 3, 18, 26, 27, 45, 96, 119
	Kind        AdjustmentKind `json:"kind"`
	AmountCents int64          `json:"amountCents"`
}

// LineResult is the adjudication of one service line. For every line:
// chargeCents = allowedCents + the CO/OA adjustments, and
// allowedCents = paidCents + patientRespCents (= the PR adjustments).
type LineResult struct {
	Sequence         int          `json:"sequence"` // 1-based line number
	Code             string       `json:"code"`
	ServiceDate      string       `json:"serviceDate"`
	ChargeCents      int64        `json:"chargeCents"`
	AllowedCents     int64        `json:"allowedCents"`
	PaidCents        int64        `json:"paidCents"`
	PatientRespCents int64        `json:"patientRespCents"`
	Denied           bool         `json:"denied"`
	Adjustments      []Adjustment `json:"adjustments"`
}

// Adjudication is the contract's computed result for a claim.
type Adjudication struct {
	Round                 int          `json:"round"` // 1, or 2 after an appeal
	Outcome               Outcome      `json:"outcome"`
	CoverageID            string       `json:"coverageId"`
	TermsHash             string       `json:"termsHash"` // the terms the result was computed from
	Lines                 []LineResult `json:"lines"`
	TotalChargeCents      int64        `json:"totalChargeCents"`
	TotalAllowedCents     int64        `json:"totalAllowedCents"`
	TotalPaidCents        int64        `json:"totalPaidCents"`
	TotalPatientRespCents int64        `json:"totalPatientRespCents"`
	AdjudicatedAt         time.Time    `json:"adjudicatedAt"`
}

// PaymentInput is the transient "payment" field of Pay.
type PaymentInput struct {
	AmountCents int64  `json:"amountCents"`
	PaymentRef  string `json:"paymentRef"` // e.g. the EFT trace number (X12 TRN02)
}

// Payment is the payment an insurer recorded for a claim.
type Payment struct {
	AmountCents int64     `json:"amountCents"`
	PaymentRef  string    `json:"paymentRef"`
	PaidAt      time.Time `json:"paidAt"`
}

// ClaimPage is one page of claim headers. An empty bookmark means there is nothing more.
type ClaimPage struct {
	Items    []ClaimHeader `json:"items"`
	Bookmark string        `json:"bookmark"`
}

// ClaimHistoryEntry is one version of a claim header.
type ClaimHistoryEntry struct {
	TxID      string       `json:"txId"`
	Timestamp time.Time    `json:"timestamp"`
	IsDelete  bool         `json:"isDelete"`
	Value     *ClaimHeader `json:"value,omitempty" metadata:",optional"`
}

// ClaimEvent is the payload of every Claim* event. It names ids and states, never clinical content
// or amounts.
type ClaimEvent struct {
	ClaimID        string    `json:"claimId"`
	Status         Status    `json:"status"`
	Outcome        Outcome   `json:"outcome,omitempty" metadata:",optional"`
	ProviderMSP    string    `json:"providerMsp"`
	Provider       string    `json:"provider"`
	InsurerMSP     string    `json:"insurerMsp"`
	Insurer        string    `json:"insurer"`
	RelatedClaimID string    `json:"relatedClaimId,omitempty" metadata:",optional"`
	At             time.Time `json:"at"`
}

// CoverageEvent is the payload of CoverageRegistered and CoverageUpdated.
type CoverageEvent struct {
	CoverageID string    `json:"coverageId"`
	InsurerMSP string    `json:"insurerMsp"`
	Insurer    string    `json:"insurer"`
	TermsHash  string    `json:"termsHash"`
	At         time.Time `json:"at"`
}
