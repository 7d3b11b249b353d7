package bench

import (
	"bytes"
	"context"
	"fmt"
	"strconv"

	"github.com/shoal-db/shoal/node"
)

// putRange puts keys prefix+lo .. prefix+hi-1 with values val(k), in batch
// commits of batch puts. The same helper loads Get's data set (shoalLoad).
func putRange(ctx context.Context, db *node.DB, prefix byte, lo, hi, batch int, val func(uint64) []byte) error {
	for from := lo; from < hi; from += batch {
		b := db.NewBatch()
		for k := from; k < min(from+batch, hi); k++ {
			b.Put(string(keyOf(prefix, uint64(k))), val(uint64(k)))
		}
		if err := b.Commit(ctx); err != nil {
			return fmt.Errorf("put keys %d..: %w", from, err)
		}
	}
	return nil
}

// keyNumber is keyOf's inverse.
func keyNumber(key string) (uint64, error) {
	if len(key) != keySize {
		return 0, fmt.Errorf("bench: key %q is not one of ours", key)
	}
	return strconv.ParseUint(key[1:], 10, 64)
}

// roundValue returns the values written in catch-up round r: round 0 is
// the load, and every later round writes values no earlier round wrote.
func roundValue(r int) func(uint64) []byte {
	return func(k uint64) []byte { return valueOf(k ^ uint64(r)<<40) }
}

// checkRange scans keys prefix+lo .. prefix+hi-1 on db and checks that
// every one is there, once, with the value want(k). It returns how many
// it checked.
func checkRange(db *node.DB, prefix byte, lo, hi int, want func(uint64) []byte) (int, error) {
	opts := node.ScanOptions{Prefix: string(prefix), Start: string(keyOf(prefix, uint64(lo))), End: string(keyOf(prefix, uint64(hi)))}
	next := uint64(lo)
	for rec, err := range db.Scan(context.Background(), opts) {
		if err != nil {
			return int(next) - lo, err
		}
		k, err := keyNumber(rec.Key)
		if err != nil || k != next {
			return int(next) - lo, fmt.Errorf("bench: scan met %q, want key %d (%v)", rec.Key, next, err)
		}
		if !bytes.Equal(rec.Item.Value, want(k)) {
			return int(next) - lo, fmt.Errorf("bench: key %q holds a value it should not", rec.Key)
		}
		next++
	}
	if next != uint64(hi) {
		return int(next) - lo, fmt.Errorf("bench: %d keys from %d, want %d", int(next)-lo, lo, hi-lo)
	}
	return hi - lo, nil
}
