package storage

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
	"github.com/shoal-db/shoal/crdt"
)

// A bootstrap fills a new node from one peer's snapshot, streamed in key
// order. Its rows are merged without claiming their dots one by one (that
// grew the vector a range per key written more than once, until the node
// could neither send a Hello nor reopen its directory): instead the store
// keeps, under m/boot, how far the stream got and the vectors of the
// snapshots it came from, and claims at the end only what every one of
// them holds (sync.md: a bootstrap resumed elsewhere claims the
// intersection of the vectors of the snapshots it used; sync-scenarios 6).
//
// That claim is sound: each row up to After came from some earlier
// snapshot, each row after it from the last one, and rows only grow; so a
// dot that every snapshot's vector holds has its effect in whichever
// snapshot the row came from.
var bootKey = []byte("m/boot")

// BootstrapState is the progress of a bootstrap under way.
type BootstrapState struct {
	_ struct{} `cbor:",toarray"`
	// Finished: the bootstrap ended; the node never needs another.
	Finished bool
	// Key and RowKey name the last row applied, in key order; a resumed
	// bootstrap continues after it. Started is false before the first row.
	Started bool
	Key     string
	RowKey  []byte
	// VV is the intersection of the vectors of every snapshot rows were
	// taken from; nil before the first snapshot.
	VV *crdt.VersionVector
}

// Bootstrap returns the durable state of the bootstrap under way, or nil.
func (s *Store) Bootstrap() *BootstrapState {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.mu.boot.clone()
	if b != nil && b.VV != nil {
		b.VV = b.VV.Clone() // the caller's to change
	}
	return b
}

// clone copies the state; its vector is shared, since a state's vector is
// never changed in place (BootstrapSnapshot makes a new one), so that
// recording each row's position stays cheap.
func (b *BootstrapState) clone() *BootstrapState {
	if b == nil {
		return nil
	}
	c := *b
	c.RowKey = bytes.Clone(b.RowKey)
	return &c
}

// BootstrapSnapshot records, with this commit, that the rows that follow
// come from a snapshot whose vector is vv. It starts a bootstrap if none is
// under way; after one finished it gives ErrInvalidRow (a session that
// asked for a bootstrap from a stale position must not start another,
// whose end would claim what rows before that position never carried).
func (c *Commit) BootstrapSnapshot(vv *crdt.VersionVector) error {
	next := c.boot.clone()
	if next != nil && next.Finished {
		return fmt.Errorf("%w: a bootstrap snapshot after the bootstrap finished", ErrInvalidRow)
	}
	if next == nil {
		next = &BootstrapState{}
	}
	if next.VV == nil {
		next.VV = vv.Clone()
	} else {
		next.VV = next.VV.Intersect(vv)
	}
	next.VV.Trim(c.s.maxRanges)
	c.setBoot(next)
	return nil
}

// BootstrapRow merges a bootstrap row (without claiming its dots, see
// MergeUnclaimed) and records it as the bootstrap's position. Rows must
// come in key order, after the position: one that does not gives
// ErrInvalidRow and changes nothing.
func (c *Commit) BootstrapRow(key string, rk crdt.RowKey, row crdt.Row) error {
	if c.boot == nil || c.boot.Finished || c.boot.VV == nil {
		return fmt.Errorf("%w: bootstrap row before its snapshot", ErrInvalidRow)
	}
	dk := dataKey(key, rk)
	if c.boot.Started && bytes.Compare(dk, dataKey(c.boot.Key, mustRowKey(c.boot.RowKey))) <= 0 {
		return fmt.Errorf("%w: bootstrap row %q out of key order", ErrInvalidRow, key)
	}
	if _, err := c.MergeUnclaimed(key, rk, row); err != nil {
		return err
	}
	next := c.boot.clone()
	next.Started, next.Key, next.RowKey = true, key, rk.Append(nil)
	c.setBoot(next)
	return nil
}

// FinishBootstrap ends the bootstrap with the vector of the snapshot that
// was streamed to its end by the peer from: the commit claims what that
// vector and every earlier snapshot's hold, and the bootstrap state
// becomes Finished.
func (c *Commit) FinishBootstrap(vv *crdt.VersionVector, from crdt.ReplicaID) error {
	if c.boot == nil || c.boot.Finished || c.boot.VV == nil {
		return fmt.Errorf("%w: bootstrap end before its snapshot", ErrInvalidRow)
	}
	c.JoinVersionVector(c.boot.VV.Intersect(vv), from)
	c.setBoot(&BootstrapState{Finished: true})
	return nil
}

func (c *Commit) setBoot(b *BootstrapState) { c.boot, c.bootChanged = b, true }

// writeBootstrap adds the bootstrap state to b if this commit changed it.
func (c *Commit) writeBootstrap(b *pebble.Batch) error {
	if !c.bootChanged {
		return nil
	}
	if c.boot == nil {
		return b.Delete(bootKey, nil)
	}
	enc, err := crdt.Marshal(c.boot)
	if err != nil {
		return err
	}
	return b.Set(bootKey, enc, nil)
}

// loadBootstrap reads m/boot, or nil if no bootstrap is under way.
func loadBootstrap(r pebble.Reader) (*BootstrapState, error) {
	v, closer, err := r.Get(bootKey)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer closer.Close()
	var b BootstrapState
	if err := crdt.UnmarshalStored(v, &b); err != nil {
		return nil, corrupt(bootKey, err)
	}
	if _, err := crdt.ParseRowKey(b.RowKey); b.Started && err != nil {
		return nil, corrupt(bootKey, err)
	}
	return &b, nil
}

// mustRowKey parses a row key already validated (at load, or built by
// Append).
func mustRowKey(b []byte) crdt.RowKey {
	rk, _ := crdt.ParseRowKey(b)
	return rk
}

// RowsAfter streams a bootstrap from one snapshot: it calls start with the
// snapshot's vector, then fn for every row after (key, rk) in key order
// (from the first row if started is false) that holds a dot outside have,
// and returns the same vector. Memory is one row at a time; rows are read
// sequentially.
func (s *Store) RowsAfter(started bool, key string, rk crdt.RowKey, have *crdt.VersionVector,
	start func(*crdt.VersionVector) error, fn func(Change) error) (*crdt.VersionVector, error) {
	snap, vv, err := s.catchUpSnapshot(nil)
	if err != nil {
		return nil, err
	}
	defer snap.Close()
	if err := start(vv); err != nil {
		return nil, err
	}
	lower := dataPrefix
	if started {
		lower = append(dataKey(key, rk), 0) // the smallest key above it
	}
	it, err := snap.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: dataPrefixEnd})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	for it.First(); it.Valid(); it.NextPrefix() {
		key, rk, row, err := decodeDataEntry(it)
		if err != nil {
			return nil, err
		}
		if have != nil && coveredBy(have, row) {
			continue
		}
		if err := fn(Change{Key: key, RowKey: rk, Row: row}); err != nil {
			return nil, err
		}
	}
	return vv, it.Error()
}

// coveredBy reports whether have holds every latest dot of row.
func coveredBy(have *crdt.VersionVector, row crdt.Row) bool {
	for _, d := range row.Context {
		if !have.Contains(d) {
			return false
		}
	}
	return true
}
