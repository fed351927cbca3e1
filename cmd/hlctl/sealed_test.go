package main

import (
	"context"
	"encoding/json"
	"sync"
	"testing"

	"github.com/healthledger/healthledger/chaincode/seal"
	"github.com/healthledger/healthledger/gateway-client/sdktest"
	"github.com/stretchr/testify/require"
)

// sealedMetadata answers the contract metadata query as contractapi does for a chaincode whose
// GetClaimDetails answers a sealed envelope and whose GetClaim answers a plain header, and passes
// every other call to h.
func sealedMetadata(h sdktest.Handler) sdktest.Handler {
	return func(ctx context.Context, call sdktest.Call) ([]byte, error) {
		if call.Function != "org.hyperledger.fabric:GetMetadata" {
			return h(ctx, call)
		}
		return []byte(`{"contracts":{"Contract":{"name":"Contract","transactions":[
			{"name":"GetClaimDetails","tag":["evaluate","EVALUATE"],"returns":{"$ref":"#/components/schemas/Envelope"}},
			{"name":"GetClaim","tag":["evaluate","EVALUATE"],"returns":{"$ref":"#/components/schemas/ClaimHeader"}}]}},
			"components":{"schemas":{
			"Envelope":{"$id":"Envelope","properties":{"box":{"type":"string"},"sealed":{"type":"string"}},"required":["sealed","box"]},
			"ClaimHeader":{"$id":"ClaimHeader","properties":{"claimId":{"type":"string"}}}}}}`), nil
	}
}

func TestRawCallsOfASealedFunctionOpenItsAnswer(t *testing.T) {
	const details = `{"claimId":"cl-1","diagnoses":["J06.9"]}`
	var mu sync.Mutex
	var calls []sdktest.Call
	var answers [][]byte
	c := testClient(t, sealedMetadata(func(_ context.Context, call sdktest.Call) ([]byte, error) {
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, call)
		var out []byte
		var err error
		if call.Function == "GetClaimDetails" {
			out, err = sdktest.Sealed(call, json.RawMessage(details))
		} else {
			out = []byte(`{"claimId":"cl-1"}`)
		}
		answers = append(answers, out)
		return out, err
	}))
	last := func() (sdktest.Call, []byte) {
		mu.Lock()
		defer mu.Unlock()
		return calls[len(calls)-1], answers[len(answers)-1]
	}

	t.Run("evaluate prints the plain details", func(t *testing.T) {
		out, errOut, code := runHlctl(t, c, nil, "--json", "evaluate", "claims", "GetClaimDetails", "cl-1")
		require.Equal(t, 0, code, errOut)
		require.JSONEq(t, details, out)
		call, answer := last()
		require.Len(t, call.Transient[seal.TransientKey], seal.KeySize)
		require.True(t, seal.IsSealed(answer))
	})
	t.Run("a submit the user allows puts the envelope in the block and prints the plain details", func(t *testing.T) {
		out, errOut, code := runHlctl(t, c, nil, "--json", "submit", "claims", "GetClaimDetails", "cl-1", "--allow-evaluate-only")
		require.Equal(t, 0, code, errOut)
		var res struct {
			TransactionID string          `json:"transactionId"`
			Result        json.RawMessage `json:"result"`
		}
		require.NoError(t, json.Unmarshal([]byte(out), &res))
		require.JSONEq(t, details, string(res.Result))
		call, answer := last()
		require.True(t, call.Submit)
		require.Equal(t, res.TransactionID, call.TransactionID)
		require.Equal(t, []string{"HospitalMSP"}, call.EndorsingOrgs, "the key goes to the caller's org only")
		require.NotContains(t, string(answer), "J06.9", "the block's copy of the answer")
	})
	t.Run("a plain function gets no key", func(t *testing.T) {
		out, errOut, code := runHlctl(t, c, nil, "--json", "evaluate", "claims", "GetClaim", "cl-1")
		require.Equal(t, 0, code, errOut)
		require.JSONEq(t, `{"claimId":"cl-1"}`, out)
		call, _ := last()
		require.Empty(t, call.Transient)
	})
}
