package cctest_test

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/internal/cctest"
	"github.com/healthledger/healthledger/chaincode/internal/ccutil"
	"github.com/healthledger/healthledger/chaincode/wire"
	"github.com/hyperledger/fabric-chaincode-go/v2/pkg/attrmgr"
	"github.com/stretchr/testify/require"
)

type fixture struct {
	l      *cctest.Ledger
	alice  *cctest.Identity // patient pat-1
	bob    *cctest.Identity // patient pat-2, other org
	nobody *cctest.Identity // no attributes
}

func setup(t *testing.T) fixture {
	t.Helper()
	m := cctest.DefaultConsortium()
	m.Roles[wire.RolePatient] = append(m.Roles[wire.RolePatient], "Org2MSP")
	l := cctest.New(t, cctest.WithConsortium(m))
	l.Deploy(itemsCC, &ItemsContract{})
	l.Deploy(counterCC, &CounterContract{})
	l.DefineCollections(itemsCC, secrets)
	return fixture{
		l:      l,
		alice:  l.Identity("HospitalMSP", "patient1", cctest.RoleAttrs(wire.RolePatient, "pat-1")),
		bob:    l.Identity("Org2MSP", "patient2", cctest.RoleAttrs(wire.RolePatient, "pat-2")),
		nobody: l.Identity("HospitalMSP", "plain", nil),
	}
}

func TestPutAndGet(t *testing.T) {
	f := setup(t)
	res := f.l.Invoke(itemsCC, f.alice, "Put", []string{"i-1", "hello"})
	cctest.RequireOK(t, res)
	require.True(t, res.Committed)
	require.Len(t, res.TxID, 64)

	got := cctest.Decode[Item](t, f.l.Evaluate(itemsCC, f.bob, "Get", []string{"pat-1", "i-1"}))
	require.Equal(t, Item{ID: "i-1", Owner: "pat-1", Value: "hello"}, got)

	key := f.l.Key(itemType, "pat-1", "i-1")
	require.Equal(t, got, cctest.StateJSON[Item](t, f.l, itemsCC, key))
	require.Equal(t, []string{key}, f.l.Keys(itemsCC))
	require.Equal(t, 1, f.l.KeyCount(itemsCC))
	require.Equal(t, 0, f.l.KeyCount(counterCC), "namespaces are separate")

	ev := cctest.RequireEvent[ItemEvent](t, res, eventItemPut)
	require.Equal(t, ItemEvent{ID: "i-1", Owner: "pat-1"}, ev)
	events := f.l.Events()
	require.Len(t, events, 1)
	require.Equal(t, cctest.Event{Chaincode: itemsCC, TxID: res.TxID, Name: eventItemPut, Payload: res.Event.Payload}, events[0])
}

func TestFailuresCarryStableCodes(t *testing.T) {
	tests := []struct {
		name   string
		caller func(fixture) *cctest.Identity
		fn     string
		args   []string
		want   codes.Code
	}{
		{"a missing item is NOT_FOUND", func(f fixture) *cctest.Identity { return f.alice }, "Get", []string{"pat-1", "nope"}, codes.NotFound},
		{"a caller without a role is FORBIDDEN", func(f fixture) *cctest.Identity { return f.nobody }, "Put", []string{"i-2", "v"}, codes.Forbidden},
		{"a malformed id is INVALID_ARGUMENT", func(f fixture) *cctest.Identity { return f.alice }, "Put", []string{"bad id!", "v"}, codes.InvalidArgument},
		{"a second put of the same id is DUPLICATE", func(f fixture) *cctest.Identity { return f.alice }, "Put", []string{"i-1", "again"}, codes.Duplicate},
		{"a panic is INTERNAL, not raised", func(f fixture) *cctest.Identity { return f.alice }, "Panic", []string{}, codes.Internal},
		{"a wrong argument count is INVALID_ARGUMENT", func(f fixture) *cctest.Identity { return f.alice }, "Put", []string{"i-3"}, codes.InvalidArgument},
		{"an unknown function is INVALID_ARGUMENT", func(f fixture) *cctest.Identity { return f.alice }, "Nope", []string{}, codes.InvalidArgument},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := setup(t)
			cctest.RequireOK(t, f.l.Invoke(itemsCC, f.alice, "Put", []string{"i-1", "hello"}))
			before := f.l.Snapshot()
			res := f.l.Invoke(itemsCC, tc.caller(f), tc.fn, tc.args)
			require.False(t, res.OK(), "result: %s", res)
			require.False(t, res.Committed)
			require.Nil(t, res.Event)
			ce := cctest.RequireCode(t, res, tc.want)
			require.ErrorIs(t, res.Err(), &codes.Error{Code: tc.want})
			require.NotEmpty(t, ce.Message)
			f.l.RequireUnchanged(t, before)
		})
	}
}

func TestAFailedCallCommitsNothing(t *testing.T) {
	f := setup(t)
	before := f.l.Snapshot()
	res := f.l.Invoke(itemsCC, f.alice, "PutThenFail", []string{"i-9"})
	cctest.RequireCode(t, res, codes.Conflict)
	require.Equal(t, 2, res.Writes, "the writes were made, then dropped")
	require.Nil(t, res.Event)
	require.Empty(t, f.l.Changes(before))
	require.Empty(t, f.l.Events())
	require.Empty(t, f.l.PrivateKeys(itemsCC, secrets))
}

func TestChangesReportsWhatChanged(t *testing.T) {
	f := setup(t)
	before := f.l.Snapshot()
	cctest.RequireOK(t, f.l.Invoke(itemsCC, f.alice, "Put", []string{"i-1", "hello"}))
	ch := f.l.Changes(before)
	require.Len(t, ch, 3, "%v", ch)
	require.Contains(t, ch[0], "state items: added")
	require.Contains(t, ch[1], "history of")
	require.Equal(t, "events: 0 -> 1", ch[2])
}

func TestEvaluateCommitsNothing(t *testing.T) {
	f := setup(t)
	before := f.l.Snapshot()
	res := f.l.Evaluate(itemsCC, f.alice, "Put", []string{"i-1", "hello"})
	cctest.RequireOK(t, res)
	require.False(t, res.Committed)
	require.Equal(t, 1, res.Writes)
	require.NotNil(t, res.Event, "the event is reported but not recorded")
	f.l.RequireUnchanged(t, before)
}

func TestNoReadYourWrites(t *testing.T) {
	f := setup(t)
	sawOwnWrite := cctest.Decode[bool](t, f.l.Invoke(itemsCC, f.alice, "PutAndReadBack", []string{"k"}))
	require.False(t, sawOwnWrite)
	require.Equal(t, []byte("v"), f.l.State(itemsCC, "k"))
	sawCommitted := cctest.Decode[bool](t, f.l.Invoke(itemsCC, f.alice, "PutAndReadBack", []string{"k"}))
	require.True(t, sawCommitted)
}

func TestIdentities(t *testing.T) {
	f := setup(t)

	t.Run("the contract reads MSP id, role and subject from the certificate", func(t *testing.T) {
		who := cctest.Decode[Who](t, f.l.Evaluate(itemsCC, f.bob, "WhoAmI", []string{}))
		require.Equal(t, Who{MSPID: "Org2MSP", ID: f.bob.ClientID(), Role: "patient", Subject: "pat-2"}, who)
	})
	t.Run("an identity without attributes has no role and no extension", func(t *testing.T) {
		who := cctest.Decode[Who](t, f.l.Evaluate(itemsCC, f.nobody, "WhoAmI", []string{}))
		require.Equal(t, Who{MSPID: "HospitalMSP", ID: f.nobody.ClientID()}, who)
		for _, ext := range f.nobody.Cert.Extensions {
			require.False(t, ext.Id.Equal(attrmgr.AttrOID))
		}
	})
	t.Run("the certificate chains to its MSP's CA and carries Fabric CA attributes", func(t *testing.T) {
		roots := x509.NewCertPool()
		roots.AddCert(f.l.CACert("HospitalMSP"))
		_, err := f.alice.Cert.Verify(x509.VerifyOptions{Roots: roots, CurrentTime: cctest.DefaultStart(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
		require.NoError(t, err)
		_, err = f.bob.Cert.Verify(x509.VerifyOptions{Roots: roots, CurrentTime: cctest.DefaultStart(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
		require.Error(t, err, "another MSP's CA must not verify it")
		attrs, err := attrmgr.New().GetAttributesFromCert(f.alice.Cert)
		require.NoError(t, err)
		v, ok, err := attrs.Value("subject")
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, "pat-1", v)
	})
	t.Run("two identities of one MSP share its CA", func(t *testing.T) {
		other := f.l.Identity("HospitalMSP", "patient3", nil)
		require.Equal(t, f.alice.Cert.Issuer.String(), other.Cert.Issuer.String())
		require.NotEqual(t, f.alice.ClientID(), other.ClientID())
	})
}

func TestClockAndTxIDs(t *testing.T) {
	f := setup(t)
	first := f.l.Evaluate(itemsCC, f.alice, "Time", []string{})
	second := f.l.Evaluate(itemsCC, f.alice, "Time", []string{})
	require.Equal(t, cctest.DefaultStart().Format(time.RFC3339), cctest.Decode[string](t, first))
	require.Equal(t, second.Time.Sub(first.Time), time.Second)
	require.NotEqual(t, first.TxID, second.TxID)

	at := time.Date(2030, 5, 6, 7, 8, 9, 0, time.UTC)
	res := f.l.Evaluate(itemsCC, f.alice, "Time", []string{}, cctest.At(at), cctest.WithTxID("tx-fixed"))
	require.Equal(t, at.Format(time.RFC3339), cctest.Decode[string](t, res))
	require.Equal(t, "tx-fixed", res.TxID)

	f.l.SetClock(at.Add(time.Hour))
	require.Equal(t, at.Add(time.Hour).Format(time.RFC3339), cctest.Decode[string](t, f.l.Evaluate(itemsCC, f.alice, "Time", []string{})))

	again := setup(t)
	require.Equal(t, first.TxID, again.l.Evaluate(itemsCC, again.alice, "Time", []string{}).TxID, "tx ids are deterministic")
}

func TestPagination(t *testing.T) {
	f := setup(t)
	for i := range 5 {
		cctest.RequireOK(t, f.l.Invoke(itemsCC, f.alice, "Put", []string{fmt.Sprintf("i-%d", i), "v"}))
	}
	cctest.RequireOK(t, f.l.Invoke(itemsCC, f.bob, "Put", []string{"b-1", "v"}))

	var ids []string
	bookmark := ""
	pages := 0
	for {
		page := cctest.Decode[ccutil.Page[Item]](t, f.l.Evaluate(itemsCC, f.alice, "List", []string{"pat-1", "2", bookmark}))
		pages++
		for _, it := range page.Items {
			ids = append(ids, it.ID)
		}
		if page.Bookmark == "" {
			break
		}
		require.Equal(t, f.l.Key(itemType, "pat-1", fmt.Sprintf("i-%d", len(ids))), page.Bookmark, "the bookmark is the next key")
		bookmark = page.Bookmark
		require.Less(t, pages, 10)
	}
	require.Equal(t, []string{"i-0", "i-1", "i-2", "i-3", "i-4"}, ids, "all of pat-1's items, in key order, none of pat-2's")
	require.Equal(t, 3, pages)

	t.Run("a page of exactly the remaining items has an empty bookmark", func(t *testing.T) {
		page := cctest.Decode[ccutil.Page[Item]](t, f.l.Evaluate(itemsCC, f.alice, "List", []string{"pat-1", "5", ""}))
		require.Len(t, page.Items, 5)
		require.Empty(t, page.Bookmark)
	})
	t.Run("a write after a paginated query fails as on a peer", func(t *testing.T) {
		before := f.l.Snapshot()
		res := f.l.Invoke(itemsCC, f.alice, "ListThenWrite", []string{"pat-1"})
		ce := cctest.RequireCode(t, res, codes.Internal)
		require.Contains(t, ce.Message, "paginated query")
		f.l.RequireUnchanged(t, before)
	})
}

func TestHistory(t *testing.T) {
	f := setup(t)
	put := f.l.Invoke(itemsCC, f.alice, "Put", []string{"i-1", "one"})
	upd := f.l.Invoke(itemsCC, f.alice, "Update", []string{"i-1", "two"})
	del := f.l.Invoke(itemsCC, f.alice, "Remove", []string{"i-1"})
	for _, r := range []*cctest.Result{put, upd, del} {
		cctest.RequireOK(t, r)
	}
	key := f.l.Key(itemType, "pat-1", "i-1")
	require.Nil(t, f.l.State(itemsCC, key))

	h := f.l.History(itemsCC, key)
	require.Len(t, h, 3)
	require.Equal(t, []string{put.TxID, upd.TxID, del.TxID}, []string{h[0].TxID, h[1].TxID, h[2].TxID})
	require.Equal(t, []bool{false, false, true}, []bool{h[0].IsDelete, h[1].IsDelete, h[2].IsDelete})
	require.Equal(t, upd.Time, h[1].Timestamp)

	got := cctest.Decode[[]ItemVersion](t, f.l.Evaluate(itemsCC, f.alice, "History", []string{"pat-1", "i-1"}))
	require.Len(t, got, 3)
	require.Equal(t, put.TxID, got[0].TxID, "ccutil.History reverses Fabric's newest-first order")
	require.Equal(t, "two", got[1].Value.Value)
	require.True(t, got[2].IsDelete)
	require.Nil(t, got[2].Value)
}

func TestPrivateData(t *testing.T) {
	f := setup(t)
	secret := []byte("s3cr3t")
	res := f.l.Invoke(itemsCC, f.alice, "PutSecret", []string{"p-1"}, cctest.WithTransient(map[string][]byte{transientName: secret}))
	cctest.RequireOK(t, res)
	require.Equal(t, secret, f.l.PrivateData(itemsCC, secrets, "p-1"))
	sum := sha256.Sum256(secret)
	require.Equal(t, sum[:], f.l.PrivateDataHash(itemsCC, secrets, "p-1"))
	require.Equal(t, hex.EncodeToString(sum[:]), cctest.Decode[string](t, f.l.Evaluate(itemsCC, f.alice, "SecretHash", []string{"p-1"})))
	require.Equal(t, "s3cr3t", cctest.Decode[string](t, f.l.Evaluate(itemsCC, f.alice, "GetSecret", []string{"p-1"})))
	require.Zero(t, f.l.KeyCount(itemsCC), "private data stays out of public state")

	t.Run("missing transient data is INVALID_ARGUMENT", func(t *testing.T) {
		cctest.RequireCode(t, f.l.Invoke(itemsCC, f.alice, "PutSecret", []string{"p-2"}), codes.InvalidArgument)
	})
	t.Run("an undeclared collection is refused", func(t *testing.T) {
		ce := cctest.RequireCode(t, f.l.Invoke(itemsCC, f.alice, "PutInCollection", []string{"other", "p-3"}), codes.InvalidArgument)
		require.Contains(t, ce.Message, "could not be found")
	})
	t.Run("a purge removes the value and its hash", func(t *testing.T) {
		cctest.RequireOK(t, f.l.Invoke(itemsCC, f.alice, "PurgeSecret", []string{"p-1"}))
		require.Nil(t, f.l.PrivateData(itemsCC, secrets, "p-1"))
		require.Nil(t, f.l.PrivateDataHash(itemsCC, secrets, "p-1"))
		require.Empty(t, cctest.Decode[string](t, f.l.Evaluate(itemsCC, f.alice, "SecretHash", []string{"p-1"})))
		cctest.RequireCode(t, f.l.Evaluate(itemsCC, f.alice, "GetSecret", []string{"p-1"}), codes.NotFound)
	})
}

func TestCrossChaincodeInvoke(t *testing.T) {
	t.Run("the callee's writes join the caller's transaction", func(t *testing.T) {
		f := setup(t)
		res := f.l.Invoke(itemsCC, f.alice, "PutAndCount", []string{"i-1", "v"})
		require.Equal(t, 1, cctest.Decode[int](t, res))
		require.Equal(t, []byte("1"), f.l.State(counterCC, itemType))
		require.Equal(t, res.TxID, f.l.History(counterCC, itemType)[0].TxID)
		require.Equal(t, eventItemPut, res.Event.Name, "only the invoked chaincode's event is kept")
		require.Equal(t, 2, cctest.Decode[int](t, f.l.Invoke(itemsCC, f.alice, "PutAndCount", []string{"i-2", "v"})))
	})
	t.Run("a failing caller drops the callee's writes", func(t *testing.T) {
		f := setup(t)
		before := f.l.Snapshot()
		cctest.RequireCode(t, f.l.Invoke(itemsCC, f.alice, "CountThenFail", []string{}), codes.PreconditionFailed)
		f.l.RequireUnchanged(t, before)
	})
	t.Run("the callee sees the client's identity", func(t *testing.T) {
		f := setup(t)
		require.Equal(t, "pat-2", cctest.Decode[string](t, f.l.Evaluate(itemsCC, f.bob, "CallCounter", []string{"Caller"})))
	})
	t.Run("the callee's stable code reaches the client", func(t *testing.T) {
		f := setup(t)
		cctest.RequireCode(t, f.l.Evaluate(itemsCC, f.bob, "CallCounter", []string{"Deny"}), codes.Forbidden)
	})
	t.Run("an unregistered callee fails", func(t *testing.T) {
		l := cctest.New(t)
		l.Deploy(itemsCC, &ItemsContract{})
		alice := l.Identity("HospitalMSP", "patient1", cctest.RoleAttrs(wire.RolePatient, "pat-1"))
		res := l.Evaluate(itemsCC, alice, "CallCounter", []string{"Caller"})
		cctest.RequireCode(t, res, codes.Unavailable)
		require.Contains(t, res.Message, "not registered")
	})
}

func TestSeedsAndUnknownChaincodes(t *testing.T) {
	f := setup(t)
	key := f.l.Key(itemType, "pat-9", "i-1")
	f.l.SetState(itemsCC, key, []byte(`{"id":"i-1","owner":"pat-9","value":"seeded"}`))
	got := cctest.Decode[Item](t, f.l.Evaluate(itemsCC, f.alice, "Get", []string{"pat-9", "i-1"}))
	require.Equal(t, "seeded", got.Value)
	require.Len(t, f.l.History(itemsCC, key), 1)

	f.l.SetPrivateData(itemsCC, secrets, "p-1", []byte("x"))
	require.Equal(t, []string{"p-1"}, f.l.PrivateKeys(itemsCC, secrets))

	res := f.l.Invoke("nope", f.alice, "Get", []string{})
	require.False(t, res.OK())
	require.Contains(t, res.Message, "not registered")
	require.False(t, errors.Is(res.Err(), &codes.Error{Code: codes.NotFound}))
}

func TestConcurrentInvokesAreSerialised(t *testing.T) {
	f := setup(t)
	done := make(chan *cctest.Result)
	for range 8 {
		go func() {
			done <- f.l.Invoke(counterCC, f.alice, "Incr", []string{"n"})
		}()
	}
	for range 8 {
		r := <-done
		require.True(t, r.OK(), "%s", r)
	}
	require.Equal(t, []byte("8"), f.l.State(counterCC, "n"))
}
