package storage

import (
	"fmt"
	"slices"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/shoal-db/shoal/crdt"
	"pgregory.net/rapid"
)

// Attack property: random shared history (local and a peer's writes),
// a window of local writes (possibly across an offline restart), Rekey,
// a re-issue possibly cut by a crash: the store stays consistent (dot
// index, live counts), every key shows the same values, and the store no
// longer holds a dot of the old window.

const attackPeer crdt.ReplicaID = 0x7000_0000_0000_0001

var attackKeys = []struct {
	key string
	rks []crdt.RowKey
}{
	{"r", []crdt.RowKey{{Kind: crdt.KindRegister}}},
	{"s", []crdt.RowKey{{Kind: crdt.KindSet, Name: "a"}, {Kind: crdt.KindSet, Name: "b"}}},
	{"m", []crdt.RowKey{{Kind: crdt.KindMap, Name: "f"}, {Kind: crdt.KindMap, Name: "g"}}},
	{"c", nil}, // counter: the own share, and the peer's
}

func openKeyedTB(t tb, fs vfs.FS) *Store {
	t.Helper()
	o := testOptions(fs)
	o.IdentityKey = ckey
	s, err := Open(testDir, o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

type attackRun struct {
	t       *rapid.T
	s       *Store
	fs      vfs.FS
	peerCtr uint64
	wall    int64
}

func (a *attackRun) localOp(label string) {
	k := attackKeys[rapid.IntRange(0, len(attackKeys)-1).Draw(a.t, label+"key")]
	c := a.s.NewCommit()
	a.wall++
	ts := crdt.Timestamp{Wall: a.wall}
	if k.rks == nil {
		rk := crdt.CounterRow(a.s.ReplicaID())
		cur, _ := c.Row(k.key, rk)
		if _, err := c.Merge(k.key, rk, cur.Increment(c.NextDot(), ts, rapid.Int64Range(-3, 5).Draw(a.t, label+"n"))); err != nil {
			a.t.Fatalf("merge: %v", err)
		}
	} else {
		rk := k.rks[rapid.IntRange(0, len(k.rks)-1).Draw(a.t, label+"rk")]
		cur, _ := c.Row(k.key, rk)
		var delta crdt.Row
		if rapid.IntRange(0, 2).Draw(a.t, label+"op") == 0 {
			if !cur.Live() {
				c.Discard()
				return
			}
			delta = cur.Remove(rk.Kind, c.NextDot())
		} else {
			var v []byte
			if rk.Kind != crdt.KindSet {
				v = []byte(fmt.Sprint(a.wall))
			}
			delta = cur.Write(rk.Kind, c.NextDot(), ts, v)
		}
		if _, err := c.Merge(k.key, rk, delta); err != nil {
			a.t.Fatalf("merge: %v", err)
		}
	}
	if err := c.Apply(); err != nil {
		a.t.Fatalf("apply: %v", err)
	}
}

// peerOp merges a write of the peer, which has or has not seen our row.
func (a *attackRun) peerOp(label string) {
	k := attackKeys[rapid.IntRange(0, len(attackKeys)-1).Draw(a.t, label+"key")]
	c := a.s.NewCommit()
	a.wall++
	a.peerCtr++
	d := crdt.Dot{Origin: attackPeer, Counter: a.peerCtr}
	ts := crdt.Timestamp{Wall: a.wall}
	if k.rks == nil {
		rk := crdt.CounterRow(attackPeer)
		cur, _ := c.Row(k.key, rk)
		if _, err := c.Merge(k.key, rk, cur.Increment(d, ts, 2)); err != nil {
			a.t.Fatalf("merge: %v", err)
		}
	} else {
		rk := k.rks[rapid.IntRange(0, len(k.rks)-1).Draw(a.t, label+"rk")]
		cur, _ := c.Row(k.key, rk)
		if rapid.Bool().Draw(a.t, label+"concurrent") {
			cur = crdt.Row{}
		}
		var v []byte
		if rk.Kind != crdt.KindSet {
			v = []byte(fmt.Sprint("p", a.wall))
		}
		if _, err := c.Merge(k.key, rk, cur.Write(rk.Kind, d, ts, v)); err != nil {
			a.t.Fatalf("merge: %v", err)
		}
	}
	if err := c.Apply(); err != nil {
		a.t.Fatalf("apply: %v", err)
	}
}

// shown renders what every key shows.
func shown(t tb, s *Store) string {
	out := ""
	for _, k := range attackKeys {
		o, err := s.Object(k.key)
		if err != nil {
			t.Fatalf("object: %v", err)
		}
		switch {
		case k.rks == nil:
			out += fmt.Sprintf("%s=%d;", k.key, o.Counter())
		default:
			var vals []string
			for rk, r := range o {
				for _, e := range r.Entries {
					vals = append(vals, fmt.Sprintf("%s:%s@%d", rk.Name, e.Value, e.Time.Wall))
				}
			}
			slices.Sort(vals)
			out += fmt.Sprintf("%s=%v;", k.key, vals)
		}
	}
	return out
}

func TestAttackReissueProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		fs := vfs.NewMem()
		a := &attackRun{t: t, fs: fs}
		a.s = openKeyedTB(t, fs)
		for i := range rapid.IntRange(0, 8).Draw(t, "shared") {
			if rapid.Bool().Draw(t, fmt.Sprint("sharedPeer", i)) {
				a.peerOp(fmt.Sprint("sp", i))
			} else {
				a.localOp(fmt.Sprint("sl", i))
			}
		}
		a.s.PeerSeen()
		mustClose(t, a.s)
		a.s = openKeyedTB(t, fs)
		old := a.s.ReplicaID()
		for i := range rapid.IntRange(1, 10).Draw(t, "window") {
			a.localOp(fmt.Sprint("w", i))
			if rapid.IntRange(0, 5).Draw(t, fmt.Sprint("restart", i)) == 0 {
				mustClose(t, a.s)
				a.s = openKeyedTB(t, fs)
			}
		}
		since := a.s.WindowStart() // this run's: earlier runs are not re-issued
		before := shown(t, a.s)
		if _, err := a.s.Rekey(ckey); err != nil {
			t.Fatalf("rekey: %v", err)
		}
		if rapid.Bool().Draw(t, "crash") {
			rows, err := a.s.windowRows(a.s.applied.reissue, 1)
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) > 0 {
				if err := a.s.reissueBatch(a.s.applied.reissue, rows); err != nil {
					t.Fatalf("batch: %v", err)
				}
			}
			crash := vfs.NewMem()
			if _, err := vfs.Clone(fs, crash, testDir, testDir); err != nil {
				t.Fatal(err)
			}
			mustClose(t, a.s)
			a.s = openKeyedTB(t, crash)
		}
		if _, err := a.s.Reissue(); err != nil {
			t.Fatalf("reissue: %v", err)
		}
		defer mustClose(t, a.s)
		if err := a.s.CheckConsistency(); err != nil {
			t.Fatalf("inconsistent after the re-issue: %v", err)
		}
		if after := shown(t, a.s); after != before {
			t.Fatalf("shown values changed:\nbefore %s\nafter  %s", before, after)
		}
		if m := a.s.VersionVector().Max(old); m > since {
			t.Fatalf("old id still claimed to %d > window %d", m, since)
		}
		for _, k := range attackKeys {
			o, _ := a.s.Object(k.key)
			for rk, r := range o {
				if r.Context.Max(old) > since {
					t.Fatalf("%s %v still holds old dot %d > %d", k.key, rk, r.Context.Max(old), since)
				}
			}
		}
	})
}
