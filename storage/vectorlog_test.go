package storage

import (
	"slices"
	"testing"

	"github.com/shoal-db/shoal/crdt"
)

func changeOf(origins ...crdt.ReplicaID) vectorChange {
	ch := vectorChange{&crdt.VersionVector{}, &crdt.VersionVector{}}
	for _, o := range origins {
		ch.all.Add(crdt.Dot{Origin: o, Counter: 1})
	}
	return ch
}

// TestVectorLog: the origins changed since a change number, until the log
// no longer holds them (then the caller sends the whole vector).
func TestVectorLog(t *testing.T) {
	var l vectorLog
	if got, ok := l.since(0); !ok || got != nil {
		t.Fatalf("empty log: %v %v", got, ok)
	}
	l.record(changeOf(3, 1))
	l.record(changeOf())
	l.record(changeOf(2, 3))
	if l.seq != 2 {
		t.Fatalf("seq %d: an empty change counts", l.seq)
	}
	if got, ok := l.since(0); !ok || !slices.Equal(got, []crdt.ReplicaID{1, 2, 3}) {
		t.Fatalf("since 0: %v %v", got, ok)
	}
	if got, ok := l.since(1); !ok || !slices.Equal(got, []crdt.ReplicaID{2, 3}) {
		t.Fatalf("since 1: %v %v", got, ok)
	}
	if _, ok := l.since(3); ok {
		t.Fatal("a change number from the future was answered")
	}
	for i := range vectorLogSize {
		l.record(changeOf(crdt.ReplicaID(10 + i)))
	}
	if _, ok := l.since(1); ok {
		t.Fatal("changes the log dropped were answered")
	}
	if got, ok := l.since(l.seq - 1); !ok || len(got) != 1 {
		t.Fatalf("the latest change: %v %v", got, ok)
	}
	l.reset()
	if _, ok := l.since(l.seq - 1); ok {
		t.Fatal("a reset log answered")
	}
}
