package provenancetypes_test

import (
	"testing"

	"github.com/healthledger/healthledger/chaincode/provenance/provenancetypes"
	"github.com/stretchr/testify/require"
)

func TestSafeToDispenseFailsClosed(t *testing.T) {
	var none *provenancetypes.VerifyResult
	for _, r := range []*provenancetypes.VerifyResult{none, {}, {Result: "counterfeit"}, {Result: "Verified"}, {Result: "unrecognized"}} {
		safe, state := r.SafeToDispense()
		require.False(t, safe, "%+v", r)
		require.Equal(t, provenancetypes.CounterUnrecognized, state, "%+v", r)
	}
	safe, state := (&provenancetypes.VerifyResult{Result: provenancetypes.VerifyVerified}).SafeToDispense()
	require.True(t, safe)
	require.Equal(t, provenancetypes.VerifyVerified, state)
}

func TestEveryVerifyResultIsACounterState(t *testing.T) {
	states := provenancetypes.CounterStates()
	require.Equal(t, provenancetypes.VerifyVerified, states[len(states)-1], "the safe state is last")
	for _, res := range provenancetypes.VerifyResults() {
		require.Contains(t, states, res)
		for _, suspect := range []bool{false, true} {
			safe, state := (&provenancetypes.VerifyResult{Result: res, Suspect: suspect}).SafeToDispense()
			require.Contains(t, states, state)
			require.Equal(t, res == provenancetypes.VerifyVerified && !suspect, safe, "%s suspect=%v", res, suspect)
		}
	}
}
