package cctest

import (
	"maps"
	"testing"
)

// Clone returns an independent copy of l that reports the harness's failures through tb: its own
// public state, private data, history, events, declared collections, clock and transaction count,
// so that the same calls on two clones get the same transaction ids and times. The copy shares the
// registered chaincodes (which keep no state between calls) and the MSPs' CAs, so the identities
// made on l work on it.
//
// Build an expensive fixture once and clone it per subtest, or per input of a fuzz target: a fuzz
// target's *testing.F cannot serve the calls its inputs make.
func (l *Ledger) Clone(tb testing.TB) *Ledger {
	l.txMu.Lock()
	defer l.txMu.Unlock()
	l.mu.Lock()
	defer l.mu.Unlock()
	c := &Ledger{
		tb:          tb,
		channel:     l.channel,
		clock:       l.clock,
		seq:         l.seq,
		chaincodes:  maps.Clone(l.chaincodes),
		state:       make(map[string]map[string][]byte, len(l.state)),
		private:     make(map[collectionID]map[string][]byte, len(l.private)),
		collections: make(map[string]map[string]bool, len(l.collections)),
		history:     make(map[string]map[string][]HistoryEntry, len(l.history)),
		events:      make([]Event, len(l.events)),
		cas:         maps.Clone(l.cas),
		consortium:  l.consortium,
		vparams:     make(map[string]map[string][]byte, len(l.vparams)),
		pvtVparams:  make(map[collectionID]map[string][]byte, len(l.pvtVparams)),
	}
	for ns, kv := range l.vparams {
		c.vparams[ns] = cloneMap(kv)
	}
	for id, kv := range l.pvtVparams {
		c.pvtVparams[id] = cloneMap(kv)
	}
	for ns, kv := range l.state {
		c.state[ns] = cloneMap(kv)
	}
	for id, kv := range l.private {
		c.private[id] = cloneMap(kv)
	}
	for ns, names := range l.collections {
		c.collections[ns] = maps.Clone(names)
	}
	for ns, keys := range l.history {
		c.history[ns] = make(map[string][]HistoryEntry, len(keys))
		for k, h := range keys {
			c.history[ns][k] = cloneHistory(h)
		}
	}
	for i, e := range l.events {
		e.Payload = clone(e.Payload)
		c.events[i] = e
	}
	return c
}
