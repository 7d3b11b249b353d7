package node

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
)

func TestBatchAtomic(t *testing.T) {
	ctx := context.Background()
	db, _ := openMem(t, nil)
	must(t, db.Increment(ctx, "counter", 1))

	// The last write hits a key of another type: nothing of the batch applies.
	err := db.NewBatch().Put("a", []byte("1")).SetAdd("s", "x").Put("counter", []byte("no")).Commit(ctx)
	if !errors.Is(err, ErrWrongType) {
		t.Fatalf("batch err = %v, want ErrWrongType", err)
	}
	if _, err := db.Get(ctx, "a"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a written by a failed batch: %v", err)
	}
	if m, _ := db.Members(ctx, "s"); len(m) != 0 {
		t.Fatalf("s written by a failed batch: %v", m)
	}
	before, _ := db.Status()

	// A batch that types a key within itself is checked in order.
	err = db.NewBatch().Put("b", []byte("1")).Increment("b", 1).Commit(ctx)
	if !errors.Is(err, ErrWrongType) {
		t.Fatalf("batch writing two types to one key: err = %v", err)
	}
	after, _ := db.Status()
	if after.LastDot != before.LastDot {
		t.Fatalf("failed batches used dots: %d -> %d (holes in the version vector)", before.LastDot, after.LastDot)
	}

	must(t, db.NewBatch().Put("a", []byte("1")).SetAdd("s", "x", "y").MapSet("m", "f", []byte("v")).Increment("counter", 2).Commit(ctx))
	if it, _ := db.Get(ctx, "a"); string(it.Value) != "1" {
		t.Fatalf("a = %q", it.Value)
	}
	if n, _ := db.Counter(ctx, "counter"); n != 3 {
		t.Fatalf("counter = %d", n)
	}
}

func TestBatchInvalidWrite(t *testing.T) {
	db, _ := openMem(t, nil)
	err := db.NewBatch().Put("ok", nil).Put("", nil).Commit(context.Background())
	if !errors.Is(err, ErrInvalidKey) {
		t.Fatalf("err = %v, want ErrInvalidKey", err)
	}
	if _, err := db.Get(context.Background(), "ok"); !errors.Is(err, ErrNotFound) {
		t.Fatal("a batch with an invalid write applied part of itself")
	}
}

// TestConcurrentWriters runs many writers at once (group commit) and checks
// that every acknowledged write is there and the counters add up.
func TestConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	db, _ := openMem(t, nil)
	const writers, each = 8, 50
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				key := fmt.Sprintf("w%d/%03d", w, i)
				if err := db.Put(ctx, key, []byte(key)); err != nil {
					t.Error(err)
				}
				if err := db.Increment(ctx, "total", 1); err != nil {
					t.Error(err)
				}
				if err := db.SetAdd(ctx, "members", key); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if n, _ := db.Counter(ctx, "total"); n != writers*each {
		t.Fatalf("total = %d, want %d", n, writers*each)
	}
	if m, _ := db.Members(ctx, "members"); len(m) != writers*each {
		t.Fatalf("%d members, want %d", len(m), writers*each)
	}
	n := 0
	for rec, err := range db.Scan(ctx, ScanOptions{Prefix: "w"}) {
		must(t, err)
		if string(rec.Item.Value) != rec.Key {
			t.Fatalf("%s = %q", rec.Key, rec.Item.Value)
		}
		n++
	}
	if n != writers*each {
		t.Fatalf("scan found %d keys, want %d", n, writers*each)
	}
}

func TestCloseWithWritersInFlight(t *testing.T) {
	ctx := context.Background()
	db, _ := openMem(t, nil)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				err := db.Put(ctx, fmt.Sprintf("k%d/%d", w, i), []byte("v"))
				if errors.Is(err, ErrClosed) {
					return
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	for db.Cursor()&(1<<32-1) < 20 {
		// Let the writers commit a little before closing under them.
		select {
		case <-ctx.Done():
		default:
		}
	}
	must(t, db.Close())
	wg.Wait()
}
