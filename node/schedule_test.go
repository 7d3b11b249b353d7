package node

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

var nodeSchedules = flag.Int("node-schedules", 100, "random schedules in TestReplicationRandomSchedules")

// model is what a sequential reading of the schedule predicts for the
// keys whose writes never race: each node writes its own registers, sets
// and maps, and everyone increments one shared counter.
type model struct {
	regs    map[string]string
	counter int64
	members map[string]map[string]bool
}

// TestReplicationRandomSchedules runs nodes over the in-memory network in
// fake time (testing/synctest): random writes of all four types on 3-5
// nodes, partitions, healing and restarts; then, healed, every node must
// show the same state, equal to the model's where the model is exact.
// A failure names its seed: -run 'TestReplicationRandomSchedules/seed=N'.
func TestReplicationRandomSchedules(t *testing.T) {
	for seed := range *nodeSchedules {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) { runNodeSchedule(t, uint64(seed)) })
		})
	}
}

func runNodeSchedule(t *testing.T, seed uint64) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, 0xfeed))
	n := 3 + rng.IntN(3)
	c := newCluster(t, n)
	defer c.close()
	m := &model{regs: map[string]string{}, members: map[string]map[string]bool{}}
	for step := range 60 {
		i := rng.IntN(n)
		switch r := rng.IntN(100); {
		case r < 70:
			scheduleWrite(t, ctx, c.dbs[i], i, step, rng, m)
		case r < 82:
			j := (i + 1 + rng.IntN(n-1)) % n
			c.net.partition(fmt.Sprintf("n%d", i), fmt.Sprintf("n%d", j), rng.IntN(2) == 0)
		case r < 90:
			c.restart(i)
		default:
			time.Sleep(time.Duration(rng.IntN(2000)) * time.Millisecond)
		}
		time.Sleep(time.Duration(rng.IntN(50)) * time.Millisecond)
	}
	for i := range n {
		for j := range n {
			c.net.partition(fmt.Sprintf("n%d", i), fmt.Sprintf("n%d", j), false)
		}
	}
	c.waitConverged(2 * time.Minute)
	checkModel(t, c.dbs[rng.IntN(n)], m)
}

func scheduleWrite(t *testing.T, ctx context.Context, db *DB, i, step int, rng *rand.Rand, m *model) {
	own := fmt.Sprintf("own/%d/", i)
	switch rng.IntN(5) {
	case 0:
		k, v := own+fmt.Sprint(rng.IntN(3)), fmt.Sprintf("v%d", step)
		must(t, db.Put(ctx, k, []byte(v)))
		m.regs[k] = v
	case 1:
		must(t, db.Increment(ctx, "shared/counter", 1))
		m.counter++
	case 2:
		k, member := own+"set", fmt.Sprint(rng.IntN(4))
		if m.members[k] == nil {
			m.members[k] = map[string]bool{}
		}
		if rng.IntN(3) == 0 {
			must(t, db.SetRemove(ctx, k, member))
			delete(m.members[k], member)
		} else {
			must(t, db.SetAdd(ctx, k, member))
			m.members[k][member] = true
		}
	case 3: // races on purpose: only convergence is checked
		must(t, db.Put(ctx, "shared/reg", []byte(fmt.Sprintf("n%d-%d", i, step))))
	default:
		must(t, db.MapSet(ctx, "shared/map", fmt.Sprint(rng.IntN(3)), []byte(fmt.Sprint(step))))
	}
}

func checkModel(t *testing.T, db *DB, m *model) {
	ctx := context.Background()
	for k, v := range m.regs {
		it, err := db.Get(ctx, k)
		if err != nil || string(it.Value) != v || len(it.Siblings) != 0 {
			t.Errorf("%s = %q (siblings %d, %v), model says %q", k, it.Value, len(it.Siblings), err, v)
		}
	}
	if got, _ := db.Counter(ctx, "shared/counter"); got != m.counter {
		t.Errorf("shared/counter = %d, model says %d", got, m.counter)
	}
	for k, want := range m.members {
		got, _ := db.Members(ctx, k)
		var wantList []string
		for member := range want {
			wantList = append(wantList, member)
		}
		slices.Sort(wantList)
		if !slices.Equal(got, wantList) {
			t.Errorf("%s = %v, model says %v", k, got, wantList)
		}
	}
}
