package main

import (
	"context"
	"encoding/json"
	"fmt"
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

// TestVerifyStrictExitsWithTheStatesCode checks that `provenance verify --strict` passes only a unit
// that is verified and not suspect, and gives every other answer its own exit code from the table.
func TestVerifyStrictExitsWithTheStatesCode(t *testing.T) {
	codes := map[string]int{}
	for _, e := range strictExits() {
		require.NotContains(t, []int{0, 1, 2}, e.code, "state %s", e.state)
		require.NotContains(t, codes, e.state)
		for s, c := range codes {
			require.NotEqual(t, c, e.code, "%s and %s share an exit code", s, e.state)
		}
		codes[e.state] = e.code
	}
	for _, s := range provenancetypes.CounterStates() {
		if s != provenancetypes.VerifyVerified {
			require.Contains(t, codes, s, "the exit code table misses the state %s", s)
		}
	}

	var answer provenancetypes.VerifyResult
	var mu sync.Mutex
	conn := testClient(t, func(_ context.Context, call sdktest.Call) ([]byte, error) {
		mu.Lock()
		defer mu.Unlock()
		if call.Function != "Verify" || call.Submit {
			return nil, fmt.Errorf("unexpected call %s (submit %v)", call.Function, call.Submit)
		}
		return json.Marshal(answer)
	})
	args := []string{"provenance", "verify", "--strict", "00614141000418", "S1", "LOT-A1", "2027-06-30"}
	cases := []struct {
		result  string
		suspect bool
		code    int
		state   string
	}{
		{provenancetypes.VerifyVerified, false, 0, "verified"},
		{provenancetypes.VerifyVerified, true, 17, "suspect"},
		{provenancetypes.VerifyDispensed, true, 17, "suspect"},
		{provenancetypes.VerifyExpired, true, 17, "suspect"},
		{provenancetypes.VerifyRecalled, true, 13, "recalled"},
		{provenancetypes.VerifyUnknownSerial, false, 10, "unknown_serial"},
		{provenancetypes.VerifyLotMismatch, false, 11, "lot_mismatch"},
		{provenancetypes.VerifyExpiryMismatch, false, 12, "expiry_mismatch"},
		{provenancetypes.VerifyRecalled, false, 13, "recalled"},
		{provenancetypes.VerifyDecommissioned, false, 14, "decommissioned"},
		{provenancetypes.VerifyQuarantined, false, 15, "quarantined"},
		{provenancetypes.VerifyExcursion, false, 16, "excursion"},
		{provenancetypes.VerifyDispensed, false, 18, "dispensed"},
		{provenancetypes.VerifyExpired, false, 19, "expired"},
		{"stolen", false, 20, "unrecognized"},
	}
	for _, tc := range cases {
		mu.Lock()
		answer = provenancetypes.VerifyResult{Result: tc.result, Suspect: tc.suspect, GTIN: "00614141000418", Serial: "S1"}
		mu.Unlock()
		out, errOut, code := runHlctl(t, conn, nil, args...)
		require.Equal(t, tc.code, code, "%s suspect=%v: %s", tc.result, tc.suspect, errOut)
		require.Contains(t, out, "state: "+tc.state)
		require.Contains(t, out, "result: "+tc.result)
		if tc.code == 0 {
			require.Contains(t, out, "safeToDispense: true")
			require.Empty(t, errOut)
			continue
		}
		require.Contains(t, out, "safeToDispense: false")
		require.Equal(t, "hlctl: provenance verify: not safe to dispense: "+tc.state+"\n", errOut)

		// Without --strict the answer is printed and the command succeeds.
		_, errOut, code = runHlctl(t, conn, nil, args[0], args[1], args[3], args[4], args[5], args[6])
		require.Equal(t, 0, code, errOut)

		// With --json the answer is JSON on stdout, the failure one JSON line on stderr, same code.
		out, errOut, code = runHlctl(t, conn, nil, append([]string{"--json"}, args...)...)
		require.Equal(t, tc.code, code)
		var printed struct {
			Result         string `json:"result"`
			SafeToDispense bool   `json:"safeToDispense"`
			State          string `json:"state"`
		}
		require.NoError(t, json.Unmarshal([]byte(out), &printed))
		require.Equal(t, tc.result, printed.Result)
		require.Equal(t, tc.state, printed.State)
		require.False(t, printed.SafeToDispense)
		require.Contains(t, errOut, `"error":"provenance verify: not safe to dispense: `+tc.state+`"`)
	}
}
