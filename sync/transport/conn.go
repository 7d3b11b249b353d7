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
type Conn struct {
	qc   *quic.Conn
	st   *quic.Stream
	peer string
	log  *slog.Logger

	r *wire.Reader // used by Recv only

	wmu sync.Mutex
	w   *wire.Writer // guarded by wmu: frames must not interleave

	sent, received atomic.Uint64
	closed         atomic.Bool // set by this side's Close
	closeOnce      sync.Once
	release        func() // frees the dialer's own socket; nil when accepted
}

// newConn wraps an established connection and its stream. The peer's
// name comes from its verified certificate.
func newConn(qc *quic.Conn, st *quic.Stream, release func(), o *Options) (*Conn, error) {
	peer, err := identity.PeerName(qc.ConnectionState().TLS)
	if err != nil {
		return nil, fmt.Errorf("transport: %w", err)
	}
	return &Conn{
		qc:      qc,
		st:      st,
		peer:    peer,
		log:     o.Logger.With("peer", peer, "addr", qc.RemoteAddr().String()),
		r:       wire.NewReader(st, o.MaxFrameSize),
		w:       wire.NewWriterSize(st, o.MaxFrameSize),
		release: release,
	}, nil
}

// PeerName returns the common name of the peer's verified certificate.
func (c *Conn) PeerName() string { return c.peer }

// RemoteAddr returns the peer's current address. It may change (QUIC
// migration) and identifies nothing: use PeerName.
func (c *Conn) RemoteAddr() net.Addr { return c.qc.RemoteAddr() }

// BytesSent returns the frame bytes sent so far, length prefixes included.
func (c *Conn) BytesSent() uint64 { return c.sent.Load() }

// BytesReceived returns the frame bytes received so far.
func (c *Conn) BytesReceived() uint64 { return c.received.Load() }

// Send writes m as one frame. It blocks while the peer's flow control
// window is full (see SetSendDeadline). A message that is malformed or
// over the frame limit is refused (wire.ErrMalformed,
// wire.ErrFrameTooLarge) and the connection stays usable; any other error
// closes the connection, since a frame may have been cut short.
func (c *Conn) Send(m *wire.Message) error {
	c.wmu.Lock()
	n, err := c.w.Write(m)
	c.wmu.Unlock()
	c.sent.Add(uint64(n))
	if err == nil || isBadFrame(err) && n == 0 {
		return err
	}
	return c.fail(err)
}

// Recv reads the next frame. At the peer's normal close it returns
// io.EOF; after this side's Close, ErrClosed; when the peer closed with
// an error code, a *CloseError. A frame that breaks the wire format
// gives an error wrapping wire.ErrMalformed, wire.ErrFrameTooLarge or
// io.ErrUnexpectedEOF, and the peer gets CodeProtocol. Every error closes
// the connection: the stream is out of step after it.
func (c *Conn) Recv() (*wire.Message, error) {
	m, n, err := c.r.Read()
	c.received.Add(uint64(n))
	if err == nil {
		return m, nil
	}
	if isBadFrame(err) || errors.Is(err, io.ErrUnexpectedEOF) {
		c.log.Warn("transport: bad frame from peer", "err", err)
		c.CloseWithError(CodeProtocol, err.Error())
		return nil, fmt.Errorf("transport: from %s: %w", c.peer, err)
	}
	return nil, c.fail(err)
}

// isBadFrame reports whether err is the wire format's refusal of a frame.
func isBadFrame(err error) bool {
	return errors.Is(err, wire.ErrMalformed) || errors.Is(err, wire.ErrFrameTooLarge)
}

// fail closes the connection after a stream error and returns the error
// to report: a deadline is the peer's fault (CodeProtocol), anything else
// means the connection is already gone.
func (c *Conn) fail(err error) error {
	err = c.connError(err)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		c.CloseWithError(CodeProtocol, "timed out")
	}
	c.Close()
	return err
}

// SetRecvDeadline sets when a Recv waiting for a frame times out
// (os.ErrDeadlineExceeded), closing the connection: a peer that sends a
// partial frame, or nothing, cannot hold the connection for ever. The
// zero time means no deadline.
func (c *Conn) SetRecvDeadline(t time.Time) error { return c.st.SetReadDeadline(t) }

// SetSendDeadline sets when a Send blocked by the peer's flow control
// times out, closing the connection. The zero time means no deadline.
func (c *Conn) SetSendDeadline(t time.Time) error { return c.st.SetWriteDeadline(t) }

// connError translates an error of the stream or connection.
func (c *Conn) connError(err error) error {
	var app *quic.ApplicationError
	switch {
	case c.closed.Load():
		return ErrClosed
	case err == io.EOF:
		return io.EOF // the peer closed its side between frames
	case errors.As(err, &app) && app.Remote && app.ErrorCode == quic.ApplicationErrorCode(CodeNoError):
		return io.EOF
	case errors.As(err, &app) && app.Remote:
		return &CloseError{Code: ErrorCode(app.ErrorCode), Message: app.ErrorMessage}
	}
	return fmt.Errorf("transport: connection to %s: %w", c.peer, err)
}

// Close closes the connection at once; the peer's Recv returns io.EOF.
// Frames not yet delivered may be lost: the sync protocol never relies on
// delivery (a later catch-up sends whatever was missed).
func (c *Conn) Close() error { return c.CloseWithError(CodeNoError, "") }

// CloseWithError closes the connection, sending code and msg to the peer.
// Only the first call has an effect.
func (c *Conn) CloseWithError(code ErrorCode, msg string) error {
	var err error
	c.closeOnce.Do(func() {
		c.closed.Store(true)
		err = c.qc.CloseWithError(quic.ApplicationErrorCode(code), msg)
		if c.release != nil {
			c.release()
		}
	})
	return err
}
