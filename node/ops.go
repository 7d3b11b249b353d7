package node

import (
	"fmt"
	"slices"

	"github.com/shoal-db/shoal/crdt"
	"github.com/shoal-db/shoal/storage"
)

// opKind says what a write does.
type opKind uint8

const (
	opPut opKind = iota + 1
	opDelete
	opIncrement
	opSetAdd
	opSetRemove
	opMapSet
	opMapDelete
)

// op is one write to one row.
type op struct {
	kind  opKind
	key   string
	name  string // set member or map field
	value []byte
	delta int64
}

// typ returns the type of key the op writes.
func (o op) typ() Type {
	switch o.kind {
	case opIncrement:
		return TypeCounter
	case opSetAdd, opSetRemove:
		return TypeSet
	case opMapSet, opMapDelete:
		return TypeMap
	}
	return TypeRegister
}

func (o op) removes() bool {
	return o.kind == opDelete || o.kind == opSetRemove || o.kind == opMapDelete
}

// rowKey returns the row the op writes; counters write the local origin's row.
func (o op) rowKey(self crdt.ReplicaID) crdt.RowKey {
	switch o.typ() {
	case TypeCounter:
		return crdt.CounterRow(self)
	case TypeRegister:
		return crdt.RowKey{Kind: crdt.KindRegister}
	}
	return crdt.RowKey{Kind: o.typ(), Name: o.name}
}

// applyOp checks the key's type, mints one dot and merges the op's delta.
// A remove of a row that holds nothing mints no dot: there is nothing it
// could supersede.
func (db *DB) applyOp(c *storage.Commit, o op, now int64) (rowRef, error) {
	rk := o.rowKey(db.store.ReplicaID())
	ref := rowRef{o.key, rk}
	if err := db.checkType(c, o); err != nil {
		return ref, err
	}
	row, err := c.Row(o.key, rk)
	if err != nil {
		return ref, err
	}
	if o.removes() && !row.Live() {
		return ref, nil
	}
	dot := c.NextDot()
	var delta crdt.Row
	switch {
	case o.removes():
		delta = row.Remove(rk.Kind, dot)
	case o.kind == opIncrement:
		delta = row.Increment(dot, db.clock.Now(now), o.delta)
	default:
		delta = row.Write(rk.Kind, dot, db.clock.Now(now), o.value)
	}
	_, err = c.Merge(o.key, rk, delta)
	return ref, err
}

// checkType refuses an op whose type differs from the key's current type.
// The common cases (no live row, or live rows of the op's type only) cost
// a seek or two, however many remove markers a set or map holds (see
// Commit.LiveKinds); only a key holding several types is read whole, to
// find which one shows.
func (db *DB) checkType(c *storage.Commit, o op) error {
	kinds, err := c.LiveKinds(o.key)
	if err != nil {
		return err
	}
	t := o.typ()
	switch {
	case len(kinds) == 0 || len(kinds) == 1 && kinds[0] == t:
		return nil
	case len(kinds) > 1 && slices.Contains(kinds, t):
		obj, err := c.Object(o.key)
		if err != nil {
			return err
		}
		t, _ = obj.Type()
	default:
		t = kinds[0]
	}
	if t != o.typ() {
		return fmt.Errorf("%w: key %q holds a %s, not a %s", ErrWrongType, o.key, t, o.typ())
	}
	return nil
}
