package node

import (
	"fmt"
	"testing"
	"time"

	"github.com/shoal-db/shoal/crdt"
	"github.com/shoal-db/shoal/sync/wire"
)

// TestRedialReplacesStaleSession (found by the phones benchmark): a phone
// whose network dropped left its last session open on the hub until the
// idle timeout, and the hub, keeping "the session dialed by the smaller
// replica id", refused the phone's new sessions all that time when the
// hub's id was the smaller (30 s for a returning phone). A second session
// the same way is the dialer's new one: it replaces the old one.
func TestRedialReplacesStaleSession(t *testing.T) {
	c := newCluster(t, 1)
	defer c.close()
	hub := c.dbs[0].store.ReplicaID()
	// A phone id above the hub's: the order in which the old rule kept
	// the stale session.
	var nonce []byte
	var phone crdt.ReplicaID
	for i := 0; phone <= hub; i++ {
		nonce = []byte(fmt.Sprintf("nonce-%d", i))
		phone = crdt.ReplicaIDFor(memKey("phone"), nonce)
	}
	hello := func(conn Conn) {
		t.Helper()
		must(t, conn.Send(&wire.Message{Seq: 1, Hello: &wire.Hello{
			Version: wire.Version, Replica: phone, VV: &crdt.VersionVector{}, Nonce: nonce}}))
		m, err := conn.Recv()
		if err != nil || m.Hello == nil {
			t.Fatalf("the hub refused the phone: %v %v", m, err)
		}
	}
	old := rawPeer(t, c.net, "phone", "n0")
	hello(old)
	waitConnected(t, c.dbs[0], phone)
	// The phone's network drops without a close reaching the hub; it
	// dials again.
	fresh := rawPeer(t, c.net, "phone", "n0")
	hello(fresh)
	waitRefused(t, old)
	time.Sleep(100 * time.Millisecond)
	if !peerConnected(c.dbs[0], phone) {
		t.Fatal("the hub dropped the phone's new session")
	}
}

func waitConnected(t *testing.T, db *DB, id crdt.ReplicaID) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !peerConnected(db, id) {
		if time.Now().After(deadline) {
			t.Fatal("the session never came up")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
