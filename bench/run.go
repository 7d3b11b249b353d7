package bench

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// Result is one workload measured on both sides.
type Result struct {
	Workload string `json:"workload"`
	Workers  int    `json:"workers"`
	ShoalOp  string `json:"shoal_op"`
	PebbleOp string `json:"pebble_op"`
	// Checked says what Shoal.Verified counts.
	Checked string `json:"checked"`
	Shoal   Side   `json:"shoal"`
	Pebble  Side   `json:"pebble"`
	// Ratio is Shoal's ops/s over Pebble's: 1 means no overhead.
	Ratio float64 `json:"ratio"`
}

// Run measures every workload whose name contains cfg.Only. It reports
// progress to progress (which may be nil) and stops at the first error,
// returning the results so far.
func Run(cfg Config, progress io.Writer) ([]Result, error) {
	cfg = cfg.withDefaults()
	if progress == nil {
		progress = io.Discard
	}
	var out []Result
	for _, wl := range workloads() {
		if !strings.Contains(wl.name, cfg.Only) {
			continue
		}
		r, err := runWorkload(cfg, wl)
		if err != nil {
			return out, fmt.Errorf("bench: %s: %w", wl.name, err)
		}
		fmt.Fprintf(progress, "%-14s shoal %9.0f ops/s  pebble %9.0f ops/s  ratio %.3f\n",
			wl.name, r.Shoal.OpsPerSec, r.Pebble.OpsPerSec, r.Ratio)
		out = append(out, r)
	}
	return out, nil
}

// runWorkload sets up both sides, each in a fresh directory (Pebble
// first, so that its load does not run under Shoal's), then measures them
// in alternating rounds, then reads back what Shoal stored.
func runWorkload(cfg Config, wl workload) (r Result, err error) {
	r = Result{Workload: wl.name, Workers: wl.workers(cfg),
		ShoalOp: wl.describe(wl.shoalOp, cfg), PebbleOp: wl.describe(wl.pebbleOp, cfg),
		Checked: wl.checked}
	peb, err := start(cfg, "pebble", r.Workers, pebbleOpener(cfg, wl))
	if err != nil {
		return r, err
	}
	defer func() { err = errors.Join(err, peb.finish()) }()
	sh, err := start(cfg, "shoal", r.Workers, shoalOpener(cfg, wl))
	if err != nil {
		return r, err
	}
	defer func() { err = errors.Join(err, sh.finish()) }()
	if err := alternate(cfg, peb, sh); err != nil {
		return r, err
	}
	r.Pebble, r.Shoal = peb.result(), sh.result()
	r.Ratio = r.Shoal.OpsPerSec / r.Pebble.OpsPerSec
	if sh.p.verify != nil {
		if r.Shoal.Verified, err = sh.p.verify(); err != nil {
			return r, fmt.Errorf("shoal: read back after the phase: %w", err)
		}
	}
	return r, nil
}

// alternate gives each side cfg.Duration in cfg.Rounds rounds, swapping
// which goes first every round so that neither always follows the other.
func alternate(cfg Config, a, b *contender) error {
	slice := cfg.Duration / time.Duration(cfg.Rounds)
	for round := range cfg.Rounds {
		first, second := a, b
		if round%2 == 1 {
			first, second = b, a
		}
		if err := first.m.round(slice); err != nil {
			return fmt.Errorf("%s: %w", first.name, err)
		}
		if err := second.m.round(slice); err != nil {
			return fmt.Errorf("%s: %w", second.name, err)
		}
	}
	return nil
}

// contender is one side of a workload: its store, open in its own
// temporary directory, and the phase set up on it.
type contender struct {
	name  string
	dir   string
	p     phase
	m     *meter
	close func() error
}

// opener opens a store in dir and sets up its phase for workers workers.
type opener func(dir string, workers int) (phase, func() error, error)

func start(cfg Config, name string, workers int, open opener) (*contender, error) {
	dir, err := os.MkdirTemp(cfg.Dir, "shoal-bench-"+name+"-*")
	if err != nil {
		return nil, err
	}
	p, closeFn, err := open(dir, workers)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("%s: %w", name, err), os.RemoveAll(dir))
	}
	return &contender{name: name, dir: dir, p: p, m: newMeter(workers, p.op), close: closeFn}, nil
}

func (c *contender) result() Side {
	s := c.m.side()
	s.Load = c.p.load
	return s
}

// finish closes the store and removes its directory.
func (c *contender) finish() error {
	return errors.Join(c.close(), os.RemoveAll(c.dir))
}
