package node

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// cluster is n nodes on an in-memory network, each on its own in-memory
// file system. Node i listens on "n<i>" and dials every node below it.
type cluster struct {
	t   *testing.T
	net *memNet
	fss []vfs.FS
	dbs []*DB
}

func newCluster(t *testing.T, n int) *cluster {
	c := &cluster{t: t, net: newMemNet()}
	for range n {
		c.fss = append(c.fss, vfs.NewMem())
		c.dbs = append(c.dbs, nil)
	}
	for i := range n {
		c.open(i)
	}
	return c
}

func (c *cluster) open(i int) { c.openWith(i, func(*Options) {}) }

// openWith opens node i with options changed by f.
func (c *cluster) openWith(i int, f func(*Options)) {
	var peers []string
	for j := range i {
		peers = append(peers, fmt.Sprintf("n%d", j))
	}
	o := &Options{
		FS: c.fss[i], Logger: discardLogger(), Transport: c.net.transport(fmt.Sprintf("n%d", i)),
		Listen: fmt.Sprintf("n%d", i), Peers: peers, SyncBackoffMax: time.Second,
	}
	f(o)
	db, err := Open("db", o)
	if err != nil {
		c.t.Fatalf("open n%d: %v", i, err)
	}
	c.dbs[i] = db
}

func (c *cluster) close() {
	for _, db := range c.dbs {
		if db != nil {
			db.Close()
		}
	}
}

func (c *cluster) restart(i int) {
	must(c.t, c.dbs[i].Close())
	c.open(i)
}

// dump renders every key of a node, siblings included, for comparison.
func dump(t *testing.T, db *DB) string {
	var b strings.Builder
	for rec, err := range db.Scan(context.Background(), ScanOptions{}) {
		must(t, err)
		fmt.Fprintf(&b, "%s:%s=", rec.Key, rec.Type)
		switch rec.Type {
		case TypeRegister:
			fmt.Fprintf(&b, "%s", itemString(rec.Item))
		case TypeCounter:
			fmt.Fprint(&b, rec.Counter)
		case TypeSet:
			fmt.Fprint(&b, rec.Members)
		case TypeMap:
			var fields []string
			for f, it := range rec.Fields {
				fields = append(fields, f+"="+itemString(it))
			}
			slices.Sort(fields)
			fmt.Fprint(&b, fields)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func itemString(it Item) string {
	s := string(it.Value)
	for _, sib := range it.Siblings {
		s += "|" + string(sib.Value)
	}
	return s
}

// waitConverged waits (in the bubble's fake time) until every node shows
// the same state and no peer lags, or fails after limit.
func (c *cluster) waitConverged(limit time.Duration) string {
	c.t.Helper()
	deadline := time.Now().Add(limit)
	for {
		first := dump(c.t, c.dbs[0])
		same := true
		for _, db := range c.dbs[1:] {
			if dump(c.t, db) != first {
				same = false
			}
		}
		if same {
			return first
		}
		if time.Now().After(deadline) {
			for i, db := range c.dbs {
				st, _ := db.Status()
				c.t.Logf("n%d %s peers %+v\n%s", i, st.VersionVector, st.Peers, dump(c.t, db))
			}
			c.t.Fatalf("no convergence after %s", limit)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestReplicationBasic(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		c := newCluster(t, 3)
		defer c.close()
		must(t, c.dbs[0].Put(ctx, "k", []byte("from n0")))
		must(t, c.dbs[1].Increment(ctx, "c", 2))
		must(t, c.dbs[2].Increment(ctx, "c", 3))
		must(t, c.dbs[2].SetAdd(ctx, "s", "a", "b"))
		must(t, c.dbs[1].MapSet(ctx, "m", "f", []byte("v")))
		state := c.waitConverged(30 * time.Second)
		want := "c:counter=5\nk:register=from n0\nm:map=[f=v]\ns:set=[a b]\n"
		if state != want {
			t.Fatalf("converged to\n%s\nwant\n%s", state, want)
		}
		st, err := c.dbs[0].Status()
		must(t, err)
		if len(st.Peers) != 2 || !st.Peers[0].Connected || st.Peers[0].BytesSent == 0 {
			t.Fatalf("n0 peers = %+v", st.Peers)
		}
	})
}

// TestDialingEachOther: two nodes that both dial each other keep one
// session, agree on which, and still replicate both ways.
func TestDialingEachOther(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		net := newMemNet()
		open := func(name, peer string) *DB {
			db, err := Open("db", &Options{FS: vfs.NewMem(), Logger: discardLogger(), Transport: net.transport(name),
				Listen: name, Peers: []string{peer}, SyncBackoffMax: time.Second})
			must(t, err)
			return db
		}
		a, b := open("a", "b"), open("b", "a")
		defer a.Close()
		defer b.Close()
		must(t, a.Put(ctx, "from-a", []byte("1")))
		must(t, b.Put(ctx, "from-b", []byte("2")))
		c := &cluster{t: t, dbs: []*DB{a, b}}
		c.waitConverged(30 * time.Second)
		time.Sleep(5 * time.Second) // redials settle
		for _, db := range []*DB{a, b} {
			st, err := db.Status()
			must(t, err)
			if len(st.Peers) != 1 || !st.Peers[0].Connected {
				t.Fatalf("%s peers = %+v, want one connected session", st.NodeID, st.Peers)
			}
		}
	})
}
