package transport

import (
	"context"
	"testing"
	"time"

	"github.com/shoal-db/shoal/crdt"
	"github.com/shoal-db/shoal/sync/wire"
)

// TestStatelessResetAfterCrash: a node that crashed (its socket gone, no
// CONNECTION_CLOSE sent) and restarted on its port with the same reset
// secret makes its peers' stale connections fail at once, well inside the
// idle timeout they would otherwise wait out.
func TestStatelessResetAfterCrash(t *testing.T) {
	so := opts(t, cluster, "server")
	so.ResetSecret, so.IdleTimeout = []byte("the server's TLS key"), time.Minute
	l, err := Listen("127.0.0.1:0", so)
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	co := opts(t, cluster, "client")
	co.IdleTimeout = time.Minute
	c, err := Dial(ctxTimeout(t), addr, co)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Send(hello(1)); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Accept(ctxTimeout(t)); err != nil {
		t.Fatal(err)
	}

	l.udp.Close() // the crash: the socket goes, nothing is said to the peer
	l.Close()
	l2, err := Listen(addr, so) // the restart, same port, same secret
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()

	failed := make(chan error, 1)
	go func() {
		_, err := c.Recv()
		failed <- err
	}()
	for range 50 { // keep sending: each packet to the new process draws a reset
		if c.Send(bigHello()) != nil {
			break
		}
		select {
		case err := <-failed:
			if err == nil {
				t.Fatal("Recv returned a message from a crashed peer")
			}
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
	select {
	case <-failed:
	case <-context.Background().Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the stale connection survived the peer's restart (no stateless reset)")
	}
}

// bigHello is a message large enough that the packet carrying it may be
// answered by a stateless reset (RFC 9000 10.3 bounds a reset's size by
// the packet that draws it).
func bigHello() *wire.Message {
	m := hello(2)
	for i := range 40 {
		m.Hello.VV.Add(crdt.Dot{Origin: crdt.ReplicaID(i + 1), Counter: 1})
	}
	return m
}
