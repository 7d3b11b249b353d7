package main

import (
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
		only     = flag.String("only", "", "run only the workloads whose name contains this")
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
	if *cpuprof != "" {
		stop, err := startProfile(*cpuprof)
		if err != nil {
			return err
		}
		defer stop()
	}
	return measure(cfg, *jsonOut)
}

// override sets *dst to v unless v is the flag's zero (unset) value.
func override[T comparable](dst *T, v T) {
	var zero T
	if v != zero {
		*dst = v
	}
}

func measure(cfg bench.Config, jsonPath string) error {
	env := bench.CurrentEnv(cfg)
	start := time.Now()
	results, err := bench.Run(cfg, os.Stderr)
	report := bench.Report{Env: env, Config: cfg, Results: results}
	// Print what was measured even if a later workload failed.
	if werr := bench.WriteTable(os.Stdout, report); werr != nil {
		return werr
	}
	fmt.Printf("total time %v\n", time.Since(start).Round(time.Second))
	if err != nil {
		return err
	}
	if jsonPath != "" {
		return bench.WriteJSON(jsonPath, report)
	}
	return nil
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
