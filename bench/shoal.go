package bench

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/shoal-db/shoal/node"
)

// The Shoal side: the same workloads through node's exported API. Every
// write returns only once it is synced, as the baseline's pebble.Sync.

// openShoal opens a node with the same block cache as the baseline and
// its logs discarded, so they do not interleave with the table.
func openShoal(dir string, cfg Config) (*node.DB, error) {
	return node.Open(dir, &node.Options{
		CacheSize: cfg.CacheSize,
		Logger:    slog.New(slog.DiscardHandler),
	})
}

// shoalPuts: each op is one Put of a fresh key. Afterwards the first,
// middle and last key of every worker is read back.
func shoalPuts(db *node.DB, _ Config, workers int) (phase, error) {
	ctx := context.Background()
	done := make([]uint64, workers) // puts acknowledged, per worker
	op := func(w int, i uint64) error {
		n := opNumber(w, i)
		if err := db.Put(ctx, string(keyOf('p', n)), valueOf(n)); err != nil {
			return err
		}
		done[w] = i + 1
		return nil
	}
	verify := func() (int, error) {
		var nums []uint64
		for w, c := range done {
			if c > 0 {
				nums = append(nums, opNumber(w, 0), opNumber(w, c/2), opNumber(w, c-1))
			}
		}
		return len(nums), checkRegisters(db, 'p', nums)
	}
	return phase{op: op, verify: verify}, nil
}

// shoalGets loads cfg.GetKeys keys in batches of cfg.LoadBatch puts (each
// batch one synced commit) and flushes them to tables, like pebbleLoad;
// then each op gets a random loaded key.
func shoalGets(db *node.DB, cfg Config, readers int) (phase, error) {
	ctx := context.Background()
	start := time.Now()
	if err := shoalLoad(ctx, db, cfg.GetKeys, cfg.LoadBatch); err != nil {
		return phase{}, err
	}
	if err := db.Flush(); err != nil { // as pebbleLoad does: reads from tables
		return phase{}, err
	}
	load := time.Since(start)
	rngs := workerRands(readers)
	op := func(w int, _ uint64) error {
		it, err := db.Get(ctx, string(keyOf('g', rngs[w].Uint64N(uint64(cfg.GetKeys)))))
		if err != nil {
			return err
		}
		return checkLen(len(it.Value))
	}
	verify := func() (int, error) {
		nums := []uint64{0, uint64(cfg.GetKeys) / 2, uint64(cfg.GetKeys) - 1}
		return len(nums), checkRegisters(db, 'g', nums)
	}
	return phase{op: op, load: load, verify: verify}, nil
}

func shoalLoad(ctx context.Context, db *node.DB, n, batch int) error {
	return putRange(ctx, db, 'g', 0, n, batch, valueOf)
}

// checkRegisters gets the keys numbered nums and compares their values
// with what was written.
func checkRegisters(db *node.DB, prefix byte, nums []uint64) error {
	for _, n := range nums {
		it, err := db.Get(context.Background(), string(keyOf(prefix, n)))
		if err != nil {
			return err
		}
		if !bytes.Equal(it.Value, valueOf(n)) {
			return fmt.Errorf("key %s: read back %x, wrote %x", keyOf(prefix, n), it.Value, valueOf(n))
		}
	}
	return nil
}
