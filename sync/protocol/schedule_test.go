package protocol

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/shoal-db/shoal/crdt"
)

var schedules = flag.Int("schedules", defaultSchedules, "random schedules to run in TestRandomSchedules")

// TestRandomSchedules runs seeded random schedules of writes of all four
// types on 3-5 nodes, with links that break mid-catch-up, messages
// delivered in pieces, acknowledgements and restarts, checking the
// invariants after every delivery and convergence to the join of every
// write at the end. A failure names its seed: -run 'TestRandomSchedules/seed=N'.
func TestRandomSchedules(t *testing.T) {
	for seed := range *schedules {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			runSchedule(t, uint64(seed), 150)
		})
	}
}

func runSchedule(t *testing.T, seed uint64, steps int) {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	s := newSim(t, 3+rng.IntN(3))
	defer s.close()
	n := len(s.nodes)
	a, b := 0, 1
	for range steps {
		if rng.IntN(2) == 0 { // half the steps stay on one link, so sessions get far
			a = rng.IntN(n)
			b = (a + 1 + rng.IntN(n-1)) % n
		}
		switch r := rng.IntN(100); {
		case r < 35:
			randomWrite(s, rng, a)
		case r < 45:
			s.connect(a, b)
		case r < 62:
			if rng.IntN(3) == 0 { // a write racing the catch-up's snapshot
				s.duringScan = func() { randomWrite(s, rng, a) }
			}
			s.send(a, b)
			s.duringScan = nil
		case r < 85:
			s.deliver(a, b, 1+rng.IntN(3))
		case r < 88:
			s.ack(a, b)
		case r < 90:
			s.fault(a, b, rng)
		case r < 95:
			s.breakLink(a, b)
		default:
			s.restart(a)
		}
	}
	s.converge()
}

// randomWrite makes one mutation of a random type on a few shared keys, so
// that writes conflict, remove each other and race catch-ups.
func randomWrite(s *sim, rng *rand.Rand, i int) {
	switch rng.IntN(4) {
	case 0:
		op := "put"
		if rng.IntN(4) == 0 {
			op = "remove"
		}
		s.write(i, fmt.Sprintf("r%d", rng.IntN(4)), reg, op, fmt.Sprint(rng.IntN(100)))
	case 1:
		s.write(i, "c", crdt.CounterRow(s.nodes[i].id), "inc", "")
	case 2:
		op := "put"
		if rng.IntN(3) == 0 {
			op = "remove"
		}
		s.write(i, "s", crdt.RowKey{Kind: crdt.KindSet, Name: fmt.Sprint(rng.IntN(5))}, op, "")
	default:
		op := "put"
		if rng.IntN(3) == 0 {
			op = "remove"
		}
		s.write(i, "m", crdt.RowKey{Kind: crdt.KindMap, Name: fmt.Sprint(rng.IntN(3))}, op, fmt.Sprint(rng.IntN(100)))
	}
}

// fault drops, duplicates or swaps a message in flight on a link: what a
// broken transport could do. The receiver must notice and end the session.
func (s *sim) fault(a, b int, rng *rand.Rand) {
	l := s.links[[2]int{a, b}]
	if l == nil || len(l.queue) < 2 {
		return
	}
	i := rng.IntN(len(l.queue) - 1)
	switch rng.IntN(3) {
	case 0:
		l.queue = append(l.queue[:i], l.queue[i+1:]...)
	case 1:
		l.queue = append(l.queue[:i+1], l.queue[i:]...)
	default:
		l.queue[i], l.queue[i+1] = l.queue[i+1], l.queue[i]
	}
}
