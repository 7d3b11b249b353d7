package node

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/shoal-db/shoal/crdt"
	"github.com/shoal-db/shoal/sync/wire"
)

// rawPeer dials a node on a memNet under a certificate name and speaks
// the protocol by hand: a peer with a valid certificate that sends what it
// likes.
func rawPeer(t *testing.T, n *memNet, name, addr string) Conn {
	t.Helper()
	conn, err := n.transport(name).Dial(context.Background(), addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// waitRefused reads until the node ends the session.
func waitRefused(t *testing.T, conn Conn) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		for {
			if _, err := conn.Recv(); err != nil {
				done <- err
				return
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the node kept the session")
	}
}

// TestReplicaIDSquatting (hardening item 7): identity was trust on first
// use, so a peer could claim another node's replica id before that node
// first connected, and lock it out. Replica ids derive from the key of the
// certificate presented: a Hello naming an id its certificate does not
// derive is refused, and the real owner still gets in.
func TestReplicaIDSquatting(t *testing.T) {
	c := newCluster(t, 1)
	defer c.close()
	alice := crdt.ReplicaIDFor(memKey("alice"), []byte("nonce"))
	mallory := rawPeer(t, c.net, "mallory", "n0")
	must(t, mallory.Send(&wire.Message{Seq: 1, Hello: &wire.Hello{
		Version: wire.Version, Replica: alice, VV: &crdt.VersionVector{}, Nonce: []byte("nonce")}}))
	waitRefused(t, mallory)

	// The real alice connects with that id and is accepted.
	a := rawPeer(t, c.net, "alice", "n0")
	must(t, a.Send(&wire.Message{Seq: 1, Hello: &wire.Hello{
		Version: wire.Version, Replica: alice, VV: &crdt.VersionVector{}, Nonce: []byte("nonce")}}))
	m, err := a.Recv()
	if err != nil || m.Hello == nil {
		t.Fatalf("alice refused: %v %v", m, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !peerConnected(c.dbs[0], alice) {
		if time.Now().After(deadline) {
			t.Fatal("alice's session never came up")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func peerConnected(db *DB, id crdt.ReplicaID) bool {
	st, _ := db.Status()
	for _, p := range st.Peers {
		if p.ID == id.String() && p.Connected {
			return true
		}
	}
	return false
}

// TestCopiedDirectoryTakesFreshID (hardening items 3 and 6): a node
// restored from a copy of its directory reused dots it had already
// minted, so its new writes never reached peers that saw the old ones. When
// a peer shows it its own dots above its counter, it takes a fresh replica
// id, and writes after that reach everyone. A restore through
// Options.FreshReplica takes the fresh id at once.
func TestCopiedDirectoryTakesFreshID(t *testing.T) {
	for _, viaOption := range []bool{false, true} {
		t.Run(fmt.Sprintf("FreshReplica=%v", viaOption), func(t *testing.T) {
			ctx := context.Background()
			c := newCluster(t, 2) // n1 dials n0
			defer c.close()
			for i := range 5 {
				must(t, c.dbs[1].Put(ctx, fmt.Sprintf("before/%d", i), []byte("v")))
			}
			c.waitConverged(10 * time.Second)
			backup := c.copyOf(1)
			for i := range 5 { // written after the backup: dots 6..10
				must(t, c.dbs[1].Put(ctx, fmt.Sprintf("lost-copy/%d", i), []byte("v")))
			}
			c.waitConverged(10 * time.Second)
			old := c.dbs[1].store.ReplicaID()
			must(t, c.dbs[1].Close())

			c.fss[1] = backup // the restore: the copy is at dot 5
			c.dbs[1] = nil
			if viaOption {
				c.openWith(1, func(o *Options) { o.FreshReplica = true })
			} else {
				c.open(1)
			}
			waitFreshID(t, c.dbs[1], old)
			for i := range 3 {
				must(t, c.dbs[1].Put(ctx, fmt.Sprintf("after/%d", i), []byte("v")))
			}
			got := c.waitConverged(10 * time.Second)
			for i := range 3 {
				if want := fmt.Sprintf("after/%d", i); !containsKey(got, want) {
					t.Fatalf("%s never converged: %s", want, got)
				}
			}
		})
	}
}

func containsKey(dump, key string) bool { return strings.Contains(dump, key+":") }

// TestRestoredPeerGetsWritesAgain (hardening item 3): a sender joined
// the ack it had stored into what it thought a peer had, so writes made
// after the peer's backup never came back to the restored peer. What a
// peer has is taken from its Hello alone.
func TestRestoredPeerGetsWritesAgain(t *testing.T) {
	ctx := context.Background()
	c := newCluster(t, 2)
	defer c.close()
	must(t, c.dbs[0].Put(ctx, "early", []byte("v")))
	c.waitConverged(10 * time.Second)
	backup := c.copyOf(1)
	for i := range 5 {
		must(t, c.dbs[0].Put(ctx, fmt.Sprintf("late/%d", i), []byte("v")))
	}
	c.waitConverged(10 * time.Second)
	must(t, c.dbs[1].Close())
	c.fss[1], c.dbs[1] = backup, nil
	c.open(1)
	got := c.waitConverged(10 * time.Second)
	for i := range 5 {
		if k := fmt.Sprintf("late/%d", i); !containsKey(got, k) {
			t.Fatalf("%s never came back to the restored peer: %s", k, got)
		}
	}
}

// TestBackupRestore: a backup of a running node restores into a node with
// a fresh replica id that holds every write acknowledged before the
// backup; a non-empty target is refused.
func TestBackupRestore(t *testing.T) {
	ctx := context.Background()
	fs := vfs.NewMem()
	db, _ := openMem(t, &Options{FS: fs})
	for i := range 10 {
		must(t, db.Put(ctx, fmt.Sprintf("k%d", i), []byte("v")))
	}
	must(t, db.Backup("backup"))
	must(t, db.Put(ctx, "after", []byte("v")))
	id := db.ID()
	must(t, db.Close())
	must(t, Restore("backup", "restored", &Options{FS: fs}))
	if err := Restore("backup", "restored", &Options{FS: fs}); !errors.Is(err, ErrRestoreTarget) {
		t.Fatalf("restore over a node: %v", err)
	}
	r2, err := Open("restored", &Options{FS: fs, Logger: discardLogger()})
	must(t, err)
	defer r2.Close()
	if r2.ID() == id {
		t.Fatal("the restored node kept the replica id")
	}
	for i := range 10 {
		if _, err := r2.Get(ctx, fmt.Sprintf("k%d", i)); err != nil {
			t.Fatalf("k%d: %v", i, err)
		}
	}
	if _, err := r2.Get(ctx, "after"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a write after the backup is in it: %v", err)
	}
}

// TestRestoreRefusesNonBackup: a source that holds no store is refused
// rather than restored into an empty node.
func TestRestoreRefusesNonBackup(t *testing.T) {
	fs := vfs.NewMem()
	must(t, fs.MkdirAll("empty", 0o755))
	for _, from := range []string{"missing", "empty"} {
		if err := Restore(from, "target", &Options{FS: fs}); !errors.Is(err, ErrNoBackup) {
			t.Fatalf("restore from %s: %v", from, err)
		}
	}
}

// copyOf stops node i, copies its directory by hand (as a backup tool or a
// VM snapshot would) and starts it again; it returns the copy.
func (c *cluster) copyOf(i int) vfs.FS {
	c.t.Helper()
	must(c.t, c.dbs[i].Close())
	backup := vfs.NewMem()
	if _, err := vfs.Clone(c.fss[i], backup, "db", "db"); err != nil {
		c.t.Fatal(err)
	}
	c.open(i)
	return backup
}
