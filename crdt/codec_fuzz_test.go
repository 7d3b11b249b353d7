package crdt

import (
	"bytes"
	"errors"
	"math"
	"testing"
)

// Fuzz targets for every decoder of bytes that come from disk or from a
// peer. Each must never panic; what it accepts must survive a round trip
// byte for byte and satisfy the invariants the rest of the package relies
// on. Seeds are below (f.Add) and in testdata/fuzz/<target>/; a crasher
// found later belongs there too, as a regression seed.
//
//	go test ./crdt/ -run='^$' -fuzz='^FuzzDecodeRow$' -fuzztime=20s

// rowSeeds are encoded rows: valid ones of every kind, then broken ones.
func rowSeeds(t fataler) [][]byte {
	now := ts(1_700_000_000_000_000_000, 3)
	reg := Row{}.Write(KindRegister, dot(7, 1), now, []byte("hello"))
	siblings := Join(reg, Row{}.Write(KindRegister, dot(3, 4), now, []byte("world")))
	counter := Row{}.Increment(dot(9, 2), now, -5)
	counter = Join(counter, counter.Increment(dot(9, 6), now, 12))
	valid := []Row{
		reg,
		siblings,
		siblings.Remove(KindRegister, dot(3, 5)),
		Row{}.Write(KindSet, dot(1, 1), now, nil),
		Row{}.Write(KindMap, dot(math.MaxUint64, math.MaxUint64), ts(-1, math.MaxUint32), []byte{}),
		counter,
	}
	var out [][]byte
	for _, r := range valid {
		out = append(out, encRow(t, r))
	}
	b := encRow(t, siblings)
	return append(out,
		b[:len(b)-1],                                           // truncated
		append(bytes.Clone(b), 0x00),                           // trailing byte
		[]byte{0x83, 0x05, 0xf6, 0x80},                         // unknown kind, empty context
		[]byte{0x9f, 0x01, 0xf6, 0x81, 0x82, 0x01, 0x02, 0xff}, // indefinite length
		[]byte{0xc1, 0x83, 0x01, 0xf6, 0x81, 0x82, 0x01, 0x02}, // tagged
		[]byte{0x83, 0x01, 0x80, 0x81, 0x82, 0x01, 0x02},       // empty entry array
		[]byte{0x83, 0x01, 0xf6, 0x9b, 0, 0, 0, 1, 0, 0, 0, 0}, // huge array length
	)
}

func FuzzDecodeRow(f *testing.F) {
	for _, s := range rowSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := DecodeRow(data)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("DecodeRow error does not wrap ErrInvalid: %v", err)
			}
			return
		}
		if err := r.Validate(); err != nil {
			t.Fatalf("DecodeRow accepted an invalid row: %v", err)
		}
		b := encRow(t, r)
		back, err := DecodeRow(b)
		if err != nil {
			t.Fatalf("DecodeRow(EncodeRow(r)): %v", err)
		}
		if again := encRow(t, back); !bytes.Equal(again, b) {
			t.Fatalf("round trip: %x then %x", b, again)
		}

		// A decoded row is a state like any other: the lattice laws hold.
		sameRow(t, "r⊔r", Join(r, r), r)
		sameRow(t, "r⊔bottom", Join(r, Row{}), r)
		sameRow(t, "bottom⊔r", Join(Row{}, r), r)

		// Reads must not panic on anything DecodeRow accepts.
		r.Winner()
		r.Siblings()
		r.CounterTotal()
		r.LatestDots()
		if _, err := EncodeObject(Object{{Kind: r.Kind}: r}); err != nil {
			t.Fatal(err)
		}

		// Mutating a decoded row gives a valid delta, and the delta agrees
		// with the full-state mutator (see TestDeltaMatchesFullStateMutator).
		const origin = ReplicaID(42)
		if top := r.Context.Max(origin); top < math.MaxUint64 {
			d := Dot{Origin: origin, Counter: top + 1}
			checkMutation(t, r, r.Write(r.Kind, d, ts(1, 0), []byte("v")),
				&event{Dot: d, Key: RowKey{Kind: r.Kind}, Time: ts(1, 0), Value: []byte("v")})
			checkMutation(t, r, r.Remove(r.Kind, d),
				&event{Dot: d, Key: RowKey{Kind: r.Kind}, Remove: true})
		}
	})
}

// checkMutation checks one delta built from a decoded row x.
func checkMutation(t *testing.T, x, delta Row, ev *event) {
	t.Helper()
	if err := delta.Validate(); err != nil {
		t.Fatalf("delta %+v: %v", delta, err)
	}
	after := Join(x, delta)
	if err := after.Validate(); err != nil {
		t.Fatalf("row after delta %+v: %v", after, err)
	}
	sameRow(t, "X⊔delta(X) vs apply(X)", after, refApply(x, ev))
}

// vvSeeds are encoded version vectors: valid ones, then broken ones.
func vvSeeds(t fataler) [][]byte {
	const top = math.MaxUint64
	var out [][]byte
	for _, spans := range [][]span{
		nil,
		{{1, 5}},
		{{1, 5}, {9, 9}, {20, 30}},
		{{3, 4}},
		{{10, top}},
		{{1, top}},
	} {
		out = append(out, mustMarshalVV(t, vvOf(spans...)))
	}
	two := &VersionVector{}
	two.AddRange(1, 1, 3)
	two.AddRange(top, 5, 6)
	out = append(out, mustMarshalVV(t, two))
	return append(out,
		[]byte{0x81, 0x83, 0x01, 0x04, 0x82, 0x05, 0x06},             // range touching base
		[]byte{0x82, 0x83, 0x02, 0x01, 0x80, 0x83, 0x01, 0x01, 0x80}, // origins unsorted
		[]byte{0x81, 0x83, 0x01, 0x00, 0x81, 0x05},                   // odd range list
		[]byte{0x81, 0x83, 0x01, 0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // full base,
			0x82, 0x05, 0x07}, // then a range
		[]byte{0x81, 0x83, 0x01, 0x00, 0x9f, 0x05, 0x07, 0xff}, // indefinite range list
	)
}

func FuzzVersionVectorUnmarshal(f *testing.F) {
	for _, s := range vvSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var v VersionVector
		if err := v.UnmarshalCBOR(data); err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("UnmarshalCBOR error does not wrap ErrInvalid: %v", err)
			}
			return
		}
		if err := checkVV(&v); err != nil {
			t.Fatalf("decoded vector breaks an invariant: %v: %s", err, &v)
		}
		b := mustMarshalVV(t, &v)
		var back VersionVector
		if err := back.UnmarshalCBOR(b); err != nil {
			t.Fatalf("UnmarshalCBOR(MarshalCBOR(v)): %v", err)
		}
		if again := mustMarshalVV(t, &back); !bytes.Equal(again, b) {
			t.Fatalf("round trip: %x then %x", b, again)
		}
		if !back.Equal(&v) {
			t.Fatalf("round trip changed the dots: %s vs %s", &back, &v)
		}

		// The operations a receiver performs on a peer's vector.
		c := v.Clone()
		c.Join(&v)
		if !c.Equal(&v) || !v.Intersect(c).Equal(&v) || !v.Covers(&VersionVector{}) {
			t.Fatalf("Join/Intersect/Covers inconsistent on %s", &v)
		}
		for _, o := range v.Origins() {
			base, top := v.Base(o), v.Max(o)
			if base > top || top == 0 || !v.Contains(Dot{Origin: o, Counter: top}) {
				t.Fatalf("origin %s: base %d max %d in %s", o, base, top, &v)
			}
			if top < math.MaxUint64 && v.Contains(Dot{Origin: o, Counter: top + 1}) {
				t.Fatalf("origin %s: contains %d above its max", o, top+1)
			}
			if base < top && v.Contains(Dot{Origin: o, Counter: base + 1}) {
				t.Fatalf("origin %s: contains %d, just above its base", o, base+1)
			}
			if base < top && !v.HasGaps() {
				t.Fatalf("HasGaps false with origin %s base %d < max %d", o, base, top)
			}
		}
	})
}

// rowKeySeeds are encoded row keys, valid and not.
func rowKeySeeds() [][]byte {
	return [][]byte{
		RowKey{Kind: KindRegister}.Append(nil),
		CounterRow(0xdeadbeef).Append(nil),
		RowKey{KindSet, "member"}.Append(nil),
		RowKey{KindSet, ""}.Append(nil),
		RowKey{KindMap, "field\x00\xff"}.Append(nil),
		{},
		{0x00},
		{0x01, 'x'},
		{0x02, 0x01},
		{0x07, 'a'},
	}
}

func FuzzParseRowKey(f *testing.F) {
	for _, s := range rowKeySeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := ParseRowKey(data)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("ParseRowKey error does not wrap ErrInvalid: %v", err)
			}
			return
		}
		if !k.Kind.Valid() {
			t.Fatalf("ParseRowKey accepted kind %d", k.Kind)
		}
		b := k.Append(nil)
		if !bytes.Equal(b, data) {
			t.Fatalf("Append(ParseRowKey(%x)) = %x", data, b)
		}
		back, err := ParseRowKey(b)
		if err != nil || back != k {
			t.Fatalf("round trip: %+v, %v; want %+v", back, err, k)
		}
		if k.Compare(back) != 0 {
			t.Fatal("a key does not compare equal to itself")
		}
	})
}
