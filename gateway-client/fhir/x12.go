package fhir

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/healthledger/healthledger/chaincode/claims/claimstypes"
	"github.com/healthledger/healthledger/chaincode/codes"
)

// The X12 delimiters Remittance835 writes.
const (
	x12Element    = '*'
	x12Component  = ':'
	x12Repetition = '^'
	x12Segment    = '~'
)

// X12Version is the implementation guide the remittance follows in shape.
const X12Version = "005010X221A1"

// X12Options sets the envelope of a remittance.
type X12Options struct {
	// SenderID and ReceiverID are the interchange sender and receiver (ISA06, ISA08; at most 15
	// characters). The defaults are the insurer's payer id and the provider's id.
	SenderID, ReceiverID string
	// Control is the interchange control number (ISA13, 1..999999999); the group (GS06) takes the same
	// value and the transaction set is 0001. Default 1.
	Control int
	// At is the interchange date and time (ISA09/ISA10, GS04/GS05). Default: the payment time.
	At time.Time
	// Production marks the interchange P (production) instead of T (test).
	Production bool
}

// x12Qualifier maps every service code kind to its SVC01-1 product/service id qualifier. A GTIN has
// none in 005010X221A1, so a GTIN line cannot be remitted.
var x12Qualifier = map[claimstypes.CodeKind]string{
	claimstypes.CodeCPT:   "HC",
	claimstypes.CodeHCPCS: "HC",
	claimstypes.CodeNDC:   "N4",
}

// clpStatus maps every adjudication outcome to CLP02, the claim status code.
var clpStatus = map[claimstypes.Outcome]string{
	claimstypes.OutcomeApproved: "1", // processed as primary
	claimstypes.OutcomePartial:  "1",
	claimstypes.OutcomeDenied:   "4", // denied
}

// Remittance835 writes a paid claim as an X12 835 (health care claim payment/advice) in the shape of
// 005010X221A1: one interchange, one group, one transaction set, one claim with its service lines and
// their CAS adjustments. Segments end with '~' and a newline. It needs the adjudication and the
// payment: a claim that is not paid is PRECONDITION_FAILED.
//
// The ledger holds no addresses, bank accounts or names, so the N3/N4 address segments and the
// payer's bank details are absent, the payment method is CHK, and the patient is named by pseudonym.
func Remittance835(v ClaimView, opts X12Options) (string, error) {
	h, rec := v.Header, v.Record
	if h.ID == "" || rec.ClaimID != h.ID {
		return "", invalid("the claim record %q does not belong to claim %q", rec.ClaimID, h.ID)
	}
	a, p := rec.Adjudication, rec.Payment
	if a == nil || p == nil {
		return "", codes.New(codes.PreconditionFailed, "fhir: claim %s is not paid: a remittance needs its adjudication and payment", h.ID)
	}
	if p.AmountCents != a.TotalPaidCents {
		return "", codes.New(codes.PreconditionFailed, "fhir: claim %s was paid %d cents, adjudicated %d", h.ID, p.AmountCents, a.TotalPaidCents)
	}
	status, ok := clpStatus[a.Outcome]
	if !ok {
		return "", invalid("adjudication outcome %q has no CLP02 mapping", a.Outcome)
	}
	switch h.FrequencyCode {
	case claimstypes.FrequencyOriginal, claimstypes.FrequencyReplacement, claimstypes.FrequencyVoid:
	default:
		return "", invalid("claim frequency code %q has no CLP09 mapping", h.FrequencyCode)
	}
	if opts.SenderID == "" {
		opts.SenderID = h.Insurer
	}
	if opts.ReceiverID == "" {
		opts.ReceiverID = h.Provider
	}
	if opts.Control == 0 {
		opts.Control = 1
	}
	if opts.At.IsZero() {
		opts.At = p.PaidAt
	}
	if opts.Control < 1 || opts.Control > 999_999_999 {
		return "", invalid("interchange control number %d is outside 1..999999999", opts.Control)
	}
	for _, s := range []string{opts.SenderID, opts.ReceiverID} {
		if s == "" || len(s) > 15 {
			return "", invalid("interchange sender and receiver ids must have 1-15 characters, got %q", s)
		}
	}
	if len(a.Lines) != len(rec.Details.Lines) {
		return "", invalid("the adjudication has %d lines, the details %d", len(a.Lines), len(rec.Details.Lines))
	}
	at := opts.At.UTC()
	usage := "T"
	if opts.Production {
		usage = "P"
	}
	w := &x12Writer{}
	// Every value the segments carry comes from the ledger's validated ids and codes; a delimiter in
	// one would break the document, so it is refused.
	w.seg("ISA", "00", pad(""), "00", pad(""), "ZZ", fmt.Sprintf("%-15s", opts.SenderID), "ZZ", fmt.Sprintf("%-15s", opts.ReceiverID),
		at.Format("060102"), at.Format("1504"), string(x12Repetition), "00501", fmt.Sprintf("%09d", opts.Control), "0", usage, string(x12Component))
	ctl := strconv.Itoa(opts.Control)
	w.seg("GS", "HP", opts.SenderID, opts.ReceiverID, at.Format("20060102"), at.Format("1504"), ctl, "X", X12Version)
	stStart := len(w.segs)
	w.seg("ST", "835", "0001", X12Version)
	paidDate := p.PaidAt.UTC().Format("20060102")
	if p.AmountCents > 0 {
		w.seg("BPR", "I", amount(p.AmountCents), "C", "CHK", "", "", "", "", "", "", "", "", "", "", "", paidDate)
	} else {
		w.seg("BPR", "H", amount(0), "C", "NON", "", "", "", "", "", "", "", "", "", "", "", paidDate)
	}
	w.seg("TRN", "1", p.PaymentRef, h.Insurer)
	w.seg("DTM", "405", paidDate)
	w.seg("N1", "PR", h.InsurerMSP)
	w.seg("REF", "2U", h.Insurer)
	switch h.ClaimType {
	case claimstypes.ClaimProfessional:
		w.seg("N1", "PE", h.ProviderMSP, "XX", h.Provider)
	case claimstypes.ClaimPharmacy:
		w.seg("N1", "PE", h.ProviderMSP)
		w.seg("REF", "PQ", h.Provider)
	default:
		return "", invalid("claim type %q has no payee mapping", h.ClaimType)
	}
	w.seg("LX", "1")
	w.seg("CLP", h.ID, status, amount(a.TotalChargeCents), amount(a.TotalPaidCents), amount(a.TotalPatientRespCents), "CI", h.ID, "", string(h.FrequencyCode))
	w.seg("NM1", "QC", "1", "", "", "", "", "", "MI", h.Patient)
	w.seg("DTM", "050", h.SubmittedAt.UTC().Format("20060102"))
	for i, lr := range a.Lines {
		code, kind, ok := claimstypes.NormalizeServiceCode(lr.Code)
		if !ok {
			return "", invalid("adjudicated line %d: its code is not a CPT, HCPCS, NDC or GTIN code", i+1)
		}
		q, ok := x12Qualifier[kind]
		if !ok {
			return "", invalid("service line %d: a %s code has no SVC01 qualifier", i+1, kind)
		}
		w.seg("SVC", q+string(x12Component)+code, amount(lr.ChargeCents), amount(lr.PaidCents), "", strconv.FormatInt(rec.Details.Lines[i].Quantity, 10))
		d, ok := claimstypes.ParseDate(lr.ServiceDate)
		if !ok {
			return "", invalid("service line %d: its date is not YYYY-MM-DD", i+1)
		}
		w.seg("DTM", "472", d.Format("20060102"))
		if err := casSegments(w, lr.Adjustments); err != nil {
			return "", fmt.Errorf("service line %d: %w", i+1, err)
		}
		w.seg("REF", "6R", strconv.Itoa(lr.Sequence))
		w.seg("AMT", "B6", amount(lr.AllowedCents))
	}
	w.seg("SE", strconv.Itoa(len(w.segs)-stStart+1), "0001")
	w.seg("GE", "1", ctl)
	w.seg("IEA", "1", fmt.Sprintf("%09d", opts.Control))
	if w.err != nil {
		return "", w.err
	}
	return strings.Join(w.segs, "\n") + "\n", nil
}

// casSegments writes a line's adjustments as CAS segments: one per group, in the order the groups
// first appear, each with up to six reason/amount pairs.
func casSegments(w *x12Writer, adjs []claimstypes.Adjustment) error {
	var order []string
	byGroup := map[string][]claimstypes.Adjustment{}
	for _, a := range adjs {
		if err := checkAdjustment(a); err != nil {
			return err
		}
		if _, seen := byGroup[a.Group]; !seen {
			order = append(order, a.Group)
		}
		byGroup[a.Group] = append(byGroup[a.Group], a)
	}
	for _, g := range order {
		list := byGroup[g]
		for len(list) > 0 {
			n := min(6, len(list))
			els := []string{g}
			for j, a := range list[:n] {
				if j > 0 {
					els = append(els, "") // CAS quantity of the previous pair
				}
				els = append(els, a.Reason, amount(a.AmountCents))
			}
			w.seg("CAS", els...)
			list = list[n:]
		}
	}
	return nil
}

// x12Writer collects segments and the first delimiter found in a value.
type x12Writer struct {
	segs []string
	err  error
}

func (w *x12Writer) seg(id string, els ...string) {
	for i, e := range els {
		bad := string([]rune{x12Element, x12Segment, x12Component, x12Repetition, '\n', '\r'})
		switch {
		case id == "ISA" && (i == 10 || i == 15): // the repetition and component separators themselves
			continue
		case id == "SVC" && i == 0: // the composite qualifier:code, built here
			e = strings.Replace(e, string(x12Component), "", 1)
		}
		if strings.ContainsAny(e, bad) && w.err == nil {
			w.err = invalid("a value of the %s segment holds an X12 delimiter", id)
		}
	}
	for len(els) > 0 && els[len(els)-1] == "" {
		els = els[:len(els)-1]
	}
	w.segs = append(w.segs, id+string(x12Element)+strings.Join(els, string(x12Element))+string(x12Segment))
}

func pad(s string) string { return fmt.Sprintf("%-10s", s) }

// amount writes cents as an X12 decimal: no trailing zeros after the point, no point for whole
// dollars ("120", "120.5", "123.45").
func amount(cents int64) string {
	s := string(decimal(cents))
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}
