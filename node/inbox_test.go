package node

import (
	"context"
	"testing"
	"time"

	"github.com/shoal-db/shoal/crdt"
	"github.com/shoal-db/shoal/sync/protocol"
)

// TestRecvBudget (hardening item 11): decoded messages from peers not yet
// applied are bounded node-wide: a message takes room for its decoded
// size; past the budget the next waits until room is given back; one
// larger than the budget takes all of it; giving back twice is harmless.
func TestRecvBudget(t *testing.T) {
	ctx := context.Background()
	b := newRecvBudget(3000)
	r1, err := b.take(ctx, 600) // 1800 decoded
	must(t, err)
	r2, err := b.take(ctx, 400) // 1200: the budget is full
	must(t, err)
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := b.take(short, 1); err == nil {
		t.Fatal("a full budget gave room")
	}
	r1()
	r1() // once only
	r3, err := b.take(ctx, 600)
	must(t, err)
	r2()
	r3()
	all, err := b.take(ctx, 1<<30) // larger than the budget: all of it
	must(t, err)
	all()
	if !b.sem.TryAcquire(3000) {
		t.Fatal("room was not all given back")
	}
}

// TestAckSavedAtMostEvery (hardening item 11): every Ack (each
// SyncAckInterval) rewrote the peer's whole vector to disk; it is saved
// at most every ackSaveInterval.
func TestAckSavedAtMostEvery(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	db, _ := openMem(t, &Options{Now: clock.Now})
	defer db.Close()
	s := &session{db: db, in: protocol.NewInbound(db.store.ReplicaID(), false)}
	saved := func() uint64 {
		vv, err := db.store.PeerAck(0)
		must(t, err)
		return vv.Max(7)
	}
	for i := uint64(1); i <= 10; i++ {
		vv := &crdt.VersionVector{}
		vv.AddRange(7, 1, i)
		must(t, s.saveAck(vv))
	}
	if got := saved(); got != 1 {
		t.Fatalf("saved ack covers %d, want only the first (1)", got)
	}
	clock.mu.Lock()
	clock.now = clock.now.Add(ackSaveInterval)
	clock.mu.Unlock()
	vv := &crdt.VersionVector{}
	vv.AddRange(7, 1, 11)
	must(t, s.saveAck(vv))
	if got := saved(); got != 11 {
		t.Fatalf("saved ack covers %d after the interval, want 11", got)
	}
}
