package bench

import (
	"context"
	"fmt"
	"slices"

	"github.com/shoal-db/shoal/node"
)

// The Shoal side of the counter and set workloads. Their baselines write
// plain keys (see pebble.go), so the ratio is the price of the CRDT.

// shoalIncrements: each op adds 1 to one of cfg.SetKeys counters.
// Afterwards the counters must sum to the number of increments.
func shoalIncrements(db *node.DB, cfg Config, workers int) (phase, error) {
	ctx := context.Background()
	done := make([]uint64, workers)
	op := func(w int, i uint64) error {
		n := opNumber(w, i)
		if err := db.Increment(ctx, string(keyOf('c', n%uint64(cfg.SetKeys))), 1); err != nil {
			return err
		}
		done[w] = i + 1
		return nil
	}
	verify := func() (int, error) {
		var sum int64
		for k := range cfg.SetKeys {
			v, err := db.Counter(ctx, string(keyOf('c', uint64(k))))
			if err != nil {
				return k, err
			}
			sum += v
		}
		if want := total(done); sum != int64(want) {
			return cfg.SetKeys, fmt.Errorf("counters sum to %d after %d increments", sum, want)
		}
		return cfg.SetKeys, nil
	}
	return phase{op: op, verify: verify}, nil
}

// shoalSetAdds: each op adds a new member to one of cfg.SetKeys sets.
// Afterwards the sets must hold every member added, and the last member
// each worker added must be where it was put.
func shoalSetAdds(db *node.DB, cfg Config, workers int) (phase, error) {
	ctx := context.Background()
	done := make([]uint64, workers)
	setOf := func(n uint64) string { return string(keyOf('s', n%uint64(cfg.SetKeys))) }
	op := func(w int, i uint64) error {
		n := opNumber(w, i)
		if err := db.SetAdd(ctx, setOf(n), string(keyOf('m', n))); err != nil {
			return err
		}
		done[w] = i + 1
		return nil
	}
	verify := func() (int, error) {
		members := 0
		for k := range cfg.SetKeys {
			ms, err := db.Members(ctx, setOf(uint64(k)))
			if err != nil {
				return members, err
			}
			members += len(ms)
		}
		if want := total(done); uint64(members) != want {
			return members, fmt.Errorf("sets hold %d members after %d adds", members, want)
		}
		return members, checkLastMembers(ctx, db, done, setOf)
	}
	return phase{op: op, verify: verify}, nil
}

func checkLastMembers(ctx context.Context, db *node.DB, done []uint64, setOf func(uint64) string) error {
	for w, c := range done {
		if c == 0 {
			continue
		}
		n := opNumber(w, c-1)
		ms, err := db.Members(ctx, setOf(n))
		if err != nil {
			return err
		}
		if _, ok := slices.BinarySearch(ms, string(keyOf('m', n))); !ok {
			return fmt.Errorf("set %s lacks member %s", setOf(n), keyOf('m', n))
		}
	}
	return nil
}

func total(counts []uint64) uint64 {
	var t uint64
	for _, c := range counts {
		t += c
	}
	return t
}
