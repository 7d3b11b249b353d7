package transport

import (
	"context"
	"io"
	"testing"

	"github.com/quic-go/quic-go"
)

// BenchmarkStreamThroughput measures raw quic-go stream throughput on
// loopback, in 64 KiB writes, with this package's TLS and QUIC settings
// but no framing: the baseline for the sync and bootstrap benchmarks.
//
//	go test ./sync/transport/ -run='^$' -bench=StreamThroughput -benchtime=3s
func BenchmarkStreamThroughput(b *testing.B) {
	send, recv := rawStream(b)
	done := make(chan int64)
	go func() {
		n, _ := io.Copy(io.Discard, recv)
		done <- n
	}()
	buf := make([]byte, 64<<10)
	b.SetBytes(int64(len(buf)))
	b.ResetTimer()
	for range b.N {
		if _, err := send.Write(buf); err != nil {
			b.Fatal(err)
		}
	}
	send.Close()
	if n := <-done; n != int64(b.N*len(buf))+1 {
		b.Fatalf("received %d bytes, sent %d", n, b.N*len(buf)+1)
	}
}

// rawStream returns both ends of a quic-go stream over loopback.
func rawStream(b *testing.B) (send, recv *quic.Stream) {
	server, client := opts(b, cluster, "server").withDefaults(), opts(b, cluster, "client").withDefaults()
	stls, err := server.serverTLS()
	if err != nil {
		b.Fatal(err)
	}
	ctls, err := client.clientTLS()
	if err != nil {
		b.Fatal(err)
	}
	ln, err := quic.ListenAddr("127.0.0.1:0", stls, server.quicConfig(true))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ln.Close() })
	ctx := context.Background()
	qc, err := quic.DialAddr(ctx, ln.Addr().String(), ctls, client.quicConfig(false))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { qc.CloseWithError(0, "") })
	if send, err = qc.OpenStreamSync(ctx); err != nil {
		b.Fatal(err)
	}
	send.Write([]byte{0}) // a stream is announced by its first data
	sc, err := ln.Accept(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { sc.CloseWithError(0, "") })
	if recv, err = sc.AcceptStream(ctx); err != nil {
		b.Fatal(err)
	}
	return send, recv
}

// BenchmarkConnThroughput sends Push frames of one 64 KiB value through
// Conn: the raw stream's cost plus framing, CBOR and validation.
func BenchmarkConnThroughput(b *testing.B) {
	l, err := Listen("127.0.0.1:0", opts(b, cluster, "server"))
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	ctx := context.Background()
	c, err := Dial(ctx, l.Addr().String(), opts(b, cluster, "client"))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	m := push(1, 64<<10)
	if err := c.Send(m); err != nil {
		b.Fatal(err)
	}
	s, err := l.Accept(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	done := make(chan error)
	go func() {
		for range b.N + 1 {
			if _, err := s.Recv(); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	b.SetBytes(int64(64 << 10))
	b.ResetTimer()
	for range b.N {
		if err := c.Send(m); err != nil {
			b.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		b.Fatal(err)
	}
}
