package crdt

import (
	"bytes"
	"errors"
	"maps"
	"slices"
	"testing"
)

func TestRowKeyAppendParse(t *testing.T) {
	tests := []struct {
		name  string
		key   RowKey
		bytes string
	}{
		{"register", RowKey{Kind: KindRegister}, "\x01"},
		{"counter", CounterRow(0x0102030405060708), "\x02\x01\x02\x03\x04\x05\x06\x07\x08"},
		{"counter of origin zero", CounterRow(0), "\x02\x00\x00\x00\x00\x00\x00\x00\x00"},
		{"set member", RowKey{KindSet, "alice"}, "\x03alice"},
		{"empty set member", RowKey{KindSet, ""}, "\x03"},
		{"binary set member", RowKey{KindSet, "\x00\xff"}, "\x03\x00\xff"},
		{"map field", RowKey{KindMap, "name"}, "\x04name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.key.Append(nil)
			if string(got) != tt.bytes {
				t.Fatalf("Append = %q, want %q", got, tt.bytes)
			}
			// Append appends: a prefix the caller wrote stays.
			if with := tt.key.Append([]byte("k/")); string(with) != "k/"+tt.bytes {
				t.Fatalf("Append(prefix) = %q", with)
			}
			back, err := ParseRowKey(got)
			if err != nil || back != tt.key {
				t.Fatalf("ParseRowKey(%q) = %+v, %v; want %+v", got, back, err, tt.key)
			}
		})
	}
}

func TestParseRowKeyRejects(t *testing.T) {
	tests := []struct {
		name string
		in   string
	}{
		{"empty", ""},
		{"kind zero", "\x00"},
		{"kind unknown", "\x05abc"},
		{"kind high", "\xff"},
		{"register with a name", "\x01x"},
		{"counter name short", "\x02\x00\x01"},
		{"counter name long", "\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00"},
		{"counter without name", "\x02"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := ParseRowKey([]byte(tt.in))
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("ParseRowKey(%q) = %+v, %v; want ErrInvalid", tt.in, k, err)
			}
		})
	}
}

// TestRowKeyCompareMatchesBytes checks that Compare orders keys as their
// encoded bytes do: storage keeps rows in byte order, EncodeObject in
// Compare order, and the two must agree.
func TestRowKeyCompareMatchesBytes(t *testing.T) {
	keys := []RowKey{
		{Kind: KindRegister}, CounterRow(0), CounterRow(1), CounterRow(1 << 56),
		{KindSet, ""}, {KindSet, "\x00"}, {KindSet, "a"}, {KindSet, "a\x00"}, {KindSet, "b"}, {KindSet, "\xff"},
		{KindMap, ""}, {KindMap, "a"},
	}
	for _, a := range keys {
		for _, b := range keys {
			want := bytes.Compare(a.Append(nil), b.Append(nil))
			if got := a.Compare(b); sign(got) != want {
				t.Errorf("%+v.Compare(%+v) = %d, bytes say %d", a, b, got, want)
			}
		}
	}
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

// live is a one-entry row of kind written with dot d at time wall.
func live(kind Kind, d Dot, wall int64) Row {
	return Row{Kind: kind, Entries: []Entry{{Dot: d, Time: ts(wall, 0)}}, Context: Context{d}}
}

func marker(kind Kind, d Dot) Row { return Row{Kind: kind, Context: Context{d}} }

func TestObjectType(t *testing.T) {
	tests := []struct {
		name      string
		obj       Object
		kind      Kind
		conflicts []Kind
	}{
		{"absent", Object{}, 0, nil},
		{"only markers", Object{{KindSet, "a"}: marker(KindSet, dot(1, 1)), {Kind: KindRegister}: marker(KindRegister, dot(1, 2))}, 0, nil},
		{"one register", Object{{Kind: KindRegister}: live(KindRegister, dot(1, 1), 5)}, KindRegister, nil},
		{"many set members", Object{{KindSet, "a"}: live(KindSet, dot(1, 1), 5), {KindSet, "b"}: live(KindSet, dot(1, 2), 6)}, KindSet, nil},
		{"later time wins", Object{
			{Kind: KindRegister}: live(KindRegister, dot(1, 1), 9),
			{KindSet, "a"}:       live(KindSet, dot(2, 1), 5),
		}, KindRegister, []Kind{KindSet}},
		{"tie on time: higher dot wins", Object{
			{Kind: KindRegister}: live(KindRegister, dot(1, 1), 5),
			{KindMap, "f"}:       live(KindMap, dot(2, 1), 5),
		}, KindMap, []Kind{KindRegister}},
		{"a removed row is no conflict", Object{
			{Kind: KindRegister}: live(KindRegister, dot(1, 1), 5),
			{KindSet, "a"}:       marker(KindSet, dot(2, 9)),
		}, KindRegister, nil},
		{"three kinds", Object{
			CounterRow(3):        live(KindCounter, dot(3, 1), 7),
			{KindSet, "a"}:       live(KindSet, dot(2, 1), 8),
			{Kind: KindRegister}: live(KindRegister, dot(1, 1), 5),
		}, KindSet, []Kind{KindRegister, KindCounter}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Type must not depend on map iteration order: ask many times.
			for range 20 {
				kind, conflicts := tt.obj.Type()
				if kind != tt.kind || !slices.Equal(conflicts, tt.conflicts) {
					t.Fatalf("Type() = %s %v, want %s %v", kind, conflicts, tt.kind, tt.conflicts)
				}
			}
		})
	}
}

func TestObjectReads(t *testing.T) {
	o := Object{
		{KindSet, "b"}:    live(KindSet, dot(1, 1), 5),
		{KindSet, "a"}:    live(KindSet, dot(1, 2), 5),
		{KindSet, "gone"}: marker(KindSet, dot(1, 3)),
		{KindMap, "f"}:    live(KindMap, dot(1, 4), 5),
		{KindMap, "g"}:    marker(KindMap, dot(1, 5)),
		CounterRow(1):     {Kind: KindCounter, Entries: []Entry{{Dot: dot(1, 6), Inc: 10, Dec: 3}}, Context: ctx(1, 6)},
		CounterRow(2):     {Kind: KindCounter, Entries: []Entry{{Dot: dot(2, 1), Dec: 4}}, Context: ctx(2, 1)},
	}
	if got := o.Members(); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("Members() = %q", got)
	}
	if got := slices.Sorted(maps.Keys(o.Fields())); !slices.Equal(got, []string{"f"}) {
		t.Errorf("Fields() = %q", got)
	}
	if got := o.Counter(); got != 3 {
		t.Errorf("Counter() = %d, want 3", got)
	}
}

// node is a replica in the scenario tests below: an object, a dot counter
// and a clock reading.
type node struct {
	id  ReplicaID
	n   uint64
	obj Object
}

func newNode(id ReplicaID) *node { return &node{id: id, obj: Object{}} }

func (n *node) dot() Dot { n.n++; return Dot{Origin: n.id, Counter: n.n} }

func (n *node) apply(k RowKey, delta func(Row) Row) {
	n.obj[k] = Join(n.obj[k], delta(n.obj[k]))
}

func (n *node) write(k RowKey, wall int64, v string) {
	d := n.dot()
	n.apply(k, func(r Row) Row { return r.Write(k.Kind, d, ts(wall, 0), []byte(v)) })
}

func (n *node) add(member string, wall int64) {
	d := n.dot()
	n.apply(RowKey{KindSet, member}, func(r Row) Row { return r.Write(KindSet, d, ts(wall, 0), nil) })
}

func (n *node) remove(k RowKey) {
	d := n.dot()
	n.apply(k, func(r Row) Row { return r.Remove(k.Kind, d) })
}

func (n *node) incr(by int64, wall int64) {
	d := n.dot()
	n.apply(CounterRow(n.id), func(r Row) Row { return r.Increment(d, ts(wall, 0), by) })
}

// exchange merges two nodes' states both ways.
func exchange(a, b *node) {
	a.obj, b.obj = JoinObjects(a.obj, b.obj), JoinObjects(b.obj, a.obj)
}

// TestScenarios are the semantics of the design note, each as two or
// three replicas doing things concurrently and then exchanging state.
func TestScenarios(t *testing.T) {
	reg := RowKey{Kind: KindRegister}

	t.Run("add wins over concurrent remove", func(t *testing.T) {
		a, b := newNode(1), newNode(2)
		a.add("x", 1)
		exchange(a, b)
		a.remove(RowKey{KindSet, "x"}) // a removes the add it saw...
		b.add("x", 2)                  // ...while b adds x again
		exchange(a, b)
		for _, n := range []*node{a, b} {
			if got := n.obj.Members(); !slices.Equal(got, []string{"x"}) {
				t.Fatalf("node %d: Members() = %q, want [x]", n.id, got)
			}
		}
		sameObject(t, "a vs b", a.obj, b.obj)
	})

	t.Run("remove of everything seen removes", func(t *testing.T) {
		a, b := newNode(1), newNode(2)
		a.add("x", 1)
		b.add("x", 1)
		exchange(a, b)
		a.remove(RowKey{KindSet, "x"})
		exchange(a, b)
		if got := b.obj.Members(); len(got) != 0 {
			t.Fatalf("Members() = %q, want none", got)
		}
	})

	t.Run("concurrent register writes are siblings", func(t *testing.T) {
		a, b, c := newNode(1), newNode(2), newNode(3)
		a.write(reg, 10, "from a")
		b.write(reg, 12, "from b")
		c.write(reg, 12, "from c") // ties b on time; the higher origin wins
		exchange(a, b)
		exchange(b, c)
		exchange(a, b)
		for _, n := range []*node{a, b, c} {
			r := n.obj[reg]
			w, _ := r.Winner()
			if string(w.Value) != "from c" || len(r.Siblings()) != 2 {
				t.Fatalf("node %d: winner %q with %d siblings", n.id, w.Value, len(r.Siblings()))
			}
		}
		// A write that has seen all three supersedes them.
		a.write(reg, 1, "final") // an earlier clock reading does not matter
		exchange(a, c)
		if r := c.obj[reg]; len(r.Entries) != 1 || string(r.Entries[0].Value) != "final" {
			t.Fatalf("register after superseding write: %+v", r.Entries)
		}
	})

	t.Run("counter sums every origin", func(t *testing.T) {
		a, b, c := newNode(1), newNode(2), newNode(3)
		a.incr(5, 1)
		a.incr(-2, 2)
		b.incr(10, 1)
		exchange(a, b)
		c.incr(-1, 1)
		b.incr(1, 3)
		exchange(b, c)
		exchange(a, c)
		exchange(a, b)
		for _, n := range []*node{a, b, c} {
			if got := n.obj.Counter(); got != 13 {
				t.Fatalf("node %d: Counter() = %d, want 13", n.id, got)
			}
		}
	})

	t.Run("map field delete leaves a marker", func(t *testing.T) {
		a, b := newNode(1), newNode(2)
		f := RowKey{KindMap, "f"}
		a.write(f, 1, "v")
		exchange(a, b)
		b.remove(f)
		// Catch-up ships rows: a receives b's marker row alone.
		a.obj[f] = Join(a.obj[f], b.obj[f])
		if _, ok := a.obj.Fields()["f"]; ok {
			t.Fatal("field still present after its delete was merged")
		}
		if !a.obj[f].Context.Covers(Dot{Origin: 2, Counter: 1}) {
			t.Fatal("the delete's dot is not findable in the marker row")
		}
	})

	t.Run("concurrent creation with two types", func(t *testing.T) {
		a, b := newNode(1), newNode(2)
		a.write(reg, 5, "v")
		b.add("m", 7)
		exchange(a, b)
		for _, n := range []*node{a, b} {
			kind, conflicts := n.obj.Type()
			if kind != KindSet || !slices.Equal(conflicts, []Kind{KindRegister}) {
				t.Fatalf("node %d: Type() = %s %v, want set [register]", n.id, kind, conflicts)
			}
		}
	})
}

func TestJoinObjectsNil(t *testing.T) {
	o := Object{{Kind: KindRegister}: live(KindRegister, dot(1, 1), 1)}
	sameObject(t, "nil ⊔ o", JoinObjects(nil, o), o)
	sameObject(t, "o ⊔ nil", JoinObjects(o, nil), o)
	if got := JoinObjects(nil, nil); got == nil || len(got) != 0 {
		t.Fatalf("JoinObjects(nil, nil) = %v, want an empty object", got)
	}
	// JoinObjects returns a new map: the caller's old state stays intact.
	p := Object{{KindSet, "a"}: live(KindSet, dot(2, 1), 1)}
	JoinObjects(o, p)
	if len(o) != 1 || len(p) != 1 {
		t.Fatal("JoinObjects modified an argument")
	}
}
