package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"runtime"
	"testing"

	"pgregory.net/rapid"
)

// frameOf returns body as a message of one frame.
func frameOf(body []byte) []byte {
	return append(header(len(body), false), body...)
}

// header returns the header of a frame of n body bytes.
func header(n int, more bool) []byte {
	v := uint64(n) << 1
	if more {
		v |= 1
	}
	return binary.AppendUvarint(nil, v)
}

func TestFramesRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		msgs := rapid.SliceOfN(rapid.Custom(genMessage), 1, 8).Draw(t, "msgs")
		var buf bytes.Buffer
		w := NewWriter(&buf)
		var sizes []int
		for _, m := range msgs {
			n, err := w.Write(m)
			if err != nil {
				t.Fatalf("Write: %v", err)
			}
			sizes = append(sizes, n)
		}
		if want := len(frameOf(mustEncode(t, msgs[0]))); sizes[0] != want {
			t.Fatalf("Write returned %d bytes, frame is %d", sizes[0], want)
		}
		r := NewReader(&buf, 0)
		for i, m := range msgs {
			got, n, err := r.Read()
			if err != nil || n != sizes[i] {
				t.Fatalf("frame %d: Read = %d bytes, %v; wrote %d", i, n, err, sizes[i])
			}
			if !bytes.Equal(mustEncode(t, got), mustEncode(t, m)) {
				t.Fatalf("frame %d: read %+v, wrote %+v", i, got, m)
			}
		}
		if _, n, err := r.Read(); err != io.EOF || n != 0 {
			t.Fatalf("after the last frame: %d bytes, %v; want io.EOF", n, err)
		}
	})
}

// repeat is an endless stream of the same bytes.
type repeat []byte

func (r repeat) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		n += copy(p[n:], r)
	}
	return n, nil
}

// TestHugeLengthRefusedWithoutAllocating reads frames announcing 1<<40
// bytes: each must be refused from its prefix, allocating next to nothing.
func TestHugeLengthRefusedWithoutAllocating(t *testing.T) {
	r := NewReader(repeat(binary.AppendUvarint(nil, 1<<40)), 0)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	allocs := testing.AllocsPerRun(100, func() {
		if _, _, err := r.Read(); !errors.Is(err, ErrFrameTooLarge) {
			t.Fatalf("Read = %v, want ErrFrameTooLarge", err)
		}
	})
	runtime.ReadMemStats(&after)
	// A few small allocations build the error (more under -race); none
	// may grow with the announced length.
	if perRun := (after.TotalAlloc - before.TotalAlloc) / 101; allocs > 10 || perRun > 1024 {
		t.Fatalf("refusing a huge frame allocates %v times, %d bytes", allocs, perRun)
	}
}

func TestLengthPrefixLimits(t *testing.T) {
	body := mustEncode(t, exampleMessages()[2])
	cases := []struct {
		name  string
		in    []byte
		limit int
		want  error
	}{
		{"body at the limit", frameOf(body), len(body), nil},
		{"body over the limit", frameOf(body), len(body) - 1, ErrFrameTooLarge},
		{"default limit", header(MaxFrameSize+1, false), 0, ErrFrameTooLarge},
		{"default limit, more to come", header(MaxFrameSize+1, true), 0, ErrFrameTooLarge},
		{"64-bit length", binary.AppendUvarint(nil, 1<<64-1), 0, ErrFrameTooLarge},
		{"overflowing prefix", append(bytes.Repeat([]byte{0xff}, 9), 0x02), 0, ErrFrameTooLarge},
		{"non-minimal prefix", []byte{0x82, 0x00, 0xa0}, 0, ErrMalformed},
		{"zero length", []byte{0x00}, 0, ErrMalformed},
		{"zero length, more to come", []byte{0x01}, 0, ErrMalformed},
		{"malformed body", frameOf([]byte{0xa0}), 0, ErrMalformed},
	}
	for _, c := range cases {
		_, _, err := NewReader(bytes.NewReader(c.in), c.limit).Read()
		if c.want == nil && err != nil || !errors.Is(err, c.want) {
			t.Errorf("%s: Read = %v, want %v", c.name, err, c.want)
		}
	}
}

// TestTruncatedFrames cuts a stream of two frames at every byte: a cut
// between frames is a clean io.EOF, any other an io.ErrUnexpectedEOF.
func TestTruncatedFrames(t *testing.T) {
	first := frameOf(mustEncode(t, exampleMessages()[0]))
	stream := append(bytes.Clone(first), frameOf(mustEncode(t, exampleMessages()[7]))...)
	for cut := range len(stream) {
		r := NewReader(bytes.NewReader(stream[:cut]), 0)
		var err error
		for err == nil {
			_, _, err = r.Read()
		}
		if cut == 0 || cut == len(first) {
			if err != io.EOF {
				t.Errorf("cut at %d (a frame boundary): %v, want io.EOF", cut, err)
			}
		} else if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("cut at %d: %v, want io.ErrUnexpectedEOF", cut, err)
		}
	}
}

// errReader fails every read.
type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

func TestReadPassesStreamErrors(t *testing.T) {
	boom := errors.New("stream reset")
	if _, _, err := NewReader(errReader{boom}, 0).Read(); !errors.Is(err, boom) {
		t.Fatalf("Read = %v, want the stream's error", err)
	}
}

func TestWriterRefusesOversizedAndInvalid(t *testing.T) {
	var buf bytes.Buffer
	m := exampleMessages()[2]
	w := NewWriterWith(&buf, &WriterOptions{MaxFrameSize: 16, MaxMessageSize: len(mustEncode(t, m)) - 1})
	if _, err := w.Write(m); !errors.Is(err, ErrMessageTooLarge) || !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("Write over the message limit = %v, want ErrMessageTooLarge", err)
	}
	if _, err := w.Write(&Message{}); !errors.Is(err, ErrMalformed) {
		t.Fatalf("Write of an empty message = %v, want ErrMalformed", err)
	}
	if buf.Len() != 0 {
		t.Fatalf("refused writes wrote %d bytes", buf.Len())
	}
}
