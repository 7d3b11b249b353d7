package node

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// collect starts a watch, runs write, and returns the first n events,
// failing after a timeout.
func collect(t *testing.T, db *DB, opts WatchOptions, n int, write func()) []Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got := make(chan []Event, 1)
	go func() {
		var out []Event
		defer func() { got <- out }()
		for e, err := range db.Watch(ctx, opts) {
			if err != nil {
				t.Error(err)
				return
			}
			if out = append(out, e); len(out) == n {
				return
			}
		}
	}()
	if write != nil {
		write()
	}
	return <-got
}

func TestWatchOrderAndPrefix(t *testing.T) {
	ctx := context.Background()
	db, _ := openMem(t, nil)
	since := db.Cursor()
	must(t, db.Put(ctx, "w/a", []byte("1")))
	must(t, db.Put(ctx, "other", []byte("x")))
	must(t, db.Increment(ctx, "w/c", 5))
	must(t, db.SetAdd(ctx, "w/s", "m"))
	must(t, db.MapSet(ctx, "w/m", "f", []byte("v")))
	must(t, db.Delete(ctx, "w/a"))
	must(t, db.SetRemove(ctx, "w/s", "m"))

	events := collect(t, db, WatchOptions{Prefix: "w/", Since: since}, 6, nil)
	want := []string{"w/a put 1", "w/c counter 5", "w/s add m", "w/m set f=v", "w/a delete", "w/s remove m"}
	for i, e := range events {
		if got := describe(e); got != want[i] {
			t.Errorf("event %d = %q, want %q", i, got, want[i])
		}
		if i > 0 && e.Cursor <= events[i-1].Cursor {
			t.Errorf("cursors not increasing: %d after %d", e.Cursor, events[i-1].Cursor)
		}
	}

	// Resuming after the third event gives exactly the rest.
	rest := collect(t, db, WatchOptions{Prefix: "w/", Since: events[2].Cursor}, 3, nil)
	for i, e := range rest {
		if e.Cursor != events[3+i].Cursor {
			t.Errorf("resumed event %d has cursor %d, want %d", i, e.Cursor, events[3+i].Cursor)
		}
	}
}

func describe(e Event) string {
	switch {
	case e.Type == TypeCounter:
		return fmt.Sprintf("%s counter %d", e.Key, e.Counter)
	case e.Type == TypeSet && e.Deleted:
		return fmt.Sprintf("%s remove %s", e.Key, e.Field)
	case e.Type == TypeSet:
		return fmt.Sprintf("%s add %s", e.Key, e.Field)
	case e.Type == TypeMap:
		return fmt.Sprintf("%s set %s=%s", e.Key, e.Field, e.Value)
	case e.Deleted:
		return e.Key + " delete"
	}
	return fmt.Sprintf("%s put %s", e.Key, e.Value)
}

func TestWatchLive(t *testing.T) {
	ctx := context.Background()
	db, _ := openMem(t, nil)
	events := collect(t, db, WatchOptions{Prefix: "live/", Since: db.Cursor()}, 3, func() {
		for i := range 3 {
			must(t, db.Put(ctx, "skip", nil))
			must(t, db.Put(ctx, fmt.Sprintf("live/%d", i), []byte("v")))
		}
	})
	if len(events) != 3 || events[2].Key != "live/2" {
		t.Fatalf("events = %+v", events)
	}
}

// TestWatchSlowWatcher shows that a watcher that does not read never
// blocks writers, and learns it fell behind with ErrCursorExpired.
func TestWatchSlowWatcher(t *testing.T) {
	ctx := context.Background()
	db, _ := openMem(t, &Options{WatchEvents: 10})
	since := db.Cursor()
	for i := range 50 { // a watcher holding `since` and not reading
		must(t, db.Put(ctx, fmt.Sprintf("k%d", i), nil))
	}
	for _, err := range db.Watch(ctx, WatchOptions{Since: since}) {
		if !errors.Is(err, ErrCursorExpired) {
			t.Fatalf("err = %v, want ErrCursorExpired", err)
		}
		break
	}
	// The last 10 are still there to resume from.
	events := collect(t, db, WatchOptions{Since: since + 40}, 10, nil)
	if len(events) != 10 || events[9].Key != "k49" {
		t.Fatalf("kept events = %+v", events)
	}
}

func TestWatchCursorFromAnotherRun(t *testing.T) {
	db, _ := openMem(t, nil)
	for _, err := range db.Watch(context.Background(), WatchOptions{Since: 12345}) {
		if !errors.Is(err, ErrCursorExpired) {
			t.Fatalf("err = %v, want ErrCursorExpired", err)
		}
		break
	}
}

func TestWatchEndsOnClose(t *testing.T) {
	db, _ := openMem(t, nil)
	done := make(chan error, 1)
	go func() {
		for _, err := range db.Watch(context.Background(), WatchOptions{}) {
			done <- err
			return
		}
		done <- nil
	}()
	time.Sleep(10 * time.Millisecond) // let the watcher block; the result does not depend on it
	must(t, db.Close())
	if err := <-done; !errors.Is(err, ErrClosed) {
		t.Fatalf("watch after Close: %v, want ErrClosed", err)
	}
}

// TestWatchValueIsACopy: a caller reusing its buffer after Put must not
// change what watchers (or the store) see.
func TestWatchValueIsACopy(t *testing.T) {
	ctx := context.Background()
	db, _ := openMem(t, nil)
	since := db.Cursor()
	buf := []byte("original")
	must(t, db.Put(ctx, "k", buf))
	copy(buf, "CHANGED!")
	events := collect(t, db, WatchOptions{Since: since}, 1, nil)
	if string(events[0].Value) != "original" {
		t.Fatalf("event value = %q", events[0].Value)
	}
}

// TestWatchCursorAcrossQuickRestart: a cursor from the previous run is
// expired even when the node restarts within the same second (same clock).
func TestWatchCursorAcrossQuickRestart(t *testing.T) {
	ctx := context.Background()
	fs := vfs.NewMem()
	db, _ := openMem(t, &Options{FS: fs})
	must(t, db.Put(ctx, "a", nil))
	old := db.Cursor()
	must(t, db.Close())
	db2, _ := openMem(t, &Options{FS: fs})
	must(t, db2.Put(ctx, "b", nil))
	must(t, db2.Put(ctx, "c", nil))
	if db2.Cursor() <= old {
		t.Fatalf("cursor went backwards across a restart: %d after %d", db2.Cursor(), old)
	}
	for _, err := range db2.Watch(ctx, WatchOptions{Since: old}) {
		if !errors.Is(err, ErrCursorExpired) {
			t.Fatalf("old run's cursor: %v, want ErrCursorExpired", err)
		}
		break
	}
}
