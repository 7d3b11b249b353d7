package storage

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
	"github.com/shoal-db/shoal/crdt"
)

// loadMeta reads the replica id (making one on first open), the own
// counter and the version vector into memory.
func (s *Store) loadMeta() error {
	id, nonce, err := s.loadIdentity(s.opts.IdentityKey, s.opts.FreshReplica)
	if err != nil {
		return err
	}
	s.replica.Store(uint64(id))
	s.mu.nonce = nonce
	last, _, err := getUint64(s.db, dotsKey)
	if err != nil {
		return err
	}
	vv, migrated, err := loadVectors(s.db)
	if err != nil {
		return err
	}
	multi, err := loadMulti(s.db)
	if err != nil {
		return err
	}
	boot, err := loadBootstrap(s.db)
	if err != nil {
		return err
	}
	s.mu.vv, s.mu.lastCounter, s.mu.boot = vv, last, boot
	s.multi.Store(&multi)
	if err := s.repairVectors(migrated); err != nil {
		return err
	}
	s.applied.vv, s.applied.counter, s.applied.boot = s.mu.vv.clone(), s.mu.lastCounter, boot.clone()
	if err := s.index.load(s.db); err != nil {
		return err
	}
	if err := s.loadWindow(); err != nil {
		return err
	}
	if err := s.dropAcks(); err != nil {
		return err
	}
	if err := s.buildTotals(); err != nil { // a directory from before counter totals
		return err
	}
	return s.countRun()
}

// repairVectors brings the loaded vectors to what this version keeps, and
// writes what it changed in one synced batch:
//   - the own counters 1..lastCounter are added (sync.md: no permanent
//     holes at restart). Every own counter up to it was minted by a commit
//     that is durable, and a minted dot that no row carries has no effect to
//     miss, so claiming it is safe and saves every later catch-up a rescan;
//   - a vector stored by an older version (or with a larger
//     MaxVectorRanges) is trimmed: such a directory once failed to open,
//     and then made Hellos too large to send;
//   - a store without a direct vector (migrated) gets one equal to all.
func (s *Store) repairVectors(migrated bool) error {
	before := s.mu.vv
	own := &crdt.VersionVector{}
	own.AddRange(s.ReplicaID(), 1, s.mu.lastCounter)
	next := vectors{before.all.Clone(), before.direct.Clone()}
	next.all.Join(own)
	next.direct.Join(own)
	trimmed := next.all.Trim(s.maxRanges)
	trimmed = next.direct.Trim(s.maxRanges) || trimmed
	b := s.db.NewBatch()
	defer b.Close()
	if err := writeParts(b, vvPrefix, before.all, next.all, next.all.Origins()); err != nil {
		return err
	}
	old := before.direct
	if migrated {
		old = &crdt.VersionVector{}
	}
	if err := writeParts(b, dvPrefix, old, next.direct, next.direct.Origins()); err != nil {
		return err
	}
	s.mu.vv = next
	if b.Empty() {
		return nil
	}
	if trimmed {
		s.logger.Info("storage: trimmed the version vector", "ranges_before", before.all.Ranges(), "ranges", next.all.Ranges())
	}
	return b.Commit(pebble.Sync)
}

// getUint64 reads an 8-byte big-endian value; found is false if absent.
func getUint64(r pebble.Reader, key []byte) (v uint64, found bool, err error) {
	val, closer, err := r.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	defer closer.Close()
	if len(val) != 8 {
		return 0, false, corrupt(key, fmt.Errorf("%d bytes, want 8", len(val)))
	}
	return binary.BigEndian.Uint64(val), true, nil
}

func encodeUint64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

func randUint64() uint64 {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return binary.BigEndian.Uint64(b[:])
}

var runsKey = []byte("m/runs")

// countRun numbers this Open: one more than the last, synced. Watch
// cursors carry it, so a cursor from an earlier run is never taken for one
// of this run, however quickly the node restarted.
func (s *Store) countRun() error {
	n, _, err := getUint64(s.db, runsKey)
	if err != nil {
		return err
	}
	s.run = n + 1
	return s.db.Set(runsKey, encodeUint64(s.run), pebble.Sync)
}

// Run returns the number of this Open of the directory, from 1.
func (s *Store) Run() uint64 { return s.run }
