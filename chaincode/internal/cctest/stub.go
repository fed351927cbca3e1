package cctest

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/queryresult"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// ErrNotSupported is returned (wrapped) by the stub methods that cctest does not model.
var ErrNotSupported = errors.New("not supported by cctest")

// Key prefixes of the shim (see shim.CreateCompositeKey).
const (
	compositeKeyNamespace = "\x00"
	emptyKeySubstitute    = "\x01"
)

// tx is one transaction being simulated: its identity, time, transient data and buffered writes.
// Chaincodes called through InvokeChaincode share their caller's tx.
type tx struct {
	id        string
	time      time.Time
	creator   []byte
	transient map[string][]byte

	public  map[string]map[string][]byte // namespace -> key -> value; empty value = delete
	private map[collectionID]map[string]pvtWrite

	// Key-level endorsement policies set by the transaction.
	vparams    map[string]map[string][]byte
	pvtVparams map[collectionID]map[string][]byte

	// The peer's simulator rules: a transaction that wrote may not run a paginated or private data
	// query, and one that ran such a query may not write.
	wrote, paginated, pvtQueried bool
}

type pvtWrite struct {
	value []byte // empty = delete
	purge bool
}

func newTx(id string, at time.Time, creator []byte, transient map[string][]byte) *tx {
	t := &tx{
		id:        id,
		time:      at.UTC(),
		creator:   clone(creator),
		transient: map[string][]byte{},
		public:    map[string]map[string][]byte{},
		private:   map[collectionID]map[string]pvtWrite{},

		vparams:    map[string]map[string][]byte{},
		pvtVparams: map[collectionID]map[string][]byte{},
	}
	for k, v := range transient {
		t.transient[k] = clone(v)
	}
	return t
}

func (t *tx) writes() int {
	n := 0
	for _, m := range t.public {
		n += len(m)
	}
	for _, m := range t.private {
		n += len(m)
	}
	return n
}

func (t *tx) checkWrite() error {
	switch {
	case t.pvtQueried:
		return fmt.Errorf("txid [%s]: unsupported transaction: queries on private data are supported only in a read-only transaction", t.id)
	case t.paginated:
		return fmt.Errorf("txid [%s]: unsupported transaction: the transaction has already performed a paginated query, writes are not allowed", t.id)
	}
	t.wrote = true
	return nil
}

func (t *tx) checkPaginated() error {
	if t.wrote {
		return fmt.Errorf("txid [%s]: unsupported transaction: paginated queries are supported only in a read-only transaction", t.id)
	}
	t.paginated = true
	return nil
}

func (t *tx) checkPvtQuery() error {
	if t.wrote {
		return fmt.Errorf("txid [%s]: unsupported transaction: queries on private data are supported only in a read-only transaction", t.id)
	}
	t.pvtQueried = true
	return nil
}

// stub is the fake shim.ChaincodeStubInterface seen by one chaincode in one transaction.
type stub struct {
	l     *Ledger
	tx    *tx
	ns    string
	args  [][]byte
	depth int

	event *peer.ChaincodeEvent
}

var _ shim.ChaincodeStubInterface = (*stub)(nil)

func notSupported(method string) error {
	return fmt.Errorf("%s: %w", method, ErrNotSupported)
}

// GetArgs returns the invocation arguments, function name first.
func (s *stub) GetArgs() [][]byte {
	out := make([][]byte, len(s.args))
	for i, a := range s.args {
		out[i] = clone(a)
	}
	return out
}

// GetStringArgs returns the arguments as strings.
func (s *stub) GetStringArgs() []string {
	out := make([]string, len(s.args))
	for i, a := range s.args {
		out[i] = string(a)
	}
	return out
}

// GetFunctionAndParameters splits the arguments into the function name and its parameters.
func (s *stub) GetFunctionAndParameters() (string, []string) {
	all := s.GetStringArgs()
	if len(all) == 0 {
		return "", []string{}
	}
	return all[0], all[1:]
}

// GetArgsSlice returns the arguments concatenated.
func (s *stub) GetArgsSlice() ([]byte, error) {
	return bytes.Join(s.args, nil), nil
}

// GetTxID returns the transaction id.
func (s *stub) GetTxID() string { return s.tx.id }

// GetChannelID returns the ledger's channel name.
func (s *stub) GetChannelID() string { return s.l.channel }

// InvokeChaincode runs another registered chaincode inside the same transaction: it sees the same
// creator, time and transient data, and its writes join the caller's (they commit only if the
// client's call succeeds). Like on a peer, its event is not part of the transaction's.
func (s *stub) InvokeChaincode(name string, args [][]byte, channel string) *peer.Response {
	if channel != "" && channel != s.l.channel {
		return &peer.Response{Status: shim.ERROR, Message: fmt.Sprintf("calling chaincode %s on channel %s: other channels are %v", name, channel, ErrNotSupported)}
	}
	cc, ok := s.l.chaincode(name)
	if !ok {
		return &peer.Response{Status: shim.ERROR, Message: fmt.Sprintf("cctest: chaincode %q is not registered on channel %s", name, s.l.channel)}
	}
	if s.depth+1 >= maxCallDepth {
		return &peer.Response{Status: shim.ERROR, Message: fmt.Sprintf("cctest: chaincode call depth exceeds %d", maxCallDepth)}
	}
	argv := make([][]byte, len(args))
	for i, a := range args {
		argv[i] = clone(a)
	}
	callee := &stub{l: s.l, tx: s.tx, ns: name, args: argv, depth: s.depth + 1}
	return run(cc, callee)
}

// GetState returns the committed value (no read-your-writes, as on a peer).
func (s *stub) GetState(key string) ([]byte, error) {
	return s.l.committedState(s.ns, key), nil
}

// GetMultipleStates returns the committed values of keys, nil for absent ones.
func (s *stub) GetMultipleStates(keys ...string) ([][]byte, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	out := make([][]byte, len(keys))
	for i, k := range keys {
		out[i] = s.l.committedState(s.ns, k)
	}
	return out, nil
}

// PutState buffers a write; an empty value deletes the key, as in Fabric's write sets.
func (s *stub) PutState(key string, value []byte) error {
	return bufferWrite(s.tx, s.tx.public, s.ns, key, value)
}

// bufferWrite records value under (where, key) in one of the transaction's write buffers, once the
// peer's simulator rules allow a write.
func bufferWrite[W comparable](t *tx, buf map[W]map[string][]byte, where W, key string, value []byte) error {
	if key == "" {
		return errors.New("key must not be an empty string")
	}
	if err := t.checkWrite(); err != nil {
		return err
	}
	if buf[where] == nil {
		buf[where] = map[string][]byte{}
	}
	buf[where][key] = clone(value)
	return nil
}

// DelState buffers a delete.
func (s *stub) DelState(key string) error {
	return s.PutState(key, nil)
}

// SetStateValidationParameter buffers a key-level endorsement policy for key; it is committed with
// the transaction (Ledger.ValidationParameter reads it). cctest records the policy but does not
// enforce it: no endorsements are simulated.
func (s *stub) SetStateValidationParameter(key string, ep []byte) error {
	return bufferWrite(s.tx, s.tx.vparams, s.ns, key, ep)
}

// GetStateValidationParameter returns the committed key-level endorsement policy of key (nil when it
// has none), as a peer does: not this transaction's own.
func (s *stub) GetStateValidationParameter(key string) ([]byte, error) {
	s.l.mu.Lock()
	defer s.l.mu.Unlock()
	return clone(s.l.vparams[s.ns][key]), nil
}

func (s *stub) publicSource() func() map[string][]byte {
	return func() map[string][]byte { return s.l.state[s.ns] }
}

func (s *stub) privateSource(id collectionID) func() map[string][]byte {
	return func() map[string][]byte { return s.l.private[id] }
}

// GetStateByRange iterates committed simple keys with startKey <= key < endKey.
func (s *stub) GetStateByRange(startKey, endKey string) (shim.StateQueryIteratorInterface, error) {
	if startKey == "" {
		startKey = emptyKeySubstitute
	}
	if err := validateSimpleKeys(startKey, endKey); err != nil {
		return nil, err
	}
	return &kvIter{ns: s.ns, items: s.l.scan(s.publicSource(), startKey, endKey)}, nil
}

// GetStateByRangeWithPagination is GetStateByRange one page at a time.
func (s *stub) GetStateByRangeWithPagination(startKey, endKey string, pageSize int32, bookmark string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	if startKey == "" {
		startKey = emptyKeySubstitute
	}
	if err := validateSimpleKeys(startKey, endKey); err != nil {
		return nil, nil, err
	}
	return s.page(s.publicSource(), startKey, endKey, pageSize, bookmark)
}

// GetStateByPartialCompositeKey iterates the committed composite keys with the given prefix.
func (s *stub) GetStateByPartialCompositeKey(objectType string, attrs []string) (shim.StateQueryIteratorInterface, error) {
	start, end, err := partialRange(objectType, attrs)
	if err != nil {
		return nil, err
	}
	return &kvIter{ns: s.ns, items: s.l.scan(s.publicSource(), start, end)}, nil
}

// GetStateByPartialCompositeKeyWithPagination is GetStateByPartialCompositeKey one page at a time.
func (s *stub) GetStateByPartialCompositeKeyWithPagination(objectType string, attrs []string, pageSize int32, bookmark string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	start, end, err := partialRange(objectType, attrs)
	if err != nil {
		return nil, nil, err
	}
	return s.page(s.publicSource(), start, end, pageSize, bookmark)
}

// GetAllStatesCompositeKeyWithPagination pages through every composite key of the namespace.
func (s *stub) GetAllStatesCompositeKeyWithPagination(pageSize int32, bookmark string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	return s.page(s.publicSource(), compositeKeyNamespace, emptyKeySubstitute, pageSize, bookmark)
}

// page reads one page. As on a peer (LevelDB), a non-empty bookmark replaces the start key as it is,
// and the returned bookmark is the first key after the page within the range, or "" when none is
// left. A page size of 0 means no limit.
func (s *stub) page(src func() map[string][]byte, start, end string, pageSize int32, bookmark string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	if pageSize < 0 {
		return nil, nil, fmt.Errorf("page size %d must not be negative", pageSize)
	}
	if err := s.tx.checkPaginated(); err != nil {
		return nil, nil, err
	}
	if bookmark != "" {
		start = bookmark
	}
	items := s.l.scan(src, start, end)
	next := ""
	if pageSize > 0 && len(items) > int(pageSize) {
		next = items[pageSize].key
		items = items[:pageSize]
	}
	meta := &peer.QueryResponseMetadata{FetchedRecordsCount: int32(len(items)), Bookmark: next}
	return &kvIter{ns: s.ns, items: items}, meta, nil
}

// CreateCompositeKey builds a composite key as the shim does.
func (s *stub) CreateCompositeKey(objectType string, attrs []string) (string, error) {
	return shim.CreateCompositeKey(objectType, attrs)
}

// SplitCompositeKey splits a composite key as the shim does.
func (s *stub) SplitCompositeKey(key string) (string, []string, error) {
	parts := []string{}
	begin := 1
	for i := 1; i < len(key); i++ {
		if key[i] == 0 {
			parts = append(parts, key[begin:i])
			begin = i + 1
		}
	}
	if len(parts) == 0 {
		return "", []string{}, nil
	}
	return parts[0], parts[1:], nil
}

// GetQueryResult is not supported: rich queries need CouchDB, cctest models LevelDB.
func (s *stub) GetQueryResult(string) (shim.StateQueryIteratorInterface, error) {
	return nil, notSupported("GetQueryResult (rich queries)")
}

// GetQueryResultWithPagination is not supported.
func (s *stub) GetQueryResultWithPagination(string, int32, string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	return nil, nil, notSupported("GetQueryResultWithPagination (rich queries)")
}

// GetHistoryForKey returns the committed versions of key, newest first, as Fabric does.
func (s *stub) GetHistoryForKey(key string) (shim.HistoryQueryIteratorInterface, error) {
	h := s.l.history0(s.ns, key)
	items := make([]*queryresult.KeyModification, 0, len(h))
	for i := len(h) - 1; i >= 0; i-- {
		e := h[i]
		items = append(items, &queryresult.KeyModification{
			TxId:      e.TxID,
			Value:     e.Value,
			Timestamp: timestamppb.New(e.Timestamp),
			IsDelete:  e.IsDelete,
		})
	}
	return &historyIter{items: items}, nil
}

func (s *stub) collection(coll string) (collectionID, error) {
	id := collectionID{ns: s.ns, coll: coll}
	return id, s.l.collectionErr(id)
}

// GetPrivateData returns the committed private value (no read-your-writes).
func (s *stub) GetPrivateData(coll, key string) ([]byte, error) {
	id, err := s.collection(coll)
	if err != nil {
		return nil, err
	}
	return s.l.committedPrivate(id, key), nil
}

// GetMultiplePrivateData returns committed private values, nil for absent ones.
func (s *stub) GetMultiplePrivateData(coll string, keys ...string) ([][]byte, error) {
	id, err := s.collection(coll)
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, nil
	}
	out := make([][]byte, len(keys))
	for i, k := range keys {
		out[i] = s.l.committedPrivate(id, k)
	}
	return out, nil
}

// GetPrivateDataHash returns the sha256 of the committed private value, nil when absent.
func (s *stub) GetPrivateDataHash(coll, key string) ([]byte, error) {
	id, err := s.collection(coll)
	if err != nil {
		return nil, err
	}
	return hashOf(s.l.committedPrivate(id, key)), nil
}

func (s *stub) putPrivate(coll, key string, w pvtWrite) error {
	id, err := s.collection(coll)
	if err != nil {
		return err
	}
	if key == "" {
		return errors.New("key must not be an empty string")
	}
	if err := s.tx.checkWrite(); err != nil {
		return err
	}
	if s.tx.private[id] == nil {
		s.tx.private[id] = map[string]pvtWrite{}
	}
	s.tx.private[id][key] = w
	return nil
}

// PutPrivateData buffers a private write; an empty value deletes the key.
func (s *stub) PutPrivateData(coll, key string, value []byte) error {
	return s.putPrivate(coll, key, pvtWrite{value: clone(value)})
}

// DelPrivateData buffers a private delete.
func (s *stub) DelPrivateData(coll, key string) error {
	return s.putPrivate(coll, key, pvtWrite{})
}

// PurgePrivateData buffers a purge: on commit the value and its hash are gone.
func (s *stub) PurgePrivateData(coll, key string) error {
	return s.putPrivate(coll, key, pvtWrite{purge: true})
}

// SetPrivateDataValidationParameter buffers a key-level endorsement policy for a private key; it is
// committed with the transaction (Ledger.PrivateValidationParameter reads it), not enforced.
func (s *stub) SetPrivateDataValidationParameter(coll, key string, ep []byte) error {
	id, err := s.collection(coll)
	if err != nil {
		return err
	}
	return bufferWrite(s.tx, s.tx.pvtVparams, id, key, ep)
}

// GetPrivateDataValidationParameter returns the committed key-level endorsement policy of a private
// key (nil when it has none).
func (s *stub) GetPrivateDataValidationParameter(coll, key string) ([]byte, error) {
	id, err := s.collection(coll)
	if err != nil {
		return nil, err
	}
	s.l.mu.Lock()
	defer s.l.mu.Unlock()
	return clone(s.l.pvtVparams[id][key]), nil
}

// GetPrivateDataByRange iterates committed private keys with startKey <= key < endKey.
func (s *stub) GetPrivateDataByRange(coll, startKey, endKey string) (shim.StateQueryIteratorInterface, error) {
	id, err := s.collection(coll)
	if err != nil {
		return nil, err
	}
	if startKey == "" {
		startKey = emptyKeySubstitute
	}
	if err := validateSimpleKeys(startKey, endKey); err != nil {
		return nil, err
	}
	if err := s.tx.checkPvtQuery(); err != nil {
		return nil, err
	}
	return &kvIter{ns: s.ns, items: s.l.scan(s.privateSource(id), startKey, endKey)}, nil
}

// GetPrivateDataByPartialCompositeKey iterates committed private composite keys with a prefix.
func (s *stub) GetPrivateDataByPartialCompositeKey(coll, objectType string, attrs []string) (shim.StateQueryIteratorInterface, error) {
	id, err := s.collection(coll)
	if err != nil {
		return nil, err
	}
	start, end, err := partialRange(objectType, attrs)
	if err != nil {
		return nil, err
	}
	if err := s.tx.checkPvtQuery(); err != nil {
		return nil, err
	}
	return &kvIter{ns: s.ns, items: s.l.scan(s.privateSource(id), start, end)}, nil
}

// GetPrivateDataQueryResult is not supported.
func (s *stub) GetPrivateDataQueryResult(string, string) (shim.StateQueryIteratorInterface, error) {
	return nil, notSupported("GetPrivateDataQueryResult (rich queries)")
}

// GetCreator returns the serialized msp.SerializedIdentity of the client.
func (s *stub) GetCreator() ([]byte, error) {
	if len(s.tx.creator) == 0 {
		return nil, errors.New("cctest: the transaction has no creator")
	}
	return clone(s.tx.creator), nil
}

// GetTransient returns a copy of the transient data.
func (s *stub) GetTransient() (map[string][]byte, error) {
	out := make(map[string][]byte, len(s.tx.transient))
	for k, v := range s.tx.transient {
		out[k] = clone(v)
	}
	return out, nil
}

// GetBinding is not supported.
func (s *stub) GetBinding() ([]byte, error) { return nil, notSupported("GetBinding") }

// GetDecorations returns no decorations.
func (s *stub) GetDecorations() map[string][]byte { return map[string][]byte{} }

// GetSignedProposal is not supported.
func (s *stub) GetSignedProposal() (*peer.SignedProposal, error) {
	return nil, notSupported("GetSignedProposal")
}

// GetTxTimestamp returns the transaction's time.
func (s *stub) GetTxTimestamp() (*timestamppb.Timestamp, error) {
	return timestamppb.New(s.tx.time), nil
}

// SetEvent sets the chaincode's event; the last one set wins.
func (s *stub) SetEvent(name string, payload []byte) error {
	if name == "" {
		return errors.New("event name can not be empty string")
	}
	s.event = &peer.ChaincodeEvent{EventName: name, Payload: clone(payload), TxId: s.tx.id, ChaincodeId: s.ns}
	return nil
}

// StartWriteBatch does nothing: writes are buffered anyway.
func (s *stub) StartWriteBatch() {}

// FinishWriteBatch does nothing.
func (s *stub) FinishWriteBatch() error { return nil }

func validateSimpleKeys(keys ...string) error {
	for _, k := range keys {
		if len(k) > 0 && k[0] == compositeKeyNamespace[0] {
			return fmt.Errorf("first character of the key [%s] contains a null character which is not allowed", k)
		}
	}
	return nil
}

func partialRange(objectType string, attrs []string) (string, string, error) {
	prefix, err := shim.CreateCompositeKey(objectType, attrs)
	if err != nil {
		return "", "", err
	}
	return prefix, prefix + string(rune(0x10FFFF)), nil
}

// run calls cc.Invoke and turns a panic into an error response.
func run(cc shim.Chaincode, s *stub) (resp *peer.Response) {
	defer func() {
		if p := recover(); p != nil {
			resp = &peer.Response{Status: shim.ERROR, Message: fmt.Sprintf("cctest: chaincode %s panicked: %v", s.ns, p)}
		}
	}()
	resp = cc.Invoke(s)
	if resp == nil {
		return &peer.Response{Status: shim.ERROR, Message: fmt.Sprintf("cctest: chaincode %s returned no response", s.ns)}
	}
	return resp
}

type kvIter struct {
	ns     string
	items  []kv
	next   int
	closed bool
}

func (it *kvIter) HasNext() bool { return !it.closed && it.next < len(it.items) }

func (it *kvIter) Next() (*queryresult.KV, error) {
	if !it.HasNext() {
		return nil, errors.New("cctest: iterator has no more items")
	}
	e := it.items[it.next]
	it.next++
	return &queryresult.KV{Namespace: it.ns, Key: e.key, Value: clone(e.value)}, nil
}

func (it *kvIter) Close() error {
	it.closed = true
	return nil
}

type historyIter struct {
	items  []*queryresult.KeyModification
	next   int
	closed bool
}

func (it *historyIter) HasNext() bool { return !it.closed && it.next < len(it.items) }

func (it *historyIter) Next() (*queryresult.KeyModification, error) {
	if !it.HasNext() {
		return nil, errors.New("cctest: iterator has no more items")
	}
	e := it.items[it.next]
	it.next++
	return e, nil
}

func (it *historyIter) Close() error {
	it.closed = true
	return nil
}
