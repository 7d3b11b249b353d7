package bench

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLocalbenchQuick runs every workload end to end with tiny sizes, as
// localbench -quick does, and checks the figures are usable and that the
// Shoal side read back what it wrote.
func TestLocalbenchQuick(t *testing.T) {
	cfg := QuickConfig()
	cfg.Dir = t.TempDir()
	cfg.Duration = 100 * time.Millisecond
	cfg.GetKeys = 2000
	results, err := Run(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != len(workloads()) {
		t.Fatalf("got %d results, want %d", len(results), len(workloads()))
	}
	for _, r := range results {
		if r.Ratio <= 0 || math.IsInf(r.Ratio, 0) || math.IsNaN(r.Ratio) {
			t.Errorf("%s: ratio %v is not a positive finite number", r.Workload, r.Ratio)
		}
		if r.Shoal.Ops == 0 || r.Pebble.Ops == 0 || r.Shoal.P99 < r.Shoal.P50 {
			t.Errorf("%s: implausible figures: shoal %+v, pebble %+v", r.Workload, r.Shoal, r.Pebble)
		}
		if r.Shoal.Verified == 0 {
			t.Errorf("%s: nothing was read back from Shoal", r.Workload)
		}
	}
	if left, _ := os.ReadDir(cfg.Dir); len(left) != 0 {
		t.Errorf("temp dirs left behind: %v", left)
	}
	checkOutputs(t, Report{Env: CurrentEnv(cfg), Config: cfg, Results: results})
}

func checkOutputs(t *testing.T, r Report) {
	var buf bytes.Buffer
	if err := WriteTable(&buf, r); err != nil {
		t.Fatal(err)
	}
	for _, wl := range workloads() {
		if !strings.Contains(buf.String(), wl.name) {
			t.Errorf("table lacks %s:\n%s", wl.name, buf.String())
		}
	}
	if err := WriteJSON(filepath.Join(t.TempDir(), "out.json"), r); err != nil {
		t.Fatal(err)
	}
}

// TestShoalPutsSurviveReopen checks the durability the benchmark relies
// on: puts acknowledged by Shoal are there after the store is reopened.
func TestShoalPutsSurviveReopen(t *testing.T) {
	dir, cfg := t.TempDir(), DefaultConfig()
	db, err := openShoal(dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	p, err := shoalPuts(db, cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i := range uint64(10) {
		if err := p.op(0, i); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if db, err = openShoal(dir, cfg); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := checkRegisters(db, 'p', []uint64{opNumber(0, 0), opNumber(0, 9)}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Get(context.Background(), string(keyOf('p', opNumber(0, 10)))); err == nil {
		t.Fatal("a key never written was found")
	}
}

func TestHistogramQuantiles(t *testing.T) {
	var h histogram
	for v := 1; v <= 1000; v++ {
		h.record(time.Duration(v) * time.Microsecond)
	}
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 500 * time.Microsecond}, {0.99, 990 * time.Microsecond}} {
		got := h.quantile(tc.q)
		if d := math.Abs(float64(got-tc.want)) / float64(tc.want); d > 0.04 {
			t.Errorf("quantile(%v) = %v, want %v within 4%%", tc.q, got, tc.want)
		}
	}
}

func TestBucketBounds(t *testing.T) {
	for _, v := range []uint64{0, 1, 15, 16, 17, 31, 32, 1000, 123456789, math.MaxUint64} {
		lo, hi := bucketBounds(bucketOf(v))
		if v < lo || v > hi {
			t.Errorf("%d falls in bucket [%d, %d]", v, lo, hi)
		}
	}
	if got := bucketOf(math.MaxUint64); got != numBuckets-1 {
		t.Errorf("the largest value is in bucket %d, want the last, %d", got, numBuckets-1)
	}
}

func TestKeyOf(t *testing.T) {
	for _, n := range []uint64{0, 7, opNumber(7, 123456)} {
		if k := keyOf('p', n); len(k) != keySize {
			t.Errorf("keyOf(%d) = %q: %d bytes, want %d", n, k, len(k), keySize)
		}
	}
	if !bytes.Equal(valueOf(3), valueOf(3)) || bytes.Equal(valueOf(3), valueOf(4)) {
		t.Error("valueOf is not a function of n alone")
	}
}
