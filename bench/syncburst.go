package bench

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/shoal-db/shoal/node"
)

// burst runs cfg.MeshWriters goroutines on every node at once; node i
// puts keys i*MeshPuts .. (i+1)*MeshPuts-1, shared out among its writers.
func burst(cfg SyncConfig, dbs []*node.DB) error {
	errs := make([]error, len(dbs)*cfg.MeshWriters)
	var wg sync.WaitGroup
	for i, db := range dbs {
		for w := range cfg.MeshWriters {
			wg.Go(func() {
				for j := w; j < cfg.MeshPuts && errs[i*cfg.MeshWriters+w] == nil; j += cfg.MeshWriters {
					k := uint64(i*cfg.MeshPuts + j)
					errs[i*cfg.MeshWriters+w] = db.Put(context.Background(), string(keyOf('x', k)), valueOf(k))
				}
			})
		}
	}
	wg.Wait()
	return errors.Join(errs...)
}

// watchAll returns a channel that yields when db has seen total distinct
// 'x' keys, or the zero time if ctx ends first.
func watchAll(ctx context.Context, db *node.DB, total int) chan time.Time {
	out := make(chan time.Time, 1)
	opts := node.WatchOptions{Prefix: "x", Since: db.Cursor()}
	go func() {
		seen := make(map[string]bool, total)
		for ev, err := range db.Watch(ctx, opts) {
			if err != nil {
				break
			}
			if seen[ev.Key] = true; len(seen) == total {
				out <- time.Now()
				return
			}
		}
		out <- time.Time{}
	}()
	return out
}
