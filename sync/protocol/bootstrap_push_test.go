package protocol

import (
	"fmt"
	"testing"
)

// TestResumedBootstrapThenPush (found in review): a bootstrap resumed
// after a break streams only rows after the position; a Push after its
// Done once claimed the sender's own dots up to the new snapshot, among
// them a write made between the sessions to a key before the position,
// whose row was never sent. After a resumed bootstrap the sender waits for
// the peer's Ack and runs an ordinary catch-up before it pushes.
func TestResumedBootstrapThenPush(t *testing.T) {
	s := newSim(t, 2)
	defer s.close()
	for i := range 6 {
		s.write(0, fmt.Sprintf("k%d", i), reg, "put", "first")
	}
	s.connect(0, 1)
	s.send(0, 1)
	s.deliver(0, 1, 3) // Hello, Start, the batch of k0 and k1
	s.breakLink(0, 1)
	if b := s.nodes[1].store.Bootstrap(); b == nil || !b.Started || b.Key != "k1" {
		t.Fatalf("bootstrap state %+v", b)
	}
	s.write(0, "k0", reg, "put", "second") // dot 7, before the position

	s.connect(0, 1) // resumes after k1
	s.send(0, 1)
	s.deliver(0, 1, 1<<30)
	if b := s.nodes[1].store.Bootstrap(); b == nil || !b.Finished {
		t.Fatalf("bootstrap not finished: %+v", b)
	}
	s.write(0, "k9", reg, "put", "v") // dot 8: pushed, claims 1..8
	s.send(0, 1)
	s.deliver(0, 1, 1<<30) // check() fails here with the bug
	s.breakLink(0, 1)
	s.converge()
}
