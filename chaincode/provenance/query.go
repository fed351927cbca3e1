package provenance

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/internal/ccutil"
	"github.com/healthledger/healthledger/chaincode/internal/txstate"
	"github.com/healthledger/healthledger/chaincode/provenance/provenancetypes"
	"github.com/healthledger/healthledger/chaincode/wire"
)

// entry is one key of a page: its attributes and value.
type entry struct {
	key   string
	attrs []string
	value []byte
}

// fetch reads one page of the composite keys under objectType and attrs. A bookmark must be one that
// such a query returned (the next key, under the same prefix); next is "" when nothing is left.
func (t *txn) fetch(objectType string, attrs []string, size int32, bookmark string) ([]entry, string, error) {
	if bookmark != "" {
		prefix, err := t.Key(objectType, attrs...)
		if err != nil {
			return nil, "", err
		}
		if !strings.HasPrefix(bookmark, prefix) {
			return nil, "", codes.New(codes.InvalidArgument, "the bookmark does not belong to this query")
		}
	}
	stub := t.ctx.GetStub()
	iter, meta, err := stub.GetStateByPartialCompositeKeyWithPagination(objectType, attrs, size, bookmark)
	if err != nil {
		return nil, "", codes.New(codes.InvalidArgument, "listing %s: %v", objectType, err)
	}
	defer iter.Close()
	out := []entry{}
	for iter.HasNext() {
		kv, err := iter.Next()
		if err != nil {
			return nil, "", codes.New(codes.Internal, "listing %s: %v", objectType, err)
		}
		_, parts, err := stub.SplitCompositeKey(kv.GetKey())
		if err != nil {
			return nil, "", codes.New(codes.Internal, "splitting %q: %v", kv.GetKey(), err)
		}
		out = append(out, entry{key: kv.GetKey(), attrs: parts, value: kv.GetValue()})
	}
	next := ""
	if int32(len(out)) == size && meta != nil {
		next = meta.GetBookmark()
	}
	return out, next, nil
}

// BatchCustody returns the chain of custody of a batch: every event of the batch and of its units,
// oldest first, one page at a time. Any member may read it.
func (c *Contract) BatchCustody(ctx txstate.Context, gtin, lot string, pageSize int, bookmark string) (*provenancetypes.EventPage, error) {
	// The caller first: a role the consortium map does not grant its organisation is refused before
	// any argument or object is looked at. Any member, with a role or without, may read.
	if _, err := ccutil.CallerOf(ctx); err != nil {
		return nil, err
	}
	gtin, lot, err := batchArgs(gtin, lot)
	if err != nil {
		return nil, err
	}
	size, err := ccutil.PageSize(pageSize)
	if err != nil {
		return nil, err
	}
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := t.getBatch(gtin, lot); err != nil {
		return nil, err
	}
	items, next, err := t.fetch(objEvent, []string{gtin, lot}, size, bookmark)
	if err != nil {
		return nil, err
	}
	page := &provenancetypes.EventPage{Items: make([]provenancetypes.Event, 0, len(items)), Bookmark: next}
	for _, e := range items {
		ev, err := ccutil.DecodeJSON[provenancetypes.Event](e.key, e.value)
		if err != nil {
			return nil, err
		}
		page.Items = append(page.Items, ev)
	}
	return page, nil
}

// cursorState is where a stream of a unit's custody stands between pages.
type cursorState struct {
	Bookmark string `json:"b,omitempty"`
	Skip     int    `json:"s,omitempty"`
	Done     bool   `json:"d,omitempty"`
}

// custodyBookmark is UnitCustody's bookmark: the state of each of its streams.
type custodyBookmark struct {
	Commission bool        `json:"c,omitempty"`
	Units      cursorState `json:"u"`
	Batch      cursorState `json:"w"`
	Stock      cursorState `json:"s"`
}

// cursor walks one index of events in position order, page by page, between exclusive bounds lo and
// hi (hi "" for none).
type cursor struct {
	t      *txn
	obj    string
	attrs  []string
	size   int32
	lo, hi string
	st     cursorState
	page   []entry
	next   string
	loaded bool
}

// peek returns the position of the cursor's next event; false when it has none.
func (c *cursor) peek() (string, bool, error) {
	for !c.st.Done {
		if !c.loaded {
			page, next, err := c.t.fetch(c.obj, c.attrs, c.size, c.st.Bookmark)
			if err != nil {
				return "", false, err
			}
			c.page, c.next, c.loaded = page, next, true
		}
		if c.st.Skip < len(c.page) {
			a := c.page[c.st.Skip].attrs
			if len(a) != 4 {
				return "", false, codes.New(codes.Internal, "malformed custody index key %q", c.page[c.st.Skip].key)
			}
			p := a[2] + "|" + a[3]
			if p <= c.lo {
				c.st.Skip++
				continue
			}
			if c.hi != "" && p >= c.hi {
				c.st.Done = true
				break
			}
			return p, true, nil
		}
		if c.next == "" {
			c.st.Done = true
			break
		}
		c.st = cursorState{Bookmark: c.next}
		c.loaded = false
	}
	return "", false, nil
}

func (c *cursor) pop() { c.st.Skip++ }

// UnitCustody returns the chain of custody of one unit, oldest first, one page at a time: its
// commissioning, the events of its batch's main stock while the unit was part of it, the events that
// named the unit, and the events concerning its whole batch (recall, quarantine, readings...). It
// merges those indexes, so a page costs a small multiple of its size. Any member may read it.
func (c *Contract) UnitCustody(ctx txstate.Context, gtin, serial string, pageSize int, bookmark string) (*provenancetypes.EventPage, error) {
	// The caller first: a role the consortium map does not grant its organisation is refused before
	// any argument or object is looked at. Any member, with a role or without, may read.
	if _, err := ccutil.CallerOf(ctx); err != nil {
		return nil, err
	}
	gtin, err := unitArgs(gtin, serial)
	if err != nil {
		return nil, err
	}
	size, err := ccutil.PageSize(pageSize)
	if err != nil {
		return nil, err
	}
	var bm custodyBookmark
	if bookmark != "" {
		raw, err := base64.RawURLEncoding.DecodeString(bookmark)
		if err != nil || json.Unmarshal(raw, &bm) != nil {
			return nil, codes.New(codes.InvalidArgument, "the bookmark is malformed")
		}
	}
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	u, _, found, err := t.getUnit(gtin, serial)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, codes.New(codes.NotFound, "unit %s serial %s", gtin, serial)
	}
	streams := []*cursor{
		{t: t, obj: objEvtUnit, attrs: []string{gtin, serial}, size: size, st: bm.Units},
		{t: t, obj: objEvtBatch, attrs: []string{gtin, u.Lot}, size: size, lo: u.Commissioned, st: bm.Batch},
		{t: t, obj: objEvtStock, attrs: []string{gtin, u.Lot}, size: size, lo: u.Commissioned, hi: u.Detached, st: bm.Stock},
	}
	positions := []string{}
	commissionDone := bm.Commission
	for int32(len(positions)) < size {
		best, from := "", -1
		if !commissionDone {
			best, from = u.Commissioned, len(streams)
		}
		for i, s := range streams {
			p, ok, err := s.peek()
			if err != nil {
				return nil, err
			}
			if ok && (from < 0 || p < best) {
				best, from = p, i
			}
		}
		if from < 0 {
			break
		}
		if from == len(streams) {
			commissionDone = true
		} else {
			streams[from].pop()
		}
		if len(positions) == 0 || positions[len(positions)-1] != best {
			positions = append(positions, best)
		}
	}
	page := &provenancetypes.EventPage{Items: make([]provenancetypes.Event, 0, len(positions))}
	for _, p := range positions {
		k, err := t.Key(objEvent, append([]string{gtin, u.Lot}, splitPos(p)...)...)
		if err != nil {
			return nil, err
		}
		var ev provenancetypes.Event
		if found, err := t.GetJSON(k, &ev); err != nil {
			return nil, err
		} else if !found {
			return nil, codes.New(codes.Internal, "custody index points at a missing event %q", k)
		}
		page.Items = append(page.Items, ev)
	}
	more := !commissionDone
	for _, s := range streams {
		_, ok, err := s.peek()
		if err != nil {
			return nil, err
		}
		more = more || ok
	}
	if more {
		raw, err := json.Marshal(custodyBookmark{Commission: commissionDone, Units: streams[0].st, Batch: streams[1].st, Stock: streams[2].st})
		if err != nil {
			return nil, codes.New(codes.Internal, "encoding the bookmark: %v", err)
		}
		page.Bookmark = base64.RawURLEncoding.EncodeToString(raw)
	}
	return page, nil
}

// ListBatchesByOwner lists the batches of which a party holds units or has units inbound, with its
// counts, one page at a time. Any member may read it.
func (c *Contract) ListBatchesByOwner(ctx txstate.Context, mspID, gln string, pageSize int, bookmark string) (*provenancetypes.HoldingPage, error) {
	// The caller first: a role the consortium map does not grant its organisation is refused before
	// any argument or object is looked at. Any member, with a role or without, may read.
	if _, err := ccutil.CallerOf(ctx); err != nil {
		return nil, err
	}
	p := provenancetypes.Party{MSPID: mspID, GLN: gln}
	if err := provenancetypes.CheckParty(p); err != nil {
		return nil, invalidArg(err)
	}
	size, err := ccutil.PageSize(pageSize)
	if err != nil {
		return nil, err
	}
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	items, next, err := t.fetch(objOwner, []string{mspID, gln}, size, bookmark)
	if err != nil {
		return nil, err
	}
	page := &provenancetypes.HoldingPage{Items: make([]provenancetypes.BatchHolding, 0, len(items)), Bookmark: next}
	for _, e := range items {
		bh, err := ccutil.DecodeJSON[provenancetypes.BatchHolding](e.key, e.value)
		if err != nil {
			return nil, err
		}
		if bh.Expiry == "" || bh.Status == "" {
			// An entry written before the index carried them: read them from the batch.
			b, err := t.getBatchSummary(bh.GTIN, bh.Lot)
			if err != nil {
				return nil, codes.New(codes.Internal, "holding %q has no batch: %v", e.key, err)
			}
			bh.Expiry, bh.Status = b.Expiry, b.Status
		}
		page.Items = append(page.Items, bh)
	}
	return page, nil
}

// batchSummary is what a listing shows of a batch. Decoding only these fields of the stored Batch
// skips its custody, flags and times.
type batchSummary struct {
	Expiry string `json:"expiry"`
	Status string `json:"status"`
}

// getBatchSummary reads a batch's summary, NOT_FOUND when the batch is absent.
func (t *txn) getBatchSummary(gtin, lot string) (*batchSummary, error) {
	k, err := t.Key(objBatch, gtin, lot)
	if err != nil {
		return nil, err
	}
	var b batchSummary
	ok, err := t.GetJSON(k, &b)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, codes.New(codes.NotFound, "batch %s lot %s", gtin, lot)
	}
	return &b, nil
}

// ListBatchesByStatus lists the batches that carry a status (recalled, quarantined, excursion,
// suspect), or that carry none (active), one page at a time. Any member may read it.
func (c *Contract) ListBatchesByStatus(ctx txstate.Context, status string, pageSize int, bookmark string) (*provenancetypes.BatchPage, error) {
	// The caller first: a role the consortium map does not grant its organisation is refused before
	// any argument or object is looked at. Any member, with a role or without, may read.
	if _, err := ccutil.CallerOf(ctx); err != nil {
		return nil, err
	}
	if !slices.Contains(provenancetypes.BatchStatuses(), status) {
		return nil, codes.New(codes.InvalidArgument, "batch status %s is not one of %v", wire.Quote(status), provenancetypes.BatchStatuses())
	}
	size, err := ccutil.PageSize(pageSize)
	if err != nil {
		return nil, err
	}
	t, err := begin(ctx)
	if err != nil {
		return nil, err
	}
	items, next, err := t.fetch(objStatus, []string{status}, size, bookmark)
	if err != nil {
		return nil, err
	}
	page := &provenancetypes.BatchPage{Items: make([]provenancetypes.Batch, 0, len(items)), Bookmark: next}
	for _, e := range items {
		if len(e.attrs) != 3 {
			return nil, codes.New(codes.Internal, "malformed status index key %q", e.key)
		}
		b, err := t.getBatch(e.attrs[1], e.attrs[2])
		if err != nil {
			return nil, codes.New(codes.Internal, "status index %q has no batch: %v", e.key, err)
		}
		page.Items = append(page.Items, *b)
	}
	return page, nil
}
