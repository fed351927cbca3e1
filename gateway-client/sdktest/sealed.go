package sdktest

import (
	"encoding/json"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/seal"
)

// Sealed answers call as a healthledger function that returns private data does (package
// chaincode/seal): v's JSON sealed under the call's seal key, for its function and transaction. A
// call without a key of seal.KeySize bytes fails with INVALID_ARGUMENT, as the chaincodes refuse it.
func Sealed(call Call, v any) ([]byte, error) {
	key := call.Transient[seal.TransientKey]
	if len(key) != seal.KeySize {
		return nil, codes.New(codes.InvalidArgument, "%s answers private data only sealed: transient field %q must hold a %d-byte key",
			call.Function, seal.TransientKey, seal.KeySize)
	}
	plain, err := json.Marshal(v)
	if err != nil {
		return nil, codes.New(codes.Internal, "%s: encoding the answer", call.Function)
	}
	e, err := seal.Seal(key, call.Function, call.TransactionID, plain)
	if err != nil {
		return nil, codes.New(codes.Internal, "%s: sealing the answer", call.Function)
	}
	return json.Marshal(e)
}
