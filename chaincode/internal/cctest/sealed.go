package cctest

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/healthledger/healthledger/chaincode/seal"
)

// SealKey returns the seal key that [WithSealKey] passes and [DecodeSealed] opens with: a fixed test
// key (package seal; a client draws a fresh one per call).
func SealKey() []byte {
	return bytes.Repeat([]byte{0x5e}, seal.KeySize)
}

// WithSealKey passes key as the caller's seal key (transient field seal.TransientKey), which the
// functions that return private data require.
func WithSealKey(key []byte) CallOption {
	return WithTransient(map[string][]byte{seal.TransientKey: key})
}

// Unseal requires that r succeeded with a sealed answer, opens it with key (as the answer of r's
// function in r's transaction) and decodes the plain JSON into a T.
func Unseal[T any](tb testing.TB, r *Result, key []byte) T {
	tb.Helper()
	var v T
	RequireOK(tb, r)
	plain, err := seal.OpenPayload(key, r.Function, r.TxID, r.Payload)
	if err != nil {
		tb.Fatalf("cctest: opening the answer of %s (tx %s): %v; payload %q", r.Function, r.TxID, err, r.Payload)
		return v
	}
	if err := json.Unmarshal(plain, &v); err != nil {
		tb.Fatalf("cctest: decoding the opened answer %q as %T: %v", plain, v, err)
	}
	return v
}

// DecodeSealed is [Unseal] with [SealKey].
func DecodeSealed[T any](tb testing.TB, r *Result) T {
	tb.Helper()
	return Unseal[T](tb, r, SealKey())
}
