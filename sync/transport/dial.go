package transport

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"

	"github.com/quic-go/quic-go"
)

// Dial connects to the node at addr (host:port, UDP) and opens the sync
// stream. The acceptor's Accept returns the connection only once the
// first message arrives, and drops it if that takes over its
// HandshakeTimeout, so the dialer should Send its HELLO at once. The
// connection has its own UDP socket, freed by Close.
func Dial(ctx context.Context, addr string, opts *Options) (*Conn, error) {
	o := opts.withDefaults()
	tlsConf, err := o.clientTLS()
	if err != nil {
		return nil, err
	}
	raddr, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("transport: dial %s: %w", addr, err)
	}
	udp, err := net.ListenUDP("udp", nil)
	if err != nil {
		return nil, fmt.Errorf("transport: dial %s: %w", addr, err)
	}
	tr := &quic.Transport{Conn: udp, StatelessResetKey: o.statelessResetKey()}
	release := func() { tr.Close(); udp.Close() }
	c, err := dialOn(ctx, tr, raddr, o, tlsConf, release)
	if err != nil {
		release()
		return nil, fmt.Errorf("transport: dial %s: %w", addr, err)
	}
	o.Logger.Debug("transport: connected", "peer", c.PeerName(), "addr", addr)
	return c, nil
}

// dialOn makes the QUIC connection and opens its stream.
func dialOn(ctx context.Context, tr *quic.Transport, raddr net.Addr, o *Options, tlsConf *tls.Config, release func()) (*Conn, error) {
	qc, err := tr.Dial(ctx, raddr, tlsConf, o.quicConfig(false))
	if err != nil {
		return nil, err
	}
	st, err := qc.OpenStreamSync(ctx)
	if err != nil {
		qc.CloseWithError(quic.ApplicationErrorCode(CodeInternal), "")
		return nil, err
	}
	c, err := newConn(qc, st, release, o)
	if err != nil {
		qc.CloseWithError(quic.ApplicationErrorCode(CodeRefused), "bad certificate")
		return nil, err
	}
	return c, nil
}
