package node

import (
	"context"
	"testing"
	"time"

	"github.com/shoal-db/shoal/crdt"
	"github.com/shoal-db/shoal/storage"
)

// sentBy returns the bytes node name has sent on its open connections.
func (n *memNet) sentBy(name string) uint64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	var total uint64
	for _, c := range n.conns {
		if c.local == name {
			total += c.sent.Load()
		}
	}
	return total
}

// TestAcksFollowChanges (issue 8): every Ack carried the whole vector, and
// an idle session copied and compared it every Ack interval; with an
// origin per device that ever wrote, one small push cost a large Ack each
// way. An idle session now sends no Ack, and one after a change carries
// the changed parts alone.
func TestAcksFollowChanges(t *testing.T) {
	ctx := context.Background()
	c := newCluster(t, 2)
	defer c.close()
	// n1 has seen 2,000 other origins (as a hub that phones wrote to),
	// planted in its store while it is closed.
	must(t, c.dbs[1].Close())
	st, err := storage.Open("db", &storage.Options{FS: c.fss[1], Logger: discardLogger()})
	must(t, err)
	many := &crdt.VersionVector{}
	for i := range 2000 {
		many.AddRange(crdt.ReplicaID(0x7000_0000+i), 1, 5)
	}
	commit := st.NewCommit()
	commit.JoinVersionVector(many, 0)
	must(t, commit.Apply())
	must(t, st.Close())
	c.open(1)
	must(t, c.dbs[0].Put(ctx, "k0", []byte("v")))
	c.waitConverged(10 * time.Second)
	time.Sleep(4 * c.dbs[1].opts.SyncAckInterval) // the first, whole Ack

	idle := c.net.sentBy("n1")
	time.Sleep(6 * c.dbs[1].opts.SyncAckInterval)
	if got := c.net.sentBy("n1"); got != idle {
		t.Fatalf("an idle session sent %d bytes of Acks", got-idle)
	}
	must(t, c.dbs[0].Put(ctx, "k1", []byte("v")))
	c.waitConverged(10 * time.Second)
	time.Sleep(4 * c.dbs[1].opts.SyncAckInterval)
	// The whole vector is over 2,000 x 10 bytes; the change is one origin.
	if got := c.net.sentBy("n1") - idle; got == 0 || got > 1000 {
		t.Fatalf("the Ack of one change took %d bytes, want a few dozen", got)
	}
}

// TestLagAfterPush (found by the phones benchmark): the first change of a
// node's vector had the number 1, which an Ack sent before any change
// also recorded (0 was taken for "none sent"), so that change was never
// acked and the writer's status showed its peer lagging for good.
func TestLagAfterPush(t *testing.T) {
	ctx := context.Background()
	c := newCluster(t, 2)
	defer c.close()
	c.waitConverged(5 * time.Second)
	must(t, c.dbs[1].Put(ctx, "a", []byte("v")))
	must(t, c.dbs[1].Increment(ctx, "b", 1))
	c.waitConverged(5 * time.Second)
	deadline := time.Now().Add(5 * time.Second)
	for {
		st, err := c.dbs[1].Status()
		must(t, err)
		if len(st.Peers) == 1 && st.Peers[0].Lag == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the peer has every write, and the status still shows it lagging: %+v", st.Peers)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
