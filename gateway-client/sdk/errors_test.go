package sdk

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/stretchr/testify/require"
	grpccodes "google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestChaincodeFailuresMapToSentinelsAndKeepTheGatewayError(t *testing.T) {
	cases := []struct {
		name     string
		msg      string
		sentinel error
		code     codes.Code
	}{
		{"NOT_FOUND becomes ErrNotFound", "NOT_FOUND: consent c-17", ErrNotFound, codes.NotFound},
		{"FORBIDDEN becomes ErrForbidden", "FORBIDDEN: not the patient", ErrForbidden, codes.Forbidden},
		{"INVALID_ARGUMENT becomes ErrInvalidArgument", "INVALID_ARGUMENT: bad purpose", ErrInvalidArgument, codes.InvalidArgument},
		{"CONFLICT becomes ErrConflict", "CONFLICT: version 3", ErrConflict, codes.Conflict},
		{"DUPLICATE becomes ErrDuplicate", "DUPLICATE: claim cl-1", ErrDuplicate, codes.Duplicate},
		{"PRECONDITION_FAILED becomes ErrPreconditionFailed", "PRECONDITION_FAILED: not shipped", ErrPreconditionFailed, codes.PreconditionFailed},
		{"UNAVAILABLE becomes ErrUnavailable", "UNAVAILABLE: consent chaincode", ErrUnavailable, codes.Unavailable},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var endorsements atomic.Int32
			f := &fakeGateway{EndorseFn: func(gwCall) ([]byte, error) {
				endorsements.Add(1)
				return nil, endorseFailure(tc.msg)
			}}
			c := connectFixture(t, newNetFixture(t, f), fastRetry())
			_, err := c.Contract("consent").Submit(context.Background(), "Grant", []string{"{}"})
			require.ErrorIs(t, err, tc.sentinel)
			require.Equal(t, tc.code, CodeOf(err))

			var endorseErr *client.EndorseError
			require.ErrorAs(t, err, &endorseErr)
			require.NotEmpty(t, endorseErr.TransactionID)
			require.Len(t, endorseErr.Details(), 1)
			require.Equal(t, "HospitalMSP", endorseErr.Details()[0].GetMspId())

			var e *Error
			require.ErrorAs(t, err, &e)
			require.Equal(t, "consent", e.Chaincode)
			require.Equal(t, "Grant", e.Function)
			require.Equal(t, endorseErr.TransactionID, e.TransactionID)
			require.NotContains(t, err.Error(), "\n")
			require.Equal(t, int32(1), endorsements.Load(), "chaincode failures are never retried")
		})
	}
}

func TestASystemChaincodeRefusalByTheChannelACLsIsErrForbidden(t *testing.T) {
	f := &fakeGateway{EvaluateFn: func(gwCall) ([]byte, error) {
		return nil, endorseFailure("access denied for [GetBlockByNumber][healthchannel]: [failed evaluating policy on signed data during check policy [/Channel/Application/Readers]]")
	}}
	c := connectFixture(t, newNetFixture(t, f), fastRetry())
	_, err := c.Contract("qscc").Evaluate(context.Background(), "GetBlockByNumber", []string{"healthchannel", "0"})
	require.ErrorIs(t, err, ErrForbidden)
	require.Empty(t, CodeOf(err), "no chaincode code: the refusal is the peer's")
}

func TestACreatorCertificateThePeersRefuseIsErrForbidden(t *testing.T) {
	refused := "error validating proposal: access denied: channel [healthchannel] creator org [HospitalMSP]"
	f := &fakeGateway{
		EvaluateFn: func(gwCall) ([]byte, error) { return nil, endorseFailure(refused) },
		EndorseFn:  func(gwCall) ([]byte, error) { return nil, endorseFailure(refused) },
	}
	c := connectFixture(t, newNetFixture(t, f), fastRetry())
	_, err := c.Contract("baseline").Evaluate(context.Background(), "Read", []string{"k"})
	require.ErrorIs(t, err, ErrForbidden)
	_, err = c.Contract("baseline").Submit(context.Background(), "Add", []string{"k", "1"})
	require.ErrorIs(t, err, ErrForbidden)
	f.EvaluateFn = func(gwCall) ([]byte, error) { return nil, endorseFailure("chaincode crashed") }
	_, err = c.Contract("baseline").Evaluate(context.Background(), "Read", []string{"k"})
	require.NotErrorIs(t, err, ErrForbidden)
}

func TestAForbiddenDeliverStatusIsErrForbidden(t *testing.T) {
	require.ErrorIs(t, &deliverStatusError{status: common.Status_FORBIDDEN}, ErrForbidden)
	require.NotErrorIs(t, &deliverStatusError{status: common.Status_SERVICE_UNAVAILABLE}, ErrForbidden)
}

func TestAStreamRefusedByTheGatewayIsErrForbidden(t *testing.T) {
	denied := status.Error(grpccodes.PermissionDenied, "failed evaluating policy on signed data during check policy [/Channel/Application/Readers]")
	require.ErrorIs(t, &StreamError{Stream: "chaincode:consent", Err: denied}, ErrForbidden)
	require.ErrorIs(t, openError("chaincode events of consent", denied), ErrForbidden)
	gone := status.Error(grpccodes.Unavailable, "peer gone")
	require.NotErrorIs(t, &StreamError{Stream: "blocks", Err: gone}, ErrForbidden)
	require.NotErrorIs(t, openError("block events", gone), ErrForbidden)
}
