package node

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/shoal-db/shoal/crdt"
	"github.com/shoal-db/shoal/sync/identity"
	"github.com/shoal-db/shoal/sync/transport"
	"github.com/shoal-db/shoal/sync/wire"
)

// TestStalledPeerReleasesSnapshot (hardening item 9): a peer that sent
// its Hello and never read again held the node's catch-up blocked inside
// its scan, and the scan's Pebble snapshot, for ever. Sends have deadlines:
// the stalled peer's session ends and the snapshot is released.
func TestStalledPeerReleasesSnapshot(t *testing.T) {
	if testing.Short() {
		t.Skip("real network")
	}
	ctx := context.Background()
	certs := t.TempDir()
	must(t, identity.InitCA(certs))
	for _, name := range []string{"victim", "staller"} {
		must(t, identity.Issue(certs, name, nil))
	}
	files := func(name string) TLSFiles {
		return TLSFiles{CA: filepath.Join(certs, "ca.crt"), Cert: filepath.Join(certs, name+".crt"), Key: filepath.Join(certs, name+".key")}
	}
	addr := freeUDPAddr(t)
	db, err := Open(t.TempDir(), &Options{Logger: discardLogger(), Listen: addr, TLS: files("victim"), SyncTimeout: time.Second})
	must(t, err)
	defer db.Close()
	for i := 0; i < 20_000; i += 2000 { // a few MB of rows: more than a stream window
		b := db.NewBatch()
		for k := i; k < i+2000; k++ {
			b.Put(fmt.Sprintf("key/%06d", k), make([]byte, 200))
		}
		must(t, b.Commit(ctx))
	}

	m := identity.Material{CAFile: files("staller").CA, CertFile: files("staller").Cert, KeyFile: files("staller").Key}
	client, err := m.ClientConfig()
	must(t, err)
	conn, err := transport.Dial(ctx, addr, &transport.Options{ClientTLS: client})
	must(t, err)
	defer conn.Close()
	key, err := identity.KeyOfFile(files("staller").Cert)
	must(t, err)
	nonce := []byte("staller")
	must(t, conn.Send(&wire.Message{Seq: 1, Hello: &wire.Hello{
		Version: wire.Version, Replica: crdt.ReplicaIDFor(key, nonce), VV: &crdt.VersionVector{}, Nonce: nonce}}))
	// Never read. The node's catch-up fills the stream and blocks.
	waitFor(t, 10*time.Second, func() bool { return db.store.OpenSnapshots() > 0 })
	waitFor(t, 20*time.Second, func() bool {
		st, _ := db.Status()
		return db.store.OpenSnapshots() == 0 && len(st.Peers) == 0
	})
}
