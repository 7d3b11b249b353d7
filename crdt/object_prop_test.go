package crdt

import (
	"bytes"
	"maps"
	"slices"
	"testing"

	"pgregory.net/rapid"
)

// Property tests of whole keys: convergence in any delivery order, and the
// converged state against the sequential model of history_test.go.

// applyDeltas joins the deltas, in the order given, into an empty object.
func applyDeltas(deltas []keyedRow, order []int) Object {
	o := Object{}
	for _, i := range order {
		o[deltas[i].Key] = Join(o[deltas[i].Key], deltas[i].Row)
	}
	return o
}

// TestDeltaDeliveryOrder checks that any delivery order of the same
// deltas, with duplicates, gives byte-identical states, and that this is
// the state the replicas reach by exchanging whole states.
func TestDeltaDeliveryOrder(t *testing.T) {
	forEachKind(t, func(t *rapid.T, cfg genConfig) {
		h := genHistory(t, cfg)
		inOrder := make([]int, len(h.Deltas))
		for i := range inOrder {
			inOrder[i] = i
		}
		want := applyDeltas(h.Deltas, inOrder)

		order := slices.Clone(inOrder)
		if len(h.Deltas) > 0 {
			dups := rapid.SliceOfN(rapid.IntRange(0, len(h.Deltas)-1), 0, 5).Draw(t, "duplicates")
			order = append(order, dups...)
		}
		order = rapid.Permutation(order).Draw(t, "order")
		sameObject(t, "shuffled deltas vs in-order deltas", applyDeltas(h.Deltas, order), want)

		h.converge(rapid.Permutation(replicaOrder(h)).Draw(t, "merge order"))
		sameObject(t, "converged replica vs all deltas", h.Reps[0].Obj, want)
	})
}

func replicaOrder(h *history) []int {
	order := make([]int, len(h.Reps))
	for i := range order {
		order[i] = i
	}
	return order
}

// TestStateIsJoinOfKnownDeltas checks that merging whole states, single
// rows and stray deltas all agree: at the end of any history, each replica
// holds exactly the join of the deltas of the events it has merged.
func TestStateIsJoinOfKnownDeltas(t *testing.T) {
	forEachKind(t, func(t *rapid.T, cfg genConfig) {
		h := genHistory(t, cfg)
		for _, r := range h.Reps {
			var known []int
			for i, e := range h.Events {
				if r.Known[e.Dot] {
					known = append(known, i)
				}
			}
			sameObject(t, "replica state vs join of its deltas", r.Obj, applyDeltas(h.Deltas, known))
		}
	})
}

// TestConvergenceMatchesModel merges every replica with every other, in a
// random order, then checks that all replicas hold the same bytes, and
// that these are the state the model derives from the events alone. Then
// it checks what a reader sees against the model: add-wins members,
// register siblings and winner, counter totals, and the key's type.
func TestConvergenceMatchesModel(t *testing.T) {
	forEachKind(t, func(t *rapid.T, cfg genConfig) {
		h := genHistory(t, cfg)
		h.converge(rapid.Permutation(replicaOrder(h)).Draw(t, "merge order"))
		want := h.modelObject()
		first := encObject(t, h.Reps[0].Obj)
		for _, r := range h.Reps {
			if !bytes.Equal(encObject(t, r.Obj), first) {
				t.Fatalf("replicas %s and %s differ after merging everything", h.Reps[0].ID, r.ID)
			}
			checkReads(t, r.Obj, h)
		}
		sameObject(t, "converged state vs model", h.Reps[0].Obj, want)
	})
}

// checkReads checks the values a reader sees in o, which holds every
// event of h, against the events themselves.
func checkReads(t *rapid.T, o Object, h *history) {
	t.Helper()
	live := map[Dot]bool{} // writes no other event on their row has seen
	for _, e := range h.Events {
		if !e.Remove && !h.seenByAnother(e) {
			live[e.Dot] = true
		}
	}

	// Set: a member is present iff one of its adds is live (add-wins).
	var members []string
	var counter int64
	var top *event // the highest live write of the key, by (Time, Dot)
	for _, e := range h.Events {
		if e.Key.Kind == KindCounter {
			counter += e.N
		}
		if !live[e.Dot] {
			continue
		}
		if e.Key.Kind == KindSet && !slices.Contains(members, e.Key.Name) {
			members = append(members, e.Key.Name)
		}
		if top == nil || e.Time.Compare(top.Time) > 0 || e.Time == top.Time && e.Dot.Compare(top.Dot) > 0 {
			top = e
		}
	}
	slices.Sort(members)
	if got := o.Members(); !slices.Equal(got, members) {
		t.Fatalf("Members() = %q, want %q", got, members)
	}
	// Counter: the sum of every increment of every origin.
	if got := o.Counter(); got != counter {
		t.Fatalf("Counter() = %d, want %d", got, counter)
	}
	// Registers and map fields: concurrent writes stay as siblings, and the
	// winner is the highest by (Time, Dot).
	for k, r := range o {
		if k.Kind != KindRegister && k.Kind != KindMap {
			continue
		}
		checkWinner(t, k, r, h, live)
	}
	if got := slices.Sorted(maps.Keys(o.Fields())); !slices.Equal(got, liveNames(h, live, KindMap)) {
		t.Fatalf("Fields() = %q, want %q", got, liveNames(h, live, KindMap))
	}
	// Type: the kind of the highest live write; every other kind with a
	// live row is a conflict.
	kind, conflicts := o.Type()
	var wantKind Kind
	wantConflicts := []Kind{}
	if top != nil {
		wantKind = top.Key.Kind
		for _, e := range h.Events {
			if live[e.Dot] && e.Key.Kind != wantKind && !slices.Contains(wantConflicts, e.Key.Kind) {
				wantConflicts = append(wantConflicts, e.Key.Kind)
			}
		}
		slices.Sort(wantConflicts)
	}
	if kind != wantKind || !slices.Equal(conflicts, wantConflicts) {
		t.Fatalf("Type() = %s %v, want %s %v", kind, conflicts, wantKind, wantConflicts)
	}
}

// checkWinner checks one register row: its entries are exactly the live
// writes of the row, the winner is the highest of them by (Time, Dot), and
// the siblings are the others, newest first.
func checkWinner(t *rapid.T, k RowKey, r Row, h *history, live map[Dot]bool) {
	t.Helper()
	var want []*event
	for _, e := range h.Events {
		if e.Key == k && live[e.Dot] {
			want = append(want, e)
		}
	}
	// Newest first, by (Time, Dot): the order readers see.
	slices.SortFunc(want, func(a, b *event) int {
		if c := b.Time.Compare(a.Time); c != 0 {
			return c
		}
		return b.Dot.Compare(a.Dot)
	})
	w, ok := r.Winner()
	if ok != (len(want) > 0) {
		t.Fatalf("row %v: Winner ok=%v with %d live writes", k, ok, len(want))
	}
	if !ok {
		return
	}
	if w.Dot != want[0].Dot || !bytes.Equal(w.Value, want[0].Value) {
		t.Fatalf("row %v: winner %s, want %s", k, w.Dot, want[0].Dot)
	}
	sib := r.Siblings()
	if len(sib) != len(want)-1 {
		t.Fatalf("row %v: %d siblings, want %d", k, len(sib), len(want)-1)
	}
	for i, s := range sib {
		if s.Dot != want[i+1].Dot {
			t.Fatalf("row %v: sibling %d is %s, want %s", k, i, s.Dot, want[i+1].Dot)
		}
	}
}

// liveNames lists the names of kind's rows that hold a live write.
func liveNames(h *history, live map[Dot]bool, kind Kind) []string {
	var out []string
	for _, e := range h.Events {
		if e.Key.Kind == kind && live[e.Dot] && !slices.Contains(out, e.Key.Name) {
			out = append(out, e.Key.Name)
		}
	}
	slices.Sort(out)
	return out
}

// drawObject picks an object state seen during the history, or the empty
// object.
func drawObject(t *rapid.T, h *history, label string) Object {
	i := rapid.IntRange(-1, len(h.ObjPool)-1).Draw(t, label)
	if i < 0 {
		return Object{}
	}
	return h.ObjPool[i]
}

func TestJoinObjectsLaws(t *testing.T) {
	forEachKind(t, func(t *rapid.T, cfg genConfig) {
		h := genHistory(t, cfg)
		a, b, c := drawObject(t, h, "a"), drawObject(t, h, "b"), drawObject(t, h, "c")
		sameObject(t, "a⊔b vs b⊔a", JoinObjects(a, b), JoinObjects(b, a))
		sameObject(t, "(a⊔b)⊔c vs a⊔(b⊔c)", JoinObjects(JoinObjects(a, b), c), JoinObjects(a, JoinObjects(b, c)))
		sameObject(t, "a⊔a vs a", JoinObjects(a, a), a)
	})
}

// TestEncodeObjectDeterministic checks that an object's bytes depend only
// on its rows, not on the order they were inserted in (Go map order is
// random) nor on how many times it is encoded.
func TestEncodeObjectDeterministic(t *testing.T) {
	forEachKind(t, func(t *rapid.T, cfg genConfig) {
		h := genHistory(t, cfg)
		o := drawObject(t, h, "object")
		want := encObject(t, o)
		rebuilt := Object{}
		for _, k := range rapid.Permutation(o.RowKeys()).Draw(t, "insertion order") {
			rebuilt[k] = o[k]
		}
		for range 3 {
			if got := encObject(t, rebuilt); !bytes.Equal(got, want) {
				t.Fatalf("EncodeObject gave different bytes for the same rows")
			}
		}
	})
}
