package wire

import (
	"encoding/binary"
	"fmt"
	"io"
)

// WriterOptions configure a Writer. Zero fields take defaults.
type WriterOptions struct {
	// MaxFrameSize caps a frame's body (MaxFrameSize if 0): the limit the
	// peer's Reader uses, or less, so that no frame it would refuse is
	// sent.
	MaxFrameSize int
	// MaxMessageSize caps a message's body (MaxMessageSize if 0): the
	// peer's limit, so that no message it would refuse is sent.
	MaxMessageSize int
	// BeforeWrite, if set, is called with the byte count of a message's
	// frames just before they are written: the caller can set a write
	// deadline in proportion to the size.
	BeforeWrite func(n int)
}

// Writer writes messages as frames. Not safe for concurrent use.
type Writer struct {
	w           io.Writer
	frameLimit  int
	msgLimit    int
	beforeWrite func(n int)
}

// NewWriter returns a Writer with the default limits.
func NewWriter(w io.Writer) *Writer { return NewWriterWith(w, nil) }

// NewWriterSize returns a Writer splitting messages into frames of at
// most maxFrame bytes (MaxFrameSize if maxFrame <= 0), and refusing
// messages over MaxMessageSize.
func NewWriterSize(w io.Writer, maxFrame int) *Writer {
	return NewWriterWith(w, &WriterOptions{MaxFrameSize: maxFrame})
}

// NewWriterWith returns a Writer configured by o (nil: all defaults).
func NewWriterWith(w io.Writer, o *WriterOptions) *Writer {
	var c WriterOptions
	if o != nil {
		c = *o
	}
	return &Writer{
		w:           w,
		frameLimit:  orDefault(c.MaxFrameSize, MaxFrameSize),
		msgLimit:    orDefault(c.MaxMessageSize, MaxMessageSize),
		beforeWrite: c.BeforeWrite,
	}
}

// Write encodes m and writes it as frames. It returns the bytes written.
// A message of one frame goes in a single Write call (one call lets a
// stream put the header and the body in the same packet); a larger one
// goes a header or a frame's body per call, so that it is never copied
// whole. A message that is invalid (ErrMalformed) or too large
// (ErrMessageTooLarge) is refused before anything is written.
func (w *Writer) Write(m *Message) (int, error) {
	body, err := Encode(m)
	if err != nil {
		return 0, err
	}
	if len(body) > w.msgLimit {
		return 0, fmt.Errorf("%w: %d bytes, limit %d", ErrMessageTooLarge, len(body), w.msgLimit)
	}
	if w.beforeWrite != nil {
		w.beforeWrite(framedSize(len(body), w.frameLimit))
	}
	if len(body) <= w.frameLimit {
		frame := append(binary.AppendUvarint(make([]byte, 0, binary.MaxVarintLen64+len(body)), uint64(len(body))<<1), body...)
		return w.write(0, frame)
	}
	n := 0
	for len(body) > 0 {
		piece := body[:min(len(body), w.frameLimit)]
		body = body[len(piece):]
		if n, err = w.write(n, frameHeader(len(piece), len(body) > 0)); err != nil {
			return n, err
		}
		if n, err = w.write(n, piece); err != nil {
			return n, err
		}
	}
	return n, nil
}

// write writes b, adding to the n bytes written so far.
func (w *Writer) write(n int, b []byte) (int, error) {
	k, err := w.w.Write(b)
	if err != nil {
		return n + k, fmt.Errorf("wire: write frame: %w", err)
	}
	return n + k, nil
}

// frameHeader returns the header of a frame of n body bytes.
func frameHeader(n int, more bool) []byte {
	v := uint64(n) << 1
	if more {
		v |= 1
	}
	return binary.AppendUvarint(make([]byte, 0, binary.MaxVarintLen64), v)
}

// framedSize returns the bytes of a body of n bytes in frames of limit:
// the body, a header per full frame, and the last frame's header.
func framedSize(n, limit int) int {
	full := (n - 1) / limit
	last := n - full*limit
	return n + full*len(frameHeader(limit, true)) + len(frameHeader(last, false))
}
