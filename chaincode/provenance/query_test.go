package provenance_test

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
	"testing"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/internal/cctest"
	"github.com/healthledger/healthledger/chaincode/provenance/provenancetypes"
	"github.com/stretchr/testify/require"
)

// walk reads every page of a paginated query and returns the items and the number of pages.
func walk[T any](t *testing.T, w *world, fn string, pageSize int, args ...string) ([]T, int) {
	t.Helper()
	var all []T
	bookmark, pages := "", 0
	for {
		a := append(append([]string{}, args...), strconv.Itoa(pageSize), bookmark)
		page := cctest.Decode[struct {
			Items    []T    `json:"items"`
			Bookmark string `json:"bookmark"`
		}](t, w.evaluate(w.patient, fn, a...))
		require.LessOrEqual(t, len(page.Items), pageSize)
		all = append(all, page.Items...)
		pages++
		require.Less(t, pages, 100, "paging does not end")
		if page.Bookmark == "" {
			return all, pages
		}
		bookmark = page.Bookmark
	}
}

func eventTypes(events []provenancetypes.Event) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.Type
	}
	return out
}

// custodyWorld runs the supply chain, then readings at the pharmacy, a dispense of S000000, a
// shipment of the distributor's main stock to pharmacist2 and a recall.
func custodyWorld(t *testing.T) *world {
	w := newWorld(t)
	w.supplyChain()
	cctest.RequireOK(t, w.invoke(w.pharm, "RecordReadings", mustJSON(t, readings([]string{"S000001"}, 4, provenancetypes.UOMCelsius))))
	cctest.RequireOK(t, w.invoke(w.pharm, "Dispense", gtin, "S000000", ""))
	w.ship(w.dist, "sh-3", lot, pPh2, nil)
	cctest.RequireOK(t, w.invoke(w.mfr, "Recall", gtin, lot, "out of specification"))
	return w
}

func TestBatchCustody(t *testing.T) {
	w := custodyWorld(t)
	want := []string{provenancetypes.EventBatchCommissioned, provenancetypes.EventShipped, provenancetypes.EventReceived, provenancetypes.EventShipped, provenancetypes.EventReceived,
		provenancetypes.EventReadingsRecorded, provenancetypes.EventDispensed, provenancetypes.EventShipped, provenancetypes.EventRecalled}
	for _, size := range []int{1, 2, 4, 50} {
		t.Run("pages of "+strconv.Itoa(size)+" give every event in order", func(t *testing.T) {
			events, pages := walk[provenancetypes.Event](t, w, "BatchCustody", size, gtin, lot)
			require.Equal(t, want, eventTypes(events))
			require.LessOrEqual(t, pages, len(want)/size+1)
			for i := 1; i < len(events); i++ {
				require.False(t, events[i].RecordTime.Before(events[i-1].RecordTime))
			}
		})
	}
	t.Run("an unknown batch is not found", func(t *testing.T) {
		cctest.RequireCode(t, w.evaluate(w.patient, "BatchCustody", gtin, lot2, "10", ""), codes.NotFound)
	})
	t.Run("a page size out of range is refused", func(t *testing.T) {
		cctest.RequireCode(t, w.evaluate(w.patient, "BatchCustody", gtin, lot, "501", ""), codes.InvalidArgument)
		cctest.RequireCode(t, w.evaluate(w.patient, "BatchCustody", gtin, lot, "-1", ""), codes.InvalidArgument)
	})
	t.Run("a bookmark of another query is refused", func(t *testing.T) {
		w.commission(lot2, 2, []string{"X1"})
		cctest.RequireOK(t, w.invoke(w.mfr, "Recall", gtin, lot2, "x"))
		other := cctest.Decode[provenancetypes.EventPage](t, w.evaluate(w.patient, "BatchCustody", gtin, lot2, "1", ""))
		require.NotEmpty(t, other.Bookmark)
		cctest.RequireCode(t, w.evaluate(w.patient, "BatchCustody", gtin, lot, "1", other.Bookmark), codes.InvalidArgument)
	})
}

func TestUnitCustody(t *testing.T) {
	w := custodyWorld(t)
	cases := []struct {
		serial string
		want   []string
	}{
		{"S000000", []string{provenancetypes.EventBatchCommissioned, provenancetypes.EventShipped, provenancetypes.EventReceived, provenancetypes.EventShipped, provenancetypes.EventReceived,
			provenancetypes.EventReadingsRecorded, provenancetypes.EventDispensed, provenancetypes.EventRecalled}},
		{"S000009", []string{provenancetypes.EventBatchCommissioned, provenancetypes.EventShipped, provenancetypes.EventReceived,
			provenancetypes.EventReadingsRecorded, provenancetypes.EventShipped, provenancetypes.EventRecalled}},
	}
	for _, tc := range cases {
		for _, size := range []int{1, 2, 3, 50} {
			t.Run(tc.serial+" in pages of "+strconv.Itoa(size)+" gives its events in order", func(t *testing.T) {
				events, _ := walk[provenancetypes.Event](t, w, "UnitCustody", size, gtin, tc.serial)
				require.Equal(t, tc.want, eventTypes(events))
				for i := 1; i < len(events); i++ {
					require.True(t, events[i].RecordTime.After(events[i-1].RecordTime))
				}
			})
		}
	}
	t.Run("the units shipment is in the unit's custody and the later stock shipment is not", func(t *testing.T) {
		events, _ := walk[provenancetypes.Event](t, w, "UnitCustody", 50, gtin, "S000000")
		require.Equal(t, "sh-2", events[3].ShipmentID)
		for _, e := range events {
			require.NotEqual(t, "sh-3", e.ShipmentID)
		}
	})
	t.Run("a unit added later starts at its own commissioning", func(t *testing.T) {
		w := newWorld(t)
		w.setupProduct()
		w.commission(lot, 5, nil)
		cctest.RequireOK(t, w.invoke(w.mfr, "Quarantine", gtin, lot, "x"))
		cctest.RequireOK(t, w.invoke(w.mfr, "ReleaseQuarantine", gtin, lot, "y"))
		cctest.RequireOK(t, w.invoke(w.mfr, "AddSerials", gtin, lot, `["N1"]`))
		cctest.RequireOK(t, w.invoke(w.mfr, "Recall", gtin, lot, "z"))
		events, _ := walk[provenancetypes.Event](t, w, "UnitCustody", 1, gtin, "N1")
		require.Equal(t, []string{provenancetypes.EventSerialsCommissioned, provenancetypes.EventRecalled}, eventTypes(events))
	})
	t.Run("an unknown unit is not found and a malformed bookmark refused", func(t *testing.T) {
		cctest.RequireCode(t, w.evaluate(w.patient, "UnitCustody", gtin, "S999999", "10", ""), codes.NotFound)
		cctest.RequireCode(t, w.evaluate(w.patient, "UnitCustody", gtin, "S000000", "10", "%%%"), codes.InvalidArgument)
		cctest.RequireCode(t, w.evaluate(w.patient, "UnitCustody", gtin, "S000000", "10", base64.RawURLEncoding.EncodeToString([]byte(`{"u":{"b":"junk"}}`))), codes.InvalidArgument)
	})
}

func TestListBatchesByOwner(t *testing.T) {
	w := newWorld(t)
	w.setupProduct()
	for _, l := range []string{"L1", "L2", "L3"} {
		w.commission(l, 5, serials(l+"-", 0, 5))
	}
	w.ship(w.mfr, "sh-1", "L2", pDist, []string{"L2-000000", "L2-000001"})

	items, pages := walk[provenancetypes.BatchHolding](t, w, "ListBatchesByOwner", 2, pharmaMSP, glnMfr)
	require.Equal(t, 2, pages)
	require.Len(t, items, 3)
	for _, h := range items {
		require.Equal(t, 5, h.Held, "custody stays with the sender until receipt")
		require.Equal(t, expiry, h.Expiry)
		require.Equal(t, provenancetypes.BatchActive, h.Status)
	}
	dist, _ := walk[provenancetypes.BatchHolding](t, w, "ListBatchesByOwner", 10, pharmaMSP, glnDist)
	require.Len(t, dist, 1)
	require.Equal(t, provenancetypes.Holding{Party: pDist, GTIN: gtin, Lot: "L2", Held: 0, Inbound: 2}, dist[0].Holding)

	w.receive(w.dist, "sh-1")
	mfr, _ := walk[provenancetypes.BatchHolding](t, w, "ListBatchesByOwner", 10, pharmaMSP, glnMfr)
	require.Equal(t, 3, mfr[1].Held)
	none, _ := walk[provenancetypes.BatchHolding](t, w, "ListBatchesByOwner", 10, hospitalMSP, glnPharm)
	require.Empty(t, none)
	cctest.RequireCode(t, w.evaluate(w.patient, "ListBatchesByOwner", pharmaMSP, "123", "10", ""), codes.InvalidArgument)
}

func TestListBatchesByStatus(t *testing.T) {
	w := newWorld(t)
	w.setupProduct()
	for _, l := range []string{"L1", "L2", "L3"} {
		w.commission(l, 5, serials(l+"-", 0, 5))
	}
	cctest.RequireOK(t, w.invoke(w.mfr, "Recall", gtin, "L2", "x"))
	cctest.RequireOK(t, w.invoke(w.mfr, "Quarantine", gtin, "L2", "y"))
	cctest.RequireOK(t, w.invoke(w.mfr, "Quarantine", gtin, "L3", "y"))

	lots := func(status string) []string {
		batches, _ := walk[provenancetypes.Batch](t, w, "ListBatchesByStatus", 1, status)
		out := []string{}
		for _, b := range batches {
			out = append(out, b.Lot)
		}
		return out
	}
	require.Equal(t, []string{"L1"}, lots(provenancetypes.BatchActive))
	require.Equal(t, []string{"L2"}, lots(provenancetypes.BatchRecalled))
	require.Equal(t, []string{"L2", "L3"}, lots(provenancetypes.BatchQuarantined))
	require.Empty(t, lots(provenancetypes.BatchExcursion))
	cctest.RequireOK(t, w.invoke(w.mfr, "ReleaseQuarantine", gtin, "L3", "ok"))
	require.Equal(t, []string{"L1", "L3"}, lots(provenancetypes.BatchActive))
	cctest.RequireCode(t, w.evaluate(w.patient, "ListBatchesByStatus", "lost", "10", ""), codes.InvalidArgument)
}

// TestListBatchesByOwnerFollowsTheBatchStatus checks the owner index's copy of the batch status (it
// spares the listing one read of the batch per item): every holder's entry follows a status change,
// and an entry written before the index carried expiry and status still lists them from the batch.
func TestListBatchesByOwnerFollowsTheBatchStatus(t *testing.T) {
	w := newWorld(t)
	w.setupProduct()
	w.commission("L1", 5, serials("L1-", 0, 5))
	w.commission("L2", 5, serials("L2-", 0, 5))
	w.ship(w.mfr, "sh-1", "L1", pDist, []string{"L1-000000"})

	statusOf := func(p provenancetypes.Party, lotNo string) string {
		t.Helper()
		items, _ := walk[provenancetypes.BatchHolding](t, w, "ListBatchesByOwner", 10, p.MSPID, p.GLN)
		for _, h := range items {
			if h.Lot == lotNo {
				require.Equal(t, expiry, h.Expiry)
				return h.Status
			}
		}
		t.Fatalf("%s holds no %s", p, lotNo)
		return ""
	}
	t.Run("the index entry stores the expiry and the status", func(t *testing.T) {
		got := cctest.StateJSON[provenancetypes.BatchHolding](t, w.l, cc, w.l.Key("owner", pharmaMSP, glnMfr, gtin, "L1"))
		require.Equal(t, provenancetypes.BatchHolding{Holding: provenancetypes.Holding{Party: pMfr, GTIN: gtin, Lot: "L1", Held: 5}, Expiry: expiry, Status: provenancetypes.BatchActive}, got)
	})
	t.Run("a quarantine shows for every holder, the inbound one included, and not on other batches", func(t *testing.T) {
		cctest.RequireOK(t, w.invoke(w.mfr, "Quarantine", gtin, "L1", "check"))
		require.Equal(t, provenancetypes.BatchQuarantined, statusOf(pMfr, "L1"))
		require.Equal(t, provenancetypes.BatchQuarantined, statusOf(pDist, "L1"))
		require.Equal(t, provenancetypes.BatchActive, statusOf(pMfr, "L2"))
	})
	t.Run("a release brings every holder's entry back to active", func(t *testing.T) {
		cctest.RequireOK(t, w.invoke(w.mfr, "ReleaseQuarantine", gtin, "L1", "fine"))
		require.Equal(t, provenancetypes.BatchActive, statusOf(pMfr, "L1"))
		require.Equal(t, provenancetypes.BatchActive, statusOf(pDist, "L1"))
	})
	t.Run("a holding that changes after a recall keeps the recalled status", func(t *testing.T) {
		cctest.RequireOK(t, w.invoke(w.auditor, "Recall", gtin, "L1", "label"))
		w.receive(w.dist, "sh-1")
		require.Equal(t, provenancetypes.BatchRecalled, statusOf(pDist, "L1"))
		require.Equal(t, provenancetypes.BatchRecalled, statusOf(pMfr, "L1"))
	})
	t.Run("an entry without expiry and status reads them from the batch", func(t *testing.T) {
		old, err := json.Marshal(provenancetypes.Holding{Party: pMfr, GTIN: gtin, Lot: "L2", Held: 5})
		require.NoError(t, err)
		cctest.RequireOK(t, w.invoke(w.mfr, "Quarantine", gtin, "L2", "check"))
		w.l.SetState(cc, w.l.Key("owner", pharmaMSP, glnMfr, gtin, "L2"), old)
		require.Equal(t, provenancetypes.BatchQuarantined, statusOf(pMfr, "L2"))
	})
}
