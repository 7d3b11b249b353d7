package crdt

import (
	"fmt"
	"maps"
	"slices"
	"testing"

	"pgregory.net/rapid"
)

// This file generates random histories for the property tests: a few
// replicas, each with its own Object, its own dot counter and its own HLC,
// mutating rows locally (state = Join(state, delta)) and now and then
// merging another replica's whole state, one of its rows, or a single delta
// from anywhere in the history, in any order. Next to the real states it
// keeps a model of what happened: every event with the set of events its
// replica knew when it made it. The model knows nothing of dot stores, so
// comparing the two checks the CRDT against its intended meaning.

// event is one mutation as the model sees it.
type event struct {
	Dot    Dot
	Key    RowKey
	Remove bool // a remove marker rather than a write
	Time   Timestamp
	Value  []byte
	N      int64  // for increments: the amount added
	Inc    uint64 // for increments: the origin's running totals after it
	Dec    uint64
	// Seen is every event the issuing replica had merged, on any row. An
	// event supersedes the writes on its own row that it has seen.
	Seen map[Dot]bool
}

// keyedRow is a row state or delta together with the row it belongs to.
type keyedRow struct {
	Key RowKey
	Row Row
}

// mutation records one local mutation: the state before, the delta it
// produced and the state after joining it.
type mutation struct {
	Before Row
	Delta  Row
	After  Row
	Event  *event
}

// replica is one simulated node.
type replica struct {
	ID      ReplicaID
	counter uint64 // last counter handed out
	clock   Clock
	Obj     Object
	Known   map[Dot]bool // events merged into Obj (the model's view)
	inc     uint64       // running totals of this replica's counter row
	dec     uint64
}

// history is a generated run and its model.
type history struct {
	Reps      []*replica
	Events    []*event // in issue order
	byDot     map[Dot]*event
	Deltas    []keyedRow // Deltas[i] is the delta of Events[i]
	Mutations []mutation
	// RowPool holds, per row, every state any replica had at any point and
	// every delta: material for the lattice laws.
	RowPool map[RowKey][]Row
	// ObjPool holds whole-object states seen during the run.
	ObjPool []Object
}

// genConfig says which rows a history may touch.
type genConfig struct {
	Name  string
	Kinds []Kind
	Steps int // upper bound on the number of steps
}

// kindConfigs covers each kind alone, then all of them in one key (which
// is what two replicas creating a key concurrently with different types
// produce).
var kindConfigs = []genConfig{
	{Name: "register", Kinds: []Kind{KindRegister}, Steps: 30},
	{Name: "set", Kinds: []Kind{KindSet}, Steps: 30},
	{Name: "map", Kinds: []Kind{KindMap}, Steps: 30},
	{Name: "counter", Kinds: []Kind{KindCounter}, Steps: 30},
	{Name: "mixed", Kinds: []Kind{KindRegister, KindSet, KindMap, KindCounter}, Steps: 40},
}

// forEachKind runs prop as one rapid property per configuration: each
// kind gets the full number of checks.
func forEachKind(t *testing.T, prop func(*rapid.T, genConfig)) {
	for _, cfg := range kindConfigs {
		t.Run(cfg.Name, func(t *testing.T) {
			rapid.Check(t, func(rt *rapid.T) { prop(rt, cfg) })
		})
	}
}

// keysFor lists the rows replica self may mutate: registers, set members
// and map fields are shared by every replica; a counter row belongs to its
// origin alone.
func keysFor(cfg genConfig, self ReplicaID) []RowKey {
	var keys []RowKey
	for _, k := range cfg.Kinds {
		switch k {
		case KindRegister:
			keys = append(keys, RowKey{Kind: KindRegister})
		case KindSet:
			keys = append(keys, RowKey{KindSet, "a"}, RowKey{KindSet, "b"}, RowKey{KindSet, ""})
		case KindMap:
			keys = append(keys, RowKey{KindMap, "x"}, RowKey{KindMap, "y"})
		case KindCounter:
			keys = append(keys, CounterRow(self))
		}
	}
	return keys
}

// genHistory draws and runs a random history.
func genHistory(t *rapid.T, cfg genConfig) *history {
	n := rapid.IntRange(2, 4).Draw(t, "replicas")
	ids := rapid.SliceOfNDistinct(rapid.OneOf(
		rapid.Uint64Range(0, 4), // small ids: easy to read when shrunk
		rapid.Uint64(),          // any id: exercises ordering by origin
	), n, n, func(u uint64) uint64 { return u }).Draw(t, "ids")
	h := &history{RowPool: map[RowKey][]Row{}, byDot: map[Dot]*event{}}
	for _, id := range ids {
		h.Reps = append(h.Reps, &replica{ID: ReplicaID(id), Obj: Object{}, Known: map[Dot]bool{}})
	}
	steps := rapid.IntRange(1, cfg.Steps).Draw(t, "steps")
	for range steps {
		r := h.Reps[rapid.IntRange(0, n-1).Draw(t, "rep")]
		switch op := rapid.IntRange(0, 99).Draw(t, "op"); {
		case op < 60:
			h.mutate(t, cfg, r)
		case op < 72:
			h.mergeState(r, h.Reps[rapid.IntRange(0, n-1).Draw(t, "from")])
		case op < 84:
			from := h.Reps[rapid.IntRange(0, n-1).Draw(t, "from")]
			keys := from.Obj.RowKeys()
			if len(keys) > 0 {
				h.mergeRow(r, from, keys[rapid.IntRange(0, len(keys)-1).Draw(t, "row")])
			}
		default:
			if len(h.Deltas) > 0 {
				h.mergeDelta(r, rapid.IntRange(0, len(h.Deltas)-1).Draw(t, "delta"))
			}
		}
	}
	for _, r := range h.Reps {
		h.ObjPool = append(h.ObjPool, r.Obj)
	}
	return h
}

// mutate makes one local mutation on r: mint a dot, build the delta from
// r's current row, and join it in.
func (h *history) mutate(t *rapid.T, cfg genConfig, r *replica) {
	keys := keysFor(cfg, r.ID)
	key := keys[rapid.IntRange(0, len(keys)-1).Draw(t, "key")]
	// Counters may skip values (a block reserved before a restart and
	// never used): dots stay unique, rows must not care about gaps.
	r.counter += uint64(rapid.IntRange(1, 3).Draw(t, "skip"))
	d := Dot{Origin: r.ID, Counter: r.counter}
	// Physical time takes few values and may go backwards, so timestamps
	// of different replicas often tie and the (Time, Dot) order matters.
	now := r.clock.Now(rapid.Int64Range(1, 4).Draw(t, "physical"))
	ev := &event{Dot: d, Key: key, Time: now, Seen: maps.Clone(r.Known)}
	before := r.Obj[key]
	var delta Row
	switch {
	case key.Kind == KindCounter:
		ev.N = rapid.Int64Range(-3, 5).Draw(t, "n")
		if ev.N >= 0 {
			r.inc += uint64(ev.N)
		} else {
			r.dec += uint64(-ev.N)
		}
		ev.Inc, ev.Dec = r.inc, r.dec
		delta = before.Increment(d, now, ev.N)
	case rapid.IntRange(0, 9).Draw(t, "remove") < 3:
		ev.Remove = true
		delta = before.Remove(key.Kind, d)
	case key.Kind == KindSet:
		delta = before.Write(KindSet, d, now, nil)
	default:
		ev.Value = []byte(fmt.Sprintf("%s@%d", r.ID, r.counter))
		delta = before.Write(key.Kind, d, now, ev.Value)
	}
	after := Join(before, delta)
	r.Obj[key] = after
	r.Known[d] = true
	h.Events = append(h.Events, ev)
	h.byDot[d] = ev
	h.Deltas = append(h.Deltas, keyedRow{key, delta})
	h.Mutations = append(h.Mutations, mutation{Before: before, Delta: delta, After: after, Event: ev})
	h.RowPool[key] = append(h.RowPool[key], before, delta, after)
}

// mergeState joins from's whole object into r (a full state transfer).
func (h *history) mergeState(r, from *replica) {
	r.Obj = JoinObjects(r.Obj, from.Obj)
	maps.Copy(r.Known, from.Known)
	h.ObjPool = append(h.ObjPool, r.Obj)
	for k, row := range r.Obj {
		h.RowPool[k] = append(h.RowPool[k], row)
	}
}

// mergeRow joins one row of from into r: the unit catch-up ships.
func (h *history) mergeRow(r, from *replica, key RowKey) {
	r.Obj = maps.Clone(r.Obj)
	r.Obj[key] = Join(r.Obj[key], from.Obj[key])
	for d := range from.Known {
		if h.byDot[d].Key == key {
			r.Known[d] = true
		}
	}
	h.RowPool[key] = append(h.RowPool[key], r.Obj[key])
}

// mergeDelta joins the i-th delta of the history into r, whatever r has
// seen before: deltas may arrive late, twice, or out of order.
func (h *history) mergeDelta(r *replica, i int) {
	d := h.Deltas[i]
	r.Obj = maps.Clone(r.Obj)
	r.Obj[d.Key] = Join(r.Obj[d.Key], d.Row)
	r.Known[h.Events[i].Dot] = true
	h.RowPool[d.Key] = append(h.RowPool[d.Key], r.Obj[d.Key])
}

// keys returns every row the history touched, sorted.
func (h *history) keys() []RowKey {
	return slices.SortedFunc(maps.Keys(h.RowPool), RowKey.Compare)
}

// converge has every replica merge every other's state, in the order
// given, twice around so that the first replica also sees the last.
func (h *history) converge(order []int) {
	for range 2 {
		for i, from := range order {
			to := order[(i+1)%len(order)]
			h.mergeState(h.Reps[to], h.Reps[from])
		}
	}
}

// modelRow is the state that row key must have once every event is known,
// derived from the events alone: its context holds each origin's highest
// counter among the row's events; a write is live unless another event on
// the same row had seen it (that is add-wins: a remove that has not seen a
// concurrent add does not cancel it); counter entries carry their origin's
// running totals.
func (h *history) modelRow(key RowKey) Row {
	row := Row{}
	top := map[ReplicaID]uint64{}
	for _, e := range h.Events {
		if e.Key != key {
			continue
		}
		row.Kind = key.Kind
		top[e.Dot.Origin] = max(top[e.Dot.Origin], e.Dot.Counter)
		if e.Remove || h.seenByAnother(e) {
			continue
		}
		row.Entries = append(row.Entries, Entry{Dot: e.Dot, Time: e.Time, Value: e.Value, Inc: e.Inc, Dec: e.Dec})
	}
	slices.SortFunc(row.Entries, func(a, b Entry) int { return a.Dot.Compare(b.Dot) })
	for _, o := range slices.Sorted(maps.Keys(top)) {
		row.Context = append(row.Context, Dot{Origin: o, Counter: top[o]})
	}
	return row
}

// seenByAnother reports whether some other event on w's row had seen w.
func (h *history) seenByAnother(w *event) bool {
	for _, e := range h.Events {
		if e != w && e.Key == w.Key && e.Seen[w.Dot] {
			return true
		}
	}
	return false
}

// modelObject is the object every replica must hold once all is merged.
func (h *history) modelObject() Object {
	o := Object{}
	for _, e := range h.Events {
		if _, ok := o[e.Key]; !ok {
			o[e.Key] = h.modelRow(e.Key)
		}
	}
	return o
}
