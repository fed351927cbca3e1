package cctest

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/healthledger/healthledger/chaincode/internal/ccguard"
	"github.com/healthledger/healthledger/chaincode/internal/orgroles"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
)

// DefaultChannel is the channel name a Ledger reports unless WithChannel says otherwise.
const DefaultChannel = "healthchannel"

// DefaultStart returns the time of a Ledger's first transaction unless WithStart says otherwise:
// 2025-01-01T09:00:00Z. The clock advances one second per transaction.
func DefaultStart() time.Time {
	return time.Date(2025, time.January, 1, 9, 0, 0, 0, time.UTC)
}

// maxCallDepth bounds chaincode-to-chaincode recursion.
const maxCallDepth = 8

// Option configures a Ledger.
type Option func(*Ledger)

// WithChannel sets the channel name that GetChannelID reports.
func WithChannel(name string) Option {
	return func(l *Ledger) { l.channel = name }
}

// WithStart sets the time of the first transaction.
func WithStart(t time.Time) Option {
	return func(l *Ledger) { l.clock = t.UTC() }
}

// Ledger is an in-memory Fabric channel: registered chaincodes, world state per chaincode namespace,
// private data per (namespace, collection), per-key history and the committed events. It is safe for
// concurrent use; transactions are serialised. Use one Ledger per test or subtest.
type Ledger struct {
	tb      testing.TB
	channel string

	// txMu serialises transactions; mu guards the fields below.
	txMu sync.Mutex
	mu   sync.Mutex

	clock       time.Time
	seq         int
	chaincodes  map[string]shim.Chaincode
	state       map[string]map[string][]byte
	private     map[collectionID]map[string][]byte
	collections map[string]map[string]bool
	history     map[string]map[string][]HistoryEntry
	events      []Event
	cas         map[string]*certAuthority

	// consortium is the map Register installs in each namespace (DefaultConsortium unless
	// WithConsortium); vparams and pvtVparams are the committed key-level endorsement policies.
	consortium *orgroles.Map
	vparams    map[string]map[string][]byte
	pvtVparams map[collectionID]map[string][]byte
}

type collectionID struct {
	ns, coll string
}

// HistoryEntry is one committed version of a public key.
type HistoryEntry struct {
	TxID      string
	Timestamp time.Time
	IsDelete  bool
	Value     []byte
}

// Event is a chaincode event of a transaction.
type Event struct {
	Chaincode string // the namespace of the chaincode invoked by the client
	TxID      string
	Name      string
	Payload   []byte
}

// New returns an empty Ledger. Failures of the harness itself (never of the chaincode under test) are
// reported through tb.
func New(tb testing.TB, opts ...Option) *Ledger {
	l := &Ledger{
		tb:          tb,
		channel:     DefaultChannel,
		clock:       DefaultStart(),
		chaincodes:  map[string]shim.Chaincode{},
		state:       map[string]map[string][]byte{},
		private:     map[collectionID]map[string][]byte{},
		collections: map[string]map[string]bool{},
		history:     map[string]map[string][]HistoryEntry{},
		events:      []Event{},
		cas:         map[string]*certAuthority{},
		consortium:  DefaultConsortium(),
		vparams:     map[string]map[string][]byte{},
		pvtVparams:  map[collectionID]map[string][]byte{},
	}
	for _, o := range opts {
		o(l)
	}
	return l
}

// Channel returns the channel name.
func (l *Ledger) Channel() string { return l.channel }

// Register installs cc under name (the namespace of its state and the target of InvokeChaincode)
// and writes the Ledger's consortium map (DefaultConsortium unless WithConsortium) into the
// namespace, unless it holds one already. A *contractapi.ContractChaincode is a shim.Chaincode.
func (l *Ledger) Register(name string, cc shim.Chaincode) {
	l.tb.Helper()
	if name == "" || cc == nil {
		l.tb.Fatalf("cctest: Register needs a name and a chaincode")
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.chaincodes[name] = cc
	if _, ok := l.state[name][orgroles.Key()]; !ok && l.consortium != nil {
		l.installConsortium(name, l.consortium)
	}
}

// Deploy builds a chaincode from contract as the healthledger chaincodes are built, with
// contractapi.NewChaincode behind the guard (package ccguard), registers it under name and returns
// it. The guard bounds every transaction alike: 1 MiB per argument and per transient field, whatever
// its name. Deploy fails the test when contractapi rejects the contract (e.g. a bad signature).
func (l *Ledger) Deploy(name string, contract contractapi.ContractInterface) *ccguard.Chaincode {
	l.tb.Helper()
	limits, err := ccguard.Uniform(contract, ccguard.Func{MaxArg: 1 << 20, Transient: map[string]int{ccguard.AnyField: 1 << 20}})
	if err != nil {
		l.tb.Fatalf("cctest: building chaincode %s: %v", name, err)
		return nil
	}
	cc, err := ccguard.New(contract, limits, ccguard.WithLog(tbLog{l.tb}))
	if err != nil {
		l.tb.Fatalf("cctest: building chaincode %s: %v", name, err)
		return nil
	}
	l.Register(name, cc)
	return cc
}

// DefineCollections declares the private data collections of namespace ns. Once a namespace has
// declared collections, private data calls on any other collection fail as they do on a peer. Without
// a declaration every collection name is accepted.
func (l *Ledger) DefineCollections(ns string, names ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.collections[ns] == nil {
		l.collections[ns] = map[string]bool{}
	}
	for _, n := range names {
		l.collections[ns][n] = true
	}
}

// SetClock sets the time of the next transaction.
func (l *Ledger) SetClock(t time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.clock = t.UTC()
}

// nextTx returns a fresh transaction id and the default time, and advances the clock.
func (l *Ledger) nextTx() (string, time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seq++
	sum := sha256.Sum256(fmt.Appendf(nil, "cctest-tx-%d", l.seq))
	now := l.clock
	l.clock = l.clock.Add(time.Second)
	return fmt.Sprintf("%x", sum), now
}

// Key builds a composite key as the shim does.
func (l *Ledger) Key(objectType string, attrs ...string) string {
	l.tb.Helper()
	k, err := shim.CreateCompositeKey(objectType, attrs)
	if err != nil {
		l.tb.Fatalf("cctest: composite key: %v", err)
	}
	return k
}

// SetState writes a public key directly, as a committed seed transaction of its own (it gets a tx id,
// a timestamp and a history entry). An empty value deletes the key.
func (l *Ledger) SetState(ns, key string, value []byte) {
	txID, now := l.nextTx()
	c := newTx(txID, now, nil, nil)
	c.public[ns] = map[string][]byte{key: clone(value)}
	l.commit(c, nil)
}

// SetPrivateData writes a private value directly. An empty value deletes the key.
func (l *Ledger) SetPrivateData(ns, coll, key string, value []byte) {
	txID, now := l.nextTx()
	c := newTx(txID, now, nil, nil)
	c.private[collectionID{ns, coll}] = map[string]pvtWrite{key: {value: clone(value)}}
	l.commit(c, nil)
}

// State returns the committed value of a public key, or nil when it is absent.
func (l *Ledger) State(ns, key string) []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return clone(l.state[ns][key])
}

// StateJSON decodes the committed value of a public key into a T, failing the test when the key is
// absent or not JSON of that shape.
func StateJSON[T any](tb testing.TB, l *Ledger, ns, key string) T {
	tb.Helper()
	var v T
	raw := l.State(ns, key)
	if raw == nil {
		tb.Fatalf("cctest: key %q is absent from %s", key, ns)
		return v
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		tb.Fatalf("cctest: decoding %s/%q: %v", ns, key, err)
	}
	return v
}

// PrivateData returns the committed private value, or nil when it is absent (or purged).
func (l *Ledger) PrivateData(ns, coll, key string) []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return clone(l.private[collectionID{ns, coll}][key])
}

// PrivateDataHash returns the sha256 of the committed private value, or nil when it is absent.
func (l *Ledger) PrivateDataHash(ns, coll, key string) []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return hashOf(l.private[collectionID{ns, coll}][key])
}

// Keys returns the public keys of namespace ns in key order (composite keys, which start with 0x00,
// come first), the consortium map's key (orgroles.Key) left out: every namespace has it.
func (l *Ledger) Keys(ns string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	keys := sortedKeys(l.state[ns])
	return slices.DeleteFunc(keys, func(k string) bool { return k == orgroles.Key() })
}

// KeyCount returns how many public keys namespace ns holds, the consortium map's key left out.
func (l *Ledger) KeyCount(ns string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(l.state[ns])
	if _, ok := l.state[ns][orgroles.Key()]; ok {
		n--
	}
	return n
}

// PrivateKeys returns the keys of a private data collection in key order.
func (l *Ledger) PrivateKeys(ns, coll string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return sortedKeys(l.private[collectionID{ns, coll}])
}

// History returns the committed versions of a public key, oldest first.
func (l *Ledger) History(ns, key string) []HistoryEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	return cloneHistory(l.history[ns][key])
}

// Events returns the events of the committed transactions, in commit order.
func (l *Ledger) Events() []Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Event, len(l.events))
	for i, e := range l.events {
		e.Payload = clone(e.Payload)
		out[i] = e
	}
	return out
}

// Snapshot is a deep copy of a Ledger's committed contents, for asserting that nothing changed.
type Snapshot struct {
	state   map[string]map[string][]byte
	private map[collectionID]map[string][]byte
	history map[string]int
	events  int
}

// Snapshot copies the committed contents.
func (l *Ledger) Snapshot() Snapshot {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := Snapshot{
		state:   map[string]map[string][]byte{},
		private: map[collectionID]map[string][]byte{},
		history: map[string]int{},
		events:  len(l.events),
	}
	for ns, kv := range l.state {
		s.state[ns] = cloneMap(kv)
	}
	for id, kv := range l.private {
		s.private[id] = cloneMap(kv)
	}
	for ns, keys := range l.history {
		for k, h := range keys {
			s.history[ns+"\x00"+k] = len(h)
		}
	}
	return s
}

// Changes lists, in a readable form, what differs between s and the current contents. It is empty
// when nothing changed.
func (l *Ledger) Changes(s Snapshot) []string {
	now := l.Snapshot()
	out := []string{}
	for _, ns := range unionKeys(s.state, now.state) {
		out = append(out, diffKV("state "+ns, s.state[ns], now.state[ns])...)
	}
	ids := slices.Collect(maps.Keys(s.private))
	for id := range now.private {
		if _, ok := s.private[id]; !ok {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool {
		if ids[i].ns != ids[j].ns {
			return ids[i].ns < ids[j].ns
		}
		return ids[i].coll < ids[j].coll
	})
	for _, id := range ids {
		out = append(out, diffKV("private "+id.ns+"/"+id.coll, s.private[id], now.private[id])...)
	}
	for _, k := range unionKeys(s.history, now.history) {
		if s.history[k] != now.history[k] {
			out = append(out, fmt.Sprintf("history of %q: %d -> %d versions", k, s.history[k], now.history[k]))
		}
	}
	if s.events != now.events {
		out = append(out, fmt.Sprintf("events: %d -> %d", s.events, now.events))
	}
	return out
}

// RequireUnchanged fails the test when anything changed since s: a public or private key, a history
// or the list of events.
func (l *Ledger) RequireUnchanged(tb testing.TB, s Snapshot) {
	tb.Helper()
	if ch := l.Changes(s); len(ch) > 0 {
		tb.Fatalf("cctest: the ledger changed:\n  %s", joinLines(ch))
	}
}

// commit applies the buffered writes of c and records its event.
func (l *Ledger) commit(c *tx, ev *Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, ns := range sortedKeys(c.public) {
		writes := c.public[ns]
		if l.state[ns] == nil {
			l.state[ns] = map[string][]byte{}
		}
		if l.history[ns] == nil {
			l.history[ns] = map[string][]HistoryEntry{}
		}
		for _, key := range sortedKeys(writes) {
			v := writes[key]
			del := len(v) == 0
			if del {
				delete(l.state[ns], key)
			} else {
				l.state[ns][key] = v
			}
			l.history[ns][key] = append(l.history[ns][key], HistoryEntry{TxID: c.id, Timestamp: c.time, IsDelete: del, Value: clone(v)})
		}
	}
	for id, writes := range c.private {
		if l.private[id] == nil {
			l.private[id] = map[string][]byte{}
		}
		for key, w := range writes {
			if len(w.value) == 0 {
				delete(l.private[id], key)
			} else {
				l.private[id][key] = w.value
			}
		}
	}
	for ns, params := range c.vparams {
		if l.vparams[ns] == nil {
			l.vparams[ns] = map[string][]byte{}
		}
		for key, p := range params {
			l.vparams[ns][key] = clone(p)
		}
	}
	for id, params := range c.pvtVparams {
		if l.pvtVparams[id] == nil {
			l.pvtVparams[id] = map[string][]byte{}
		}
		for key, p := range params {
			l.pvtVparams[id][key] = clone(p)
		}
	}
	if ev != nil {
		l.events = append(l.events, *ev)
	}
}

// committedState returns a copy of a committed public value.
func (l *Ledger) committedState(ns, key string) []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return clone(l.state[ns][key])
}

func (l *Ledger) committedPrivate(id collectionID, key string) []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return clone(l.private[id][key])
}

// collectionErr reports a collection the namespace did not declare.
func (l *Ledger) collectionErr(id collectionID) error {
	if id.coll == "" {
		return fmt.Errorf("collection must not be an empty string")
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	declared := l.collections[id.ns]
	if declared != nil && !declared[id.coll] {
		return fmt.Errorf("collection %s/%s could not be found", id.ns, id.coll)
	}
	return nil
}

// scan returns the committed entries of a namespace or collection with start <= key < end (an empty
// end means no upper bound), in key order.
func (l *Ledger) scan(src func() map[string][]byte, start, end string) []kv {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := src()
	out := []kv{}
	for _, k := range sortedKeys(m) {
		if k < start || (end != "" && k >= end) {
			continue
		}
		out = append(out, kv{key: k, value: clone(m[k])})
	}
	return out
}

func (l *Ledger) history0(ns, key string) []HistoryEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	return cloneHistory(l.history[ns][key])
}

func (l *Ledger) chaincode(name string) (shim.Chaincode, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	cc, ok := l.chaincodes[name]
	return cc, ok
}

type kv struct {
	key   string
	value []byte
}

func hashOf(v []byte) []byte {
	if len(v) == 0 {
		return nil
	}
	sum := sha256.Sum256(v)
	return sum[:]
}

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return bytes.Clone(b)
}

func cloneMap(m map[string][]byte) map[string][]byte {
	out := make(map[string][]byte, len(m))
	for k, v := range m {
		out[k] = clone(v)
	}
	return out
}

func cloneHistory(h []HistoryEntry) []HistoryEntry {
	out := make([]HistoryEntry, len(h))
	for i, e := range h {
		e.Value = clone(e.Value)
		out[i] = e
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := slices.Collect(maps.Keys(m))
	sort.Strings(keys)
	return keys
}

func unionKeys[V any](a, b map[string]V) []string {
	set := map[string]bool{}
	for k := range a {
		set[k] = true
	}
	for k := range b {
		set[k] = true
	}
	return sortedKeys(set)
}

func diffKV(where string, before, after map[string][]byte) []string {
	out := []string{}
	for _, k := range unionKeys(before, after) {
		b, inB := before[k]
		a, inA := after[k]
		switch {
		case !inB:
			out = append(out, fmt.Sprintf("%s: added %q", where, k))
		case !inA:
			out = append(out, fmt.Sprintf("%s: removed %q", where, k))
		case !bytes.Equal(a, b):
			out = append(out, fmt.Sprintf("%s: changed %q", where, k))
		}
	}
	return out
}

func joinLines(lines []string) string {
	var b bytes.Buffer
	for i, s := range lines {
		if i > 0 {
			b.WriteString("\n  ")
		}
		b.WriteString(s)
	}
	return b.String()
}

// tbLog writes a guard's log to the test's log.
type tbLog struct{ tb testing.TB }

func (w tbLog) Write(p []byte) (int, error) {
	w.tb.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
