package crdt

import (
	"bytes"
	"reflect"
	"testing"
)

// FuzzDecodeRowFast compares the hand-written decoder with the strict
// generic one: whatever the fast path accepts, the generic decoder must
// accept with the same result.
func FuzzDecodeRowFast(f *testing.F) {
	for _, r := range sampleRowsForFast() {
		b, err := EncodeRow(r)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{0x83, 0x01, 0x9f, 0xff, 0xf6}) // indefinite: fast path refuses
	f.Fuzz(func(t *testing.T, b []byte) {
		fast, ok := decodeRowFast(b)
		if !ok {
			return
		}
		var g rowCBOR
		if err := decMode.Unmarshal(b, &g); err != nil {
			t.Fatalf("fast path accepted what the strict decoder refuses (%v): %x", err, b)
		}
		if slow := Row(g); !reflect.DeepEqual(fast.canonical(), slow.canonical()) {
			t.Fatalf("decoders disagree on %x:\nfast %+v\nslow %+v", b, fast, slow)
		}
	})
}

func sampleRowsForFast() []Row {
	ctx := Context{{Origin: 1, Counter: 9}, {Origin: 1 << 60, Counter: 1 << 33}}
	return []Row{
		{Kind: KindRegister, Entries: []Entry{{Dot: Dot{Origin: 1, Counter: 9}, Time: Timestamp{Wall: 1 << 50, Logical: 7}, Value: []byte("v")}}, Context: ctx},
		{Kind: KindSet, Entries: []Entry{{Dot: Dot{Origin: 1, Counter: 9}, Time: Timestamp{Wall: -5}}}, Context: ctx},
		{Kind: KindCounter, Entries: []Entry{{Dot: Dot{Origin: 1, Counter: 9}, Inc: 1 << 40, Dec: 3}}, Context: ctx[:1]},
		{Kind: KindMap, Entries: []Entry{{Dot: Dot{Origin: 1, Counter: 2}, Value: []byte{}}, {Dot: Dot{Origin: 1, Counter: 9}, Value: bytes.Repeat([]byte{1}, 300)}}, Context: ctx},
		{Kind: KindRegister, Context: ctx}, // a remove marker
	}
}

func TestDecodeRowFastMatchesGeneric(t *testing.T) {
	for _, r := range sampleRowsForFast() {
		b, _ := EncodeRow(r)
		fast, ok := decodeRowFast(b)
		if !ok {
			t.Fatalf("fast path refused canonical bytes %x", b)
		}
		var g rowCBOR
		if err := decMode.Unmarshal(b, &g); err != nil {
			t.Fatal(err)
		}
		if slow := Row(g); !reflect.DeepEqual(fast.canonical(), slow.canonical()) {
			t.Fatalf("fast %+v\nslow %+v", fast, slow)
		}
		if again, _ := EncodeRow(fast); !bytes.Equal(again, b) {
			t.Fatalf("re-encoding the fast decode changed the bytes")
		}
	}
}

func BenchmarkDecodeRow(b *testing.B) {
	enc, _ := EncodeRow(sampleRowsForFast()[0])
	b.Run("fast", func(b *testing.B) {
		for b.Loop() {
			decodeRowFast(enc)
		}
	})
	b.Run("generic", func(b *testing.B) {
		for b.Loop() {
			var r rowCBOR
			decMode.Unmarshal(enc, &r)
		}
	})
}

// FuzzEncodeRow compares the hand-written encoder with the generic
// canonical encoder on rows decoded from fuzzed bytes.
func FuzzEncodeRow(f *testing.F) {
	for _, r := range sampleRowsForFast() {
		b, _ := encMode.Marshal(rowCBOR(r.canonical()))
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var g rowCBOR
		if decMode.Unmarshal(b, &g) != nil {
			return
		}
		r := Row(g)
		want, err := encMode.Marshal(rowCBOR(r.canonical()))
		if err != nil {
			return
		}
		if got := appendRow(nil, r); !bytes.Equal(got, want) {
			t.Fatalf("encoders disagree on %+v:\nhand    %x\ngeneric %x", r, got, want)
		}
	})
}

func TestEncodeRowMatchesGeneric(t *testing.T) {
	for _, r := range sampleRowsForFast() {
		want, _ := encMode.Marshal(rowCBOR(r.canonical()))
		if got := appendRow(nil, r); !bytes.Equal(got, want) {
			t.Fatalf("hand %x\ngeneric %x", got, want)
		}
	}
}
