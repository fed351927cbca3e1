// Package gatewayclient is the healthledger SDK: the way applications reach the healthledger chaincodes
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
//	net, err := gatewayclient.LoadNetwork(os.Getenv("HEALTHLEDGER_NETWORK"))
//	c, err := net.Connect(ctx, "patient1")
//	defer c.Close()
//
// A bare connection profile works too: [Connect](ctx, "hospital.json", [WithIdentity]("patient1")).
// When the first peer of a profile cannot be reached within the connect timeout, the next one is tried.
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
// unavailable or overloaded (gRPC Unavailable or ResourceExhausted) and when a transaction fails to
// commit with MVCC_READ_CONFLICT (the whole transaction is endorsed again). This is safe because every
// healthledger request carries a client-chosen id: a repeat can never create a second record. See
// [RetryPolicy], [WithRetry] and [WithoutRetry].
//
// # Events
//
// [Client.ChaincodeEvents] and [Client.BlockEvents] return streams that reconnect with backoff when the
// peer goes away and, with [WithCheckpointFile], resume after a restart exactly after the last event
// the caller acknowledged ([ChaincodeEventStream.Ack]).
//
// # Identities
//
// A [Wallet] is a folder of MSP-style identity folders. [CAClient] enrolls and registers identities by
// speaking the Fabric CA REST API.
//
// # Testing
//
// [NewTestClient] returns a [Client] whose calls are answered by a [Handler], with no network: typed
// clients and applications test against it.
package gatewayclient
