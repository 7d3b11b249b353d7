package storage

import (
	"slices"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/shoal-db/shoal/crdt"
)

var (
	set  = func(m string) crdt.RowKey { return crdt.RowKey{Kind: crdt.KindSet, Name: m} }
	ckey = []byte("identity key")
)

// windowStore opens a keyed store, writes the shared history, reopens it
// (a run's window starts at its Open) and returns it with the window
// start.
func windowStore(t *testing.T) (*Store, vfs.FS, uint64) {
	t.Helper()
	fs := vfs.NewMem()
	s := openKeyed(t, fs, ckey, false)
	localWrite(t, s, "over", reg, "old")
	localWrite(t, s, "del", reg, "x")
	localWrite(t, s, "ctr", crdt.CounterRow(s.ReplicaID()), "123456") // +5
	localWrite(t, s, "set", set("a"), "+")
	mustClose(t, s)
	s = openKeyed(t, fs, ckey, false)
	if s.WindowStart() != 4 {
		t.Fatalf("window starts at %d, want the counter at Open, 4", s.WindowStart())
	}
	return s, fs, 4
}

// writeWindow makes the window's writes: an overwrite, a remove, an
// increment, a new member and a new key.
func writeWindow(t *testing.T, s *Store) {
	t.Helper()
	localWrite(t, s, "over", reg, "new")
	localWrite(t, s, "del", reg, "")
	localWrite(t, s, "ctr", crdt.CounterRow(s.ReplicaID()), "12345678") // +7
	localWrite(t, s, "set", set("b"), "+")
	localWrite(t, s, "fresh", reg, "n")
}

// TestReissueRewritesWindow (hardening item 3): after Rekey, Reissue
// writes every effect of the old id's window again under the new id, sets
// back what each row saw of the old id to its baseline, and stops claiming
// the old id's window; nothing else changes.
func TestReissueRewritesWindow(t *testing.T) {
	s, _, since := windowStore(t)
	defer mustClose(t, s)
	old := s.ReplicaID()
	writeWindow(t, s)
	if n := keysUnder(t, s, baselinePrefix); n != 3 {
		t.Fatalf("%d baselines, want 3 (over, del, ctr: rows with own dots from before the window)", n)
	}
	next, err := s.Rekey(ckey)
	must(t, err)
	if !s.ReissuePending() {
		t.Fatal("Rekey recorded no re-issue")
	}
	n, err := s.Reissue()
	must(t, err)
	if n != 5 || s.ReissuePending() {
		t.Fatalf("re-issued %d rows (pending %v), want 5", n, s.ReissuePending())
	}
	checkIndex(t, s)
	checkReissued(t, s, old, next, since)
}

func checkReissued(t *testing.T, s *Store, old, next crdt.ReplicaID, since uint64) {
	t.Helper()
	over := mustRow(t, s, "over", reg)
	if e, _ := over.Winner(); len(over.Entries) != 1 || e.Dot.Origin != next || string(e.Value) != "new" ||
		over.Context.Max(old) != 1 {
		t.Fatalf("over = %+v: want new under %s, covering the shared dot 1", over, next)
	}
	if del := mustRow(t, s, "del", reg); del.Live() || del.Context.Max(old) != 2 || del.Context.Max(next) == 0 {
		t.Fatalf("del = %+v: want a remove under %s covering the shared dot 2", del, next)
	}
	oldShare, newShare := mustRow(t, s, "ctr", crdt.CounterRow(old)), mustRow(t, s, "ctr", crdt.CounterRow(next))
	if oldShare.CounterTotal() != 5 || oldShare.Context.Max(old) != 3 || newShare.CounterTotal() != 7 {
		t.Fatalf("counter shares %+v / %+v: want 5 under the shared dot 3 and 7 under %s", oldShare, newShare, next)
	}
	for key, rk := range map[string]crdt.RowKey{"set": set("b"), "fresh": reg} {
		if r := mustRow(t, s, key, rk); !r.Live() || r.Entries[0].Dot.Origin != next || r.Context.Max(old) != 0 {
			t.Fatalf("%s = %+v: want it under %s alone", key, r, next)
		}
	}
	if a := mustRow(t, s, "set", set("a")); a.Entries[0].Dot != (crdt.Dot{Origin: old, Counter: 4}) {
		t.Fatalf("the shared member moved: %+v", a)
	}
	want := &crdt.VersionVector{}
	want.AddRange(old, 1, since)
	if got := s.VersionVector().Part(old); !got.Equal(want) {
		t.Fatalf("old id's part %s, want %s", got, want)
	}
	if got := s.Firsthand().Part(old); !got.Equal(want) {
		t.Fatalf("old id's firsthand part %s, want %s", got, want)
	}
	if n := keysUnder(t, s, baselinePrefix); n != 0 {
		t.Fatalf("%d baselines left", n)
	}
}

// TestReissueResumes: a re-issue cut short by a crash resumes at the next
// Open and ends in the same state.
func TestReissueResumes(t *testing.T) {
	s, fs, since := windowStore(t)
	old := s.ReplicaID()
	writeWindow(t, s)
	next, err := s.Rekey(ckey)
	must(t, err)
	rows, err := s.windowRows(s.applied.reissue, 2)
	must(t, err)
	must(t, s.reissueBatch(s.applied.reissue, rows)) // then the crash
	crash := vfs.NewMem()
	if _, err := vfs.Clone(fs, crash, testDir, testDir); err != nil {
		t.Fatal(err)
	}
	mustClose(t, s)
	s = openKeyed(t, crash, ckey, false)
	defer mustClose(t, s)
	if !s.ReissuePending() || s.ReplicaID() != next {
		t.Fatalf("reopened: pending %v, id %s (want %s)", s.ReissuePending(), s.ReplicaID(), next)
	}
	n, err := s.Reissue()
	must(t, err)
	if n != 3 {
		t.Fatalf("resumed re-issue rewrote %d rows, want the 3 left", n)
	}
	checkIndex(t, s)
	checkReissued(t, s, old, next, since)
}

// TestWindowIsThisRun: the window starts at each Open's counter, whatever
// the last run did (a directory copied after the original restarted
// offline holds writes of that run that are the original's, not the
// copy's), and a fresh id's window starts at 0.
func TestWindowIsThisRun(t *testing.T) {
	s, fs, _ := windowStore(t)
	localWrite(t, s, "k", reg, "v") // dot 5
	mustClose(t, s)
	s = openKeyed(t, fs, ckey, false)
	if s.WindowStart() != 5 {
		t.Fatalf("window at %d, want the counter at Open, 5", s.WindowStart())
	}
	mustClose(t, s)
	s = openKeyed(t, fs, ckey, true) // a restore: a fresh id, its window at 0
	defer mustClose(t, s)
	if s.WindowStart() != 0 || s.LastCounter() != 0 {
		t.Fatalf("fresh id: window at %d, counter %d", s.WindowStart(), s.LastCounter())
	}
}

// TestRekeyWhileReissuePending: a second Rekey before the first one's
// re-issue ended is refused (the first window's record would be lost).
func TestRekeyWhileReissuePending(t *testing.T) {
	s, _, _ := windowStore(t)
	defer mustClose(t, s)
	writeWindow(t, s)
	_, err := s.Rekey(ckey)
	must(t, err)
	if _, err := s.Rekey(ckey); err == nil {
		t.Fatal("a second Rekey with a re-issue pending was accepted")
	}
}

func mustRow(t *testing.T, s *Store, key string, rk crdt.RowKey) crdt.Row {
	t.Helper()
	r, err := s.Row(key, rk)
	must(t, err)
	return r
}

func keysUnder(t *testing.T, s *Store, prefix []byte) int {
	t.Helper()
	it, err := s.db.NewIter(nil)
	must(t, err)
	defer it.Close()
	n := 0
	for valid := it.SeekGE(prefix); valid && slices.Equal(it.Key()[:min(len(prefix), len(it.Key()))], prefix); valid = it.Next() {
		n++
	}
	return n
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestNoReissueAfterPeerSession: once a peer session came up in the
// window, the peer may hold the window's writes under the old dots;
// re-issuing would show them twice there, so nothing is re-issued and
// nothing unclaimed.
func TestNoReissueAfterPeerSession(t *testing.T) {
	s, _, _ := windowStore(t)
	defer mustClose(t, s)
	old := s.ReplicaID()
	writeWindow(t, s)
	s.PeerSeen()
	before := s.VersionVector().Part(old)
	_, err := s.Rekey(ckey)
	must(t, err)
	n, err := s.Reissue()
	must(t, err)
	if n != 0 || s.ReissuePending() {
		t.Fatalf("re-issued %d rows after a peer session", n)
	}
	if got := s.VersionVector().Part(old); !got.Equal(before) {
		t.Fatalf("old id's part %s, want %s kept", got, before)
	}
	if r := mustRow(t, s, "over", reg); r.Entries[0].Dot.Origin != old {
		t.Fatalf("over moved: %+v", r)
	}
}
