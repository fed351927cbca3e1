package provenance

import (
	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/internal/ccutil"
	"github.com/healthledger/healthledger/chaincode/internal/txstate"
	"github.com/healthledger/healthledger/chaincode/provenance/provenancetypes"
	"github.com/healthledger/healthledger/chaincode/wire"
)

// CommissionBatch creates a batch of a product with its declared quantity and, optionally, up to
// MaxSerialsPerTx of its serials; AddSerials adds the others. Only the product's manufacturer
// commissions, and it holds the batch's main stock. The same batch again with the same content is
// DUPLICATE, with other content CONFLICT.
func (c *Contract) CommissionBatch(ctx txstate.Context, batchJSON string) (*provenancetypes.Batch, error) {
	_, me, err := requireParty(ctx, "CommissionBatch", wire.RoleManufacturer)
	if err != nil {
		return nil, err
	}
	spec, err := decodeSpec[provenancetypes.BatchSpec]("batch", batchJSON)
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
	if product.Manufacturer != me {
		return nil, codes.New(codes.Forbidden, "product %s belongs to manufacturer %s, not %s", spec.GTIN, product.Manufacturer, me)
	}
	if old, err := t.getBatch(spec.GTIN, spec.Lot); err == nil {
		if old.ManufacturedOn == spec.ManufacturedOn && old.Expiry == spec.Expiry && old.Quantity == spec.Quantity {
			return nil, codes.New(codes.Duplicate, "batch %s lot %s is already commissioned", spec.GTIN, spec.Lot)
		}
		return nil, codes.New(codes.Conflict, "batch %s lot %s is already commissioned with other details", spec.GTIN, spec.Lot)
	} else if codes.Of(err) != codes.NotFound {
		return nil, err
	}
	ev, err := t.newEvent(provenancetypes.EventBatchCommissioned, spec.EventContext, me, spec.GTIN, spec.Lot)
	if err != nil {
		return nil, err
	}
	if err := t.commissionSerials(spec.GTIN, spec.Lot, spec.Serials); err != nil {
		return nil, err
	}
	b := &provenancetypes.Batch{
		GTIN: spec.GTIN, Lot: spec.Lot, ManufacturedOn: spec.ManufacturedOn, Expiry: spec.Expiry,
		Quantity: spec.Quantity, SerialCount: len(spec.Serials), MainStock: len(spec.Serials),
		Manufacturer: me, Custody: provenancetypes.Custody{Holder: me, State: provenancetypes.UnitActive}, CommissionedAt: t.now,
	}
	if err := t.putBatch(b, nil); err != nil {
		return nil, err
	}
	if err := t.adjustHolding(b, me, len(spec.Serials), 0); err != nil {
		return nil, err
	}
	ev.Action, ev.BizStep, ev.Disposition = provenancetypes.ActionAdd, provenancetypes.BizStepCommissioning, provenancetypes.DispositionActive
	ev.Scope, ev.Quantity = provenancetypes.ScopeBatch, len(spec.Serials)
	if err := t.record(ev, indexNone); err != nil {
		return nil, err
	}
	return b, nil
}

// AddSerials commissions a chunk of at most MaxSerialsPerTx serials of a batch. Only the batch's
// manufacturer adds them, while it holds the main stock. A serial already in the chunk or on the
// ledger (for this GTIN), or a chunk that would exceed the batch's quantity, is INVALID_ARGUMENT.
func (c *Contract) AddSerials(ctx txstate.Context, gtin, lot, serialsJSON string) (*provenancetypes.Batch, error) {
	_, me, err := requireParty(ctx, "AddSerials", wire.RoleManufacturer)
	if err != nil {
		return nil, err
	}
	gtin, lot, err = batchArgs(gtin, lot)
	if err != nil {
		return nil, err
	}
	var serials []string
	if err := wire.DecodeStrict("serials", []byte(serialsJSON), &serials); err != nil {
		return nil, err
	}
	if err := provenancetypes.CheckSerials(serials, provenancetypes.MaxSerialsPerTx); err != nil {
		return nil, invalidArg(err)
	}
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	b, err := t.getBatch(gtin, lot)
	if err != nil {
		return nil, err
	}
	if b.Manufacturer != me {
		return nil, codes.New(codes.Forbidden, "batch %s lot %s belongs to manufacturer %s, not %s", gtin, lot, b.Manufacturer, me)
	}
	if b.SerialCount+len(serials) > b.Quantity {
		return nil, codes.New(codes.InvalidArgument, "%d more serials would exceed the quantity %d of batch %s lot %s (it has %d)", len(serials), b.Quantity, gtin, lot, b.SerialCount)
	}
	if b.Custody.Holder != me || b.Custody.State != provenancetypes.UnitActive {
		return nil, codes.New(codes.PreconditionFailed, "batch %s lot %s: serials are added only while its main stock is with the manufacturer (it is %s at %s)", gtin, lot, b.Custody.State, b.Custody.Holder)
	}
	if b.Recalled {
		return nil, codes.New(codes.PreconditionFailed, "batch %s lot %s is recalled", gtin, lot)
	}
	ev, err := t.newEvent(provenancetypes.EventSerialsCommissioned, provenancetypes.EventContext{}, me, gtin, lot)
	if err != nil {
		return nil, err
	}
	if err := t.commissionSerials(gtin, lot, serials); err != nil {
		return nil, err
	}
	prev := b.StatusTags()
	b.SerialCount += len(serials)
	b.MainStock += len(serials)
	if err := t.putBatch(b, prev); err != nil {
		return nil, err
	}
	if err := t.adjustHolding(b, me, len(serials), 0); err != nil {
		return nil, err
	}
	ev.Action, ev.BizStep, ev.Disposition = provenancetypes.ActionAdd, provenancetypes.BizStepCommissioning, provenancetypes.DispositionActive
	ev.Scope, ev.Quantity = provenancetypes.ScopeUnits, len(serials)
	if err := t.record(ev, indexNone); err != nil {
		return nil, err
	}
	return b, nil
}

// commissionSerials writes one unit record per serial, refusing serials already on the ledger. The
// serials were checked for form and repetition.
func (t *txn) commissionSerials(gtin, lot string, serials []string) error {
	keys := make([]string, len(serials))
	for i, s := range serials {
		u, k, found, err := t.getUnit(gtin, s)
		if err != nil {
			return err
		}
		if found {
			return codes.New(codes.InvalidArgument, "serial %s of %s is already commissioned (lot %s)", s, gtin, u.Lot)
		}
		keys[i] = k
	}
	rec := unitRecord{Lot: lot, Commissioned: t.pos()}
	for _, k := range keys {
		if err := t.PutJSON(k, &rec); err != nil {
			return err
		}
	}
	return nil
}

// GetBatch returns a batch. Any member may read it.
func (c *Contract) GetBatch(ctx txstate.Context, gtin, lot string) (*provenancetypes.Batch, error) {
	// The caller first: a role the consortium map does not grant its organisation is refused before
	// any argument or object is looked at. Any member, with a role or without, may read.
	if _, err := ccutil.CallerOf(ctx); err != nil {
		return nil, err
	}
	gtin, lot, err := batchArgs(gtin, lot)
	if err != nil {
		return nil, err
	}
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	return t.getBatch(gtin, lot)
}
