package ccutil

import (
	"encoding/json"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/seal"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
)

// SealKeyBound returns the guard's bound on transient field seal.TransientKey, for the Limits of
// every function that answers with [Sealed].
func SealKeyBound() map[string]int { return map[string]int{seal.TransientKey: seal.KeySize} }

// Sealed is the answer of function fn that returns private data v: v's JSON sealed under the caller's
// key (transient field seal.TransientKey) for this transaction (package seal, docs/privacy.md). Without
// a key of seal.KeySize bytes it fails with INVALID_ARGUMENT and answers nothing, so a private read
// never puts its plain answer into a block, even when a client submits it.
func Sealed(ctx contractapi.TransactionContextInterface, fn string, v any) (*seal.Envelope, error) {
	m, err := ctx.GetStub().GetTransient()
	if err != nil {
		return nil, codes.New(codes.InvalidArgument, "the transient data of the call cannot be read")
	}
	key, ok := m[seal.TransientKey]
	if !ok || len(key) == 0 {
		return nil, codes.New(codes.InvalidArgument,
			"%s answers private data only sealed: pass a fresh random %d-byte key in transient field %q (the SDK does; see docs/privacy.md)",
			fn, seal.KeySize, seal.TransientKey)
	}
	if len(key) != seal.KeySize {
		return nil, codes.New(codes.InvalidArgument, "transient field %q of %s must hold a %d-byte key, not %d bytes",
			seal.TransientKey, fn, seal.KeySize, len(key))
	}
	plain, err := json.Marshal(v)
	if err != nil {
		return nil, codes.New(codes.Internal, "%s: encoding the answer", fn)
	}
	e, err := seal.Seal(key, fn, ctx.GetStub().GetTxID(), plain)
	if err != nil {
		return nil, codes.New(codes.Internal, "%s: sealing the answer", fn)
	}
	return e, nil
}
