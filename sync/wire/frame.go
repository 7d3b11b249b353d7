package wire

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// MaxFrameSize is the default cap on a frame's body, in bytes. Readers and
// writers take their own limit (a per-connection setting); a sender must
// split its batches to fit the limit its peers use.
const MaxFrameSize = 16 << 20

// A frame is a body's length as a uvarint (minimal encoding, at most
// binary.MaxVarintLen64 bytes) followed by the body: one CBOR message.
// A uvarint keeps the frequent small frames (Ack, Done) small, and a
// length of any size is refused from its prefix alone.

// Reader reads frames from a stream of untrusted bytes. It reads ahead, so
// it must own the stream. Not safe for concurrent use. After an error the
// stream may be out of step (a refused length leaves its body unread):
// close it.
type Reader struct {
	r     *bufio.Reader
	limit uint64
}

// NewReader returns a Reader refusing bodies over maxFrame bytes
// (MaxFrameSize if maxFrame <= 0).
func NewReader(r io.Reader, maxFrame int) *Reader {
	if maxFrame <= 0 {
		maxFrame = MaxFrameSize
	}
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReader(r)
	}
	return &Reader{r: br, limit: uint64(maxFrame)}
}

// Read reads and decodes one frame. n counts the bytes consumed, prefix
// included, also on error. At a clean end of stream, between frames, the
// error is io.EOF; a stream that ends inside a frame gives an error
// wrapping io.ErrUnexpectedEOF. A length over the limit gives
// ErrFrameTooLarge before anything is allocated for the body.
func (r *Reader) Read() (m *Message, n int, err error) {
	size, n, err := r.readLength()
	if err != nil {
		return nil, n, err
	}
	if size > r.limit {
		return nil, n, fmt.Errorf("%w: %d bytes, limit %d", ErrFrameTooLarge, size, r.limit)
	}
	body := make([]byte, size)
	k, err := io.ReadFull(r.r, body)
	n += k
	if err != nil {
		return nil, n, readError(err)
	}
	m, err = Decode(body)
	return m, n, err
}

// readLength reads a minimal uvarint. A non-minimal encoding is refused so
// that every frame has exactly one byte form.
func (r *Reader) readLength() (size uint64, n int, err error) {
	for i := range binary.MaxVarintLen64 {
		c, err := r.r.ReadByte()
		if err != nil {
			if i == 0 && errors.Is(err, io.EOF) {
				return 0, 0, io.EOF // between frames: a clean end
			}
			return 0, i, readError(err)
		}
		if i == binary.MaxVarintLen64-1 && c > 1 {
			return 0, i + 1, fmt.Errorf("%w: length prefix overflows 64 bits", ErrFrameTooLarge)
		}
		size |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			if c == 0 && i > 0 {
				return 0, i + 1, fmt.Errorf("%w: non-minimal length prefix", ErrMalformed)
			}
			return size, i + 1, nil
		}
	}
	// Not reached: the last prefix byte either ends the uvarint or overflows.
	return 0, binary.MaxVarintLen64, fmt.Errorf("%w: length prefix too long", ErrMalformed)
}

// readError wraps an error from the stream, telling truncation apart.
func readError(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("wire: truncated frame: %w", io.ErrUnexpectedEOF)
	}
	return fmt.Errorf("wire: read frame: %w", err)
}

// Writer writes frames. Not safe for concurrent use.
type Writer struct {
	w     io.Writer
	limit int
}

// NewWriter returns a Writer refusing bodies over MaxFrameSize.
func NewWriter(w io.Writer) *Writer { return NewWriterSize(w, MaxFrameSize) }

// NewWriterSize returns a Writer refusing bodies over maxFrame bytes
// (MaxFrameSize if maxFrame <= 0): the limit the peer's Reader uses, so
// that a frame it would refuse is never sent.
func NewWriterSize(w io.Writer, maxFrame int) *Writer {
	if maxFrame <= 0 {
		maxFrame = MaxFrameSize
	}
	return &Writer{w: w, limit: maxFrame}
}

// Write encodes m and writes it as one frame, in a single Write call (one
// call lets a stream put the prefix and the body in the same packet). It
// returns the bytes written. A message that is invalid (ErrMalformed) or
// too large (ErrFrameTooLarge) is refused before anything is written.
func (w *Writer) Write(m *Message) (int, error) {
	body, err := Encode(m)
	if err != nil {
		return 0, err
	}
	if len(body) > w.limit {
		return 0, fmt.Errorf("%w: %d bytes, limit %d", ErrFrameTooLarge, len(body), w.limit)
	}
	frame := make([]byte, 0, binary.MaxVarintLen64+len(body))
	frame = append(binary.AppendUvarint(frame, uint64(len(body))), body...)
	n, err := w.w.Write(frame)
	if err != nil {
		return n, fmt.Errorf("wire: write frame: %w", err)
	}
	return n, nil
}
