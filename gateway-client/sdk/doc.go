// Package sdk is the healthledger SDK: the way applications reach the healthledger chaincodes
// on a Hyperledger Fabric network. It wraps github.com/hyperledger/fabric-gateway and keeps its good
// parts (one small chain of types, functional options, typed errors with per-peer details) while fixing
// three awkward ones:
//
//   - every call that touches the network takes a [context.Context] first;
//   - when that context has no deadline, a default per-stage timeout applies ([Timeouts]);
//   - results are typed ([EvaluateJSON], [SubmitJSON], [ChaincodeEvent.Decode]);
//   - event streams report the error that ended them ([ChaincodeEventStream.Next]).
//
// # Connecting
//
// The files that `network.sh up` writes describe the network: a network.json listing the orgs, the
// identities and the chaincodes, and one connection profile per org. [LoadNetwork] reads them and
// [Network.Connect] connects one identity to its org's gateway peer:
//
//	net, err := sdk.LoadNetwork(os.Getenv("HEALTHLEDGER_NETWORK"))
//	c, err := net.Connect(ctx, "patient1")
//	defer c.Close()
//
// A bare connection profile works too: [Connect](ctx, "hospital.json", [WithIdentity]("patient1")).
// When the first peer of a profile cannot be reached within the connect timeout, the next one is tried.
//
// # Failover
//
// A client keeps its profile's peer list. When a call fails because the client's gateway peer is gone
// (gRPC Unavailable while the connection to it is down), the client connects to the profile's next
// reachable peer and repeats the failed stage there, at once and within the call's retry policy:
// an evaluation or an endorsement is sent again; a failed hand-over to the orderers resends the same
// signed transaction; a failed wait for the commit asks for the status of the same transaction id. A
// transaction handed to the orderers is never endorsed again, so none can commit twice. Event
// streams reconnect through the new peer. [Client.Peer] reports the peer in use. An Unavailable
// answered by a peer that is still connected (its orderer or another endorser is down) is retried on
// the same peer. [WithFallbackOrgs] adds other orgs' gateway peers, tried after the client's own
// org's; a call with the org's private data never goes through them (it fails with [ErrUnavailable]).
//
// # Delivery
//
// An endorsed transaction is delivered until its commit status says what became of it, or the
// commit deadline passes: a hand-over to the orderers that fails or hangs, and one whose commit status
// has not arrived within [Timeouts].Rebroadcast (an orderer that died may have lost it), are made
// again with the same signed transaction. A transaction id commits at most once, so no call commits
// twice.
//
// # Calls
//
// [Contract.Evaluate] runs a query on one peer; [Contract.Submit] endorses, orders and waits for the
// commit. [WithTransient] and [WithEndorsingOrgs] serve private data. Failed calls return an [*Error]
// that matches one of the sentinels ([ErrNotFound], [ErrForbidden], ...) with errors.Is and still
// reaches the fabric-gateway error (client.EndorseError, client.CommitStatusError ...) with errors.As.
//
// # Retries
//
// Calls are retried, a bounded number of times and with jittered exponential backoff, when a peer is
// unavailable or overloaded (gRPC Unavailable or ResourceExhausted), when the endorsing peers return
// different results ("ProposalResponsePayloads do not match": peers at different heights), and when
// a transaction fails to commit with MVCC_READ_CONFLICT or PHANTOM_READ_CONFLICT (in these two cases
// the whole transaction is endorsed again: nothing reached the ledger). This is safe because every
// healthledger request carries a client-chosen id: a repeat can never create a second record. The
// default, [DefaultRetryPolicy], keeps failing calls short; calls on a key that many clients write at
// once need more attempts: raise them with [WithRetry] and bound the whole call with the context's
// deadline. A mismatch that outlasts the retries is [ErrEndorsementMismatch] (and [ErrConflict]).
// [WithRetryObserver] tells an application of every retry, with its cause. See [RetryPolicy],
// [WithRetry] and [WithoutRetry].
//
// # Events
//
// [Client.ChaincodeEvents] and [Client.BlockEvents] return streams that reconnect with backoff when the
// peer goes away and, with [WithCheckpointFile], resume after a restart exactly after the last event
// the caller acknowledged ([ChaincodeEventStream.Ack]): nothing is skipped, and an acknowledged event
// is never delivered again. Processing then acknowledging is at-least-once (a process killed in
// between processes the unacknowledged events again); it is exactly-once when the processing is
// idempotent or saved in one transaction with the checkpoint (a [Checkpointer]).
//
// # Identities
//
// A [Wallet] is a folder of MSP-style identity folders, each replaced as a whole by [Wallet.Put].
// [CAClient] enrolls, reenrolls and registers identities by speaking the Fabric CA REST API.
//
// # Testing
//
// Package [github.com/healthledger/healthledger/gateway-client/sdktest] is to this package what
// net/http/httptest is to net/http: its NewClient returns a [Client] connected to an in-process
// gateway whose chaincode a handler plays, so typed clients and applications test the SDK's whole
// gateway path without a network.
package sdk
