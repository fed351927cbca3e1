package sdk_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"sync/atomic"
	"time"

	"github.com/healthledger/healthledger/gateway-client/sdk"
	"github.com/healthledger/healthledger/gateway-client/sdktest"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Retryable tells which failures the SDK retries.
func ExampleRetryable() {
	fmt.Println(sdk.Retryable(status.Error(codes.Unavailable, "peer down")))
	fmt.Println(sdk.Retryable(status.Error(codes.ResourceExhausted, "concurrency limit")))
	fmt.Println(sdk.Retryable(&sdk.CommitError{TransactionID: "tx1", Code: peer.TxValidationCode_MVCC_READ_CONFLICT}))
	// Endorsing peers at different heights returned different results: nothing reached the ledger.
	fmt.Println(sdk.Retryable(status.Error(codes.Aborted, "failed to assemble transaction: ProposalResponsePayloads do not match")))
	fmt.Println(sdk.Retryable(errors.New("CONFLICT: version 3"))) // a chaincode failure is not retried
	fmt.Println(sdk.Retryable(status.Error(codes.PermissionDenied, "no")))
	// Output:
	// true
	// true
	// true
	// true
	// false
	// false
}

// Retries are configurable and can be switched off.
func ExampleWithRetry() {
	// A test client (package sdktest) whose peer is unavailable twice, then answers.
	var attempts atomic.Int32
	handler := func(ctx context.Context, call sdktest.Call) ([]byte, error) {
		if attempts.Add(1) < 3 {
			return nil, status.Error(codes.Unavailable, "peer restarting")
		}
		return []byte(`{"id":"ev-1"}`), nil
	}
	c, err := sdktest.NewClient(handler, sdk.IdentityInfo{Name: "distributor1"},
		sdk.WithRetry(sdk.RetryPolicy{MaxAttempts: 5, BaseDelay: time.Millisecond, MaxDelay: 10 * time.Millisecond}))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	tx, err := c.Contract("provenance").SubmitTx(context.Background(), "Ship", []string{`{"id":"ev-1"}`})
	fmt.Println(string(tx.Result), tx.Attempts, err)

	attempts.Store(0)
	once, err := sdktest.NewClient(handler, sdk.IdentityInfo{Name: "distributor1"}, sdk.WithoutRetry())
	if err != nil {
		log.Fatal(err)
	}
	defer once.Close()
	_, err = once.Contract("provenance").Submit(context.Background(), "Ship", []string{`{"id":"ev-1"}`})
	fmt.Println(attempts.Load(), errors.Is(err, sdk.ErrUnavailable))
	// Output:
	// {"id":"ev-1"} 3 <nil>
	// 1 true
}
