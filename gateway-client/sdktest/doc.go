// Package sdktest serves healthledger SDK clients from an in-process Fabric Gateway, for the unit
// tests of typed clients and applications, the way net/http/httptest serves HTTP clients.
//
// # A client answered by a handler
//
// [NewClient] starts a [Server] whose chaincode a [Handler] plays and returns an *sdk.Client
// connected to it:
//
//	c, err := sdktest.NewClient(func(ctx context.Context, call sdktest.Call) ([]byte, error) {
//		if call.Function == "GetConsent" {
//			return json.Marshal(consenttypes.Consent{ID: call.Args[0]})
//		}
//		return nil, codes.New(codes.NotFound, "function %s", call.Function)
//	}, sdk.IdentityInfo{Name: "patient1", MSPID: "HospitalMSP", Role: "patient"})
//
// The handler sees every detail of a call ([Call]): chaincode, function, arguments, transient data,
// endorsing organisations, whether it is submitted, its transaction id, and who signed it.
//
// # What runs for real
//
// A [Server] is a Fabric Gateway service (Evaluate, Endorse, Submit, CommitStatus) on a 127.0.0.1
// port, with TLS. Clients reach it through [sdk.Connect] and a connection profile, so everything the
// SDK does against a live peer runs: the TLS dial, signing with the identity's key (the server checks
// every signature), the fabric-gateway calls, the per-stage timeouts, the retries, and the mapping of
// the gateway's errors to [sdk.Error] and its sentinels.
//
// # How a handler's answers reach the client
//
//   - A payload is the chaincode's response. A submitted call is endorsed with it, then commits in
//     the next block (the first is block 1).
//   - A *codes.Error (package chaincode/codes), or any other error, is the chaincode's failure, as a
//     Fabric 2.5 gateway reports it: the per-peer details say "chaincode response 500, CODE:
//     message"; the status is Unknown for an evaluation and Aborted for an endorsement. The client
//     therefore returns an [*sdk.Error] that matches the code's sentinel ([sdk.ErrNotFound] ...) and
//     carries the gateway's error underneath.
//   - A gRPC status error, wrapped or not, passes through: codes.Unavailable and
//     codes.ResourceExhausted are retried by the SDK within its retry policy.
//   - A [*sdk.CommitError] from a submitted call endorses the transaction all the same and makes it
//     fail validation with its code: MVCC_READ_CONFLICT and PHANTOM_READ_CONFLICT are retried by
//     endorsing again (the handler sees a new transaction id); other codes fail the call.
//   - context.Canceled and context.DeadlineExceeded become their gRPC statuses.
//
// The handler runs on the server's goroutines with the server side of the call's context: it carries
// the call's deadline and cancellation, not the caller's context values.
//
// The server answers qscc GetChainInfo itself, with the number of blocks committed so far, so that
// programs which wait for a block height work. It does not serve event streams: a stream opened on
// its clients ends at once, its Next returning an [*sdk.StreamError].
//
// # Programs that read a profiles folder
//
// [Server.WriteNetwork] writes a profiles folder (network.json, a connection profile per org, a
// wallet) for a list of identities, so that a program that takes such a folder, like the demo or
// hlctl, runs against the server unchanged.
//
// # Why a server rather than a seam in package sdk
//
// A test double that replaced the SDK's gateway calls would need package sdk to export its internal
// backend seam, and it would skip the code most worth testing: the fabric-gateway adapter, signing,
// error mapping from real gRPC statuses and details, and the retry paths. An in-process server costs
// little: on two cores a client is up in about 5 ms (certificates are generated in memory, the
// listener is local), an evaluation takes about 0.5 ms and a submit 1 ms; under -race, about 30, 2
// and 4 ms. A package whose tests start a client per case stays within a second or two.
package sdktest
