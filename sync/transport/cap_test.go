package transport

import (
	"errors"
	"testing"
	"time"

	"github.com/quic-go/quic-go"
)

// acceptOne dials l as "client", and returns both ends once accepted.
func acceptOne(t *testing.T, l *Listener) (dialer, acceptor *Conn) {
	t.Helper()
	c, err := Dial(ctxTimeout(t), l.Addr().String(), opts(t, cluster, "client"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Send(hello(1)); err != nil {
		t.Fatal(err)
	}
	return c, acceptHello(t, l)
}

// refusedForCap dials l raw and checks it is closed at once for the cap.
func refusedForCap(t *testing.T, l *Listener) {
	t.Helper()
	qc, err := rawDial(t, l, tlsWithCert(t, loadCert(t, cluster, "client")))
	if err == nil {
		err = waitClosed(t, qc)
	}
	var app *quic.ApplicationError
	if !errors.As(err, &app) || app.ErrorCode != quic.ApplicationErrorCode(CodeRefused) || app.ErrorMessage != "too many connections" {
		t.Fatalf("a connection over the cap: %v; want CodeRefused, too many connections", err)
	}
}

// waitHeld waits until l holds n connections.
func waitHeld(t *testing.T, l *Listener, n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); l.conns.Load() != int64(n); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the listener holds %d connections, want %d", l.conns.Load(), n)
		}
	}
}

// TestConnectionCap: just under the cap a connection is accepted, at the
// cap the next is refused at once, and a slot frees when a connection
// closes, from either end.
func TestConnectionCap(t *testing.T) {
	checkGoroutines(t)
	server := opts(t, cluster, "server")
	server.MaxConns = 2
	l := listen(t, server)
	first, _ := acceptOne(t, l)  // under the cap
	_, second := acceptOne(t, l) // at it
	refusedForCap(t, l)          // over it
	waitHeld(t, l, 2)
	second.Close() // frees its slot as it returns
	if n := l.conns.Load(); n != 1 {
		t.Fatalf("after closing an accepted connection the listener holds %d", n)
	}
	acceptOne(t, l)
	refusedForCap(t, l)
	first.Close() // the dialer's close frees the slot once the listener hears of it
	waitHeld(t, l, 1)
	acceptOne(t, l)
	refusedForCap(t, l)
}

// TestConnectionCapCountsPending: a connection that has not sent its first
// message yet holds a slot until it is dropped.
func TestConnectionCapCountsPending(t *testing.T) {
	checkGoroutines(t)
	server := opts(t, cluster, "server")
	server.MaxConns, server.HandshakeTimeout = 1, 500*time.Millisecond
	l := listen(t, server)
	qc, err := rawDial(t, l, tlsWithCert(t, loadCert(t, cluster, "client")))
	if err != nil {
		t.Fatal(err)
	}
	waitHeld(t, l, 1)
	refusedForCap(t, l)
	checkClosedWith(t, qc, CodeProtocol) // no stream in time
	waitHeld(t, l, 0)
	acceptOne(t, l)
}
