package storage

import (
	"bytes"
	"slices"

	"github.com/shoal-db/shoal/crdt"
)

// rowsEqual reports whether two rows hold the same state. It compares
// fields rather than encoded bytes: no allocation, and a nil slice equals
// an empty one (Join and decoding need not agree on which they return).
func rowsEqual(a, b crdt.Row) bool {
	return a.Kind == b.Kind &&
		slices.Equal(a.Context, b.Context) &&
		slices.EqualFunc(a.Entries, b.Entries, entriesEqual)
}

func entriesEqual(a, b crdt.Entry) bool {
	return a.Dot == b.Dot && a.Time == b.Time && bytes.Equal(a.Value, b.Value) &&
		a.Inc == b.Inc && a.Dec == b.Dec
}
