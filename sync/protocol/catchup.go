package protocol

import (
	"github.com/shoal-db/shoal/crdt"
	"github.com/shoal-db/shoal/sync/wire"
)

// Catch-up batches are cut at this many rows or bytes, whichever comes
// first: big enough to amortise a synced commit on the receiver, small
// enough to keep both sides' memory bounded. A single row larger than
// BatchBytes goes alone (the framing carries a message in several frames).
const (
	DefaultBatchRows  = 512
	DefaultBatchBytes = 1 << 20
)

// Source is the sender's store as a catch-up reads it: one snapshot per
// call, whose vector is returned (and, for a bootstrap, told first).
type Source interface {
	// Missing calls fn for every row holding a dot outside have and
	// returns the vector of the snapshot the rows were read from.
	Missing(have *crdt.VersionVector, fn func(wire.Row) error) (*crdt.VersionVector, error)
	// Bootstrap calls start with the vector of a new snapshot, then fn for
	// every row after the position from (in key order) that holds a dot
	// outside have, and returns the same vector.
	Bootstrap(from *wire.Bootstrap, have *crdt.VersionVector,
		start func(*crdt.VersionVector) error, fn func(wire.Row) error) (*crdt.VersionVector, error)
}

// CatchUp runs the catch-up Next asked for (Scan): it reads src against
// what the peer has, sends the rows in Batches, then Done with the
// snapshot's vector. A bootstrap (the peer's Hello asked for one) first
// sends Start with that vector and streams rows in key order from the
// position the peer gave. send is called in order, from this goroutine;
// an error from it or from src ends the catch-up (a later session starts
// a fresh one).
func (o *Outbound) CatchUp(src Source, send func(*wire.Message) error) error {
	o.Begin()
	cut := batcher{rows: o.batchRows, bytes: o.batchBytes, send: func(rows []wire.Row) error { return send(o.Batch(rows)) }}
	var snapshot *crdt.VersionVector
	var err error
	if boot := o.bootstrap; boot != nil {
		start := func(vv *crdt.VersionVector) error { return send(o.stamp(&wire.Message{Start: &wire.Start{VV: vv}})) }
		snapshot, err = src.Bootstrap(boot, o.Against(), start, cut.add)
	} else {
		snapshot, err = src.Missing(o.Against(), cut.add)
	}
	if err == nil {
		err = cut.flush()
	}
	if err != nil {
		return err
	}
	if boot := o.bootstrap; boot != nil {
		o.bootstrap = nil // a bootstrap runs once a session; a rescan is ordinary
		return send(o.bootstrapDone(snapshot, boot.Started))
	}
	return send(o.Done(snapshot))
}

// batcher cuts a stream of rows into batches.
type batcher struct {
	rows, bytes int
	send        func([]wire.Row) error
	pending     []wire.Row
	size        int
}

func (b *batcher) add(r wire.Row) error {
	b.pending = append(b.pending, r)
	if b.size += RowSize(r); len(b.pending) >= b.rows || b.size >= b.bytes {
		return b.flush()
	}
	return nil
}

func (b *batcher) flush() error {
	if len(b.pending) == 0 {
		return nil
	}
	rows := b.pending
	b.pending, b.size = nil, 0
	return b.send(rows)
}

// RowSize approximates a row's encoded size, key included.
func RowSize(r wire.Row) int {
	n := 16 + len(r.Key) + len(r.RowKey) + 16*len(r.Row.Context)
	for _, e := range r.Row.Entries {
		n += 40 + len(e.Value)
	}
	return n
}
