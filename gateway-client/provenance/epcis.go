package provenance

import (
	"context"
	"fmt"
	"time"

	"github.com/healthledger/healthledger/chaincode/provenance/provenancetypes"
	"github.com/healthledger/healthledger/gateway-client/epcis"
)

// epcisPageSize is the page size of the custody reads of an export: the chaincode's largest.
const epcisPageSize = 500

// EPCISForBatch returns a batch's whole chain of custody as an EPCIS 2.0 document (see package
// epcis): it reads the batch, then every page of its custody. json.Marshal of the answer is the
// EPCIS JSON-LD. A custody event that the export cannot map is an error wrapping
// epcis.ErrUnmappable; a batch that does not exist is sdk.ErrNotFound.
func (c *Client) EPCISForBatch(ctx context.Context, gtin, lot string) (*epcis.Document, error) {
	b, err := c.GetBatch(ctx, gtin, lot)
	if err != nil {
		return nil, err
	}
	events, err := allEvents(ctx, "EPCISForBatch", func(bookmark string) (*provenancetypes.EventPage, error) {
		return c.BatchCustody(ctx, b.GTIN, b.Lot, epcisPageSize, bookmark)
	})
	if err != nil {
		return nil, err
	}
	doc, err := epcis.FromBatch(*b, events, time.Now())
	if err != nil {
		return nil, fmt.Errorf("provenance.EPCISForBatch: %w", err)
	}
	return doc, nil
}

// EPCISForUnit returns a unit's whole chain of custody (its own events and its batch's) as an EPCIS
// 2.0 document, as [Client.EPCISForBatch] does for a batch.
func (c *Client) EPCISForUnit(ctx context.Context, gtin, serial string) (*epcis.Document, error) {
	u, err := c.GetUnit(ctx, gtin, serial)
	if err != nil {
		return nil, err
	}
	events, err := allEvents(ctx, "EPCISForUnit", func(bookmark string) (*provenancetypes.EventPage, error) {
		return c.UnitCustody(ctx, u.GTIN, u.Serial, epcisPageSize, bookmark)
	})
	if err != nil {
		return nil, err
	}
	doc, err := epcis.FromUnit(*u, events, time.Now())
	if err != nil {
		return nil, fmt.Errorf("provenance.EPCISForUnit: %w", err)
	}
	return doc, nil
}

// allEvents reads every page of a custody query, oldest first. A bookmark answered twice would
// loop for ever: it is an error.
func allEvents(ctx context.Context, fn string, page func(bookmark string) (*provenancetypes.EventPage, error)) ([]provenancetypes.Event, error) {
	var all []provenancetypes.Event
	seen := map[string]bool{}
	bookmark := ""
	for {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("provenance.%s: %w", fn, err)
		}
		p, err := page(bookmark)
		if err != nil {
			return nil, err
		}
		all = append(all, p.Items...)
		if p.Bookmark == "" {
			return all, nil
		}
		if seen[p.Bookmark] {
			return nil, fmt.Errorf("provenance.%s: the custody query answered bookmark %q twice", fn, p.Bookmark)
		}
		seen[p.Bookmark] = true
		bookmark = p.Bookmark
	}
}
