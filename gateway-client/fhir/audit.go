package fhir

import (
	"strings"

	"github.com/healthledger/healthledger/chaincode/consent/consenttypes"
)

// AuditEventResource is a FHIR R4 AuditEvent.
type AuditEventResource struct {
	ResourceType   string            `json:"resourceType"`
	ID             string            `json:"id,omitempty"`
	Type           Coding            `json:"type"`
	Subtype        []Coding          `json:"subtype,omitempty"`
	Action         string            `json:"action,omitempty"`
	Recorded       string            `json:"recorded"`
	Outcome        string            `json:"outcome,omitempty"`
	PurposeOfEvent []CodeableConcept `json:"purposeOfEvent,omitempty"`
	Agent          []AuditAgent      `json:"agent"`
	Source         AuditSource       `json:"source"`
	Entity         []AuditEntity     `json:"entity,omitempty"`
}

// AuditAgent is AuditEvent.agent.
type AuditAgent struct {
	Type      *CodeableConcept `json:"type,omitempty"`
	Who       *Reference       `json:"who,omitempty"`
	Requestor bool             `json:"requestor"`
}

// AuditSource is AuditEvent.source.
type AuditSource struct {
	Site     string    `json:"site,omitempty"`
	Observer Reference `json:"observer"`
	Type     []Coding  `json:"type,omitempty"`
}

// AuditEntity is AuditEvent.entity.
type AuditEntity struct {
	What        *Reference          `json:"what,omitempty"`
	Type        *Coding             `json:"type,omitempty"`
	Role        *Coding             `json:"role,omitempty"`
	Description string              `json:"description,omitempty"`
	Detail      []AuditEntityDetail `json:"detail,omitempty"`
}

// AuditEntityDetail is AuditEvent.entity.detail.
type AuditEntityDetail struct {
	Type        string `json:"type"`
	ValueString string `json:"valueString"`
}

// Source names the ledger that recorded an access log: the channel and chaincode, and optionally the
// peer that answered.
type Source struct {
	Channel   string // e.g. "healthchannel"
	Chaincode string // e.g. "consent"
	Peer      string // optional, e.g. "peer0.hospital.example.com"
}

// auditAction maps every log action to AuditEvent.action (C, R, U, D, E) and the DICOM event type
// (110110 Patient Record for reads of data, 110114 User Authentication for identity entries).
var auditAction = map[consenttypes.Action]struct{ action, typ, display string }{
	consenttypes.ActionAccess:            {"R", "110110", "Patient Record"},
	consenttypes.ActionCollect:           {"C", "110110", "Patient Record"},
	consenttypes.ActionUse:               {"E", "110110", "Patient Record"},
	consenttypes.ActionDisclose:          {"R", "110110", "Patient Record"},
	consenttypes.ActionCorrect:           {"U", "110110", "Patient Record"},
	consenttypes.ActionPatientRegistered: {"C", "110114", "User Authentication"},
	consenttypes.ActionKeyRotated:        {"U", "110114", "User Authentication"},
	consenttypes.ActionRecoveryApproved:  {"E", "110114", "User Authentication"},
	consenttypes.ActionRecoveryCompleted: {"U", "110114", "User Authentication"},
}

// AuditEvent converts one access log entry into a FHIR R4 AuditEvent. The log holds only permitted
// accesses and completed identity steps, so the outcome is always 0 (success).
func AuditEvent(e consenttypes.AccessEntry, src Source) (*AuditEventResource, error) {
	m, ok := auditAction[e.Action]
	if !ok {
		return nil, invalid("access log action %q has no AuditEvent mapping", e.Action)
	}
	if e.Patient == "" || e.Accessor == "" || e.At.IsZero() {
		return nil, invalid("access log entry %q has no patient, accessor or time", e.ID)
	}
	if src.Channel == "" || src.Chaincode == "" {
		return nil, invalid("the audit source needs a channel and a chaincode")
	}
	who, err := partyReference(e.Accessor)
	if err != nil {
		return nil, err
	}
	msp, _, _ := strings.Cut(e.Accessor, "/")
	r := &AuditEventResource{
		ResourceType: "AuditEvent",
		ID:           fhirID(e.ID),
		Type:         Coding{System: SystemDICOM, Code: m.typ, Display: m.display},
		Subtype:      []Coding{{System: SystemConsentAction, Code: string(e.Action)}},
		Action:       m.action,
		Recorded:     instant(e.At),
		Outcome:      "0",
		Agent: []AuditAgent{
			{Type: &CodeableConcept{Coding: []Coding{{System: SystemParticipation, Code: "IRCP", Display: "information recipient"}}}, Who: &who, Requestor: true},
			{Type: &CodeableConcept{Coding: []Coding{{System: SystemParticipation, Code: "CST", Display: "custodian"}}},
				Who: &Reference{Type: "Organization", Identifier: &Identifier{System: SystemMSP, Value: msp}}, Requestor: false},
		},
		Source: AuditSource{
			Site:     src.Channel,
			Observer: Reference{Type: "Device", Identifier: &Identifier{System: SystemLedger, Value: src.Channel + "/" + src.Chaincode}, Display: src.Peer},
			Type:     []Coding{{System: SystemSourceType, Code: "4", Display: "Application Server"}},
		},
		Entity: []AuditEntity{{
			What: &Reference{Reference: "Patient/" + e.Patient},
			Type: &Coding{System: SystemEntityType, Code: "1", Display: "Person"},
			Role: &Coding{System: SystemObjectRole, Code: "1", Display: "Patient"},
		}},
	}
	if e.Purpose != "" {
		coding, err := purposeCoding(e.Purpose)
		if err != nil {
			return nil, err
		}
		r.PurposeOfEvent = []CodeableConcept{{Coding: []Coding{coding}}}
	}
	if e.RecordID != "" {
		if !e.DataClass.Valid() {
			return nil, invalid("data class %q has no FHIR mapping", e.DataClass)
		}
		r.Entity = append(r.Entity, AuditEntity{
			What:   &Reference{Type: string(e.DataClass), Identifier: &Identifier{System: SystemRecord, Value: e.RecordID}},
			Type:   &Coding{System: SystemEntityType, Code: "2", Display: "System Object"},
			Role:   &Coding{System: SystemObjectRole, Code: "4", Display: "Domain Resource"},
			Detail: []AuditEntityDetail{{Type: "txId", ValueString: e.TxID}},
		})
	} else if e.DataClass != "" {
		return nil, invalid("access log entry %q names a data class but no record", e.ID)
	}
	for _, id := range e.ConsentIDs {
		r.Entity = append(r.Entity, AuditEntity{
			What: &Reference{Reference: "Consent/" + id},
			Type: &Coding{System: SystemEntityType, Code: "2", Display: "System Object"},
			Role: &Coding{System: SystemObjectRole, Code: "13", Display: "Security Resource"},
		})
	}
	if e.Detail != "" {
		r.Entity[0].Detail = []AuditEntityDetail{{Type: "detail", ValueString: e.Detail}}
	}
	return r, nil
}

// auditID makes a FHIR id (1-64 of [A-Za-z0-9.-]) from a log entry id "<record>@<tx>": other
// characters become '-', and an id longer than 64 keeps its last 64 characters (the transaction id).
func fhirID(id string) string {
	b := []byte(id)
	for i, c := range b {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			b[i] = '-'
		}
	}
	if len(b) > 64 {
		b = b[len(b)-64:]
	}
	return string(b)
}

// BundleType is the type of a Bundle of audit events.
type BundleType string

// The two bundle types an access log export uses.
const (
	BundleCollection BundleType = "collection"
	BundleSearchset  BundleType = "searchset"
)

// Bundle is a FHIR R4 Bundle.
type Bundle struct {
	ResourceType string        `json:"resourceType"`
	Type         string        `json:"type"`
	Timestamp    string        `json:"timestamp,omitempty"`
	Total        *int          `json:"total,omitempty"`
	Entry        []BundleEntry `json:"entry,omitempty"`
}

// BundleEntry is Bundle.entry.
type BundleEntry struct {
	FullURL  string        `json:"fullUrl,omitempty"`
	Resource any           `json:"resource"`
	Search   *BundleSearch `json:"search,omitempty"`
}

// BundleSearch is Bundle.entry.search.
type BundleSearch struct {
	Mode string `json:"mode"`
}

// AuditBundle converts access log entries into a Bundle of AuditEvents of type collection or
// searchset (a searchset carries its total and marks every entry a match).
func AuditBundle(entries []consenttypes.AccessEntry, src Source, typ BundleType) (*Bundle, error) {
	b := &Bundle{ResourceType: "Bundle", Type: string(typ), Entry: []BundleEntry{}}
	switch typ {
	case BundleCollection:
	case BundleSearchset:
		n := len(entries)
		b.Total = &n
	default:
		return nil, invalid("bundle type %q is not collection or searchset", typ)
	}
	for _, e := range entries {
		r, err := AuditEvent(e, src)
		if err != nil {
			return nil, err
		}
		entry := BundleEntry{FullURL: "urn:healthledger:audit:" + r.ID, Resource: r}
		if typ == BundleSearchset {
			entry.Search = &BundleSearch{Mode: "match"}
		}
		b.Entry = append(b.Entry, entry)
	}
	return b, nil
}
