package main

import (
	"context"
	"encoding/json"
	"os"
	"strconv"
	"testing"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/provenance/provenancetypes"
	"github.com/healthledger/healthledger/gateway-client/epcis/epcisschema"
	"github.com/healthledger/healthledger/gateway-client/sdktest"
	"github.com/stretchr/testify/require"
)

// TestProvenanceEPCISCommands exports the chaincode's recorded answers for a history with every kind
// of custody event (gateway-client/provenance/testdata) and checks the printed documents against
// the GS1 schema.
func TestProvenanceEPCISCommands(t *testing.T) {
	raw, err := os.ReadFile("../../gateway-client/provenance/testdata/epcis-history.json")
	require.NoError(t, err)
	var h struct {
		Batch        provenancetypes.Batch   `json:"batch"`
		BatchCustody []provenancetypes.Event `json:"batchCustody"`
		Unit         provenancetypes.Unit    `json:"unit"`
		UnitCustody  []provenancetypes.Event `json:"unitCustody"`
	}
	require.NoError(t, json.Unmarshal(raw, &h))
	page := func(events []provenancetypes.Event, call sdktest.Call) ([]byte, error) {
		from, _ := strconv.Atoi(call.Args[3])
		to := min(from+10, len(events))
		p := provenancetypes.EventPage{Items: events[from:to]}
		if to < len(events) {
			p.Bookmark = strconv.Itoa(to)
		}
		return json.Marshal(p)
	}
	conn := testClient(t, func(_ context.Context, call sdktest.Call) ([]byte, error) {
		switch call.Function {
		case "GetBatch":
			if call.Args[1] != h.Batch.Lot {
				return nil, codes.New(codes.NotFound, "batch %s", call.Args[1])
			}
			return json.Marshal(h.Batch)
		case "BatchCustody":
			return page(h.BatchCustody, call)
		case "GetUnit":
			return json.Marshal(h.Unit)
		case "UnitCustody":
			return page(h.UnitCustody, call)
		}
		return nil, codes.New(codes.InvalidArgument, "unknown function %s", call.Function)
	})
	v, err := epcisschema.New()
	require.NoError(t, err)

	for _, tc := range []struct {
		args   []string
		events int
	}{
		{[]string{"provenance", "epcis", "batch", "0614141000418", h.Batch.Lot}, len(h.BatchCustody)},
		{[]string{"provenance", "epcis", "batch", "--validate", "00614141000418", h.Batch.Lot}, len(h.BatchCustody)},
		{[]string{"--json", "provenance", "epcis", "unit", "00614141000418", h.Unit.Serial}, len(h.UnitCustody)},
	} {
		out, errOut, code := runHlctl(t, conn, nil, tc.args...)
		require.Equal(t, 0, code, errOut)
		require.NoError(t, v.Validate([]byte(out)), out)
		var doc struct {
			Type string `json:"type"`
			Body struct {
				EventList []json.RawMessage `json:"eventList"`
			} `json:"epcisBody"`
		}
		require.NoError(t, json.Unmarshal([]byte(out), &doc))
		require.Equal(t, "EPCISDocument", doc.Type)
		require.Len(t, doc.Body.EventList, tc.events, tc.args)
	}

	_, errOut, code := runHlctl(t, conn, nil, "provenance", "epcis", "batch", "00614141000418", "LOT-Z9")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "NOT_FOUND")
	_, errOut, code = runHlctl(t, conn, nil, "provenance", "epcis", "unit", "00614141000418")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "epcis unit <gtin> <serial>")
	_, _, code = runHlctl(t, conn, nil, "provenance", "epcis", "pallet", "x", "y")
	require.Equal(t, 2, code)
}
