package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// CatchUpResult is one round of part 2: B was down while A changed
// Changed of its Keys keys; B restarts and catches up.
type CatchUpResult struct {
	Keys    int `json:"keys"`
	Changed int `json:"changed"`
	// Seconds runs from B's Open to B's version vector holding A's last
	// change, which catch-up joins only once every row is synced.
	Seconds float64 `json:"seconds"`
	// FrameBytes is B's session's frame bytes, sent plus received, as
	// Status counts them; WireBytes is every UDP datagram of the session
	// (QUIC handshake, packet headers and acknowledgements included) with
	// IP and UDP headers, as the relay in front of A counted them.
	FrameBytes uint64 `json:"frame_bytes"`
	WireBytes  uint64 `json:"wire_bytes"`
	// RecordBytes is Changed times RecordSize (recordSize): what changed,
	// as stored.
	RecordSize  int     `json:"record_size"`
	RecordBytes int64   `json:"record_bytes"`
	Ratio       float64 `json:"ratio"`      // FrameBytes / RecordBytes
	WireRatio   float64 `json:"wire_ratio"` // WireBytes / RecordBytes
	Verified    int     `json:"verified"`   // changed keys read back on B
}

// CatchUpSetup is how a pair was brought in sync before the rounds.
type CatchUpSetup struct {
	Keys        int     `json:"keys"`
	LoadSeconds float64 `json:"load_seconds"`    // puts on A, B connected
	SyncSeconds float64 `json:"in_sync_seconds"` // from the first put until B had all
}

// pair is A and B in sync: B dials A through a counting relay. applied
// lists the changes of the rounds so far; each round builds on them.
type pair struct {
	c       *cluster
	a, b    *syncNode
	relay   *relay
	keys    int
	applied []int
}

// runCatchUp runs every round for each data set size; then, while A is
// still up, it hands the pair to then (the bootstrap part reuses A).
func runCatchUp(cfg SyncConfig, progress io.Writer, then func(*pair) error) ([]CatchUpResult, []CatchUpSetup, error) {
	var results []CatchUpResult
	var setups []CatchUpSetup
	for _, n := range cfg.CatchUpKeys {
		p, setup, err := newPair(cfg, n)
		if err != nil {
			return results, setups, err
		}
		setups = append(setups, setup)
		fmt.Fprintf(progress, "  %d keys loaded in %.1fs, B in sync after %.1fs\n", n, setup.LoadSeconds, setup.SyncSeconds)
		for _, d := range cfg.CatchUpChanges {
			if d > n || err != nil {
				continue
			}
			var r CatchUpResult
			if r, err = p.round(cfg, d); err == nil {
				results = append(results, r)
				fmt.Fprintf(progress, "  %d changed: %.3fs, ratio %.3f\n", d, r.Seconds, r.Ratio)
			}
		}
		if err == nil && then != nil {
			err = then(p)
		}
		if err = errors.Join(err, p.close()); err != nil {
			return results, setups, fmt.Errorf("catch-up, %d keys: %w", n, err)
		}
	}
	return results, setups, nil
}

// newPair loads n keys on A with B connected (B receives them live, or by
// a fresh catch-up if it falls too far behind), then waits for B to have
// them all and checks them.
func newPair(cfg SyncConfig, n int) (p *pair, s CatchUpSetup, err error) {
	s.Keys = n
	p = &pair{keys: n}
	if p.c, err = newCluster(cfg, fmt.Sprintf("catchup%d", n)); err != nil {
		return nil, s, err
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, p.close())
		}
	}()
	if p.a, err = p.c.add("a"); err != nil {
		return p, s, err
	}
	if err = p.a.open(); err != nil {
		return p, s, err
	}
	if p.relay, err = newRelay(p.a.addr); err != nil {
		return p, s, err
	}
	if p.b, err = p.c.add("b", p.relay.addr()); err != nil {
		return p, s, err
	}
	if err = p.b.open(); err != nil {
		return p, s, err
	}
	t0 := time.Now()
	if err = putRange(context.Background(), p.a.db, 'k', 0, n, cfg.LoadBatch, valueOf); err != nil {
		return p, s, err
	}
	s.LoadSeconds = time.Since(t0).Seconds()
	if err = p.waitB(cfg); err != nil {
		return p, s, err
	}
	s.SyncSeconds = time.Since(t0).Seconds()
	_, err = checkRange(p.b.db, 'k', 0, n, valueOf)
	return p, s, err
}

// waitB waits until B has every change A has made so far.
func (p *pair) waitB(cfg SyncConfig) error {
	m, err := markOf(p.a.db)
	if err != nil {
		return err
	}
	_, err = waitUntil(cfg.Timeout, "B catches up with A", func() (bool, error) { return hasAll(p.b.db, m) })
	return err
}

// round stops B, changes keys 0..d-1 on A, restarts B and measures its
// catch-up.
func (p *pair) round(cfg SyncConfig, d int) (CatchUpResult, error) {
	res := CatchUpResult{Keys: p.keys, Changed: d}
	if err := p.b.close(); err != nil {
		return res, err
	}
	p.applied = append(p.applied, d)
	if err := putRange(context.Background(), p.a.db, 'k', 0, d, cfg.LoadBatch, roundValue(len(p.applied))); err != nil {
		return res, err
	}
	m, err := markOf(p.a.db)
	if err != nil {
		return res, err
	}
	p.relay.reset()
	t0 := time.Now()
	if err := p.b.open(); err != nil {
		return res, err
	}
	t1, err := waitUntil(cfg.Timeout, "B catches up with A", func() (bool, error) { return hasAll(p.b.db, m) })
	if err != nil {
		return res, err
	}
	res.Seconds = t1.Sub(t0).Seconds()
	res.WireBytes = p.relay.count()
	tr, err := trafficOf(p.b.db)
	if err != nil {
		return res, err
	}
	res.FrameBytes = tr.total()
	res.RecordSize = recordSize(m.counter)
	res.RecordBytes = int64(d) * int64(res.RecordSize)
	res.Ratio = float64(res.FrameBytes) / float64(res.RecordBytes)
	res.WireRatio = float64(res.WireBytes) / float64(res.RecordBytes)
	res.Verified, err = checkRange(p.b.db, 'k', 0, d, p.value)
	return res, err
}

// value is what A holds at key k after the rounds so far.
func (p *pair) value(k uint64) []byte {
	for r := len(p.applied); r > 0; r-- {
		if k < uint64(p.applied[r-1]) {
			return roundValue(r)(k)
		}
	}
	return valueOf(k)
}

func (p *pair) close() error {
	var errs []error
	if p.relay != nil {
		errs = append(errs, p.relay.close())
	}
	return errors.Join(append(errs, p.c.close())...)
}
