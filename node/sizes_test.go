package node

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/shoal-db/shoal/sync/wire"
)

// TestLargeValuesReplicate (hardening item 2): frames are capped at 16
// MiB, and a 17 MiB value (MaxValueSize 20 MiB) never replicated, nor did
// a batch of 20 x 1 MiB puts (a 20 MB Push). Over real QUIC, values just
// under, at and just over the frame size, concurrent siblings that add up
// past it, and a batch of 20 x 1 MiB all reach the other node.
func TestLargeValuesReplicate(t *testing.T) {
	if testing.Short() {
		t.Skip("real network, 60 MB of values")
	}
	ctx := context.Background()
	nodes := quicClusterWith(t, 2, func(o *Options) { o.MaxValueSize = 20 << 20 })
	value := func(n, seed int) []byte { return bytes.Repeat([]byte{byte(seed)}, n) }
	for i, n := range []int{wire.MaxFrameSize - 64, wire.MaxFrameSize, 17 << 20} {
		must(t, nodes[0].db.Put(ctx, fmt.Sprintf("big/%d", i), value(n, i)))
	}
	b := nodes[1].db.NewBatch()
	for i := range 20 {
		b.Put(fmt.Sprintf("batch/%02d", i), value(1<<20, 100+i))
	}
	must(t, b.Commit(ctx))
	waitFor(t, 60*time.Second, func() bool {
		_, err1 := nodes[1].db.Get(ctx, "big/2")
		_, err2 := nodes[0].db.Get(ctx, "batch/19")
		return err1 == nil && err2 == nil
	})
	for i, n := range []int{wire.MaxFrameSize - 64, wire.MaxFrameSize, 17 << 20} {
		it, err := nodes[1].db.Get(ctx, fmt.Sprintf("big/%d", i))
		if err != nil || !bytes.Equal(it.Value, value(n, i)) {
			t.Fatalf("big/%d: %d bytes, %v", i, len(it.Value), err)
		}
	}
}

// TestSiblingsPastFrameSize (hardening item 2): concurrent values of one
// register add up past the frame size in one row; a node that joins later
// still gets that row whole.
func TestSiblingsPastFrameSize(t *testing.T) {
	if testing.Short() {
		t.Skip("real network")
	}
	ctx := context.Background()
	nodes := quicClusterWith(t, 3, func(o *Options) { o.MaxValueSize = 10 << 20 })
	must(t, nodes[2].db.Close())
	must(t, nodes[1].db.Close())
	must(t, nodes[0].db.Put(ctx, "sib", bytes.Repeat([]byte{'a'}, 10<<20)))
	must(t, nodes[0].db.Close())
	nodes[1].open(t)
	must(t, nodes[1].db.Put(ctx, "sib", bytes.Repeat([]byte{'b'}, 10<<20)))
	nodes[0].open(t)
	siblings := func(db *DB) int {
		it, err := db.Get(ctx, "sib")
		if err != nil {
			return 0
		}
		return 1 + len(it.Siblings)
	}
	waitFor(t, 30*time.Second, func() bool { return siblings(nodes[0].db) == 2 && siblings(nodes[1].db) == 2 })
	nodes[2].open(t)
	waitFor(t, 30*time.Second, func() bool { return siblings(nodes[2].db) == 2 })
}

// TestMaxValueSizeLimit: MaxValueSize is at most MaxValueSizeLimit, so
// that a row of a few such values still fits what replication carries;
// a value over MaxValueSize is refused at the write.
func TestMaxValueSizeLimit(t *testing.T) {
	for _, n := range []int{MaxValueSizeLimit - 1, MaxValueSizeLimit} {
		db, _ := openMem(t, &Options{MaxValueSize: n})
		must(t, db.Close())
	}
	if _, err := Open(t.TempDir(), &Options{MaxValueSize: MaxValueSizeLimit + 1, Logger: discardLogger()}); err == nil {
		t.Fatal("MaxValueSize over the limit accepted")
	}
	db, _ := openMem(t, &Options{MaxValueSize: 1 << 10})
	defer db.Close()
	must(t, db.Put(context.Background(), "at", make([]byte, 1<<10)))
	if err := db.Put(context.Background(), "over", make([]byte, 1<<10+1)); !errors.Is(err, ErrValueTooLarge) {
		t.Fatalf("a value over MaxValueSize: %v", err)
	}
}

func waitFor(t *testing.T, limit time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("not done after %s", limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
