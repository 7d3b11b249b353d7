package storage

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/shoal-db/shoal/crdt"
)

// toPreTotals takes the closed store kept in fs back to the layout before
// counter totals: no m/totals, no record for a key without set or map rows,
// and no total in the records of the others. Then, if steps > 0, it runs
// that many steps of the rebuild, one key each, and stops, as a crash
// part way through the first Open of this version would.
func toPreTotals(t tb, fs vfs.FS, steps int) {
	t.Helper()
	db := rawDB(t, fs)
	wide := map[string]bool{} // keys with set or map rows
	if err := eachRow(db, func(_ []byte, key string, rk crdt.RowKey, _ crdt.Row) error {
		wide[key] = wide[key] || rk.Kind >= crdt.KindSet
		return nil
	}); err != nil {
		t.Fatalf("eachRow: %v", err)
	}
	it, err := db.NewIter(&pebble.IterOptions{LowerBound: countPrefix, UpperBound: prefixEnd(countPrefix)})
	if err != nil {
		t.Fatalf("NewIter: %v", err)
	}
	b := db.NewBatch()
	for it.First(); it.Valid(); it.Next() {
		key, _, err := unescapeKey(it.Key()[len(countPrefix):])
		if err != nil {
			t.Fatalf("record key %q: %v", it.Key(), err)
		}
		r, err := decodeLiveRecord(it.Value())
		if err != nil {
			t.Fatalf("record of %q: %v", key, err)
		}
		if wide[key] {
			err = b.Set(it.Key(), r.n.encode(), nil)
		} else {
			err = b.Delete(it.Key(), nil)
		}
		if err != nil {
			t.Fatalf("batch: %v", err)
		}
	}
	if err := it.Close(); err != nil {
		t.Fatalf("iterator: %v", err)
	}
	if err := b.Delete(totalsKey, nil); err != nil {
		t.Fatalf("batch: %v", err)
	}
	if err := b.Commit(pebble.Sync); err != nil {
		t.Fatalf("commit: %v", err)
	}
	from := dataPrefix
	for range steps {
		if from == nil {
			break
		}
		if from, _, _, err = buildTotalsStep(db, from, 1); err != nil {
			t.Fatalf("buildTotalsStep: %v", err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
}

// originRow is the delta of origin's n-th change of its counter row cur:
// an increment by delta, or a remove.
func originRow(cur crdt.Row, origin crdt.ReplicaID, n uint64, delta int64, remove bool) crdt.Row {
	d := crdt.Dot{Origin: origin, Counter: n}
	if remove {
		return cur.Remove(crdt.KindCounter, d)
	}
	return cur.Increment(d, crdt.Timestamp{Wall: int64(n)}, delta)
}

// origins simulates the peers that write one counter key, each its own
// row, and keeps the rows they sent, to sum.
type origins struct {
	t    *testing.T
	s    *Store
	key  string
	rows map[crdt.ReplicaID]crdt.Row
	dots map[crdt.ReplicaID]uint64
}

// change has each of ids change its row (delta, or a remove) and merges
// the deltas into the store, 500 a commit.
func (o *origins) change(ids []crdt.ReplicaID, delta func(crdt.ReplicaID) int64, remove bool) {
	o.t.Helper()
	for lo := 0; lo < len(ids); lo += 500 {
		c := o.s.NewCommit()
		for _, id := range ids[lo:min(lo+500, len(ids))] {
			o.dots[id]++
			d := originRow(o.rows[id], id, o.dots[id], delta(id), remove)
			o.rows[id] = crdt.Join(o.rows[id], d)
			if _, err := c.Merge(o.key, crdt.CounterRow(id), d); err != nil {
				o.t.Fatalf("Merge: %v", err)
			}
		}
		if err := c.Apply(); err != nil {
			o.t.Fatalf("Apply: %v", err)
		}
	}
}

// want is the sum of every origin's row, wrapping; the store's own
// origin's row is read from it.
func (o *origins) want() int64 {
	var n int64
	for _, row := range o.rows {
		n += row.CounterTotal()
	}
	own, err := o.s.Row(o.key, crdt.CounterRow(o.s.ReplicaID()))
	if err != nil {
		o.t.Fatal(err)
	}
	return n + own.CounterTotal()
}

// check compares the key's total, read each way, and its live kinds with
// the rows, checks that a commit reads them in two seeks (three past a
// register row), and runs CheckConsistency.
func (o *origins) check(what string, kinds ...crdt.Kind) {
	o.t.Helper()
	want := o.want()
	if got, err := o.s.CounterTotal(o.key); err != nil || got != want {
		o.t.Fatalf("%s: CounterTotal = %d, %v; want %d", what, got, err, want)
	}
	obj, err := o.s.Object(o.key)
	if err != nil || obj.Counter() != want {
		o.t.Fatalf("%s: the rows sum to %d (%v), want %d", what, obj.Counter(), err, want)
	}
	c := o.s.NewCommit()
	defer c.Discard()
	if got, err := c.CounterTotal(o.key); err != nil || got != want {
		o.t.Fatalf("%s: Commit.CounterTotal = %d, %v; want %d", what, got, err, want)
	}
	if got, err := c.LiveKinds(o.key); err != nil || !slices.Equal(got, kinds) {
		o.t.Fatalf("%s: LiveKinds = %v, %v; want %v", what, got, err, kinds)
	}
	// A seek to the first row, one to the record; a register row before
	// the counter rows is counted on the way, a step.
	limit := 2
	if slices.Contains(kinds, crdt.KindRegister) {
		limit = 3
	}
	if w := iterWork(c); w > limit {
		o.t.Fatalf("%s: a commit read the key with %d seeks and steps, want at most %d", what, w, limit)
	}
	checkIndex(o.t, o.s)
}

// TestCounterTotalManyOrigins follows a counter written by 2,000 origins
// through increments, decrements, a delete (a remove marker on every
// row), its re-creation, rows of other kinds beside it, and reopens, and
// checks after each that its total, read with one lookup, is the sum of
// its rows, and that a commit's type check and total cost two seeks.
func TestCounterTotalManyOrigins(t *testing.T) {
	s, fs := openMem(t)
	defer func() { mustClose(t, s) }()
	o := &origins{t: t, s: s, key: "global/visits", rows: map[crdt.ReplicaID]crdt.Row{}, dots: map[crdt.ReplicaID]uint64{}}
	var ids []crdt.ReplicaID
	for i := range 2000 {
		ids = append(ids, crdt.ReplicaID(0x1000+i))
	}
	counter := []crdt.Kind{crdt.KindCounter}
	o.change(ids, func(id crdt.ReplicaID) int64 { return int64(id) % 7 }, false)
	o.check("first increments", counter...)
	o.change(ids[:1000], func(crdt.ReplicaID) int64 { return -10 }, false)
	o.change(ids[500:], func(id crdt.ReplicaID) int64 { return int64(id) }, false)
	localWrite(t, s, o.key, crdt.CounterRow(s.ReplicaID()), "xxxx") // +3
	o.check("increments and decrements", counter...)

	mustClose(t, s)
	s = reopen(t, fs)
	o.s = s
	o.check("reopened", counter...)

	// Delete: every origin's row, the local one included, gets a marker.
	o.change(ids, func(crdt.ReplicaID) int64 { return 0 }, true)
	c := s.NewCommit()
	own, _ := c.Row(o.key, crdt.CounterRow(s.ReplicaID()))
	if _, err := c.Merge(o.key, crdt.CounterRow(s.ReplicaID()), own.Remove(crdt.KindCounter, c.NextDot())); err != nil {
		t.Fatal(err)
	}
	if err := c.Apply(); err != nil {
		t.Fatal(err)
	}
	o.check("deleted")
	if got := o.want(); got != 0 {
		t.Fatalf("deleted counter sums to %d", got)
	}

	// Re-created: the rows start again from their markers.
	o.change(ids[:300], func(crdt.ReplicaID) int64 { return 2 }, false)
	o.check("re-created", counter...)
	if got, _ := s.CounterTotal(o.key); got != 600 {
		t.Fatalf("re-created counter = %d, want 600", got)
	}

	// Concurrent kinds: a set member and a register beside the counter
	// rows leave the counter's total as it is.
	c = s.NewCommit()
	member := crdt.Row{}.Write(crdt.KindSet, crdt.Dot{Origin: 0x1000, Counter: 99}, crdt.Timestamp{Wall: 99}, nil)
	if _, err := c.Merge(o.key, crdt.RowKey{Kind: crdt.KindSet, Name: "m"}, member); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Merge(o.key, reg, foreignWrite(0x1001, 99, "v")); err != nil {
		t.Fatal(err)
	}
	if err := c.Apply(); err != nil {
		t.Fatal(err)
	}
	o.check("beside a set and a register", crdt.KindRegister, crdt.KindCounter, crdt.KindSet)
	o.change(ids[1500:], func(crdt.ReplicaID) int64 { return -1 }, false)
	o.check("multi-kind, decremented", crdt.KindRegister, crdt.KindCounter, crdt.KindSet)

	mustClose(t, s)
	s = reopen(t, fs)
	o.s = s
	o.check("multi-kind, reopened", crdt.KindRegister, crdt.KindCounter, crdt.KindSet)
}

// TestCounterTotalWraps takes a total past the limits of int64 both ways:
// it wraps, exactly as the sum of the rows (crdt.Object.Counter) does,
// and survives a reopen and a rebuild.
func TestCounterTotalWraps(t *testing.T) {
	s, fs := openMem(t)
	o := &origins{t: t, s: s, key: "c", rows: map[crdt.ReplicaID]crdt.Row{}, dots: map[crdt.ReplicaID]uint64{}}
	ids := []crdt.ReplicaID{1, 2, 3}
	o.change(ids, func(crdt.ReplicaID) int64 { return math.MaxInt64 }, false)
	o.check("three times MaxInt64", crdt.KindCounter)
	if got, _ := s.CounterTotal("c"); got != math.MaxInt64-2 { // 3 * (2^63 - 1) mod 2^64, as int64
		t.Fatalf("CounterTotal = %d, want %d", got, int64(math.MaxInt64-2))
	}
	o.change(ids[:2], func(crdt.ReplicaID) int64 { return math.MinInt64 }, false)
	o.change(ids[2:], func(crdt.ReplicaID) int64 { return math.MinInt64 + 1 }, false)
	o.check("and back down", crdt.KindCounter)
	o.change(ids[:1], func(crdt.ReplicaID) int64 { return 0 }, true)
	o.check("one row removed", crdt.KindCounter)
	mustClose(t, s)
	toPreTotals(t, fs, 0)
	s = reopen(t, fs)
	o.s = s
	o.check("rebuilt", crdt.KindCounter)
	mustClose(t, s)
}

// TestCounterTotalsOfOldStores opens a directory in the layout before
// counter totals (counters without records, a multi-kind key's record
// without its total), with its rebuild cut off after 0, 1 or 3 keys as by
// a crash: the first Open builds (or finishes building) every total, and
// later Opens do not scan again.
func TestCounterTotalsOfOldStores(t *testing.T) {
	for _, steps := range []int{0, 1, 3} {
		t.Run(fmt.Sprintf("rebuilt %d before the crash", steps), func(t *testing.T) {
			s, fs := openMem(t)
			want := map[string]int64{}
			dots := map[crdt.ReplicaID]uint64{}
			for i := range 6 {
				key := fmt.Sprintf("c%d", i)
				o := &origins{t: t, s: s, key: key, rows: map[crdt.ReplicaID]crdt.Row{}, dots: dots}
				o.change([]crdt.ReplicaID{1, 2, crdt.ReplicaID(10 + i)}, func(id crdt.ReplicaID) int64 { return int64(id) * 100 }, false)
				want[key] = o.want()
				localWrite(t, s, fmt.Sprintf("r%d", i), reg, "v") // keys between, without totals
			}
			localWrite(t, s, "c2", crdt.RowKey{Kind: crdt.KindSet, Name: "m"}, "x") // c2 is multi-kind
			localWrite(t, s, "s", crdt.RowKey{Kind: crdt.KindSet, Name: "m"}, "x")
			mustClose(t, s)
			toPreTotals(t, fs, steps)
			db := rawDB(t, fs)
			if v, err := getBytes(db, totalsKey); err != nil || steps == 0 && v != nil || steps > 0 && (len(v) < 2 || v[0] != totalsResume) {
				t.Fatalf("m/totals after %d steps: %x, %v", steps, v, err)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}

			s = reopen(t, fs)
			defer func() { mustClose(t, s) }()
			checkIndex(t, s) // every key with counter rows has its record again
			for key, n := range want {
				if got, err := s.CounterTotal(key); err != nil || got != n {
					t.Errorf("%s: CounterTotal = %d, %v; want %d", key, got, err, n)
				}
			}
			if r, found := storedRecord(t, s, "c2"); !found || r.n != (liveCounts{0, 3, 1, 0}) || r.total != want["c2"] {
				t.Errorf("c2: record %+v, %v", r, found)
			}
			if _, found := storedRecord(t, s, "r1"); found {
				t.Errorf("a register key got a record")
			}

			// Built: a reopen does not scan again (a record planted wrong
			// stays wrong, and CheckConsistency says so).
			mustClose(t, s)
			plant(t, fs, countKey("c0"), liveRecord{n: liveCounts{0, 3, 0, 0}, total: 1}.encode())
			s = reopen(t, fs)
			if got, _ := s.CounterTotal("c0"); got != 1 {
				t.Fatalf("the reopen rebuilt the totals again")
			}
			if err := s.CheckConsistency(); err == nil {
				t.Fatal("CheckConsistency accepts a wrong total")
			}
		})
	}
}

// TestCounterTotalOfRowsGone: a re-issue can take a key's only counter
// row back to before it existed; the key's record goes with it, so that
// a later write of a register there (which reads no record) leaves none
// stale.
func TestCounterTotalOfRowsGone(t *testing.T) {
	s, _ := openMem(t)
	defer mustClose(t, s)
	rk := crdt.CounterRow(s.ReplicaID())
	localWrite(t, s, "c", rk, "xxx")
	c := s.NewCommit()
	if err := c.replace("c", rk, crdt.Row{}, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Apply(); err != nil {
		t.Fatal(err)
	}
	if _, found := storedRecord(t, s, "c"); found {
		t.Fatal("the record outlived the key's counter rows")
	}
	localWrite(t, s, "c", reg, "v")
	checkIndex(t, s)
	if sum, found, err := s.KeySummary("c"); err != nil || found {
		t.Fatalf("KeySummary = %+v, %v, %v", sum, found, err)
	}
}

// TestCheckConsistencyCounterRecords: CheckConsistency reports a key with
// counter rows whose record is missing (Store.CounterTotal would read 0)
// or whose total differs from its rows.
func TestCheckConsistencyCounterRecords(t *testing.T) {
	for name, val := range map[string][]byte{
		"missing":     nil,
		"wrong total": liveRecord{n: liveCounts{0, 1, 0, 0}, total: 4}.encode(),
		"no total":    liveCounts{0, 1, 0, 0}.encode(),
	} {
		t.Run(name, func(t *testing.T) {
			s, fs := openMem(t)
			localWrite(t, s, "c", crdt.CounterRow(s.ReplicaID()), "xxxx")
			checkIndex(t, s)
			mustClose(t, s)
			db := rawDB(t, fs)
			var err error
			if val == nil {
				err = db.Delete(countKey("c"), pebble.Sync)
			} else {
				err = db.Set(countKey("c"), val, pebble.Sync)
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			s = reopen(t, fs)
			defer mustClose(t, s)
			if err := s.CheckConsistency(); !errors.Is(err, ErrInconsistent) {
				t.Fatalf("CheckConsistency = %v, want ErrInconsistent", err)
			}
		})
	}
}
