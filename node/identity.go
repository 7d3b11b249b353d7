package node

import (
	"errors"
	"fmt"
	"time"

	"github.com/shoal-db/shoal/crdt"
	"github.com/shoal-db/shoal/sync/protocol"
	"github.com/shoal-db/shoal/sync/wire"
)

var (
	// ErrPeerIdentity: a peer's Hello names a replica id that its
	// certificate does not derive (crdt.ReplicaIDFor): it tried to speak
	// for another replica. The session is refused.
	ErrPeerIdentity = errors.New("shoal: peer's replica id is not bound to its certificate")
	// ErrCopiedDirectory: a peer has seen this node's own dots above its
	// counter, so another copy of this data directory (a restored backup,
	// a cloned disk) minted them. The node takes a fresh replica id for
	// new writes (at most once per RekeyInterval), re-issues under it what
	// it wrote in its write window (storage/reissue.go), and the session
	// ends.
	ErrCopiedDirectory = errors.New("shoal: a peer holds this node's dots above its counter (a restored or copied data directory?)")
)

// DefaultRekeyInterval is the default of Options.RekeyInterval.
const DefaultRekeyInterval = time.Hour

// checkPeerHello refuses a Hello whose replica id is not derived from the
// peer's certificate key and nonce, one showing other scope rules than
// ours (ErrScopeRulesMismatch), and one showing our own dots above our
// counter (see ErrCopiedDirectory).
func (r *replication) checkPeerHello(conn Conn, h *wire.Hello) error {
	if key := conn.PeerKey(); crdt.ReplicaIDFor(key, h.Nonce) != h.Replica {
		return fmt.Errorf("%w: %s from %q", ErrPeerIdentity, h.Replica, conn.PeerName())
	}
	db := r.db
	// Before anything else of the peer is believed or stored: a node of
	// another cluster's rules is no peer (and no reason for a fresh id).
	if theirs, ours := peerRulesHash(h), db.rules.Hash(); theirs != ours {
		r.scopeMismatches.Add(1)
		return fmt.Errorf("%w: peer %s (%q) has scope rules %x, this node %s; every node of a cluster needs the same rules",
			ErrScopeRulesMismatch, h.Replica, conn.PeerName(), theirs, storageRules(db.rules))
	}
	self := db.store.ReplicaID()
	// Only what the peer learnt firsthand counts: a third node's lie about
	// our dots, passed on, must not make us take a fresh id.
	if seen, own := protocol.HeldFor(h, self).Max(self), db.store.LastCounter(); seen > own {
		db.log.Error("shoal: a peer has seen this node's dots above its counter: this data directory is a copy (a restored backup or a clone); taking a fresh replica id",
			"peer", h.Replica, "name", conn.PeerName(), "seen", seen, "counter", own)
		db.rekeySoon()
		return fmt.Errorf("%w: peer %s has seen dot %d, counter %d", ErrCopiedDirectory, h.Replica, seen, own)
	}
	db.store.PeerSeen()
	return nil
}

// rekeySoon asks the writer to take a fresh replica id, unless it took
// one within RekeyInterval (a peer that lies about our dots must not make
// us take a new id, and grow every vector by an origin, at will).
func (db *DB) rekeySoon() {
	select {
	case db.rekey <- struct{}{}:
	default: // one is already asked for
	}
}

// rekeyNow runs on the writer goroutine, between commits: it ends every
// session and holds new ones off, waits until every started commit is
// synced, takes the fresh id and re-issues the old one's window; sessions
// then start again under the new id.
func (db *DB) rekeyNow(syncq chan<- *inflight) {
	now := db.opts.Now()
	if !db.lastRekey.IsZero() && now.Sub(db.lastRekey) < db.opts.RekeyInterval {
		db.log.Warn("shoal: not taking another fresh replica id yet", "last", db.lastRekey, "interval", db.opts.RekeyInterval)
		return
	}
	db.repl.holdSessions()
	defer db.repl.releaseSessions()
	db.rekeying.Lock()
	defer db.rekeying.Unlock()
	barrier := make(chan struct{})
	syncq <- &inflight{barrier: barrier}
	<-barrier
	id, err := db.store.Rekey(db.identityKey)
	if err != nil {
		db.log.Error("shoal: cannot take a fresh replica id", "err", err)
		return
	}
	db.lastRekey = now
	db.log.Warn("shoal: took a fresh replica id; new writes use it", "replica", id)
	db.reissue()
}

// reissue writes again, under the fresh id, what the old id wrote in its
// window (storage/reissue.go). It runs on the committing goroutine: the
// writer, or Open before the writer starts (a re-issue a crash cut short).
// Until it ends the node keeps claiming the old id's window, so no peer
// sends the original's writes under those dots, which would cover this
// copy's before they are re-issued. A failure is logged; the next Open
// tries again.
func (db *DB) reissue() {
	n, err := db.store.Reissue()
	if err != nil {
		db.log.Error("shoal: cannot re-issue this copy's writes under the fresh replica id; will retry at the next open", "err", err, "rows", n)
		return
	}
	db.log.Warn("shoal: re-issued this copy's writes under the fresh replica id", "rows", n)
}
