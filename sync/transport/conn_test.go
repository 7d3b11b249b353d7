package transport

import (
	"bytes"
	"errors"
	"io"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/shoal-db/shoal/crdt"
	"github.com/shoal-db/shoal/sync/wire"
)

// pair returns a dialled connection and its accepted end, with the
// dialer's HELLO already received by the acceptor.
func pair(t *testing.T, server, client *Options) (dialer, acceptor *Conn) {
	t.Helper()
	l := listen(t, server)
	ctx := ctxTimeout(t)
	c, err := Dial(ctx, l.Addr().String(), client)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Send(hello(1)); err != nil {
		t.Fatal(err)
	}
	s, err := l.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if m, err := s.Recv(); err != nil || m.Hello == nil {
		t.Fatalf("acceptor's first Recv: %+v, %v", m, err)
	}
	return c, s
}

// push is a Push whose one row holds a value of n bytes.
func push(seq uint64, n int) *wire.Message {
	d := crdt.Dot{Origin: 7, Counter: seq}
	row := crdt.Row{}.Write(crdt.KindRegister, d, crdt.Timestamp{Wall: 1}, bytes.Repeat([]byte{byte(seq)}, n))
	r := wire.Row{Key: "k", RowKey: crdt.RowKey{Kind: crdt.KindRegister}.Append(nil), Row: row}
	return &wire.Message{Seq: seq, Push: &wire.Push{Rows: []wire.Row{r}, OwnCounter: seq}}
}

func TestSendRecvBothWays(t *testing.T) {
	checkGoroutines(t)
	c, s := pair(t, opts(t, cluster, "server"), opts(t, cluster, "client"))
	if c.PeerName() != "server" || s.PeerName() != "client" {
		t.Fatalf("peer names: dialer sees %q, acceptor sees %q", c.PeerName(), s.PeerName())
	}
	if err := s.Send(ack(1)); err != nil {
		t.Fatal(err)
	}
	if m, err := c.Recv(); err != nil || m.Ack == nil {
		t.Fatalf("dialer's Recv: %+v, %v", m, err)
	}
	const senders, each = 4, 25
	var wg sync.WaitGroup
	for i := range senders {
		wg.Go(func() {
			for j := range each {
				if err := c.Send(push(uint64(i*each+j+1), 8<<10)); err != nil {
					t.Error(err)
				}
			}
		})
	}
	for range senders * each { // concurrent frames arrive whole
		if m, err := s.Recv(); err != nil || m.Push == nil || len(m.Push.Rows[0].Row.Entries[0].Value) != 8<<10 {
			t.Fatalf("Recv: %v", err)
		}
	}
	wg.Wait()
	if c.BytesSent() != s.BytesReceived() || s.BytesSent() != c.BytesReceived() || c.BytesSent() < senders*each*8<<10 {
		t.Fatalf("bytes: dialer sent %d, received %d; acceptor sent %d, received %d",
			c.BytesSent(), c.BytesReceived(), s.BytesSent(), s.BytesReceived())
	}
	if c.RemoteAddr() == nil || s.RemoteAddr() == nil {
		t.Fatal("no remote address")
	}
}

func TestCloseEndsBothSides(t *testing.T) {
	checkGoroutines(t)
	c, s := pair(t, opts(t, cluster, "server"), opts(t, cluster, "client"))
	recvd := make(chan error, 1)
	go func() {
		_, err := c.Recv()
		recvd <- err
	}()
	time.Sleep(50 * time.Millisecond) // let Recv block
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-recvd; !errors.Is(err, ErrClosed) {
		t.Fatalf("blocked Recv after Close: %v, want ErrClosed", err)
	}
	if err := c.Send(ack(2)); !errors.Is(err, ErrClosed) {
		t.Fatalf("Send after Close: %v, want ErrClosed", err)
	}
	if _, err := s.Recv(); err != io.EOF {
		t.Fatalf("peer's Recv after a normal close: %v, want io.EOF", err)
	}
}

func TestCloseWithErrorReachesPeer(t *testing.T) {
	checkGoroutines(t)
	c, s := pair(t, opts(t, cluster, "server"), opts(t, cluster, "client"))
	s.CloseWithError(CodeRefused, "protocol version 9")
	_, err := c.Recv()
	var ce *CloseError
	if !errors.As(err, &ce) || ce.Code != CodeRefused || ce.Message != "protocol version 9" {
		t.Fatalf("Recv: %v, want a CloseError with CodeRefused", err)
	}
}

func TestRecvDeadline(t *testing.T) {
	checkGoroutines(t)
	c, s := pair(t, opts(t, cluster, "server"), opts(t, cluster, "client"))
	s.SetRecvDeadline(time.Now().Add(100 * time.Millisecond))
	if _, err := s.Recv(); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Recv past the deadline: %v", err)
	}
	var ce *CloseError
	if _, err := c.Recv(); !errors.As(err, &ce) || ce.Code != CodeProtocol {
		t.Fatalf("peer of a timed-out Recv: %v, want CodeProtocol", err)
	}
}

// TestFrameLimitPerConnection: a sender splits messages at its own frame
// limit, and a receiver refuses frames over its own.
func TestFrameLimitPerConnection(t *testing.T) {
	checkGoroutines(t)
	server, client := opts(t, cluster, "server"), opts(t, cluster, "client")
	server.MaxFrameSize, client.MaxFrameSize = 4<<10, 64<<10
	c, s := pair(t, server, client)
	if err := s.Send(push(2, 8<<10)); err != nil {
		t.Fatal(err) // in frames of 4 KiB
	}
	if m, err := c.Recv(); err != nil || m.Push == nil {
		t.Fatalf("Recv of a message in frames under the limit: %v", err)
	}
	if err := c.Send(push(2, 8<<10)); err != nil {
		t.Fatal(err) // one frame, within the dialer's limit
	}
	if _, err := s.Recv(); !errors.Is(err, wire.ErrFrameTooLarge) {
		t.Fatalf("Recv over the acceptor's limit: %v, want ErrFrameTooLarge", err)
	}
	var ce *CloseError
	if _, err := c.Recv(); !errors.As(err, &ce) || ce.Code != CodeProtocol {
		t.Fatalf("sender of an oversized frame: %v, want CodeProtocol", err)
	}
}

func TestSendRefusesInvalidAndStaysUp(t *testing.T) {
	checkGoroutines(t)
	c, s := pair(t, opts(t, cluster, "server"), opts(t, cluster, "client"))
	if err := c.Send(&wire.Message{}); !errors.Is(err, wire.ErrMalformed) {
		t.Fatalf("Send of an empty message: %v, want ErrMalformed", err)
	}
	if err := c.Send(ack(2)); err != nil {
		t.Fatalf("Send after a refused message: %v", err)
	}
	if m, err := s.Recv(); err != nil || m.Ack == nil {
		t.Fatalf("Recv: %+v, %v", m, err)
	}
}
