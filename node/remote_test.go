package node

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/shoal-db/shoal/crdt"
	"github.com/shoal-db/shoal/sync/protocol"
	"github.com/shoal-db/shoal/sync/wire"
)

// TestRemoteFailurePoisonsSession: once a peer's message fails to apply,
// the messages after it (already in flight) are refused, so that a later
// claim never commits without the rows of the one that failed.
func TestRemoteFailurePoisonsSession(t *testing.T) {
	ctx := context.Background()
	db, _ := openMem(t, nil)
	var failed atomic.Bool
	peer := crdt.ReplicaID(42)
	bad := wire.Row{Key: "k", RowKey: []byte{byte(crdt.KindRegister)}, Row: crdt.Row{Kind: crdt.KindCounter}} // invalid
	claim := &crdt.VersionVector{}
	claim.AddRange(peer, 1, 10)
	r1 := &request{remote: &remoteApply{step: protocol.Step{Rows: []wire.Row{bad}}, source: peer, failed: &failed}, done: make(chan error, 1)}
	r2 := &request{remote: &remoteApply{step: protocol.Step{Claim: claim}, source: peer, failed: &failed}, done: make(chan error, 1)}
	must(t, db.enqueue(ctx, r1))
	must(t, db.enqueue(ctx, r2))
	if err := db.await(ctx, r1); err == nil {
		t.Fatal("an invalid row was applied")
	}
	if err := db.await(ctx, r2); !errors.Is(err, errSessionFailed) {
		t.Fatalf("the claim after a failed message: %v, want errSessionFailed", err)
	}
	if db.store.VersionVector().Contains(crdt.Dot{Origin: peer, Counter: 1}) {
		t.Fatal("a claim committed after the message before it failed")
	}
}

// TestCounterRowFromWrongOrigin: a peer may not write another origin's
// share of a counter.
func TestCounterRowFromWrongOrigin(t *testing.T) {
	db, _ := openMem(t, nil)
	var failed atomic.Bool
	d := crdt.Dot{Origin: 7, Counter: 1}
	row := crdt.Row{}.Increment(d, crdt.Timestamp{Wall: 1}, 5)
	rk := crdt.CounterRow(8) // origin 8's share, written by 7
	r := &request{remote: &remoteApply{step: protocol.Step{Rows: []wire.Row{{Key: "c", RowKey: rk.Append(nil), Row: row}}}, source: 7, failed: &failed}, done: make(chan error, 1)}
	if err := db.submitRequest(context.Background(), r); err == nil {
		t.Fatal("a counter row holding another origin's entry was applied")
	}
}
