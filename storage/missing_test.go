package storage

import (
	"errors"
	"math"
	"testing"

	"github.com/shoal-db/shoal/crdt"
	"pgregory.net/rapid"
)

// collectMissing runs Missing and returns the rows it sent, failing the
// test if one is sent twice.
func collectMissing(t tb, s *Store, have *crdt.VersionVector) (map[rowID]crdt.Row, *crdt.VersionVector) {
	t.Helper()
	got := map[rowID]crdt.Row{}
	vv, err := s.Missing(have, func(c Change) error {
		id := rowID{c.Key, c.RowKey}
		if _, dup := got[id]; dup {
			t.Fatalf("Missing sent %q %v twice", c.Key, c.RowKey)
		}
		got[id] = c.Row
		return nil
	})
	if err != nil {
		t.Fatalf("Missing: %v", err)
	}
	return got, vv
}

// missingRef is the naive reference: every row with a latest dot that
// have does not contain.
func missingRef(t tb, s *Store, have *crdt.VersionVector) map[rowID]crdt.Row {
	want := map[rowID]crdt.Row{}
	for ko, err := range s.Scan(ScanOptions{}) {
		if err != nil {
			t.Fatalf("Scan: %v", err)
		}
		for rk, row := range ko.Object {
			for _, d := range row.LatestDots() {
				if !have.Contains(d) {
					want[rowID{ko.Key, rk}] = row
				}
			}
		}
	}
	return want
}

func checkMissing(t tb, s *Store, have *crdt.VersionVector) {
	t.Helper()
	got, vv := collectMissing(t, s, have)
	if have == nil {
		have = &crdt.VersionVector{}
	}
	want := missingRef(t, s, have)
	if len(got) != len(want) {
		t.Fatalf("Missing(%s) sent %d rows, want %d", have, len(got), len(want))
	}
	for id, row := range want {
		if g, ok := got[id]; !ok || !rowsEqual(g, row) {
			t.Fatalf("Missing(%s): row %q %v = %v (sent %v), want %v", have, id.key, id.rk, g, ok, row)
		}
	}
	if own := s.VersionVector().Lacking(have); !vv.Equal(own) {
		t.Fatalf("Missing VV %s, want the store's parts have lacks %s", vv, own)
	}
}

// haveGen draws a version vector over the origins of vv: a random base
// per origin (below, at or above vv's), and random exceptions above it.
func haveGen(t *rapid.T, vv *crdt.VersionVector) *crdt.VersionVector {
	have := &crdt.VersionVector{}
	for _, o := range vv.Origins() {
		top := vv.Max(o) + 1
		have.AddRange(o, 1, rapid.Uint64Range(0, top).Draw(t, "base"))
		for range rapid.IntRange(0, 3).Draw(t, "extras") {
			have.Add(crdt.Dot{Origin: o, Counter: rapid.Uint64Range(1, top).Draw(t, "extra")})
		}
	}
	return have
}

func TestMissingMatchesReference(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		h := runHistory(t)
		defer mustClose(t, h.s)
		vv := h.s.VersionVector()
		for range 5 {
			checkMissing(t, h.s, haveGen(t, vv))
		}
		checkMissing(t, h.s, nil)
		if got, _ := collectMissing(t, h.s, vv); len(got) != 0 {
			t.Fatalf("Missing(own VV) sent %d rows", len(got))
		}
		checkCatchUp(t, h.s)
	})
}

// checkCatchUp copies the store into an empty one with Missing, joining
// the snapshot vector as at DONE: both then hold the same rows and
// vector, and a second catch-up sends nothing.
func checkCatchUp(t tb, src *Store) {
	dst, _ := openMemID(t, testReplica-1)
	defer mustClose(t, dst)
	c := dst.NewCommit()
	vv, err := src.Missing(dst.VersionVector(), func(ch Change) error {
		_, err := c.Merge(ch.Key, ch.RowKey, ch.Row)
		return err
	})
	if err != nil {
		t.Fatalf("Missing: %v", err)
	}
	c.JoinVersionVector(vv, src.ReplicaID())
	if err := c.Apply(); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	checkIndex(t, dst)
	if !dst.VersionVector().Equal(src.VersionVector()) {
		t.Fatalf("after catch-up VV %s, source %s", dst.VersionVector(), src.VersionVector())
	}
	if got, _ := collectMissing(t, src, dst.VersionVector()); len(got) != 0 {
		t.Fatalf("second catch-up sent %d rows", len(got))
	}
	want := missingRef(t, src, &crdt.VersionVector{})
	if got := missingRef(t, dst, &crdt.VersionVector{}); len(got) != len(want) {
		t.Fatalf("after catch-up %d rows, source %d", len(got), len(want))
	}
	for id, row := range want {
		if got, _ := dst.Row(id.key, id.rk); !rowsEqual(got, row) {
			t.Fatalf("after catch-up row %q %v = %v, want %v", id.key, id.rk, got, row)
		}
	}
}

// TestMissingOnce: a row indexed under three origins is sent once when
// any of its latest dots is uncovered, whichever they are.
func TestMissingOnce(t *testing.T) {
	s, _ := openMem(t)
	defer mustClose(t, s)
	dots := []crdt.Dot{{Origin: 1, Counter: 4}, {Origin: testReplica, Counter: 1}, {Origin: math.MaxUint64, Counter: 2}}
	c := s.NewCommit()
	for _, d := range []crdt.Dot{dots[0], dots[2]} {
		delta := crdt.Row{}.Write(crdt.KindRegister, d, crdt.Timestamp{}, []byte("v"))
		if _, err := c.Merge("k", reg, delta); err != nil {
			t.Fatal(err)
		}
	}
	localMerge(t, c, "k", reg, "w") // supersedes both: context has all three
	if err := c.Apply(); err != nil {
		t.Fatal(err)
	}
	for mask := range 8 {
		have := &crdt.VersionVector{}
		for i, d := range dots {
			if mask&(1<<i) != 0 {
				have.AddRange(d.Origin, 1, math.MaxUint64) // covers everything, MaxUint64 included
			} else {
				have.AddRange(d.Origin, 1, d.Counter-1)
			}
		}
		got, _ := collectMissing(t, s, have)
		if want := map[bool]int{true: 0, false: 1}[mask == 7]; len(got) != want {
			t.Fatalf("mask %03b: sent %d rows, want %d", mask, len(got), want)
		}
	}
}

// TestMissingSnapshot applies commits from inside fn: neither their rows
// nor their dots may show in what Missing reports.
func TestMissingSnapshot(t *testing.T) {
	s, _ := openMem(t)
	defer mustClose(t, s)
	old := localWrite(t, s, "k", reg, "old")
	if _, err := func() (crdt.Row, error) {
		c := s.NewCommit()
		defer c.Apply()
		return c.Merge("p", reg, foreignWrite(peerA, 1, "peer"))
	}(); err != nil {
		t.Fatal(err)
	}
	before := s.VersionVector()
	var sent []Change
	vv, err := s.Missing(nil, func(ch Change) error {
		if len(sent) == 0 {
			localWrite(t, s, "k", reg, "new") // changes a row not sent yet or sent already
			localWrite(t, s, "added", reg, "x")
		}
		sent = append(sent, ch)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !vv.Equal(before) || vv.Contains(crdt.Dot{Origin: testReplica, Counter: 2}) {
		t.Fatalf("Missing VV %s, want the snapshot's %s", vv, before)
	}
	if len(sent) != 2 {
		t.Fatalf("sent %v", sent)
	}
	for _, ch := range sent {
		if ch.Key == "k" && !rowsEqual(ch.Row, old) || ch.Key == "added" {
			t.Fatalf("sent %q %v: not the snapshot's state", ch.Key, ch.Row)
		}
	}
	if s.VersionVector().Max(testReplica) != 3 {
		t.Fatalf("store VV %s after the concurrent commits", s.VersionVector())
	}
}

func TestMissingStopsOnError(t *testing.T) {
	s, _ := openMem(t)
	defer mustClose(t, s)
	localWrite(t, s, "a", reg, "v")
	localWrite(t, s, "b", reg, "v")
	stop := errors.New("stop")
	n := 0
	_, err := s.Missing(nil, func(Change) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Fatalf("Missing = %v after %d calls", err, n)
	}
}
