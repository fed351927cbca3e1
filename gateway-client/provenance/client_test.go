package provenance_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/provenance/provenancetypes"
	"github.com/healthledger/healthledger/gateway-client/provenance"
	"github.com/healthledger/healthledger/gateway-client/sdk"
	"github.com/healthledger/healthledger/gateway-client/sdktest"
	"github.com/stretchr/testify/require"
)

const (
	gtin    = "00614141000418"
	gtin13  = "0614141000418"
	lot     = "LOT-A1"
	glnDist = "0614141000012"
)

// recorder answers calls with a canned reply per function and remembers them.
type recorder struct {
	mu      sync.Mutex
	calls   []sdktest.Call
	replies map[string]func(sdktest.Call) ([]byte, error)
}

func (r *recorder) handle(_ context.Context, call sdktest.Call) ([]byte, error) {
	r.mu.Lock()
	r.calls = append(r.calls, call)
	reply := r.replies[call.Function]
	r.mu.Unlock()
	if reply == nil {
		return nil, codes.New(codes.Internal, "no reply for %s", call.Function)
	}
	return reply(call)
}

func (r *recorder) last(t *testing.T) sdktest.Call {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	require.NotEmpty(t, r.calls)
	return r.calls[len(r.calls)-1]
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.calls)
}

func answer(v any) func(sdktest.Call) ([]byte, error) {
	return func(sdktest.Call) ([]byte, error) { return json.Marshal(v) }
}

func newClient(t *testing.T, replies map[string]func(sdktest.Call) ([]byte, error)) (*provenance.Client, *recorder) {
	t.Helper()
	r := &recorder{replies: replies}
	id := sdk.IdentityInfo{Name: "pharmacist1", MSPID: "HospitalMSP", Role: "pharmacist", Subject: "0614141000029"}
	c, err := sdktest.NewClient(r.handle, id)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return provenance.New(c), r
}

func TestVerifyIsEvaluatedWithTheNormalisedGTIN(t *testing.T) {
	want := provenancetypes.VerifyResult{Result: provenancetypes.VerifyVerified, GTIN: gtin, Serial: "S1"}
	c, r := newClient(t, map[string]func(sdktest.Call) ([]byte, error){"Verify": answer(want)})
	got, err := c.Verify(context.Background(), gtin13, "S1", lot, "270630")
	require.NoError(t, err)
	require.Equal(t, want, *got)
	call := r.last(t)
	require.Equal(t, provenance.Chaincode, call.Chaincode)
	require.False(t, call.Submit)
	require.Equal(t, []string{gtin, "S1", lot, "270630"}, call.Args)
}

func TestBadInputFailsLocallyWithoutACall(t *testing.T) {
	c, r := newClient(t, nil)
	ctx := context.Background()
	checks := map[string]func() error{
		"a bad GTIN check digit": func() error { _, err := c.Verify(ctx, "00614141000419", "S1", lot, "2027-06-30"); return err },
		"a malformed expiry":     func() error { _, err := c.Verify(ctx, gtin, "S1", lot, "30.06.2027"); return err },
		"expiry before manufacture": func() error {
			_, err := c.CommissionBatch(ctx, provenancetypes.BatchSpec{GTIN: gtin, Lot: lot, ManufacturedOn: "2027-01-01", Expiry: "2026-01-01", Quantity: 1})
			return err
		},
		"a duplicate serial": func() error { _, err := c.AddSerials(ctx, gtin, lot, []string{"A", "A"}); return err },
		"a chunk too large": func() error {
			s := make([]string, provenancetypes.MaxSerialsPerTx+1)
			for i := range s {
				s[i] = fmt.Sprintf("S%05d", i)
			}
			_, err := c.AddSerials(ctx, gtin, lot, s)
			return err
		},
		"a malformed receiver": func() error {
			_, err := c.Ship(ctx, provenancetypes.ShipmentSpec{ShipmentID: "s1", GTIN: gtin, Lot: lot, Receiver: provenancetypes.Party{MSPID: "PharmaMSP", GLN: "123"}})
			return err
		},
		"a reading without a unit": func() error {
			v := 5.0
			_, err := c.RecordReadings(ctx, provenancetypes.ReadingsSpec{GTIN: gtin, Lot: lot, Readings: []provenancetypes.SensorReading{{Value: &v, UOM: "CEL"}}})
			return err
		},
		"a recall without a reason":       func() error { _, err := c.Recall(ctx, gtin, lot, ""); return err },
		"a suspect flag without a reason": func() error { _, err := c.FlagSuspect(ctx, gtin, lot, " "); return err },
		"a clearing without a note":       func() error { _, err := c.ClearSuspect(ctx, gtin, lot, "S1", ""); return err },
		"a clearing of a malformed serial": func() error {
			_, err := c.ClearSuspect(ctx, gtin, lot, "bad serial", "benign")
			return err
		},
		"a product without storage": func() error {
			_, err := c.RegisterProduct(ctx, provenancetypes.ProductSpec{GTIN: gtin, Name: "x", Strength: "1", DosageForm: "tablet"})
			return err
		},
	}
	for name, check := range checks {
		t.Run(name+" is refused locally", func(t *testing.T) {
			require.ErrorIs(t, check(), sdk.ErrInvalidArgument)
		})
	}
	require.Zero(t, r.count())
}

func TestDispenseDrawsAnEventIDAndReportsADoubleDispense(t *testing.T) {
	accepted := provenancetypes.DispenseResult{Accepted: true, Unit: provenancetypes.Unit{GTIN: gtin, Serial: "S1", Status: provenancetypes.UnitDispensed}}
	rejected := provenancetypes.DispenseResult{Accepted: false, Code: string(codes.PreconditionFailed), Reason: "unit already dispensed",
		Unit: provenancetypes.Unit{GTIN: gtin, Serial: "S1", Status: provenancetypes.UnitDispensed, Suspect: true}}
	n := 0
	c, r := newClient(t, map[string]func(sdktest.Call) ([]byte, error){"Dispense": func(sdktest.Call) ([]byte, error) {
		n++
		if n == 1 {
			return json.Marshal(accepted)
		}
		return json.Marshal(rejected)
	}})
	ctx := context.Background()
	res, err := c.Dispense(ctx, gtin13, "S1", provenancetypes.EventContext{})
	require.NoError(t, err)
	require.True(t, res.Accepted)
	call := r.last(t)
	require.True(t, call.Submit)
	require.Equal(t, gtin, call.Args[0])
	var ec provenancetypes.EventContext
	require.NoError(t, json.Unmarshal([]byte(call.Args[2]), &ec))
	require.NotEmpty(t, ec.EventID)

	res, err = c.Dispense(ctx, gtin, "S1", provenancetypes.EventContext{EventID: "rx-2"})
	require.ErrorIs(t, err, sdk.ErrPreconditionFailed)
	var rej *provenance.DispenseRejectedError
	require.ErrorAs(t, err, &rej)
	require.True(t, rej.Result.Unit.Suspect)
	require.Equal(t, rej.Result, res)
	require.Contains(t, r.last(t).Args[2], `"eventId":"rx-2"`)
}

func TestChaincodeCodesMapToSentinels(t *testing.T) {
	c, _ := newClient(t, map[string]func(sdktest.Call) ([]byte, error){
		"Receive": func(sdktest.Call) ([]byte, error) {
			return nil, codes.New(codes.Forbidden, "shipment s1 is addressed to someone else")
		},
		"GetUnit": func(sdktest.Call) ([]byte, error) { return nil, codes.New(codes.NotFound, "unit") },
	})
	_, err := c.Receive(context.Background(), "s1")
	require.ErrorIs(t, err, sdk.ErrForbidden)
	_, err = c.GetUnit(context.Background(), gtin, "S9")
	require.ErrorIs(t, err, sdk.ErrNotFound)
}

func TestEnsureRegisteredReadsTheExistingRecord(t *testing.T) {
	rec := provenancetypes.PartyRecord{MSPID: "HospitalMSP", GLN: "0614141000029", Role: "pharmacist"}
	c, r := newClient(t, map[string]func(sdktest.Call) ([]byte, error){
		"RegisterParty": func(sdktest.Call) ([]byte, error) { return nil, codes.New(codes.Duplicate, "party already registered") },
		"GetParty":      answer(rec),
	})
	got, err := c.EnsureRegistered(context.Background())
	require.NoError(t, err)
	require.Equal(t, rec, *got)
	require.Equal(t, []string{"HospitalMSP", "0614141000029"}, r.last(t).Args)
}

func TestCommissionAllSendsChunks(t *testing.T) {
	var batches []int
	c, r := newClient(t, map[string]func(sdktest.Call) ([]byte, error){
		"CommissionBatch": func(call sdktest.Call) ([]byte, error) {
			var spec provenancetypes.BatchSpec
			if err := json.Unmarshal([]byte(call.Args[0]), &spec); err != nil {
				return nil, err
			}
			batches = append(batches, len(spec.Serials))
			return json.Marshal(provenancetypes.Batch{GTIN: spec.GTIN, Lot: spec.Lot, SerialCount: len(spec.Serials)})
		},
		"AddSerials": func(call sdktest.Call) ([]byte, error) {
			var s []string
			if err := json.Unmarshal([]byte(call.Args[2]), &s); err != nil {
				return nil, err
			}
			batches = append(batches, len(s))
			return json.Marshal(provenancetypes.Batch{GTIN: call.Args[0], Lot: call.Args[1]})
		},
	})
	serials := make([]string, 4500)
	for i := range serials {
		serials[i] = fmt.Sprintf("U%05d", i)
	}
	_, err := c.CommissionAll(context.Background(), provenancetypes.BatchSpec{GTIN: gtin13, Lot: lot, ManufacturedOn: "2025-01-01", Expiry: "2027-01-01", Quantity: 4500}, serials)
	require.NoError(t, err)
	require.Equal(t, []int{2000, 2000, 500}, batches)
	require.Equal(t, 3, r.count())
}

func TestListsNeverReturnNilItems(t *testing.T) {
	c, _ := newClient(t, map[string]func(sdktest.Call) ([]byte, error){
		"ListBatchesByStatus": func(sdktest.Call) ([]byte, error) { return []byte(`{"bookmark":""}`), nil },
		"UnitCustody":         func(sdktest.Call) ([]byte, error) { return []byte(`{"items":null,"bookmark":""}`), nil },
	})
	p, err := c.ListBatchesByStatus(context.Background(), provenancetypes.BatchRecalled, 10, "")
	require.NoError(t, err)
	require.NotNil(t, p.Items)
	e, err := c.UnitCustody(context.Background(), gtin, "S1", 0, "")
	require.NoError(t, err)
	require.NotNil(t, e.Items)
	require.False(t, errors.Is(err, sdk.ErrNotFound))
}

func TestFlagAndClearSuspectAreSubmittedWithTheNormalisedGTIN(t *testing.T) {
	flagged := provenancetypes.Event{Type: provenancetypes.EventSuspectFlagged, GTIN: gtin, Lot: lot, Reason: "counterfeit report"}
	cleared := provenancetypes.Event{Type: provenancetypes.EventSuspectCleared, GTIN: gtin, Lot: lot, Serials: []string{"S1"}, Reason: "benign"}
	c, r := newClient(t, map[string]func(sdktest.Call) ([]byte, error){"FlagSuspect": answer(flagged), "ClearSuspect": answer(cleared)})
	ctx := context.Background()

	ev, err := c.FlagSuspect(ctx, gtin13, lot, "counterfeit report")
	require.NoError(t, err)
	require.Equal(t, flagged, *ev)
	call := r.last(t)
	require.True(t, call.Submit)
	require.Equal(t, "FlagSuspect", call.Function)
	require.Equal(t, []string{gtin, lot, "counterfeit report"}, call.Args)

	ev, err = c.ClearSuspect(ctx, gtin13, lot, "S1", "benign")
	require.NoError(t, err)
	require.Equal(t, cleared, *ev)
	call = r.last(t)
	require.True(t, call.Submit)
	require.Equal(t, []string{gtin, lot, "S1", "benign"}, call.Args)

	_, err = c.ClearSuspect(ctx, gtin, lot, "", "batch reviewed")
	require.NoError(t, err)
	require.Equal(t, []string{gtin, lot, "", "batch reviewed"}, r.last(t).Args, "an empty serial clears the batch")
}

func TestClearSuspectRelaysTheChaincodesRefusal(t *testing.T) {
	c, _ := newClient(t, map[string]func(sdktest.Call) ([]byte, error){"ClearSuspect": func(sdktest.Call) ([]byte, error) {
		return nil, codes.New(codes.Forbidden, "ClearSuspect needs role auditor")
	}})
	_, err := c.ClearSuspect(context.Background(), gtin, lot, "S1", "mine")
	require.ErrorIs(t, err, sdk.ErrForbidden)
}
