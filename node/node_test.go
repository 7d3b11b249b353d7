package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// fakeClock is a deterministic physical clock for the HLC.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(time.Millisecond)
	return c.now
}

// openMem opens a DB on an in-memory file system with a fake clock.
func openMem(t *testing.T, opts *Options) (*DB, vfs.FS) {
	t.Helper()
	o := opts.clone()
	if o.FS == nil {
		o.FS = vfs.NewMem()
	}
	if o.Logger == nil {
		o.Logger = discardLogger()
	}
	if o.Now == nil {
		o.Now = (&fakeClock{now: time.Unix(1_700_000_000, 0)}).Now
	}
	db, err := Open("db", o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, o.FS
}

func TestRegister(t *testing.T) {
	ctx := context.Background()
	db, _ := openMem(t, nil)
	if _, err := db.Get(ctx, "k"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get absent = %v, want ErrNotFound", err)
	}
	must(t, db.Put(ctx, "k", []byte("v1")))
	must(t, db.Put(ctx, "k", []byte("v2")))
	it, err := db.Get(ctx, "k")
	must(t, err)
	if string(it.Value) != "v2" || len(it.Siblings) != 0 || it.Origin != db.ID() {
		t.Fatalf("Get = %+v, want v2 without siblings from %s", it, db.ID())
	}
	must(t, db.Delete(ctx, "k"))
	if _, err := db.Get(ctx, "k"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get deleted = %v, want ErrNotFound", err)
	}
	must(t, db.Delete(ctx, "never-written"))
	must(t, db.Put(ctx, "k", []byte("v3"))) // a deleted key can be written again
	if it, _ := db.Get(ctx, "k"); string(it.Value) != "v3" {
		t.Fatalf("Get after re-put = %q", it.Value)
	}
}

func TestCounter(t *testing.T) {
	ctx := context.Background()
	db, _ := openMem(t, nil)
	if n, err := db.Counter(ctx, "c"); err != nil || n != 0 {
		t.Fatalf("absent counter = %d, %v", n, err)
	}
	for _, d := range []int64{5, -2, 10, -20} {
		must(t, db.Increment(ctx, "c", d))
	}
	if n, _ := db.Counter(ctx, "c"); n != -7 {
		t.Fatalf("counter = %d, want -7", n)
	}
}

func TestSet(t *testing.T) {
	ctx := context.Background()
	db, _ := openMem(t, nil)
	must(t, db.SetAdd(ctx, "s", "b", "a", "c"))
	must(t, db.SetRemove(ctx, "s", "c", "not-a-member"))
	must(t, db.SetAdd(ctx, "s", "a")) // re-adding is harmless
	got, err := db.Members(ctx, "s")
	must(t, err)
	if !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("members = %v, want [a b]", got)
	}
	must(t, db.SetRemove(ctx, "s", "a", "b"))
	if got, _ := db.Members(ctx, "s"); len(got) != 0 {
		t.Fatalf("members after removing all = %v", got)
	}
}

func TestMap(t *testing.T) {
	ctx := context.Background()
	db, _ := openMem(t, nil)
	must(t, db.MapSet(ctx, "m", "f1", []byte("x")))
	must(t, db.MapSet(ctx, "m", "f2", []byte("y")))
	must(t, db.MapSet(ctx, "m", "f1", []byte("z")))
	must(t, db.MapDelete(ctx, "m", "f2"))
	fields, err := db.Map(ctx, "m")
	must(t, err)
	if len(fields) != 1 || string(fields["f1"].Value) != "z" {
		t.Fatalf("map = %+v, want f1=z only", fields)
	}
}

func TestWrongType(t *testing.T) {
	ctx := context.Background()
	db, _ := openMem(t, nil)
	must(t, db.Put(ctx, "r", []byte("v")))
	must(t, db.Increment(ctx, "c", 1))
	checks := []struct {
		name string
		err  error
	}{
		{"Increment on register", db.Increment(ctx, "r", 1)},
		{"SetAdd on register", db.SetAdd(ctx, "r", "m")},
		{"MapSet on register", db.MapSet(ctx, "r", "f", nil)},
		{"Put on counter", db.Put(ctx, "c", nil)},
		{"Delete on counter", db.Delete(ctx, "c")},
		{"Get on counter", second(db.Get(ctx, "c"))},
		{"Members on counter", second(db.Members(ctx, "c"))},
		{"Map on register", second(db.Map(ctx, "r"))},
		{"Counter on register", second(db.Counter(ctx, "r"))},
	}
	for _, c := range checks {
		if !errors.Is(c.err, ErrWrongType) {
			t.Errorf("%s: err = %v, want ErrWrongType", c.name, c.err)
		}
	}
	// Once a register is deleted, the key is free for another type.
	must(t, db.Delete(ctx, "r"))
	must(t, db.Increment(ctx, "r", 3))
	if n, _ := db.Counter(ctx, "r"); n != 3 {
		t.Fatalf("counter on a deleted register's key = %d, want 3", n)
	}
}

func TestBadInput(t *testing.T) {
	ctx := context.Background()
	db, _ := openMem(t, &Options{MaxValueSize: 10})
	long := strings.Repeat("k", MaxKeySize+1)
	checks := []struct {
		name string
		err  error
		want error
	}{
		{"empty key", db.Put(ctx, "", []byte("v")), ErrInvalidKey},
		{"key over 1 KiB", db.Put(ctx, long, []byte("v")), ErrInvalidKey},
		{"key not UTF-8", db.Put(ctx, "\xff\xfe", []byte("v")), ErrInvalidKey},
		{"Get empty key", second(db.Get(ctx, "")), ErrInvalidKey},
		{"value over limit", db.Put(ctx, "k", make([]byte, 11)), ErrValueTooLarge},
		{"map value over limit", db.MapSet(ctx, "m", "f", make([]byte, 11)), ErrValueTooLarge},
		{"empty member", db.SetAdd(ctx, "s", ""), ErrInvalidKey},
		{"empty field", db.MapSet(ctx, "m", "", nil), ErrInvalidKey},
		{"long field", db.MapDelete(ctx, "m", long), ErrInvalidKey},
	}
	for _, c := range checks {
		if !errors.Is(c.err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, c.err, c.want)
		}
	}
	must(t, db.Put(ctx, strings.Repeat("k", MaxKeySize), make([]byte, 10))) // the limits themselves are fine
}

func TestUseAfterClose(t *testing.T) {
	ctx := context.Background()
	db, _ := openMem(t, nil)
	must(t, db.Put(ctx, "k", []byte("v")))
	must(t, db.Close())
	for name, err := range map[string]error{
		"Put":       db.Put(ctx, "k", nil),
		"Get":       second(db.Get(ctx, "k")),
		"Increment": db.Increment(ctx, "c", 1),
		"Members":   second(db.Members(ctx, "s")),
		"Status":    second(db.Status()),
		"Close":     db.Close(),
		"Batch":     db.NewBatch().Put("a", nil).Commit(ctx),
	} {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("%s after Close: err = %v, want ErrClosed", name, err)
		}
	}
	for _, err := range db.Scan(ctx, ScanOptions{}) {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("Scan after Close: err = %v, want ErrClosed", err)
		}
	}
}

func TestReopenKeepsData(t *testing.T) {
	ctx := context.Background()
	fs := vfs.NewMem()
	db, _ := openMem(t, &Options{FS: fs})
	id := db.ID()
	must(t, db.Put(ctx, "k", []byte("v")))
	must(t, db.Increment(ctx, "c", 2))
	must(t, db.Close())
	db2, _ := openMem(t, &Options{FS: fs})
	if db2.ID() != id {
		t.Fatalf("replica id changed across reopen: %s -> %s", id, db2.ID())
	}
	it, err := db2.Get(ctx, "k")
	must(t, err)
	n, _ := db2.Counter(ctx, "c")
	if string(it.Value) != "v" || n != 2 {
		t.Fatalf("after reopen: %q, %d", it.Value, n)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func second[T any](_ T, err error) error { return err }

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func TestStatus(t *testing.T) {
	ctx := context.Background()
	db, _ := openMem(t, nil)
	must(t, db.Put(ctx, "k", []byte("v")))
	st, err := db.Status()
	must(t, err)
	if st.NodeID != db.ID() || st.LastDot != 1 || st.DiskBytes == 0 || len(st.Peers) != 0 || st.WatchCursor != db.Cursor() {
		t.Fatalf("status = %+v", st)
	}
}

// TestPeerDownDoesNotBlockWrites: a node whose only peer cannot be reached
// keeps taking writes, and reports the peer as disconnected.
func TestPeerDownDoesNotBlockWrites(t *testing.T) {
	ctx := context.Background()
	net := newMemNet()
	db, _ := openMem(t, &Options{Transport: net.transport("a"), Peers: []string{"nowhere"}})
	for i := range 100 {
		must(t, db.Put(ctx, fmt.Sprint(i), []byte("v")))
	}
	st, err := db.Status()
	must(t, err)
	if len(st.Peers) != 1 || st.Peers[0].Connected || st.Peers[0].Addr != "nowhere" {
		t.Fatalf("peers = %+v", st.Peers)
	}
}
