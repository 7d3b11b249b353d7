package crdt

import (
	"fmt"
	"slices"
)

// Kind is the CRDT type of a row, and so of the key that holds it.
type Kind uint8

// The four kinds of value. Zero is no kind: an absent row.
const (
	KindRegister Kind = 1 // multi-value register; one row per key
	KindCounter  Kind = 2 // PN-counter; one row per origin
	KindSet      Kind = 3 // add-wins observed-remove set; one row per member
	KindMap      Kind = 4 // add-wins map of registers; one row per field
)

func (k Kind) String() string {
	switch k {
	case KindRegister:
		return "register"
	case KindCounter:
		return "counter"
	case KindSet:
		return "set"
	case KindMap:
		return "map"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Valid reports whether k is one of the four kinds.
func (k Kind) Valid() bool { return k >= KindRegister && k <= KindMap }

// Entry is one live value of a row, tagged with the dot that wrote it.
// Registers and map fields use Value; set members have no value; counters
// carry their origin's running totals in Inc and Dec.
type Entry struct {
	_     struct{} `cbor:",toarray"`
	Dot   Dot
	Time  Timestamp
	Value []byte
	Inc   uint64
	Dec   uint64
}

// Row is a dot store: the live entries of one row and the causal context of
// everything the row has seen. A row with no entries but a non-empty context
// is a remove marker: it keeps the remove's dot findable for catch-up.
// Entries are sorted by dot; Context by origin. Rows are values: methods
// never modify the receiver.
type Row struct {
	_       struct{} `cbor:",toarray"`
	Kind    Kind
	Entries []Entry
	Context Context
}

// Live reports whether the row holds any value.
func (r Row) Live() bool { return len(r.Entries) > 0 }

// IsZero reports whether the row has seen nothing: it does not exist.
func (r Row) IsZero() bool { return len(r.Entries) == 0 && len(r.Context) == 0 }

// Join merges two states of the same row: an entry survives if both sides
// hold it, or if one side holds it and the other has not seen its dot.
// Join is commutative, associative and idempotent.
func Join(a, b Row) Row {
	out := Row{Kind: max(a.Kind, b.Kind), Context: JoinContexts(a.Context, b.Context)}
	i, j := 0, 0
	for i < len(a.Entries) || j < len(b.Entries) {
		switch {
		case j == len(b.Entries) || i < len(a.Entries) && a.Entries[i].Dot.Compare(b.Entries[j].Dot) < 0:
			if !b.Context.Covers(a.Entries[i].Dot) {
				out.Entries = append(out.Entries, a.Entries[i])
			}
			i++
		case i == len(a.Entries) || a.Entries[i].Dot.Compare(b.Entries[j].Dot) > 0:
			if !a.Context.Covers(b.Entries[j].Dot) {
				out.Entries = append(out.Entries, b.Entries[j])
			}
			j++
		default: // same dot on both sides: the same write
			out.Entries = append(out.Entries, a.Entries[i])
			i, j = i+1, j+1
		}
	}
	return out
}

// Write returns the delta of writing value with dot d at time t: it replaces
// every entry the row holds. Registers and map fields use it with a value,
// set members with none (an add).
func (r Row) Write(kind Kind, d Dot, t Timestamp, value []byte) Row {
	return r.supersede(kind, Entry{Dot: d, Time: t, Value: value})
}

// Remove returns the delta of removing the row with dot d: a marker with no
// entries whose context holds d and every dot the row held.
func (r Row) Remove(kind Kind, d Dot) Row {
	return Row{Kind: kind, Context: r.observed().With(d)}
}

// Increment returns the delta of adding n to an origin's counter row with
// dot d. The new entry carries the origin's running totals.
func (r Row) Increment(d Dot, t Timestamp, n int64) Row {
	e := Entry{Dot: d, Time: t}
	for _, old := range r.Entries {
		if old.Dot.Origin == d.Origin && old.Dot.Counter < d.Counter {
			e.Inc, e.Dec = old.Inc, old.Dec
		}
	}
	if n >= 0 {
		e.Inc += uint64(n)
	} else {
		e.Dec += uint64(-n)
	}
	return r.supersede(KindCounter, e)
}

func (r Row) supersede(kind Kind, e Entry) Row {
	return Row{Kind: kind, Entries: []Entry{e}, Context: r.observed().With(e.Dot)}
}

// observed returns the least context covering every live entry's dot: all
// that a delta superseding the row must claim to have seen.
func (r Row) observed() Context {
	var c Context
	for _, e := range r.Entries {
		c = c.With(e.Dot)
	}
	return c
}

// Winner returns the entry shown first: the highest by (Time, origin,
// counter). ok is false for a row with no entries.
func (r Row) Winner() (e Entry, ok bool) {
	if len(r.Entries) == 0 {
		return Entry{}, false
	}
	return slices.MaxFunc(r.Entries, compareEntries), true
}

// Siblings returns the live entries other than the winner, newest first.
func (r Row) Siblings() []Entry {
	if len(r.Entries) < 2 {
		return nil
	}
	s := slices.Clone(r.Entries)
	slices.SortFunc(s, func(a, b Entry) int { return compareEntries(b, a) })
	return s[1:]
}

// compareEntries orders entries by time, then origin, then counter, so that
// every replica picks the same winner.
func compareEntries(a, b Entry) int {
	if c := a.Time.Compare(b.Time); c != 0 {
		return c
	}
	return a.Dot.Compare(b.Dot)
}

// CounterTotal returns the value of an origin's counter row.
func (r Row) CounterTotal() int64 {
	var n int64
	for _, e := range r.Entries {
		n += int64(e.Inc) - int64(e.Dec)
	}
	return n
}

// LatestDots returns the dot index entries of the row: for each origin in
// its context, that origin's latest dot. Every dot belongs to exactly one
// row, so these name the row uniquely.
func (r Row) LatestDots() []Dot { return slices.Clone(r.Context) }

// Validate checks the invariants that Join and the dot index rely on:
// a known kind, entries sorted by dot with no duplicates, every entry's dot
// covered by the context, and a sorted context.
func (r Row) Validate() error {
	if !r.Kind.Valid() {
		return fmt.Errorf("%w: unknown kind %d", ErrInvalid, r.Kind)
	}
	if err := r.Context.validate(); err != nil {
		return err
	}
	if len(r.Context) == 0 {
		return fmt.Errorf("%w: row with an empty context", ErrInvalid)
	}
	for i, e := range r.Entries {
		if i > 0 && r.Entries[i-1].Dot.Compare(e.Dot) >= 0 {
			return fmt.Errorf("%w: entries not sorted by dot", ErrInvalid)
		}
		if e.Dot.Counter == 0 || !r.Context.Covers(e.Dot) {
			return fmt.Errorf("%w: entry %s outside the row's context", ErrInvalid, e.Dot)
		}
		if r.Kind != KindCounter && (e.Inc != 0 || e.Dec != 0) {
			return fmt.Errorf("%w: counter totals on a %s row", ErrInvalid, r.Kind)
		}
	}
	return nil
}
