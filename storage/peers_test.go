package storage

import (
	"errors"
	"testing"

	"github.com/cockroachdb/pebble/v2"
)

func TestBindPeer(t *testing.T) {
	s, fs := openMem(t)
	if err := s.BindPeer(7, "edge-1"); err != nil {
		t.Fatal(err)
	}
	if err := s.BindPeer(7, "edge-1"); err != nil {
		t.Fatalf("same name again: %v", err)
	}
	if err := s.BindPeer(7, "intruder"); !errors.Is(err, ErrIdentity) {
		t.Fatalf("other name: %v, want ErrIdentity", err)
	}
	mustClose(t, s)
	s = reopen(t, fs)
	defer mustClose(t, s)
	if err := s.BindPeer(7, "intruder"); !errors.Is(err, ErrIdentity) {
		t.Fatalf("binding lost on reopen: %v", err)
	}
}

// TestOldAcksDropped (issue 8): an older version stored every peer's
// whole acknowledged vector (12 N^2 bytes on a hub of N phones); nothing
// reads them, and Open deletes them, keeping the peers' names.
func TestOldAcksDropped(t *testing.T) {
	s, fs := openMem(t)
	if err := s.BindPeer(9, "phone"); err != nil {
		t.Fatal(err)
	}
	mustClose(t, s)
	db := rawDB(t, fs)
	// A directory of the older version: an ack, and no mark that they
	// were dropped.
	if err := db.Set(peerKey(9, "ack"), []byte("old"), pebble.Sync); err != nil {
		t.Fatal(err)
	}
	if err := db.Delete(acksDroppedKey, pebble.Sync); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	s = reopen(t, fs)
	defer mustClose(t, s)
	if v, err := getBytes(s.db, peerKey(9, "ack")); err != nil || v != nil {
		t.Fatalf("old ack kept: %q, %v", v, err)
	}
	if err := s.BindPeer(9, "phone"); err != nil {
		t.Fatalf("the peer's name was lost: %v", err)
	}
}
