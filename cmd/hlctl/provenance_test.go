package main

import (
	"context"
	"encoding/json"
	"sync"
	"testing"

	"github.com/healthledger/healthledger/chaincode/provenance/provenancetypes"
	"github.com/healthledger/healthledger/gateway-client/sdktest"
	"github.com/stretchr/testify/require"
)

// TestProvenanceSuspectCommands checks that flag-suspect and clear-suspect submit the auditor's
// transactions with the arguments the chaincode takes (an empty serial clears the batch).
func TestProvenanceSuspectCommands(t *testing.T) {
	var mu sync.Mutex
	var calls []sdktest.Call
	conn := testClient(t, func(_ context.Context, call sdktest.Call) ([]byte, error) {
		mu.Lock()
		calls = append(calls, call)
		mu.Unlock()
		return json.Marshal(provenancetypes.Event{Type: provenancetypes.EventSuspectCleared, Reason: call.Args[len(call.Args)-1]})
	})
	cases := []struct {
		args []string
		fn   string
		want []string
	}{
		{[]string{"provenance", "flag-suspect", "0614141000418", "LOT-A1", "counterfeit report"}, "FlagSuspect", []string{"00614141000418", "LOT-A1", "counterfeit report"}},
		{[]string{"provenance", "clear-suspect", "00614141000418", "LOT-A1", "batch reviewed"}, "ClearSuspect", []string{"00614141000418", "LOT-A1", "", "batch reviewed"}},
		{[]string{"provenance", "clear-suspect", "--serial", "S1", "00614141000418", "LOT-A1", "benign"}, "ClearSuspect", []string{"00614141000418", "LOT-A1", "S1", "benign"}},
	}
	for _, tc := range cases {
		out, errOut, code := runHlctl(t, conn, nil, tc.args...)
		require.Equal(t, 0, code, errOut)
		require.Contains(t, out, tc.want[len(tc.want)-1])
		mu.Lock()
		last := calls[len(calls)-1]
		mu.Unlock()
		require.True(t, last.Submit)
		require.Equal(t, "provenance", last.Chaincode)
		require.Equal(t, tc.fn, last.Function)
		require.Equal(t, tc.want, last.Args)
	}
	_, errOut, code := runHlctl(t, conn, nil, "provenance", "clear-suspect", "00614141000418", "LOT-A1")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "clear-suspect <gtin> <lot> <note>")
}
