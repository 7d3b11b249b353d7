package crdt

import (
	"bytes"
	"maps"
	"slices"
	"testing"

	"pgregory.net/rapid"
)

// Property tests of rows: the lattice laws of Join, and the agreement of
// deltas with full-state mutation, over states reached by random histories
// (see history_test.go). Equality is always equality of encoded bytes,
// because that is what replicas compare and hash.

// drawRow picks a row state of key from the history's pool. The zero row
// (a key never written) is in the pool too: it is the lattice's bottom.
func drawRow(t *rapid.T, h *history, key RowKey, label string) Row {
	pool := h.RowPool[key]
	i := rapid.IntRange(-1, len(pool)-1).Draw(t, label)
	if i < 0 {
		return Row{}
	}
	return pool[i]
}

// drawKey picks one of the rows the history touched.
func drawKey(t *rapid.T, h *history) (RowKey, bool) {
	keys := h.keys()
	if len(keys) == 0 {
		return RowKey{}, false
	}
	return rapid.SampledFrom(keys).Draw(t, "key"), true
}

func TestJoinCommutative(t *testing.T) {
	forEachKind(t, func(t *rapid.T, cfg genConfig) {
		h := genHistory(t, cfg)
		key, ok := drawKey(t, h)
		if !ok {
			return
		}
		a, b := drawRow(t, h, key, "a"), drawRow(t, h, key, "b")
		sameRow(t, "a⊔b vs b⊔a", Join(a, b), Join(b, a))
	})
}

func TestJoinAssociative(t *testing.T) {
	forEachKind(t, func(t *rapid.T, cfg genConfig) {
		h := genHistory(t, cfg)
		key, ok := drawKey(t, h)
		if !ok {
			return
		}
		a, b, c := drawRow(t, h, key, "a"), drawRow(t, h, key, "b"), drawRow(t, h, key, "c")
		sameRow(t, "(a⊔b)⊔c vs a⊔(b⊔c)", Join(Join(a, b), c), Join(a, Join(b, c)))
	})
}

func TestJoinIdempotent(t *testing.T) {
	forEachKind(t, func(t *rapid.T, cfg genConfig) {
		h := genHistory(t, cfg)
		key, ok := drawKey(t, h)
		if !ok {
			return
		}
		a, b := drawRow(t, h, key, "a"), drawRow(t, h, key, "b")
		sameRow(t, "a⊔a vs a", Join(a, a), a)
		// Receiving the same state twice changes nothing either.
		ab := Join(a, b)
		sameRow(t, "(a⊔b)⊔b vs a⊔b", Join(ab, b), ab)
	})
}

// TestJoinInputsUnchanged checks that Join treats rows as values: callers
// keep old states around (the history above does), so Join must not write
// into its arguments' slices.
func TestJoinInputsUnchanged(t *testing.T) {
	forEachKind(t, func(t *rapid.T, cfg genConfig) {
		h := genHistory(t, cfg)
		key, ok := drawKey(t, h)
		if !ok {
			return
		}
		a, b := drawRow(t, h, key, "a"), drawRow(t, h, key, "b")
		ea, eb := encRow(t, a), encRow(t, b)
		_ = Join(a, b)
		if !bytes.Equal(encRow(t, a), ea) || !bytes.Equal(encRow(t, b), eb) {
			t.Fatalf("Join modified its arguments")
		}
	})
}

// refApply is the full-state mutator the delta mutators must agree with,
// written without the package's dot-store code: the new state has the
// row's old context plus the new dot, and for a write or an increment
// exactly one entry, the new one, since a local mutation supersedes
// everything the row holds.
func refApply(x Row, ev *event) Row {
	top := map[ReplicaID]uint64{ev.Dot.Origin: ev.Dot.Counter}
	for _, d := range x.Context {
		top[d.Origin] = max(top[d.Origin], d.Counter)
	}
	out := Row{Kind: ev.Key.Kind}
	for _, o := range slices.Sorted(maps.Keys(top)) {
		out.Context = append(out.Context, Dot{Origin: o, Counter: top[o]})
	}
	if !ev.Remove {
		out.Entries = []Entry{{Dot: ev.Dot, Time: ev.Time, Value: ev.Value, Inc: ev.Inc, Dec: ev.Dec}}
	}
	return out
}

// TestDeltaMatchesFullStateMutator checks X ⊔ delta(X) == apply(X) for
// every local mutation of every history. The old state X may have seen
// more than the delta claims (the delta carries only the dots of X's live
// entries), yet the join must still equal the full-state result exactly:
// the extra context is X's own and survives the join.
func TestDeltaMatchesFullStateMutator(t *testing.T) {
	forEachKind(t, func(t *rapid.T, cfg genConfig) {
		h := genHistory(t, cfg)
		for _, m := range h.Mutations {
			want := refApply(m.Before, m.Event)
			sameRow(t, "X⊔delta(X) vs apply(X)", m.After, want)
			sameRow(t, "delta(X)⊔X vs apply(X)", Join(m.Delta, m.Before), want)
			// Rule 1 of catch-up: every mutation's dot stays findable, in
			// the delta that ships it and in the row that stores it.
			if !m.Delta.Context.Covers(m.Event.Dot) || !m.After.Context.Covers(m.Event.Dot) {
				t.Fatalf("mutation %s lost its dot: delta %+v", m.Event.Dot, m.Delta)
			}
			if slices.Index(m.After.LatestDots(), m.Event.Dot) < 0 {
				t.Fatalf("LatestDots of %+v lacks the new dot %s", m.After, m.Event.Dot)
			}
			if err := m.Delta.Validate(); err != nil {
				t.Fatalf("delta %+v: %v", m.Delta, err)
			}
		}
	})
}

// TestReachableRowsValidAndRoundTrip checks that every state a history
// reaches passes Validate (so DecodeRow accepts what replicas store) and
// survives EncodeRow -> DecodeRow byte for byte.
func TestReachableRowsValidAndRoundTrip(t *testing.T) {
	forEachKind(t, func(t *rapid.T, cfg genConfig) {
		h := genHistory(t, cfg)
		for _, key := range h.keys() {
			for _, r := range h.RowPool[key] {
				if r.IsZero() {
					continue
				}
				if err := r.Validate(); err != nil {
					t.Fatalf("reachable row %+v: %v", r, err)
				}
				if r.Kind != key.Kind {
					t.Fatalf("row %v holds a %s row", key, r.Kind)
				}
				b := encRow(t, r)
				back, err := DecodeRow(b)
				if err != nil {
					t.Fatalf("DecodeRow(EncodeRow(%+v)): %v", r, err)
				}
				if !bytes.Equal(encRow(t, back), b) {
					t.Fatalf("round trip changed %+v into %+v", r, back)
				}
			}
		}
	})
}
