package node

import (
	"context"
	"testing"
	"time"
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
