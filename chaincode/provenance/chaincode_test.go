package provenance_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/internal/cctest"
	"github.com/healthledger/healthledger/chaincode/internal/orgroles"
	"github.com/healthledger/healthledger/chaincode/provenance"
	"github.com/healthledger/healthledger/chaincode/provenance/provenancetypes"
	"github.com/stretchr/testify/require"
)

// TestThroughNewChaincode drives the chaincode built by NewChaincode through its real Invoke with
// string arguments: manufacturer -> distributor -> pharmacy, then a dispense and a double dispense.
func TestThroughNewChaincode(t *testing.T) {
	l := cctest.New(t)
	chaincode, err := provenance.NewChaincode()
	require.NoError(t, err)
	l.Register("provenance", chaincode)
	installMap(t, l, orgroles.Map{Version: 1, Roles: map[string][]string{"manufacturer": {"Org2MSP"}, "distributor": {"Org2MSP"}, "pharmacist": {"Org1MSP"}},
		GS1Prefixes: map[string][]string{"Org2MSP": {"0614141"}}})
	mfr := l.Identity("Org2MSP", "manufacturer1", cctest.RoleAttrs("manufacturer", glnMfr))
	dist := l.Identity("Org2MSP", "distributor1", cctest.RoleAttrs("distributor", glnDist))
	pharm := l.Identity("Org1MSP", "pharmacist1", cctest.RoleAttrs("pharmacist", glnPharm))

	ok := func(id *cctest.Identity, fn string, args ...string) *cctest.Result {
		t.Helper()
		res := l.Invoke("provenance", id, fn, args)
		cctest.RequireOK(t, res)
		return res
	}
	ok(mfr, "RegisterProduct", `{"gtin":"0614141000418","name":"Amoxicillin","strength":"500 mg","dosageForm":"capsule","storage":{"minCelsius":15,"maxCelsius":25}}`)
	ok(dist, "RegisterParty")
	ok(pharm, "RegisterParty")
	ok(mfr, "CommissionBatch", `{"gtin":"00614141000418","lot":"L1","manufacturedOn":"2024-01-10","expiry":"271231","quantity":3,"serials":["A1","A2","A3"]}`)
	ok(mfr, "Ship", `{"shipmentId":"s1","gtin":"00614141000418","lot":"L1","receiver":{"mspId":"Org2MSP","gln":"0614141000012"}}`)
	ok(dist, "Receive", "s1")
	ok(dist, "Ship", `{"shipmentId":"s2","gtin":"00614141000418","lot":"L1","serials":["A1","A2"],"receiver":{"mspId":"Org1MSP","gln":"0614141000029"}}`)
	ok(pharm, "Receive", "s2")

	res := ok(pharm, "Dispense", "00614141000418", "A1", `{"eventId":"rx-1"}`)
	require.Equal(t, provenancetypes.EventDispensed, res.Event.Name)

	var u map[string]any
	require.NoError(t, json.Unmarshal(l.Evaluate("provenance", pharm, "GetUnit", []string{"00614141000418", "A1"}).Payload, &u))
	require.Equal(t, "dispensed", u["status"])
	require.Equal(t, "2027-12-31", u["expiry"])
	require.Equal(t, "L1", u["lot"])
	require.Equal(t, false, u["recalled"])
	require.Equal(t, map[string]any{"mspId": "Org1MSP", "gln": glnPharm}, u["dispensedBy"])

	vr := cctest.Decode[provenancetypes.VerifyResult](t, l.Evaluate("provenance", dist, "Verify", []string{"00614141000418", "A2", "L1", "2027-12-31"}))
	require.Equal(t, provenancetypes.VerifyVerified, vr.Result)

	again := ok(pharm, "Dispense", "00614141000418", "A1", "")
	dr := cctest.Decode[provenancetypes.DispenseResult](t, again)
	require.False(t, dr.Accepted)
	require.Equal(t, string(codes.PreconditionFailed), dr.Code)
	require.Equal(t, provenancetypes.EventDispenseRejected, again.Event.Name)
	require.True(t, dr.Unit.Suspect)
	bt := cctest.Decode[provenancetypes.Batch](t, l.Evaluate("provenance", dist, "GetBatch", []string{"00614141000418", "L1"}))
	require.False(t, bt.Suspect, "one organisation's report does not flag the batch")
	require.Len(t, bt.SuspectReports, 1)

	cctest.RequireCode(t, l.Invoke("provenance", pharm, "NoSuchFunction", nil), codes.InvalidArgument)
}

// TestReadFunctionsAreEvaluateOnly checks the contract metadata: queries are tagged EVALUATE, state
// changes SUBMIT.
func TestReadFunctionsAreEvaluateOnly(t *testing.T) {
	w := newWorld(t)
	res := w.evaluate(w.patient, "org.hyperledger.fabric:GetMetadata")
	cctest.RequireOK(t, res)
	var meta struct {
		Contracts map[string]struct {
			Transactions []struct {
				Name string   `json:"name"`
				Tag  []string `json:"tag"`
			} `json:"transactions"`
		} `json:"contracts"`
	}
	require.NoError(t, json.Unmarshal(res.Payload, &meta))
	tags := map[string][]string{}
	for _, c := range meta.Contracts {
		for _, tx := range c.Transactions {
			tags[tx.Name] = tx.Tag
		}
	}
	evaluate := (&provenance.Contract{}).GetEvaluateTransactions()
	for _, fn := range evaluate {
		require.Contains(t, tags[fn], "EVALUATE", fn)
	}
	for _, fn := range []string{"RegisterProduct", "RegisterParty", "CommissionBatch", "AddSerials", "Ship", "Receive",
		"Dispense", "Decommission", "Destroy", "Recall", "Quarantine", "ReleaseQuarantine", "RecordReadings", "ClearExcursion",
		"FlagSuspect", "ClearSuspect"} {
		require.Contains(t, tags[fn], "SUBMIT", fn)
		require.False(t, slices.Contains(evaluate, fn))
	}
	for _, hidden := range []string{"finish", "Finish", "SetFlag", "MoveUnits", "GetUnknownTransaction"} {
		_, exposed := tags[hidden]
		require.False(t, exposed, hidden)
	}

	// The whole surface, pinned: no helper leaks out as a transaction.
	evaluateTxs, submitTxs := w.l.Transactions(cc, w.patient)
	require.Equal(t, []string{"BatchCustody", "GetBatch", "GetConsortium", "GetParty", "GetProduct", "GetShipment", "GetUnit",
		"ListBatchesByOwner", "ListBatchesByStatus", "UnitCustody", "Verify"}, evaluateTxs)
	require.Equal(t, []string{"AddSerials", "ClearExcursion", "ClearSuspect", "CommissionBatch", "Decommission", "Destroy", "Dispense",
		"FlagSuspect", "Quarantine", "Recall", "Receive", "RecordReadings", "RegisterParty", "RegisterProduct", "ReleaseQuarantine",
		"SetConsortium", "Ship"}, submitTxs)
}

func TestAnUnknownFunctionIsAnInvalidArgument(t *testing.T) {
	w := newWorld(t)
	ce := w.fails(codes.InvalidArgument, w.mfr, "RecallEverything", gtin)
	require.Equal(t, `unknown function "RecallEverything"`, ce.Message)
}

// TestTrailingDataIsRefusedAndChangesNothing sends each JSON argument of the contract, valid but for
// a stray '}' after it (which a decoder that asks json.Decoder.More would accept), to a ledger where
// the call would otherwise succeed.
func TestTrailingDataIsRefusedAndChangesNothing(t *testing.T) {
	w := newWorld(t)
	w.supplyChain()
	cases := []struct {
		name string
		id   *cctest.Identity
		fn   string
		args []string
	}{
		{"a product", w.mfr, "RegisterProduct", []string{mustJSON(t, productSpec(gtin2))}},
		{"a batch", w.mfr, "CommissionBatch", []string{mustJSON(t, provenancetypes.BatchSpec{GTIN: gtin, Lot: lot2, ManufacturedOn: made, Expiry: expiry, Quantity: 1})}},
		{"serials", w.mfr, "AddSerials", []string{gtin, lot2, `["T000001"]`}},
		{"a shipment", w.dist, "Ship", []string{mustJSON(t, provenancetypes.ShipmentSpec{ShipmentID: "sh-3", GTIN: gtin, Lot: lot, Serials: []string{"S000005"}, Receiver: pPharm})}},
		{"an event context", w.pharm, "Dispense", []string{gtin, "S000000", `{"eventId":"rx-1"}`}},
		{"readings", w.pharm, "RecordReadings", []string{mustJSON(t, map[string]any{"gtin": gtin, "lot": lot, "serials": []string{"S000000"},
			"readings": []map[string]any{{"time": "2024-12-31T10:00:00Z", "value": 5, "uom": "CEL"}}})}},
		{"a unit action", w.dist, "Decommission", []string{mustJSON(t, provenancetypes.UnitAction{GTIN: gtin, Lot: lot, Serials: []string{"S000006"}, Reason: "damaged"})}},
	}
	for _, tc := range cases {
		t.Run(tc.name+" with a stray closing brace is refused", func(t *testing.T) {
			last := len(tc.args) - 1
			bad := append(append([]string{}, tc.args[:last]...), tc.args[last]+"}")
			before := w.l.Snapshot()
			cctest.RequireCode(t, w.l.Invoke(cc, tc.id, tc.fn, bad), codes.InvalidArgument)
			w.l.RequireUnchanged(t, before)
		})
	}
	t.Run("the same calls without it succeed", func(t *testing.T) {
		cctest.RequireOK(t, w.invoke(w.mfr, "CommissionBatch", cases[1].args...))
		for i, tc := range cases {
			if i == 1 {
				continue
			}
			cctest.RequireOK(t, w.l.Invoke(cc, tc.id, tc.fn, tc.args))
		}
	})
}
