package wire

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// MaxFrameSize is the default cap on a frame's body, in bytes. Readers and
// writers take their own limit (a per-connection setting); a writer never
// sends a frame over its limit, which must not exceed its peer's.
const MaxFrameSize = 16 << 20

// MaxMessageSize is the default cap on a message's body, all its frames
// together, in bytes: a message may be larger than a frame (a row near
// the value size limit), but not without bound.
const MaxMessageSize = 256 << 20

// A message travels in one or more frames. A frame is a uvarint header
// (minimal encoding, at most binary.MaxVarintLen64 bytes) followed by n
// body bytes, 1 <= n <= the frame limit; the header is n<<1 | more, where
// more = 1 says that the message continues in the next frame. The
// message's body, one CBOR message, is the concatenation of its frames'
// bodies, up to the first frame with more = 0. So:
//
//	message  = frame* last
//	frame    = uvarint(n<<1 | 1) n bytes
//	last     = uvarint(n<<1 | 0) n bytes
//
// A uvarint keeps the frequent small messages (Ack, Done) small, and a
// frame or message over its limit is refused from its header alone,
// before its body is read. A Writer fills every frame but the last to
// the limit; a Reader takes any split, so the peers' limits need not be
// equal, only the writer's no larger.

// ErrMessageTooLarge marks a message whose frames together declare more
// than the message limit. It is found from a header, before the excess
// is read. It wraps ErrFrameTooLarge, so that a check for either matches.
var ErrMessageTooLarge error = messageTooLarge{}

type messageTooLarge struct{}

func (messageTooLarge) Error() string { return "wire: message too large" }
func (messageTooLarge) Unwrap() error { return ErrFrameTooLarge }

// ErrBusy is returned by a Reader whose Budget refused the memory that a
// message needs: the node is short of receive memory, not the peer at
// fault. The stream is out of step after it.
var ErrBusy = errors.New("wire: receive budget exhausted; retry later")

// ReaderOptions configure a Reader. Zero fields take defaults.
type ReaderOptions struct {
	// MaxFrameSize caps a frame's body (MaxFrameSize if 0).
	MaxFrameSize int
	// MaxMessageSize caps a message's body (MaxMessageSize if 0).
	MaxMessageSize int
	// Budget, if set, is asked for every byte the Reader buffers beyond
	// the first FreeBytes of a message, and given it back when Read
	// returns. Nil means no budget: each Reader is bounded by
	// MaxMessageSize alone.
	Budget Budget
	// Progress, if set, is called as a message arrives: with 0 once its
	// first byte is in, then after each accepted frame header with the
	// body bytes the message has declared so far. The caller can set a
	// read deadline in proportion to the size (the package knows nothing
	// of time). It runs on the goroutine calling Read.
	Progress func(declared int)
}

// Reader reads messages from a stream of untrusted bytes. It reads ahead,
// so it must own the stream. Not safe for concurrent use. After an error
// the stream may be out of step (a refused header leaves its body
// unread): close it.
type Reader struct {
	r          *bufio.Reader
	frameLimit uint64
	msgLimit   uint64
	budget     Budget
	progress   func(declared int)
	free       int // bytes of a message buffered without asking budget; FreeBytes but in tests
}

// NewReader returns a Reader refusing frames over maxFrame bytes
// (MaxFrameSize if maxFrame <= 0) and messages over MaxMessageSize, with
// no budget.
func NewReader(r io.Reader, maxFrame int) *Reader {
	return NewReaderWith(r, &ReaderOptions{MaxFrameSize: maxFrame})
}

// NewReaderWith returns a Reader configured by o (nil: all defaults).
func NewReaderWith(r io.Reader, o *ReaderOptions) *Reader {
	var c ReaderOptions
	if o != nil {
		c = *o
	}
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReader(r)
	}
	return &Reader{
		r:          br,
		frameLimit: uint64(orDefault(c.MaxFrameSize, MaxFrameSize)),
		msgLimit:   uint64(orDefault(c.MaxMessageSize, MaxMessageSize)),
		budget:     c.Budget,
		progress:   c.Progress,
		free:       FreeBytes,
	}
}

func orDefault(n, def int) int {
	if n <= 0 {
		return def
	}
	return n
}

// Read reads and decodes one message. n counts the bytes consumed,
// headers included, also on error. At a clean end of stream, between
// messages, the error is io.EOF; a stream that ends inside a message
// gives an error wrapping io.ErrUnexpectedEOF. A frame over the frame
// limit gives ErrFrameTooLarge, a message over the message limit
// ErrMessageTooLarge, both before the body is read; a refusal of the
// Budget gives ErrBusy.
func (r *Reader) Read() (m *Message, n int, err error) {
	b := body{budget: r.budget, free: r.free}
	defer b.release() // the decoded message holds copies, not the buffer
	n, err = r.readBody(&b)
	if err != nil {
		return nil, n, err
	}
	m, err = Decode(b.buf)
	return m, n, err
}

// readBody reads a message's frames into b.
func (r *Reader) readBody(b *body) (n int, err error) {
	if _, err := r.r.Peek(1); err != nil {
		if errors.Is(err, io.EOF) {
			return 0, io.EOF // between messages: a clean end
		}
		return 0, readError(err)
	}
	r.report(0)
	for more := true; more; {
		var size, k int
		size, more, k, err = r.readHeader(len(b.buf))
		n += k
		if err != nil {
			return n, err
		}
		r.report(len(b.buf) + size)
		k, err = b.readFrom(r.r, size)
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func (r *Reader) report(declared int) {
	if r.progress != nil {
		r.progress(declared)
	}
}

// readHeader reads a frame header and checks it against the limits,
// given the body bytes the message has so far.
func (r *Reader) readHeader(have int) (size int, more bool, n int, err error) {
	v, n, err := r.readUvarint()
	if err != nil {
		return 0, false, n, err
	}
	s, more := v>>1, v&1 == 1
	switch {
	case s == 0:
		return 0, false, n, fmt.Errorf("%w: empty frame", ErrMalformed)
	case s > r.frameLimit:
		return 0, false, n, fmt.Errorf("%w: %d bytes, limit %d", ErrFrameTooLarge, s, r.frameLimit)
	case uint64(have)+s > r.msgLimit:
		return 0, false, n, fmt.Errorf("%w: %d bytes and more, limit %d", ErrMessageTooLarge, uint64(have)+s, r.msgLimit)
	}
	return int(s), more, n, nil
}

// readUvarint reads a minimal uvarint. A non-minimal encoding is refused
// so that every frame has exactly one byte form. Any end of stream is
// unexpected here: a clean end is found before the first header.
func (r *Reader) readUvarint() (v uint64, n int, err error) {
	for i := range binary.MaxVarintLen64 {
		c, err := r.r.ReadByte()
		if err != nil {
			return 0, i, readError(err)
		}
		if i == binary.MaxVarintLen64-1 && c > 1 {
			return 0, i + 1, fmt.Errorf("%w: frame header overflows 64 bits", ErrFrameTooLarge)
		}
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			if c == 0 && i > 0 {
				return 0, i + 1, fmt.Errorf("%w: non-minimal frame header", ErrMalformed)
			}
			return v, i + 1, nil
		}
	}
	// Not reached: the last header byte either ends the uvarint or overflows.
	return 0, binary.MaxVarintLen64, fmt.Errorf("%w: frame header too long", ErrMalformed)
}

// readError wraps an error from the stream, telling truncation apart.
func readError(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("wire: truncated frame: %w", io.ErrUnexpectedEOF)
	}
	return fmt.Errorf("wire: read frame: %w", err)
}
