package storage

import (
	"errors"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/shoal-db/shoal/crdt"
)

var reg = crdt.RowKey{Kind: crdt.KindRegister}

func TestReplicaIDStable(t *testing.T) {
	fs := vfs.NewMem()
	s := reopen(t, fs) // a new directory: a random id
	id := s.ReplicaID()
	if id == 0 {
		t.Fatal("zero replica id")
	}
	mustClose(t, s)
	s = reopen(t, fs)
	defer mustClose(t, s)
	if s.ReplicaID() != id {
		t.Fatalf("replica id %s after reopen, want %s", s.ReplicaID(), id)
	}
	other := reopen(t, vfs.NewMem())
	defer mustClose(t, other)
	if other.ReplicaID() == id {
		t.Fatal("two stores made the same replica id")
	}
}

func TestNilOptions(t *testing.T) {
	s, err := Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	localWrite(t, s, "k", reg, "v")
	mustClose(t, s)
}

func TestDotCounterDurable(t *testing.T) {
	s, fs := openMem(t)
	for i := range 3 {
		row := localWrite(t, s, "k", reg, "v")
		if got := row.Context.Max(s.ReplicaID()); got != uint64(i+1) {
			t.Fatalf("write %d used counter %d", i, got)
		}
	}
	// A commit never applied: its dots and rows must leave no trace.
	c := s.NewCommit()
	c.NextDot()
	localMerge(t, c, "lost", reg, "x")
	mustClose(t, s)

	s = reopen(t, fs)
	defer mustClose(t, s)
	if got := s.LastCounter(); got != 3 {
		t.Fatalf("LastCounter after reopen = %d, want 3", got)
	}
	if row, _ := s.Row("lost", reg); !row.IsZero() {
		t.Fatalf("unapplied row is stored: %v", row)
	}
	if d := s.NewCommit().NextDot(); d != (crdt.Dot{Origin: s.ReplicaID(), Counter: 4}) {
		t.Fatalf("next dot %v, want counter 4", d)
	}
	row := localWrite(t, s, "k2", reg, "v")
	if got := row.Context.Max(s.ReplicaID()); got != 4 {
		t.Fatalf("first dot after reopen %d, want 4", got)
	}
	want := crdt.VersionVector{}
	want.AddRange(s.ReplicaID(), 1, 4)
	if vv := s.VersionVector(); !vv.Equal(&want) {
		t.Fatalf("VersionVector = %s, want %s", vv, &want)
	}
}

// TestUnusedDotsClaimed: dots minted in an applied commit but used by no
// row are claimed by the version vector, so they leave no hole.
func TestUnusedDotsClaimed(t *testing.T) {
	s, fs := openMem(t)
	c := s.NewCommit()
	c.NextDot()
	localMerge(t, c, "k", reg, "v")
	if err := c.Apply(); err != nil {
		t.Fatal(err)
	}
	if s.LastCounter() != 2 || s.VersionVector().Base(s.ReplicaID()) != 2 {
		t.Fatalf("LastCounter %d, VV %s", s.LastCounter(), s.VersionVector())
	}
	// A commit that changes nothing is a no-op, even if it minted dots.
	c = s.NewCommit()
	c.NextDot()
	if err := c.Apply(); err != nil || s.LastCounter() != 2 {
		t.Fatalf("empty Apply: %v, LastCounter %d", err, s.LastCounter())
	}
	mustClose(t, s)
	s = reopen(t, fs)
	defer mustClose(t, s)
	if vv := s.VersionVector(); vv.Base(s.ReplicaID()) != 2 || vv.HasGaps() {
		t.Fatalf("VV after reopen %s", vv)
	}
}

// TestOpenFillsOwnDots: a store whose m/dots is ahead of its own vector
// part (written by an older version, say) fills the hole at Open and makes
// it durable, so that Missing's snapshot vector has it too.
func TestOpenFillsOwnDots(t *testing.T) {
	s, fs := openMem(t)
	id := s.ReplicaID()
	localWrite(t, s, "k", reg, "v")
	mustClose(t, s)
	db := rawDB(t, fs)
	if err := db.Set(dotsKey, encodeUint64(10), pebble.Sync); err != nil {
		t.Fatal(err)
	}
	_ = db.Close()
	s = reopen(t, fs)
	defer mustClose(t, s)
	if s.LastCounter() != 10 || s.VersionVector().Base(id) != 10 {
		t.Fatalf("LastCounter %d, VV %s", s.LastCounter(), s.VersionVector())
	}
	vv, err := s.Missing(nil, func(Change) error { return nil })
	if err != nil || vv.Base(id) != 10 {
		t.Fatalf("snapshot VV %s, %v", vv, err)
	}
}

func TestClosed(t *testing.T) {
	s, _ := openMem(t)
	c := s.NewCommit()
	localMerge(t, c, "k", reg, "v")
	mustClose(t, s)
	if err := s.Close(); !errors.Is(err, ErrClosed) {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := s.Object("k"); !errors.Is(err, ErrClosed) {
		t.Fatalf("Object: %v", err)
	}
	if _, err := s.Row("k", reg); !errors.Is(err, ErrClosed) {
		t.Fatalf("Row: %v", err)
	}
	for _, err := range s.Scan(ScanOptions{}) {
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("Scan: %v", err)
		}
	}
	if _, err := s.Missing(nil, nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("Missing: %v", err)
	}
	if err := c.Apply(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Apply: %v", err)
	}
	if err := c.Apply(); !errors.Is(err, ErrCommitDone) {
		t.Fatalf("second Apply: %v", err)
	}
}

func TestCommitReadsPending(t *testing.T) {
	s, _ := openMem(t)
	defer mustClose(t, s)
	stored := localWrite(t, s, "k", reg, "old")
	c := s.NewCommit()
	if row, _ := c.Row("k", reg); !rowsEqual(row, stored) {
		t.Fatalf("Commit.Row before Merge = %v", row)
	}
	member := crdt.RowKey{Kind: crdt.KindSet, Name: "m"}
	r1 := localMerge(t, c, "k", reg, "new")
	r2 := localMerge(t, c, "k", member, "add")
	r3 := localMerge(t, c, "k", reg, "newer")
	obj, err := c.Object("k")
	if err != nil || len(obj) != 2 || !rowsEqual(obj[reg], r3) || !rowsEqual(obj[member], r2) {
		t.Fatalf("Commit.Object = %v, %v", obj, err)
	}
	if rowsEqual(r1, r3) || c.Len() != 2 {
		t.Fatalf("Len = %d", c.Len())
	}
	ch := c.Changes()
	if ch[0].Key != "k" || ch[0].RowKey != reg || !rowsEqual(ch[0].Row, r3) || ch[1].RowKey != member {
		t.Fatalf("Changes = %v", ch)
	}
	if row, _ := s.Row("k", reg); !rowsEqual(row, stored) {
		t.Fatal("pending row visible before Apply")
	}
	if err := c.Apply(); err != nil {
		t.Fatal(err)
	}
	if row, _ := s.Row("k", reg); !rowsEqual(row, r3) {
		t.Fatalf("after Apply Row = %v", row)
	}
	if _, err := c.Merge("k", reg, r3); !errors.Is(err, ErrCommitDone) {
		t.Fatalf("Merge after Apply: %v", err)
	}
	checkIndex(t, s)
}
