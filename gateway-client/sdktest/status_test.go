package sdktest_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/healthledger/healthledger/gateway-client/sdk"
	"github.com/healthledger/healthledger/gateway-client/sdktest"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// The gRPC status codes live in this file alone, apart from the chaincode's stable codes.

func TestChaincodeFailuresCarryTheGatewaysStatus(t *testing.T) {
	c := newClient(t, func(context.Context, sdktest.Call) ([]byte, error) {
		return nil, errors.New("CONFLICT: version 3")
	}, provider1)
	ctx := context.Background()
	t.Run("Unknown for an evaluation, with the chaincode's message", func(t *testing.T) {
		_, err := c.Contract("consent").Evaluate(ctx, "GetConsent", nil)
		var e *sdk.Error
		require.ErrorAs(t, err, &e)
		st := status.Convert(e.Err)
		require.Equal(t, codes.Unknown, st.Code())
		require.Equal(t, "evaluate call to endorser returned error: chaincode response 500, CONFLICT: version 3", st.Message())
	})
	t.Run("Aborted for an endorsement, with the message in the details", func(t *testing.T) {
		_, err := c.Contract("consent").Submit(ctx, "Update", nil)
		var e *sdk.Error
		require.ErrorAs(t, err, &e)
		require.Equal(t, codes.Aborted, status.Code(e.Err))
		require.ErrorContains(t, e.Err, "failed to endorse transaction, see attached details for more info")
		require.ErrorIs(t, err, sdk.ErrConflict)
	})
}

func TestGRPCStatusesPassThrough(t *testing.T) {
	t.Run("Unavailable is retried until the handler answers", func(t *testing.T) {
		var calls atomic.Int32
		c := newClient(t, func(context.Context, sdktest.Call) ([]byte, error) {
			if calls.Add(1) < 3 {
				return nil, status.Error(codes.Unavailable, "peer restarting")
			}
			return []byte("ok"), nil
		}, provider1, fastRetry)
		tx, err := c.Contract("provenance").SubmitTx(context.Background(), "Ship", nil)
		require.NoError(t, err)
		require.Equal(t, 3, tx.Attempts)
		require.Equal(t, "ok", string(tx.Result))
	})
	t.Run("Unavailable after the last attempt is ErrUnavailable", func(t *testing.T) {
		c := newClient(t, func(context.Context, sdktest.Call) ([]byte, error) {
			return nil, fmt.Errorf("wrapped: %w", status.Error(codes.Unavailable, "peer down"))
		}, provider1, fastRetry)
		_, err := c.Contract("provenance").Evaluate(context.Background(), "Verify", nil)
		require.ErrorIs(t, err, sdk.ErrUnavailable)
		var e *sdk.Error
		require.ErrorAs(t, err, &e)
		require.Equal(t, 3, e.Attempts)
	})
	t.Run("PermissionDenied is ErrForbidden", func(t *testing.T) {
		c := newClient(t, func(context.Context, sdktest.Call) ([]byte, error) {
			return nil, status.Error(codes.PermissionDenied, "access denied")
		}, provider1)
		_, err := c.Contract("consent").Evaluate(context.Background(), "GetConsent", nil)
		require.ErrorIs(t, err, sdk.ErrForbidden)
	})
}
