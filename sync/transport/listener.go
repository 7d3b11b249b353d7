package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quic-go/quic-go"
)

// maxPending bounds the connections a Listener holds that are not yet
// returned by Accept (waiting for their first message, or for Accept).
// Beyond it, new handshakes wait in quic-go's own bounded queue.
const maxPending = 32

// Listener accepts sync connections. Its methods are safe for concurrent
// use. A goroutine started by Listen accepts QUIC connections and one per
// pending connection waits for its first message, so that a slow or
// silent peer delays nobody; Close ends them all. It holds at most
// Options.MaxConns connections at once, pending or accepted.
type Listener struct {
	opts   *Options
	udp    *net.UDPConn
	tr     *quic.Transport
	ln     *quic.Listener
	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc

	ready   chan *Conn    // set-up connections, for Accept
	pending chan struct{} // a slot per connection not yet accepted
	failed  chan struct{} // closed when the accept loop stops
	err     error         // why it stopped; written before failed is closed
	conns   atomic.Int64  // connections held, pending or accepted, open

	wg        sync.WaitGroup // the accept loop and the set-up goroutines
	closeOnce sync.Once
}

// Listen listens for sync connections on addr (host:port, UDP; port 0
// picks a free port, see Addr).
func Listen(addr string, opts *Options) (*Listener, error) {
	o := opts.withDefaults()
	tlsConf, err := o.serverTLS()
	if err != nil {
		return nil, err
	}
	udpAddr, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("transport: listen %s: %w", addr, err)
	}
	udp, err := net.ListenUDP("udp", udpAddr)
	if err != nil {
		return nil, fmt.Errorf("transport: listen %s: %w", addr, err)
	}
	tr := &quic.Transport{Conn: udp, StatelessResetKey: o.statelessResetKey()}
	ln, err := tr.Listen(tlsConf, o.quicConfig(true))
	if err != nil {
		tr.Close()
		udp.Close()
		return nil, fmt.Errorf("transport: listen %s: %w", addr, err)
	}
	l := &Listener{opts: o, udp: udp, tr: tr, ln: ln,
		ready: make(chan *Conn), pending: make(chan struct{}, maxPending), failed: make(chan struct{})}
	l.ctx, l.cancel = context.WithCancel(context.Background())
	l.wg.Add(1)
	go l.acceptLoop()
	return l, nil
}

// Addr returns the local UDP address.
func (l *Listener) Addr() net.Addr { return l.ln.Addr() }

// Accept returns the next connection whose peer has a verified certificate
// and has sent its whole first message within HandshakeTimeout; Recv
// returns that message first. Peers that fail the handshake, or send
// nothing, too little or a bad frame in time, are dropped without
// disturbing Accept.
func (l *Listener) Accept(ctx context.Context) (*Conn, error) {
	select {
	case c := <-l.ready:
		return c, nil
	case <-l.ctx.Done():
		return nil, ErrClosed
	case <-l.failed:
		return nil, l.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// acceptLoop hands each handshaken QUIC connection to a set-up goroutine,
// holding a pending slot for it, or refuses it if the Listener holds
// MaxConns already.
func (l *Listener) acceptLoop() {
	defer l.wg.Done()
	for {
		select {
		case l.pending <- struct{}{}:
		case <-l.ctx.Done():
			return
		}
		qc, err := l.ln.Accept(l.ctx)
		if err != nil {
			<-l.pending
			if l.ctx.Err() == nil {
				l.err = fmt.Errorf("transport: accept: %w", err)
				close(l.failed)
			}
			return
		}
		helloBy := time.Now().Add(l.opts.HandshakeTimeout)
		free, ok := l.takeSlot(qc)
		if !ok {
			<-l.pending
			continue
		}
		l.wg.Add(1)
		go l.setUp(qc, free, helloBy)
	}
}

// takeSlot counts qc against MaxConns, or refuses it at once. The slot
// frees when qc closes, by either side; free frees it at once (Conn's
// close calls it, so that a slot is free again when Close returns).
func (l *Listener) takeSlot(qc *quic.Conn) (free func(), ok bool) {
	if l.conns.Add(1) > int64(l.opts.MaxConns) {
		l.conns.Add(-1)
		l.opts.Logger.Warn("transport: too many connections; refused one", "addr", qc.RemoteAddr().String(), "max", l.opts.MaxConns)
		qc.CloseWithError(quic.ApplicationErrorCode(CodeRefused), "too many connections")
		return nil, false
	}
	free = sync.OnceFunc(func() { l.conns.Add(-1) })
	context.AfterFunc(qc.Context(), free)
	return free, true
}

// setUp waits for the dialer's stream and first message, then passes the
// connection to Accept.
func (l *Listener) setUp(qc *quic.Conn, free func(), helloBy time.Time) {
	defer l.wg.Done()
	defer func() { <-l.pending }()
	c, err := l.acceptStream(qc, free, helloBy)
	if err != nil {
		l.opts.Logger.Info("transport: connection dropped", "addr", qc.RemoteAddr().String(), "err", err)
		return
	}
	if err := c.readHello(helloBy); err != nil {
		return // c closed, and logged why
	}
	select {
	case l.ready <- c:
	case <-l.ctx.Done():
		c.CloseWithError(CodeInternal, "shutting down")
	}
}

// acceptStream waits until helloBy for the dialer's stream.
func (l *Listener) acceptStream(qc *quic.Conn, free func(), helloBy time.Time) (*Conn, error) {
	ctx, cancel := context.WithDeadline(l.ctx, helloBy)
	defer cancel()
	st, err := qc.AcceptStream(ctx)
	if err != nil {
		qc.CloseWithError(quic.ApplicationErrorCode(CodeProtocol), "no stream opened")
		return nil, err
	}
	c, err := newConn(qc, st, free, l.opts)
	if err != nil {
		qc.CloseWithError(quic.ApplicationErrorCode(CodeRefused), "bad certificate")
		return nil, err
	}
	return c, nil
}

// Close stops accepting and closes every connection accepted from the
// Listener (they share its UDP socket). Accept then returns ErrClosed.
func (l *Listener) Close() error {
	var err error
	l.closeOnce.Do(func() {
		l.cancel()
		err = errors.Join(l.ln.Close(), l.tr.Close())
		l.wg.Wait()
		err = errors.Join(err, l.udp.Close())
	})
	return err
}
