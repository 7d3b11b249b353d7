package storage

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
	"github.com/shoal-db/shoal/crdt"
)

// ErrInconsistent marks a store whose dot index, rows and version vector
// disagree.
var ErrInconsistent = errors.New("storage: inconsistent")

// CheckConsistency verifies, from one snapshot, the invariants catch-up
// depends on: every latest dot of every row has exactly one index entry,
// pointing at that row; no other index entry exists; the version vector
// covers every latest dot; the dot counter is at or above every own dot;
// and every live-count record matches its key's rows. It reads the whole store and holds one entry per row in memory: a
// tool for tests and offline checks, not for the serving path.
func (s *Store) CheckConsistency() error {
	if err := s.checkOpen(); err != nil {
		return err
	}
	snap := s.db.NewSnapshot()
	defer snap.Close()
	last, _, err := getUint64(snap, dotsKey)
	if err != nil {
		return err
	}
	want := map[string][]byte{}       // index key -> d/ key
	counts := map[string]storedLive{} // the live counts of each key's rows
	err = eachRow(snap, func(dk []byte, key string, rk crdt.RowKey, row crdt.Row) error {
		n := counts[key]
		n.n.add(rk.Kind, row)
		n.wide = n.wide || rk.Kind >= crdt.KindSet
		counts[key] = n
		for _, d := range row.LatestDots() {
			ik := string(indexKey(d))
			if prev, dup := want[ik]; dup {
				return fmt.Errorf("%w: dot %s is the latest of two rows: %q and %q", ErrInconsistent, d, prev, dk)
			}
			want[ik] = dk
			if d.Origin == s.ReplicaID() && d.Counter > last {
				return fmt.Errorf("%w: row %q holds own dot %d above the counter %d", ErrInconsistent, dk, d.Counter, last)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := checkLiveCounts(snap, counts); err != nil {
		return err
	}
	return checkIndexEntries(snap, want)
}

// eachRow calls fn with each row's d/ key, user key, row key and row.
func eachRow(r pebble.Reader, fn func(dk []byte, key string, rk crdt.RowKey, row crdt.Row) error) error {
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: dataPrefix, UpperBound: dataPrefixEnd})
	if err != nil {
		return err
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		key, rk, row, err := decodeDataEntry(it)
		if err != nil {
			return err
		}
		if err := fn(bytes.Clone(it.Key()), key, rk, row); err != nil {
			return err
		}
	}
	return it.Error()
}

// checkLiveCounts compares every live-count record with counts, the live
// rows counted per key: a key has a record if and only if it has set or
// map rows, and its record matches its rows. The one exception: a key
// last written before the records existed may lack its record.
func checkLiveCounts(r pebble.Reader, counts map[string]storedLive) error {
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: countPrefix, UpperBound: prefixEnd(countPrefix)})
	if err != nil {
		return err
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		key, rest, err := unescapeKey(it.Key()[len(countPrefix):])
		if err == nil && len(rest) != 0 {
			err = fmt.Errorf("%w: %d bytes after the key", errKey, len(rest))
		}
		if err != nil {
			return corrupt(it.Key(), err)
		}
		got, err := decodeLiveCounts(it.Value())
		if err != nil {
			return corrupt(it.Key(), err)
		}
		switch want := counts[key]; {
		case !want.wide:
			return fmt.Errorf("%w: key %q has live counts %v and no set or map rows", ErrInconsistent, key, got)
		case got != want.n:
			return fmt.Errorf("%w: key %q: live counts %v, rows %v", ErrInconsistent, key, got, want.n)
		}
	}
	return it.Error()
}

// checkIndexEntries compares the index with want, consuming want.
func checkIndexEntries(r pebble.Reader, want map[string][]byte) error {
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: indexPrefix, UpperBound: indexEnd})
	if err != nil {
		return err
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		dk, ok := want[string(it.Key())]
		if !ok {
			return fmt.Errorf("%w: stale index entry %q -> %q", ErrInconsistent, it.Key(), it.Value())
		}
		if !bytes.Equal(dk, it.Value()) {
			return fmt.Errorf("%w: index entry %q -> %q, want %q", ErrInconsistent, it.Key(), it.Value(), dk)
		}
		delete(want, string(it.Key()))
	}
	for ik, dk := range want {
		return fmt.Errorf("%w: no index entry %q for row %q", ErrInconsistent, ik, dk)
	}
	return it.Error()
}
