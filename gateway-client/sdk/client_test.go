package sdk

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// fastRetryPolicy (and fastRetry, the option) keep retry tests quick.
func fastRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxAttempts: 4, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond}
}

func fastRetry() Option { return WithRetry(fastRetryPolicy()) }

// endorseFailure is what the real gateway returns when a chaincode fails: Aborted with per-peer
// details carrying the chaincode's message.
func endorseFailure(msg string) error {
	st, err := status.New(codes.Aborted, "failed to endorse transaction, see attached details for more info").
		WithDetails(&gateway.ErrorDetail{Address: "peer0.hospital.test:7051", MspId: "HospitalMSP", Message: "chaincode response 500, " + msg})
	if err != nil {
		panic(err)
	}
	return st.Err()
}

func TestConnectThroughTheNetworkDescription(t *testing.T) {
	f := &fakeGateway{EvaluateFn: func(c gwCall) ([]byte, error) { return []byte(`{"id":"c-1"}`), nil }}
	fx := newNetFixture(t, f)
	c := connectFixture(t, fx)

	require.Equal(t, IdentityInfo{Name: "patient1", Org: "hospital", MSPID: "HospitalMSP", Role: "patient", Subject: "pat-7f3a9c21"}, c.Identity())
	require.Equal(t, "healthchannel", c.Channel())
	require.NotNil(t, c.Network())
	require.Equal(t, "HospitalMSP", c.Network().MSPForRole("provider"))

	got, err := EvaluateJSON[struct {
		ID string `json:"id"`
	}](context.Background(), c.Contract("consent"), "Get", []string{"c-1"})
	require.NoError(t, err)
	require.Equal(t, "c-1", got.ID)

	calls := f.Recorded()
	require.Len(t, calls, 1)
	require.Equal(t, "consent", calls[0].Chaincode)
	require.Equal(t, "Get", calls[0].Fn)
	require.Equal(t, []string{"c-1"}, calls[0].Args)
	require.Equal(t, "HospitalMSP", calls[0].MSPID)
	require.Equal(t, "healthchannel", calls[0].Channel)
}

func TestConnectFallsBackToTheNextPeer(t *testing.T) {
	f := &fakeGateway{EvaluateFn: func(gwCall) ([]byte, error) { return []byte("ok"), nil }}
	fx := newNetFixture(t, f, freeAddr(t))
	c := connectFixture(t, fx)
	require.Equal(t, fx.addr, c.Peer().Endpoint)
	res, err := c.Contract("baseline").Evaluate(context.Background(), "Read", []string{"k"})
	require.NoError(t, err)
	require.Equal(t, "ok", string(res))
}

func TestConnectReportsEveryPeerWhenNoneAnswers(t *testing.T) {
	fx := newNetFixture(t, &fakeGateway{}, freeAddr(t))
	// Point the profile's last peer at a dead address too.
	p, err := LoadProfile(fx.profile)
	require.NoError(t, err)
	dead := freeAddr(t)
	writeJSON(t, fx.profile, map[string]any{
		"name": "hospital", "mspId": "HospitalMSP", "channel": "healthchannel", "wallet": "../wallet",
		"peers": []map[string]string{
			{"name": "a", "endpoint": p.Peers[0].Endpoint, "tlsCACert": p.Peers[0].TLSCACert, "hostOverride": "peer0.hospital.test"},
			{"name": "b", "endpoint": dead, "tlsCACert": p.Peers[0].TLSCACert, "hostOverride": "peer0.hospital.test"},
		},
	})
	_, err = Connect(context.Background(), fx.profile, WithIdentity("patient1"), WithConnectTimeout(time.Second))
	require.Error(t, err)
	require.Contains(t, err.Error(), "peer a ("+p.Peers[0].Endpoint+")")
	require.Contains(t, err.Error(), "peer b ("+dead+")")
}

func TestConnectRefusesAPeerWithAnUntrustedCertificate(t *testing.T) {
	fx := newNetFixture(t, &fakeGateway{})
	other := newNetFixture(t, &fakeGateway{})
	// Dial fx's peer while trusting other's CA.
	writeJSON(t, fx.profile, map[string]any{
		"name": "hospital", "mspId": "HospitalMSP", "channel": "healthchannel", "wallet": "../wallet",
		"peers": []map[string]string{{"name": "p", "endpoint": fx.addr, "tlsCACert": other.dir + "/../crypto/tlsca.pem", "hostOverride": "peer0.hospital.test"}},
	})
	_, err := Connect(context.Background(), fx.profile, WithIdentity("patient1"), WithConnectTimeout(time.Second))
	require.ErrorContains(t, err, "certificate")
}

func TestConnectNeedsAnIdentity(t *testing.T) {
	fx := newNetFixture(t, &fakeGateway{})
	_, err := Connect(context.Background(), fx.profile)
	require.ErrorContains(t, err, "no identity chosen")
	_, err = Connect(context.Background(), fx.profile, WithIdentity("nobody"))
	require.ErrorIs(t, err, ErrNotFound)
}

func TestConnectWithAnMSPFolder(t *testing.T) {
	f := &fakeGateway{EvaluateFn: func(gwCall) ([]byte, error) { return []byte("ok"), nil }}
	fx := newNetFixture(t, f)
	u, err := fx.ca.IssueUser("provider1", map[string]string{"role": "provider", "subject": "1003000126"})
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, fx.ca.WriteMSP(dir, u))
	c, err := Connect(context.Background(), fx.profile, WithMSPDir(dir))
	require.NoError(t, err)
	defer c.Close()
	require.Equal(t, "provider1", c.Identity().Name)
	require.Equal(t, "provider", c.Identity().Role)
	require.Equal(t, "HospitalMSP", c.Identity().MSPID)
	require.Nil(t, c.Network())
}

func TestSubmitPassesTransientDataAndEndorsingOrgs(t *testing.T) {
	f := &fakeGateway{EndorseFn: func(c gwCall) ([]byte, error) { return []byte(`{"ok":true}`), nil }}
	fx := newNetFixture(t, f)
	c := connectFixture(t, fx)
	tx, err := c.Contract("claims").SubmitTx(context.Background(), "Submit", []string{"cl-1"},
		WithTransient(map[string][]byte{"claim": []byte("secret")}), WithEndorsingOrgs("HospitalMSP", "InsurerMSP"))
	require.NoError(t, err)
	require.Equal(t, `{"ok":true}`, string(tx.Result))
	require.Equal(t, uint64(7), tx.BlockNumber)
	require.Equal(t, 1, tx.Attempts)
	calls := f.Recorded()
	require.Len(t, calls, 1)
	require.Equal(t, tx.TransactionID, calls[0].TxID)
	require.Equal(t, []byte("secret"), calls[0].Transient["claim"])
	require.Equal(t, []string{"HospitalMSP", "InsurerMSP"}, calls[0].Orgs)
}

func TestEvaluateFailuresMapToSentinels(t *testing.T) {
	f := &fakeGateway{EvaluateFn: func(gwCall) ([]byte, error) {
		return nil, status.Error(codes.Unknown, "evaluate call to endorser returned error: chaincode response 500, NOT_FOUND: consent c-9")
	}}
	c := connectFixture(t, newNetFixture(t, f))
	_, err := c.Contract("consent").Evaluate(context.Background(), "Get", []string{"c-9"})
	require.ErrorIs(t, err, ErrNotFound)
	require.Equal(t, "consent.Get: NOT_FOUND: consent c-9", err.Error())
	require.Equal(t, codes.Unknown, status.Code(err))
}

func TestAReadConflictIsRetriedByEndorsingAgain(t *testing.T) {
	var commits atomic.Int32
	f := &fakeGateway{
		EndorseFn: func(gwCall) ([]byte, error) { return []byte("done"), nil },
		StatusFn: func(string) (peer.TxValidationCode, error) {
			if commits.Add(1) < 3 {
				return peer.TxValidationCode_MVCC_READ_CONFLICT, nil
			}
			return peer.TxValidationCode_VALID, nil
		},
	}
	c := connectFixture(t, newNetFixture(t, f), fastRetry())
	tx, err := c.Contract("provenance").SubmitTx(context.Background(), "Ship", []string{"ev-1"})
	require.NoError(t, err)
	require.Equal(t, 3, tx.Attempts)
	calls := f.Recorded()
	require.Len(t, calls, 3, "each retry endorses a new transaction")
	require.NotEqual(t, calls[0].TxID, calls[1].TxID)
	require.Equal(t, calls[2].TxID, tx.TransactionID)
}

func TestAReadConflictThatPersistsEndsAsErrConflict(t *testing.T) {
	f := &fakeGateway{
		EndorseFn: func(gwCall) ([]byte, error) { return nil, nil },
		StatusFn:  func(string) (peer.TxValidationCode, error) { return peer.TxValidationCode_MVCC_READ_CONFLICT, nil },
	}
	c := connectFixture(t, newNetFixture(t, f), fastRetry())
	_, err := c.Contract("provenance").Submit(context.Background(), "Ship", []string{"ev-1"})
	require.ErrorIs(t, err, ErrConflict)
	var ce *CommitError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, peer.TxValidationCode_MVCC_READ_CONFLICT, ce.Code)
	var gce *client.CommitError
	require.ErrorAs(t, err, &gce)
	require.Equal(t, peer.TxValidationCode_MVCC_READ_CONFLICT, gce.Code)
	require.Len(t, f.Recorded(), 4)
	require.Contains(t, err.Error(), "after 4 attempts")
}

func TestAnUnavailableOrdererGetsTheSameTransactionAgain(t *testing.T) {
	var submits atomic.Int32
	seen := make(chan string, 4)
	f := &fakeGateway{
		EndorseFn: func(gwCall) ([]byte, error) { return []byte("ok"), nil },
		SubmitFn: func(txID string) error {
			seen <- txID
			if submits.Add(1) == 1 {
				return status.Error(codes.Unavailable, "orderer unavailable")
			}
			return nil
		},
	}
	c := connectFixture(t, newNetFixture(t, f), fastRetry())
	tx, err := c.Contract("baseline").SubmitTx(context.Background(), "Write", []string{"k", "v"})
	require.NoError(t, err)
	require.Len(t, f.Recorded(), 1, "endorsed once")
	require.Equal(t, tx.TransactionID, <-seen)
	require.Equal(t, tx.TransactionID, <-seen)
}

func TestOverloadedPeersAreRetriedThenReportedUnavailable(t *testing.T) {
	f := &fakeGateway{EvaluateFn: func(gwCall) ([]byte, error) {
		return nil, status.Error(codes.ResourceExhausted, "too many requests")
	}}
	c := connectFixture(t, newNetFixture(t, f), fastRetry())
	_, err := c.Contract("baseline").Evaluate(context.Background(), "Read", []string{"k"})
	require.ErrorIs(t, err, ErrUnavailable)
	require.Len(t, f.Recorded(), 4)
	require.Equal(t, codes.ResourceExhausted, status.Code(err))
}

func TestWithoutRetryTriesOnce(t *testing.T) {
	f := &fakeGateway{EvaluateFn: func(gwCall) ([]byte, error) {
		return nil, status.Error(codes.Unavailable, "down")
	}}
	c := connectFixture(t, newNetFixture(t, f), WithoutRetry())
	_, err := c.Contract("baseline").Evaluate(context.Background(), "Read", []string{"k"})
	require.ErrorIs(t, err, ErrUnavailable)
	require.Len(t, f.Recorded(), 1)
}

func TestTheDefaultDeadlineAppliesOnlyWithoutTheCallersOwn(t *testing.T) {
	deadlines := make(chan time.Duration, 2)
	f := &fakeGateway{}
	f.EvaluateFn = func(gwCall) ([]byte, error) { return []byte("ok"), nil }
	fx := newNetFixture(t, f)
	c := connectFixture(t, fx, WithTimeouts(Timeouts{Evaluate: 3 * time.Second}))
	// Observe the deadline the backend receives through a wrapping backend.
	c.cur.b = deadlineSpy{backend: c.cur.b, seen: deadlines}

	_, err := c.Contract("baseline").Evaluate(context.Background(), "Read", nil)
	require.NoError(t, err)
	d := <-deadlines
	require.InDelta(t, float64(3*time.Second), float64(d), float64(500*time.Millisecond))

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err = c.Contract("baseline").Evaluate(ctx, "Read", nil)
	require.NoError(t, err)
	d = <-deadlines
	require.Greater(t, d, 15*time.Second)
}

type deadlineSpy struct {
	backend
	seen chan time.Duration
}

func (s deadlineSpy) evaluate(ctx context.Context, p proposal) ([]byte, string, error) {
	dl, ok := ctx.Deadline()
	if !ok {
		return nil, "", errors.New("no deadline")
	}
	s.seen <- time.Until(dl)
	return s.backend.evaluate(ctx, p)
}

func TestAnExpiredDeadlineMatchesContextDeadlineExceeded(t *testing.T) {
	f := &fakeGateway{EvaluateFn: func(gwCall) ([]byte, error) {
		time.Sleep(300 * time.Millisecond)
		return []byte("late"), nil
	}}
	c := connectFixture(t, newNetFixture(t, f))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := c.Contract("baseline").Evaluate(ctx, "Read", nil)
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestCallsWithoutAFunctionNameFailLocally(t *testing.T) {
	f := &fakeGateway{}
	c := connectFixture(t, newNetFixture(t, f))
	_, err := c.Contract("consent").Submit(context.Background(), "", nil)
	require.ErrorIs(t, err, ErrInvalidArgument)
	require.Empty(t, f.Recorded())
}

// endorsementMismatch is what the gateway returns when the endorsing peers' results differ (for
// example peers at different heights under a MAJORITY policy): Aborted, with per-peer details.
func endorsementMismatch() error {
	st, err := status.New(codes.Aborted, "failed to collect enough transaction endorsements, see attached details for more info").
		WithDetails(&gateway.ErrorDetail{Address: "peer0.pharma.test:9051", MspId: "PharmaMSP", Message: "ProposalResponsePayloads do not match"})
	if err != nil {
		panic(err)
	}
	return st.Err()
}

// retryLog records what a WithRetryObserver function is told, with the context it is told in.
type retryLog struct {
	mu      sync.Mutex
	retries []Retry
	marks   []any
}

type retryMark struct{}

func (l *retryLog) observe(ctx context.Context, r Retry) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.retries = append(l.retries, r)
	l.marks = append(l.marks, ctx.Value(retryMark{}))
}

func (l *retryLog) seen() ([]Retry, []any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.retries), slices.Clone(l.marks)
}

func TestEndorsingPeersThatDisagreeAreAskedAgainWithANewTransaction(t *testing.T) {
	var endorsements atomic.Int32
	f := &fakeGateway{EndorseFn: func(gwCall) ([]byte, error) {
		if endorsements.Add(1) < 3 {
			return nil, endorsementMismatch()
		}
		return []byte("3"), nil
	}}
	var log retryLog
	c := connectFixture(t, newNetFixture(t, f), fastRetry(), WithRetryObserver(log.observe))
	var waits []time.Duration
	c.cfg.sleep = func(_ context.Context, d time.Duration) error {
		waits = append(waits, d)
		return nil
	}
	ctx := context.WithValue(context.Background(), retryMark{}, "op-7")
	tx, err := c.Contract("baseline").SubmitTx(ctx, "Add", []string{"k", "1"})
	require.NoError(t, err)
	require.Equal(t, "3", string(tx.Result))
	require.Equal(t, 3, tx.Attempts)
	calls := f.Recorded()
	require.Len(t, calls, 3)
	require.NotEqual(t, calls[0].TxID, calls[1].TxID, "each try is a new proposal")
	require.Equal(t, calls[2].TxID, tx.TransactionID)
	require.Len(t, waits, 2, "each retry waits its backoff first, so that the lagging peer catches up")
	for i, w := range waits {
		require.Positive(t, w)
		require.LessOrEqual(t, w, fastRetryPolicy().Backoff(i+1))
	}

	retries, marks := log.seen()
	require.Len(t, retries, 2)
	for i, r := range retries {
		require.Equal(t, "baseline", r.Chaincode)
		require.Equal(t, "Add", r.Function)
		require.Equal(t, i+2, r.Attempt)
		require.Equal(t, RetryEndorsementMismatch, r.Cause)
		require.True(t, isEndorsementMismatch(r.Err))
		require.Equal(t, "op-7", marks[i], "the observer runs with the call's context")
	}
}

func TestEndorsingPeersThatKeepDisagreeingEndAsErrEndorsementMismatch(t *testing.T) {
	f := &fakeGateway{EndorseFn: func(gwCall) ([]byte, error) { return nil, endorsementMismatch() }}
	var log retryLog
	c := connectFixture(t, newNetFixture(t, f), fastRetry(), WithRetryObserver(log.observe))
	_, err := c.Contract("baseline").Submit(context.Background(), "Add", []string{"k", "1"})
	require.ErrorIs(t, err, ErrEndorsementMismatch)
	require.ErrorIs(t, err, ErrConflict, "a mismatch is a conflict")
	require.NotErrorIs(t, err, ErrUnavailable)
	var se *Error
	require.ErrorAs(t, err, &se)
	require.Equal(t, 4, se.Attempts)
	require.Empty(t, f.Submitted(), "nothing was handed to the orderers")
	require.Empty(t, CodeOf(err), "not a chaincode failure")
	require.True(t, Retryable(err))
	var endorseErr *client.EndorseError
	require.ErrorAs(t, err, &endorseErr, "the gateway's error is underneath")
	require.Equal(t, codes.Aborted, status.Code(err))
	require.Contains(t, err.Error(), "baseline.Add: endorsing peers returned different results (ProposalResponsePayloads do not match), nothing was submitted: ")
	require.Contains(t, err.Error(), "(after 4 attempts)")
	require.Len(t, f.Recorded(), 4, "bounded by the policy's MaxAttempts")
	retries, _ := log.seen()
	require.Len(t, retries, 3)
	require.Equal(t, RetryEndorsementMismatch, RetryCauseOf(err))
}

func TestFailuresThatAreNotAMismatchAreNotRetriedAsOne(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want error
	}{
		{"a chaincode CONFLICT", endorseFailure("CONFLICT: version 3"), ErrConflict},
		{"a chaincode PRECONDITION_FAILED from one endorser", endorseFailure("PRECONDITION_FAILED: claim c-1 is adjudicated"), ErrPreconditionFailed},
		{"an Aborted endorsement without a mismatch", status.Error(codes.Aborted, "failed to collect enough transaction endorsements"), nil},
		{"a refused identity", status.Error(codes.PermissionDenied, "access denied"), ErrForbidden},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeGateway{EndorseFn: func(gwCall) ([]byte, error) { return nil, tc.err }}
			var log retryLog
			c := connectFixture(t, newNetFixture(t, f), fastRetry(), WithRetryObserver(log.observe))
			_, err := c.Contract("baseline").Submit(context.Background(), "Add", []string{"k", "1"})
			require.Error(t, err)
			require.NotErrorIs(t, err, ErrEndorsementMismatch)
			if tc.want != nil {
				require.ErrorIs(t, err, tc.want)
			}
			require.Len(t, f.Recorded(), 1, "tried once")
			retries, _ := log.seen()
			require.Empty(t, retries)
			require.False(t, Retryable(err))
			require.Empty(t, RetryCauseOf(err))
		})
	}
}

func TestAnEndorsementMismatchIsToldFromOtherFailures(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"Aborted with the mismatch in a peer's detail is one", endorsementMismatch(), true},
		{"Aborted with the mismatch in the message is one", status.Error(codes.Aborted, "failed to assemble transaction: ProposalResponsePayloads do not match"), true},
		{"a chaincode failure is not one", endorseFailure("CONFLICT: version 3"), false},
		{"Unavailable is not one", status.Error(codes.Unavailable, "ProposalResponsePayloads do not match"), false},
		{"a plain error is not one", errors.New("ProposalResponsePayloads do not match"), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, isEndorsementMismatch(tc.err))
		})
	}
}

// chaincodeUnreachable is what a peer's gateway answers when its chaincode server is down.
func chaincodeUnreachable(c codes.Code) error {
	st, err := status.New(c, "failed to endorse transaction, see attached details for more info").
		WithDetails(&gateway.ErrorDetail{Address: "peer0.hospital.test:7051", MspId: "HospitalMSP",
			Message: "error in simulation: failed to execute transaction: could not launch chaincode baseline_1:ab: connection to baseline_1:ab failed: connection refused"})
	if err != nil {
		panic(err)
	}
	return st.Err()
}

func TestAChaincodeServerThatIsDownIsUnavailableAndAskedAgain(t *testing.T) {
	t.Run("an endorsement is asked again once the server is back", func(t *testing.T) {
		var endorsements atomic.Int32
		f := &fakeGateway{EndorseFn: func(gwCall) ([]byte, error) {
			if endorsements.Add(1) < 3 {
				return nil, chaincodeUnreachable(codes.Aborted)
			}
			return []byte("ok"), nil
		}}
		c := connectFixture(t, newNetFixture(t, f), fastRetry())
		tx, err := c.Contract("baseline").SubmitTx(context.Background(), "Write", []string{"k", "v"})
		require.NoError(t, err)
		require.Equal(t, 3, tx.Attempts)
		calls := f.Recorded()
		require.Equal(t, calls[2].TxID, tx.TransactionID, "only the last proposal was submitted")
	})
	t.Run("a server that stays down ends as ErrUnavailable", func(t *testing.T) {
		f := &fakeGateway{EndorseFn: func(gwCall) ([]byte, error) { return nil, chaincodeUnreachable(codes.Aborted) }}
		c := connectFixture(t, newNetFixture(t, f), fastRetry())
		_, err := c.Contract("baseline").Submit(context.Background(), "Write", []string{"k", "v"})
		require.ErrorIs(t, err, ErrUnavailable)
		require.True(t, Retryable(err))
	})
	t.Run("an evaluation reports it the same way", func(t *testing.T) {
		f := &fakeGateway{EvaluateFn: func(gwCall) ([]byte, error) { return nil, chaincodeUnreachable(codes.Unknown) }}
		c := connectFixture(t, newNetFixture(t, f), fastRetry())
		_, err := c.Contract("baseline").Evaluate(context.Background(), "Read", []string{"k"})
		require.ErrorIs(t, err, ErrUnavailable)
	})
}
