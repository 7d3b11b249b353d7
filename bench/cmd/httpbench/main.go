package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/shoal-db/shoal/bench"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "httpbench:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		quick    = flag.Bool("quick", false, "tiny sizes and 300ms phases: a smoke test")
		dir      = flag.String("dir", "", "directory for the data (default: the system temp dir); must be on the disk to measure")
		duration = flag.Duration("duration", 0, "length of each measured phase, per side (default 5s, 300ms with -quick)")
		keys     = flag.Int("keys", 0, "keys loaded before the runs, read by the get phases (default 100000, 5000 with -quick)")
		clients  = flag.String("clients", "", "comma-separated concurrency levels (default 8,32)")
		shoal    = flag.String("shoal", "", "a built shoal binary to run (default: build ./cmd/shoal)")
		jsonOut  = flag.String("json", "", "also write the results as JSON to this file")
	)
	flag.Parse()
	cfg := bench.DefaultHTTPConfig()
	if *quick {
		cfg = bench.QuickHTTPConfig()
	}
	cfg.Dir, cfg.Shoal = *dir, *shoal
	if *duration > 0 {
		cfg.Duration = *duration
	}
	if *keys > 0 {
		cfg.Keys = *keys
	}
	if *clients != "" {
		levels, err := parseLevels(*clients)
		if err != nil {
			return err
		}
		cfg.Clients = levels
	}
	return measure(cfg, *jsonOut)
}

func parseLevels(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-clients %q: want positive integers separated by commas", s)
		}
		out = append(out, n)
	}
	return out, nil
}

func measure(cfg bench.HTTPConfig, jsonPath string) error {
	env := bench.CurrentEnv(bench.Config{Dir: cfg.Dir})
	start := time.Now()
	results, err := bench.RunHTTP(cfg, os.Stderr)
	report := bench.HTTPReport{Env: env, Config: cfg, Results: results}
	// Print what was measured even if a later phase failed.
	if werr := bench.WriteHTTPTable(os.Stdout, report); werr != nil {
		return werr
	}
	fmt.Printf("total time %v\n", time.Since(start).Round(time.Second))
	if err != nil {
		return err
	}
	if jsonPath != "" {
		return bench.WriteHTTPJSON(jsonPath, report)
	}
	return nil
}
