package main

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/healthledger/healthledger/chaincode/claims/claimstypes"
	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/consent/consenttypes"
	"github.com/healthledger/healthledger/chaincode/provenance/provenancetypes"
	"github.com/healthledger/healthledger/chaincode/wire"
	"github.com/healthledger/healthledger/gateway-client/sdktest"
)

// ledger plays the four chaincodes for the demo, the way they answer on a live network, as far as
// the demo's stories go: one in-memory world state, every org's peer up to date at once. Calls
// named in fail fail with the given error instead.
type ledger struct {
	mu   sync.Mutex
	fail map[string]error // "chaincode.Function": the error it returns

	kv map[string]string

	consents []consenttypes.Consent
	accesses []consenttypes.AccessEntry

	parties   map[provenancetypes.Party]provenancetypes.PartyRecord
	products  map[string]provenancetypes.Product
	batches   map[string]*fakeBatch // by GTIN and lot
	shipments map[string]*provenancetypes.Shipment

	coverages map[string]*fakeCoverage
	claims    map[string]*fakeClaim
}

type fakeBatch struct {
	batch     provenancetypes.Batch
	holders   map[string]provenancetypes.Party // by serial
	serials   []string
	dispensed map[string]bool
}

type fakeCoverage struct {
	header claimstypes.CoverageHeader
	terms  claimstypes.CoverageTerms
}

type fakeClaim struct {
	header claimstypes.ClaimHeader
	record claimstypes.ClaimRecord
}

func newLedger() *ledger {
	return &ledger{
		fail: map[string]error{}, kv: map[string]string{},
		parties: map[provenancetypes.Party]provenancetypes.PartyRecord{}, products: map[string]provenancetypes.Product{},
		batches: map[string]*fakeBatch{}, shipments: map[string]*provenancetypes.Shipment{},
		coverages: map[string]*fakeCoverage{}, claims: map[string]*fakeClaim{},
	}
}

// failWith makes chaincode.function fail with err.
func (l *ledger) failWith(fn string, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.fail[fn] = err
}

func (l *ledger) handle(_ context.Context, call sdktest.Call) ([]byte, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.fail[call.Chaincode+"."+call.Function]; err != nil {
		return nil, err
	}
	var res any
	var err error
	switch call.Chaincode {
	case "baseline":
		return l.baseline(call)
	case "consent":
		res, err = l.consent(call)
	case "provenance":
		res, err = l.provenance(call)
	case "claims":
		res, err = l.claimsCC(call)
	default:
		return nil, codes.New(codes.NotFound, "chaincode %s", call.Chaincode)
	}
	if err != nil {
		return nil, err
	}
	if call.Function == "GetClaimDetails" || call.Function == "GetCoverageTerms" || call.Function == "GetRecordDetails" {
		// The private reads answer sealed, as the chaincodes do.
		return sdktest.Sealed(call, res)
	}
	return json.Marshal(res)
}

func unknown(call sdktest.Call) error {
	return codes.New(codes.InvalidArgument, "%s has no function %s", call.Chaincode, call.Function)
}

func decode(what, raw string, v any) error {
	if err := json.Unmarshal([]byte(raw), v); err != nil {
		return codes.New(codes.InvalidArgument, "%s: %v", what, err)
	}
	return nil
}

func (l *ledger) baseline(call sdktest.Call) ([]byte, error) {
	switch call.Function {
	case "Write":
		l.kv[call.Args[0]] = call.Args[1]
		return nil, nil
	case "Read":
		v, ok := l.kv[call.Args[0]]
		if !ok {
			return nil, codes.New(codes.NotFound, "key %s", call.Args[0])
		}
		return []byte(v), nil
	}
	return nil, unknown(call)
}

func callerGrantee(call sdktest.Call) consenttypes.Grantee {
	return consenttypes.Grantee{MSPID: call.Caller.MSPID, Role: call.Caller.Role, Subject: call.Caller.Subject}
}

func (l *ledger) consent(call sdktest.Call) (any, error) {
	now := time.Now().UTC()
	switch call.Function {
	case "RegisterPatient":
		if call.Caller.Role != "patient" {
			return nil, codes.New(codes.Forbidden, "not a patient")
		}
		return consenttypes.PatientBinding{Patient: call.Caller.Subject, MSPID: call.Caller.MSPID}, nil
	case "Grant":
		var c consenttypes.Consent
		if err := decode("consent", call.Args[0], &c); err != nil {
			return nil, err
		}
		if call.Caller.Role != consenttypes.RolePatient || call.Caller.Subject != c.Patient {
			return nil, codes.New(codes.Forbidden, "only patient %s grants their consents", c.Patient)
		}
		for _, old := range l.consents {
			if old.ID == c.ID {
				if old.Status == consenttypes.StatusActive && old.SameTerms(&c) {
					return nil, codes.New(codes.Duplicate, "consent %s is granted", c.ID)
				}
				return nil, codes.New(codes.Conflict, "consent %s exists with other terms", c.ID)
			}
		}
		c.Status, c.Version, c.Grantor, c.CreatedAt, c.CreatedBy = consenttypes.StatusActive, 1, c.Patient, now, callerGrantee(call).String()
		l.consents = append(l.consents, c)
		return c, nil
	case "Revoke":
		for i := range l.consents {
			c := &l.consents[i]
			if c.ID != call.Args[0] {
				continue
			}
			if call.Caller.Subject != c.Patient {
				return nil, codes.New(codes.Forbidden, "only patient %s revokes consent %s", c.Patient, c.ID)
			}
			c.Status, c.Version, c.RevokedAt, c.RevokeReason = consenttypes.StatusInactive, c.Version+1, now, call.Args[1]
			return *c, nil
		}
		return nil, codes.New(codes.NotFound, "consent %s", call.Args[0])
	case "CheckAccess":
		g, err := consenttypes.ParseGrantee(call.Args[1])
		if err != nil {
			return nil, err
		}
		return consenttypes.Decide(l.consents, consenttypes.Request{Patient: call.Args[0], Grantee: g,
			Action: consenttypes.Action(call.Args[2]), Purpose: consenttypes.Purpose(call.Args[3]), Class: consenttypes.DataClass(call.Args[4])}, now), nil
	case "RecordAccess":
		req := consenttypes.Request{Patient: call.Args[0], Grantee: callerGrantee(call), Action: consenttypes.ActionAccess,
			Class: consenttypes.DataClass(call.Args[1]), Purpose: consenttypes.Purpose(call.Args[2])}
		d := consenttypes.Decide(l.consents, req, now)
		if !d.Permitted() {
			return nil, codes.New(codes.Forbidden, "%s", d.Reason)
		}
		e := consenttypes.AccessEntry{ID: call.Args[3] + "@" + call.TransactionID, Patient: req.Patient, Accessor: req.Grantee.String(),
			Action: req.Action, DataClass: req.Class, Purpose: req.Purpose, RecordID: call.Args[3], ConsentIDs: d.ConsentIDs, At: now,
			TxID: call.TransactionID}
		l.accesses = append(l.accesses, e)
		return e, nil
	case "ListAccessLog":
		page := consenttypes.AccessLogPage{Items: []consenttypes.AccessEntry{}}
		for _, e := range l.accesses {
			if e.Patient == call.Args[0] {
				page.Items = append(page.Items, e)
			}
		}
		return page, nil
	}
	return nil, unknown(call)
}

func callerParty(call sdktest.Call) provenancetypes.Party {
	return provenancetypes.Party{MSPID: call.Caller.MSPID, GLN: call.Caller.Subject}
}

func (l *ledger) batchOf(gtin, lot string) (*fakeBatch, error) {
	b, ok := l.batches[gtin+"|"+lot]
	if !ok {
		return nil, codes.New(codes.NotFound, "batch %s of %s", lot, gtin)
	}
	return b, nil
}

func (l *ledger) provenance(call sdktest.Call) (any, error) {
	now := time.Now().UTC()
	me := callerParty(call)
	switch call.Function {
	case "RegisterParty":
		if _, ok := l.parties[me]; ok {
			return nil, codes.New(codes.Duplicate, "party %s is registered", me)
		}
		rec := provenancetypes.PartyRecord{MSPID: me.MSPID, GLN: me.GLN, Role: call.Caller.Role, RegisteredAt: now}
		l.parties[me] = rec
		return rec, nil
	case "GetParty":
		rec, ok := l.parties[provenancetypes.Party{MSPID: call.Args[0], GLN: call.Args[1]}]
		if !ok {
			return nil, codes.New(codes.NotFound, "party %s@%s", call.Args[1], call.Args[0])
		}
		return rec, nil
	case "RegisterProduct":
		var spec provenancetypes.ProductSpec
		if err := decode("product", call.Args[0], &spec); err != nil {
			return nil, err
		}
		p := provenancetypes.Product{GTIN: spec.GTIN, Name: spec.Name, Strength: spec.Strength, DosageForm: spec.DosageForm, Manufacturer: me, RegisteredAt: now}
		if spec.Storage != nil {
			p.Storage = *spec.Storage
		}
		l.products[p.GTIN] = p
		return p, nil
	case "CommissionBatch":
		var spec provenancetypes.BatchSpec
		if err := decode("batch", call.Args[0], &spec); err != nil {
			return nil, err
		}
		if _, ok := l.products[spec.GTIN]; !ok {
			return nil, codes.New(codes.NotFound, "product %s", spec.GTIN)
		}
		b := &fakeBatch{holders: map[string]provenancetypes.Party{}, dispensed: map[string]bool{}, serials: slices.Clone(spec.Serials)}
		b.batch = provenancetypes.Batch{GTIN: spec.GTIN, Lot: spec.Lot, ManufacturedOn: spec.ManufacturedOn, Expiry: spec.Expiry,
			Quantity: spec.Quantity, SerialCount: len(spec.Serials), Manufacturer: me, Status: "active",
			Custody: provenancetypes.Custody{Holder: me, State: "held"}}
		for _, s := range spec.Serials {
			b.holders[s] = me
		}
		l.batches[spec.GTIN+"|"+spec.Lot] = b
		return b.batch, nil
	case "Ship":
		var spec provenancetypes.ShipmentSpec
		if err := decode("shipment", call.Args[0], &spec); err != nil {
			return nil, err
		}
		b, err := l.batchOf(spec.GTIN, spec.Lot)
		if err != nil {
			return nil, err
		}
		if _, ok := l.parties[spec.Receiver]; !ok {
			return nil, codes.New(codes.NotFound, "party %s", spec.Receiver)
		}
		units := spec.Serials
		if len(units) == 0 {
			for _, s := range b.serials {
				if b.holders[s] == me && !b.dispensed[s] {
					units = append(units, s)
				}
			}
		}
		for _, s := range units {
			if b.holders[s] != me {
				return nil, codes.New(codes.PreconditionFailed, "%s does not hold unit %s", me, s)
			}
		}
		sh := &provenancetypes.Shipment{ShipmentID: spec.ShipmentID, GTIN: spec.GTIN, Lot: spec.Lot, WholeBatch: len(spec.Serials) == 0,
			Serials: units, Quantity: len(units), Sender: me, Receiver: spec.Receiver, Status: "in_transit", ShippedAt: now}
		l.shipments[sh.ShipmentID] = sh
		return sh, nil
	case "Receive":
		sh, ok := l.shipments[call.Args[0]]
		if !ok {
			return nil, codes.New(codes.NotFound, "shipment %s", call.Args[0])
		}
		if sh.Receiver != me {
			return nil, codes.New(codes.Forbidden, "shipment %s is addressed to %s", sh.ShipmentID, sh.Receiver)
		}
		b, err := l.batchOf(sh.GTIN, sh.Lot)
		if err != nil {
			return nil, err
		}
		for _, s := range sh.Serials {
			b.holders[s] = me
		}
		sh.Status, sh.ReceivedAt = "received", &now
		return sh, nil
	case "Verify":
		gtin, serial, lot, expiry := call.Args[0], call.Args[1], call.Args[2], call.Args[3]
		v := provenancetypes.VerifyResult{GTIN: gtin, Serial: serial, CheckedAt: now}
		exp, err := provenancetypes.ParseDate(expiry)
		if err != nil {
			return nil, codes.New(codes.InvalidArgument, "expiry: %v", err)
		}
		var b *fakeBatch
		for _, x := range l.batches {
			if x.batch.GTIN == gtin && slices.Contains(x.serials, serial) {
				b = x
			}
		}
		switch {
		case b == nil:
			v.Result = provenancetypes.VerifyUnknownSerial
		case b.batch.Lot != lot:
			v.Result = provenancetypes.VerifyLotMismatch
		case exp.Format(provenancetypes.DateLayout) != b.batch.Expiry:
			v.Result = provenancetypes.VerifyExpiryMismatch
		case b.batch.Recalled:
			v.Result = provenancetypes.VerifyRecalled
		case b.dispensed[serial]:
			v.Result = provenancetypes.VerifyDispensed
		default:
			v.Result = provenancetypes.VerifyVerified
		}
		v.Suspect = b != nil && b.batch.Suspect
		return v, nil
	case "Dispense":
		var ec provenancetypes.EventContext
		if err := decode("event context", call.Args[2], &ec); err != nil {
			return nil, err
		}
		gtin, serial := call.Args[0], call.Args[1]
		for _, b := range l.batches {
			if b.batch.GTIN != gtin || !slices.Contains(b.serials, serial) {
				continue
			}
			if b.dispensed[serial] {
				b.batch.Suspect = true
				return provenancetypes.DispenseResult{Accepted: false, Code: string(codes.PreconditionFailed),
					Reason: "unit " + serial + " was already dispensed", Event: provenancetypes.Event{EventID: ec.EventID, Actor: me}}, nil
			}
			if b.holders[serial] != me {
				return nil, codes.New(codes.Forbidden, "%s does not hold unit %s", me, serial)
			}
			b.dispensed[serial] = true
			return provenancetypes.DispenseResult{Accepted: true, Event: provenancetypes.Event{EventID: ec.EventID, GTIN: gtin,
				Lot: b.batch.Lot, Serials: []string{serial}, Quantity: 1, Actor: me, EventTime: now, RecordTime: now}}, nil
		}
		return nil, codes.New(codes.NotFound, "unit %s of %s", serial, gtin)
	case "Recall":
		b, err := l.batchOf(call.Args[0], call.Args[1])
		if err != nil {
			return nil, err
		}
		if b.batch.Manufacturer != me {
			return nil, codes.New(codes.Forbidden, "only the manufacturer recalls lot %s", b.batch.Lot)
		}
		b.batch.Recalled = true
		e := provenancetypes.Event{GTIN: b.batch.GTIN, Lot: b.batch.Lot, Actor: me, Reason: call.Args[2], EventTime: now, RecordTime: now}
		for _, s := range b.serials {
			if h := b.holders[s]; !b.dispensed[s] && !slices.Contains(e.Holders, h) {
				e.Holders = append(e.Holders, h)
			}
		}
		return e, nil
	}
	return nil, unknown(call)
}

func (l *ledger) claimOf(id string) (*fakeClaim, error) {
	c, ok := l.claims[id]
	if !ok {
		return nil, codes.New(codes.NotFound, "claim %s", id)
	}
	return c, nil
}

func (l *ledger) claimsCC(call sdktest.Call) (any, error) {
	now := time.Now().UTC()
	insurerOnly := func(c *fakeClaim) error {
		if call.Caller.MSPID != c.header.InsurerMSP || call.Caller.Role != "insurer" {
			return codes.New(codes.Forbidden, "only an insurer of %s may", c.header.InsurerMSP)
		}
		return nil
	}
	switch call.Function {
	case "RegisterCoverage":
		if call.Caller.Role != "insurer" {
			return nil, codes.New(codes.Forbidden, "only insurers register coverages")
		}
		var t claimstypes.CoverageTerms
		if err := wire.DecodeStrict("coverage terms", call.Transient[claimstypes.TransientCoverage], &t); err != nil {
			return nil, err
		}
		h := claimstypes.CoverageHeader{ID: call.Args[0], InsurerMSP: call.Caller.MSPID, Insurer: call.Caller.Subject, Member: t.Member,
			TermsHash: claimstypes.HashTerms(t), RegisteredAt: now, UpdatedAt: now}
		l.coverages[h.ID] = &fakeCoverage{header: h, terms: t.Normalized()}
		return h, nil
	case "GetCoverage":
		cov, ok := l.coverages[call.Args[0]]
		if !ok {
			return nil, codes.New(codes.NotFound, "coverage %s", call.Args[0])
		}
		return cov.header, nil
	case "SubmitClaim":
		var sub claimstypes.ClaimSubmission
		if err := wire.DecodeStrict("claim", []byte(call.Args[0]), &sub); err != nil {
			return nil, err
		}
		var d claimstypes.ClaimDetails
		if err := wire.DecodeStrict("claim details", call.Transient[claimstypes.TransientClaim], &d); err != nil {
			return nil, err
		}
		cov, ok := l.coverages[sub.CoverageID]
		if !ok {
			return nil, codes.New(codes.NotFound, "coverage %s", sub.CoverageID)
		}
		decision := consenttypes.Decide(l.consents, consenttypes.Request{Patient: sub.Patient, Grantee: consenttypes.Grantee{MSPID: cov.header.InsurerMSP},
			Action: consenttypes.ActionDisclose, Purpose: consenttypes.PurposePayment, Class: consenttypes.ClassClaim}, now)
		if !decision.Permitted() {
			return nil, codes.New(codes.Forbidden, "patient %s has not consented to disclose claims to %s for payment", sub.Patient, cov.header.InsurerMSP)
		}
		c := &fakeClaim{}
		c.header = claimstypes.ClaimHeader{ID: sub.ID, ClaimType: claimstypes.ClaimProfessional, ProviderMSP: call.Caller.MSPID,
			Provider: call.Caller.Subject, Patient: sub.Patient, InsurerMSP: cov.header.InsurerMSP, Insurer: cov.header.Insurer,
			CoverageID: sub.CoverageID, Status: claimstypes.StatusSubmitted, FrequencyCode: sub.Normalized().FrequencyCode,
			DetailsHash: claimstypes.HashDetails(d), SubmittedAt: now, UpdatedAt: now}
		c.record = claimstypes.ClaimRecord{ClaimID: sub.ID, DetailsHash: c.header.DetailsHash, Details: d.Normalized()}
		l.claims[sub.ID] = c
		return c.header, nil
	case "GetClaim":
		c, err := l.claimOf(call.Args[0])
		if err != nil {
			return nil, err
		}
		return c.header, nil
	case "GetClaimDetails":
		c, err := l.claimOf(call.Args[0])
		if err != nil {
			return nil, err
		}
		return c.record, nil
	case "Adjudicate":
		c, err := l.claimOf(call.Args[0])
		if err != nil {
			return nil, err
		}
		if err := insurerOnly(c); err != nil {
			return nil, err
		}
		c.record.Adjudication = adjudicate(l.coverages[c.header.CoverageID], c.record.Details, now)
		c.header.Status, c.header.Outcome, c.header.UpdatedAt = claimstypes.StatusAdjudicated, c.record.Adjudication.Outcome, now
		return c.header, nil
	case "Pay":
		c, err := l.claimOf(call.Args[0])
		if err != nil {
			return nil, err
		}
		if err := insurerOnly(c); err != nil {
			return nil, err
		}
		var p claimstypes.PaymentInput
		if err := wire.DecodeStrict("payment", call.Transient[claimstypes.TransientPayment], &p); err != nil {
			return nil, err
		}
		if a := c.record.Adjudication; a == nil || a.TotalPaidCents != p.AmountCents {
			return nil, codes.New(codes.PreconditionFailed, "claim %s: the payment is not the adjudicated amount", c.header.ID)
		}
		c.record.Payment = &claimstypes.Payment{AmountCents: p.AmountCents, PaymentRef: p.PaymentRef, PaidAt: now}
		c.header.Status, c.header.UpdatedAt = claimstypes.StatusPaid, now
		return c.header, nil
	}
	return nil, unknown(call)
}

// adjudicate allows each covered line up to its fee schedule, takes the deductible then the
// coinsurance from the allowed total, and pays the rest.
func adjudicate(cov *fakeCoverage, d claimstypes.ClaimDetails, now time.Time) *claimstypes.Adjudication {
	a := &claimstypes.Adjudication{Round: 1, CoverageID: cov.header.ID, TermsHash: cov.header.TermsHash, AdjudicatedAt: now}
	denied := 0
	for i, line := range d.Lines {
		r := claimstypes.LineResult{Sequence: i + 1, Code: line.Code, ServiceDate: line.ServiceDate, ChargeCents: line.ChargeCents(),
			Adjustments: []claimstypes.Adjustment{}}
		if !slices.Contains(cov.terms.CoveredCodes, line.Code) {
			r.Denied, denied = true, denied+1
		} else {
			r.AllowedCents = r.ChargeCents
			for _, f := range cov.terms.FeeSchedule {
				if f.Code == line.Code {
					r.AllowedCents = min(r.AllowedCents, line.Quantity*f.AllowedUnitCents)
				}
			}
		}
		a.Lines = append(a.Lines, r)
		a.TotalChargeCents += r.ChargeCents
		a.TotalAllowedCents += r.AllowedCents
	}
	deductible := min(cov.terms.DeductibleCents, a.TotalAllowedCents)
	a.TotalPatientRespCents = deductible + (a.TotalAllowedCents-deductible)*cov.terms.CoinsuranceBP/10_000
	a.TotalPaidCents = a.TotalAllowedCents - a.TotalPatientRespCents
	switch {
	case denied == len(d.Lines):
		a.Outcome = claimstypes.OutcomeDenied
	case denied > 0:
		a.Outcome = claimstypes.OutcomePartial
	default:
		a.Outcome = claimstypes.OutcomeApproved
	}
	return a
}

// consentOf returns the consent with id, for the tests to look at.
func (l *ledger) consentOf(id string) (consenttypes.Consent, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	i := slices.IndexFunc(l.consents, func(c consenttypes.Consent) bool { return c.ID == id })
	if i < 0 {
		return consenttypes.Consent{}, false
	}
	return l.consents[i], true
}

// consentIDs returns the ids of the consents granted so far that start with prefix.
func (l *ledger) consentIDs(prefix string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := []string{}
	for _, c := range l.consents {
		if strings.HasPrefix(c.ID, prefix) {
			out = append(out, c.ID)
		}
	}
	return out
}
