package bench

import (
	"os"
	"runtime"
	"time"
)

// Config sizes a run. DefaultConfig and QuickConfig are the two presets;
// a zero field takes DefaultConfig's value.
type Config struct {
	// Dir is where each side's temporary directory is made; empty means the
	// system temp dir. It must be on the disk being measured.
	Dir string `json:"dir"`
	// Duration is how long each side of each workload is measured, in
	// total over Rounds rounds that alternate between the sides.
	Duration time.Duration `json:"duration_ns"`
	Rounds   int           `json:"rounds"`
	// Writers is the number of goroutines in the concurrent write workloads.
	Writers int `json:"writers"`
	// GetKeys is the number of keys loaded before the point-get phase.
	GetKeys int `json:"get_keys"`
	// Readers is the number of goroutines doing point gets.
	Readers int `json:"readers"`
	// LoadBatch is the number of puts per Shoal batch commit while loading.
	LoadBatch int `json:"load_batch"`
	// SetKeys is the number of set (and counter) keys the writers spread over.
	SetKeys int `json:"set_keys"`
	// CacheSize is the block cache of both sides, in bytes, so that reads
	// compare like with like.
	CacheSize int64 `json:"cache_size"`
	// Only selects the workloads whose name contains it; empty runs all.
	Only string `json:"only,omitempty"`
}

// DefaultConfig is sized for a 2-core machine: the whole run takes under
// about three minutes.
func DefaultConfig() Config {
	return Config{
		Duration:  5 * time.Second,
		Rounds:    5,
		Writers:   8,
		GetKeys:   1_000_000,
		Readers:   2,
		LoadBatch: 1000,
		SetKeys:   100,
		CacheSize: 64 << 20,
	}
}

// QuickConfig runs in seconds; CI uses it as a smoke test.
func QuickConfig() Config {
	c := DefaultConfig()
	c.Duration = 300 * time.Millisecond
	c.Rounds = 3
	c.GetKeys = 20_000
	return c
}

// withDefaults fills zero fields from DefaultConfig.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Dir == "" {
		c.Dir = os.TempDir()
	}
	if c.Duration <= 0 {
		c.Duration = d.Duration
	}
	if c.Rounds <= 0 {
		c.Rounds = d.Rounds
	}
	if c.Writers <= 0 {
		c.Writers = d.Writers
	}
	if c.GetKeys <= 0 {
		c.GetKeys = d.GetKeys
	}
	if c.Readers <= 0 {
		c.Readers = d.Readers
	}
	if c.LoadBatch <= 0 {
		c.LoadBatch = d.LoadBatch
	}
	if c.SetKeys <= 0 {
		c.SetKeys = d.SetKeys
	}
	if c.CacheSize <= 0 {
		c.CacheSize = d.CacheSize
	}
	return c
}

// Env describes where a run happened; it heads the table and the JSON.
type Env struct {
	GOOS      string    `json:"goos"`
	GOARCH    string    `json:"goarch"`
	NumCPU    int       `json:"num_cpu"`
	GoVersion string    `json:"go_version"`
	Date      time.Time `json:"date"`
	Dir       string    `json:"dir"`
}

// CurrentEnv describes this process and the directory the run uses.
func CurrentEnv(cfg Config) Env {
	return Env{
		GOOS:      runtime.GOOS,
		GOARCH:    runtime.GOARCH,
		NumCPU:    runtime.NumCPU(),
		GoVersion: runtime.Version(),
		Date:      time.Now().UTC(),
		Dir:       cfg.withDefaults().Dir,
	}
}
