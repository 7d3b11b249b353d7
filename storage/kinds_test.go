package storage

import (
	"slices"
	"testing"

	"github.com/shoal-db/shoal/crdt"
)

func TestLiveKinds(t *testing.T) {
	s, _ := openMem(t)
	defer mustClose(t, s)
	reg := crdt.RowKey{Kind: crdt.KindRegister}
	member := func(m string) crdt.RowKey { return crdt.RowKey{Kind: crdt.KindSet, Name: m} }
	kinds := func(c *Commit, key string) []crdt.Kind {
		t.Helper()
		k, err := c.LiveKinds(key)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}

	localWrite(t, s, "k", reg, "v")
	for _, m := range []string{"a", "b", "c"} {
		localWrite(t, s, "s", member(m), "x")
	}
	localWrite(t, s, "s", member("a"), "") // a remove marker first in order
	localWrite(t, s, "s", member("b"), "")
	c := s.NewCommit()
	if got := kinds(c, "k"); !slices.Equal(got, []crdt.Kind{crdt.KindRegister}) {
		t.Fatalf("k: %v", got)
	}
	if got := kinds(c, "s"); !slices.Equal(got, []crdt.Kind{crdt.KindSet}) {
		t.Fatalf("s with live member c after markers: %v", got)
	}
	if got := kinds(c, "absent"); len(got) != 0 {
		t.Fatalf("absent: %v", got)
	}
	// Pending rows count: removing the last member empties the set, and a
	// new register row makes the key live as a register.
	localMerge(t, c, "s", member("c"), "")
	localMerge(t, c, "s", reg, "now a register")
	if got := kinds(c, "s"); !slices.Equal(got, []crdt.Kind{crdt.KindRegister}) {
		t.Fatalf("s with pending rows: %v", got)
	}
	if err := c.Apply(); err != nil {
		t.Fatal(err)
	}
}

func TestMultiKindPersists(t *testing.T) {
	s, fs := openMem(t)
	if s.MultiKind("k") {
		t.Fatal("fresh key listed as multi-kind")
	}
	c := s.NewCommit()
	c.MarkMultiKind("k\x00with zero")
	if err := c.Apply(); err != nil {
		t.Fatal(err)
	}
	if !s.MultiKind("k\x00with zero") {
		t.Fatal("mark not visible after Apply")
	}
	mustClose(t, s)
	s = reopen(t, fs)
	defer mustClose(t, s)
	if !s.MultiKind("k\x00with zero") || s.MultiKind("k") {
		t.Fatal("multi-kind marks not restored at Open")
	}
}

func TestRowReadOnceAndRollback(t *testing.T) {
	s, _ := openMem(t)
	defer mustClose(t, s)
	reg := crdt.RowKey{Kind: crdt.KindRegister}
	localWrite(t, s, "k", reg, "v1")
	c := s.NewCommit()
	sp := c.Savepoint()
	localMerge(t, c, "k", reg, "v2")
	c.RollbackTo(sp)
	row, err := c.Row("k", reg)
	if err != nil {
		t.Fatal(err)
	}
	if w, _ := row.Winner(); string(w.Value) != "v1" {
		t.Fatalf("after rollback the commit reads %q, want the stored v1", w.Value)
	}
}
