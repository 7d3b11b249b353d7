package crdt

import (
	"encoding/binary"
	"math"
)

// decodeRowFast decodes the canonical encoding of a row by hand: reads
// decode a row per Get, and the reflection-based decoder was a third of a
// Get's time. It accepts only the exact shapes EncodeRow writes (definite
// lengths, no tags, nulls only for nil slices); anything else returns
// ok == false, and DecodeRow falls back to the strict generic decoder, so
// the two never disagree on what is accepted or on the result (a fuzz test
// compares them).
func decodeRowFast(b []byte) (r Row, ok bool) {
	d := fastDecoder{b: b}
	if d.arrayLen() != 3 {
		return Row{}, false
	}
	kind := d.uint()
	if kind > math.MaxUint8 {
		return Row{}, false
	}
	r.Kind = Kind(kind)
	n, null := d.arrayOrNull()
	if n == 1 {
		e := d.entry() // held until the context's length is known
		m, null := d.arrayOrNull()
		if null || m != 1 {
			r.Entries = []Entry{e}
			r.Context = d.context(m, null)
		} else {
			// The common register row: one allocation for both slices.
			both := new(struct {
				e [1]Entry
				c [1]Dot
			})
			both.e[0], both.c[0] = e, d.dot()
			r.Entries, r.Context = both.e[:], both.c[:]
		}
	} else {
		if !null {
			r.Entries = make([]Entry, 0, n)
			for range n {
				r.Entries = append(r.Entries, d.entry())
			}
		}
		r.Context = d.context(d.arrayOrNull())
	}
	if d.failed || len(d.b) != 0 {
		return Row{}, false
	}
	return r, true
}

// context reads m dots (nil for a CBOR null).
func (d *fastDecoder) context(m int, null bool) Context {
	if null {
		return nil
	}
	c := make(Context, 0, m)
	for range m {
		c = append(c, d.dot())
	}
	return c
}

// fastDecoder reads CBOR items off b; any surprise sets failed, after
// which every read returns zero values.
type fastDecoder struct {
	b      []byte
	failed bool
}

// head reads an item's major type and argument (definite lengths only).
func (d *fastDecoder) head() (major byte, arg uint64) {
	b := d.b
	if d.failed || len(b) == 0 {
		d.failed = true
		return 0, 0
	}
	major, info := b[0]>>5, b[0]&0x1f
	switch {
	case info < 24:
		d.b = b[1:]
		return major, uint64(info)
	case info == 24 && len(b) >= 2:
		d.b = b[2:]
		return major, uint64(b[1])
	case info == 25 && len(b) >= 3:
		d.b = b[3:]
		return major, uint64(binary.BigEndian.Uint16(b[1:]))
	case info == 26 && len(b) >= 5:
		d.b = b[5:]
		return major, uint64(binary.BigEndian.Uint32(b[1:]))
	case info == 27 && len(b) >= 9:
		d.b = b[9:]
		return major, binary.BigEndian.Uint64(b[1:])
	}
	d.failed = true // indefinite lengths, reserved values, truncation
	return 0, 0
}

func (d *fastDecoder) expect(want byte) uint64 {
	major, arg := d.head()
	if major != want {
		d.failed = true
		return 0
	}
	return arg
}

func (d *fastDecoder) uint() uint64 { return d.expect(0) }

func (d *fastDecoder) int64() int64 {
	major, arg := d.head()
	if arg > math.MaxInt64 || major > 1 {
		d.failed = true
		return 0
	}
	if major == 1 {
		return -1 - int64(arg)
	}
	return int64(arg)
}

// arrayLen reads an array head; a length that cannot fit in the bytes left
// is refused before anything is allocated for it.
func (d *fastDecoder) arrayLen() int {
	n := d.expect(4)
	if n > uint64(len(d.b)) {
		d.failed = true
		return 0
	}
	return int(n)
}

const cborNull = 0xf6

func (d *fastDecoder) arrayOrNull() (n int, null bool) {
	if !d.failed && len(d.b) > 0 && d.b[0] == cborNull {
		d.b = d.b[1:]
		return 0, true
	}
	return d.arrayLen(), false
}

func (d *fastDecoder) bytesOrNull() []byte {
	if !d.failed && len(d.b) > 0 && d.b[0] == cborNull {
		d.b = d.b[1:]
		return nil
	}
	n := d.expect(2)
	if d.failed || n > uint64(len(d.b)) {
		d.failed = true
		return nil
	}
	out := make([]byte, n) // a copy: the input is often Pebble's buffer
	copy(out, d.b[:n])
	d.b = d.b[n:]
	return out
}

func (d *fastDecoder) dot() Dot {
	if d.arrayLen() != 2 {
		d.failed = true
	}
	return Dot{Origin: ReplicaID(d.uint()), Counter: d.uint()}
}

func (d *fastDecoder) entry() Entry {
	if d.arrayLen() != 5 {
		d.failed = true
	}
	e := Entry{Dot: d.dot()}
	if d.arrayLen() != 2 {
		d.failed = true
	}
	e.Time.Wall = d.int64()
	logical := d.uint()
	if logical > math.MaxUint32 {
		d.failed = true
	}
	e.Time.Logical = uint32(logical)
	e.Value = d.bytesOrNull()
	e.Inc, e.Dec = d.uint(), d.uint()
	return e
}
