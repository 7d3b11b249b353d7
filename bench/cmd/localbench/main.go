package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"time"

	"github.com/shoal-db/shoal/bench"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "localbench:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		quick    = flag.Bool("quick", false, "tiny sizes and 300ms phases: a smoke test")
		dir      = flag.String("dir", "", "directory for the stores (default: the system temp dir); must be on the disk to measure")
		duration = flag.Duration("duration", 0, "length of each measured phase, per side (default 5s, 300ms with -quick)")
		keys     = flag.Int("keys", 0, "keys loaded before the get phase (default 1000000, 20000 with -quick)")
		writers  = flag.Int("writers", 0, "goroutines in the concurrent write workloads (default 8)")
		only     = flag.String("only", "", "run only the workloads whose name contains this (markers: only the remove-marker comparison)")
		markers  = flag.Int("markers", 0, "removed members behind which the markers workloads write (default 100000, 10000 with -quick)")
		jsonOut  = flag.String("json", "", "also write the results as JSON to this file")
		cpuprof  = flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	)
	flag.Parse()
	cfg := bench.DefaultConfig()
	if *quick {
		cfg = bench.QuickConfig()
	}
	cfg.Dir, cfg.Only = *dir, *only
	override(&cfg.Duration, *duration)
	override(&cfg.GetKeys, *keys)
	override(&cfg.Writers, *writers)
	nMarkers := bench.DefaultMarkers
	if *quick {
		nMarkers = 10_000
	}
	override(&nMarkers, *markers)
	if *cpuprof != "" {
		stop, err := startProfile(*cpuprof)
		if err != nil {
			return err
		}
		defer stop()
	}
	return measure(cfg, nMarkers, *jsonOut)
}

// override sets *dst to v unless v is the flag's zero (unset) value.
func override[T comparable](dst *T, v T) {
	var zero T
	if v != zero {
		*dst = v
	}
}

// report is the JSON output: the Shoal-vs-Pebble report and the markers
// comparison beside it.
type report struct {
	bench.Report
	Markers []bench.MarkersResult `json:"markers,omitempty"`
}

func measure(cfg bench.Config, markers int, jsonPath string) error {
	env := bench.CurrentEnv(cfg)
	start := time.Now()
	results, err := bench.Run(cfg, os.Stderr)
	var mresults []bench.MarkersResult
	if err == nil {
		mresults, err = bench.RunMarkers(cfg, markers, os.Stderr)
	}
	r := report{Report: bench.Report{Env: env, Config: cfg, Results: results}, Markers: mresults}
	// Print what was measured even if a later workload failed.
	if len(results) > 0 || len(mresults) == 0 {
		if werr := bench.WriteTable(os.Stdout, r.Report); werr != nil {
			return werr
		}
	}
	if werr := bench.WriteMarkersTable(os.Stdout, cfg, mresults); werr != nil {
		return werr
	}
	fmt.Printf("total time %v\n", time.Since(start).Round(time.Second))
	if err != nil {
		return err
	}
	if jsonPath != "" {
		return writeJSON(jsonPath, r)
	}
	return nil
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

func startProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
