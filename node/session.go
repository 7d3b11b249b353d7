package node

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/shoal-db/shoal/crdt"
	"github.com/shoal-db/shoal/storage"
	"github.com/shoal-db/shoal/sync/protocol"
	"github.com/shoal-db/shoal/sync/wire"
)

// session runs one connection with one peer. Two goroutines: the receiving
// one reads the peer's messages, checks them with the Inbound and hands
// their rows to the writer; the sending one (run's) owns the Outbound, the
// protocol state of what we send, and does what it asks: catch-ups, pushes,
// acks. Other goroutines reach the Outbound only through the inbox.
type session struct {
	r      *replication
	db     *DB // r.db
	conn   Conn
	addr   string
	dialed bool            // we dialed it (else accepted it)
	boot   *wire.Bootstrap // the bootstrap our Hello asks for, or nil

	in    *protocol.Inbound  // receiving goroutine only
	out   *protocol.Outbound // sending goroutine only
	inbox inbox

	peerID   atomic.Uint64 // the peer's replica id once its Hello is accepted
	knownOwn atomic.Uint64 // our own dots the peer is known to have (status)
	lastSeen atomic.Int64  // Unix nanoseconds of the last message received
	inflight chan *request // receiving goroutine only: requests not yet answered
	failed   atomic.Bool   // see remoteApply.failed
	ackNow   atomic.Bool   // our set of live peers changed: tell this peer now
	forceAck atomic.Bool   // a bootstrap ended: ack now, even if unchanged
	// acked says an Ack was sent; ackedChanges and ackedPeers are the
	// store's vector change number and the peers list it was built from.
	// The sending goroutine only.
	acked        bool
	ackedChanges uint64
	ackedPeers   []crdt.ReplicaID
}

func newSession(r *replication, conn Conn, addr string, dialed bool) *session {
	db := r.db
	s := &session{r: r, db: db, conn: conn, addr: addr, dialed: dialed}
	s.out = protocol.NewOutbound(db.store.ReplicaID(), protocol.OutboundOptions{MaxQueueBytes: db.opts.SyncQueueBytes})
	s.inbox.init(db.opts.SyncQueueBytes)
	return s
}

// run serves the session until the connection fails or ctx ends, then
// closes the connection and returns why it ended.
func (s *session) run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := s.r.addSession(s); err != nil {
		s.conn.Close()
		return err
	}
	defer s.r.removeSession(s)
	s.boot = s.r.takeBootstrap(s)
	s.in = protocol.NewInbound(s.db.store.ReplicaID(), s.boot != nil)
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
		before := s.conn.BytesReceived()
		m, err := s.conn.Recv()
		if err != nil {
			return err
		}
		s.lastSeen.Store(s.db.opts.Now().UnixNano())
		step, err := s.in.Step(m)
		if err != nil {
			return err
		}
		if err := s.handle(ctx, step, int64(s.conn.BytesReceived()-before)); err != nil {
			return err
		}
	}
}

func (s *session) handle(ctx context.Context, step protocol.Step, size int64) error {
	if step.Hello != nil {
		if err := s.hello(step.Hello); err != nil {
			return err
		}
	}
	if r := s.remoteRequest(step); r != nil {
		if err := s.apply(ctx, r, size); err != nil {
			return err
		}
	}
	if step.BootstrapDone != nil {
		// The sender waits for our Ack before it catches us up with what
		// the bootstrap could not give: ack once all of it is durable.
		if err := s.awaitInflight(ctx); err != nil {
			return err
		}
		s.forceAck.Store(true)
		s.ackNow.Store(true)
		s.inbox.poke()
	}
	if step.Acked != nil {
		// Not stored: what a peer has is taken from its Hello alone (a
		// restored peer has less than it once acknowledged), and a hub
		// storing every phone's whole vector held 12 N^2 bytes.
		s.inbox.ack(step.Acked, step.AckPeers)
	}
	return nil
}

// hello checks the peer's Hello and makes it the session's peer.
func (s *session) hello(h *wire.Hello) error {
	peer := h.Replica
	if err := s.r.checkPeerHello(s.conn, h); err != nil {
		return err
	}
	if err := s.db.store.BindPeer(peer, s.conn.PeerName()); err != nil {
		return err
	}
	if err := s.r.claimPeer(s, peer, h); err != nil {
		return err
	}
	s.db.log.Info("shoal: peer connected", "peer", peer, "name", s.conn.PeerName(), "addr", s.conn.RemoteAddr(),
		"bootstrap_asked", h.Bootstrap != nil)
	s.r.peersChanged()
	return nil
}

// remoteRequest turns a step's rows and claims into a writer request, or
// nil if there are none.
func (s *session) remoteRequest(step protocol.Step) *request {
	if len(step.Rows) == 0 && step.Claim == nil && step.BootstrapSnapshot == nil && step.BootstrapDone == nil {
		return nil
	}
	ra := &remoteApply{step: step, source: s.in.Peer(), failed: &s.failed}
	return &request{remote: ra, done: make(chan error, 1)}
}

// apply hands r to the writer, first waiting for the oldest request in
// flight if receiveDepth are, and for room in the node's receive budget:
// decoded messages in flight are what a peer can make a node hold, so
// they are bounded node-wide, not per session.
func (s *session) apply(ctx context.Context, r *request, size int64) error {
	if len(s.inflight) == cap(s.inflight) {
		if err := s.db.await(ctx, <-s.inflight); err != nil {
			return err
		}
	}
	release, err := s.r.budget.take(ctx, size)
	if err != nil {
		return err
	}
	r.release = release
	if err := s.db.enqueue(ctx, r); err != nil {
		release()
		return err
	}
	s.inflight <- r
	return nil
}

// awaitInflight waits for every request in flight.
func (s *session) awaitInflight(ctx context.Context) error {
	for len(s.inflight) > 0 {
		if err := s.db.await(ctx, <-s.inflight); err != nil {
			return err
		}
	}
	return nil
}

// drain waits for the requests still in flight when the session ends.
func (s *session) drain(ctx context.Context) {
	for len(s.inflight) > 0 {
		s.db.await(context.WithoutCancel(ctx), <-s.inflight)
	}
}

// sendLoop sends our Hello, then does what the Outbound asks, and acks
// what we have applied every AckInterval.
func (s *session) sendLoop(ctx context.Context) error {
	hello := s.out.Hello(s.db.store.VersionVector(), s.db.store.Firsthand(), s.db.store.Nonce(), s.boot)
	hello.Hello.RulesHash = helloRulesHash(s.db.rules) // the peer refuses other rules
	if err := s.send(hello); err != nil {
		return err
	}
	ticker := time.NewTicker(s.db.opts.SyncAckInterval)
	defer ticker.Stop()
	for ctx.Err() == nil {
		s.inbox.drainInto(s.out)
		s.knownOwn.Store(s.out.KnownOwn())
		var err error
		switch s.out.Next() {
		case protocol.Scan:
			err = s.catchUp(ctx)
		case protocol.Push:
			if m := s.out.NextPush(); m != nil {
				err = s.send(m)
			}
		default:
			select {
			case <-s.inbox.wake:
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

// send sends m, naming the message in the error: a failed send is logged
// with its cause, not just "closed".
func (s *session) send(m *wire.Message) error {
	if err := s.conn.Send(m); err != nil {
		return fmt.Errorf("send %s: %w", kindOf(m), err)
	}
	return nil
}

func kindOf(m *wire.Message) string {
	switch {
	case m.Hello != nil:
		return "hello"
	case m.Batch != nil:
		return fmt.Sprintf("batch of %d rows", len(m.Batch.Rows))
	case m.Done != nil:
		return "done"
	case m.Push != nil:
		return fmt.Sprintf("push of %d rows", len(m.Push.Rows))
	case m.Start != nil:
		return "bootstrap start"
	}
	return "ack"
}

// ack acknowledges what we have applied: nothing when the vector has not
// changed since the last Ack (an idle session compares one number, not the
// vector), else the parts changed since then. The peer joins an Ack into
// what it knows we have, so a part is as good as the whole; the first Ack
// of a session, or one after more changes than the store remembers, is
// whole.
func (s *session) ack() error {
	force := s.forceAck.Swap(false)
	peers := s.r.livePeers()
	if !force && s.acked && s.db.store.VectorChanges() == s.ackedChanges && slices.Equal(peers, s.ackedPeers) {
		return nil
	}
	vv, changes, _ := s.db.store.VersionVectorChangedFor(s.peer(), s.ackedChanges)
	if !s.acked {
		vv = s.db.store.VersionVectorFor(s.peer())
	}
	s.acked, s.ackedChanges, s.ackedPeers = true, changes, peers
	m := s.out.Ack(vv, peers, force)
	if m == nil {
		return nil
	}
	return s.send(m)
}

// catchUp streams every row the peer lacks from one snapshot (see
// protocol.Outbound.CatchUp). Commits published meanwhile wait in the
// inbox and are pushed after Done.
func (s *session) catchUp(ctx context.Context) error {
	src := storeSource{s.db.store, ctx}
	if err := s.out.CatchUp(src, s.send); err != nil {
		return fmt.Errorf("catch-up: %w", err)
	}
	return nil
}

// storeSource reads catch-ups from the store for protocol.Outbound.CatchUp.
type storeSource struct {
	st  *storage.Store
	ctx context.Context // a session that ends stops its scan (and frees the snapshot)
}

func (src storeSource) Missing(have *crdt.VersionVector, fn func(wire.Row) error) (*crdt.VersionVector, error) {
	return src.st.Missing(have, src.each(fn))
}

func (src storeSource) Bootstrap(from *wire.Bootstrap, have *crdt.VersionVector,
	start func(*crdt.VersionVector) error, fn func(wire.Row) error) (*crdt.VersionVector, error) {
	rk, err := crdt.ParseRowKey(from.RowKey)
	if from.Started && err != nil {
		return nil, err
	}
	return src.st.RowsAfter(from.Started, from.Key, rk, have, start, src.each(fn))
}

func (src storeSource) each(fn func(wire.Row) error) func(storage.Change) error {
	return func(ch storage.Change) error {
		if err := src.ctx.Err(); err != nil {
			return err
		}
		return fn(wire.Row{Key: ch.Key, RowKey: ch.RowKey.Append(nil), Row: ch.Row})
	}
}

// peer returns the peer's replica id once its Hello was accepted, else 0.
func (s *session) peer() crdt.ReplicaID { return crdt.ReplicaID(s.peerID.Load()) }

// peerStatus reports the session as Status shows it.
func (s *session) peerStatus(ownCounter uint64) PeerStatus {
	peer, known := s.peer(), s.knownOwn.Load()
	return PeerStatus{
		ID: peerID(peer), Addr: s.addr, Connected: peer != 0, LastSeen: s.lastSeen.Load(),
		Lag: ownCounter - min(known, ownCounter), BytesSent: s.conn.BytesSent(), BytesRecv: s.conn.BytesReceived(),
	}
}

func peerID(id crdt.ReplicaID) string {
	if id == 0 {
		return ""
	}
	return id.String()
}
