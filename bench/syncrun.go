package bench

import (
	"fmt"
	"io"
	"slices"
	"time"
)

// SyncReport is a whole replication run: where, how it was sized, and
// the results of the parts that ran (nil or empty for the others).
type SyncReport struct {
	Env           Env              `json:"env"`
	Config        SyncConfig       `json:"config"`
	Command       string           `json:"command"`
	Latency       *LatencyResult   `json:"latency,omitempty"`
	CatchUp       []CatchUpResult  `json:"catchup,omitempty"`
	CatchUpSetups []CatchUpSetup   `json:"catchup_setups,omitempty"`
	Bootstrap     *BootstrapResult `json:"bootstrap,omitempty"`
	Overwrites    *BootstrapResult `json:"bootstrap_overwrites,omitempty"`
	Mesh          *MeshResult      `json:"mesh,omitempty"`
	Phones        *PhonesResult    `json:"phones,omitempty"`
	Seconds       float64          `json:"seconds"`
}

// RunSync runs the parts cfg selects, in order, reporting progress to
// progress (which may be nil). It stops at the first error and returns
// what it measured so far.
func RunSync(cfg SyncConfig, progress io.Writer) (SyncReport, error) {
	r := SyncReport{Env: CurrentEnv(Config{Dir: cfg.dir()}), Config: cfg}
	if progress == nil {
		progress = io.Discard
	}
	if err := cfg.check(); err != nil {
		return r, err
	}
	start := time.Now()
	err := r.run(cfg, progress)
	r.Seconds = time.Since(start).Seconds()
	return r, err
}

func (r *SyncReport) run(cfg SyncConfig, progress io.Writer) error {
	if cfg.runs("latency") {
		fmt.Fprintln(progress, "latency: A puts, B watches")
		res, err := runLatency(cfg)
		if r.Latency = &res; err != nil {
			return fmt.Errorf("latency: %w", err)
		}
	}
	// The bootstrap reuses the catch-up's A when it is of the right size:
	// loading 1M keys is most of the run's time.
	reuse := cfg.runs("catchup") && cfg.runs("bootstrap") && slices.Contains(cfg.CatchUpKeys, cfg.BootstrapKeys)
	if cfg.runs("catchup") {
		fmt.Fprintln(progress, "catch-up: loading, then B down, A changes, B back")
		var err error
		r.CatchUp, r.CatchUpSetups, err = runCatchUp(cfg, progress, r.bootstrapHook(cfg, reuse, progress))
		if err != nil {
			return err
		}
	}
	if cfg.runs("bootstrap") && !reuse {
		fmt.Fprintln(progress, "bootstrap: loading A, then C joins")
		res, err := runBootstrap(cfg)
		if r.Bootstrap = &res; err != nil {
			return fmt.Errorf("bootstrap: %w", err)
		}
	}
	if cfg.runs("bootstrap-overwrites") {
		fmt.Fprintln(progress, "bootstrap-overwrites: loading A with every key written twice, then C joins")
		res, err := runBootstrapOverwrites(cfg, progress)
		if r.Overwrites = &res; err != nil {
			return fmt.Errorf("bootstrap-overwrites: %w", err)
		}
	}
	if cfg.runs("mesh") {
		fmt.Fprintln(progress, "mesh: a burst on every node")
		res, err := runMesh(cfg)
		if r.Mesh = &res; err != nil {
			return fmt.Errorf("mesh: %w", err)
		}
	}
	if cfg.runs("phones") {
		fmt.Fprintf(progress, "phones: %d phones visit one hub, %d at a time\n", cfg.Phones, cfg.PhoneWave)
		res, err := runPhones(cfg, progress)
		if r.Phones = &res; err != nil {
			return fmt.Errorf("phones: %w", err)
		}
	}
	return nil
}

// bootstrapHook returns what runCatchUp does with each loaded pair: the
// bootstrap, from the pair's A, if reuse is on and the size is right.
func (r *SyncReport) bootstrapHook(cfg SyncConfig, reuse bool, progress io.Writer) func(*pair) error {
	if !reuse {
		return nil
	}
	return func(p *pair) error {
		if p.keys != cfg.BootstrapKeys {
			return nil
		}
		fmt.Fprintf(progress, "bootstrap: C joins the catch-up's A (%d keys)\n", p.keys)
		res, err := bootstrapFrom(cfg, p.c, p.a, p.keys, p.value)
		res.ReusedCatchUp = true
		r.Bootstrap = &res
		if err != nil {
			return fmt.Errorf("bootstrap: %w", err)
		}
		return nil
	}
}
