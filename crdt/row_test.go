package crdt

import (
	"errors"
	"math"
	"slices"
	"testing"
)

func entry(o ReplicaID, c uint64, wall int64, value string) Entry {
	e := Entry{Dot: dot(o, c), Time: ts(wall, 0)}
	if value != "" {
		e.Value = []byte(value)
	}
	return e
}

func TestRowValidate(t *testing.T) {
	c := ctx(1, 3, 2, 2)
	tests := []struct {
		name string
		row  Row
		ok   bool
	}{
		{"register with one entry", Row{Kind: KindRegister, Entries: []Entry{entry(1, 3, 5, "v")}, Context: c}, true},
		{"siblings sorted by dot", Row{Kind: KindRegister, Entries: []Entry{entry(1, 3, 5, "a"), entry(2, 2, 5, "b")}, Context: c}, true},
		{"remove marker", Row{Kind: KindSet, Context: c}, true},
		{"entry below the context max", Row{Kind: KindMap, Entries: []Entry{entry(1, 1, 5, "v")}, Context: c}, true},
		{"counter with totals", Row{Kind: KindCounter, Entries: []Entry{{Dot: dot(1, 3), Inc: 4, Dec: 1}}, Context: c}, true},

		{"unknown kind", Row{Kind: 9, Context: c}, false},
		{"kind zero", Row{Context: c}, false},
		{"empty context", Row{Kind: KindRegister}, false},
		{"empty context with entry", Row{Kind: KindRegister, Entries: []Entry{entry(1, 1, 5, "v")}}, false},
		{"context unsorted", Row{Kind: KindSet, Context: ctx(2, 2, 1, 3)}, false},
		{"context zero counter", Row{Kind: KindSet, Context: ctx(1, 0)}, false},
		{"entries unsorted", Row{Kind: KindRegister, Entries: []Entry{entry(2, 2, 5, "b"), entry(1, 3, 5, "a")}, Context: c}, false},
		{"entries unsorted by counter", Row{Kind: KindRegister, Entries: []Entry{entry(1, 3, 5, "b"), entry(1, 2, 5, "a")}, Context: c}, false},
		{"entry duplicated", Row{Kind: KindRegister, Entries: []Entry{entry(1, 3, 5, "a"), entry(1, 3, 5, "a")}, Context: c}, false},
		{"entry above context", Row{Kind: KindRegister, Entries: []Entry{entry(1, 4, 5, "v")}, Context: c}, false},
		{"entry of origin outside context", Row{Kind: KindRegister, Entries: []Entry{entry(3, 1, 5, "v")}, Context: c}, false},
		{"entry with counter zero", Row{Kind: KindRegister, Entries: []Entry{entry(1, 0, 5, "v")}, Context: c}, false},
		{"increments on a register", Row{Kind: KindRegister, Entries: []Entry{{Dot: dot(1, 3), Inc: 1}}, Context: c}, false},
		{"decrements on a set", Row{Kind: KindSet, Entries: []Entry{{Dot: dot(1, 3), Dec: 1}}, Context: c}, false},
		{"totals on a map field", Row{Kind: KindMap, Entries: []Entry{{Dot: dot(1, 3), Inc: 1, Dec: 1}}, Context: c}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.row.Validate()
			if tt.ok && err != nil {
				t.Fatalf("Validate(%+v) = %v, want nil", tt.row, err)
			}
			if !tt.ok && !errors.Is(err, ErrInvalid) {
				t.Fatalf("Validate(%+v) = %v, want ErrInvalid", tt.row, err)
			}
		})
	}
}

// TestRowMutators pins the deltas: each carries exactly one new dot, and
// a context claiming only what the row's live entries show, so that a
// replica receiving the delta alone does not wipe out entries the writer
// never saw.
func TestRowMutators(t *testing.T) {
	// Two siblings; the row has also seen dots 7:9 and 1:3 (removed).
	x := Row{
		Kind:    KindRegister,
		Entries: []Entry{entry(1, 2, 10, "a"), entry(2, 5, 11, "b")},
		Context: ctx(1, 3, 2, 5, 7, 9),
	}
	now := ts(20, 0)
	tests := []struct {
		name  string
		delta Row
		want  Row
	}{{
		name:  "write supersedes every entry",
		delta: x.Write(KindRegister, dot(3, 1), now, []byte("c")),
		want:  Row{Kind: KindRegister, Entries: []Entry{{Dot: dot(3, 1), Time: now, Value: []byte("c")}}, Context: ctx(1, 2, 2, 5, 3, 1)},
	}, {
		name:  "write by an origin already in the row",
		delta: x.Write(KindRegister, dot(1, 8), now, []byte("c")),
		want:  Row{Kind: KindRegister, Entries: []Entry{{Dot: dot(1, 8), Time: now, Value: []byte("c")}}, Context: ctx(1, 8, 2, 5)},
	}, {
		name:  "set add on a fresh row",
		delta: Row{}.Write(KindSet, dot(4, 1), now, nil),
		want:  Row{Kind: KindSet, Entries: []Entry{{Dot: dot(4, 1), Time: now}}, Context: ctx(4, 1)},
	}, {
		name:  "remove keeps its dot and what it removed",
		delta: x.Remove(KindRegister, dot(3, 1)),
		want:  Row{Kind: KindRegister, Context: ctx(1, 2, 2, 5, 3, 1)},
	}, {
		name:  "remove of an absent member still leaves a marker",
		delta: Row{}.Remove(KindSet, dot(3, 1)),
		want:  Row{Kind: KindSet, Context: ctx(3, 1)},
	}, {
		name:  "remove of a removed row claims only its own dot",
		delta: Row{Kind: KindMap, Context: ctx(1, 4)}.Remove(KindMap, dot(2, 1)),
		want:  Row{Kind: KindMap, Context: ctx(2, 1)},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sameRow(t, "delta", tt.delta, tt.want)
			if err := tt.delta.Validate(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestRowIncrement(t *testing.T) {
	now := ts(20, 0)
	r := Row{}
	steps := []struct {
		n        int64
		inc, dec uint64
		total    int64
	}{
		{5, 5, 0, 5},
		{-2, 5, 2, 3},
		{0, 5, 2, 3},
		{-10, 5, 12, -7},
	}
	for i, s := range steps {
		d := dot(1, uint64(2*i+1)) // counters with gaps: other rows used the rest
		delta := r.Increment(d, now, s.n)
		want := Row{Kind: KindCounter, Entries: []Entry{{Dot: d, Time: now, Inc: s.inc, Dec: s.dec}}, Context: ctx(1, d.Counter)}
		sameRow(t, "increment delta", delta, want)
		r = Join(r, delta)
		sameRow(t, "row after increment", r, want)
		if got := r.CounterTotal(); got != s.total {
			t.Fatalf("step %d: CounterTotal = %d, want %d", i, got, s.total)
		}
	}

	// -n overflows int64 for the most negative n, but not the uint64 total.
	min := Row{}.Increment(dot(1, 1), now, math.MinInt64)
	if e := min.Entries[0]; e.Dec != 1<<63 || e.Inc != 0 || min.CounterTotal() != math.MinInt64 {
		t.Fatalf("Increment(MinInt64) = %+v, total %d", e, min.CounterTotal())
	}
}

func TestRowWinnerAndSiblings(t *testing.T) {
	tests := []struct {
		name     string
		entries  []Entry
		winner   Dot
		siblings []Dot
	}{
		{"one entry", []Entry{entry(1, 1, 5, "a")}, dot(1, 1), nil},
		{"later time wins", []Entry{entry(1, 1, 9, "a"), entry(2, 1, 5, "b")}, dot(1, 1), []Dot{dot(2, 1)}},
		{"time before origin", []Entry{entry(1, 9, 5, "a"), entry(2, 1, 4, "b")}, dot(1, 9), []Dot{dot(2, 1)}},
		{"tie on time: higher origin", []Entry{entry(1, 9, 5, "a"), entry(2, 1, 5, "b")}, dot(2, 1), []Dot{dot(1, 9)}},
		{"tie on time and origin: higher counter", []Entry{entry(1, 2, 5, "a"), entry(1, 3, 5, "b")}, dot(1, 3), []Dot{dot(1, 2)}},
		{"logical breaks a wall tie", []Entry{{Dot: dot(1, 1), Time: ts(5, 1)}, {Dot: dot(2, 1), Time: ts(5, 0)}}, dot(1, 1), []Dot{dot(2, 1)}},
		{"siblings newest first", []Entry{entry(1, 1, 3, "a"), entry(2, 1, 9, "b"), entry(3, 1, 5, "c"), entry(4, 1, 5, "d")},
			dot(2, 1), []Dot{dot(4, 1), dot(3, 1), dot(1, 1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Row{Kind: KindRegister, Entries: tt.entries}
			orig := slices.Clone(tt.entries)
			w, ok := r.Winner()
			if !ok || w.Dot != tt.winner {
				t.Fatalf("Winner = %s, %v; want %s", w.Dot, ok, tt.winner)
			}
			var sib []Dot
			for _, e := range r.Siblings() {
				sib = append(sib, e.Dot)
			}
			if !slices.Equal(sib, tt.siblings) {
				t.Fatalf("Siblings = %v, want %v", sib, tt.siblings)
			}
			if !slices.EqualFunc(r.Entries, orig, func(a, b Entry) bool { return a.Dot == b.Dot }) {
				t.Fatal("Siblings reordered the row's entries")
			}
		})
	}
	if _, ok := (Row{Kind: KindSet, Context: ctx(1, 1)}).Winner(); ok {
		t.Error("a remove marker has a winner")
	}
}

func TestRowLiveAndZero(t *testing.T) {
	tests := []struct {
		name       string
		row        Row
		live, zero bool
	}{
		{"absent", Row{}, false, true},
		{"marker", Row{Kind: KindSet, Context: ctx(1, 1)}, false, false},
		{"live", Row{Kind: KindSet, Entries: []Entry{entry(1, 1, 1, "")}, Context: ctx(1, 1)}, true, false},
	}
	for _, tt := range tests {
		if tt.row.Live() != tt.live || tt.row.IsZero() != tt.zero {
			t.Errorf("%s: Live %v IsZero %v, want %v %v", tt.name, tt.row.Live(), tt.row.IsZero(), tt.live, tt.zero)
		}
	}
}

// TestLatestDots checks the dot index entries of a row: one per origin of
// its context, and a copy the caller may keep.
func TestLatestDots(t *testing.T) {
	r := Row{Kind: KindSet, Context: ctx(1, 4, 9, 2)}
	got := r.LatestDots()
	if !slices.Equal(got, []Dot{dot(1, 4), dot(9, 2)}) {
		t.Fatalf("LatestDots = %v", got)
	}
	got[0].Counter = 99
	if r.Context[0].Counter != 4 {
		t.Fatal("LatestDots returned the row's own array")
	}
}

// TestJoinExamples are the textbook cases of a dot-store join.
func TestJoinExamples(t *testing.T) {
	a1, b1 := entry(1, 1, 5, "a"), entry(2, 1, 6, "b")
	tests := []struct {
		name string
		a, b Row
		want Row
	}{{
		name: "concurrent writes are siblings",
		a:    Row{Kind: KindRegister, Entries: []Entry{a1}, Context: ctx(1, 1)},
		b:    Row{Kind: KindRegister, Entries: []Entry{b1}, Context: ctx(2, 1)},
		want: Row{Kind: KindRegister, Entries: []Entry{a1, b1}, Context: ctx(1, 1, 2, 1)},
	}, {
		name: "a write that saw another supersedes it",
		a:    Row{Kind: KindRegister, Entries: []Entry{a1}, Context: ctx(1, 1)},
		b:    Row{Kind: KindRegister, Entries: []Entry{b1}, Context: ctx(1, 1, 2, 1)},
		want: Row{Kind: KindRegister, Entries: []Entry{b1}, Context: ctx(1, 1, 2, 1)},
	}, {
		name: "add wins over a concurrent remove",
		a:    Row{Kind: KindSet, Entries: []Entry{a1}, Context: ctx(1, 1)},
		b:    Row{Kind: KindSet, Context: ctx(2, 1)},
		want: Row{Kind: KindSet, Entries: []Entry{a1}, Context: ctx(1, 1, 2, 1)},
	}, {
		name: "a remove that saw the add removes it",
		a:    Row{Kind: KindSet, Entries: []Entry{a1}, Context: ctx(1, 1)},
		b:    Row{Kind: KindSet, Context: ctx(1, 1, 2, 1)},
		want: Row{Kind: KindSet, Context: ctx(1, 1, 2, 1)},
	}, {
		name: "same entry on both sides stays",
		a:    Row{Kind: KindMap, Entries: []Entry{a1}, Context: ctx(1, 1, 3, 3)},
		b:    Row{Kind: KindMap, Entries: []Entry{a1}, Context: ctx(1, 1, 2, 1)},
		want: Row{Kind: KindMap, Entries: []Entry{a1}, Context: ctx(1, 1, 2, 1, 3, 3)},
	}, {
		name: "join with the absent row",
		a:    Row{},
		b:    Row{Kind: KindSet, Entries: []Entry{a1}, Context: ctx(1, 1)},
		want: Row{Kind: KindSet, Entries: []Entry{a1}, Context: ctx(1, 1)},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sameRow(t, "a⊔b", Join(tt.a, tt.b), tt.want)
			sameRow(t, "b⊔a", Join(tt.b, tt.a), tt.want)
		})
	}
}
