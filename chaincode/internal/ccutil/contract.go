package ccutil

import (
	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/internal/orgroles"
	"github.com/healthledger/healthledger/chaincode/internal/txstate"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
)

// Contract is what every healthledger contract embeds in place of contractapi.Contract:
//
//   - its functions take a txstate.Context: a fresh transaction context per call whose State
//     buffers the call's writes, flushed in key order once the function succeeds (txstate.Flush
//     is the AfterTransaction hook), so a failed call writes nothing;
//   - a call to a function the contract lacks fails with INVALID_ARGUMENT (see [UnknownTransaction]);
//   - the context caches the consortium's role map (package orgroles) for the call, so every role
//     check of one transaction reads it at most once.
//
// Its hook methods are contractapi's, which contractapi never exposes as transactions.
type Contract struct {
	contractapi.Contract
}

// TransactionContext is the transaction context of every healthledger contract: txstate's, plus the
// transaction's cache of the consortium map.
type TransactionContext struct {
	txstate.TransactionContext
	roles orgroles.Cache
}

var (
	_ txstate.Context = (*TransactionContext)(nil)
	_ orgroles.Cacher = (*TransactionContext)(nil)
)

// OrgRoles returns the transaction's cache of the consortium map.
func (c *TransactionContext) OrgRoles() *orgroles.Cache { return &c.roles }

// GetTransactionContextHandler makes every call's context a fresh [TransactionContext].
func (c *Contract) GetTransactionContextHandler() contractapi.SettableTransactionContextInterface {
	return new(TransactionContext)
}

// GetAfterTransaction returns [Flush], which writes a successful call's state.
func (c *Contract) GetAfterTransaction() interface{} { return Flush }

// Flush is the AfterTransaction hook: txstate.Flush of the call's state.
func Flush(ctx *TransactionContext) error { return txstate.Flush(&ctx.TransactionContext) }

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
