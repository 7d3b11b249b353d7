package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/shoal-db/shoal/node"
)

// The markers comparison: Shoal against itself. Removing a set member or
// a map field leaves a remove marker that is kept; the writes that follow
// on that key must not slow down with the number of markers. Each op is
// measured on a fresh key and on a key behind cfg.Markers removed members
// (or fields), in one store, in rounds alternating between the two keys;
// the ratio is marked over fresh (1: the markers cost nothing).

// DefaultMarkers is the number of removed members the marked key holds.
const DefaultMarkers = 100_000

// MarkersResult is one op measured on a fresh key and on a marked one.
type MarkersResult struct {
	Workload string `json:"workload"`
	Op       string `json:"op"`
	Workers  int    `json:"workers"`
	Markers  int    `json:"markers"`
	Fresh    Side   `json:"fresh"`
	Marked   Side   `json:"marked"`
	// Ratio is the marked key's ops/s over the fresh key's.
	Ratio float64 `json:"ratio"`
}

// markersWorkload is one op of the comparison. load writes and removes
// row n of key; op writes row n; count reads how many live rows key has.
type markersWorkload struct {
	name  string
	op    string
	load  func(b *node.Batch, key string, n uint64, remove bool)
	write func(ctx context.Context, db *node.DB, key string, n uint64) error
	count func(ctx context.Context, db *node.DB, key string) (int, error)
}

func markersWorkloads() []markersWorkload {
	return []markersWorkload{{
		name: "markers-setadd",
		op:   "SetAdd of a new member",
		load: func(b *node.Batch, key string, n uint64, remove bool) {
			if remove {
				b.SetRemove(key, string(keyOf('m', n)))
			} else {
				b.SetAdd(key, string(keyOf('m', n)))
			}
		},
		write: func(ctx context.Context, db *node.DB, key string, n uint64) error {
			return db.SetAdd(ctx, key, string(keyOf('n', n)))
		},
		count: func(ctx context.Context, db *node.DB, key string) (int, error) {
			ms, err := db.Members(ctx, key)
			return len(ms), err
		},
	}, {
		name: "markers-mapset",
		op:   "MapSet of a new field, 100B value",
		load: func(b *node.Batch, key string, n uint64, remove bool) {
			if remove {
				b.MapDelete(key, string(keyOf('m', n)))
			} else {
				b.MapSet(key, string(keyOf('m', n)), valueOf(n))
			}
		},
		write: func(ctx context.Context, db *node.DB, key string, n uint64) error {
			return db.MapSet(ctx, key, string(keyOf('n', n)), valueOf(n))
		},
		count: func(ctx context.Context, db *node.DB, key string) (int, error) {
			fs, err := db.Map(ctx, key)
			return len(fs), err
		},
	}}
}

// RunMarkers measures every markers workload whose name contains
// cfg.Only, each marked key behind markers removed rows (DefaultMarkers if
// zero), in one store in a fresh directory under cfg.Dir.
func RunMarkers(cfg Config, markers int, progress io.Writer) (out []MarkersResult, err error) {
	cfg = cfg.withDefaults()
	if markers <= 0 {
		markers = DefaultMarkers
	}
	if progress == nil {
		progress = io.Discard
	}
	var wls []markersWorkload
	for _, wl := range markersWorkloads() {
		if strings.Contains(wl.name, cfg.Only) {
			wls = append(wls, wl)
		}
	}
	if len(wls) == 0 {
		return nil, nil
	}
	dir, err := os.MkdirTemp(cfg.Dir, "shoal-bench-markers-*")
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, os.RemoveAll(dir)) }()
	db, err := openShoal(dir, cfg)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, db.Close()) }()
	for _, wl := range wls {
		r, err := runMarkers(cfg, db, wl, markers)
		if err != nil {
			return out, fmt.Errorf("bench: %s: %w", wl.name, err)
		}
		fmt.Fprintf(progress, "%-14s fresh %9.0f ops/s  marked %9.0f ops/s  ratio %.3f\n",
			wl.name, r.Fresh.OpsPerSec, r.Marked.OpsPerSec, r.Ratio)
		out = append(out, r)
	}
	return out, nil
}

// runMarkers loads the marked key, then measures the op on it and on a
// fresh key, and reads both back.
func runMarkers(cfg Config, db *node.DB, wl markersWorkload, markers int) (MarkersResult, error) {
	ctx := context.Background()
	r := MarkersResult{Workload: wl.name, Op: wl.op, Workers: cfg.Writers, Markers: markers}
	fresh, marked := wl.name+"/fresh", wl.name+"/marked"
	start := time.Now()
	if err := loadMarkers(ctx, db, wl, marked, markers, cfg.LoadBatch); err != nil {
		return r, err
	}
	load := time.Since(start)
	sides := make(map[string]*contender, 2)
	done := make(map[string][]uint64, 2)
	for _, key := range []string{fresh, marked} {
		counts := make([]uint64, cfg.Writers)
		op := func(w int, i uint64) error {
			if err := wl.write(ctx, db, key, opNumber(w, i)); err != nil {
				return err
			}
			counts[w] = i + 1
			return nil
		}
		sides[key] = &contender{name: key, m: newMeter(cfg.Writers, op)}
		done[key] = counts
	}
	if err := alternate(cfg, sides[fresh], sides[marked]); err != nil {
		return r, err
	}
	r.Fresh, r.Marked = sides[fresh].m.side(), sides[marked].m.side()
	r.Marked.Load = load
	r.Ratio = r.Marked.OpsPerSec / r.Fresh.OpsPerSec
	for key, side := range map[string]*Side{fresh: &r.Fresh, marked: &r.Marked} {
		n, err := wl.count(ctx, db, key)
		if err != nil {
			return r, err
		}
		if want := total(done[key]); uint64(n) != want {
			return r, fmt.Errorf("%s holds %d live rows after %d writes", key, n, want)
		}
		side.Verified = n
	}
	return r, nil
}

// loadMarkers writes rows 0..n-1 of key, then removes them, in synced
// batches of batch writes, and flushes them to tables. They are removed from the last down: a store
// that walked a key's remove markers up to its first live row (as Shoal
// did before live counts) loads them quickly too, and can be compared.
func loadMarkers(ctx context.Context, db *node.DB, wl markersWorkload, key string, n, batch int) error {
	for _, remove := range []bool{false, true} {
		for hi := n; hi > 0; hi -= batch {
			b := db.NewBatch()
			for i := hi - 1; i >= max(hi-batch, 0); i-- {
				wl.load(b, key, uint64(i), remove)
			}
			if err := b.Commit(ctx); err != nil {
				return fmt.Errorf("load rows %d..%d (remove %v): %w", max(hi-batch, 0), hi, remove, err)
			}
		}
	}
	left, err := wl.count(ctx, db, key)
	if err != nil {
		return err
	}
	if left != 0 {
		return fmt.Errorf("%d of %d rows still live after the load", left, n)
	}
	return db.Flush() // the markers in tables, as they end up; no flush in the measured rounds
}

// WriteMarkersTable prints the markers results as a table, with what each
// op is and how long the load took.
func WriteMarkersTable(w io.Writer, cfg Config, rs []MarkersResult) error {
	if len(rs) == 0 {
		return nil
	}
	cfg = cfg.withDefaults()
	fmt.Fprintf(w, "Shoal on a key behind remove markers vs on a fresh key  (one store; each key measured %v in %d rounds alternating with the other)\n", cfg.Duration, cfg.Rounds)
	fmt.Fprintf(w, "ratio = marked ops/s / fresh ops/s; latencies per op\n\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "workload\tworkers\tmarkers\tfresh ops/s\tmarked ops/s\tratio\tfresh p50\tfresh p99\tmarked p50\tmarked p99\t")
	for _, r := range rs {
		f, m := r.Fresh, r.Marked
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f\t%.0f\t%.3f\t%s\t%s\t%s\t%s\t\n", r.Workload, r.Workers, r.Markers,
			f.OpsPerSec, m.OpsPerSec, r.Ratio, latency(f.P50), latency(f.P99), latency(m.P50), latency(m.P99))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	for _, r := range rs {
		fmt.Fprintf(w, "%s: %s, to one key from %d writers\n", r.Workload, r.Op, r.Workers)
		fmt.Fprintf(w, "  load %d rows written then removed: %v (synced batches of %d)\n", r.Markers, r.Marked.Load.Round(time.Millisecond), cfg.LoadBatch)
		fmt.Fprintf(w, "  ops: fresh %d, marked %d; afterwards, live rows read back: fresh %d, marked %d\n",
			r.Fresh.Ops, r.Marked.Ops, r.Fresh.Verified, r.Marked.Verified)
	}
	return nil
}
