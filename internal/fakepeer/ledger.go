package fakepeer

import (
	"context"
	"sync"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// Ledger is a fake ordering service and channel ledger that one or more fake gateways share (see
// Gateway.Ledger). It keeps Fabric's rules for transaction ids: every transaction handed over is
// committed in a block of its own, unless Lose says that the orderer lost it; a copy of a transaction
// id that committed before is committed again as DUPLICATE_TXID; and a commit status request answers
// with the id's first commit, waiting for one when there is none yet, as a peer's gateway does.
type Ledger struct {
	// Lose reports whether the orderer loses the n-th hand-over (0 for the first, counted over every
	// transaction id): accepted, and never committed, as when a Raft leader dies with the transaction
	// in its batch. Nil loses none.
	Lose func(n int, txID string) bool
	// Code is the validation code that a transaction id's first copy commits with. Nil means VALID.
	Code func(txID string) peer.TxValidationCode
	// Delay is how long after its hand-over a transaction commits. Zero commits at once.
	Delay time.Duration

	mu         sync.Mutex
	broadcasts []string
	blocks     []Commit
	first      map[string]Commit
	changed    chan struct{}
}

// Commit is one transaction in one block of a Ledger.
type Commit struct {
	TxID  string
	Block uint64
	Code  peer.TxValidationCode
}

// Broadcast hands txID to the fake orderer, as a gateway's Submit does. The copy commits after Delay
// unless Lose says that it is lost.
func (l *Ledger) Broadcast(txID string) {
	l.mu.Lock()
	n := len(l.broadcasts)
	l.broadcasts = append(l.broadcasts, txID)
	l.mu.Unlock()
	if l.Lose != nil && l.Lose(n, txID) {
		return
	}
	if l.Delay <= 0 {
		l.commit(txID)
		return
	}
	time.AfterFunc(l.Delay, func() { l.commit(txID) })
}

func (l *Ledger) commit(txID string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := Commit{TxID: txID, Block: uint64(len(l.blocks)) + 1, Code: peer.TxValidationCode_VALID}
	if l.first == nil {
		l.first = map[string]Commit{}
	}
	if _, dup := l.first[txID]; dup {
		c.Code = peer.TxValidationCode_DUPLICATE_TXID
	} else {
		if l.Code != nil {
			c.Code = l.Code(txID)
		}
		l.first[txID] = c
	}
	l.blocks = append(l.blocks, c)
	if l.changed != nil {
		close(l.changed)
		l.changed = nil
	}
}

// Status returns the first commit of txID, waiting for it until ctx ends.
func (l *Ledger) Status(ctx context.Context, txID string) (Commit, error) {
	for {
		l.mu.Lock()
		c, ok := l.first[txID]
		if ok {
			l.mu.Unlock()
			return c, nil
		}
		if l.changed == nil {
			l.changed = make(chan struct{})
		}
		changed := l.changed
		l.mu.Unlock()
		select {
		case <-ctx.Done():
			return Commit{}, ctx.Err()
		case <-changed:
		}
	}
}

// Broadcasts returns the transaction ids handed over, in order, one per hand-over.
func (l *Ledger) Broadcasts() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.broadcasts...)
}

// Blocks returns every commit, in block order.
func (l *Ledger) Blocks() []Commit {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Commit(nil), l.blocks...)
}
