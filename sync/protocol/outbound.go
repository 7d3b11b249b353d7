package protocol

import (
	"slices"

	"github.com/shoal-db/shoal/crdt"
	"github.com/shoal-db/shoal/sync/wire"
)

// DefaultMaxQueueBytes bounds the commits an Outbound holds for a peer that
// is catching up or slow. Past it the queue is dropped and the peer gets a
// fresh catch-up instead, so a slow peer costs a rescan, never unbounded
// memory, and never slows writers.
const DefaultMaxQueueBytes = 32 << 20

// DefaultMaxPushBytes bounds the rows of one Push. A commit larger than it
// (a batch of many large values) is pushed in several, and only the last
// one lets the receiver claim the commit's own dots; up to it, a commit
// reaches the peer whole, in one synced commit there.
const DefaultMaxPushBytes = 32 << 20

// DefaultMaxKnownRanges bounds the exception ranges kept per origin of
// what the peer is known to have (its Hello joined with its Acks): a peer
// cannot grow it without bound by acknowledging ever new ranges.
// Forgetting some only makes us send rows the peer may have.
const DefaultMaxKnownRanges = 512

// OutboundOptions tune an Outbound; zero fields take the defaults.
type OutboundOptions struct {
	MaxQueueBytes int // DefaultMaxQueueBytes
	MaxPushBytes  int // DefaultMaxPushBytes
	BatchRows     int // DefaultBatchRows
	BatchBytes    int // DefaultBatchBytes
	MaxRanges     int // DefaultMaxKnownRanges
}

// Action is what an Outbound asks its caller to do next.
type Action int

const (
	// Wait: nothing to do until a message, a commit or a tick arrives.
	Wait Action = iota
	// Scan: call Begin, then scan a snapshot for every row holding a dot
	// outside Against(), send the rows with Batch, then call Done with the
	// snapshot's version vector.
	Scan
	// Push: call NextPush and send what it returns.
	Push
)

type outState int

const (
	awaitingHello outState = iota
	needScan
	scanning
	live
	// awaitingAck: a bootstrap ended that does not let our Pushes claim
	// our own dots (it resumed after a position, or commits were dropped
	// meanwhile); an ordinary catch-up follows once the peer's Ack tells
	// what the bootstrap gave it, so that it does not send it all again.
	awaitingAck
)

// Outbound is the sending half of a session. Not safe for concurrent use.
type Outbound struct {
	self, peer crdt.ReplicaID
	maxQueue   int
	maxPush    int
	batchRows  int
	batchBytes int
	maxRanges  int
	bootstrap  *wire.Bootstrap // the peer asked for a bootstrap from there
	partial    *Commit         // rows of a commit not yet pushed (split)
	state      outState
	known      *crdt.VersionVector // what the peer has: its Hello, its Acks
	queue      []Commit
	queueBytes int
	overflow   bool   // commits were dropped: another scan is due after Done
	seq        uint64 // sequence number of the last message built
	lastOwn    uint64 // own counter of the latest commit pushed
	ackSent    *crdt.VersionVector
	ackPeers   []crdt.ReplicaID
	// direct are the replicas the peer reported a live session with: rows
	// whose new dots all come from them reach the peer without us.
	direct map[crdt.ReplicaID]bool
}

// NewOutbound returns the sending half of a session of self; the peer is
// known at its Hello.
func NewOutbound(self crdt.ReplicaID, opts OutboundOptions) *Outbound {
	return &Outbound{
		self:       self,
		maxQueue:   orDefault(opts.MaxQueueBytes, DefaultMaxQueueBytes),
		maxPush:    orDefault(opts.MaxPushBytes, DefaultMaxPushBytes),
		batchRows:  orDefault(opts.BatchRows, DefaultBatchRows),
		batchBytes: orDefault(opts.BatchBytes, DefaultBatchBytes),
		maxRanges:  orDefault(opts.MaxRanges, DefaultMaxKnownRanges),
		known:      &crdt.VersionVector{},
	}
}

func orDefault(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

// Hello builds our Hello, the session's first message: our vector, the
// nonce that binds our replica id to our certificate, and, to ask for a
// bootstrap, where it should resume (nil: an ordinary catch-up).
func (o *Outbound) Hello(vv, firsthand *crdt.VersionVector, nonce []byte, boot *wire.Bootstrap) *wire.Message {
	return o.stamp(&wire.Message{Hello: &wire.Hello{Version: wire.Version, Replica: o.self, VV: vv, Nonce: nonce,
		Bootstrap: boot, Firsthand: firsthand}})
}

// HeldFor returns what a Hello says its sender holds of dots, as the node
// self should believe it: VV, except that self's own dots are those the
// sender learnt firsthand (see wire.Hello.Firsthand).
func HeldFor(h *wire.Hello, self crdt.ReplicaID) *crdt.VersionVector {
	if h.Firsthand == nil {
		return h.VV.Clone()
	}
	out := &crdt.VersionVector{}
	for _, o := range h.VV.Origins() {
		if o != self {
			out.Join(h.VV.Part(o))
		}
	}
	out.Join(h.Firsthand.Part(self))
	return out
}

// PeerHello records the peer's Hello: who it is, what it has, and whether
// it asked for a bootstrap. The catch-up starts. What the peer has is
// taken from its Hello alone: an acknowledgement stored from an earlier
// session may claim more than a peer restored from a backup still holds,
// and the rows it lost would then never be sent again.
func (o *Outbound) PeerHello(peer crdt.ReplicaID, h *wire.Hello) {
	o.peer = peer
	o.known = HeldFor(h, o.self)
	o.known.Trim(o.maxRanges)
	o.bootstrap = h.Bootstrap
	o.state = needScan
}

// Acked records that the peer has durably applied vv and has live sessions
// with peers. If it lost a session it had, rows we did not relay to it on
// that account may now never reach it from their origin: a fresh catch-up
// sends whatever it lacks.
func (o *Outbound) Acked(vv *crdt.VersionVector, peers []crdt.ReplicaID) {
	o.known.Join(vv)
	o.known.Trim(o.maxRanges)
	if o.state == awaitingAck {
		o.state = needScan
	}
	next := make(map[crdt.ReplicaID]bool, len(peers))
	for _, p := range peers {
		next[p] = true
	}
	for p := range o.direct {
		if !next[p] {
			o.rescan()
			break
		}
	}
	o.direct = next
}

// Overflow tells the Outbound that commits meant for it were dropped
// before reaching Publish (its caller's hand-off queue overflowed): the
// peer gets a fresh catch-up.
func (o *Outbound) Overflow() {
	o.rescan()
	o.queue, o.queueBytes, o.overflow = nil, 0, o.state == scanning
}

// rescan schedules a catch-up: now if live, after the current one if
// scanning (dropping the queue, which the new snapshot covers).
func (o *Outbound) rescan() {
	switch o.state {
	case live:
		o.state = needScan
	case scanning:
		o.queue, o.queueBytes, o.overflow = nil, 0, true
	}
}

// Peer returns the peer's replica id, 0 before its Hello.
func (o *Outbound) Peer() crdt.ReplicaID { return o.peer }

// Next says what the caller should do.
func (o *Outbound) Next() Action {
	switch {
	case o.state == needScan:
		return Scan
	case o.state == live && (len(o.queue) > 0 || o.partial != nil):
		return Push
	}
	return Wait
}

// Against returns the version vector to scan against: what the peer has.
func (o *Outbound) Against() *crdt.VersionVector { return o.known.Clone() }

// Begin starts a catch-up. The caller takes its snapshot after Begin: every
// commit published before Begin is in the snapshot and is dropped from the
// queue; every commit published after it is queued and pushed after Done,
// whether or not the snapshot holds it.
func (o *Outbound) Begin() {
	o.state = scanning
	o.queue, o.queueBytes, o.overflow, o.partial = nil, 0, false, nil
}

// Batch builds a catch-up message of rows read from the snapshot.
func (o *Outbound) Batch(rows []wire.Row) *wire.Message {
	return o.stamp(&wire.Message{Batch: &wire.Batch{Rows: rows}})
}

// Done ends the catch-up with the snapshot's version vector. If commits
// were dropped meanwhile, the next action is another Scan; else pushing.
func (o *Outbound) Done(snapshot *crdt.VersionVector) *wire.Message {
	o.state = live
	if o.overflow {
		o.state = needScan
	}
	o.lastOwn = max(o.lastOwn, snapshot.Base(o.self))
	return o.stamp(&wire.Message{Done: &wire.Done{VV: snapshot}})
}

// bootstrapDone ends a bootstrap. One streamed from its start is a
// catch-up like any other. One resumed after a position is not: rows
// before it came from an earlier snapshot, perhaps another node's, so our
// own dots up to this snapshot are not all here and no Push may claim
// them; an ordinary catch-up follows first (after the peer's Ack).
func (o *Outbound) bootstrapDone(snapshot *crdt.VersionVector, resumed bool) *wire.Message {
	if !resumed && !o.overflow {
		return o.Done(snapshot)
	}
	o.state, o.overflow = awaitingAck, false
	o.queue, o.queueBytes, o.partial = nil, 0, nil
	return o.stamp(&wire.Message{Done: &wire.Done{VV: snapshot}})
}

// Publish hands the Outbound a commit of the local node, in commit order.
// Before the peer's Hello, commits are not queued: the catch-up will find
// them. Past the queue bound, the queue is dropped for a later rescan.
func (o *Outbound) Publish(c Commit) {
	if o.state == awaitingHello || o.state == needScan || o.state == awaitingAck || o.overflow {
		return
	}
	// One commit larger than the bound alone is queued (it is split into
	// Pushes); past the bound with others, the peer gets a rescan.
	if len(o.queue) > 0 && o.queueBytes+c.Size > o.maxQueue {
		o.rescan()
		o.queue, o.queueBytes, o.overflow = nil, 0, true
		return
	}
	o.queue = append(o.queue, c)
	o.queueBytes += c.Size
}

// NextPush returns the next Push: the oldest queued commit's rows that
// the peer does not have, did not send us and does not hear from their
// origins directly; nil when there are none (there is nothing to say: the
// next Push claims our dots up to its own counter anyway). A commit whose
// rows exceed MaxPushBytes goes in several Pushes: all but the last carry
// the counter already claimed, so the commit's own dots are claimed only
// once all of its rows are sent.
func (o *Outbound) NextPush() *wire.Message {
	if o.state != live {
		return nil
	}
	if o.partial == nil {
		if len(o.queue) == 0 {
			return nil
		}
		c := o.queue[0]
		o.queue = o.queue[1:]
		o.queueBytes -= c.Size
		c.Rows = o.filter(c.Rows)
		if len(c.Rows) == 0 {
			return nil
		}
		o.partial = &c
	}
	c := o.partial
	n, size := 0, 0
	for n < len(c.Rows) && (n == 0 || size+RowSize(c.Rows[n].Row) <= o.maxPush) {
		size += RowSize(c.Rows[n].Row)
		n++
	}
	rows := make([]wire.Row, n)
	for i, r := range c.Rows[:n] {
		rows[i] = r.Row
	}
	if c.Rows = c.Rows[n:]; len(c.Rows) == 0 {
		o.partial = nil
		o.lastOwn = max(o.lastOwn, c.OwnCounter)
	}
	return o.stamp(&wire.Message{Push: &wire.Push{Rows: rows, OwnCounter: o.lastOwn}})
}

// filter keeps the rows of a commit that the peer needs from us.
func (o *Outbound) filter(rows []CommitRow) []CommitRow {
	var out []CommitRow
	for _, r := range rows {
		if r.Source != o.peer && !covered(o.known, r.Row) && !o.reachesDirectly(r.Row) {
			out = append(out, r)
		}
	}
	return out
}

// reachesDirectly reports whether every dot of the row the peer lacks was
// minted by another replica the peer has a live session with: that
// replica pushes the row itself, so relaying it would only send it twice.
// Our own dots are always sent (the Push claims them).
func (o *Outbound) reachesDirectly(r wire.Row) bool {
	if len(o.direct) == 0 {
		return false
	}
	for _, d := range r.Row.LatestDots() {
		if !o.known.Contains(d) && (d.Origin == o.self || !o.direct[d.Origin]) {
			return false
		}
	}
	return true
}

// Ack builds an Ack of our durable version vector (as shown to this
// peer: its own dots those learnt firsthand) and live peers, or nil if the
// peer was already told exactly that and force is false.
func (o *Outbound) Ack(vv *crdt.VersionVector, peers []crdt.ReplicaID, force bool) *wire.Message {
	if !force && o.ackSent != nil && o.ackSent.Equal(vv) && slices.Equal(o.ackPeers, peers) {
		return nil
	}
	o.ackSent, o.ackPeers = vv.Clone(), slices.Clone(peers)
	return o.stamp(&wire.Message{Ack: &wire.Ack{VV: vv, Peers: peers}})
}

// KnownOwn returns the contiguous counter of our own dots the peer is
// known to have: a status shows our counter minus it as the peer's lag.
func (o *Outbound) KnownOwn() uint64 { return o.known.Base(o.self) }

func (o *Outbound) stamp(m *wire.Message) *wire.Message {
	o.seq++
	m.Seq = o.seq
	return m
}
