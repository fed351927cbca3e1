//go:build integration

package integration

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/healthledger/healthledger/chaincode/provenance/provenancetypes"
	"github.com/healthledger/healthledger/gateway-client/provenance"
	"github.com/healthledger/healthledger/gateway-client/sdk"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
)

// The provenance tests drive the provenance chaincode through its typed SDK client, one identity per
// supply-chain role, on a product of their own (a fresh GTIN per test, so every lot, serial and event
// is new to the ledger).
//
// Provenance is endorsed by a MAJORITY of the orgs, and each org's peer commits a block on its own: a
// transaction that just committed on the submitter's peer may not be on the other endorsers yet. So
// after every submit a test waits (provSync) until every org's peer has reached the height of the
// most advanced one before the next actor moves.

// provActor is one identity of the supply chain, connected through its org's gateway.
type provActor struct {
	c     *sdk.Client
	prov  *provenance.Client
	party provenancetypes.Party // MSP id and GLN (the certificate's subject)
}

// provWorld is one test's cast and product.
type provWorld struct {
	mfr, dist, pharm, aud provActor
	orgs                  []*sdk.Client // one client per org, to wait on every peer
	product               *provenancetypes.Product
}

// provSetup connects the manufacturer, distributor, pharmacist and auditor, registers the three
// parties (or finds them registered by an earlier run) and registers a new product stored at 2-8 °C.
func provSetup(t *testing.T) *provWorld {
	t.Helper()
	w := &provWorld{
		mfr:   provConnect(t, "manufacturer"),
		dist:  provConnect(t, "distributor"),
		pharm: provConnect(t, "pharmacist"),
		aud:   provConnect(t, "auditor"),
	}
	for _, o := range env.net.Orgs() {
		w.orgs = append(w.orgs, connect(t, identityOfOrg(t, o.Name).Name))
	}
	for _, a := range []provActor{w.mfr, w.dist, w.pharm} {
		rec, err := a.prov.EnsureRegistered(ctx(t))
		require.NoError(t, err, "registering %s", a.party)
		require.Equal(t, a.party, rec.Party())
		require.Equal(t, a.c.Identity().Role, rec.Role)
	}
	gtin := provGTIN(t, provPrefix(t, w.mfr.c, w.mfr.party.MSPID))
	p, err := w.mfr.prov.RegisterProduct(ctx(t), provenancetypes.ProductSpec{
		GTIN: gtin, Name: "Integration test insulin glargine", Strength: "100 U/mL", DosageForm: "solution for injection",
		Storage: &provenancetypes.TempRange{MinCelsius: 2, MaxCelsius: 8},
	})
	require.NoError(t, err)
	require.Equal(t, gtin, p.GTIN)
	require.Equal(t, w.mfr.party, p.Manufacturer)
	w.product = p
	provSync(t, w)
	return w
}

// provConnect connects the first identity holding role and reads its party from its certificate.
func provConnect(t *testing.T, role string) provActor {
	t.Helper()
	c := connect(t, identity(t, role, 0).Name)
	id := c.Identity()
	require.Equal(t, role, id.Role)
	return provActor{c: c, prov: provenance.New(c), party: provenancetypes.Party{MSPID: id.MSPID, GLN: id.Subject}}
}

// provPrefix reads, through c, the first GS1 company prefix that the consortium map in force (which
// deploy writes from the layout) gives the organisation mspID: RegisterProduct refuses a GTIN of any
// prefix that is not the caller's organisation's.
func provPrefix(t *testing.T, c *sdk.Client, mspID string) string {
	t.Helper()
	raw, err := c.Contract("provenance").Evaluate(ctx(t), "GetConsortium", nil)
	require.NoError(t, err)
	var m struct {
		GS1Prefixes map[string][]string `json:"gs1Prefixes"`
	}
	require.NoError(t, json.Unmarshal(raw, &m))
	require.NotEmpty(t, m.GS1Prefixes[mspID], "the consortium map gives %s no GS1 company prefix", mspID)
	return m.GS1Prefixes[mspID][0]
}

// provGTIN draws a new GTIN-14 of the GS1 company prefix: a random indicator digit (0-8), the prefix,
// a random item reference filling the 12 digits after the indicator, then the check digit.
func provGTIN(t *testing.T, prefix string) string {
	t.Helper()
	itemDigits := 12 - len(prefix)
	refs := int64(1)
	for range itemDigits {
		refs *= 10
	}
	n, err := rand.Int(rand.Reader, big.NewInt(9*refs))
	require.NoError(t, err)
	gtin, err := provenancetypes.WithCheckDigit(fmt.Sprintf("%d%s%0*d", n.Int64()/refs, prefix, itemDigits, n.Int64()%refs))
	require.NoError(t, err)
	norm, err := provenancetypes.NormalizeGTIN(gtin)
	require.NoError(t, err)
	return norm
}

// provHeight asks c's peer how many blocks the channel has.
func provHeight(ctx context.Context, c *sdk.Client) (uint64, error) {
	raw, err := c.Contract("qscc").Evaluate(ctx, "GetChainInfo", []string{env.net.Channel()})
	if err != nil {
		return 0, fmt.Errorf("chain info from %s: %w", c.Identity().MSPID, err)
	}
	var info common.BlockchainInfo
	if err := proto.Unmarshal(raw, &info); err != nil {
		return 0, fmt.Errorf("chain info from %s: %w", c.Identity().MSPID, err)
	}
	return info.GetHeight(), nil
}

// provSync waits until every org's peer has the blocks of the most advanced one, so the next
// transaction is endorsed on peers that all see what the previous one wrote.
func provSync(t *testing.T, w *provWorld) {
	t.Helper()
	syncPeers(t, w.orgs)
}

// provSerials returns n serials prefix00001, prefix00002, ...
func provSerials(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%05d", prefix, i+1)
	}
	return out
}

// provBatchSpec is a batch of the world's product made a month ago, expiring in two years.
func provBatchSpec(w *provWorld, lot string, quantity int) provenancetypes.BatchSpec {
	today := time.Now().UTC()
	return provenancetypes.BatchSpec{
		GTIN: w.product.GTIN, Lot: lot, Quantity: quantity,
		ManufacturedOn: today.AddDate(0, -1, 0).Format(provenancetypes.DateLayout),
		Expiry:         today.AddDate(2, 0, 0).Format(provenancetypes.DateLayout),
	}
}

// provCommission commissions a batch of the world's product with the given serials.
func provCommission(t *testing.T, w *provWorld, lot string, serials []string) *provenancetypes.Batch {
	t.Helper()
	spec := provBatchSpec(w, lot, len(serials))
	spec.Serials = serials
	b, err := w.mfr.prov.CommissionBatch(ctx(t), spec)
	require.NoError(t, err)
	require.Equal(t, len(serials), b.SerialCount)
	require.Equal(t, w.mfr.party, b.Custody.Holder)
	provSync(t, w)
	return b
}

// provShip ships units of a batch (its main stock when serials is nil) from one actor to another.
func provShip(t *testing.T, w *provWorld, from, to provActor, b *provenancetypes.Batch, serials []string) *provenancetypes.Shipment {
	t.Helper()
	sh, err := from.prov.Ship(ctx(t), provenancetypes.ShipmentSpec{
		ShipmentID: unique("prov-sh"), GTIN: b.GTIN, Lot: b.Lot, Serials: serials, Receiver: to.party,
	})
	require.NoError(t, err)
	require.Equal(t, provenancetypes.ShipmentInTransit, sh.Status)
	require.Equal(t, from.party, sh.Sender)
	require.Equal(t, to.party, sh.Receiver)
	require.Equal(t, serials == nil, sh.WholeBatch)
	provSync(t, w)
	return sh
}

// provReceive receives a shipment as by.
func provReceive(t *testing.T, w *provWorld, by provActor, sh *provenancetypes.Shipment) {
	t.Helper()
	got, err := by.prov.Receive(ctx(t), sh.ShipmentID)
	require.NoError(t, err)
	require.Equal(t, provenancetypes.ShipmentReceived, got.Status)
	require.NotNil(t, got.ReceivedAt)
	provSync(t, w)
}

// provToPharmacy commissions a batch with serials, ships its main stock to the distributor, who
// receives it and ships the first toPharmacy serials to the pharmacy, which receives them.
func provToPharmacy(t *testing.T, w *provWorld, lot string, serials []string, toPharmacy int) *provenancetypes.Batch {
	t.Helper()
	b := provCommission(t, w, lot, serials)
	provReceive(t, w, w.dist, provShip(t, w, w.mfr, w.dist, b, nil))
	provReceive(t, w, w.pharm, provShip(t, w, w.dist, w.pharm, b, serials[:toPharmacy]))
	return b
}

// provVerify asks, as who, what Verify answers for one unit of b.
func provVerify(t *testing.T, who provActor, b *provenancetypes.Batch, serial string) *provenancetypes.VerifyResult {
	t.Helper()
	res, err := who.prov.Verify(ctx(t), b.GTIN, serial, b.Lot, b.Expiry)
	require.NoError(t, err, "verifying %s", serial)
	require.Equal(t, b.GTIN, res.GTIN)
	require.Equal(t, serial, res.Serial)
	return res
}

// provWalk reads every page of a custody query, pageSize events at a time.
func provWalk(t *testing.T, pageSize int, page func(bookmark string) (*provenancetypes.EventPage, error)) []provenancetypes.Event {
	t.Helper()
	all := []provenancetypes.Event{}
	bookmark := ""
	for pages := 1; ; pages++ {
		p, err := page(bookmark)
		require.NoError(t, err)
		require.LessOrEqual(t, len(p.Items), pageSize)
		all = append(all, p.Items...)
		if p.Bookmark == "" {
			return all
		}
		require.Less(t, pages, 100, "paging does not end")
		bookmark = p.Bookmark
	}
}

// provTypes lists the events' types.
func provTypes(events []provenancetypes.Event) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.Type
	}
	return out
}

func TestProvenanceHappyPathFromCommissioningToDispense(t *testing.T) {
	w := provSetup(t)
	serials := provSerials("S", 6)

	b := provCommission(t, w, "LOT-HAPPY", serials)
	require.Equal(t, provenancetypes.UnitActive, b.Custody.State)
	require.Equal(t, 6, b.MainStock)
	require.Equal(t, provenancetypes.VerifyVerified, provVerify(t, w.pharm, b, "S00001").Result, "a commissioned unit verifies")

	toDist := provShip(t, w, w.mfr, w.dist, b, nil)
	require.Equal(t, 6, toDist.Quantity)
	inTransit, err := w.dist.prov.GetBatch(ctx(t), b.GTIN, b.Lot)
	require.NoError(t, err)
	require.Equal(t, provenancetypes.UnitInTransit, inTransit.Custody.State)
	require.Equal(t, w.dist.party, *inTransit.Custody.Receiver)
	provReceive(t, w, w.dist, toDist)

	received, err := w.dist.prov.GetBatch(ctx(t), b.GTIN, b.Lot)
	require.NoError(t, err)
	require.Equal(t, w.dist.party, received.Custody.Holder, "receiving passes custody of the main stock")
	require.Equal(t, provenancetypes.UnitActive, received.Custody.State)

	toPharm := provShip(t, w, w.dist, w.pharm, b, []string{"S00001", "S00002"})
	require.Equal(t, 2, toPharm.Quantity)
	provReceive(t, w, w.pharm, toPharm)

	unit, err := w.pharm.prov.GetUnit(ctx(t), b.GTIN, "S00001")
	require.NoError(t, err)
	require.Equal(t, w.pharm.party, unit.Holder)
	require.Equal(t, provenancetypes.UnitActive, unit.Status)
	require.Equal(t, provenancetypes.VerifyVerified, provVerify(t, w.pharm, b, "S00001").Result, "the pharmacy verifies before dispensing")

	res, err := w.pharm.prov.Dispense(ctx(t), b.GTIN, "S00001", provenancetypes.EventContext{EventID: unique("prov-fill")})
	require.NoError(t, err)
	require.True(t, res.Accepted)
	require.Equal(t, provenancetypes.UnitDispensed, res.Unit.Status)
	require.Equal(t, w.pharm.party, *res.Unit.DispensedBy)
	require.Equal(t, provenancetypes.EventDispensed, res.Event.Type)
	provSync(t, w)

	for _, who := range []provActor{w.pharm, w.mfr, w.aud} {
		require.Equal(t, provenancetypes.VerifyDispensed, provVerify(t, who, b, "S00001").Result, "a dispensed unit, asked by %s", who.party)
	}
	require.Equal(t, provenancetypes.VerifyVerified, provVerify(t, w.pharm, b, "S00002").Result, "the other unit at the pharmacy")
	require.Equal(t, provenancetypes.VerifyVerified, provVerify(t, w.pharm, b, "S00006").Result, "a unit still with the distributor")
	require.False(t, provVerify(t, w.pharm, b, "S00006").Suspect)

	t.Run("the unit's chain of custody lists its events in order", func(t *testing.T) {
		events := provWalk(t, 2, func(bm string) (*provenancetypes.EventPage, error) {
			return w.aud.prov.UnitCustody(ctx(t), b.GTIN, "S00001", 2, bm)
		})
		require.Equal(t, []string{provenancetypes.EventBatchCommissioned, provenancetypes.EventShipped, provenancetypes.EventReceived, provenancetypes.EventShipped,
			provenancetypes.EventReceived, provenancetypes.EventDispensed}, provTypes(events))
		for i := 1; i < len(events); i++ {
			require.True(t, events[i].RecordTime.After(events[i-1].RecordTime), "event %d is not after event %d", i, i-1)
		}
		require.Equal(t, w.mfr.party, events[0].Actor)
		require.Equal(t, toDist.ShipmentID, events[1].ShipmentID)
		require.Equal(t, w.dist.party, *events[1].Destination)
		require.Equal(t, w.dist.party, events[2].Actor)
		require.Equal(t, toPharm.ShipmentID, events[3].ShipmentID)
		require.Equal(t, w.pharm.party, events[4].Actor)
		require.Equal(t, w.pharm.party, events[5].Actor)
		require.Equal(t, []string{"S00001"}, events[5].Serials)
		require.Equal(t, provenancetypes.BizStepDispensing, events[5].BizStep)
	})
	t.Run("the batch's chain of custody lists the same events", func(t *testing.T) {
		events := provWalk(t, 4, func(bm string) (*provenancetypes.EventPage, error) {
			return w.aud.prov.BatchCustody(ctx(t), b.GTIN, b.Lot, 4, bm)
		})
		require.Equal(t, []string{provenancetypes.EventBatchCommissioned, provenancetypes.EventShipped, provenancetypes.EventReceived, provenancetypes.EventShipped,
			provenancetypes.EventReceived, provenancetypes.EventDispensed}, provTypes(events))
		require.Equal(t, provenancetypes.ScopeStock, events[1].Scope)
		require.Equal(t, provenancetypes.ScopeUnits, events[3].Scope)
	})
	t.Run("the other unit's chain of custody stops at its batch's last move", func(t *testing.T) {
		events := provWalk(t, 50, func(bm string) (*provenancetypes.EventPage, error) {
			return w.dist.prov.UnitCustody(ctx(t), b.GTIN, "S00006", 50, bm)
		})
		require.Equal(t, []string{provenancetypes.EventBatchCommissioned, provenancetypes.EventShipped, provenancetypes.EventReceived}, provTypes(events))
	})
}

// TestProvenanceDoubleDispenseIsCaughtAndFlagsTheUnitSuspect: the holder dispensing a unit again is
// caught and flags the unit; one organisation's report does not flag the batch (that needs a second
// organisation's, or an auditor: see provenance_trust_test.go).
func TestProvenanceDoubleDispenseIsCaughtAndFlagsTheUnitSuspect(t *testing.T) {
	w := provSetup(t)
	b := provToPharmacy(t, w, "LOT-DOUBLE", provSerials("D", 4), 2)

	fill := unique("prov-fill")
	first, err := w.pharm.prov.Dispense(ctx(t), b.GTIN, "D00001", provenancetypes.EventContext{EventID: fill})
	require.NoError(t, err)
	require.True(t, first.Accepted)
	provSync(t, w)

	t.Run("a retry of the same dispense is a duplicate and flags nothing", func(t *testing.T) {
		_, err := w.pharm.prov.Dispense(ctx(t), b.GTIN, "D00001", provenancetypes.EventContext{EventID: fill})
		require.ErrorIs(t, err, sdk.ErrDuplicate)
		u, err := w.pharm.prov.GetUnit(ctx(t), b.GTIN, "D00001")
		require.NoError(t, err)
		require.False(t, u.Suspect)
	})

	t.Run("a second dispense is rejected with PRECONDITION_FAILED", func(t *testing.T) {
		res, err := w.pharm.prov.Dispense(ctx(t), b.GTIN, "D00001", provenancetypes.EventContext{EventID: unique("prov-copy")})
		require.ErrorIs(t, err, sdk.ErrPreconditionFailed)
		var rejected *provenance.DispenseRejectedError
		require.ErrorAs(t, err, &rejected)
		require.NotNil(t, res)
		require.False(t, res.Accepted)
		require.Equal(t, "PRECONDITION_FAILED", res.Code)
		require.NotEmpty(t, res.Reason)
		require.Equal(t, provenancetypes.EventDispenseRejected, res.Event.Type)
		require.Equal(t, provenancetypes.DispositionNonSellableOther, res.Event.Disposition)
		provSync(t, w)
	})

	t.Run("the unit is flagged suspect and its first dispense stands", func(t *testing.T) {
		u, err := w.aud.prov.GetUnit(ctx(t), b.GTIN, "D00001")
		require.NoError(t, err)
		require.True(t, u.Suspect)
		require.Equal(t, provenancetypes.UnitDispensed, u.Status)
		require.Equal(t, fill, u.DispenseEventID)
		require.Equal(t, w.pharm.party, *u.DispensedBy)
		v := provVerify(t, w.aud, b, "D00001")
		require.Equal(t, provenancetypes.VerifyDispensed, v.Result)
		require.True(t, v.Suspect)
	})

	t.Run("the batch holds the organisation's report but is not suspect, nor are its other units", func(t *testing.T) {
		got, err := w.aud.prov.GetBatch(ctx(t), b.GTIN, b.Lot)
		require.NoError(t, err)
		require.False(t, got.Suspect)
		require.Equal(t, provenancetypes.BatchActive, got.Status)
		require.Len(t, got.SuspectReports, 1)
		require.Equal(t, w.pharm.party, got.SuspectReports[0].By)
		require.Equal(t, "D00001", got.SuspectReports[0].Serial)
		v := provVerify(t, w.aud, b, "D00004")
		require.Equal(t, provenancetypes.VerifyVerified, v.Result)
		require.False(t, v.Suspect)
	})

	t.Run("the rejection is in the unit's chain of custody", func(t *testing.T) {
		events := provWalk(t, 50, func(bm string) (*provenancetypes.EventPage, error) {
			return w.aud.prov.UnitCustody(ctx(t), b.GTIN, "D00001", 50, bm)
		})
		types := provTypes(events)
		require.Equal(t, []string{provenancetypes.EventDispensed, provenancetypes.EventDispenseRejected}, types[len(types)-2:])
	})
}

// provNextEvent reads the stream until an event of the given type about the batch arrives.
func provNextEvent(t *testing.T, s *sdk.ChaincodeEventStream, name string, b *provenancetypes.Batch) *provenancetypes.Event {
	t.Helper()
	c, cancel := context.WithTimeout(ctx(t), 30*time.Second)
	defer cancel()
	for {
		e, err := s.Next(c)
		require.NoError(t, err, "waiting for the %s event of %s lot %s", name, b.GTIN, b.Lot)
		if e.Name != name {
			continue
		}
		ev, err := sdk.DecodeEvent[provenancetypes.Event](e)
		require.NoError(t, err)
		if ev.GTIN == b.GTIN && ev.Lot == b.Lot {
			require.Equal(t, e.TransactionID, ev.TxID)
			return ev
		}
	}
}

func TestProvenanceRecallReachesUnitsHeldByTwoOwners(t *testing.T) {
	w := provSetup(t)
	b := provToPharmacy(t, w, "LOT-RECALL", provSerials("R", 5), 2)

	// The pharmacy listens to the chaincode's events from the current block on, as its application would.
	from, err := provHeight(ctx(t), w.pharm.c)
	require.NoError(t, err)
	stream, err := blockReader(t, w.pharm.c).ChaincodeEvents(ctx(t), provenance.Chaincode, sdk.WithStartBlock(from))
	require.NoError(t, err)
	t.Cleanup(func() { _ = stream.Close() })

	ev, err := w.mfr.prov.Recall(ctx(t), b.GTIN, b.Lot, "integration test: out-of-specification assay")
	require.NoError(t, err)
	require.Equal(t, provenancetypes.EventRecalled, ev.Type)
	require.ElementsMatch(t, []provenancetypes.Party{w.dist.party, w.pharm.party}, ev.Holders, "the recall names both holders")
	provSync(t, w)

	t.Run("the pharmacy hears of the recall on the event stream, naming it", func(t *testing.T) {
		heard := provNextEvent(t, stream, provenancetypes.EventRecalled, b)
		require.Equal(t, ev.EventID, heard.EventID)
		require.Contains(t, heard.Holders, w.pharm.party)
		require.Contains(t, heard.Holders, w.dist.party)
		require.Equal(t, provenancetypes.DispositionRecalled, heard.Disposition)
	})
	t.Run("a unit at the pharmacy and one at the distributor both verify as recalled", func(t *testing.T) {
		require.Equal(t, provenancetypes.VerifyRecalled, provVerify(t, w.pharm, b, "R00001").Result)
		require.Equal(t, provenancetypes.VerifyRecalled, provVerify(t, w.dist, b, "R00005").Result)
		u, err := w.dist.prov.GetUnit(ctx(t), b.GTIN, "R00005")
		require.NoError(t, err)
		require.True(t, u.Recalled)
		require.Equal(t, w.dist.party, u.Holder)
	})
	t.Run("the batch records the recall", func(t *testing.T) {
		got, err := w.aud.prov.GetBatch(ctx(t), b.GTIN, b.Lot)
		require.NoError(t, err)
		require.True(t, got.Recalled)
		require.Equal(t, provenancetypes.BatchRecalled, got.Status)
		require.Equal(t, w.mfr.party, got.Recall.By)
	})
	t.Run("a recalled unit cannot be dispensed", func(t *testing.T) {
		_, err := w.pharm.prov.Dispense(ctx(t), b.GTIN, "R00002", provenancetypes.EventContext{})
		require.ErrorIs(t, err, sdk.ErrPreconditionFailed)
		var rejected *provenance.DispenseRejectedError
		require.False(t, errors.As(err, &rejected), "a refusal, not a double dispense: %v", err)
	})
	t.Run("recalling it again is a duplicate", func(t *testing.T) {
		_, err := w.aud.prov.Recall(ctx(t), b.GTIN, b.Lot, "again")
		require.ErrorIs(t, err, sdk.ErrDuplicate)
	})
}

func TestProvenanceColdChainExcursionBlocksSaleUntilAnAuditorClearsIt(t *testing.T) {
	w := provSetup(t)
	b := provCommission(t, w, "LOT-COLD", provSerials("C", 3))
	sh := provShip(t, w, w.mfr, w.dist, b, nil)
	logger := []string{"C00001"}
	reading := func(v float64, uom string) provenancetypes.SensorReading {
		return provenancetypes.SensorReading{Time: time.Now().Add(-time.Minute).UTC(), Value: &v, UOM: uom, SensorID: "logger-7"}
	}

	// The data logger travels with the goods: the distributor reads it on arrival, before receiving.
	ok, err := w.dist.prov.RecordReadings(ctx(t), provenancetypes.ReadingsSpec{
		GTIN: b.GTIN, Lot: b.Lot, Serials: logger,
		Readings: []provenancetypes.SensorReading{reading(41, provenancetypes.UOMFahrenheit), reading(7.5, provenancetypes.UOMCelsius)},
	})
	require.NoError(t, err)
	require.Equal(t, provenancetypes.EventReadingsRecorded, ok.Type, "5 °C and 7.5 °C are inside 2-8 °C")
	provSync(t, w)
	require.Equal(t, provenancetypes.VerifyVerified, provVerify(t, w.dist, b, "C00002").Result)

	exc, err := w.dist.prov.RecordReadings(ctx(t), provenancetypes.ReadingsSpec{
		GTIN: b.GTIN, Lot: b.Lot, Serials: logger, Readings: []provenancetypes.SensorReading{reading(12.5, provenancetypes.UOMCelsius)},
	})
	require.NoError(t, err)
	require.Equal(t, provenancetypes.EventExcursionDetected, exc.Type)
	require.NotNil(t, exc.Excursion)
	require.InDelta(t, 12.5, exc.Excursion.ValueCelsius, 1e-9)
	provSync(t, w)
	provReceive(t, w, w.dist, sh)

	require.Equal(t, provenancetypes.VerifyExcursion, provVerify(t, w.aud, b, "C00002").Result, "every unit of the batch")
	got, err := w.aud.prov.GetBatch(ctx(t), b.GTIN, b.Lot)
	require.NoError(t, err)
	require.True(t, got.Excursion)
	require.Equal(t, provenancetypes.BatchExcursion, got.Status)

	t.Run("the distributor cannot clear it", func(t *testing.T) {
		_, err := w.dist.prov.ClearExcursion(ctx(t), b.GTIN, b.Lot, "looks fine to me")
		require.ErrorIs(t, err, sdk.ErrForbidden)
	})
	t.Run("an auditor clears it and the units verify again", func(t *testing.T) {
		ev, err := w.aud.prov.ClearExcursion(ctx(t), b.GTIN, b.Lot, "stability data cover 12.5 °C for under an hour")
		require.NoError(t, err)
		require.Equal(t, provenancetypes.EventExcursionCleared, ev.Type)
		require.Equal(t, w.aud.party, ev.Actor)
		provSync(t, w)
		require.Equal(t, provenancetypes.VerifyVerified, provVerify(t, w.dist, b, "C00002").Result)
		got, err := w.dist.prov.GetBatch(ctx(t), b.GTIN, b.Lot)
		require.NoError(t, err)
		require.False(t, got.Excursion)
		require.Equal(t, provenancetypes.BatchActive, got.Status)
	})
	t.Run("clearing it again fails its precondition", func(t *testing.T) {
		_, err := w.aud.prov.ClearExcursion(ctx(t), b.GTIN, b.Lot, "again")
		require.ErrorIs(t, err, sdk.ErrPreconditionFailed)
	})
}

func TestProvenanceReceiveByTheWrongPartyIsRefused(t *testing.T) {
	w := provSetup(t)
	b := provCommission(t, w, "LOT-WRONG", provSerials("W", 2))
	sh := provShip(t, w, w.mfr, w.dist, b, nil)

	cases := []struct {
		name string
		who  func(t *testing.T) *provenance.Client
	}{
		{"a pharmacy the shipment is not addressed to is refused", func(*testing.T) *provenance.Client { return w.pharm.prov }},
		{"the sender itself is refused", func(*testing.T) *provenance.Client { return w.mfr.prov }},
		{"a patient, who is no supply-chain party, is refused", func(t *testing.T) *provenance.Client {
			return provenance.New(connect(t, identity(t, "patient", 0).Name))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.who(t).Receive(ctx(t), sh.ShipmentID)
			require.ErrorIs(t, err, sdk.ErrForbidden, "docs/provenance.md: a shipment addressed to another party is FORBIDDEN")
		})
	}

	t.Run("the refusals changed nothing and the named receiver still receives", func(t *testing.T) {
		got, err := w.dist.prov.GetShipment(ctx(t), sh.ShipmentID)
		require.NoError(t, err)
		require.Equal(t, provenancetypes.ShipmentInTransit, got.Status)
		batch, err := w.dist.prov.GetBatch(ctx(t), b.GTIN, b.Lot)
		require.NoError(t, err)
		require.Equal(t, w.mfr.party, batch.Custody.Holder)
		require.Equal(t, provenancetypes.UnitInTransit, batch.Custody.State)
		provReceive(t, w, w.dist, sh)
		_, err = w.dist.prov.Receive(ctx(t), sh.ShipmentID)
		require.ErrorIs(t, err, sdk.ErrDuplicate)
	})
}

func TestProvenanceCommissioningTenThousandSerials(t *testing.T) {
	w := provSetup(t)
	const n = 10_000
	serials := provSerials("T", n)

	start := time.Now()
	b, err := w.mfr.prov.CommissionAll(ctx(t), provBatchSpec(w, "LOT-10K", n), serials)
	commissioning := time.Since(start)
	require.NoError(t, err)
	require.Equal(t, n, b.SerialCount)
	require.Equal(t, n, b.MainStock)
	t.Logf("commissioning %d serials in chunks of %d took %s", n, provenancetypes.MaxSerialsPerTx, commissioning.Round(time.Millisecond))
	provSync(t, w)

	for _, serial := range []string{serials[0], serials[n-1]} {
		start := time.Now()
		res, err := w.pharm.prov.Verify(ctx(t), b.GTIN, serial, b.Lot, b.Expiry)
		took := time.Since(start)
		require.NoError(t, err)
		require.Equal(t, provenancetypes.VerifyVerified, res.Result, serial)
		t.Logf("Verify of serial %s took %s", serial, took.Round(time.Microsecond))
	}
	require.Equal(t, provenancetypes.VerifyUnknownSerial, provVerify(t, w.pharm, b, "T10001").Result, "one past the last serial")
	got, err := w.pharm.prov.GetBatch(ctx(t), b.GTIN, b.Lot)
	require.NoError(t, err)
	require.Equal(t, n, got.SerialCount)
}
