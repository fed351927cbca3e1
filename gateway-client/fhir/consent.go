package fhir

import (
	"time"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/consent/consenttypes"
)

// ConsentResource is a FHIR R4 Consent.
type ConsentResource struct {
	ResourceType string            `json:"resourceType"`
	ID           string            `json:"id"`
	Identifier   []Identifier      `json:"identifier,omitempty"`
	Status       string            `json:"status"`
	Scope        CodeableConcept   `json:"scope"`
	Category     []CodeableConcept `json:"category"`
	Patient      *Reference        `json:"patient,omitempty"`
	DateTime     string            `json:"dateTime,omitempty"`
	Performer    []Reference       `json:"performer,omitempty"`
	Policy       []ConsentPolicy   `json:"policy,omitempty"`
	PolicyRule   *CodeableConcept  `json:"policyRule,omitempty"`
	Provision    *ConsentProvision `json:"provision,omitempty"`
}

// ConsentPolicy is Consent.policy.
type ConsentPolicy struct {
	URI string `json:"uri,omitempty"`
}

// ConsentProvision is Consent.provision.
type ConsentProvision struct {
	Type    string            `json:"type"`
	Period  *Period           `json:"period,omitempty"`
	Actor   []ConsentActor    `json:"actor,omitempty"`
	Action  []CodeableConcept `json:"action,omitempty"`
	Purpose []Coding          `json:"purpose,omitempty"`
	Class   []Coding          `json:"class,omitempty"`
}

// ConsentActor is Consent.provision.actor.
type ConsentActor struct {
	Role      CodeableConcept `json:"role"`
	Reference Reference       `json:"reference"`
}

// purposeDisplay maps every purpose of use to its HL7 v3 ActReason display name.
var purposeDisplay = map[consenttypes.Purpose]string{
	consenttypes.PurposeTreatment:           "treatment",
	consenttypes.PurposeEmergency:           "emergency treatment",
	consenttypes.PurposePayment:             "healthcare payment",
	consenttypes.PurposeOperations:          "healthcare operations",
	consenttypes.PurposeResearch:            "healthcare research",
	consenttypes.PurposePublicHealth:        "public health",
	consenttypes.PurposeCareManagement:      "care management",
	consenttypes.PurposeClinicalTrial:       "clinical trial research",
	consenttypes.PurposeCoverage:            "coverage under policy or program",
	consenttypes.PurposePatientRequest:      "patient requested",
	consenttypes.PurposeFamilyRequest:       "family requested",
	consenttypes.PurposeLegal:               "legal",
	consenttypes.PurposeHealthcareMarketing: "healthcare marketing",
}

// actionDisplay maps every consent action to its FHIR consentaction code's display.
var actionDisplay = map[consenttypes.Action]string{
	consenttypes.ActionAccess:   "Access",
	consenttypes.ActionCollect:  "Collect",
	consenttypes.ActionUse:      "Use",
	consenttypes.ActionDisclose: "Disclose",
	consenttypes.ActionCorrect:  "Access and Correct",
}

// roleResource maps a grantee's role to the FHIR resource type that stands for it.
var roleResource = map[string]string{
	consenttypes.RolePatient:      "Patient",
	consenttypes.RoleProvider:     "Practitioner",
	consenttypes.RolePharmacist:   "Practitioner",
	consenttypes.RoleAuditor:      "Practitioner",
	consenttypes.RoleInsurer:      "Organization",
	consenttypes.RoleManufacturer: "Organization",
	consenttypes.RoleDistributor:  "Organization",
	consenttypes.AnyRole:          "Practitioner",
}

func purposeCoding(p consenttypes.Purpose) (Coding, error) {
	d, ok := purposeDisplay[p]
	if !ok {
		return Coding{}, invalid("purpose of use %q has no v3-ActReason mapping", p)
	}
	return Coding{System: SystemActReason, Code: string(p), Display: d}, nil
}

// invalid is the INVALID_ARGUMENT error of a value the conversions cannot map.
func invalid(format string, args ...any) error {
	return codes.New(codes.InvalidArgument, "fhir: "+format, args...)
}

// instant writes a transaction time as a FHIR instant/dateTime in UTC.
func instant(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// partyReference is a logical reference to a ledger identity "<MSPID>/<role>/<subject>" (or one of the
// shorter grantee forms), typed after its role.
func partyReference(party string) (Reference, error) {
	g, err := consenttypes.ParseGrantee(party)
	if err != nil {
		return Reference{}, codes.Wrap(codes.InvalidArgument, err, "fhir: party %q is not a ledger identity", party)
	}
	typ := "Organization"
	if g.Role != "" {
		t, ok := roleResource[g.Role]
		if !ok {
			return Reference{}, invalid("role %q has no FHIR resource type", g.Role)
		}
		typ = t
		if g.Subject == "" {
			typ = "PractitionerRole"
			if t == "Organization" || t == "Patient" {
				typ = t
			}
		}
	}
	return Reference{Type: typ, Identifier: &Identifier{System: SystemIdentity, Value: g.String()}}, nil
}

// ConsentStatus maps a consent's state at time now to FHIR Consent.status: active while it is in
// force or not yet started, inactive once revoked or expired (its period ended at or before now).
func ConsentStatus(c consenttypes.Consent, now time.Time) (string, error) {
	switch c.Status {
	case consenttypes.StatusActive:
		if !c.Period.End.IsZero() && !now.Before(c.Period.End) {
			return "inactive", nil
		}
		return "active", nil
	case consenttypes.StatusInactive:
		return "inactive", nil
	}
	return "", invalid("consent status %q has no FHIR mapping", c.Status)
}

// Consent converts a consent, as the chaincode answers it, into a FHIR R4 Consent; now decides
// whether it has expired.
func Consent(c consenttypes.Consent, now time.Time) (*ConsentResource, error) {
	if c.ID == "" || c.Patient == "" {
		return nil, invalid("the consent has no id or no patient")
	}
	status, err := ConsentStatus(c, now)
	if err != nil {
		return nil, err
	}
	var typ, rule string
	switch c.Decision {
	case consenttypes.Permit:
		typ, rule = "permit", "OPTIN"
	case consenttypes.Deny:
		typ, rule = "deny", "OPTOUT"
	default:
		return nil, invalid("consent decision %q has no FHIR mapping", c.Decision)
	}
	grantee, err := partyReference(c.Grantee)
	if err != nil {
		return nil, err
	}
	r := &ConsentResource{
		ResourceType: "Consent",
		ID:           fhirID(c.ID),
		Identifier:   []Identifier{{System: SystemConsent, Value: c.ID}},
		Status:       status,
		Scope:        cc(SystemConsentScope, "patient-privacy", "Privacy Consent"),
		Category:     []CodeableConcept{cc(SystemLOINC, "59284-0", "Patient Consent")},
		Patient:      &Reference{Reference: "Patient/" + c.Patient},
		Provision: &ConsentProvision{
			Type:  typ,
			Actor: []ConsentActor{{Role: cc(SystemParticipation, "IRCP", "information recipient"), Reference: grantee}},
		},
	}
	if !c.CreatedAt.IsZero() {
		r.DateTime = instant(c.CreatedAt)
	}
	if c.Grantor != "" {
		p, err := partyReference(c.Grantor)
		if err != nil {
			return nil, err
		}
		r.Performer = []Reference{p}
	}
	if c.PolicyURI != "" {
		r.Policy = []ConsentPolicy{{URI: c.PolicyURI}}
	} else {
		pr := cc(SystemActCode, rule, "")
		r.PolicyRule = &pr
	}
	if !c.Period.Start.IsZero() || !c.Period.End.IsZero() {
		p := &Period{}
		if !c.Period.Start.IsZero() {
			p.Start = instant(c.Period.Start)
		}
		if !c.Period.End.IsZero() {
			p.End = instant(c.Period.End)
		}
		r.Provision.Period = p
	}
	for _, a := range c.Actions {
		d, ok := actionDisplay[a]
		if !ok {
			return nil, invalid("consent action %q has no FHIR mapping", a)
		}
		r.Provision.Action = append(r.Provision.Action, cc(SystemConsentAction, string(a), d))
	}
	for _, p := range c.Purposes {
		coding, err := purposeCoding(p)
		if err != nil {
			return nil, err
		}
		r.Provision.Purpose = append(r.Provision.Purpose, coding)
	}
	for _, k := range c.Classes {
		switch {
		case k == consenttypes.AllClasses:
			// Every class: a provision without class applies to all of them.
			if len(c.Classes) != 1 {
				return nil, invalid("data class \"*\" must stand alone")
			}
		case k.Valid():
			r.Provision.Class = append(r.Provision.Class, Coding{System: SystemResourceTypes, Code: string(k)})
		default:
			return nil, invalid("data class %q has no FHIR mapping", k)
		}
	}
	return r, nil
}
