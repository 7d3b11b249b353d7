package crdt

import (
	"encoding/binary"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// RowKey names a row within a key: its kind and, for counters, sets and
// maps, its name (the origin, member or field). A register's row has no
// name. Rows of different kinds never share a RowKey, so a key written
// concurrently as two types keeps both rows.
type RowKey struct {
	Kind Kind
	Name string
}

// CounterRow returns the row key of origin's share of a counter.
func CounterRow(origin ReplicaID) RowKey {
	return RowKey{Kind: KindCounter, Name: string(binary.BigEndian.AppendUint64(nil, uint64(origin)))}
}

// Append appends the row key's bytes (kind, then name) to dst.
func (k RowKey) Append(dst []byte) []byte {
	return append(append(dst, byte(k.Kind)), k.Name...)
}

// Compare orders row keys by their encoded bytes.
func (k RowKey) Compare(o RowKey) int {
	if k.Kind != o.Kind {
		return int(k.Kind) - int(o.Kind)
	}
	return strings.Compare(k.Name, o.Name)
}

// ParseRowKey decodes the bytes Append wrote.
func ParseRowKey(b []byte) (RowKey, error) {
	if len(b) == 0 {
		return RowKey{}, fmt.Errorf("%w: empty row key", ErrInvalid)
	}
	k := RowKey{Kind: Kind(b[0]), Name: string(b[1:])}
	switch {
	case !k.Kind.Valid():
		return RowKey{}, fmt.Errorf("%w: row key of unknown kind %d", ErrInvalid, b[0])
	case k.Kind == KindRegister && k.Name != "":
		return RowKey{}, fmt.Errorf("%w: register row with a name", ErrInvalid)
	case k.Kind == KindCounter && len(k.Name) != 8:
		return RowKey{}, fmt.Errorf("%w: counter row name of %d bytes, want 8", ErrInvalid, len(k.Name))
	}
	return k, nil
}

// Object is every row of one key. The key's value is derived from its live
// rows; remove markers are kept for catch-up.
type Object map[RowKey]Row

// JoinObjects merges two states of one key row by row.
func JoinObjects(a, b Object) Object {
	out := maps.Clone(a)
	if out == nil {
		out = Object{}
	}
	for k, r := range b {
		out[k] = Join(out[k], r)
	}
	return out
}

// RowKeys returns the object's row keys in encoded order.
func (o Object) RowKeys() []RowKey {
	return slices.SortedFunc(maps.Keys(o), RowKey.Compare)
}

// Type returns the key's kind: that of the live row whose winning entry is
// highest by (time, origin, counter). conflicts lists the other kinds that
// have live rows: the result of two replicas creating the key concurrently
// with different types. Every replica with the same rows gives the same
// answer. Kind zero means the key is absent.
func (o Object) Type() (kind Kind, conflicts []Kind) {
	var best Entry
	live := map[Kind]bool{}
	for k, r := range o {
		w, ok := r.Winner()
		if !ok {
			continue
		}
		live[k.Kind] = true
		if kind == 0 || compareEntries(w, best) > 0 {
			kind, best = k.Kind, w
		}
	}
	delete(live, kind)
	return kind, slices.Sorted(maps.Keys(live))
}

// Counter returns the sum of every origin's share of the counter.
func (o Object) Counter() int64 {
	var n int64
	for k, r := range o {
		if k.Kind == KindCounter {
			n += r.CounterTotal()
		}
	}
	return n
}

// Members returns the set's live members, sorted.
func (o Object) Members() []string {
	var out []string
	for k, r := range o {
		if k.Kind == KindSet && r.Live() {
			out = append(out, k.Name)
		}
	}
	slices.Sort(out)
	return out
}

// Fields returns the map's live fields, each a register row.
func (o Object) Fields() map[string]Row {
	out := map[string]Row{}
	for k, r := range o {
		if k.Kind == KindMap && r.Live() {
			out[k.Name] = r
		}
	}
	return out
}
