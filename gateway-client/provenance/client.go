// Package provenance is the typed client of the healthledger provenance chaincode: one method
// per transaction, context first, results as the wire types of package provenancetypes.
//
// It checks its input locally where that is cheap (the same GS1 checks the chaincode runs), so an
// obviously bad request fails with an error matching sdk.ErrInvalidArgument without a round
// trip; the chaincode stays the authority. Queries are evaluated, state changes submitted.
//
// A repeated dispense of a unit by its holder is committed by the chaincode (it flags the unit suspect
// and files the holder's organisation's report against the batch) and answered with Accepted false;
// [Client.Dispense] returns that answer together with a [*DispenseRejectedError], which matches
// sdk.ErrPreconditionFailed. A dispense by a party that does not hold the unit is refused
// (sdk.ErrForbidden) and changes nothing.
//
//	c, err := net.Connect(ctx, "pharmacist1")
//	prov := provenance.New(c)
//	res, err := prov.Verify(ctx, "00614141000418", "S000001", "LOT-A1", "2027-06-30")
package provenance

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/healthledger/healthledger/chaincode/provenance/provenancetypes"
	"github.com/healthledger/healthledger/gateway-client/sdk"
)

// Chaincode is the name of the provenance chaincode on the channel.
const Chaincode = "provenance"

// Client calls the provenance chaincode as one identity.
type Client struct {
	c *sdk.Client
	k *sdk.Contract
}

// New returns a provenance client over c.
func New(c *sdk.Client) *Client {
	return &Client{c: c, k: c.Contract(Chaincode)}
}

// DispenseRejectedError reports a dispense, by its holder, of a unit that was already dispensed. The
// transaction committed: the unit is now flagged suspect, and so is its batch when organisations of
// provenancetypes.SuspectQuorum distinct MSPs have reported one. errors.Is matches
// sdk.ErrPreconditionFailed.
type DispenseRejectedError struct {
	// Result is the chaincode's answer: the unit as it now stands and the DispenseRejected event.
	Result *provenancetypes.DispenseResult
}

// Error describes the rejection.
func (e *DispenseRejectedError) Error() string {
	return "provenance.Dispense: PRECONDITION_FAILED: " + e.Result.Reason
}

// Unwrap returns sdk.ErrPreconditionFailed.
func (e *DispenseRejectedError) Unwrap() error { return sdk.ErrPreconditionFailed }

// RegisterProduct registers a trade item; the caller (a manufacturer) becomes its manufacturer. The
// same product again fails with ErrDuplicate, other details under the same GTIN with ErrConflict.
func (c *Client) RegisterProduct(ctx context.Context, spec provenancetypes.ProductSpec) (*provenancetypes.Product, error) {
	n, err := spec.Normalized()
	if err := local("RegisterProduct", err); err != nil {
		return nil, err
	}
	doc, err := encode("RegisterProduct", n)
	if err != nil {
		return nil, err
	}
	return sdk.SubmitJSON[provenancetypes.Product](ctx, c.k, "RegisterProduct", []string{doc})
}

// GetProduct returns a product.
func (c *Client) GetProduct(ctx context.Context, gtin string) (*provenancetypes.Product, error) {
	g, err := provenancetypes.NormalizeGTIN(gtin)
	if err := local("GetProduct", err); err != nil {
		return nil, err
	}
	return sdk.EvaluateJSON[provenancetypes.Product](ctx, c.k, "GetProduct", []string{g})
}

// RegisterParty registers the caller (a manufacturer, distributor or pharmacist) as a party goods can
// be shipped to, from its certificate. Registering again fails with ErrDuplicate; see
// [Client.EnsureRegistered].
func (c *Client) RegisterParty(ctx context.Context) (*provenancetypes.PartyRecord, error) {
	return sdk.SubmitJSON[provenancetypes.PartyRecord](ctx, c.k, "RegisterParty", []string{})
}

// EnsureRegistered registers the caller as a party unless it already is, and returns its record.
func (c *Client) EnsureRegistered(ctx context.Context) (*provenancetypes.PartyRecord, error) {
	rec, err := c.RegisterParty(ctx)
	if err == nil {
		return rec, nil
	}
	if !errors.Is(err, sdk.ErrDuplicate) {
		return nil, err
	}
	id := c.c.Identity()
	return c.GetParty(ctx, provenancetypes.Party{MSPID: id.MSPID, GLN: id.Subject})
}

// GetParty returns a registered party.
func (c *Client) GetParty(ctx context.Context, p provenancetypes.Party) (*provenancetypes.PartyRecord, error) {
	if err := local("GetParty", provenancetypes.CheckParty(p)); err != nil {
		return nil, err
	}
	return sdk.EvaluateJSON[provenancetypes.PartyRecord](ctx, c.k, "GetParty", []string{p.MSPID, p.GLN})
}

// CommissionBatch creates a batch with its declared quantity and up to pt.MaxSerialsPerTx serials;
// add the others with [Client.AddSerials], or use [Client.CommissionAll].
func (c *Client) CommissionBatch(ctx context.Context, spec provenancetypes.BatchSpec) (*provenancetypes.Batch, error) {
	n, err := spec.Normalized()
	if err := local("CommissionBatch", err); err != nil {
		return nil, err
	}
	doc, err := encode("CommissionBatch", n)
	if err != nil {
		return nil, err
	}
	return sdk.SubmitJSON[provenancetypes.Batch](ctx, c.k, "CommissionBatch", []string{doc})
}

// AddSerials commissions one chunk of at most pt.MaxSerialsPerTx serials of a batch.
func (c *Client) AddSerials(ctx context.Context, gtin, lot string, serials []string) (*provenancetypes.Batch, error) {
	g, err := batchArgs(gtin, lot)
	if err := local("AddSerials", err, provenancetypes.CheckSerials(serials, provenancetypes.MaxSerialsPerTx)); err != nil {
		return nil, err
	}
	doc, err := encode("AddSerials", serials)
	if err != nil {
		return nil, err
	}
	return sdk.SubmitJSON[provenancetypes.Batch](ctx, c.k, "AddSerials", []string{g, lot, doc})
}

// CommissionAll commissions a batch and all its serials, in as many transactions as the chunk limit
// needs: the first chunk inline, the rest with AddSerials. spec.Serials is ignored. It stops at the
// first failure; the batch then holds the chunks committed so far (see Batch.SerialCount).
func (c *Client) CommissionAll(ctx context.Context, spec provenancetypes.BatchSpec, serials []string) (*provenancetypes.Batch, error) {
	if err := local("CommissionAll", provenancetypes.CheckSerials(serials, provenancetypes.MaxQuantity)); err != nil {
		return nil, err
	}
	first := min(len(serials), provenancetypes.MaxSerialsPerTx)
	spec.Serials = serials[:first]
	b, err := c.CommissionBatch(ctx, spec)
	if err != nil {
		return nil, err
	}
	for from := first; from < len(serials); from += provenancetypes.MaxSerialsPerTx {
		to := min(from+provenancetypes.MaxSerialsPerTx, len(serials))
		if b, err = c.AddSerials(ctx, b.GTIN, b.Lot, serials[from:to]); err != nil {
			return nil, fmt.Errorf("provenance.CommissionAll: serials %d-%d: %w", from, to-1, err)
		}
	}
	return b, nil
}

// GetBatch returns a batch.
func (c *Client) GetBatch(ctx context.Context, gtin, lot string) (*provenancetypes.Batch, error) {
	g, err := batchArgs(gtin, lot)
	if err := local("GetBatch", err); err != nil {
		return nil, err
	}
	return sdk.EvaluateJSON[provenancetypes.Batch](ctx, c.k, "GetBatch", []string{g, lot})
}

// Ship sends the batch's main stock (no serials) or the given units to a registered receiver. The
// shipment id is the caller's: the same shipment again fails with ErrDuplicate.
func (c *Client) Ship(ctx context.Context, spec provenancetypes.ShipmentSpec) (*provenancetypes.Shipment, error) {
	n, err := spec.Normalized()
	if err := local("Ship", err); err != nil {
		return nil, err
	}
	doc, err := encode("Ship", n)
	if err != nil {
		return nil, err
	}
	return sdk.SubmitJSON[provenancetypes.Shipment](ctx, c.k, "Ship", []string{doc})
}

// Receive takes delivery of a shipment addressed to the caller.
func (c *Client) Receive(ctx context.Context, shipmentID string) (*provenancetypes.Shipment, error) {
	return sdk.SubmitJSON[provenancetypes.Shipment](ctx, c.k, "Receive", []string{shipmentID})
}

// GetShipment returns a shipment.
func (c *Client) GetShipment(ctx context.Context, shipmentID string) (*provenancetypes.Shipment, error) {
	return sdk.EvaluateJSON[provenancetypes.Shipment](ctx, c.k, "GetShipment", []string{shipmentID})
}

// Dispense records that the caller (a pharmacist) dispensed a unit it holds. Without an event id in
// ec one is drawn, so the SDK's retries cannot turn one dispense into two. A unit already dispensed
// returns the chaincode's answer and a [*DispenseRejectedError]: both are non-nil.
func (c *Client) Dispense(ctx context.Context, gtin, serial string, ec provenancetypes.EventContext) (*provenancetypes.DispenseResult, error) {
	g, err := provenancetypes.NormalizeGTIN(gtin)
	if err := local("Dispense", err, provenancetypes.CheckSerial(serial), ec.Validate()); err != nil {
		return nil, err
	}
	if ec.EventID == "" {
		id, err := newEventID()
		if err != nil {
			return nil, err
		}
		ec.EventID = id
	}
	doc, err := encode("Dispense", ec)
	if err != nil {
		return nil, err
	}
	res, err := sdk.SubmitJSON[provenancetypes.DispenseResult](ctx, c.k, "Dispense", []string{g, serial, doc})
	if err != nil {
		return nil, err
	}
	if !res.Accepted {
		return res, &DispenseRejectedError{Result: res}
	}
	return res, nil
}

// Decommission takes the caller's units (or, without serials, the batch's main stock it holds) out
// of the supply chain.
func (c *Client) Decommission(ctx context.Context, action provenancetypes.UnitAction) (*provenancetypes.Event, error) {
	return c.finish(ctx, "Decommission", action)
}

// Destroy records the destruction of the caller's units (or, without serials, of the batch's main
// stock it holds).
func (c *Client) Destroy(ctx context.Context, action provenancetypes.UnitAction) (*provenancetypes.Event, error) {
	return c.finish(ctx, "Destroy", action)
}

func (c *Client) finish(ctx context.Context, fn string, action provenancetypes.UnitAction) (*provenancetypes.Event, error) {
	n, err := action.Normalized()
	if err := local(fn, err); err != nil {
		return nil, err
	}
	doc, err := encode(fn, n)
	if err != nil {
		return nil, err
	}
	return sdk.SubmitJSON[provenancetypes.Event](ctx, c.k, fn, []string{doc})
}

// Recall recalls a batch (the caller is its manufacturer or an auditor). The answer is the Recalled
// event, which lists every current holder of the batch's units.
func (c *Client) Recall(ctx context.Context, gtin, lot, reason string) (*provenancetypes.Event, error) {
	return c.flag(ctx, "Recall", gtin, lot, "reason", reason)
}

// Quarantine holds a batch's suspect product (the caller is its manufacturer, an auditor or a holder).
func (c *Client) Quarantine(ctx context.Context, gtin, lot, reason string) (*provenancetypes.Event, error) {
	return c.flag(ctx, "Quarantine", gtin, lot, "reason", reason)
}

// ReleaseQuarantine lifts a quarantine (the caller is the batch's manufacturer or an auditor).
func (c *Client) ReleaseQuarantine(ctx context.Context, gtin, lot, note string) (*provenancetypes.Event, error) {
	return c.flag(ctx, "ReleaseQuarantine", gtin, lot, "note", note)
}

// ClearExcursion clears a batch's temperature excursion (the caller is an auditor).
func (c *Client) ClearExcursion(ctx context.Context, gtin, lot, note string) (*provenancetypes.Event, error) {
	return c.flag(ctx, "ClearExcursion", gtin, lot, "note", note)
}

// FlagSuspect flags a whole batch suspect by an auditor's decision (the caller is an auditor).
func (c *Client) FlagSuspect(ctx context.Context, gtin, lot, reason string) (*provenancetypes.Event, error) {
	return c.flag(ctx, "FlagSuspect", gtin, lot, "reason", reason)
}

// ClearSuspect clears a suspect flag after review, with a note (the caller is an auditor): with a
// serial that unit's own flag, with serial "" the batch's flag and the reports against it. The
// answer is the SuspectCleared event, which the unit's (or every unit's) custody shows.
func (c *Client) ClearSuspect(ctx context.Context, gtin, lot, serial, note string) (*provenancetypes.Event, error) {
	g, err := batchArgs(gtin, lot)
	var serr error
	if serial != "" {
		serr = provenancetypes.CheckSerial(serial)
	}
	if err := local("ClearSuspect", err, serr, provenancetypes.CheckText("note", note)); err != nil {
		return nil, err
	}
	return sdk.SubmitJSON[provenancetypes.Event](ctx, c.k, "ClearSuspect", []string{g, lot, serial, note})
}

func (c *Client) flag(ctx context.Context, fn, gtin, lot, what, text string) (*provenancetypes.Event, error) {
	g, err := batchArgs(gtin, lot)
	if err := local(fn, err, provenancetypes.CheckText(what, text)); err != nil {
		return nil, err
	}
	return sdk.SubmitJSON[provenancetypes.Event](ctx, c.k, fn, []string{g, lot, text})
}

// RecordReadings records temperature readings taken with named units the caller holds (or receives).
// The answer is a ReadingsRecorded event, or ExcursionDetected when a reading left the product's range.
func (c *Client) RecordReadings(ctx context.Context, spec provenancetypes.ReadingsSpec) (*provenancetypes.Event, error) {
	n, err := spec.Normalized()
	if err := local("RecordReadings", err); err != nil {
		return nil, err
	}
	doc, err := encode("RecordReadings", n)
	if err != nil {
		return nil, err
	}
	return sdk.SubmitJSON[provenancetypes.Event](ctx, c.k, "RecordReadings", []string{doc})
}

// Verify answers the DSCSA verification question for a product identifier. expiry is YYYY-MM-DD or
// the GS1 YYMMDD form. The answer's Result is one of the pt.Verify* constants; whether the unit may
// be handed to a patient is its SafeToDispense method (verified and not suspect), which every caller
// acting on the answer should use rather than compare Result.
func (c *Client) Verify(ctx context.Context, gtin, serial, lot, expiry string) (*provenancetypes.VerifyResult, error) {
	g, err := batchArgs(gtin, lot)
	_, derr := provenancetypes.ParseDate(expiry)
	if err := local("Verify", err, provenancetypes.CheckSerial(serial), derr); err != nil {
		return nil, err
	}
	return sdk.EvaluateJSON[provenancetypes.VerifyResult](ctx, c.k, "Verify", []string{g, serial, lot, expiry})
}

// GetUnit returns one unit with the flags of its batch.
func (c *Client) GetUnit(ctx context.Context, gtin, serial string) (*provenancetypes.Unit, error) {
	g, err := provenancetypes.NormalizeGTIN(gtin)
	if err := local("GetUnit", err, provenancetypes.CheckSerial(serial)); err != nil {
		return nil, err
	}
	return sdk.EvaluateJSON[provenancetypes.Unit](ctx, c.k, "GetUnit", []string{g, serial})
}

// BatchCustody returns one page of a batch's chain of custody, oldest first. pageSize 0 means the
// chaincode's default; pass the returned bookmark for the next page ("" when there is none).
func (c *Client) BatchCustody(ctx context.Context, gtin, lot string, pageSize int, bookmark string) (*provenancetypes.EventPage, error) {
	g, err := batchArgs(gtin, lot)
	if err := local("BatchCustody", err); err != nil {
		return nil, err
	}
	return eventPage(sdk.EvaluateJSON[provenancetypes.EventPage](ctx, c.k, "BatchCustody", []string{g, lot, strconv.Itoa(pageSize), bookmark}))
}

// UnitCustody returns one page of a unit's chain of custody, oldest first.
func (c *Client) UnitCustody(ctx context.Context, gtin, serial string, pageSize int, bookmark string) (*provenancetypes.EventPage, error) {
	g, err := provenancetypes.NormalizeGTIN(gtin)
	if err := local("UnitCustody", err, provenancetypes.CheckSerial(serial)); err != nil {
		return nil, err
	}
	return eventPage(sdk.EvaluateJSON[provenancetypes.EventPage](ctx, c.k, "UnitCustody", []string{g, serial, strconv.Itoa(pageSize), bookmark}))
}

// ListBatchesByOwner returns one page of the batches a party holds units of (or has units inbound).
func (c *Client) ListBatchesByOwner(ctx context.Context, owner provenancetypes.Party, pageSize int, bookmark string) (*provenancetypes.HoldingPage, error) {
	if err := local("ListBatchesByOwner", provenancetypes.CheckParty(owner)); err != nil {
		return nil, err
	}
	p, err := sdk.EvaluateJSON[provenancetypes.HoldingPage](ctx, c.k, "ListBatchesByOwner", []string{owner.MSPID, owner.GLN, strconv.Itoa(pageSize), bookmark})
	if err != nil {
		return nil, err
	}
	p.Items = nonNil(p.Items)
	return p, nil
}

// ListBatchesByStatus returns one page of the batches with a status (one of pt.BatchStatuses).
func (c *Client) ListBatchesByStatus(ctx context.Context, status string, pageSize int, bookmark string) (*provenancetypes.BatchPage, error) {
	p, err := sdk.EvaluateJSON[provenancetypes.BatchPage](ctx, c.k, "ListBatchesByStatus", []string{status, strconv.Itoa(pageSize), bookmark})
	if err != nil {
		return nil, err
	}
	p.Items = nonNil(p.Items)
	return p, nil
}

func eventPage(p *provenancetypes.EventPage, err error) (*provenancetypes.EventPage, error) {
	if err != nil {
		return nil, err
	}
	p.Items = nonNil(p.Items)
	return p, nil
}

// batchArgs normalises a GTIN and checks a lot; it returns the GTIN-14.
func batchArgs(gtin, lot string) (string, error) {
	g, err := provenancetypes.NormalizeGTIN(gtin)
	if err != nil {
		return "", err
	}
	return g, provenancetypes.CheckLot(lot)
}

// local turns the first failed local check into an error matching sdk.ErrInvalidArgument.
func local(fn string, errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return fmt.Errorf("provenance.%s: %w: %w", fn, sdk.ErrInvalidArgument, err)
		}
	}
	return nil
}

func encode(fn string, v any) (string, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("provenance.%s: encode the request: %w", fn, err)
	}
	return string(raw), nil
}

func newEventID() (string, error) {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("provenance.Dispense: draw an event id: %w", err)
	}
	return "ev-" + hex.EncodeToString(b[:]), nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
