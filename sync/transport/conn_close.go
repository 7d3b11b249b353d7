package transport

import (
	"errors"
	"fmt"
	"io"

	"github.com/quic-go/quic-go"
)

// broken closes the connection after an error of the stream or the
// connection (the peer closed it, it timed out idle, this side closed
// it) and returns the error to report.
func (c *Conn) broken(err error) error {
	if c.closed.Load() {
		return c.closedError()
	}
	err = c.streamError(err)
	code := CodeInternal
	if err == io.EOF {
		code = CodeNoError // the peer ended the stream: end the connection as normally
	}
	return c.abort(code, "", err)
}

// streamError translates an error of the stream or connection.
func (c *Conn) streamError(err error) error {
	var app *quic.ApplicationError
	switch {
	case err == io.EOF:
		return io.EOF // the peer closed its side between messages
	case errors.As(err, &app) && app.Remote && app.ErrorCode == quic.ApplicationErrorCode(CodeNoError):
		return io.EOF
	case errors.As(err, &app) && app.Remote:
		return &CloseError{Code: ErrorCode(app.ErrorCode), Message: app.ErrorMessage}
	}
	return fmt.Errorf("transport: connection to %s: %w", c.peer, err)
}

// abort closes the connection because of cause, sending code and msg to
// the peer, and returns cause; or, if the connection was closed already,
// the error that says why.
func (c *Conn) abort(code ErrorCode, msg string, cause error) error {
	if did, _ := c.shut(code, msg, cause); !did {
		return c.closedError()
	}
	return cause
}

// closedError is the error of a Send or Recv on a connection this side
// closed: ErrClosed, and the cause if an error closed it.
func (c *Conn) closedError() error {
	if c.cause == nil {
		return ErrClosed
	}
	return fmt.Errorf("%w: %w", ErrClosed, c.cause)
}

// Close closes the connection at once; the peer's Recv returns io.EOF.
// Messages not yet delivered may be lost: the sync protocol never relies
// on delivery (a later catch-up sends whatever was missed).
func (c *Conn) Close() error { return c.CloseWithError(CodeNoError, "") }

// CloseWithError closes the connection, sending code and msg to the peer.
// Only the first close, by a call or by an error, has an effect.
func (c *Conn) CloseWithError(code ErrorCode, msg string) error {
	_, err := c.shut(code, msg, nil)
	return err
}

// shut closes the connection, recording cause, and reports whether this
// call did (only the first does).
func (c *Conn) shut(code ErrorCode, msg string, cause error) (did bool, err error) {
	c.closeOnce.Do(func() {
		did = true
		c.cause = cause
		c.closed.Store(true)
		c.logCause(cause)
		err = c.qc.CloseWithError(quic.ApplicationErrorCode(code), msg)
		if c.release != nil {
			c.release()
		}
	})
	return did, err
}

// logCause logs, once per connection, why it closed: a failure at Warn,
// the peer's refusal at Info, the peer's normal close not at all.
func (c *Conn) logCause(cause error) {
	var ce *CloseError
	switch {
	case cause == nil, cause == io.EOF:
	case errors.As(cause, &ce):
		c.log.Info("transport: closed by the peer", "err", cause)
	default:
		c.log.Warn("transport: connection failed", "err", cause)
	}
}
