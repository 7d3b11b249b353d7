package storage

import (
	"errors"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/shoal-db/shoal/crdt"
)

func openKeyed(t *testing.T, fs vfs.FS, key []byte, fresh bool) *Store {
	t.Helper()
	o := testOptions(fs)
	o.IdentityKey, o.FreshReplica = key, fresh
	s, err := Open(testDir, o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestReplicaIDBoundToKey (hardening items 3 and 7): with an identity key
// the replica id is derived from it and a stored nonce, and stays across
// restarts; another key, a restore (FreshReplica) or Rekey give a fresh id
// whose counter starts at 0, and the old id's rows stay as another
// origin's.
func TestReplicaIDBoundToKey(t *testing.T) {
	fs := vfs.NewMem()
	key := []byte("key A")
	s := openKeyed(t, fs, key, false)
	first := s.ReplicaID()
	if first != crdt.ReplicaIDFor(key, s.Nonce()) || len(s.Nonce()) != nonceSize {
		t.Fatalf("id %s not derived from the key and nonce %x", first, s.Nonce())
	}
	localWrite(t, s, "k", reg, "v")
	mustClose(t, s)

	s = openKeyed(t, fs, key, false)
	if s.ReplicaID() != first || s.LastCounter() != 1 {
		t.Fatalf("reopened: id %s counter %d, want %s and 1", s.ReplicaID(), s.LastCounter(), first)
	}
	mustClose(t, s)

	for name, open := range map[string]func() *Store{
		"another key": func() *Store { return openKeyed(t, fs, []byte("key B"), false) },
		"restored":    func() *Store { return openKeyed(t, fs, key, true) },
	} {
		s = open()
		if s.ReplicaID() == first || s.LastCounter() != 0 {
			t.Fatalf("%s: id %s counter %d", name, s.ReplicaID(), s.LastCounter())
		}
		if row, _ := s.Row("k", reg); !row.Live() || !s.VersionVector().Contains(crdt.Dot{Origin: first, Counter: 1}) {
			t.Fatalf("%s: the old id's row or dot is gone", name)
		}
		if row := localWrite(t, s, "k2", reg, "v"); row.Entries[0].Dot != (crdt.Dot{Origin: s.ReplicaID(), Counter: 1}) {
			t.Fatalf("%s: first write got %v", name, row.Entries[0].Dot)
		}
		checkIndex(t, s)
		mustClose(t, s)
	}

	s = openKeyed(t, fs, key, false)
	defer mustClose(t, s)
	before := s.ReplicaID()
	next, err := s.Rekey(key)
	if err != nil || next == before || s.ReplicaID() != next || s.LastCounter() != 0 || next != crdt.ReplicaIDFor(key, s.Nonce()) {
		t.Fatalf("Rekey: %s, %v (was %s, counter %d)", next, err, before, s.LastCounter())
	}
	if row := localWrite(t, s, "k3", reg, "v"); row.Entries[0].Dot.Origin != next {
		t.Fatalf("write after Rekey under %v", row.Entries[0].Dot)
	}
	if _, err := s.Rekey(nil); !errors.Is(err, ErrNoIdentityKey) {
		t.Fatalf("Rekey without a key: %v", err)
	}
}
