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
	// Done's snapshot (cut to what the peer's Hello showed), or the peer's
	// own dots up to a Push.
	Claim *crdt.VersionVector
	// Bootstrap says Rows are bootstrap rows: merged without claiming
	// their dots, in key order, each recorded as the bootstrap's position.
	// BootstrapSnapshot (from Start) is the vector they come from; the
	// bootstrap ends at BootstrapDone, the vector the store may claim
	// together with every earlier snapshot's.
	Bootstrap         bool
	BootstrapSnapshot *crdt.VersionVector
	BootstrapDone     *crdt.VersionVector
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
	// shown is what the peer's Hello said it had: its catch-up may claim
	// no more (a Done claiming other dots would make us skip them for good).
	shown *crdt.VersionVector
	// bootstrap: our Hello asked for one, so the first catch-up is one;
	// started: its Start arrived.
	bootstrap, started bool
}

// NewInbound returns the receiving half of a session of self. bootstrap
// says our Hello asked the peer for a bootstrap.
func NewInbound(self crdt.ReplicaID, bootstrap bool) *Inbound {
	return &Inbound{self: self, bootstrap: bootstrap}
}

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
	case m.Start != nil:
		return in.start(m.Start)
	case m.Batch != nil:
		if in.bootstrap && !in.caughtUp && !in.started {
			return Step{}, fmt.Errorf("%w: bootstrap rows before Start", ErrProtocol)
		}
		return Step{Rows: m.Batch.Rows, Bootstrap: in.inBootstrap()}, nil
	case m.Done != nil:
		return in.done(m.Done)
	case m.Push != nil:
		return in.push(m.Push)
	case m.Ack != nil:
		// What the peer says it holds, like its Hello: later catch-ups in
		// this session may claim it.
		in.shown.Join(m.Ack.VV)
		in.shown.Trim(DefaultMaxKnownRanges)
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
	in.shown = h.VV.Clone()
	in.shown.Trim(DefaultMaxKnownRanges)
	return Step{Hello: h}, nil
}

// claimable cuts a snapshot's vector to what the receiver may claim from
// it: what the peer showed it had (its Hello and Acks), and the peer's own
// dots, which it alone mints (a liar claiming more of its own dots only
// hides its own writes).
func (in *Inbound) claimable(vv *crdt.VersionVector) *crdt.VersionVector {
	out := vv.Intersect(in.shown)
	out.Join(vv.Part(in.peer))
	return out
}

func (in *Inbound) inBootstrap() bool { return in.bootstrap && !in.caughtUp }

// start opens a bootstrap's rows with their snapshot's vector, cut to
// what the peer's Hello showed.
func (in *Inbound) start(st *wire.Start) (Step, error) {
	if !in.inBootstrap() || in.started {
		return Step{}, fmt.Errorf("%w: Start outside a bootstrap", ErrProtocol)
	}
	in.started = true
	return Step{BootstrapSnapshot: in.claimable(st.VV)}, nil
}

// done ends a catch-up. The receiver may claim the snapshot's vector, but
// only what the peer's Hello (and Acks) showed it had, and the peer's own
// dots: a peer cannot have sent rows of dots it did not have, so a Done
// claiming more (another node's dots 1..1e6, say) is cut down instead of
// making us skip those dots for good. Rows the catch-up carried are
// claimed by their own dots.
func (in *Inbound) done(d *wire.Done) (Step, error) {
	claim := in.claimable(d.VV)
	if in.inBootstrap() {
		if !in.started {
			return Step{}, fmt.Errorf("%w: bootstrap Done before Start", ErrProtocol)
		}
		in.caughtUp = true
		return Step{BootstrapDone: claim}, nil
	}
	in.caughtUp = true
	return Step{Claim: claim}, nil
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
