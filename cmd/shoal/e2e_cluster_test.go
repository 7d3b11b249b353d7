package main

import (
	"net"
	"path/filepath"
	"testing"
)

// member is one agent of an end-to-end cluster. Its ports are chosen once
// and kept across restarts, as a real node's would be: the peers that dial
// it redial the same address, and its clients keep their SHOAL_ADDR.
type member struct {
	name   string
	data   string
	listen string // UDP host:port for peers
	api    string // TCP host:port of the HTTP API
	peers  []string
	proc   *agentProc
}

// url is the member's API as clients address it.
func (m *member) url() string { return "http://" + m.api }

// cluster is a set of agents sharing a CA made with `shoal cert`.
type cluster struct {
	t     *testing.T
	bin   string
	dir   string
	certs string
	nodes []*member
}

// newCluster makes a CA and one certificate per name with the cert
// commands (as an operator would, without --host: peers are known by their
// certificates, not their addresses), and picks each member's ports.
//
// Every member --peer's every other, as the README's walk-through does. A
// restarted member then redials all the others itself. It matters: a
// survivor that had dialled a SIGKILLed member keeps its dead QUIC
// connection until the idle timeout (30s; the transport sends no stateless
// resets). Had the restarted member been dialled by a survivor and not
// dialled it back (a hub, a chain's middle), the two would stay apart
// that long; data would still flow through a third member, if any.
func newCluster(t *testing.T, bin string, names ...string) *cluster {
	dir := t.TempDir()
	c := &cluster{t: t, bin: bin, dir: dir, certs: filepath.Join(dir, "certs")}
	runCLI(t, bin, "", "", "cert", "init", "--dir", c.certs)
	for _, name := range names {
		runCLI(t, bin, "", "", "cert", "issue", "--dir", c.certs, "--name", name)
		m := &member{name: name, data: filepath.Join(dir, name), listen: freePort(t, "udp"), api: freePort(t, "tcp")}
		c.nodes = append(c.nodes, m)
	}
	for _, m := range c.nodes {
		for _, other := range c.nodes {
			if other != m {
				m.peers = append(m.peers, other.listen)
			}
		}
	}
	t.Cleanup(c.stopAll)
	return c
}

// start runs m's agent on its data directory and ports.
func (c *cluster) start(m *member) {
	c.t.Helper()
	args := []string{"--listen", m.listen, "--api", m.api,
		"--ca", filepath.Join(c.certs, "ca.crt"),
		"--cert", filepath.Join(c.certs, m.name+".crt"),
		"--key", filepath.Join(c.certs, m.name+".key")}
	for _, p := range m.peers {
		args = append(args, "--peer", p)
	}
	m.proc = startAgent(c.t, c.bin, m.data, args...)
	if m.proc.peerAddr != m.listen {
		c.t.Fatalf("%s listens for peers on %q, want %s", m.name, m.proc.peerAddr, m.listen)
	}
}

// running lists the members whose agent is up.
func (c *cluster) running() []*member {
	var up []*member
	for _, m := range c.nodes {
		if m.proc != nil && !m.proc.ended {
			up = append(up, m)
		}
	}
	return up
}

// stopAll stops every agent still running with SIGTERM, which also checks
// that each exits 0.
func (c *cluster) stopAll() {
	for _, m := range c.running() {
		m.proc.stop(c.t)
	}
}

// freePort returns a loopback host:port that was free a moment ago on
// network ("tcp" or "udp"). The agents need fixed ports known before they
// start (peers name each other) and kept across a restart, so port 0
// cannot be used; another process taking the port in between is unlikely
// on loopback and would fail the start loudly, not silently.
func freePort(t *testing.T, network string) string {
	t.Helper()
	var addr net.Addr
	switch network {
	case "udp":
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr = pc.LocalAddr()
		pc.Close()
	default:
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr = ln.Addr()
		ln.Close()
	}
	return addr.String()
}
