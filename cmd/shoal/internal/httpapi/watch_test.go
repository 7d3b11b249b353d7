package httpapi_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/cmd/shoal/internal/httpapi"
	"github.com/shoal-db/shoal/node"
)

// expect reads len(want) events and compares their descriptions.
func (s *stream) expect(want ...string) []sse {
	s.t.Helper()
	var got []sse
	for _, w := range want {
		ev := s.next()
		if d := ev.describe(); d != w {
			s.t.Fatalf("event %d = %q (id %s), want %q", len(got), d, ev.id, w)
		}
		got = append(got, ev)
	}
	return got
}

func TestWatchSnapshotThenLive(t *testing.T) {
	e := newEnv(t, nil, httpapi.Options{})
	must(t, e.db.Put(ctx, "w/a", []byte("1")))
	must(t, e.db.Increment(ctx, "w/c", 5))
	must(t, e.db.SetAdd(ctx, "w/s", "y", "x"))
	must(t, e.db.MapSet(ctx, "w/m", "f", []byte("v")))
	must(t, e.db.Put(ctx, "other", []byte("no")))
	before := e.db.Cursor()

	s := e.watch("prefix=w/", "")
	snap := s.expect(`put w/a register 1`, `put w/c counter 5`, `put w/m map {"f":"dg=="}`, `put w/s set ["x","y"]`, "ready")
	for _, ev := range snap[:4] {
		if ev.id != "0" {
			t.Errorf("snapshot event id %q, want 0 (not a resume point)", ev.id)
		}
	}
	if ready := snap[4]; ready.id != strconv.FormatUint(before, 10) {
		t.Errorf("ready id %s, want the cursor %d taken before the snapshot", ready.id, before)
	}

	// A set or map event carries the key's value when it is sent, so each
	// write is awaited before the next to make the values exact.
	steps := []struct {
		write func() error
		want  string
	}{
		{func() error { return e.db.Put(ctx, "other", []byte("skip")) }, ""},
		{func() error { return e.db.Put(ctx, "w/a", []byte("2")) }, `put w/a register 2`},
		{func() error { return e.db.Increment(ctx, "w/c", -1) }, `put w/c counter 4`},
		{func() error { return e.db.SetRemove(ctx, "w/s", "x") }, `put w/s set ["y"]`},
		{func() error { return e.db.SetRemove(ctx, "w/s", "y") }, `delete w/s set null`},
		{func() error { return e.db.MapDelete(ctx, "w/m", "f") }, `delete w/m map null`},
		{func() error { return e.db.Delete(ctx, "w/a") }, `delete w/a register null`},
	}
	var live []sse
	for _, st := range steps {
		must(t, st.write())
		if st.want != "" {
			live = append(live, s.expect(st.want)...)
		}
	}
	last := before
	for _, ev := range live {
		c, err := strconv.ParseUint(ev.id, 10, 64)
		if err != nil || c <= last {
			t.Errorf("live event id %q after %d: want increasing cursors", ev.id, last)
		}
		last = c
	}
}

// TestWatchResume cuts a stream off, writes while it is away, and resumes
// with Last-Event-ID: exactly the changes after it, no snapshot again.
func TestWatchResume(t *testing.T) {
	e := newEnv(t, nil, httpapi.Options{})
	s := e.watch("prefix=r/", "")
	s.expect("ready")
	must(t, e.db.Put(ctx, "r/1", []byte("a")))
	must(t, e.db.Put(ctx, "r/2", []byte("b")))
	got := s.expect("put r/1 register a", "put r/2 register b")
	s.close()

	must(t, e.db.Put(ctx, "r/3", []byte("c")))
	must(t, e.db.Put(ctx, "x/skip", []byte("-")))
	must(t, e.db.Increment(ctx, "r/c", 2))
	s2 := e.watch("prefix=r/", got[1].id)
	s2.expect("put r/3 register c", "put r/c counter 2")
	must(t, e.db.Put(ctx, "r/4", []byte("d")))
	s2.expect("put r/4 register d")

	// ?since= does the same as the header.
	s3 := e.watch("prefix=r/&since="+got[0].id, "")
	s3.expect("put r/2 register b", "put r/3 register c", "put r/c counter 2", "put r/4 register d")

	// Resuming with 0, the id of snapshot events, starts afresh.
	s4 := e.watch("prefix=r/", "0")
	s4.expect("put r/1 register a", "put r/2 register b", "put r/3 register c", "put r/4 register d", "put r/c counter 2", "ready")
}

func TestWatchResetOnExpiredCursor(t *testing.T) {
	e := newEnv(t, &node.Options{WatchEvents: 2}, httpapi.Options{})
	old := e.db.Cursor()
	for i := range 5 {
		must(t, e.db.Put(ctx, "k"+strconv.Itoa(i), nil))
	}
	for _, id := range []string{strconv.FormatUint(old, 10), "12345"} {
		s := e.watch("", id)
		ev := s.next()
		if ev.kind != "reset" || ev.id != "0" || !strings.Contains(ev.data, `"reason"`) || !strings.Contains(ev.data, "expired") {
			t.Errorf("resume from %s: %+v, want a reset with a reason", id, ev)
		}
		s.ended()
	}
}

func TestWatchHeartbeatAndShutdown(t *testing.T) {
	e := newEnv(t, nil, httpapi.Options{Heartbeat: time.Millisecond})
	s := e.watch("", "")
	s.expect("ready")
	for {
		ev, ok := <-s.events
		if !ok {
			t.Fatal("stream ended before a ping")
		}
		if ev.kind == ":" && ev.data == "ping" {
			break
		}
	}
	e.api.Shutdown()
	s.ended()
}
