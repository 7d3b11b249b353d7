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
// history_test.go), with savepoints rolled back, commits dropped,
// pipelined (the next built before the last is synced), reopens, and
// stores stripped of their records as if written before live counts. It
// checks that LiveKinds, at every step inside a commit, gives the kinds of
// the model's live rows, and after every commit that the records are a
// recount of the rows: one for every key with set or map rows (except the
// stripped keys no applied commit has read since), none for other keys.
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
		if rapid.Bool().Draw(h.t, "local") {
			h.local(c, pending)
		} else {
			h.remote(c, pending)
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

// checkKinds compares c.LiveKinds(key) with the kinds of the model's live
// rows of key, pending ones first.
func (lc *liveHistory) checkKinds(c *Commit, pending map[rowID]crdt.Row, key string) {
	got, err := c.LiveKinds(key)
	if err != nil {
		lc.h.t.Fatalf("LiveKinds(%q): %v", key, err)
	}
	var want []crdt.Kind
	for k := crdt.KindRegister; k <= crdt.KindMap; k++ {
		for _, rk := range append(slices.Clone(historyRKs), crdt.CounterRow(lc.h.s.ReplicaID()), crdt.CounterRow(1), crdt.CounterRow(math.MaxUint64)) {
			if rk.Kind == k && lc.h.row(pending, rowID{key, rk}).Live() {
				want = append(want, k)
				break
			}
		}
	}
	if !slices.Equal(got, want) {
		lc.h.t.Fatalf("LiveKinds(%q) = %v, want %v", key, got, want)
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

// check recounts every key's rows and compares the records with them.
func (lc *liveHistory) check() {
	h := lc.h
	counts := map[string]storedLive{}
	for id, row := range h.model {
		n := counts[id.key]
		n.n.add(id.rk.Kind, row)
		n.wide = n.wide || id.rk.Kind >= crdt.KindSet
		counts[id.key] = n
	}
	for _, key := range historyKeys {
		got, found := storedCounts(h.t, h.s, key)
		want := counts[key]
		switch {
		case want.wide && !found && !lc.stripped[key]:
			h.t.Fatalf("key %q with set or map rows has no live counts (rows %v)", key, want.n)
		case found && !want.wide:
			h.t.Fatalf("key %q without set or map rows has live counts %v", key, got)
		case found && got != want.n:
			h.t.Fatalf("key %q: live counts %v, model %v", key, got, want.n)
		}
	}
}
