package bench

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/shoal-db/shoal/node"
)

// runBootstrapOverwrites is part 3b: the bootstrap of a data set whose
// every key was written twice, the second time in random order, so that
// no two latest dots are adjacent. Such a bootstrap once gave the new
// node an exception range per row, until at ~530k rows its Hello no longer
// decoded and its directory no longer opened. The result's MaxRanges says
// how large C's vector grew.
func runBootstrapOverwrites(cfg SyncConfig, progress io.Writer) (BootstrapResult, error) {
	load := func(db *node.DB) error {
		ctx, t0, n := context.Background(), time.Now(), cfg.BootstrapKeys
		if err := putRange(ctx, db, 'k', 0, n, cfg.LoadBatch, valueOf); err != nil {
			return err
		}
		if err := putShuffled(ctx, db, 'k', n, cfg.LoadBatch, secondValue); err != nil {
			return err
		}
		fmt.Fprintf(progress, "bootstrap-overwrites: %d keys written twice in %.1fs; C joins\n", n, time.Since(t0).Seconds())
		return nil
	}
	res, err := bootstrapFresh(cfg, "overwrites", load, secondValue)
	res.Overwritten = true
	return res, err
}

// secondValue is what the overwrite round writes for key n.
func secondValue(n uint64) []byte { return valueOf(n ^ 0x5eed_0000_0000) }

// putShuffled writes keys 0..n-1 once more, in a seeded random order, in
// batches of batch puts.
func putShuffled(ctx context.Context, db *node.DB, prefix byte, n, batch int, val func(uint64) []byte) error {
	order := rand.New(rand.NewPCG(7, 11)).Perm(n)
	for from := 0; from < n; from += batch {
		b := db.NewBatch()
		for _, k := range order[from:min(from+batch, n)] {
			b.Put(string(keyOf(prefix, uint64(k))), val(uint64(k)))
		}
		if err := b.Commit(ctx); err != nil {
			return fmt.Errorf("overwrite keys from %d: %w", from, err)
		}
	}
	return nil
}
