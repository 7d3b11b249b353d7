package storage

import (
	"errors"
	"testing"

	"github.com/shoal-db/shoal/crdt"
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

func TestPeerAck(t *testing.T) {
	s, fs := openMem(t)
	if vv, err := s.PeerAck(9); err != nil || len(vv.Origins()) != 0 {
		t.Fatalf("unknown peer: %v, %v", vv, err)
	}
	want := &crdt.VersionVector{}
	want.AddRange(1, 1, 10)
	want.Add(crdt.Dot{Origin: 2, Counter: 5})
	if err := s.SavePeerAck(9, want); err != nil {
		t.Fatal(err)
	}
	mustClose(t, s)
	s = reopen(t, fs)
	defer mustClose(t, s)
	got, err := s.PeerAck(9)
	if err != nil || !got.Equal(want) {
		t.Fatalf("PeerAck after reopen = %v, %v; want %v", got, err, want)
	}
}
