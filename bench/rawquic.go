package bench

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/shoal-db/shoal/sync/identity"
)

// rawWrite is the write size of the raw stream baseline, as in
// sync/transport's BenchmarkStreamThroughput.
const rawWrite = 64 << 10

// rawThroughput sends total bytes over one quic-go stream on loopback in
// 64 KiB writes and returns bytes per second, timed from the first write
// until the receiver has read the last byte. It is the ceiling for
// bootstrap: the same mutual TLS 1.3 (certificates of the run's CA) and
// quic-go's default flow-control windows, which sync/transport keeps, but
// no framing, CBOR, storage or fsync.
func rawThroughput(c *cluster, total int64) (float64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	send, recv, closeAll, err := rawStream(ctx, c)
	if err != nil {
		return 0, err
	}
	defer closeAll()
	got := make(chan int64, 1)
	go func() {
		n, _ := io.Copy(io.Discard, recv)
		got <- n
	}()
	buf := make([]byte, rawWrite)
	start := time.Now()
	for sent := int64(0); sent < total; sent += rawWrite {
		if _, err := send.Write(buf); err != nil {
			return 0, err
		}
	}
	send.Close()
	n := <-got
	elapsed := time.Since(start)
	if want := (total + rawWrite - 1) / rawWrite * rawWrite; n != want {
		return 0, fmt.Errorf("bench: raw stream: received %d bytes, sent %d", n, want)
	}
	return float64(n) / elapsed.Seconds(), nil
}

// rawStream connects a quic-go client to a quic-go listener on 127.0.0.1
// and returns both ends of one stream, announced by a first byte that the
// receiver has already read.
func rawStream(ctx context.Context, c *cluster) (send, recv *quic.Stream, closeAll func(), err error) {
	server, client, err := rawTLS(c)
	if err != nil {
		return nil, nil, nil, err
	}
	ln, err := quic.ListenAddr("127.0.0.1:0", server, &quic.Config{})
	if err != nil {
		return nil, nil, nil, err
	}
	closers := []func() error{ln.Close}
	closeAll = func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	fail := func(err error) (*quic.Stream, *quic.Stream, func(), error) { closeAll(); return nil, nil, nil, err }
	qc, err := quic.DialAddr(ctx, ln.Addr().String(), client, &quic.Config{})
	if err != nil {
		return fail(err)
	}
	closers = append(closers, func() error { return qc.CloseWithError(0, "") })
	if send, err = qc.OpenStreamSync(ctx); err != nil {
		return fail(err)
	}
	send.Write([]byte{0}) // a stream is announced by its first data
	sc, err := ln.Accept(ctx)
	if err != nil {
		return fail(err)
	}
	closers = append(closers, func() error { return sc.CloseWithError(0, "") })
	if recv, err = sc.AcceptStream(ctx); err != nil {
		return fail(err)
	}
	if _, err := io.ReadFull(recv, make([]byte, 1)); err != nil {
		return fail(err)
	}
	return send, recv, closeAll, nil
}

// rawTLS returns the server and client TLS configurations of two fresh
// identities of the cluster, as nodes use them.
func rawTLS(c *cluster) (server, client *tls.Config, err error) {
	var m [2]identity.Material
	for i, name := range []string{"raw-server", "raw-client"} {
		f, err := c.issue(name)
		if err != nil {
			return nil, nil, err
		}
		m[i] = identity.Material{CAFile: f.CA, CertFile: f.Cert, KeyFile: f.Key}
	}
	server, err = m[0].ServerConfig()
	if err != nil {
		return nil, nil, err
	}
	client, err = m[1].ClientConfig()
	return server, client, err
}
