package txstate

import (
	"crypto/sha256"
	"encoding/json"
	"slices"
	"strings"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
)

// marker is the value of an index entry whose key says it all: one zero byte, since Fabric takes an
// empty value for a delete.
var marker = []byte{0}

// State is one transaction's view of the world state and private data: the committed values, overlaid
// with the transaction's own buffered writes. It is not safe for concurrent use; a transaction has one.
type State struct {
	stub    shim.ChaincodeStubInterface
	public  map[string][]byte              // key -> value; nil: deleted
	private map[string]map[string]pvtWrite // collection -> key -> write
}

type pvtOp int

const (
	pvtPut pvtOp = iota
	pvtDel
	pvtPurge
)

type pvtWrite struct {
	op    pvtOp
	value []byte // for pvtPut
}

// New returns an empty state over stub.
func New(stub shim.ChaincodeStubInterface) *State {
	return &State{stub: stub, public: map[string][]byte{}, private: map[string]map[string]pvtWrite{}}
}

// Key builds a composite key, failing with INVALID_ARGUMENT on attributes the shim rejects.
func (s *State) Key(objectType string, attrs ...string) (string, error) {
	k, err := s.stub.CreateCompositeKey(objectType, attrs)
	if err != nil {
		return "", codes.New(codes.InvalidArgument, "building a %s key: %v", objectType, err)
	}
	return k, nil
}

// Get returns the value of a public key: this transaction's write if it wrote the key, else the
// committed value. It returns nil when the key is absent or deleted. The caller must not modify the
// slice.
func (s *State) Get(key string) ([]byte, error) {
	if v, ok := s.public[key]; ok {
		return v, nil
	}
	v, err := s.stub.GetState(key)
	if err != nil {
		return nil, codes.New(codes.Internal, "reading %q: %v", key, err)
	}
	if len(v) == 0 {
		return nil, nil
	}
	return v, nil
}

// GetJSON decodes the value of a public key into v. It reports false, with no error, when the key is
// absent.
func (s *State) GetJSON(key string, v any) (bool, error) {
	raw, err := s.Get(key)
	if err != nil {
		return false, err
	}
	return decode(key, raw, v)
}

// Put writes value under a public key. An empty value deletes the key, as on a peer.
func (s *State) Put(key string, value []byte) {
	if len(value) == 0 {
		s.public[key] = nil
		return
	}
	s.public[key] = slices.Clone(value)
}

// PutJSON writes v, encoded as JSON, under a public key.
func (s *State) PutJSON(key string, v any) error {
	raw, err := encode(key, v)
	if err != nil {
		return err
	}
	s.public[key] = raw
	return nil
}

// PutMarker writes an index entry: a key whose value is one zero byte.
func (s *State) PutMarker(key string) { s.public[key] = marker }

// Del deletes a public key.
func (s *State) Del(key string) { s.public[key] = nil }

// GetPrivate returns the value of a key of a private data collection: this transaction's write if it
// wrote the key, else the value this peer holds. It returns nil when the key is absent, deleted or
// purged. The caller must not modify the slice.
func (s *State) GetPrivate(collection, key string) ([]byte, error) {
	if w, ok := s.private[collection][key]; ok {
		return w.value, nil
	}
	v, err := s.stub.GetPrivateData(collection, key)
	if err != nil {
		return nil, privateErr("reading", collection, err)
	}
	if len(v) == 0 {
		return nil, nil
	}
	return v, nil
}

// GetPrivateJSON decodes the value of a private key into v. It reports false, with no error, when the
// key is absent.
func (s *State) GetPrivateJSON(collection, key string, v any) (bool, error) {
	raw, err := s.GetPrivate(collection, key)
	if err != nil {
		return false, err
	}
	return decode(key, raw, v)
}

// GetPrivateHash returns the sha256 of the value of a private key, which every peer of the channel
// holds, member of the collection or not: of this transaction's write if it wrote the key, else the
// committed hash. It returns nil when the key is absent, deleted or purged.
func (s *State) GetPrivateHash(collection, key string) ([]byte, error) {
	if w, ok := s.private[collection][key]; ok {
		if w.op != pvtPut {
			return nil, nil
		}
		sum := sha256.Sum256(w.value)
		return sum[:], nil
	}
	h, err := s.stub.GetPrivateDataHash(collection, key)
	if err != nil {
		return nil, privateErr("reading the hash of", collection, err)
	}
	if len(h) == 0 {
		return nil, nil
	}
	return h, nil
}

// PutPrivate writes value under a key of a private data collection. An empty value deletes the key.
func (s *State) PutPrivate(collection, key string, value []byte) {
	if len(value) == 0 {
		s.writePrivate(collection, key, pvtWrite{op: pvtDel})
		return
	}
	s.writePrivate(collection, key, pvtWrite{op: pvtPut, value: slices.Clone(value)})
}

// PutPrivateJSON writes v, encoded as JSON, under a private key.
func (s *State) PutPrivateJSON(collection, key string, v any) error {
	raw, err := encode(key, v)
	if err != nil {
		return err
	}
	s.writePrivate(collection, key, pvtWrite{op: pvtPut, value: raw})
	return nil
}

// DelPrivate deletes a private key. Its hash stays in the history of the channel's blocks.
func (s *State) DelPrivate(collection, key string) {
	s.writePrivate(collection, key, pvtWrite{op: pvtDel})
}

// PurgePrivate purges a private key with Fabric's private data purge: the value and its hash are
// removed from the peers' state and history.
func (s *State) PurgePrivate(collection, key string) {
	s.writePrivate(collection, key, pvtWrite{op: pvtPurge})
}

func (s *State) writePrivate(collection, key string, w pvtWrite) {
	m, ok := s.private[collection]
	if !ok {
		m = map[string]pvtWrite{}
		s.private[collection] = m
	}
	m[key] = w
}

// Flush writes the buffered changes to the stub: the public keys in sorted order, then each
// collection's keys, collections and keys in sorted order. [Flush] (the AfterTransaction hook) calls
// it; a contract function never does.
func (s *State) Flush() error {
	for _, k := range sortedKeys(s.public) {
		var err error
		if v := s.public[k]; v == nil {
			err = s.stub.DelState(k)
		} else {
			err = s.stub.PutState(k, v)
		}
		if err != nil {
			return codes.New(codes.Internal, "writing %q: %v", k, err)
		}
	}
	for _, coll := range sortedKeys(s.private) {
		writes := s.private[coll]
		for _, k := range sortedKeys(writes) {
			var err error
			switch w := writes[k]; w.op {
			case pvtPut:
				err = s.stub.PutPrivateData(coll, k, w.value)
			case pvtDel:
				err = s.stub.DelPrivateData(coll, k)
			case pvtPurge:
				err = s.stub.PurgePrivateData(coll, k)
			}
			if err != nil {
				return privateErr("writing", coll, err)
			}
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func decode(key string, raw []byte, v any) (bool, error) {
	if len(raw) == 0 {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return false, codes.New(codes.Internal, "decoding %q: %v", key, err)
	}
	return true, nil
}

func encode(key string, v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, codes.New(codes.Internal, "encoding %q: %v", key, err)
	}
	return raw, nil
}

// privateErr classifies a private data failure. A peer refuses a client whose organisation is not a
// member of the collection (memberOnlyRead, memberOnlyWrite): FORBIDDEN. Anything else (the
// collection is not defined, this peer is no member or lacks the data): UNAVAILABLE.
func privateErr(verb, collection string, err error) error {
	msg := err.Error()
	if strings.Contains(msg, "does not have read access") || strings.Contains(msg, "does not have write access") {
		return codes.Wrap(codes.Forbidden, err, "%s private data of collection %s: %v", verb, collection, err)
	}
	return codes.Wrap(codes.Unavailable, err, "%s private data of collection %s (is this peer a member?): %v", verb, collection, err)
}
