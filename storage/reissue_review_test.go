package storage

import (
	"errors"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/shoal-db/shoal/crdt"
)

// Tests from a review that attacked the re-issue of a copied directory's
// window (storage/reissue.go): each failed before its fix.

// mergeObject merges every row of obj into s, as a peer's catch-up would.
func mergeObject(t *testing.T, s *Store, key string, obj crdt.Object) {
	t.Helper()
	c := s.NewCommit()
	for rk, row := range obj {
		if _, err := c.Merge(key, rk, row); err != nil {
			t.Fatalf("merge %q %v: %v", key, rk, err)
		}
	}
	must(t, c.Apply())
}

func mustObject(t *testing.T, s *Store, key string) crdt.Object {
	t.Helper()
	o, err := s.Object(key)
	must(t, err)
	return o
}

func cloneFS(t *testing.T, fs vfs.FS) vfs.FS {
	t.Helper()
	out := vfs.NewMem()
	if _, err := vfs.Clone(fs, out, testDir, testDir); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestAttackWindowStartsBeforeTheCopy: the window of a hand-copied
// directory starts at the *original's* last open if the original had no
// peer session since (m/window, no m/seen, are copied with the files).
// The original's writes between that open and the copy are shared
// history: the original sends them to peers under the old dots. The copy
// re-issues them too, and after it stops claiming the old window it also
// receives the original's versions: a counter increment made once is
// counted twice.
func TestAttackWindowStartsBeforeTheCopy(t *testing.T) {
	fs := vfs.NewMem()
	s := openKeyed(t, fs, ckey, false)
	old := s.ReplicaID()
	ctr := crdt.CounterRow(old)
	localWrite(t, s, "ctr", ctr, "123456") // +5, dot 1
	s.PeerSeen()
	mustClose(t, s)

	// The original starts while offline (window at 1) and counts +3.
	s = openKeyed(t, fs, ckey, false)
	localWrite(t, s, "ctr", ctr, "1234") // +3, dot 2
	mustClose(t, s)
	backup := cloneFS(t, fs) // copied by hand: counter 2, m/window 1

	// The original reconnects (its +3 reaches the peers) and counts +1 and
	// more, so that a peer will show the copy dots above its counter.
	orig := openKeyed(t, fs, ckey, false)
	defer mustClose(t, orig)
	orig.PeerSeen()
	localWrite(t, orig, "ctr", ctr, "11") // +1, dot 3
	localWrite(t, orig, "o1", reg, "v")   // dot 4
	localWrite(t, orig, "o2", reg, "v")   // dot 5

	// The copy starts offline, writes once, then learns it is a copy.
	cp := openKeyed(t, backup, ckey, false)
	defer mustClose(t, cp)
	t.Logf("copy opened at counter %d, window starts at %d", cp.LastCounter(), cp.WindowStart())
	localWrite(t, cp, "c", reg, "v") // dot 3 (reused)
	_, err := cp.Rekey(ckey)
	must(t, err)
	n, err := cp.Reissue()
	must(t, err)
	t.Logf("re-issued %d rows", n)

	// A peer now sends the copy the original's counter share (the copy no
	// longer claims the old dots above its window start).
	mergeObject(t, cp, "ctr", mustObject(t, orig, "ctr"))
	got := mustObject(t, cp, "ctr").Counter()
	if want := int64(5 + 3 + 1); got != want {
		t.Fatalf("counter = %d after the copy met the original's share, want %d: "+
			"the original's +3 from before the copy was re-issued by the copy and counted twice", got, want)
	}
}

// TestAttackPeerSeenLostInCrash: m/seen is written NoSync, and "losing
// the record only keeps the window larger" - but a larger window holds
// writes a peer already has. A crash after a peer session came up (and
// took the node's writes) and before any synced write loses m/seen; the
// next run keeps the old window, and a re-issue then writes again what
// the peer holds: counted twice there.
func TestAttackPeerSeenLostInCrash(t *testing.T) {
	fs := vfs.NewCrashableMem()
	s := openKeyed(t, fs, ckey, false)
	old := s.ReplicaID()
	ctr := crdt.CounterRow(old)
	localWrite(t, s, "ctr", ctr, "123456") // +5, dot 1, synced
	// A peer session comes up and the peer takes the +5 (dot 1).
	s.PeerSeen()
	peer := mustObject(t, s, "ctr")
	crashed := fs.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: 0})
	mustClose(t, s)

	s = openKeyed(t, crashed, ckey, false)
	defer mustClose(t, s)
	if s.WindowStart() != 0 {
		t.Logf("window moved to %d", s.WindowStart())
	}
	localWrite(t, s, "k", reg, "v") // an offline write in this run
	_, err := s.Rekey(ckey)
	must(t, err)
	_, err = s.Reissue()
	must(t, err)
	// The peer gets the re-issued rows; merge its share of the counter.
	mergeObject(t, s, "ctr", peer)
	if got := mustObject(t, s, "ctr").Counter(); got != 5 {
		t.Fatalf("counter = %d, want 5 (window start %d after the crash): the +5 the peer already held was re-issued",
			got, s.WindowStart())
	}
}

// TestAttackRestoredBackupRedoesReissue (found in review): a backup taken
// while a re-issue was under way held the old id's window; restored, it
// re-issued the same window under its own id, so every window write
// existed under two fresh ids (a counter's window counted twice). A
// checkpoint is now refused until the re-issue ends, and a backup taken
// after it holds the re-issued rows only.
func TestAttackRestoredBackupRedoesReissue(t *testing.T) {
	s, fs, _ := windowStore(t)
	defer mustClose(t, s)
	writeWindow(t, s) // ctr: +5 shared, +7 in the window
	_, err := s.Rekey(ckey)
	must(t, err)
	rows, err := s.windowRows(s.applied.reissue, 1)
	must(t, err)
	must(t, s.reissueBatch(s.applied.reissue, rows)) // part of the re-issue
	if err := s.Checkpoint("early"); !errors.Is(err, ErrReissuePending) {
		t.Fatalf("checkpoint during a re-issue: %v, want ErrReissuePending", err)
	}
	_, err = s.Reissue()
	must(t, err)
	must(t, s.Checkpoint("backup"))

	o := testOptions(fs)
	o.IdentityKey, o.FreshReplica = ckey, true // node.Restore
	r, err := Open("backup", o)
	must(t, err)
	defer mustClose(t, r)
	if r.ReissuePending() {
		t.Fatalf("the restored copy (id %s) has a re-issue pending", r.ReplicaID())
	}
	if got := mustObject(t, s, "ctr").Counter(); got != 12 {
		t.Fatalf("original: counter %d, want 12", got)
	}
	mergeObject(t, s, "ctr", mustObject(t, r, "ctr"))
	if got := mustObject(t, s, "ctr").Counter(); got != 12 {
		t.Fatalf("after meeting its restored backup the counter is %d, want 12", got)
	}
}
