package ccutil

// The helpers in this file are left over from before txstate and are being removed: contracts read
// and write through txstate.State, build keys with State.Key, and take roles, id checks and codes
// from packages wire and codes.

import (
	"encoding/json"
	"errors"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/wire"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
)

// The roles (wire.RoleX).
const (
	RolePatient      = wire.RolePatient
	RoleProvider     = wire.RoleProvider
	RolePharmacist   = wire.RolePharmacist
	RoleManufacturer = wire.RoleManufacturer
	RoleDistributor  = wire.RoleDistributor
	RoleInsurer      = wire.RoleInsurer
	RoleAuditor      = wire.RoleAuditor
)

// GetJSON reads key into v. It reports false, with no error, when the key is absent.
func GetJSON(ctx contractapi.TransactionContextInterface, key string, v any) (bool, error) {
	raw, err := ctx.GetStub().GetState(key)
	if err != nil {
		return false, codes.New(codes.Internal, "reading %q: %v", key, err)
	}
	if raw == nil {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return false, codes.New(codes.Internal, "decoding %q: %v", key, err)
	}
	return true, nil
}

// PutJSON writes v under key as JSON.
func PutJSON(ctx contractapi.TransactionContextInterface, key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return codes.New(codes.Internal, "encoding %q: %v", key, err)
	}
	if err := ctx.GetStub().PutState(key, raw); err != nil {
		return codes.New(codes.Internal, "writing %q: %v", key, err)
	}
	return nil
}

// Key builds a composite key, failing with INVALID_ARGUMENT on attributes the shim rejects.
func Key(ctx contractapi.TransactionContextInterface, objectType string, attrs ...string) (string, error) {
	k, err := ctx.GetStub().CreateCompositeKey(objectType, attrs)
	if err != nil {
		return "", codes.New(codes.InvalidArgument, "building a %s key: %v", objectType, err)
	}
	return k, nil
}

// CheckID is wire.CheckID.
func CheckID(what, id string) error { return wire.CheckID(what, id) }

// AsCode returns err as a *codes.Error, wrapping unknown errors as INTERNAL.
func AsCode(err error) *codes.Error {
	var ce *codes.Error
	if errors.As(err, &ce) {
		return ce
	}
	return codes.New(codes.Internal, "%v", err)
}
