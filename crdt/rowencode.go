package crdt

// appendRow appends the canonical CBOR encoding of r, by hand: every write
// encodes the rows it changes, and reflection was most of that cost. It
// writes exactly what the generic encoder writes for r.canonical() (a test
// and a fuzz target compare them).
func appendRow(b []byte, r Row) []byte {
	r = r.canonical()
	b = append(b, 0x83)
	b = appendUint(b, 0, uint64(r.Kind))
	if r.Entries == nil {
		b = append(b, cborNull)
	} else {
		b = appendUint(b, 4, uint64(len(r.Entries)))
		for _, e := range r.Entries {
			b = appendEntry(b, e)
		}
	}
	if r.Context == nil {
		return append(b, cborNull)
	}
	b = appendUint(b, 4, uint64(len(r.Context)))
	for _, d := range r.Context {
		b = appendDot(b, d)
	}
	return b
}

func appendEntry(b []byte, e Entry) []byte {
	b = append(b, 0x85)
	b = appendDot(b, e.Dot)
	b = append(b, 0x82)
	if e.Time.Wall < 0 {
		b = appendUint(b, 1, uint64(-(e.Time.Wall + 1)))
	} else {
		b = appendUint(b, 0, uint64(e.Time.Wall))
	}
	b = appendUint(b, 0, uint64(e.Time.Logical))
	if e.Value == nil {
		b = append(b, cborNull)
	} else {
		b = appendUint(b, 2, uint64(len(e.Value)))
		b = append(b, e.Value...)
	}
	b = appendUint(b, 0, e.Inc)
	return appendUint(b, 0, e.Dec)
}

func appendDot(b []byte, d Dot) []byte {
	b = append(b, 0x82)
	b = appendUint(b, 0, uint64(d.Origin))
	return appendUint(b, 0, d.Counter)
}

// appendUint appends a CBOR head of the given major type in its shortest
// form, as canonical CBOR requires.
func appendUint(b []byte, major byte, v uint64) []byte {
	m := major << 5
	switch {
	case v < 24:
		return append(b, m|byte(v))
	case v <= 0xff:
		return append(b, m|24, byte(v))
	case v <= 0xffff:
		return append(b, m|25, byte(v>>8), byte(v))
	case v <= 0xffffffff:
		return append(b, m|26, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	}
	return append(b, m|27, byte(v>>56), byte(v>>48), byte(v>>40), byte(v>>32),
		byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}
