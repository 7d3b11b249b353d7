package bench

import (
	"fmt"
	"os"
	"time"
)

// HTTPConfig sizes an HTTP run (RunHTTP): one `shoal agent` on loopback
// driven by keep-alive HTTP clients, against the same workload through the
// embedded API in this process. DefaultHTTPConfig and QuickHTTPConfig are
// the presets; a zero field takes DefaultHTTPConfig's value.
type HTTPConfig struct {
	// Dir is where both sides' temporary data directories are made; empty
	// means the system temp dir. Both sides sync every write to it.
	Dir string `json:"dir"`
	// Duration is how long each side of each phase is measured, in total
	// over Rounds rounds that alternate between the sides.
	Duration time.Duration `json:"duration_ns"`
	Rounds   int           `json:"rounds"`
	// Clients are the concurrency levels: for HTTP, that many goroutines
	// each with its own keep-alive connection; embedded, that many
	// goroutines calling the node.
	Clients []int `json:"clients"`
	// Keys is the number of keys loaded (and flushed to tables) before the
	// runs, the ones the GET phases read.
	Keys int `json:"keys"`
	// Shoal is a built shoal binary to run; empty builds ./cmd/shoal into
	// a temporary directory first.
	Shoal string `json:"shoal,omitempty"`
}

// DefaultHTTPConfig takes about 50 s on 2 cores (4 rows, 2 sides, 5 s each).
func DefaultHTTPConfig() HTTPConfig {
	return HTTPConfig{Duration: 5 * time.Second, Rounds: 5, Clients: []int{8, 32}, Keys: 100_000}
}

// QuickHTTPConfig runs in seconds; CI uses it as a smoke test.
func QuickHTTPConfig() HTTPConfig {
	c := DefaultHTTPConfig()
	c.Duration, c.Rounds, c.Keys = 300*time.Millisecond, 3, 5_000
	return c
}

func (c HTTPConfig) withDefaults() HTTPConfig {
	d := DefaultHTTPConfig()
	if c.Dir == "" {
		c.Dir = os.TempDir()
	}
	if c.Duration <= 0 {
		c.Duration = d.Duration
	}
	if c.Rounds <= 0 {
		c.Rounds = d.Rounds
	}
	if len(c.Clients) == 0 {
		c.Clients = d.Clients
	}
	if c.Keys <= 0 {
		c.Keys = d.Keys
	}
	return c
}

// rounds gives alternate the part of Config it reads.
func (c HTTPConfig) rounds() Config { return Config{Duration: c.Duration, Rounds: c.Rounds} }

// validate checks what withDefaults cannot fill in: every level's workers
// get key numbers of their own (opNumber has room for 1000 workers).
func (c HTTPConfig) validate() error {
	total := 0
	for _, n := range c.Clients {
		if n <= 0 {
			return fmt.Errorf("bench: %d clients: want at least 1", n)
		}
		total += n
	}
	if total > 999 {
		return fmt.Errorf("bench: %d clients over all levels: at most 999", total)
	}
	return nil
}
