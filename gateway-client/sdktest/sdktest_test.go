package sdktest_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/gateway-client/sdk"
	"github.com/healthledger/healthledger/gateway-client/sdktest"
	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
)

var provider1 = sdk.IdentityInfo{Name: "provider1", Org: "hospital", MSPID: "HospitalMSP", Role: "provider", Subject: "1003000126"}

func newClient(t *testing.T, h sdktest.Handler, id sdk.IdentityInfo, opts ...sdk.Option) *sdk.Client {
	t.Helper()
	c, err := sdktest.NewClient(h, id, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// fastRetry keeps the retry tests short.
var fastRetry = sdk.WithRetry(sdk.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond})

func TestAHandlerSeesEveryDetailOfACall(t *testing.T) {
	var mu sync.Mutex
	var got []sdktest.Call
	c := newClient(t, func(_ context.Context, call sdktest.Call) ([]byte, error) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, call)
		return nil, nil
	}, provider1)
	ctx := context.Background()
	_, err := c.Contract("claims").Submit(ctx, "Submit", []string{"cl-1", ""},
		sdk.WithTransient(map[string][]byte{"claim": []byte("x")}), sdk.WithEndorsingOrgs("HospitalMSP", "", "InsurerMSP"))
	require.NoError(t, err)
	_, err = c.Contract("claims").Evaluate(ctx, "GetClaim", nil)
	require.NoError(t, err)

	require.Len(t, got, 2)
	sub, eval := got[0], got[1]
	t.Run("a submitted call", func(t *testing.T) {
		require.Equal(t, "claims", sub.Chaincode)
		require.Equal(t, "Submit", sub.Function)
		require.Equal(t, []string{"cl-1", ""}, sub.Args)
		require.True(t, sub.Submit)
		require.Len(t, sub.TransactionID, 64)
		require.Equal(t, []byte("x"), sub.Transient["claim"])
		require.Equal(t, []string{"HospitalMSP", "InsurerMSP"}, sub.EndorsingOrgs)
		require.Equal(t, provider1, sub.Caller)
	})
	t.Run("an evaluation has its proposal's transaction id, and empty arguments are an empty list", func(t *testing.T) {
		require.False(t, eval.Submit)
		require.Len(t, eval.TransactionID, 64)
		require.NotEqual(t, sub.TransactionID, eval.TransactionID)
		require.NotNil(t, eval.Args)
		require.Empty(t, eval.Args)
		require.Nil(t, eval.Transient)
		require.Nil(t, eval.EndorsingOrgs)
	})
	t.Run("the client is the identity it was given", func(t *testing.T) {
		require.Equal(t, provider1, c.Identity())
		require.Nil(t, c.Network())
		require.Equal(t, sdktest.Channel, c.Channel())
	})
}

func TestAnIdentityWithoutMSPIDGetsTheDefault(t *testing.T) {
	var caller sdk.IdentityInfo
	c := newClient(t, func(_ context.Context, call sdktest.Call) ([]byte, error) {
		caller = call.Caller
		return nil, nil
	}, sdk.IdentityInfo{Name: "distributor1"})
	_, err := c.Contract("provenance").Evaluate(context.Background(), "Get", nil)
	require.NoError(t, err)
	require.Equal(t, sdk.IdentityInfo{Name: "distributor1", MSPID: sdktest.DefaultMSPID}, c.Identity())
	require.Equal(t, c.Identity(), caller)
}

func TestPayloadsReachTheClient(t *testing.T) {
	c := newClient(t, func(_ context.Context, call sdktest.Call) ([]byte, error) {
		switch call.Function {
		case "Empty":
			return nil, nil
		case "Bad":
			return []byte("not json"), nil
		}
		return []byte(`{"id":"c-1"}`), nil
	}, provider1)
	ctx := context.Background()
	t.Run("an empty payload decodes as the zero value", func(t *testing.T) {
		got, err := sdk.EvaluateJSON[[]string](ctx, c.Contract("consent"), "Empty", nil)
		require.NoError(t, err)
		require.Empty(t, *got)
	})
	t.Run("a payload that is not JSON fails to decode", func(t *testing.T) {
		_, err := sdk.EvaluateJSON[map[string]string](ctx, c.Contract("consent"), "Bad", nil)
		require.ErrorContains(t, err, "consent.Bad: decode response")
	})
	t.Run("a submitted call returns its payload, transaction id and block", func(t *testing.T) {
		tx, err := c.Contract("consent").SubmitTx(ctx, "Grant", []string{"{}"})
		require.NoError(t, err)
		require.JSONEq(t, `{"id":"c-1"}`, string(tx.Result))
		require.Len(t, tx.TransactionID, 64)
		require.Equal(t, 1, tx.Attempts)
		tx2, err := c.Contract("consent").SubmitTx(ctx, "Grant", []string{"{}"})
		require.NoError(t, err)
		require.Equal(t, tx.BlockNumber+1, tx2.BlockNumber, "each commit is in the next block")
	})
}

func TestChaincodeFailuresArriveAsALivePeerReportsThem(t *testing.T) {
	for _, submit := range []bool{false, true} {
		name := "an evaluation"
		if submit {
			name = "a submitted call"
		}
		t.Run(name, func(t *testing.T) {
			c := newClient(t, func(_ context.Context, call sdktest.Call) ([]byte, error) {
				return nil, codes.New(codes.NotFound, "consent %s", call.Args[0])
			}, provider1, fastRetry)
			k := c.Contract("consent")
			var err error
			if submit {
				_, err = k.Submit(context.Background(), "Revoke", []string{"c-17"})
			} else {
				_, err = k.Evaluate(context.Background(), "GetConsent", []string{"c-17"})
			}
			require.ErrorIs(t, err, sdk.ErrNotFound)
			require.Equal(t, codes.NotFound, sdk.CodeOf(err))
			var e *sdk.Error
			require.ErrorAs(t, err, &e)
			require.Equal(t, "consent c-17", e.Message)
			require.Equal(t, 1, e.Attempts, "a chaincode failure is not retried")
			require.Len(t, e.Details(), 1)
			require.Equal(t, "chaincode response 500, NOT_FOUND: consent c-17", e.Details()[0].GetMessage())
			require.Equal(t, "HospitalMSP", e.Details()[0].GetMspId())
			if submit {
				var endorseErr *client.EndorseError
				require.ErrorAs(t, err, &endorseErr)
			}
		})
	}
	t.Run("a plain error is a chaincode failure without a stable code", func(t *testing.T) {
		c := newClient(t, func(context.Context, sdktest.Call) ([]byte, error) {
			return nil, errors.New("boom")
		}, provider1)
		_, err := c.Contract("consent").Evaluate(context.Background(), "GetConsent", []string{"c-1"})
		require.ErrorContains(t, err, "chaincode response 500, boom")
		require.Empty(t, sdk.CodeOf(err))
	})
	t.Run("a wrapped stable code is found", func(t *testing.T) {
		c := newClient(t, func(context.Context, sdktest.Call) ([]byte, error) {
			return nil, fmt.Errorf("granting: %w", codes.New(codes.Forbidden, "not the patient"))
		}, provider1)
		_, err := c.Contract("consent").Submit(context.Background(), "Grant", []string{"{}"})
		require.ErrorIs(t, err, sdk.ErrForbidden)
	})
}

func TestCommitErrors(t *testing.T) {
	t.Run("an MVCC read conflict is endorsed again as a new transaction", func(t *testing.T) {
		var mu sync.Mutex
		var ids []string
		c := newClient(t, func(_ context.Context, call sdktest.Call) ([]byte, error) {
			mu.Lock()
			defer mu.Unlock()
			ids = append(ids, call.TransactionID)
			if len(ids) == 1 {
				return nil, &sdk.CommitError{TransactionID: call.TransactionID, Code: peer.TxValidationCode_MVCC_READ_CONFLICT}
			}
			return []byte("done"), nil
		}, provider1, fastRetry)
		tx, err := c.Contract("consent").SubmitTx(context.Background(), "RecordAccess", nil)
		require.NoError(t, err)
		require.Equal(t, 2, tx.Attempts)
		require.Len(t, ids, 2)
		require.NotEqual(t, ids[0], ids[1])
		require.Equal(t, ids[1], tx.TransactionID)
	})
	t.Run("another validation code fails the call with a CommitError", func(t *testing.T) {
		c := newClient(t, func(_ context.Context, call sdktest.Call) ([]byte, error) {
			return nil, &sdk.CommitError{TransactionID: call.TransactionID, Code: peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE}
		}, provider1, fastRetry)
		_, err := c.Contract("consent").Submit(context.Background(), "Grant", nil)
		var ce *sdk.CommitError
		require.ErrorAs(t, err, &ce)
		require.Equal(t, peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE, ce.Code)
		var gce *client.CommitError
		require.ErrorAs(t, err, &gce)
	})
	t.Run("a conflict that persists is ErrConflict", func(t *testing.T) {
		var calls atomic.Int32
		c := newClient(t, func(_ context.Context, call sdktest.Call) ([]byte, error) {
			calls.Add(1)
			return nil, &sdk.CommitError{TransactionID: call.TransactionID, Code: peer.TxValidationCode_MVCC_READ_CONFLICT}
		}, provider1, fastRetry)
		_, err := c.Contract("consent").Submit(context.Background(), "Grant", nil)
		require.ErrorIs(t, err, sdk.ErrConflict)
		require.Equal(t, int32(3), calls.Load())
	})
}

func TestTheHandlerSeesTheCallsDeadline(t *testing.T) {
	c := newClient(t, func(ctx context.Context, _ sdktest.Call) ([]byte, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}, provider1)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Contract("consent").Evaluate(ctx, "Slow", nil)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Less(t, time.Since(start), 5*time.Second)
}

func TestTheServerAnswersTheChainHeight(t *testing.T) {
	c := newClient(t, func(context.Context, sdktest.Call) ([]byte, error) { return nil, nil }, provider1)
	ctx := context.Background()
	height := func() uint64 {
		raw, err := c.Contract("qscc").Evaluate(ctx, "GetChainInfo", []string{c.Channel()})
		require.NoError(t, err)
		var info common.BlockchainInfo
		require.NoError(t, proto.Unmarshal(raw, &info))
		return info.GetHeight()
	}
	require.Equal(t, uint64(1), height())
	for range 2 {
		_, err := c.Contract("baseline").Submit(ctx, "Write", []string{"k", "v"})
		require.NoError(t, err)
	}
	require.Equal(t, uint64(3), height())
}

func TestEventStreamsAreNotServed(t *testing.T) {
	c := newClient(t, func(context.Context, sdktest.Call) ([]byte, error) { return nil, nil }, provider1)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	events, err := c.ChaincodeEvents(ctx, "claims")
	if err == nil {
		defer events.Close()
		_, err = events.Next(ctx)
	}
	var se *sdk.StreamError
	require.ErrorAs(t, err, &se)
	require.ErrorContains(t, err, "not served")
}

func TestOptions(t *testing.T) {
	h := func(context.Context, sdktest.Call) ([]byte, error) { return nil, nil }
	t.Run("a network description names the channel", func(t *testing.T) {
		net, err := sdk.ParseNetwork([]byte(`{"channel":"otherchannel","orgs":[{"name":"hospital","mspId":"HospitalMSP","profile":"hospital.json"}]}`), t.TempDir())
		require.NoError(t, err)
		c := newClient(t, h, provider1, sdk.WithNetwork(net))
		require.Same(t, net, c.Network())
		require.Equal(t, "otherchannel", c.Channel())
	})
	t.Run("an invalid option is refused", func(t *testing.T) {
		_, err := sdktest.NewClient(h, provider1, sdk.WithConnectTimeout(0))
		require.Error(t, err)
	})
	t.Run("a nil handler is refused", func(t *testing.T) {
		_, err := sdktest.NewClient(nil, provider1)
		require.Error(t, err)
	})
}

func TestAClosedServerFailsItsCalls(t *testing.T) {
	s, err := sdktest.NewServer(func(context.Context, sdktest.Call) ([]byte, error) { return []byte("ok"), nil })
	require.NoError(t, err)
	ctx := context.Background()
	c, err := s.Client(ctx, provider1, sdk.WithoutRetry())
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Contract("baseline").Evaluate(ctx, "Read", []string{"k"})
	require.NoError(t, err)
	s.Close()
	_, err = c.Contract("baseline").Evaluate(ctx, "Read", []string{"k"})
	require.ErrorIs(t, err, sdk.ErrUnavailable)
}

func TestWriteNetwork(t *testing.T) {
	var mu sync.Mutex
	callers := map[string]sdk.IdentityInfo{}
	s, err := sdktest.NewServer(func(_ context.Context, call sdktest.Call) ([]byte, error) {
		mu.Lock()
		defer mu.Unlock()
		callers[call.Caller.Name] = call.Caller
		return []byte(call.Caller.MSPID), nil
	})
	require.NoError(t, err)
	t.Cleanup(s.Close)
	patient := sdk.IdentityInfo{Name: "patient1", Org: "hospital", MSPID: "HospitalMSP", Role: "patient", Subject: "pat-7f3a9c21"}
	insurer := sdk.IdentityInfo{Name: "insurer1", MSPID: "InsurerMSP", Role: "insurer", Subject: "PAYER-0001"}
	dir := filepath.Join(t.TempDir(), "profiles")
	require.NoError(t, s.WriteNetwork(dir, patient, insurer))

	net, err := sdk.LoadNetwork(dir)
	require.NoError(t, err)
	t.Run("network.json lists the orgs, their roles and the identities", func(t *testing.T) {
		require.Equal(t, sdktest.Channel, net.Channel())
		require.Equal(t, []sdk.OrgInfo{
			{Name: "hospital", MSPID: "HospitalMSP", Profile: "hospital.json", Roles: []string{"patient"}},
			{Name: "insurer", MSPID: "InsurerMSP", Profile: "insurer.json", Roles: []string{"insurer"}},
		}, net.Orgs())
		insurer.Org = "insurer"
		require.Equal(t, []sdk.IdentityInfo{patient, insurer}, net.Identities(""))
		require.Contains(t, net.Chaincodes(), "consent")
	})
	t.Run("each identity connects from the wallet as itself", func(t *testing.T) {
		for _, id := range []sdk.IdentityInfo{patient, insurer} {
			c, err := net.Connect(context.Background(), id.Name)
			require.NoError(t, err)
			got, err := c.Contract("baseline").Evaluate(context.Background(), "Read", []string{"k"})
			require.NoError(t, err)
			require.Equal(t, id.MSPID, string(got))
			require.Equal(t, id, c.Identity())
			require.NoError(t, c.Close())
			mu.Lock()
			require.Equal(t, id, callers[id.Name])
			mu.Unlock()
		}
	})
	t.Run("an identity without a name is refused", func(t *testing.T) {
		require.Error(t, s.WriteNetwork(t.TempDir(), sdk.IdentityInfo{MSPID: "HospitalMSP"}))
	})
	t.Run("two MSP ids for one org are refused", func(t *testing.T) {
		require.Error(t, s.WriteNetwork(t.TempDir(), patient, sdk.IdentityInfo{Name: "x", Org: "hospital", MSPID: "OtherMSP"}))
	})
}
