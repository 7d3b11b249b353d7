package storage

import (
	"fmt"
	"math"

	"github.com/cockroachdb/pebble/v2"
	"github.com/shoal-db/shoal/crdt"
)

// Missing calls fn once for every row that has a latest dot have does not
// contain (the rows a peer with vector have lacks), then returns the
// version vector of the same Pebble snapshot the rows were read from: the
// vector a receiver may join once it has synced every row fn was given. A
// vector read at another moment could claim dots the scan did not see.
//
// Work is one comparison per origin in memory, against the highest dot the
// index holds of it (indexMax), and one index range scan per origin the
// peer may lack something of, from have's contiguous base upward: a hub
// with an origin per phone pays for the phones that wrote since, not one
// seek for each of them. Memory is bounded (one row at a time). A row
// indexed under several uncovered origins is sent only from the smallest
// of them. An error from fn stops the scan and is returned. fn may apply
// commits: they are not part of the snapshot.
func (s *Store) Missing(have *crdt.VersionVector, fn func(Change) error) (*crdt.VersionVector, error) {
	if have == nil {
		have = &crdt.VersionVector{}
	}
	snap, vv, err := s.catchUpSnapshot(have)
	if err != nil {
		return nil, err
	}
	defer snap.Close()
	if have.IsEmpty() {
		// A new peer lacks everything: read rows in key order.
		return vv, scanAllRows(snap, fn)
	}
	return vv, scanMissing(snap, have, s.index.above(have), fn)
}

// catchUpSnapshot takes a snapshot for a catch-up, once every batch it may
// see is synced (a row, or a dot, that a crash could undo must never reach
// a peer), and returns it with its version vector: the parts of the
// origins whose part have does not cover (all of them for a nil have), the
// only ones a receiver with have could claim anything from.
//
// The vector is the durable one in memory, read together with the
// snapshot under the lock that orders commits' effects on it: a commit's
// batch is visible in Pebble before the vector takes its claims, so the
// vector never claims what the snapshot lacks (it may lag it, which claims
// less). Reading it from the snapshot instead decoded every origin's part
// at every catch-up.
func (s *Store) catchUpSnapshot(have *crdt.VersionVector) (*pebble.Snapshot, *crdt.VersionVector, error) {
	if err := s.checkOpen(); err != nil {
		return nil, nil, err
	}
	s.mu.Lock()
	snap := s.db.NewSnapshot()
	var vv *crdt.VersionVector
	if have == nil {
		vv = s.mu.vv.all.Clone()
	} else {
		vv = s.mu.vv.all.Lacking(have)
	}
	s.mu.Unlock()
	s.waitSynced() // the snapshot may see batches whose sync is under way
	return snap, vv, nil
}

// scanAllRows calls fn for every row in key order. For a peer that has
// nothing, it sends the same rows as the dot index walk, but reads them
// sequentially instead of one point lookup per index entry (sync.md: a
// brand-new node gets a snapshot stream in key order).
func scanAllRows(r pebble.Reader, fn func(Change) error) error {
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: dataPrefix, UpperBound: dataPrefixEnd})
	if err != nil {
		return err
	}
	defer it.Close()
	for it.First(); it.Valid(); it.NextPrefix() {
		key, rk, row, err := decodeDataEntry(it)
		if err != nil {
			return err
		}
		if err := fn(Change{Key: key, RowKey: rk, Row: row}); err != nil {
			return err
		}
	}
	return it.Error()
}

// scanMissing walks the dot index of r for the given origins, sorted: for
// each, it seeks to the first counter above have's base, so the covered
// prefix of an origin costs one seek, not a scan.
func scanMissing(r pebble.Reader, have *crdt.VersionVector, origins []crdt.ReplicaID, fn func(Change) error) error {
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: indexPrefix, UpperBound: indexEnd})
	if err != nil {
		return err
	}
	defer it.Close()
	for _, o := range origins {
		for valid := seekAbove(it, o, have.Base(o)); valid; valid = it.Next() {
			d, err := parseIndexKey(it.Key())
			if err != nil {
				return corrupt(it.Key(), err)
			}
			if d.Origin != o {
				break
			}
			if !have.Contains(d) {
				if err := sendIndexed(r, it, d, have, fn); err != nil {
					return err
				}
			}
		}
		if err := it.Error(); err != nil {
			return err
		}
	}
	return nil
}

// seekAbove positions it at origin's first entry above counter base, or at
// the next origin if there is none.
func seekAbove(it *pebble.Iterator, origin crdt.ReplicaID, base uint64) bool {
	if base < math.MaxUint64 {
		return it.SeekGE(indexKey(crdt.Dot{Origin: origin, Counter: base + 1}))
	}
	if origin == math.MaxUint64 {
		return false
	}
	return it.SeekGE(indexKey(crdt.Dot{Origin: origin + 1}))
}

// sendIndexed reads the row the index entry d points to and passes it to fn,
// unless a smaller origin of the row is also uncovered: that origin's scan
// sends it (its entry is at a counter above have's base for it, so the
// origin is scanned and the scan reaches it). This sends every missing row
// exactly once without a set of rows already sent.
func sendIndexed(r pebble.Reader, it *pebble.Iterator, d crdt.Dot, have *crdt.VersionVector, fn func(Change) error) error {
	ik := it.Key()
	dk, err := it.ValueAndErr()
	if err != nil {
		return err
	}
	key, rk, err := parseDataKey(dk)
	if err != nil {
		return corrupt(ik, err)
	}
	row, err := readRow(r, dk, rk)
	if err != nil {
		return err
	}
	if row.Context.Max(d.Origin) != d.Counter {
		return corrupt(ik, fmt.Errorf("index entry %s points at row %q whose latest dot of that origin is %d",
			d, dk, row.Context.Max(d.Origin)))
	}
	for _, o := range row.LatestDots() {
		if o.Origin >= d.Origin {
			break // LatestDots is sorted by origin
		}
		if !have.Contains(o) {
			return nil
		}
	}
	return fn(Change{Key: key, RowKey: rk, Row: row})
}
