package provenancetypes

import (
	"errors"
	"fmt"
	"github.com/healthledger/healthledger/chaincode/wire"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// DateLayout is the layout of every date of the chaincode (manufacture and expiry dates).
const DateLayout = "2006-01-02"

// ErrInvalid is wrapped by every validation failure of this package.
var ErrInvalid = errors.New("invalid")

// gs1Chars is GS1 AI encodable character set 82, which serial numbers (AI 21) and lots (AI 10) use,
// 1 to 20 characters long.
var gs1Chars = regexp.MustCompile(`^[!"%&'()*+,\-./0-9:;<=>?A-Z_a-z]{1,20}$`)

// pointID is what a read point may look like: a GLN or an SGLN URN, up to 128 characters.
var pointID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$`)

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// checkDigitOK reports whether the last digit of the all-digit string s is its GS1 mod-10 check digit.
func checkDigitOK(s string) bool {
	return checkDigit(s[:len(s)-1]) == s[len(s)-1]
}

// checkDigit is the GS1 mod-10 check digit of the all-digit string body.
func checkDigit(body string) byte {
	sum := 0
	for i := 0; i < len(body); i++ {
		d := int(body[len(body)-1-i] - '0')
		if i%2 == 0 {
			d *= 3
		}
		sum += d
	}
	return byte('0' + (10-sum%10)%10)
}

// WithCheckDigit appends its GS1 mod-10 check digit to body, the digits of a GTIN or a GLN without
// it (for example an indicator digit, a company prefix and an item reference).
func WithCheckDigit(body string) (string, error) {
	if !allDigits(body) {
		return "", invalid("%s must be digits only", wire.Quote(body))
	}
	return body + string(checkDigit(body)), nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// NormalizeGTIN checks a GTIN-8, -12, -13 or -14 (its check digit included) and returns it as a
// GTIN-14, zero-padded on the left: the form under which the chaincode stores and answers it.
func NormalizeGTIN(gtin string) (string, error) {
	switch len(gtin) {
	case 8, 12, 13, 14:
	default:
		return "", invalid("GTIN %s must have 8, 12, 13 or 14 digits", wire.Quote(gtin))
	}
	if !allDigits(gtin) {
		return "", invalid("GTIN %s must be digits only", wire.Quote(gtin))
	}
	if !checkDigitOK(gtin) {
		return "", invalid("GTIN %s has a wrong check digit", wire.Quote(gtin))
	}
	return strings.Repeat("0", 14-len(gtin)) + gtin, nil
}

// CheckGLN checks a 13-digit GLN and its check digit.
func CheckGLN(gln string) error {
	if len(gln) != 13 || !allDigits(gln) {
		return invalid("GLN %s must have 13 digits", wire.Quote(gln))
	}
	if !checkDigitOK(gln) {
		return invalid("GLN %s has a wrong check digit", wire.Quote(gln))
	}
	return nil
}

// CheckParty checks a party's MSP id and GLN.
func CheckParty(p Party) error {
	if !wire.ValidMSPID(p.MSPID) {
		return invalid("MSP id %s is malformed", wire.Quote(p.MSPID))
	}
	return CheckGLN(p.GLN)
}

// CheckSerial checks a serial number: 1 to 20 characters of GS1 character set 82.
func CheckSerial(serial string) error {
	if !gs1Chars.MatchString(serial) {
		return invalid("serial %s must be 1-20 characters of the GS1 AI character set", wire.Quote(serial))
	}
	return nil
}

// CheckLot checks a lot number: 1 to 20 characters of GS1 character set 82.
func CheckLot(lot string) error {
	if !gs1Chars.MatchString(lot) {
		return invalid("lot %s must be 1-20 characters of the GS1 AI character set", wire.Quote(lot))
	}
	return nil
}

// CheckSerials checks a list of serials: each well formed, none repeated, between 1 and max of them.
func CheckSerials(serials []string, max int) error {
	if len(serials) == 0 {
		return invalid("no serials given")
	}
	if len(serials) > max {
		return invalid("%d serials given; at most %d per transaction", len(serials), max)
	}
	seen := make(map[string]struct{}, len(serials))
	for _, s := range serials {
		if err := CheckSerial(s); err != nil {
			return err
		}
		if _, dup := seen[s]; dup {
			return invalid("serial %s is given twice", wire.Quote(s))
		}
		seen[s] = struct{}{}
	}
	return nil
}

// ParseDate reads a date in the form YYYY-MM-DD, or in the GS1 form YYMMDD (years 2000-2099; day 00
// means the last day of the month), and returns it at midnight UTC.
func ParseDate(s string) (time.Time, error) {
	if len(s) == 6 && allDigits(s) {
		year := 2000 + int(s[0]-'0')*10 + int(s[1]-'0')
		month := int(s[2]-'0')*10 + int(s[3]-'0')
		day := int(s[4]-'0')*10 + int(s[5]-'0')
		if month < 1 || month > 12 {
			return time.Time{}, invalid("date %s has no month %d", wire.Quote(s), month)
		}
		if day == 0 {
			// The last day of the month: day 0 of the next month.
			return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC), nil
		}
		t := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
		if t.Day() != day {
			return time.Time{}, invalid("date %s does not exist", wire.Quote(s))
		}
		return t, nil
	}
	t, err := time.Parse(DateLayout, s)
	if err != nil {
		return time.Time{}, invalid("date %s must be YYYY-MM-DD or YYMMDD", wire.Quote(s))
	}
	return t, nil
}

// NormalizeDate returns a date given as YYYY-MM-DD or YYMMDD in the form YYYY-MM-DD.
func NormalizeDate(s string) (string, error) {
	t, err := ParseDate(s)
	if err != nil {
		return "", err
	}
	return t.Format(DateLayout), nil
}

// CheckText checks a required free text: non-blank, valid UTF-8, at most MaxTextLen bytes.
func CheckText(what, s string) error {
	if strings.TrimSpace(s) == "" {
		return invalid("%s is required", what)
	}
	if len(s) > MaxTextLen || !utf8.ValidString(s) {
		return invalid("%s must be valid UTF-8 of at most %d bytes", what, MaxTextLen)
	}
	return nil
}

// CheckReadPoint checks a read point: a GLN or an SGLN URN.
func CheckReadPoint(rp string) error {
	if !pointID.MatchString(rp) {
		return invalid("read point %s is malformed", wire.Quote(rp))
	}
	return nil
}

// Validate checks the optional fields of an event context.
func (c EventContext) Validate() error {
	if c.EventID != "" && !wire.ValidMSPID(c.EventID) {
		return invalid("event id %s must be 1-64 of [A-Za-z0-9._-], starting with a letter or digit", wire.Quote(c.EventID))
	}
	if c.EventTime != nil && c.EventTime.IsZero() {
		return invalid("event time is zero")
	}
	if c.ReadPoint != "" {
		if err := CheckReadPoint(c.ReadPoint); err != nil {
			return err
		}
	}
	if c.BizLocation != "" {
		if err := CheckGLN(c.BizLocation); err != nil {
			return fmt.Errorf("business location: %w", err)
		}
	}
	return nil
}

// Normalized checks a product registration and returns it with its GTIN as a GTIN-14.
func (p ProductSpec) Normalized() (ProductSpec, error) {
	gtin, err := NormalizeGTIN(p.GTIN)
	if err != nil {
		return p, err
	}
	p.GTIN = gtin
	for _, f := range []struct{ what, v string }{{"name", p.Name}, {"strength", p.Strength}, {"dosage form", p.DosageForm}} {
		if err := CheckText(f.what, f.v); err != nil {
			return p, err
		}
	}
	if p.Storage == nil {
		return p, invalid("storage temperature range is required")
	}
	r := *p.Storage
	if r.MinCelsius < -273.15 || r.MaxCelsius > 100 || r.MinCelsius >= r.MaxCelsius {
		return p, invalid("storage range %.2f..%.2f C must have min below max, within -273.15..100", r.MinCelsius, r.MaxCelsius)
	}
	return p, nil
}

// Normalized checks a batch and returns it with its GTIN as a GTIN-14 and its dates as YYYY-MM-DD.
func (b BatchSpec) Normalized() (BatchSpec, error) {
	gtin, err := NormalizeGTIN(b.GTIN)
	if err != nil {
		return b, err
	}
	b.GTIN = gtin
	if err := CheckLot(b.Lot); err != nil {
		return b, err
	}
	made, err := ParseDate(b.ManufacturedOn)
	if err != nil {
		return b, fmt.Errorf("manufacture date: %w", err)
	}
	expiry, err := ParseDate(b.Expiry)
	if err != nil {
		return b, fmt.Errorf("expiry: %w", err)
	}
	if !expiry.After(made) {
		return b, invalid("expiry %s is not after manufacture %s", expiry.Format(DateLayout), made.Format(DateLayout))
	}
	b.ManufacturedOn, b.Expiry = made.Format(DateLayout), expiry.Format(DateLayout)
	if b.Quantity < 1 || b.Quantity > MaxQuantity {
		return b, invalid("quantity %d is outside 1..%d", b.Quantity, MaxQuantity)
	}
	if len(b.Serials) > 0 {
		if err := CheckSerials(b.Serials, MaxSerialsPerTx); err != nil {
			return b, err
		}
		if len(b.Serials) > b.Quantity {
			return b, invalid("%d serials exceed the quantity %d", len(b.Serials), b.Quantity)
		}
	}
	return b, b.EventContext.Validate()
}

// Normalized checks a shipment and returns it with its GTIN as a GTIN-14.
func (s ShipmentSpec) Normalized() (ShipmentSpec, error) {
	if !wire.ValidMSPID(s.ShipmentID) {
		return s, invalid("shipment id %s must be 1-64 of [A-Za-z0-9._-], starting with a letter or digit", wire.Quote(s.ShipmentID))
	}
	gtin, err := NormalizeGTIN(s.GTIN)
	if err != nil {
		return s, err
	}
	s.GTIN = gtin
	if err := CheckLot(s.Lot); err != nil {
		return s, err
	}
	if s.Serials != nil {
		if err := CheckSerials(s.Serials, MaxUnitsPerTx); err != nil {
			return s, err
		}
	}
	if err := CheckParty(s.Receiver); err != nil {
		return s, fmt.Errorf("unknown receiver: %w", err)
	}
	return s, s.EventContext.Validate()
}

// Normalized checks a decommission or destroy request and returns it with its GTIN as a GTIN-14.
func (a UnitAction) Normalized() (UnitAction, error) {
	gtin, err := NormalizeGTIN(a.GTIN)
	if err != nil {
		return a, err
	}
	a.GTIN = gtin
	if err := CheckLot(a.Lot); err != nil {
		return a, err
	}
	if a.Serials != nil {
		if err := CheckSerials(a.Serials, MaxUnitsPerTx); err != nil {
			return a, err
		}
	}
	if err := CheckText("reason", a.Reason); err != nil {
		return a, err
	}
	return a, a.EventContext.Validate()
}

// Celsius converts a reading's value to degrees Celsius.
func (r SensorReading) Celsius() (float64, error) {
	if r.Value == nil {
		return 0, invalid("reading at %s has no value", r.Time.Format(time.RFC3339))
	}
	v := *r.Value
	switch r.UOM {
	case UOMCelsius:
		return v, nil
	case UOMFahrenheit:
		return (v - 32) * 5 / 9, nil
	case UOMKelvin:
		return v - 273.15, nil
	case "":
		return 0, invalid("reading at %s has no unit of measure (want %s, %s or %s)", r.Time.Format(time.RFC3339), UOMCelsius, UOMFahrenheit, UOMKelvin)
	default:
		return 0, invalid("reading unit of measure %s is not %s, %s or %s", wire.Quote(r.UOM), UOMCelsius, UOMFahrenheit, UOMKelvin)
	}
}

// Normalized checks sensor readings and returns them with the GTIN as a GTIN-14.
func (r ReadingsSpec) Normalized() (ReadingsSpec, error) {
	gtin, err := NormalizeGTIN(r.GTIN)
	if err != nil {
		return r, err
	}
	r.GTIN = gtin
	if err := CheckLot(r.Lot); err != nil {
		return r, err
	}
	if len(r.Serials) == 0 {
		return r, invalid("readings must name the unit(s) they were taken with")
	}
	if len(r.Readings) == 0 || len(r.Readings) > MaxReadingsPerTx {
		return r, invalid("%d readings given; want 1..%d", len(r.Readings), MaxReadingsPerTx)
	}
	if err := CheckSerials(r.Serials, MaxUnitsPerTx); err != nil {
		return r, err
	}
	for i, rd := range r.Readings {
		if rd.Time.IsZero() {
			return r, invalid("reading %d has no time", i)
		}
		if _, err := rd.Celsius(); err != nil {
			return r, err
		}
		if rd.SensorID != "" && !pointID.MatchString(rd.SensorID) {
			return r, invalid("sensor id %s is malformed", wire.Quote(rd.SensorID))
		}
	}
	return r, r.EventContext.Validate()
}
