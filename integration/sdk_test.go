//go:build integration

package integration

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/consent/consenttypes"
	"github.com/healthledger/healthledger/gateway-client/consent"
	"github.com/healthledger/healthledger/gateway-client/sdk"
	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/status"
)

// The SDK (gateway-client) and hlctl against the live network: the baseline chaincode's plain
// calls, the mapping of real chaincode failures, the retries of conflicting read-modify-writes, an
// event listener killed mid-stream, failover to a profile's second peer, and enrollment through the
// real Fabric CA.

func TestSDKSubmitThenEvaluateReadsTheValueBack(t *testing.T) {
	c := connect(t, identity(t, "provider", 0).Name)
	k := c.Contract("baseline")
	key, value := unique("sdk-rw"), "value of "+unique("sdk")

	tx, err := k.SubmitTx(ctx(t), "Write", []string{key, value})
	require.NoError(t, err)
	require.Len(t, tx.TransactionID, 64, "a Fabric transaction id is 64 hex digits")
	require.GreaterOrEqual(t, tx.Attempts, 1)
	require.Positive(t, tx.BlockNumber)
	require.Less(t, tx.BlockNumber, chainHeight(t, c), "the transaction committed in a block the peer has")
	sdkRequireBlockHolds(t, blockReader(t, c), tx.BlockNumber, tx.TransactionID)

	got, err := k.Evaluate(ctx(t), "Read", []string{key})
	require.NoError(t, err)
	require.Equal(t, value, string(got))

	size, err := sdk.EvaluateJSON[int](ctx(t), k, "Size", []string{key})
	require.NoError(t, err)
	require.Equal(t, len(value), *size)

	counter := unique("sdk-sum")
	sum, err := sdk.SubmitJSON[int](ctx(t), k, "Add", []string{counter, "5"})
	require.NoError(t, err)
	require.Equal(t, 5, *sum)
	sum, err = sdk.SubmitJSON[int](ctx(t), k, "Add", []string{counter, "-2"})
	require.NoError(t, err)
	require.Equal(t, 3, *sum)
	got, err = k.Evaluate(ctx(t), "Read", []string{counter})
	require.NoError(t, err)
	require.Equal(t, "3", string(got))
}

func TestSDKChaincodeFailuresMapToTheirSentinels(t *testing.T) {
	patient := connect(t, identity(t, "patient", 0).Name)
	k := patient.Contract("baseline")

	t.Run("a read of a missing key is NOT_FOUND and the gateway's status is still reachable", func(t *testing.T) {
		missing := unique("sdk-missing")
		_, err := k.Evaluate(ctx(t), "Read", []string{missing})
		require.ErrorIs(t, err, sdk.ErrNotFound)
		require.NotErrorIs(t, err, sdk.ErrForbidden)
		require.Equal(t, codes.NotFound, sdk.CodeOf(err))

		var ge *sdk.Error
		require.ErrorAs(t, err, &ge)
		require.Equal(t, "baseline", ge.Chaincode)
		require.Equal(t, "Read", ge.Function)
		require.Equal(t, codes.NotFound, ge.Code)
		require.Contains(t, ge.Message, missing)
		require.Equal(t, "baseline.Read: NOT_FOUND: "+ge.Message, err.Error())
		require.NotContains(t, err.Error(), "\n")

		// An evaluation fails with a gRPC status from the gateway, not a transaction error.
		var grpcErr interface{ GRPCStatus() *status.Status }
		require.ErrorAs(t, ge.Err, &grpcErr)
		require.Contains(t, grpcErr.GRPCStatus().Message(), "NOT_FOUND")
		require.NotEmpty(t, ge.Details(), "the gateway names the peer that answered")
		for _, d := range ge.Details() {
			require.Contains(t, d.GetMessage(), "NOT_FOUND", "detail from %s %s", d.GetMspId(), d.GetAddress())
		}
		t.Logf("NOT_FOUND: gRPC %s, %d per-peer detail(s)", grpcErr.GRPCStatus().Code(), len(ge.Details()))
	})

	t.Run("a delete by a patient is FORBIDDEN with the endorsement error and per-peer details underneath", func(t *testing.T) {
		key := unique("sdk-keep")
		_, err := k.Submit(ctx(t), "Write", []string{key, "kept"})
		require.NoError(t, err)

		_, err = k.Submit(ctx(t), "Delete", []string{key})
		require.ErrorIs(t, err, sdk.ErrForbidden)
		require.NotErrorIs(t, err, sdk.ErrNotFound)

		var ge *sdk.Error
		require.ErrorAs(t, err, &ge)
		require.Equal(t, codes.Forbidden, ge.Code)
		require.Equal(t, 1, ge.Attempts, "a chaincode refusal is never retried")

		var endorse *client.EndorseError
		require.ErrorAs(t, err, &endorse)
		require.NotEmpty(t, endorse.TransactionID)
		require.Equal(t, endorse.TransactionID, ge.TransactionID)
		details := endorse.Details()
		require.NotEmpty(t, details, "the gateway names the peer(s) that refused")
		for _, d := range details {
			require.NotEmpty(t, d.GetMspId())
			require.NotEmpty(t, d.GetAddress())
			require.Contains(t, d.GetMessage(), "FORBIDDEN")
		}
		require.Len(t, ge.Details(), len(details))

		got, err := k.Evaluate(ctx(t), "Read", []string{key})
		require.NoError(t, err, "the refused delete changed nothing")
		require.Equal(t, "kept", string(got))
	})

	t.Run("the same delete by an org admin commits, so the refusal was about the caller", func(t *testing.T) {
		org := patient.Identity().Org
		adminMSP := sdkAdminMSPDir(t, org)
		admin, err := sdk.Connect(ctx(t), sdkProfilePath(t, org), sdk.WithMSPDir(adminMSP))
		require.NoError(t, err)
		t.Cleanup(func() { _ = admin.Close() })

		key := unique("sdk-doomed")
		_, err = k.Submit(ctx(t), "Write", []string{key, "doomed"})
		require.NoError(t, err)
		_, err = admin.Contract("baseline").Submit(ctx(t), "Delete", []string{key})
		require.NoError(t, err)

		_, err = k.Evaluate(ctx(t), "Read", []string{key})
		require.ErrorIs(t, err, sdk.ErrNotFound)
		_, err = admin.Contract("baseline").Submit(ctx(t), "Delete", []string{key})
		require.ErrorIs(t, err, sdk.ErrNotFound, "deleting twice: the submit's NOT_FOUND maps too")
	})
}

func TestSDKConcurrentReadModifyWritesAllCommitThroughRetries(t *testing.T) {
	const writers = 50
	// Every Add of one key conflicts with the others committed in the same block, so most writers
	// need several tries: the policy must allow them (the default 4 attempts do not suffice for 50
	// writers of one key). Two kinds of failure must be retried: a commit with MVCC_READ_CONFLICT, and
	// an endorsement whose peers (MAJORITY policy) were at different heights and answered
	// "ProposalResponsePayloads do not match" (gRPC Aborted); nothing reached the ledger in either.
	policy := sdk.RetryPolicy{MaxAttempts: 60, BaseDelay: 50 * time.Millisecond, MaxDelay: time.Second}
	var causesMu sync.Mutex
	causes := map[string]int{}
	observe := func(_ context.Context, r sdk.Retry) {
		causesMu.Lock()
		defer causesMu.Unlock()
		causes[r.Cause]++
	}
	c := connect(t, identity(t, "provider", 0).Name, sdk.WithRetry(policy), sdk.WithRetryObserver(observe))
	k := c.Contract("baseline")
	key := unique("sdk-counter")

	results := make([]*sdk.Committed, writers)
	errs := make([]error, writers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	cctx := ctx(t)
	began := time.Now()
	for i := range writers {
		wg.Go(func() {
			<-start
			results[i], errs[i] = k.SubmitTx(cctx, "Add", []string{key, "1"})
		})
	}
	close(start)
	wg.Wait()
	elapsed := time.Since(began)

	failed := map[string]int{}
	for _, err := range errs {
		if err != nil {
			failed[sdkFailureKind(err)]++
		}
	}
	require.Empty(t, failed, "writers that did not commit, by failure (after %s)", elapsed.Round(time.Millisecond))
	sums := make([]int, 0, writers)
	retries, most := 0, 0
	for i := range writers {
		n, err := strconv.Atoi(string(results[i].Result))
		require.NoError(t, err, "writer %d: result %q", i, results[i].Result)
		sums = append(sums, n)
		retries += results[i].Attempts - 1
		most = max(most, results[i].Attempts)
	}
	want := make([]int, writers)
	for i := range want {
		want[i] = i + 1
	}
	// Each Add saw the one before it: the sums are exactly 1..50, each once.
	require.ElementsMatch(t, want, sums)
	require.Positive(t, retries, "50 concurrent Adds of one key must have conflicted at least once")

	got, err := k.Evaluate(ctx(t), "Read", []string{key})
	require.NoError(t, err)
	require.Equal(t, strconv.Itoa(writers), string(got), "no update was lost")
	causesMu.Lock()
	defer causesMu.Unlock()
	observed := 0
	for cause, n := range causes {
		require.Contains(t, []string{sdk.RetryEndorsementMismatch, "MVCC_READ_CONFLICT", "PHANTOM_READ_CONFLICT", sdk.RetryUnavailable}, cause)
		observed += n
	}
	require.Equal(t, retries, observed, "the retry observer saw every retry: %v", causes)
	t.Logf("%d concurrent Adds committed in %s with %d retries (at most %d attempts for one); by cause %v",
		writers, elapsed.Round(time.Millisecond), retries, most, causes)
}

// hlctl's tail prints an event, then checkpoints it (at-least-once): a SIGKILL between the two makes
// the restarted tail print that one event again, and nothing else may be repeated or missed.
func TestSDKEventListenerKilledMidStreamRepeatsOnlyWhatItDidNotCheckpoint(t *testing.T) {
	const total = 12
	bin := sdkBuildHlctl(t)
	patients := env.net.Identities("patient")
	require.NotEmpty(t, patients)
	patient := patients[len(patients)-1]
	listenAs := identity(t, "auditor", 0)
	consents := consent.New(connect(t, patient.Name))
	consentRegistered(t, consents)
	grantee := env.net.MSPForRole("provider") + "/provider"
	checkpoint := filepath.Join(t.TempDir(), "consent-checkpoint.json")
	prefix := unique("sdk-ev")

	first := sdkStartTail(t, bin, listenAs.Name, checkpoint)
	sdkWaitFor(t, 30*time.Second, "the listener to save its starting checkpoint", func() bool {
		_, err := os.Stat(checkpoint)
		return err == nil
	})

	// The producer grants one consent after another (each waits for its commit), so the commit order
	// of the events is the order of ids.
	var mu sync.Mutex
	var produced []string
	producerDone := make(chan error, 1)
	pctx := ctx(t)
	go func() {
		for i := range total {
			id := fmt.Sprintf("%s-%02d", prefix, i)
			if _, err := consents.Grant(pctx, sdkConsent(id, patient.Subject, grantee)); err != nil {
				producerDone <- fmt.Errorf("granting %s: %w", id, err)
				return
			}
			mu.Lock()
			produced = append(produced, id)
			mu.Unlock()
		}
		producerDone <- nil
	}()
	producedCount := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(produced)
	}
	t.Cleanup(func() {
		// Revoke what was granted, so the patient never nears the cap of active consents per org.
		cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		mu.Lock()
		ids := slices.Clone(produced)
		mu.Unlock()
		var wg sync.WaitGroup
		for _, id := range ids {
			wg.Go(func() {
				if _, err := consents.Revoke(cctx, id, "integration test cleanup"); err != nil {
					t.Errorf("revoking %s: %v", id, err)
				}
			})
		}
		wg.Wait()
	})

	// Kill the listener mid-stream, once it printed a few of ours and, usually, checkpointed the last
	// line it printed. An event printed but not yet checkpointed when the kill lands (a line printed
	// between this check and the kill) is printed again by the next listener, by design.
	sdkWaitFor(t, 60*time.Second, "the first listener to print 3 of our events", func() bool {
		return len(sdkOurs(t, first.lines(), prefix)) >= 3
	})
	sdkWaitFor(t, 10*time.Second, "the first listener to acknowledge its last line", func() bool {
		lines := first.lines()
		return len(lines) > 0 && sdkCheckpointTx(checkpoint) == lines[len(lines)-1].TransactionID
	})
	first.signal(t, syscall.SIGKILL)
	require.Error(t, first.wait(t), "a SIGKILLed listener exits with an error")
	// The transaction of the last event the first listener checkpointed before it died.
	kept := sdkCheckpointTx(checkpoint)
	require.NotEmpty(t, kept, "the first listener left a checkpoint naming an event")
	killedAt := producedCount()
	require.Less(t, killedAt, total, "the listener must die while events are still being produced")

	sdkWaitFor(t, 60*time.Second, "2 more events committed while no listener runs", func() bool {
		return producedCount() >= killedAt+2
	})
	mu.Lock()
	committedWhileDown := slices.Clone(produced) // committed before the second listener started
	mu.Unlock()
	second := sdkStartTail(t, bin, listenAs.Name, checkpoint)
	require.NoError(t, <-producerDone)
	sdkWaitFor(t, 60*time.Second, "every event to be printed across both listeners", func() bool {
		return len(sdkOurs(t, append(first.lines(), second.lines()...), prefix)) >= total
	})
	second.signal(t, syscall.SIGINT)
	require.NoError(t, second.wait(t), "an interrupted tail exits 0; stderr: %s", second.stderr())

	// What the first listener printed after its last checkpoint (at most the one line it printed
	// before the kill landed) is exactly what the second prints first; nothing else repeats.
	firstLines, secondLines := first.lines(), second.lines()
	cut := slices.IndexFunc(firstLines, func(e sdkEventLine) bool { return e.TransactionID == kept })
	require.GreaterOrEqual(t, cut, 0, "the checkpoint names an event the first listener printed")
	unsaved := firstLines[cut+1:]
	require.LessOrEqual(t, len(unsaved), 1, "hlctl checkpoints each event before it reads the next")
	require.GreaterOrEqual(t, len(secondLines), len(unsaved))
	for i, e := range unsaved {
		require.Equal(t, e.TransactionID, secondLines[i].TransactionID, "the event printed but not checkpointed is printed again, first")
	}
	if len(unsaved) > 0 {
		t.Logf("the kill landed between printing and checkpointing %s: printed again on restart, as documented", unsaved[0].TransactionID)
	}

	all := append(slices.Clone(firstLines[:cut+1]), secondLines...)
	seen := map[string]bool{}
	for i, e := range all {
		require.Equal(t, "consent", e.Chaincode)
		require.False(t, seen[e.TransactionID], "transaction %s printed twice", e.TransactionID)
		seen[e.TransactionID] = true
		if i > 0 {
			require.GreaterOrEqual(t, e.BlockNumber, all[i-1].BlockNumber, "events in commit order")
		}
	}
	mu.Lock()
	want := slices.Clone(produced)
	mu.Unlock()
	require.Equal(t, want, sdkOurs(t, all, prefix), "each produced event printed, in order, once besides the documented repeat")
	oursBefore := len(sdkOurs(t, firstLines[:cut+1], prefix))
	// The producer is sequential, so the first listener printed at most one of ours whose Grant had
	// not returned yet when it was killed: at least one event committed while no listener ran.
	require.Greater(t, len(committedWhileDown), oursBefore)
	oursAfter := sdkOurs(t, secondLines, prefix)
	for _, id := range committedWhileDown[oursBefore:] {
		require.Contains(t, oursAfter, id, "the restarted listener printed what was committed while it was down")
	}
	t.Logf("first listener printed %d of ours (%d lines), killed after %d produced; second printed %d of ours (%d lines)",
		oursBefore, len(first.lines()), killedAt, total-oursBefore, len(second.lines()))
}

func TestSDKStoppedPeerIsSkippedForTheProfilesNextPeer(t *testing.T) {
	if env.netdir == "" {
		t.Skip("stops a peer: only on a network this suite started")
	}
	orgs := env.net.Orgs()
	require.GreaterOrEqual(t, len(orgs), 2, "failover needs a second org's peer")
	home, other := orgs[0], orgs[1]
	who := identityOfOrg(t, home.Name)
	homeProfile, err := env.net.Profile(home.Name)
	require.NoError(t, err)
	otherProfile, err := env.net.Profile(other.Name)
	require.NoError(t, err)

	// A profile of the home org listing its own peer first and the other org's peer second.
	twoPeers := *homeProfile
	twoPeers.Peers = []sdk.PeerEndpoint{homeProfile.Peers[0], otherProfile.Peers[0]}
	raw, err := json.MarshalIndent(twoPeers, "", "  ")
	require.NoError(t, err)
	profilePath := filepath.Join(t.TempDir(), "two-peers.json")
	require.NoError(t, os.WriteFile(profilePath, raw, 0o600))
	dial := func() (*sdk.Client, error) {
		return sdk.Connect(ctx(t), profilePath, sdk.WithIdentity(who.Name), sdk.WithWallet(env.net.WalletDir()),
			sdk.WithConnectTimeout(3*time.Second))
	}

	before, err := dial()
	require.NoError(t, err)
	t.Cleanup(func() { _ = before.Close() })
	require.Equal(t, homeProfile.Peers[0].Name, before.Peer().Name, "the first listed peer answers first")
	key := unique("sdk-failover")
	_, err = before.Contract("baseline").Submit(ctx(t), "Write", []string{key, "written before the stop"})
	require.NoError(t, err)
	// The other org's peer must hold the write before its own peer goes away.
	oc := connect(t, identityOfOrg(t, other.Name).Name)
	eventually(t, "the write reaching "+other.Name, func() error {
		_, err := oc.Contract("baseline").Evaluate(ctx(t), "Read", []string{key})
		return err
	})

	stopped := "peer0-" + home.Name
	t.Cleanup(func() {
		if err := env.network("up"); err != nil {
			t.Errorf("restarting %s: %v", stopped, err)
			return
		}
		deadline := time.Now().Add(90 * time.Second)
		for {
			out, err := env.networkOutput("status")
			if err == nil && strings.Contains(out, "nodes healthy") && !strings.Contains(out, "unhealthy") &&
				!strings.Contains(out, "stopped") {
				return
			}
			if time.Now().After(deadline) {
				t.Errorf("the network is not healthy 90s after restarting %s: %v\n%s", stopped, err, out)
				return
			}
			time.Sleep(time.Second)
		}
	})
	require.NoError(t, env.network("stop", stopped))

	// The client connected before the stop fails over by itself: its next call succeeds through the
	// profile's second peer, and it reports that peer from then on.
	sctx, cancel := context.WithTimeout(ctx(t), 30*time.Second)
	got, err := before.Contract("baseline").Evaluate(sctx, "Read", []string{key})
	cancel()
	require.NoError(t, err, "the connected client's next call after its peer stopped")
	require.Equal(t, "written before the stop", string(got))
	require.Equal(t, otherProfile.Peers[0].Name, before.Peer().Name, "the connected client moved to the profile's second peer")
	require.Equal(t, otherProfile.Peers[0].Endpoint, before.Peer().Endpoint)
	require.Equal(t, who.MSPID, before.Identity().MSPID, "still the same identity, through another org's gateway")
	if len(orgs) >= 3 {
		// MAJORITY of three orgs: the two still running endorse; the connected client submits
		// through its new peer.
		tx, err := before.Contract("baseline").SubmitTx(ctx(t), "Write", []string{key, "written by the client that failed over"})
		require.NoError(t, err)
		require.NotEmpty(t, tx.TransactionID)
		require.Equal(t, otherProfile.Peers[0].Name, before.Peer().Name)
		got, err = before.Contract("baseline").Evaluate(ctx(t), "Read", []string{key})
		require.NoError(t, err)
		require.Equal(t, "written by the client that failed over", string(got))
	}

	after, err := dial()
	require.NoError(t, err, "connecting with the first listed peer stopped")
	t.Cleanup(func() { _ = after.Close() })
	require.Equal(t, otherProfile.Peers[0].Name, after.Peer().Name, "the profile's second peer answered")
	require.Equal(t, who.MSPID, after.Identity().MSPID, "still the same identity, through another org's gateway")
	got, err = after.Contract("baseline").Evaluate(ctx(t), "Read", []string{key})
	require.NoError(t, err)
	if len(orgs) >= 3 {
		require.Equal(t, "written by the client that failed over", string(got))
	} else {
		require.Equal(t, "written before the stop", string(got))
	}

	if len(orgs) >= 3 {
		// MAJORITY of three orgs: the two still running endorse.
		_, err = after.Contract("baseline").Submit(ctx(t), "Write", []string{key, "written while a peer is down"})
		require.NoError(t, err)
		got, err = after.Contract("baseline").Evaluate(ctx(t), "Read", []string{key})
		require.NoError(t, err)
		require.Equal(t, "written while a peer is down", string(got))
	}
}

func TestSDKHlctlAgainstTheLiveNetwork(t *testing.T) {
	bin := sdkBuildHlctl(t)
	who := identity(t, "patient", 0)

	t.Run("whoami prints the identity, its attributes and the peer that answered", func(t *testing.T) {
		res := sdkHlctl(t, bin, "--identity", who.Name, "--json", "whoami")
		require.Equal(t, 0, res.code, res.stderr)
		var me struct {
			Name     string `json:"name"`
			MSPID    string `json:"mspId"`
			Role     string `json:"role"`
			Subject  string `json:"subject"`
			Channel  string `json:"channel"`
			Peer     string `json:"peer"`
			Endpoint string `json:"endpoint"`
		}
		require.NoError(t, json.Unmarshal([]byte(res.stdout), &me), res.stdout)
		require.Equal(t, who.Name, me.Name)
		require.Equal(t, who.MSPID, me.MSPID)
		require.Equal(t, who.Role, me.Role)
		require.Equal(t, who.Subject, me.Subject)
		require.Equal(t, env.net.Channel(), me.Channel)
		require.NotEmpty(t, me.Peer)
		require.NotEmpty(t, me.Endpoint)
	})

	t.Run("a raw submit commits and a raw evaluate reads it back", func(t *testing.T) {
		key, value := unique("sdk-cli"), "from hlctl"
		res := sdkHlctl(t, bin, "--identity", who.Name, "--json", "submit", "baseline", "Write", key, value)
		require.Equal(t, 0, res.code, res.stderr)
		var tx struct {
			TransactionID string          `json:"transactionId"`
			BlockNumber   uint64          `json:"blockNumber"`
			Attempts      int             `json:"attempts"`
			Result        json.RawMessage `json:"result"`
		}
		require.NoError(t, json.Unmarshal([]byte(res.stdout), &tx), res.stdout)
		require.Len(t, tx.TransactionID, 64)
		require.Positive(t, tx.BlockNumber)
		require.GreaterOrEqual(t, tx.Attempts, 1)
		require.JSONEq(t, "null", string(tx.Result))
		require.Empty(t, res.stderr, "--json leaves the notes out")

		res = sdkHlctl(t, bin, "--identity", who.Name, "evaluate", "baseline", "Read", key)
		require.Equal(t, 0, res.code, res.stderr)
		require.Equal(t, value+"\n", res.stdout)

		res = sdkHlctl(t, bin, "--identity", who.Name, "--json", "evaluate", "baseline", "Read", key)
		require.Equal(t, 0, res.code, res.stderr)
		require.JSONEq(t, strconv.Quote(value), res.stdout)

		res = sdkHlctl(t, bin, "--identity", who.Name, "submit", "baseline", "Add", unique("sdk-cli-sum"), "7")
		require.Equal(t, 0, res.code, res.stderr)
		require.Equal(t, "7\n", res.stdout)
		require.Contains(t, res.stderr, "committed ", "readable output notes the commit on stderr")
	})

	missing := unique("sdk-cli-missing")
	kept := unique("sdk-cli-kept")
	require.Equal(t, 0, sdkHlctl(t, bin, "--identity", who.Name, "submit", "baseline", "Write", kept, "x").code)
	for _, tc := range []struct {
		name     string
		args     []string
		exit     int
		line     string // the readable error line's prefix
		jsonCode string // the --json error's code
	}{
		{"a read of a missing key is one NOT_FOUND line and exit 1",
			[]string{"evaluate", "baseline", "Read", missing}, 1, "hlctl: baseline.Read: NOT_FOUND: ", "NOT_FOUND"},
		{"a patient's delete is one FORBIDDEN line and exit 1",
			[]string{"submit", "baseline", "Delete", kept}, 1, "hlctl: baseline.Delete: FORBIDDEN: ", "FORBIDDEN"},
		{"a call without a function is a usage error with exit 2",
			[]string{"evaluate", "baseline"}, 2, "hlctl: evaluate <chaincode> <function>", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := sdkHlctl(t, bin, append([]string{"--identity", who.Name}, tc.args...)...)
			require.Equal(t, tc.exit, res.code, "stderr: %s", res.stderr)
			require.Empty(t, res.stdout)
			require.Equal(t, 1, strings.Count(res.stderr, "\n"), "one line: %q", res.stderr)
			require.True(t, strings.HasPrefix(res.stderr, tc.line), "%q", res.stderr)

			res = sdkHlctl(t, bin, append([]string{"--identity", who.Name, "--json"}, tc.args...)...)
			require.Equal(t, tc.exit, res.code, "stderr: %s", res.stderr)
			require.Empty(t, res.stdout)
			require.Equal(t, 1, strings.Count(res.stderr, "\n"), "one line: %q", res.stderr)
			var e struct {
				Error string `json:"error"`
				Code  string `json:"code"`
				Usage bool   `json:"usage"`
			}
			require.NoError(t, json.Unmarshal([]byte(res.stderr), &e), res.stderr)
			require.NotEmpty(t, e.Error)
			require.Equal(t, tc.jsonCode, e.Code)
			require.Equal(t, tc.exit == 2, e.Usage)
		})
	}
}

func TestSDKRegisterAndEnrollThroughTheFabricCA(t *testing.T) {
	org, err := env.net.Org(env.net.MSPForRole("patient"))
	require.NoError(t, err)
	profilePath := sdkProfilePath(t, org.Name)
	prof, err := sdk.LoadProfile(profilePath)
	require.NoError(t, err)
	require.NotNil(t, prof.CA, "the %s profile names no CA", org.Name)
	ca, err := sdk.NewCAClient(*prof.CA)
	require.NoError(t, err)
	registrar, err := sdk.OpenWallet(env.net.WalletDir())
	require.NoError(t, err)
	registrarCreds, err := registrar.Get("registrar." + org.Name)
	require.NoError(t, err)

	name := unique("sdkpat")
	subject := "pat-" + sdkRandomHex(t, 8)
	secret, err := ca.Register(ctx(t), registrarCreds, sdk.RegisterRequest{Name: name, Attributes: []sdk.Attribute{
		{Name: "role", Value: "patient", ECert: true},
		{Name: "subject", Value: subject, ECert: true},
	}})
	require.NoError(t, err)
	require.Regexp(t, `^[0-9a-f]{32}$`, secret, "the SDK chooses 128 random bits")

	_, err = ca.Register(ctx(t), registrarCreds, sdk.RegisterRequest{Name: name})
	require.ErrorIs(t, err, sdk.ErrDuplicate, "a name registers once")
	_, err = ca.Enroll(ctx(t), sdk.EnrollRequest{Name: name, Secret: secret + "-wrong"})
	require.ErrorIs(t, err, sdk.ErrForbidden, "a wrong secret does not enroll")

	creds, err := ca.Enroll(ctx(t), sdk.EnrollRequest{Name: name, Secret: secret})
	require.NoError(t, err)
	_, err = ca.Enroll(ctx(t), sdk.EnrollRequest{Name: name, Secret: secret})
	require.ErrorIs(t, err, sdk.ErrEnrollmentRefused, "the secret enrolls once")
	creds.Info.MSPID, creds.Info.Org = prof.MSPID, prof.Name
	attrs, err := creds.Attributes()
	require.NoError(t, err)
	require.Equal(t, "patient", attrs["role"])
	require.Equal(t, subject, attrs["subject"])

	walletDir := filepath.Join(t.TempDir(), "wallet")
	wallet, err := sdk.OpenWallet(walletDir)
	require.NoError(t, err)
	require.NoError(t, wallet.Put(creds))
	st, err := os.Stat(filepath.Join(walletDir, name, "keystore", "key.pem"))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm(), "the private key is readable by its owner only")

	c, err := sdk.Connect(ctx(t), profilePath, sdk.WithIdentity(name), sdk.WithWallet(walletDir), sdk.WithNetwork(env.net))
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	require.Equal(t, sdk.IdentityInfo{Name: name, Org: org.Name, MSPID: org.MSPID, Role: "patient", Subject: subject}, c.Identity())

	// The contract reads the role and subject from the new certificate: it lets the patient grant for
	// itself, records the caller as <MSP>/patient/<subject>, and refuses a grant for anyone else.
	consents := consent.New(c)
	consentRegistered(t, consents)
	grantee := env.net.MSPForRole("provider") + "/provider"
	id := unique("sdk-ca")
	granted, err := consents.Grant(ctx(t), sdkConsent(id, subject, grantee))
	require.NoError(t, err)
	require.Equal(t, org.MSPID+"/patient/"+subject, granted.CreatedBy)
	require.Equal(t, consenttypes.StatusActive, granted.Status)

	g, err := consenttypes.ParseGrantee(grantee)
	require.NoError(t, err)
	decision, err := consents.CheckAccess(ctx(t), subject, g, consenttypes.ActionAccess, consenttypes.PurposeTreatment, consenttypes.ClassObservation)
	require.NoError(t, err)
	require.Equal(t, consenttypes.Permit, decision.Decision)
	require.Equal(t, []string{id}, decision.ConsentIDs)

	other := identity(t, "patient", 0).Subject
	_, err = consents.Grant(ctx(t), sdkConsent(unique("sdk-ca-other"), other, grantee))
	require.ErrorIs(t, err, sdk.ErrForbidden, "a patient grants only for itself")
}

// sdkFailureKind summarises a failed call for a tally: its sentinel or gRPC code, and the first
// per-peer detail's message.
func sdkFailureKind(err error) string {
	kind := string(sdk.CodeOf(err))
	var ge *sdk.Error
	if errors.As(err, &ge) {
		if st, ok := status.FromError(ge.Err); ok && kind == "" {
			kind = st.Code().String()
		}
		if d := ge.Details(); len(d) > 0 {
			kind += ": " + d[0].GetMessage()
		}
		var ce *sdk.CommitError
		if errors.As(err, &ce) {
			kind = "commit " + ce.Code.String()
		}
	}
	if kind == "" {
		kind = err.Error()
	}
	return kind
}

// sdkConsent is a permit for grantee to access the patient's observations for treatment.
func sdkConsent(id, patient, grantee string) consenttypes.Consent {
	return consenttypes.Consent{
		ID: id, Patient: patient, Grantee: grantee, Decision: consenttypes.Permit,
		Actions:  []consenttypes.Action{consenttypes.ActionAccess},
		Purposes: []consenttypes.Purpose{consenttypes.PurposeTreatment},
		Classes:  []consenttypes.DataClass{consenttypes.ClassObservation},
	}
}

// sdkRequireBlockHolds fetches block n from c's peer and checks that it carries txID.
func sdkRequireBlockHolds(t *testing.T, c *sdk.Client, n uint64, txID string) {
	t.Helper()
	raw, err := c.Contract("qscc").Evaluate(ctx(t), "GetBlockByNumber", []string{env.net.Channel(), strconv.FormatUint(n, 10)})
	require.NoError(t, err)
	require.True(t, bytes.Contains(raw, []byte(txID)), "block %d does not hold transaction %s", n, txID)
}

// sdkProfilePath returns the absolute path of org's connection profile.
func sdkProfilePath(t *testing.T, org string) string {
	t.Helper()
	path, err := env.net.ProfilePath(org)
	require.NoError(t, err)
	return path
}

// sdkAdminMSPDir returns the org admin's MSP folder named by the profile's adminMsp entry, skipping
// the test when the profile names none.
func sdkAdminMSPDir(t *testing.T, org string) string {
	t.Helper()
	p, err := sdk.LoadProfile(sdkProfilePath(t, org))
	require.NoError(t, err)
	if p.AdminMSP == "" {
		t.Skipf("the %s profile names no adminMsp", org)
	}
	return p.AdminMSP // LoadProfile resolved it against the profile's folder
}

func sdkRandomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return hex.EncodeToString(b)
}

// sdkWaitFor polls cond every 10 ms until it holds, failing the test after limit.
func sdkWaitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", limit, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// sdkBuildHlctl builds hlctl into a temporary folder and returns the binary.
func sdkBuildHlctl(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "hlctl")
	bctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(bctx, "go", "build", "-o", bin, "./cmd/hlctl")
	cmd.Dir = env.root
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "building hlctl: %s", out)
	return bin
}

// sdkHlctlEnv is the environment hlctl runs with: the network under test and a private state folder.
func sdkHlctlEnv(t *testing.T) []string {
	t.Helper()
	profiles, err := filepath.Abs(env.profiles)
	require.NoError(t, err)
	return append(os.Environ(), "HEALTHLEDGER_NETWORK="+profiles, "HLCTL_STATE_DIR="+t.TempDir(), "HLCTL_IDENTITY=")
}

// sdkRun is what one hlctl run printed and its exit code.
type sdkRun struct {
	stdout, stderr string
	code           int
}

// sdkHlctl runs hlctl to its end.
func sdkHlctl(t *testing.T, bin string, args ...string) sdkRun {
	t.Helper()
	rctx, cancel := context.WithTimeout(ctx(t), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(rctx, bin, args...)
	cmd.Env = sdkHlctlEnv(t)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("running hlctl %v: %v", args, err)
	}
	return sdkRun{stdout: stdout.String(), stderr: stderr.String(), code: cmd.ProcessState.ExitCode()}
}

// sdkEventLine is one line of `hlctl --json events tail`.
type sdkEventLine struct {
	BlockNumber   uint64          `json:"blockNumber"`
	TransactionID string          `json:"transactionId"`
	Chaincode     string          `json:"chaincode"`
	Name          string          `json:"name"`
	Payload       json.RawMessage `json:"payload"`
}

// sdkTail is a running `hlctl events tail consent` and what it printed so far.
type sdkTail struct {
	cmd      *exec.Cmd
	readDone chan struct{}
	waited   bool

	mu     sync.Mutex
	out    []sdkEventLine
	bad    []string
	errBuf bytes.Buffer
}

// sdkStartTail starts hlctl tailing consent events as identity, with the given checkpoint file.
func sdkStartTail(t *testing.T, bin, identity, checkpoint string) *sdkTail {
	t.Helper()
	tl := &sdkTail{readDone: make(chan struct{})}
	tl.cmd = exec.Command(bin, "--identity", identity, "--json", "events", "tail", "consent", "--checkpoint", checkpoint)
	tl.cmd.Env = sdkHlctlEnv(t)
	tl.cmd.Stderr = &sdkLockedWriter{mu: &tl.mu, buf: &tl.errBuf}
	stdout, err := tl.cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, tl.cmd.Start())
	go func() {
		defer close(tl.readDone)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
		for sc.Scan() {
			var e sdkEventLine
			err := json.Unmarshal(sc.Bytes(), &e)
			tl.mu.Lock()
			if err != nil {
				tl.bad = append(tl.bad, sc.Text())
			} else {
				tl.out = append(tl.out, e)
			}
			tl.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		if !tl.waited {
			_ = tl.cmd.Process.Kill()
			_ = tl.wait(t)
		}
		tl.mu.Lock()
		defer tl.mu.Unlock()
		if len(tl.bad) > 0 {
			t.Errorf("hlctl printed lines that are not events: %q", tl.bad)
		}
	})
	return tl
}

// lines returns the events printed so far.
func (tl *sdkTail) lines() []sdkEventLine {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	return slices.Clone(tl.out)
}

func (tl *sdkTail) stderr() string {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	return tl.errBuf.String()
}

func (tl *sdkTail) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	require.NoError(t, tl.cmd.Process.Signal(sig))
}

// wait reaps the process once its output is read, and returns how it ended.
func (tl *sdkTail) wait(t *testing.T) error {
	t.Helper()
	select {
	case <-tl.readDone:
	case <-time.After(30 * time.Second):
		_ = tl.cmd.Process.Kill()
		<-tl.readDone
	}
	tl.waited = true
	return tl.cmd.Wait()
}

// sdkLockedWriter appends to buf under mu.
type sdkLockedWriter struct {
	mu  *sync.Mutex
	buf *bytes.Buffer
}

func (w *sdkLockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

// sdkOurs returns the consent ids, in printed order, of the ConsentGranted events whose id starts
// with prefix.
func sdkOurs(t *testing.T, lines []sdkEventLine, prefix string) []string {
	t.Helper()
	out := []string{}
	for _, e := range lines {
		if e.Name != consenttypes.EventConsentGranted {
			continue
		}
		var ev consenttypes.ConsentEvent
		require.NoError(t, json.Unmarshal(e.Payload, &ev), "payload %s", e.Payload)
		if strings.HasPrefix(ev.ConsentID, prefix) {
			out = append(out, ev.ConsentID)
		}
	}
	return out
}

// sdkCheckpointTx returns the transaction id the checkpoint file names, or "" when it cannot be read.
func sdkCheckpointTx(path string) string {
	raw, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	var cp sdk.Checkpoint
	if json.Unmarshal(raw, &cp) != nil {
		return ""
	}
	return cp.TransactionID
}
