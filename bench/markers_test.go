package bench

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"
)

// TestMarkersQuick runs the markers comparison end to end with tiny sizes
// and checks that both keys were measured and read back, and printed.
func TestMarkersQuick(t *testing.T) {
	cfg := QuickConfig()
	cfg.Dir = t.TempDir()
	cfg.Duration = 100 * time.Millisecond
	cfg.LoadBatch = 100
	results, err := RunMarkers(cfg, 250, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != len(markersWorkloads()) {
		t.Fatalf("got %d results, want %d", len(results), len(markersWorkloads()))
	}
	for _, r := range results {
		if r.Fresh.Ops == 0 || r.Marked.Ops == 0 || r.Ratio <= 0 || r.Markers != 250 || r.Marked.Load == 0 {
			t.Errorf("%s: implausible figures %+v", r.Workload, r)
		}
		if r.Fresh.Verified == 0 || r.Marked.Verified == 0 {
			t.Errorf("%s: nothing read back: %+v", r.Workload, r)
		}
	}
	if left, _ := os.ReadDir(cfg.Dir); len(left) != 0 {
		t.Errorf("temp dirs left behind: %v", left)
	}
	var buf bytes.Buffer
	if err := WriteMarkersTable(&buf, cfg, results); err != nil {
		t.Fatal(err)
	}
	for _, wl := range markersWorkloads() {
		if !strings.Contains(buf.String(), wl.name) {
			t.Errorf("table lacks %s:\n%s", wl.name, buf.String())
		}
	}
	cfg.Only = "put"
	if rs, err := RunMarkers(cfg, 250, nil); err != nil || len(rs) != 0 {
		t.Errorf("RunMarkers with -only put = %v, %v; want nothing run", rs, err)
	}
}
