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

// TestHelloShowsFirsthandOwnDots (found in review): a liar claims origin
// C's dots 1..5 to node N (in its Hello and its bootstrap's Start and Done,
// all consistent). N's Hello shows C only the dots of C it learnt
// firsthand (Hello.Firsthand), so that C still sends them; before, N
// showed everything it held and C skipped them for good.
func TestHelloShowsFirsthandOwnDots(t *testing.T) {
	ctx := context.Background()
	net := newMemNet()
	n, err := Open("db", &Options{FS: vfs.NewMem(), Logger: discardLogger(), Transport: net.transport("n0"),
		Listen: "n0", SyncBackoffMax: time.Second})
	must(t, err)
	defer n.Close()

	cfs := vfs.NewMem()
	c, err := Open("db", &Options{FS: cfs, Logger: discardLogger(), Transport: net.transport("c"), Listen: "c"})
	must(t, err)
	for i := range 5 {
		must(t, c.Put(ctx, fmt.Sprintf("k%d", i), []byte("v")))
	}
	cid := c.store.ReplicaID()
	must(t, c.Close())

	lie := &crdt.VersionVector{}
	lie.AddRange(cid, 1, 5)
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
	deadline := time.Now().Add(10 * time.Second)
	for !n.store.VersionVector().Contains(crdt.Dot{Origin: cid, Counter: 5}) {
		if time.Now().After(deadline) {
			t.Fatal("N never took the liar's claim")
		}
		time.Sleep(10 * time.Millisecond)
	}
	liar.Close()
	if vv := n.store.VersionVectorFor(cid); vv.Max(cid) != 0 {
		t.Fatalf("storage shows C its own dots on the liar's word: %s", vv)
	}

	// C comes up and connects to N: N must get C's five writes from C.
	c, err = Open("db", &Options{FS: cfs, Logger: discardLogger(), Transport: net.transport("c"),
		Peers: []string{"n0"}, SyncBackoffMax: time.Second})
	must(t, err)
	defer c.Close()
	if c.store.ReplicaID() != cid {
		t.Fatalf("C changed id")
	}
	deadline = time.Now().Add(10 * time.Second)
	for {
		if _, err := n.Get(ctx, "k4"); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("N never got C's writes: N's Hello showed C the liar's claim (N's vector %s)", n.store.VersionVector())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestLiarCannotMakeThirdNodeRekey (found in review): a liar claims C's
// dots 1..1000 to N; N passes that on only as hearsay, so C (counter 5)
// neither takes itself for a restored copy nor takes a fresh replica id.
func TestLiarCannotMakeThirdNodeRekey(t *testing.T) {
	ctx := context.Background()
	net := newMemNet()
	n, err := Open("db", &Options{FS: vfs.NewMem(), Logger: discardLogger(), Transport: net.transport("n0"),
		Listen: "n0", SyncBackoffMax: time.Second})
	must(t, err)
	defer n.Close()
	cfs := vfs.NewMem()
	c, err := Open("db", &Options{FS: cfs, Logger: discardLogger(), Transport: net.transport("c"), Listen: "c"})
	must(t, err)
	for i := range 5 {
		must(t, c.Put(ctx, fmt.Sprintf("k%d", i), []byte("v")))
	}
	cid := c.store.ReplicaID()
	must(t, c.Close())

	lie := &crdt.VersionVector{}
	lie.AddRange(cid, 1, 1000)
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
	deadline := time.Now().Add(10 * time.Second)
	for !n.store.VersionVector().Contains(crdt.Dot{Origin: cid, Counter: 1000}) {
		if time.Now().After(deadline) {
			t.Fatal("N never took the liar's claim")
		}
		time.Sleep(10 * time.Millisecond)
	}
	liar.Close()

	c, err = Open("db", &Options{FS: cfs, Logger: discardLogger(), Transport: net.transport("c"),
		Peers: []string{"n0"}, SyncBackoffMax: time.Second})
	must(t, err)
	defer c.Close()
	deadline = time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		if c.store.ReplicaID() != cid {
			t.Fatalf("C took a fresh replica id because N showed it the liar's claim about C's dots")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
