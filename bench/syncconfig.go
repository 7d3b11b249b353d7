package bench

import (
	"fmt"
	"os"
	"strings"
	"time"
)

// SyncConfig sizes a replication run (RunSync). DefaultSyncConfig and
// QuickSyncConfig are the two presets.
type SyncConfig struct {
	// Dir is where every node's temporary directory is made; empty means
	// the system temp dir. Nodes store on disk, as in production.
	Dir string `json:"dir"`
	// Only selects the parts whose name (latency, catchup, bootstrap,
	// mesh, phones) contains it; empty runs all.
	Only string `json:"only,omitempty"`

	// LatencyRate puts per second on A for LatencyDuration, handed out by
	// a pacer to LatencyWriters goroutines so that one slow fsync does not
	// hold back the rate.
	LatencyRate     int           `json:"latency_rate"`
	LatencyDuration time.Duration `json:"latency_duration_ns"`
	LatencyWriters  int           `json:"latency_writers"`

	// CatchUpKeys are the data set sizes n; for each, CatchUpChanges are
	// the numbers d of keys changed on A while B is down, in order, each
	// round building on the previous one (a d larger than n is skipped).
	CatchUpKeys    []int `json:"catchup_keys"`
	CatchUpChanges []int `json:"catchup_changes"`
	// LoadBatch is the number of puts per batch commit when loading.
	LoadBatch int `json:"load_batch"`

	// BootstrapKeys is what A holds when a brand-new node C joins it.
	// RawBytes is what the raw QUIC stream baseline sends.
	BootstrapKeys int   `json:"bootstrap_keys"`
	RawBytes      int64 `json:"raw_bytes"`

	// MeshNodes nodes, each dialing every node before it, each writing
	// MeshPuts puts from MeshWriters goroutines at once.
	MeshNodes   int `json:"mesh_nodes"`
	MeshPuts    int `json:"mesh_puts"`
	MeshWriters int `json:"mesh_writers"`

	// Phones phones visit one hub, at most PhoneWave at once (the hub's
	// transport takes 1024 connections); the hub is measured at
	// PhonesSmall phones and at Phones. A returning phone is away while
	// PhonesAway phones write; PhonePuts is how many synced puts on the
	// hub (and Counter reads) are timed at each point.
	Phones      int `json:"phones"`
	PhonesSmall int `json:"phones_small"`
	PhoneWave   int `json:"phone_wave"`
	PhonesAway  int `json:"phones_away"`
	PhonePuts   int `json:"phone_puts"`

	// Timeout bounds every wait for replication; past it the run fails
	// rather than hang.
	Timeout time.Duration `json:"timeout_ns"`
}

// DefaultSyncConfig is the full run: several minutes on 2 cores, most of
// it loading the 1M-key data set.
func DefaultSyncConfig() SyncConfig {
	return SyncConfig{
		LatencyRate:     200,
		LatencyDuration: 10 * time.Second,
		LatencyWriters:  4,
		CatchUpKeys:     []int{100_000, 1_000_000},
		CatchUpChanges:  []int{10, 1_000, 100_000},
		LoadBatch:       5000,
		BootstrapKeys:   1_000_000,
		RawBytes:        256 << 20,
		MeshNodes:       8,
		MeshPuts:        1000,
		MeshWriters:     4,
		Phones:          10_000,
		PhonesSmall:     100,
		PhoneWave:       100,
		PhonesAway:      10,
		PhonePuts:       300,
		Timeout:         5 * time.Minute,
	}
}

// QuickSyncConfig runs in seconds; CI uses it as a smoke test.
func QuickSyncConfig() SyncConfig {
	c := DefaultSyncConfig()
	c.LatencyDuration = 2 * time.Second
	c.CatchUpKeys = []int{10_000}
	c.CatchUpChanges = []int{10, 1_000, 10_000}
	c.BootstrapKeys = 20_000
	c.RawBytes = 32 << 20
	c.MeshPuts = 200
	c.Phones = 200
	c.PhonePuts = 100
	c.Timeout = time.Minute
	return c
}

// Parts are the measurements, in the order they run.
var Parts = []string{"latency", "catchup", "bootstrap", "mesh", "phones"}

func (c SyncConfig) runs(part string) bool { return strings.Contains(part, c.Only) }

// check refuses sizes that would make a part meaningless.
func (c SyncConfig) check() error {
	switch {
	case c.LatencyRate <= 0 || c.LatencyDuration <= 0 || c.LatencyWriters <= 0:
		return fmt.Errorf("bench: latency needs a positive rate, duration and writers")
	case c.LoadBatch <= 0 || c.BootstrapKeys <= 0 || c.RawBytes <= 0:
		return fmt.Errorf("bench: load batch, bootstrap keys and raw bytes must be positive")
	case c.MeshNodes < 2 || c.MeshPuts <= 0 || c.MeshWriters <= 0:
		return fmt.Errorf("bench: the mesh needs 2 nodes or more and positive puts and writers")
	case c.Phones <= 0 || c.PhonesSmall <= 0 || c.PhonesAway <= 0 || c.PhonePuts <= 0:
		return fmt.Errorf("bench: phones, the small point, the phones away and the hub's puts must be positive")
	case c.PhoneWave <= 0 || c.PhoneWave > 1024:
		return fmt.Errorf("bench: a wave of phones must be 1 to 1024 (the hub's connection cap)")
	case c.Timeout <= 0:
		return fmt.Errorf("bench: timeout must be positive")
	}
	return nil
}

func (c SyncConfig) dir() string {
	if c.Dir == "" {
		return os.TempDir()
	}
	return c.Dir
}

// command returns the syncbench command line that reruns one part.
func (c SyncConfig) command(part string) string {
	s := "go run ./bench/cmd/syncbench -only " + part
	switch part {
	case "latency":
		s += fmt.Sprintf(" -rate %d -duration %v -writers %d", c.LatencyRate, c.LatencyDuration, c.LatencyWriters)
	case "catchup":
		s += fmt.Sprintf(" -keys %s -changes %s -batch %d", ints(c.CatchUpKeys), ints(c.CatchUpChanges), c.LoadBatch)
	case "bootstrap", "bootstrap-overwrites":
		s += fmt.Sprintf(" -bootstrap %d -raw %d -batch %d", c.BootstrapKeys, c.RawBytes, c.LoadBatch)
	case "mesh":
		s += fmt.Sprintf(" -nodes %d -puts %d -mesh-writers %d", c.MeshNodes, c.MeshPuts, c.MeshWriters)
	case "phones":
		s += fmt.Sprintf(" -phones %d -wave %d", c.Phones, c.PhoneWave)
	}
	return s
}

func ints(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, ",")
}
