package sdk

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// eventsReader is a fake gateway's ChaincodeEvents that records who asked, and serves one event to
// allowed, PermissionDenied to anyone else.
type eventsReader struct {
	allowed string
	mu      sync.Mutex
	askers  []string
}

func (r *eventsReader) serve(req *gateway.ChaincodeEventsRequest, stream gateway.Gateway_ChaincodeEventsServer) error {
	var id msp.SerializedIdentity
	if err := proto.Unmarshal(req.GetIdentity(), &id); err != nil {
		return err
	}
	blk, _ := pem.Decode(id.IdBytes)
	cert, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.askers = append(r.askers, cert.Subject.CommonName)
	r.mu.Unlock()
	if cert.Subject.CommonName != r.allowed {
		return status.Error(codes.PermissionDenied, "failed evaluating policy on signed data during check policy [/Channel/Application/Readers]")
	}
	if err := stream.Send(&gateway.ChaincodeEventsResponse{BlockNumber: 3, Events: []*peer.ChaincodeEvent{{ChaincodeId: req.ChaincodeId, TxId: "tx-1", EventName: "Granted", Payload: []byte(`{}`)}}}); err != nil {
		return err
	}
	<-stream.Context().Done()
	return nil
}

func (r *eventsReader) who() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.askers...)
}

func TestEventStreamsReadAsTheEventIdentityWhileCallsGoAsTheClient(t *testing.T) {
	r := &eventsReader{allowed: "insurer1"}
	f := &fakeGateway{EventsFn: r.serve, EvaluateFn: func(gwCall) ([]byte, error) { return []byte("ok"), nil }}
	c := connectFixture(t, newNetFixture(t, f), WithEventIdentity("insurer1"))
	require.Equal(t, "patient1", c.Identity().Name)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := c.Contract("consent").Evaluate(ctx, "GetConsent", []string{"c-1"})
	require.NoError(t, err)
	calls := f.Recorded()
	require.Equal(t, "HospitalMSP", calls[len(calls)-1].MSPID, "calls go as patient1")

	s, err := c.ChaincodeEvents(ctx, "consent", WithStartBlock(3))
	require.NoError(t, err)
	e, err := s.Next(ctx)
	require.NoError(t, err)
	require.Equal(t, "tx-1", e.TransactionID)
	require.Equal(t, []string{"insurer1"}, r.who(), "the stream reads as the events identity")

	require.NoError(t, c.Close())
	_, err = s.Next(ctx)
	require.ErrorIs(t, err, ErrStreamClosed, "closing the client ends the events identity's streams")
}

func TestAStreamOfAnIdentityTheACLsRefuseIsErrForbidden(t *testing.T) {
	r := &eventsReader{allowed: "insurer1"}
	f := &fakeGateway{EventsFn: r.serve}
	c := connectFixture(t, newNetFixture(t, f))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := c.ChaincodeEvents(ctx, "consent", WithStartBlock(3))
	if err == nil {
		_, err = s.Next(ctx)
	}
	require.ErrorIs(t, err, ErrForbidden)
	require.Equal(t, "patient1", r.who()[0])
}

func TestProfileEventIdentityNeedsTheProfileToNameOne(t *testing.T) {
	fx := newNetFixture(t, &fakeGateway{})
	n, err := LoadNetwork(fx.dir)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = n.Connect(ctx, "patient1", WithProfileEventIdentity())
	require.ErrorContains(t, err, "events identity: the profile of hospital names none")

	_, err = n.Connect(ctx, "patient1", WithEventIdentity("../escape"))
	require.Error(t, err, "a wallet name is checked")
	_, err = n.Connect(ctx, "patient1", WithEventIdentity("nobody"))
	require.ErrorIs(t, err, ErrNotFound, "an events identity missing from the wallet")
}

func TestAProfileEventsIdentityIsCheckedAndUsed(t *testing.T) {
	r := &eventsReader{allowed: "insurer1"}
	f := &fakeGateway{EventsFn: r.serve}
	fx := newNetFixture(t, f)
	raw, err := os.ReadFile(fx.profile)
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(raw, &doc))

	doc["eventsIdentity"] = "bad/name"
	bad, err := json.Marshal(doc)
	require.NoError(t, err)
	_, err = ParseProfile(bad, fx.profile)
	require.ErrorContains(t, err, "eventsIdentity")

	doc["eventsIdentity"] = "insurer1"
	writeJSON(t, fx.profile, doc)
	prof, err := LoadProfile(fx.profile)
	require.NoError(t, err)
	require.Equal(t, "insurer1", prof.EventsIdentity)

	c := connectFixture(t, fx, WithProfileEventIdentity())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := c.ChaincodeEvents(ctx, "consent", WithStartBlock(3))
	require.NoError(t, err)
	_, err = s.Next(ctx)
	require.NoError(t, err)
	require.Equal(t, []string{"insurer1"}, r.who())
}
