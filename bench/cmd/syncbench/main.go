package main

import (
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/shoal-db/shoal/bench"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "syncbench:", err)
		os.Exit(1)
	}
}

// flags are the command line; zero values keep the preset's.
type flags struct {
	quick                      bool
	dir, only, jsonOut, cpu    string
	keys, changes              string
	rate, writers, batch       int
	bootstrap, nodes, puts, mw int
	phones, wave               int
	raw                        int64
	duration, timeout          time.Duration
}

func parse() flags {
	var f flags
	flag.BoolVar(&f.quick, "quick", false, "tiny sizes: a seconds-long smoke test")
	flag.StringVar(&f.dir, "dir", "", "directory for the nodes (default: the system temp dir)")
	flag.StringVar(&f.only, "only", "", "run only the parts whose name contains this: "+strings.Join(bench.Parts, ", "))
	flag.StringVar(&f.jsonOut, "json", "", "also write the results as JSON to this file")
	flag.StringVar(&f.cpu, "cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.IntVar(&f.rate, "rate", 0, "latency: puts/s on A (default 200)")
	flag.DurationVar(&f.duration, "duration", 0, "latency: how long A puts (default 10s, 2s with -quick)")
	flag.IntVar(&f.writers, "writers", 0, "latency: goroutines putting on A (default 4)")
	flag.StringVar(&f.keys, "keys", "", "catch-up: data set sizes n, comma-separated (default 100000,1000000)")
	flag.StringVar(&f.changes, "changes", "", "catch-up: keys changed per round d, comma-separated (default 10,1000,100000)")
	flag.IntVar(&f.batch, "batch", 0, "puts per batch when loading (default 5000)")
	flag.IntVar(&f.bootstrap, "bootstrap", 0, "bootstrap: keys on A (default 1000000, 20000 with -quick)")
	flag.Int64Var(&f.raw, "raw", 0, "bootstrap: bytes sent by the raw QUIC baseline (default 256 MiB)")
	flag.IntVar(&f.nodes, "nodes", 0, "mesh: nodes (default 8)")
	flag.IntVar(&f.puts, "puts", 0, "mesh: puts on each node (default 1000)")
	flag.IntVar(&f.mw, "mesh-writers", 0, "mesh: goroutines putting on each node (default 4)")
	flag.IntVar(&f.phones, "phones", 0, "phones: phones visiting the hub (default 10000, 200 with -quick)")
	flag.IntVar(&f.wave, "wave", 0, "phones: phones open at once, at most 1024 (default 100)")
	flag.DurationVar(&f.timeout, "timeout", 0, "fail a wait for replication after this long (default 5m)")
	flag.Parse()
	return f
}

func run() error {
	f := parse()
	cfg, err := f.config()
	if err != nil {
		return err
	}
	if f.cpu != "" {
		stop, err := startProfile(f.cpu)
		if err != nil {
			return err
		}
		defer stop()
	}
	report, err := bench.RunSync(cfg, os.Stderr)
	report.Command = strings.Join(append([]string{"syncbench"}, os.Args[1:]...), " ")
	// Print what was measured even if a later part failed.
	if werr := bench.WriteSyncTable(os.Stdout, report); werr != nil {
		return werr
	}
	if err != nil {
		return err
	}
	if f.jsonOut != "" {
		return bench.WriteSyncJSON(f.jsonOut, report)
	}
	return nil
}

// config applies the flags to the preset.
func (f flags) config() (bench.SyncConfig, error) {
	cfg := bench.DefaultSyncConfig()
	if f.quick {
		cfg = bench.QuickSyncConfig()
	}
	cfg.Dir, cfg.Only = f.dir, f.only
	override(&cfg.LatencyRate, f.rate)
	override(&cfg.LatencyDuration, f.duration)
	override(&cfg.LatencyWriters, f.writers)
	override(&cfg.LoadBatch, f.batch)
	override(&cfg.BootstrapKeys, f.bootstrap)
	override(&cfg.RawBytes, f.raw)
	override(&cfg.MeshNodes, f.nodes)
	override(&cfg.MeshPuts, f.puts)
	override(&cfg.MeshWriters, f.mw)
	override(&cfg.Phones, f.phones)
	override(&cfg.PhoneWave, f.wave)
	override(&cfg.Timeout, f.timeout)
	var err error
	if f.keys != "" {
		cfg.CatchUpKeys, err = intList(f.keys)
	}
	if f.changes != "" && err == nil {
		cfg.CatchUpChanges, err = intList(f.changes)
	}
	return cfg, err
}

// override sets *dst to v unless v is the flag's zero (unset) value.
func override[T comparable](dst *T, v T) {
	var zero T
	if v != zero {
		*dst = v
	}
}

func intList(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("%q: want positive integers separated by commas", s)
		}
		out = append(out, n)
	}
	return out, nil
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
