package bench

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/shoal-db/shoal/node"
)

// LatencyResult is part 1: how long a put on A takes to be visible on B.
type LatencyResult struct {
	Rate     int     `json:"rate"`          // puts/s asked for
	Achieved float64 `json:"achieved_rate"` // puts/s done
	Puts     int     `json:"puts"`
	Seen     int     `json:"seen"` // puts B's watcher received
	// FromReturn is visible on B minus Put returned on A: replication
	// alone. FromStart counts from Put's call, so it includes A's fsync
	// (PutLatency).
	FromReturn Quantiles `json:"from_return"`
	FromStart  Quantiles `json:"from_start"`
	PutLatency Quantiles `json:"put_latency"`
}

// Quantiles summarise latencies.
type Quantiles struct {
	P50 time.Duration `json:"p50_ns"`
	P99 time.Duration `json:"p99_ns"`
	Max time.Duration `json:"max_ns"`
}

// summarize uses the harness's histogram for the quantiles; the maximum is
// exact.
func summarize(ds []time.Duration) Quantiles {
	var h histogram
	var q Quantiles
	for _, d := range ds {
		h.record(d)
		q.Max = max(q.Max, d)
	}
	q.P50, q.P99 = h.quantile(0.50), h.quantile(0.99)
	return q
}

// latencyRun holds the times of each put, as offsets from t0 (monotonic).
type latencyRun struct {
	t0                time.Time
	start, done, seen []time.Duration
}

// runLatency connects B to A, then puts on A at cfg.LatencyRate while a
// watcher on B notes when each key arrives.
func runLatency(cfg SyncConfig) (res LatencyResult, err error) {
	c, err := newCluster(cfg, "latency")
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, c.close()) }()
	nodes, err := c.openAll("n", 2)
	if err != nil {
		return res, err
	}
	a, b := nodes[0].db, nodes[1].db
	if err := warmUp(cfg, a, b); err != nil {
		return res, err
	}
	total := cfg.LatencyRate * int(cfg.LatencyDuration/time.Millisecond) / 1000
	run := &latencyRun{t0: time.Now(), start: make([]time.Duration, total),
		done: make([]time.Duration, total), seen: make([]time.Duration, total)}
	ctx, cancel := context.WithCancel(context.Background())
	arrivals := run.watch(ctx, b, total)
	err = run.put(cfg, a)
	if err == nil {
		err = waitWatched(arrivals, cfg.Timeout)
	}
	cancel()
	w := <-arrivals
	return run.result(cfg, w.n), err
}

// warmUp puts one key on A and waits until B has it: the session is up
// and past its first catch-up, so the measured puts are live pushes.
func warmUp(cfg SyncConfig, a, b *node.DB) error {
	if err := a.Put(context.Background(), "warm-up", []byte("x")); err != nil {
		return err
	}
	m, err := markOf(a)
	if err != nil {
		return err
	}
	_, err = waitUntil(cfg.Timeout, "B connects to A", func() (bool, error) { return hasAll(b, m) })
	return err
}

// watched is what the watcher on B ends with.
type watched struct {
	n   int // distinct puts seen
	err error
}

// watch notes when each put arrives on B; the channel yields the outcome
// once all total arrived, the watch failed, or ctx ended. The cursor is
// taken before the first put, so no event slips past before it starts.
func (r *latencyRun) watch(ctx context.Context, b *node.DB, total int) chan watched {
	out := make(chan watched, 1)
	opts := node.WatchOptions{Prefix: "l", Since: b.Cursor()}
	go func() {
		var w watched
		defer func() { out <- w }()
		for ev, err := range b.Watch(ctx, opts) {
			at := time.Since(r.t0)
			var k uint64
			if k, w.err = keyNumber(ev.Key); err != nil || w.err != nil {
				w.err = errors.Join(err, w.err)
				return
			}
			if k < uint64(total) && r.seen[k] == 0 {
				r.seen[k], w.n = at, w.n+1
			}
			if w.n == total {
				return
			}
		}
	}()
	return out
}

// waitWatched waits for the watcher to finish, and puts its outcome back.
func waitWatched(ch chan watched, timeout time.Duration) error {
	select {
	case w := <-ch:
		ch <- w
		return w.err
	case <-time.After(timeout):
		return fmt.Errorf("bench: B did not see every put within %v", timeout)
	}
}

// put hands put i to the writers at t0 + i/rate (at once if they are
// behind: the rate is then what A sustains, reported as Achieved).
func (r *latencyRun) put(cfg SyncConfig, a *node.DB) error {
	jobs := make(chan int, len(r.start))
	errs := make([]error, cfg.LatencyWriters)
	var wg sync.WaitGroup
	for w := range cfg.LatencyWriters {
		wg.Go(func() {
			for i := range jobs {
				r.start[i] = time.Since(r.t0)
				if errs[w] == nil {
					errs[w] = a.Put(context.Background(), string(keyOf('l', uint64(i))), valueOf(uint64(i)))
				}
				r.done[i] = time.Since(r.t0)
			}
		})
	}
	interval := time.Second / time.Duration(cfg.LatencyRate)
	for i := range r.start {
		time.Sleep(time.Until(r.t0.Add(time.Duration(i) * interval)))
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return errors.Join(errs...)
}

func (r *latencyRun) result(cfg SyncConfig, seen int) LatencyResult {
	res := LatencyResult{Rate: cfg.LatencyRate, Puts: len(r.start), Seen: seen}
	var fromReturn, fromStart, put []time.Duration
	for i := range r.start {
		put = append(put, r.done[i]-r.start[i])
		if r.seen[i] != 0 {
			fromReturn = append(fromReturn, r.seen[i]-r.done[i])
			fromStart = append(fromStart, r.seen[i]-r.start[i])
		}
	}
	if n := len(r.start); n > 1 {
		res.Achieved = float64(n) / (slices.Max(r.done) - r.start[0]).Seconds()
	}
	res.FromReturn, res.FromStart, res.PutLatency = summarize(fromReturn), summarize(fromStart), summarize(put)
	return res
}
