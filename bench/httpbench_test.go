package bench

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

// TestHTTPBenchQuick runs httpbench -quick's configuration end to end and
// checks the figures are sane: every phase ran on both sides, read back
// what it wrote, and the HTTP gets were slower than in-process ones.
func TestHTTPBenchQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the shoal binary")
	}
	cfg := QuickHTTPConfig()
	cfg.Dir = t.TempDir()
	bin, err := buildShoal(t.TempDir()) // built outside the timing: a cold build is slow
	if err != nil {
		t.Fatal(err)
	}
	cfg.Shoal = bin
	start := time.Now()
	results, err := RunHTTP(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The race detector slows this process (the clients and the embedded
	// side) several times over, but not the agent: neither the time nor
	// the ratios mean anything then.
	race := builtWithRace()
	if took := time.Since(start); took > 15*time.Second && !race {
		t.Errorf("the quick run took %v, want under 15s", took)
	}
	if len(results) != 2*len(cfg.Clients) {
		t.Fatalf("%d results, want put and get for each of %v", len(results), cfg.Clients)
	}
	for _, r := range results {
		checkHTTPResult(t, cfg, r, race)
	}
	if left, _ := os.ReadDir(cfg.Dir); len(left) != 0 {
		t.Errorf("left behind in the data dir: %v", left)
	}
	checkHTTPOutputs(t, HTTPReport{Env: CurrentEnv(Config{Dir: cfg.Dir}), Config: cfg, Results: results})
}

func checkHTTPResult(t *testing.T, cfg HTTPConfig, r HTTPResult, race bool) {
	t.Helper()
	name := fmt.Sprintf("%s, %d clients", r.Op, r.Clients)
	if r.Ratio <= 0 || math.IsInf(r.Ratio, 0) || math.IsNaN(r.Ratio) {
		t.Errorf("%s: ratio %v is not a positive finite number", name, r.Ratio)
	}
	for side, s := range map[string]Side{"http": r.HTTP, "embedded": r.Embedded} {
		if s.Ops == 0 || s.P50 <= 0 || s.P99 < s.P50 || s.Seconds < cfg.Duration.Seconds() {
			t.Errorf("%s, %s: implausible figures %+v", name, side, s)
		}
		if s.Verified < 3 {
			t.Errorf("%s, %s: read back %d keys", name, side, s.Verified)
		}
	}
	if r.Op == "get" && r.Ratio >= 1 && !race {
		t.Errorf("%s: HTTP gets as fast as in-process ones (ratio %.3f): is the embedded side measuring anything?", name, r.Ratio)
	}
}

func checkHTTPOutputs(t *testing.T, r HTTPReport) {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteHTTPTable(&buf, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{r.Env.GOOS + "/" + r.Env.GOARCH, r.Env.GoVersion, "http ops/s", "embedded p99"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, buf.String())
		}
	}
	for _, res := range r.Results {
		if row := fmt.Sprintf("%s %d clients: ops http %d,", res.Op, res.Clients, res.HTTP.Ops); !strings.Contains(buf.String(), row) {
			t.Errorf("table lacks %q:\n%s", row, buf.String())
		}
	}
	if err := WriteHTTPJSON(filepath.Join(t.TempDir(), "out.json"), r); err != nil {
		t.Fatal(err)
	}
}

// builtWithRace reports whether this test binary was built with -race.
func builtWithRace() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}
