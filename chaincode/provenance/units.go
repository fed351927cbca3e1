package provenance

import (
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
// A unit is dispensed once. Any other dispense of a dispensed unit is a double dispense: the
// transaction commits, flags the unit and its batch suspect and records a DispenseRejected event, and
// answers Accepted false with Code PRECONDITION_FAILED (the SDK turns that answer into an error). A
// failed transaction could not have kept the flags.
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
	ev, err := t.newEvent(provenancetypes.EventDispensed, ec, me, gtin, u.Lot)
	if err != nil {
		return nil, err
	}
	ev.Action, ev.BizStep, ev.Scope, ev.Serials, ev.Quantity = provenancetypes.ActionObserve, provenancetypes.BizStepDispensing, provenancetypes.ScopeUnits, []string{serial}, 1
	holder, status, _, _ := u.effective(b)
	if status == provenancetypes.UnitDispensed {
		if ec.EventID != "" && u.DispenseEventID == ec.EventID && u.DispensedBy != nil && *u.DispensedBy == me {
			return nil, codes.New(codes.Duplicate, "dispense %s of unit %s serial %s is already recorded", ec.EventID, gtin, serial)
		}
		return t.rejectDispense(me, serial, u, k, b, ev)
	}
	if holder != me {
		return nil, codes.New(codes.Forbidden, "unit %s serial %s is held by %s, not %s", gtin, serial, holder, me)
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

// rejectDispense commits a double dispense: the unit and its batch become suspect.
func (t *txn) rejectDispense(me provenancetypes.Party, serial string, u *unitRecord, k string, b *provenancetypes.Batch, ev *provenancetypes.Event) (*provenancetypes.DispenseResult, error) {
	first := "an unknown party"
	when := ""
	if u.DispensedBy != nil {
		first = u.DispensedBy.String()
	}
	if u.DispensedAt != nil {
		when = " at " + u.DispensedAt.Format(time.RFC3339)
	}
	reason := "unit " + b.GTIN + " serial " + serial + " was already dispensed by " + first + when
	flag := provenancetypes.Flag{Reason: "double dispense: " + reason + "; attempted again by " + me.String(), At: t.now, By: me}
	if u.Suspect == nil {
		u.Suspect = &flag
	}
	if err := t.PutJSON(k, u); err != nil {
		return nil, err
	}
	if !b.Suspect {
		prev := b.StatusTags()
		b.Suspect, b.SuspectInfo = true, &flag
		if err := t.putBatch(b, prev); err != nil {
			return nil, err
		}
	}
	ev.Type, ev.Disposition, ev.Reason = provenancetypes.EventDispenseRejected, provenancetypes.DispositionNonSellableOther, flag.Reason
	if err := t.record(ev, indexUnits); err != nil {
		return nil, err
	}
	return &provenancetypes.DispenseResult{
		Accepted: false, Code: string(codes.PreconditionFailed), Reason: reason,
		Unit: *unitView(b.GTIN, serial, u, b), Event: *ev,
	}, nil
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
