package bench

import (
	"fmt"
	"strings"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/shoal-db/shoal/node"
)

// phase is one side of a workload, set up and ready to measure.
type phase struct {
	op   opFunc
	load time.Duration // time spent filling the store first, if any
	// verify reads back what the phase wrote and returns how many values
	// it checked; nil when there is nothing to check. It runs after every
	// worker has stopped.
	verify func() (int, error)
}

// A workload is one comparison: the same kind of operation, the same
// number of workers and the same durability on each side. The setup
// functions get a freshly opened store and the number of workers.
type workload struct {
	name     string
	shoalOp  string // what one Shoal op is, for the table; see describe
	pebbleOp string // what one baseline op is
	workers  func(Config) int
	keys     func(Config) int // keys the ops spread over; nil: each op a new key
	checked  string           // what verify counts, for the notes
	shoal    func(db *node.DB, cfg Config, workers int) (phase, error)
	pebble   func(db *pebble.DB, cfg Config, workers int) (phase, error)
}

func one(Config) int       { return 1 }
func writers(c Config) int { return c.Writers }
func readers(c Config) int { return c.Readers }
func setKeys(c Config) int { return c.SetKeys }

// workloads lists the comparisons in the order they run and print.
func workloads() []workload {
	return []workload{{
		name:     "put-serial",
		checked:  "registers read back and compared",
		shoalOp:  "Put 16B key, 100B value",
		pebbleOp: "Set 16B key, 100B value, Sync",
		workers:  one,
		shoal:    shoalPuts,
		pebble:   pebblePuts,
	}, {
		name:     "put-concurrent",
		checked:  "registers read back and compared",
		shoalOp:  "Put 16B key, 100B value",
		pebbleOp: "Set 16B key, 100B value, Sync",
		workers:  writers,
		shoal:    shoalPuts,
		pebble:   pebblePuts,
	}, {
		name:     "get",
		checked:  "registers read back and compared",
		shoalOp:  "Get of a random key of %d loaded",
		pebbleOp: "Get of a random key of %d loaded",
		workers:  readers,
		keys:     func(c Config) int { return c.GetKeys },
		shoal:    shoalGets,
		pebble:   pebbleGets,
	}, {
		name:     "increment",
		checked:  "counters read; their sum matched the increments",
		shoalOp:  "Increment one of %d counters by 1",
		pebbleOp: "blind Set of an 8B value to one of %d keys, Sync (no read-modify-write)",
		workers:  writers,
		keys:     setKeys,
		shoal:    shoalIncrements,
		pebble:   pebbleCounters,
	}, {
		name:     "setadd",
		checked:  "set members read; every add was there",
		shoalOp:  "SetAdd of a new member to one of %d sets",
		pebbleOp: "Set of key set+member, empty value, Sync",
		workers:  writers,
		keys:     setKeys,
		shoal:    shoalSetAdds,
		pebble:   pebbleSetAdds,
	}}
}

// describe fills in the one number an op description may hold: the
// number of keys the ops spread over.
func (w workload) describe(op string, cfg Config) string {
	if !strings.Contains(op, "%d") {
		return op
	}
	return fmt.Sprintf(op, w.keys(cfg))
}
