package node

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shoal-db/shoal/crdt"
	"github.com/shoal-db/shoal/sync/protocol"
	"github.com/shoal-db/shoal/sync/wire"
)

// originBase is the first of the simulated origins a counter's rows come
// from (phones incrementing one key): far from any id Open makes.
const originBase crdt.ReplicaID = 0x7000_0000_0000_0000

// tbf is what loadOrigins needs from *testing.T and *testing.B.
type tbf interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

// loadOrigins gives key a counter row from each of the origins
// originBase+from .. originBase+to-1, origin i's row holding inc(i), as
// a peer's pushes do: through the writer, in requests of up to 4096 rows,
// each a synced commit.
func loadOrigins(t tbf, db *DB, key string, from, to int, inc func(i int) int64) {
	t.Helper()
	var failed atomic.Bool
	for lo := from; lo < to; lo += 4096 {
		var rows []wire.Row
		for i := lo; i < min(lo+4096, to); i++ {
			o := originBase + crdt.ReplicaID(i)
			row := crdt.Row{}.Increment(crdt.Dot{Origin: o, Counter: 1}, crdt.Timestamp{Wall: 1}, inc(i))
			rows = append(rows, wire.Row{Key: key, RowKey: crdt.CounterRow(o).Append(nil), Row: row})
		}
		r := &request{remote: &remoteApply{step: protocol.Step{Rows: rows}, source: originBase, failed: &failed}, done: make(chan error, 1)}
		if err := db.submitRequest(context.Background(), r); err != nil {
			t.Fatalf("load origins %d..%d: %v", lo, min(lo+4096, to), err)
		}
	}
}

// TestCounterManyOrigins: a counter written by many origins (a peer's
// pushes) and locally reads its total, and each change's watch event
// carries the total after its commit, from the totals storage keeps;
// the type checks are those of reading the rows.
func TestCounterManyOrigins(t *testing.T) {
	ctx := context.Background()
	db, fs := openMem(t, nil)
	inc := func(i int) int64 { return int64(i) - 100 }
	var want int64
	for i := range 3000 {
		want += inc(i)
	}
	since := db.Cursor()
	loadOrigins(t, db, "global/visits", 0, 3000, inc)
	events := collect(t, db, WatchOptions{Since: since}, 3000, nil)
	for _, e := range events {
		if e.Key != "global/visits" || e.Type != TypeCounter || e.Deleted {
			t.Fatalf("event %+v", e)
		}
	}
	// The rows came in one request, cut into commits of up to 4096 rows
	// (here one): every event of a commit shows the total after it.
	if got := events[len(events)-1].Counter; got != want {
		t.Fatalf("last event's counter = %d, want %d", got, want)
	}
	if n, err := db.Counter(ctx, "global/visits"); err != nil || n != want {
		t.Fatalf("Counter = %d, %v; want %d", n, err, want)
	}
	since = db.Cursor()
	must(t, db.Increment(ctx, "global/visits", -7))
	if e := collect(t, db, WatchOptions{Since: since}, 1, nil); describe(e[0]) != fmt.Sprintf("global/visits counter %d", want-7) {
		t.Fatalf("increment's event: %s, want counter %d", describe(e[0]), want-7)
	}
	want -= 7

	// Type checks: a set, a map or a register is not a counter; an absent
	// key reads 0.
	must(t, db.SetAdd(ctx, "s", "m"))
	must(t, db.MapSet(ctx, "m", "f", []byte("v")))
	must(t, db.Put(ctx, "r", []byte("v")))
	for _, key := range []string{"s", "m", "r"} {
		if _, err := db.Counter(ctx, key); !errors.Is(err, ErrWrongType) {
			t.Errorf("Counter on %s: %v, want ErrWrongType", key, err)
		}
	}
	if n, err := db.Counter(ctx, "absent"); err != nil || n != 0 {
		t.Errorf("absent counter = %d, %v", n, err)
	}
	if _, err := db.Get(ctx, "global/visits"); !errors.Is(err, ErrWrongType) {
		t.Errorf("Get on the counter: %v, want ErrWrongType", err)
	}

	// Keys created concurrently as a counter and a register show the type
	// of the highest winner, as ever: a register from a lower origin at the
	// counter's time loses, one at a later time wins.
	loadOrigins(t, db, "mk/low", 0, 50, inc)
	loadOrigins(t, db, "mk/high", 0, 50, inc)
	var failed atomic.Bool
	for key, wall := range map[string]int64{"mk/low": 1, "mk/high": 2} {
		row := crdt.Row{}.Write(crdt.KindRegister, crdt.Dot{Origin: 5, Counter: uint64(wall)}, crdt.Timestamp{Wall: wall}, []byte("v"))
		r := &request{remote: &remoteApply{step: protocol.Step{Rows: []wire.Row{{Key: key, RowKey: []byte{byte(crdt.KindRegister)}, Row: row}}}, source: 5, failed: &failed}, done: make(chan error, 1)}
		must(t, db.submitRequest(ctx, r))
	}
	var want50 int64
	for i := range 50 {
		want50 += inc(i)
	}
	if n, err := db.Counter(ctx, "mk/low"); err != nil || n != want50 {
		t.Errorf("counter beside a losing register = %d, %v; want %d", n, err, want50)
	}
	if _, err := db.Counter(ctx, "mk/high"); !errors.Is(err, ErrWrongType) {
		t.Errorf("counter beside a winning register: %v, want ErrWrongType", err)
	}

	must(t, db.Close())
	db2, err := Open("db", &Options{FS: fs, Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	if n, err := db2.Counter(ctx, "global/visits"); err != nil || n != want {
		t.Fatalf("Counter after a reopen = %d, %v; want %d", n, err, want)
	}
}

// BenchmarkCounterOrigins reads, and increments, a counter whose rows come
// from 100 and from 100,000 origins, on disk, its rows flushed to tables.
// Before totals were kept at commit a read summed every origin's row (a
// quarter of a second at 100,000 origins) and so did each increment's
// watch event; now both cost the same at 100 and at 100,000 origins.
//
//	go test -run '^$' -bench CounterOrigins -benchtime 2000x ./node/
func BenchmarkCounterOrigins(b *testing.B) {
	ctx := context.Background()
	for _, n := range []int{100, 100_000} {
		db, err := Open(b.TempDir(), &Options{Logger: discardLogger()})
		if err != nil {
			b.Fatal(err)
		}
		loadOrigins(b, db, "global/visits", 0, n, func(int) int64 { return 1 })
		if err := db.Flush(); err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("read/origins=%d", n), func(b *testing.B) {
			for b.Loop() {
				v, err := db.Counter(ctx, "global/visits")
				if err != nil || v != int64(n) {
					b.Fatalf("Counter = %d, %v; want %d", v, err, n)
				}
			}
		})
		b.Run(fmt.Sprintf("increment/origins=%d", n), func(b *testing.B) {
			start := time.Now()
			for b.Loop() {
				if err := db.Increment(ctx, "global/visits", 1); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "increments/s")
		})
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
