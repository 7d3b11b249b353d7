package node

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/shoal-db/shoal/sync/wire"
)

// memNet is an in-memory network for replication tests: named nodes
// listen on names, dial names, and can be partitioned. Every message goes
// through the wire codec, as it would over QUIC.
type memNet struct {
	mu        sync.Mutex
	listeners map[string]*memListener
	cut       map[[2]string]bool // partitioned pairs, both orders
	conns     []*memConn
}

func newMemNet() *memNet {
	return &memNet{listeners: map[string]*memListener{}, cut: map[[2]string]bool{}}
}

// transport returns the Transport of the node with certificate name name.
func (n *memNet) transport(name string) Transport { return &memTransport{net: n, name: name} }

// partition cuts a and b apart: their connections break and dials fail.
func (n *memNet) partition(a, b string, cut bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.cut[[2]string{a, b}], n.cut[[2]string{b, a}] = cut, cut
	if !cut {
		return
	}
	for _, c := range n.conns {
		if c.local == a && c.remote == b || c.local == b && c.remote == a {
			c.Close()
		}
	}
}

type memTransport struct {
	net  *memNet
	name string
}

var errMemRefused = errors.New("memnet: connection refused")

// memKey stands for the certificate key of the node named name.
func memKey(name string) []byte {
	sum := sha256.Sum256([]byte("memnet " + name))
	return sum[:]
}

func (t *memTransport) Key() []byte { return memKey(t.name) }

func (t *memTransport) Listen(addr string) (Listener, error) {
	t.net.mu.Lock()
	defer t.net.mu.Unlock()
	if t.net.listeners[addr] != nil {
		return nil, fmt.Errorf("memnet: %s in use", addr)
	}
	l := &memListener{net: t.net, addr: addr, name: t.name, conns: make(chan *memConn, 16), done: make(chan struct{})}
	t.net.listeners[addr] = l
	return l, nil
}

func (t *memTransport) Dial(ctx context.Context, addr string) (Conn, error) {
	t.net.mu.Lock()
	l := t.net.listeners[addr]
	if l == nil || t.net.cut[[2]string{t.name, l.name}] {
		t.net.mu.Unlock()
		return nil, errMemRefused
	}
	a, b := memPipe(t.name, l.name)
	t.net.conns = append(t.net.conns, a, b)
	t.net.mu.Unlock()
	select {
	case l.conns <- b:
		return a, nil
	case <-l.done:
		return nil, errMemRefused
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

type memListener struct {
	net        *memNet
	addr, name string
	conns      chan *memConn
	done       chan struct{}
	once       sync.Once
}

func (l *memListener) Accept(ctx context.Context) (Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, errMemRefused
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (l *memListener) Addr() string { return l.addr }

func (l *memListener) Close() error {
	l.once.Do(func() {
		close(l.done)
		l.net.mu.Lock()
		delete(l.net.listeners, l.addr)
		l.net.mu.Unlock()
	})
	return nil
}

// memConn is one end of a pipe of encoded messages.
type memConn struct {
	local, remote string
	in            chan []byte // written by the other end
	peer          *memConn
	done          chan struct{} // closed when either end closes
	once          *sync.Once
	sent, recv    atomic.Uint64
}

func memPipe(dialer, acceptor string) (*memConn, *memConn) {
	done, once := make(chan struct{}), &sync.Once{}
	a := &memConn{local: dialer, remote: acceptor, in: make(chan []byte, 64), done: done, once: once}
	b := &memConn{local: acceptor, remote: dialer, in: make(chan []byte, 64), done: done, once: once}
	a.peer, b.peer = b, a
	return a, b
}

func (c *memConn) Send(m *wire.Message) error {
	b, err := wire.Encode(m)
	if err != nil {
		return err
	}
	select {
	case <-c.done:
		return errMemClosed
	default:
	}
	select {
	case c.peer.in <- b:
		c.sent.Add(uint64(len(b)))
		return nil
	case <-c.done:
		return errMemClosed
	}
}

func (c *memConn) Recv() (*wire.Message, error) {
	select {
	case b := <-c.in:
		c.recv.Add(uint64(len(b)))
		return wire.Decode(b)
	case <-c.done:
		return nil, errMemClosed
	}
}

var errMemClosed = errors.New("memnet: connection closed")

func (c *memConn) PeerName() string      { return c.remote }
func (c *memConn) PeerKey() []byte       { return memKey(c.remote) }
func (c *memConn) RemoteAddr() string    { return c.remote }
func (c *memConn) BytesSent() uint64     { return c.sent.Load() }
func (c *memConn) BytesReceived() uint64 { return c.recv.Load() }
func (c *memConn) Close() error {
	c.once.Do(func() { close(c.done) })
	return nil
}
