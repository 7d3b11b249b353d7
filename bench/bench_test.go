package bench

import (
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/shoal-db/shoal/node"
)

// The Go benchmarks run the same workloads as Run, each Shoal/Pebble pair
// as sub-benchmarks so that benchstat or -cpuprofile can compare them:
//
//	go test -run '^$' -bench . ./bench/
//	go test -run '^$' -bench 'Put/Shoal' -cpuprofile cpu.out ./bench/

func BenchmarkPut(b *testing.B) {
	cfg := DefaultConfig()
	b.Run("Shoal", func(b *testing.B) { benchShoal(b, cfg, cfg.Writers, shoalPuts) })
	b.Run("Pebble", func(b *testing.B) { benchPebble(b, cfg, cfg.Writers, pebblePuts) })
}

func BenchmarkIncrement(b *testing.B) {
	cfg := DefaultConfig()
	b.Run("Shoal", func(b *testing.B) { benchShoal(b, cfg, cfg.Writers, shoalIncrements) })
	b.Run("Pebble", func(b *testing.B) { benchPebble(b, cfg, cfg.Writers, pebbleCounters) })
}

func BenchmarkSetAdd(b *testing.B) {
	cfg := DefaultConfig()
	b.Run("Shoal", func(b *testing.B) { benchShoal(b, cfg, cfg.Writers, shoalSetAdds) })
	b.Run("Pebble", func(b *testing.B) { benchPebble(b, cfg, cfg.Writers, pebbleSetAdds) })
}

// BenchmarkGet loads 100k keys once per side, before the sub-benchmarks
// (not once per b.N round: the load would dwarf the gets), and reads random
// ones from cfg.Readers goroutines.
func BenchmarkGet(b *testing.B) {
	cfg := DefaultConfig()
	cfg.GetKeys = 100_000
	g := goroutines(cfg.Readers)
	shoal := setupShoal(b, cfg, g, shoalGets)
	peb := setupPebble(b, cfg, g, pebbleGets)
	b.Run("Shoal", func(b *testing.B) { runParallel(b, g, *shoal) })
	b.Run("Pebble", func(b *testing.B) { runParallel(b, g, *peb) })
}

type shoalSetup = func(*node.DB, Config, int) (phase, error)
type pebbleSetup = func(*pebble.DB, Config, int) (phase, error)

// benchShoal and benchPebble give every b.N round a fresh store, so that
// a later round's puts do not overwrite an earlier round's keys.
func benchShoal(b *testing.B, cfg Config, workers int, setup shoalSetup) {
	g := goroutines(workers)
	runParallel(b, g, *setupShoal(b, cfg, g, setup))
}

func benchPebble(b *testing.B, cfg Config, workers int, setup pebbleSetup) {
	g := goroutines(workers)
	runParallel(b, g, *setupPebble(b, cfg, g, setup))
}

// goroutines returns how many goroutines RunParallel will start for about
// workers of them: a multiple of GOMAXPROCS (8 stays 8 on 2 cores).
func goroutines(workers int) int {
	procs := runtime.GOMAXPROCS(0)
	return max(1, workers/procs) * procs
}

// setupShoal opens a store in a temp dir of tb, closed when tb's cleanup runs.
func setupShoal(tb testing.TB, cfg Config, workers int, setup shoalSetup) *phase {
	db, err := openShoal(tb.TempDir(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	p, err := setup(db, cfg, workers)
	if err != nil {
		tb.Fatal(err)
	}
	return &p
}

func setupPebble(tb testing.TB, cfg Config, workers int, setup pebbleSetup) *phase {
	db, err := openPebble(tb.TempDir(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	p, err := setup(db, cfg, workers)
	if err != nil {
		tb.Fatal(err)
	}
	return &p
}

// runParallel runs p.op from g goroutines (a result of goroutines, which
// p was set up for: worker ids index its per-worker state), then checks
// what was stored.
func runParallel(b *testing.B, g int, p phase) {
	b.SetParallelism(g / runtime.GOMAXPROCS(0))
	var next atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		w := int(next.Add(1) - 1)
		for i := uint64(0); pb.Next(); i++ {
			if err := p.op(w, i); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	if p.verify != nil {
		if _, err := p.verify(); err != nil {
			b.Fatal(err)
		}
	}
}
