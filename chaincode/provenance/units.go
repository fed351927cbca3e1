package provenance

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/internal/txstate"
	"github.com/healthledger/healthledger/chaincode/provenance/provenancetypes"
	"github.com/healthledger/healthledger/chaincode/wire"
)

// Dispense records that a pharmacist dispensed one unit it holds. eventJSON is an optional
// EventContext ("" for none); its eventId makes a retry safe: the same pharmacist dispensing the same
// unit under the same eventId again gets DUPLICATE.
//
// Only the unit's holder dispenses it: anyone else is FORBIDDEN and changes nothing, whether the unit
// is dispensed or not. A dispensed unit stays with the party that dispensed it (its last holder), so
// only that party can dispense it again. When it does (a second pack with the same serial at its
// counter, or two of its terminals racing on one unit), that is a double dispense: the transaction
// commits, flags the unit suspect, records a DispenseRejected event and the organisation's report
// against the batch, and answers Accepted false with Code PRECONDITION_FAILED (the SDK turns that
// answer into an error). A failed transaction could not have kept the flag. The batch as a whole
// becomes suspect only once organisations of SuspectQuorum distinct MSPs have reported a double
// dispense in it (or an auditor flags it: FlagSuspect).
func (c *Contract) Dispense(ctx txstate.Context, gtin, serial, eventJSON string) (*provenancetypes.DispenseResult, error) {
	_, me, err := requireParty(ctx, "Dispense", wire.RolePharmacist)
	if err != nil {
		return nil, err
	}
	if gtin, err = unitArgs(gtin, serial); err != nil {
		return nil, err
	}
	ec, err := eventContext(eventJSON)
	if err != nil {
		return nil, err
	}
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	u, k, b, err := t.loadUnit(gtin, serial)
	if err != nil {
		return nil, err
	}
	holder, status, _, _ := u.effective(b)
	if holder != me {
		return nil, codes.New(codes.Forbidden, "unit %s serial %s is held by %s, not %s", gtin, serial, holder, me)
	}
	ev, err := t.newEvent(provenancetypes.EventDispensed, ec, me, gtin, u.Lot)
	if err != nil {
		return nil, err
	}
	ev.Action, ev.BizStep, ev.Scope, ev.Serials, ev.Quantity = provenancetypes.ActionObserve, provenancetypes.BizStepDispensing, provenancetypes.ScopeUnits, []string{serial}, 1
	if status == provenancetypes.UnitDispensed {
		if ec.EventID != "" && u.DispenseEventID == ec.EventID && u.DispensedBy != nil && *u.DispensedBy == me {
			return nil, codes.New(codes.Duplicate, "dispense %s of unit %s serial %s is already recorded", ec.EventID, gtin, serial)
		}
		return t.rejectDispense(me, serial, u, k, b, ev)
	}
	if err := sellable(b, status, t.now); err != nil {
		return nil, err
	}
	if u.detach(b, t.pos()) {
		// The unit leaves the main stock: keep its count exact (this writes the batch key, so
		// dispensing out of a main stock serialises on it; units shipped on their own do not).
		prev := b.StatusTags()
		b.MainStock--
		if err := t.putBatch(b, prev); err != nil {
			return nil, err
		}
	}
	at := t.now
	dispenser := me
	u.Status, u.DispensedBy, u.DispensedAt, u.DispenseEventID = provenancetypes.UnitDispensed, &dispenser, &at, ev.EventID
	if err := t.PutJSON(k, u); err != nil {
		return nil, err
	}
	ev.Disposition = provenancetypes.DispositionDispensed
	if err := t.record(ev, indexUnits); err != nil {
		return nil, err
	}
	return &provenancetypes.DispenseResult{Accepted: true, Unit: *unitView(gtin, serial, u, b), Event: *ev}, nil
}

// sellable returns PRECONDITION_FAILED unless a unit in the given status of batch b may be sold now.
func sellable(b *provenancetypes.Batch, status string, now time.Time) error {
	switch {
	case status != provenancetypes.UnitActive:
		return codes.New(codes.PreconditionFailed, "the unit is %s", status)
	case b.Recalled:
		return codes.New(codes.PreconditionFailed, "batch %s lot %s is recalled", b.GTIN, b.Lot)
	case b.Quarantined:
		return codes.New(codes.PreconditionFailed, "batch %s lot %s is quarantined", b.GTIN, b.Lot)
	case b.Excursion:
		return codes.New(codes.PreconditionFailed, "batch %s lot %s has a temperature excursion awaiting an auditor", b.GTIN, b.Lot)
	}
	if expired(b.Expiry, now) {
		return codes.New(codes.PreconditionFailed, "batch %s lot %s expired on %s", b.GTIN, b.Lot, b.Expiry)
	}
	return nil
}

// expired reports whether a product with the given expiry date (YYYY-MM-DD) is expired at now: it may
// be used through its expiry date, in UTC.
func expired(expiry string, now time.Time) bool {
	d, err := provenancetypes.ParseDate(expiry)
	if err != nil {
		return true
	}
	return now.UTC().Format(provenancetypes.DateLayout) > d.Format(provenancetypes.DateLayout)
}

// rejectDispense commits a double dispense by the unit's holder: the unit becomes suspect, and the
// holder's organisation reports it against the batch (reportSuspect).
func (t *txn) rejectDispense(me provenancetypes.Party, serial string, u *unitRecord, k string, b *provenancetypes.Batch, ev *provenancetypes.Event) (*provenancetypes.DispenseResult, error) {
	when := ""
	if u.DispensedAt != nil {
		when = " at " + u.DispensedAt.Format(time.RFC3339)
	}
	reason := "unit " + b.GTIN + " serial " + serial + " was already dispensed by " + me.String() + when
	flag := provenancetypes.Flag{Reason: "double dispense: " + reason + "; dispensed again by its holder", At: t.now, By: me}
	if u.Suspect == nil {
		u.Suspect, u.SuspectCleared = &flag, nil
	}
	if err := t.PutJSON(k, u); err != nil {
		return nil, err
	}
	flagged, err := t.reportSuspect(b, me, serial)
	if err != nil {
		return nil, err
	}
	idx := indexUnits
	if flagged {
		idx = indexUnitsAndBatch
	}
	ev.Type, ev.Disposition, ev.Reason = provenancetypes.EventDispenseRejected, provenancetypes.DispositionNonSellableOther, flag.Reason
	if flagged {
		ev.Reason += "; " + b.SuspectInfo.Reason
	}
	if err := t.record(ev, idx); err != nil {
		return nil, err
	}
	return &provenancetypes.DispenseResult{
		Accepted: false, Code: string(codes.PreconditionFailed), Reason: reason,
		Unit: *unitView(b.GTIN, serial, u, b), Event: *ev,
	}, nil
}

// reportSuspect records the report of by's organisation against batch b (its first standing report
// only: one organisation is one party, whatever number of GLNs its CA issues) and flags the batch
// suspect once SuspectQuorum distinct organisations report. It reports whether it flagged the batch.
func (t *txn) reportSuspect(b *provenancetypes.Batch, by provenancetypes.Party, serial string) (bool, error) {
	if slices.ContainsFunc(b.SuspectReports, func(r provenancetypes.SuspectReport) bool { return r.By.MSPID == by.MSPID }) {
		return false, nil
	}
	prev := b.StatusTags()
	b.SuspectReports = append(b.SuspectReports, provenancetypes.SuspectReport{By: by, Serial: serial, At: t.now, TxID: t.txID})
	flagged := false
	if !b.Suspect && len(b.SuspectReports) >= provenancetypes.SuspectQuorum {
		names := make([]string, len(b.SuspectReports))
		for i, r := range b.SuspectReports {
			names[i] = r.By.String() + " (serial " + r.Serial + ")"
		}
		reason := fmt.Sprintf("double dispenses reported by %d organisations: %s", len(names), strings.Join(names, ", "))
		b.Suspect, b.SuspectInfo, flagged = true, &provenancetypes.Flag{Reason: reason, At: t.now, By: by}, true
	}
	return flagged, t.putBatch(b, prev)
}

// terminal describes Decommission and Destroy.
type terminal struct {
	action      string
	status      string
	event       string
	bizStep     string
	disposition string
	from        []string // statuses it may start from
}

func (tm terminal) allowed(status string) bool {
	for _, s := range tm.from {
		if s == status {
			return true
		}
	}
	return false
}

// Decommission takes units out of the supply chain (EPCIS decommissioning). actionJSON is a
// UnitAction: without serials it decommissions the batch's main stock the caller holds. Only the
// custodian decommissions, and only active units.
func (c *Contract) Decommission(ctx txstate.Context, actionJSON string) (*provenancetypes.Event, error) {
	return c.finish(ctx, actionJSON, terminal{
		action: "Decommission", status: provenancetypes.UnitDecommissioned, event: provenancetypes.EventDecommissioned,
		bizStep: provenancetypes.BizStepDecommissioning, disposition: provenancetypes.DispositionInactive, from: []string{provenancetypes.UnitActive},
	})
}

// Destroy records the destruction of units (EPCIS destroying), for example of quarantined or recalled
// stock. actionJSON is a UnitAction: without serials it destroys the batch's main stock the caller
// holds. Only the custodian destroys, and only active or decommissioned units.
func (c *Contract) Destroy(ctx txstate.Context, actionJSON string) (*provenancetypes.Event, error) {
	return c.finish(ctx, actionJSON, terminal{
		action: "Destroy", status: provenancetypes.UnitDestroyed, event: provenancetypes.EventDestroyed,
		bizStep: provenancetypes.BizStepDestroying, disposition: provenancetypes.DispositionDestroyed, from: []string{provenancetypes.UnitActive, provenancetypes.UnitDecommissioned},
	})
}

func (c *Contract) finish(ctx txstate.Context, actionJSON string, tm terminal) (*provenancetypes.Event, error) {
	_, me, err := requireParty(ctx, tm.action, supplyRoles...)
	if err != nil {
		return nil, err
	}
	spec, err := decodeSpec[provenancetypes.UnitAction]("action", actionJSON)
	if err != nil {
		return nil, err
	}
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	b, err := t.getBatch(spec.GTIN, spec.Lot)
	if err != nil {
		return nil, err
	}
	ev, err := t.newEvent(tm.event, spec.EventContext, me, spec.GTIN, spec.Lot)
	if err != nil {
		return nil, err
	}
	prev := b.StatusTags()
	idx := indexUnits
	if spec.Serials == nil {
		if b.Custody.Holder != me {
			return nil, codes.New(codes.Forbidden, "the main stock of batch %s lot %s is held by %s, not %s", b.GTIN, b.Lot, b.Custody.Holder, me)
		}
		if !tm.allowed(b.Custody.State) {
			return nil, codes.New(codes.PreconditionFailed, "the main stock of batch %s lot %s is %s", b.GTIN, b.Lot, b.Custody.State)
		}
		b.Custody.State = tm.status
		if err := t.putBatch(b, prev); err != nil {
			return nil, err
		}
		ev.Quantity, idx = b.MainStock, indexStock
	} else {
		left, err := t.moveUnits(b, me, spec.Serials, func(serial, status string) error {
			if !tm.allowed(status) {
				return codes.New(codes.PreconditionFailed, "unit %s serial %s is %s", b.GTIN, serial, status)
			}
			return nil
		}, func(u *unitRecord) { u.Status = tm.status })
		if err != nil {
			return nil, err
		}
		if left > 0 {
			b.MainStock -= left
			if err := t.putBatch(b, prev); err != nil {
				return nil, err
			}
		}
		ev.Serials, ev.Quantity = spec.Serials, len(spec.Serials)
	}
	ev.Action, ev.BizStep, ev.Disposition, ev.Scope, ev.Reason = provenancetypes.ActionDelete, tm.bizStep, tm.disposition, scopeOf(idx), spec.Reason
	if err := t.record(ev, idx); err != nil {
		return nil, err
	}
	return ev, nil
}
