package provenance

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/internal/ccutil"
	"github.com/healthledger/healthledger/chaincode/internal/txstate"
	"github.com/healthledger/healthledger/chaincode/provenance/provenancetypes"
	"github.com/healthledger/healthledger/chaincode/wire"
)

// Composite key object types. docs/provenance.md describes the layout.
const (
	objProduct  = "product"  // gtin -> Product
	objParty    = "party"    // mspId, gln -> PartyRecord
	objBatch    = "batch"    // gtin, lot -> Batch
	objUnit     = "unit"     // gtin, serial -> unitRecord
	objShipment = "shipment" // shipmentId -> Shipment
	objHolder   = "holder"   // gtin, lot, mspId, gln -> Holding (the batch's holder set)
	objOwner    = "owner"    // mspId, gln, gtin, lot -> BatchHolding (the party's batches, with expiry and status)
	objStatus   = "bstatus"  // status, gtin, lot -> marker
	objEvent    = "evt"      // gtin, lot, ts, txId -> Event (the batch's chain of custody)
	objEvtBatch = "evt.b"    // gtin, lot, ts, txId -> marker: events concerning every unit
	objEvtStock = "evt.s"    // gtin, lot, ts, txId -> marker: events of the main stock
	objEvtUnit  = "evt.u"    // gtin, serial, ts, txId -> marker: events naming the unit
)

// tsLayout is a fixed-width, sortable transaction time.
const tsLayout = "20060102T150405.000000000Z"

// maxClockSkew is how far in the future of the transaction an event time may be.
const maxClockSkew = 5 * time.Minute

// unitRecord is the state of one unit. A unit that never moved on its own (not Detached) follows its
// batch's main stock: its holder and status are the batch's Custody. A detached unit carries its own.
type unitRecord struct {
	Lot             string                 `json:"lot"`
	Commissioned    string                 `json:"commissioned"`
	Detached        string                 `json:"detached,omitempty"`
	Holder          *provenancetypes.Party `json:"holder,omitempty"`
	Status          string                 `json:"status,omitempty"`
	ShipmentID      string                 `json:"shipmentId,omitempty"`
	Receiver        *provenancetypes.Party `json:"receiver,omitempty"`
	DispensedBy     *provenancetypes.Party `json:"dispensedBy,omitempty"`
	DispensedAt     *time.Time             `json:"dispensedAt,omitempty"`
	DispenseEventID string                 `json:"dispenseEventId,omitempty"`
	Suspect         *provenancetypes.Flag  `json:"suspect,omitempty"`
	// SuspectCleared is the auditor's last clearing of the unit's suspect flag (who, when, why), so
	// that the key's history shows it.
	SuspectCleared *provenancetypes.Flag `json:"suspectCleared,omitempty"`
}

// effective is a unit's holder, status, shipment and receiver, from itself or from its batch.
func (u *unitRecord) effective(b *provenancetypes.Batch) (holder provenancetypes.Party, status, shipment string, receiver *provenancetypes.Party) {
	if u.Detached != "" {
		return *u.Holder, u.Status, u.ShipmentID, u.Receiver
	}
	return b.Custody.Holder, b.Custody.State, b.Custody.ShipmentID, b.Custody.Receiver
}

// detach gives the unit its own state, taken from the main stock, at event position pos. It reports
// whether the unit left the main stock.
func (u *unitRecord) detach(b *provenancetypes.Batch, pos string) bool {
	if u.Detached != "" {
		return false
	}
	h := b.Custody.Holder
	u.Detached, u.Holder, u.Status = pos, &h, b.Custody.State
	return true
}

// txn is one provenance transaction: its state, time and id, and the records it reads and writes.
type txn struct {
	*txstate.State
	ctx  txstate.Context
	now  time.Time
	txID string
}

func begin(ctx txstate.Context) (*txn, error) {
	now, err := ccutil.TxTime(ctx)
	if err != nil {
		return nil, err
	}
	return &txn{State: ctx.State(), ctx: ctx, now: now, txID: ctx.GetStub().GetTxID()}, nil
}

// pos is this transaction's position in a chain of custody: "ts|txId", sortable as a string.
func (t *txn) pos() string { return t.now.Format(tsLayout) + "|" + t.txID }

// splitPos splits a position into its key attributes.
func splitPos(pos string) []string {
	ts, tx, _ := strings.Cut(pos, "|")
	return []string{ts, tx}
}

// decodeSpec decodes a request strictly and returns it checked and normalised.
func decodeSpec[T interface{ Normalized() (T, error) }](what, raw string) (T, error) {
	var spec T
	if err := wire.DecodeStrict(what, []byte(raw), &spec); err != nil {
		return spec, err
	}
	n, err := spec.Normalized()
	if err != nil {
		return spec, invalidArg(err)
	}
	return n, nil
}

// invalidArg turns a provenancetypes validation error into INVALID_ARGUMENT.
func invalidArg(err error) error {
	return codes.New(codes.InvalidArgument, "%v", err)
}

// gtinArg normalises a GTIN argument.
func gtinArg(gtin string) (string, error) {
	g, err := provenancetypes.NormalizeGTIN(gtin)
	if err != nil {
		return "", invalidArg(err)
	}
	return g, nil
}

// unitArgs normalises a (GTIN, serial) pair.
func unitArgs(gtin, serial string) (string, error) {
	g, err := gtinArg(gtin)
	if err != nil {
		return "", err
	}
	if err := provenancetypes.CheckSerial(serial); err != nil {
		return "", invalidArg(err)
	}
	return g, nil
}

// batchArgs normalises a (GTIN, lot) pair.
func batchArgs(gtin, lot string) (string, string, error) {
	g, err := gtinArg(gtin)
	if err != nil {
		return "", "", err
	}
	if err := provenancetypes.CheckLot(lot); err != nil {
		return "", "", invalidArg(err)
	}
	return g, lot, nil
}

// supplyRoles are the roles that hold goods.
var supplyRoles = []string{wire.RoleManufacturer, wire.RoleDistributor, wire.RolePharmacist}

// requireParty returns the caller as a party when it holds one of roles and its subject is a GLN.
func requireParty(ctx txstate.Context, action string, roles ...string) (ccutil.Caller, provenancetypes.Party, error) {
	c, err := ccutil.RequireRole(ctx, action, roles...)
	if err != nil {
		return ccutil.Caller{}, provenancetypes.Party{}, err
	}
	if err := provenancetypes.CheckGLN(c.Subject); err != nil {
		return ccutil.Caller{}, provenancetypes.Party{}, codes.New(codes.Forbidden, "%s needs a GLN as the caller's subject: %v", action, err)
	}
	return c, provenancetypes.Party{MSPID: c.MSPID, GLN: c.Subject}, nil
}

// actorOf is the caller as the actor of an event (an auditor's subject is not a GLN).
func actorOf(c ccutil.Caller) provenancetypes.Party {
	return provenancetypes.Party{MSPID: c.MSPID, GLN: c.Subject}
}

// eventContext decodes an optional event context argument.
func eventContext(raw string) (provenancetypes.EventContext, error) {
	var ec provenancetypes.EventContext
	if strings.TrimSpace(raw) == "" {
		return ec, nil
	}
	if err := wire.DecodeStrict("event", []byte(raw), &ec); err != nil {
		return ec, err
	}
	if err := ec.Validate(); err != nil {
		return ec, invalidArg(err)
	}
	return ec, nil
}

// newEvent starts a custody event of this transaction, filling the context's defaults: the event time
// is the transaction time, the business location the actor's GLN and the read point the business
// location.
func (t *txn) newEvent(typ string, ec provenancetypes.EventContext, actor provenancetypes.Party, gtin, lot string) (*provenancetypes.Event, error) {
	ev := &provenancetypes.Event{
		EventID: ec.EventID, Type: typ, EventTime: t.now, RecordTime: t.now,
		ReadPoint: ec.ReadPoint, BizLocation: ec.BizLocation,
		GTIN: gtin, Lot: lot, Actor: actor, TxID: t.txID,
	}
	if ev.EventID == "" {
		ev.EventID = t.txID
	}
	if ec.EventTime != nil {
		et := ec.EventTime.UTC()
		if et.After(t.now.Add(maxClockSkew)) {
			return nil, codes.New(codes.InvalidArgument, "event time %s is in the future of the transaction (%s)", et.Format(time.RFC3339), t.now.Format(time.RFC3339))
		}
		ev.EventTime = et
	}
	if ev.BizLocation == "" && provenancetypes.CheckGLN(actor.GLN) == nil {
		ev.BizLocation = actor.GLN
	}
	if ev.ReadPoint == "" {
		ev.ReadPoint = ev.BizLocation
	}
	return ev, nil
}

// index says under which custody indexes an event is found besides its batch's chain.
type index int

const (
	indexNone  index = iota // only in the batch's chain (commissioning: units point at it)
	indexBatch              // concerns every unit of the batch
	indexStock              // concerns the main stock
	indexUnits              // concerns the units in Serials
	// indexUnitsAndBatch names the units in Serials and also changed a flag of the whole batch (a
	// double dispense that made the batch suspect): it is in the custody of every unit.
	indexUnitsAndBatch
)

// record stores ev in its batch's chain of custody and the given index, and sets it as the
// transaction's chaincode event.
func (t *txn) record(ev *provenancetypes.Event, idx index) error {
	attrs := append([]string{ev.GTIN, ev.Lot}, splitPos(t.pos())...)
	k, err := t.Key(objEvent, attrs...)
	if err != nil {
		return err
	}
	if err := t.PutJSON(k, ev); err != nil {
		return err
	}
	switch idx {
	case indexBatch, indexStock:
		obj := objEvtBatch
		if idx == indexStock {
			obj = objEvtStock
		}
		if err := t.mark(obj, attrs); err != nil {
			return err
		}
	case indexUnits, indexUnitsAndBatch:
		if idx == indexUnitsAndBatch {
			if err := t.mark(objEvtBatch, attrs); err != nil {
				return err
			}
		}
		for _, s := range ev.Serials {
			k, err := t.Key(objEvtUnit, append([]string{ev.GTIN, s}, splitPos(t.pos())...)...)
			if err != nil {
				return err
			}
			t.PutMarker(k)
		}
	}
	return ccutil.Emit(t.ctx, ev.Type, ev)
}

// mark writes an index marker under obj and attrs.
func (t *txn) mark(obj string, attrs []string) error {
	k, err := t.Key(obj, attrs...)
	if err != nil {
		return err
	}
	t.PutMarker(k)
	return nil
}

// getBatch reads a batch, NOT_FOUND when absent.
func (t *txn) getBatch(gtin, lot string) (*provenancetypes.Batch, error) {
	k, err := t.Key(objBatch, gtin, lot)
	if err != nil {
		return nil, err
	}
	var b provenancetypes.Batch
	ok, err := t.GetJSON(k, &b)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, codes.New(codes.NotFound, "batch %s lot %s", gtin, lot)
	}
	return &b, nil
}

// putBatch writes a batch and keeps its status index in step; prev are its status tags before the
// change (nil for a new batch).
//
// When the headline status changes it also rewrites the owner index entry of every holder of the
// batch, which carries the status so that ListBatchesByOwner needs no read of the batch.
func (t *txn) putBatch(b *provenancetypes.Batch, prev []string) error {
	before := b.Status
	b.Status = b.HeadlineStatus()
	b.UpdatedAt = t.now
	k, err := t.Key(objBatch, b.GTIN, b.Lot)
	if err != nil {
		return err
	}
	if err := t.PutJSON(k, b); err != nil {
		return err
	}
	if before != "" && before != b.Status {
		if err := t.refreshOwners(b); err != nil {
			return err
		}
	}
	next := b.StatusTags()
	for _, tag := range prev {
		if !slices.Contains(next, tag) {
			k, err := t.Key(objStatus, tag, b.GTIN, b.Lot)
			if err != nil {
				return err
			}
			t.Del(k)
		}
	}
	for _, tag := range next {
		if !slices.Contains(prev, tag) {
			k, err := t.Key(objStatus, tag, b.GTIN, b.Lot)
			if err != nil {
				return err
			}
			t.PutMarker(k)
		}
	}
	return nil
}

// getProduct reads a product, NOT_FOUND when absent.
func (t *txn) getProduct(gtin string) (*provenancetypes.Product, error) {
	k, err := t.Key(objProduct, gtin)
	if err != nil {
		return nil, err
	}
	var p provenancetypes.Product
	ok, err := t.GetJSON(k, &p)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, codes.New(codes.NotFound, "product %s", gtin)
	}
	return &p, nil
}

// getUnit reads a unit record; it reports false when the unit is unknown.
func (t *txn) getUnit(gtin, serial string) (*unitRecord, string, bool, error) {
	k, err := t.Key(objUnit, gtin, serial)
	if err != nil {
		return nil, "", false, err
	}
	var u unitRecord
	ok, err := t.GetJSON(k, &u)
	if err != nil || !ok {
		return nil, k, false, err
	}
	return &u, k, true, nil
}

// loadUnit reads a unit record and its batch: NOT_FOUND when the unit is unknown.
func (t *txn) loadUnit(gtin, serial string) (*unitRecord, string, *provenancetypes.Batch, error) {
	u, k, found, err := t.getUnit(gtin, serial)
	if err != nil {
		return nil, "", nil, err
	}
	if !found {
		return nil, "", nil, codes.New(codes.NotFound, "unit %s serial %s", gtin, serial)
	}
	b, err := t.getBatch(gtin, u.Lot)
	if err != nil {
		return nil, "", nil, codes.New(codes.Internal, "unit %s serial %s has no batch: %v", gtin, serial, err)
	}
	return u, k, b, nil
}

// mustUnit reads a unit record of the given batch: NOT_FOUND when unknown, INVALID_ARGUMENT when it
// belongs to another lot.
func (t *txn) mustUnit(gtin, lot, serial string) (*unitRecord, string, error) {
	u, k, ok, err := t.getUnit(gtin, serial)
	if err != nil {
		return nil, "", err
	}
	if !ok {
		return nil, "", codes.New(codes.NotFound, "unit %s serial %s", gtin, serial)
	}
	if u.Lot != lot {
		return nil, "", codes.New(codes.InvalidArgument, "unit %s serial %s belongs to lot %s, not %s", gtin, serial, u.Lot, lot)
	}
	return u, k, nil
}

// getHolding reads a party's holding of a batch; a zero holding when absent.
func (t *txn) getHolding(gtin, lot string, p provenancetypes.Party) (*provenancetypes.Holding, bool, error) {
	k, err := t.Key(objHolder, gtin, lot, p.MSPID, p.GLN)
	if err != nil {
		return nil, false, err
	}
	h := provenancetypes.Holding{Party: p, GTIN: gtin, Lot: lot}
	ok, err := t.GetJSON(k, &h)
	return &h, ok, err
}

// adjustHolding changes a party's counts for batch b. A holding is created by any change and removed
// when a decrease leaves both counts at zero. Call it at most once per party and transaction, and after
// putBatch: the owner index entry it writes carries the batch's expiry and (new) status.
func (t *txn) adjustHolding(b *provenancetypes.Batch, p provenancetypes.Party, dHeld, dInbound int) error {
	gtin, lot := b.GTIN, b.Lot
	h, _, err := t.getHolding(gtin, lot, p)
	if err != nil {
		return err
	}
	h.Held += dHeld
	h.Inbound += dInbound
	if h.Held < 0 || h.Inbound < 0 {
		return codes.New(codes.Internal, "holding of %s in %s/%s would become negative", p, gtin, lot)
	}
	hk, err := t.Key(objHolder, gtin, lot, p.MSPID, p.GLN)
	if err != nil {
		return err
	}
	if h.Held == 0 && h.Inbound == 0 && (dHeld < 0 || dInbound < 0) {
		t.Del(hk)
		return t.delOwner(p, gtin, lot)
	}
	if err := t.PutJSON(hk, h); err != nil {
		return err
	}
	return t.putOwner(b, h)
}

// putOwner writes the owner index entry of holding h of batch b.
func (t *txn) putOwner(b *provenancetypes.Batch, h *provenancetypes.Holding) error {
	k, err := t.Key(objOwner, h.Party.MSPID, h.Party.GLN, b.GTIN, b.Lot)
	if err != nil {
		return err
	}
	return t.PutJSON(k, &provenancetypes.BatchHolding{Holding: *h, Expiry: b.Expiry, Status: b.Status})
}

func (t *txn) delOwner(p provenancetypes.Party, gtin, lot string) error {
	k, err := t.Key(objOwner, p.MSPID, p.GLN, gtin, lot)
	if err != nil {
		return err
	}
	t.Del(k)
	return nil
}

// refreshOwners rewrites the owner index entries of every holder of batch b with its current status.
// It reads the holder set as committed, so a transaction adjusts holdings after it (adjustHolding).
func (t *txn) refreshOwners(b *provenancetypes.Batch) error {
	hs, err := t.holdings(b.GTIN, b.Lot)
	if err != nil {
		return err
	}
	for i := range hs {
		if err := t.putOwner(b, &hs[i]); err != nil {
			return err
		}
	}
	return nil
}

// holders lists the batch's holder set. Its cost is the number of holders, not of units.
func (t *txn) holders(gtin, lot string) ([]provenancetypes.Party, error) {
	hs, err := t.holdings(gtin, lot)
	if err != nil {
		return nil, err
	}
	out := make([]provenancetypes.Party, 0, len(hs))
	for _, h := range hs {
		out = append(out, h.Party)
	}
	return out, nil
}

// holdings reads the holdings of a batch, one per holder.
func (t *txn) holdings(gtin, lot string) ([]provenancetypes.Holding, error) {
	iter, err := t.ctx.GetStub().GetStateByPartialCompositeKey(objHolder, []string{gtin, lot})
	if err != nil {
		return nil, codes.New(codes.Internal, "listing the holders of %s/%s: %v", gtin, lot, err)
	}
	defer iter.Close()
	out := []provenancetypes.Holding{}
	for iter.HasNext() {
		kv, err := iter.Next()
		if err != nil {
			return nil, codes.New(codes.Internal, "listing the holders of %s/%s: %v", gtin, lot, err)
		}
		var h provenancetypes.Holding
		if err := json.Unmarshal(kv.GetValue(), &h); err != nil {
			return nil, codes.New(codes.Internal, "decoding %q: %v", kv.GetKey(), err)
		}
		out = append(out, h)
	}
	return out, nil
}

// getParty reads a registered party; it reports false when the party has not registered.
func (t *txn) getParty(p provenancetypes.Party) (*provenancetypes.PartyRecord, bool, error) {
	k, err := t.Key(objParty, p.MSPID, p.GLN)
	if err != nil {
		return nil, false, err
	}
	var r provenancetypes.PartyRecord
	ok, err := t.GetJSON(k, &r)
	return &r, ok, err
}

// sameJSON reports whether a and b encode to the same JSON.
func sameJSON(a, b any) bool {
	ra, errA := json.Marshal(a)
	rb, errB := json.Marshal(b)
	return errA == nil && errB == nil && bytes.Equal(ra, rb)
}

// unitView composes what GetUnit answers from a unit record and its batch.
func unitView(gtin, serial string, u *unitRecord, b *provenancetypes.Batch) *provenancetypes.Unit {
	holder, status, shipment, receiver := u.effective(b)
	return &provenancetypes.Unit{
		GTIN: gtin, Serial: serial, Lot: u.Lot, Expiry: b.Expiry,
		Status: status, Holder: holder, ShipmentID: shipment, Receiver: receiver,
		Recalled: b.Recalled, Quarantined: b.Quarantined, Excursion: b.Excursion,
		Suspect: u.Suspect != nil || b.Suspect, SuspectInfo: suspectInfo(u, b), SuspectCleared: u.SuspectCleared,
		DispensedBy: u.DispensedBy, DispensedAt: u.DispensedAt, DispenseEventID: u.DispenseEventID,
	}
}

// suspectInfo is why a unit reads suspect: its own flag, else its batch's; nil when it is not.
func suspectInfo(u *unitRecord, b *provenancetypes.Batch) *provenancetypes.Flag {
	if u.Suspect != nil {
		return u.Suspect
	}
	if b.Suspect {
		return b.SuspectInfo
	}
	return nil
}
