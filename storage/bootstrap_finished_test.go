package storage

import (
	"testing"

	"github.com/shoal-db/shoal/crdt"
)

// TestNoBootstrapAfterFinished (found in review): a Start that reaches
// the writer after the bootstrap finished once restarted a bootstrap with
// only the new snapshot's vector, whose Done then claimed a newer write to
// a key before the (stale) position that was never sent. A bootstrap
// snapshot after the bootstrap finished is refused; package node also
// reads the bootstrap state under the lock that picks the bootstrapper.
func TestNoBootstrapAfterFinished(t *testing.T) {
	s, _ := openMem(t)
	defer mustClose(t, s)
	w := func(key string, c uint64, v string) crdt.Row {
		return crdt.Row{}.Write(crdt.KindRegister, crdt.Dot{Origin: peerA, Counter: c}, crdt.Timestamp{Wall: int64(c)}, []byte(v))
	}
	v1 := &crdt.VersionVector{}
	v1.AddRange(peerA, 1, 2)
	c := s.NewCommit()
	if err := c.BootstrapSnapshot(v1); err != nil {
		t.Fatal(err)
	}
	for i, k := range []string{"a", "b"} {
		if err := c.BootstrapRow(k, reg, w(k, uint64(i+1), "first")); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Apply(); err != nil {
		t.Fatal(err)
	}
	c = s.NewCommit()
	if err := c.FinishBootstrap(v1, peerA); err != nil {
		t.Fatal(err)
	}
	if err := c.Apply(); err != nil {
		t.Fatal(err)
	}
	// The source writes "a" again (dot 3); a second stream, asked from the
	// stale position "b", sends Start with 1..3 and no rows, then Done.
	v2 := &crdt.VersionVector{}
	v2.AddRange(peerA, 1, 3)
	c = s.NewCommit()
	err := c.BootstrapSnapshot(v2)
	if err == nil {
		err = c.FinishBootstrap(v2, peerA)
	}
	if err == nil {
		err = c.Apply()
	}
	if err != nil {
		c.Discard()
		return // refused: what it should do
	}
	d := crdt.Dot{Origin: peerA, Counter: 3}
	if row, _ := s.Row("a", reg); s.VersionVector().Contains(d) && row.Context.Max(peerA) < 3 {
		t.Fatalf("a Start after a finished bootstrap restarted it: the store claims %s without its row (%v)", d, row)
	}
}
