package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/healthledger/healthledger/chaincode/provenance/provenancetypes"
	"github.com/healthledger/healthledger/gateway-client/provenance"
	"github.com/healthledger/healthledger/gateway-client/sdk"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/protobuf/proto"
)

// provActor is one supply-chain identity of the provenance story.
type provActor struct {
	name  string
	c     *sdk.Client
	prov  *provenance.Client
	party provenancetypes.Party
}

// provCast is who takes part in the provenance story, and one client per org of the network to wait
// on: each org's peer commits a block on its own, and provenance is endorsed by a majority of them.
type provCast struct {
	mfr, dist, pharm provActor
	peers            []*sdk.Client
	channel          string
	opened           []*sdk.Client
}

// provenanceStory commissions a batch of a new product, ships it to a distributor, who ships two
// units on to a pharmacy; the pharmacy verifies and dispenses one; the manufacturer then recalls the
// batch, and the recall names both parties that hold units of it. One line per step.
func provenanceStory(ctx context.Context, net *sdk.Network, out io.Writer) error {
	cast, err := provOpenCast(ctx, net)
	if err != nil {
		return err
	}
	defer cast.close()
	say := func(format string, args ...any) { fmt.Fprintf(out, "   "+format+"\n", args...) }

	for _, a := range []provActor{cast.mfr, cast.dist, cast.pharm} {
		if _, err := a.prov.EnsureRegistered(ctx); err != nil {
			return fmt.Errorf("registering %s as a party: %w", a.name, err)
		}
	}
	if err := cast.settle(ctx); err != nil {
		return err
	}
	say("%s, %s and %s are registered supply-chain parties", cast.mfr.name, cast.dist.name, cast.pharm.name)

	gtin, err := provDemoGTIN()
	if err != nil {
		return err
	}
	product, err := cast.mfr.prov.RegisterProduct(ctx, provenancetypes.ProductSpec{
		GTIN: gtin, Name: "Demo insulin glargine", Strength: "100 U/mL", DosageForm: "solution for injection",
		Storage: &provenancetypes.TempRange{MinCelsius: 2, MaxCelsius: 8},
	})
	if err != nil {
		return fmt.Errorf("registering the product: %w", err)
	}
	stamp := strings.ToUpper(strconv.FormatInt(time.Now().UnixNano(), 36))
	today := time.Now().UTC()
	serials := []string{"SN0001", "SN0002", "SN0003", "SN0004"}
	b, err := cast.mfr.prov.CommissionBatch(ctx, provenancetypes.BatchSpec{
		GTIN: product.GTIN, Lot: "L" + stamp[len(stamp)-8:], Quantity: len(serials), Serials: serials,
		ManufacturedOn: today.AddDate(0, -1, 0).Format(provenancetypes.DateLayout), Expiry: today.AddDate(2, 0, 0).Format(provenancetypes.DateLayout),
	})
	if err != nil {
		return fmt.Errorf("commissioning the batch: %w", err)
	}
	if err := cast.settle(ctx); err != nil {
		return err
	}
	say("%s commissioned lot %s of %s (%s) with %d serialised units, expiry %s",
		cast.mfr.name, b.Lot, product.Name, b.GTIN, b.SerialCount, b.Expiry)

	toDist, err := cast.move(ctx, cast.mfr, cast.dist, b, nil, "demo-sh-"+stamp+"-1")
	if err != nil {
		return err
	}
	say("%s shipped the lot to %s (%s), who received it", cast.mfr.name, cast.dist.name, toDist.ShipmentID)

	toPharm, err := cast.move(ctx, cast.dist, cast.pharm, b, serials[:2], "demo-sh-"+stamp+"-2")
	if err != nil {
		return err
	}
	say("%s shipped units %s to the pharmacy of %s (%s), who received them",
		cast.dist.name, strings.Join(toPharm.Serials, ", "), cast.pharm.name, toPharm.ShipmentID)

	unit := serials[0]
	v, err := cast.pharm.prov.Verify(ctx, b.GTIN, unit, b.Lot, b.Expiry)
	if err != nil {
		return fmt.Errorf("verifying %s: %w", unit, err)
	}
	safe, state := v.SafeToDispense()
	if !safe {
		return fmt.Errorf("%s is not safe to dispense: %s", unit, state)
	}
	say("%s verified %s at the counter: %s, safe to dispense", cast.pharm.name, unit, state)

	d, err := cast.pharm.prov.Dispense(ctx, b.GTIN, unit, provenancetypes.EventContext{EventID: "demo-fill-" + stamp})
	if err != nil {
		return fmt.Errorf("dispensing %s: %w", unit, err)
	}
	if err := cast.settle(ctx); err != nil {
		return err
	}
	say("%s dispensed %s (event %s)", cast.pharm.name, unit, d.Event.EventID)

	if v, err = cast.mfr.prov.Verify(ctx, b.GTIN, unit, b.Lot, b.Expiry); err != nil {
		return fmt.Errorf("verifying %s: %w", unit, err)
	}
	_, state = v.SafeToDispense()
	say("verifying %s again answers: %s", unit, state)

	_, err = cast.pharm.prov.Dispense(ctx, b.GTIN, unit, provenancetypes.EventContext{})
	var rejected *provenance.DispenseRejectedError
	if !errors.As(err, &rejected) {
		return fmt.Errorf("a second dispense of %s was not rejected: %v", unit, err)
	}
	if err := cast.settle(ctx); err != nil {
		return err
	}
	say("a second dispense of %s is rejected (%s) and flags the unit suspect", unit, rejected.Result.Code)

	recall, err := cast.mfr.prov.Recall(ctx, b.GTIN, b.Lot, "demo: out-of-specification assay")
	if err != nil {
		return fmt.Errorf("recalling the lot: %w", err)
	}
	if err := cast.settle(ctx); err != nil {
		return err
	}
	holders := make([]string, 0, len(recall.Holders))
	for _, h := range recall.Holders {
		holders = append(holders, cast.nameOf(h))
	}
	say("%s recalled lot %s; the recall reaches its holders: %s", cast.mfr.name, b.Lot, strings.Join(holders, ", "))

	for _, s := range []struct {
		who    provActor
		serial string
	}{{cast.pharm, serials[1]}, {cast.dist, serials[3]}} {
		v, err := s.who.prov.Verify(ctx, b.GTIN, s.serial, b.Lot, b.Expiry)
		if err != nil {
			return fmt.Errorf("verifying %s: %w", s.serial, err)
		}
		_, state := v.SafeToDispense()
		say("%s verifies %s, which it holds: %s", s.who.name, s.serial, state)
	}
	return nil
}

// provOpenCast connects the first manufacturer, distributor and pharmacist of the network, and one
// client per org.
func provOpenCast(ctx context.Context, net *sdk.Network) (*provCast, error) {
	cast := &provCast{channel: net.Channel()}
	connect := func(name string) (*sdk.Client, error) {
		c, err := net.Connect(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("connecting %s: %w", name, err)
		}
		cast.opened = append(cast.opened, c)
		return c, nil
	}
	for _, r := range []struct {
		role string
		into *provActor
	}{{"manufacturer", &cast.mfr}, {"distributor", &cast.dist}, {"pharmacist", &cast.pharm}} {
		ids := net.Identities(r.role)
		if len(ids) == 0 {
			cast.close()
			return nil, fmt.Errorf("the network has no %s identity", r.role)
		}
		c, err := connect(ids[0].Name)
		if err != nil {
			cast.close()
			return nil, err
		}
		id := c.Identity()
		*r.into = provActor{name: id.Name, c: c, prov: provenance.New(c), party: provenancetypes.Party{MSPID: id.MSPID, GLN: id.Subject}}
	}
	for _, o := range net.Orgs() {
		var peer *sdk.Client
		for _, c := range cast.opened {
			if c.Identity().MSPID == o.MSPID {
				peer = c
				break
			}
		}
		if peer == nil {
			for _, id := range net.Identities("") {
				if id.Org == o.Name {
					c, err := connect(id.Name)
					if err != nil {
						cast.close()
						return nil, err
					}
					peer = c
					break
				}
			}
		}
		if peer != nil {
			cast.peers = append(cast.peers, peer)
		}
	}
	return cast, nil
}

func (cast *provCast) close() {
	for _, c := range cast.opened {
		_ = c.Close()
	}
}

// nameOf names a party by the cast member it is, or by its GLN and MSP id.
func (cast *provCast) nameOf(p provenancetypes.Party) string {
	for _, a := range []provActor{cast.mfr, cast.dist, cast.pharm} {
		if a.party == p {
			return fmt.Sprintf("%s (%s)", a.name, p.MSPID)
		}
	}
	return p.String()
}

// move ships units of b (its main stock when serials is nil) from one actor to another, who receives
// them.
func (cast *provCast) move(ctx context.Context, from, to provActor, b *provenancetypes.Batch, serials []string, shipmentID string) (*provenancetypes.Shipment, error) {
	sh, err := from.prov.Ship(ctx, provenancetypes.ShipmentSpec{ShipmentID: shipmentID, GTIN: b.GTIN, Lot: b.Lot, Serials: serials, Receiver: to.party})
	if err != nil {
		return nil, fmt.Errorf("%s shipping to %s: %w", from.name, to.name, err)
	}
	if err := cast.settle(ctx); err != nil {
		return nil, err
	}
	if _, err := to.prov.Receive(ctx, sh.ShipmentID); err != nil {
		return nil, fmt.Errorf("%s receiving %s: %w", to.name, sh.ShipmentID, err)
	}
	return sh, cast.settle(ctx)
}

// settle waits until every org's peer has the blocks of the most advanced one, so that the next
// transaction is endorsed by peers that all see the previous one.
func (cast *provCast) settle(ctx context.Context) error {
	var target uint64
	for _, c := range cast.peers {
		h, err := provDemoHeight(ctx, c, cast.channel)
		if err != nil {
			return err
		}
		target = max(target, h)
	}
	deadline := time.Now().Add(15 * time.Second)
	for _, c := range cast.peers {
		for {
			h, err := provDemoHeight(ctx, c, cast.channel)
			if err != nil {
				return err
			}
			if h >= target {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("the peer of %s is still at block %d of %d after 15s", c.Identity().MSPID, h, target)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	return nil
}

// provDemoHeight asks c's peer how many blocks the channel has.
func provDemoHeight(ctx context.Context, c *sdk.Client, channel string) (uint64, error) {
	raw, err := c.Contract("qscc").Evaluate(ctx, "GetChainInfo", []string{channel})
	if err != nil {
		return 0, fmt.Errorf("asking the peer of %s for the chain height: %w", c.Identity().MSPID, err)
	}
	var info common.BlockchainInfo
	if err := proto.Unmarshal(raw, &info); err != nil {
		return 0, fmt.Errorf("decoding the chain height from %s: %w", c.Identity().MSPID, err)
	}
	return info.GetHeight(), nil
}

// provDemoGS1Prefix is the GS1 company prefix that the default layout gives the manufacturer's org
// (GS1_PREFIXES in network/config/layouts/default.sh): RegisterProduct refuses a GTIN of another.
const provDemoGS1Prefix = "0614141"

// provDemoGTIN draws a new GTIN-14 of the demo manufacturer: a zero indicator, its company prefix, a
// random item reference, then the check digit.
func provDemoGTIN() (string, error) {
	refs := int64(1)
	for i := 0; i < 12-len(provDemoGS1Prefix); i++ {
		refs *= 10
	}
	n, err := rand.Int(rand.Reader, big.NewInt(refs))
	if err != nil {
		return "", fmt.Errorf("drawing a GTIN: %w", err)
	}
	return provenancetypes.WithCheckDigit(fmt.Sprintf("0%s%0*d", provDemoGS1Prefix, 12-len(provDemoGS1Prefix), n.Int64()))
}
