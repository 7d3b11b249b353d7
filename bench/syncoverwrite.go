package bench

import (
	"context"
	"errors"
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
func runBootstrapOverwrites(cfg SyncConfig, progress io.Writer) (res BootstrapResult, err error) {
	c, err := newCluster(cfg, "overwrites")
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, c.close()) }()
	a, err := c.add("a")
	if err != nil {
		return res, err
	}
	if err := a.open(); err != nil {
		return res, err
	}
	n := cfg.BootstrapKeys
	ctx := context.Background()
	t0 := time.Now()
	if err := putRange(ctx, a.db, 'k', 0, n, cfg.LoadBatch, valueOf); err != nil {
		return res, err
	}
	if err := putShuffled(ctx, a.db, 'k', n, cfg.LoadBatch, secondValue); err != nil {
		return res, err
	}
	fmt.Fprintf(progress, "bootstrap-overwrites: %d keys written twice in %.1fs; C joins\n", n, time.Since(t0).Seconds())
	res, err = bootstrapFrom(cfg, c, a, n, secondValue)
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
