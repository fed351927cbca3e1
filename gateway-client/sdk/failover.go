package sdk

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-gateway/pkg/hash"
	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
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

// failover is called after a call on s failed with err. When err says s's peer is gone and the
// client was connected from a profile, it makes the next reachable peer of the profile current
// (trying the peers after s's in list order, wrapping around, s's own last). It reports whether the
// current session is now another one than s (this call or a concurrent one failed over), so that the
// caller may try again there at once.
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
	for i := 1; i <= c.peers; i++ {
		next, err := c.dial(ctx, (s.index+i)%c.peers)
		if err != nil {
			if ctx.Err() != nil {
				return false
			}
			continue
		}
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
	return false
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
