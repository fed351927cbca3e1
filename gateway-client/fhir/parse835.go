package fhir

import (
	"fmt"
	"strconv"
	"strings"
)

// Remittance is an 835 read back by Parse835: the envelope's control numbers and counts, the payment
// and the claims. Amounts are in cents.
type Remittance struct {
	ISAControl, IEAControl string
	IEAGroups              int
	GSControl, GEControl   string
	GETransactionSets      int
	STControl, SEControl   string
	SECount                int // the segment count SE01 states
	Segments               int // the segments from ST to SE, counted
	TransactionSets        int // the ST segments counted
	Groups                 int // the GS segments counted

	PaymentCents int64  // BPR02
	TraceNumber  string // TRN02
	Payer, Payee string // N1*PR and N1*PE names
	Claims       []RemittanceClaim
}

// RemittanceClaim is one CLP loop.
type RemittanceClaim struct {
	ID               string // CLP01
	Status           string // CLP02
	ChargeCents      int64  // CLP03
	PaidCents        int64  // CLP04
	PatientRespCents int64  // CLP05
	Patient          string // NM1*QC id
	Services         []RemittanceService
}

// RemittanceService is one SVC loop.
type RemittanceService struct {
	Qualifier, Code string
	ChargeCents     int64 // SVC02
	PaidCents       int64 // SVC03
	Units           int64 // SVC05
	AllowedCents    int64 // AMT*B6
	Adjustments     []RemittanceAdjustment
}

// RemittanceAdjustment is one reason/amount pair of a CAS segment.
type RemittanceAdjustment struct {
	Group, Reason string
	AmountCents   int64
}

// Parse835 reads an X12 835 as Remittance835 writes it: delimiters from the ISA segment, segments
// ended by the segment terminator (newlines between segments are ignored).
func Parse835(text string) (*Remittance, error) {
	text = strings.TrimLeft(text, " \r\n")
	if len(text) < 106 || !strings.HasPrefix(text, "ISA") {
		return nil, invalid("an 835 starts with a 106-character ISA segment")
	}
	elem, comp, term := text[3], text[104], text[105]
	r := &Remittance{}
	var claim *RemittanceClaim
	var svc *RemittanceService
	inST := false
	for n, raw := range strings.Split(text, string(term)) {
		raw = strings.Trim(raw, "\r\n")
		if raw == "" {
			continue
		}
		e := strings.Split(raw, string(elem))
		get := func(i int) string {
			if i < len(e) {
				return e[i]
			}
			return ""
		}
		var err error
		money := func(i int) int64 {
			c, perr := parseCents(get(i))
			if perr != nil && err == nil {
				err = fmt.Errorf("segment %d (%s) element %d: %w", n+1, e[0], i, perr)
			}
			return c
		}
		if inST {
			r.Segments++
		}
		switch e[0] {
		case "ISA":
			r.ISAControl = get(13)
		case "GS":
			r.Groups++
			r.GSControl = get(6)
		case "ST":
			r.TransactionSets++
			r.STControl = get(2)
			inST = true
			r.Segments = 1
		case "BPR":
			r.PaymentCents = money(2)
		case "TRN":
			r.TraceNumber = get(2)
		case "N1":
			switch get(1) {
			case "PR":
				r.Payer = get(2)
			case "PE":
				r.Payee = get(2)
			}
		case "CLP":
			r.Claims = append(r.Claims, RemittanceClaim{ID: get(1), Status: get(2), ChargeCents: money(3), PaidCents: money(4), PatientRespCents: money(5)})
			claim, svc = &r.Claims[len(r.Claims)-1], nil
		case "NM1":
			if claim != nil && get(1) == "QC" {
				claim.Patient = get(9)
			}
		case "SVC":
			if claim == nil {
				return nil, invalid("segment %d: SVC outside a CLP loop", n+1)
			}
			q, code, _ := strings.Cut(get(1), string(comp))
			units, uerr := strconv.ParseInt(get(5), 10, 64)
			if uerr != nil {
				return nil, invalid("segment %d: SVC05 is not a whole number", n+1)
			}
			claim.Services = append(claim.Services, RemittanceService{Qualifier: q, Code: code, ChargeCents: money(2), PaidCents: money(3), Units: units})
			svc = &claim.Services[len(claim.Services)-1]
		case "CAS":
			if svc == nil {
				return nil, invalid("segment %d: CAS outside an SVC loop", n+1)
			}
			for i := 2; i < len(e); i += 3 {
				svc.Adjustments = append(svc.Adjustments, RemittanceAdjustment{Group: get(1), Reason: get(i), AmountCents: money(i + 1)})
			}
		case "AMT":
			if svc != nil && get(1) == "B6" {
				svc.AllowedCents = money(2)
			}
		case "SE":
			inST = false
			r.SEControl = get(2)
			r.SECount, err = strconv.Atoi(get(1))
		case "GE":
			r.GEControl = get(2)
			r.GETransactionSets, err = strconv.Atoi(get(1))
		case "IEA":
			r.IEAControl = get(2)
			r.IEAGroups, err = strconv.Atoi(get(1))
		}
		if err != nil {
			return nil, invalid("segment %d (%s): %v", n+1, e[0], err)
		}
	}
	return r, nil
}

// Check verifies the envelope and the balances: control numbers match (ISA13 = IEA02, GS06 = GE02,
// ST02 = SE02), the counts are right (SE01, GE01, IEA01), the payment equals the claims' paid sum, and
// for every claim its paid amount is the sum of its lines', and for every line the charge minus the
// paid amount is the sum of its CAS amounts; the claim's patient responsibility is the sum of its PR
// adjustments.
func (r *Remittance) Check() error {
	switch {
	case r.ISAControl == "" || r.ISAControl != r.IEAControl:
		return invalid("ISA13 %q and IEA02 %q differ", r.ISAControl, r.IEAControl)
	case r.GSControl == "" || r.GSControl != r.GEControl:
		return invalid("GS06 %q and GE02 %q differ", r.GSControl, r.GEControl)
	case r.STControl == "" || r.STControl != r.SEControl:
		return invalid("ST02 %q and SE02 %q differ", r.STControl, r.SEControl)
	case r.SECount != r.Segments:
		return invalid("SE01 says %d segments, the transaction set has %d", r.SECount, r.Segments)
	case r.GETransactionSets != r.TransactionSets:
		return invalid("GE01 says %d transaction sets, there are %d", r.GETransactionSets, r.TransactionSets)
	case r.IEAGroups != r.Groups:
		return invalid("IEA01 says %d groups, there are %d", r.IEAGroups, r.Groups)
	}
	var paid int64
	for _, c := range r.Claims {
		paid += c.PaidCents
		var linesPaid, linesCharge, pr int64
		for i, s := range c.Services {
			linesPaid += s.PaidCents
			linesCharge += s.ChargeCents
			var adj int64
			for _, a := range s.Adjustments {
				adj += a.AmountCents
				if a.Group == "PR" {
					pr += a.AmountCents
				}
			}
			if s.ChargeCents-s.PaidCents != adj {
				return invalid("claim %s line %d: charge %d - paid %d != adjustments %d", c.ID, i+1, s.ChargeCents, s.PaidCents, adj)
			}
		}
		if linesPaid != c.PaidCents {
			return invalid("claim %s: CLP04 %d != the lines' paid sum %d", c.ID, c.PaidCents, linesPaid)
		}
		if linesCharge != c.ChargeCents {
			return invalid("claim %s: CLP03 %d != the lines' charge sum %d", c.ID, c.ChargeCents, linesCharge)
		}
		if pr != c.PatientRespCents {
			return invalid("claim %s: CLP05 %d != the PR adjustments %d", c.ID, c.PatientRespCents, pr)
		}
	}
	if paid != r.PaymentCents {
		return invalid("BPR02 %d != the claims' paid sum %d", r.PaymentCents, paid)
	}
	return nil
}

// parseCents reads an X12 decimal ("120", "120.5", "-3.25") as cents, exactly.
func parseCents(s string) (int64, error) {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" && frac == "" || len(frac) > 2 {
		return 0, fmt.Errorf("%q is not an amount with at most two decimals", s)
	}
	frac = (frac + "00")[:2]
	if whole == "" {
		whole = "0"
	}
	for _, c := range whole + frac {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%q is not a decimal amount", s)
		}
	}
	v, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("amount %q: %w", s, err)
	}
	if neg {
		v = -v
	}
	return v, nil
}
