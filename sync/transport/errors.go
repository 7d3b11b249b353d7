package transport

import (
	"errors"
	"fmt"
)

// ErrClosed is returned by a Listener or Conn that this side closed. When
// an error made a Conn close (a deadline, a bad frame), Send and Recv
// return ErrClosed wrapping that error too, so the first cause shows.
var ErrClosed = errors.New("transport: closed")

// ErrorCode is the application error code a connection is closed with,
// sent to the peer.
type ErrorCode uint64

// Error codes of Shoal's sync connections. Code 0 is a normal close: the
// peer's Recv returns io.EOF.
const (
	CodeNoError  ErrorCode = 0
	CodeProtocol ErrorCode = 1 // the peer sent bytes that break the wire format
	CodeRefused  ErrorCode = 2 // the peer is not wanted (e.g. a version mismatch, an unknown name)
	CodeInternal ErrorCode = 3 // this side failed
	CodeBusy     ErrorCode = 4 // this side is short of receive memory (see Options.Budget); retry later
)

// CloseError is how the peer closed the connection, when it closed it
// with a code other than CodeNoError.
type CloseError struct {
	Code    ErrorCode
	Message string
}

func (e *CloseError) Error() string {
	return fmt.Sprintf("transport: closed by the peer with code %d: %s", e.Code, e.Message)
}
