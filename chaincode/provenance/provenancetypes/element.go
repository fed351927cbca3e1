package provenancetypes

import (
	"strings"
)

// ProductIdentifier is the DSCSA product identifier printed on a unit: GTIN, serial, lot and expiry.
type ProductIdentifier struct {
	GTIN   string `json:"gtin"`
	Serial string `json:"serial"`
	Lot    string `json:"lot"`
	Expiry string `json:"expiry"`
}

// groupSeparator is FNC1 as a scanner transmits it inside a GS1 DataMatrix: ASCII GS.
const groupSeparator = "\x1d"

// ParseElementString reads a GS1 element string with AIs (01) GTIN, (21) serial, (10) lot and (17)
// expiry, in the human-readable form "(01)00614141000418(17)270630(10)LOT1(21)S1" or as a scanner
// sends a DataMatrix: "010061414100041817270630" "10LOT1" GS "21S1" (optionally prefixed by the
// symbology identifier "]d2"). Each AI must appear once; the values are checked, the GTIN returned as
// a GTIN-14 and the expiry as YYYY-MM-DD.
func ParseElementString(s string) (ProductIdentifier, error) {
	fields := map[string]string{}
	set := func(ai, v string) error {
		if _, dup := fields[ai]; dup {
			return invalid("AI (%s) appears twice", ai)
		}
		fields[ai] = v
		return nil
	}
	if strings.HasPrefix(s, "(") {
		rest := s
		for rest != "" {
			if rest[0] != '(' {
				return ProductIdentifier{}, invalid("element string %q: expected '(' at %q", s, rest)
			}
			end := strings.IndexByte(rest, ')')
			if end < 0 {
				return ProductIdentifier{}, invalid("element string %q: unclosed AI", s)
			}
			ai := rest[1:end]
			rest = rest[end+1:]
			next := strings.IndexByte(rest, '(')
			if next < 0 {
				next = len(rest)
			}
			if err := set(ai, rest[:next]); err != nil {
				return ProductIdentifier{}, err
			}
			rest = rest[next:]
		}
	} else {
		rest := strings.TrimPrefix(s, "]d2")
		rest = strings.TrimPrefix(rest, groupSeparator)
		for rest != "" {
			if len(rest) < 2 {
				return ProductIdentifier{}, invalid("element string %q: truncated AI", s)
			}
			ai := rest[:2]
			rest = rest[2:]
			var v string
			switch ai {
			case "01", "17":
				n := 14
				if ai == "17" {
					n = 6
				}
				if len(rest) < n {
					return ProductIdentifier{}, invalid("element string %q: AI (%s) needs %d digits", s, ai, n)
				}
				v, rest = rest[:n], rest[n:]
				rest = strings.TrimPrefix(rest, groupSeparator)
			case "10", "21":
				end := strings.Index(rest, groupSeparator)
				if end < 0 {
					v, rest = rest, ""
				} else {
					v, rest = rest[:end], rest[end+1:]
				}
			default:
				return ProductIdentifier{}, invalid("element string %q: AI (%s) is not one of 01, 17, 10, 21", s, ai)
			}
			if err := set(ai, v); err != nil {
				return ProductIdentifier{}, err
			}
		}
	}
	for ai := range fields {
		switch ai {
		case "01", "17", "10", "21":
		default:
			return ProductIdentifier{}, invalid("element string %q: AI (%s) is not one of 01, 17, 10, 21", s, ai)
		}
	}
	for _, ai := range []string{"01", "21", "10", "17"} {
		if _, ok := fields[ai]; !ok {
			return ProductIdentifier{}, invalid("element string %q lacks AI (%s)", s, ai)
		}
	}
	gtin, err := NormalizeGTIN(fields["01"])
	if err != nil {
		return ProductIdentifier{}, err
	}
	if len(fields["17"]) != 6 {
		return ProductIdentifier{}, invalid("AI (17) must be YYMMDD, not %q", fields["17"])
	}
	expiry, err := NormalizeDate(fields["17"])
	if err != nil {
		return ProductIdentifier{}, err
	}
	if err := CheckSerial(fields["21"]); err != nil {
		return ProductIdentifier{}, err
	}
	if err := CheckLot(fields["10"]); err != nil {
		return ProductIdentifier{}, err
	}
	return ProductIdentifier{GTIN: gtin, Serial: fields["21"], Lot: fields["10"], Expiry: expiry}, nil
}
