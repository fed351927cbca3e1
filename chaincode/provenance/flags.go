package provenance

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/internal/ccutil"
	"github.com/healthledger/healthledger/chaincode/internal/txstate"
	"github.com/healthledger/healthledger/chaincode/provenance/provenancetypes"
	"github.com/healthledger/healthledger/chaincode/wire"
)

// openFlag starts the batch-flag transactions: it checks the caller's role, the (GTIN, lot) and the
// required text, and reads the batch.
func openFlag(ctx txstate.Context, action, gtin, lot, what, text string, roles ...string) (ccutil.Caller, *txn, *provenancetypes.Batch, error) {
	caller, err := ccutil.RequireRole(ctx, action, roles...)
	if err != nil {
		return ccutil.Caller{}, nil, nil, err
	}
	gtin, lot, err = batchArgs(gtin, lot)
	if err != nil {
		return ccutil.Caller{}, nil, nil, err
	}
	if err := provenancetypes.CheckText(what, text); err != nil {
		return ccutil.Caller{}, nil, nil, invalidArg(err)
	}
	t, err := begin(ctx)
	if err != nil {
		return ccutil.Caller{}, nil, nil, err
	}
	b, err := t.getBatch(gtin, lot)
	if err != nil {
		return ccutil.Caller{}, nil, nil, err
	}
	return caller, t, b, nil
}

// isBatchManufacturer reports whether the caller is the manufacturer of batch b.
func isBatchManufacturer(c ccutil.Caller, b *provenancetypes.Batch) bool {
	return c.Role == wire.RoleManufacturer && actorOf(c) == b.Manufacturer
}

// Recall recalls a batch: every unit of it becomes recalled wherever it is, in one write (units read
// the flag from their batch). Only the batch's manufacturer or an auditor recalls, with a reason. The
// Recalled event lists every current holder of the batch's units, so each can act on it. Recalling a
// recalled batch is DUPLICATE.
func (c *Contract) Recall(ctx txstate.Context, gtin, lot, reason string) (*provenancetypes.Event, error) {
	caller, t, b, err := openFlag(ctx, "Recall", gtin, lot, "reason", reason, wire.RoleManufacturer, wire.RoleAuditor)
	if err != nil {
		return nil, err
	}
	gtin, lot = b.GTIN, b.Lot // normalised
	if caller.Role != wire.RoleAuditor && !isBatchManufacturer(caller, b) {
		return nil, codes.New(codes.Forbidden, "only the manufacturer of batch %s lot %s (%s) or an auditor may recall it", gtin, lot, b.Manufacturer)
	}
	if b.Recalled {
		return nil, codes.New(codes.Duplicate, "batch %s lot %s is already recalled", gtin, lot)
	}
	holders, err := t.holders(gtin, lot)
	if err != nil {
		return nil, err
	}
	ev, err := t.newEvent(provenancetypes.EventRecalled, provenancetypes.EventContext{}, actorOf(caller), gtin, lot)
	if err != nil {
		return nil, err
	}
	prev := b.StatusTags()
	b.Recalled, b.Recall = true, &provenancetypes.Flag{Reason: reason, At: t.now, By: actorOf(caller)}
	if err := t.putBatch(b, prev); err != nil {
		return nil, err
	}
	ev.Action, ev.BizStep, ev.Disposition = provenancetypes.ActionObserve, provenancetypes.BizStepHolding, provenancetypes.DispositionRecalled
	ev.Scope, ev.Quantity, ev.Reason, ev.Holders = provenancetypes.ScopeBatch, b.SerialCount, reason, holders
	if err := t.record(ev, indexBatch); err != nil {
		return nil, err
	}
	return ev, nil
}

// Quarantine holds suspect product: the batch is not shipped or dispensed until released. The
// batch's manufacturer, an auditor, or a party holding units of the batch quarantines, with a reason.
// Quarantining a quarantined batch is DUPLICATE.
func (c *Contract) Quarantine(ctx txstate.Context, gtin, lot, reason string) (*provenancetypes.Event, error) {
	caller, t, b, err := openFlag(ctx, "Quarantine", gtin, lot, "reason", reason, wire.RoleManufacturer, wire.RoleDistributor, wire.RolePharmacist, wire.RoleAuditor)
	if err != nil {
		return nil, err
	}
	gtin, lot = b.GTIN, b.Lot // normalised
	allowed := caller.Role == wire.RoleAuditor || isBatchManufacturer(caller, b)
	if !allowed {
		_, holds, err := t.getHolding(gtin, lot, actorOf(caller))
		if err != nil {
			return nil, err
		}
		allowed = holds
	}
	if !allowed {
		return nil, codes.New(codes.Forbidden, "only the manufacturer, an auditor or a holder of batch %s lot %s may quarantine it", gtin, lot)
	}
	if b.Quarantined {
		return nil, codes.New(codes.Duplicate, "batch %s lot %s is already quarantined", gtin, lot)
	}
	return t.setFlag(b, caller, provenancetypes.EventQuarantined, reason, provenancetypes.BizStepHolding, provenancetypes.DispositionNonSellableOther, func(b *provenancetypes.Batch, f *provenancetypes.Flag) {
		b.Quarantined, b.Quarantine = true, f
	})
}

// ReleaseQuarantine lifts a quarantine. Only the batch's manufacturer or an auditor releases, with a
// note; a batch that is not quarantined is PRECONDITION_FAILED. (Quarantined stock can instead be
// destroyed by its holder with Destroy.)
func (c *Contract) ReleaseQuarantine(ctx txstate.Context, gtin, lot, note string) (*provenancetypes.Event, error) {
	caller, t, b, err := openFlag(ctx, "ReleaseQuarantine", gtin, lot, "note", note, wire.RoleManufacturer, wire.RoleAuditor)
	if err != nil {
		return nil, err
	}
	gtin, lot = b.GTIN, b.Lot // normalised
	if caller.Role != wire.RoleAuditor && !isBatchManufacturer(caller, b) {
		return nil, codes.New(codes.Forbidden, "only the manufacturer of batch %s lot %s or an auditor may release it", gtin, lot)
	}
	if !b.Quarantined {
		return nil, codes.New(codes.PreconditionFailed, "batch %s lot %s is not quarantined", gtin, lot)
	}
	return t.setFlag(b, caller, provenancetypes.EventQuarantineReleased, note, provenancetypes.BizStepInspecting, provenancetypes.DispositionActive, func(b *provenancetypes.Batch, _ *provenancetypes.Flag) {
		b.Quarantined, b.Quarantine = false, nil
	})
}

// ClearExcursion clears a batch's temperature excursion after review: the batch is sellable again.
// Only an auditor clears, with a note; a batch without an excursion is PRECONDITION_FAILED.
func (c *Contract) ClearExcursion(ctx txstate.Context, gtin, lot, note string) (*provenancetypes.Event, error) {
	caller, t, b, err := openFlag(ctx, "ClearExcursion", gtin, lot, "note", note, wire.RoleAuditor)
	if err != nil {
		return nil, err
	}
	gtin, lot = b.GTIN, b.Lot // normalised
	if !b.Excursion {
		return nil, codes.New(codes.PreconditionFailed, "batch %s lot %s has no temperature excursion", gtin, lot)
	}
	return t.setFlag(b, caller, provenancetypes.EventExcursionCleared, note, provenancetypes.BizStepInspecting, provenancetypes.DispositionConformant, func(b *provenancetypes.Batch, _ *provenancetypes.Flag) {
		b.Excursion, b.ExcursionInfo = false, nil
	})
}

// setFlag changes a batch flag and records the batch-wide event.
func (t *txn) setFlag(b *provenancetypes.Batch, caller ccutil.Caller, event, reason, bizStep, disposition string, change func(*provenancetypes.Batch, *provenancetypes.Flag)) (*provenancetypes.Event, error) {
	ev, err := t.newEvent(event, provenancetypes.EventContext{}, actorOf(caller), b.GTIN, b.Lot)
	if err != nil {
		return nil, err
	}
	prev := b.StatusTags()
	change(b, &provenancetypes.Flag{Reason: reason, At: t.now, By: actorOf(caller)})
	if err := t.putBatch(b, prev); err != nil {
		return nil, err
	}
	ev.Action, ev.BizStep, ev.Disposition = provenancetypes.ActionObserve, bizStep, disposition
	ev.Scope, ev.Quantity, ev.Reason = provenancetypes.ScopeBatch, b.SerialCount, reason
	if err := t.record(ev, indexBatch); err != nil {
		return nil, err
	}
	return ev, nil
}

// RecordReadings records temperature readings (EPCIS sensor data) taken with named units of one
// batch. The recorder is the custodian of those units, or, while they are in transit, their named
// receiver (the data logger travels with the goods and is read on arrival). A reading outside the
// product's storage range marks the batch with an excursion (event ExcursionDetected): it is not
// sellable until an auditor clears it.
func (c *Contract) RecordReadings(ctx txstate.Context, readingsJSON string) (*provenancetypes.Event, error) {
	_, me, err := requireParty(ctx, "RecordReadings", supplyRoles...)
	if err != nil {
		return nil, err
	}
	spec, err := decodeSpec[provenancetypes.ReadingsSpec]("readings", readingsJSON)
	if err != nil {
		return nil, err
	}
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	product, err := t.getProduct(spec.GTIN)
	if err != nil {
		return nil, err
	}
	b, err := t.getBatch(spec.GTIN, spec.Lot)
	if err != nil {
		return nil, err
	}
	for _, s := range spec.Serials {
		u, _, err := t.mustUnit(spec.GTIN, spec.Lot, s)
		if err != nil {
			return nil, err
		}
		holder, status, _, receiver := u.effective(b)
		inbound := status == provenancetypes.UnitInTransit && receiver != nil && *receiver == me
		if holder != me && !inbound {
			return nil, codes.New(codes.Forbidden, "unit %s serial %s is held by %s; only its custodian or its receiver in transit records readings", spec.GTIN, s, holder)
		}
	}
	ev, err := t.newEvent(provenancetypes.EventReadingsRecorded, spec.EventContext, me, spec.GTIN, spec.Lot)
	if err != nil {
		return nil, err
	}
	readings := make([]provenancetypes.RecordedReading, 0, len(spec.Readings))
	for _, r := range spec.Readings {
		v, err := r.Celsius()
		if err != nil {
			return nil, invalidArg(err)
		}
		if r.Time.After(t.now.Add(maxClockSkew)) {
			return nil, codes.New(codes.InvalidArgument, "reading time %s is in the future of the transaction", r.Time.UTC().Format(time.RFC3339))
		}
		readings = append(readings, provenancetypes.RecordedReading{Time: r.Time.UTC(), Value: *r.Value, UOM: r.UOM, Celsius: v, SensorID: r.SensorID})
	}
	sort.SliceStable(readings, func(i, j int) bool { return readings[i].Time.Before(readings[j].Time) })
	var exc *provenancetypes.Excursion
	for _, r := range readings {
		if !product.Storage.Contains(r.Celsius) {
			exc = &provenancetypes.Excursion{
				ReadingTime: r.Time, ValueCelsius: r.Celsius, Range: product.Storage,
				SensorID: r.SensorID, DetectedAt: t.now, By: me,
			}
			break
		}
	}
	ev.Action, ev.BizStep, ev.Disposition = provenancetypes.ActionObserve, provenancetypes.BizStepSensorReporting, provenancetypes.DispositionConformant
	ev.Scope, ev.Serials, ev.Quantity, ev.Readings = provenancetypes.ScopeBatch, spec.Serials, len(spec.Serials), readings
	if exc != nil {
		ev.Type, ev.Disposition, ev.Excursion = provenancetypes.EventExcursionDetected, provenancetypes.DispositionNonConformant, exc
		ev.Reason = fmt.Sprintf("reading %.2f C at %s is outside %.2f..%.2f C", exc.ValueCelsius, exc.ReadingTime.Format(time.RFC3339), product.Storage.MinCelsius, product.Storage.MaxCelsius)
		if !b.Excursion {
			prev := b.StatusTags()
			b.Excursion, b.ExcursionInfo = true, exc
			if err := t.putBatch(b, prev); err != nil {
				return nil, err
			}
		}
	}
	if err := t.record(ev, indexBatch); err != nil {
		return nil, err
	}
	return ev, nil
}

// FlagSuspect flags a whole batch suspect by an auditor's decision, with a reason: the DSCSA
// "suspect product" under investigation. (Without an auditor a batch becomes suspect only on
// double-dispense reports from SuspectQuorum distinct organisations: see Dispense.) A suspect batch
// stays sellable: to stop sales, quarantine it. Flagging a suspect batch is DUPLICATE.
func (c *Contract) FlagSuspect(ctx txstate.Context, gtin, lot, reason string) (*provenancetypes.Event, error) {
	caller, t, b, err := openFlag(ctx, "FlagSuspect", gtin, lot, "reason", reason, wire.RoleAuditor)
	if err != nil {
		return nil, err
	}
	if b.Suspect {
		return nil, codes.New(codes.Duplicate, "batch %s lot %s is already suspect", b.GTIN, b.Lot)
	}
	return t.setFlag(b, caller, provenancetypes.EventSuspectFlagged, reason, provenancetypes.BizStepInspecting, provenancetypes.DispositionNonSellableOther, func(b *provenancetypes.Batch, f *provenancetypes.Flag) {
		b.Suspect, b.SuspectInfo = true, f
	})
}

// ClearSuspect clears a suspect flag after review; only an auditor clears, with a note. With a serial
// it clears that unit's own flag (a double dispense found benign) and withdraws the unit's report
// against its batch; the unit's key keeps who cleared it, when and why (suspectCleared), and the
// SuspectCleared event is in the unit's custody. Without a serial ("") it clears the batch's flag and
// every report against it; the event is in the custody of every unit of the batch. What is not
// suspect (a unit without its own flag; a batch neither suspect nor reported) is PRECONDITION_FAILED.
func (c *Contract) ClearSuspect(ctx txstate.Context, gtin, lot, serial, note string) (*provenancetypes.Event, error) {
	caller, t, b, err := openFlag(ctx, "ClearSuspect", gtin, lot, "note", note, wire.RoleAuditor)
	if err != nil {
		return nil, err
	}
	if serial == "" {
		if !b.Suspect && len(b.SuspectReports) == 0 {
			return nil, codes.New(codes.PreconditionFailed, "batch %s lot %s is not suspect", b.GTIN, b.Lot)
		}
		return t.setFlag(b, caller, provenancetypes.EventSuspectCleared, note, provenancetypes.BizStepInspecting, provenancetypes.DispositionConformant, func(b *provenancetypes.Batch, f *provenancetypes.Flag) {
			b.Suspect, b.SuspectInfo, b.SuspectReports, b.SuspectCleared = false, nil, nil, f
		})
	}
	if err := provenancetypes.CheckSerial(serial); err != nil {
		return nil, invalidArg(err)
	}
	u, k, err := t.mustUnit(b.GTIN, b.Lot, serial)
	if err != nil {
		return nil, err
	}
	if u.Suspect == nil {
		return nil, codes.New(codes.PreconditionFailed, "unit %s serial %s is not flagged suspect on its own", b.GTIN, serial)
	}
	ev, err := t.newEvent(provenancetypes.EventSuspectCleared, provenancetypes.EventContext{}, actorOf(caller), b.GTIN, b.Lot)
	if err != nil {
		return nil, err
	}
	u.Suspect, u.SuspectCleared = nil, &provenancetypes.Flag{Reason: note, At: t.now, By: actorOf(caller)}
	if err := t.PutJSON(k, u); err != nil {
		return nil, err
	}
	reports := slices.DeleteFunc(slices.Clone(b.SuspectReports), func(r provenancetypes.SuspectReport) bool { return r.Serial == serial })
	if len(reports) != len(b.SuspectReports) {
		prev := b.StatusTags()
		b.SuspectReports = reports
		if len(reports) == 0 {
			b.SuspectReports = nil
		}
		if err := t.putBatch(b, prev); err != nil {
			return nil, err
		}
	}
	ev.Action, ev.BizStep, ev.Disposition = provenancetypes.ActionObserve, provenancetypes.BizStepInspecting, provenancetypes.DispositionConformant
	ev.Scope, ev.Serials, ev.Quantity, ev.Reason = provenancetypes.ScopeUnits, []string{serial}, 1, note
	if err := t.record(ev, indexUnits); err != nil {
		return nil, err
	}
	return ev, nil
}
