package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"
)

// Report is a whole run: where, how it was sized, and the results.
type Report struct {
	Env     Env      `json:"env"`
	Config  Config   `json:"config"`
	Results []Result `json:"results"`
}

// WriteTable prints the report as a table, followed by what each op is on
// each side and what was loaded and read back.
func WriteTable(w io.Writer, r Report) error {
	e := r.Env
	fmt.Fprintf(w, "Shoal vs raw Pebble  %s/%s  %d CPUs  %s  %s\n", e.GOOS, e.GOARCH, e.NumCPU, e.GoVersion, e.Date.Format(time.DateTime+" MST"))
	fmt.Fprintf(w, "dir %s; each side measured %v in %d rounds alternating with the other; every write synced (fsync)\n", e.Dir, r.Config.Duration, r.Config.Rounds)
	fmt.Fprintf(w, "ratio = shoal ops/s / pebble ops/s; latencies per op\n\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "workload\tworkers\tshoal ops/s\tpebble ops/s\tratio\tshoal p50\tshoal p99\tpebble p50\tpebble p99\t")
	for _, res := range r.Results {
		s, p := res.Shoal, res.Pebble
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%.0f\t%.3f\t%s\t%s\t%s\t%s\t\n", res.Workload, res.Workers,
			s.OpsPerSec, p.OpsPerSec, res.Ratio, latency(s.P50), latency(s.P99), latency(p.P50), latency(p.P99))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	for _, res := range r.Results {
		writeNotes(w, r.Config, res)
	}
	return nil
}

func writeNotes(w io.Writer, cfg Config, res Result) {
	fmt.Fprintf(w, "%s:\n  shoal:  %s\n  pebble: %s\n", res.Workload, res.ShoalOp, res.PebbleOp)
	if res.Shoal.Load > 0 || res.Pebble.Load > 0 {
		fmt.Fprintf(w, "  load %d keys: shoal %v (synced batches of %d puts), pebble %v (unsynced batches, then Flush)\n",
			cfg.GetKeys, res.Shoal.Load.Round(time.Millisecond), cfg.LoadBatch, res.Pebble.Load.Round(time.Millisecond))
	}
	fmt.Fprintf(w, "  ops: shoal %d, pebble %d; afterwards, shoal: %d %s\n", res.Shoal.Ops, res.Pebble.Ops, res.Shoal.Verified, res.Checked)
}

// latency prints d with three significant figures in a readable unit.
func latency(d time.Duration) string {
	switch {
	case d >= time.Millisecond:
		return fmt.Sprintf("%.2fms", float64(d)/1e6)
	case d >= time.Microsecond:
		return fmt.Sprintf("%.1fµs", float64(d)/1e3)
	}
	return fmt.Sprintf("%dns", d)
}

// WriteJSON writes the report to the file path, indented.
func WriteJSON(path string, r Report) error { return writeJSON(path, r) }

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
