package transport

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/shoal-db/shoal/sync/identity"
	"github.com/shoal-db/shoal/sync/wire"
)

// Conn is a sync connection to one peer: one QUIC connection carrying one
// bidirectional stream of frames. Send is safe for concurrent use; Recv
// must be called by one goroutine at a time; Close may be called from any
// goroutine, at any time, and unblocks Send and Recv.
//
// Every message has a deadline both ways (Options.FrameTimeout and
// SendTimeout, plus its size at MinRate), so that a peer that stops
// midway, or stops reading, cannot hold a connection or its memory for
// ever; between messages there is none.
type Conn struct {
	qc   *quic.Conn
	st   *quic.Stream
	peer string
	log  *slog.Logger
	opts *Options

	// Used by Recv only.
	r         *wire.Reader
	first     *wire.Message // an accepted connection's first message, read by the Listener
	helloDue  bool          // the Listener's deadline for the first message holds
	recvStart time.Time     // when the message being read began to arrive

	rd, wd deadline

	wmu sync.Mutex
	w   *wire.Writer // guarded by wmu: frames must not interleave

	sent, received atomic.Uint64
	closed         atomic.Bool // set by this side's close, after cause
	cause          error       // why this side closed; nil for Close
	closeOnce      sync.Once
	release        func() // frees the dialer's socket, or the acceptor's slot
}

// newConn wraps an established connection and its stream. The peer's
// name comes from its verified certificate.
func newConn(qc *quic.Conn, st *quic.Stream, release func(), o *Options) (*Conn, error) {
	peer, err := identity.PeerName(qc.ConnectionState().TLS)
	if err != nil {
		return nil, fmt.Errorf("transport: %w", err)
	}
	c := &Conn{
		qc:      qc,
		st:      st,
		peer:    peer,
		log:     o.Logger.With("peer", peer, "addr", qc.RemoteAddr().String()),
		opts:    o,
		rd:      deadline{set: st.SetReadDeadline},
		wd:      deadline{set: st.SetWriteDeadline},
		release: release,
	}
	c.r = wire.NewReaderWith(st, &wire.ReaderOptions{
		MaxFrameSize: o.MaxFrameSize, MaxMessageSize: o.MaxMessageSize, Budget: o.Budget, Progress: c.recvProgress,
	})
	c.w = wire.NewWriterWith(st, &wire.WriterOptions{
		MaxFrameSize: o.MaxFrameSize, MaxMessageSize: o.MaxMessageSize, BeforeWrite: c.sendStarts,
	})
	return c, nil
}

// PeerName returns the common name of the peer's verified certificate.
func (c *Conn) PeerName() string { return c.peer }

// RemoteAddr returns the peer's current address. It may change (QUIC
// migration) and identifies nothing: use PeerName.
func (c *Conn) RemoteAddr() net.Addr { return c.qc.RemoteAddr() }

// BytesSent returns the frame bytes sent so far, headers included.
func (c *Conn) BytesSent() uint64 { return c.sent.Load() }

// BytesReceived returns the frame bytes received so far.
func (c *Conn) BytesReceived() uint64 { return c.received.Load() }

// Send writes m, in as many frames as it needs. It blocks while the
// peer's flow control window is full, up to SendTimeout plus m's size at
// MinRate (and SetSendDeadline), then fails with an error wrapping
// os.ErrDeadlineExceeded. A message that is malformed or over the
// message limit is refused (wire.ErrMalformed, wire.ErrMessageTooLarge)
// and the connection stays usable; any other error closes the
// connection, since a frame may have been cut short. Once closed, Send
// returns ErrClosed, wrapping the cause if an error closed it.
func (c *Conn) Send(m *wire.Message) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closed.Load() {
		return c.closedError()
	}
	n, err := c.w.Write(m)
	c.sent.Add(uint64(n))
	switch {
	case err == nil:
		return nil
	case isBadFrame(err) && n == 0:
		err = fmt.Errorf("transport: send to %s: %w", c.peer, err)
		c.log.Warn("transport: message refused", "err", err)
		return err
	case errors.Is(err, os.ErrDeadlineExceeded):
		return c.abort(CodeProtocol, "timed out", fmt.Errorf("transport: send to %s: %w", c.peer, err))
	}
	return c.broken(err)
}

// sendStarts sets the deadline of a Send of n bytes, as it starts.
func (c *Conn) sendStarts(n int) {
	c.wd.setAuto(time.Now().Add(c.opts.SendTimeout + c.opts.atMinRate(n)))
}

// Recv reads the next message. At the peer's normal close it returns
// io.EOF; when the peer closed with an error code, a *CloseError. A
// message that breaks the wire format gives an error wrapping
// wire.ErrMalformed, wire.ErrFrameTooLarge or io.ErrUnexpectedEOF, and the
// peer gets CodeProtocol; one that does not arrive in time (FrameTimeout
// plus its size at MinRate, from its first byte) gives an error wrapping
// os.ErrDeadlineExceeded, and the peer gets CodeProtocol; one that does
// not fit the receive Budget gives wire.ErrBusy, and the peer gets
// CodeBusy. Every error closes the connection: the stream is out of step
// after it. Once closed, Recv returns ErrClosed, wrapping the cause if an
// error closed it.
func (c *Conn) Recv() (*wire.Message, error) {
	if m := c.first; m != nil {
		c.first = nil
		return m, nil
	}
	return c.read()
}

// readHello reads an accepted connection's first message, which must have
// arrived by the deadline (whatever its size: a HELLO is small), and
// keeps it for Recv.
func (c *Conn) readHello(by time.Time) error {
	c.helloDue = true
	c.rd.setAuto(by)
	m, err := c.read()
	c.first = m
	return err
}

// read reads one message, under the deadlines that recvProgress sets,
// and leaves none behind: a connection may idle between messages.
func (c *Conn) read() (*wire.Message, error) {
	if c.closed.Load() {
		return nil, c.closedError()
	}
	m, n, err := c.r.Read()
	c.received.Add(uint64(n))
	c.rd.setAuto(time.Time{})
	c.helloDue = false
	if err != nil {
		return nil, c.recvFailed(err)
	}
	return m, nil
}

// recvProgress sets the deadline of the message being read: FrameTimeout
// from its first byte, plus its size so far at MinRate.
func (c *Conn) recvProgress(declared int) {
	if c.helloDue {
		return
	}
	if declared == 0 {
		c.recvStart = time.Now()
	}
	c.rd.setAuto(c.recvStart.Add(c.opts.FrameTimeout + c.opts.atMinRate(declared)))
}

// recvFailed closes the connection after a failed read, telling the peer
// why, and returns the error to report.
func (c *Conn) recvFailed(err error) error {
	switch {
	case isBadFrame(err), errors.Is(err, io.ErrUnexpectedEOF):
		return c.abort(CodeProtocol, err.Error(), fmt.Errorf("transport: bad frame from %s: %w", c.peer, err))
	case errors.Is(err, os.ErrDeadlineExceeded):
		return c.abort(CodeProtocol, "timed out", fmt.Errorf("transport: receive from %s: %w", c.peer, err))
	case errors.Is(err, wire.ErrBusy):
		return c.abort(CodeBusy, "receive budget exhausted; retry later", fmt.Errorf("transport: receive from %s: %w", c.peer, err))
	}
	return c.broken(err)
}

// isBadFrame reports whether err is the wire format's refusal of a frame.
func isBadFrame(err error) bool {
	return errors.Is(err, wire.ErrMalformed) || errors.Is(err, wire.ErrFrameTooLarge)
}

// SetRecvDeadline sets when a Recv times out (os.ErrDeadlineExceeded),
// closing the connection, on top of the per-message deadline: the
// earlier wins. The zero time means none but the per-message one.
func (c *Conn) SetRecvDeadline(t time.Time) error { return c.rd.setUser(t) }

// SetSendDeadline sets when a Send blocked by the peer's flow control
// times out, closing the connection, on top of the per-message deadline:
// the earlier wins. The zero time means none but the per-message one.
func (c *Conn) SetSendDeadline(t time.Time) error { return c.wd.setUser(t) }
