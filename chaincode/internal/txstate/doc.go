// Package txstate is the per-transaction state of the healthledger contracts: one buffer of a
// transaction's writes, public and private, that reads its own writes back and reaches the stub only
// when the transaction's function succeeds, in sorted key order.
//
// # Why a buffer
//
// A peer does not read a transaction's own writes back: GetState answers the committed value even
// after a PutState of the same key. A transaction that touches one key twice, or two records that
// share an index, would read its own earlier change back as if it had not happened. [State] answers every point read from its
// buffer first, so a function sees the state it is building. And because the stub sees the writes
// only at the end, sorted by key, the write order is the same on every endorsing peer whatever path
// the function took, and a function that fails writes nothing at all.
//
// # Use
//
// A contract embeds ccutil.Contract, which installs [TransactionContext] as its transaction context
// and [Flush] as its AfterTransaction hook. Its functions take a [Context] and work on ctx.State():
//
//	func (c *Contract) Grant(ctx txstate.Context, consentJSON string) (*consenttypes.Consent, error) {
//		st := ctx.State()
//		key, err := st.Key(objConsent, id)
//		...
//		found, err := st.GetJSON(key, &old)   // the buffered value if this transaction wrote key
//		...
//		return c, st.PutJSON(key, c)          // buffered; flushed once Grant has returned c
//	}
//
// contractapi calls the AfterTransaction hook only when the function returned no error, so a failed
// function flushes nothing; when the flush itself fails the transaction fails with its error.
//
// # What is not buffered
//
// Range, partial-key, paginated and history queries go to the stub directly and, as on a peer, see
// the committed state only; so do the chaincode event (SetEvent) and calls to other chaincodes. Fabric
// discards all of them when the transaction fails.
//
// Every failure is a *codes.Error: INTERNAL for the public state, FORBIDDEN when the peer refuses the
// caller's organisation access to a collection, UNAVAILABLE for the other private data failures (the
// peer is no member of the collection, or lacks the data).
package txstate
