package claimstypes

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/gowebpki/jcs"
	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/provenance/provenancetypes"
	"github.com/healthledger/healthledger/chaincode/wire"
)

// Limits on what one claim or coverage may hold. They keep every amount far inside int64.
const (
	MaxDiagnoses       = 12            // X12 837P HI segment
	MaxLines           = 50            // X12 837P service lines
	MaxQuantity        = 9999          // units per line
	MaxUnitChargeCents = 1_000_000_000 // 10 million per unit
	MaxTermCents       = 1_000_000_000_000
	MaxCoveredCodes    = 2000
	MaxFeeSchedule     = 2000 // fee schedule entries of a coverage
	MaxReasonLen       = 200
	BasisPoints        = 10_000 // 100 %

	// MaxCodeLen bounds one code as sent (an ICD-10, CPT, HCPCS, NDC or GTIN code, a unit's GTIN or
	// serial, a service date), white space included: the longest valid one has 14 characters.
	MaxCodeLen = 32
)

// The raw sizes the guard allows, before anything is decoded: the Limits table of docs/claims.md.
const (
	MaxSubmissionBytes    = 4 << 10   // the SubmitClaim argument, a ClaimSubmission
	MaxClaimDetailsBytes  = 64 << 10  // the transient "claim", a ClaimDetails
	MaxCoverageTermsBytes = 256 << 10 // the transient "coverage", a CoverageTerms
	MaxPaymentBytes       = 1 << 10   // the transient "payment", a PaymentInput
)

// DateLayout is the layout of every calendar date on the wire.
const DateLayout = "2006-01-02"

// CodeKind says which code system a service code belongs to.
type CodeKind string

// The service code systems.
const (
	CodeCPT   CodeKind = "CPT"   // 5 digits, or 4 digits + F/T/U (category II, III, PLA)
	CodeHCPCS CodeKind = "HCPCS" // a letter + 4 digits
	CodeNDC   CodeKind = "NDC"   // 11 digits (5-4-2), or a hyphenated 10-digit form
	CodeGTIN  CodeKind = "GTIN"  // 14 digits with a valid GS1 check digit
)

// Drug reports whether codes of this kind name a drug product.
func (k CodeKind) Drug() bool { return k == CodeNDC || k == CodeGTIN }

var (
	icd10Pattern  = regexp.MustCompile(`^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$`)
	cptPattern    = regexp.MustCompile(`^[0-9]{4}[0-9FTU]$`)
	hcpcsPattern  = regexp.MustCompile(`^[A-Z][0-9]{4}$`)
	ndc11Pattern  = regexp.MustCompile(`^[0-9]{11}$`)
	ndcHyphenated = regexp.MustCompile(`^([0-9]{4,5})-([0-9]{3,4})-([0-9]{1,2})$`)
	gtinPattern   = regexp.MustCompile(`^[0-9]{14}$`)
	noncePattern  = regexp.MustCompile(`^[A-Za-z0-9_-]{32,128}$`)
)

func invalid(format string, args ...any) *codes.Error {
	return codes.New(codes.InvalidArgument, format, args...)
}

// CheckID returns INVALID_ARGUMENT unless id is 1-64 of [A-Za-z0-9._:-], starting with a letter or
// digit (wire.CheckID). what names the id in the message.
func CheckID(what, id string) error { return wire.CheckID(what, id) }

// checkPrivateID is CheckID for an id of private input: its message does not repeat the id.
func checkPrivateID(what, id string) error {
	if !wire.ValidID(id) {
		return invalid("%s is malformed: want 1-64 of [A-Za-z0-9._:-], starting with a letter or digit", what)
	}
	return nil
}

// NormalizeICD10 upper-cases an ICD-10-CM code and inserts the dot after the category (E119 ->
// E11.9). It reports false when the code is malformed.
func NormalizeICD10(code string) (string, bool) {
	c := strings.ToUpper(strings.TrimSpace(code))
	if len(c) > 3 && !strings.Contains(c, ".") {
		c = c[:3] + "." + c[3:]
	}
	if !icd10Pattern.MatchString(c) {
		return "", false
	}
	return c, true
}

// NormalizeServiceCode returns the canonical form of a CPT, HCPCS, NDC or GTIN code and its kind. NDCs
// become 11 digits (5-4-2, zero-padded, no hyphens). It reports false when the code is malformed.
func NormalizeServiceCode(code string) (string, CodeKind, bool) {
	c := strings.ToUpper(strings.TrimSpace(code))
	switch {
	case cptPattern.MatchString(c):
		return c, CodeCPT, true
	case hcpcsPattern.MatchString(c):
		return c, CodeHCPCS, true
	case ndc11Pattern.MatchString(c):
		return c, CodeNDC, true
	case gtinPattern.MatchString(c):
		if !ValidGTIN(c) {
			return "", "", false
		}
		return c, CodeGTIN, true
	}
	if m := ndcHyphenated.FindStringSubmatch(c); m != nil {
		// The 10-digit forms are 4-4-2, 5-3-2 and 5-4-1; 5-4-2 is already 11 digits.
		if len(m[1])+len(m[2])+len(m[3]) < 10 {
			return "", "", false
		}
		return pad(m[1], 5) + pad(m[2], 4) + pad(m[3], 2), CodeNDC, true
	}
	return "", "", false
}

func pad(s string, n int) string {
	return strings.Repeat("0", n-len(s)) + s
}

// ValidGTIN reports whether s is a 14-digit GTIN whose GS1 check digit is right.
func ValidGTIN(s string) bool {
	n, err := provenancetypes.NormalizeGTIN(s)
	return err == nil && n == s
}

// ParseDate parses a calendar date "YYYY-MM-DD", refusing any other spelling.
func ParseDate(s string) (time.Time, bool) {
	t, err := time.Parse(DateLayout, s)
	if err != nil || t.Format(DateLayout) != s {
		return time.Time{}, false
	}
	return t, true
}

// CheckNonce returns INVALID_ARGUMENT unless nonce is 32-128 of [A-Za-z0-9_-].
func CheckNonce(what, nonce string) error {
	if !noncePattern.MatchString(nonce) {
		return invalid("%s nonce is missing or too short: want 32-128 random characters of [A-Za-z0-9_-]", what)
	}
	return nil
}

// CheckReason returns INVALID_ARGUMENT unless reason is 1-200 printable characters. Reasons are public:
// they must not carry clinical content.
func CheckReason(reason string) error {
	r := strings.TrimSpace(reason)
	if r == "" || len(r) > MaxReasonLen {
		return invalid("reason must be 1-%d characters", MaxReasonLen)
	}
	for _, c := range r {
		if c < 0x20 || c == 0x7f {
			return invalid("reason contains a control character")
		}
	}
	return nil
}

// Normalized returns the submission with the default frequency code filled in.
func (s ClaimSubmission) Normalized() ClaimSubmission {
	if s.FrequencyCode == "" {
		s.FrequencyCode = FrequencyOriginal
	}
	return s
}

// Validate checks a normalized submission's shape.
func (s ClaimSubmission) Validate() error {
	if err := CheckID("claim id", s.ID); err != nil {
		return err
	}
	if err := CheckID("patient id", s.Patient); err != nil {
		return err
	}
	if err := CheckID("coverage id", s.CoverageID); err != nil {
		return err
	}
	switch s.FrequencyCode {
	case FrequencyOriginal:
		if s.OriginalClaimID != "" {
			return invalid("an original claim (frequency 1) must not name an original claim id")
		}
	case FrequencyReplacement, FrequencyVoid:
		if s.OriginalClaimID == "" {
			return invalid("a replacement or void (frequency %s) must name the original claim id", s.FrequencyCode)
		}
		if err := CheckID("original claim id", s.OriginalClaimID); err != nil {
			return err
		}
		if s.OriginalClaimID == s.ID {
			return invalid("claim %s cannot replace or void itself", s.ID)
		}
	default:
		return invalid("frequency code %s is not supported: want 1, 7 or 8", wire.Quote(string(s.FrequencyCode)))
	}
	return nil
}

// Normalized returns a copy of the details in canonical form: codes upper-cased, ICD-10 codes with
// their dot, NDCs as 11 digits, empty pointer lists dropped. Malformed codes are left as they are, for
// Validate to report.
func (d ClaimDetails) Normalized() ClaimDetails {
	out := ClaimDetails{TotalCents: d.TotalCents, Nonce: d.Nonce}
	out.Diagnoses = make([]string, 0, len(d.Diagnoses))
	for _, dx := range d.Diagnoses {
		if n, ok := NormalizeICD10(dx); ok {
			dx = n
		}
		out.Diagnoses = append(out.Diagnoses, dx)
	}
	out.Lines = make([]ServiceLine, 0, len(d.Lines))
	for _, l := range d.Lines {
		if n, _, ok := NormalizeServiceCode(l.Code); ok {
			l.Code = n
		}
		if len(l.DiagnosisPointers) == 0 {
			l.DiagnosisPointers = nil
		} else {
			l.DiagnosisPointers = slices.Clone(l.DiagnosisPointers)
		}
		if l.Unit != nil {
			u := *l.Unit
			if n, err := provenancetypes.NormalizeGTIN(u.GTIN); err == nil {
				u.GTIN = n // GTIN-8, -12 and -13 become GTIN-14, as provenance stores them
			}
			l.Unit = &u
		}
		out.Lines = append(out.Lines, l)
	}
	return out
}

// CheckSize returns INVALID_ARGUMENT when the details hold more than MaxDiagnoses diagnoses, more
// than MaxLines lines, a line with more than MaxDiagnoses diagnosis pointers, or a code longer than
// MaxCodeLen. It reads only lengths, so it runs before any work that grows with the details:
// Normalized and Validate. Like every message about private input, its messages name the field,
// never the value.
func (d ClaimDetails) CheckSize() error {
	if len(d.Diagnoses) > MaxDiagnoses {
		return invalid("the claim details hold more than %d diagnoses", MaxDiagnoses)
	}
	for i, dx := range d.Diagnoses {
		if len(dx) > MaxCodeLen {
			return invalid("diagnosis %d is longer than %d bytes", i+1, MaxCodeLen)
		}
	}
	if len(d.Lines) > MaxLines {
		return invalid("the claim details hold more than %d service lines", MaxLines)
	}
	for i, l := range d.Lines {
		long := len(l.Code) > MaxCodeLen || len(l.ServiceDate) > MaxCodeLen ||
			(l.Unit != nil && (len(l.Unit.GTIN) > MaxCodeLen || len(l.Unit.Serial) > MaxCodeLen))
		if long {
			return invalid("line %d: a code, date or unit is longer than %d bytes", i+1, MaxCodeLen)
		}
		if len(l.DiagnosisPointers) > MaxDiagnoses {
			return invalid("line %d: more than %d diagnosis pointers", i+1, MaxDiagnoses)
		}
	}
	return nil
}

// Validate checks normalized details of a claim of type ct against the transaction's date today
// (YYYY-MM-DD): sizes (CheckSize), codes, quantities, charges, dates not after today, the total, and
// the drug units. Its messages name the faulty field (diagnosis 2, line 3's code), never its value:
// the details are private.
func (d ClaimDetails) Validate(ct ClaimType, today string) error {
	if err := d.CheckSize(); err != nil {
		return err
	}
	if err := CheckNonce("claim details", d.Nonce); err != nil {
		return err
	}
	if len(d.Diagnoses) == 0 {
		return invalid("a claim needs 1-%d diagnoses", MaxDiagnoses)
	}
	seen := map[string]int{}
	for i, dx := range d.Diagnoses {
		if !icd10Pattern.MatchString(dx) {
			return invalid("diagnosis %d is not an ICD-10-CM code", i+1)
		}
		if first, ok := seen[dx]; ok {
			return invalid("diagnosis %d is listed twice (as diagnosis %d)", i+1, first)
		}
		seen[dx] = i + 1
	}
	if len(d.Lines) == 0 {
		return invalid("a claim needs 1-%d service lines", MaxLines)
	}
	var total int64
	units := map[UnitRef]int{}
	for i, l := range d.Lines {
		if err := l.validate(ct, today, len(d.Diagnoses)); err != nil {
			return invalid("line %d: %s", i+1, err)
		}
		if l.Unit != nil {
			if first, ok := units[*l.Unit]; ok {
				return invalid("line %d: its unit is already on line %d", i+1, first)
			}
			units[*l.Unit] = i + 1
		}
		total += l.ChargeCents()
	}
	if d.TotalCents != total {
		return invalid("totalCents is not the sum of quantity x unitChargeCents over the lines")
	}
	return nil
}

func (l ServiceLine) validate(ct ClaimType, today string, diagnoses int) error {
	code, kind, ok := NormalizeServiceCode(l.Code)
	if !ok || code != l.Code {
		return errors.New("its code is not a CPT, HCPCS, NDC or GTIN code")
	}
	if kind.Drug() && ct != ClaimPharmacy {
		return fmt.Errorf("its code is a drug code (%s), which only a pharmacy claim carries", kind)
	}
	if kind.Drug() {
		if l.Unit == nil {
			return errors.New("a drug line must name the dispensed unit (gtin and serial)")
		}
		if !ValidGTIN(l.Unit.GTIN) {
			return errors.New("its unit's gtin is not a GTIN-14 with a valid check digit")
		}
		if provenancetypes.CheckSerial(l.Unit.Serial) != nil {
			return errors.New("its unit's serial is not 1-20 characters of the GS1 character set")
		}
		if kind == CodeGTIN && code != l.Unit.GTIN {
			return errors.New("its code and its unit's gtin differ")
		}
	} else if l.Unit != nil {
		return fmt.Errorf("only a drug line (NDC or GTIN) names a unit; its code is a %s code", kind)
	}
	date, ok := ParseDate(l.ServiceDate)
	if !ok {
		return errors.New("its service date is not a YYYY-MM-DD date")
	}
	if l.ServiceDate > today {
		return fmt.Errorf("its service date is in the future (today is %s)", today)
	}
	if date.Year() < 1900 {
		return errors.New("its service date is before 1900")
	}
	if l.Quantity < 1 || l.Quantity > MaxQuantity {
		return fmt.Errorf("its quantity is outside 1..%d", MaxQuantity)
	}
	if l.UnitChargeCents < 0 {
		return errors.New("its unit charge is negative")
	}
	if l.UnitChargeCents > MaxUnitChargeCents {
		return fmt.Errorf("its unit charge is above %d cents", int64(MaxUnitChargeCents))
	}
	for _, p := range l.DiagnosisPointers {
		if p < 1 || p > diagnoses {
			return fmt.Errorf("a diagnosis pointer is outside 1..%d", diagnoses)
		}
	}
	return nil
}

// Normalized returns a copy of the terms in canonical form: codes normalized and sorted, the fee
// schedule sorted by code. Malformed codes are left as they are, for Validate to report.
func (t CoverageTerms) Normalized() CoverageTerms {
	out := t
	out.CoveredCodes = make([]string, 0, len(t.CoveredCodes))
	for _, c := range t.CoveredCodes {
		if n, _, ok := NormalizeServiceCode(c); ok {
			c = n
		}
		out.CoveredCodes = append(out.CoveredCodes, c)
	}
	slices.Sort(out.CoveredCodes)
	if len(t.FeeSchedule) == 0 {
		out.FeeSchedule = nil
	} else {
		out.FeeSchedule = make([]FeeScheduleEntry, 0, len(t.FeeSchedule))
		for _, f := range t.FeeSchedule {
			if n, _, ok := NormalizeServiceCode(f.Code); ok {
				f.Code = n
			}
			out.FeeSchedule = append(out.FeeSchedule, f)
		}
		slices.SortFunc(out.FeeSchedule, func(a, b FeeScheduleEntry) int { return strings.Compare(a.Code, b.Code) })
	}
	return out
}

// CheckSize returns INVALID_ARGUMENT when the terms hold more than MaxCoveredCodes covered codes,
// more than MaxFeeSchedule fee schedule entries, or a code longer than MaxCodeLen. It reads only
// lengths, so it runs before any work that grows with the terms: Normalized and Validate.
func (t CoverageTerms) CheckSize() error {
	if len(t.CoveredCodes) > MaxCoveredCodes {
		return invalid("the coverage terms hold more than %d covered codes", MaxCoveredCodes)
	}
	for i, c := range t.CoveredCodes {
		if len(c) > MaxCodeLen {
			return invalid("covered code %d is longer than %d bytes", i+1, MaxCodeLen)
		}
	}
	if len(t.FeeSchedule) > MaxFeeSchedule {
		return invalid("the coverage terms hold more than %d fee schedule entries", MaxFeeSchedule)
	}
	for i, f := range t.FeeSchedule {
		if len(f.Code) > MaxCodeLen {
			return invalid("the code of fee schedule entry %d is longer than %d bytes", i+1, MaxCodeLen)
		}
	}
	return nil
}

// Validate checks normalized coverage terms: sizes (CheckSize) first. Its messages name the faulty
// field (covered code 3 in sorted order), never its value: the terms are private.
func (t CoverageTerms) Validate() error {
	if err := t.CheckSize(); err != nil {
		return err
	}
	if err := CheckNonce("coverage terms", t.Nonce); err != nil {
		return err
	}
	if err := checkPrivateID("the member id", t.Member); err != nil {
		return err
	}
	if err := checkPrivateID("the plan id", t.PlanID); err != nil {
		return err
	}
	start, ok := ParseDate(t.PeriodStart)
	if !ok {
		return invalid("periodStart is not a YYYY-MM-DD date")
	}
	end, ok := ParseDate(t.PeriodEnd)
	if !ok {
		return invalid("periodEnd is not a YYYY-MM-DD date")
	}
	if end.Before(start) {
		return invalid("periodEnd is before periodStart")
	}
	if len(t.CoveredCodes) == 0 {
		return invalid("a coverage needs 1-%d covered codes", MaxCoveredCodes)
	}
	for i, c := range t.CoveredCodes {
		if n, _, ok := NormalizeServiceCode(c); !ok || n != c {
			return invalid("covered code %d (in sorted order) is not a CPT, HCPCS, NDC or GTIN code", i+1)
		}
		if i > 0 && t.CoveredCodes[i-1] == c {
			return invalid("covered code %d (in sorted order) is listed twice", i+1)
		}
	}
	for _, m := range []struct {
		name  string
		cents int64
	}{{"deductibleCents", t.DeductibleCents}, {"copayCents", t.CopayCents}, {"annualLimitCents", t.AnnualLimitCents}} {
		if m.cents < 0 || m.cents > MaxTermCents {
			return invalid("%s is outside 0..%d", m.name, int64(MaxTermCents))
		}
	}
	if t.CoinsuranceBP < 0 || t.CoinsuranceBP > BasisPoints {
		return invalid("coinsuranceBp is outside 0..%d", BasisPoints)
	}
	if t.CoinsuranceBP > 0 && t.CopayCents > 0 {
		return invalid("a coverage has coinsurance or a copay, not both")
	}
	for i, f := range t.FeeSchedule {
		if n, _, ok := NormalizeServiceCode(f.Code); !ok || n != f.Code {
			return invalid("fee schedule entry %d (in code order): its code is not a CPT, HCPCS, NDC or GTIN code", i+1)
		}
		if i > 0 && t.FeeSchedule[i-1].Code == f.Code {
			return invalid("fee schedule entry %d (in code order) repeats the code of the entry before it", i+1)
		}
		if f.AllowedUnitCents < 0 || f.AllowedUnitCents > MaxUnitChargeCents {
			return invalid("fee schedule entry %d (in code order): allowedUnitCents is outside 0..%d", i+1, int64(MaxUnitChargeCents))
		}
	}
	return nil
}

// Validate checks a payment input. Its messages do not repeat the input, which is private.
func (p PaymentInput) Validate() error {
	if p.AmountCents < 0 {
		return invalid("the payment amount is negative")
	}
	return checkPrivateID("the payment reference", p.PaymentRef)
}

// HashDetails is the detailsHash of a claim: the lower-case hex sha256 of the canonical JSON (RFC 8785,
// see [CanonicalJSON]) of the normalized details. Anyone holding the details can check them against the
// public header, in any language with an RFC 8785 implementation (docs/claims.md says how).
func HashDetails(d ClaimDetails) string {
	return hashCanonical(d.Normalized())
}

// HashTerms is the termsHash of a coverage: the lower-case hex sha256 of the canonical JSON (RFC 8785)
// of the normalized terms.
func HashTerms(t CoverageTerms) string {
	return hashCanonical(t.Normalized())
}

// CanonicalJSON encodes v as JSON and canonicalizes it by the JSON Canonicalization Scheme (RFC 8785):
// object members sorted by the UTF-16 code units of their names, no white space, strings escaped as
// ECMAScript's JSON.stringify escapes them (only the quotation mark, the backslash and control
// characters; everything else stays raw UTF-8), numbers written as ECMAScript writes an IEEE-754
// double (an integer of magnitude up to 2^53 as its plain decimal digits). It fails when v cannot be
// encoded as JSON.
func CanonicalJSON(v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encoding %T as JSON: %w", v, err)
	}
	canon, err := jcs.Transform(raw)
	if err != nil {
		return nil, fmt.Errorf("canonicalizing %T (RFC 8785): %w", v, err)
	}
	return canon, nil
}

func hashCanonical(v any) string {
	// The wire structs hold only strings, integers, slices and pointers to such structs, so neither
	// step can fail. Validation keeps every integer far below 2^53, where a double is exact.
	canon, err := CanonicalJSON(v)
	if err != nil {
		panic("claimstypes: " + err.Error())
	}
	sum := sha256.Sum256(canon)
	return hex.EncodeToString(sum[:])
}
