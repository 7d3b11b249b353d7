package protocol

import (
	"testing"

	"github.com/shoal-db/shoal/crdt"
)

// The schedules of sync-scenarios.md, each of which loses a write unless
// a rule of sync.md is kept. Every delivery checks that no node claims a
// dot whose effect it lacks; converge checks that every node ends with
// every write.

var (
	reg = crdt.RowKey{Kind: crdt.KindRegister}
	s1a = crdt.RowKey{Kind: crdt.KindSet, Name: "a"}
)

// 1. Resume at a position: a resumed catch-up must start from a fresh
// snapshot against what the receiver has now.
func TestScenarioResumeAtPosition(t *testing.T) {
	s := newSim(t, 3)
	defer s.close()
	s.write(1, "r1", reg, "put", "v1")
	s.connect(1, 2)
	s.send(1, 2)
	s.deliver(1, 2, 2) // Hello and the batch with r1
	s.breakLink(1, 2)
	s.write(0, "r0", reg, "put", "v2") // sorts before r1
	s.catchUp(0, 1)
	s.catchUp(1, 2)
	s.converge()
}

// 2. Scan from the contiguous counter, skipping only what the receiver's
// vector (with exceptions) covers.
func TestScenarioScanAboveHighestCounter(t *testing.T) {
	s := newSim(t, 3)
	defer s.close()
	s.write(1, "r1", reg, "put", "a")
	s.write(2, "r2", reg, "put", "b")
	s.catchUp(1, 2)
	s.write(2, "r1", reg, "put", "c")
	s.connect(2, 0)
	s.send(2, 0)
	s.deliver(2, 0, 2) // Hello and the first batch only
	s.breakLink(2, 0)
	s.catchUp(2, 0)
	s.converge()
}

// 3. Live starts at the snapshot, not at Done: a write between the two is
// pushed.
func TestScenarioLiveStartsAtSnapshot(t *testing.T) {
	s := newSim(t, 2)
	defer s.close()
	s.write(1, "r0", reg, "put", "x") // so that the scan calls back
	s.connect(1, 0)
	s.duringScan = func() { s.write(1, "r1", reg, "put", "during") }
	s.send(1, 0) // snapshot, r1 written, Done
	s.write(1, "r2", reg, "put", "after")
	for range 3 {
		s.send(1, 0) // pushes r1 then r2
	}
	s.deliver(1, 0, 100)
	if _, err := s.nodes[0].store.Row("r1", reg); err != nil {
		t.Fatal(err)
	}
	row, _ := s.nodes[0].store.Row("r1", reg)
	if !row.Live() {
		t.Fatal("r1, written between the snapshot and Done, never reached the receiver live")
	}
	s.converge()
}

// 4. A live message lets the receiver claim only the sender's own origin,
// not the sender's whole vector.
func TestScenarioRelayedVV(t *testing.T) {
	s := newSim(t, 3)
	defer s.close()
	s.write(1, "seed", reg, "put", "x")
	s.connect(0, 1)
	s.send(0, 1)
	s.deliver(0, 1, 100) // live now
	s.write(2, "r1", reg, "put", "from n2")
	s.catchUp(2, 0)
	s.write(0, "r2", reg, "put", "from n0")
	for range 4 {
		s.send(0, 1)
	}
	s.deliver(0, 1, 100)
	if s.nodes[1].store.VersionVector().Contains(crdt.Dot{Origin: s.nodes[2].id, Counter: 1}) {
		row, _ := s.nodes[1].store.Row("r1", reg)
		if !row.Live() {
			t.Fatal("n1 claims n2's dot without having r1")
		}
	}
	s.converge()
}

// 5. No coalescing with a later vector: three commits r1, r2, r1 are three
// pushes; a break after the first loses nothing.
func TestScenarioCoalescing(t *testing.T) {
	s := newSim(t, 2)
	defer s.close()
	s.connect(0, 1)
	s.send(0, 1)
	s.deliver(0, 1, 100)
	s.write(0, "r1", reg, "put", "1")
	s.write(0, "r2", reg, "put", "2")
	s.write(0, "r1", reg, "put", "3")
	for range 3 {
		s.send(0, 1)
	}
	s.deliver(0, 1, 1)
	s.breakLink(0, 1)
	s.converge()
}

// 6. A bootstrap resumed from another node claims no snapshot vector it
// did not finish.
func TestScenarioBootstrapResumedElsewhere(t *testing.T) {
	s := newSim(t, 3)
	defer s.close()
	s.write(1, "r1", reg, "put", "x")
	s.write(1, "s1", s1a, "put", "")
	s.write(1, "r3", reg, "put", "y")
	s.catchUp(1, 0)
	s.write(0, "s1", s1a, "remove", "") // n0 now lacks s1/a
	s.connect(1, 2)
	s.send(1, 2)
	s.deliver(1, 2, 2) // the first batch only
	s.breakLink(1, 2)
	s.catchUp(0, 2)
	s.converge()
}

// 7. A timestamp far in the future is stored unchanged everywhere: never
// dropped, never clamped.
func TestScenarioRemoteClockFarAhead(t *testing.T) {
	s := newSim(t, 2)
	defer s.close()
	s.clock += int64(365 * 24 * 3600 * 1e9) // a year ahead
	s.write(0, "r1", reg, "put", "future")
	s.catchUp(0, 1)
	s.converge()
}

// 8. A restart leaves no holes in the node's own vector, so later
// catch-ups need not rescan above one.
func TestScenarioRestartHoles(t *testing.T) {
	s := newSim(t, 2)
	defer s.close()
	for _, k := range []string{"a", "b", "c"} {
		s.write(0, k, reg, "put", k)
	}
	s.restart(0)
	s.write(0, "d", reg, "put", "d")
	if vv := s.nodes[0].store.VersionVector(); vv.HasGaps() || vv.Base(s.nodes[0].id) != 4 {
		t.Fatalf("own vector after a restart = %s, want 1..4 without gaps", vv)
	}
	s.converge()
}

// Back-propagation and redundant relays (Enes et al., ICDE 2019): a row is
// never pushed back to the peer it came from, and a row a peer
// acknowledged is not relayed to it.
func TestBackPropagation(t *testing.T) {
	s := newSim(t, 3)
	defer s.close()
	for _, l := range [][2]int{{2, 0}, {0, 2}, {2, 1}, {1, 0}} {
		s.connect(l[0], l[1])
		s.send(l[0], l[1])
		s.deliver(l[0], l[1], 100) // every link live
	}
	s.write(2, "r", reg, "put", "from n2")
	s.send(2, 0)
	s.deliver(2, 0, 100) // n0 has r, from n2
	before := s.sent
	s.send(0, 2)
	if s.sent != before {
		t.Fatal("n0 pushed r back to n2, where it came from")
	}
	s.ack(1, 0) // n0 tells n1 it has r
	s.send(2, 1)
	s.deliver(2, 1, 100) // n1 gets r from n2 and would relay it to n0
	before = s.sent
	s.send(1, 0)
	if s.sent != before {
		t.Fatal("n1 relayed r to n0, which had acknowledged it")
	}
	s.converge()
}

// Relaying in a mesh: a row is not relayed to a peer that hears from its
// origin directly; when that peer loses its session with the origin, the
// relay catches it up.
func TestRelayOnlyWithoutDirectSession(t *testing.T) {
	s := newSim(t, 3)
	defer s.close()
	for _, l := range [][2]int{{2, 0}, {2, 1}, {0, 1}} {
		s.connect(l[0], l[1])
		s.send(l[0], l[1])
		s.deliver(l[0], l[1], 100)
	}
	s.ack(0, 1) // n1 tells n0 it hears from n2 directly
	s.write(2, "r", reg, "put", "from n2")
	s.send(2, 0)
	s.deliver(2, 0, 100) // n0 has r; n2 has not pushed to n1 yet
	before := s.sent
	s.send(0, 1)
	if s.sent != before {
		t.Fatal("n0 relayed r to n1, which hears from n2 directly")
	}
	s.breakLink(2, 1) // n1 loses n2 before n2's push arrives
	s.ack(0, 1)       // and says so
	s.send(0, 1)      // n0 catches n1 up
	s.deliver(0, 1, 100)
	if row, _ := s.nodes[1].store.Row("r", reg); !row.Live() {
		t.Fatal("n1 never got r after losing its session with n2")
	}
	s.converge()
}
