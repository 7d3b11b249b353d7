package bench

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// HTTPReport is a whole HTTP run: where, how it was sized, the results.
type HTTPReport struct {
	Env     Env          `json:"env"`
	Config  HTTPConfig   `json:"config"`
	Results []HTTPResult `json:"results"`
}

// WriteHTTPTable prints the report: a header saying where and how it ran,
// one row per phase and concurrency, then what each op is.
func WriteHTTPTable(w io.Writer, r HTTPReport) error {
	e, c := r.Env, r.Config
	fmt.Fprintf(w, "Shoal HTTP API vs embedded node API  %s/%s  %d CPUs  %s  %s\n", e.GOOS, e.GOARCH, e.NumCPU, e.GoVersion, e.Date.Format(time.DateTime+" MST"))
	fmt.Fprintf(w, "http: one `shoal agent` process on 127.0.0.1, local-only, default options; its clients in this process, one keep-alive HTTP/1.1 connection each\n")
	fmt.Fprintf(w, "embedded: node.Open in this process, default options, as many goroutines as clients\n")
	fmt.Fprintf(w, "dir %s; %d keys loaded and flushed on each side first; each side measured %v per row in %d rounds alternating with the other; every put synced (fsync) before it is answered\n",
		e.Dir, c.Keys, c.Duration, c.Rounds)
	fmt.Fprintf(w, "ratio = http ops/s / embedded ops/s; latencies per op, as the client sees them\n\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "op\tclients\thttp ops/s\tembedded ops/s\tratio\thttp p50\thttp p99\tembedded p50\tembedded p99\t")
	for _, res := range r.Results {
		h, m := res.HTTP, res.Embedded
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%.0f\t%.3f\t%s\t%s\t%s\t%s\t\n", res.Op, res.Clients,
			h.OpsPerSec, m.OpsPerSec, res.Ratio, latency(h.P50), latency(h.P99), latency(m.P50), latency(m.P99))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nput: PUT /v1/kv/{key} (204) vs db.Put; a fresh 16-byte key each op, 100-byte value\n")
	fmt.Fprintf(w, "get: GET /v1/kv/{key} (200, the value's bytes) vs db.Get; a random one of the %d loaded keys\n", c.Keys)
	fmt.Fprintf(w, "afterwards, each side read back and compared: the first, middle and last key of each put worker; three loaded keys after gets\n")
	for _, res := range r.Results {
		fmt.Fprintf(w, "  %s %d clients: ops http %d, embedded %d; read back http %d, embedded %d\n",
			res.Op, res.Clients, res.HTTP.Ops, res.Embedded.Ops, res.HTTP.Verified, res.Embedded.Verified)
	}
	return nil
}

// WriteHTTPJSON writes the report to the file path, indented.
func WriteHTTPJSON(path string, r HTTPReport) error { return writeJSON(path, r) }
