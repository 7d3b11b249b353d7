package main

import (
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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

// freePort returns a loopback host:port on network ("tcp" or "udp") that
// was free a moment ago. The agents need ports known before they start
// (peers name each other) and kept across a restart, so port 0 will not
// do. The port is taken below the kernel's ephemeral range: a port from
// that range could be handed to some outgoing socket meanwhile, such as
// one of the sockets the survivors redial a stopped member from.
func freePort(t *testing.T, network string) string {
	t.Helper()
	lo, hi := 10000, ephemeralLow()
	for range 100 {
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(lo+rand.IntN(hi-lo)))
		if portFree(network, addr) {
			return addr
		}
	}
	t.Fatalf("no free %s port found in [%d, %d)", network, lo, hi)
	return ""
}

func portFree(network, addr string) bool {
	if network == "udp" {
		pc, err := net.ListenPacket("udp", addr)
		if err == nil {
			pc.Close()
		}
		return err == nil
	}
	ln, err := net.Listen("tcp", addr)
	if err == nil {
		ln.Close()
	}
	return err == nil
}

// ephemeralLow is the bottom of the kernel's ephemeral port range, or a
// common default where it cannot be read.
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 32768
	}
	f := strings.Fields(string(b))
	if n, err := strconv.Atoi(f[0]); err == nil && len(f) == 2 && n > 11000 {
		return n
	}
	return 32768
}
