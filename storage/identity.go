package storage

import (
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
	"github.com/shoal-db/shoal/crdt"
)

// A replica id is bound to the node's certificate: with Options.IdentityKey
// set (the hash of the certificate's public key), the id is
// crdt.ReplicaIDFor(key, nonce) for a random nonce kept under m/nonce, and
// a peer checks it against the certificate the node presents. No other
// certificate can claim the id, so no peer can squat on it before the node
// first connects. A fresh nonce gives a fresh id: when the key changes,
// when asked at open (a restored backup), or by Rekey (a copy of the
// directory found to have minted our dots).
var nonceKey = []byte("m/nonce")

const nonceSize = 16

// ErrNoIdentityKey marks a replica id that Rekey cannot change: the store
// has no identity key to derive a new one from.
var ErrNoIdentityKey = errors.New("storage: no identity key to take a fresh replica id from")

// ErrReissuePending: the last fresh replica id's re-issue has not ended
// (Rekey again, or Checkpoint, refuse until it has).
var ErrReissuePending = errors.New("storage: the last fresh replica id's re-issue has not ended")

// loadIdentity returns the stored replica id and nonce, making new ones if
// there are none, if key no longer derives the stored id, or if fresh.
func (s *Store) loadIdentity(key []byte, fresh bool) (crdt.ReplicaID, []byte, error) {
	id, found, err := getUint64(s.db, replicaKey)
	switch {
	case err != nil:
		return 0, nil, err
	case found && id == 0:
		return 0, nil, corrupt(replicaKey, errors.New("zero replica id"))
	}
	nonce, err := getBytes(s.db, nonceKey)
	if err != nil {
		return 0, nil, err
	}
	switch {
	case found && !fresh && key == nil:
		return crdt.ReplicaID(id), nonce, nil
	case found && !fresh && nonce != nil && crdt.ReplicaIDFor(key, nonce) == crdt.ReplicaID(id):
		return crdt.ReplicaID(id), nonce, nil
	}
	reason := "new directory"
	switch {
	case fresh && found:
		reason = "asked for a fresh id (a restored copy)"
	case found:
		reason = "the identity key does not derive the stored id"
	}
	next, nonce, err := s.writeIdentity(key, nil)
	if err != nil {
		return 0, nil, err
	}
	s.logger.Info("storage: new replica id", "replica", next, "previous", crdt.ReplicaID(id), "reason", reason)
	return next, nonce, nil
}

// writeIdentity makes and syncs a new replica id (from key and a fresh
// nonce, or random without a key), restarting the own dot counter and the
// write window at 0, with extra's writes if any: the old id's dots stay in
// the store as any other origin's.
func (s *Store) writeIdentity(key []byte, extra func(*pebble.Batch) error) (crdt.ReplicaID, []byte, error) {
	var id crdt.ReplicaID
	var nonce []byte
	if key != nil {
		nonce = make([]byte, nonceSize)
		_, _ = rand.Read(nonce)
		id = crdt.ReplicaIDFor(key, nonce)
	}
	for id == 0 {
		id = crdt.ReplicaID(randUint64())
	}
	b := s.db.NewBatch()
	defer b.Close()
	for _, kv := range [][2][]byte{{replicaKey, encodeUint64(uint64(id))}, {dotsKey, encodeUint64(0)}} {
		if err := b.Set(kv[0], kv[1], nil); err != nil {
			return 0, nil, err
		}
	}
	if nonce != nil {
		if err := b.Set(nonceKey, nonce, nil); err != nil {
			return 0, nil, err
		}
	}
	// A new id has no window to re-issue; a backup may hold a re-issue
	// under way, whose rows its original re-issues itself.
	if err := b.Delete(reissueKey, nil); err != nil {
		return 0, nil, err
	}
	if extra != nil {
		if err := extra(b); err != nil {
			return 0, nil, err
		}
	}
	return id, nonce, b.Commit(pebble.Sync)
}

// Nonce returns the nonce that, with the identity key, derives the replica
// id (nil for a store without an identity key).
func (s *Store) Nonce() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mu.nonce
}

// Rekey takes a fresh replica id for new writes, this directory having
// been found to be a copy, and records that the old id's window is to be
// re-issued under it (Reissue, which the caller runs next; see
// reissue.go). The caller must be the committing goroutine, with every
// started commit waited for: the own counter restarts at 0 for the new id.
func (s *Store) Rekey(key []byte) (crdt.ReplicaID, error) {
	if err := s.checkOpen(); err != nil {
		return 0, err
	}
	if key == nil {
		return 0, ErrNoIdentityKey
	}
	if s.applied.reissue != nil {
		return 0, ErrReissuePending
	}
	old := s.ReplicaID()
	s.reissuing.Store(true) // before the batch: a Checkpoint from now on refuses
	pending := &reissue{Old: old, Since: s.applied.since}
	if s.peerSeen.Load() {
		// A peer session came up in the window: the peer may hold the
		// window's writes under the old dots already, and would show each
		// re-issued one twice (count a re-issued increment twice). Only a
		// window no peer has seen is re-issued (reissue.go).
		pending.Since = s.applied.counter
	}
	id, nonce, err := s.writeIdentity(key, func(b *pebble.Batch) error {
		enc, err := crdt.Marshal(pending)
		if err != nil {
			return err
		}
		return b.Set(reissueKey, enc, nil)
	})
	if err != nil {
		s.reissuing.Store(false)
		return 0, err
	}
	s.replica.Store(uint64(id))
	s.applied.counter, s.applied.since, s.applied.reissue = 0, 0, pending
	s.peerSeen.Store(false) // the new id's window starts at 0
	s.mu.Lock()
	s.mu.lastCounter, s.mu.nonce = 0, nonce
	s.mu.Unlock()
	s.logger.Warn("storage: took a fresh replica id", "replica", id, "previous", old)
	return id, nil
}

// getBytes reads a value, or nil if absent.
func getBytes(r pebble.Reader, key []byte) ([]byte, error) {
	v, closer, err := r.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("storage: read %q: %w", key, err)
	}
	defer closer.Close()
	return append([]byte(nil), v...), nil
}

// Checkpoint writes a consistent copy of the store into dir, which must
// not exist, while the store stays open (a Pebble checkpoint: hard links
// where the file system allows). Open the copy with FreshReplica set. It
// refuses while a re-issue is under way (ErrReissuePending): the copy
// would hold the old id's window, which this store re-issues, and the two
// would then hold each write twice. The caller keeps Rekey from starting
// during the call.
func (s *Store) Checkpoint(dir string) error {
	if err := s.checkOpen(); err != nil {
		return err
	}
	if s.reissuing.Load() {
		return fmt.Errorf("%w: finish it (restart the node) before a backup", ErrReissuePending)
	}
	if err := s.db.Checkpoint(dir, pebble.WithFlushedWAL()); err != nil {
		return fmt.Errorf("storage: checkpoint to %s: %w", dir, err)
	}
	return nil
}
