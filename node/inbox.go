package node

import (
	"context"
	"sync"

	"golang.org/x/sync/semaphore"

	"github.com/shoal-db/shoal/crdt"
	"github.com/shoal-db/shoal/sync/protocol"
	"github.com/shoal-db/shoal/sync/wire"
)

// inbox hands a session's sending goroutine, which owns the Outbound,
// what other goroutines learn for it: the peer's Hello and Acks (from the
// receiving goroutine) and commits (from the writer). It never blocks the
// writer: commits beyond its bound are dropped, and the Outbound is told
// to catch the peer up afresh instead.
type inbox struct {
	wake chan struct{} // a value is waiting

	mu       sync.Mutex
	max      int
	hello    *wire.Hello
	peer     crdt.ReplicaID
	commits  []protocol.Commit
	bytes    int
	overflow bool
	acked    *crdt.VersionVector // the latest Ack (an honest peer's Acks only grow)
	ackPeers []crdt.ReplicaID
}

func (b *inbox) init(maxBytes int) {
	if maxBytes <= 0 {
		maxBytes = protocol.DefaultMaxQueueBytes
	}
	b.max, b.wake = maxBytes, make(chan struct{}, 1)
}

func (b *inbox) poke() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

func (b *inbox) putHello(peer crdt.ReplicaID, h *wire.Hello) {
	b.mu.Lock()
	b.hello, b.peer = h, peer
	b.mu.Unlock()
	b.poke()
}

func (b *inbox) publish(c protocol.Commit) {
	b.mu.Lock()
	// One commit larger than the bound alone goes through (the Outbound
	// splits it into Pushes); past the bound with others, they are dropped.
	if len(b.commits) > 0 && b.bytes+c.Size > b.max {
		b.commits, b.bytes, b.overflow = nil, 0, true
	} else if !b.overflow {
		b.commits = append(b.commits, c)
		b.bytes += c.Size
	}
	b.mu.Unlock()
	b.poke()
}

func (b *inbox) ack(vv *crdt.VersionVector, peers []crdt.ReplicaID) {
	b.mu.Lock()
	b.acked, b.ackPeers = vv, peers
	b.mu.Unlock()
	b.poke()
}

// drainInto hands everything waiting to o, in the order that keeps the
// protocol's rules: the Hello first, then the commits in commit order.
func (b *inbox) drainInto(o *protocol.Outbound) {
	b.mu.Lock()
	hello, peer, commits, overflow := b.hello, b.peer, b.commits, b.overflow
	acked, ackPeers := b.acked, b.ackPeers
	b.hello, b.commits, b.bytes, b.overflow, b.acked, b.ackPeers = nil, nil, 0, false, nil, nil
	b.mu.Unlock()
	if hello != nil {
		o.PeerHello(peer, hello)
	}
	for _, c := range commits {
		o.Publish(c)
	}
	if overflow {
		o.Overflow()
	}
	if acked != nil {
		o.Acked(acked, ackPeers)
	}
}

// recvBudget bounds the bytes of peers' messages a node holds decoded and
// not yet applied, across all sessions. A session that would pass it
// waits (and stops reading, so its peer's sends wait too) until the
// writer has applied earlier messages. A message larger than the whole
// budget takes all of it.
type recvBudget struct {
	sem  *semaphore.Weighted
	size int64
}

// decodedFactor is how much larger a decoded message is than its bytes.
const decodedFactor = 3

func newRecvBudget(size int64) *recvBudget {
	return &recvBudget{sem: semaphore.NewWeighted(size), size: size}
}

// take reserves room for a message of wireBytes and returns the function
// that gives it back.
func (b *recvBudget) take(ctx context.Context, wireBytes int64) (func(), error) {
	n := min(max(wireBytes*decodedFactor, 1), b.size)
	if err := b.sem.Acquire(ctx, n); err != nil {
		return nil, err
	}
	var once sync.Once
	return func() { once.Do(func() { b.sem.Release(n) }) }, nil
}
