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
// covers every latest dot; and the dot counter is at or above every own
// dot. It reads the whole store and holds one entry per row in memory: a
// tool for tests and offline checks, not for the serving path.
func (s *Store) CheckConsistency() error {
	if err := s.checkOpen(); err != nil {
		return err
	}
	snap := s.db.NewSnapshot()
	defer snap.Close()
	vv, err := loadVV(snap)
	if err != nil {
		return err
	}
	last, _, err := getUint64(snap, dotsKey)
	if err != nil {
		return err
	}
	want := map[string][]byte{} // index key -> d/ key
	err = eachRow(snap, func(dk []byte, latest []crdt.Dot) error {
		for _, d := range latest {
			ik := string(indexKey(d))
			if prev, dup := want[ik]; dup {
				return fmt.Errorf("%w: dot %s is the latest of two rows: %q and %q", ErrInconsistent, d, prev, dk)
			}
			want[ik] = dk
			if !vv.Contains(d) {
				return fmt.Errorf("%w: version vector %s misses latest dot %s of row %q", ErrInconsistent, vv, d, dk)
			}
			if d.Origin == s.replica && d.Counter > last {
				return fmt.Errorf("%w: row %q holds own dot %d above the counter %d", ErrInconsistent, dk, d.Counter, last)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return checkIndexEntries(snap, want)
}

// eachRow calls fn with each row's d/ key and latest dots.
func eachRow(r pebble.Reader, fn func(dk []byte, latest []crdt.Dot) error) error {
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: dataPrefix, UpperBound: dataPrefixEnd})
	if err != nil {
		return err
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		_, _, row, err := decodeDataEntry(it)
		if err != nil {
			return err
		}
		if err := fn(bytes.Clone(it.Key()), row.LatestDots()); err != nil {
			return err
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
