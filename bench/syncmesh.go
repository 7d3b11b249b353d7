package bench

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/shoal-db/shoal/node"
)

// MeshResult is part 4: every node of a full mesh writes a burst at once;
// how long until every node has every write, and at what traffic.
type MeshResult struct {
	Nodes       int     `json:"nodes"`
	PutsPerNode int     `json:"puts_per_node"`
	Writers     int     `json:"writers_per_node"`
	BurstSecs   float64 `json:"burst_seconds"` // first put called to last put returned
	// ConvergeSecs runs from the end of the burst until the last node has
	// every key (its watcher saw the last one); FromStartSecs from the
	// start of the burst.
	ConvergeSecs  float64 `json:"converge_seconds"`
	FromStartSecs float64 `json:"from_start_seconds"`
	// RecordBytes is every write as stored (recordSize); SentBytes the
	// frame bytes all nodes sent until convergence, SettledBytes until
	// every acknowledgement had been exchanged as well.
	RecordBytes  int64  `json:"record_bytes"`
	SentBytes    uint64 `json:"sent_bytes"`
	SettledBytes uint64 `json:"settled_bytes"`
	// Copies is SettledBytes / RecordBytes: how many times each write
	// crossed a link. Direct delivery alone is Nodes-1 copies; the rest
	// is relaying and protocol overhead.
	Copies   float64 `json:"copies"`
	Verified int     `json:"verified"`
}

// runMesh opens the mesh, waits for every session to be live, then runs
// the burst.
func runMesh(cfg SyncConfig) (res MeshResult, err error) {
	res = MeshResult{Nodes: cfg.MeshNodes, PutsPerNode: cfg.MeshPuts, Writers: cfg.MeshWriters}
	c, err := newCluster(cfg, "mesh")
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, c.close()) }()
	nodes, err := c.openAll("m", cfg.MeshNodes)
	if err != nil {
		return res, err
	}
	dbs := make([]*node.DB, len(nodes))
	for i, n := range nodes {
		dbs[i] = n.db
	}
	if err := meshWarmUp(cfg, dbs); err != nil {
		return res, err
	}
	return meshBurst(cfg, dbs, res)
}

// meshWarmUp puts one key on each node and waits until every node has
// every other's: all sessions are up and past their first catch-up.
func meshWarmUp(cfg SyncConfig, dbs []*node.DB) error {
	for i, db := range dbs {
		if err := db.Put(context.Background(), fmt.Sprintf("warm-up-%d", i), []byte("x")); err != nil {
			return err
		}
	}
	return waitMesh(cfg, dbs, "the mesh connects")
}

// waitMesh waits until every node has every change of every other node.
func waitMesh(cfg SyncConfig, dbs []*node.DB, what string) error {
	for _, from := range dbs {
		m, err := markOf(from)
		if err != nil {
			return err
		}
		for _, to := range dbs {
			if _, err := waitUntil(cfg.Timeout, what, func() (bool, error) { return hasAll(to, m) }); err != nil {
				return err
			}
		}
	}
	return nil
}

func meshBurst(cfg SyncConfig, dbs []*node.DB, res MeshResult) (MeshResult, error) {
	total := len(dbs) * cfg.MeshPuts
	before, err := meshSent(dbs)
	if err != nil {
		return res, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.Timeout)
	defer cancel()
	done := make([]chan time.Time, len(dbs))
	for i, db := range dbs {
		done[i] = watchAll(ctx, db, total)
	}
	t0 := time.Now()
	if err := burst(cfg, dbs); err != nil {
		return res, err
	}
	end := time.Now()
	var last time.Time
	for _, ch := range done {
		t := <-ch
		if t.IsZero() {
			return res, fmt.Errorf("bench: a mesh node lacks keys after %v", cfg.Timeout)
		}
		last = later(last, t)
	}
	sent, err := meshSent(dbs)
	if err != nil {
		return res, err
	}
	res.BurstSecs, res.FromStartSecs = end.Sub(t0).Seconds(), last.Sub(t0).Seconds()
	res.ConvergeSecs = max(0, last.Sub(end).Seconds())
	if res.SentBytes, err = grew(sent, before); err != nil {
		return res, err
	}
	return meshSettle(cfg, dbs, res, before)
}

// grew returns after - before of a byte count summed over sessions; a
// session that restarted would have started its count again from zero.
func grew(after, before uint64) (uint64, error) {
	if after < before {
		return 0, fmt.Errorf("bench: a mesh session restarted during the burst")
	}
	return after - before, nil
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// meshSettle waits until every acknowledgement is in (every peer's lag is
// zero), then counts the bytes and checks every node's keys.
func meshSettle(cfg SyncConfig, dbs []*node.DB, res MeshResult, before uint64) (MeshResult, error) {
	for _, db := range dbs {
		if _, err := waitUntil(cfg.Timeout, "the mesh acknowledges", func() (bool, error) { return noLag(db) }); err != nil {
			return res, err
		}
	}
	sent, err := meshSent(dbs)
	if err != nil {
		return res, err
	}
	if res.SettledBytes, err = grew(sent, before); err != nil {
		return res, err
	}
	var top uint64
	for _, db := range dbs {
		m, err := markOf(db)
		if err != nil {
			return res, err
		}
		top = max(top, m.counter)
		n, err := checkRange(db, 'x', 0, len(dbs)*cfg.MeshPuts, valueOf)
		if res.Verified += n; err != nil {
			return res, err
		}
	}
	res.RecordBytes = int64(len(dbs)*cfg.MeshPuts) * int64(recordSize(top))
	res.Copies = float64(res.SettledBytes) / float64(res.RecordBytes)
	return res, nil
}

func noLag(db *node.DB) (bool, error) {
	st, err := db.Status()
	for _, p := range st.Peers {
		if !p.Connected || p.Lag > 0 {
			return false, err
		}
	}
	return true, err
}

// meshSent is the frame bytes all nodes have sent, over all sessions.
func meshSent(dbs []*node.DB) (uint64, error) {
	var sum uint64
	for _, db := range dbs {
		t, err := trafficOf(db)
		if err != nil {
			return 0, err
		}
		sum += t.sent
	}
	return sum, nil
}
