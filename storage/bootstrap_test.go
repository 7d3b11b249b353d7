package storage

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/shoal-db/shoal/crdt"
)

// everyOtherDot returns n register rows of origin whose latest dots are
// 2, 4, 6, ...: each key written twice, its first dot superseded. Applied
// one by one, each leaves a gap below it: one exception range per row.
func everyOtherDot(origin crdt.ReplicaID, n int) []crdt.Row {
	rows := make([]crdt.Row, n)
	for i := range rows {
		first := crdt.Dot{Origin: origin, Counter: uint64(2*i + 1)}
		row := crdt.Row{}.Write(crdt.KindRegister, first, crdt.Timestamp{Wall: 1}, []byte("old"))
		second := crdt.Dot{Origin: origin, Counter: uint64(2*i + 2)}
		rows[i] = crdt.Join(row, row.Write(crdt.KindRegister, second, crdt.Timestamp{Wall: 2}, []byte("new")))
	}
	return rows
}

// TestVectorStaysSmall (hardening item 1): rows applied one by one with
// their exact dots, in any order, once grew the vector a range per row
// until it no longer decoded. The stored and in-memory vector keep at most
// MaxVectorRanges ranges per origin: at the limit nothing is forgotten,
// past it the highest ranges are, and the directory reopens with the same
// vector.
func TestVectorStaysSmall(t *testing.T) {
	const limit = 8
	for _, n := range []int{limit - 1, limit, limit + 1, 10 * limit} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			s, fs := openMem(t)
			s.maxRanges = limit
			rows := everyOtherDot(peerA, n) // each row leaves a gap below it: a range each
			for _, i := range rand.New(rand.NewPCG(uint64(n), 1)).Perm(len(rows)) {
				c := s.NewCommit()
				if _, err := c.Merge(fmt.Sprintf("k%03d", i), reg, rows[i]); err != nil {
					t.Fatal(err)
				}
				if err := c.Apply(); err != nil {
					t.Fatal(err)
				}
			}
			vv := s.VersionVector()
			if got, want := vv.Ranges(), min(n, limit); got != want {
				t.Fatalf("%d rows: %d ranges, want %d: %s", n, got, want, vv)
			}
			// What is kept is exact: every kept dot's row is held.
			for i, row := range rows {
				if d := row.Context[0]; vv.Contains(d) {
					if got, _ := s.Row(fmt.Sprintf("k%03d", i), reg); !rowsEqual(got, row) {
						t.Fatalf("vector claims %s but row %d is %v", d, i, got)
					}
				}
			}
			checkIndex(t, s)
			mustClose(t, s)
			s = reopen(t, fs)
			defer mustClose(t, s)
			if !s.VersionVector().Equal(vv) {
				t.Fatalf("reopened vector %s, want %s", s.VersionVector(), vv)
			}
		})
	}
}

// TestOpenDirectoryWithHugeVector (hardening items 1 and 5): a vector
// part stored with more elements than a peer may send (2^20) made the
// directory fail to open ("cbor: exceeded max number of elements"). Own
// metadata is decoded without peer limits; the vector is trimmed at open
// and written back trimmed.
func TestOpenDirectoryWithHugeVector(t *testing.T) {
	s, fs := openMem(t)
	mustClose(t, s)
	huge := &crdt.VersionVector{}
	for i := range uint64(600_000) { // 1.2M counters in the range list
		huge.Add(crdt.Dot{Origin: peerA, Counter: 2*i + 2})
	}
	enc, err := crdt.Marshal(huge)
	if err != nil {
		t.Fatal(err)
	}
	if err := crdt.Unmarshal(enc, &crdt.VersionVector{}); err == nil {
		t.Fatal("the peer decoder accepts the huge vector: the test plants nothing unusual")
	}
	db := rawDB(t, fs)
	if err := db.Set(vvKey(peerA), enc, pebble.Sync); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s = reopen(t, fs)
	if got := s.VersionVector().Ranges(); got != DefaultMaxVectorRanges {
		t.Fatalf("%d ranges after open, want %d", got, DefaultMaxVectorRanges)
	}
	mustClose(t, s)
	db = rawDB(t, fs)
	val, closer, err := db.Get(vvKey(peerA))
	if err != nil {
		t.Fatal(err)
	}
	if err := crdt.Unmarshal(val, &crdt.VersionVector{}); err != nil {
		t.Fatalf("stored part still too large for a peer's decoder: %v", err)
	}
	closer.Close()
	db.Close()
}

// TestBootstrapClaimsIntersection: a bootstrap claims nothing of its rows
// until it ends, then the intersection of its snapshots' vectors; its
// position survives a restart; rows out of key order, or before a
// snapshot, are refused.
func TestBootstrapClaimsIntersection(t *testing.T) {
	s, fs := openMem(t)
	rows := everyOtherDot(peerA, 100)
	c := s.NewCommit()
	if err := c.BootstrapRow("k000", reg, rows[0]); !errors.Is(err, ErrInvalidRow) {
		t.Fatalf("row before a snapshot: %v", err)
	}
	first := &crdt.VersionVector{}
	first.AddRange(peerA, 1, 200)
	first.AddRange(peerB, 1, 50)
	if err := c.BootstrapSnapshot(first); err != nil {
		t.Fatal(err)
	}
	for i := range 60 {
		if err := c.BootstrapRow(fmt.Sprintf("k%03d", i), reg, rows[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Apply(); err != nil {
		t.Fatal(err)
	}
	if vv := s.VersionVector(); vv.Max(peerA) != 0 || vv.Ranges() != 0 {
		t.Fatalf("bootstrap rows claimed: %s", vv)
	}
	mustClose(t, s)
	s = reopen(t, fs)
	defer mustClose(t, s)
	b := s.Bootstrap()
	if b == nil || !b.Started || b.Key != "k059" || !b.VV.Equal(first) {
		t.Fatalf("bootstrap state after restart: %+v", b)
	}
	c = s.NewCommit()
	if err := c.BootstrapRow("k010", reg, rows[10]); !errors.Is(err, ErrInvalidRow) {
		t.Fatalf("row before the position: %v", err)
	}
	second := &crdt.VersionVector{} // a snapshot elsewhere: more of A, none of B
	second.AddRange(peerA, 1, 300)
	if err := c.BootstrapSnapshot(second); err != nil {
		t.Fatal(err)
	}
	for i := 60; i < 100; i++ {
		if err := c.BootstrapRow(fmt.Sprintf("k%03d", i), reg, rows[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.FinishBootstrap(second, peerB); err != nil {
		t.Fatal(err)
	}
	if err := c.Apply(); err != nil {
		t.Fatal(err)
	}
	want := first.Intersect(second)
	if vv := s.VersionVector(); !vv.Part(peerA).Equal(want.Part(peerA)) || vv.Max(peerB) != 0 {
		t.Fatalf("vector %s, want the intersection %s", vv, want)
	}
	if b := s.Bootstrap(); b == nil || !b.Finished || b.VV != nil {
		t.Fatalf("bootstrap state after the end: %+v", b)
	}
	checkIndex(t, s)
}

// TestRowsAfter: a bootstrap stream resumes strictly after its position
// and skips rows the receiver holds.
func TestRowsAfter(t *testing.T) {
	s, _ := openMem(t)
	defer mustClose(t, s)
	for i := range 10 {
		localWrite(t, s, fmt.Sprintf("k%d", i), reg, "v")
	}
	have := &crdt.VersionVector{}
	have.Add(crdt.Dot{Origin: s.ReplicaID(), Counter: 8}) // holds k7
	var got []string
	var started *crdt.VersionVector
	vv, err := s.RowsAfter(true, "k3", reg, have, func(v *crdt.VersionVector) error { started = v; return nil },
		func(ch Change) error { got = append(got, ch.Key); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != "[k4 k5 k6 k8 k9]" || !vv.Equal(started) || vv.Max(s.ReplicaID()) != 10 {
		t.Fatalf("rows %v, vector %s (start %s)", got, vv, started)
	}
}

// TestVersionVectorFor (hardening item 4): a claim one peer makes about
// another origin's dots is shown to that origin as not held, so that the
// origin sends its rows anyway; claims of the sender's own dots, and rows'
// dots, are firsthand. A directory from before the direct vector takes its
// vector as firsthand.
func TestVersionVectorFor(t *testing.T) {
	s, fs := openMem(t)
	c := s.NewCommit()
	if _, err := c.Merge("k", reg, foreignWrite(peerA, 3, "v")); err != nil {
		t.Fatal(err)
	}
	forged := &crdt.VersionVector{}
	forged.AddRange(peerA, 1, 1_000_000) // B claims A's dots
	forged.AddRange(peerB, 1, 10)        // and its own
	c.JoinVersionVector(forged, peerB)
	if err := c.Apply(); err != nil {
		t.Fatal(err)
	}
	if all := s.VersionVector(); all.Max(peerA) != 1_000_000 {
		t.Fatalf("claim not joined into all: %s", all)
	}
	toA := s.VersionVectorFor(peerA)
	if toA.Max(peerA) != 3 || toA.Contains(crdt.Dot{Origin: peerA, Counter: 2}) || toA.Base(peerB) != 10 {
		t.Fatalf("vector shown to A: %s", toA)
	}
	if toB := s.VersionVectorFor(peerB); toB.Base(peerB) != 10 || toB.Base(peerA) != 1_000_000 {
		t.Fatalf("vector shown to B: %s", toB)
	}
	mustClose(t, s)
	db := rawDB(t, fs) // as an older version left it: no direct vector
	if err := db.DeleteRange(dvPrefix, prefixEnd(dvPrefix), pebble.Sync); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s = reopen(t, fs)
	defer mustClose(t, s)
	if toA := s.VersionVectorFor(peerA); toA.Base(peerA) != 1_000_000 {
		t.Fatalf("migrated store shows A %s", toA)
	}
}

// TestTwoHugeDones (hardening item 5): two Dones of 400k exception ranges
// each joined into a vector of 800k ranges, and the directory no longer
// opened. Claims are joined and trimmed: the vector stays at
// MaxVectorRanges per origin and the directory reopens.
func TestTwoHugeDones(t *testing.T) {
	s, fs := openMem(t)
	for shift := range uint64(2) {
		claim := &crdt.VersionVector{}
		for i := range uint64(400_000) {
			claim.Add(crdt.Dot{Origin: peerA, Counter: 4*i + 2 + 2*shift})
		}
		c := s.NewCommit()
		c.JoinVersionVector(claim, peerB)
		if err := c.Apply(); err != nil {
			t.Fatal(err)
		}
	}
	if r := s.VersionVector().Ranges(); r != DefaultMaxVectorRanges {
		t.Fatalf("%d ranges after two huge claims", r)
	}
	mustClose(t, s)
	s = reopen(t, fs)
	defer mustClose(t, s)
	if r := s.VersionVector().Ranges(); r != DefaultMaxVectorRanges {
		t.Fatalf("%d ranges after reopening", r)
	}
}
