package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/shoal-db/shoal/node"
)

// HTTPResult is one phase (put or get) at one concurrency, on both sides.
type HTTPResult struct {
	Op       string `json:"op"`
	Clients  int    `json:"clients"`
	HTTP     Side   `json:"http"`
	Embedded Side   `json:"embedded"`
	// Ratio is HTTP's ops/s over the embedded API's: 1 means the HTTP
	// layer (server, client, loopback, a separate process) costs nothing.
	Ratio float64 `json:"ratio"`
}

// RunHTTP builds shoal (unless cfg.Shoal names a binary), loads the same
// keys into two fresh data directories, runs one agent on the first and
// opens the second in this process, then measures puts and gets at each
// concurrency of cfg.Clients on both. It stops at the first error,
// returning the results so far.
func RunHTTP(cfg HTTPConfig, progress io.Writer) (results []HTTPResult, err error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if progress == nil {
		progress = io.Discard
	}
	tmp, err := os.MkdirTemp(cfg.Dir, "shoal-httpbench-*")
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, os.RemoveAll(tmp)) }()
	bin := cfg.Shoal
	if bin == "" {
		if bin, err = buildShoal(tmp); err != nil {
			return nil, err
		}
	}
	emb, agent, err := startSides(bin, tmp, cfg.Keys)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, agent.stop(), emb.Close()) }()
	base := 0 // each level's workers write keys numbered after the last level's
	for _, clients := range cfg.Clients {
		rs, err := measureLevel(cfg, clients, base, agent.url, embeddedSide{emb})
		for _, r := range rs {
			fmt.Fprintf(progress, "%-4s %3d clients  http %8.0f ops/s  embedded %8.0f ops/s  ratio %.3f\n",
				r.Op, r.Clients, r.HTTP.OpsPerSec, r.Embedded.OpsPerSec, r.Ratio)
		}
		if results = append(results, rs...); err != nil {
			return results, fmt.Errorf("bench: %d clients: %w", clients, err)
		}
		base += clients
	}
	return results, nil
}

// startSides loads keys into two directories under tmp, then opens one
// in this process and starts an agent on the other. Loading through the
// embedded API in batches, then flushing, gives both sides the same data
// in tables, and quickly: loading by HTTP would take longer than the run.
func startSides(bin, tmp string, keys int) (*node.DB, *agentProcess, error) {
	agentDir, embDir := filepath.Join(tmp, "agent"), filepath.Join(tmp, "embedded")
	db, err := openLoaded(agentDir, keys)
	if err == nil {
		err = db.Close() // the agent opens it next
	}
	if err != nil {
		return nil, nil, err
	}
	if db, err = openLoaded(embDir, keys); err != nil {
		return nil, nil, err
	}
	agent, err := startShoalAgent(bin, agentDir)
	if err != nil {
		return nil, nil, errors.Join(err, db.Close())
	}
	return db, agent, nil
}

// openLoaded opens a node on dir as the agent does (default options, no
// peers) and loads keys registers into it.
func openLoaded(dir string, keys int) (*node.DB, error) {
	db, err := node.Open(dir, &node.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, err
	}
	err = putRange(context.Background(), db, 'g', 0, keys, 1000, valueOf)
	if err == nil {
		err = db.Flush()
	}
	if err != nil {
		return nil, errors.Join(err, db.Close())
	}
	return db, nil
}

// measureLevel runs the put phase, then the get phase, with clients
// workers on each side, the sides alternating in rounds; then reads back
// what each side put.
func measureLevel(cfg HTTPConfig, clients, base int, url string, emb kvSide) ([]HTTPResult, error) {
	hs := newHTTPSide(url, clients)
	defer hs.close()
	phases := []struct {
		op            string
		httpOp, embOp opFunc
		verify        func(s kvSide, m *meter) (int, error)
	}{
		{"put", putOp(hs, base), putOp(emb, base), func(s kvSide, m *meter) (int, error) { return verifyPuts(s, m, base) }},
		{"get", getOp(hs, cfg.Keys, clients), getOp(emb, cfg.Keys, clients), func(s kvSide, _ *meter) (int, error) { return verifyLoaded(s, cfg.Keys) }},
	}
	var out []HTTPResult
	for _, p := range phases {
		h := &contender{name: "http", m: newMeter(clients, p.httpOp)}
		e := &contender{name: "embedded", m: newMeter(clients, p.embOp)}
		if err := alternate(cfg.rounds(), h, e); err != nil {
			return out, fmt.Errorf("%s: %w", p.op, err)
		}
		r := HTTPResult{Op: p.op, Clients: clients, HTTP: h.m.side(), Embedded: e.m.side()}
		r.Ratio = r.HTTP.OpsPerSec / r.Embedded.OpsPerSec
		var err error
		if r.HTTP.Verified, err = p.verify(hs, h.m); err != nil {
			return out, fmt.Errorf("%s: http side: %w", p.op, err)
		}
		if r.Embedded.Verified, err = p.verify(emb, e.m); err != nil {
			return out, fmt.Errorf("%s: embedded side: %w", p.op, err)
		}
		out = append(out, r)
	}
	return out, nil
}
