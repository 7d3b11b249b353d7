package bench

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/shoal-db/shoal/node"
	"github.com/shoal-db/shoal/sync/identity"
)

// cluster is a set of nodes replicating over real QUIC with mutual TLS on
// 127.0.0.1, each storing on disk in its own directory under one
// temporary root, with certificates from one CA made for the run.
type cluster struct {
	root  string
	certs string
	nodes []*syncNode
}

// syncNode is one node of a cluster. Its listen address is fixed at the
// first open, so that a restarted node is where its peers dial.
type syncNode struct {
	name  string
	dir   string
	addr  string // "127.0.0.1:0" until the first open
	peers []string
	tls   node.TLSFiles
	db    *node.DB
}

func newCluster(cfg SyncConfig, part string) (*cluster, error) {
	root, err := os.MkdirTemp(cfg.dir(), "shoal-syncbench-"+part+"-*")
	if err != nil {
		return nil, err
	}
	c := &cluster{root: root, certs: filepath.Join(root, "certs")}
	if err := identity.InitCA(c.certs); err != nil {
		return nil, errors.Join(err, os.RemoveAll(root))
	}
	return c, nil
}

// add makes a node with a certificate of its own that dials the peers'
// addresses; it is not opened yet.
func (c *cluster) add(name string, peers ...string) (*syncNode, error) {
	tls, err := c.issue(name)
	if err != nil {
		return nil, err
	}
	n := &syncNode{name: name, dir: filepath.Join(c.root, name), addr: "127.0.0.1:0", peers: peers, tls: tls}
	c.nodes = append(c.nodes, n)
	return n, nil
}

// issue makes a certificate for name, signed by the cluster's CA.
func (c *cluster) issue(name string) (node.TLSFiles, error) {
	return tlsFiles(c.certs, name), identity.Issue(c.certs, name, nil)
}

// tlsFiles names the files identity.Issue writes for name under dir.
func tlsFiles(dir, name string) node.TLSFiles {
	return node.TLSFiles{
		CA:   filepath.Join(dir, "ca.crt"),
		Cert: filepath.Join(dir, name+".crt"),
		Key:  filepath.Join(dir, name+".key"),
	}
}

// open opens the node. A short redial backoff makes a restarted node's
// peers (and the node itself) reconnect at once rather than after
// seconds, which would be counted as catch-up time.
func (n *syncNode) open() error {
	db, err := node.Open(n.dir, &node.Options{
		Logger: slog.New(slog.DiscardHandler), Listen: n.addr, Peers: n.peers, TLS: n.tls,
		SyncBackoffMin: 20 * time.Millisecond, SyncBackoffMax: 200 * time.Millisecond,
	})
	if err != nil {
		return fmt.Errorf("open %s: %w", n.name, err)
	}
	n.db, n.addr = db, db.ListenAddr()
	return nil
}

func (n *syncNode) close() error {
	if n.db == nil {
		return nil
	}
	err := n.db.Close()
	n.db = nil
	return err
}

// close closes every open node and removes the root directory.
func (c *cluster) close() error {
	var errs []error
	for _, n := range c.nodes {
		errs = append(errs, n.close())
	}
	return errors.Join(append(errs, os.RemoveAll(c.root))...)
}

// openAll makes and opens count nodes named prefix0, prefix1, ..., each
// dialing every node before it: a full mesh.
func (c *cluster) openAll(prefix string, count int) ([]*syncNode, error) {
	var out []*syncNode
	var addrs []string
	for i := range count {
		n, err := c.add(fmt.Sprintf("%s%d", prefix, i), addrs...)
		if err != nil {
			return nil, err
		}
		if err := n.open(); err != nil {
			return nil, err
		}
		out, addrs = append(out, n), append(addrs, n.addr)
	}
	return out, nil
}
