package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoal-db/shoal/crdt"
	"github.com/shoal-db/shoal/crdt/scope"
	"github.com/shoal-db/shoal/storage"
)

// DB is an open Shoal store. It is safe for concurrent use. Close it to stop
// its goroutine and release the directory.
type DB struct {
	opts  *Options
	log   *slog.Logger
	store *storage.Store
	hub   *hub

	reqs       chan *request
	quit       chan struct{} // closed by Close: the writer drains and exits
	writerDone chan struct{} // closed when the writer has exited

	closed atomic.Bool
	// pointReads is read-locked by point reads (Get, Counter, ...); Close
	// takes it once, after setting closed, to wait for those in flight.
	// Scans are long and may nest point reads, so they register in scans
	// instead of holding the lock.
	pointReads sync.RWMutex
	mu         struct {
		sync.Mutex
		scans sync.WaitGroup
	}

	clock       crdt.Clock // owned by the writer goroutine
	clockWarned int64      // when the writer last logged a remote clock ahead
	repl        replication
	// identityKey derives the replica id (the certificate's key hash);
	// nil for a local-only node.
	identityKey []byte
	rekey       chan struct{} // asks the writer for a fresh replica id
	lastRekey   time.Time     // owned by the writer goroutine
	rekeying    sync.Mutex    // held while a fresh id is taken; Backup waits
	// rules are the scope rules (Options.ScopeRules), parsed; peers must
	// show the same hash.
	rules *scope.Rules
}

// request is one caller's writes, or one message's rows from a peer,
// applied atomically.
type request struct {
	ops    []op
	remote *remoteApply
	done   chan error // buffered: the writer never blocks on a caller
	// release, if set, gives back the receive budget the request holds
	// (a peer's message); called once the writer has answered it.
	release func()
}

// finish answers the request and releases what it holds.
func (r *request) finish(err error) {
	r.done <- err
	if r.release != nil {
		r.release()
	}
}

// Open opens (creating if needed) the store in dir. A nil opts gives the
// defaults.
func Open(dir string, opts *Options) (*DB, error) {
	o := opts.clone().ensureDefaults()
	if err := o.validate(); err != nil {
		return nil, err
	}
	rules, err := parseScopeRules(o.ScopeRules)
	if err != nil {
		return nil, err
	}
	t, key, err := o.replicationTransport()
	if err != nil {
		return nil, err
	}
	st, err := storage.Open(dir, &storage.Options{FS: o.FS, Logger: o.Logger, CacheSize: o.CacheSize,
		IdentityKey: key, FreshReplica: o.FreshReplica, ScopeRules: storageRules(rules)})
	if errors.Is(err, storage.ErrScopeRulesChanged) {
		return nil, scopeRulesChanged(dir, err)
	}
	if err != nil {
		return nil, fmt.Errorf("shoal: open %s: %w", dir, err)
	}
	db := &DB{
		opts:        o,
		rules:       rules,
		log:         o.Logger.With("node", st.ReplicaID().String()),
		store:       st,
		hub:         newHub(st.Run(), o.WatchEvents, o.WatchBytes),
		reqs:        make(chan *request, 1024),
		quit:        make(chan struct{}),
		writerDone:  make(chan struct{}),
		identityKey: key,
		rekey:       make(chan struct{}, 1),
	}
	if st.ReissuePending() {
		db.reissue()
	}
	go db.runWriter()
	if err := db.repl.start(db, t); err != nil {
		db.Close()
		return nil, err
	}
	db.log.Info("shoal: opened", "dir", dir, "last_dot", st.LastCounter(), "scope_rules", rules.String())
	return db, nil
}

// Close stops the writer after it has committed every write already handed
// to it, waits for reads in flight, wakes watchers with ErrClosed and closes
// Pebble. Writes and reads after Close return ErrClosed.
func (db *DB) Close() error {
	db.mu.Lock()
	if db.closed.Swap(true) {
		db.mu.Unlock()
		return ErrClosed
	}
	db.mu.Unlock()

	db.repl.stop() // sessions may wait on the writer: stop them first
	close(db.quit)
	<-db.writerDone
	db.waitPointReads()
	db.mu.scans.Wait()
	db.hub.close()
	if err := db.store.Close(); err != nil {
		return fmt.Errorf("shoal: close: %w", err)
	}
	return nil
}

// ID returns the node's replica id as 16 hex digits.
func (db *DB) ID() string { return db.store.ReplicaID().String() }

// waitPointReads returns once every point read that saw closed == false
// has finished: taking the write lock waits for their read locks.
func (db *DB) waitPointReads() {
	db.pointReads.Lock()
	//lint:ignore SA2001 the lock is the barrier; there is nothing to guard
	db.pointReads.Unlock()
}

// beginRead starts a point read; unless it fails (once Close has started),
// the caller must call db.pointReads.RUnlock when done. It takes no lock
// that writers or other readers contend on.
func (db *DB) beginRead() error {
	db.pointReads.RLock()
	if db.closed.Load() {
		db.pointReads.RUnlock()
		return ErrClosed
	}
	return nil
}

// beginScan registers a long read (a Scan's iteration); the caller must
// call the returned function when done. It fails once Close has started.
func (db *DB) beginScan() (func(), error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.closed.Load() {
		return nil, ErrClosed
	}
	db.mu.scans.Add(1)
	return db.mu.scans.Done, nil
}

// submit hands ops to the writer and waits until they are durable or have
// failed. If ctx ends first the outcome is unknown: the write may still
// commit.
func (db *DB) submit(ctx context.Context, ops []op) error {
	if db.isClosed() {
		return ErrClosed
	}
	return db.submitRequest(ctx, &request{ops: ops, done: make(chan error, 1)})
}

func (db *DB) submitRequest(ctx context.Context, r *request) error {
	if err := db.enqueue(ctx, r); err != nil {
		return err
	}
	return db.await(ctx, r)
}

// enqueue hands r to the writer without waiting for its outcome.
func (db *DB) enqueue(ctx context.Context, r *request) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case db.reqs <- r:
		return nil
	case <-db.writerDone:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

// await waits for the outcome of an enqueued request.
func (db *DB) await(ctx context.Context, r *request) error {
	select {
	case err := <-r.done:
		return err
	case <-db.writerDone:
		// The writer answers every request it took before exiting.
		select {
		case err := <-r.done:
			return err
		default:
			return ErrClosed
		}
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (db *DB) isClosed() bool { return db.closed.Load() }

// mapStorageErr turns storage's closed error into ours.
func mapStorageErr(err error) error {
	if errors.Is(err, storage.ErrClosed) {
		return ErrClosed
	}
	return err
}
