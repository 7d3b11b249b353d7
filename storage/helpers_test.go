package storage

import (
	"log/slog"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/shoal-db/shoal/crdt"
)

// testDir is the store's directory inside each test's MemFS.
const testDir = "db"

func testOptions(fs vfs.FS) *Options {
	return &Options{FS: fs, Logger: slog.New(slog.DiscardHandler), CacheSize: 1 << 20}
}

// tb is what the helpers need from *testing.T and *rapid.T.
type tb interface {
	Helper()
	Fatalf(format string, args ...any)
}

// testReplica is the replica id of the stores openMem makes, so that
// tests (and rapid's replays) are deterministic. Simulated peers use ids
// on both sides of it, and the extreme ones.
const testReplica crdt.ReplicaID = 0x4000_0000_0000_0000

// openMem opens a store with replica id testReplica on a fresh in-memory
// file system. The id is planted before the first Open, which then keeps it.
func openMem(t tb) (*Store, vfs.FS) {
	t.Helper()
	return openMemID(t, testReplica)
}

// openMemID is openMem with replica id id.
func openMemID(t tb, id crdt.ReplicaID) (*Store, vfs.FS) {
	t.Helper()
	fs := vfs.NewMem()
	db := rawDB(t, fs)
	if err := db.Set(replicaKey, encodeUint64(uint64(id)), pebble.Sync); err != nil {
		t.Fatalf("plant replica id: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	return reopen(t, fs), fs
}

// reopen opens the store kept in fs.
func reopen(t tb, fs vfs.FS) *Store {
	t.Helper()
	s, err := Open(testDir, testOptions(fs))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func mustClose(t tb, s *Store) {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// localWrite commits one local mutation of (key, rk) with a fresh own dot
// and returns the new row. Counters increment, other kinds write value.
func localWrite(t tb, s *Store, key string, rk crdt.RowKey, value string) crdt.Row {
	t.Helper()
	c := s.NewCommit()
	row := localMerge(t, c, key, rk, value)
	if err := c.Apply(); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	return row
}

// localMerge merges one local mutation into c. value "" removes the row
// (except for counters, which have no remove).
func localMerge(t tb, c *Commit, key string, rk crdt.RowKey, value string) crdt.Row {
	t.Helper()
	cur, err := c.Row(key, rk)
	if err != nil {
		t.Fatalf("Row: %v", err)
	}
	delta := mutate(cur, rk, c.NextDot(), value)
	row, err := c.Merge(key, rk, delta)
	if err != nil {
		t.Fatalf("Merge(%q, %v): %v", key, rk, err)
	}
	return row
}

// mutate returns the delta of one mutation of cur with dot d.
func mutate(cur crdt.Row, rk crdt.RowKey, d crdt.Dot, value string) crdt.Row {
	ts := crdt.Timestamp{Wall: int64(d.Counter)}
	switch {
	case rk.Kind == crdt.KindCounter:
		return cur.Increment(d, ts, int64(len(value))-1)
	case value == "":
		return cur.Remove(rk.Kind, d)
	case rk.Kind == crdt.KindSet:
		return cur.Write(rk.Kind, d, ts, nil)
	}
	return cur.Write(rk.Kind, d, ts, []byte(value))
}

// objectsEqual compares two objects row by row.
func objectsEqual(a, b crdt.Object) bool {
	if len(a) != len(b) {
		return false
	}
	for k, r := range a {
		if o, ok := b[k]; !ok || !rowsEqual(r, o) {
			return false
		}
	}
	return true
}

// rawDB opens Pebble directly on a closed store's file system, to plant
// records the store would never write.
func rawDB(t tb, fs vfs.FS) *pebble.DB {
	t.Helper()
	db, err := pebble.Open(testDir, &pebble.Options{FS: fs, Logger: pebbleLogger{slog.New(slog.DiscardHandler)}})
	if err != nil {
		t.Fatalf("pebble.Open: %v", err)
	}
	return db
}

// checkIndex verifies the dot index against the rows: every latest dot of
// every row has exactly one entry, pointing at that row, and no other
// entry exists. It also checks that the version vector covers every
// latest dot.
func checkIndex(t tb, s *Store) {
	t.Helper()
	if err := s.CheckConsistency(); err != nil {
		t.Fatalf("%v", err)
	}
}
