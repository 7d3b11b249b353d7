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
	id, err := s.loadReplica()
	if err != nil {
		return err
	}
	s.replica = id
	last, _, err := getUint64(s.db, dotsKey)
	if err != nil {
		return err
	}
	vv, err := loadVV(s.db)
	if err != nil {
		return err
	}
	multi, err := loadMulti(s.db)
	if err != nil {
		return err
	}
	s.mu.vv, s.mu.lastCounter = vv, last
	s.multi.Store(&multi)
	if err := s.fillOwnDots(); err != nil {
		return err
	}
	s.applied.vv, s.applied.counter = s.mu.vv.Clone(), s.mu.lastCounter
	return s.countRun()
}

// loadReplica returns the stored replica id, or makes, syncs and returns a
// new random one.
func (s *Store) loadReplica() (crdt.ReplicaID, error) {
	id, found, err := getUint64(s.db, replicaKey)
	switch {
	case err != nil:
		return 0, err
	case found && id == 0:
		return 0, corrupt(replicaKey, errors.New("zero replica id"))
	case found:
		return crdt.ReplicaID(id), nil
	}
	for id == 0 {
		id = randUint64()
	}
	if err := s.db.Set(replicaKey, encodeUint64(id), pebble.Sync); err != nil {
		return 0, err
	}
	s.logger.Info("storage: new replica", "replica", crdt.ReplicaID(id))
	return crdt.ReplicaID(id), nil
}

// fillOwnDots adds the own counters 1..lastCounter to the version vector
// (sync.md: no permanent holes at restart). Every own counter up to it was
// minted by a commit that is durable, and a minted dot that no row carries
// has no effect to miss, so claiming it is safe and saves every later
// catch-up a rescan from the hole.
func (s *Store) fillOwnDots() error {
	own := crdt.VersionVector{}
	own.AddRange(s.replica, 1, s.mu.lastCounter)
	if s.mu.vv.Covers(&own) {
		return nil
	}
	s.mu.vv.Join(&own)
	b, err := encodeVVPart(s.mu.vv, s.replica)
	if err != nil {
		return err
	}
	s.logger.Info("storage: filled own version vector", "replica", s.replica, "counter", s.mu.lastCounter)
	return s.db.Set(vvKey(s.replica), b, pebble.Sync)
}

// loadVV reads the version vector from the m/vv/ keys of r.
func loadVV(r pebble.Reader) (*crdt.VersionVector, error) {
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: vvPrefix, UpperBound: vvPrefixEnd})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	vv := &crdt.VersionVector{}
	for it.First(); it.Valid(); it.Next() {
		val, err := it.ValueAndErr()
		if err != nil {
			return nil, err
		}
		part, err := decodeVVPart(it.Key(), val)
		if err != nil {
			return nil, err
		}
		vv.Join(part)
	}
	return vv, it.Error()
}

// encodeVVPart encodes origin's part of vv as a one-origin vector.
func encodeVVPart(vv *crdt.VersionVector, origin crdt.ReplicaID) ([]byte, error) {
	return crdt.Marshal(vv.Part(origin))
}

// decodeVVPart decodes the value of an m/vv/ key, which must hold exactly
// the origin its key names.
func decodeVVPart(key, val []byte) (*crdt.VersionVector, error) {
	origin, err := parseVVKey(key)
	if err != nil {
		return nil, corrupt(key, err)
	}
	part := &crdt.VersionVector{}
	if err := crdt.Unmarshal(val, part); err != nil {
		return nil, corrupt(key, err)
	}
	if o := part.Origins(); len(o) != 1 || o[0] != origin {
		return nil, corrupt(key, fmt.Errorf("holds origins %v", o))
	}
	return part, nil
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
