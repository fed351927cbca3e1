package consenttypes

import (
	"net/url"
	"slices"
	"time"
	"unicode"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/wire"
)

// Limits the chaincode enforces.
const (
	// MaxActivePerGrantee bounds the active consents one patient holds for one grantee organisation.
	// A decision reads exactly these, so its cost never depends on the rest of the ledger.
	MaxActivePerGrantee = 100
	// MaxReasonLen bounds a revocation or erasure reason. Reasons are public: never put PHI in them.
	MaxReasonLen = 256
	// MaxPolicyURILen bounds a consent's policy URI.
	MaxPolicyURILen = 512
	// MaxRecordURILen and MaxDescriptionLen bound the private details of a health record.
	MaxRecordURILen   = 2048
	MaxDescriptionLen = 4096
	// MaxSaltLen bounds the salt of a record's private details.
	MaxSaltLen = 128

	// MaxConsentBytes bounds the JSON of a consent as Grant and Update take it.
	MaxConsentBytes = 16 << 10
	// MaxListLen bounds each list of a consent (actions, purposes, data classes), repeats included.
	MaxListLen = 64
	// MaxTermLen bounds one entry of those lists: the longest known one has 20 bytes.
	MaxTermLen = 64
	// MaxRecordDetailsBytes bounds the JSON of a record's private details (the transient field
	// "record").
	MaxRecordDetailsBytes = 16 << 10
)

// Period is when a consent is in force: from Start (inclusive) until End (exclusive). A zero Start
// means "since always", a zero End "until revoked".
type Period struct {
	Start time.Time `json:"start,omitzero" metadata:",optional"`
	End   time.Time `json:"end,omitzero" metadata:",optional"`
}

// Contains reports whether t falls inside the period.
func (p Period) Contains(t time.Time) bool {
	if !p.Start.IsZero() && t.Before(p.Start) {
		return false
	}
	return p.End.IsZero() || t.Before(p.End)
}

// Equal reports whether two periods are the same instants.
func (p Period) Equal(o Period) bool {
	return p.Start.Equal(o.Start) && p.End.Equal(o.End)
}

// Consent is one FHIR-style consent of a patient: who (grantee) may or may not (decision) do what
// (actions) with which data (classes) for which purposes, during which period.
//
// The client chooses ID, Patient, Grantee, Decision, Actions, Purposes, Classes, Period and PolicyURI.
// The chaincode sets every other field; values a client sends for them are ignored, except Version in
// an Update, where a non-zero value must equal the current version (optimistic concurrency).
type Consent struct {
	ID        string      `json:"id"`
	Patient   string      `json:"patient"`
	Grantee   string      `json:"grantee"`
	Decision  Verdict     `json:"decision"`
	Actions   []Action    `json:"actions"`
	Purposes  []Purpose   `json:"purposes"`
	Classes   []DataClass `json:"dataClasses"`
	Period    Period      `json:"period,omitzero" metadata:",optional"`
	PolicyURI string      `json:"policyUri,omitempty" metadata:",optional"`

	Status       Status    `json:"status,omitempty" metadata:",optional"`
	Version      int       `json:"version,omitempty" metadata:",optional"`
	Grantor      string    `json:"grantor,omitempty" metadata:",optional"`
	CreatedAt    time.Time `json:"createdAt,omitzero" metadata:",optional"`
	CreatedBy    string    `json:"createdBy,omitempty" metadata:",optional"`
	UpdatedAt    time.Time `json:"updatedAt,omitzero" metadata:",optional"`
	UpdatedBy    string    `json:"updatedBy,omitempty" metadata:",optional"`
	RevokedAt    time.Time `json:"revokedAt,omitzero" metadata:",optional"`
	RevokedBy    string    `json:"revokedBy,omitempty" metadata:",optional"`
	RevokeReason string    `json:"revokeReason,omitempty" metadata:",optional"`
}

// Normalize puts the client-chosen terms in canonical form: the grantee in its string form, actions,
// purposes and classes deduplicated in canonical order (a class list holding "*" becomes just "*"),
// times in UTC. It does not validate; call Validate after it.
func (c *Consent) Normalize() {
	if g, err := ParseGrantee(c.Grantee); err == nil {
		c.Grantee = g.String()
	}
	c.Actions = canonical(c.Actions, Actions())
	c.Purposes = canonical(c.Purposes, Purposes())
	if slices.Contains(c.Classes, AllClasses) {
		c.Classes = []DataClass{AllClasses}
	} else {
		c.Classes = canonical(c.Classes, DataClasses())
	}
	if !c.Period.Start.IsZero() {
		c.Period.Start = c.Period.Start.UTC()
	}
	if !c.Period.End.IsZero() {
		c.Period.End = c.Period.End.UTC()
	}
}

// canonical returns the members of in, deduplicated, in the order of all; unknown members follow in
// their first-seen order so that Validate can name them. Its cost is linear in len(in) + len(all).
func canonical[T comparable](in, all []T) []T {
	pending := make(map[T]bool, len(in))
	for _, v := range in {
		pending[v] = true
	}
	out := make([]T, 0, len(pending))
	for _, v := range all {
		if pending[v] {
			out = append(out, v)
			delete(pending, v)
		}
	}
	for _, v := range in {
		if pending[v] {
			out = append(out, v)
			delete(pending, v)
		}
	}
	return out
}

// CheckSize returns INVALID_ARGUMENT when a list of the consent holds more than MaxListLen entries or
// an entry longer than MaxTermLen bytes. It reads only lengths, so it runs before any work that grows
// with the lists: Normalize and Validate.
func (c *Consent) CheckSize() error {
	if err := checkList("actions", c.Actions); err != nil {
		return err
	}
	if err := checkList("purposes", c.Purposes); err != nil {
		return err
	}
	return checkList("dataClasses", c.Classes)
}

func checkList[T ~string](what string, terms []T) error {
	if len(terms) > MaxListLen {
		return codes.New(codes.InvalidArgument, "the consent's %s hold %d entries, more than %d", what, len(terms), MaxListLen)
	}
	for i, t := range terms {
		if len(t) > MaxTermLen {
			return codes.New(codes.InvalidArgument, "entry %d of the consent's %s is longer than %d bytes", i+1, what, MaxTermLen)
		}
	}
	return nil
}

// Validate checks the client-chosen terms and returns INVALID_ARGUMENT on the first fault. It checks
// the sizes first (CheckSize).
func (c *Consent) Validate() error {
	if err := c.CheckSize(); err != nil {
		return err
	}
	if err := CheckID("consent id", c.ID); err != nil {
		return err
	}
	if err := CheckID("patient", c.Patient); err != nil {
		return err
	}
	if _, err := ParseGrantee(c.Grantee); err != nil {
		return err
	}
	if !c.Decision.Valid() {
		return codes.New(codes.InvalidArgument, "decision %s is unknown: want permit or deny", wire.Quote(string(c.Decision)))
	}
	if len(c.Actions) == 0 {
		return codes.New(codes.InvalidArgument, "consent %s names no action", c.ID)
	}
	for _, a := range c.Actions {
		if _, err := CheckAction(string(a)); err != nil {
			return err
		}
	}
	if len(c.Purposes) == 0 {
		return codes.New(codes.InvalidArgument, "consent %s names no purpose of use", c.ID)
	}
	for _, p := range c.Purposes {
		if _, err := CheckPurpose(string(p)); err != nil {
			return err
		}
	}
	if len(c.Classes) == 0 {
		return codes.New(codes.InvalidArgument, "consent %s names no data class", c.ID)
	}
	for _, k := range c.Classes {
		if k == AllClasses {
			continue
		}
		if _, err := CheckDataClass(string(k)); err != nil {
			return err
		}
	}
	if !c.Period.Start.IsZero() && !c.Period.End.IsZero() && !c.Period.End.After(c.Period.Start) {
		return codes.New(codes.InvalidArgument, "consent %s: the period ends (%s) before it starts (%s)", c.ID,
			c.Period.End.Format(time.RFC3339), c.Period.Start.Format(time.RFC3339))
	}
	if c.PolicyURI != "" {
		if err := checkURI("policy URI", c.PolicyURI, MaxPolicyURILen); err != nil {
			return err
		}
	}
	return nil
}

// SameTerms reports whether two normalized consents carry the same client-chosen terms.
func (c *Consent) SameTerms(o *Consent) bool {
	return c.ID == o.ID && c.Patient == o.Patient && c.Grantee == o.Grantee && c.Decision == o.Decision &&
		slices.Equal(c.Actions, o.Actions) && slices.Equal(c.Purposes, o.Purposes) &&
		slices.Equal(c.Classes, o.Classes) && c.Period.Equal(o.Period) && c.PolicyURI == o.PolicyURI
}

// GranteeOf returns the parsed grantee of the consent.
func (c *Consent) GranteeOf() (Grantee, error) { return ParseGrantee(c.Grantee) }

// Matches reports whether the consent speaks about action, purpose and class (whatever its decision,
// status, grantee and period).
func (c *Consent) Matches(action Action, purpose Purpose, class DataClass) bool {
	return slices.Contains(c.Actions, action) && slices.Contains(c.Purposes, purpose) &&
		(slices.Contains(c.Classes, AllClasses) || slices.Contains(c.Classes, class))
}

// checkURI returns INVALID_ARGUMENT unless s is an absolute URI of at most max bytes.
func checkURI(what, s string, max int) error {
	if len(s) > max {
		return codes.New(codes.InvalidArgument, "%s is longer than %d bytes", what, max)
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || (u.Host == "" && u.Opaque == "" && u.Path == "") {
		return codes.New(codes.InvalidArgument, "%s is not an absolute URI", what)
	}
	return nil
}

// CheckReason returns INVALID_ARGUMENT unless s is a short printable text (possibly empty). Reasons are
// stored in public state: they must never hold protected health information.
func CheckReason(s string) error {
	if len(s) > MaxReasonLen {
		return codes.New(codes.InvalidArgument, "reason is longer than %d bytes", MaxReasonLen)
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return codes.New(codes.InvalidArgument, "reason holds a non-printable character")
		}
	}
	return nil
}
