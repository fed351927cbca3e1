// Package cctest is an in-memory Fabric channel for unit-testing the healthledger chaincodes through
// their real contractapi Invoke path, so schema, serializer and argument faults show up as they would
// on a peer.
//
// # Usage
//
//	func TestGrant(t *testing.T) {
//		l := cctest.New(t)
//		cc, err := consent.NewChaincode()                        // the guarded chaincode a server runs
//		require.NoError(t, err)
//		l.Register("consent", cc)                                // or l.Deploy(name, &testContract{})
//		l.DefineCollections("consent", "consentDetails")         // optional: reject other collections
//		pat := l.Identity("HospitalMSP", "patient1", cctest.RoleAttrs("patient", "pat-7f3a9c21"))
//
//		res := l.Invoke("consent", pat, "Grant", []string{`{"id":"c-1",...}`},
//			cctest.WithTransient(map[string][]byte{"details": []byte(`{...}`)}))
//		got := cctest.Decode[consenttypes.Consent](t, res)      // requires success, decodes JSON
//		ev := cctest.RequireEvent[consenttypes.Granted](t, res, "ConsentGranted")
//
//		before := l.Snapshot()
//		res = l.Invoke("consent", pat, "Grant", []string{`{"id":"c-1",...}`})
//		cctest.RequireCode(t, res, codes.Duplicate)              // codes.Parse on the message
//		l.RequireUnchanged(t, before)                            // the failure wrote nothing
//	}
//
// # Ledger
//
// A [Ledger] holds the registered chaincodes, the world state of each chaincode namespace (the name it
// was registered under), private data per (namespace, collection), the history of every public key
// and the events of committed transactions. Inspect it with [Ledger.State], [StateJSON],
// [Ledger.PrivateData], [Ledger.PrivateDataHash], [Ledger.Keys], [Ledger.KeyCount],
// [Ledger.PrivateKeys], [Ledger.History] and [Ledger.Events]; build composite keys with [Ledger.Key];
// seed fixtures with [Ledger.SetState] and [Ledger.SetPrivateData]. [Ledger.Snapshot] with
// [Ledger.Changes] or [Ledger.RequireUnchanged] asserts that a failed call changed nothing.
//
// [Ledger.Deploy] builds a test contract as the healthledger chaincodes are built: contractapi's
// router behind the guard of package ccguard, so refusals carry stable codes (an unknown function, a
// wrong argument count, an argument that does not parse: INVALID_ARGUMENT; a panic: INTERNAL). Each
// chaincode's NewChaincode does the same with its own bounds; register what it returns.
//
// # Transactions
//
// [Ledger.Transactions] reads a contractapi chaincode's metadata and returns the evaluate and submit
// functions of its default contract, so a test can pin a contract's whole surface.
//
// [Ledger.Invoke] builds a transaction (fresh tx id, timestamp, creator, transient data), calls the
// chaincode's Invoke with the function name and string args, and commits the buffered writes of the
// whole transaction only when the status is below 400. [Ledger.Evaluate] does the same but never
// commits. The clock starts at [DefaultStart] (or [WithStart]) and advances one second per transaction,
// so tests are deterministic; [At] overrides one transaction's time and [Ledger.SetClock] moves the
// clock. The [Result] carries Status, Payload, Message, TxID, Time, the Event and whether it was
// committed; [Decode], [RequireOK], [RequireCode] and [RequireEvent] assert on it.
//
// The fake stub follows the peer where it matters to a contract:
//   - no read-your-writes: GetState, GetPrivateData and GetPrivateDataHash return committed values;
//   - an empty value written with PutState/PutPrivateData is a delete;
//   - GetStateByRange("", ...) skips composite keys; simple keys may not start with 0x00;
//   - paginated queries return the next key as bookmark ("" when nothing is left), page size 0 means
//     no limit; as on a peer a non-empty bookmark REPLACES the start key unchecked, so a contract that
//     passes a client's bookmark through can read outside the intended prefix (up to the end key);
//   - paginated queries and private data range/partial-key queries are allowed only in read-only
//     transactions: writing after one (or running one after a write) fails as on a peer;
//   - GetHistoryForKey returns versions newest first (tx id, timestamp, isDelete, value);
//   - PurgePrivateData and DelPrivateData remove the value and its hash at commit;
//   - InvokeChaincode runs another registered chaincode in the same transaction (same creator, time,
//     transient data); its writes join the caller's and commit only if the client's call succeeds;
//     as on a peer, only the event of the chaincode the client invoked is kept;
//   - the last SetEvent of a transaction is its event.
//
// Rich (CouchDB) queries, key-level endorsement, GetBinding and GetSignedProposal return an error
// wrapping [ErrNotSupported]. A panic in a chaincode becomes a status 500 result.
//
// # Fixtures and fuzzing
//
// [Ledger.Clone] copies a ledger (state, private data, history, events, clock and transaction count)
// for another testing.TB: build a fixture once and clone it per subtest, or per input of a fuzz
// target. [Ledger.CheckCall] makes one call and checks the [Invariants] every call keeps: a refusal
// carries a stable code (never INTERNAL), writes nothing and sets no event; a marker planted in
// private and transient input never reaches public state, an event, an error message or a submit
// function's answer. [JoinArgs], [SplitArgs], [JoinTransient] and [SplitTransient] encode a call's
// arguments and transient data as the string and bytes a fuzz target takes.
//
// # contractapi pitfalls this harness shows
//
//   - contractapi.NewChaincode (and so [Ledger.Deploy]) rejects a method that returns an instantiated
//     generic type such as *ccutil.Page[T] or []ccutil.HistoryEntry[T] ("Object has no key
//     'Page[github.com'"): declare a named type, e.g. type ConsentPage ccutil.Page[Consent], and
//     return (*ConsentPage)(page).
//   - a string result travels raw, not JSON-quoted: [Decode] of a string takes the payload as it is,
//     but ccutil.InvokeJSON cannot decode another chaincode's string result; return a struct instead.
//
// # Identities
//
// [Ledger.Identity] makes a client identity as a real x509 certificate signed by a per-MSP test CA
// generated at run time ([Ledger.CACert]), with the attributes in the Fabric CA extension
// 1.2.3.4.5.6.7.8.1 ({"attrs":{...}}), so GetClientIdentity().GetAttributeValue reads them for real.
// Pass nil attributes for a certificate without the extension. [RoleAttrs] builds the healthledger
// {"role","subject"} pair, and [Identity.ClientID] is the id contracts see through GetID.
package cctest
