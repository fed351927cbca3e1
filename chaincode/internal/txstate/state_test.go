package txstate

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"testing"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/stretchr/testify/require"
)

// recorder is a stub that holds committed values and records every write call, in order. Any stub
// method it does not define panics (its embedded interface is nil): State must not call it.
type recorder struct {
	shim.ChaincodeStubInterface
	public   map[string][]byte
	private  map[string]map[string][]byte
	calls    []string
	writeErr error
	readErr  error
}

func newRecorder() *recorder {
	return &recorder{public: map[string][]byte{}, private: map[string]map[string][]byte{}}
}

func (r *recorder) CreateCompositeKey(objectType string, attrs []string) (string, error) {
	return shim.CreateCompositeKey(objectType, attrs)
}

func (r *recorder) GetState(key string) ([]byte, error) { return r.public[key], r.readErr }

func (r *recorder) GetPrivateData(coll, key string) ([]byte, error) {
	return r.private[coll][key], r.readErr
}

func (r *recorder) GetPrivateDataHash(coll, key string) ([]byte, error) {
	v, ok := r.private[coll][key]
	if !ok {
		return nil, r.readErr
	}
	sum := sha256.Sum256(v)
	return sum[:], r.readErr
}

func (r *recorder) record(call string) error {
	r.calls = append(r.calls, call)
	return r.writeErr
}

func (r *recorder) PutState(key string, value []byte) error {
	return r.record(fmt.Sprintf("PutState %s=%s", key, value))
}

func (r *recorder) DelState(key string) error { return r.record("DelState " + key) }

func (r *recorder) PutPrivateData(coll, key string, value []byte) error {
	return r.record(fmt.Sprintf("PutPrivateData %s/%s=%s", coll, key, value))
}

func (r *recorder) DelPrivateData(coll, key string) error {
	return r.record("DelPrivateData " + coll + "/" + key)
}

func (r *recorder) PurgePrivateData(coll, key string) error {
	return r.record("PurgePrivateData " + coll + "/" + key)
}

func TestAStateReadsItsOwnWrites(t *testing.T) {
	cases := []struct {
		name  string
		write func(s *State)
		read  func(s *State) ([]byte, error)
		want  []byte
	}{
		{"a public read answers the committed value when the key was not written", func(*State) {},
			func(s *State) ([]byte, error) { return s.Get("a") }, []byte("committed")},
		{"a public read answers the transaction's put", func(s *State) { s.Put("a", []byte("mine")) },
			func(s *State) ([]byte, error) { return s.Get("a") }, []byte("mine")},
		{"a public read answers nil after a delete", func(s *State) { s.Del("a") },
			func(s *State) ([]byte, error) { return s.Get("a") }, nil},
		{"an empty put is a delete", func(s *State) { s.Put("a", []byte{}) },
			func(s *State) ([]byte, error) { return s.Get("a") }, nil},
		{"a marker is one zero byte", func(s *State) { s.PutMarker("m") },
			func(s *State) ([]byte, error) { return s.Get("m") }, []byte{0}},
		{"the last write of a key wins", func(s *State) { s.Put("a", []byte("one")); s.Del("a"); s.Put("a", []byte("two")) },
			func(s *State) ([]byte, error) { return s.Get("a") }, []byte("two")},
		{"a private read answers the committed value when the key was not written", func(*State) {},
			func(s *State) ([]byte, error) { return s.GetPrivate("c", "p") }, []byte("secret")},
		{"a private read answers the transaction's put", func(s *State) { s.PutPrivate("c", "p", []byte("new")) },
			func(s *State) ([]byte, error) { return s.GetPrivate("c", "p") }, []byte("new")},
		{"a private read answers nil after a delete", func(s *State) { s.DelPrivate("c", "p") },
			func(s *State) ([]byte, error) { return s.GetPrivate("c", "p") }, nil},
		{"a private read answers nil after a purge", func(s *State) { s.PurgePrivate("c", "p") },
			func(s *State) ([]byte, error) { return s.GetPrivate("c", "p") }, nil},
		{"a write to one collection does not show in another", func(s *State) { s.PutPrivate("other", "p", []byte("x")) },
			func(s *State) ([]byte, error) { return s.GetPrivate("c", "p") }, []byte("secret")},
		{"a private hash is the hash of the transaction's put", func(s *State) { s.PutPrivate("c", "p", []byte("new")) },
			func(s *State) ([]byte, error) { return s.GetPrivateHash("c", "p") }, sum("new")},
		{"a private hash is the committed hash when the key was not written", func(*State) {},
			func(s *State) ([]byte, error) { return s.GetPrivateHash("c", "p") }, sum("secret")},
		{"a private hash is nil after a purge", func(s *State) { s.PurgePrivate("c", "p") },
			func(s *State) ([]byte, error) { return s.GetPrivateHash("c", "p") }, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRecorder()
			r.public["a"] = []byte("committed")
			r.private["c"] = map[string][]byte{"p": []byte("secret")}
			s := New(r)
			tc.write(s)
			got, err := tc.read(s)
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
			require.Empty(t, r.calls, "nothing reaches the stub before the flush")
		})
	}
}

func sum(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

func TestJSONRoundTripsThroughTheBuffer(t *testing.T) {
	s := New(newRecorder())
	type rec struct {
		ID string `json:"id"`
		N  int    `json:"n"`
	}
	found, err := s.GetJSON("k", &rec{})
	require.NoError(t, err)
	require.False(t, found, "an absent key is not found, and no error")

	require.NoError(t, s.PutJSON("k", rec{ID: "a", N: 1}))
	require.NoError(t, s.PutPrivateJSON("c", "k", rec{ID: "b", N: 2}))
	var pub, pvt rec
	found, err = s.GetJSON("k", &pub)
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, rec{ID: "a", N: 1}, pub)
	found, err = s.GetPrivateJSON("c", "k", &pvt)
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, rec{ID: "b", N: 2}, pvt)

	s.Put("bad", []byte("{"))
	_, err = s.GetJSON("bad", &pub)
	require.Equal(t, codes.Internal, codes.Of(err))
	require.Equal(t, codes.Internal, codes.Of(s.PutJSON("k", func() {})), "a value JSON cannot encode")
}

func TestAPutKeepsItsOwnCopy(t *testing.T) {
	s := New(newRecorder())
	v := []byte("abc")
	s.Put("k", v)
	s.PutPrivate("c", "k", v)
	v[0] = 'X'
	got, _ := s.Get("k")
	require.Equal(t, "abc", string(got))
	got, _ = s.GetPrivate("c", "k")
	require.Equal(t, "abc", string(got))
}

func TestTheFlushWritesInSortedKeyOrder(t *testing.T) {
	r := newRecorder()
	s := New(r)
	// Written in an order no sort would give.
	s.PutPrivate("zeta", "k2", []byte("z2"))
	s.Put("m", []byte("3"))
	s.PurgePrivate("alpha", "k9")
	s.Del("b")
	s.PutPrivate("zeta", "k1", []byte("z1"))
	s.PutMarker("a")
	s.DelPrivate("alpha", "k1")
	s.Put("z", []byte("1"))
	s.Put("m", []byte("4")) // overwritten: written once, with the last value

	require.NoError(t, s.Flush())
	require.Equal(t, []string{
		"PutState a=\x00",
		"DelState b",
		"PutState m=4",
		"PutState z=1",
		"DelPrivateData alpha/k1",
		"PurgePrivateData alpha/k9",
		"PutPrivateData zeta/k1=z1",
		"PutPrivateData zeta/k2=z2",
	}, r.calls)
}

func TestAnEmptyStateFlushesNothing(t *testing.T) {
	r := newRecorder()
	require.NoError(t, New(r).Flush())
	require.Empty(t, r.calls)
}

func TestFailuresCarryStableCodes(t *testing.T) {
	t.Run("a failed public read is INTERNAL", func(t *testing.T) {
		r := newRecorder()
		r.readErr = errors.New("ledger closed")
		_, err := New(r).Get("k")
		require.Equal(t, codes.Internal, codes.Of(err))
	})
	t.Run("a failed public write is INTERNAL at the flush", func(t *testing.T) {
		r := newRecorder()
		r.writeErr = errors.New("ledger closed")
		s := New(r)
		s.Put("k", []byte("v"))
		require.Equal(t, codes.Internal, codes.Of(s.Flush()))
	})
	t.Run("a private write the peer refuses is FORBIDDEN and names the collection", func(t *testing.T) {
		r := newRecorder()
		r.writeErr = errors.New("tx creator does not have write access permission on privatedata in chaincodeName:claims collectionName: claimsDetails")
		s := New(r)
		s.PutPrivate("claimsDetails", "k", []byte("v"))
		err := s.Flush()
		require.Equal(t, codes.Forbidden, codes.Of(err))
		require.ErrorContains(t, err, "claimsDetails")
		require.ErrorIs(t, err, r.writeErr, "the peer's error stays reachable")
	})
	t.Run("a composite key the shim refuses is INVALID_ARGUMENT", func(t *testing.T) {
		_, err := New(newRecorder()).Key("item", "bad\x00attr")
		require.Equal(t, codes.InvalidArgument, codes.Of(err))
	})
}

func TestPrivateDataErrorsAreClassified(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want codes.Code
	}{
		{"a read the collection's policy refuses is FORBIDDEN", errors.New("tx creator does not have read access permission on privatedata"), codes.Forbidden},
		{"a write the collection's policy refuses is FORBIDDEN", errors.New("tx creator does not have write access permission on privatedata"), codes.Forbidden},
		{"data this peer does not hold is UNAVAILABLE", errors.New("private data matching public hash version is not available"), codes.Unavailable},
		{"an undefined collection is UNAVAILABLE", errors.New("collection claims/x could not be found"), codes.Unavailable},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, codes.Of(privateErr("reading", "c", tc.err)))
		})
	}
}
