package protocol

import (
	"fmt"

	"github.com/shoal-db/shoal/crdt"
	"github.com/shoal-db/shoal/sync/wire"
)

// Step is what one received message asks of the caller. Rows and Claim are
// applied together in one synced commit; only then may the caller count
// them as seen (and acknowledge them).
type Step struct {
	// Hello is the peer's Hello; the caller passes Hello.VV to its
	// Outbound's PeerHello.
	Hello *wire.Hello
	// Rows to join into the store. Applying a row lets the store claim the
	// dots of its context (storage does that).
	Rows []wire.Row
	// Claim is a version vector the store may join once Rows are synced: a
	// Done's snapshot, or the peer's own dots up to a Push.
	Claim *crdt.VersionVector
	// Acked is what the peer reports to have applied, and AckPeers the
	// replicas it has live sessions with; the caller passes both to its
	// Outbound's Acked.
	Acked    *crdt.VersionVector
	AckPeers []crdt.ReplicaID
}

// Inbound is the receiving half of a session: it checks the order of the
// peer's messages and decides what may be claimed. Not safe for concurrent
// use.
type Inbound struct {
	self, peer crdt.ReplicaID // peer is 0 until the Hello
	seq        uint64         // last sequence number received
	caughtUp   bool           // a Done was received in this session
}

// NewInbound returns the receiving half of a session of self.
func NewInbound(self crdt.ReplicaID) *Inbound { return &Inbound{self: self} }

// Peer returns the peer's replica id, known after its Hello.
func (in *Inbound) Peer() crdt.ReplicaID { return in.peer }

// Step checks m and returns what to do with it. An error wraps ErrProtocol:
// the caller must end the session (nothing of m may be applied).
func (in *Inbound) Step(m *wire.Message) (Step, error) {
	if m.Seq != in.seq+1 {
		return Step{}, fmt.Errorf("%w: message %d after %d", ErrProtocol, m.Seq, in.seq)
	}
	in.seq = m.Seq
	if m.Hello == nil && in.peer == 0 {
		return Step{}, fmt.Errorf("%w: first message is not a Hello", ErrProtocol)
	}
	switch {
	case m.Hello != nil:
		return in.hello(m.Hello)
	case m.Batch != nil:
		return Step{Rows: m.Batch.Rows}, nil
	case m.Done != nil:
		in.caughtUp = true
		return Step{Claim: m.Done.VV}, nil
	case m.Push != nil:
		return in.push(m.Push)
	case m.Ack != nil:
		return Step{Acked: m.Ack.VV, AckPeers: m.Ack.Peers}, nil
	}
	return Step{}, fmt.Errorf("%w: empty message", ErrProtocol)
}

func (in *Inbound) hello(h *wire.Hello) (Step, error) {
	switch {
	case in.peer != 0:
		return Step{}, fmt.Errorf("%w: a second Hello", ErrProtocol)
	case h.Version != wire.Version:
		return Step{}, fmt.Errorf("%w: protocol version %d, want %d", ErrProtocol, h.Version, wire.Version)
	case h.Replica == 0 || h.Replica == in.self:
		return Step{}, fmt.Errorf("%w: Hello from replica %s (self %s)", ErrProtocol, h.Replica, in.self)
	case h.VV == nil:
		return Step{}, fmt.Errorf("%w: Hello without a version vector", ErrProtocol)
	}
	in.peer = h.Replica
	return Step{Hello: h}, nil
}

// push lets the receiver claim the sender's own dots up to the push: every
// commit since the catch-up's snapshot is pushed in order, so none below it
// is missing. Before a Done that does not hold.
func (in *Inbound) push(p *wire.Push) (Step, error) {
	if !in.caughtUp {
		return Step{}, fmt.Errorf("%w: Push before Done", ErrProtocol)
	}
	claim := &crdt.VersionVector{}
	claim.AddRange(in.peer, 1, p.OwnCounter)
	return Step{Rows: p.Rows, Claim: claim}, nil
}
