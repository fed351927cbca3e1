package txstate

import "github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

// Context is the transaction context that the healthledger contracts' functions take: contractapi's,
// plus the transaction's [State]. contractapi checks when it builds a chaincode that the contract's
// transaction context implements it, so a contract that forgot to install [TransactionContext] does
// not start.
type Context interface {
	contractapi.TransactionContextInterface
	// State returns the transaction's state, the same on every call within one transaction.
	State() *State
}

// TransactionContext implements [Context]. contractapi makes a fresh one for every call, so its state
// lives exactly as long as one transaction.
type TransactionContext struct {
	contractapi.TransactionContext
	state *State
}

var _ Context = (*TransactionContext)(nil)

// State returns the transaction's state, created on first use.
func (c *TransactionContext) State() *State {
	if c.state == nil {
		c.state = New(c.GetStub())
	}
	return c.state
}

// Flush is the contracts' AfterTransaction hook: contractapi calls it once the transaction's function
// has succeeded, and it writes the buffered state to the stub ([State.Flush]). Its error fails the
// transaction.
func Flush(ctx *TransactionContext) error {
	if ctx.state == nil {
		return nil
	}
	return ctx.state.Flush()
}
