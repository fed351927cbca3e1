package sdk

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/healthledger/healthledger/internal/fakepeer"
	"github.com/healthledger/healthledger/internal/testpki"
	"github.com/stretchr/testify/require"
)

// orgPeers is patient1 (HospitalMSP) connected through the network with the insurer org as a
// fallback: the hospital profile lists the hospital's peer, the insurer profile the insurer's.
type orgPeers struct {
	own, other         *fakeGateway
	ownAddr, otherAddr string
	stopOwn            func()
	ca                 *testpki.CA
	c                  *Client
}

func newOrgPeers(t *testing.T, own, other *fakeGateway, opts ...Option) *orgPeers {
	t.Helper()
	ca, err := testpki.NewCA("healthledger-test-ca")
	require.NoError(t, err)
	a1, stop1 := startStoppablePeer(t, ca, own)
	a2, _ := startStoppablePeer(t, ca, other)
	n := fakepeer.WriteNetwork(t, t.TempDir(), ca, []string{a1},
		fakepeer.User{Name: "patient1", Org: "hospital", Role: "patient", Subject: "pat-7f3a9c21"})
	writeJSON(t, filepath.Join(n.Profiles, "insurer.json"), map[string]any{
		"name": "insurer", "mspId": "InsurerMSP", "channel": "healthchannel", "wallet": "../wallet",
		"peers": []map[string]string{{"name": "peer0.insurer.test", "endpoint": a2, "tlsCACert": "../crypto/tlsca.pem", "hostOverride": "peer0.hospital.test"}},
	})
	fx := &netFixture{dir: n.Profiles, profile: n.Profile, wallet: n.Wallet, ca: ca, gw: own, addr: a1}
	c := connectFixture(t, fx, append([]Option{failoverRetry(), WithFallbackOrgs("insurer")}, opts...)...)
	require.Equal(t, a1, c.Peer().Endpoint, "the client's own org's peer first")
	return &orgPeers{own: own, other: other, ownAddr: a1, otherAddr: a2, stopOwn: stop1, ca: ca, c: c}
}

// functions returns the function names of the calls f received.
func functions(f *fakeGateway) []string {
	out := []string{}
	for _, c := range f.Recorded() {
		out = append(out, c.Fn)
	}
	return out
}

func TestAClientOnAnotherOrgsPeerSendsItNoPrivateDataOfItsOwnOrg(t *testing.T) {
	op := newOrgPeers(t, answering("hospital"), answering("insurer"))
	op.stopOwn()
	ctx := context.Background()

	got, err := op.c.Contract("baseline").Submit(ctx, "Write", []string{"k", "v"})
	require.NoError(t, err, "a call without private data fails over to the insurer's peer")
	require.Equal(t, "insurer", string(got))
	require.Equal(t, op.otherAddr, op.c.Peer().Endpoint)
	require.Equal(t, "InsurerMSP", op.c.Peer().MSPID)

	cases := []struct {
		name    string
		call    func(k *Contract) error
		allowed bool
	}{
		{"a submit with transient data fails unavailable", func(k *Contract) error {
			_, err := k.Submit(ctx, "SubmitClaim", []string{"cl-1"}, WithTransient(map[string][]byte{"claim": []byte("secret")}))
			return err
		}, false},
		{"a submit endorsed by the caller's org fails unavailable", func(k *Contract) error {
			_, err := k.Submit(ctx, "Approve", []string{"cl-1"}, WithEndorsingOrgs("InsurerMSP", "HospitalMSP"))
			return err
		}, false},
		{"an evaluation on the caller's org's peers fails unavailable", func(k *Contract) error {
			_, err := k.Evaluate(ctx, "GetPrivate", []string{"cl-1"}, WithEndorsingOrgs("HospitalMSP"))
			return err
		}, false},
		{"a submit endorsed by other orgs only goes through", func(k *Contract) error {
			_, err := k.Submit(ctx, "Review", []string{"cl-1"}, WithEndorsingOrgs("InsurerMSP"))
			return err
		}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := len(op.other.Recorded())
			err := tc.call(op.c.Contract("claims"))
			if tc.allowed {
				require.NoError(t, err)
				require.Len(t, op.other.Recorded(), before+1)
				return
			}
			require.ErrorIs(t, err, ErrUnavailable)
			require.ErrorContains(t, err, "never sent through another org's peer")
			require.Len(t, op.other.Recorded(), before, "the insurer's peer saw nothing of it")
		})
	}
	require.Equal(t, []string{"Write", "Review"}, functions(op.other))
	require.Empty(t, functions(op.own))
}

func TestAClientOnAnotherOrgsPeerReturnsToItsOwnOrgForPrivateData(t *testing.T) {
	own := answering("hospital")
	op := newOrgPeers(t, own, answering("insurer"))
	op.stopOwn()
	ctx := context.Background()
	_, err := op.c.Contract("baseline").Evaluate(ctx, "Read", []string{"k"})
	require.NoError(t, err)
	require.Equal(t, op.otherAddr, op.c.Peer().Endpoint)

	_, _ = startStoppablePeerAt(t, op.ca, own, op.ownAddr) // the hospital's peer is back
	got, err := op.c.Contract("claims").Submit(ctx, "SubmitClaim", []string{"cl-1"}, WithTransient(map[string][]byte{"claim": []byte("x")}))
	require.NoError(t, err)
	require.Equal(t, "hospital", string(got))
	require.Equal(t, op.ownAddr, op.c.Peer().Endpoint, "the client is back on its own org's peer")
	require.Equal(t, []string{"SubmitClaim"}, functions(own))
	require.Equal(t, []string{"Read"}, functions(op.other))
}

func TestAFailoverTriesTheCallersOwnOrgsPeersFirst(t *testing.T) {
	ca, err := testpki.NewCA("healthledger-test-ca")
	require.NoError(t, err)
	first, foreign, second := answering("first"), answering("foreign"), answering("second")
	a1, stop1 := startStoppablePeer(t, ca, first)
	aF, _ := startStoppablePeer(t, ca, foreign)
	a2, _ := startStoppablePeer(t, ca, second)
	n := fakepeer.WriteNetwork(t, t.TempDir(), ca, []string{a1},
		fakepeer.User{Name: "patient1", Org: "hospital", Role: "patient", Subject: "pat-7f3a9c21"})
	peer := func(name, addr, msp string) map[string]string {
		return map[string]string{"name": name, "endpoint": addr, "tlsCACert": "../crypto/tlsca.pem", "hostOverride": "peer0.hospital.test", "mspId": msp}
	}
	writeJSON(t, n.Profile, map[string]any{
		"name": "hospital", "mspId": "HospitalMSP", "channel": "healthchannel", "wallet": "../wallet",
		"peers": []map[string]string{peer("first", a1, ""), peer("foreign", aF, "InsurerMSP"), peer("second", a2, "HospitalMSP")},
	})
	c := connectFixture(t, &netFixture{dir: n.Profiles, profile: n.Profile, wallet: n.Wallet, ca: ca, gw: first, addr: a1}, failoverRetry())
	stop1()
	got, err := c.Contract("baseline").Evaluate(context.Background(), "Read", []string{"k"})
	require.NoError(t, err)
	require.Equal(t, "second", string(got), "the own org's next peer, though listed after another org's")
	require.Empty(t, foreign.Recorded())
}

func TestFallbackOrgsMustBeKnownToTheNetwork(t *testing.T) {
	fx := newNetFixture(t, answering("x"))
	_, err := Connect(context.Background(), fx.profile, WithIdentity("patient1"), WithFallbackOrgs("insurer"))
	require.ErrorContains(t, err, "fallback orgs need the network")

	n, err := LoadNetwork(fx.dir)
	require.NoError(t, err)
	_, err = n.Connect(context.Background(), "patient1", WithFallbackOrgs("nowhere"))
	require.ErrorIs(t, err, ErrNotFound)
}

func TestAPrivateCallWhoseOwnPeerDiesUnderItFailsUnavailableInsteadOfMoving(t *testing.T) {
	op := newOrgPeers(t, answering("hospital"), answering("insurer"))
	op.stopOwn()
	_, err := op.c.Contract("claims").Submit(context.Background(), "SubmitClaim", []string{"cl-1"},
		WithTransient(map[string][]byte{"claim": []byte("secret")}))
	require.ErrorIs(t, err, ErrUnavailable)
	require.Empty(t, op.other.Recorded(), "the insurer's peer saw nothing of it")
	require.Equal(t, op.otherAddr, op.c.Peer().Endpoint, "the client itself moved, for the calls that may go there")
}
