package node

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/shoal-db/shoal/sync/identity"
)

// quicNode is a node of a real QUIC cluster on 127.0.0.1.
type quicNode struct {
	tune      func(*Options)
	dir, addr string
	tls       TLSFiles
	peers     []string
	db        *DB
}

// freeUDPAddr returns a loopback UDP address that is free now.
func freeUDPAddr(t *testing.T) string {
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().String()
}

func (n *quicNode) open(t *testing.T) {
	o := &Options{
		Logger: discardLogger(), Listen: n.addr, Peers: n.peers, TLS: n.tls,
		SyncBackoffMin: 20 * time.Millisecond, SyncBackoffMax: 200 * time.Millisecond,
	}
	if n.tune != nil {
		n.tune(o)
	}
	db, err := Open(n.dir, o)
	if err != nil {
		t.Fatal(err)
	}
	n.db = db
}

// quicCluster makes a CA, and n nodes that each dial every node before it.
func quicCluster(t *testing.T, n int) []*quicNode { return quicClusterWith(t, n, nil) }

// quicClusterWith is quicCluster with every node's options changed by tune.
func quicClusterWith(t *testing.T, n int, tune func(*Options)) []*quicNode {
	certs := t.TempDir()
	must(t, identity.InitCA(certs))
	var nodes []*quicNode
	for i := range n {
		name := fmt.Sprintf("node%d", i)
		must(t, identity.Issue(certs, name, nil))
		qn := &quicNode{dir: t.TempDir(), addr: freeUDPAddr(t), tune: tune, tls: TLSFiles{
			CA: filepath.Join(certs, "ca.crt"), Cert: filepath.Join(certs, name+".crt"), Key: filepath.Join(certs, name+".key"),
		}}
		for _, p := range nodes {
			qn.peers = append(qn.peers, p.addr)
		}
		qn.open(t)
		t.Cleanup(func() { qn.db.Close() })
		nodes = append(nodes, qn)
	}
	return nodes
}

// waitSame polls (real time) until every node dumps the same state.
func waitSame(t *testing.T, nodes []*quicNode, limit time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		first := dump(t, nodes[0].db)
		same := true
		for _, n := range nodes[1:] {
			same = same && dump(t, n.db) == first
		}
		if same {
			return first
		}
		if time.Now().After(deadline) {
			for i, n := range nodes {
				st, _ := n.db.Status()
				t.Logf("node%d peers %+v\n%s", i, st.Peers, dump(t, n.db))
			}
			t.Fatalf("nodes differ after %s", limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestQUICCluster: three nodes over real QUIC with mutual TLS; concurrent
// writes; one node stopped and restarted while the others write; the same
// state everywhere after.
func TestQUICCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("real network")
	}
	ctx := context.Background()
	nodes := quicCluster(t, 3)
	for i, n := range nodes {
		must(t, n.db.Put(ctx, fmt.Sprintf("k%d", i), []byte("v")))
		must(t, n.db.Increment(ctx, "hits", 1))
		must(t, n.db.SetAdd(ctx, "members", fmt.Sprint(i)))
	}
	waitSame(t, nodes, 20*time.Second)

	must(t, nodes[2].db.Close())
	must(t, nodes[0].db.Put(ctx, "while-down", []byte("from node0")))
	must(t, nodes[1].db.Increment(ctx, "hits", 10))
	must(t, nodes[1].db.MapSet(ctx, "m", "f", []byte("x")))
	nodes[2].open(t) // same directory, same port
	state := waitSame(t, nodes, 20*time.Second)
	want := "hits:counter=13\nk0:register=v\nk1:register=v\nk2:register=v\nm:map=[f=x]\nmembers:set=[0 1 2]\nwhile-down:register=from node0\n"
	if state != want {
		t.Fatalf("state\n%s\nwant\n%s", state, want)
	}
	st, _ := nodes[0].db.Status()
	for _, p := range st.Peers {
		if !p.Connected || p.BytesSent == 0 || p.BytesRecv == 0 {
			t.Errorf("node0 sees peer %+v", p)
		}
	}
}

// TestQUICRefusesOtherCA: a node whose certificate comes from another CA
// never gets in, and the cluster keeps serving.
func TestQUICRefusesOtherCA(t *testing.T) {
	if testing.Short() {
		t.Skip("real network")
	}
	ctx := context.Background()
	nodes := quicCluster(t, 2)
	other := quicCluster(t, 1)[0] // its own CA
	must(t, other.db.Close())
	other.peers = []string{nodes[0].addr}
	other.addr = freeUDPAddr(t)
	other.open(t)
	defer other.db.Close()
	must(t, other.db.Put(ctx, "intruder", []byte("x")))
	must(t, nodes[1].db.Put(ctx, "ok", []byte("y")))
	waitSame(t, nodes, 20*time.Second)
	time.Sleep(300 * time.Millisecond) // several redial attempts by the intruder
	if _, err := nodes[0].db.Get(ctx, "intruder"); err == nil {
		t.Fatal("a node with a certificate from another CA replicated into the cluster")
	}
	if st, _ := other.db.Status(); len(st.Peers) != 1 || st.Peers[0].Connected {
		t.Fatalf("intruder peers: %+v", st.Peers)
	}
}

// TestQUICSharesOneBudget: the QUIC transport gives all of a node's
// connections, accepted and dialed, one receive budget (without it, each
// Listen and Dial would get its own, and peers together could make the
// node buffer a budget per connection).
func TestQUICSharesOneBudget(t *testing.T) {
	certs := t.TempDir()
	must(t, identity.InitCA(certs))
	must(t, identity.Issue(certs, "node0", nil))
	o := &Options{TLS: TLSFiles{
		CA: filepath.Join(certs, "ca.crt"), Cert: filepath.Join(certs, "node0.crt"), Key: filepath.Join(certs, "node0.key"),
	}}
	tr, err := o.transport()
	if err != nil {
		t.Fatal(err)
	}
	if q, ok := tr.(*quicTransport); !ok || q.opts.Budget == nil {
		t.Fatalf("transport %T without a shared budget", tr)
	}
}
