package provenance

import (
	"github.com/healthledger/healthledger/chaincode/internal/ccutil"
	"slices"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/internal/txstate"
	"github.com/healthledger/healthledger/chaincode/provenance/provenancetypes"
	"github.com/healthledger/healthledger/chaincode/wire"
)

// Ship sends goods of one batch to a registered receiver: without serials the batch's main stock,
// with serials (at most MaxUnitsPerTx) those units. Only their current custodian ships, and custody
// stays with it until the receiver receives. A receiver that is malformed or not registered is
// INVALID_ARGUMENT "unknown receiver". Shipment ids are the client's: the same shipment again is
// DUPLICATE, another shipment under a used id CONFLICT.
func (c *Contract) Ship(ctx txstate.Context, shipmentJSON string) (*provenancetypes.Shipment, error) {
	_, me, err := requireParty(ctx, "Ship", supplyRoles...)
	if err != nil {
		return nil, err
	}
	spec, err := decodeSpec[provenancetypes.ShipmentSpec]("shipment", shipmentJSON)
	if err != nil {
		return nil, err
	}
	if spec.Receiver == me {
		return nil, codes.New(codes.InvalidArgument, "a party cannot ship to itself")
	}
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	if _, found, err := t.getParty(spec.Receiver); err != nil {
		return nil, err
	} else if !found {
		return nil, codes.New(codes.InvalidArgument, "unknown receiver %s: it has not registered (RegisterParty)", spec.Receiver)
	}
	sk, err := t.Key(objShipment, spec.ShipmentID)
	if err != nil {
		return nil, err
	}
	var old provenancetypes.Shipment
	if found, err := t.GetJSON(sk, &old); err != nil {
		return nil, err
	} else if found {
		if old.Sender == me && old.Receiver == spec.Receiver && old.GTIN == spec.GTIN && old.Lot == spec.Lot && slices.Equal(old.Serials, spec.Serials) {
			return nil, codes.New(codes.Duplicate, "shipment %s is already recorded", spec.ShipmentID)
		}
		return nil, codes.New(codes.Conflict, "shipment id %s is already used by another shipment", spec.ShipmentID)
	}
	b, err := t.getBatch(spec.GTIN, spec.Lot)
	if err != nil {
		return nil, err
	}
	ev, err := t.newEvent(provenancetypes.EventShipped, spec.EventContext, me, spec.GTIN, spec.Lot)
	if err != nil {
		return nil, err
	}
	if b.Quarantined {
		return nil, codes.New(codes.PreconditionFailed, "batch %s lot %s is quarantined", b.GTIN, b.Lot)
	}
	recv := spec.Receiver
	sh := &provenancetypes.Shipment{
		ShipmentID: spec.ShipmentID, GTIN: spec.GTIN, Lot: spec.Lot, Serials: spec.Serials,
		Sender: me, Receiver: recv, Status: provenancetypes.ShipmentInTransit, ShippedAt: t.now,
	}
	prev := b.StatusTags()
	idx := indexUnits
	if spec.Serials == nil {
		if b.Custody.Holder != me {
			return nil, codes.New(codes.Forbidden, "the main stock of batch %s lot %s is held by %s, not %s", b.GTIN, b.Lot, b.Custody.Holder, me)
		}
		if b.Custody.State != provenancetypes.UnitActive {
			return nil, codes.New(codes.PreconditionFailed, "the main stock of batch %s lot %s is %s", b.GTIN, b.Lot, b.Custody.State)
		}
		if b.MainStock == 0 {
			return nil, codes.New(codes.PreconditionFailed, "the main stock of batch %s lot %s is empty", b.GTIN, b.Lot)
		}
		sh.WholeBatch, sh.Quantity = true, b.MainStock
		b.Custody = provenancetypes.Custody{Holder: me, State: provenancetypes.UnitInTransit, ShipmentID: sh.ShipmentID, Receiver: &recv}
		if err := t.putBatch(b, prev); err != nil {
			return nil, err
		}
		idx = indexStock
	} else {
		left, err := t.moveUnits(b, me, spec.Serials, func(serial, status string) error {
			if status != provenancetypes.UnitActive {
				return codes.New(codes.PreconditionFailed, "unit %s serial %s is %s", b.GTIN, serial, status)
			}
			return nil
		}, func(u *unitRecord) {
			u.Status, u.ShipmentID, u.Receiver = provenancetypes.UnitInTransit, sh.ShipmentID, &recv
		})
		if err != nil {
			return nil, err
		}
		if left > 0 {
			b.MainStock -= left
			if err := t.putBatch(b, prev); err != nil {
				return nil, err
			}
		}
		sh.Quantity = len(spec.Serials)
	}
	if err := t.PutJSON(sk, sh); err != nil {
		return nil, err
	}
	if err := t.adjustHolding(b, recv, 0, sh.Quantity); err != nil {
		return nil, err
	}
	ev.Action, ev.BizStep, ev.Disposition = provenancetypes.ActionObserve, provenancetypes.BizStepShipping, provenancetypes.DispositionInTransit
	ev.Scope, ev.Serials, ev.Quantity = scopeOf(idx), sh.Serials, sh.Quantity
	ev.ShipmentID, ev.Source, ev.Destination = sh.ShipmentID, &me, &recv
	if err := t.record(ev, idx); err != nil {
		return nil, err
	}
	return sh, nil
}

func scopeOf(idx index) string {
	switch idx {
	case indexStock:
		return provenancetypes.ScopeStock
	case indexUnits:
		return provenancetypes.ScopeUnits
	default:
		return provenancetypes.ScopeBatch
	}
}

// moveUnits changes units of batch b that me holds: it checks every unit first (check sees its
// current status), then detaches each from the main stock if needed, applies apply and writes it. It
// returns how many units left the main stock; the caller writes the batch.
func (t *txn) moveUnits(b *provenancetypes.Batch, me provenancetypes.Party, serials []string, check func(serial, status string) error, apply func(u *unitRecord)) (int, error) {
	units := make([]*unitRecord, len(serials))
	keys := make([]string, len(serials))
	for i, s := range serials {
		u, k, err := t.mustUnit(b.GTIN, b.Lot, s)
		if err != nil {
			return 0, err
		}
		holder, status, _, _ := u.effective(b)
		if holder != me {
			return 0, codes.New(codes.Forbidden, "unit %s serial %s is held by %s, not %s", b.GTIN, s, holder, me)
		}
		if err := check(s, status); err != nil {
			return 0, err
		}
		units[i], keys[i] = u, k
	}
	left := 0
	for i, u := range units {
		if u.detach(b, t.pos()) {
			left++
		}
		apply(u)
		if err := t.PutJSON(keys[i], u); err != nil {
			return 0, err
		}
	}
	return left, nil
}

// Receive takes delivery of a shipment. Only its named receiver receives, and custody passes then:
// a shipment to another party is FORBIDDEN; receiving it again is DUPLICATE.
func (c *Contract) Receive(ctx txstate.Context, shipmentID string) (*provenancetypes.Shipment, error) {
	_, me, err := requireParty(ctx, "Receive", supplyRoles...)
	if err != nil {
		return nil, err
	}
	if err := wire.CheckID("shipment id", shipmentID); err != nil {
		return nil, err
	}
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	sk, err := t.Key(objShipment, shipmentID)
	if err != nil {
		return nil, err
	}
	var sh provenancetypes.Shipment
	if found, err := t.GetJSON(sk, &sh); err != nil {
		return nil, err
	} else if !found {
		return nil, codes.New(codes.NotFound, "shipment %s", shipmentID)
	}
	if sh.Receiver != me {
		return nil, codes.New(codes.Forbidden, "shipment %s is addressed to %s, not %s", shipmentID, sh.Receiver, me)
	}
	if sh.Status == provenancetypes.ShipmentReceived {
		return nil, codes.New(codes.Duplicate, "shipment %s is already received", shipmentID)
	}
	b, err := t.getBatch(sh.GTIN, sh.Lot)
	if err != nil {
		return nil, err
	}
	ev, err := t.newEvent(provenancetypes.EventReceived, provenancetypes.EventContext{}, me, sh.GTIN, sh.Lot)
	if err != nil {
		return nil, err
	}
	idx := indexUnits
	if sh.WholeBatch {
		if b.Custody.State != provenancetypes.UnitInTransit || b.Custody.ShipmentID != sh.ShipmentID {
			return nil, codes.New(codes.Internal, "the main stock of batch %s lot %s is not in shipment %s", b.GTIN, b.Lot, sh.ShipmentID)
		}
		prev := b.StatusTags()
		b.Custody = provenancetypes.Custody{Holder: me, State: provenancetypes.UnitActive}
		if err := t.putBatch(b, prev); err != nil {
			return nil, err
		}
		idx = indexStock
	} else {
		for _, s := range sh.Serials {
			u, k, err := t.mustUnit(sh.GTIN, sh.Lot, s)
			if err != nil {
				return nil, err
			}
			if u.Detached == "" || u.Status != provenancetypes.UnitInTransit || u.ShipmentID != sh.ShipmentID {
				return nil, codes.New(codes.Internal, "unit %s serial %s is not in shipment %s", sh.GTIN, s, sh.ShipmentID)
			}
			holder := me
			u.Holder, u.Status, u.ShipmentID, u.Receiver = &holder, provenancetypes.UnitActive, "", nil
			if err := t.PutJSON(k, u); err != nil {
				return nil, err
			}
		}
	}
	at := t.now
	sh.Status, sh.ReceivedAt = provenancetypes.ShipmentReceived, &at
	if err := t.PutJSON(sk, &sh); err != nil {
		return nil, err
	}
	if err := t.adjustHolding(b, sh.Sender, -sh.Quantity, 0); err != nil {
		return nil, err
	}
	if err := t.adjustHolding(b, me, sh.Quantity, -sh.Quantity); err != nil {
		return nil, err
	}
	sender := sh.Sender
	ev.Action, ev.BizStep, ev.Disposition = provenancetypes.ActionObserve, provenancetypes.BizStepReceiving, provenancetypes.DispositionInProgress
	ev.Scope, ev.Serials, ev.Quantity = scopeOf(idx), sh.Serials, sh.Quantity
	ev.ShipmentID, ev.Source, ev.Destination = sh.ShipmentID, &sender, &me
	if err := t.record(ev, idx); err != nil {
		return nil, err
	}
	return &sh, nil
}

// GetShipment returns a shipment. Any member may read it.
func (c *Contract) GetShipment(ctx txstate.Context, shipmentID string) (*provenancetypes.Shipment, error) {
	// The caller first: a role the consortium map does not grant its organisation is refused before
	// any argument or object is looked at. Any member, with a role or without, may read.
	if _, err := ccutil.CallerOf(ctx); err != nil {
		return nil, err
	}
	if err := wire.CheckID("shipment id", shipmentID); err != nil {
		return nil, err
	}
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	k, err := t.Key(objShipment, shipmentID)
	if err != nil {
		return nil, err
	}
	var sh provenancetypes.Shipment
	if found, err := t.GetJSON(k, &sh); err != nil {
		return nil, err
	} else if !found {
		return nil, codes.New(codes.NotFound, "shipment %s", shipmentID)
	}
	return &sh, nil
}
