package bench

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
)

// The raw-Pebble baseline: what the same workload costs with no CRDT
// metadata, no writer goroutine and no dot index, on the same disk and
// with the same fsync per acknowledged write.

// openPebble opens a Pebble store with the options Shoal's storage gives
// Pebble (default options, the newest format, the same block cache size),
// so that the ratio measures Shoal's layer, not a Pebble setting.
func openPebble(dir string, cfg Config) (*pebble.DB, error) {
	cache := pebble.NewCache(cfg.CacheSize)
	defer cache.Unref() // Open takes its own reference
	opts := &pebble.Options{
		Cache:              cache,
		Logger:             quietLogger{},
		FormatMajorVersion: pebble.FormatNewest,
	}
	opts.Levels[0].FilterPolicy = bloom.FilterPolicy(10) // as storage does
	db, err := pebble.Open(dir, opts)
	if err != nil {
		return nil, fmt.Errorf("bench: open pebble %s: %w", dir, err)
	}
	return db, nil
}

// quietLogger drops Pebble's informational logs, which would interleave
// with the table, and keeps its errors.
type quietLogger struct{}

func (quietLogger) Infof(string, ...any) {}
func (quietLogger) Errorf(format string, args ...any) {
	fmt.Printf("pebble: "+format+"\n", args...)
}
func (quietLogger) Fatalf(format string, args ...any) {
	panic(fmt.Sprintf("pebble: "+format, args...))
}

// pebblePuts: each op is one synced Set of a fresh 16-byte key and a
// 100-byte value. Concurrent callers share fsyncs through Pebble's commit
// pipeline, as Shoal's callers do through its writer.
func pebblePuts(db *pebble.DB, _ Config, _ int) (phase, error) {
	return phase{op: func(w int, i uint64) error {
		n := opNumber(w, i)
		return db.Set(keyOf('p', n), valueOf(n), pebble.Sync)
	}}, nil
}

// pebbleGets loads cfg.GetKeys keys without syncing each batch (one Flush
// at the end makes them durable), then each op gets a random loaded key.
func pebbleGets(db *pebble.DB, cfg Config, readers int) (phase, error) {
	start := time.Now()
	if err := pebbleLoad(db, cfg.GetKeys); err != nil {
		return phase{}, err
	}
	load := time.Since(start)
	rngs := workerRands(readers)
	return phase{load: load, op: func(w int, _ uint64) error {
		v, closer, err := db.Get(keyOf('g', rngs[w].Uint64N(uint64(cfg.GetKeys))))
		if err != nil {
			return err
		}
		n := len(v)
		if err := closer.Close(); err != nil {
			return err
		}
		return checkLen(n)
	}}, nil
}

// pebbleLoad writes keys 0..n-1 in large unsynced batches, then flushes
// the memtable to sstables so that gets read from disk-backed tables, as
// they would after a restart.
func pebbleLoad(db *pebble.DB, n int) error {
	const chunk = 64 << 10
	for lo := 0; lo < n; lo += chunk {
		b := db.NewBatch()
		for k := lo; k < min(lo+chunk, n); k++ {
			if err := b.Set(keyOf('g', uint64(k)), valueOf(uint64(k)), nil); err != nil {
				return err
			}
		}
		if err := b.Commit(pebble.NoSync); err != nil {
			return err
		}
	}
	return db.Flush()
}

// pebbleCounters is the counter baseline: a blind synced Set of an 8-byte
// value to one of cfg.SetKeys keys. It is a lower bound on a counter's
// cost (no read of the old value); a read-modify-write under a lock would
// serialise the fsyncs and flatter Shoal.
func pebbleCounters(db *pebble.DB, cfg Config, _ int) (phase, error) {
	return phase{op: func(w int, i uint64) error {
		n := opNumber(w, i)
		return db.Set(keyOf('c', n%uint64(cfg.SetKeys)), counterValue(n), pebble.Sync)
	}}, nil
}

// pebbleSetAdds is the set baseline: a synced Set of the key set+member
// with an empty value, one member per op.
func pebbleSetAdds(db *pebble.DB, cfg Config, _ int) (phase, error) {
	return phase{op: func(w int, i uint64) error {
		n := opNumber(w, i)
		k := append(keyOf('s', n%uint64(cfg.SetKeys)), keyOf('m', n)...)
		return db.Set(k, nil, pebble.Sync)
	}}, nil
}

// workerRands gives each worker its own generator: a shared one would
// need a lock on the measured path. Seeds are fixed so runs are repeatable.
func workerRands(workers int) []*rand.Rand {
	rs := make([]*rand.Rand, workers)
	for w := range rs {
		rs[w] = rand.New(rand.NewPCG(1, uint64(w)))
	}
	return rs
}

func checkLen(n int) error {
	if n != valueSize {
		return fmt.Errorf("bench: got a %d-byte value, want %d", n, valueSize)
	}
	return nil
}
