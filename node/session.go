package node

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoal-db/shoal/crdt"
	"github.com/shoal-db/shoal/storage"
	"github.com/shoal-db/shoal/sync/protocol"
	"github.com/shoal-db/shoal/sync/wire"
)

// Catch-up batches are cut at this many rows or bytes, whichever comes
// first: big enough to amortise a synced commit on the receiver, small
// enough to keep both sides' memory bounded.
const (
	batchRows  = 512
	batchBytes = 1 << 20
)

// session runs one connection with one peer: a receiving goroutine that
// applies what the peer sends, and the sending loop (run's goroutine) that
// catches the peer up and pushes commits. The protocol core decides; the
// session does the I/O.
type session struct {
	db       *DB
	conn     Conn
	addr     string
	dialed   bool              // we dialed it (else accepted it)
	in       *protocol.Inbound // receiving goroutine only
	wake     chan struct{}     // a commit or an ack arrived for the sender
	lastSeen atomic.Int64      // Unix nanoseconds of the last message received
	inflight chan *request     // receiving goroutine only: requests not yet answered
	failed   atomic.Bool       // see remoteApply.failed
	ackNow   atomic.Bool       // our set of live peers changed: tell this peer now

	mu struct {
		sync.Mutex
		out *protocol.Outbound
	}
}

func newSession(db *DB, conn Conn, addr string, dialed bool) *session {
	s := &session{db: db, conn: conn, addr: addr, dialed: dialed, in: protocol.NewInbound(db.store.ReplicaID()), wake: make(chan struct{}, 1)}
	s.mu.out = protocol.NewOutbound(db.store.ReplicaID(), db.opts.SyncQueueBytes)
	return s
}

// run serves the session until the connection fails or ctx ends, then
// closes the connection and returns why it ended.
func (s *session) run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.db.addSession(s)
	defer s.db.removeSession(s)
	recvErr := make(chan error, 1)
	go func() {
		recvErr <- s.receive(ctx)
		cancel()
	}()
	err := s.sendLoop(ctx)
	s.conn.Close()
	if rerr := <-recvErr; rerr != nil && !errors.Is(rerr, context.Canceled) {
		err = rerr // the receiving side usually knows the real cause
	}
	return err
}

// receiveDepth is how many of a peer's messages may be on their way to
// disk at once: the receiver keeps reading while earlier batches sync.
const receiveDepth = 4

// receive applies every message of the peer, in order, until an error.
// Requests go to the writer in order and are applied in order; up to
// receiveDepth are in flight, and an error in any ends the session (the
// writer refuses the ones after it).
func (s *session) receive(ctx context.Context) error {
	s.inflight = make(chan *request, receiveDepth)
	defer s.drain(ctx)
	for {
		m, err := s.conn.Recv()
		if err != nil {
			return err
		}
		s.lastSeen.Store(s.db.opts.Now().UnixNano())
		step, err := s.in.Step(m)
		if err != nil {
			return err
		}
		if err := s.handle(ctx, step); err != nil {
			return err
		}
	}
}

func (s *session) handle(ctx context.Context, step protocol.Step) error {
	peer := s.in.Peer()
	if step.Hello != nil {
		if err := s.db.store.BindPeer(peer, s.conn.PeerName()); err != nil {
			return err
		}
		acked, err := s.db.store.PeerAck(peer)
		if err != nil {
			return err
		}
		hello := func(o *protocol.Outbound) { o.PeerHello(peer, step.Hello.VV); o.Acked(acked, nil) }
		if err := s.db.claimPeer(s, peer, hello); err != nil {
			return err
		}
		s.db.log.Info("shoal: peer connected", "peer", peer, "name", s.conn.PeerName(), "addr", s.conn.RemoteAddr())
		s.db.peersChanged()
	}
	if len(step.Rows) > 0 || step.Claim != nil {
		r := &request{remote: &remoteApply{rows: step.Rows, claim: step.Claim, source: peer, failed: &s.failed}, done: make(chan error, 1)}
		if err := s.apply(ctx, r); err != nil {
			return err
		}
	}
	if step.Acked != nil {
		s.withOut(func(o *protocol.Outbound) { o.Acked(step.Acked, step.AckPeers) })
		if err := s.db.store.SavePeerAck(peer, step.Acked); err != nil {
			return err
		}
	}
	return nil
}

// apply hands r to the writer, first waiting for the oldest request in
// flight if receiveDepth are.
func (s *session) apply(ctx context.Context, r *request) error {
	if len(s.inflight) == cap(s.inflight) {
		if err := s.db.await(ctx, <-s.inflight); err != nil {
			return err
		}
	}
	if err := s.db.enqueue(ctx, r); err != nil {
		return err
	}
	s.inflight <- r
	return nil
}

// drain waits for the requests still in flight when the session ends.
func (s *session) drain(ctx context.Context) {
	for len(s.inflight) > 0 {
		s.db.await(context.WithoutCancel(ctx), <-s.inflight)
	}
}

// withOut runs f on the Outbound under the lock and wakes the sender.
func (s *session) withOut(f func(*protocol.Outbound)) {
	s.withOutQuiet(f)
	s.poke()
}

func (s *session) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// publish hands the session a commit; it never blocks the writer.
func (s *session) publish(c protocol.Commit) { s.withOut(func(o *protocol.Outbound) { o.Publish(c) }) }

// sendLoop sends our Hello, then does what the Outbound asks, and acks
// what we have applied every AckInterval.
func (s *session) sendLoop(ctx context.Context) error {
	var hello *wire.Message
	s.withOut(func(o *protocol.Outbound) { hello = o.Hello(s.db.store.VersionVector()) })
	if err := s.conn.Send(hello); err != nil {
		return err
	}
	ticker := time.NewTicker(s.db.opts.SyncAckInterval)
	defer ticker.Stop()
	for ctx.Err() == nil {
		var act protocol.Action
		s.withOutQuiet(func(o *protocol.Outbound) { act = o.Next() })
		var err error
		switch act {
		case protocol.Scan:
			err = s.catchUp(ctx)
		case protocol.Push:
			err = s.push()
		default:
			select {
			case <-s.wake:
			case <-ticker.C:
				err = s.ack()
			case <-ctx.Done():
			}
		}
		if err != nil {
			return err
		}
		select {
		case <-ticker.C: // busy: still ack on time
			err = s.ack()
		default:
			if s.ackNow.Swap(false) {
				err = s.ack()
			}
		}
		if err != nil {
			return err
		}
	}
	return ctx.Err()
}

// withOutQuiet runs f on the Outbound under the lock, without waking the
// sender (the sender's own calls).
func (s *session) withOutQuiet(f func(*protocol.Outbound)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s.mu.out)
}

func (s *session) push() error {
	var m *wire.Message
	s.withOutQuiet(func(o *protocol.Outbound) { m = o.NextPush() })
	if m == nil {
		return nil
	}
	return s.conn.Send(m)
}

func (s *session) ack() error {
	var m *wire.Message
	vv, peers := s.db.store.VersionVector(), s.db.livePeers()
	s.withOutQuiet(func(o *protocol.Outbound) { m = o.Ack(vv, peers) })
	if m == nil {
		return nil
	}
	return s.conn.Send(m)
}

// catchUp streams every row the peer lacks from one snapshot, in batches,
// then Done with that snapshot's vector. Begin comes before the snapshot,
// so commits racing the scan are queued and pushed after Done.
func (s *session) catchUp(ctx context.Context) error {
	var against *crdt.VersionVector
	s.withOutQuiet(func(o *protocol.Outbound) { o.Begin(); against = o.Against() })
	var rows []wire.Row
	size := 0
	flush := func() error {
		if len(rows) == 0 {
			return nil
		}
		var m *wire.Message
		s.withOutQuiet(func(o *protocol.Outbound) { m = o.Batch(rows) })
		rows, size = nil, 0
		return s.conn.Send(m)
	}
	snapshot, err := s.db.store.Missing(against, func(ch storage.Change) error {
		rows = append(rows, wire.Row{Key: ch.Key, RowKey: ch.RowKey.Append(nil), Row: ch.Row})
		if size += rowSize(ch.Row) + len(ch.Key); len(rows) >= batchRows || size >= batchBytes {
			return flush()
		}
		return ctx.Err()
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return fmt.Errorf("catch-up: %w", err)
	}
	var done *wire.Message
	s.withOutQuiet(func(o *protocol.Outbound) { done = o.Done(snapshot) })
	return s.conn.Send(done)
}

// rowSize approximates a row's encoded size.
func rowSize(r crdt.Row) int {
	n := 16 + 16*len(r.Context)
	for _, e := range r.Entries {
		n += 40 + len(e.Value)
	}
	return n
}

// peer returns the peer's replica id once its Hello arrived, else 0.
func (s *session) peer() crdt.ReplicaID {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mu.out.Peer()
}

// peerStatus reports the session as Status shows it.
func (s *session) peerStatus(ownCounter uint64) PeerStatus {
	s.mu.Lock()
	peer, lag := s.mu.out.Peer(), s.mu.out.Lag(ownCounter)
	s.mu.Unlock()
	return PeerStatus{
		ID: peerID(peer), Addr: s.addr, Connected: peer != 0, LastSeen: s.lastSeen.Load(), Lag: lag,
		BytesSent: s.conn.BytesSent(), BytesRecv: s.conn.BytesReceived(),
	}
}

func peerID(id crdt.ReplicaID) string {
	if id == 0 {
		return ""
	}
	return id.String()
}
