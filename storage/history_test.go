package storage

import (
	"maps"
	"math"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/shoal-db/shoal/crdt"
	"pgregory.net/rapid"
)

// peer is a simulated remote replica: it mutates its own copies of rows
// with its own dots and ships deltas or whole rows to the store.
type peer struct {
	id      crdt.ReplicaID
	counter uint64
	rows    map[rowID]crdt.Row
}

// history drives a store through random commits and reopens. model holds
// the rows the store must hold: the join of every delta of every applied
// commit.
type history struct {
	t     *rapid.T
	fs    vfs.FS
	s     *Store
	peers []*peer
	model map[rowID]crdt.Row
}

var (
	historyKeys = []string{"a", "a\x00", "b"}
	historyRKs  = []crdt.RowKey{
		reg,
		{Kind: crdt.KindSet, Name: "m1"},
		{Kind: crdt.KindSet, Name: "m2"},
		{Kind: crdt.KindMap, Name: "f"},
	}
)

// runHistory draws and runs a random history; the caller closes h.s.
func runHistory(t *rapid.T) *history {
	s, fs := openMem(t)
	h := &history{t: t, fs: fs, s: s, model: map[rowID]crdt.Row{}}
	ids := []crdt.ReplicaID{1, testReplica + 1, math.MaxUint64}
	for _, id := range ids[:rapid.IntRange(1, 3).Draw(t, "peers")] {
		h.peers = append(h.peers, &peer{id: id, rows: map[rowID]crdt.Row{}})
	}
	for range rapid.IntRange(1, 25).Draw(t, "commits") {
		h.commit()
		if rapid.IntRange(0, 9).Draw(t, "reopen") == 0 {
			h.reopen()
		}
	}
	h.check()
	return h
}

// commit builds one commit of 1-4 random operations and applies it, or
// (rarely) drops it.
func (h *history) commit() {
	c := h.s.NewCommit()
	pending := map[rowID]crdt.Row{}
	var sp *Savepoint
	var saved map[rowID]crdt.Row
	for range rapid.IntRange(1, 4).Draw(h.t, "ops") {
		if rapid.IntRange(0, 3).Draw(h.t, "savepoint") == 0 {
			p := c.Savepoint()
			sp, saved = &p, maps.Clone(pending)
		}
		switch rapid.IntRange(0, 3).Draw(h.t, "op") {
		case 0:
			h.local(c, pending)
		case 1, 2:
			h.remote(c, pending)
		case 3:
			h.pull()
		}
		if sp != nil && rapid.IntRange(0, 2).Draw(h.t, "rollback") == 0 {
			c.RollbackTo(*sp)
			pending = maps.Clone(saved)
		}
	}
	if c.Len() != len(pending) {
		h.t.Fatalf("commit changes %d rows, model %d", c.Len(), len(pending))
	}
	for _, ch := range c.Changes() {
		if want := pending[rowID{ch.Key, ch.RowKey}]; !rowsEqual(ch.Row, want) {
			h.t.Fatalf("change %q %v = %v, want %v", ch.Key, ch.RowKey, ch.Row, want)
		}
	}
	if rapid.IntRange(0, 9).Draw(h.t, "drop") == 0 {
		return // never applied: must leave no trace
	}
	if err := c.Apply(); err != nil {
		h.t.Fatalf("Apply: %v", err)
	}
	for id, row := range pending {
		h.model[id] = row
	}
	checkIndex(h.t, h.s)
}

// row returns the model's row id as this commit sees it.
func (h *history) row(pending map[rowID]crdt.Row, id rowID) crdt.Row {
	if r, ok := pending[id]; ok {
		return r
	}
	return h.model[id]
}

func (h *history) pickRow(counterOf crdt.ReplicaID) rowID {
	key := rapid.SampledFrom(historyKeys).Draw(h.t, "key")
	rks := append(historyRKs[:len(historyRKs):len(historyRKs)], crdt.CounterRow(counterOf))
	return rowID{key, rapid.SampledFrom(rks).Draw(h.t, "rk")}
}

func (h *history) local(c *Commit, pending map[rowID]crdt.Row) {
	id := h.pickRow(h.s.ReplicaID())
	value := rapid.SampledFrom([]string{"", "x", "yy"}).Draw(h.t, "value")
	h.merge(c, pending, id, localMerge(h.t, c, id.key, id.rk, value))
}

// remote makes a peer mutate its copy, then ships the delta or its whole
// row (both are valid deltas; the whole row may change nothing).
func (h *history) remote(c *Commit, pending map[rowID]crdt.Row) {
	p := rapid.SampledFrom(h.peers).Draw(h.t, "peer")
	id := h.pickRow(p.id)
	p.counter++
	value := rapid.SampledFrom([]string{"", "x", "yy"}).Draw(h.t, "value")
	delta := mutate(p.rows[id], id.rk, crdt.Dot{Origin: p.id, Counter: p.counter}, value)
	p.rows[id] = crdt.Join(p.rows[id], delta)
	if rapid.Bool().Draw(h.t, "whole") {
		delta = p.rows[id]
	}
	h.merge(c, pending, id, delta)
}

// merge merges delta into c and into the commit's pending model.
func (h *history) merge(c *Commit, pending map[rowID]crdt.Row, id rowID, delta crdt.Row) {
	want := crdt.Join(h.row(pending, id), delta)
	got, err := c.Merge(id.key, id.rk, delta)
	if err != nil || !rowsEqual(got, want) {
		h.t.Fatalf("Merge(%q, %v) = %v, %v; want %v", id.key, id.rk, got, err, want)
	}
	pending[id] = want
}

// pull makes a peer join the store's row, so contexts mix origins.
func (h *history) pull() {
	p := rapid.SampledFrom(h.peers).Draw(h.t, "peer")
	id := h.pickRow(p.id)
	row, err := h.s.Row(id.key, id.rk)
	if err != nil {
		h.t.Fatalf("Row: %v", err)
	}
	p.rows[id] = crdt.Join(p.rows[id], row)
}

// reopen closes and reopens the store: rows, vector and counter persist.
func (h *history) reopen() {
	vv, last := h.s.VersionVector(), h.s.LastCounter()
	mustClose(h.t, h.s)
	h.s = reopen(h.t, h.fs)
	if got := h.s.VersionVector(); !got.Equal(vv) {
		h.t.Fatalf("VV after reopen %s, want %s", got, vv)
	}
	if got := h.s.LastCounter(); got != last {
		h.t.Fatalf("LastCounter after reopen %d, want %d", got, last)
	}
	h.check()
}

// check compares every stored row with the model and the index with the
// rows, and that the vector claims no dot that was never minted.
func (h *history) check() {
	n := 0
	for ko, err := range h.s.Scan(ScanOptions{}) {
		if err != nil {
			h.t.Fatalf("Scan: %v", err)
		}
		for rk, row := range ko.Object {
			if want := h.model[rowID{ko.Key, rk}]; !rowsEqual(row, want) {
				h.t.Fatalf("row %q %v = %v, want %v", ko.Key, rk, row, want)
			}
			n++
		}
	}
	if n != len(h.model) {
		h.t.Fatalf("store holds %d rows, model %d", n, len(h.model))
	}
	checkIndex(h.t, h.s)
	vv := h.s.VersionVector()
	if vv.Max(h.s.ReplicaID()) != h.s.LastCounter() {
		h.t.Fatalf("VV %s vs LastCounter %d", vv, h.s.LastCounter())
	}
	for _, p := range h.peers {
		if vv.Max(p.id) > p.counter {
			h.t.Fatalf("VV %s claims dots peer %s never minted (%d)", vv, p.id, p.counter)
		}
	}
}

func TestHistoryIndexConsistent(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		h := runHistory(t)
		mustClose(t, h.s)
	})
}
