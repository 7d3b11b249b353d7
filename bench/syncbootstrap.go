package bench

import (
	"context"
	"errors"
	"time"

	"github.com/shoal-db/shoal/node"
)

// BootstrapResult is part 3: a brand-new node C joins A, which holds Keys
// keys, and receives them all.
type BootstrapResult struct {
	Keys int `json:"keys"`
	// ReusedCatchUp: A is the catch-up part's node of the same size (its
	// first keys rewritten by the rounds), rather than freshly loaded.
	ReusedCatchUp bool `json:"reused_catchup"`
	// UserBytes is keys plus values, 116 bytes a key. Seconds runs from
	// C's Open until C's version vector holds A's last dot.
	UserBytes int64   `json:"user_bytes"`
	Seconds   float64 `json:"seconds"`
	UserMBps  float64 `json:"user_mb_per_s"`
	// FrameBytes is C's session's frame bytes, both ways.
	FrameBytes uint64  `json:"frame_bytes"`
	FrameMBps  float64 `json:"frame_mb_per_s"`
	// RawMBps is one quic-go stream's throughput, measured right after.
	RawBytes int64   `json:"raw_bytes"`
	RawMBps  float64 `json:"raw_mb_per_s"`
	Ratio    float64 `json:"ratio"` // UserMBps / RawMBps
	// HeapBefore is the heap in use after a GC with A up and C not yet
	// opened; HeapPeak its peak while C bootstraps; PeakRSS the process's
	// peak resident set then (0 if unknown). All are of the whole process,
	// A (which sends) included.
	HeapBefore uint64 `json:"heap_before"`
	HeapPeak   uint64 `json:"heap_peak"`
	PeakRSS    uint64 `json:"peak_rss"`
	Verified   int    `json:"verified"` // keys read back on C
	// Overwritten: every key was written twice, the second time in
	// random order (part 3b). MaxRanges is the most exception ranges C's
	// version vector held while it bootstrapped (sampled), EndRanges at
	// the end: they must stay small whatever order rows arrive in.
	Overwritten bool `json:"overwritten,omitempty"`
	MaxRanges   int  `json:"max_ranges"`
	EndRanges   int  `json:"end_ranges"`
}

const mb = 1e6

// runBootstrap loads a fresh A and bootstraps C from it.
func runBootstrap(cfg SyncConfig) (BootstrapResult, error) {
	load := func(db *node.DB) error {
		return putRange(context.Background(), db, 'k', 0, cfg.BootstrapKeys, cfg.LoadBatch, valueOf)
	}
	return bootstrapFresh(cfg, "bootstrap", load, valueOf)
}

// bootstrapFresh makes a cluster for part, loads a new node A with load,
// then bootstraps C from it, checking C holds want(k) for every key.
func bootstrapFresh(cfg SyncConfig, part string, load func(*node.DB) error, want func(uint64) []byte) (res BootstrapResult, err error) {
	c, err := newCluster(cfg, part)
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
	if err := load(a.db); err != nil {
		return res, err
	}
	return bootstrapFrom(cfg, c, a, cfg.BootstrapKeys, want)
}

// bootstrapFrom opens a new node C that dials A, which holds keys 'k'
// 0..n-1 with values want(k), times C until it has them all, checks them,
// then measures the raw QUIC baseline with C closed.
func bootstrapFrom(cfg SyncConfig, c *cluster, a *syncNode, n int, want func(uint64) []byte) (BootstrapResult, error) {
	res := BootstrapResult{Keys: n, UserBytes: int64(n) * (keySize + valueSize), RawBytes: cfg.RawBytes}
	m, err := markOf(a.db)
	if err != nil {
		return res, err
	}
	cn, err := c.add("c", a.addr)
	if err != nil {
		return res, err
	}
	res.HeapBefore = heapInuse()
	rssKnown := resetPeakRSS()
	stopHeap := sampleHeap()
	t0 := time.Now()
	err = cn.open()
	if err == nil {
		_, err = waitUntil(cfg.Timeout, "C bootstraps from A", func() (bool, error) {
			if st, err := cn.db.Status(); err == nil {
				res.MaxRanges = max(res.MaxRanges, st.VectorRanges)
			}
			return hasAll(cn.db, m)
		})
	}
	elapsed := time.Since(t0)
	res.HeapPeak = stopHeap()
	if rssKnown {
		res.PeakRSS = peakRSS()
	}
	if err != nil {
		return res, err
	}
	res.Seconds = elapsed.Seconds()
	res.UserMBps = float64(res.UserBytes) / mb / res.Seconds
	tr, err := trafficOf(cn.db)
	if err != nil {
		return res, err
	}
	res.FrameBytes = tr.total()
	res.FrameMBps = float64(res.FrameBytes) / mb / res.Seconds
	if res.Verified, err = checkRange(cn.db, 'k', 0, n, want); err != nil {
		return res, err
	}
	if st, err := cn.db.Status(); err == nil {
		res.EndRanges = st.VectorRanges
		res.MaxRanges = max(res.MaxRanges, st.VectorRanges)
	}
	if err := cn.close(); err != nil {
		return res, err
	}
	raw, err := rawThroughput(c, cfg.RawBytes)
	res.RawMBps = raw / mb
	res.Ratio = res.UserMBps / res.RawMBps
	return res, err
}
