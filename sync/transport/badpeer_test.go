package transport

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/shoal-db/shoal/sync/wire"
)

// Peers that fail the handshake or break the wire format: each is refused
// with an error, and the listener then serves a good peer.

// exchange runs a good session on l: the dialer "client" sends a HELLO,
// the acceptor answers with an ACK. Accept must return this peer, so any
// earlier bad peer must have been kept from it.
func exchange(t *testing.T, l *Listener) {
	t.Helper()
	ctx := ctxTimeout(t)
	c, err := Dial(ctx, l.Addr().String(), opts(t, cluster, "client"))
	if err != nil {
		t.Fatalf("good peer: %v", err)
	}
	defer c.Close()
	if err := c.Send(hello(1)); err != nil {
		t.Fatal(err)
	}
	s, err := l.Accept(ctx)
	if err != nil || s.PeerName() != "client" {
		t.Fatalf("Accept after a bad peer: %v, %v", s, err)
	}
	defer s.Close()
	if m, err := s.Recv(); err != nil || m.Hello == nil {
		t.Fatalf("good peer's HELLO: %+v, %v", m, err)
	}
	if err := s.Send(ack(1)); err != nil {
		t.Fatal(err)
	}
	if m, err := c.Recv(); err != nil || m.Ack == nil {
		t.Fatalf("good peer's ACK: %+v, %v", m, err)
	}
}

// rawDial connects with quic-go directly, as a misbehaving peer would.
func rawDial(t *testing.T, l *Listener, conf *tls.Config) (*quic.Conn, error) {
	qc, err := quic.DialAddr(ctxTimeout(t), l.Addr().String(), conf, &quic.Config{})
	if err == nil {
		t.Cleanup(func() { qc.CloseWithError(0, "") })
	}
	return qc, err
}

// waitClosed waits for the listener to close a raw connection, and
// returns why.
func waitClosed(t *testing.T, qc *quic.Conn) error {
	t.Helper()
	select {
	case <-qc.Context().Done():
		return context.Cause(qc.Context())
	case <-time.After(10 * time.Second):
		t.Fatal("the listener did not close the connection")
		return nil
	}
}

// refusedAtHandshake dials with conf and checks the connection fails.
func refusedAtHandshake(t *testing.T, l *Listener, conf *tls.Config) {
	qc, err := rawDial(t, l, conf)
	if err != nil {
		t.Logf("refused at dial: %v", err)
		return // refused during the handshake
	}
	// TLS 1.3: the client may finish before the server checks its certificate.
	if st, err := qc.OpenStreamSync(ctxTimeout(t)); err == nil {
		st.Write(frame(t, hello(1)))
	}
	err = waitClosed(t, qc)
	if err == nil {
		t.Fatal("connection closed without an error")
	}
	t.Logf("refused after the handshake: %v", err)
}

// badFrames opens a stream with a good certificate, writes a HELLO then
// b, and checks that the acceptor's Recv, after the HELLO, refuses b with
// want and closes the connection with CodeProtocol.
func badFrames(t *testing.T, l *Listener, b []byte, fin bool, want error) {
	qc, st := dialRawStream(t, l)
	st.Write(append(frame(t, hello(1)), b...))
	if fin {
		st.Close()
	}
	s, err := l.Accept(ctxTimeout(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if m, err := s.Recv(); err != nil || m.Hello == nil {
		t.Fatalf("first Recv: %v, %v; want the HELLO", m, err)
	}
	if _, err := s.Recv(); !errors.Is(err, want) {
		t.Fatalf("Recv: %v, want %v", err, want)
	}
	checkClosedWith(t, qc, CodeProtocol)
}

// badFirstFrame writes b as the first bytes of the stream: the Listener
// itself must refuse the connection, with CodeProtocol, and never return
// it from Accept (exchange checks that).
func badFirstFrame(t *testing.T, l *Listener, b []byte, fin bool) {
	qc, st := dialRawStream(t, l)
	st.Write(b)
	if fin {
		st.Close()
	}
	checkClosedWith(t, qc, CodeProtocol)
}

// dialRawStream dials l with a good certificate and opens the stream.
func dialRawStream(t *testing.T, l *Listener) (*quic.Conn, *quic.Stream) {
	qc, err := rawDial(t, l, tlsWithCert(t, loadCert(t, cluster, "server")))
	if err != nil {
		t.Fatal(err)
	}
	st, err := qc.OpenStreamSync(ctxTimeout(t))
	if err != nil {
		t.Fatal(err)
	}
	return qc, st
}

// checkClosedWith waits for the listener to close qc and checks the code.
func checkClosedWith(t *testing.T, qc *quic.Conn, code ErrorCode) {
	t.Helper()
	var app *quic.ApplicationError
	if err := waitClosed(t, qc); !errors.As(err, &app) || app.ErrorCode != quic.ApplicationErrorCode(code) {
		t.Fatalf("connection closed with %v, want code %d", err, code)
	}
}

// frame returns m as a message of one frame.
func frame(t *testing.T, m *wire.Message) []byte {
	b, err := wire.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	return append(header(len(b), false), b...)
}

// header returns the header of a frame of n body bytes (see wire).
func header(n int, more bool) []byte {
	v := uint64(n) << 1
	if more {
		v |= 1
	}
	return binary.AppendUvarint(nil, v)
}

func TestBadPeersDoNotStopTheListener(t *testing.T) {
	checkGoroutines(t)
	server := opts(t, cluster, "server")
	server.HandshakeTimeout = 300 * time.Millisecond
	server.MaxMessageSize = 64 << 10
	l := listen(t, server)
	cases := []struct {
		name string
		bad  func(t *testing.T)
	}{
		{"no certificate", func(t *testing.T) { refusedAtHandshake(t, l, tlsWithCert(t)) }},
		{"certificate of another CA", func(t *testing.T) {
			refusedAtHandshake(t, l, tlsWithCert(t, loadCert(t, strangers, "stranger")))
		}},
		{"dialer of another CA", func(t *testing.T) {
			if c, err := Dial(ctxTimeout(t), l.Addr().String(), opts(t, strangers, "stranger")); err == nil {
				c.Close()
				t.Fatal("a dialer that does not trust our CA connected")
			}
		}},
		{"garbage datagrams", func(t *testing.T) { sendGarbage(t, l.Addr().String()) }},
		{"no stream", func(t *testing.T) {
			qc, err := rawDial(t, l, tlsWithCert(t, loadCert(t, cluster, "server")))
			if err != nil {
				t.Fatal(err)
			}
			waitClosed(t, qc)
		}},
		{"huge length prefix", func(t *testing.T) {
			badFrames(t, l, header(1<<40, false), false, wire.ErrFrameTooLarge)
		}},
		{"huge message in frames", func(t *testing.T) {
			piece := make([]byte, 16<<10) // 128 KiB in all, over the 64 KiB limit
			var b []byte
			for range 8 {
				b = append(append(b, header(len(piece), true)...), piece...)
			}
			badFrames(t, l, b, false, wire.ErrMessageTooLarge)
		}},
		{"malformed CBOR", func(t *testing.T) { badFrames(t, l, []byte{2, 0xa0}, false, wire.ErrMalformed) }},
		{"two bodies", func(t *testing.T) {
			b := []byte{0x0e, 0xa2, 0x03, 0x81, 0x80, 0x05, 0x81, 0x80}
			badFrames(t, l, b, false, wire.ErrMalformed)
		}},
		{"garbage then end of stream", func(t *testing.T) {
			badFrames(t, l, []byte("GET / HTTP/1.1\r\n\r\n"), true, io.ErrUnexpectedEOF)
		}},
		{"huge length prefix first", func(t *testing.T) { badFirstFrame(t, l, header(1<<40, false), false) }},
		{"malformed first message", func(t *testing.T) { badFirstFrame(t, l, []byte{2, 0xa0}, false) }},
		{"garbage first, then end of stream", func(t *testing.T) {
			badFirstFrame(t, l, []byte("GET / HTTP/1.1\r\n\r\n"), true)
		}},
		{"part of a HELLO, then nothing", func(t *testing.T) {
			badFirstFrame(t, l, frame(t, hello(1))[:5], false)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.bad(t)
			exchange(t, l)
		})
	}
}

// sendGarbage sends random datagrams to addr.
func sendGarbage(t *testing.T, addr string) {
	u, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	b := make([]byte, 1200)
	for range 50 {
		rand.Read(b)
		u.Write(b)
	}
}
