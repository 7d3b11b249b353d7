package node

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoal-db/shoal/crdt"
	"github.com/shoal-db/shoal/storage"
	"github.com/shoal-db/shoal/sync/protocol"
	"github.com/shoal-db/shoal/sync/wire"
)

// replication owns the node's peers: the listener, a dialing loop per
// configured peer, the live sessions, which session streams the node's
// bootstrap, and the receive budget they share. Each session's protocol
// state is owned by that session's sending goroutine (session.go); what
// the writer commits reaches it through its inbox (publish). It reaches
// the rest of the node (store, writer, options) through db.
type replication struct {
	db        *DB // the node it replicates: its store, options, log and writer
	transport Transport
	listener  Listener
	ctx       context.Context
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	budget    *recvBudget // what peers' messages in flight may hold
	// scopeMismatches counts the sessions refused because the peer showed
	// other scope rules (Status).
	scopeMismatches atomic.Uint64

	mu struct {
		sync.Mutex
		sessions map[*session]struct{}
		dialed   map[string]*session // by configured address; nil while down
		// byAddr is the peer each configured address turned out to be, so
		// that a peer already connected the other way is not dialed again.
		byAddr map[string]crdt.ReplicaID
		// lastErr is why the last session with, or dial of, each
		// configured address ended (Status, while it is down).
		lastErr map[string]error
		// bootstrapper is the session that streams this node's bootstrap,
		// if one is under way: one at a time, since a bootstrap's
		// position and snapshot vectors are the node's, not a session's.
		bootstrapper *session
		// held refuses new sessions while a fresh replica id is taken
		// and the old one's window re-issued (holdSessions).
		held bool
	}
}

// start listens and dials over t as the options say. A node
// with neither is local-only and starts nothing.
func (r *replication) start(db *DB, t Transport) error {
	r.db = db
	r.mu.sessions = map[*session]struct{}{}
	r.mu.dialed = map[string]*session{}
	r.mu.byAddr = map[string]crdt.ReplicaID{}
	r.mu.lastErr = map[string]error{}
	r.budget = newRecvBudget(int64(r.db.opts.SyncMemory))
	if r.db.opts.Listen == "" && len(r.db.opts.Peers) == 0 {
		return nil
	}
	r.transport = t
	var err error
	r.ctx, r.cancel = context.WithCancel(context.Background())
	if r.db.opts.Listen != "" {
		if r.listener, err = t.Listen(r.db.opts.Listen); err != nil {
			r.cancel()
			return err
		}
		r.db.log.Info("shoal: listening for peers", "addr", r.listener.Addr())
		r.wg.Go(r.acceptLoop)
	}
	r.mu.Lock()
	for _, addr := range r.db.opts.Peers {
		r.mu.dialed[addr] = nil
	}
	r.mu.Unlock()
	for _, addr := range r.db.opts.Peers {
		r.wg.Go(func() { r.dialLoop(addr) })
	}
	return nil
}

// stop ends every session and loop and waits for them.
func (r *replication) stop() {
	if r.cancel == nil {
		return
	}
	r.cancel()
	if r.listener != nil {
		r.listener.Close()
	}
	r.closeSessions()
	r.wg.Wait()
}

// closeSessions ends every session; dial loops start new ones.
func (r *replication) closeSessions() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for s := range r.mu.sessions {
		s.conn.Close()
	}
}

// ListenAddr returns the address the node accepts peers on, or "".
func (db *DB) ListenAddr() string {
	if db.repl.listener == nil {
		return ""
	}
	return db.repl.listener.Addr()
}

func (r *replication) acceptLoop() {
	for {
		conn, err := r.listener.Accept(r.ctx)
		if err != nil {
			if r.ctx.Err() != nil {
				return
			}
			r.db.log.Warn("shoal: refused a peer", "err", err)
			continue
		}
		r.wg.Go(func() {
			err := newSession(r, conn, conn.RemoteAddr(), false).run(r.ctx)
			r.db.log.Log(r.ctx, sessionEndLevel(err), "shoal: peer session ended", "addr", conn.RemoteAddr(), "err", err)
		})
	}
}

// dialLoop keeps one session to addr, redialing with exponential backoff
// and jitter; a session that lasted a while resets the backoff.
func (r *replication) dialLoop(addr string) {
	rng := rand.New(rand.NewPCG(uint64(r.db.store.ReplicaID()), uint64(len(addr))))
	attempt := 0
	for r.ctx.Err() == nil {
		if r.connectedTo(addr) { // the peer dialed us: one session is enough
			select {
			case <-time.After(min(time.Second, r.db.opts.SyncBackoffMax)):
				continue
			case <-r.ctx.Done():
				return
			}
		}
		start := time.Now()
		err := r.dialOnce(addr)
		if time.Since(start) > r.db.opts.SyncBackoffMax {
			attempt = 0
		}
		if r.ctx.Err() != nil {
			return
		}
		r.mu.Lock()
		r.mu.lastErr[addr] = err
		r.mu.Unlock()
		delay := backoff(attempt, r.db.opts.SyncBackoffMin, r.db.opts.SyncBackoffMax, rng.Float64())
		attempt++
		r.db.log.Log(r.ctx, sessionEndLevel(err), "shoal: peer down; redialing", "addr", addr, "err", err, "in", delay)
		select {
		case <-time.After(delay):
		case <-r.ctx.Done():
			return
		}
	}
}

func (r *replication) dialOnce(addr string) error {
	ctx, cancel := context.WithTimeout(r.ctx, 10*time.Second)
	conn, err := r.transport.Dial(ctx, addr)
	cancel()
	if err != nil {
		return err
	}
	s := newSession(r, conn, addr, true)
	r.mu.Lock()
	r.mu.dialed[addr] = s
	r.mu.Unlock()
	err = s.run(r.ctx)
	r.mu.Lock()
	r.mu.dialed[addr] = nil
	r.mu.Unlock()
	return err
}

var errDuplicateSession = errors.New("shoal: a session with this peer exists; keeping one")

// sessionEndLevel is the level at which a session's end is logged (once
// per session, so at most once per redial): Info, or Error when the peer
// cannot be synced with until an operator acts (other scope rules).
func sessionEndLevel(err error) slog.Level {
	if errors.Is(err, ErrScopeRulesMismatch) {
		return slog.LevelError
	}
	return slog.LevelInfo
}

// claimPeer keeps one session per peer. When two nodes dial each other,
// both keep the connection dialed by the smaller replica id, so they agree
// on which to close without talking. The loser's dial loop then sees the
// peer connected and waits.
// On success the session takes the peer's id under the same lock, so two
// sessions with one peer always see each other, and its sending goroutine
// gets the Hello.
func (r *replication) claimPeer(s *session, peer crdt.ReplicaID, hello *wire.Hello) error {
	r.mu.Lock()
	if s.dialed {
		r.mu.byAddr[s.addr] = peer
	}
	// Sessions with the peer the other way: both sides keep the one dialed
	// by the smaller replica id (both decide alike, without talking). An
	// older session the same way is stale: the dialer redials only once
	// its own session is gone (a phone whose network dropped leaves its
	// last session open here until the idle timeout; keeping that one
	// refused the phone for as long).
	keepNew := true
	var losers []*session
	for o := range r.mu.sessions {
		if o == s || o.peer() != peer {
			continue
		}
		losers = append(losers, o)
		if o.dialed != s.dialed {
			keepNew = s.dialed == (r.db.store.ReplicaID() < peer)
		}
	}
	if !keepNew {
		var stale []*session
		for _, o := range losers {
			if o.dialed == s.dialed {
				stale = append(stale, o)
			}
		}
		r.mu.Unlock()
		for _, o := range stale {
			o.conn.Close()
		}
		return errDuplicateSession
	}
	s.peerID.Store(uint64(peer))
	s.inbox.putHello(peer, hello)
	r.mu.Unlock()
	for _, o := range losers {
		o.conn.Close()
	}
	return nil
}

// takeBootstrap returns the bootstrap s should ask its peer for, and
// makes s the node's bootstrapper, if the node needs one (a bootstrap is
// under way, or the node holds no other node's dots and never
// bootstrapped) and no other session streams it; else nil.
func (r *replication) takeBootstrap(s *session) *wire.Bootstrap {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.mu.bootstrapper != nil {
		return nil
	}
	// Read under the lock, after the check: a bootstrapper that just ended
	// has its last commit durable, so the state read here is its latest.
	state := r.db.store.Bootstrap()
	switch {
	case state != nil && state.Finished:
		return nil
	case state == nil && !r.isNewNode():
		return nil
	}
	r.mu.bootstrapper = s
	if state == nil || !state.Started {
		return &wire.Bootstrap{}
	}
	return &wire.Bootstrap{Started: true, Key: state.Key, RowKey: state.RowKey}
}

// isNewNode reports whether the node holds no dots but its own.
func (r *replication) isNewNode() bool {
	self := r.db.store.ReplicaID()
	for _, o := range r.db.store.VersionVector().Origins() {
		if o != self {
			return false
		}
	}
	return true
}

// connectedTo reports whether the peer at a configured address is known
// and has a live session, dialed or accepted.
func (r *replication) connectedTo(addr string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.connectedToLocked(addr)
}

func (r *replication) connectedToLocked(addr string) bool {
	peer, ok := r.mu.byAddr[addr]
	if !ok {
		return false
	}
	for s := range r.mu.sessions {
		if s.peer() == peer {
			return true
		}
	}
	return false
}

// backoff returns the wait before redial number attempt: exponential from
// min, capped at max, with full jitter (r in [0,1)) so that many nodes
// that lost one peer at once do not redial in step.
func backoff(attempt int, lo, hi time.Duration, r float64) time.Duration {
	d := lo
	for range attempt {
		if d >= hi/2 {
			d = hi
			break
		}
		d *= 2
	}
	return lo/2 + time.Duration(r*float64(d))
}

// errSessionsHeld refuses a session that starts while the node takes a
// fresh replica id (see holdSessions).
var errSessionsHeld = errors.New("shoal: taking a fresh replica id; sessions start again after it")

func (r *replication) addSession(s *session) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.mu.held {
		return errSessionsHeld
	}
	r.mu.sessions[s] = struct{}{}
	return nil
}

// holdSessions ends every session and refuses new ones until
// releaseSessions. What the ended sessions still have queued for the
// writer is refused too: a Done's claim rests on the Hello the session
// sent, which showed the old id's window, and a claim joined after the
// re-issue would claim again the dots the re-issue gave up (so the
// original's writes under them would never be sent here).
func (r *replication) holdSessions() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.mu.held = true
	for s := range r.mu.sessions {
		s.failed.Store(true)
		s.conn.Close()
	}
}

func (r *replication) releaseSessions() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.mu.held = false
}

func (r *replication) removeSession(s *session) {
	r.mu.Lock()
	delete(r.mu.sessions, s)
	if r.mu.bootstrapper == s {
		r.mu.bootstrapper = nil
	}
	r.mu.Unlock()
	r.peersChanged()
}

// peersChanged has every session tell its peer our new set of live peers
// at once, rather than at the next ack tick: until a peer knows whom we
// hear from directly, it relays us their writes too.
func (r *replication) peersChanged() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for s := range r.mu.sessions {
		s.ackNow.Store(true)
		s.inbox.poke()
	}
}

// publish hands a committed group to every session, as one protocol
// commit. It runs on the writer goroutine and never blocks on a peer.
func (r *replication) publish(changes []storage.Change, sources map[rowRef]crdt.ReplicaID) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.mu.sessions) == 0 || len(changes) == 0 {
		return
	}
	c := protocol.Commit{OwnCounter: r.db.store.LastCounter()}
	for _, ch := range changes {
		row := wire.Row{Key: ch.Key, RowKey: ch.RowKey.Append(nil), Row: ch.Row}
		c.Rows = append(c.Rows, protocol.CommitRow{Row: row, Source: sources[rowRef{ch.Key, ch.RowKey}]})
		c.Size += protocol.RowSize(row)
	}
	for s := range r.mu.sessions {
		s.inbox.publish(c)
	}
}

// livePeers returns the replicas this node has a live session with,
// sorted: peers use it to skip relaying rows we hear about directly.
func (r *replication) livePeers() []crdt.ReplicaID {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []crdt.ReplicaID
	for s := range r.mu.sessions {
		if p := s.peer(); p != 0 {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// peerStatuses lists live sessions, then configured peers that are down.
func (r *replication) peerStatuses() []PeerStatus {
	own := r.db.store.LastCounter()
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []PeerStatus
	for s := range r.mu.sessions {
		out = append(out, s.peerStatus(own))
	}
	for addr, s := range r.mu.dialed {
		if s == nil && !r.connectedToLocked(addr) {
			p := PeerStatus{Addr: addr}
			if err := r.mu.lastErr[addr]; err != nil {
				p.LastError = err.Error()
			}
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Addr < out[j].Addr })
	return out
}

var errNoTLS = errors.New("shoal: replication needs Options.TLS (CA, Cert, Key) or a Transport")
