package crdt

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/fxamacker/cbor/v2"
)

// mustHex decodes a hex literal written in a test table.
func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// anyCBOR encodes v with the library's default (non-strict) encoder, to
// build malformed inputs that EncodeRow would never write.
func anyCBOR(t *testing.T, v any) []byte {
	t.Helper()
	b, err := cbor.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestEncodeRowGolden pins the stored format of rows: storage keeps these
// bytes on disk and peers exchange them, so a change of field order or of
// encoding options must be a deliberate, visible change.
func TestEncodeRowGolden(t *testing.T) {
	tests := []struct {
		name string
		row  Row
		hex  string
	}{{
		name: "register write",
		row: Row{
			Kind:    KindRegister,
			Entries: []Entry{{Dot: Dot{Origin: 1, Counter: 2}, Time: Timestamp{Wall: 1000, Logical: 1}, Value: []byte("v")}},
			Context: Context{{Origin: 1, Counter: 2}, {Origin: 7, Counter: 3}},
		},
		// [1, [[[1,2], [1000,1], h'76', 0, 0]], [[1,2], [7,3]]]
		hex: "83 01 81 85 820102 821903e801 4176 00 00 82 820102 820703",
	}, {
		name: "set remove marker",
		row:  Row{Kind: KindSet, Context: Context{{Origin: 1, Counter: 2}}},
		// [3, null, [[1,2]]]
		hex: "83 03 f6 81 820102",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := EncodeRow(tt.row)
			if err != nil {
				t.Fatal(err)
			}
			if want := mustHex(t, tt.hex); !bytes.Equal(got, want) {
				t.Fatalf("EncodeRow = %x, want %x", got, want)
			}
			back, err := DecodeRow(got)
			if err != nil {
				t.Fatal(err)
			}
			sameRow(t, "decoded", back, tt.row)
		})
	}
}

// TestEncodeRowEmptySlices checks that an empty slice and a nil one encode
// alike. CBOR distinguishes [] from null; without care, a row decoded from
// [] and the same row rebuilt by Join would give different bytes, and
// Join(x, x) would not encode like x.
func TestEncodeRowEmptySlices(t *testing.T) {
	ctx := Context{{Origin: 1, Counter: 2}}
	sameRow(t, "empty vs nil entries", Row{Kind: KindSet, Entries: []Entry{}, Context: ctx}, Row{Kind: KindSet, Context: ctx})
	sameRow(t, "empty vs nil context", Row{Context: Context{}}, Row{})
	sameRow(t, "bottom joined with itself", Join(Row{}, Row{}), Row{})

	// A marker whose entries arrive as an empty array rather than null.
	r, err := DecodeRow(anyCBOR(t, []any{3, []any{}, []any{[]any{1, 2}}}))
	if err != nil {
		t.Fatal(err)
	}
	if r.Entries != nil {
		t.Errorf("DecodeRow kept an empty entry slice: %#v", r.Entries)
	}
	sameRow(t, "decoded marker joined with itself", Join(r, r), r)

	o := Object{RowKey{KindSet, "a"}: {Kind: KindSet, Entries: []Entry{}, Context: ctx}}
	sameObject(t, "object with an empty entry slice", o, Object{RowKey{KindSet, "a"}: {Kind: KindSet, Context: ctx}})
}

// TestDecodeRowRejects feeds DecodeRow bytes from a broken disk or a
// hostile peer: each must give an error wrapping ErrInvalid.
func TestDecodeRowRejects(t *testing.T) {
	dot := []any{1, 2}
	ts := []any{5, 0}
	ctx := []any{dot}
	tests := []struct {
		name string
		in   []byte
	}{
		{"empty input", nil},
		{"not an array", anyCBOR(t, map[string]int{"kind": 1})},
		{"array too short", anyCBOR(t, []any{1, nil})},
		{"array too long", anyCBOR(t, []any{1, nil, ctx, 4})},
		{"trailing bytes", append(anyCBOR(t, []any{1, nil, ctx}), 0x00)},
		{"truncated", anyCBOR(t, []any{1, nil, ctx})[:5]},
		{"kind zero", anyCBOR(t, []any{0, nil, ctx})},
		{"kind unknown", anyCBOR(t, []any{9, nil, ctx})},
		{"kind overflows uint8", anyCBOR(t, []any{257, nil, ctx})},
		{"negative counter", anyCBOR(t, []any{1, nil, []any{[]any{1, -2}}})},
		{"float where int", mustHex(t, "83 f93c00 f6 81 820102")},
		{"empty context", anyCBOR(t, []any{1, nil, []any{}})},
		{"null context", anyCBOR(t, []any{1, nil, nil})},
		{"context zero counter", anyCBOR(t, []any{1, nil, []any{[]any{1, 0}}})},
		{"context unsorted", anyCBOR(t, []any{1, nil, []any{[]any{2, 1}, []any{1, 1}}})},
		{"context duplicate origin", anyCBOR(t, []any{1, nil, []any{[]any{1, 1}, []any{1, 2}}})},
		{"entry outside context", anyCBOR(t, []any{1, []any{[]any{[]any{1, 3}, ts, nil, 0, 0}}, ctx})},
		{"entry of unknown origin", anyCBOR(t, []any{1, []any{[]any{[]any{9, 1}, ts, nil, 0, 0}}, ctx})},
		{"entry with zero counter", anyCBOR(t, []any{1, []any{[]any{[]any{1, 0}, ts, nil, 0, 0}}, ctx})},
		{"entries unsorted", anyCBOR(t, []any{1, []any{
			[]any{[]any{1, 2}, ts, nil, 0, 0}, []any{[]any{1, 1}, ts, nil, 0, 0}}, ctx})},
		{"entries duplicated", anyCBOR(t, []any{1, []any{
			[]any{dot, ts, nil, 0, 0}, []any{dot, ts, nil, 0, 0}}, ctx})},
		{"totals on a register", anyCBOR(t, []any{1, []any{[]any{dot, ts, nil, 1, 0}}, ctx})},
		{"entry too short", anyCBOR(t, []any{1, []any{[]any{dot, ts, nil}}, ctx})},
		{"text where bytes", mustHex(t, "83 01 81 85 820102 820500 6176 00 00 81 820102")},
		{"invalid utf-8 in text", mustHex(t, "83 01 81 85 820102 820500 61ff 00 00 81 820102")},
		{"indefinite-length array", mustHex(t, "9f 01 f6 81 820102 ff")},
		{"indefinite-length bytes", mustHex(t, "83 01 81 85 820102 820500 5f4176ff 00 00 81 820102")},
		{"tagged value", mustHex(t, "c1 83 01 f6 81 820102")},
		{"tag inside", mustHex(t, "83 01 f6 81 82 c101 02")},
		{"array length beyond input", mustHex(t, "83 01 f6 9b 0000000100000000")},
		{"array length beyond limit", mustHex(t, "83 01 f6 9a 7fffffff")},
		{"nesting too deep", append(bytes.Repeat([]byte{0x81}, 100), 0x00)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := DecodeRow(tt.in)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("DecodeRow(%x) = %+v, %v; want an error wrapping ErrInvalid", tt.in, r, err)
			}
		})
	}
}

// TestDecodeRowAcceptsCounterRow checks a counter row that a peer sends:
// totals are allowed there, and the value is Inc - Dec.
func TestDecodeRowAcceptsCounterRow(t *testing.T) {
	in := anyCBOR(t, []any{2, []any{[]any{[]any{1, 4}, []any{5, 0}, nil, 10, 3}}, []any{[]any{1, 4}}})
	r, err := DecodeRow(in)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.CounterTotal(); got != 7 {
		t.Fatalf("CounterTotal = %d, want 7", got)
	}
}

// TestEncodeObjectGolden pins the encoding of a key: rows in row key order,
// each with its encoded row key.
func TestEncodeObjectGolden(t *testing.T) {
	ctx := Context{{Origin: 1, Counter: 2}}
	o := Object{
		{KindSet, "b"}:         {Kind: KindSet, Context: ctx},
		{KindSet, "a"}:         {Kind: KindSet, Context: ctx},
		{Kind: KindRegister}:   {Kind: KindRegister, Context: ctx},
		{KindMap, "\xff\x00"}:  {Kind: KindMap, Context: ctx},
		CounterRow(0x0102):     {Kind: KindCounter, Context: ctx},
		{KindSet, ""}:          {Kind: KindSet, Context: ctx},
		{KindSet, "a\x00"}:     {Kind: KindSet, Context: ctx},
		{KindSet, "\x00\x00x"}: {Kind: KindSet, Context: ctx},
	}
	got := encObject(t, o)
	var rows []struct {
		_   struct{} `cbor:",toarray"`
		Key []byte
		Row cbor.RawMessage
	}
	if err := Unmarshal(got, &rows); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, r := range rows {
		keys = append(keys, hex.EncodeToString(r.Key))
	}
	want := []string{"01", "020000000000000102", "03", "030000 78", "0361", "036100", "0362", "04ff00"}
	for i := range want {
		want[i] = strings.ReplaceAll(want[i], " ", "")
	}
	if strings.Join(keys, ",") != strings.Join(want, ",") {
		t.Fatalf("row keys in order %v, want %v", keys, want)
	}
	if !bytes.Equal(got, encObject(t, o)) {
		t.Fatal("EncodeObject is not deterministic")
	}
}

// TestStrictDecOptions checks the strict options on a generic struct, as
// storage and the protocol use them through Unmarshal: duplicate map keys
// and unknown fields are refused.
func TestStrictDecOptions(t *testing.T) {
	type msg struct {
		A int `cbor:"a"`
	}
	tests := []struct {
		name string
		in   string
	}{
		{"duplicate key", "a2 6161 01 6161 02"},
		{"unknown field", "a2 6161 01 6162 02"},
		{"indefinite map", "bf 6161 01 ff"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m msg
			if err := Unmarshal(mustHex(t, tt.in), &m); err == nil {
				t.Fatalf("Unmarshal(%s) accepted: %+v", tt.in, m)
			}
		})
	}
	var m msg
	if err := Unmarshal(mustHex(t, "a1 6161 01"), &m); err != nil || m.A != 1 {
		t.Fatalf("Unmarshal of a valid map = %+v, %v", m, err)
	}
}
