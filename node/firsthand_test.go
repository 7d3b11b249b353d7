package node

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/shoal-db/shoal/crdt"
	"github.com/shoal-db/shoal/sync/wire"
)

// liarScene opens node N, has origin C write five keys and go down, and
// has a liar with a valid certificate claim C's dots 1..hi to N (in its
// Hello, and its bootstrap's Start and Done, all consistent), until N
// holds the claim. It returns N, C's file system and C's id.
func liarScene(t *testing.T, net *memNet, hi uint64) (*DB, vfs.FS, crdt.ReplicaID) {
	t.Helper()
	ctx := context.Background()
	n, err := Open("db", &Options{FS: vfs.NewMem(), Logger: discardLogger(), Transport: net.transport("n0"),
		Listen: "n0", SyncBackoffMax: time.Second})
	must(t, err)
	t.Cleanup(func() { n.Close() })
	cfs := vfs.NewMem()
	c, err := Open("db", &Options{FS: cfs, Logger: discardLogger(), Transport: net.transport("c"), Listen: "c"})
	must(t, err)
	for i := range 5 {
		must(t, c.Put(ctx, fmt.Sprintf("k%d", i), []byte("v")))
	}
	cid := c.store.ReplicaID()
	must(t, c.Close())

	lie := &crdt.VersionVector{}
	lie.AddRange(cid, 1, hi)
	nonce := []byte("liar-nonce")
	liar := rawPeer(t, net, "liar", "n0")
	must(t, liar.Send(&wire.Message{Seq: 1, Hello: &wire.Hello{Version: wire.Version,
		Replica: crdt.ReplicaIDFor(memKey("liar"), nonce), VV: lie, Nonce: nonce}}))
	m, err := liar.Recv()
	if err != nil || m.Hello == nil {
		t.Fatalf("liar refused: %v %v", m, err)
	}
	seq := uint64(2)
	if m.Hello.Bootstrap != nil {
		must(t, liar.Send(&wire.Message{Seq: seq, Start: &wire.Start{VV: lie}}))
		seq++
	}
	must(t, liar.Send(&wire.Message{Seq: seq, Done: &wire.Done{VV: lie}}))
	waitFor(t, 10*time.Second, func() bool { return n.store.VersionVector().Contains(crdt.Dot{Origin: cid, Counter: hi}) })
	liar.Close()
	return n, cfs, cid
}

// reopenOrigin opens C again, dialing N.
func reopenOrigin(t *testing.T, net *memNet, cfs vfs.FS) *DB {
	t.Helper()
	c, err := Open("db", &Options{FS: cfs, Logger: discardLogger(), Transport: net.transport("c"),
		Peers: []string{"n0"}, SyncBackoffMax: time.Second})
	must(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// TestHelloShowsFirsthandOwnDots (found in review): a liar claims origin
// C's dots 1..5 to node N (in its Hello and its bootstrap's Start and Done,
// all consistent). N's Hello shows C only the dots of C it learnt
// firsthand (Hello.Firsthand), so that C still sends them; before, N
// showed everything it held and C skipped them for good.
func TestHelloShowsFirsthandOwnDots(t *testing.T) {
	net := newMemNet()
	n, cfs, cid := liarScene(t, net, 5)
	if vv := n.store.VersionVectorFor(cid); vv.Max(cid) != 0 {
		t.Fatalf("storage shows C its own dots on the liar's word: %s", vv)
	}
	// C comes up and connects to N: N must get C's five writes from C.
	if c := reopenOrigin(t, net, cfs); c.store.ReplicaID() != cid {
		t.Fatalf("C changed id")
	}
	waitFor(t, 10*time.Second, func() bool {
		_, err := n.Get(context.Background(), "k4")
		return err == nil
	})
}

// TestLiarCannotMakeThirdNodeRekey (found in review): a liar claims C's
// dots 1..1000 to N; N passes that on only as hearsay, so C (counter 5)
// neither takes itself for a restored copy nor takes a fresh replica id.
func TestLiarCannotMakeThirdNodeRekey(t *testing.T) {
	net := newMemNet()
	_, cfs, cid := liarScene(t, net, 1000)
	c := reopenOrigin(t, net, cfs)
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		if c.store.ReplicaID() != cid {
			t.Fatalf("C took a fresh replica id because N showed it the liar's claim about C's dots")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
