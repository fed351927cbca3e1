package sdk_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/seal"
	"github.com/healthledger/healthledger/gateway-client/sdk"
	"github.com/healthledger/healthledger/gateway-client/sdktest"
	"github.com/stretchr/testify/require"
)

type details struct {
	Diagnosis string `json:"diagnosis"`
}

// sealedServer is a client whose chaincode answers GetDetails sealed, as the healthledger private
// reads do, and records every call.
func sealedServer(t *testing.T, answer func(sdktest.Call) ([]byte, error)) (*sdk.Client, func() []sdktest.Call) {
	t.Helper()
	var mu sync.Mutex
	var calls []sdktest.Call
	c, err := sdktest.NewClient(func(_ context.Context, call sdktest.Call) ([]byte, error) {
		mu.Lock()
		calls = append(calls, call)
		mu.Unlock()
		return answer(call)
	}, sdk.IdentityInfo{Name: "insurer1", MSPID: "InsurerMSP", Role: "insurer"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c, func() []sdktest.Call {
		mu.Lock()
		defer mu.Unlock()
		return append([]sdktest.Call(nil), calls...)
	}
}

func TestEvaluateSealedOpensTheAnswer(t *testing.T) {
	c, calls := sealedServer(t, func(call sdktest.Call) ([]byte, error) {
		return sdktest.Sealed(call, details{Diagnosis: "J06.9"})
	})
	k := c.Contract("claims")
	got, err := sdk.EvaluateSealedJSON[details](context.Background(), k, "GetDetails", []string{"clm-1"})
	require.NoError(t, err)
	require.Equal(t, "J06.9", got.Diagnosis)
	raw, err := k.EvaluateSealed(context.Background(), "GetDetails", []string{"clm-1"})
	require.NoError(t, err)
	require.JSONEq(t, `{"diagnosis":"J06.9"}`, string(raw))

	seen := calls()
	require.Len(t, seen, 2)
	for _, call := range seen {
		require.Len(t, call.Transient[seal.TransientKey], seal.KeySize)
		require.Equal(t, []string{"InsurerMSP"}, call.EndorsingOrgs, "the key goes to the caller's org only")
	}
	require.NotEqual(t, seen[0].Transient[seal.TransientKey], seen[1].Transient[seal.TransientKey], "a fresh key per call")
}

func TestSubmitSealedCommitsTheEnvelopeAndReturnsThePlainAnswer(t *testing.T) {
	var envelope []byte
	c, calls := sealedServer(t, func(call sdktest.Call) ([]byte, error) {
		out, err := sdktest.Sealed(call, details{Diagnosis: "J06.9"})
		envelope = out
		return out, err
	})
	k := c.Contract("claims")
	tx, err := k.SubmitSealed(context.Background(), "GetDetails", []string{"clm-1"})
	require.NoError(t, err)
	require.JSONEq(t, `{"diagnosis":"J06.9"}`, string(tx.Result))
	require.NotZero(t, tx.BlockNumber)
	require.True(t, seal.IsSealed(envelope))
	require.NotContains(t, string(envelope), "J06.9", "what the block holds")
	seen := calls()
	require.Len(t, seen, 1)
	require.True(t, seen[0].Submit)
	require.Equal(t, tx.TransactionID, seen[0].TransactionID)
	require.Equal(t, []string{"InsurerMSP"}, seen[0].EndorsingOrgs)

	t.Run("endorsing orgs the caller names are kept", func(t *testing.T) {
		_, err := k.SubmitSealed(context.Background(), "GetDetails", []string{"clm-1"}, sdk.WithEndorsingOrgs("HospitalMSP", "InsurerMSP"))
		require.NoError(t, err)
		seen := calls()
		require.Equal(t, []string{"HospitalMSP", "InsurerMSP"}, seen[len(seen)-1].EndorsingOrgs)
	})
}

func TestSealedReadFailures(t *testing.T) {
	other, err := seal.NewKey()
	require.NoError(t, err)
	for name, tc := range map[string]struct {
		answer func(sdktest.Call) ([]byte, error)
		is     []error
	}{
		"a plain answer": {
			answer: func(sdktest.Call) ([]byte, error) { return json.Marshal(details{Diagnosis: "J06.9"}) },
			is:     []error{sdk.ErrUnsealed, seal.ErrNotSealed},
		},
		"an answer sealed under another key": {
			answer: func(call sdktest.Call) ([]byte, error) {
				e, err := seal.Seal(other, call.Function, call.TransactionID, []byte(`{}`))
				if err != nil {
					return nil, err
				}
				return json.Marshal(e)
			},
			is: []error{sdk.ErrUnsealed, seal.ErrOpen},
		},
		"an answer sealed for another transaction": {
			answer: func(call sdktest.Call) ([]byte, error) {
				e, err := seal.Seal(call.Transient[seal.TransientKey], call.Function, "another-tx", []byte(`{}`))
				if err != nil {
					return nil, err
				}
				return json.Marshal(e)
			},
			is: []error{sdk.ErrUnsealed, seal.ErrOpen},
		},
		"a refusal of the chaincode": {
			answer: func(sdktest.Call) ([]byte, error) { return nil, codes.New(codes.Forbidden, "no") },
			is:     []error{sdk.ErrForbidden},
		},
	} {
		t.Run(name, func(t *testing.T) {
			c, _ := sealedServer(t, tc.answer)
			k := c.Contract("claims")
			_, err := k.EvaluateSealed(context.Background(), "GetDetails", []string{"clm-1"})
			var e *sdk.Error
			require.True(t, errors.As(err, &e), "%v", err)
			for _, want := range tc.is {
				require.ErrorIs(t, err, want)
			}
			_, err = k.SubmitSealed(context.Background(), "GetDetails", []string{"clm-1"})
			for _, want := range tc.is {
				require.ErrorIs(t, err, want)
			}
		})
	}
}
