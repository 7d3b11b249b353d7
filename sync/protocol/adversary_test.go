package protocol

import (
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/shoal-db/shoal/crdt"
	"github.com/shoal-db/shoal/storage"
	"github.com/shoal-db/shoal/sync/wire"
)

var liarSchedules = flag.Int("liar-schedules", defaultLiarSchedules, "random schedules to run in TestLyingPeer")

// TestLyingPeer runs random schedules on three honest nodes and one with a
// valid certificate that lies: on its way, any of its messages may claim
// other nodes' dots it never sent (1..1e6), carry huge vectors, rows of
// made-up origins, rows holding the receiver's own dots above its counter
// (up to 2^64-1), drop rows while still claiming them, claim 2^64-1 of its
// own dots, or break the protocol's order. After every delivery the
// honest nodes must show every origin only dots whose effect they hold,
// keep their vectors within bounds and their counters where their own
// writes left them; once the liar is gone they converge to every honest
// write. A failure names its seed: -run 'TestLyingPeer/seed=N'.
func TestLyingPeer(t *testing.T) {
	for seed := range *liarSchedules {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) { runLiarSchedule(t, uint64(seed), 150) })
	}
}

func runLiarSchedule(t *testing.T, seed uint64, steps int) {
	rng := rand.New(rand.NewPCG(seed, 0x11a7))
	s := newSim(t, 4)
	defer s.close()
	liar := 3
	s.liar, s.lenient = &liar, true
	s.mutate = func(to int, m *wire.Message) *wire.Message { return lie(s, rng, to, m) }
	n := len(s.nodes)
	a, b := 0, 1
	for range steps {
		if rng.IntN(2) == 0 {
			a = rng.IntN(n)
			b = (a + 1 + rng.IntN(n-1)) % n
		}
		switch r := rng.IntN(100); {
		case r < 35:
			randomWrite(s, rng, a)
		case r < 47:
			s.connect(a, b)
		case r < 64:
			s.send(a, b)
		case r < 90:
			s.deliver(a, b, 1+rng.IntN(3))
		case r < 94:
			s.ack(a, b)
		case r < 97:
			s.breakLink(a, b)
		default:
			s.restart(a)
		}
		s.checkBounds()
	}
	for k := range s.links {
		if k[0] == liar || k[1] == liar {
			s.breakLink(k[0], k[1])
		}
	}
	s.convergeHonest()
}

// madeUp is an origin no node has.
const madeUp crdt.ReplicaID = 0x0bad_0bad_0bad_0bad

// lie returns m, or m changed the way a lying peer would change it.
func lie(s *sim, rng *rand.Rand, to int, m *wire.Message) *wire.Message {
	if rng.IntN(2) == 0 {
		return m
	}
	victim := s.nodes[to].id
	other := s.nodes[(to+1+rng.IntN(2))%3].id // an honest node, not the receiver
	out := *m
	switch {
	case m.Hello != nil:
		h := *m.Hello
		h.VV = h.VV.Clone()
		h.VV.Join(hugeVector(madeUp))
		out.Hello = &h
	case m.Done != nil:
		vv := m.Done.VV.Clone()
		switch rng.IntN(3) {
		case 0:
			vv.AddRange(other, 1, 1_000_000) // another node's dots
		case 1:
			vv.AddRange(victim, 1, math.MaxUint64) // the receiver's own
		default:
			vv.Join(hugeVector(madeUp))
		}
		out.Done = &wire.Done{VV: vv}
	case m.Batch != nil || m.Push != nil:
		rows := m.Rows()
		switch rng.IntN(4) {
		case 0:
			rows = nil // dropped, yet the Done or Push still claims them
		case 1:
			rows = append(rows[:len(rows):len(rows)], forgedRow(madeUp, rng.Uint64N(1<<40)+1))
		case 2:
			rows = append(rows[:len(rows):len(rows)], forgedRow(victim, math.MaxUint64-rng.Uint64N(2)))
		default:
			rows = append(rows[:len(rows):len(rows)], forgedRow(victim, s.nodes[to].store.LastCounter()+1))
		}
		if m.Batch != nil {
			out.Batch = &wire.Batch{Rows: rows}
		} else {
			out.Push = &wire.Push{Rows: rows, OwnCounter: m.Push.OwnCounter}
			if rng.IntN(4) == 0 {
				out.Push.OwnCounter = math.MaxUint64
			}
		}
	case m.Ack != nil:
		out.Ack = &wire.Ack{VV: hugeVector(victim), Peers: m.Ack.Peers}
	case m.Start != nil:
		out.Start = &wire.Start{VV: hugeVector(other)}
	}
	if rng.IntN(8) == 0 { // out of order: a Start where none belongs
		out = wire.Message{Seq: m.Seq, Start: &wire.Start{VV: &crdt.VersionVector{}}}
	}
	return &out
}

// hugeVector has 2000 exception ranges of origin.
func hugeVector(origin crdt.ReplicaID) *crdt.VersionVector {
	vv := &crdt.VersionVector{}
	for i := range uint64(2000) {
		vv.Add(crdt.Dot{Origin: origin, Counter: 10 + 2*i})
	}
	return vv
}

func forgedRow(origin crdt.ReplicaID, counter uint64) wire.Row {
	d := crdt.Dot{Origin: origin, Counter: counter}
	row := crdt.Row{}.Write(crdt.KindRegister, d, crdt.Timestamp{Wall: 1}, []byte("forged"))
	return wire.Row{Key: fmt.Sprintf("forged/%d", counter%7), RowKey: reg.Append(nil), Row: row}
}

// checkBounds asserts what a liar must never do to an honest node: grow
// its vector past the storage bound, or move its own counter.
func (s *sim) checkBounds() {
	s.t.Helper()
	own := map[crdt.ReplicaID]uint64{}
	for d := range s.deltas {
		own[d.Origin] = max(own[d.Origin], d.Counter)
	}
	for _, nd := range s.nodes {
		if s.isLiar(nd.idx) {
			continue
		}
		vv := nd.store.VersionVector()
		for _, o := range vv.Origins() {
			if r := vv.Part(o).Ranges(); r > storage.DefaultMaxVectorRanges {
				s.t.Fatalf("n%d holds %d ranges of %s", nd.idx, r, o)
			}
		}
		if c := nd.store.LastCounter(); c != own[nd.id] {
			s.t.Fatalf("n%d's counter is %d, its own writes left it at %d", nd.idx, c, own[nd.id])
		}
	}
}

// convergeHonest runs rounds of complete catch-ups among the honest nodes
// until nothing is sent, then checks that they hold the same rows and
// vectors, and every write of an honest node.
func (s *sim) convergeHonest() {
	s.t.Helper()
	honest := []int{0, 1, 2}
	for round := 0; ; round++ {
		before := s.sent
		for _, i := range honest {
			for _, j := range honest {
				if i != j {
					s.catchUp(i, j)
				}
			}
		}
		if s.sent == before {
			break
		}
		if round > 6 {
			s.t.Fatalf("still sending rows after %d rounds", round)
		}
	}
	first := s.dump(s.nodes[0])
	for _, i := range honest {
		nd := s.nodes[i]
		if got := s.dump(nd); got != first {
			s.t.Fatalf("n%d differs from n0:\n got %s\nwant %s", i, got, first)
		}
		for d, md := range s.deltas {
			if s.isLiar(s.indexOf(d.Origin)) {
				continue
			}
			if row, err := nd.store.Row(md.key, md.rk); err != nil || !rowHas(row, md.delta) {
				s.t.Fatalf("n%d lacks %s's write %s of %q (%v)", i, d.Origin, d, md.key, err)
			}
		}
	}
}
