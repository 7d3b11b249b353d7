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

// addAndRemove gives key n rows of kind (members or fields m00000...),
// each written and then removed, in commits of up to 500 rows.
func addAndRemove(t tb, s *Store, key string, kind crdt.Kind, n int) {
	t.Helper()
	for _, value := range []string{"x", ""} {
		for lo := 0; lo < n; lo += 500 {
			c := s.NewCommit()
			for i := lo; i < min(lo+500, n); i++ {
				localMerge(t, c, key, crdt.RowKey{Kind: kind, Name: fmt.Sprintf("m%05d", i)}, value)
			}
			if err := c.Apply(); err != nil {
				t.Fatalf("Apply: %v", err)
			}
		}
	}
}

// iterWork returns the positionings (seeks and steps) made so far through
// the commit's iterator: the rows LiveKinds looked at, whatever the
// shape of the LSM.
func iterWork(c *Commit) int {
	if c.iter == nil {
		return 0
	}
	st := c.iter.Stats()
	return st.ForwardSeekCount[pebble.InterfaceCall] + st.ForwardStepCount[pebble.InterfaceCall]
}

// writeWork makes one local write of a new row of kind at key, as the
// node's writer does (type check, read, merge, apply), and returns the
// work of its type check and the kinds it saw.
func writeWork(t *testing.T, s *Store, key string, kind crdt.Kind, name string) (int, []crdt.Kind) {
	t.Helper()
	c := s.NewCommit()
	kinds, err := c.LiveKinds(key)
	if err != nil {
		t.Fatal(err)
	}
	work := iterWork(c)
	localMerge(t, c, key, crdt.RowKey{Kind: kind, Name: name}, "x")
	if err := c.Apply(); err != nil {
		t.Fatal(err)
	}
	return work, kinds
}

// TestSetWritesBehindRemoveMarkers checks that a write to a set or a map
// costs the same behind thousands of remove markers as on a fresh key. It
// counts the rows the type check looks at (iterator seeks and steps), not
// time: before live counts it read every marker before the first live row.
func TestSetWritesBehindRemoveMarkers(t *testing.T) {
	for _, kind := range []crdt.Kind{crdt.KindSet, crdt.KindMap} {
		work := map[int]int{}
		for _, markers := range []int{0, 10, 3000} {
			s, _ := openMem(t)
			addAndRemove(t, s, "k", kind, markers)
			first, kinds := writeWork(t, s, "k", kind, "n1") // behind the markers, none live
			if len(kinds) != 0 {
				t.Fatalf("%s with %d markers: live kinds %v, want none", kind, markers, kinds)
			}
			second, kinds := writeWork(t, s, "k", kind, "n2") // one live row after the markers
			if !slices.Equal(kinds, []crdt.Kind{kind}) {
				t.Fatalf("%s with %d markers and a live row: kinds %v", kind, markers, kinds)
			}
			work[markers] = max(first, second)
			checkIndex(t, s)
			mustClose(t, s)
		}
		// One seek to the key's first row, one to its live counts, whether
		// the rows before the first live one are 0, 10 or 3000 markers.
		if work[0] > 2 || work[10] != work[0] || work[3000] != work[0] {
			t.Errorf("%s: type check work by number of markers %v, want the same, at most 2", kind, work)
		}
	}
}

// TestRegisterKeysHaveNoLiveCounts checks that registers, whose one row
// is as cheap to count as a record, get no record (no extra write per
// Put); that a counter gets one, with its total, at its first increment;
// and that a key gets one as soon as it holds a set or map row.
func TestRegisterKeysHaveNoLiveCounts(t *testing.T) {
	s, _ := openMem(t)
	defer mustClose(t, s)
	localWrite(t, s, "r", reg, "v")
	localWrite(t, s, "c", crdt.CounterRow(s.ReplicaID()), "xx")
	localWrite(t, s, "r", reg, "")
	if _, found := storedCounts(t, s, "r"); found {
		t.Errorf("r: has live counts")
	}
	if r, found := storedRecord(t, s, "c"); !found || r != (liveRecord{n: liveCounts{0, 1, 0, 0}, total: 1}) {
		t.Errorf("c: record %+v, %v; want one live counter row, total 1", r, found)
	}
	localWrite(t, s, "r", crdt.RowKey{Kind: crdt.KindMap, Name: "f"}, "v")
	if n, found := storedCounts(t, s, "r"); !found || n != (liveCounts{0, 0, 0, 1}) {
		t.Errorf("r with a map field: live counts %v, %v", n, found)
	}
	checkIndex(t, s)
}

// storedCounts reads the live counts of key's record.
func storedCounts(t tb, s *Store, key string) (liveCounts, bool) {
	t.Helper()
	r, found := storedRecord(t, s, key)
	return r.n, found
}

// storedRecord reads key's record.
func storedRecord(t tb, s *Store, key string) (liveRecord, bool) {
	t.Helper()
	it, err := s.db.NewIter(countsIterOptions())
	if err != nil {
		t.Fatalf("NewIter: %v", err)
	}
	defer it.Close()
	r, found, err := readLiveRecord(it, key)
	if err != nil {
		t.Fatalf("readLiveRecord(%q): %v", key, err)
	}
	return r, found
}

// stripLiveCounts deletes every live-count record of the store kept in
// fs, and the mark that its counter totals are built, as if it had been
// written before either existed.
func stripLiveCounts(t tb, fs vfs.FS) {
	t.Helper()
	db := rawDB(t, fs)
	if err := db.DeleteRange(countPrefix, prefixEnd(countPrefix), pebble.Sync); err != nil {
		t.Fatalf("DeleteRange: %v", err)
	}
	if err := db.Delete(totalsKey, pebble.Sync); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
}

// TestLiveCountsOfOldStores checks a store written before live counts: a
// set without a record is counted from its rows, right, and the first
// commit that reads it writes its record, after which the check is cheap.
// A commit that only reads the key (a remove of a removed member) writes
// the record too, if it writes anything.
func TestLiveCountsOfOldStores(t *testing.T) {
	s, fs := openMem(t)
	addAndRemove(t, s, "old", crdt.KindSet, 200)
	addAndRemove(t, s, "idle", crdt.KindMap, 200)
	localWrite(t, s, "old", crdt.RowKey{Kind: crdt.KindSet, Name: "zz"}, "x")
	mustClose(t, s)
	stripLiveCounts(t, fs)
	s = reopen(t, fs)
	defer mustClose(t, s)
	checkIndex(t, s) // a missing record is allowed

	c := s.NewCommit()
	kinds, err := c.LiveKinds("old")
	if err != nil || !slices.Equal(kinds, []crdt.Kind{crdt.KindSet}) {
		t.Fatalf("old: LiveKinds = %v, %v", kinds, err)
	}
	if w := iterWork(c); w < 200 {
		t.Fatalf("old without a record: work %d, want a walk of its 201 rows", w)
	}
	if kinds, err := c.LiveKinds("idle"); err != nil || len(kinds) != 0 {
		t.Fatalf("idle: LiveKinds = %v, %v", kinds, err)
	}
	localMerge(t, c, "old", crdt.RowKey{Kind: crdt.KindSet, Name: "m00007"}, "x")
	if err := c.Apply(); err != nil {
		t.Fatal(err)
	}
	if n, found := storedCounts(t, s, "old"); !found || n != (liveCounts{0, 0, 2, 0}) {
		t.Fatalf("old after a write: live counts %v, %v; want 2 set rows", n, found)
	}
	if n, found := storedCounts(t, s, "idle"); !found || n != (liveCounts{}) {
		t.Fatalf("idle after a read: live counts %v, %v; want a record of zeros", n, found)
	}
	checkIndex(t, s)
	if work, _ := writeWork(t, s, "old", crdt.KindSet, "n"); work > 2 {
		t.Fatalf("old with its record: work %d", work)
	}
}

// TestLiveCountsCorrupt checks that a record that does not decode, or that
// disagrees with the rows, is reported, not trusted.
func TestLiveCountsCorrupt(t *testing.T) {
	for name, tc := range map[string]struct {
		val  []byte
		want error
	}{
		"truncated":     {[]byte{0, 0, 1}, ErrCorrupt},
		"trailing":      {[]byte{0, 0, 1, 0, 0}, ErrCorrupt},
		"non-canonical": {[]byte{0, 0, 0x81, 0x00, 0}, ErrCorrupt},
		"too few live":  {liveCounts{}.encode(), ErrCorrupt},
		"too many live": {liveCounts{0, 0, 3, 0}.encode(), ErrInconsistent},
		"zero total":    {[]byte{0, 0, 1, 0, 0}, ErrCorrupt},
		"bad total":     {[]byte{0, 0, 1, 0, 0x80}, ErrCorrupt},
		"wrong total":   {liveRecord{n: liveCounts{0, 0, 1, 0}, total: -3}.encode(), ErrInconsistent},
	} {
		t.Run(name, func(t *testing.T) {
			s, fs := openMem(t)
			localWrite(t, s, "k", crdt.RowKey{Kind: crdt.KindSet, Name: "a"}, "x")
			mustClose(t, s)
			db := rawDB(t, fs)
			if err := db.Set(countKey("k"), tc.val, pebble.Sync); err != nil {
				t.Fatal(err)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			s = reopen(t, fs)
			defer mustClose(t, s)
			if err := s.CheckConsistency(); !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrInconsistent) {
				t.Errorf("CheckConsistency = %v", err)
			}
			if _, derr := decodeLiveRecord(tc.val); derr != nil {
				if _, _, err := s.KeySummary("k"); !errors.Is(err, ErrCorrupt) {
					t.Errorf("KeySummary = %v, want ErrCorrupt", err)
				}
			}
			c := s.NewCommit()
			defer c.Discard()
			_, err := c.LiveKinds("k")
			if err == nil {
				// A count that is only too high shows when the row turns dead.
				localMerge(t, c, "k", crdt.RowKey{Kind: crdt.KindSet, Name: "a"}, "")
				_, err = c.LiveKinds("k")
			}
			if tc.want == ErrCorrupt && !errors.Is(err, ErrCorrupt) {
				t.Errorf("LiveKinds = %v, want ErrCorrupt", err)
			}
		})
	}
}

func FuzzDecodeLiveCounts(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0})
	f.Add(liveCounts{1, 2, 300, 1 << 40}.encode())
	f.Add(liveRecord{n: liveCounts{0, 7, 0, 0}, total: math.MinInt64}.encode())
	f.Add([]byte{0x80})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeLiveRecord(b)
		if err != nil {
			return
		}
		if got := r.encode(); string(got) != string(b) {
			t.Fatalf("decode(%x) = %+v, which encodes as %x", b, r, got)
		}
	})
}
