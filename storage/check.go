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
// every live-count record matches its key's rows, live counts and counter
// total (the sum of its counter rows' CounterTotal); and every key with
// counter rows has a record (Store.CounterTotal trusts its absence). It
// reads the whole store and holds one entry per row in memory: a tool for
// tests and offline checks, not for the serving path.
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
	want := map[string][]byte{}    // index key -> d/ key
	counts := map[string]keyRows{} // the record each key's rows make
	err = eachRow(snap, func(dk []byte, key string, rk crdt.RowKey, row crdt.Row) error {
		counts[key] = counts[key].add(rk.Kind, row)
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

// keyRows is what one key's rows make of its record.
type keyRows struct {
	want    liveRecord // the record the rows make
	wide    bool       // the key has counter, set or map rows: it may have a record
	counter bool       // it has counter rows: it must have one
}

// add counts row, of kind k.
func (kr keyRows) add(k crdt.Kind, row crdt.Row) keyRows {
	kr.want.add(k, row)
	kr.wide = kr.wide || k >= crdt.KindCounter
	kr.counter = kr.counter || k == crdt.KindCounter
	return kr
}

// checkLiveCounts compares every live-count record with counts, the rows
// counted per key: a key has a record if and only if it has counter, set
// or map rows, and its record (live counts and counter total) matches its
// rows. The one exception: a set or map key last written before the
// records existed may lack its record; a key with counter rows may not
// (the first Open of this version built theirs, totals.go).
func checkLiveCounts(r pebble.Reader, counts map[string]keyRows) error {
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
		got, err := decodeLiveRecord(it.Value())
		if err != nil {
			return corrupt(it.Key(), err)
		}
		kr, ok := counts[key]
		switch {
		case !kr.wide:
			return fmt.Errorf("%w: key %q has live counts %v and no counter, set or map rows", ErrInconsistent, key, got.n)
		case got.n != kr.want.n:
			return fmt.Errorf("%w: key %q: live counts %v, rows %v", ErrInconsistent, key, got.n, kr.want.n)
		case got.total != kr.want.total:
			return fmt.Errorf("%w: key %q: counter total %d, rows %d", ErrInconsistent, key, got.total, kr.want.total)
		}
		if ok {
			kr.counter = false // recorded
			counts[key] = kr
		}
	}
	if err := it.Error(); err != nil {
		return err
	}
	for key, kr := range counts {
		if kr.counter {
			return fmt.Errorf("%w: key %q has counter rows (total %d) and no record", ErrInconsistent, key, kr.want.total)
		}
	}
	return nil
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
