package ccutil

import (
	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/internal/txstate"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
)

// Contract is what every healthledger contract embeds in place of contractapi.Contract:
//
//   - its functions take a txstate.Context: a fresh transaction context per call whose State
//     buffers the call's writes, flushed in key order once the function succeeds (txstate.Flush
//     is the AfterTransaction hook), so a failed call writes nothing;
//   - a call to a function the contract lacks fails with INVALID_ARGUMENT (see [UnknownTransaction]).
//
// Its methods are contractapi's hooks, which contractapi never exposes as transactions.
type Contract struct {
	contractapi.Contract
}

// GetTransactionContextHandler makes every call's context a txstate.TransactionContext.
func (c *Contract) GetTransactionContextHandler() contractapi.SettableTransactionContextInterface {
	return new(txstate.TransactionContext)
}

// GetAfterTransaction returns txstate.Flush, which writes a successful call's state.
func (c *Contract) GetAfterTransaction() interface{} { return txstate.Flush }

// GetUnknownTransaction returns [UnknownTransaction].
func (c *Contract) GetUnknownTransaction() interface{} { return UnknownTransaction }

// maxEchoedName bounds how much of an unknown function's name the error repeats.
const maxEchoedName = 64

// UnknownTransaction answers a call to a function the contract does not have, with
// [UnknownFunction].
func UnknownTransaction(ctx contractapi.TransactionContextInterface) error {
	fn, _ := ctx.GetStub().GetFunctionAndParameters()
	return UnknownFunction(fn)
}

// UnknownFunction is the refusal of a call to a function the chaincode does not have:
// INVALID_ARGUMENT: unknown function "Name" (the name quoted, and cut at 64 characters). The guard
// in front of every chaincode (package ccguard) answers with it too.
func UnknownFunction(fn string) error {
	return codes.New(codes.InvalidArgument, "unknown function %.*q", maxEchoedName, fn)
}
