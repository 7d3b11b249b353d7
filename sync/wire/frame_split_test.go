package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"runtime"
	"testing"

	"github.com/shoal-db/shoal/crdt"
)

// pushOf is a Push whose one row holds a value of n bytes.
func pushOf(n int) *Message {
	d := crdt.Dot{Origin: 7, Counter: 1}
	row := crdt.Row{}.Write(crdt.KindRegister, d, crdt.Timestamp{Wall: 1}, bytes.Repeat([]byte{0xab}, n))
	r := Row{Key: "k", RowKey: crdt.RowKey{Kind: crdt.KindRegister}.Append(nil), Row: row}
	return &Message{Seq: 1, Push: &Push{Rows: []Row{r}, OwnCounter: 1}}
}

// frameSizes parses a stream of frames and returns their body sizes and
// whether each said more to come.
func frameSizes(t *testing.T, stream []byte) (sizes []int, more []bool) {
	t.Helper()
	for len(stream) > 0 {
		v, k := binary.Uvarint(stream)
		if k <= 0 || int(v>>1)+k > len(stream) {
			t.Fatalf("bad frame at %x", stream[:min(len(stream), 16)])
		}
		sizes, more = append(sizes, int(v>>1)), append(more, v&1 == 1)
		stream = stream[k+int(v>>1):]
	}
	return sizes, more
}

// writeRead writes m with wo, checks the frames, and reads it back with ro.
func writeRead(t *testing.T, m *Message, wo *WriterOptions, ro *ReaderOptions) (*Message, error) {
	t.Helper()
	var buf bytes.Buffer
	announced := 0
	o := *wo
	o.BeforeWrite = func(n int) { announced = n }
	n, err := NewWriterWith(&buf, &o).Write(m)
	if err != nil {
		return nil, err
	}
	if n != buf.Len() || announced != n {
		t.Fatalf("Write returned %d, announced %d, wrote %d", n, announced, buf.Len())
	}
	checkSplit(t, buf.Bytes(), len(mustEncode(t, m)), orDefault(wo.MaxFrameSize, MaxFrameSize))
	r := NewReaderWith(&buf, ro)
	got, k, err := r.Read()
	if err == nil && k != n {
		t.Fatalf("Read consumed %d bytes of %d", k, n)
	}
	return got, err
}

// checkSplit checks that a message of size bytes went in full frames of
// limit, then the rest, with more set on all but the last.
func checkSplit(t *testing.T, stream []byte, size, limit int) {
	t.Helper()
	sizes, more := frameSizes(t, stream)
	if want := (size + limit - 1) / limit; len(sizes) != want {
		t.Fatalf("%d bytes in %d frames of %d, want %d", size, len(sizes), limit, want)
	}
	for i, s := range sizes {
		last := i == len(sizes)-1
		if more[i] == last || !last && s != limit || last && s != size-limit*i {
			t.Fatalf("frame %d of %d: %d bytes, more %v (message %d, limit %d)", i, len(sizes), s, more[i], size, limit)
		}
	}
}

// TestMessageBiggerThanFrame: a message at, just under and just over the
// frame limit, and one over many frames, each arrives whole.
func TestMessageBiggerThanFrame(t *testing.T) {
	m := pushOf(3000)
	size := len(mustEncode(t, m))
	for _, limit := range []int{size + 1, size, size - 1, size / 2, size/2 + 1, 97, 1} {
		got, err := writeRead(t, m, &WriterOptions{MaxFrameSize: limit}, &ReaderOptions{MaxFrameSize: limit})
		if err != nil {
			t.Fatalf("frame limit %d, message %d: %v", limit, size, err)
		}
		if !bytes.Equal(mustEncode(t, got), mustEncode(t, m)) {
			t.Fatalf("frame limit %d: the message changed", limit)
		}
	}
}

// TestRowOverDefaultFrameSize: a 17 MiB row, over the 16 MiB default frame
// limit, goes through with the default options (it used to be refused).
func TestRowOverDefaultFrameSize(t *testing.T) {
	m := pushOf(17 << 20)
	got, err := writeRead(t, m, &WriterOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if v := got.Push.Rows[0].Row.Entries[0].Value; len(v) != 17<<20 {
		t.Fatalf("read a value of %d bytes", len(v))
	}
}

// TestMessageLimit: a message at and under the message limit is read; one
// over is refused by the Writer, and by a Reader before the frame that
// crosses the limit is read.
func TestMessageLimit(t *testing.T) {
	m := pushOf(3000)
	size := len(mustEncode(t, m))
	const frame = 1000
	for _, limit := range []int{size, size + 1} {
		o := &WriterOptions{MaxFrameSize: frame, MaxMessageSize: limit}
		if _, err := writeRead(t, m, o, &ReaderOptions{MaxFrameSize: frame, MaxMessageSize: limit}); err != nil {
			t.Fatalf("message of %d, limit %d: %v", size, limit, err)
		}
	}
	if _, err := NewWriterWith(io.Discard, &WriterOptions{MaxMessageSize: size - 1}).Write(m); !errors.Is(err, ErrMessageTooLarge) {
		t.Fatalf("Write over the message limit: %v, want ErrMessageTooLarge", err)
	}
	var buf bytes.Buffer
	if _, err := NewWriterWith(&buf, &WriterOptions{MaxFrameSize: frame}).Write(m); err != nil {
		t.Fatal(err)
	}
	stream := buf.Bytes()
	_, n, err := NewReaderWith(bytes.NewReader(stream), &ReaderOptions{MaxFrameSize: frame, MaxMessageSize: size - 1}).Read()
	if !errors.Is(err, ErrMessageTooLarge) || !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("Read over the message limit: %v, want ErrMessageTooLarge", err)
	}
	// The last frame crosses the limit: only its header may be read.
	sizes, _ := frameSizes(t, stream)
	if n != len(stream)-sizes[len(sizes)-1] {
		t.Fatalf("Read consumed %d bytes of %d before refusing the last frame", n, len(stream))
	}
}

// TestMessageLimitFromTheHeader: frames that together declare more than
// the message limit are refused at the header that crosses it, without
// buffering what came before beyond what arrived.
func TestMessageLimitFromTheHeader(t *testing.T) {
	piece := bytes.Repeat([]byte{0}, 1000)
	var stream []byte
	for range 5 {
		stream = append(append(stream, header(len(piece), true)...), piece...)
	}
	_, n, err := NewReaderWith(bytes.NewReader(stream), &ReaderOptions{MaxFrameSize: 1000, MaxMessageSize: 4999}).Read()
	if !errors.Is(err, ErrMessageTooLarge) || n != len(stream)-len(piece) {
		t.Fatalf("Read = %d bytes of %d, %v; want ErrMessageTooLarge at the fifth header", n, len(stream), err)
	}
}

// TestSplitTruncatedAndMalformed: a stream ending after a frame that said
// more is truncated, not a clean end; an empty frame is malformed even
// mid-message.
func TestSplitTruncatedAndMalformed(t *testing.T) {
	body := mustEncode(t, exampleMessages()[2])
	first := append(header(10, true), body[:10]...)
	cases := []struct {
		name string
		in   []byte
		want error
	}{
		{"end after a frame with more", first, io.ErrUnexpectedEOF},
		{"end inside the second header", append(bytes.Clone(first), 0x80), io.ErrUnexpectedEOF},
		{"empty frame mid-message", append(bytes.Clone(first), 0x01), ErrMalformed},
		{"empty last frame", append(bytes.Clone(first), 0x00), ErrMalformed},
		{"pieces that decode", append(bytes.Clone(first), frameOf(body[10:])...), nil},
	}
	for _, c := range cases {
		_, _, err := NewReader(bytes.NewReader(c.in), 0).Read()
		if c.want == nil && err != nil || !errors.Is(err, c.want) {
			t.Errorf("%s: Read = %v, want %v", c.name, err, c.want)
		}
	}
}

// TestMemoryFollowsBytesReceived: a header declaring a 16 MiB frame
// followed by a few bytes makes the Reader allocate next to nothing (it
// used to allocate the declared size at once).
func TestMemoryFollowsBytesReceived(t *testing.T) {
	stream := append(header(MaxFrameSize, false), make([]byte, 100)...)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 10 {
		if _, _, err := NewReader(bytes.NewReader(stream), 0).Read(); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("Read = %v, want io.ErrUnexpectedEOF", err)
		}
	}
	runtime.ReadMemStats(&after)
	if perRead := (after.TotalAlloc - before.TotalAlloc) / 10; perRead > 2*FreeBytes {
		t.Fatalf("a truncated 16 MiB frame allocates %d bytes per Read", perRead)
	}
}
