package storage

import (
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"
	"github.com/shoal-db/shoal/crdt"
)

var (
	// ErrClosed is returned by every method called after Close.
	ErrClosed = errors.New("storage: closed")
	// ErrCorrupt marks stored bytes that do not decode; it is wrapped with
	// the Pebble key that failed.
	ErrCorrupt = errors.New("storage: corrupt record")
	// ErrInvalidRow marks a delta that fails crdt validation, whose kind
	// differs from its row key's, or whose row key is malformed.
	ErrInvalidRow = errors.New("storage: invalid row")
	// ErrCommitDone is returned when a Commit is used after Apply.
	ErrCommitDone = errors.New("storage: commit already applied")
	// ErrOwnDotAhead marks a row from a peer that holds one of this node's
	// own dots above its counter: a dot it never minted. Another copy of
	// the directory minted it (a restored backup, a clone), or the peer
	// lies. Nothing of it is applied.
	ErrOwnDotAhead = errors.New("storage: a peer holds this node's dots above its counter")
)

// Store holds one replica's rows, dot index and metadata in Pebble.
//
// Reads (Object, Row, Scan, Missing, VersionVector, LastCounter, ReplicaID)
// are safe for concurrent use with each other and with one goroutine that
// builds and applies Commits. Like Pebble's Close, Close must not run
// concurrently with other methods or while a Scan or Missing is under way;
// every method called after Close returns ErrClosed.
type Store struct {
	db      *pebble.DB
	opts    Options
	replica atomic.Uint64 // changes only at Open and Rekey
	run     uint64        // see Run
	// multi lists the keys with live rows of several kinds (x/); replaced
	// whole on change, only by the committing side's Wait.
	multi  atomic.Pointer[map[string]struct{}]
	logger *slog.Logger
	closed atomic.Bool
	// maxRanges is Options.MaxVectorRanges.
	maxRanges int

	// applied is the state including batches handed to Pebble whose sync
	// may still be under way: the base the next Commit builds on. Only the
	// committing goroutine uses it.
	applied struct {
		vv      vectors // its own copy, changed in place (see vectors)
		counter uint64
		boot    *BootstrapState // nil: no bootstrap under way
		// since is the own counter the write window opened at, reissue
		// the re-issue under way or nil (see reissue.go).
		since   uint64
		reissue *reissue
	}
	index indexMax // the highest indexed dot per origin, for Missing

	// peerSeen says a peer session came up in this run; reissuing that a
	// re-issue is pending (reissue.go). Both read by any goroutine.
	peerSeen, reissuing atomic.Bool

	mu struct {
		sync.Mutex
		// vv is every dot whose effect is stored and those learnt
		// firsthand (mirrors m/vv/ and m/dv/), changed in place by each
		// synced commit (see vectors).
		vv vectors
		// changes numbers the changes of vv, so that a session can tell
		// whether anything changed since its last Ack, and which origins
		// (see vectorLog).
		changes vectorLog
		// boot is the durable bootstrap state (mirrors m/boot), or nil.
		boot *BootstrapState
		// nonce derives the replica id from the identity key (m/nonce).
		nonce []byte
		// lastCounter is the highest own counter durably used (m/dots).
		lastCounter uint64
		// started and synced count the batches handed to Pebble and those
		// whose sync returned. Pebble makes a batch visible before its WAL
		// sync; Missing waits for synced to catch up with started so that
		// it never sends a peer a row (or a dot) that a crash could undo.
		started, synced uint64
		syncedCond      sync.Cond
	}
}

// Open opens (creating if needed) the store in dir.
func Open(dir string, opts *Options) (*Store, error) {
	o := opts.withDefaults()
	if err := o.validate(); err != nil {
		return nil, err
	}
	cache := pebble.NewCache(o.CacheSize)
	defer cache.Unref() // Pebble holds its own reference
	db, err := pebble.Open(dir, o.pebbleOptions(cache))
	if err != nil {
		return nil, err
	}
	s := &Store{db: db, opts: o, logger: o.Logger, maxRanges: o.MaxVectorRanges}
	s.mu.syncedCond.L = &s.mu.Mutex
	// Before anything else is written (a fresh replica id, a migration):
	// a directory refused for its rules is left as it was.
	if err := s.checkScopeRules(o.ScopeRules); err != nil {
		_ = db.Close()
		return nil, err
	}
	if err := s.loadMeta(); err != nil {
		_ = db.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the store. Calls after the first return ErrClosed.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return ErrClosed
	}
	return s.db.Close()
}

// ReplicaID returns the store's replica id: random, non-zero, made at the
// first Open and stable for the life of the directory.
func (s *Store) ReplicaID() crdt.ReplicaID { return crdt.ReplicaID(s.replica.Load()) }

// VersionVector returns a copy of the dots whose effect is stored. It may
// lag a just-applied commit for a moment, never lead it.
func (s *Store) VersionVector() *crdt.VersionVector {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mu.vv.all.Clone()
}

// LastCounter returns the highest own dot counter durably used (or, after
// an Apply that failed, possibly used: its dots are never minted again).
func (s *Store) LastCounter() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mu.lastCounter
}

// advance records a synced commit in memory: vv (nil after a failed sync)
// is the whole vector after it, boot its bootstrap state, and the counter
// moves to lastCounter. Commits are synced in order, so the latest call
// holds every earlier commit's effect.
func (s *Store) advance(change *vectorChange, boot *BootstrapState, lastCounter uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if change != nil {
		s.mu.vv.apply(*change)
		s.mu.changes.record(*change)
		s.mu.boot = boot
	}
	s.mu.lastCounter = max(s.mu.lastCounter, lastCounter)
}

// beginSync registers a batch about to be committed and returns its number.
func (s *Store) beginSync() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mu.started++
	return s.mu.started
}

// endSync records that batch n's commit returned (synced or failed).
func (s *Store) endSync(n uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mu.synced = max(s.mu.synced, n)
	s.mu.syncedCond.Broadcast()
}

// waitSynced waits until every batch started so far has been synced: all
// that a snapshot taken before the call can see is then durable.
func (s *Store) waitSynced() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for target := s.mu.started; s.mu.synced < target; {
		s.mu.syncedCond.Wait()
	}
}

// checkOpen returns ErrClosed once Close has been called. Pebble panics
// when used after Close; this turns that misuse into an error.
func (s *Store) checkOpen() error {
	if s.closed.Load() {
		return ErrClosed
	}
	return nil
}

// Flush writes Pebble's memtables to sorted tables and waits for it.
func (s *Store) Flush() error {
	if err := s.checkOpen(); err != nil {
		return err
	}
	return s.db.Flush()
}

// OpenSnapshots returns the Pebble snapshots open now (each catch-up holds
// one while it scans).
func (s *Store) OpenSnapshots() int {
	if s.checkOpen() != nil {
		return 0
	}
	return s.db.Metrics().Snapshots.Count
}

// DiskUsage returns the bytes Pebble uses on disk (tables, logs, manifests).
func (s *Store) DiskUsage() uint64 {
	if s.checkOpen() != nil {
		return 0
	}
	return s.db.Metrics().DiskSpaceUsage()
}
