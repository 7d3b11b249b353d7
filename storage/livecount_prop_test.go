package storage

import (
	"maps"
	"math"
	"slices"
	"testing"

	"github.com/shoal-db/shoal/crdt"
	"pgregory.net/rapid"
)

// TestLiveCountsMatchRows drives a store through random commits of local
// and remote writes and removes of every kind (the history of
// history_test.go), counter increments that take totals to and past the
// limits of int64 and counter removes, with savepoints rolled back,
// commits dropped, pipelined (the next built before the last is synced),
// reopens, stores stripped of their records as if written before live
// counts, and stores taken back to the layout before counter totals (some
// with their rebuild cut off part way, as by a crash). It checks that
// LiveKinds and CounterTotal, at every step inside a commit, give the
// kinds of the model's live rows and the sum of its counter rows, and
// after every commit that the records are a recount of the rows: one for
// every key with counter, set or map rows (except the set or map keys
// stripped that no applied commit has read since), none for other keys;
// and that Store.CounterTotal is the sum of the rows.
func TestLiveCountsMatchRows(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s, fs := openMem(t)
		h := &history{t: t, fs: fs, s: s, model: map[rowID]crdt.Row{}}
		for _, id := range []crdt.ReplicaID{1, math.MaxUint64}[:rapid.IntRange(1, 2).Draw(t, "peers")] {
			h.peers = append(h.peers, &peer{id: id, rows: map[rowID]crdt.Row{}})
		}
		lc := &liveHistory{h: h, stripped: map[string]bool{}}
		for range rapid.IntRange(1, 25).Draw(t, "commits") {
			lc.commit()
			if lc.inflight != nil && rapid.Bool().Draw(t, "wait") {
				lc.wait()
			}
			switch rapid.IntRange(0, 19).Draw(t, "reopen") {
			case 0:
				lc.wait()
				h.reopen()
			case 1:
				lc.wait()
				mustClose(t, h.s)
				stripLiveCounts(t, h.fs)
				h.s = reopen(t, h.fs)
				for _, key := range historyKeys {
					lc.stripped[key] = true
				}
			case 2:
				lc.wait()
				mustClose(t, h.s)
				toPreTotals(t, h.fs, rapid.IntRange(0, 2).Draw(t, "rebuilt before a crash"))
				h.s = reopen(t, h.fs)
			}
			lc.check()
		}
		lc.wait()
		h.check() // and CheckConsistency: the records that exist match the rows
		mustClose(t, h.s)
	})
}

// liveHistory is a history whose commits check LiveKinds as they go.
type liveHistory struct {
	h        *history
	inflight *Pending
	stripped map[string]bool // keys whose record may be missing
}

// commit builds one commit of 1-4 operations, checking LiveKinds of each
// operation's key after it (and of a random key), then drops, applies or
// starts it.
func (lc *liveHistory) commit() {
	h := lc.h
	c := h.s.NewCommit()
	pending := map[rowID]crdt.Row{}
	var sp *Savepoint
	var saved map[rowID]crdt.Row
	read := map[string]bool{}
	for range rapid.IntRange(1, 4).Draw(h.t, "ops") {
		if rapid.IntRange(0, 3).Draw(h.t, "savepoint") == 0 {
			p := c.Savepoint()
			sp, saved = &p, maps.Clone(pending)
		}
		before := maps.Clone(pending)
		switch rapid.IntRange(0, 2).Draw(h.t, "op") {
		case 0:
			h.local(c, pending)
		case 1:
			h.remote(c, pending)
		case 2:
			lc.counterOp(c, pending)
		}
		for id := range pending {
			if !rowsEqual(pending[id], before[id]) || !mapsHave(before, id) {
				lc.checkKinds(c, pending, id.key)
				read[id.key] = true
			}
		}
		key := rapid.SampledFrom(historyKeys).Draw(h.t, "read")
		lc.checkKinds(c, pending, key)
		read[key] = true
		if sp != nil && rapid.IntRange(0, 2).Draw(h.t, "rollback") == 0 {
			c.RollbackTo(*sp)
			pending = maps.Clone(saved)
			lc.checkKinds(c, pending, key)
		}
	}
	if rapid.IntRange(0, 9).Draw(h.t, "drop") == 0 {
		c.Discard()
		return
	}
	lc.wait() // Pendings are waited for in order, before the next starts
	p, err := c.Start()
	if err != nil {
		h.t.Fatalf("Start: %v", err)
	}
	for id, row := range pending {
		h.model[id] = row
	}
	if c.Len() > 0 {
		for key := range read {
			delete(lc.stripped, key) // the commit wrote its record
		}
	}
	lc.inflight = p
}

func mapsHave(m map[rowID]crdt.Row, id rowID) bool {
	_, ok := m[id]
	return ok
}

// counterOp adds to a counter row an amount drawn to take totals to and
// past the limits of int64, or removes the row, locally or from a peer.
func (lc *liveHistory) counterOp(c *Commit, pending map[rowID]crdt.Row) {
	h := lc.h
	key := rapid.SampledFrom(historyKeys).Draw(h.t, "key")
	n := rapid.SampledFrom([]int64{1, -1, 0, math.MaxInt64, math.MinInt64, math.MaxInt64 - 1, 1 << 62}).Draw(h.t, "n")
	remove := rapid.IntRange(0, 4).Draw(h.t, "remove") == 0
	delta := func(cur crdt.Row, d crdt.Dot) crdt.Row {
		if remove {
			return cur.Remove(crdt.KindCounter, d)
		}
		return cur.Increment(d, crdt.Timestamp{Wall: int64(d.Counter)}, n)
	}
	if rapid.Bool().Draw(h.t, "local counter") {
		id := rowID{key, crdt.CounterRow(h.s.ReplicaID())}
		cur, err := c.Row(id.key, id.rk)
		if err != nil {
			h.t.Fatalf("Row: %v", err)
		}
		h.merge(c, pending, id, delta(cur, c.NextDot()))
		return
	}
	p := rapid.SampledFrom(h.peers).Draw(h.t, "peer")
	id := rowID{key, crdt.CounterRow(p.id)}
	p.counter++
	d := delta(p.rows[id], crdt.Dot{Origin: p.id, Counter: p.counter})
	p.rows[id] = crdt.Join(p.rows[id], d)
	if rapid.Bool().Draw(h.t, "whole") {
		d = p.rows[id]
	}
	h.merge(c, pending, id, d)
}

// liveRKs are the row keys a liveHistory writes.
func (lc *liveHistory) liveRKs() []crdt.RowKey {
	return append(slices.Clone(historyRKs), crdt.CounterRow(lc.h.s.ReplicaID()), crdt.CounterRow(1), crdt.CounterRow(math.MaxUint64))
}

// checkKinds compares c.LiveKinds(key) with the kinds of the model's live
// rows of key, pending ones first, and c.CounterTotal(key) with the sum of
// its counter rows.
func (lc *liveHistory) checkKinds(c *Commit, pending map[rowID]crdt.Row, key string) {
	got, err := c.LiveKinds(key)
	if err != nil {
		lc.h.t.Fatalf("LiveKinds(%q): %v", key, err)
	}
	var want []crdt.Kind
	for k := crdt.KindRegister; k <= crdt.KindMap; k++ {
		for _, rk := range lc.liveRKs() {
			if rk.Kind == k && lc.h.row(pending, rowID{key, rk}).Live() {
				want = append(want, k)
				break
			}
		}
	}
	if !slices.Equal(got, want) {
		lc.h.t.Fatalf("LiveKinds(%q) = %v, want %v", key, got, want)
	}
	var total int64
	for _, rk := range lc.liveRKs() {
		total += rowTotal(rk.Kind, lc.h.row(pending, rowID{key, rk}))
	}
	if got, err := c.CounterTotal(key); err != nil || got != total {
		lc.h.t.Fatalf("CounterTotal(%q) = %d, %v; want %d", key, got, err, total)
	}
}

// wait waits for the commit in flight, if any.
func (lc *liveHistory) wait() {
	if lc.inflight == nil {
		return
	}
	if err := lc.inflight.Wait(); err != nil {
		lc.h.t.Fatalf("Wait: %v", err)
	}
	lc.inflight = nil
}

// check recounts every key's rows and compares the records, and
// Store.CounterTotal, with them.
func (lc *liveHistory) check() {
	h := lc.h
	counts := map[string]keyRows{}
	for id, row := range h.model {
		counts[id.key] = counts[id.key].add(id.rk.Kind, row)
	}
	for _, key := range historyKeys {
		got, found := storedRecord(h.t, h.s, key)
		kr := counts[key]
		switch {
		case kr.counter && !found:
			h.t.Fatalf("key %q with counter rows has no record (rows %+v)", key, kr.want)
		case kr.wide && !found && !lc.stripped[key]:
			h.t.Fatalf("key %q with set or map rows has no live counts (rows %v)", key, kr.want.n)
		case found && !kr.wide:
			h.t.Fatalf("key %q without counter, set or map rows has a record %+v", key, got)
		case found && got != kr.want:
			h.t.Fatalf("key %q: record %+v, model %+v", key, got, kr.want)
		}
		if total, err := h.s.CounterTotal(key); err != nil || total != kr.want.total {
			h.t.Fatalf("Store.CounterTotal(%q) = %d, %v; model %d", key, total, err, kr.want.total)
		}
	}
}
