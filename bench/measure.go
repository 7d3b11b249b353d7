package bench

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Side is one system's figures for one workload.
type Side struct {
	Ops       int64         `json:"ops"`
	Seconds   float64       `json:"seconds"`
	OpsPerSec float64       `json:"ops_per_sec"`
	P50       time.Duration `json:"p50_ns"`
	P99       time.Duration `json:"p99_ns"`
	// Load is the time taken to fill the store before the phase, if any.
	Load time.Duration `json:"load_ns,omitempty"`
	// Verified counts the stored values read back and found right after
	// the phase (Shoal only).
	Verified int `json:"verified,omitempty"`
}

// opFunc is one measured operation: worker w's i-th (i counts from 0 in
// each worker and never repeats, so w and i together name a distinct key).
type opFunc func(w int, i uint64) error

// meter runs one side's op in rounds and adds up what it measures. Rounds
// of the two sides alternate, so that a burst of disk or CPU load from a
// neighbour falls on both sides rather than skewing the ratio. Not safe
// for concurrent use.
type meter struct {
	op      opFunc
	next    []uint64 // each worker's next op index, carried across rounds
	hists   []histogram
	elapsed time.Duration
}

func newMeter(workers int, op opFunc) *meter {
	return &meter{op: op, next: make([]uint64, workers), hists: make([]histogram, workers)}
}

// round runs op from every worker for d and times every call. The round
// lasts until the last worker has finished its last op, so an op in flight
// at the deadline is counted, not cut off.
func (m *meter) round(d time.Duration) error {
	errs := make([]error, len(m.next))
	var stop atomic.Bool
	var wg sync.WaitGroup
	start := time.Now()
	for w := range m.next {
		wg.Go(func() { errs[w] = m.runWorker(w, &stop) })
	}
	time.Sleep(d)
	stop.Store(true)
	wg.Wait()
	m.elapsed += time.Since(start)
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// runWorker calls op until stop is set, recording each latency in the
// worker's own histogram.
func (m *meter) runWorker(w int, stop *atomic.Bool) error {
	h := &m.hists[w]
	for ; !stop.Load(); m.next[w]++ {
		t0 := time.Now()
		if err := m.op(w, m.next[w]); err != nil {
			return fmt.Errorf("worker %d, op %d: %w", w, m.next[w], err)
		}
		h.record(time.Since(t0))
	}
	return nil
}

// side sums the rounds so far.
func (m *meter) side() Side {
	var all histogram
	for i := range m.hists {
		all.merge(&m.hists[i])
	}
	s := Side{Ops: int64(all.count), Seconds: m.elapsed.Seconds()}
	if s.Seconds > 0 {
		s.OpsPerSec = float64(s.Ops) / s.Seconds
	}
	s.P50 = all.quantile(0.50)
	s.P99 = all.quantile(0.99)
	return s
}
