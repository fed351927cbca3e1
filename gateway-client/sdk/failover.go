package sdk

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-gateway/pkg/hash"
	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/status"
)

// session is one connection to one gateway peer. A client has one current session; a failover
// replaces it, and the replaced one is closed once the calls still using it are done.
type session struct {
	b    backend
	peer PeerEndpoint
	// index is the peer's position in the profile's list; -1 when the client cannot fail over.
	index int
	// up reports whether the connection to the peer is up; nil means it cannot tell (assumed up).
	up func() bool

	// users counts the calls in flight on the session; retired marks a replaced session. Both are
	// guarded by the client's mu.
	users   int
	retired bool

	closeOnce sync.Once
	closeErr  error
}

func (s *session) close() error {
	s.closeOnce.Do(func() { s.closeErr = s.b.close() })
	return s.closeErr
}

// dialer opens sessions to the peers of a profile for one identity.
type dialer struct {
	peers   []PeerEndpoint
	cfg     *config
	channel string
	id      identity.Identity
	sign    identity.Sign
}

// first opens a session to the first peer, in the profile's order, that answers. When none does, the
// error lists every peer and why it failed.
func (d *dialer) first(ctx context.Context) (*session, error) {
	var errs []error
	for i := range d.peers {
		s, err := d.open(ctx, i)
		if err == nil {
			return s, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("no peer reachable: %w", errors.Join(errs...))
}

// open dials the peer at index and builds the fabric-gateway client over the connection.
func (d *dialer) open(ctx context.Context, index int) (*session, error) {
	if index < 0 || index >= len(d.peers) {
		return nil, fmt.Errorf("no peer %d in the profile", index)
	}
	p := d.peers[index]
	conn, err := dialPeer(ctx, p, d.cfg)
	if err != nil {
		return nil, fmt.Errorf("peer %s (%s): %w", p.Name, p.Endpoint, err)
	}
	t := d.cfg.timeouts
	gw, err := client.Connect(d.id,
		client.WithSign(d.sign),
		client.WithHash(hash.SHA256),
		client.WithClientConnection(conn),
		client.WithEvaluateTimeout(t.Evaluate),
		client.WithEndorseTimeout(t.Endorse),
		client.WithSubmitTimeout(t.Submit),
		client.WithCommitStatusTimeout(t.CommitStatus),
	)
	if err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("peer %s (%s): %w", p.Name, p.Endpoint, err)
	}
	net := gw.GetNetwork(d.channel)
	b := &gatewayBackend{
		gw:      gw,
		network: net,
		streams: streamOpener{conn: conn, network: net, sign: d.sign, channel: d.channel, id: d.id},
		closeFn: conn.Close,
	}
	return &session{b: b, peer: p, index: index, up: connUp(conn)}, nil
}

// connUp reports whether conn is connected. After a call failed with gRPC Unavailable, a connection
// that is still up means the failure came from beyond the gateway peer (an orderer, another
// endorser); one that is not means the gateway peer itself is gone.
func connUp(conn *grpc.ClientConn) func() bool {
	return func() bool { return conn.GetState() == connectivity.Ready }
}

// acquire returns the current session, counted as in use until release.
func (c *Client) acquire() *session {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cur.users++
	return c.cur
}

// release ends one use of s; a replaced session is closed when its last use ends.
func (c *Client) release(s *session) {
	c.mu.Lock()
	s.users--
	done := s.retired && s.users == 0
	if done {
		c.draining = removeSession(c.draining, s)
	}
	c.mu.Unlock()
	if done {
		_ = s.close()
	}
}

// current returns the current session without counting a use: event streams, which reconnect by
// themselves when a failover closes the connection under them.
func (c *Client) current() *session {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cur
}

func removeSession(list []*session, s *session) []*session {
	out := list[:0]
	for _, x := range list {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}

// peerGone reports whether err, from a call on s, says that s's gateway peer cannot be reached: gRPC
// Unavailable while the connection to the peer is down.
func peerGone(s *session, err error) bool {
	if grpcCode(err) != codes.Unavailable {
		return false
	}
	if _, ok := parseCode(err); ok {
		return false // the chaincode reported UNAVAILABLE: the peer answered
	}
	return s.up != nil && !s.up()
}

// foreign reports whether p is a fallback gateway: a peer of another org than the client's identity.
func (c *Client) foreign(p PeerEndpoint) bool {
	return p.MSPID != "" && p.MSPID != c.info.MSPID
}

// failoverOrder lists the peers to try when the peer at index from is gone: the client's own org's
// peers first, then the other orgs' (each group in list order after from, wrapping around), and from
// itself last.
func (c *Client) failoverOrder(from int) []int {
	n := len(c.peers)
	own, other := make([]int, 0, n), make([]int, 0, n)
	for i := 1; i < n; i++ {
		j := (from + i) % n
		if c.foreign(c.peers[j]) {
			other = append(other, j)
		} else {
			own = append(own, j)
		}
	}
	return append(append(own, other...), from)
}

// failover is called after a call on s failed with err. When err says s's peer is gone and the
// client was connected from a profile, it makes the next reachable peer current, in the order of
// [Client.failoverOrder]. It reports whether the current session is now another one than s (this
// call or a concurrent one failed over), so that the caller may try again there at once.
func (c *Client) failover(ctx context.Context, s *session, err error) bool {
	if c.dial == nil || s.index < 0 || ctx.Err() != nil || !peerGone(s, err) {
		return false
	}
	c.failMu.Lock()
	defer c.failMu.Unlock()
	c.mu.Lock()
	cur, closed := c.cur, c.closed
	c.mu.Unlock()
	if closed {
		return false
	}
	if cur != s {
		return true
	}
	for _, i := range c.failoverOrder(s.index) {
		next, err := c.dial(ctx, i)
		if err != nil {
			if ctx.Err() != nil {
				return false
			}
			continue
		}
		return c.install(next)
	}
	return false
}

// failbackPause is how long after a failed return to the client's own org's peers another is not
// tried: calls that need those peers then fail at once instead of each dialing them again.
const failbackPause = time.Second

// failback brings a client whose current peer is another org's (s) back to a peer of its own org, the
// first of the list that answers. It reports whether the current session is now one of the client's
// own org (this call or a concurrent one moved it). Within failbackPause of a failed try it reports
// false without dialing.
func (c *Client) failback(ctx context.Context, s *session) bool {
	if c.dial == nil || s.index < 0 || ctx.Err() != nil {
		return false
	}
	c.failMu.Lock()
	defer c.failMu.Unlock()
	c.mu.Lock()
	cur, closed := c.cur, c.closed
	c.mu.Unlock()
	if closed {
		return false
	}
	if !c.foreign(cur.peer) {
		return true
	}
	if time.Since(c.failedBack) < failbackPause {
		return false
	}
	for i, p := range c.peers {
		if c.foreign(p) {
			continue
		}
		next, err := c.dial(ctx, i)
		if err != nil {
			if ctx.Err() != nil {
				return false
			}
			continue
		}
		return c.install(next)
	}
	c.failedBack = time.Now()
	return false
}

// install makes next the current session; the one it replaces is closed once the calls still using
// it are done. It reports false, and closes next, when the client was closed meanwhile.
func (c *Client) install(next *session) bool {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		_ = next.close()
		return false
	}
	old := c.cur
	c.cur = next
	old.retired = true
	idle := old.users == 0
	if !idle {
		c.draining = append(c.draining, old)
	}
	c.mu.Unlock()
	if idle {
		_ = old.close()
	}
	return true
}

// pin is the session one call goes through; it follows the client's failovers.
type pin struct {
	c *Client
	s *session
}

// pin returns the client's current session, in use until unpin.
func (c *Client) pin() *pin { return &pin{c: c, s: c.acquire()} }

func (p *pin) unpin() { p.c.release(p.s) }

// follow moves p to the client's current session, and reports whether it moved.
func (p *pin) follow() bool {
	if p.c.current() == p.s {
		return false
	}
	p.c.release(p.s)
	p.s = p.c.acquire()
	return true
}

// errOwnOrgGone is the failure of a call that carries the caller's org's private data while the
// client's only reachable gateways are other orgs' peers. It matches [ErrUnavailable].
func errOwnOrgGone(via PeerEndpoint) error {
	return status.Errorf(codes.Unavailable,
		"no gateway peer of the caller's org answers, and a call with the org's private data (transient data, or the org among the endorsing orgs) is never sent through another org's peer (the client is on %s of %s)",
		via.Name, via.MSPID)
}

// ownOrg makes sure that a call whose proposal p carries the caller's org's private data goes through
// a peer of that org: when p's session is another org's peer, the client is brought back to its own
// org's peers first. It returns errOwnOrgGone when none answers.
func (p *pin) ownOrg(ctx context.Context, prop proposal) error {
	if !prop.orgBound || !p.c.foreign(p.s.peer) {
		return nil
	}
	if p.c.failback(ctx, p.s) {
		p.follow()
		if !p.c.foreign(p.s.peer) {
			return nil
		}
	}
	return errOwnOrgGone(p.s.peer)
}

// resumer is a backend that can take over a transaction endorsed, or submitted, through another
// session's backend: the same signed transaction, or the same signed commit status request.
type resumer interface {
	resumeTx(tx endorsed) (endorsed, error)
	resumeCommit(c committing) (committing, error)
}

func (b *gatewayBackend) resumeTx(tx endorsed) (endorsed, error) {
	gt, ok := tx.(gatewayTx)
	if !ok {
		return nil, fmt.Errorf("transaction of type %T cannot move to another peer", tx)
	}
	raw, err := gt.tx.Bytes()
	if err != nil {
		return nil, err
	}
	moved, err := b.gw.NewTransaction(raw)
	if err != nil {
		return nil, err
	}
	return gatewayTx{moved}, nil
}

func (b *gatewayBackend) resumeCommit(c committing) (committing, error) {
	gc, ok := c.(gatewayCommit)
	if !ok {
		return nil, fmt.Errorf("commit of type %T cannot move to another peer", c)
	}
	raw, err := gc.c.Bytes()
	if err != nil {
		return nil, err
	}
	moved, err := b.gw.NewCommit(raw)
	if err != nil {
		return nil, err
	}
	return gatewayCommit{moved}, nil
}
