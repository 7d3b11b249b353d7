package storage

import (
	"errors"
	"math"
	"testing"

	"github.com/shoal-db/shoal/crdt"
)

const peerA, peerB crdt.ReplicaID = 0xa, 0xb

func foreignWrite(origin crdt.ReplicaID, counter uint64, value string) crdt.Row {
	d := crdt.Dot{Origin: origin, Counter: counter}
	return crdt.Row{}.Write(crdt.KindRegister, d, crdt.Timestamp{Wall: 1}, []byte(value))
}

func TestMergeRejectsInvalid(t *testing.T) {
	s, _ := openMem(t)
	defer mustClose(t, s)
	good := foreignWrite(peerA, 1, "v")
	unsorted := good
	unsorted.Context = crdt.Context{{Origin: peerB, Counter: 1}, {Origin: peerA, Counter: 1}}
	outside := good
	outside.Context = crdt.Context{{Origin: peerB, Counter: 1}}
	for name, c := range map[string]struct {
		rk    crdt.RowKey
		delta crdt.Row
	}{
		"kind mismatch":    {crdt.RowKey{Kind: crdt.KindMap, Name: "f"}, good},
		"unknown kind":     {crdt.RowKey{Kind: 9}, crdt.Row{Kind: 9, Context: good.Context}},
		"counter row name": {crdt.RowKey{Kind: crdt.KindCounter, Name: "x"}, crdt.Row{Kind: crdt.KindCounter, Context: good.Context}},
		"register name":    {crdt.RowKey{Kind: crdt.KindRegister, Name: "x"}, good},
		"empty context":    {reg, crdt.Row{Kind: crdt.KindRegister}},
		"unsorted context": {reg, unsorted},
		"entry outside":    {reg, outside},
		"zero counter":     {reg, crdt.Row{Kind: crdt.KindRegister, Context: crdt.Context{{Origin: peerA}}}},
	} {
		c1 := s.NewCommit()
		if _, err := c1.Merge("k", c.rk, c.delta); !errors.Is(err, ErrInvalidRow) {
			t.Errorf("%s: Merge = %v, want ErrInvalidRow", name, err)
		}
		if c1.Len() != 0 {
			t.Errorf("%s: Len = %d", name, c1.Len())
		}
		if err := c1.Apply(); err != nil {
			t.Fatal(err)
		}
	}
	if obj, _ := s.Object("k"); len(obj) != 0 {
		t.Fatalf("rejected rows stored: %v", obj)
	}
	if vv := s.VersionVector(); len(vv.Origins()) != 0 {
		t.Fatalf("rejected rows changed the VV: %s", vv)
	}
	checkIndex(t, s)
}

func TestMergeRemoteTwice(t *testing.T) {
	s, _ := openMem(t)
	defer mustClose(t, s)
	delta := foreignWrite(peerA, 7, "v")
	for i, wantLen := range []int{1, 0} {
		c := s.NewCommit()
		row, err := c.Merge("k", reg, delta)
		if err != nil || !rowsEqual(row, delta) {
			t.Fatalf("merge %d: %v, %v", i, row, err)
		}
		if _, err := c.Merge("k", reg, delta); err != nil || c.Len() != wantLen {
			t.Fatalf("merge %d: Len = %d, want %d (%v)", i, c.Len(), wantLen, err)
		}
		if err := c.Apply(); err != nil {
			t.Fatal(err)
		}
	}
	vv := s.VersionVector()
	if !vv.Contains(crdt.Dot{Origin: peerA, Counter: 7}) || vv.Contains(crdt.Dot{Origin: peerA, Counter: 6}) {
		t.Fatalf("VV %s claims more or less than the row's latest dot", vv)
	}
	checkIndex(t, s)
}

// TestConcurrentRemoteWrites: two origins write one register concurrently;
// the row keeps both siblings and is indexed under both origins; a later
// write that has seen both supersedes them and moves both entries.
func TestConcurrentRemoteWrites(t *testing.T) {
	s, _ := openMem(t)
	defer mustClose(t, s)
	c := s.NewCommit()
	a := foreignWrite(peerA, 1, "a")
	b := foreignWrite(peerB, 1, "b")
	for _, d := range []crdt.Row{a, b} {
		if _, err := c.Merge("k", reg, d); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Apply(); err != nil {
		t.Fatal(err)
	}
	row, _ := s.Row("k", reg)
	if len(row.Entries) != 2 || len(row.LatestDots()) != 2 {
		t.Fatalf("row = %v", row)
	}
	checkIndex(t, s)
	row = localWrite(t, s, "k", reg, "mine")
	if len(row.Entries) != 1 || len(row.LatestDots()) != 3 {
		t.Fatalf("row after local write = %v", row)
	}
	checkIndex(t, s)
}

// TestOwnCounterWrap (hardening item 6): a row carrying this node's own
// origin at counter 2^64-1 once moved the counter there, so every later
// local write failed, across restarts. A delta holding an own dot above
// the counter is refused (ErrOwnDotAhead) and changes nothing; a claim of
// own dots is left out; the counter never moves for a peer.
func TestOwnCounterWrap(t *testing.T) {
	s, fs := openMem(t)
	self := s.ReplicaID()
	for _, counter := range []uint64{1, 5, math.MaxUint64} {
		c := s.NewCommit()
		if _, err := c.Merge("k", reg, foreignWrite(self, counter, "v")); !errors.Is(err, ErrOwnDotAhead) {
			t.Fatalf("Merge of own dot %d above counter 0: %v, want ErrOwnDotAhead", counter, err)
		}
		claim := &crdt.VersionVector{}
		claim.AddRange(self, 1, counter)
		c.JoinVersionVector(claim, 0)
		if err := c.Apply(); err != nil {
			t.Fatal(err)
		}
	}
	if s.LastCounter() != 0 || s.VersionVector().Max(self) != 0 {
		t.Fatalf("counter %d, vector %s: moved by a peer", s.LastCounter(), s.VersionVector())
	}
	localWrite(t, s, "k", reg, "mine")
	mustClose(t, s)
	s = reopen(t, fs)
	defer mustClose(t, s)
	if row := localWrite(t, s, "k2", reg, "after restart"); row.Entries[0].Dot.Counter != 2 {
		t.Fatalf("write after restart got dot %v, want counter 2", row.Entries[0].Dot)
	}
	// At the counter, an own dot that came back from a peer is accepted.
	c := s.NewCommit()
	if _, err := c.Merge("k3", reg, foreignWrite(self, 2, "echo")); err != nil {
		t.Fatalf("own dot at the counter: %v", err)
	}
	c.Discard()
}
