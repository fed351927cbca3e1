package provenance_test

import (
	"context"
	"encoding/json"
	"os"
	"strconv"
	"testing"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/provenance/provenancetypes"
	"github.com/healthledger/healthledger/gateway-client/epcis"
	"github.com/healthledger/healthledger/gateway-client/epcis/epcisschema"
	"github.com/healthledger/healthledger/gateway-client/sdk"
	"github.com/healthledger/healthledger/gateway-client/sdktest"
	"github.com/stretchr/testify/require"
)

// recordedHistory is what the provenance chaincode answered for a history with every kind of custody
// event (recorded by chaincode/provenance's TestEPCISExportOfEveryEventKind -record-epcis).
type recordedHistory struct {
	Batch        provenancetypes.Batch   `json:"batch"`
	BatchCustody []provenancetypes.Event `json:"batchCustody"`
	Unit         provenancetypes.Unit    `json:"unit"`
	UnitCustody  []provenancetypes.Event `json:"unitCustody"`
}

func loadHistory(t *testing.T) recordedHistory {
	t.Helper()
	raw, err := os.ReadFile("testdata/epcis-history.json")
	require.NoError(t, err)
	var h recordedHistory
	require.NoError(t, json.Unmarshal(raw, &h))
	require.NotEmpty(t, h.BatchCustody)
	return h
}

// pages answers a custody query from events, at most max per page whatever the page size asked (as
// a peer may), the bookmark being the index of the next event.
func pages(events []provenancetypes.Event, max int) func(sdktest.Call) ([]byte, error) {
	return func(call sdktest.Call) ([]byte, error) {
		from := 0
		if bm := call.Args[3]; bm != "" {
			n, err := strconv.Atoi(bm)
			if err != nil {
				return nil, codes.New(codes.InvalidArgument, "bookmark %q", bm)
			}
			from = n
		}
		to := min(from+max, len(events))
		p := provenancetypes.EventPage{Items: events[from:to]}
		if to < len(events) {
			p.Bookmark = strconv.Itoa(to)
		}
		return json.Marshal(p)
	}
}

func TestEPCISExportReadsEveryPageAndValidates(t *testing.T) {
	h := loadHistory(t)
	v, err := epcisschema.New()
	require.NoError(t, err)
	c, r := newClient(t, map[string]func(sdktest.Call) ([]byte, error){
		"GetBatch":     answer(h.Batch),
		"BatchCustody": pages(h.BatchCustody, 7),
		"GetUnit":      answer(h.Unit),
		"UnitCustody":  pages(h.UnitCustody, 4),
	})
	ctx := context.Background()

	doc, err := c.EPCISForBatch(ctx, gtin13, lot)
	require.NoError(t, err)
	require.Len(t, doc.Body.EventList, len(h.BatchCustody))
	for i, e := range doc.Body.EventList {
		require.Equal(t, h.BatchCustody[i].TxID, e.TxID)
	}
	raw, err := json.Marshal(doc)
	require.NoError(t, err)
	require.NoError(t, v.Validate(raw))
	require.NotContains(t, string(raw), "REASON-MARKER", "free text is not exported")
	require.NotContains(t, string(raw), "rx-fill-", "the client's event ids are not exported")
	wantCalls := 1 + (len(h.BatchCustody)+6)/7
	require.Equal(t, wantCalls, r.count())
	last := r.last(t)
	require.Equal(t, "BatchCustody", last.Function)
	require.False(t, last.Submit)
	require.Equal(t, []string{gtin, lot, "500"}, last.Args[:3])

	udoc, err := c.EPCISForUnit(ctx, gtin, h.Unit.Serial)
	require.NoError(t, err)
	require.Len(t, udoc.Body.EventList, len(h.UnitCustody))
	raw, err = json.Marshal(udoc)
	require.NoError(t, err)
	require.NoError(t, v.Validate(raw))
}

func TestEPCISExportFailures(t *testing.T) {
	h := loadHistory(t)
	ctx := context.Background()

	t.Run("a malformed GTIN fails in the client", func(t *testing.T) {
		c, r := newClient(t, nil)
		_, err := c.EPCISForBatch(ctx, "061414100041", lot)
		require.ErrorIs(t, err, sdk.ErrInvalidArgument)
		_, err = c.EPCISForUnit(ctx, gtin, "")
		require.ErrorIs(t, err, sdk.ErrInvalidArgument)
		require.Zero(t, r.count())
	})
	t.Run("an unknown batch is not found", func(t *testing.T) {
		c, _ := newClient(t, map[string]func(sdktest.Call) ([]byte, error){
			"GetBatch": func(sdktest.Call) ([]byte, error) { return nil, codes.New(codes.NotFound, "batch") },
		})
		_, err := c.EPCISForBatch(ctx, gtin, "LOT-Z9")
		require.ErrorIs(t, err, sdk.ErrNotFound)
	})
	t.Run("an event the export cannot map fails the export", func(t *testing.T) {
		events := append([]provenancetypes.Event{}, h.BatchCustody...)
		events[3].Type = "Teleported"
		c, _ := newClient(t, map[string]func(sdktest.Call) ([]byte, error){
			"GetBatch": answer(h.Batch), "BatchCustody": pages(events, 50),
		})
		_, err := c.EPCISForBatch(ctx, gtin, lot)
		require.ErrorIs(t, err, epcis.ErrUnmappable)
		require.ErrorContains(t, err, "Teleported")
	})
	t.Run("a bookmark answered twice ends the export", func(t *testing.T) {
		c, _ := newClient(t, map[string]func(sdktest.Call) ([]byte, error){
			"GetBatch":     answer(h.Batch),
			"BatchCustody": answer(provenancetypes.EventPage{Items: h.BatchCustody[:1], Bookmark: "again"}),
		})
		_, err := c.EPCISForBatch(ctx, gtin, lot)
		require.ErrorContains(t, err, "twice")
	})
}
