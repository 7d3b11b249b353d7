package storage

import (
	"math"
	"testing"

	"github.com/shoal-db/shoal/crdt"
)

// TestIndexMaxLoads: the highest indexed dot per origin, read at Open
// (the top origin included), is what commits raised it to.
func TestIndexMaxLoads(t *testing.T) {
	s, fs := openMem(t)
	c := s.NewCommit()
	for i, o := range []crdt.ReplicaID{1, 7, math.MaxUint64} {
		for n := uint64(1); n <= uint64(i+2); n++ {
			if _, err := c.Merge(string(rune('a'+i))+string(rune('0'+n)), reg, foreignWrite(o, n, "v")); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := c.Apply(); err != nil {
		t.Fatal(err)
	}
	localWrite(t, s, "own", reg, "v")
	want := map[crdt.ReplicaID]uint64{1: 2, 7: 3, math.MaxUint64: 4, testReplica: 1}
	check := func(what string, s *Store) {
		t.Helper()
		s.index.mu.Lock()
		defer s.index.mu.Unlock()
		if len(s.index.max) != len(want) {
			t.Fatalf("%s: %v, want %v", what, s.index.max, want)
		}
		for o, n := range want {
			if s.index.max[o] != n {
				t.Fatalf("%s: %v, want %v", what, s.index.max, want)
			}
		}
	}
	check("after commits", s)
	mustClose(t, s)
	s = reopen(t, fs)
	defer mustClose(t, s)
	check("after Open", s)
	have := &crdt.VersionVector{}
	have.AddRange(7, 1, 3)
	have.AddRange(1, 1, 1)
	if got := s.index.above(have); len(got) != 3 || got[0] != 1 {
		t.Fatalf("above: %v", got)
	}
}
