package protocol

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/shoal-db/shoal/crdt"
)

// TestBootstrapVectorStaysSmall (hardening item 1): a new node
// bootstrapping keys each written twice (so that no two latest dots are
// adjacent) once gained an exception range per row, until its Hello no
// longer decoded and its directory no longer opened. Here the bootstrap is
// cut every few batches and resumed, from either of two nodes; the new
// node's vector never holds more than a few ranges, the bootstrap resumes
// where it stopped instead of starting over, and every node converges.
func TestBootstrapVectorStaysSmall(t *testing.T) {
	const keys = 400
	s := newSim(t, 3)
	s.checkAtEnd = true // checked at every cut: every delivery would be quadratic
	defer s.close()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, round := range []string{"first", "second"} {
		for _, i := range rng.Perm(keys) {
			s.write(0, fmt.Sprintf("k%05d", i), reg, "put", round)
		}
	}
	s.catchUp(0, 2) // n2 holds everything too: the bootstrap may resume there
	src, applied := 0, s.applied
	for cuts := 0; ; cuts++ {
		s.connect(src, 1)
		s.send(src, 1)
		s.deliver(src, 1, 1+rng.IntN(40)) // Hello, Start, a few batches
		done := len(s.links[[2]int{src, 1}].queue) == 0
		s.breakLink(src, 1)
		s.check()
		if r := s.nodes[1].store.VersionVector().Ranges(); r > 2 {
			t.Fatalf("after %d cuts the new node's vector holds %d ranges", cuts, r)
		}
		if b := s.nodes[1].store.Bootstrap(); done || b != nil && b.Finished {
			break
		}
		src = 2 - src // 0, 2, 0, ...
		if cuts > keys {
			t.Fatal("the bootstrap does not make progress")
		}
	}
	// Resuming never restarts: about one send of each row in all.
	if n := s.applied - applied; n > keys+keys/4 {
		t.Fatalf("bootstrap sent %d rows for %d keys", n, keys)
	}
	if b := s.nodes[1].store.Bootstrap(); b == nil || !b.Finished {
		t.Fatalf("bootstrap state %+v", b)
	}
	vv := s.nodes[1].store.VersionVector()
	if !vv.Covers(s.nodes[0].store.VersionVector()) {
		t.Fatalf("after the bootstrap the new node claims %s, not all of n0's %s", vv, s.nodes[0].store.VersionVector())
	}
	s.converge()
}

// TestForgedDoneClaim (hardening item 4): a peer sent one Done whose
// vector claimed another node's dots 1..1e6; that node's writes never
// reached the victim. A Done is cut to what the sender's Hello showed it
// had, and a claim about a third node's dots is not shown to that node as
// held, so its writes still reach the victim.
func TestForgedDoneClaim(t *testing.T) {
	s := newSim(t, 3)
	defer s.close()
	liar, victim, origin := 0, 1, 2
	s.catchUp(origin, liar)
	s.catchUp(liar, victim) // both bootstrapped: ordinary catch-ups from now on
	s.catchUp(origin, victim)
	for i := range 5 {
		s.write(origin, fmt.Sprintf("w%d", i), reg, "put", "v")
	}
	forged := crdt.VersionVector{}
	forged.AddRange(s.nodes[origin].id, 1, 1_000_000)

	s.connect(liar, victim)
	s.send(liar, victim)
	l := s.links[[2]int{liar, victim}]
	last := l.queue[len(l.queue)-1]
	last.Done.VV.Join(&forged) // the Done claims the origin's dots
	s.deliver(liar, victim, 100)
	if vv := s.nodes[victim].store.VersionVector(); vv.Max(s.nodes[origin].id) > 1 {
		t.Fatalf("the victim took a forged Done: %s", vv)
	}

	// A liar that forges its Hello too is believed (until authorization
	// restricts what a peer may claim), but not by the origin itself.
	s.checkAtEnd = true // the victim now claims dots it lacks, for a while
	s.breakLink(liar, victim)
	s.connect(liar, victim)
	l = s.links[[2]int{liar, victim}]
	l.queue[0].Hello.VV.Join(&forged)
	s.send(liar, victim)
	l.queue[len(l.queue)-1].Done.VV.Join(&forged)
	s.deliver(liar, victim, 100)
	if vv := s.nodes[victim].store.VersionVectorFor(s.nodes[origin].id); vv.Max(s.nodes[origin].id) > 1 {
		t.Fatalf("the victim shows the origin a forged claim as held: %s", vv)
	}
	s.catchUp(origin, victim)
	for i := range 5 {
		if row, _ := s.nodes[victim].store.Row(fmt.Sprintf("w%d", i), reg); !row.Live() {
			t.Fatalf("w%d never reached the victim", i)
		}
	}
	s.check()
}

// TestDoneClaimsSendersLaterOwnDots: a Done is cut to what the sender's
// Hello showed, but the sender's own dots are its to claim: a write it
// made after its Hello and before its snapshot is claimed by the receiver
// at Done, in a bootstrap and in an ordinary catch-up (without it, a
// receiver waiting for that dot waited until the sender wrote again).
func TestDoneClaimsSendersLaterOwnDots(t *testing.T) {
	for _, bootstrap := range []bool{true, false} {
		t.Run(fmt.Sprint("bootstrap=", bootstrap), func(t *testing.T) {
			s := newSim(t, 2)
			defer s.close()
			if !bootstrap {
				s.write(0, "early", reg, "put", "v")
				s.catchUp(0, 1)
			}
			s.connect(0, 1) // n0's Hello shows what it has now
			s.write(0, "late", reg, "put", "v")
			s.send(0, 1)
			s.deliver(0, 1, 1<<30)
			d := crdt.Dot{Origin: s.nodes[0].id, Counter: s.nodes[0].store.LastCounter()}
			if !s.nodes[1].store.VersionVector().Contains(d) {
				t.Fatalf("n1 does not claim n0's dot %s after Done: %s", d, s.nodes[1].store.VersionVector())
			}
		})
	}
}
